/* cl_hl7_import.c: HL7 v2 messages -> departments (MFN^M05), tests and
 * panels (MFN^M08/M10), patient movements (ADT), results (ORU^R01). */
#include "cl_hl7_import.h"

#include "cl_graph.h"
#include "cl_hl7.h"
#include "cl_keys.h"
#include "keys.h"
#include "mask.h"
#include "span.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define V_MAX 2048

typedef struct conv {
    rl_batch *b;
    rl_hl7_file *f;
    const rl_hl7_msg *m;
    int tz, define_only;
    rl_buf v;
    size_t results, no_channel;
} conv;

static void val(conv *c, const rl_hl7_seg *s, int field, int rep, int comp, char *out)
{
    out[0] = 0;
    if (!s || rl_hl7_value(c->m, s, field, rep, comp, 0, &c->v) != RL_OK || !c->v.data) return;
    const char *p = (const char *)c->v.data;
    while (isspace((unsigned char)*p)) p++;
    size_t n = strlen(p);
    while (n && isspace((unsigned char)p[n - 1])) n--;
    if (n >= V_MAX) n = V_MAX - 1;
    memcpy(out, p, n);
    out[n] = 0;
}

static const rl_hl7_seg *seg(conv *c, size_t i)
{
    return &c->f->segs[c->m->first + i];
}

static int is(const rl_hl7_seg *s, const char *id)
{
    return !strcmp(s->id, id);
}

static void ts_of(conv *c, const char *v, char *ts)
{
    char err[200];
    ts[0] = 0;
    if (v[0] && rl_cl_ts_normalize(v, c->tz, ts, err, sizeof err) != RL_OK) {
        /* HL7 TS may be shorter (YYYYMMDDHHMM) or carry an offset: pad */
        char t[32];
        size_t n = strspn(v, "0123456789");
        if (n >= 8 && n < 14) {
            snprintf(t, sizeof t, "%.*s%.*s", (int)n, v, (int)(14 - n), "000000");
            if (rl_cl_ts_normalize(t, c->tz, ts, err, sizeof err) != RL_OK) ts[0] = 0;
        } else ts[0] = 0;
    }
}

/* ---- masters: MFN^M05 --------------------------------------------------- */

typedef struct loc {
    char campus[V_MAX], code[V_MAX], name[V_MAX], type[V_MAX], parent[V_MAX];
} loc;

