/* cl_trace.c: walk the three levels from a run, gather the facts, rank the
 * hypotheses per level.  The rules and their thresholds are documented in
 * docs/modules/diagnose.md; keep the two in step. */
#include "cl_trace.h"

#include "cl_graph.h"
#include "timefmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_S 86400.0
#define WINDOW_S (7 * DAY_S)    /* centrifuge runs, channel and QC events: the last 7 days */
#define CONTEXT_S DAY_S         /* department / QC / patient comparisons: the day before detection */
#define IDS_MAX 64              /* ids listed per evidence item */

typedef struct tctx {
    const rl__cl_site *s;
    const cl_run *run;
    const cl_stream *sn;
    double t0, td, tl; /* first result, detection (Nth result), last result */
    json_t *prov;      /* fact IRI -> [batch graph IRIs] */
} tctx;

/* ---- small JSON helpers ---- */

static void jset(json_t *o, const char *k, json_t *v)
{
    if (v) json_object_set_new(o, k, v);
}

static json_t *jstr(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

static json_t *jtime(const rl__cl_site *s, double t)
{
    char b[40];
    if (!isfinite(t)) return json_null();
    return json_string(rl_time_iso_tz(t, s->tz, b, sizeof b));
}

static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(round(v * 1000) / 1000) : json_null();
}

static json_t *jtext(const rl__cl_site *s, rl_mg_id subj, int pred)
{
    return jstr(rl_mg_text(s->g, subj, s->p[pred]));
}

/* A literal that is a number when it parses as one. */
static json_t *jvalue(const rl__cl_site *s, rl_mg_id subj, int pred)
{
    double v;
    if (rl_mg_num(s->g, subj, s->p[pred], &v)) return jnum(v);
    return jtext(s, subj, pred);
}

typedef struct prov_cb {
    const rl__cl_site *s;
    json_t *arr;
} prov_cb;

static int prov_one(void *ctx, rl_mg_id graph)
{
    prov_cb *c = ctx;
    const char *gs = rl_mg_str(c->s->g, graph);
    size_t i;
    json_t *v;
    json_array_foreach(c->arr, i, v) if (!strcmp(json_string_value(v), gs)) return 0;
    json_array_append_new(c->arr, json_string(gs));
    return 0;
}

/* Records the batches that state (node, pred, *). */
static void prov(tctx *c, rl_mg_id node, int pred)
{
    if (!node) return;
    const char *key = rl_mg_str(c->s->g, node);
    json_t *arr = json_object_get(c->prov, key);
    if (!arr) {
        arr = json_array();
        json_object_set_new(c->prov, key, arr);
    }
    prov_cb cb = {c->s, arr};
    rl_mg_graphs(c->s->g, node, c->s->p[pred], 0, prov_one, &cb);
}

static void add_id(json_t *ids, const char *id)
{
    if (json_array_size(ids) < IDS_MAX) json_array_append_new(ids, json_string(id));
}

/* ---- entity descriptions ---- */

static json_t *dept_json(tctx *c, rl_mg_id d)
{
    const rl__cl_site *s = c->s;
    json_t *o = json_object();
    jset(o, "iri", jstr(rl_mg_str(s->g, d)));
    jset(o, "key", jtext(s, d, CL_P_ALIGN_KEY));
    jset(o, "code", jtext(s, d, CL_P_DEPT_CODE));
    jset(o, "campus", jtext(s, d, CL_P_CAMPUS_ID));
    jset(o, "name", jtext(s, d, CL_P_FULL_NAME));
    prov(c, d, CL_P_DEPT_CODE);
    return o;
}

static const char *dept_label(const rl__cl_site *s, rl_mg_id d, char *out, size_t cap)
{
    const char *name = rl_mg_text(s->g, d, s->p[CL_P_FULL_NAME]), *code = rl_mg_text(s->g, d, s->p[CL_P_DEPT_CODE]);
    if (*name || *code) snprintf(out, cap, "%s (%s)", *name ? name : "?", code);
    else rl__cl_tail(s, d, out, cap);
    return out;
}

static const char *sample_id(const rl__cl_site *s, rl_mg_id sample, char *out, size_t cap)
{
    const char *v = rl_mg_text(s->g, sample, s->p[CL_P_SAMPLE_ID]);
    if (*v) snprintf(out, cap, "%s", v);
    else rl__cl_tail(s, sample, out, cap);
    return out;
}

static json_t *result_json(tctx *c, const cl_res *r)
{
    const rl__cl_site *s = c->s;
    char b[256];
    json_t *o = json_object();
    jset(o, "id", json_string(sample_id(s, r->sample, b, sizeof b)));
    jset(o, "result", json_string(rl_mg_str(s->g, r->iri)));
    jset(o, "value", jvalue(s, r->iri, CL_P_VALUE));
    jset(o, "unit", jtext(s, r->iri, CL_P_UNIT));
    jset(o, "flag", jtext(s, r->iri, CL_P_FLAG));
    jset(o, "reference_range", jtext(s, r->iri, CL_P_REFRANGE));
    if (r->has_z) {
        jset(o, "z", jnum(r->z));
        jset(o, "target_mean", jnum(r->mean));
        jset(o, "target_sd", jnum(r->sd));
        if (r->target) jset(o, "target", json_string(rl_mg_str(s->g, r->target)));
    }
    jset(o, "direction", json_string(r->dir == 1 ? "high" : r->dir == -1 ? "low" : r->dir ? "abnormal" : "within"));
    jset(o, "completed", jtime(s, r->t));
    jset(o, "operator", jtext(s, r->iri, CL_P_OPERATOR));
    if (r->dept) {
        jset(o, "department_code", jtext(s, r->dept, CL_P_DEPT_CODE));
        jset(o, "department_key", jtext(s, r->dept, CL_P_ALIGN_KEY));
    }
    jset(o, "specimen_type", jtext(s, r->sample, CL_P_SPECIMEN_TYPE));
    if (r->unreliable) jset(o, "unreliable", jtext(s, r->iri, CL_P_UNRELIABLE_WHY));
    prov(c, r->iri, CL_P_RESULT_TIME);
    return o;
}

/* ---- which results: helpers over streams ---- */

/* The streams of the same analyzer x channel x test; qc: 1 QC, 0 patient. */
static size_t sibling_streams(const tctx *c, int qc, const cl_stream **out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < c->s->nstreams && n < cap; i++) {
        const cl_stream *o = &c->s->streams[i];
        if (o->analyzer == c->sn->analyzer && o->channel == c->sn->channel && o->test == c->sn->test && o->qc == qc)
            out[n++] = o;
    }
    return n;
}

typedef struct rate {
    long n, beyond;
} rate;

static rate stream_rate(const rl__cl_site *s, const cl_stream *sn, double from, double to, rl_mg_id dept, int not_dept)
{
    rate r = {0, 0};
    for (size_t i = rl__cl_stream_from(s, sn, from); i < sn->n; i++) {
        const cl_res *x = &s->res[sn->res[i]];
        if (x->t > to) break;
        if (x->t <= from || !x->evaluated) continue;
        if (dept && ((x->dept == dept) == not_dept)) continue;
        r.n++;
        if (x->dir) r.beyond++;
    }
    return r;
}

static double frac(rate r)
{
    return r.n ? (double)r.beyond / (double)r.n : 0;
}

/* ---- sections ---- */

