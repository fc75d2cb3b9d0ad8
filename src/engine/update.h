/* update.h: SPARQL 1.1 Update executed by rootline (rasqal parses it;
 * nothing in Redland executes updates).
 *
 * One request = one store transaction: every operation lands or none does.
 * Supported: INSERT DATA, DELETE DATA (with GRAPH blocks), CLEAR, DROP,
 * CREATE (graph | DEFAULT | NAMED | ALL, SILENT), ADD, MOVE, COPY, and
 * DELETE/INSERT ... WHERE (with and without WITH, USING and USING NAMED,
 * up to 64 of each) and DELETE WHERE: the WHERE block is cut from the text
 * and run as `SELECT * FROM <using>... FROM NAMED <using named>... WHERE
 * {...}` (inside GRAPH <g> under WITH when there is no USING) by the
 * caller's solver inside this request's transaction, so each operation sees
 * the ones before it; then the DELETE templates and the INSERT templates
 * are instantiated with the same solutions (triples with an unbound
 * variable are skipped; blank nodes are new per operation and solution;
 * template triples outside GRAPH go to the WITH graph).  LOAD is refused
 * (rootline fetches no URLs); LOAD SILENT changes nothing and succeeds.
 *
 * Graphs: the store has no empty graphs (a graph exists while it holds a
 * triple).  Writes addressed to the default graph go to the designated
 * graph (`default_graph`, default <urn:rootline:graph:default>); CLEAR /
 * DROP DEFAULT clear only that graph; NAMED means every other graph and ALL
 * every graph, except rootline's provenance graph in both (it records the
 * imports and is not user data).  Blank nodes of INSERT DATA are new nodes,
 * scoped to the request.
 *
 * Thread safety: as the store (the caller serialises writers).
 */
#ifndef RL_UPDATE_H
#define RL_UPDATE_H

#include "store.h"

#include <jansson.h>
#include <stdint.h>

#define RL_DEFAULT_GRAPH "urn:rootline:graph:default"

typedef struct rl_update_options {
    const char *base_uri;      /* NULL = none */
    const char *default_graph; /* NULL = RL_DEFAULT_GRAPH */
    uint64_t max_triples;      /* per request (0 = 10 million): RL_ERR_LIMIT past it */
    int check_only;            /* parse and check, change nothing */
    /* Runs a SELECT and gives its SPARQL JSON results (a new reference) in
     * *out.  NULL = WHERE forms are refused.  Called inside the write
     * transaction: it must read this store handle (rl_query_run on it does). */
    rl_status (*solve)(void *ctx, const char *select, json_t **out, char *err, size_t cap);
    void *solve_ctx;
} rl_update_options;

typedef struct rl_update_result {
    uint64_t operations, inserted, deleted, graphs_cleared;
} rl_update_result;

/* Parses and applies `text`.  Errors: RL_ERR_INPUT (syntax; err has the
 * parser's message), RL_ERR_UNSUPPORTED (WHERE forms, LOAD), RL_ERR_EXISTS
 * (CREATE of a graph that exists, without SILENT), RL_ERR_NOTFOUND (CLEAR /
 * DROP of a graph that does not exist, without SILENT), RL_ERR_LIMIT,
 * RL_ERR_STORE.  On any error the store is unchanged. */
rl_status rl_update_run(rl_store *st, const char *text, const rl_update_options *opt,
                        rl_update_result *res, char *err, size_t cap);

#endif
