/* gr_cli.c: `rootline goroutines analyze [--json] FILE...`. */
#include "gr_analyze.h"
#include "gr_import.h"
#include "gr_links.h"
#include "gr_source.h"
#include "gr_series.h"
#include "gr_pack.h"
#include "gr_scrape.h"

#include "buf.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const rl_pack_command gr_commands[] = {
    {"goroutines", "analyze Go goroutine dumps: groups, leaks, suspects", rl_gr_cmd_goroutines},
    {NULL, NULL, NULL}};

static const rl_input_format *const gr_formats[] = {&rl_gr_dump_format, NULL};

static const rl_pack_service *const gr_services[] = {&rl_gr_scrape_service, NULL};

const rl_pack rl_goruntime_pack = {"goruntime", "Go runtime: service -> goroutine group -> frame",
                                   "goruntime", gr_commands, gr_formats, gr_services, NULL};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: rootline goroutines analyze [OPTIONS] FILE...\n"
            "       rootline goroutines series [OPTIONS] [--interval S] FILE...\n\n"
            "Parses each file as one snapshot: /debug/pprof/goroutine?debug=2 or ?debug=1 text,\n"
            "panic / fatal error output, SIGQUIT dumps (Go 1.17 to current).\n\n"
            "  --json            one JSON object per file (an array for several files):\n"
            "                    goroutines, groups, by_state, leaked, suspects, runtime_owned,\n"
            "                    group_list[key, count, state, max_wait_minutes, top_frame,\n"
            "                    created_by, leak_class, class, verdict, goroutine_ids],\n"
            "                    channel_links[channel, basis, goroutine_ids, senders,\n"
            "                    receivers, peers]\n"
            "  --min-wait N      minutes in a leak-class wait before a goroutine counts as\n"
            "                    leaked (default 1); less is a suspect\n"
            "  --ignore-top F, --ignore-any F, --ignore-created-by F\n"
            "                    never judge goroutines whose top function / any function /\n"
            "                    creator is F (exact name; repeatable; as goleak's options)\n"
            "  --group MODE      args (default: ignore arguments), exact, lines (ignore line\n"
            "                    numbers too)\n"
            "  --top N           groups listed in text output (default 10)\n"
            "  --source DIR      Go sources: for groups waiting in select, report whether the\n"
            "                    statement has a default (group_list[].source)\n"
            "  --detail          JSON with every goroutine as well (goroutine_list: id, state,\n"
            "                    wait_minutes, locked, header, frames, created_by, ancestors...)\n\n"
            "series: the files are snapshots of one service, in time order from their\n"
            "modification times, or taken every S seconds in the order given (--interval S).\n"
            "Reports per-group counts, total_slope_per_s, growth windows (12 samples,\n"
            "least-squares slope), alerts (3 windows over 1.8 x the median of past windows,\n"
            "or k > 5.0 per sample), delta findings (increment > P95 of up to 720 previous x 1.8)\n"
            "and the top five leak candidates (groups in every snapshot that keep growing).\n\n"
            "exit: 0 done, 1 usage, 2 a file is unreadable or holds no goroutine\n");
}

static rl_status read_file(const char *path, rl_buf *b)
{
    FILE *f = fopen(path, "rb");
    if (!f) return RL_ERR_IO;
    rl_status s = rl_buf_read_file(b, f);
    fclose(f);
    return s;
}

static void print_text(const char *path, const rl_gr_analysis *a, int top)
{
    const rl_gr_dump *d = a->dump;
    printf("%s: %llu goroutines in %zu groups (%s); leaked %llu, suspects %llu, runtime-owned %llu\n",
           path, (unsigned long long)a->total, a->ngroups,
           d->format == RL_GR_DEBUG1 ? "debug=1" : "traceback", (unsigned long long)a->leaked,
           (unsigned long long)a->suspects, (unsigned long long)a->runtime_owned);
    for (size_t k = 0; k < a->ngroups && (int)k < top; k++) {
        const rl_gr_group *g = &a->groups[k];
        const rl_gr_goroutine *first = &d->g[g->first];
        const char *st = rl_gr_wait_reason(d, g->first);
        const char *verdict = g->verdict == RL_GR_LEAKED ? "LEAKED" : g->verdict == RL_GR_SUSPECT ? "suspect" : "";
        printf("  %6llu  %-22s %-8s %s", (unsigned long long)g->count, st[0] ? st : "?", verdict,
               first->nframes ? d->frames[first->first_frame].func : "?");
        if (g->max_wait >= 0) printf("  (%d min)", g->max_wait);
        if (first->has_creator) printf("  <- %s", first->created_by.func);
        putchar('\n');
    }
    if (d->nunknown)
        printf("  %zu line(s) not understood; first at line %zu: %s\n", d->nunknown,
               d->unknown[0].line, d->unknown[0].text);
}