static json_t *section_results(tctx *c)
{
    json_t *a = json_array();
    for (size_t i = 0; i < c->run->n; i++) json_array_append_new(a, result_json(c, &c->s->res[c->run->res[i]]));
    return a;
}

static json_t *section_stream(tctx *c)
{
    const rl__cl_site *s = c->s;
    char b[128];
    json_t *o = json_object();
    jset(o, "id", json_string(c->sn->id));
    jset(o, "analyzer", json_string(rl__cl_analyzer_code(s, c->sn->analyzer, b, sizeof b)));
    jset(o, "channel", json_string(rl__cl_channel_code(s, c->sn->channel, b, sizeof b)));
    jset(o, "test", json_string(rl__cl_test_code(s, c->sn->test, b, sizeof b)));
    jset(o, "kind", json_string(c->sn->qc ? "qc" : "patient"));
    if (c->sn->qc) {
        jset(o, "material", json_string(c->sn->material_name));
        jset(o, "level", json_string(c->sn->level_name));
    }
    return o;
}

static json_t *section_panels(tctx *c)
{
    const rl__cl_site *s = c->s;
    json_t *a = json_array();
    rl_mg_iter it = rl_mg_subjects(s->g, s->p[CL_P_HAS_MEMBER], c->sn->test);
    rl_mg_id p;
    while (rl_mg_next(&it, &p)) {
        if (!*rl_mg_text(s->g, p, s->p[CL_P_ALIGN_KEY]) && !*rl_mg_text(s->g, p, s->p[CL_P_PANEL_CODE])) continue;
        json_t *o = json_object();
        jset(o, "iri", json_string(rl_mg_str(s->g, p)));
        jset(o, "key", jtext(s, p, CL_P_ALIGN_KEY));
        jset(o, "code", jtext(s, p, CL_P_PANEL_CODE));
        jset(o, "name", jtext(s, p, CL_P_LABEL));
        jset(o, "specimen_type", jtext(s, p, CL_P_SPECIMEN_TYPE));
        json_array_append_new(a, o);
        prov(c, p, CL_P_HAS_MEMBER);
    }
    return a;
}

/* Local calendar day of t as "YYYY-MM-DD" and its start. */
static double local_day(const rl__cl_site *s, double t, char out[16])
{
    char b[40];
    rl_time_iso_tz(t, s->tz, b, sizeof b);
    snprintf(out, 16, "%.10s", b);
    double start = 0;
    char iso[40];
    snprintf(iso, sizeof iso, "%.10sT00:00:00", b);
    rl_time_parse_iso(iso, s->tz, &start, NULL);
    return start;
}

static double hm_seconds(const char *hm)
{
    int h = 0, m = 0;
    if (sscanf(hm, "%d:%d", &h, &m) < 1) return -1;
    return h * 3600.0 + m * 60.0;
}

static json_t *section_operators(tctx *c)
{
    const rl__cl_site *s = c->s;
    json_t *a = json_array();
    char day[16];
    double d0 = local_day(s, c->td, day);
    const char *bench = rl_mg_text(s->g, c->sn->test, s->p[CL_P_BENCH]);
    rl_mg_id dl = rl_mg_lit(s->g, day);
    rl_mg_iter it = rl_mg_subjects(s->g, s->p[CL_P_DATE], dl);
    rl_mg_id r;
    while (dl && rl_mg_next(&it, &r)) {
        if (!*rl_mg_text(s->g, r, s->p[CL_P_SHIFT])) continue;
        if (*bench && strcmp(rl_mg_text(s->g, r, s->p[CL_P_BENCH]), bench)) continue;
        json_t *o = json_object();
        jset(o, "operator", jtext(s, r, CL_P_OPERATOR));
        jset(o, "bench", jtext(s, r, CL_P_BENCH));
        jset(o, "date", json_string(day));
        jset(o, "shift", jtext(s, r, CL_P_SHIFT));
        jset(o, "start", jtext(s, r, CL_P_START_HM));
        jset(o, "end", jtext(s, r, CL_P_END_HM));
        double a0 = hm_seconds(rl_mg_text(s->g, r, s->p[CL_P_START_HM]));
        double a1 = hm_seconds(rl_mg_text(s->g, r, s->p[CL_P_END_HM]));
        int on = 0;
        for (size_t i = 0; i < c->run->n && a0 >= 0 && a1 > a0; i++) {
            double t = s->res[c->run->res[i]].t - d0;
            if (t >= a0 && t < a1) on = 1;
        }
        jset(o, "on_duty_during_run", json_boolean(on));
        jset(o, "roster", json_string(rl_mg_str(s->g, r)));
        json_array_append_new(a, o);
        prov(c, r, CL_P_SHIFT);
    }
    return a;
}

/* Lots of the QC results of this analyzer x channel x test that day, and the
 * lots in use then. */
typedef struct lotset {
    rl_mg_id lot[64];
    size_t n;
} lotset;

static void lot_add(lotset *l, rl_mg_id x)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->lot[i] == x) return;
    if (x && l->n < 64) l->lot[l->n++] = x;
}

static json_t *section_qc_results(tctx *c, lotset *lots, json_t **wg_summary)
{
    const rl__cl_site *s = c->s;
    const cl_stream *qs[64];
    size_t nq = sibling_streams(c, 1, qs, 64);
    char day[16];
    double d0 = local_day(s, c->td, day);
    json_t *a = json_array();
    for (size_t k = 0; k < nq; k++)
        for (size_t i = rl__cl_stream_from(s, qs[k], d0); i < qs[k]->n; i++) {
            const cl_res *r = &s->res[qs[k]->res[i]];
            if (r->t >= d0 + DAY_S) break;
            json_t *o = result_json(c, r);
            jset(o, "material", json_string(qs[k]->material_name));
            jset(o, "level", json_string(qs[k]->level_name));
            jset(o, "lot", jtext(s, r->lot, CL_P_LOT_NUMBER));
            json_t *w = json_array();
            for (unsigned b = 1; b <= CL_WG_10X_X; b <<= 1)
                if (r->westgard & b) json_array_append_new(w, json_string(rl__cl_wg_name(b)));
            jset(o, "westgard", w);
            jset(o, "reject", json_boolean((r->westgard & CL_WG_REJECT) != 0));
            json_array_append_new(a, o);
            lot_add(lots, r->lot);
        }
    (void)wg_summary;
    return a;
}

static json_t *section_qc_lots(tctx *c, lotset *lots)
{
    const rl__cl_site *s = c->s;
    /* lots of this analyzer's materials in use at detection */
    const cl_stream *qs[64];
    size_t nq = sibling_streams(c, 1, qs, 64);
    for (size_t k = 0; k < nq; k++)
        for (size_t i = qs[k]->n; i-- > 0;) {
            const cl_res *r = &s->res[qs[k]->res[i]];
            if (r->t <= c->td) {
                lot_add(lots, r->lot);
                break;
            }
        }
    json_t *a = json_array();
    for (size_t i = 0; i < lots->n; i++) {
        rl_mg_id l = lots->lot[i];
        json_t *o = json_object();
        char mat[128], *slash;
        rl__cl_tail(s, l, mat, sizeof mat);
        jset(o, "iri", json_string(rl_mg_str(s->g, l)));
        jset(o, "lot", jtext(s, l, CL_P_LOT_NUMBER));
        if ((slash = strchr(mat, '/'))) *slash = 0;
        jset(o, "material", json_string(mat));
        jset(o, "level", jtext(s, l, CL_P_QC_LEVEL));
        jset(o, "in_use_from", jtext(s, l, CL_P_IN_USE_FROM));
        jset(o, "in_use_to", jtext(s, l, CL_P_IN_USE_TO));
        double f, t;
        int in_use = (!rl__cl_time(s, l, CL_P_IN_USE_FROM, &f) || f <= c->td) &&
                     (!rl__cl_time(s, l, CL_P_IN_USE_TO, &t) || t >= c->td);
        jset(o, "in_use_at_detection", json_boolean(in_use));
        json_array_append_new(a, o);
        prov(c, l, CL_P_LOT_NUMBER);
    }
    return a;
}

