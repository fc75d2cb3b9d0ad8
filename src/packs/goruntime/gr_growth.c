/* gr_growth.c: online growth windows, alerts and delta threshold. */
#include "gr_growth.h"

#include "gr_series.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct rl_gr_growth {
    double y[RL_GR_WINDOW]; /* last totals, ring */
    size_t n;               /* totals pushed */
    double *k;              /* window slopes remembered, ring of `hist` */
    size_t nk, k0, hist;
    double *tmp;            /* sort scratch, max(hist, 720) */
    int over_run;           /* consecutive windows over baseline */
    double inc[RL_GR_DELTA_WINDOW]; /* last increments, ring */
    size_t ninc;
    size_t alerts;
};

rl_gr_growth *rl_gr_growth_new(size_t history)
{
    rl_gr_growth *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->hist = history ? history : 17280;
    size_t t = g->hist > RL_GR_DELTA_WINDOW ? g->hist : RL_GR_DELTA_WINDOW;
    g->k = calloc(g->hist, sizeof *g->k);
    g->tmp = calloc(t, sizeof *g->tmp);
    if (!g->k || !g->tmp) {
        rl_gr_growth_free(g);
        return NULL;
    }
    return g;
}

void rl_gr_growth_free(rl_gr_growth *g)
{
    if (!g) return;
    free(g->k);
    free(g->tmp);
    free(g);
}

size_t rl_gr_growth_alerts(const rl_gr_growth *g)
{
    return g->alerts;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

rl_status rl_gr_growth_push(rl_gr_growth *g, double total, rl_gr_growth_step *out)
{
    memset(out, 0, sizeof *out);
    if (g->n) {
        /* delta: judge this increment against the ones before it */
        double inc = total - g->y[(g->n - 1) % RL_GR_WINDOW];
        size_t m = g->ninc < RL_GR_DELTA_WINDOW ? g->ninc : RL_GR_DELTA_WINDOW;
        if (g->ninc >= RL_GR_WINDOW) {
            for (size_t i = 0; i < m; i++) g->tmp[i] = g->inc[i];
            qsort(g->tmp, m, sizeof *g->tmp, cmp_dbl);
            size_t rank = (size_t)ceil(0.95 * (double)m);
            out->delta_checked = 1;
            out->increment = inc;
            out->threshold = g->tmp[rank ? rank - 1 : 0] * RL_GR_FACTOR;
            out->delta_finding = inc > out->threshold && inc > 0;
        }
        g->inc[g->ninc % RL_GR_DELTA_WINDOW] = inc;
        g->ninc++;
    }
    g->y[g->n % RL_GR_WINDOW] = total;
    g->n++;
    if (g->n < RL_GR_WINDOW) return RL_OK;
    double y[RL_GR_WINDOW];
    for (size_t i = 0; i < RL_GR_WINDOW; i++) y[i] = g->y[(g->n - RL_GR_WINDOW + i) % RL_GR_WINDOW];
    out->window = 1;
    out->k = rl_gr_slope(y, RL_GR_WINDOW);
    if (g->nk) {
        for (size_t i = 0; i < g->nk; i++) g->tmp[i] = g->k[(g->k0 + i) % g->hist];
        qsort(g->tmp, g->nk, sizeof *g->tmp, cmp_dbl);
        size_t n = g->nk;
        out->has_baseline = 1;
        out->baseline = n % 2 ? g->tmp[n / 2] : (g->tmp[n / 2 - 1] + g->tmp[n / 2]) / 2;
        out->over = out->k > RL_GR_FACTOR * out->baseline;
    }
    g->over_run = out->over ? g->over_run + 1 : 0;
    if (g->over_run >= RL_GR_ALERT_RUN) out->rule = "3 windows over 1.8 x baseline";
    else if (out->k > RL_GR_ABS_K) out->rule = "k > 5.0";
    if (out->rule) g->alerts++;
    if (g->nk < g->hist) g->k[(g->k0 + g->nk++) % g->hist] = out->k;
    else {
        g->k[g->k0] = out->k;
        g->k0 = (g->k0 + 1) % g->hist;
    }
    return RL_OK;
}
