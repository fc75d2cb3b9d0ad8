/* cl_weights.c: the level weights (seed §5.2), from rules that are data.
 *
 * Each level has a rule (rl:WeightRule in ontology/clinical/weights.ttl):
 * a base weight, a raised weight, an evidence count that raises it and a
 * window.  The evidence counted in the window before `at`:
 *   level 1  beyond-limit patient results from one department, when that
 *            department sent at least half of all such results (one branch);
 *   level 2  QC results that broke a Westgard rejection rule;
 *   level 3  beyond-limit results on channels recalibrated or reconfigured
 *            in the 7 days before the result.
 * Stored weights (rl:LevelWeight, written by `rootline weights`) are used
 * when present for the time asked about. */
#include "cl_graph.h"
#include "cl_trace.h"
#include "import.h"
#include "timefmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHANGE_WINDOW_S (7 * 86400.0)

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static const double def_base[3] = {0.4, 0.3, 0.3}, def_raised[3] = {0.62, 0.45, 0.45};

/* The level (1..3) a rule or weight node is for: rl:forLevel rl:LevelN (its
 * rl:levelIndex), or 0. */
static int level_of(const rl__cl_site *s, rl_mg_id node)
{
    rl_mg_id l = rl_mg_one(s->g, node, s->p[CL_P_RULE_LEVEL]);
    double v;
    if (!l) return 0;
    if (rl_mg_num(s->g, l, s->p[CL_P_LEVEL_INDEX], &v)) return v >= 1 && v <= 3 ? (int)v : 0;
    const char *t = rl_mg_str(s->g, l);
    size_t n = strlen(t);
    return n > 6 && !strncmp(t + n - 6, "Level", 5) && t[n - 1] >= '1' && t[n - 1] <= '3' ? t[n - 1] - '0' : 0;
}

static void rules(const rl__cl_site *s, rl__cl_weights *w)
{
    for (int i = 0; i < 3; i++) {
        w->base[i] = def_base[i], w->raised[i] = def_raised[i];
        w->threshold[i] = 5, w->window_h[i] = 24;
    }
    w->from_graph = 0;
    rl_mg_iter it = rl_mg_with(s->g, s->p[CL_P_RULE_BASE]);
    rl_mg_id r;
    while (rl_mg_next(&it, &r)) {
        double v;
        int lv = level_of(s, r);
        if (!lv || !*rl_mg_text(s->g, r, s->p[CL_P_RULE_BASE])) continue;
        int i = lv - 1;
        if (rl_mg_num(s->g, r, s->p[CL_P_RULE_BASE], &v) && v >= 0) w->base[i] = v;
        if (rl_mg_num(s->g, r, s->p[CL_P_RULE_RAISED], &v) && v >= 0) w->raised[i] = v;
        if (rl_mg_num(s->g, r, s->p[CL_P_RULE_THRESHOLD], &v) && v > 0) w->threshold[i] = v;
        if (rl_mg_num(s->g, r, s->p[CL_P_RULE_WINDOW], &v) && v > 0) w->window_h[i] = v;
        w->from_graph = 1;
    }
}

/* The times at which channel ch of `analyzer` changed: each calibration
 * epoch when the channel has more than one, and each setting change of the
 * analyzer that names this channel or none.  Sorted; *n of them. */
