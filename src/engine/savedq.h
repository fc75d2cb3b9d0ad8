/* savedq.h: saved, parameterised SPARQL queries (queries/ ** /NAME.rq).
 *
 * A saved query is a .rq file whose comment header describes it, grlc style:
 *   #+ summary: one line
 *   #+ tags: a, b
 *   #+ param NAME: what it is          (optional, per parameter)
 *   #+ default NAME: VALUE             (optional, per parameter)
 * Parameters are the query's variables written ?_NAME (required) or ?__NAME
 * (optional), with an optional type suffix as in BASIL/grlc: _iri, _string,
 * _integer, _decimal, _boolean, _date, _dateTime (default: string), e.g.
 * ?_dept_string, ?__since_dateTime.  The query's name is its file name
 * without .rq; names are unique across the folders.
 *
 * Binding never pastes a value into the text: each value is checked against
 * its type, made a typed RDF term with Raptor and written by Raptor's term
 * serialiser into one trailing VALUES clause (parenthesised form), so no
 * value can change the query (quotes, braces, \u escapes stay inside the
 * term).  Optional parameters without a value stay unbound.
 *
 * Ceilings: 1024 queries, 32 parameters a query, 1 MiB a file.
 * Thread safety: a loaded set is read-only; binding allocates per call.
 */
#ifndef RL_SAVEDQ_H
#define RL_SAVEDQ_H

#include "buf.h"
#include "status.h"

#include <jansson.h>
#include <stddef.h>

typedef struct rl_savedq_set rl_savedq_set;

typedef struct rl_savedq_param {
    const char *name; /* e.g. "dept" */
    const char *var;  /* the variable without '?', e.g. "_dept_string" */
    const char *type; /* iri string integer decimal boolean date dateTime */
    const char *description, *default_value; /* "" / NULL when none */
    int required;
} rl_savedq_param;

typedef struct rl_savedq {
    const char *name, *path, *summary, *text;
    const char *const *tags;
    size_t ntags;
    const rl_savedq_param *params;
    size_t nparams;
} rl_savedq;

/* The folder of saved queries: $ROOTLINE_QUERIES, else <binary>/../queries,
 * else the source tree's queries/.  Borrowed. */
const char *rl_savedq_dir(void);

/* Loads every .rq file under `dir` (recursively).  Errors name the file:
 * RL_ERR_IO, RL_ERR_INPUT (duplicate name, bad header), RL_ERR_LIMIT,
 * RL_ERR_NOMEM. */
rl_status rl_savedq_load(const char *dir, rl_savedq_set **out, char *err, size_t cap);
/* NULL is a no-op. */
void rl_savedq_free(rl_savedq_set *set);

size_t rl_savedq_count(const rl_savedq_set *set);
const rl_savedq *rl_savedq_at(const rl_savedq_set *set, size_t i);
/* By name, NULL when unknown. */
const rl_savedq *rl_savedq_find(const rl_savedq_set *set, const char *name);

/* The query text with the values bound (keys[i] = values[i], n pairs; a key
 * may also be given as the variable name).  Defaults fill what is not given.
 * RL_ERR_INPUT (unknown parameter, missing required one, a value that is not
 * of its type: err says which and what was expected), RL_ERR_NOMEM,
 * RL_ERR_LIMIT. */
rl_status rl_savedq_bind(const rl_savedq *q, const char *const *keys, const char *const *values, size_t n,
                         rl_buf *out, char *err, size_t cap);

/* JSON descriptions: one query (name, summary, tags, parameters) and an
 * OpenAPI 3.0 document of GET /queries/{name} for the whole set, with
 * `base` as the server URL ("" = relative).  New references; NULL when out
 * of memory. */
json_t *rl_savedq_json(const rl_savedq *q);
json_t *rl_savedq_openapi(const rl_savedq_set *set, const char *base);

#endif
