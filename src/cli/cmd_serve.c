/* cmd_serve.c: `rootline serve`: the HTTP service and the packs' background
 * services, until SIGINT or SIGTERM. */
#include "cli.h"
#include "packs.h"
#include "executor.h"
#include "update.h"
#include "server.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_SVC 32
#define MAX_VALUES 64

typedef struct svc_opt {
    const rl_pack_service *svc;
    const char *values[MAX_VALUES];
    size_t n;
} svc_opt;

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

/* One line per event on stderr: time, level, message. */
static void serve_log(void *ctx, const char *level, const char *msg)
{
    (void)ctx;
    char when[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    pthread_mutex_lock(&log_mu);
    fprintf(stderr, "%s %s %s\n", when, level, msg);
    fflush(stderr);
    pthread_mutex_unlock(&log_mu);
}

static size_t collect_services(svc_opt *out)
{
    size_t n = 0;
    for (size_t p = 0; rl_cli_packs[p]; p++)
        for (const rl_pack_service *const *s = rl_cli_packs[p]->services; s && *s; s++)
            if (n < MAX_SVC) out[n++] = (svc_opt){*s, {NULL}, 0};
    return n;
}

#define MAX_ROUTES 32
/* Every pack's HTTP routes, NULL-terminated. */
static const rl_pack_route *const *collect_routes(void)
{
    static const rl_pack_route *routes[MAX_ROUTES + 1];
    size_t n = 0;
    for (size_t p = 0; rl_cli_packs[p]; p++)
        for (const rl_pack_route *const *r = rl_cli_packs[p]->routes; r && *r; r++)
            if (n < MAX_ROUTES) routes[n++] = *r;
    routes[n] = NULL;
    return routes;
}

static void usage(FILE *out, const svc_opt *svc, size_t nsvc)
{
    fprintf(out,
            "usage: rootline [--store URI] serve [OPTIONS]\n\n"
            "Serves HTTP until SIGINT or SIGTERM: /sparql (SPARQL 1.1 Protocol, queries in\n"
            "executor processes), /healthz, /readyz, /metrics (Prometheus).\n\n"
            "  --listen HOST:PORT   address (default 127.0.0.1:8080; [::1]:PORT for IPv6;\n"
            "                       port 0 = any free port); a non-loopback address is\n"
            "                       served without authentication and warned about\n"
            "  --spool DIR          raw inputs the services keep (default var/spool)\n"
            "  --min-free BYTES     /readyz fails below this much free disk (default 256 MiB)\n"
            "  --port-file FILE     write the bound port here once listening\n"
            "  --executors N        query executor processes (default: one per core)\n"
            "  --query-timeout S    default query deadline (default 30)\n"
            "  --query-timeout-max S  cap of the per-request timeout parameter (default 300)\n"
            "  --max-body BYTES     request body limit (default 64 MiB; over it: 413)\n"
            "  --max-rows N         result rows/triples limit (default 10 million)\n"
            "  --strict-default-graph  the default graph of queries is <" RL_DEFAULT_GRAPH ">\n"
            "                       alone (as the W3C tests assume), not the union of all graphs\n");
    for (size_t i = 0; i < nsvc; i++)
        fprintf(out, "  --%s %s\n      %s (repeatable)\n", svc[i].svc->option,
                svc[i].svc->option_usage, svc[i].svc->option_help);
}

/* The folder of an lmdb: store URI, for the /readyz disk check. */
static void store_dir_of(const char *uri, char *out, size_t cap)
{
    out[0] = 0;
    if (strncmp(uri, "lmdb:", 5)) return;
    snprintf(out, cap, "%s", uri + 5);
    char *q = strchr(out, '?');
    if (q) *q = 0;
}

int rl_cmd_serve(int argc, char **argv)
{
    svc_opt svc[MAX_SVC];
    size_t nsvc = collect_services(svc);
    struct option opts[14 + MAX_SVC] = {
        {"store", required_argument, 0, 's'},    {"listen", required_argument, 0, 'l'},
        {"spool", required_argument, 0, 'd'},    {"min-free", required_argument, 0, 'm'},
        {"port-file", required_argument, 0, 'P'}, {"help", no_argument, 0, 'h'},
        {"executors", required_argument, 0, 'e'}, {"query-timeout", required_argument, 0, 't'},
        {"query-timeout-max", required_argument, 0, 'T'}, {"max-body", required_argument, 0, 'b'},
        {"max-rows", required_argument, 0, 'r'}, {"strict-default-graph", no_argument, 0, 'S'}};
    size_t nopts = 12;
    for (size_t i = 0; i < nsvc; i++)
        opts[nopts++] = (struct option){svc[i].svc->option, required_argument, 0, 1000 + (int)i};
    opts[nopts] = (struct option){0, 0, 0, 0};
    rl_server_options so = {0};
    rl_sparql_options sp = {0};
    so.log = serve_log;
    const char *store = NULL, *port_file = NULL;
    int strict = 0;
    char strict_uri[4200];
    unsigned long long v;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 's') store = optarg;
        else if (c == 'l') so.listen = optarg;
        else if (c == 'd') so.spool_dir = optarg;
        else if (c == 'P') port_file = optarg;
        else if (c == 'm') {
            if (rl_cli_parse_u64(optarg, &v) || !v) {
                rl_cli_error("--min-free %s: expected a positive number of bytes", optarg);
                return RL_EXIT_USAGE;
            }
            so.min_free_bytes = v;
        } else if (c == 'e' || c == 'b' || c == 'r') {
            if (rl_cli_parse_u64(optarg, &v) || !v || (c == 'e' && v > 256)) {
                rl_cli_error("--%s %s: expected a positive number%s", c == 'e' ? "executors" : c == 'b' ? "max-body" : "max-rows",
                             optarg, c == 'e' ? " (at most 256)" : "");
                return RL_EXIT_USAGE;
            }
            if (c == 'e') sp.executors = (unsigned)v;
            else if (c == 'b') sp.max_body = v;
            else sp.max_rows = v;
        } else if (c == 't' || c == 'T') {
            char *end;
            double d = strtod(optarg, &end);
            if (*end || !(d > 0) || d > 86400) {
                rl_cli_error("--%s %s: expected seconds (0 < S <= 86400)", c == 't' ? "query-timeout" : "query-timeout-max", optarg);
                return RL_EXIT_USAGE;
            }
            if (c == 't') sp.timeout = d;
            else sp.timeout_max = d;
        } else if (c == 'S') {
            strict = 1;
        } else if (c == 'h') {
            usage(stdout, svc, nsvc);
            return RL_EXIT_OK;
        } else if (c >= 1000 && (size_t)(c - 1000) < nsvc) {
            svc_opt *o = &svc[c - 1000];
            if (o->n >= MAX_VALUES) {
                rl_cli_error("--%s given more than %d times", o->svc->option, MAX_VALUES);
                return RL_EXIT_USAGE;
            }
            o->values[o->n++] = optarg;
        } else {
            usage(stderr, svc, nsvc);
            return RL_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        rl_cli_error("serve takes no arguments ('%s')", argv[optind]);
        return RL_EXIT_USAGE;
    }
    char dir[4096], err[1024], exe[4096];
    const char *uri = rl_store_resolve_uri(store ? store : rl_cli_global_store);
    store_dir_of(uri, dir, sizeof dir);
    so.store_dir = dir[0] ? dir : NULL;
    ssize_t el = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[el > 0 ? el : 0] = 0;
    if (!strncmp(uri, "memory:", 7)) {
        serve_log(NULL, "warn", "store memory: lives in this process only: executor processes cannot "
                                "share it, so /sparql is off (use lmdb:DIR)");
    } else if (el <= 0) {
        serve_log(NULL, "warn", "cannot find the rootline binary (/proc/self/exe): /sparql is off");
    } else {
        sp.exe = exe;
        sp.store_uri = uri;
        if (strict) { /* the executors' and the writer's default graph: the designated graph only */
            snprintf(strict_uri, sizeof strict_uri, "%s%sdefault-graph=" RL_DEFAULT_GRAPH, uri,
                     strchr(uri, '?') ? "&" : "?");
            sp.store_uri = strict_uri;
        }
        so.sparql = &sp;
        so.routes = collect_routes();
    }

    /* SIGINT/SIGTERM are taken by sigwait below, in no other thread */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    rl_store *st = NULL;
    rl_server *srv = NULL;
    rl_status rs = RL_OK;
    int rc = rl_cli_open_store(store, 0, &st);
    if (rc) goto out;
    rs = rl_server_new(&so, st, rl_cli_formats(), &srv, err, sizeof err);
    for (size_t i = 0; rs == RL_OK && i < nsvc; i++) {
        if (!svc[i].n && svc[i].svc->default_value) svc[i].values[svc[i].n++] = svc[i].svc->default_value;
        if (svc[i].n) rs = rl_server_service_add(srv, svc[i].svc, svc[i].values, svc[i].n, err, sizeof err);
    }
    if (rs == RL_OK) rs = rl_server_start(srv, err, sizeof err);
    if (rs != RL_OK) {
        rl_cli_error("%s", err);
        rc = rs == RL_ERR_USAGE ? RL_EXIT_USAGE : rl_cli_exit_code(rs);
        goto out;
    }
    char msg[512];
    snprintf(msg, sizeof msg, "listening on port %u (--listen %s), store %s", rl_server_port(srv),
             so.listen ? so.listen : "127.0.0.1:8080", rl_store_resolve_uri(store ? store : rl_cli_global_store));
    serve_log(NULL, "info", msg);
    if (port_file) {
        FILE *f = fopen(port_file, "w");
        if (!f || fprintf(f, "%u\n", rl_server_port(srv)) < 0 || fclose(f)) {
            rl_cli_error("cannot write --port-file %s", port_file);
            rc = RL_EXIT_INPUT;
            goto out;
        }
    }
    int sig = 0;
    sigwait(&sigs, &sig);
    snprintf(msg, sizeof msg, "signal %d: stopping", sig);
    serve_log(NULL, "info", msg);
out:
    rl_server_free(srv);
    rl_store_free(st);
    return rc;
}

int rl_cmd_executor(int argc, char **argv)
{
    int writer = argc == 4 && !strcmp(argv[3], "--writer");
    if ((argc != 3 && !writer) || strcmp(argv[1], "--fd")) {
        rl_cli_error("__executor is started by `rootline serve`");
        return RL_EXIT_USAGE;
    }
    signal(SIGPIPE, SIG_IGN);
    return rl_executor_main(rl_store_resolve_uri(rl_cli_global_store), atoi(argv[2]), writer);
}
