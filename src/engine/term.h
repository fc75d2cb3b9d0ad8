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

/* Builds a new raptor term (caller owns, free with raptor_free_term) from an
 * encoding of `n` bytes.  Returns NULL on a malformed encoding or no memory. */
raptor_term *rl_term_decode(raptor_world *w, const unsigned char *b, size_t n);

#endif
