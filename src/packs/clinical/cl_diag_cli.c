/* cl_diag_cli.c: `rootline diagnose` and `rootline trace`. */
#include "cl_diag_cli.h"

#include "cl_graph.h"
#include "cl_site.h"
#include "import.h"
#include "keys.h"
#include "cl_trace.h"
#include "store.h"
#include "timefmt.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { EXIT_OK = 0, EXIT_USAGE = 1, EXIT_INPUT = 2, EXIT_STORE = 3, EXIT_INTERNAL = 4 };

typedef struct diag_opts {
    const char *store, *stream;
    double as_of, at;
    int json, min_run, tz, have_at, save;
} diag_opts;

static void diag_usage(FILE *out, int trace)
{
    if (trace == 2)
        fprintf(out, "usage: rootline weights [--as-of TIME] [--json] [--store URI]\n\n"
                     "Recomputes the level weights of the causal trace from the evidence in each\n"
                     "rule's window before TIME (default: now) and stores them as one batch\n"
                     "(rl:LevelWeight); `rootline serve` does this every 15 minutes.\n");
    else if (trace)
        fprintf(out, "usage: rootline trace --stream ID --at TIME [--as-of TIME] [--json] [--store URI]\n\n"
                     "The causal trace of one run: the run of stream ID that covers TIME, else the\n"
                     "latest one detected before it.  Stream ids are printed by `rootline diagnose`\n"
                     "(ANALYZER/CHANNEL/TEST/patient or ANALYZER/CHANNEL/TEST/QC:MATERIAL/LEVEL).\n");
    else
        fprintf(out, "usage: rootline diagnose [--as-of TIME] [--json] [--min-run N] [--store URI]\n\n"
                     "Scans every stream (analyzer x channel x test; patients, and each QC material\n"
                     "level) as of TIME for runs of N consecutive results beyond their limit, and\n"
                     "reports each run with its cross-level trace and ranked hypotheses.\n");
    fprintf(out, "\n  --as-of TIME   ISO 8601 (e.g. 2024-11-08T18:00:00+08:00); default: everything\n"
                 "  --json         the JSON answer (docs/diagnose.md); default: a summary\n"
                 "  --min-run N    results in a run (default 3)\n"
                 "  --save         store the findings and their causal links as one batch\n"
                 "                 (rl:Finding, rl:CausalLink; queries/clinical/findings-by-level.rq)\n"
                 "  --tz +HH:MM    the site's offset for times shown (default +08:00)\n"
                 "  --store URI    store (default $ROOTLINE_STORE or lmdb:./var/store)\n\n"
                 "exit: 0 done, 1 usage, 2 bad argument or no such run, 3 store error, 4 internal\n");
}

static int parse_tz(const char *v, int *tz)
{
    int h = 0, m = 0;
    char sign;
    if (sscanf(v, "%c%d:%d", &sign, &h, &m) < 2 || (sign != '+' && sign != '-') || h > 14 || m > 59) return -1;
    *tz = (sign == '-' ? -1 : 1) * (h * 60 + m);
    return 0;
}

static int parse_opts(int argc, char **argv, int trace, diag_opts *o)
{
    static const struct option opts[] = {{"store", required_argument, 0, 's'}, {"as-of", required_argument, 0, 'a'},
                                         {"json", no_argument, 0, 'j'},         {"min-run", required_argument, 0, 'n'},
                                         {"tz", required_argument, 0, 'z'},     {"stream", required_argument, 0, 'S'},
                                         {"at", required_argument, 0, 't'},     {"help", no_argument, 0, 'h'},
                                         {"save", no_argument, 0, 'v'},
                                         {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->as_of = INFINITY, o->min_run = 3, o->tz = 480;
    int c;
    char *end;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's': o->store = optarg; break;
        case 'j': o->json = 1; break;
        case 'S': o->stream = optarg; break;
        case 'v': o->save = 1; break;
        case 'a':
        case 't': {
            double t;
            if (rl_time_parse_iso(optarg, o->tz, &t, NULL)) {
                fprintf(stderr, "rootline: --%s: '%s' is not an ISO 8601 time (e.g. 2024-11-08T18:00:00+08:00)\n",
                        c == 'a' ? "as-of" : "at", optarg);
                return EXIT_USAGE;
            }
            if (c == 'a') o->as_of = t;
            else o->at = t, o->have_at = 1;
            break;
        }
        case 'n':
            o->min_run = (int)strtol(optarg, &end, 10);
            if (*end || o->min_run < 2 || o->min_run > 1000) {
                fprintf(stderr, "rootline: --min-run needs an integer from 2 to 1000\n");
                return EXIT_USAGE;
            }
            break;
        case 'z':
            if (parse_tz(optarg, &o->tz)) {
                fprintf(stderr, "rootline: --tz needs +HH:MM\n");
                return EXIT_USAGE;
            }
            break;
        case 'h': diag_usage(stdout, trace); return -1;
        default: diag_usage(stderr, trace); return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "rootline: unexpected argument '%s'\n", argv[optind]);
        return EXIT_USAGE;
    }
    if (trace == 1 && (!o->stream || !o->have_at)) {
        fprintf(stderr, "rootline: trace needs --stream ID and --at TIME\n");
        diag_usage(stderr, 1);
        return EXIT_USAGE;
    }
    return 0;
}

