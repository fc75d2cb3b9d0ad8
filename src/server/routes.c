/* routes.c: fork + exec the pack command, collect its output with a deadline. */
#include "routes.h"

#include "buf.h"
#include "reply.h"
#include "spawn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARGV_MAX 64
#define OUT_MAX ((size_t)64 << 20)
#define ERR_MAX ((size_t)64 << 10)

const rl_pack_route *rl_route_find(const rl_pack_route *const *routes, const char *url)
{
    for (size_t i = 0; routes && routes[i]; i++)
        if (!strcmp(routes[i]->path, url)) return routes[i];
    return NULL;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type, const void *body, size_t n,
                             unsigned *code)
{
    return rl__reply(c, status, type, body, n, status == 405 ? "GET" : NULL, code);
}

enum MHD_Result rl_route_request(const rl_pack_route *rt, struct MHD_Connection *c, const char *method,
                                 const char *exe, const char *store_uri, double timeout, unsigned *code)
{
    if (strcmp(method, "GET")) return reply(c, 405, "text/plain; charset=utf-8", "method not allowed: GET\n", 24, code);
    const char *argv[ARGV_MAX];
    char opt[32][80];
    size_t n = 0, no = 0;
    argv[n++] = exe, argv[n++] = "--store", argv[n++] = store_uri, argv[n++] = rt->command;
    for (size_t i = 0; rt->fixed && rt->fixed[i] && n < ARGV_MAX - 1; i++) argv[n++] = rt->fixed[i];
    for (size_t i = 0; rt->params && rt->params[i] && n < ARGV_MAX - 3 && no < 32; i++) {
        const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, rt->params[i]);
        if (!v) continue;
        snprintf(opt[no], sizeof opt[no], "--%s", rt->params[i]);
        argv[n++] = opt[no++];
        argv[n++] = v;
    }
    argv[n] = NULL;
    rl_buf out, err;
    rl_buf_init(&out, OUT_MAX);
    rl_buf_init(&err, ERR_MAX);
    int ec = -1;
    rl_spawn_end end = rl_spawn_run(argv, timeout, &out, &err, &ec);
    enum MHD_Result r;
    char msg[160];
    if (end == RL_SPAWN_DEADLINE) {
        snprintf(msg, sizeof msg, "deadline of %.0f s passed; the command was stopped\n", timeout);
        r = reply(c, 503, "text/plain; charset=utf-8", msg, strlen(msg), code);
    } else if (end == RL_SPAWN_LIMIT || end == RL_SPAWN_FAILED) {
        const char *m = end == RL_SPAWN_LIMIT ? "the answer is over 64 MiB, or reading it failed\n" : "cannot start the command\n";
        r = reply(c, 500, "text/plain; charset=utf-8", m, strlen(m), code);
    } else if (end == RL_SPAWN_EXITED && ec == 0) {
        r = reply(c, 200, rt->content_type, out.data ? (const char *)out.data : "", out.len, code);
    } else {
        unsigned st = end == RL_SPAWN_EXITED && ec == 1 ? 400 : end == RL_SPAWN_EXITED && ec == 2 ? 404 : 500;
        if (!err.len) rl_buf_puts(&err, end == RL_SPAWN_SIGNALED ? "the command crashed\n" : "the command failed\n");
        r = reply(c, st, "text/plain; charset=utf-8", err.data, err.len, code);
    }
    rl_buf_free(&out);
    rl_buf_free(&err);
    return r;
}