static rl_status emit_location(conv *c, const loc *l, size_t segno)
{
    char iri[CL_IRI_MAX], key[33], err[300], k[2 * V_MAX + 2], campus[CL_IRI_MAX];
    if (!l->code[0] || !l->name[0] || !l->campus[0])
        return rl_batch_reject(c->b, "segment %zu (LOC): LOC-1.1 (code), LOC-1.4 (campus) and LOC-2 (full name) are required", segno);
    rl_status st = rl_cl_iri_department(l->campus, l->name, l->parent, iri, key, err, sizeof err);
    if (st != RL_OK) return rl_batch_reject(c->b, "segment %zu (LOC): %s", segno, err);
    snprintf(k, sizeof k, "%s|%s", l->campus, l->code);
    if (c->define_only) {
        st = rl_batch_lookup_define(c->b, CL_CLIN "deptLookupKey", iri, k);
        if (st == RL_OK) st = rl_batch_lookup_define(c->b, CL_CLIN "deptLookupKey", iri, l->code);
        return st;
    }
    rl_batch *b = c->b;
#define LIT(p, v) \
    if (st == RL_OK && (v)[0]) st = rl_batch_add_lit(b, iri, p, v, NULL)
    st = rl_batch_add_iri(b, iri, CL_RDF_TYPE, CL_CLIN "Department");
    if (st == RL_OK) st = rl_batch_add_iri(b, iri, CL_RDF_TYPE, CL_RL "Entity");
    if (st == RL_OK) st = rl_batch_add_iri(b, iri, CL_RL "atLevel", CL_RL "Level1");
    LIT(CL_RL "alignmentKey", key);
    LIT(CL_RL "alignmentKeyScheme", "department: MD5(campus_id|full_name|parent_dept_code)");
    LIT(CL_CLIN "deptCode", l->code);
    LIT(CL_CLIN "fullName", l->name);
    LIT(CL_CLIN "campusId", l->campus);
    LIT(CL_CLIN "parentDeptCode", l->parent);
    LIT(CL_CLIN "locationType", l->type);
    LIT(CL_CLIN "deptLookupKey", k);
    LIT(CL_CLIN "deptLookupKey", l->code);
#undef LIT
    if (st == RL_OK) {
        raptor_world *w = rl_batch_world(b);
        raptor_term *ts = raptor_new_term_from_uri_string(w, (const unsigned char *)iri);
        raptor_term *tp = raptor_new_term_from_uri_string(w, (const unsigned char *)CL_RDFS "label");
        raptor_term *to = raptor_new_term_from_literal(w, (const unsigned char *)l->name, NULL, (const unsigned char *)"zh");
        st = rl_batch_add(b, ts, tp, to);
        if (ts) raptor_free_term(ts);
        if (tp) raptor_free_term(tp);
        if (to) raptor_free_term(to);
    }
    if (st == RL_OK && rl_cl_iri_code("urn:rootline:clin:campus:", l->campus, campus) == RL_OK) {
        st = rl_batch_add_iri(b, iri, CL_CLIN "campus", campus);
        if (st == RL_OK) st = rl_batch_add_iri(b, campus, CL_RDF_TYPE, CL_CLIN "Campus");
        if (st == RL_OK) st = rl_batch_add_iri(b, campus, CL_CLIN "hasDepartment", iri);
        if (st == RL_OK) st = rl_batch_add_lit(b, campus, CL_CLIN "campusId", l->campus, NULL);
    }
    if (st == RL_OK && l->parent[0]) {
        char pk[2 * V_MAX + 2];
        snprintf(pk, sizeof pk, "%s|%s", l->campus, l->parent);
        const char *p = rl_batch_lookup_subject(b, CL_CLIN "deptLookupKey", pk);
        if (p) st = rl_batch_add_iri(b, iri, CL_ORG "subOrganizationOf", p);
        else rl_batch_warn(b, "segment %zu (LRL): parent department %s of %s not known", segno, pk, l->code);
    }
    return st;
}

static rl_status mfn_m05(conv *c)
{
    loc l;
    int have = 0;
    size_t at = 0;
    rl_status st = RL_OK;
    for (size_t i = 0; i < c->m->nsegs && st == RL_OK; i++) {
        const rl_hl7_seg *s = seg(c, i);
        if (is(s, "LOC")) {
            if (have) st = emit_location(c, &l, at);
            memset(&l, 0, sizeof l);
            val(c, s, 1, 1, 1, l.code);
            val(c, s, 1, 1, 4, l.campus);
            val(c, s, 2, 1, 0, l.name);
            val(c, s, 3, 1, 1, l.type);
            have = 1;
            at = s->number;
        } else if (is(s, "LRL") && have) {
            val(c, s, 6, 1, 1, l.parent);
            if (!l.parent[0]) val(c, s, 5, 1, 10, l.parent);
            if (!l.parent[0]) val(c, s, 5, 1, 1, l.parent);
        } else if (is(s, "MFE") && have) {
            st = emit_location(c, &l, at);
            have = 0;
        }
    }
    if (have && st == RL_OK) st = emit_location(c, &l, at);
    return st;
}

/* ---- masters: MFN^M08 / M10 ---------------------------------------------- */

/* OM1-2 / OBX-3 style coded element: local code (system L or 99*, else the
 * first), LOINC (system LN), text. */
static void coded(conv *c, const rl_hl7_seg *s, int field, char *local, char *loinc, char *text)
{
    char sys[V_MAX], code[V_MAX];
    local[0] = loinc[0] = 0;
    if (text) text[0] = 0;
    size_t reps = rl_hl7_repetitions(c->m, s, field);
    for (size_t r = 1; r <= (reps ? reps : 1); r++) {
        for (int trip = 0; trip < 2; trip++) { /* id^text^system and alternate id^text^system */
            val(c, s, field, (int)r, 1 + 3 * trip, code);
            val(c, s, field, (int)r, 3 + 3 * trip, sys);
            if (!code[0]) continue;
            if (!strcasecmp(sys, "LN")) {
                if (!loinc[0]) snprintf(loinc, V_MAX, "%s", code);
            } else if (!local[0] && (!strcasecmp(sys, "L") || !strncmp(sys, "99", 2))) {
                snprintf(local, V_MAX, "%s", code);
                if (text && !text[0]) val(c, s, field, (int)r, 2 + 3 * trip, text);
            }
        }
    }
    if (!local[0] && !loinc[0]) {
        val(c, s, field, 1, 1, local);
        if (text) val(c, s, field, 1, 2, text);
    }
    if (text && !text[0]) val(c, s, field, 1, 2, text);
}

