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
    /* the facts the converter looks up (rl_batch_lookup_*), NULL-terminated
     * (NULL = none): "PREDICATE_IRI", or "PREDICATE_IRI SUBJECT_PREFIX" to keep
     * only subjects starting with the prefix (e.g. the unit of tests, not of
     * every result) */
    const char *const *lookups;
    /* order in `rootline import DIR` (smaller first: masters before the records
     * that refer to them; RDF files are 0); NULL = 50 */
    int (*rank)(const char *head, size_t n);
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
/* Lookups (lookup.h) over the triples of the format's `lookups` predicates:
 * those committed before this batch began, those this batch added so far,
 * and those defined with rl_batch_lookup_define.  Smallest match, or NULL;
 * borrowed for the batch's lifetime. */
const char *rl_batch_lookup_subject(rl_batch *b, const char *p, const char *o);
const char *rl_batch_lookup_object(rl_batch *b, const char *s, const char *p);
/* Every subject with (p, o); stops when fn returns non-zero (returned). */
int rl_batch_lookup_subjects(rl_batch *b, const char *p, const char *o,
                             int (*fn)(void *ctx, const char *s), void *ctx);
/* Makes (s, p, o) known to later lookups without writing it (a converter's
 * first pass over its own input, so records may refer forward). */
rl_status rl_batch_lookup_define(rl_batch *b, const char *p, const char *s, const char *o);

/* A bad record: with `import --keep-going` it is listed in the reject
 * report, counted (rl:rejectCount) and RL_OK is returned so the converter
 * skips it; otherwise it is the batch's error (as rl_batch_error with
 * RL_ERR_INPUT).  Name the line/segment/record, field and what was
 * expected; never patient identifiers.  Past 100,000 rejects: RL_ERR_LIMIT. */
rl_status rl_batch_reject(rl_batch *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Counts one source record (rl:recordCount). */
void rl_batch_record(rl_batch *b);
/* Records a tolerated irregularity (rl:warning; the first 100 are kept). */
void rl_batch_warn(rl_batch *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sets the batch's error (shown after the file name: say line/segment, field
 * and what was expected) and returns `st`. */
rl_status rl_batch_error(rl_batch *b, rl_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
