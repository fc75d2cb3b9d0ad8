/* cl_diag_cli.c: `rootline diagnose` and `rootline trace`. */
#include "cl_diag_cli.h"

#include "cl_graph.h"
#include "cl_findings.h"
#include "cl_site.h"
#include "import.h"
#include "keys.h"
#include "resident.h"
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
    int json, min_run, tz, have_at, save, findings, resident;
} diag_opts;

static void diag_usage(FILE *out, int trace)
{
    if (trace == 2)
        fprintf(out, "usage: rootline weights [--as-of TIME] [--findings] [--json] [--store URI]\n\n"
                     "Recomputes the level weights of the causal trace from the evidence in each\n"
                     "rule's window before TIME (default: now) and stores them as one batch\n"
                     "(rl:LevelWeight); --findings then stores the findings as of TIME too (as\n"
                     "diagnose --save).  `rootline serve` runs this every 15 minutes.\n");
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

static int parse_opts_to(int argc, char **argv, int trace, diag_opts *o, FILE *out, FILE *err)
{
    static const struct option opts[] = {{"store", required_argument, 0, 's'}, {"as-of", required_argument, 0, 'a'},
                                         {"json", no_argument, 0, 'j'},         {"min-run", required_argument, 0, 'n'},
                                         {"tz", required_argument, 0, 'z'},     {"stream", required_argument, 0, 'S'},
                                         {"at", required_argument, 0, 't'},     {"help", no_argument, 0, 'h'},
                                         {"save", no_argument, 0, 'v'},         {"findings", no_argument, 0, 'f'},
                                         {"resident", no_argument, 0, 'r'},     {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->as_of = INFINITY, o->min_run = 3, o->tz = 480;
    int c;
    char *end;
    optind = 0; /* GNU: start afresh (the resident trace parses once per request) */
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's': o->store = optarg; break;
        case 'j': o->json = 1; break;
        case 'S': o->stream = optarg; break;
        case 'v': o->save = 1; break;
        case 'f': o->findings = 1; break;
        case 'r': o->resident = 1; break;
        case 'a':
        case 't': {
            double t;
            if (rl_time_parse_iso(optarg, o->tz, &t, NULL)) {
                fprintf(err, "rootline: --%s: '%s' is not an ISO 8601 time (e.g. 2024-11-08T18:00:00+08:00)\n",
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
                fprintf(err, "rootline: --min-run needs an integer from 2 to 1000\n");
                return EXIT_USAGE;
            }
            break;
        case 'z':
            if (parse_tz(optarg, &o->tz)) {
                fprintf(err, "rootline: --tz needs +HH:MM\n");
                return EXIT_USAGE;
            }
            break;
        case 'h': diag_usage(out, trace); return -1;
        default: diag_usage(err, trace); return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(err, "rootline: unexpected argument '%s'\n", argv[optind]);
        return EXIT_USAGE;
    }
    if (trace == 1 && !o->resident && (!o->stream || !o->have_at)) {
        fprintf(err, "rootline: trace needs --stream ID and --at TIME\n");
        diag_usage(err, 1);
        return EXIT_USAGE;
    }
    return 0;
}

static int parse_opts(int argc, char **argv, int trace, diag_opts *o)
{
    return parse_opts_to(argc, argv, trace, o, stdout, stderr);
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

static int print_json_to(json_t *j, FILE *out, FILE *err)
{
    if (!j) {
        fprintf(err, "rootline: out of memory\n");
        return EXIT_INTERNAL;
    }
    int r = json_dumpf(j, out, JSON_INDENT(1) | JSON_ENSURE_ASCII * 0 | JSON_REAL_PRECISION(10));
    json_decref(j);
    fputc('\n', out);
    return r ? EXIT_INTERNAL : EXIT_OK;
}

static int print_json(json_t *j) { return print_json_to(j, stdout, stderr); }

static void print_summary_to(json_t *run, FILE *out)
{
    json_t *st = json_object_get(run, "stream"), *h = json_array_get(json_object_get(run, "hypotheses"), 0);
    fprintf(out, "run %s: %lld results from %s, detected %s\n", json_string_value(json_object_get(st, "id")),
            (long long)json_integer_value(json_object_get(run, "length")),
            json_string_value(json_object_get(run, "started_at")), json_string_value(json_object_get(run, "detected_at")));
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(run, "hypotheses"), i, x)
    {
        fprintf(out, "  level %lld %-22s share %5.1f%%  score %.2f  weight %.2f  %s\n",
                (long long)json_integer_value(json_object_get(x, "level")), json_string_value(json_object_get(x, "cause")),
                json_number_value(json_object_get(x, "share")) * 100, json_number_value(json_object_get(x, "score")),
                json_number_value(json_object_get(x, "weight")), json_string_value(json_object_get(x, "summary")));
    }
    size_t k;
    json_t *e;
    json_array_foreach(json_object_get(h, "evidence"), k, e)
        fprintf(out, "    - %s\n", json_string_value(json_object_get(e, "detail")));
}

static void print_summary(json_t *run) { print_summary_to(run, stdout); }

int rl_cl_cmd_diagnose(int argc, char **argv)
{
    diag_opts o;
    int rc = parse_opts(argc, argv, 0, &o);
    if (rc) return rc < 0 ? EXIT_OK : rc;
    rl_store *st = NULL;
    rl__cl_site *s = NULL;
    if ((rc = open_site(&o, &st, &s))) goto out;
    json_t *top = rl__cl_diagnose_json(s, o.as_of);
    if (!top) {
        rc = EXIT_INTERNAL;
        fprintf(stderr, "rootline: out of memory\n");
        goto out;
    }
    json_t *runs = json_object_get(top, "runs");
    if (o.save) {
        char err[1024];
        rl_status sr = rl__cl_findings_save(s, top, st, err, sizeof err);
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

/* One trace on a loaded site: what `rootline trace` prints. */
static int trace_answer(const diag_opts *o, const rl__cl_site *s, FILE *out, FILE *err)
{
    if (rl__cl_stream_find(s, o->stream) < 0) {
        fprintf(err, "rootline: no stream '%s' (rootline diagnose lists the streams with runs)\n", o->stream);
        return EXIT_INPUT;
    }
    long k = rl__cl_trace_find(s, o->stream, o->at);
    if (k < 0) {
        fprintf(err, "rootline: stream '%s' has no run at or before that time\n", o->stream);
        return EXIT_INPUT;
    }
    json_t *r = rl__cl_trace_run(s, (size_t)k, NULL);
    if (o->json) return print_json_to(r, out, err);
    print_summary_to(r, out);
    json_decref(r);
    return EXIT_OK;
}

/* The resident trace (`trace --resident`, used by serve's /trace): the site
 * stays loaded between requests and is loaded again when the store's
 * version (its last committed write) or the loading options change, so an
 * answer is never older than the data. */
typedef struct resident_ctx {
    const char *store_uri;
    rl_store *st;
    rl__cl_site *site;
    uint64_t version;
    double as_of;
    int min_run, tz;
} resident_ctx;

static int trace_resident_one(void *ctx, int argc, char **argv, FILE *out, FILE *err)
{
    resident_ctx *c = ctx;
    diag_opts o;
    int rc = parse_opts_to(argc, argv, 1, &o, out, err);
    if (rc) return rc < 0 ? EXIT_OK : rc;
    if (!o.stream || !o.have_at) {
        fprintf(err, "rootline: trace needs --stream ID and --at TIME\n");
        return EXIT_USAGE;
    }
    char e[1024];
    rl_status r = RL_OK;
    if (!c->st) {
        rl_store_options so = {1};
        if ((r = rl_store_new(c->store_uri, &so, &c->st, e, sizeof e)) != RL_OK) {
            fprintf(err, "rootline: %s\n", e);
            return exit_for(r);
        }
    }
    uint64_t v = 0;
    int versioned = rl_store_version(c->st, &v) == RL_OK;
    if (!c->site || !versioned || v != c->version || o.as_of != c->as_of || o.min_run != c->min_run || o.tz != c->tz) {
        rl__cl_site_free(c->site);
        c->site = NULL;
        if ((r = rl__cl_site_load(c->st, o.as_of, o.min_run, o.tz, &c->site, e, sizeof e)) != RL_OK) {
            fprintf(err, "rootline: %s\n", e);
            return exit_for(r);
        }
        c->version = v, c->as_of = o.as_of, c->min_run = o.min_run, c->tz = o.tz;
        if (!versioned) c->version = 0; /* no version: loaded again next time */
    }
    rc = trace_answer(&o, c->site, out, err);
    if (!versioned) {
        rl__cl_site_free(c->site);
        c->site = NULL;
    }
    return rc;
}

int rl_cl_cmd_trace(int argc, char **argv)
{
    diag_opts o;
    int rc = parse_opts(argc, argv, 1, &o);
    if (rc) return rc < 0 ? EXIT_OK : rc;
    if (o.resident) { /* requests on standard input until it closes or 10 idle minutes */
        resident_ctx c = {o.store, NULL, NULL, 0, 0, 0, 0};
        rc = rl_resident_serve(0, 1, "trace", 600, 0, trace_resident_one, &c) ? EXIT_INTERNAL : EXIT_OK;
        rl__cl_site_free(c.site);
        rl_store_free(c.st);
        return rc;
    }
    rl_store *st = NULL;
    rl__cl_site *s = NULL;
    if (!(rc = open_site(&o, &st, &s))) rc = trace_answer(&o, s, stdout, stderr);
    rl__cl_site_free(s);
    rl_store_free(st);
    return rc;
}

int rl_cl_cmd_weights(int argc, char **argv)
{
    diag_opts o;
    int rc = parse_opts(argc, argv, 2, &o);
    if (rc) return rc < 0 ? EXIT_OK : rc;
    char err[1024], dir[] = "/tmp/rootline-weights-XXXXXX", path[sizeof dir + 64];
    rl_store *st = NULL;
    rl__cl_site *s = NULL;
    json_t *top = NULL;
    rl_store_options so = {0};
    double at = isfinite(o.as_of) ? o.as_of : rl_time_now();
    rl__cl_weights w;
    int made = 0;
    rl_status r = rl_store_new(o.store, &so, &st, err, sizeof err);
    if (r == RL_OK) r = rl__cl_site_load(st, at, o.min_run, o.tz, &s, err, sizeof err);
    if (r == RL_OK && !(made = mkdtemp(dir) != NULL)) r = rl_errorf(err, sizeof err, RL_ERR_IO, "cannot make a temporary folder");
    if (r == RL_OK) r = rl__cl_weights_store_site(st, s, at, dir, &w, err, sizeof err);
    if (made) {
        snprintf(path, sizeof path, "%s/weights-%.0f.ttl", dir, at);
        unlink(path);
        rmdir(dir);
    }
    if (r == RL_OK && o.findings) {
        top = rl__cl_diagnose_json(s, at);
        r = top ? rl__cl_findings_save(s, top, st, err, sizeof err) : rl_errorf(err, sizeof err, RL_ERR_NOMEM, "out of memory");
    }
    if (r != RL_OK) {
        fprintf(stderr, "rootline: %s\n", err);
        rc = exit_for(r);
    } else if (o.json) {
        rc = print_json(rl__cl_weights_json(s, &w));
    } else
        printf("level weights as of the evidence before %s: level 1 %.2f, level 2 %.2f, level 3 %.2f (stored%s)\n",
               rl_time_iso_tz(at, o.tz, err, sizeof err), w.w[0], w.w[1], w.w[2], o.findings ? ", with the findings" : "");
    json_decref(top);
    rl__cl_site_free(s);
    rl_store_free(st);
    return rc;
}