static rl_status emit_test(conv *c, const rl_hl7_seg *om1, const rl_hl7_seg *om2)
{
    char code[V_MAX], loinc[V_MAX], name[V_MAX], method[V_MAX], unit[V_MAX], range[V_MAX], iri[CL_IRI_MAX];
    coded(c, om1, 2, code, loinc, name);
    if (!code[0]) return rl_batch_reject(c->b, "segment %zu (OM1): OM1-2: expected the test code", om1->number);
    val(c, om1, 14, 1, 2, method);
    if (!method[0]) val(c, om1, 14, 1, 1, method);
    val(c, om2, 2, 1, 1, unit);
    val(c, om2, 6, 1, 1, range);
    if (rl_cl_iri_code("urn:rootline:lab:test:", code, iri) != RL_OK)
        return rl_batch_reject(c->b, "segment %zu (OM1): test code too long", om1->number);
    const char *ucum = unit[0] ? rl_cl_unit_ucum(unit) : "";
    char li[CL_IRI_MAX] = "";
    if (loinc[0] && rl_cl_iri_code(CL_LOINC, loinc, li) == RL_OK) strcat(li, "/");
    if (c->define_only) {
        rl_status st = RL_OK;
        if (ucum[0]) st = rl_batch_lookup_define(c->b, CL_LAB "unit", iri, ucum);
        if (st == RL_OK && li[0]) st = rl_batch_lookup_define(c->b, CL_LAB "loinc", iri, li);
        if (st == RL_OK) st = rl_batch_lookup_define(c->b, CL_LAB "localCode", iri, code);
        return st;
    }
    rl_batch *b = c->b;
    rl_status st = rl_batch_add_iri(b, iri, CL_RDF_TYPE, CL_LAB "Test");
    if (st == RL_OK) st = rl_batch_add_lit(b, iri, CL_LAB "localCode", code, NULL);
    if (st == RL_OK && li[0]) st = rl_batch_add_iri(b, iri, CL_LAB "loinc", li);
    if (st == RL_OK && ucum[0]) st = rl_batch_add_lit(b, iri, CL_LAB "unit", ucum, NULL);
    if (st == RL_OK && method[0]) st = rl_batch_add_lit(b, iri, CL_LAB "method", method, NULL);
    if (st == RL_OK && name[0]) st = rl_batch_add_lit(b, iri, CL_RDFS "label", name, NULL);
    char lo[V_MAX], hi[V_MAX];
    const char *dash = range[0] ? strchr(range + 1, '-') : NULL;
    if (dash) {
        snprintf(lo, sizeof lo, "%.*s", (int)(dash - range), range);
        snprintf(hi, sizeof hi, "%s", dash + 1);
        if (st == RL_OK && rl_cl_is_decimal(lo)) st = rl_batch_add_lit(b, iri, CL_LAB "referenceLow", lo, CL_XSD "decimal");
        if (st == RL_OK && rl_cl_is_decimal(hi)) st = rl_batch_add_lit(b, iri, CL_LAB "referenceHigh", hi, CL_XSD "decimal");
    }
    return st;
}

