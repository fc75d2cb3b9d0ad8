/* routes.h: pack routes (pack.h rl_pack_route) answered by a child process
 * running the pack's command.  Thread-safe: each request forks its own child.
 * Output ceiling 64 MiB (500 past it, the child killed), deadline as given. */
#ifndef RL_ROUTES_H
#define RL_ROUTES_H

#include "pack.h"

#include <microhttpd.h>

/* The route of `routes` (NULL-terminated, may be NULL) whose path is url. */
const rl_pack_route *rl_route_find(const rl_pack_route *const *routes, const char *url);

/* Runs the route for this GET request: `exe` the rootline binary, `store_uri`
 * the store, `timeout` seconds.  *code gets the status queued. */
enum MHD_Result rl_route_request(const rl_pack_route *r, struct MHD_Connection *conn, const char *method,
                                 const char *exe, const char *store_uri, double timeout, unsigned *code);

#endif
