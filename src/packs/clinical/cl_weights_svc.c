/* cl_weights_svc.c: the weights schedule (see the header). */
#include "cl_weights_svc.h"

#include "cl_trace.h"
#include "spawn.h"
#include "timefmt.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WS_TZ 480          /* the stored times' offset: the site's (+08:00) */
#define WS_TIMEOUT_S 3600.0 /* one recomputation at most */

typedef struct wsvc {
    const rl_service_env *env;
    double every_s;
    pthread_mutex_t mu; /* guards the figures below (metrics() runs on HTTP threads) */
    rl__cl_weights last;
    int have_last;
    unsigned long runs, failed;
} wsvc;

static rl_status ws_open(const char *const *values, size_t n, const rl_service_env *env, void **state, char *err,
                         size_t cap)
{
    char *end;
    double m = strtod(values[n - 1], &end);
    if (*end || end == values[n - 1] || m < 0 || m > 7 * 24 * 60)
        return rl_errorf(err, cap, RL_ERR_USAGE, "--weights-every: '%s' is not a number of minutes (0 to 10080)",
                         values[n - 1]);
    wsvc *w = calloc(1, sizeof *w);
    if (!w) return rl_errorf(err, cap, RL_ERR_NOMEM, "out of memory");
    w->env = env;
    w->every_s = m * 60;
    pthread_mutex_init(&w->mu, NULL);
    *state = w;
    return RL_OK;
}

/* `rootline weights --findings --json --as-of NOW` as a child process: the
 * analysis never runs in the supervisor (a crash or a big site costs the
 * child only).  RL_ERR_NOTFOUND when the store holds no results. */
static rl_status ws_run(wsvc *w, double now, rl__cl_weights *out, char *err, size_t cap)
{
    char at[40];
    rl_time_iso_tz(now, WS_TZ, at, sizeof at);
    const char *argv[] = {w->env->exe, "--store", w->env->store_uri, "weights", "--findings", "--json", "--as-of", at, NULL};
    rl_buf o, e;
    rl_buf_init(&o, (size_t)1 << 20);
    rl_buf_init(&e, (size_t)64 << 10);
    int ec = -1;
    rl_status st = RL_OK;
    rl_spawn_end end = rl_spawn_run(argv, WS_TIMEOUT_S, &o, &e, &ec);
    if (end == RL_SPAWN_EXITED && ec == 2) st = RL_ERR_NOTFOUND;
    else if (end != RL_SPAWN_EXITED || ec != 0)
        st = rl_errorf(err, cap, RL_ERR_INTERNAL, "`rootline weights` %s: %.300s",
                       end == RL_SPAWN_DEADLINE ? "passed its deadline" : end == RL_SPAWN_SIGNALED ? "crashed" : "failed",
                       e.data ? (const char *)e.data : "");
    else {
        json_t *j = json_loadb(o.data ? (const char *)o.data : "", o.len, 0, NULL);
        memset(out, 0, sizeof *out);
        for (int i = 0; i < 3; i++)
            out->w[i] = json_number_value(json_object_get(json_array_get(json_object_get(j, "levels"), (size_t)i), "weight"));
        if (!j) st = rl_errorf(err, cap, RL_ERR_INTERNAL, "`rootline weights` printed no JSON");
        json_decref(j);
    }
    rl_buf_free(&o);
    rl_buf_free(&e);
    return st;
}

static double ws_step(void *state, double now)
{
    wsvc *w = state;
    if (w->every_s <= 0) return 86400;
    char err[1024], msg[1200];
    rl__cl_weights out;
    if (!w->env->exe || !w->env->store_uri) {
        if (!w->runs++) w->env->log(w->env->log_ctx, "warn", "level weights: no rootline binary to run them with; off");
        return 86400;
    }
    rl_status st = ws_run(w, now, &out, err, sizeof err);
    if (st == RL_ERR_NOTFOUND) return w->every_s; /* no results yet: nothing stored, nothing to report */
    pthread_mutex_lock(&w->mu);
    w->runs++;
    if (st == RL_OK) w->last = out, w->have_last = 1;
    else w->failed++;
    pthread_mutex_unlock(&w->mu);
    if (st != RL_OK) {
        snprintf(msg, sizeof msg, "weights and findings not stored: %s", err);
        w->env->log(w->env->log_ctx, "error", msg);
    } else {
        snprintf(msg, sizeof msg, "level weights %.2f %.2f %.2f and the findings stored", out.w[0], out.w[1], out.w[2]);
        w->env->log(w->env->log_ctx, "info", msg);
    }
    return w->every_s;
}

static rl_status ws_metrics(void *state, rl_buf *out)
{
    wsvc *w = state;
    rl_status st;
    pthread_mutex_lock(&w->mu);
    st = rl_buf_printf(out,
                       "# HELP rootline_weights_runs_total Level weight recomputations, by outcome.\n"
                       "# TYPE rootline_weights_runs_total counter\n"
                       "rootline_weights_runs_total{outcome=\"ok\"} %lu\nrootline_weights_runs_total{outcome=\"failed\"} %lu\n",
                       w->runs - w->failed, w->failed);
    if (st == RL_OK && w->have_last) {
        st = rl_buf_printf(out, "# HELP rootline_level_weight The weight of each level of the causal trace.\n"
                                "# TYPE rootline_level_weight gauge\n");
        for (int i = 0; st == RL_OK && i < 3; i++)
            st = rl_buf_printf(out, "rootline_level_weight{level=\"%d\"} %.4f\n", i + 1, w->last.w[i]);
    }
    pthread_mutex_unlock(&w->mu);
    return st;
}

static void ws_close(void *state)
{
    wsvc *w = state;
    if (!w) return;
    pthread_mutex_destroy(&w->mu);
    free(w);
}

const rl_pack_service rl_cl_weights_service = {
    "level-weights",
    "weights-every",
    "MINUTES",
    "recompute the causal trace's level weights from recent evidence and store them with the findings as of "
    "then (default every 15 minutes; 0 = never)",
    ws_open,
    ws_step,
    ws_metrics,
    ws_close,
    "15",
};
