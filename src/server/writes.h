/* writes.h: the write endpoints of `rootline serve`.
 *
 * /update: SPARQL 1.1 Update (POST application/sparql-update, or a form with
 * update=...): parsed and checked first in an executor process (a parser
 * crash costs an executor, never the service), then applied by update.h in
 * one transaction.  200 with {"operations","inserted","deleted",
 * "graphs_cleared"}; 400 (syntax, CREATE of an existing graph, CLEAR of a
 * missing one), 501 (LOAD of a URL is refused).  The whole update runs in
 * the writer process; each WHERE is solved inside the request's transaction,
 * so every operation sees the ones before it.
 *
 * /store: SPARQL 1.1 Graph Store HTTP Protocol, ?graph=IRI or ?default (the
 * designated default graph): GET (Turtle / N-Triples / RDF/XML by Accept;
 * 404 when the graph does not exist), PUT (replace; 201 created, 204
 * replaced), POST (add; 201 / 204), DELETE (204, 404); bodies in Turtle,
 * N-Triples or RDF/XML by Content-Type (415 otherwise).  Each request is one
 * transaction.
 *
 * Every write holds the server's store lock (the scheduler's services hold
 * it too), so the supervisor writes through one writer at a time.
 * Thread safety: called from connection threads; serialised by the lock.
 */
#ifndef RL_WRITES_H
#define RL_WRITES_H

#include "sparql.h"
#include "store.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdint.h>

typedef struct rl_writes {
    rl_store *store;
    pthread_mutex_t *lock; /* the server's store lock */
    rl_sparql *sparql;     /* for the parse check; NULL = parse in-process */
    uint64_t max_body;
    const char *default_graph;
} rl_writes;

enum MHD_Result rl_writes_update(rl_writes *w, struct MHD_Connection *c, const char *method,
                                 const char *upload, size_t *upload_size, void **con_cls,
                                 unsigned *code);
enum MHD_Result rl_writes_store(rl_writes *w, struct MHD_Connection *c, const char *method,
                                const char *upload, size_t *upload_size, void **con_cls,
                                unsigned *code);
/* Frees a request's state (MHD_OPTION_NOTIFY_COMPLETED). */
void rl_writes_completed(void **con_cls);
/* Whether a request state belongs to these routes. */
int rl_writes_owns(void *con_cls);

#endif