/* QC events of the lots and the test in the 7 days up to detection:
 * lot events, lots taken into use, target changes.  *ev_before_run counts
 * those at or before the run's first result, for the level of the run's
 * stream (or any level when the run is of patients); ids go to ev_ids. */
static json_t *section_qc_events(tctx *c, const lotset *lots, int *ev_before_run, json_t *ev_ids)
{
    const rl__cl_site *s = c->s;
    json_t *a = json_array();
    double from = c->td - WINDOW_S;
    *ev_before_run = 0;
    for (size_t i = 0; i < lots->n; i++) {
        rl_mg_id l = lots->lot[i];
        int mine = !c->sn->qc || rl_mg_one(s->g, l, s->p[CL_P_QC_LEVEL]) == c->sn->level;
        rl_mg_iter it = rl_mg_subjects(s->g, s->p[CL_P_QC_LOT], l);
        rl_mg_id e;
        while (rl_mg_next(&it, &e)) {
            double t;
            int is_event = *rl_mg_text(s->g, e, s->p[CL_P_EVENT]) != 0;
            int is_target = *rl_mg_text(s->g, e, s->p[CL_P_TARGET_MEAN]) != 0;
            if (is_target && rl_mg_one(s->g, e, s->p[CL_P_TEST]) != c->sn->test) continue;
            if (!(is_event && rl__cl_time(s, e, CL_P_LAB_AT, &t)) && !(is_target && rl__cl_time(s, e, CL_P_VALID_FROM, &t)))
                continue;
            if (t < from || t > c->td) continue;
            json_t *o = json_object();
            jset(o, "kind", json_string(is_target ? "target_change" : "lot_event"));
            jset(o, "iri", json_string(rl_mg_str(s->g, e)));
            jset(o, "at", jtime(s, t));
            jset(o, "lot", jtext(s, l, CL_P_LOT_NUMBER));
            jset(o, "level", jtext(s, l, CL_P_QC_LEVEL));
            if (is_target) {
                jset(o, "target_mean", jvalue(s, e, CL_P_TARGET_MEAN));
                jset(o, "target_sd", jvalue(s, e, CL_P_TARGET_SD));
                jset(o, "source", jtext(s, e, CL_P_TARGET_SOURCE));
                jset(o, "entered_by", jtext(s, e, CL_P_ENTERED_BY));
                /* the target it replaced: same test and lot, the latest before */
                rl_mg_iter j = rl_mg_subjects(s->g, s->p[CL_P_QC_LOT], l);
                rl_mg_id p, best = 0;
                double bt = -INFINITY, pt;
                while (rl_mg_next(&j, &p))
                    if (p != e && *rl_mg_text(s->g, p, s->p[CL_P_TARGET_MEAN]) &&
                        rl_mg_one(s->g, p, s->p[CL_P_TEST]) == c->sn->test && rl__cl_time(s, p, CL_P_VALID_FROM, &pt) &&
                        pt < t && pt > bt)
                        best = p, bt = pt;
                if (best) {
                    jset(o, "previous_mean", jvalue(s, best, CL_P_TARGET_MEAN));
                    jset(o, "previous_sd", jvalue(s, best, CL_P_TARGET_SD));
                } else
                    jset(o, "previous_mean", json_null());
                prov(c, e, CL_P_TARGET_MEAN);
            } else {
                jset(o, "event", jtext(s, e, CL_P_EVENT));
                jset(o, "operator", jtext(s, e, CL_P_OPERATOR));
                jset(o, "note", jtext(s, e, CL_P_COMMENT));
                prov(c, e, CL_P_EVENT);
            }
            /* a lot event that just records the lot going into use at its start is routine
             * only when nothing else changed; every event in the window is listed. */
            int counts = is_target ? json_object_get(o, "previous_mean") && !json_is_null(json_object_get(o, "previous_mean"))
                                   : 1;
            if (mine && counts && t <= c->t0) {
                (*ev_before_run)++;
                add_id(ev_ids, rl_mg_str(s->g, e));
            }
            json_array_append_new(a, o);
        }
    }
    return a;
}

/* Channel: the physical channel, the epoch in force, calibrations, reagent
 * lot and setting changes in the window.  *change_t: the latest change at or
 * before the run's first result in the window (or -inf); ids to ch_ids. */