static int exit_for(rl_status st)
{
    switch (st) {
    case RL_OK: return EXIT_OK;
    case RL_ERR_USAGE: return EXIT_USAGE;
    case RL_ERR_INPUT:
    case RL_ERR_NOTFOUND: return EXIT_INPUT;
    case RL_ERR_STORE:
    case RL_ERR_IO: return EXIT_STORE;
    default: return EXIT_INTERNAL;
    }
}

static int open_site(const diag_opts *o, rl_store **st, rl__cl_site **site)
{
    char err[1024];
    rl_store_options so = {!o->save};
    rl_status r = rl_store_new(o->store, &so, st, err, sizeof err);
    if (r == RL_OK) r = rl__cl_site_load(*st, o->as_of, o->min_run, o->tz, site, err, sizeof err);
    if (r != RL_OK) {
        fprintf(stderr, "rootline: %s\n", err);
        return exit_for(r);
    }
    return 0;
}

static int print_json(json_t *j)
{
    if (!j) {
        fprintf(stderr, "rootline: out of memory\n");
        return EXIT_INTERNAL;
    }
    int r = json_dumpf(j, stdout, JSON_INDENT(1) | JSON_ENSURE_ASCII * 0 | JSON_REAL_PRECISION(10));
    json_decref(j);
    fputc('\n', stdout);
    return r ? EXIT_INTERNAL : EXIT_OK;
}

static void print_summary(json_t *run)
{
    json_t *st = json_object_get(run, "stream"), *h = json_array_get(json_object_get(run, "hypotheses"), 0);
    printf("run %s: %lld results from %s, detected %s\n", json_string_value(json_object_get(st, "id")),
           (long long)json_integer_value(json_object_get(run, "length")),
           json_string_value(json_object_get(run, "started_at")), json_string_value(json_object_get(run, "detected_at")));
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(run, "hypotheses"), i, x)
    {
        printf("  level %lld %-22s share %5.1f%%  score %.2f  weight %.2f  %s\n",
               (long long)json_integer_value(json_object_get(x, "level")), json_string_value(json_object_get(x, "cause")),
               json_number_value(json_object_get(x, "share")) * 100, json_number_value(json_object_get(x, "score")),
               json_number_value(json_object_get(x, "weight")), json_string_value(json_object_get(x, "summary")));
    }
    size_t k;
    json_t *e;
    json_array_foreach(json_object_get(h, "evidence"), k, e) printf("    - %s\n", json_string_value(json_object_get(e, "detail")));
}

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

static rl_status save_findings(const rl__cl_site *s, json_t *top, rl_store *st, char *err, size_t cap)
{
    char dir[] = "/tmp/rootline-findings-XXXXXX", path[sizeof dir + 32];
    if (!mkdtemp(dir)) return rl_errorf(err, cap, RL_ERR_IO, "cannot make a temporary folder");
    snprintf(path, sizeof path, "%s/findings.nt", dir);
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
        rl_import_options io = {"ntriples", 0, 0, RL_PROGRESS_NONE, NULL, NULL, NULL, 0, NULL};
        rl_import_result res;
        r = rl_import_file(st, path, &io, &res, err, cap);
    }
    unlink(path);
    rmdir(dir);
    return r;
}

