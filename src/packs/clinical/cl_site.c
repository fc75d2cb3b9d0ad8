/* cl_site.c: load the clinical facts, evaluate results, build streams, runs,
 * Westgard hits and centrifuge deviations. */
#include "cl_site.h"

#include "buf.h"
#include "cl_graph.h"
#include "timefmt.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RESULTS ((size_t)32 << 20)
#define MAX_STREAMS ((size_t)1 << 20)
#define MAX_RUNS ((size_t)1 << 22)
#define QC_RUN_GAP_S 3600.0 /* QC results of one analyzer/test this close belong to one QC run */
#define RESPIN_GAP_S 5400.0

#define CL_P_IRI(id, iri) iri,
static const char *const site_preds[] = {CL_SITE_PREDICATES(CL_P_IRI) NULL};
#undef CL_P_IRI

void rl__cl_site_free(rl__cl_site *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->nstreams; i++) free(s->streams[i].res);
    for (size_t i = 0; i < s->nruns; i++) free(s->runs[i].res);
    free(s->streams);
    free(s->runs);
    free(s->res);
    free(s->cf);
    free(s->ev_qc);
    free(s->ev_ch);
    rl_mg_free(s->g);
    free(s);
}

size_t rl__cl_stream_from(const rl__cl_site *s, const cl_stream *sn, double t)
{
    size_t lo = 0, hi = sn->n;
    while (lo < hi) {
        size_t m = lo + (hi - lo) / 2;
        if (s->res[sn->res[m]].t < t) lo = m + 1;
        else hi = m;
    }
    return lo;
}

int rl__cl_time(const rl__cl_site *s, rl_mg_id subj, int pred, double *t)
{
    const char *v = rl_mg_text(s->g, subj, s->p[pred]);
    return *v && rl_time_parse_iso(v, s->tz, t, NULL) == 0;
}

static int hexval(int c)
{
    return isdigit(c) ? c - '0' : (tolower(c) >= 'a' && tolower(c) <= 'f') ? tolower(c) - 'a' + 10 : -1;
}

const char *rl__cl_tail(const rl__cl_site *s, rl_mg_id iri, char *out, size_t cap)
{
    const char *t = rl_mg_str(s->g, iri), *c = strrchr(t, ':');
    c = c ? c + 1 : t;
    size_t k = 0;
    for (; *c && k + 1 < cap; c++) {
        int h, l;
        if (*c == '%' && (h = hexval(c[1])) >= 0 && (l = hexval(c[2])) >= 0) out[k++] = (char)(h * 16 + l), c += 2;
        else out[k++] = *c;
    }
    out[k] = 0;
    return out;
}

static const char *code_or_tail(const rl__cl_site *s, rl_mg_id e, int pred, char *out, size_t cap)
{
    const char *v = rl_mg_text(s->g, e, s->p[pred]);
    if (*v) {
        snprintf(out, cap, "%s", v);
        return out;
    }
    return rl__cl_tail(s, e, out, cap);
}

const char *rl__cl_analyzer_code(const rl__cl_site *s, rl_mg_id a, char *out, size_t cap)
{
    return code_or_tail(s, a, CL_P_INSTRUMENT_ID, out, cap);
}

const char *rl__cl_channel_code(const rl__cl_site *s, rl_mg_id c, char *out, size_t cap)
{
    if (!c) {
        snprintf(out, cap, "-");
        return out;
    }
    return code_or_tail(s, c, CL_P_CHANNEL_ID, out, cap);
}

const char *rl__cl_test_code(const rl__cl_site *s, rl_mg_id t, char *out, size_t cap)
{
    return code_or_tail(s, t, CL_P_LOCAL_CODE, out, cap);
}

const char *rl__cl_wg_name(unsigned bit)
{
    switch (bit) {
    case CL_WG_12S: return "1-2s";
    case CL_WG_13S: return "1-3s";
    case CL_WG_22S: return "2-2s";
    case CL_WG_22S_X: return "2-2s (across levels)";
    case CL_WG_R4S: return "R-4s";
    case CL_WG_41S: return "4-1s";
    case CL_WG_41S_X: return "4-1s (across levels)";
    case CL_WG_10X: return "10-x";
    case CL_WG_10X_X: return "10-x (across levels)";
    default: return "?";
    }
}

/* ---- evaluation ---- */

