/* results.h: rootline's own SPARQL result writers.
 *
 * Rasqal's JSON and XML writers emit non-standard "unbound" entries that
 * standard clients cannot read (redland-facts.md §2); these writers follow
 * the W3C formats: SPARQL 1.1 Query Results JSON, XML, CSV and TSV, plus an
 * aligned text table.  Graph results (CONSTRUCT/DESCRIBE) go through
 * Redland's serializers (Turtle, N-Triples, N-Quads, RDF/XML).
 *
 * Writers stream row by row; the row ceiling is an error (RL_ERR_LIMIT), never
 * a silent truncation.  Thread safety: as the store.
 */
#ifndef RL_RESULTS_H
#define RL_RESULTS_H

#include "status.h"

#include <redland.h>
#include <stdint.h>
#include <stdio.h>

typedef enum rl_format {
    RL_FMT_JSON,
    RL_FMT_XML,
    RL_FMT_CSV,
    RL_FMT_TSV,
    RL_FMT_TABLE,
    RL_FMT_TURTLE,
    RL_FMT_NTRIPLES,
    RL_FMT_NQUADS,
    RL_FMT_RDFXML
} rl_format;

/* Parses a format name (json, xml, csv, tsv, table, turtle, ntriples,
 * nquads, rdfxml).  RL_ERR_USAGE for an unknown name. */
rl_status rl_format_parse(const char *name, rl_format *out);
/* The MIME type of a format. */
const char *rl_format_mime(rl_format f);
/* Whether the format writes graphs (Turtle...) rather than bindings. */
int rl_format_is_graph(rl_format f);

/* What an aggregate gives over an empty match (SPARQL 1.1 §18.5.1):
 * COUNT, SUM, AVG 0; GROUP_CONCAT ""; MIN, MAX, SAMPLE unbound. */
typedef enum rl_empty_value { RL_EMPTY_UNBOUND = 0, RL_EMPTY_ZERO, RL_EMPTY_STRING } rl_empty_value;

/* Variables whose names start with this are the query rewrite layer's own
 * (sparql_guard.h): they are never written, not even by SELECT *. */
#define RL_HIDDEN_VAR_PREFIX "rl__"

typedef struct rl_write_limits {
    uint64_t max_rows; /* 0 = 10 million */
    /* An aggregate query without GROUP BY has exactly one row, even over an
     * empty match (rasqal gives none): when set and no row came, this row is
     * written; NULL-terminated variable names and their values. */
    const char *const *empty_names;
    const rl_empty_value *empty_values;
    /* the query's projected variables (NULL-terminated), for the head when
     * librdf reports none (it does when nothing matched) */
    const char *const *var_names;
    /* when set, called on every solution before it is written, with all
     * columns (hidden ones too); it may replace vals[i] (freeing what was
     * there) and sets *keep: 1 write the solution, 0 skip it, -1 stop (no
     * more solutions).  Its error ends the output with that error. */
    rl_status (*compute)(void *ctx, librdf_world *w, const char *const *names, librdf_node **vals,
                         int n, int *keep);
    void *compute_ctx;
} rl_write_limits;

/* Writes `res` (bindings, boolean or graph) to `out` in format `fmt`.  A
 * graph format for a SELECT/ASK result, or the reverse, is RL_ERR_USAGE.
 * More rows than the limit is RL_ERR_LIMIT (the output then ends early but
 * is closed syntactically).  *rows gets the rows written. */
rl_status rl_results_write(librdf_world *w, librdf_query_results *res, rl_format fmt, FILE *out,
                           const rl_write_limits *lim, uint64_t *rows, char *err, size_t cap);

#endif