int rl_cl_cmd_diagnose(int argc, char **argv)
{
    diag_opts o;
    int rc = parse_opts(argc, argv, 0, &o);
    if (rc) return rc < 0 ? EXIT_OK : rc;
    rl_store *st = NULL;
    rl__cl_site *s = NULL;
    if ((rc = open_site(&o, &st, &s))) goto out;
    double at = isfinite(o.as_of) ? o.as_of : 0;
    if (!isfinite(o.as_of))
        for (size_t i = 0; i < s->nres; i++)
            if (s->res[i].t > at) at = s->res[i].t;
    json_t *top = json_object(), *runs = json_array();
    char b[40];
    json_object_set_new(top, "as_of", isfinite(o.as_of) ? json_string(rl_time_iso_tz(o.as_of, o.tz, b, sizeof b)) : json_null());
    json_object_set_new(top, "latest_result", s->nres ? json_string(rl_time_iso_tz(at, o.tz, b, sizeof b)) : json_null());
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
            rc = EXIT_INTERNAL;
            fprintf(stderr, "rootline: out of memory\n");
            goto out;
        }
        json_array_append_new(runs, r);
    }
    json_object_set_new(top, "runs", runs);
    json_object_set_new(top, "findings", findings_json(s));
    if (o.save) {
        char err[1024];
        rl_status sr = save_findings(s, top, st, err, sizeof err);
        if (sr != RL_OK) {
            fprintf(stderr, "rootline: findings not saved: %s\n", err);
            json_decref(top);
            rc = exit_for(sr);
            goto out;
        }
    }
    if (o.json) rc = print_json(top);
    else {
        printf("%zu results in %zu streams; %zu run%s of %d or more results beyond their limit\n", s->nres, s->nstreams,
               s->nruns, s->nruns == 1 ? "" : "s", s->min_run);
        size_t i;
        json_t *x;
        json_array_foreach(runs, i, x) print_summary(x);
        json_decref(top);
    }
out:
    rl__cl_site_free(s);
    rl_store_free(st);
    return rc;
}

int rl_cl_cmd_trace(int argc, char **argv)
{
    diag_opts o;
    int rc = parse_opts(argc, argv, 1, &o);
    if (rc) return rc < 0 ? EXIT_OK : rc;
    rl_store *st = NULL;
    rl__cl_site *s = NULL;
    if ((rc = open_site(&o, &st, &s))) goto out;
    if (rl__cl_stream_find(s, o.stream) < 0) {
        fprintf(stderr, "rootline: no stream '%s' (rootline diagnose lists the streams with runs)\n", o.stream);
        rc = EXIT_INPUT;
        goto out;
    }
    long k = rl__cl_trace_find(s, o.stream, o.at);
    if (k < 0) {
        fprintf(stderr, "rootline: stream '%s' has no run at or before that time\n", o.stream);
        rc = EXIT_INPUT;
        goto out;
    }
    json_t *r = rl__cl_trace_run(s, (size_t)k, NULL);
    if (o.json) rc = print_json(r);
    else {
        print_summary(r);
        json_decref(r);
    }
out:
    rl__cl_site_free(s);
    rl_store_free(st);
    return rc;
}

int rl_cl_cmd_weights(int argc, char **argv)
{
    diag_opts o;
    int rc = parse_opts(argc, argv, 2, &o);
    if (rc) return rc < 0 ? EXIT_OK : rc;
    char err[1024], dir[] = "/tmp/rootline-weights-XXXXXX";
    rl_store *st = NULL;
    rl_store_options so = {0};
    rl_status r = rl_store_new(o.store, &so, &st, err, sizeof err);
    double at = isfinite(o.as_of) ? o.as_of : rl_time_now();
    rl__cl_weights w;
    if (r == RL_OK && !mkdtemp(dir)) r = rl_errorf(err, sizeof err, RL_ERR_IO, "cannot make a temporary folder");
    if (r == RL_OK) {
        r = rl__cl_weights_store(st, at, o.tz, dir, &w, err, sizeof err);
        char path[sizeof dir + 64];
        snprintf(path, sizeof path, "%s/weights-%.0f.ttl", dir, at);
        unlink(path);
        rmdir(dir);
    }
    if (r != RL_OK) {
        fprintf(stderr, "rootline: %s\n", err);
        rc = exit_for(r);
    } else if (o.json) {
        rl__cl_site fake = {0};
        fake.tz = o.tz;
        rc = print_json(rl__cl_weights_json(&fake, &w));
    } else
        printf("level weights as of the evidence before %s: level 1 %.2f, level 2 %.2f, level 3 %.2f (stored)\n",
               rl_time_iso_tz(at, o.tz, err, sizeof err), w.w[0], w.w[1], w.w[2]);
    rl_store_free(st);
    return rc;
}