static rl_status emit_panel(conv *c, const rl_hl7_seg *om1, const rl_hl7_seg *om5)
{
    char code[V_MAX], loinc[V_MAX], name[V_MAX], method[V_MAX], first[V_MAX], iri[CL_IRI_MAX], key[65],
        err[300], t[CL_IRI_MAX];
    coded(c, om1, 2, code, loinc, name);
    val(c, om1, 14, 1, 2, method);
    if (!method[0]) val(c, om1, 14, 1, 1, method);
    if (!code[0] || !name[0]) return rl_batch_reject(c->b, "segment %zu (OM1): OM1-2: expected panel code and name", om1->number);
    if (!om5) return rl_batch_reject(c->b, "segment %zu (OM1): panel %s has no OM5 (member tests)", om1->number, code);
    val(c, om5, 2, 1, 1, first);
    /* HL7 carries no panel unit: the unit of its first member test (issue: SPEC §3) */
    const char *unit = NULL;
    if (first[0] && rl_cl_iri_code("urn:rootline:lab:test:", first, t) == RL_OK)
        unit = rl_batch_lookup_object(c->b, t, CL_LAB "unit");
    if (!unit) {
        if (c->define_only) return RL_OK;
        return rl_batch_reject(c->b, "segment %zu (OM5): panel %s: the unit of its first member test %s is not known "
                               "(import the test master, MFN^M08 or lis_tests.csv, first)", om5->number, code, first);
    }
    rl_status st = rl_cl_iri_panel(name, method, unit, iri, key, err, sizeof err);
    if (st != RL_OK) return rl_batch_reject(c->b, "segment %zu (OM1): %s", om1->number, err);
    if (c->define_only) {
        st = rl_batch_lookup_define(c->b, CL_LAB "panelCode", iri, code);
        size_t reps = rl_hl7_repetitions(c->m, om5, 2);
        for (size_t r = 1; r <= reps && st == RL_OK; r++) {
            val(c, om5, 2, (int)r, 1, first);
            if (first[0] && rl_cl_iri_code("urn:rootline:lab:test:", first, t) == RL_OK)
                st = rl_batch_lookup_define(c->b, CL_LAB "hasMember", iri, t);
        }
        return st;
    }
    rl_batch *b = c->b;
    st = rl_batch_add_iri(b, iri, CL_RDF_TYPE, CL_LAB "TestPanel");
    if (st == RL_OK) st = rl_batch_add_iri(b, iri, CL_RDF_TYPE, CL_RL "Entity");
    if (st == RL_OK) st = rl_batch_add_iri(b, iri, CL_RL "atLevel", CL_RL "Level2");
    if (st == RL_OK) st = rl_batch_add_lit(b, iri, CL_RL "alignmentKey", key, NULL);
    if (st == RL_OK) st = rl_batch_add_lit(b, iri, CL_RL "alignmentKeyScheme", "panel: SHA-256(panel_name|method|unit)", NULL);
    if (st == RL_OK) st = rl_batch_add_lit(b, iri, CL_LAB "panelCode", code, NULL);
    if (st == RL_OK) st = rl_batch_add_lit(b, iri, CL_LAB "unit", unit, NULL);
    if (st == RL_OK && method[0]) st = rl_batch_add_lit(b, iri, CL_LAB "method", method, NULL);
    if (st == RL_OK) st = rl_batch_add_lit(b, iri, CL_RDFS "label", name, NULL);
    size_t reps = rl_hl7_repetitions(c->m, om5, 2);
    for (size_t r = 1; r <= reps && st == RL_OK; r++) {
        val(c, om5, 2, (int)r, 1, first);
        if (first[0] && rl_cl_iri_code("urn:rootline:lab:test:", first, t) == RL_OK)
            st = rl_batch_add_iri(b, iri, CL_LAB "hasMember", t);
    }
    return st;
}

static rl_status mfn_tests(conv *c)
{
    rl_status st = RL_OK;
    for (size_t i = 0; i < c->m->nsegs && st == RL_OK; i++) {
        const rl_hl7_seg *s = seg(c, i);
        if (!is(s, "OM1")) continue;
        const rl_hl7_seg *om2 = NULL, *om5 = NULL;
        for (size_t k = i + 1; k < c->m->nsegs && !is(seg(c, k), "OM1") && !is(seg(c, k), "MFE"); k++) {
            if (is(seg(c, k), "OM2")) om2 = seg(c, k);
            if (is(seg(c, k), "OM5")) om5 = seg(c, k);
        }
        char nature[V_MAX];
        val(c, s, 18, 1, 1, nature);
        int panel = om5 || !strcasecmp(nature, "P") || !strcasecmp(nature, "S");
        st = panel ? emit_panel(c, s, om5) : emit_test(c, s, om2);
    }
    return st;
}

/* ---- patients, ADT, ORU ----------------------------------------------------- */

