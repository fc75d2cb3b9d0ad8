/* term.h: the byte encoding of RDF terms used as dictionary keys.
 *
 * Layout (documented in docs/store.md):
 *   'U' iri                      IRI
 *   'B' label                    blank node
 *   'L' lexical                  plain (xsd:string) literal
 *   'G' lang 0x00 lexical        language-tagged literal
 *   'T' datatype-iri 0x00 lexical typed literal
 * The encoding is injective, so equal bytes <=> equal terms.
 * Thread-safe (no shared state), but raptor terms belong to one world.
 */
#ifndef RL_TERM_H
#define RL_TERM_H

#include "buf.h"

#include <raptor2.h>

/* Appends the encoding of `t` to `out`.  RL_ERR_USAGE for a term of unknown
 * type; buffer errors as rl_buf_append. */
rl_status rl_term_encode(const raptor_term *t, rl_buf *out);

/* Append the encoding of an IRI, or of a literal with an optional datatype
 * IRI (NULL: plain; xsd:string is the same term as plain) or language tag
 * (n bytes, 0: none), from strings: the bytes rl_term_encode writes for the
 * same term.  Buffer errors as rl_buf_append. */
rl_status rl_term_encode_iri(rl_buf *out, const char *iri);
rl_status rl_term_encode_literal(rl_buf *out, const unsigned char *lex, size_t lexlen,
                                 const char *datatype, const unsigned char *lang,
                                 size_t langlen);

/* The IRI of an encoded IRI, or the lexical form of an encoded literal:
 * points into b, *len bytes (not 0-terminated).  NULL for a blank node or a
 * malformed encoding. */
const unsigned char *rl_term_value(const unsigned char *b, size_t n, size_t *len);

/* Builds a new raptor term (caller owns, free with raptor_free_term) from an
 * encoding of `n` bytes.  Returns NULL on a malformed encoding or no memory. */
raptor_term *rl_term_decode(raptor_world *w, const unsigned char *b, size_t n);

#endif
