/* reply.h: queue a whole response from a buffer (copied).  Internal to the
 * server.  Thread-safe. */
#ifndef RL_REPLY_H
#define RL_REPLY_H

#include <microhttpd.h>
#include <stddef.h>

/* Queues `n` bytes of `body` with status and Content-Type (and Allow when
 * `allow` is non-NULL); *code = status.  MHD_NO when out of memory. */
enum MHD_Result rl__reply(struct MHD_Connection *c, unsigned status, const char *type, const void *body, size_t n,
                          const char *allow, unsigned *code);

#endif
