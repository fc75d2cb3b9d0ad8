/* sparql_agg.h: grouping and aggregates evaluated by rootline.
 *
 * rasqal 0.9.33 gets aggregates wrong in ways a rewrite of the text cannot
 * avoid (measured through the W3C suite, docs/modules/query-results.md): a
 * grouped aggregate over no match gives one row; COUNT(DISTINCT *) counts 1;
 * GROUP_CONCAT inside a subquery loses its separator or its values; GROUP BY
 * an expression makes one group; two HAVING conditions drop every group;
 * computed numbers come back in non-canonical forms.
 *
 * So every SELECT with GROUP BY or an aggregate (the query itself or a
 * subquery, at any depth, except under GRAPH, where a subquery depends on
 * the graph) is materialised, innermost first:
 *   1. rasqal solves its WHERE alone, as `SELECT <columns> WHERE { {W}
 *      BIND(key expression AS ?k) BIND(argument expression AS ?a) }`
 *      (the same prologue and dataset);
 *   2. rootline groups the solutions (GROUP BY keys, or one group when
 *      there is none, even over no solution) and computes COUNT, SUM, AVG,
 *      MIN, MAX, SAMPLE and GROUP_CONCAT (DISTINCT, SEPARATOR) per SPARQL
 *      1.1 §18.5: numeric type promotion, decimal arithmetic exact,
 *      canonical XSD forms ("1.0", "3.0E4"), unbound or non-numeric
 *      arguments making SUM and AVG unbound, MIN and MAX in ORDER BY order;
 *   3. the SELECT becomes `SELECT <projection> WHERE { VALUES (<keys>
 *      <aggregates>) { ... } FILTER(<each HAVING>) } ORDER BY .. LIMIT ..`
 *      with each aggregate call replaced by its column, so rasqal evaluates
 *      the projection and HAVING expressions on one row per group.
 * A SELECT whose groups hold a blank node (which VALUES cannot write), or
 * that the parser here does not read, is left to rasqal as written.
 *
 * GRAPH ?g { subquery } and GRAPH ?g { VALUES ... } (rasqal evaluates the
 * subquery outside the graph and ignores ?g in VALUES) are solved per named
 * graph of the dataset (at most 1,000): the subquery's WHERE put in
 * GRAPH <g>, its solutions joined with ?g = <g>, written as BIND blocks.
 *
 * Pure functions of the text and the rows env->select gives; thread-safe
 * when that is.
 */
#ifndef RL_SPARQL_AGG_H
#define RL_SPARQL_AGG_H

#include "buf.h"
#include "sparql_guard.h"

typedef struct rl_agg_env {
    /* runs a SELECT and hands over its rows (rl_query_rows does) */
    rl_status (*select)(void *ctx, const char *query, rl_guard_row_fn fn, void *fn_ctx, char *err, size_t cap);
    /* hands over the named graphs of the dataset (the query's FROM / FROM
     * NAMED text, or the request's), one encoded IRI per row
     * (rl_query_graphs does); NULL: GRAPH ?g { subquery } left to rasqal */
    rl_status (*graphs)(void *ctx, const char *dataset, rl_guard_row_fn fn, void *fn_ctx, char *err, size_t cap);
    void *ctx;
    size_t max_groups; /* groups of one SELECT written out (0 = 10,000; more: left to rasqal) */
    size_t max_bytes;  /* keys and DISTINCT values kept (0 = 256 MiB; past it RL_ERR_LIMIT) */
} rl_agg_env;

/* Writes `in` to `out` (cleared first) with every aggregate SELECT
 * materialised as above; *changed counts them.  `in` is a query the
 * pattern rewrite (rl_guard_rewrite_patterns) has already seen.  Errors:
 * RL_ERR_LIMIT (a limit above, named in err), the env's errors, RL_ERR_NOMEM;
 * text it cannot read is no error (it stays as written). */
rl_status rl_agg_rewrite(const char *in, rl_buf *out, const rl_agg_env *env, int *changed, char *err, size_t cap);

#endif