static rl_status patient(conv *c, const rl_hl7_seg *pid, char *iri)
{
    char natid[V_MAX] = "", local[V_MAX] = "", id[V_MAX], type[V_MAX], phone[V_MAX], sex[V_MAX];
    iri[0] = 0;
    if (!pid) return RL_OK;
    size_t reps = rl_hl7_repetitions(c->m, pid, 3);
    for (size_t r = 1; r <= reps; r++) {
        val(c, pid, 3, (int)r, 1, id);
        val(c, pid, 3, (int)r, 5, type);
        if (!id[0]) continue;
        if (!strcasecmp(type, "NNCHN")) snprintf(natid, sizeof natid, "%s", id);
        else if (!local[0]) snprintf(local, sizeof local, "%s", id);
    }
    val(c, pid, 13, 1, 1, phone);
    val(c, pid, 8, 1, 1, sex);
    return rl_cl_emit_patient(c->b, local, natid, phone, sex, iri);
}

static const char *department(conv *c, const rl_hl7_seg *pv1)
{
    char code[V_MAX], campus[V_MAX], k[2 * V_MAX + 2];
    if (!pv1) return NULL;
    val(c, pv1, 3, 1, 1, code);
    val(c, pv1, 3, 1, 4, campus);
    if (!code[0]) return NULL;
    snprintf(k, sizeof k, "%s|%s", campus, code);
    const char *d = campus[0] ? rl_batch_lookup_subject(c->b, CL_CLIN "deptLookupKey", k) : NULL;
    return d ? d : rl_batch_lookup_subject(c->b, CL_CLIN "deptLookupKey", code);
}

static const rl_hl7_seg *find(conv *c, const char *id)
{
    for (size_t i = 0; i < c->m->nsegs; i++)
        if (is(seg(c, i), id)) return seg(c, i);
    return NULL;
}

/* The identifying values of the message's PID (ids, name, birth date,
 * address, phones, SSN): a Z-segment may repeat them. */
#define MAX_SENS 64
typedef struct sens {
    char v[MAX_SENS][128];
    size_t n;
} sens;

static void sens_collect(conv *c, sens *out)
{
    static const int fields[] = {2, 3, 4, 5, 6, 7, 11, 13, 14, 19, 20};
    const rl_hl7_seg *pid = find(c, "PID");
    out->n = 0;
    for (size_t f = 0; pid && f < sizeof fields / sizeof *fields; f++) {
        size_t reps = rl_hl7_repetitions(c->m, pid, fields[f]);
        for (size_t r = 1; r <= reps; r++)
            for (int comp = 1; comp <= 9 && out->n < MAX_SENS; comp++) {
                char v[V_MAX];
                val(c, pid, fields[f], (int)r, comp, v);
                size_t l = strlen(v);
                if (l >= 3 && l < sizeof out->v[0]) memcpy(out->v[out->n++], v, l + 1);
            }
    }
}

/* Z-segments: kept as text after masking: every value the PID carries
 * (ids, name, birth date, address, phones) becomes '*'s, and so does any
 * run of 7 or more digits (phone numbers, ID numbers, with their
 * separators), keeping its first 3 and last 4 digits. */
static rl_status z_segment(conv *c, const rl_hl7_seg *s, const char *node)
{
    char out[8192];
    if (!rl_cl_masking(c->b)) {
        snprintf(out, sizeof out, "%.*s", (int)(s->len < 8000 ? s->len : 8000), s->text);
        return rl_batch_add_lit(c->b, node, CL_CLIN "zSegment", out, NULL);
    }
    sens sv;
    sens_collect(c, &sv);
    size_t n = s->len < sizeof out - 1 ? s->len : sizeof out - 1;
    memcpy(out, s->text, n);
    out[n] = 0;
    for (size_t k = 0; k < sv.n; k++) /* identifying values */
        for (char *p = strstr(out, sv.v[k]); p; p = strstr(p, sv.v[k]))
            for (size_t i = 0, l = strlen(sv.v[k]); i < l; i++) *p++ = '*';
    for (char *p = out; *p;) { /* digit runs with separators */
        char *q = p;
        size_t digits = 0;
        while (*q && (isdigit((unsigned char)*q) || ((*q == '-' || *q == '(' || *q == ')' || *q == ' ') && digits))) {
            if (isdigit((unsigned char)*q)) digits++;
            q++;
        }
        if (*q == 'X' || *q == 'x') q++;
        if (digits >= 7) {
            size_t seen = 0;
            for (char *r = p; r < q; r++)
                if (isdigit((unsigned char)*r) || *r == 'X' || *r == 'x') {
                    seen++;
                    if (seen > 3 && seen + 4 <= digits + (q[-1] == 'X' || q[-1] == 'x')) *r = '*';
                }
        }
        p = q > p ? q : p + 1;
    }
    return rl_batch_add_lit(c->b, node, CL_CLIN "zSegment", out, NULL);
}

