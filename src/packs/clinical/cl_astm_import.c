/* cl_astm_import.c: ASTM E1394 sessions -> samples, patients (masked) and
 * results of one batch (format "astm-e1394"). */
#include "cl_astm_import.h"

#include "cl_astm.h"
#include "cl_graph.h"
#include "cl_keys.h"
#include "span.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define F_MAX 1024

typedef struct conv {
    rl_batch *b;
    rl_astm_file *f;
    int tz, qc_session;
    char instrument[256], session_ts[15];
    /* current P and O */
    char patient[CL_IRI_MAX];
    char sample_id[F_MAX], sample_iri[CL_IRI_MAX], material[F_MAX], level[F_MAX];
    char order_ts[15]; /* O-23, O-8 or O-7: a fallback completion time */
    int have_o, o_qc;
    char last_node[CL_IRI_MAX]; /* where a C record's comment goes */
    size_t no_channel, results;
    rl_buf v;
} conv;

/* Field (component) of a record, trimmed, into out[F_MAX]. */
static void val(conv *c, const rl_astm_rec *r, int field, int rep, int comp, char *out)
{
    out[0] = 0;
    if (rl_astm_value(c->f, r, field, rep, comp, &c->v) != RL_OK || !c->v.data) return;
    const char *p = (const char *)c->v.data;
    while (isspace((unsigned char)*p)) p++;
    size_t n = strlen(p);
    while (n && isspace((unsigned char)p[n - 1])) n--;
    if (n >= F_MAX) n = F_MAX - 1;
    memcpy(out, p, n);
    out[n] = 0;
}

/* "^^^PT", "^^^685/", "^^^^WBC^1": the manufacturer's code (the first
 * non-empty component from the 4th on, without a trailing "/dilution"),
 * then the analyte qualifiers some analyzers put from the 7th component on
 * (GeneXpert "^MTB-RIF^^Xpert^^^rpoB1^Ct" -> "Xpert^rpoB1^Ct"). */
static void test_code(conv *c, const rl_astm_rec *r, int rep, char *out)
{
    char q[F_MAX];
    int first = 0;
    out[0] = 0;
    for (int comp = 4; comp <= 6 && !out[0]; comp++) val(c, r, 3, rep, comp, out), first = comp;
    if (!out[0]) val(c, r, 3, rep, 1, out);
    char *slash = strchr(out, '/');
    if (slash && slash != out) *slash = 0;
    for (int comp = first < 7 ? 7 : first + 1; comp <= 12; comp++) {
        val(c, r, 3, rep, comp, q);
        size_t n = strlen(out), l = strlen(q);
        if (q[0] && n + l + 2 < F_MAX) {
            out[n] = '^';
            memcpy(out + n + 1, q, l + 1);
        }
    }
}

static rl_status on_header(conv *c, const rl_astm_rec *r)
{
    char v[F_MAX];
    const char *given = rl_batch_param(c->b, "instrument");
    if (given && *given) snprintf(c->instrument, sizeof c->instrument, "%s", given);
    else {
        val(c, r, 5, 1, 1, v);
        if (!v[0]) val(c, r, 5, 0, 0, v);
        snprintf(c->instrument, sizeof c->instrument, "%.255s", v);
    }
    val(c, r, 12, 1, 1, v);
    c->qc_session = (v[0] == 'Q' || v[0] == 'q');
    val(c, r, 14, 1, 1, v);
    char err[200];
    c->session_ts[0] = 0;
    if (v[0] && rl_cl_ts_normalize(v, c->tz, c->session_ts, err, sizeof err) != RL_OK) c->session_ts[0] = 0;
    return RL_OK;
}

static rl_status on_patient(conv *c, const rl_astm_rec *r)
{
    char practice[F_MAX], lab[F_MAX], phone[F_MAX], sex[F_MAX];
    val(c, r, 3, 1, 1, practice); /* national ID at the pilot site */
    val(c, r, 4, 1, 1, lab);      /* laboratory-assigned patient id */
    val(c, r, 13, 1, 1, phone);
    val(c, r, 9, 1, 1, sex);
    c->have_o = 0;
    return rl_cl_emit_patient(c->b, lab, practice, phone, sex, c->patient);
}