/* Side of a flag as sent: +1 high, -1 low, 2 abnormal, 0 normal, -9 none. */
static int flag_side(const char *f)
{
    while (*f == ' ') f++;
    if (!*f) return -9;
    if (!strcmp(f, "N") || !strcmp(f, "n") || !strcmp(f, "NORMAL")) return 0;
    if (f[0] == 'H' || f[0] == 'h' || f[0] == '>' || f[0] == '+') return 1;
    if (f[0] == 'L' || f[0] == 'l' || f[0] == '<' || f[0] == '-') return -1;
    return 2;
}

/* The reference interval as sent ("11.0^14.5", "11.0-14.5", "11.0 - 14.5"). */
static int parse_range(const char *r, double *lo, double *hi)
{
    char *end;
    while (*r == ' ') r++;
    if (!*r) return 0;
    *lo = strtod(r, &end);
    if (end == r) return 0;
    while (*end == ' ') end++;
    if (*end != '^' && *end != '-' && *end != '~') return 0;
    const char *h = end + 1;
    *hi = strtod(h, &end);
    return end != h && *hi >= *lo;
}

typedef struct cl_target {
    rl_mg_id iri, test, lot;
    double from, to, mean, sd; /* to = +inf when open */
} cl_target;

static cl_target *load_targets(rl__cl_site *s, size_t *n)
{
    size_t cap = 0;
    cl_target *t = NULL;
    *n = 0;
    rl_mg_iter it = rl_mg_with(s->g, s->p[CL_P_TARGET_MEAN]);
    rl_mg_id x;
    while (rl_mg_next(&it, &x)) {
        cl_target c = {x, rl_mg_one(s->g, x, s->p[CL_P_TEST]), rl_mg_one(s->g, x, s->p[CL_P_QC_LOT]), -INFINITY,
                       INFINITY, 0, 0};
        if (!rl_mg_num(s->g, x, s->p[CL_P_TARGET_MEAN], &c.mean) || !rl_mg_num(s->g, x, s->p[CL_P_TARGET_SD], &c.sd) ||
            c.sd <= 0)
            continue;
        rl__cl_time(s, x, CL_P_VALID_FROM, &c.from);
        rl__cl_time(s, x, CL_P_VALID_TO, &c.to);
        if (c.from > s->as_of) continue; /* entered after the time asked about */
        if (rl_array_grow((void **)&t, &cap, *n + 1, sizeof *t, 1 << 20) != RL_OK) break;
        t[(*n)++] = c;
    }
    return t;
}

/* The target in force for (test, lot) at time t: the latest valid_from. */
static const cl_target *target_at(const cl_target *t, size_t n, rl_mg_id test, rl_mg_id lot, double when)
{
    const cl_target *best = NULL;
    for (size_t i = 0; i < n; i++)
        if (t[i].test == test && t[i].lot == lot && t[i].from <= when && when < t[i].to &&
            (!best || t[i].from > best->from))
            best = &t[i];
    return best;
}

static void evaluate(rl__cl_site *s, cl_res *r, const cl_target *tg, size_t ntg)
{
    rl_memgraph *g = s->g;
    r->evaluated = 0;
    r->dir = 0;
    if (r->unreliable || !r->has_value) return;
    if (r->qc) {
        const cl_target *t = r->lot ? target_at(tg, ntg, r->test, r->lot, r->t) : NULL;
        double m, sd;
        if (t) m = t->mean, sd = t->sd, r->target = t->iri;
        else if (!rl_mg_num(g, r->iri, s->p[CL_P_TMEAN_IF], &m) || !rl_mg_num(g, r->iri, s->p[CL_P_TSD_IF], &sd) || sd <= 0)
            sd = 0;
        if (sd > 0) {
            r->has_z = 1, r->mean = m, r->sd = sd;
            r->z = (r->value - m) / sd;
            r->evaluated = 1;
            r->dir = r->z > 2 ? 1 : r->z < -2 ? -1 : 0;
            return;
        }
    }
    int side = flag_side(rl_mg_text(g, r->iri, s->p[CL_P_FLAG]));
    if (side != -9) {
        r->evaluated = 1, r->dir = side;
        return;
    }
    double lo, hi;
    if (parse_range(rl_mg_text(g, r->iri, s->p[CL_P_REFRANGE]), &lo, &hi)) {
        r->evaluated = 1;
        r->dir = r->value > hi ? 1 : r->value < lo ? -1 : 0;
    }
}