static json_t *section_channel(tctx *c, double *change_t, json_t *ch_ids)
{
    const rl__cl_site *s = c->s;
    json_t *o = json_object();
    rl_mg_id ch = c->sn->channel;
    char b[128];
    double from = c->td - WINDOW_S;
    *change_t = -INFINITY;
    jset(o, "iri", jstr(rl_mg_str(s->g, ch)));
    jset(o, "analyzer", json_string(rl__cl_analyzer_code(s, c->sn->analyzer, b, sizeof b)));
    jset(o, "channel_id", json_string(rl__cl_channel_code(s, ch, b, sizeof b)));
    jset(o, "mac", jtext(s, ch, CL_P_MAC));
    /* epochs in time order */
    rl_mg_id ep[256];
    double et[256];
    size_t ne = 0;
    rl_mg_iter it = rl_mg_subjects(s->g, s->p[CL_P_EPOCH_OF], ch);
    rl_mg_id e;
    while (ch && rl_mg_next(&it, &e) && ne < 256) {
        double t;
        if (!rl__cl_time(s, e, CL_P_CALIBRATED_AT, &t) || t > s->as_of) continue;
        size_t k = ne++;
        while (k > 0 && et[k - 1] > t) ep[k] = ep[k - 1], et[k] = et[k - 1], k--;
        ep[k] = e, et[k] = t;
    }
    long cur = -1;
    for (size_t i = 0; i < ne; i++)
        if (et[i] <= c->td) cur = (long)i;
    json_t *cals = json_array(), *reag = json_array(), *sets = json_array();
    for (size_t i = 0; i < ne; i++) {
        json_t *x = json_object();
        jset(x, "key", jtext(s, ep[i], CL_P_ALIGN_KEY));
        jset(x, "iri", json_string(rl_mg_str(s->g, ep[i])));
        jset(x, "calibrated_at", jtime(s, et[i]));
        jset(x, "reagent_lot", jtext(s, ep[i], CL_P_REAGENT_LOT));
        jset(x, "calibrator_lot", jtext(s, ep[i], CL_P_CALIBRATOR_LOT));
        jset(x, "isi", jvalue(s, ep[i], CL_P_ISI));
        jset(x, "mnpt_s", jvalue(s, ep[i], CL_P_MNPT));
        jset(x, "note", jtext(s, ep[i], CL_P_COMMENT));
        prov(c, ep[i], CL_P_CALIBRATED_AT);
        if ((long)i == cur) jset(o, "epoch", json_deep_copy(x));
        int in_window = et[i] >= from && et[i] <= c->td;
        if (in_window && i > 0) { /* a recalibration (the first epoch known is the baseline) */
            const char *r0 = rl_mg_text(s->g, ep[i - 1], s->p[CL_P_REAGENT_LOT]), *r1 = rl_mg_text(s->g, ep[i], s->p[CL_P_REAGENT_LOT]);
            if (strcmp(r0, r1)) {
                json_t *rc = json_object();
                jset(rc, "at", jtime(s, et[i]));
                jset(rc, "from", jstr(r0));
                jset(rc, "to", jstr(r1));
                jset(rc, "epoch", jtext(s, ep[i], CL_P_ALIGN_KEY));
                json_array_append_new(reag, rc);
            }
            if (et[i] <= c->t0 && et[i] > *change_t) *change_t = et[i];
            if (et[i] <= c->t0) add_id(ch_ids, rl_mg_str(s->g, ep[i]));
        }
        if (in_window) json_array_append_new(cals, x);
        else json_decref(x);
    }
    if (cur < 0) jset(o, "epoch", json_null());
    /* setting changes of this analyzer and channel */
    rl_mg_iter si = rl_mg_with(s->g, s->p[CL_P_PARAMETER]); /* the setting changes, not every result of the analyzer */
    rl_mg_id x;
    const char *chid = rl_mg_text(s->g, ch, s->p[CL_P_CHANNEL_ID]);
    while (rl_mg_next(&si, &x)) {
        double t;
        if (rl_mg_one(s->g, x, s->p[CL_P_ANALYZER]) != c->sn->analyzer) continue;
        if (!*rl_mg_text(s->g, x, s->p[CL_P_PARAMETER]) || !rl__cl_time(s, x, CL_P_AT, &t)) continue;
        rl_mg_id xc = rl_mg_one(s->g, x, s->p[CL_P_CHANNEL]);
        const char *xid = rl_mg_text(s->g, x, s->p[CL_P_CHANNEL_ID]);
        if (xc ? xc != ch : (*xid && strcmp(xid, chid))) continue;
        if (t < from || t > c->td) continue;
        json_t *y = json_object();
        jset(y, "iri", json_string(rl_mg_str(s->g, x)));
        jset(y, "at", jtime(s, t));
        jset(y, "parameter", jtext(s, x, CL_P_PARAMETER));
        jset(y, "old_value", jtext(s, x, CL_P_OLD_VALUE));
        jset(y, "new_value", jtext(s, x, CL_P_NEW_VALUE));
        jset(y, "operator", jtext(s, x, CL_P_OPERATOR));
        jset(y, "note", jtext(s, x, CL_P_COMMENT));
        json_array_append_new(sets, y);
        prov(c, x, CL_P_PARAMETER);
        if (t <= c->t0) {
            if (t > *change_t) *change_t = t;
            add_id(ch_ids, rl_mg_str(s->g, x));
        }
    }
    jset(o, "calibrations", cals);
    jset(o, "reagent_lot_changes", reag);
    jset(o, "setting_changes", sets);
    return o;
}

typedef struct dcount {
    rl_mg_id dept[64];
    long n[64];
    size_t k;
} dcount;

static void dc_add(dcount *d, rl_mg_id x)
{
    for (size_t i = 0; i < d->k; i++)
        if (d->dept[i] == x) {
            d->n[i]++;
            return;
        }
    if (d->k < 64) d->dept[d->k] = x, d->n[d->k++] = 1;
}

static size_t dc_top(const dcount *d)
{
    size_t b = 0;
    for (size_t i = 1; i < d->k; i++)
        if (d->n[i] > d->n[b]) b = i;
    return b;
}

static json_t *section_departments(tctx *c, dcount *dc)
{
    const rl__cl_site *s = c->s;
    json_t *a = json_array();
    memset(dc, 0, sizeof *dc);
    for (size_t i = 0; i < c->run->n; i++) {
        const cl_res *r = &s->res[c->run->res[i]];
        if (!r->qc && r->dept) dc_add(dc, r->dept);
    }
    for (size_t i = 0; i < dc->k; i++) {
        json_t *o = dept_json(c, dc->dept[i]);
        char why[128];
        snprintf(why, sizeof why, "ordering department of %ld specimen%s in the run", dc->n[i], dc->n[i] == 1 ? "" : "s");
        jset(o, "why", json_string(why));
        jset(o, "specimens", json_integer(dc->n[i]));
        json_array_append_new(a, o);
    }
    if (!dc->k) {
        rl_mg_id h = rl_mg_one(s->g, c->sn->analyzer, s->p[CL_P_HOST_DEPT]);
        if (h) {
            json_t *o = dept_json(c, h);
            jset(o, "why", json_string(c->sn->qc ? "host department of the analyzer (a QC-only run)"
                                                 : "host department of the analyzer (no ordering department known)"));
            jset(o, "specimens", json_integer(0));
            json_array_append_new(a, o);
        }
    }
    return a;
}

/* Specimen types the run concerns: its specimens', else its test's panels'. */
static size_t run_types(tctx *c, const char **types, size_t cap)
{
    const rl__cl_site *s = c->s;
    size_t n = 0;
    for (size_t i = 0; i < c->run->n; i++) {
        const char *t = rl_mg_text(s->g, s->res[c->run->res[i]].sample, s->p[CL_P_SPECIMEN_TYPE]);
        int dup = !*t;
        for (size_t j = 0; j < n && !dup; j++) dup = !strcmp(types[j], t);
        if (!dup && n < cap) types[n++] = t;
    }
    if (n) return n;
    rl_mg_iter it = rl_mg_subjects(s->g, s->p[CL_P_HAS_MEMBER], c->sn->test);
    rl_mg_id p;
    while (rl_mg_next(&it, &p)) {
        const char *t = rl_mg_text(s->g, p, s->p[CL_P_SPECIMEN_TYPE]);
        int dup = !*t;
        for (size_t j = 0; j < n && !dup; j++) dup = !strcmp(types[j], t);
        if (!dup && n < cap) types[n++] = t;
    }
    return n;
}

typedef struct cf_evidence {
    long run_specimens, spun_deviating; /* of the run's patient specimens */
    long dept_deviating;                /* deviating runs of departments in scope (same type) */
    json_t *ids;                        /* deviating run ids */
    json_t *dept_ids;
} cf_evidence;

static int cf_deviates(const cl_cfrun *r)
{
    return r->below_sop || r->aborted;
}

