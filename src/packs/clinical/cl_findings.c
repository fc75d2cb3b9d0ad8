/* cl_findings.c: the diagnose answer, and its findings stored as a batch. */
#include "cl_findings.h"

#include "cl_graph.h"
#include "cl_trace.h"
#include "import.h"
#include "keys.h"
#include "timefmt.h"

#include <math.h>
#include <raptor2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The findings the runs rest on, site-wide: quality-gate resamples, Westgard
 * rejections, centrifuge deviations. */
static json_t *findings_json(const rl__cl_site *s)
{
    char b[40], id[256];
    json_t *o = json_object(), *rs = json_array(), *wg = json_array(), *cf = json_array();
    for (size_t i = 0; i < s->nres; i++) {
        const cl_res *r = &s->res[i];
        if (r->unreliable) {
            json_t *x = json_object();
            json_object_set_new(x, "finding", json_string("resample"));
            json_object_set_new(x, "result", json_string(rl_mg_str(s->g, r->iri)));
            const char *sid = rl_mg_text(s->g, r->sample, s->p[CL_P_SAMPLE_ID]);
            json_object_set_new(x, "id", json_string(*sid ? sid : rl__cl_tail(s, r->sample, id, sizeof id)));
            json_object_set_new(x, "stream", json_string(s->streams[r->stream].id));
            json_object_set_new(x, "reason", json_string(rl_mg_text(s->g, r->iri, s->p[CL_P_UNRELIABLE_WHY])));
            json_object_set_new(x, "completed", json_string(rl_time_iso_tz(r->t, s->tz, b, sizeof b)));
            json_array_append_new(rs, x);
        }
        if (r->westgard & CL_WG_REJECT) {
            json_t *x = json_object(), *rules = json_array();
            for (unsigned bit = 1; bit <= CL_WG_10X_X; bit <<= 1)
                if (r->westgard & bit) json_array_append_new(rules, json_string(rl__cl_wg_name(bit)));
            json_object_set_new(x, "result", json_string(rl_mg_str(s->g, r->iri)));
            json_object_set_new(x, "id", json_string(rl_mg_text(s->g, r->sample, s->p[CL_P_SAMPLE_ID])));
            json_object_set_new(x, "stream", json_string(s->streams[r->stream].id));
            json_object_set_new(x, "z", json_real(round(r->z * 1000) / 1000));
            json_object_set_new(x, "rules", rules);
            json_object_set_new(x, "completed", json_string(rl_time_iso_tz(r->t, s->tz, b, sizeof b)));
            json_array_append_new(wg, x);
        }
    }
    for (size_t i = 0; i < s->ncf; i++) {
        const cl_cfrun *r = &s->cf[i];
        if (!r->below_sop && !r->aborted) continue;
        json_t *x = json_object(), *dev = json_array();
        if (r->below_sop) json_array_append_new(dev, json_string("rcf_below_sop"));
        if (r->aborted) json_array_append_new(dev, json_string("aborted"));
        json_object_set_new(x, "run_id", json_string(r->run_id));
        json_object_set_new(x, "iri", json_string(rl_mg_str(s->g, r->iri)));
        json_object_set_new(x, "start", json_string(rl_time_iso_tz(r->t, s->tz, b, sizeof b)));
        json_object_set_new(x, "specimen_type", json_string(r->type));
        json_object_set_new(x, "rcf_g", r->rcf >= 0 ? json_real(round(r->rcf * 10) / 10) : json_null());
        json_object_set_new(x, "sop_min_rcf_g", r->sop > 0 ? json_real(r->sop) : json_null());
        json_object_set_new(x, "deviations", dev);
        json_array_append_new(cf, x);
    }
    json_object_set_new(o, "resample", rs);
    json_object_set_new(o, "westgard_rejections", wg);
    json_object_set_new(o, "centrifuge_deviations", cf);
    return o;
}

/* ---- saving findings: N-Triples, every term written by Raptor ---- */

typedef struct ntw {
    raptor_world *w;
    FILE *f;
    int fail;
} ntw;

static void nt_term(ntw *n, raptor_term *t)
{
    size_t len = 0;
    unsigned char *b = t ? raptor_term_to_counted_string(t, &len) : NULL;
    if (!b || fwrite(b, 1, len, n->f) != len) n->fail = 1;
    if (b) raptor_free_memory(b);
    if (t) raptor_free_term(t);
}