static rl_status on_order(conv *c, const rl_astm_rec *r)
{
    char action[F_MAX], desc[F_MAX], type[F_MAX];
    /* the specimen id: O-3, else the instrument's id O-4 (its first non-empty
     * component: analyzers put rack and position around it) */
    c->sample_id[0] = 0;
    for (int f = 3; f <= 4 && !c->sample_id[0]; f++)
        for (int comp = 1; comp <= 4 && !c->sample_id[0]; comp++) val(c, r, f, 1, comp, c->sample_id);
    if (!c->sample_id[0]) {
        c->have_o = 0;
        return rl_batch_reject(c->b, "record %zu (O, frame %zu): field O-3: expected the specimen id", r->number, r->frame);
    }
    val(c, r, 12, 1, 1, action);
    val(c, r, 16, 1, 1, desc);
    val(c, r, 16, 1, 0, type);
    c->order_ts[0] = 0;
    static const int tf[] = {23, 8, 7};
    for (int k = 0; k < 3 && !c->order_ts[0]; k++) {
        char t[F_MAX], err[200];
        val(c, r, tf[k], 1, 1, t);
        if (t[0] && rl_cl_ts_normalize(t, c->tz, c->order_ts, err, sizeof err) != RL_OK) c->order_ts[0] = 0;
    }
    c->o_qc = c->qc_session || (action[0] == 'Q' || action[0] == 'q') || !strncasecmp(desc, "CTRL", 4);
    c->material[0] = c->level[0] = 0;
    if (c->o_qc) {
        val(c, r, 16, 1, 2, c->material);
        val(c, r, 16, 1, 3, c->level);
        if (!c->material[0]) snprintf(c->material, sizeof c->material, "%s", c->level);
    }
    rl_status st = rl_cl_emit_sample(c->b, c->sample_id, c->o_qc, c->o_qc ? NULL : desc,
                                     c->o_qc ? NULL : c->patient, c->sample_iri);
    if (st == RL_OK && c->o_qc) {
        if (c->material[0]) st = rl_batch_add_lit(c->b, c->sample_iri, CL_LAB "qcMaterialName", c->material, NULL);
        if (st == RL_OK && c->level[0]) st = rl_batch_add_lit(c->b, c->sample_iri, CL_LAB "qcLevel", c->level, NULL);
    }
    c->have_o = st == RL_OK;
    snprintf(c->last_node, sizeof c->last_node, "%s", c->sample_iri);
    return st;
}

static rl_status on_comment(conv *c, const rl_astm_rec *r)
{
    char k[F_MAX], v[F_MAX], text[F_MAX];
    val(c, r, 4, 1, 1, k);
    val(c, r, 4, 1, 2, v);
    val(c, r, 4, 0, 0, text);
    if (!c->last_node[0]) return RL_OK;
    if (c->have_o && c->o_qc && !strcasecmp(k, "LOT") && v[0]) {
        char lot[CL_IRI_MAX];
        rl_status st = rl_batch_add_lit(c->b, c->sample_iri, CL_LAB "lotNumber", v, NULL);
        if (st == RL_OK && c->material[0] && c->level[0]) {
            /* the lot IRI as lis_qc_lots.csv names it: material/level/lot, percent-encoded */
            char m[F_MAX * 3], l[F_MAX * 3], n[F_MAX * 3];
            rl_pct_encode(c->material, m, sizeof m);
            rl_pct_encode(c->level, l, sizeof l);
            rl_pct_encode(v, n, sizeof n);
            snprintf(lot, sizeof lot, "urn:rootline:lab:qc-lot:%.150s/%.150s/%.150s", m, l, n);
            st = rl_batch_add_iri(c->b, c->sample_iri, CL_LAB "qcLot", lot);
        }
        return st;
    }
    return text[0] ? rl_batch_add_lit(c->b, c->last_node, CL_RDFS "comment", text, NULL) : RL_OK;
}

