/* lookup.h: a small in-memory table of (predicate, subject, object) facts
 * that pack converters consult to link records to entities defined in
 * other files (e.g. a specimen's ordering department by campus and code).
 *
 * Before a batch is written, import fills the table from the committed
 * store with every triple of the predicates the format declares
 * (rl_input_format.lookups); triples the batch itself adds with those
 * predicates join it as they are written.  Lookups by (p, o) return the
 * smallest subject (deterministic when several match); by (s, p) the
 * smallest object.  Strings are IRIs or literal lexical forms.
 *
 * Ceiling: 8 million facts or 1 GiB of strings (RL_ERR_LIMIT).
 * Not thread-safe: one table belongs to one import.
 */
#ifndef RL_LOOKUP_H
#define RL_LOOKUP_H

#include "status.h"

#include <stddef.h>

typedef struct rl_lookup rl_lookup;

/* NULL when out of memory. */
rl_lookup *rl_lookup_new(void);
/* NULL is a no-op. */
void rl_lookup_free(rl_lookup *t);

/* Adds a fact (copied); adding it again changes nothing.  RL_ERR_LIMIT,
 * RL_ERR_NOMEM. */
rl_status rl_lookup_add(rl_lookup *t, const char *p, const char *s, const char *o);

/* The smallest subject with (s, p, o) / the smallest object with (s, p, o);
 * NULL when none.  Borrowed until the table is freed. */
const char *rl_lookup_subject(const rl_lookup *t, const char *p, const char *o);
const char *rl_lookup_object(const rl_lookup *t, const char *s, const char *p);

/* Calls fn for every subject with (s, p, o), in no particular order; stops
 * when fn returns non-zero and returns that value (0 when all were seen). */
int rl_lookup_subjects(const rl_lookup *t, const char *p, const char *o,
                       int (*fn)(void *ctx, const char *s), void *ctx);

/* Facts in the table. */
size_t rl_lookup_count(const rl_lookup *t);

#endif