static raptor_term *nt_iri(ntw *n, const char *iri)
{
    return raptor_new_term_from_uri_string(n->w, (const unsigned char *)iri);
}

/* s p o .  o_lit: a literal with datatype dt (NULL: plain) instead of an IRI */
static void nt_add(ntw *n, const char *s, const char *p, const char *o, int o_lit, const char *dt)
{
    if (!o || !*o) return;
    nt_term(n, nt_iri(n, s));
    fputc(' ', n->f);
    nt_term(n, nt_iri(n, p));
    fputc(' ', n->f);
    if (o_lit) {
        raptor_uri *du = dt ? raptor_new_uri(n->w, (const unsigned char *)dt) : NULL;
        nt_term(n, raptor_new_term_from_literal(n->w, (const unsigned char *)o, du, NULL));
        if (du) raptor_free_uri(du);
    } else
        nt_term(n, nt_iri(n, o));
    fputs(" .\n", n->f);
}

static const char *jget(json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v ? v : "";
}

static void save_runs(ntw *n, json_t *runs, int min_run)
{
    size_t i;
    json_t *r;
    char fid[200], lid[220], num[64], rule[64];
    snprintf(rule, sizeof rule, "consecutive-flags-%d", min_run);
    json_array_foreach(runs, i, r)
    {
        json_t *res = json_object_get(r, "results");
        char key[1200];
        snprintf(key, sizeof key, "%s|%s", jget(json_object_get(r, "stream"), "id"), jget(json_array_get(res, 0), "result"));
        char hex[65];
        rl_sha256_hex(key, strlen(key), 16, hex);
        snprintf(fid, sizeof fid, "urn:rootline:clin:finding:run:%.32s", hex);
        nt_add(n, fid, CL_RDF_TYPE, CL_RL "Finding", 0, NULL);
        nt_add(n, fid, CL_RL "rule", rule, 1, NULL);
        nt_add(n, fid, CL_RDFS "label", jget(json_object_get(r, "stream"), "id"), 1, NULL);
        nt_add(n, fid, CL_RL "detectedAt", jget(r, "detected_at"), 1, CL_XSD "dateTime");
        nt_add(n, fid, CL_RL "severity", json_is_true(json_object_get(r, "explained")) ? "critical" : "warning", 1, NULL);
        nt_add(n, fid, CL_RL "about", jget(json_object_get(r, "channel"), "iri"), 0, NULL);
        size_t k;
        json_t *x;
        json_array_foreach(res, k, x) nt_add(n, fid, CL_RL "evidence", jget(x, "result"), 0, NULL);
        json_array_foreach(json_object_get(r, "hypotheses"), k, x)
        {
            long lv = (long)json_integer_value(json_object_get(x, "level"));
            snprintf(lid, sizeof lid, "%s/level%ld", fid, lv);
            char lvl[64];
            snprintf(lvl, sizeof lvl, CL_RL "Level%ld", lv);
            nt_add(n, lid, CL_RDF_TYPE, CL_RL "CausalLink", 0, NULL);
            nt_add(n, lid, CL_RL "effect", fid, 0, NULL);
            nt_add(n, lid, CL_RL "forLevel", lvl, 0, NULL);
            snprintf(num, sizeof num, "%.3f", json_number_value(json_object_get(x, "weight")));
            nt_add(n, lid, CL_RL "weight", num, 1, CL_XSD "decimal");
            snprintf(num, sizeof num, "%.3f", json_number_value(json_object_get(x, "share")));
            nt_add(n, lid, CL_RL "share", num, 1, CL_XSD "decimal");
            nt_add(n, lid, CL_RDFS "comment", jget(x, "summary"), 1, NULL);
            size_t e;
            json_t *id;
            json_array_foreach(json_object_get(x, "evidence_ids"), e, id)
            {
                const char *v = json_string_value(id);
                if (v && strchr(v, ':') && !strchr(v, ' ')) nt_add(n, lid, CL_RL "cause", v, 0, NULL);
            }
        }
    }
}