static rl_status change_times(const rl__cl_site *s, rl_mg_id analyzer, rl_mg_id ch, double **out, size_t *n)
{
    double *t = NULL;
    size_t nt = 0, cap = 0, epochs = 0;
    rl_status r = RL_OK;
    rl_mg_iter it = rl_mg_subjects(s->g, s->p[CL_P_EPOCH_OF], ch);
    rl_mg_id e;
    while (ch && r == RL_OK && rl_mg_next(&it, &e)) {
        double et;
        if (!rl__cl_time(s, e, CL_P_CALIBRATED_AT, &et)) continue;
        epochs++;
        if ((r = rl_array_grow((void **)&t, &cap, nt + 1, sizeof *t, (size_t)1 << 24)) == RL_OK) t[nt++] = et;
    }
    if (epochs < 2) nt = 0; /* one calibration is the channel's start, not a change */
    rl_mg_iter si = rl_mg_with(s->g, s->p[CL_P_PARAMETER]); /* setting changes only, not every result */
    while (r == RL_OK && rl_mg_next(&si, &e)) {
        double et;
        if (rl_mg_one(s->g, e, s->p[CL_P_ANALYZER]) != analyzer) continue;
        if (!*rl_mg_text(s->g, e, s->p[CL_P_PARAMETER]) || !rl__cl_time(s, e, CL_P_AT, &et)) continue;
        rl_mg_id xc = rl_mg_one(s->g, e, s->p[CL_P_CHANNEL]);
        if (xc && xc != ch) continue;
        if ((r = rl_array_grow((void **)&t, &cap, nt + 1, sizeof *t, (size_t)1 << 24)) == RL_OK) t[nt++] = et;
    }
    if (r != RL_OK) {
        free(t);
        return r;
    }
    if (nt > 1) qsort(t, nt, sizeof *t, cmp_double);
    *out = t, *n = nt;
    return RL_OK;
}

/* Index of the first of t[0..n) greater than x (t sorted). */
static size_t upper(const double *t, size_t n, double x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t m = lo + (hi - lo) / 2;
        if (t[m] <= x) lo = m + 1;
        else hi = m;
    }
    return lo;
}

/* How many of t[0..n) lie in (from, to]. */
static long count_in(const double *t, size_t n, double from, double to)
{
    size_t a = upper(t, n, from), b = upper(t, n, to);
    return b > a ? (long)(b - a) : 0;
}

rl_status rl__cl_weights_index(rl__cl_site *s)
{
    rl_status r = RL_OK;
    size_t cq = 0, cc = 0;
    /* change times per (analyzer, channel), found once each */
    typedef struct { rl_mg_id an, ch; double *t; size_t n; } chg;
    chg *cache = NULL;
    size_t nc = 0, ccap = 0;
    for (size_t i = 0; i < s->nres && r == RL_OK; i++) {
        const cl_res *x = &s->res[i];
        if (x->qc && (x->westgard & CL_WG_REJECT) &&
            (r = rl_array_grow((void **)&s->ev_qc, &cq, s->nev_qc + 1, sizeof *s->ev_qc, (size_t)1 << 28)) == RL_OK)
            s->ev_qc[s->nev_qc++] = x->t;
        if (r != RL_OK || !x->dir || !x->evaluated) continue;
        size_t k = 0;
        while (k < nc && !(cache[k].an == x->analyzer && cache[k].ch == x->channel)) k++;
        if (k == nc) {
            if ((r = rl_array_grow((void **)&cache, &ccap, nc + 1, sizeof *cache, (size_t)1 << 20)) != RL_OK) break;
            cache[nc] = (chg){x->analyzer, x->channel, NULL, 0};
            if ((r = change_times(s, x->analyzer, x->channel, &cache[nc].t, &cache[nc].n)) != RL_OK) break;
            nc++;
        }
        if (count_in(cache[k].t, cache[k].n, x->t - CHANGE_WINDOW_S, x->t) &&
            (r = rl_array_grow((void **)&s->ev_ch, &cc, s->nev_ch + 1, sizeof *s->ev_ch, (size_t)1 << 28)) == RL_OK)
            s->ev_ch[s->nev_ch++] = x->t;
    }
    for (size_t k = 0; k < nc; k++) free(cache[k].t);
    free(cache);
    if (r == RL_OK) {
        if (s->nev_qc > 1) qsort(s->ev_qc, s->nev_qc, sizeof *s->ev_qc, cmp_double); /* qsort(NULL, 0): UB */
        if (s->nev_ch > 1) qsort(s->ev_ch, s->nev_ch, sizeof *s->ev_ch, cmp_double);
    }
    return r;
}