/* ---- results and streams ---- */

static rl_status collect_results(rl__cl_site *s)
{
    rl_memgraph *g = s->g;
    size_t cap = 0, ntg = 0;
    cl_target *tg = load_targets(s, &ntg);
    rl_status st = RL_OK;
    rl_mg_iter it = rl_mg_with(g, s->p[CL_P_RESULT_TIME]);
    rl_mg_id x;
    while (st == RL_OK && rl_mg_next(&it, &x)) {
        cl_res r = {0};
        r.iri = x;
        r.test = rl_mg_one(g, x, s->p[CL_P_TEST]);
        if (!r.test || !rl__cl_time(s, x, CL_P_RESULT_TIME, &r.t) || r.t > s->as_of) continue;
        r.sample = rl_mg_one(g, x, s->p[CL_P_SPECIMEN]);
        r.analyzer = rl_mg_one(g, x, s->p[CL_P_ANALYZER]);
        r.channel = rl_mg_one(g, x, s->p[CL_P_CHANNEL]);
        r.has_value = rl_mg_num(g, x, s->p[CL_P_VALUE], &r.value);
        r.unreliable = !strcmp(rl_mg_text(g, x, s->p[CL_P_UNRELIABLE]), "true");
        r.lot = rl_mg_one(g, r.sample, s->p[CL_P_QC_LOT]);
        r.level = rl_mg_one(g, r.sample, s->p[CL_P_QC_LEVEL]);
        r.qc = r.lot || r.level || rl_mg_one(g, r.sample, s->p[CL_P_QC_MATERIAL_NAME]);
        if (!r.qc) r.dept = rl_mg_one(g, r.sample, s->p[CL_P_ORDERING_DEPT]);
        evaluate(s, &r, tg, ntg);
        if ((st = rl_array_grow((void **)&s->res, &cap, s->nres + 1, sizeof *s->res, MAX_RESULTS)) == RL_OK)
            s->res[s->nres++] = r;
    }
    free(tg);
    return st;
}

/* "COAG-CTRL" and "2" of a QC result: the lot IRI names material/level/lot. */
static void qc_names(const rl__cl_site *s, const cl_res *r, char *mat, size_t mcap, char *lvl, size_t lcap)
{
    const char *m = rl_mg_text(s->g, r->sample, s->p[CL_P_QC_MATERIAL_NAME]);
    char tail[96];
    snprintf(lvl, lcap, "%s", rl_mg_str(s->g, r->level));
    if (r->lot) {
        const char *lot = rl_mg_str(s->g, r->lot), *p = strstr(lot, "qc-lot:");
        if (p) { /* the material: the first segment, percent-decoded */
            p += 7;
            size_t k = 0;
            for (; *p && *p != '/' && k + 1 < sizeof tail; p++) {
                int h, l;
                if (*p == '%' && (h = hexval(p[1])) >= 0 && (l = hexval(p[2])) >= 0) tail[k++] = (char)(h * 16 + l), p += 2;
                else tail[k++] = *p;
            }
            tail[k] = 0;
            if (!*m) m = tail;
        }
    }
    snprintf(mat, mcap, "%s", *m ? m : "QC");
}

static int res_cmp_ctx_time(const rl__cl_site *s, uint32_t a, uint32_t b)
{
    const cl_res *x = &s->res[a], *y = &s->res[b];
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return x->iri < y->iri ? -1 : x->iri > y->iri;
}

static int by_time(const void *a, const void *b, void *site)
{
    return res_cmp_ctx_time(site, *(const uint32_t *)a, *(const uint32_t *)b);
}