static rl_status on_result(conv *c, const rl_astm_rec *r)
{
    char code[F_MAX], value[F_MAX], unit[F_MAX], range[F_MAX], flag[F_MAX], status[F_MAX], op[F_MAX],
        done[F_MAX], inst[F_MAX], ts[15], err[300], iri[CL_IRI_MAX];
    if (!c->have_o)
        return rl_batch_reject(c->b, "record %zu (R, frame %zu): a result without an order (O) record before it", r->number, r->frame);
    test_code(c, r, 1, code);
    if (!code[0])
        return rl_batch_reject(c->b, "record %zu (R, frame %zu): field R-3: expected a universal test id (^^^CODE)", r->number, r->frame);
    val(c, r, 4, 0, 0, value);
    val(c, r, 5, 1, 1, unit);
    val(c, r, 6, 0, 0, range);
    val(c, r, 7, 1, 1, flag);
    val(c, r, 9, 1, 1, status);
    val(c, r, 11, 1, 1, op);
    val(c, r, 13, 1, 1, done);
    val(c, r, 14, 1, 1, inst);
    if (!done[0]) val(c, r, 12, 1, 1, done);
    if (done[0]) {
        if (rl_cl_ts_normalize(done, c->tz, ts, err, sizeof err) != RL_OK)
            return rl_batch_reject(c->b, "record %zu (R, frame %zu): field R-13: expected YYYYMMDDHHMMSS, got '%.40s'", r->number, r->frame, done);
    } else if (c->order_ts[0] || c->session_ts[0]) {
        memcpy(ts, c->order_ts[0] ? c->order_ts : c->session_ts, 15);
        rl_batch_warn(c->b, "record %zu (R): no completion time (R-13, R-12): the %s time is used", r->number,
                      c->order_ts[0] ? "order's (O-23, O-8 or O-7)" : "H-14 message");
    } else {
        return rl_batch_reject(c->b, "record %zu (R, frame %zu): field R-13: expected the completion time", r->number, r->frame);
    }
    const char *why = NULL;
    if (!strcasecmp(status, "X")) why = "R-9 = X: the test could not be performed";
    else if (!strcasecmp(status, "W")) why = "R-9 = W: flagged by the analyzer";
    else if (value[0] && !rl_cl_is_decimal(value) && strspn(value, "-*?") == strlen(value)) why = "value is a placeholder";
    rl_cl_result res = {c->sample_id, code, inst[0] ? inst : c->instrument, ts, value, unit, range, flag,
                        status, op, why};
    int no_ch = 0;
    rl_status st = rl_cl_emit_result(c->b, &res, c->tz, iri, &no_ch, err, sizeof err);
    if (st == RL_ERR_INPUT)
        return rl_batch_reject(c->b, "record %zu (R, frame %zu): %s", r->number, r->frame, err);
    if (no_ch) c->no_channel++;
    c->results++;
    snprintf(c->last_node, sizeof c->last_node, "%s", iri);
    return st;
}

static rl_status astm_convert(rl_batch *b, const char *text, size_t len)
{
    conv c;
    char err[512];
    memset(&c, 0, sizeof c);
    c.b = b;
    c.tz = rl_cl_tz(b);
    rl_buf_init(&c.v, 1 << 20);
    const char *mode = rl_batch_param(b, "astm");
    int tolerant = !(mode && !strcmp(mode, "strict"));
    rl_status st = rl_astm_parse(text, len, tolerant, &c.f, err, sizeof err);
    if (st != RL_OK) {
        rl_buf_free(&c.v);
        return rl_batch_error(b, st, "%s", err);
    }
    if (!rl_cl_masking(b)) rl_batch_warn(b, "patient identifiers stored unmasked (--no-mask)");
    for (size_t i = 0; i < c.f->warnings.n && i < RL_WARNINGS_KEEP; i++)
        if (c.f->warnings.msg[i]) rl_batch_warn(b, "%s", c.f->warnings.msg[i]);
    for (size_t i = 0; i < c.f->nrecs && st == RL_OK; i++) {
        const rl_astm_rec *r = &c.f->recs[i];
        rl_batch_record(b);
        switch (r->type) {
        case 'H': st = on_header(&c, r); break;
        case 'P': st = on_patient(&c, r); break;
        case 'O': st = on_order(&c, r); break;
        case 'R': st = on_result(&c, r); break;
        case 'C': st = on_comment(&c, r); break;
        default: break; /* M, Q, L: counted */
        }
        if (r->type == 'H' && !c.instrument[0])
            st = rl_batch_error(b, RL_ERR_INPUT, "record %zu (H): field H-5: expected the sender (instrument) name, "
                                "or give it with --set instrument=ID", r->number);
    }
    if (st == RL_OK && c.no_channel)
        rl_batch_warn(b, "%zu result(s) of instrument '%s' matched no channel in the instruments master "
                      "(import instruments.csv first)", c.no_channel, c.instrument);
    rl_astm_free(c.f);
    rl_buf_free(&c.v);
    return st;
}

static int astm_sniff(const char *head, size_t n)
{
    return rl_astm_sniff(head, n);
}

static int astm_rank(const char *head, size_t n)
{
    (void)head, (void)n;
    return 70; /* results: after every master they refer to */
}

const rl_input_format rl_cl_astm_format = {"astm-e1394", astm_sniff, astm_convert, rl_cl_lookups, astm_rank};
