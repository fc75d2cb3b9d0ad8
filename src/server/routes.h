/* routes.h: pack routes (pack.h rl_pack_route) answered by the pack's
 * command in a child process: one child per request, or for a resident
 * route one long-lived child per route (resident.h), requests to it taken
 * one at a time.  Output ceiling 64 MiB (500 past it, the child killed),
 * deadline as given (503 past it, the child killed and, if resident,
 * started again on the next request).  Thread-safe. */
#ifndef RL_ROUTES_H
#define RL_ROUTES_H

#include "pack.h"

#include <microhttpd.h>

/* The route of `routes` (NULL-terminated, may be NULL) whose path is url. */
const rl_pack_route *rl_route_find(const rl_pack_route *const *routes, const char *url);

/* The routes of one server: `exe` the rootline binary, `store_uri` the
 * store (both copied).  Starts nothing.  NULL if out of memory. */
typedef struct rl_routes rl_routes;
rl_routes *rl_routes_new(const rl_pack_route *const *routes, const char *exe, const char *store_uri);
/* Stops every resident child and frees.  NULL is a no-op. */
void rl_routes_free(rl_routes *rs);

/* Runs route r (one of rs's) for this GET request within `timeout` seconds.
 * *code gets the status queued. */
enum MHD_Result rl_route_request(rl_routes *rs, const rl_pack_route *r, struct MHD_Connection *conn,
                                 const char *method, double timeout, unsigned *code);

#endif
