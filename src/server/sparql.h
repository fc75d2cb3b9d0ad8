/* sparql.h: the SPARQL 1.1 Protocol endpoint (/sparql) of `rootline serve`.
 *
 * GET ?query=, POST application/x-www-form-urlencoded (query=...), POST
 * application/sparql-query (the body is the query); `timeout` (seconds,
 * capped by the server maximum); content negotiation by Accept with
 * q-values (negotiate.h; 406 lists what the query can give); GET without a
 * query returns the Service Description (Turtle).  Each query runs in an
 * executor process (executor.h): past its deadline, or when the client
 * hangs up, the executor is killed and replaced; if nothing was sent yet the
 * client gets 503 naming the deadline.  An executor that crashes costs the
 * request a 500 saying so.  Limits: request body (413), result rows (422
 * before any byte is sent; after that the response is cut off, never
 * silently truncated), all executors busy past the queue wait (503).
 *
 * Thread safety: requests arrive on libmicrohttpd's connection threads; the
 * handler is thread-safe.
 */
#ifndef RL_SPARQL_H
#define RL_SPARQL_H

#include "buf.h"
#include "status.h"

#include <jansson.h>
#include <microhttpd.h>
#include <stdint.h>

typedef struct rl_sparql rl_sparql;

typedef struct rl_sparql_options {
    const char *exe;        /* the rootline binary, for the executors */
    const char *store_uri;  /* the store the executors open (read-only) */
    unsigned executors;     /* 0 = one per core */
    double timeout;         /* default query deadline, s (0 = 30) */
    double timeout_max;     /* cap of the `timeout` parameter, s (0 = 300) */
    uint64_t max_body;      /* request body ceiling (0 = 64 MiB) */
    uint64_t max_rows;      /* result rows/triples ceiling (0 = 10 million) */
    int queue_wait_ms;      /* wait for a free executor (0 = 5000) */
    void (*log)(void *ctx, const char *level, const char *msg);
    void *log_ctx;
} rl_sparql_options;

/* Starts the executors.  Errors: RL_ERR_USAGE, RL_ERR_IO, RL_ERR_NOMEM. */
rl_status rl_sparql_new(const rl_sparql_options *opt, rl_sparql **out, char *err, size_t cap);
/* Stops the executors.  NULL is a no-op. */
void rl_sparql_free(rl_sparql *s);

/* libmicrohttpd access handler for /sparql (called repeatedly per request,
 * as MHD does); *code gets the status queued (0 when none yet). */
enum MHD_Result rl_sparql_request(rl_sparql *s, struct MHD_Connection *conn, const char *method,
                                  const char *upload, size_t *upload_size, void **con_cls,
                                  unsigned *code);
/* Produces the query text of a request from its URL arguments (read them
 * from conn) and its form body (application/x-www-form-urlencoded, `form`
 * of `len` bytes, "" for GET).  Returns RL_OK with the text in `query`, or
 * an error with the HTTP status to answer in *status and the message in err. */
typedef rl_status (*rl_sparql_text_fn)(void *ctx, struct MHD_Connection *conn, const char *form, size_t len,
                                       rl_buf *query, unsigned *status, char *err, size_t cap);
/* As rl_sparql_request, for a query made by `fn` (saved queries): GET or
 * POST form, the same executors, deadline (`timeout` argument), limits and
 * negotiation.  Completed through rl_sparql_completed. */
enum MHD_Result rl_sparql_request_with(rl_sparql *s, struct MHD_Connection *conn, const char *method,
                                       const char *upload, size_t *upload_size, void **con_cls,
                                       rl_sparql_text_fn fn, void *ctx, unsigned *code);
/* The request ended (MHD_OPTION_NOTIFY_COMPLETED): frees its state, and
 * kills the executor if the client left while it was still answering. */
void rl_sparql_completed(rl_sparql *s, void **con_cls, enum MHD_RequestTerminationCode why);

/* Applies a SPARQL Update in the writer process (the one writer: a parser
 * crash or a deadline costs that process and its uncommitted transaction,
 * never the service).  RL_OK with *status 200 and the JSON summary, or an
 * error with the HTTP status to answer (400, 500, 501, 503) and err. */
rl_status rl_sparql_apply_update(rl_sparql *s, const char *text, const char *default_graph, char *summary,
                                 size_t scap, int *status, char *err, size_t cap);

/* Prometheus figures: requests by outcome, executors up/busy/restarted. */
rl_status rl_sparql_metrics(rl_sparql *s, rl_buf *out);
/* 1 when every executor is up; else 0 with a reason. */
int rl_sparql_ready(rl_sparql *s, char *why, size_t cap);

#endif
