/* server.h: `rootline serve`: the HTTP front (libmicrohttpd) and the
 * scheduler thread that runs the packs' background services.
 *
 * Routes: /sparql (sparql.h), /healthz (alive), /readyz (store open, scheduler
 * alive, executors up, free disk above the floor), /metrics (Prometheus text: the server's own request
 * counters, then every service's figures).  Other paths: 404; a known path
 * with another method: 405 with Allow.
 *
 * Threads: libmicrohttpd runs a thread per connection (a query waits for
 * its executor there; connections are capped); one scheduler
 * thread calls every service's step() when it is due and is the only thread
 * that writes the store.  The SPARQL executors of the service issue plug in
 * here as routes.
 *
 * Lifetime: new -> service_add (any number) -> start -> ... -> free.
 */
#ifndef RL_SERVER_H
#define RL_SERVER_H

#include "pack.h"
#include "sparql.h"
#include "status.h"
#include "store.h"

#include <stdint.h>

typedef struct rl_server rl_server;

typedef struct rl_server_options {
    const char *listen;       /* HOST:PORT (IPv6 as [ADDR]:PORT); NULL = 127.0.0.1:8080;
                                 port 0 = any free port (see rl_server_port) */
    const char *spool_dir;    /* services' raw inputs; NULL = var/spool */
    const char *store_dir;    /* folder whose free space /readyz checks (NULL: not checked) */
    uint64_t min_free_bytes;  /* /readyz floor; 0 = 256 MiB */
    unsigned max_connections; /* simultaneous connections; 0 = 256 */
    const rl_sparql_options *sparql; /* /sparql with executor processes; NULL = no /sparql */
    /* pack routes (e.g. /trace), answered by child processes of opt.sparql's
     * binary on its store; NULL-terminated, borrowed; need `sparql` */
    const rl_pack_route *const *routes;
    double route_timeout;     /* seconds; 0 = the query deadline (sparql->timeout, else 30) */
    /* log sink, as rl_service_env.log; NULL = discard */
    void (*log)(void *ctx, const char *level, const char *msg);
    void *log_ctx;
} rl_server_options;

/* Creates a server that will serve `st` (borrowed; must outlive the server;
 * from start on only the scheduler thread may use it).  `formats` (NULL-
 * terminated, borrowed) are what services may import.  Errors: RL_ERR_NOMEM. */
rl_status rl_server_new(const rl_server_options *opt, rl_store *st,
                        const rl_input_format *const *formats, rl_server **out, char *err,
                        size_t cap);

/* Adds a pack service with the values given for its option (copied as
 * needed by the service).  Before start only.  Errors: as the service's
 * open() (RL_ERR_USAGE names the bad value), RL_ERR_LIMIT past 32 services,
 * RL_ERR_IO when its spool folder cannot be made. */
rl_status rl_server_service_add(rl_server *s, const rl_pack_service *svc, const char *const *values,
                                size_t n, char *err, size_t cap);

/* Binds the listening address and starts the threads.  Errors: RL_ERR_USAGE
 * (address malformed), RL_ERR_IO (cannot bind: in use, not permitted). */
rl_status rl_server_start(rl_server *s, char *err, size_t cap);

/* The bound TCP port (after start). */
unsigned rl_server_port(const rl_server *s);

/* Stops the threads (waiting for a running step to return), closes the
 * services and frees the server.  NULL is a no-op. */
void rl_server_free(rl_server *s);

#endif
