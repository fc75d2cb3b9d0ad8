/* queries.h: saved queries over HTTP (savedq.h).
 *   GET /queries                 the list, with each query's parameters (JSON)
 *   GET /queries/openapi.json    an OpenAPI 3.0 document generated from the headers
 *   GET|POST /queries/NAME?k=v   runs NAME with typed parameters, as /sparql runs a
 *                                query: executors, deadline (`timeout`), limits,
 *                                content negotiation
 * Unknown query: 404; a missing or mistyped parameter: 400 naming it.
 * Thread safety: the loaded set is read-only; requests run on MHD threads. */
#ifndef RL_QUERIES_H
#define RL_QUERIES_H

#include "sparql.h"

#include <microhttpd.h>

typedef struct rl_queries rl_queries;

/* Loads the saved queries of `dir` (NULL: rl_savedq_dir()).  A folder that
 * does not load is not an error here: /queries then answers 503 with the
 * reason.  NULL when out of memory. */
rl_queries *rl_queries_new(const char *dir, rl_sparql *sparql);
/* NULL is a no-op. */
void rl_queries_free(rl_queries *q);

/* Whether `url` is /queries or under it. */
int rl_queries_match(const char *url);
/* The access handler; *code gets the status queued (0 when none yet). */
enum MHD_Result rl_queries_request(rl_queries *q, struct MHD_Connection *conn, const char *url, const char *method,
                                   const char *upload, size_t *upload_size, void **con_cls, unsigned *code);

#endif
