/* gr_cli.c: `rootline goroutines analyze [--json] FILE...`. */
#include "gr_analyze.h"
#include "gr_pack.h"

#include "buf.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const rl_pack_command gr_commands[] = {
    {"goroutines", "analyze Go goroutine dumps: groups, leaks, suspects", rl_gr_cmd_goroutines},
    {NULL, NULL, NULL}};

const rl_pack rl_goruntime_pack = {"goruntime", "Go runtime: service -> goroutine group -> frame",
                                   "goruntime", gr_commands};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: rootline goroutines analyze [OPTIONS] FILE...\n\n"
            "Parses each file as one snapshot: /debug/pprof/goroutine?debug=2 or ?debug=1 text,\n"
            "panic / fatal error output, SIGQUIT dumps (Go 1.17 to current).\n\n"
            "  --json            one JSON object per file (an array for several files):\n"
            "                    goroutines, groups, by_state, leaked, suspects, runtime_owned,\n"
            "                    group_list[key, count, state, max_wait_minutes, top_frame,\n"
            "                    created_by, leak_class, class, verdict, goroutine_ids]\n"
            "  --min-wait N      minutes in a leak-class wait before a goroutine counts as\n"
            "                    leaked (default 1); less is a suspect\n"
            "  --group MODE      args (default: ignore arguments), exact, lines (ignore line\n"
            "                    numbers too)\n"
            "  --top N           groups listed in text output (default 10)\n"
            "  --detail          JSON with every goroutine as well (goroutine_list: id, state,\n"
            "                    wait_minutes, locked, header, frames, created_by, ancestors...)\n\n"
            "exit: 0 done, 1 usage, 2 a file is unreadable or holds no goroutine\n");
}

static rl_status read_file(const char *path, rl_buf *b)
{
    FILE *f = fopen(path, "rb");
    if (!f) return RL_ERR_IO;
    char chunk[65536];
    size_t n;
    rl_status s = RL_OK;
    while (s == RL_OK && (n = fread(chunk, 1, sizeof chunk, f)) > 0) s = rl_buf_append(b, chunk, n);
    if (s == RL_OK && ferror(f)) s = RL_ERR_IO;
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

static int analyze(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, 0, 'j'},
                                         {"min-wait", required_argument, 0, 'm'},
                                         {"group", required_argument, 0, 'g'},
                                         {"top", required_argument, 0, 't'},
                                         {"detail", no_argument, 0, 'd'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    rl_gr_options o = {RL_GR_IGNORE_ARGS, 1};
    int json = 0, top = 10, detail = 0, c;
    char *end;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = 1; break;
        case 'd': detail = json = 1; break;
        case 'm':
        case 't': {
            long v = strtol(optarg, &end, 10);
            if (*end || v < 0 || v > 1000000) {
                fprintf(stderr, "rootline: --%s needs a whole number\n", c == 'm' ? "min-wait" : "top");
                return 1;
            }
            if (c == 'm') o.min_wait = (int)v;
            else top = (int)v;
            break;
        }
        case 'g':
            if (!strcmp(optarg, "args")) o.grouping = RL_GR_IGNORE_ARGS;
            else if (!strcmp(optarg, "exact")) o.grouping = RL_GR_EXACT;
            else if (!strcmp(optarg, "lines")) o.grouping = RL_GR_NO_LINES;
            else {
                fprintf(stderr, "rootline: --group takes args, exact or lines\n");
                return 1;
            }
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 1;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return 1;
    }
    int rc = 0, many = argc - optind > 1;
    json_t *all = many && json ? json_array() : NULL;
    for (int i = optind; i < argc; i++) {
        rl_buf b;
        rl_buf_init(&b, (size_t)1 << 30);
        char err[512];
        rl_gr_dump *d = NULL;
        rl_gr_analysis *a = NULL;
        rl_status s = read_file(argv[i], &b);
        if (s != RL_OK) {
            fprintf(stderr, "rootline: %s: %s\n", argv[i],
                    s == RL_ERR_LIMIT ? "larger than 1 GiB" : "cannot read");
            rc = 2;
        } else if ((s = rl_gr_dump_parse((const char *)b.data, b.len, NULL, &d, err, sizeof err)) != RL_OK) {
            fprintf(stderr, "rootline: %s: %s\n", argv[i], err);
            rc = s == RL_ERR_NOMEM ? 4 : 2;
        } else if (rl_gr_analyze(d, &o, &a) != RL_OK) {
            fprintf(stderr, "rootline: %s: out of memory\n", argv[i]);
            rc = 4;
        } else if (json) {
            json_t *j = rl_gr_analysis_json(a);
            json_object_set_new(j, "file", json_string(argv[i]));
            if (detail) json_object_set_new(j, "goroutine_list", rl_gr_goroutines_json(a));
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
        rl_buf_free(&b);
    }
    if (all) {
        json_dumpf(all, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(all);
    }
    return rc;
}

int rl_gr_cmd_goroutines(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "analyze")) return analyze(argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    usage(stderr);
    return 1;
}