static rl_status adt(conv *c, const char *event)
{
    char piri[CL_IRI_MAX], iri[CL_IRI_MAX], when[V_MAX], ts[15], iso[32], ctl[V_MAX];
    const rl_hl7_seg *msh = seg(c, 0), *pid = find(c, "PID"), *pv1 = find(c, "PV1");
    rl_status st = patient(c, pid, piri);
    if (st != RL_OK || !piri[0]) return st;
    val(c, msh, 10, 1, 1, ctl);
    val(c, msh, 7, 1, 1, when);
    ts_of(c, when, ts);
    char k[V_MAX + 64];
    snprintf(k, sizeof k, "%.1000s|%.16s|%.15s", ctl, event, ts);
    char hex[33];
    rl_sha256_hex(k, strlen(k), 16, hex);
    snprintf(iri, sizeof iri, "urn:rootline:clin:movement:%s", hex);
    st = rl_batch_add_iri(c->b, iri, CL_RDF_TYPE, CL_CLIN "PatientMovement");
    if (st == RL_OK) st = rl_batch_add_iri(c->b, iri, CL_LAB "patient", piri);
    if (st == RL_OK) st = rl_batch_add_lit(c->b, iri, CL_CLIN "event", event, NULL);
    if (st == RL_OK && ts[0]) {
        rl_cl_ts14_iso(ts, c->tz, iso);
        st = rl_batch_add_lit(c->b, iri, CL_CLIN "at", iso, CL_XSD "dateTime");
    }
    const char *d = department(c, pv1);
    if (st == RL_OK && d) st = rl_batch_add_iri(c->b, iri, CL_CLIN "department", d);
    else if (st == RL_OK && pv1) rl_batch_warn(c->b, "segment %zu (PV1): PV1-3 location is no known department", pv1->number);
    for (size_t i = 0; i < c->m->nsegs && st == RL_OK; i++)
        if (seg(c, i)->id[0] == 'Z') st = z_segment(c, seg(c, i), iri);
    return st;
}