static rl_status build_streams(rl__cl_site *s)
{
    size_t cap = 0;
    rl_status st = RL_OK;
    /* a small open-addressing index id -> stream */
    size_t hcap = 1024;
    while (hcap < s->nres * 2 && hcap < (1u << 24)) hcap *= 2;
    uint32_t *h = calloc(hcap, sizeof *h);
    if (!h) return RL_ERR_NOMEM;
    for (size_t i = 0; st == RL_OK && i < s->nres; i++) {
        cl_res *r = &s->res[i];
        char a[96], c[96], t[96], mat[96], lvl[32], id[512];
        rl__cl_analyzer_code(s, r->analyzer, a, sizeof a);
        rl__cl_channel_code(s, r->channel, c, sizeof c);
        rl__cl_test_code(s, r->test, t, sizeof t);
        if (r->qc) {
            qc_names(s, r, mat, sizeof mat, lvl, sizeof lvl);
            snprintf(id, sizeof id, "%s/%s/%s/QC:%s/%s", a, c, t, mat, lvl);
        } else
            snprintf(id, sizeof id, "%s/%s/%s/patient", a, c, t);
        uint64_t hv = 1469598103934665603ull;
        for (const char *p = id; *p; p++) hv = (hv ^ (unsigned char)*p) * 1099511628211ull;
        size_t k = (size_t)hv & (hcap - 1);
        while (h[k] && strcmp(s->streams[h[k] - 1].id, id)) k = (k + 1) & (hcap - 1);
        if (!h[k]) {
            if (s->nstreams * 2 >= hcap) {
                st = RL_ERR_LIMIT;
                break;
            }
            if ((st = rl_array_grow((void **)&s->streams, &cap, s->nstreams + 1, sizeof *s->streams, MAX_STREAMS)) != RL_OK)
                break;
            cl_stream *sn = &s->streams[s->nstreams];
            memset(sn, 0, sizeof *sn);
            snprintf(sn->id, sizeof sn->id, "%s", id);
            sn->analyzer = r->analyzer, sn->channel = r->channel, sn->test = r->test, sn->qc = r->qc;
            sn->level = r->level;
            if (r->qc) {
                snprintf(sn->material_name, sizeof sn->material_name, "%s", mat);
                snprintf(sn->level_name, sizeof sn->level_name, "%s", lvl);
            }
            h[k] = (uint32_t)++s->nstreams;
        }
        cl_stream *sn = &s->streams[h[k] - 1];
        r->stream = h[k] - 1;
        if ((st = rl_array_grow((void **)&sn->res, &sn->cap, sn->n + 1, sizeof *sn->res, MAX_RESULTS)) == RL_OK)
            sn->res[sn->n++] = (uint32_t)i;
    }
    free(h);
    for (size_t i = 0; st == RL_OK && i < s->nstreams; i++)
        qsort_r(s->streams[i].res, s->streams[i].n, sizeof(uint32_t), by_time, s);
    return st;
}

long rl__cl_stream_find(const rl__cl_site *s, const char *id)
{
    for (size_t i = 0; i < s->nstreams; i++)
        if (!strcmp(s->streams[i].id, id)) return (long)i;
    return -1;
}

/* ---- runs ---- */

static rl_status push_run(rl__cl_site *s, size_t *cap, uint32_t stream, const uint32_t *res, size_t n)
{
    rl_status st = rl_array_grow((void **)&s->runs, cap, s->nruns + 1, sizeof *s->runs, MAX_RUNS);
    if (st != RL_OK) return st;
    uint32_t *copy = malloc(n * sizeof *copy);
    if (!copy) return RL_ERR_NOMEM;
    memcpy(copy, res, n * sizeof *copy);
    s->runs[s->nruns++] = (cl_run){stream, copy, n};
    return RL_OK;
}

static rl_status find_runs(rl__cl_site *s)
{
    size_t cap = 0;
    rl_status st = RL_OK;
    for (size_t k = 0; st == RL_OK && k < s->nstreams; k++) {
        cl_stream *sn = &s->streams[k];
        uint32_t *cur = malloc((sn->n + 1) * sizeof *cur);
        size_t n = 0;
        if (!cur) return RL_ERR_NOMEM;
        for (size_t i = 0; st == RL_OK && i <= sn->n; i++) {
            const cl_res *r = i < sn->n ? &s->res[sn->res[i]] : NULL;
            if (r && !r->evaluated) continue; /* unreliable or unevaluated: the quality gate's, not evidence */
            if (r && r->dir) {
                cur[n++] = sn->res[i];
                continue;
            }
            if (n >= (size_t)s->min_run) st = push_run(s, &cap, (uint32_t)k, cur, n);
            n = 0;
        }
        free(cur);
    }
    return st;
}

/* ---- Westgard ---- */

