/* query.h: run one SPARQL query against a store and write its results.
 *
 * The query is parsed with rasqal first: syntax errors come back as
 * RL_ERR_INPUT with the parser's message and position; SERVICE (rasqal would
 * make the HTTP request itself) and updates are refused.  The query then runs
 * through librdf inside one read snapshot, and the results are written by
 * results.c.  (The server's guard/rewrite layer extends this; see docs.)
 *
 * Thread safety: as the store.
 */
#ifndef RL_QUERY_H
#define RL_QUERY_H

#include "results.h"
#include "sparql_guard.h"
#include "store.h"

typedef struct rl_query_options {
    const char *base_uri;   /* NULL = none */
    rl_write_limits limits;
    int adapt_format;       /* 1: a graph result in a bindings format is written as
                               Turtle, a bindings result in a graph format as JSON */
    const char *accept;     /* HTTP Accept header: when set (even ""), the format is
                               negotiated for the query's form (negotiate.h) and `fmt`
                               is ignored; nothing acceptable is RL_ERR_NEGOTIATE */
    rl_format *format_out;  /* when set, gets the format used before any byte is written */
    /* the protocol's default-graph-uri / named-graph-uri (NULL-terminated;
     * NULL = none): when either is given they replace the query's FROM /
     * FROM NAMED */
    const char *const *default_graphs;
    const char *const *named_graphs;
    /* 1: write to `out` the query text as the engine will run it (after the
     * guard's rewrites, sparql_guard.h) instead of running it */
    int explain;
    /* property-path closures (p*, p+): most step pairs and steps (0 = the
     * rewrite's defaults, sparql_guard.h); past either is RL_ERR_LIMIT */
    size_t path_max_pairs;
    int path_max_depth;
    /* GROUP BY and aggregates (sparql_agg.h): most groups of one SELECT
     * rootline writes out (0 = 10,000); a SELECT with more is left to
     * rasqal's own grouping */
    size_t agg_max_groups;
} rl_query_options;

#define RL_QUERY_ROWS_MAX_COLS 256

/* Runs `text` and writes results to `out` as `fmt`.  *rows (may be NULL) gets
 * the number of rows/triples written.  Errors: RL_ERR_INPUT (syntax),
 * RL_ERR_UNSUPPORTED (SERVICE, update, a form librdf cannot run),
 * RL_ERR_USAGE (format does not fit the query form), RL_ERR_LIMIT,
 * RL_ERR_NOTFOUND when `accept` offers nothing the query form can give
 * (HTTP 406; err lists what can be given). */
rl_status rl_query_run(rl_store *st, const char *text, rl_format fmt, FILE *out,
                       const rl_query_options *opt, uint64_t *rows, char *err, size_t cap);

/* What rl_query_rows runs against: the store (its dataset, pinned snapshot)
 * and the options of the query being rewritten (base, protocol dataset). */
typedef struct rl_query_env {
    rl_store *st;
    const rl_query_options *opt;
} rl_query_env;

/* An rl_guard_env.select (ctx is an rl_query_env): runs the SELECT `text`
 * (FROM / FROM NAMED honoured) and hands each row to fn, values encoded as
 * term.h does (equal strings <=> equal terms; NUL separators shown as 0x1e;
 * NULL when unbound).  At most RL_QUERY_ROWS_MAX_COLS columns (more is
 * RL_ERR_LIMIT).  fn's error stops the query and is returned.  Thread
 * safety: as the store. */
rl_status rl_query_rows(void *ctx, const char *text, rl_guard_row_fn fn, void *fn_ctx, char *err, size_t cap);

/* An rl_agg_env.graphs (ctx is an rl_query_env): hands each named graph of
 * the dataset that `dataset` (FROM / FROM NAMED text, may be empty) or the
 * request's named-graph-uri give (or the store's named graphs) to fn, one
 * encoded IRI per row.  RL_ERR_UNSUPPORTED when the store cannot list its
 * graphs; fn's error stops the listing and is returned. */
rl_status rl_query_graphs(void *ctx, const char *dataset, rl_guard_row_fn fn, void *fn_ctx, char *err, size_t cap);

#endif