void rl__cl_weights_compute(const rl__cl_site *s, double at, rl__cl_weights *w)
{
    memset(w, 0, sizeof *w);
    rules(s, w);
    w->at = at;
    double from1 = at - w->window_h[0] * 3600, from2 = at - w->window_h[1] * 3600, from3 = at - w->window_h[2] * 3600;
    /* level 1: per patient stream, the department that sent most of its beyond-limit results (one branch) */
    for (size_t k = 0; k < s->nstreams; k++) {
        const cl_stream *sn = &s->streams[k];
        if (sn->qc || !sn->n) continue;
        rl_mg_id dept[64];
        long nd[64], total = 0;
        size_t nk = 0;
        for (size_t i = rl__cl_stream_from(s, sn, from1); i < sn->n; i++) { /* only (from1, at] */
            const cl_res *r = &s->res[sn->res[i]];
            if (r->t > at) break;
            if (r->t <= from1 || !r->dir || !r->evaluated) continue;
            total++;
            size_t j = 0;
            while (j < nk && dept[j] != r->dept) j++;
            if (j == nk && nk < 64) dept[nk] = r->dept, nd[nk++] = 0;
            if (j < nk) nd[j]++;
        }
        for (size_t j = 0; j < nk; j++)
            if (dept[j] && nd[j] * 2 >= total && nd[j] > w->evidence[0]) w->evidence[0] = nd[j];
    }
    /* levels 2 and 3: counted in the indexes built at load */
    w->evidence[1] = count_in(s->ev_qc, s->nev_qc, from2, at);
    w->evidence[2] = count_in(s->ev_ch, s->nev_ch, from3, at);
    for (int i = 0; i < 3; i++) w->w[i] = (double)w->evidence[i] >= w->threshold[i] ? w->raised[i] : w->base[i];
}

int rl__cl_weights_stored(const rl__cl_site *s, double at, rl__cl_weights *w)
{
    /* rl:LevelWeight nodes: rl:forLevel, rl:weight, rl:computedAt, rl:evidenceCount */
    double best_t[3] = {-INFINITY, -INFINITY, -INFINITY};
    rl_mg_id best[3] = {0, 0, 0};
    rl_mg_iter it = rl_mg_with(s->g, s->p[CL_P_W_VALUE]);
    rl_mg_id x;
    while (rl_mg_next(&it, &x)) {
        double t;
        int lv = level_of(s, x);
        if (!lv || !rl__cl_time(s, x, CL_P_W_COMPUTED, &t) || t > at) continue;
        int i = lv - 1;
        if (t > best_t[i]) best_t[i] = t, best[i] = x;
    }
    if (!best[0] || !best[1] || !best[2]) return 0;
    rl__cl_weights_compute(s, at, w); /* rules and today's evidence, then the stored values */
    for (int i = 0; i < 3; i++) {
        double v, e;
        if (!rl_mg_num(s->g, best[i], s->p[CL_P_W_VALUE], &v)) return 0;
        w->w[i] = v;
        if (rl_mg_num(s->g, best[i], s->p[CL_P_W_EVIDENCE], &e)) w->evidence[i] = (long)e;
    }
    w->at = best_t[0];
    snprintf(w->stored, sizeof w->stored, "%s", rl_mg_str(s->g, best[0]));
    return 1;
}

json_t *rl__cl_weights_json(const rl__cl_site *s, const rl__cl_weights *w)
{
    char b[40];
    json_t *o = json_object(), *lv = json_array();
    static const char *const what[3] = {
        "beyond-limit patient results from one department (at least half of all)",
        "QC results breaking a Westgard rejection rule",
        "beyond-limit results on channels recalibrated or reconfigured in the 7 days before"};
    for (int i = 0; i < 3; i++) {
        json_t *x = json_object();
        json_object_set_new(x, "level", json_integer(i + 1));
        json_object_set_new(x, "weight", json_real(w->w[i]));
        json_object_set_new(x, "base", json_real(w->base[i]));
        json_object_set_new(x, "raised", json_real(w->raised[i]));
        json_object_set_new(x, "threshold", json_real(w->threshold[i]));
        json_object_set_new(x, "window_hours", json_real(w->window_h[i]));
        json_object_set_new(x, "evidence_count", json_integer(w->evidence[i]));
        json_object_set_new(x, "evidence", json_string(what[i]));
        json_array_append_new(lv, x);
    }
    json_object_set_new(o, "levels", lv);
    json_object_set_new(o, "computed_at", json_string(rl_time_iso_tz(w->at, s->tz, b, sizeof b)));
    json_object_set_new(o, "source", json_string(w->stored[0] ? "stored" : "computed for this answer"));
    json_object_set_new(o, "rules", json_string(w->from_graph ? "graph (rl:WeightRule)" : "built-in defaults"));
    if (w->stored[0]) json_object_set_new(o, "stored", json_string(w->stored));
    return o;
}