static rl_status oru(conv *c)
{
    char piri[CL_IRI_MAX], sample[V_MAX], siri[CL_IRI_MAX], panel[V_MAX], t[V_MAX], ts_obr[15] = "",
        ts_msh[15], type[V_MAX], last[CL_IRI_MAX] = "";
    const rl_hl7_seg *msh = seg(c, 0), *pv1 = find(c, "PV1");
    rl_status st = patient(c, find(c, "PID"), piri);
    const char *dept = department(c, pv1);
    val(c, msh, 7, 1, 1, t);
    ts_of(c, t, ts_msh);
    int have_sample = 0;
    for (size_t i = 0; i < c->m->nsegs && st == RL_OK; i++) {
        const rl_hl7_seg *s = seg(c, i);
        if (is(s, "OBR")) {
            sample[0] = 0;
            static const int idf[] = {3, 2};
            for (int k = 0; k < 2 && !sample[0]; k++) val(c, s, idf[k], 1, 1, sample);
            if (!sample[0]) {
                const rl_hl7_seg *orc = find(c, "ORC");
                val(c, orc, 3, 1, 1, sample);
                if (!sample[0]) val(c, orc, 2, 1, 1, sample);
            }
            have_sample = 0;
            if (!sample[0]) {
                st = rl_batch_reject(c->b, "segment %zu (OBR): OBR-3 / OBR-2: expected the specimen (order) id", s->number);
                continue;
            }
            val(c, s, 15, 1, 1, type);
            st = rl_cl_emit_sample(c->b, sample, 0, type, piri, siri);
            have_sample = st == RL_OK;
            val(c, s, 4, 1, 1, panel);
            const char *p = panel[0] ? rl_batch_lookup_subject(c->b, CL_LAB "panelCode", panel) : NULL;
            if (st == RL_OK && p) st = rl_batch_add_iri(c->b, siri, CL_LAB "orderedPanel", p);
            if (st == RL_OK && dept) {
                st = rl_batch_add_iri(c->b, siri, CL_CLIN "orderingDepartment", dept);
                if (st == RL_OK && p) st = rl_batch_add_iri(c->b, dept, CL_CLIN "hasTestPanel", p);
            }
            static const int tf[] = {22, 8, 7};
            ts_obr[0] = 0;
            for (int k = 0; k < 3 && !ts_obr[0]; k++) {
                val(c, s, tf[k], 1, 1, t);
                ts_of(c, t, ts_obr);
            }
            snprintf(last, sizeof last, "%s", siri);
        } else if (is(s, "OBX")) {
            if (!have_sample) {
                st = rl_batch_reject(c->b, "segment %zu (OBX): a result without an order (OBR) before it", s->number);
                continue;
            }
            char code[V_MAX], loinc[V_MAX], vt[V_MAX], value[V_MAX], unit[V_MAX], range[V_MAX], flag[V_MAX],
                status[V_MAX], op[V_MAX], inst[V_MAX], ts[15] = "", err[300], iri[CL_IRI_MAX];
            coded(c, s, 3, code, loinc, NULL);
            if (loinc[0] && (!code[0] || !strcmp(code, loinc))) {
                /* LOINC only: the local code through the test catalogue */
                char li[CL_IRI_MAX];
                if (rl_cl_iri_code(CL_LOINC, loinc, li) == RL_OK) {
                    strcat(li, "/");
                    const char *tiri = rl_batch_lookup_subject(c->b, CL_LAB "loinc", li);
                    const char *lc = tiri ? rl_batch_lookup_object(c->b, tiri, CL_LAB "localCode") : NULL;
                    if (lc) snprintf(code, sizeof code, "%s", lc);
                    else {
                        snprintf(code, sizeof code, "%s", loinc);
                        rl_batch_warn(c->b, "segment %zu (OBX): LOINC %s is in no test of the catalogue: the LOINC code names the test", s->number, loinc);
                    }
                }
            }
            if (!code[0]) {
                st = rl_batch_reject(c->b, "segment %zu (OBX): OBX-3: expected the test code", s->number);
                continue;
            }
            val(c, s, 2, 1, 1, vt);
            if (!strcasecmp(vt, "SN")) {
                char cmp[V_MAX], num[V_MAX];
                val(c, s, 5, 1, 1, cmp);
                val(c, s, 5, 1, 2, num);
                snprintf(value, sizeof value, "%.100s%.1000s", cmp, num);
            } else val(c, s, 5, 0, 0, value);
            val(c, s, 6, 1, 1, unit);
            val(c, s, 7, 0, 0, range);
            val(c, s, 8, 1, 1, flag);
            val(c, s, 11, 1, 1, status);
            val(c, s, 16, 1, 1, op);
            val(c, s, 18, 1, 1, inst);
            if (!inst[0]) {
                const char *given = rl_batch_param(c->b, "instrument");
                if (given) snprintf(inst, sizeof inst, "%s", given);
            }
            static const int tf[] = {19, 14};
            for (int k = 0; k < 2 && !ts[0]; k++) {
                val(c, s, tf[k], 1, 1, t);
                ts_of(c, t, ts);
            }
            if (!ts[0]) {
                if (!ts_obr[0] && !ts_msh[0]) {
                    st = rl_batch_reject(c->b, "segment %zu (OBX): OBX-19 / OBX-14: expected the analysis time", s->number);
                    continue;
                }
                memcpy(ts, ts_obr[0] ? ts_obr : ts_msh, 15);
                rl_batch_warn(c->b, "segment %zu (OBX): no OBX-19 / OBX-14: the %s time is used", s->number,
                              ts_obr[0] ? "order's (OBR-22, OBR-8 or OBR-7)" : "message's (MSH-7)");
            }
            const char *why = !strcasecmp(status, "X") ? "OBX-11 = X: the result could not be obtained"
                              : (value[0] && !rl_cl_is_decimal(value) && strspn(value, "-*?") == strlen(value))
                                  ? "value is a placeholder"
                                  : NULL;
            rl_cl_result res = {sample, code, inst, ts, value, unit, range, flag, status, op, why};
            int no_ch = 0;
            st = rl_cl_emit_result(c->b, &res, c->tz, iri, &no_ch, err, sizeof err);
            if (st == RL_ERR_INPUT) {
                st = rl_batch_reject(c->b, "segment %zu (OBX): %s", s->number, err);
                continue;
            }
            if (no_ch && inst[0]) c->no_channel++;
            c->results++;
            snprintf(last, sizeof last, "%s", iri);
        } else if (is(s, "NTE") && last[0]) {
            val(c, s, 3, 0, 0, t);
            if (t[0]) st = rl_batch_add_lit(c->b, last, CL_RDFS "comment", t, NULL);
        } else if (s->id[0] == 'Z' && (last[0] || piri[0])) {
            st = z_segment(c, s, last[0] ? last : piri);
        }
    }
    return st;
}

