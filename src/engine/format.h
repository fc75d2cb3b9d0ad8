/* format.h: input formats that packs add to `rootline import`.
 *
 * A format recognises its input by content (sniff) and converts it into
 * triples of one batch.  The engine owns everything else: the transaction,
 * the batch graph <urn:rootline:batch:SHA256>, the PROV-O record (with the
 * converter's record count and warnings), atomicity (any error aborts the
 * batch) and idempotence (the same bytes are imported once).
 *
 * A converter runs once per import, or twice on storages without
 * transactions (a validating pass first): it must be deterministic and must
 * not keep state between calls.  Thread safety: a batch belongs to the
 * importing thread.
 */
#ifndef RL_FORMAT_H
#define RL_FORMAT_H

#include "status.h"

#include <raptor2.h>
#include <stddef.h>

typedef struct rl_batch rl_batch;

typedef struct rl_input_format {
    const char *name; /* recorded as rl:sourceFormat; also accepted by --format */
    /* 1 if the first `n` bytes look like this format */
    int (*sniff)(const char *head, size_t n);
    /* converts the whole input; returns RL_OK or the status of rl_batch_error */
    rl_status (*convert)(rl_batch *b, const char *text, size_t len);
} rl_input_format;

/* The raptor world to make terms in (terms passed to rl_batch_add are borrowed). */
raptor_world *rl_batch_world(rl_batch *b);
/* The input's path, hex SHA-256, and batch graph IRI.  Borrowed. */
const char *rl_batch_path(rl_batch *b);
const char *rl_batch_checksum(rl_batch *b);
const char *rl_batch_graph(rl_batch *b);
/* The value of an import parameter (`rootline import --set key=value`), or NULL. */
const char *rl_batch_param(rl_batch *b, const char *key);
/* Modification time of the input file (seconds since the epoch). */
double rl_batch_mtime(rl_batch *b);

/* Adds a triple to the batch graph.  Errors (limit, store) end the batch. */
rl_status rl_batch_add(rl_batch *b, raptor_term *s, raptor_term *p, raptor_term *o);
/* Conveniences: IRIs given as strings; literal with datatype IRI (NULL = plain). */
rl_status rl_batch_add_iri(rl_batch *b, const char *s, const char *p, const char *o);
rl_status rl_batch_add_lit(rl_batch *b, const char *s, const char *p, const char *lex,
                           const char *datatype);
/* Counts one source record (rl:recordCount). */
void rl_batch_record(rl_batch *b);
/* Records a tolerated irregularity (rl:warning; the first 100 are kept). */
void rl_batch_warn(rl_batch *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sets the batch's error (shown after the file name: say line/segment, field
 * and what was expected) and returns `st`. */
rl_status rl_batch_error(rl_batch *b, rl_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