static void westgard_level(rl__cl_site *s, const cl_stream *sn)
{
    int n12 = 0, side22 = 0;
    int same1 = 0, side1 = 0, same0 = 0, side0 = 0;
    for (size_t i = 0; i < sn->n; i++) {
        cl_res *r = &s->res[sn->res[i]];
        if (!r->has_z) continue;
        double z = r->z;
        int sd = z > 0 ? 1 : z < 0 ? -1 : 0;
        if (fabs(z) > 2) r->westgard |= CL_WG_12S;
        if (fabs(z) > 3) r->westgard |= CL_WG_13S;
        if (fabs(z) > 2 && n12 && side22 == sd) r->westgard |= CL_WG_22S;
        n12 = fabs(z) > 2, side22 = sd;
        if (fabs(z) > 1 && sd == side1) same1++;
        else same1 = fabs(z) > 1 ? 1 : 0, side1 = fabs(z) > 1 ? sd : 0;
        if (same1 >= 4) r->westgard |= CL_WG_41S;
        if (sd && sd == side0) same0++;
        else same0 = sd ? 1 : 0, side0 = sd;
        if (same0 >= 10) r->westgard |= CL_WG_10X;
    }
}

/* Across levels: every QC result of one analyzer x channel x test, merged
 * in time order. */
static rl_status westgard_across(rl__cl_site *s)
{
    uint32_t *m = malloc((s->nres + 1) * sizeof *m);
    char *done = calloc(s->nstreams + 1, 1);
    if (!m || !done) {
        free(m);
        free(done);
        return RL_ERR_NOMEM;
    }
    for (size_t k = 0; k < s->nstreams; k++) {
        const cl_stream *a = &s->streams[k];
        if (!a->qc || done[k]) continue;
        size_t n = 0;
        for (size_t j = k; j < s->nstreams; j++) {
            const cl_stream *b = &s->streams[j];
            if (!b->qc || b->analyzer != a->analyzer || b->channel != a->channel || b->test != a->test) continue;
            done[j] = 1;
            for (size_t i = 0; i < b->n; i++)
                if (s->res[b->res[i]].has_z) m[n++] = b->res[i];
        }
        qsort_r(m, n, sizeof *m, by_time, s);
        int same1 = 0, side1 = 0, same0 = 0, side0 = 0;
        for (size_t i = 0; i < n; i++) {
            cl_res *r = &s->res[m[i]];
            int sd = r->z > 0 ? 1 : r->z < 0 ? -1 : 0;
            /* the same QC run: other levels within the gap before this one */
            for (size_t j = i; j-- > 0;) {
                cl_res *o = &s->res[m[j]];
                if (r->t - o->t > QC_RUN_GAP_S) break;
                if (o->stream == r->stream) continue;
                if (fabs(r->z) > 2 && fabs(o->z) > 2) {
                    if ((o->z > 0) == (r->z > 0)) r->westgard |= CL_WG_22S_X, o->westgard |= CL_WG_22S_X;
                    else r->westgard |= CL_WG_R4S, o->westgard |= CL_WG_R4S;
                }
            }
            if (fabs(r->z) > 1 && sd == side1) same1++;
            else same1 = fabs(r->z) > 1 ? 1 : 0, side1 = fabs(r->z) > 1 ? sd : 0;
            if (same1 >= 4 && !(r->westgard & CL_WG_41S)) r->westgard |= CL_WG_41S_X;
            if (sd && sd == side0) same0++;
            else same0 = sd ? 1 : 0, side0 = sd;
            if (same0 >= 10 && !(r->westgard & CL_WG_10X)) r->westgard |= CL_WG_10X_X;
        }
    }
    free(m);
    free(done);
    return RL_OK;
}

/* ---- centrifuge runs ---- */

static int type_is(const char *type, const char *what)
{
    char up[32];
    size_t k = 0;
    for (; type[k] && k + 1 < sizeof up; k++) up[k] = (char)toupper((unsigned char)type[k]);
    up[k] = 0;
    return strstr(up, what) != NULL;
}

static int cf_by_time(const void *a, const void *b)
{
    const cl_cfrun *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return strcmp(x->run_id, y->run_id);
}

