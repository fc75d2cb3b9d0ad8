/* cmd_run.c: `rootline run NAME --param k=v`: a saved query (savedq.h). */
#include "cli.h"
#include "query.h"
#include "savedq.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define RUN_PARAMS_MAX 32

static void run_usage(FILE *out)
{
    fprintf(out, "usage: rootline run NAME [--param KEY=VALUE]... [--format F] [--store URI]\n"
                 "       rootline run --list [--json]\n"
                 "       rootline run NAME --show [--param KEY=VALUE]...\n\n"
                 "Runs a saved query of queries/ (or $ROOTLINE_QUERIES).  Each value is checked\n"
                 "against its parameter's type and bound as a typed RDF term, never pasted\n"
                 "into the text.\n\n"
                 "  --param KEY=VALUE  a parameter (repeatable)\n"
                 "  --format F         json|xml|csv|tsv|table (default: table on a terminal, json otherwise)\n"
                 "  --list             the saved queries and their parameters\n"
                 "  --show             print the query with the values bound, do not run it\n\n"
                 "exit: 0 done, 1 usage, 2 unknown query or bad parameter, 3 store error, 4 internal\n");
}

static int list(const rl_savedq_set *set, int json)
{
    json_t *a = json_array();
    for (size_t i = 0; i < rl_savedq_count(set); i++) {
        const rl_savedq *q = rl_savedq_at(set, i);
        if (json) {
            json_array_append_new(a, rl_savedq_json(q));
            continue;
        }
        printf("%-24s %s\n", q->name, q->summary);
        for (size_t k = 0; k < q->nparams; k++)
            printf("    %s%s (%s%s%s)%s%s\n", q->params[k].name, q->params[k].required ? "" : "?", q->params[k].type,
                   q->params[k].default_value ? ", default " : "", q->params[k].default_value ? q->params[k].default_value : "",
                   *q->params[k].description ? ": " : "", q->params[k].description);
    }
    if (json) {
        json_dumpf(a, stdout, JSON_INDENT(1));
        fputc('\n', stdout);
    }
    json_decref(a);
    return RL_EXIT_OK;
}

int rl_cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {{"param", required_argument, 0, 'p'}, {"format", required_argument, 0, 'F'},
                                         {"store", required_argument, 0, 's'}, {"list", no_argument, 0, 'l'},
                                         {"show", no_argument, 0, 'S'},        {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},        {0, 0, 0, 0}};
    const char *store = NULL, *keys[RUN_PARAMS_MAX], *vals[RUN_PARAMS_MAX];
    char kbuf[RUN_PARAMS_MAX][128];
    size_t np = 0;
    int c, do_list = 0, show = 0, json = 0;
    rl_format fmt = isatty(1) ? RL_FMT_TABLE : RL_FMT_JSON;
    rl_query_options o = {NULL, {0}, 1, NULL, NULL, NULL, NULL, 0, 0, 0, 0};
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'p': {
            const char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg || (size_t)(eq - optarg) >= sizeof kbuf[0] || np == RUN_PARAMS_MAX) {
                rl_cli_error("--param needs KEY=VALUE (at most %d)", RUN_PARAMS_MAX);
                return RL_EXIT_USAGE;
            }
            snprintf(kbuf[np], sizeof kbuf[np], "%.*s", (int)(eq - optarg), optarg);
            keys[np] = kbuf[np], vals[np++] = eq + 1;
            break;
        }
        case 'F':
            if (rl_format_parse(optarg, &fmt) != RL_OK) {
                rl_cli_error("--format: unknown format '%s'", optarg);
                return RL_EXIT_USAGE;
            }
            o.adapt_format = 0;
            break;
        case 's': store = optarg; break;
        case 'l': do_list = 1; break;
        case 'S': show = 1; break;
        case 'j': json = 1; break;
        case 'h': run_usage(stdout); return RL_EXIT_OK;
        default: run_usage(stderr); return RL_EXIT_USAGE;
        }
    }
    if (!do_list && optind + 1 != argc) {
        run_usage(stderr);
        return RL_EXIT_USAGE;
    }
    char err[1024];
    rl_savedq_set *set = NULL;
    rl_status s = rl_savedq_load(rl_savedq_dir(), &set, err, sizeof err);
    if (s != RL_OK) {
        rl_cli_error("%s", err);
        return rl_cli_exit_code(s);
    }
    int rc = RL_EXIT_OK;
    rl_buf text;
    rl_buf_init(&text, 0);
    rl_store *st = NULL;
    if (do_list) {
        rc = list(set, json);
        goto out;
    }
    const rl_savedq *q = rl_savedq_find(set, argv[optind]);
    if (!q) {
        rl_cli_error("no saved query '%s' (rootline run --list)", argv[optind]);
        rc = RL_EXIT_INPUT;
        goto out;
    }
    if ((s = rl_savedq_bind(q, keys, vals, np, &text, err, sizeof err)) != RL_OK) {
        rl_cli_error("%s", err);
        rc = rl_cli_exit_code(s);
        goto out;
    }
    if (show) {
        fputs((const char *)text.data, stdout);
        goto out;
    }
    if ((rc = rl_cli_open_store(store, 1, &st))) goto out;
    s = rl_query_run(st, (const char *)text.data, fmt, stdout, &o, NULL, err, sizeof err);
    fflush(stdout);
    if (s != RL_OK) {
        rl_cli_error("%s", err);
        rc = rl_cli_exit_code(s);
    }
out:
    rl_store_free(st);
    rl_buf_free(&text);
    rl_savedq_free(set);
    return rc;
}