/* ---- driver --------------------------------------------------------------- */

static rl_status message(conv *c)
{
    char type[V_MAX], event[V_MAX];
    const rl_hl7_seg *msh = seg(c, 0);
    val(c, msh, 9, 1, 1, type);
    val(c, msh, 9, 1, 2, event);
    if (!strcmp(type, "MFN") && !strcmp(event, "M05")) return mfn_m05(c);
    if (!strcmp(type, "MFN") && (!strcmp(event, "M08") || !strcmp(event, "M10"))) return mfn_tests(c);
    if (c->define_only) return RL_OK;
    if (!strcmp(type, "ADT")) {
        if (!strcmp(event, "A01") || !strcmp(event, "A02") || !strcmp(event, "A03") ||
            !strcmp(event, "A04") || !strcmp(event, "A08"))
            return adt(c, event);
        rl_batch_warn(c->b, "segment %zu (MSH): ADT^%s is not read (A01, A02, A03, A04, A08 are)", msh->number, event);
        return RL_OK;
    }
    if (!strcmp(type, "ORU")) return oru(c);
    rl_batch_warn(c->b, "segment %zu (MSH): message type %s^%s is not read", msh->number, type, event);
    return RL_OK;
}

static rl_status hl7_convert(rl_batch *b, const char *text, size_t len)
{
    conv c;
    char err[512];
    memset(&c, 0, sizeof c);
    c.b = b;
    c.tz = rl_cl_tz(b);
    rl_buf_init(&c.v, 1 << 20);
    rl_status st = rl_hl7_parse_ex(text, len, 1, &c.f, err, sizeof err);
    if (st != RL_OK) {
        rl_buf_free(&c.v);
        return rl_batch_error(b, st, "%s", err);
    }
    if (!rl_cl_masking(b)) rl_batch_warn(b, "patient identifiers stored unmasked (--no-mask)");
    for (size_t i = 0; i < c.f->warnings.n && i < RL_WARNINGS_KEEP; i++)
        if (c.f->warnings.msg[i]) rl_batch_warn(b, "%s", c.f->warnings.msg[i]);
    for (size_t i = 0; i < c.f->nbad && st == RL_OK; i++)
        st = rl_batch_reject(b, "message at segment %zu refused: %s", c.f->bad[i].number, c.f->bad[i].why);
    /* pass 1: masters define their lookup facts, so records may refer forward */
    for (int pass = 0; pass < 2 && st == RL_OK; pass++) {
        c.define_only = pass == 0;
        for (size_t i = 0; i < c.f->nmsgs && st == RL_OK; i++) {
            c.m = &c.f->msgs[i];
            st = message(&c);
        }
    }
    if (st == RL_OK)
        for (size_t i = 0; i < c.f->nsegs; i++) rl_batch_record(b);
    if (st == RL_OK && c.no_channel)
        rl_batch_warn(b, "%zu result(s) matched no channel in the instruments master", c.no_channel);
    rl_hl7_free(c.f);
    rl_buf_free(&c.v);
    return st;
}

static int hl7_sniff(const char *head, size_t n)
{
    return rl_hl7_sniff(head, n);
}

/* Masters before the records that refer to them. */
static int hl7_rank(const char *head, size_t n)
{
    const char *m = memmem(head, n, "MFN^M05", 7);
    if (m) return 15;
    if (memmem(head, n, "MFN^M08", 7)) return 22;
    if (memmem(head, n, "MFN^M10", 7)) return 32;
    if (memmem(head, n, "ADT^", 4)) return 60;
    return 70;
}

const rl_input_format rl_cl_hl7_format = {"hl7v2", hl7_sniff, hl7_convert, rl_cl_lookups, hl7_rank};
