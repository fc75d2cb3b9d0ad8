/* routes.c: fork + exec the pack command (or ask its resident child),
 * collect its output with a deadline. */
#include "routes.h"

#include "buf.h"
#include "reply.h"
#include "resident.h"
#include "spawn.h"
#include "timefmt.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ARGV_MAX 64
#define OUT_MAX ((size_t)64 << 20)
#define ERR_MAX ((size_t)64 << 10)
#define ROUTES_MAX 32

typedef struct resident_slot {
    const rl_pack_route *rt;
    rl_resident *child;
    pthread_mutex_t mu; /* one request at a time */
} resident_slot;

struct rl_routes {
    char *exe, *store_uri;
    resident_slot slot[ROUTES_MAX];
    size_t nslot;
};

const rl_pack_route *rl_route_find(const rl_pack_route *const *routes, const char *url)
{
    for (size_t i = 0; routes && routes[i]; i++)
        if (!strcmp(routes[i]->path, url)) return routes[i];
    return NULL;
}

rl_routes *rl_routes_new(const rl_pack_route *const *routes, const char *exe, const char *store_uri)
{
    rl_routes *rs = calloc(1, sizeof *rs);
    if (!rs || !(rs->exe = strdup(exe ? exe : "")) || !(rs->store_uri = strdup(store_uri ? store_uri : ""))) {
        rl_routes_free(rs);
        return NULL;
    }
    for (size_t i = 0; routes && routes[i] && rs->nslot < ROUTES_MAX; i++) {
        if (!routes[i]->resident) continue;
        resident_slot *sl = &rs->slot[rs->nslot];
        const char *argv[] = {rs->exe, "--store", rs->store_uri, routes[i]->command, "--resident", NULL};
        if (!(sl->child = rl_resident_new(argv))) {
            rl_routes_free(rs);
            return NULL;
        }
        sl->rt = routes[i];
        pthread_mutex_init(&sl->mu, NULL);
        rs->nslot++;
    }
    return rs;
}

void rl_routes_free(rl_routes *rs)
{
    if (!rs) return;
    for (size_t i = 0; i < rs->nslot; i++) {
        rl_resident_free(rs->slot[i].child);
        pthread_mutex_destroy(&rs->slot[i].mu);
    }
    free(rs->exe);
    free(rs->store_uri);
    free(rs);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type, const void *body, size_t n,
                             unsigned *code)
{
    return rl__reply(c, status, type, body, n, status == 405 ? "GET" : NULL, code);
}

static resident_slot *slot_of(rl_routes *rs, const rl_pack_route *rt)
{
    for (size_t i = 0; i < rs->nslot; i++)
        if (rs->slot[i].rt == rt) return &rs->slot[i];
    return NULL;
}

/* Asks the route's resident child; waits for it at most until the deadline. */
static rl_spawn_end resident_run(resident_slot *sl, const char *const *args, double timeout, rl_buf *out, rl_buf *err,
                                 int *ec)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    double whole = floor(timeout);
    until.tv_sec += (time_t)whole;
    until.tv_nsec += (long)((timeout - whole) * 1e9);
    if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
    double t0 = rl_time_now();
    if (pthread_mutex_timedlock(&sl->mu, &until)) return RL_SPAWN_DEADLINE; /* the one before is still running */
    double left = timeout - (rl_time_now() - t0);
    rl_spawn_end end = left > 0 ? rl_resident_call(sl->child, args, left, out, err, ec) : RL_SPAWN_DEADLINE;
    pthread_mutex_unlock(&sl->mu);
    return end;
}

enum MHD_Result rl_route_request(rl_routes *rs, const rl_pack_route *rt, struct MHD_Connection *c,
                                 const char *method, double timeout, unsigned *code)
{
    if (strcmp(method, "GET")) return reply(c, 405, "text/plain; charset=utf-8", "method not allowed: GET\n", 24, code);
    const char *argv[ARGV_MAX];
    char opt[32][80];
    size_t n = 0, no = 0, first;
    argv[n++] = rs->exe, argv[n++] = "--store", argv[n++] = rs->store_uri, argv[n++] = rt->command;
    first = n; /* a resident child gets the arguments from here on */
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
    resident_slot *sl = rt->resident ? slot_of(rs, rt) : NULL;
    rl_spawn_end end = sl ? resident_run(sl, argv + first, timeout, &out, &err, &ec)
                          : rl_spawn_run(argv, timeout, &out, &err, &ec);
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