rl_status rl__cl_weights_turtle(const rl__cl_site *s, const rl__cl_weights *w, rl_buf *out)
{
    char when[40], stamp[40];
    rl_time_iso_tz(w->at, s->tz, when, sizeof when);
    rl_time_iso_tz(w->at, 0, stamp, sizeof stamp);
    for (char *p = stamp; *p; p++)
        if (*p == ':' || *p == '-') *p = '_';
    rl_status st = rl_buf_printf(out, "@prefix rl: <" CL_RL "> .\n@prefix xsd: <" CL_XSD "> .\n"
                                      "@prefix rdfs: <" CL_RDFS "> .\n\n");
    for (int i = 0; st == RL_OK && i < 3; i++)
        st = rl_buf_printf(out,
                           "<urn:rootline:clin:weights:%s:level%d> a rl:LevelWeight ;\n"
                           "    rl:forLevel rl:Level%d ;\n    rl:weight \"%.4f\"^^xsd:decimal ;\n"
                           "    rl:computedAt \"%s\"^^xsd:dateTime ;\n    rl:evidenceCount %ld ;\n"
                           "    rdfs:comment \"%s weight: %ld matching cases in the %.0f h window (threshold %.0f), "
                           "rules from %s\" .\n\n",
                           stamp, i + 1, i + 1, w->w[i], when, w->evidence[i],
                           w->w[i] == w->raised[i] && w->raised[i] != w->base[i] ? "raised" : "base",
                           w->evidence[i], w->window_h[i], w->threshold[i], w->from_graph ? "the graph" : "built-in defaults");
    return st;
}

rl_status rl__cl_weights_store_site(rl_store *st, const rl__cl_site *s, double at, const char *dir, rl__cl_weights *w_out,
                                    char *err, size_t cap)
{
    rl_buf ttl;
    rl_buf_init(&ttl, 1 << 20);
    char path[4096];
    FILE *f = NULL;
    rl_status r = RL_OK;
    if (!s->nres) { /* a store without results (another pack's, a test suite's): nothing to weigh */
        r = rl_errorf(err, cap, RL_ERR_NOTFOUND, "no results in the store: nothing to weigh");
        goto out;
    }
    rl__cl_weights w;
    rl__cl_weights_compute(s, at, &w);
    if ((r = rl__cl_weights_turtle(s, &w, &ttl)) != RL_OK) {
        rl_errorf(err, cap, r, "weights: %s", rl_strerror(r));
        goto out;
    }
    snprintf(path, sizeof path, "%s/weights-%.0f.ttl", dir, at);
    if (!(f = fopen(path, "w")) || fwrite(ttl.data, 1, ttl.len, f) != ttl.len) {
        r = rl_errorf(err, cap, RL_ERR_IO, "weights: cannot write %s", path);
        goto out;
    }
    if (fclose(f)) {
        f = NULL;
        r = rl_errorf(err, cap, RL_ERR_IO, "weights: cannot write %s", path);
        goto out;
    }
    f = NULL;
    rl_import_options io = {"turtle", 0, 0, RL_PROGRESS_NONE, NULL, NULL, NULL, 0, NULL};
    rl_import_result res;
    r = rl_import_file(st, path, &io, &res, err, cap);
    if (r == RL_OK && w_out) *w_out = w;
out:
    if (f) fclose(f);
    rl_buf_free(&ttl);
    return r;
}

rl_status rl__cl_weights_store(rl_store *st, double at, int tz, const char *dir, rl__cl_weights *w_out, char *err,
                               size_t cap)
{
    rl__cl_site *s = NULL;
    rl_status r = rl__cl_site_load(st, at, 3, tz, &s, err, cap);
    if (r == RL_OK) r = rl__cl_weights_store_site(st, s, at, dir, w_out, err, cap);
    rl__cl_site_free(s);
    return r;
}