static json_t *section_centrifuge(tctx *c, const json_t *depts, cf_evidence *ev)
{
    const rl__cl_site *s = c->s;
    json_t *o = json_object(), *inc = json_array(), *exc = json_array(), *win = json_object();
    double from = c->td - WINDOW_S;
    const char *types[16];
    size_t nt = run_types(c, types, 16);
    jset(win, "from", jtime(s, from));
    jset(win, "to", jtime(s, c->td));
    jset(o, "window", win);
    json_t *ta = json_array();
    for (size_t i = 0; i < nt; i++) json_array_append_new(ta, json_string(types[i]));
    jset(o, "specimen_types", ta);
    rl_mg_id scope[64];
    size_t ns = 0;
    size_t i;
    json_t *d;
    json_array_foreach(depts, i, d) if (ns < 64) scope[ns++] = rl_mg_iri(s->g, json_string_value(json_object_get(d, "iri")));
    /* the runs that spun the run's specimens */
    rl_mg_id spun[256];
    const char *spun_sample[256];
    size_t nsp = 0;
    char idb[256];
    ev->run_specimens = 0;
    for (size_t k = 0; k < c->run->n; k++) {
        const cl_res *r = &s->res[c->run->res[k]];
        if (r->qc) continue;
        ev->run_specimens++;
        rl_mg_id cr = rl_mg_one(s->g, r->sample, s->p[CL_P_CF_RUN]);
        if (cr && nsp < 256) spun[nsp] = cr, spun_sample[nsp++] = rl_mg_str(s->g, r->sample);
    }
    for (size_t k = 0; k < s->ncf; k++) {
        const cl_cfrun *r = &s->cf[k];
        int in_scope = 0, spun_it = 0;
        for (size_t j = 0; j < ns; j++) in_scope |= r->dept == scope[j];
        json_t *which = json_array();
        for (size_t j = 0; j < nsp; j++)
            if (spun[j] == r->iri) {
                spun_it = 1;
                rl_mg_id smp = rl_mg_iri(s->g, spun_sample[j]);
                json_array_append_new(which, json_string(sample_id(s, smp, idb, sizeof idb)));
            }
        if (!in_scope && !spun_it) {
            json_decref(which);
            continue;
        }
        int type_ok = !nt;
        for (size_t j = 0; j < nt; j++) type_ok |= !strcmp(types[j], r->type);
        int in_window = r->t >= from && r->t <= c->td;
        if (!in_window && !spun_it) { /* the department's history: not part of this trace */
            json_decref(which);
            continue;
        }
        json_t *x = json_object();
        jset(x, "run_id", json_string(r->run_id));
        jset(x, "iri", json_string(rl_mg_str(s->g, r->iri)));
        char cb[128];
        jset(x, "centrifuge", json_string(rl__cl_tail(s, r->centrifuge, cb, sizeof cb)));
        if (r->dept) jset(x, "department_code", jtext(s, r->dept, CL_P_DEPT_CODE));
        jset(x, "start", jtime(s, r->t));
        jset(x, "specimen_type", jstr(r->type));
        if (!spun_it || !(in_window && type_ok)) {
            const char *why = !in_window ? "outside the 7-day window" : "another specimen type";
            char reason[160];
            if (in_window && !type_ok) snprintf(reason, sizeof reason, "%s (%s)", why, r->type);
            else snprintf(reason, sizeof reason, "%s", why);
            if (!(in_window && type_ok)) {
                jset(x, "reason", json_string(reason));
                if (spun_it) jset(x, "spun_run_specimens", which);
                else json_decref(which);
                json_array_append_new(exc, x);
                continue;
            }
        }
        jset(x, "why", json_string(spun_it ? "spun specimens of the run" : "a centrifuge of a department in scope"));
        jset(x, "rcf_g", r->rcf >= 0 ? jnum(r->rcf) : json_null());
        jset(x, "rcf_computed", json_boolean(r->rcf_computed));
        jset(x, "sop_min_rcf_g", r->sop > 0 ? jnum(r->sop) : json_null());
        jset(x, "measured_rpm", jvalue(s, r->iri, CL_P_RPM));
        jset(x, "event", jtext(s, r->iri, CL_P_CF_EVENT));
        json_t *dev = json_array();
        if (r->below_sop) json_array_append_new(dev, json_string("rcf_below_sop"));
        if (r->aborted) json_array_append_new(dev, json_string("aborted"));
        if (r->respin_of) {
            char t[96];
            snprintf(t, sizeof t, "respin_of:%s", s->cf[r->respin_of - 1].run_id);
            json_array_append_new(dev, json_string(t));
        }
        jset(x, "deviations", dev);
        jset(x, "deviating", json_boolean(cf_deviates(r)));
        jset(x, "spun_run_specimens", which);
        prov(c, r->iri, CL_P_RUN_ID);
        if (cf_deviates(r)) {
            if (spun_it) {
                ev->spun_deviating += (long)json_array_size(which);
                add_id(ev->ids, r->run_id);
            } else {
                ev->dept_deviating++;
                add_id(ev->dept_ids, r->run_id);
            }
        }
        json_array_append_new(inc, x);
    }
    jset(o, "included", inc);
    jset(o, "excluded", exc);
    return o;
}