static void save_simple(ntw *n, json_t *list, const char *kind, const char *rule_prefix, const char *key_field,
                        const char *time_field, const char *rule_field)
{
    size_t i;
    json_t *x;
    char fid[200], rule[200], hex[65];
    json_array_foreach(list, i, x)
    {
        const char *k = jget(x, key_field);
        rl_sha256_hex(k, strlen(k), 16, hex);
        snprintf(fid, sizeof fid, "urn:rootline:clin:finding:%s:%.32s", kind, hex);
        json_t *rules = json_object_get(x, rule_field);
        snprintf(rule, sizeof rule, "%s%s", rule_prefix, json_is_array(rules) ? json_string_value(json_array_get(rules, 0)) : "");
        nt_add(n, fid, CL_RDF_TYPE, CL_RL "Finding", 0, NULL);
        nt_add(n, fid, CL_RL "rule", rule, 1, NULL);
        nt_add(n, fid, CL_RL "detectedAt", jget(x, time_field), 1, CL_XSD "dateTime");
        const char *ev = jget(x, "result");
        if (!*ev) ev = jget(x, "iri");
        nt_add(n, fid, CL_RL "evidence", ev, 0, NULL);
    }
}

rl_status rl__cl_findings_save(const rl__cl_site *s, json_t *top, rl_store *st, char *err, size_t cap)
{
    char dir[] = "/tmp/rootline-findings-XXXXXX", path[sizeof dir + 32];
    if (!mkdtemp(dir)) return rl_errorf(err, cap, RL_ERR_IO, "cannot make a temporary folder");
    snprintf(path, sizeof path, "%s/findings.ttl", dir);
    ntw n = {raptor_new_world(), fopen(path, "w"), 0};
    rl_status r = RL_OK;
    if (!n.w || raptor_world_open(n.w) || !n.f) r = rl_errorf(err, cap, RL_ERR_IO, "cannot write %s", path);
    if (r == RL_OK) {
        json_t *f = json_object_get(top, "findings");
        save_runs(&n, json_object_get(top, "runs"), s->min_run);
        save_simple(&n, json_object_get(f, "westgard_rejections"), "westgard", "westgard-", "result", "completed", "rules");
        save_simple(&n, json_object_get(f, "resample"), "resample", "quality-gate-resample", "result", "completed", "none");
        save_simple(&n, json_object_get(f, "centrifuge_deviations"), "centrifuge", "centrifuge-", "iri", "start", "deviations");
        if (n.fail) r = rl_errorf(err, cap, RL_ERR_IO, "cannot write %s", path);
    }
    if (n.f && fclose(n.f) && r == RL_OK) r = rl_errorf(err, cap, RL_ERR_IO, "cannot write %s", path);
    if (n.w) raptor_free_world(n.w);
    if (r == RL_OK) {
        /* N-Triples lines are Turtle; raptor 2.0.15's N-Triples parser leaks references to the
         * world's datatype and rdf:type URIs (LeakSanitizer), its Turtle parser does not */
        rl_import_options io = {"turtle", 0, 0, RL_PROGRESS_NONE, NULL, NULL, NULL, 0, NULL};
        rl_import_result res;
        r = rl_import_file(st, path, &io, &res, err, cap);
    }
    unlink(path);
    rmdir(dir);
    return r;
}

json_t *rl__cl_diagnose_json(const rl__cl_site *s, double as_of)
{
    double at = isfinite(as_of) ? as_of : 0;
    if (!isfinite(as_of))
        for (size_t i = 0; i < s->nres; i++)
            if (s->res[i].t > at) at = s->res[i].t;
    json_t *top = json_object(), *runs = json_array();
    char b[40];
    if (!top || !runs) {
        json_decref(top);
        json_decref(runs);
        return NULL;
    }
    json_object_set_new(top, "as_of", isfinite(as_of) ? json_string(rl_time_iso_tz(as_of, s->tz, b, sizeof b)) : json_null());
    json_object_set_new(top, "latest_result", s->nres ? json_string(rl_time_iso_tz(at, s->tz, b, sizeof b)) : json_null());
    json_object_set_new(top, "min_run", json_integer(s->min_run));
    json_object_set_new(top, "results", json_integer((json_int_t)s->nres));
    json_object_set_new(top, "streams", json_integer((json_int_t)s->nstreams));
    rl__cl_weights w;
    if (!rl__cl_weights_stored(s, at, &w)) rl__cl_weights_compute(s, at, &w);
    json_object_set_new(top, "weights", rl__cl_weights_json(s, &w));
    for (size_t k = 0; k < s->nruns; k++) {
        json_t *r = rl__cl_trace_run(s, k, NULL);
        if (!r) {
            json_decref(top);
            json_decref(runs);
            return NULL;
        }
        json_array_append_new(runs, r);
    }
    json_object_set_new(top, "runs", runs);
    json_object_set_new(top, "findings", findings_json(s));
    return top;
}