#define MAX_IGNORE 64
typedef struct ign_list {
    const char *f[MAX_IGNORE + 1]; /* NULL-terminated */
    size_t n;
} ign_list;

typedef struct cli_opts {
    rl_gr_options o;
    int json, top, detail;
    double interval; /* series: seconds between snapshots, 0 = file times */
    const char *source; /* --source DIR */
    ign_list top_ign, any_ign, created_ign;
} cli_opts;

/* Parses the options shared by analyze and series; returns -1 to go on, else
 * the exit code. */
static int parse_opts(int argc, char **argv, cli_opts *co)
{
    static const struct option opts[] = {{"json", no_argument, 0, 'j'},
                                         {"min-wait", required_argument, 0, 'm'},
                                         {"group", required_argument, 0, 'g'},
                                         {"top", required_argument, 0, 't'},
                                         {"detail", no_argument, 0, 'd'},
                                         {"interval", required_argument, 0, 'i'},
                                         {"source", required_argument, 0, 's'},
                                         {"ignore-top", required_argument, 0, 'T'},
                                         {"ignore-any", required_argument, 0, 'A'},
                                         {"ignore-created-by", required_argument, 0, 'C'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    char *end;
    memset(co, 0, sizeof *co);
    co->o = (rl_gr_options)RL_GR_OPTIONS_DEFAULT;
    co->top = 10;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'j': co->json = 1; break;
        case 's': co->source = optarg; break;
        case 'd': co->detail = co->json = 1; break;
        case 'i':
            co->interval = strtod(optarg, &end);
            if (*end || !(co->interval > 0) || co->interval > 1e7) {
                fprintf(stderr, "rootline: --interval needs a positive number of seconds\n");
                return 1;
            }
            break;
        case 'm':
        case 't': {
            long v = strtol(optarg, &end, 10);
            if (*end || v < 0 || v > 1000000) {
                fprintf(stderr, "rootline: --%s needs a whole number\n", c == 'm' ? "min-wait" : "top");
                return 1;
            }
            if (c == 'm') co->o.min_wait = (int)v;
            else co->top = (int)v;
            break;
        }
        case 'g':
            if (!strcmp(optarg, "args")) co->o.grouping = RL_GR_IGNORE_ARGS;
            else if (!strcmp(optarg, "exact")) co->o.grouping = RL_GR_EXACT;
            else if (!strcmp(optarg, "lines")) co->o.grouping = RL_GR_NO_LINES;
            else {
                fprintf(stderr, "rootline: --group takes args, exact or lines\n");
                return 1;
            }
            break;
        case 'T':
        case 'A':
        case 'C': {
            ign_list *l = c == 'T' ? &co->top_ign : c == 'A' ? &co->any_ign : &co->created_ign;
            if (l->n >= MAX_IGNORE) {
                fprintf(stderr, "rootline: more than %d --ignore-* of one kind\n", MAX_IGNORE);
                return 1;
            }
            l->f[l->n++] = optarg;
            break;
        }
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 1;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return 1;
    }
    co->o.ignore = (rl_gr_ignore){co->top_ign.f, co->any_ign.f, co->created_ign.f};
    return -1;
}

/* Reads and parses one file; prints the error and returns the exit code. */
static int load_dump(const char *path, rl_gr_dump **d)
{
    rl_buf b;
    char err[512];
    rl_buf_init(&b, (size_t)1 << 30);
    rl_status s = read_file(path, &b);
    int rc = 0;
    *d = NULL;
    if (s != RL_OK) {
        fprintf(stderr, "rootline: %s: %s\n", path, s == RL_ERR_LIMIT ? "larger than 1 GiB" : "cannot read");
        rc = 2;
    } else if ((s = rl_gr_dump_parse((const char *)b.data, b.len, NULL, d, err, sizeof err)) != RL_OK) {
        fprintf(stderr, "rootline: %s: %s\n", path, err);
        rc = s == RL_ERR_NOMEM ? 4 : 2;
    }
    rl_buf_free(&b);
    return rc;
}

static int analyze(int argc, char **argv)
{
    cli_opts co;
    int r = parse_opts(argc, argv, &co);
    if (r >= 0) return r;
    rl_gr_options o = co.o;
    int json = co.json, top = co.top, detail = co.detail;
    int rc = 0, many = argc - optind > 1;
    json_t *all = many && json ? json_array() : NULL;
    for (int i = optind; i < argc; i++) {
        rl_gr_dump *d = NULL;
        rl_gr_analysis *a = NULL;
        int lr = load_dump(argv[i], &d);
        if (lr) {
            if (lr > rc) rc = lr;
        } else if (rl_gr_analyze(d, &o, &a) != RL_OK) {
            fprintf(stderr, "rootline: %s: out of memory\n", argv[i]);
            rc = 4;
        } else if (json) {
            json_t *j = rl_gr_analysis_json(a);
            json_object_set_new(j, "file", json_string(argv[i]));
            if (detail) json_object_set_new(j, "goroutine_list", rl_gr_goroutines_json(a));
            rl_gr_link *links = NULL;
            size_t nl = 0;
            if (rl_gr_channel_links(a, &links, &nl) == RL_OK)
                json_object_set_new(j, "channel_links", rl_gr_links_json(a, links, nl));
            rl_gr_links_free(links, nl);
            for (size_t k = 0; co.source && k < a->ngroups; k++) {
                json_t *src = rl_gr_select_source(a, k, co.source);
                if (src) json_object_set_new(json_array_get(json_object_get(j, "group_list"), k), "source", src);
            }
            if (all) json_array_append_new(all, j);
            else {
                json_dumpf(j, stdout, JSON_INDENT(2));
                putchar('\n');
                json_decref(j);
            }
        } else {
            print_text(argv[i], a, top);
        }
        rl_gr_analysis_free(a);
        rl_gr_dump_free(d);
    }
    if (all) {
        json_dumpf(all, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(all);
    }
    return rc;
}

typedef struct timed {
    const char *path;
    double t;
} timed;

static int cmp_timed(const void *a, const void *b)
{
    const timed *x = a, *y = b;
    return x->t < y->t ? -1 : x->t > y->t;
}

static int series(int argc, char **argv)
{
    cli_opts co;
    int r = parse_opts(argc, argv, &co);
    if (r >= 0) return r;
    size_t n = (size_t)(argc - optind);
    timed *files = calloc(n, sizeof *files);
    rl_gr_series *s = rl_gr_series_new(&co.o);
    int rc = 0;
    if (!files || !s) {
        rc = 4;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        struct stat sb;
        files[i].path = argv[optind + (int)i];
        if (co.interval > 0) files[i].t = (double)i * co.interval;
        else if (stat(files[i].path, &sb) == 0)
            files[i].t = (double)sb.st_mtim.tv_sec + sb.st_mtim.tv_nsec / 1e9;
        else {
            fprintf(stderr, "rootline: %s: cannot read\n", files[i].path);
            rc = 2;
            goto out;
        }
    }
    if (co.interval <= 0) qsort(files, n, sizeof *files, cmp_timed);
    for (size_t i = 0; i < n; i++) {
        rl_gr_dump *d = NULL;
        if ((rc = load_dump(files[i].path, &d)) != 0) goto out;
        rl_status st = rl_gr_series_add(s, files[i].path, files[i].t, d);
        if (st == RL_ERR_USAGE) {
            fprintf(stderr, "rootline: %s has the same modification time as the snapshot before "
                            "it: give --interval SECONDS and the files in time order\n", files[i].path);
            rc = 1;
            goto out;
        } else if (st != RL_OK) {
            fprintf(stderr, "rootline: %s: %s\n", files[i].path, rl_strerror(st));
            rc = st == RL_ERR_LIMIT ? 2 : 4;
            goto out;
        }
    }
    json_t *j = rl_gr_series_json(s);
    if (co.json) {
        json_dumpf(j, stdout, JSON_INDENT(2));
        putchar('\n');
    } else {
        printf("%zu snapshots, every %.3g s; total slope %.4g goroutines/s\n", n,
               json_real_value(json_object_get(j, "sample_interval_s")),
               json_real_value(json_object_get(j, "total_slope_per_s")));
        size_t k;
        json_t *v;
        json_array_foreach(json_object_get(j, "alerts"), k, v)
            printf("  ALERT at snapshot %lld (%s): %s, k = %.3g per sample\n",
                   (long long)json_integer_value(json_object_get(v, "window_end_snapshot")),
                   json_string_value(json_object_get(v, "snapshot_kept")),
                   json_string_value(json_object_get(v, "rule")),
                   json_real_value(json_object_get(v, "k_per_sample")));
        json_array_foreach(json_object_get(j, "leak_candidates"), k, v)
            printf("  leak candidate %s: +%lld (%s) %s\n", json_string_value(json_object_get(v, "key")),
                   (long long)json_integer_value(json_object_get(v, "growth")),
                   json_string_value(json_object_get(v, "state")),
                   json_string_value(json_array_get(json_object_get(v, "call_chain"), 0)));
    }
    json_decref(j);
out:
    free(files);
    rl_gr_series_free(s);
    return rc;
}

int rl_gr_cmd_goroutines(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "series")) return series(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "analyze")) return analyze(argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    usage(stderr);
    return 1;
}
