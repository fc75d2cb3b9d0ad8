/* gr_series.c: growth windows, alerts, delta threshold, leak candidates. */
#include "gr_series.h"

#include "gr_growth.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SNAPSHOTS 100000

typedef struct snap {
    char *name;
    double t;
    rl_gr_dump *d;
    rl_gr_analysis *a;
} snap;

struct rl_gr_series {
    rl_gr_options opt;
    snap *s;
    size_t n, cap;
};

rl_gr_series *rl_gr_series_new(const rl_gr_options *opt)
{
    rl_gr_series *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    if (opt) s->opt = *opt;
    else s->opt = (rl_gr_options)RL_GR_OPTIONS_DEFAULT;
    return s;
}

void rl_gr_series_free(rl_gr_series *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->s[i].name);
        rl_gr_analysis_free(s->s[i].a);
        rl_gr_dump_free(s->s[i].d);
    }
    free(s->s);
    free(s);
}

rl_status rl_gr_series_add(rl_gr_series *s, const char *name, double t, rl_gr_dump *d)
{
    rl_status st = RL_OK;
    if (s->n && !(t > s->s[s->n - 1].t)) st = RL_ERR_USAGE;
    else if (s->n >= MAX_SNAPSHOTS) st = RL_ERR_LIMIT;
    else if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 16;
        snap *ns = realloc(s->s, nc * sizeof *ns);
        if (!ns) st = RL_ERR_NOMEM;
        else s->s = ns, s->cap = nc;
    }
    rl_gr_analysis *a = NULL;
    if (st == RL_OK) st = rl_gr_analyze(d, &s->opt, &a);
    char *nm = st == RL_OK ? strdup(name) : NULL;
    if (st == RL_OK && !nm) st = RL_ERR_NOMEM;
    if (st != RL_OK) {
        rl_gr_analysis_free(a);
        rl_gr_dump_free(d);
        return st;
    }
    s->s[s->n++] = (snap){nm, t, d, a};
    return RL_OK;
}

double rl_gr_slope(const double *y, size_t n)
{
    if (n < 2) return 0;
    double sx = 0, sy = 0, sxy = 0, sxx = 0;
    for (size_t i = 0; i < n; i++) {
        double x = (double)i;
        sx += x;
        sy += y[i];
        sxy += x * y[i];
        sxx += x * x;
    }
    double den = (double)n * sxx - sx * sx;
    return den == 0 ? 0 : ((double)n * sxy - sx * sy) / den;
}