static rl_status collect_centrifuge(rl__cl_site *s)
{
    rl_memgraph *g = s->g;
    size_t cap = 0;
    rl_status st = RL_OK;
    rl_mg_iter it = rl_mg_with(g, s->p[CL_P_RUN_ID]);
    rl_mg_id x;
    while (st == RL_OK && rl_mg_next(&it, &x)) {
        cl_cfrun c;
        memset(&c, 0, sizeof c);
        c.iri = x;
        if (!rl__cl_time(s, x, CL_P_RUN_START, &c.t) || c.t > s->as_of) continue;
        c.centrifuge = rl_mg_one(g, x, s->p[CL_P_CENTRIFUGE]);
        c.dept = rl_mg_one(g, x, s->p[CL_P_INST_DEPT]);
        if (!c.dept) c.dept = rl_mg_one(g, c.centrifuge, s->p[CL_P_INST_DEPT]);
        snprintf(c.run_id, sizeof c.run_id, "%s", rl_mg_text(g, x, s->p[CL_P_RUN_ID]));
        snprintf(c.type, sizeof c.type, "%s", rl_mg_text(g, x, s->p[CL_P_SPECIMEN_TYPE]));
        double rpm, r;
        c.rcf = -1;
        if (!rl_mg_num(g, x, s->p[CL_P_RCF], &c.rcf)) {
            c.rcf = -1;
            if ((rl_mg_num(g, x, s->p[CL_P_RPM], &rpm) || rl_mg_num(g, x, s->p[CL_P_SET_RPM], &rpm)) &&
                (rl_mg_num(g, x, s->p[CL_P_ROTOR], &r) || rl_mg_num(g, c.centrifuge, s->p[CL_P_ROTOR], &r)))
                c.rcf = 1.118e-5 * r * rpm * rpm, c.rcf_computed = 1;
        }
        c.sop = -1;
        if (type_is(c.type, "CIT")) rl_mg_num(g, c.centrifuge, s->p[CL_P_SOP_CIT], &c.sop);
        else if (type_is(c.type, "SER") || type_is(c.type, "SST")) rl_mg_num(g, c.centrifuge, s->p[CL_P_SOP_SER], &c.sop);
        c.below_sop = c.rcf >= 0 && c.sop > 0 && c.rcf < c.sop;
        c.aborted = type_is(rl_mg_text(g, x, s->p[CL_P_CF_EVENT]), "ABORT");
        if ((st = rl_array_grow((void **)&s->cf, &cap, s->ncf + 1, sizeof *s->cf, MAX_RESULTS)) == RL_OK) s->cf[s->ncf++] = c;
    }
    if (st != RL_OK) return st;
    if (s->ncf) qsort(s->cf, s->ncf, sizeof *s->cf, cf_by_time);
    /* a re-spin: the next run of the same centrifuge and specimen type after an abort */
    for (size_t i = 0; i < s->ncf; i++) {
        if (!s->cf[i].aborted) continue;
        for (size_t j = i + 1; j < s->ncf && s->cf[j].t - s->cf[i].t <= RESPIN_GAP_S; j++)
            if (s->cf[j].centrifuge == s->cf[i].centrifuge && !strcmp(s->cf[j].type, s->cf[i].type)) {
                s->cf[j].respin_of = (int)i + 1;
                break;
            }
    }
    return RL_OK;
}

rl_status rl__cl_site_load(rl_store *st, double as_of, int min_run, int tz_min, rl__cl_site **out, char *err,
                           size_t cap)
{
    rl_status r = RL_ERR_NOMEM;
    rl__cl_site *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s || !(s->g = rl_mg_new())) goto out;
    s->tz = tz_min;
    s->as_of = as_of;
    s->min_run = min_run < 2 ? 2 : min_run;
    if ((r = rl_mg_load(s->g, st, site_preds, err, cap)) != RL_OK) goto out;
    for (int i = 0; i < CL_P_COUNT; i++) s->p[i] = rl_mg_iri(s->g, site_preds[i]);
    if ((r = collect_results(s)) != RL_OK || (r = build_streams(s)) != RL_OK) goto fail;
    for (size_t k = 0; k < s->nstreams; k++)
        if (s->streams[k].qc) westgard_level(s, &s->streams[k]);
    if ((r = westgard_across(s)) != RL_OK || (r = find_runs(s)) != RL_OK || (r = collect_centrifuge(s)) != RL_OK ||
        (r = rl__cl_weights_index(s)) != RL_OK)
        goto fail;
    *out = s;
    return RL_OK;
fail:
    rl_errorf(err, cap, r, "diagnose: %s while analysing the site", rl_strerror(r));
out:
    if (r == RL_ERR_NOMEM) rl_errorf(err, cap, r, "diagnose: out of memory");
    rl__cl_site_free(s);
    return r;
}