static json_t *section_resample(tctx *c)
{
    const rl__cl_site *s = c->s;
    json_t *a = json_array();
    char day[16];
    double d0 = local_day(s, c->td, day);
    for (size_t i = rl__cl_stream_from(s, c->sn, d0); i < c->sn->n; i++) {
        const cl_res *r = &s->res[c->sn->res[i]];
        if (r->t > c->td) break;
        if (!r->unreliable) continue;
        json_t *o = result_json(c, r);
        jset(o, "finding", json_string("resample"));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *section_events(tctx *c)
{
    const rl__cl_site *s = c->s;
    json_t *a = json_array();
    double from = c->td - WINDOW_S;
    char code[128];
    rl__cl_analyzer_code(s, c->sn->analyzer, code, sizeof code);
    rl_mg_id eq = rl_mg_lit(s->g, code);
    rl_mg_iter it = rl_mg_subjects(s->g, s->p[CL_P_EQUIPMENT_ID], eq);
    rl_mg_id x;
    while (eq && rl_mg_next(&it, &x)) {
        double t;
        if (!*rl_mg_text(s->g, x, s->p[CL_P_LAB_ACTION]) || !rl__cl_time(s, x, CL_P_AT, &t) || t < from || t > c->td) continue;
        json_t *o = json_object();
        jset(o, "kind", json_string("maintenance"));
        jset(o, "iri", json_string(rl_mg_str(s->g, x)));
        jset(o, "at", jtime(s, t));
        jset(o, "action", jtext(s, x, CL_P_LAB_ACTION));
        json_array_append_new(a, o);
        prov(c, x, CL_P_LAB_ACTION);
    }
    rl_mg_iter ri = rl_mg_with(s->g, s->p[CL_P_VALID_FROM]); /* changes only, not every result of the test */
    while (rl_mg_next(&ri, &x)) {
        double t;
        if (rl_mg_one(s->g, x, s->p[CL_P_TEST]) != c->sn->test) continue;
        if (!*rl_mg_text(s->g, x, s->p[CL_P_NEW_HIGH]) && !*rl_mg_text(s->g, x, s->p[CL_P_NEW_LOW])) continue;
        if (!rl__cl_time(s, x, CL_P_VALID_FROM, &t) || t < from || t > c->td) continue;
        json_t *o = json_object();
        jset(o, "kind", json_string("reference_interval_change"));
        jset(o, "iri", json_string(rl_mg_str(s->g, x)));
        jset(o, "at", jtime(s, t));
        jset(o, "old_low", jvalue(s, x, CL_P_OLD_LOW));
        jset(o, "old_high", jvalue(s, x, CL_P_OLD_HIGH));
        jset(o, "new_low", jvalue(s, x, CL_P_NEW_LOW));
        jset(o, "new_high", jvalue(s, x, CL_P_NEW_HIGH));
        json_array_append_new(a, o);
        prov(c, x, CL_P_NEW_HIGH);
    }
    return a;
}

/* ---- hypotheses ---- */

typedef struct level_ev {
    double score; /* noisy-OR of the strengths */
    json_t *items;
} level_ev;

static void evidence(level_ev *l, const char *kind, double strength, const char *detail, json_t *ids)
{
    if (strength <= 0) {
        json_decref(ids);
        return;
    }
    if (strength > 0.95) strength = 0.95;
    l->score = 1 - (1 - l->score) * (1 - strength);
    json_t *o = json_object();
    jset(o, "kind", json_string(kind));
    jset(o, "strength", jnum(strength));
    jset(o, "detail", json_string(detail));
    jset(o, "ids", ids ? ids : json_array());
    json_array_append_new(l->items, o);
}

/* Mean z per QC level over (from, to]: the levels out on one side. */
typedef struct qc_shift {
    int levels, out_levels, out_pos, out_neg, reject_levels;
    double mean_z[64];
} qc_shift;

static qc_shift qc_levels(tctx *c, double from, double to, json_t *ids)
{
    const cl_stream *qs[64];
    size_t nq = sibling_streams(c, 1, qs, 64);
    qc_shift q;
    memset(&q, 0, sizeof q);
    for (size_t k = 0; k < nq; k++) {
        double sum = 0;
        long n = 0;
        int rej = 0;
        for (size_t i = rl__cl_stream_from(c->s, qs[k], from); i < qs[k]->n; i++) {
            const cl_res *r = &c->s->res[qs[k]->res[i]];
            if (r->t > to) break;
            if (!r->has_z || r->t <= from) continue;
            sum += r->z, n++;
            if (r->westgard & CL_WG_REJECT) {
                rej = 1;
                if (ids) add_id(ids, rl_mg_str(c->s->g, r->iri));
            }
        }
        if (!n) continue;
        double m = sum / (double)n;
        q.mean_z[q.levels++] = m;
        q.reject_levels += rej;
        if (fabs(m) >= 1.5 || rej) {
            q.out_levels++;
            if (m > 0) q.out_pos++;
            else q.out_neg++;
        }
    }
    return q;
}

/* Flagged patient results of the analyzer x channel x test by department over (from, to]. */
static void patient_depts(tctx *c, double from, double to, dcount *flag, dcount *all)
{
    const cl_stream *ps[8];
    size_t np = sibling_streams(c, 0, ps, 8);
    memset(flag, 0, sizeof *flag);
    memset(all, 0, sizeof *all);
    for (size_t k = 0; k < np; k++)
        for (size_t i = rl__cl_stream_from(c->s, ps[k], from); i < ps[k]->n; i++) {
            const cl_res *r = &c->s->res[ps[k]->res[i]];
            if (r->t > to) break;
            if (!r->evaluated || r->t <= from) continue;
            dc_add(all, r->dept);
            if (r->dir) dc_add(flag, r->dept);
        }
}

static long dc_get(const dcount *d, rl_mg_id x)
{
    for (size_t i = 0; i < d->k; i++)
        if (d->dept[i] == x) return d->n[i];
    return 0;
}

/* Beyond-limit share of every stream of this analyzer x channel x test over (from, to]. */
static rate channel_rate(tctx *c, double from, double to)
{
    rate r = {0, 0};
    for (int qc = 0; qc <= 1; qc++) {
        const cl_stream *ss[64];
        size_t n = sibling_streams(c, qc, ss, 64);
        for (size_t k = 0; k < n; k++) {
            rate x = stream_rate(c->s, ss[k], from, to, 0, 0);
            r.n += x.n, r.beyond += x.beyond;
        }
    }
    return r;
}

/* Which source groups stepped up at the change: QC (all levels together), and
 * each department's patients, each with >= 3 results before and after. */
static void step_groups(tctx *c, double change_t, int *qc_step, int *dept_steps)
{
    const cl_stream *qs[64];
    size_t nq = sibling_streams(c, 1, qs, 64);
    /* QC steps when every level with results on both sides stepped */
    int levels = 0, stepped = 0;
    for (size_t k = 0; k < nq; k++) {
        rate x = stream_rate(c->s, qs[k], change_t - WINDOW_S, change_t, 0, 0), y = stream_rate(c->s, qs[k], change_t, c->td, 0, 0);
        if (x.n < 2 || y.n < 1) continue;
        levels++;
        if (frac(y) - frac(x) >= 0.25) stepped++;
    }
    *qc_step = levels && stepped == levels;
    dcount all;
    dcount flag;
    patient_depts(c, change_t - WINDOW_S, c->td, &flag, &all);
    const cl_stream *ps[8];
    size_t np = sibling_streams(c, 0, ps, 8);
    *dept_steps = 0;
    for (size_t i = 0; i < all.k; i++) {
        if (!all.dept[i]) continue;
        rate b = {0, 0}, a = {0, 0};
        for (size_t k = 0; k < np; k++) {
            rate x = stream_rate(c->s, ps[k], change_t - WINDOW_S, change_t, all.dept[i], 0);
            rate y = stream_rate(c->s, ps[k], change_t, c->td, all.dept[i], 0);
            b.n += x.n, b.beyond += x.beyond, a.n += y.n, a.beyond += y.beyond;
        }
        if (b.n >= 3 && a.n >= 3 && frac(a) - frac(b) >= 0.25) (*dept_steps)++;
    }
}

/* The latest reference-interval change of the run's test in the 7 days
 * before its first result: 1 and *t, its IRI into ids. */
static int ref_change_before(tctx *c, double *t, json_t *ids)
{
    const rl__cl_site *s = c->s;
    rl_mg_iter ri = rl_mg_with(s->g, s->p[CL_P_VALID_FROM]); /* changes only, not every result of the test */
    rl_mg_id x, best = 0;
    double bt = -INFINITY, xt;
    while (rl_mg_next(&ri, &x)) {
        if (rl_mg_one(s->g, x, s->p[CL_P_TEST]) != c->sn->test) continue;
        if (!*rl_mg_text(s->g, x, s->p[CL_P_NEW_HIGH]) && !*rl_mg_text(s->g, x, s->p[CL_P_NEW_LOW])) continue;
        if (!rl__cl_time(s, x, CL_P_VALID_FROM, &xt) || xt < c->td - WINDOW_S || xt > c->t0) continue;
        if (xt > bt) bt = xt, best = x;
    }
    if (!best) return 0;
    *t = bt;
    add_id(ids, rl_mg_str(s->g, best));
    return 1;
}

static json_t *hypotheses(tctx *c, const dcount *run_depts, const cf_evidence *cf, int qc_events, json_t *qc_ev_ids,
                          double change_t, json_t *ch_ids, const rl__cl_weights *w, double *confidence)
{
    const rl__cl_site *s = c->s;
    level_ev L[3];
    char d[512], dl[160];
    for (int i = 0; i < 3; i++) L[i].score = 0, L[i].items = json_array();
    double c0 = c->td - CONTEXT_S;
    /* departments are compared under the same conditions: since the channel's
     * latest change when that falls in the day before */
    double cmp0 = isfinite(change_t) && change_t > c0 ? change_t : c0;
    dcount fl, al;
    patient_depts(c, cmp0, c->td, &fl, &al);
    long flagged_total = 0;
    for (size_t i = 0; i < fl.k; i++) flagged_total += fl.n[i];
    const char *l1_cause = "preanalytical", *l2_cause = "qc_material_or_target", *l3_cause = "channel_calibration";

    /* level 1: one department's specimens, their centrifugation */
    rl_mg_id top = 0;
    const cl_stream *ps[8]; /* the patient streams of this analyzer x channel x test */
    size_t np = sibling_streams(c, 0, ps, 8);
    if (!c->sn->qc && run_depts->k) {
        size_t t = dc_top(run_depts);
        top = run_depts->dept[t];
        double share = (double)run_depts->n[t] / (double)c->run->n;
        long fd = dc_get(&fl, top), ad = dc_get(&al, top);
        long fo = flagged_total - fd, ao = 0;
        for (size_t i = 0; i < al.k; i++) ao += al.n[i];
        ao -= ad;
        double rd = ad ? (double)fd / (double)ad : 0, ro = ao ? (double)fo / (double)ao : 0;
        rate bd = {0, 0};
        for (size_t k = 0; k < np; k++) {
            rate x = stream_rate(s, ps[k], c0 - WINDOW_S, c0, top, 0);
            bd.n += x.n, bd.beyond += x.beyond;
        }
        int dept_elevated = bd.n >= 10 ? rd >= 1.5 * frac(bd) && rd >= frac(bd) + 0.15 : rd >= 0.3;
        if (share >= 0.7 && rd > 0 && ao >= 3 && ro <= 0.5 * rd && dept_elevated) {
            snprintf(d, sizeof d,
                     "%.0f%% of the run's specimens are from %s; over the same hours %ld of its %ld results were "
                     "beyond their limit against %ld of %ld from other departments",
                     share * 100, dept_label(s, top, dl, sizeof dl), fd, ad, fo, ao);
            json_t *ids = json_array();
            add_id(ids, rl_mg_str(s->g, top));
            evidence(&L[0], "department_cluster", 0.5 * share * (ro > 0 ? 1 - ro / rd : 1), d, ids);
        }
    }
    if (cf->run_specimens && cf->spun_deviating) {
        double f = (double)cf->spun_deviating / (double)cf->run_specimens;
        snprintf(d, sizeof d, "%ld of the run's %ld specimens were spun in centrifuge runs that deviate from the SOP",
                 cf->spun_deviating, cf->run_specimens);
        evidence(&L[0], "centrifugation_deviation", 0.8 * f, d, json_deep_copy(cf->ids));
    }
    if (cf->dept_deviating && (c->sn->qc || top)) {
        snprintf(d, sizeof d, "%ld centrifuge run%s of the department%s in scope deviated in the last 7 days (same specimen type)",
                 cf->dept_deviating, cf->dept_deviating == 1 ? "" : "s", c->sn->qc ? "" : "");
        evidence(&L[0], "department_centrifuge_deviations", c->sn->qc ? 0.05 : 0.3, d, json_deep_copy(cf->dept_ids));
    }
    if (c->sn->qc) L[0].score *= 0.1; /* QC material is not centrifuged with patients' specimens */

    /* level 2: the QC material, its lot or its target */
    json_t *qids = json_array();
    /* QC since the channel's change when there is one in the day before (a fresh shift is not
     * averaged with the QC before it), else over the day */
    qc_shift q = qc_levels(c, cmp0, c->td, qids);
    if (cmp0 > c0 && !q.levels) q = qc_levels(c, c0, c->td, qids); /* no QC since the change: ids still empty */
    rate pr = {0, 0};
    for (size_t k = 0; k < np; k++) {
        rate x = stream_rate(s, ps[k], c0, c->td, 0, 0);
        pr.n += x.n, pr.beyond += x.beyond;
    }
    if (c->sn->qc) {
        snprintf(d, sizeof d, "the run is of QC material %s level %s", c->sn->material_name, c->sn->level_name);
        json_t *ids = json_array();
        for (size_t i = 0; i < c->run->n; i++) add_id(ids, rl_mg_str(s->g, s->res[c->run->res[i]].iri));
        evidence(&L[1], "qc_run", 0.5, d, ids);
        if (q.levels >= 2 && q.out_levels == 1) {
            snprintf(d, sizeof d, "only this level is out of control: the other %d level%s of the day are in control",
                     q.levels - 1, q.levels == 2 ? "" : "s");
            evidence(&L[1], "single_level", 0.4, d, NULL);
        }
        if (pr.n >= 3 && frac(pr) <= 0.15) {
            snprintf(d, sizeof d, "patients normal: %ld of %ld patient results in the day before were beyond their limit",
                     pr.beyond, pr.n);
            evidence(&L[1], "patients_normal", 0.3, d, NULL);
        }
    } else if (q.reject_levels == 1 && q.levels >= 2) {
        evidence(&L[1], "qc_reject_one_level", 0.2, "QC rules rejected one level only in the day before", json_deep_copy(qids));
    }
    /* a QC change explains QC results only: a target edit or a new lot cannot move patients' values */
    if (qc_events && c->sn->qc) {
        snprintf(d, sizeof d, "%d QC change%s (target edit, lot event) of this level before the run started, in the last 7 days",
                 qc_events, qc_events == 1 ? "" : "s");
        evidence(&L[1], "qc_change_before_run", 0.7, d, json_deep_copy(qc_ev_ids));
    }
    if (!c->sn->qc) {
        /* the panel's reference interval narrowed before the run: more results flagged without any change in them */
        json_t *ids = json_array();
        double rt;
        int ri = ref_change_before(c, &rt, ids);
        if (ri) {
            rate b = stream_rate(s, c->sn, rt - WINDOW_S, rt, 0, 0), a2 = stream_rate(s, c->sn, rt, c->td, 0, 0);
            double step = frac(a2) - frac(b);
            snprintf(d, sizeof d, "the test's reference interval changed before the run; beyond-limit share %.0f%% before, %.0f%% after",
                     frac(b) * 100, frac(a2) * 100);
            evidence(&L[1], "reference_interval_change", step >= 0.25 ? 0.7 : step >= 0.1 ? 0.3 : 0.05, d, ids);
        } else
            json_decref(ids);
    }

    /* level 3: the channel, its calibration, reagent and settings */
    if (isfinite(change_t)) {
        rate before = channel_rate(c, change_t - WINDOW_S, change_t), after = channel_rate(c, change_t, c->td);
        int qc_step = 0, dept_steps = 0;
        step_groups(c, change_t, &qc_step, &dept_steps);
        char at[40];
        rl_time_iso_tz(change_t, s->tz, at, sizeof at);
        /* a change of the channel moves QC and every department; one department alone is not the channel */
        double strength = qc_step || dept_steps >= 2 ? 0.75 : dept_steps == 1 ? 0.15 : frac(after) - frac(before) >= 0.1 ? 0.3 : 0.15;
        snprintf(d, sizeof d,
                 "the channel was recalibrated or reconfigured at %s, before the run; beyond-limit share of its results "
                 "%.0f%% before, %.0f%% after; stepped up since: %s, %d department%s",
                 at, frac(before) * 100, frac(after) * 100, qc_step ? "QC" : "not QC", dept_steps, dept_steps == 1 ? "" : "s");
        evidence(&L[2], "channel_change_before_run", strength, d, json_deep_copy(ch_ids));
    }
    if (q.levels >= 2 && q.out_levels == q.levels && (q.out_pos == q.levels || q.out_neg == q.levels)) {
        snprintf(d, sizeof d, "all %d QC levels shifted %s %s", q.levels, q.out_pos ? "up" : "down",
                 cmp0 > c0 ? "since the channel's change" : "in the day before");
        evidence(&L[2], "all_qc_levels_shifted", 0.6, d, json_deep_copy(qids));
    }
    /* the stream's own baseline: the 7 days before the day before detection */
    rate pbase = {0, 0};
    for (size_t k = 0; k < np; k++) {
        rate x = stream_rate(s, ps[k], c0 - WINDOW_S, c0, 0, 0);
        pbase.n += x.n, pbase.beyond += x.beyond;
    }
    int elevated = pbase.n >= 10 ? frac(pr) >= 2 * frac(pbase) && frac(pr) >= frac(pbase) + 0.15 : frac(pr) >= 0.3;
    /* not confined to one department: the others, without the one that flags most, are elevated too */
    int rest_elevated = 0;
    if (fl.k >= 2) {
        rl_mg_id topf = fl.dept[dc_top(&fl)];
        rate rc = {0, 0}, rb = {0, 0};
        for (size_t k = 0; k < np; k++) {
            rate x = stream_rate(s, ps[k], cmp0, c->td, topf, 1), y = stream_rate(s, ps[k], c0 - WINDOW_S, c0, topf, 1);
            rc.n += x.n, rc.beyond += x.beyond, rb.n += y.n, rb.beyond += y.beyond;
        }
        rest_elevated = rc.n >= 3 && (rb.n >= 10 ? frac(rc) >= 2 * frac(rb) && frac(rc) >= frac(rb) + 0.25 : frac(rc) >= 0.35);
    }
    if (elevated && rest_elevated && flagged_total >= 3 && fl.k >= 2 &&
        (double)fl.n[dc_top(&fl)] / (double)flagged_total < 0.7) {
        snprintf(d, sizeof d,
                 "patients of %zu departments were beyond their limit in the day before (%ld results, %.0f%% against "
                 "%.0f%% in the 7 days before)",
                 fl.k, flagged_total, frac(pr) * 100, frac(pbase) * 100);
        json_t *ids = json_array();
        for (size_t i = 0; i < fl.k; i++)
            if (fl.dept[i]) add_id(ids, rl_mg_str(s->g, fl.dept[i]));
        evidence(&L[2], "many_departments", 0.4, d, ids);
    }
    json_decref(qids);

    /* weights, contributions, shares */
    double contrib[3], total = 0;
    for (int i = 0; i < 3; i++) total += contrib[i] = w->w[i] * L[i].score;
    int order[3] = {0, 1, 2};
    for (int i = 0; i < 3; i++)
        for (int j = i + 1; j < 3; j++)
            if (contrib[order[j]] > contrib[order[i]]) {
                int t = order[i];
                order[i] = order[j], order[j] = t;
            }
    *confidence = L[order[0]].score;
    json_t *a = json_array();
    for (int k = 0; k < 3; k++) {
        int i = order[k];
        json_t *o = json_object();
        jset(o, "level", json_integer(i + 1));
        const char *cause = i == 0 ? l1_cause : i == 1 ? l2_cause : l3_cause;
        jset(o, "cause", json_string(cause));
        if (i == 0) snprintf(d, sizeof d, "pre-analytical problem of %s", top ? dept_label(s, top, dl, sizeof dl) : "the departments in scope");
        else if (i == 1 && c->sn->qc)
            snprintf(d, sizeof d, "QC material, lot or target problem: %s level %s", c->sn->material_name, c->sn->level_name);
        else if (i == 1) snprintf(d, sizeof d, "QC material, lot or target problem of the test panel");
        else {
            char a1[96], c1[96];
            snprintf(d, sizeof d, "calibration, reagent or setting problem of channel %s/%s",
                     rl__cl_analyzer_code(s, c->sn->analyzer, a1, sizeof a1), rl__cl_channel_code(s, c->sn->channel, c1, sizeof c1));
        }
        jset(o, "summary", json_string(d));
        jset(o, "score", jnum(L[i].score));
        jset(o, "weight", jnum(w->w[i]));
        jset(o, "contribution", jnum(contrib[i]));
        jset(o, "share", jnum(total > 0 ? contrib[i] / total : 0));
        jset(o, "evidence", L[i].items);
        json_t *ids = json_array();
        size_t x;
        json_t *e;
        json_array_foreach(L[i].items, x, e)
        {
            size_t y;
            json_t *id;
            json_array_foreach(json_object_get(e, "ids"), y, id) add_id(ids, json_string_value(id));
        }
        jset(o, "evidence_ids", ids);
        json_array_append_new(a, o);
    }
    return a;
}

/* ---- the whole trace ---- */

json_t *rl__cl_trace_run(const rl__cl_site *s, size_t k, const rl__cl_weights *wp)
{
    const cl_run *run = &s->runs[k];
    tctx c = {s, run, &s->streams[run->stream], 0, 0, 0, json_object()};
    size_t nth = (size_t)s->min_run <= run->n ? (size_t)s->min_run - 1 : run->n - 1;
    c.t0 = s->res[run->res[0]].t;
    c.td = s->res[run->res[nth]].t;
    c.tl = s->res[run->res[run->n - 1]].t;
    rl__cl_weights w;
    if (wp) w = *wp;
    else if (!rl__cl_weights_stored(s, c.td, &w)) rl__cl_weights_compute(s, c.td, &w);
    json_t *o = json_object();
    jset(o, "stream", section_stream(&c));
    jset(o, "length", json_integer((json_int_t)run->n));
    jset(o, "started_at", jtime(s, c.t0));
    jset(o, "detected_at", jtime(s, c.td));
    jset(o, "ended_at", jtime(s, c.tl));
    jset(o, "results", section_results(&c));
    jset(o, "operators", section_operators(&c));
    lotset lots = {{0}, 0};
    jset(o, "qc_results", section_qc_results(&c, &lots, NULL));
    jset(o, "qc_lots", section_qc_lots(&c, &lots));
    int qc_events = 0;
    json_t *qc_ev_ids = json_array(), *ch_ids = json_array();
    jset(o, "qc_events", section_qc_events(&c, &lots, &qc_events, qc_ev_ids));
    double change_t;
    jset(o, "channel", section_channel(&c, &change_t, ch_ids));
    jset(o, "panels", section_panels(&c));
    dcount dc;
    json_t *depts = section_departments(&c, &dc);
    jset(o, "departments", depts);
    cf_evidence cf = {0, 0, 0, json_array(), json_array()};
    jset(o, "centrifuge_runs", section_centrifuge(&c, depts, &cf));
    jset(o, "resample", section_resample(&c));
    jset(o, "events", section_events(&c));
    double conf = 0;
    jset(o, "hypotheses", hypotheses(&c, &dc, &cf, qc_events, qc_ev_ids, change_t, ch_ids, &w, &conf));
    /* the top level's own score: below 0.5 no level is well supported (e.g. a run by chance) */
    jset(o, "confidence", jnum(conf));
    jset(o, "explained", json_boolean(conf >= 0.5));
    jset(o, "weights", rl__cl_weights_json(s, &w));
    jset(o, "provenance", c.prov);
    json_decref(cf.ids);
    json_decref(cf.dept_ids);
    json_decref(qc_ev_ids);
    json_decref(ch_ids);
    return o;
}

long rl__cl_trace_find(const rl__cl_site *s, const char *stream_id, double at)
{
    long best = -1;
    double bt = -INFINITY;
    for (size_t k = 0; k < s->nruns; k++) {
        const cl_run *r = &s->runs[k];
        if (strcmp(s->streams[r->stream].id, stream_id)) continue;
        double t0 = s->res[r->res[0]].t, tl = s->res[r->res[r->n - 1]].t;
        size_t nth = (size_t)s->min_run - 1 < r->n ? (size_t)s->min_run - 1 : r->n - 1;
        double td = s->res[r->res[nth]].t;
        if (t0 <= at && at <= tl) return (long)k;
        if (td <= at && td > bt) best = (long)k, bt = td;
    }
    return best;
}