double rl_gr_series_total_slope(const rl_gr_series *s)
{
    if (s->n < 2) return 0;
    double sx = 0, sy = 0, sxy = 0, sxx = 0, n = (double)s->n;
    for (size_t i = 0; i < s->n; i++) {
        double x = s->s[i].t - s->s[0].t, y = (double)s->s[i].a->total;
        sx += x;
        sy += y;
        sxy += x * y;
        sxx += x * x;
    }
    double den = n * sxx - sx * sx;
    return den == 0 ? 0 : (n * sxy - sx * sy) / den;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median of v[0..n) (sorted copy in tmp). */
static double median(const double *v, size_t n, double *tmp)
{
    memcpy(tmp, v, n * sizeof *v);
    qsort(tmp, n, sizeof *tmp, cmp_dbl);
    return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

static json_t *round_real(double v)
{
    return json_real(round(v * 1e6) / 1e6);
}

/* Growth windows, alerts and delta findings: the series through one online
 * detector (gr_growth.c), which the live scraper uses too. */
static void growth_json(const rl_gr_series *s, double interval, json_t *out)
{
    json_t *wins = json_array(), *alerts = json_array(), *found = json_array();
    rl_gr_growth *g = rl_gr_growth_new(MAX_SNAPSHOTS);
    for (size_t i = 0; g && i < s->n; i++) {
        rl_gr_growth_step st;
        if (rl_gr_growth_push(g, (double)s->s[i].a->total, &st) != RL_OK) break;
        if (st.delta_checked && st.delta_finding)
            json_array_append_new(found, json_pack("{s:I,s:s,s:o,s:o}", "snapshot", (json_int_t)i,
                                                   "file", s->s[i].name, "increment",
                                                   round_real(st.increment), "threshold",
                                                   round_real(st.threshold)));
        if (!st.window) continue;
        json_t *o = json_pack("{s:I,s:s,s:o,s:o,s:b}", "end_snapshot", (json_int_t)i, "end_file",
                              s->s[i].name, "k_per_sample", round_real(st.k), "k_per_s",
                              round_real(interval > 0 ? st.k / interval : 0), "over_baseline", st.over);
        json_object_set_new(o, "baseline", st.has_baseline ? round_real(st.baseline) : json_null());
        json_array_append_new(wins, o);
        if (st.rule) {
            json_t *al = json_pack("{s:I,s:s,s:s,s:o}", "window_end_snapshot", (json_int_t)i,
                                   "snapshot_kept", s->s[i].name, "rule", st.rule, "k_per_sample",
                                   round_real(st.k));
            json_object_set_new(al, "baseline", st.has_baseline ? round_real(st.baseline) : json_null());
            json_array_append_new(alerts, al);
        }
    }
    rl_gr_growth_free(g);
    json_object_set_new(out, "windows", wins);
    json_object_set_new(out, "alerts", alerts);
    json_object_set_new(out, "delta_findings", found);
}

/* Groups across snapshots, keyed by signature. */
typedef struct sgroup {
    const char *key;
    const rl_gr_dump *d; /* where the representative lives */
    size_t rep;          /* goroutine index in d */
    uint64_t *counts;
    int present_all, monotone;
    long long growth;
} sgroup;

static json_t *chain_json(const rl_gr_dump *d, size_t gi)
{
    const rl_gr_goroutine *g = &d->g[gi];
    json_t *c = json_array();
    for (size_t k = 0; k < g->nframes; k++) {
        const rl_gr_frame *f = &d->frames[g->first_frame + k];
        json_array_append_new(c, json_sprintf("%s %s:%d", f->func, f->file, f->line));
    }
    if (g->has_creator)
        json_array_append_new(c, json_sprintf("created by %s %s:%d", g->created_by.func,
                                              g->created_by.file, g->created_by.line));
    return c;
}

static int cmp_growth(const void *a, const void *b)
{
    const sgroup *x = *(const sgroup *const *)a, *y = *(const sgroup *const *)b;
    if (x->growth != y->growth) return x->growth > y->growth ? -1 : 1;
    return strcmp(x->key, y->key);
}

static void groups_json(const rl_gr_series *s, json_t *out)
{
    json_t *groups = json_array(), *cands = json_array();
    size_t cap = 0, ng = 0;
    for (size_t i = 0; i < s->n; i++) cap += s->s[i].a->ngroups;
    sgroup *g = calloc(cap + 1, sizeof *g);
    sgroup **order = calloc(cap + 1, sizeof *order);
    uint64_t *counts = calloc((cap + 1) * (s->n + 1), sizeof *counts);
    size_t tcap = 64;
    while (tcap < cap * 2 + 2) tcap *= 2;
    size_t *table = calloc(tcap, sizeof *table);
    for (size_t i = 0; g && order && counts && table && i < s->n; i++) {
        const rl_gr_analysis *a = s->s[i].a;
        for (size_t k = 0; k < a->ngroups; k++) {
            const rl_gr_group *gr = &a->groups[k];
            size_t h = 0;
            for (int c = 0; c < 12; c++) h = h * 31 + (unsigned char)gr->key[c];
            size_t slot = h & (tcap - 1);
            while (table[slot] && strcmp(g[table[slot] - 1].key, gr->key)) slot = (slot + 1) & (tcap - 1);
            if (!table[slot]) {
                g[ng] = (sgroup){gr->key, s->s[i].d, gr->first, counts + ng * s->n, 0, 0, 0};
                table[slot] = ++ng;
            }
            g[table[slot] - 1].counts[i] = gr->count;
        }
    }
    for (size_t j = 0; j < ng; j++) {
        sgroup *x = &g[j];
        x->present_all = 1;
        x->monotone = 1;
        for (size_t i = 0; i < s->n; i++) {
            if (!x->counts[i]) x->present_all = 0;
            if (i && x->counts[i] < x->counts[i - 1]) x->monotone = 0;
        }
        x->growth = s->n ? (long long)x->counts[s->n - 1] - (long long)x->counts[0] : 0;
        json_t *cs = json_array();
        for (size_t i = 0; i < s->n; i++) json_array_append_new(cs, json_integer((json_int_t)x->counts[i]));
        const char *st = rl_gr_wait_reason(x->d, x->rep);
        const rl_gr_goroutine *rep = &x->d->g[x->rep];
        json_array_append_new(groups, json_pack("{s:s,s:s,s:s,s:o,s:I,s:b}", "key", x->key, "state",
                                                st[0] ? st : "unknown", "top_frame",
                                                rep->nframes ? x->d->frames[rep->first_frame].func : "",
                                                "counts", cs, "growth", (json_int_t)x->growth,
                                                "present_in_all", x->present_all));
        order[j] = x;
    }
    qsort(order, ng, sizeof *order, cmp_growth);
    for (size_t j = 0, taken = 0; j < ng && taken < 5; j++) {
        sgroup *x = order[j];
        if (!x->present_all || !x->monotone || x->growth <= 0 || s->n < 2) continue;
        const char *st = rl_gr_wait_reason(x->d, x->rep);
        json_array_append_new(cands, json_pack("{s:s,s:s,s:I,s:I,s:o}", "key", x->key, "state",
                                               st[0] ? st : "unknown", "growth",
                                               (json_int_t)x->growth, "last_count",
                                               (json_int_t)x->counts[s->n - 1], "call_chain",
                                               chain_json(x->d, x->rep)));
        taken++;
    }
    json_object_set_new(out, "groups", groups);
    json_object_set_new(out, "leak_candidates", cands);
    free(g);
    free(order);
    free(counts);
    free(table);
}

json_t *rl_gr_series_json(const rl_gr_series *s)
{
    json_t *out = json_object(), *snaps = json_array();
    double *dt = calloc(s->n + 1, sizeof *dt), *tmp = calloc(s->n + 1, sizeof *tmp);
    for (size_t i = 0; i < s->n; i++) {
        const rl_gr_analysis *a = s->s[i].a;
        json_array_append_new(snaps, json_pack("{s:s,s:o,s:I,s:I,s:I,s:I}", "file", s->s[i].name,
                                               "time_s", round_real(s->s[i].t - s->s[0].t),
                                               "goroutines", (json_int_t)a->total, "groups",
                                               (json_int_t)a->ngroups, "leaked", (json_int_t)a->leaked,
                                               "suspects", (json_int_t)a->suspects));
        if (i && dt) dt[i - 1] = s->s[i].t - s->s[i - 1].t;
    }
    double interval = s->n > 1 && dt && tmp ? median(dt, s->n - 1, tmp) : 0;
    json_object_set_new(out, "snapshots", snaps);
    json_object_set_new(out, "sample_interval_s", round_real(interval));
    json_object_set_new(out, "total_slope_per_s", round_real(rl_gr_series_total_slope(s)));
    growth_json(s, interval, out);
    groups_json(s, out);
    free(dt);
    free(tmp);
    return out;
}
