/* cmd_query.c: `rootline query`. */
#include "buf.h"
#include "cli.h"
#include "query.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define QUERY_TEXT_MAX ((size_t)1 << 20)

static void query_usage(FILE *out)
{
    fprintf(out,
            "usage: rootline query [OPTIONS] (QUERY | -f FILE.rq | -f -)\n\n"
            "  --store URI       store (default $ROOTLINE_STORE or lmdb:./var/store)\n"
            "  --format F        json|xml|csv|tsv|table for SELECT/ASK,\n"
            "                    turtle|ntriples|nquads|rdfxml for CONSTRUCT/DESCRIBE\n"
            "                    (default: table on a terminal, json otherwise; turtle for graphs)\n"
            "  -f, --file FILE   read the query from FILE ('-' = standard input)\n"
            "  --base IRI        base IRI for relative IRIs in the query\n"
            "  --max-rows N      fail past N result rows (default 10000000)\n"
            "  --explain         print the query as the engine will run it (property\n"
            "                    paths, EXISTS, MINUS rewritten; measured on the store)\n\n"
            "exit: 0 done, 1 usage, 2 bad query or row limit, 3 store error, 4 internal\n");
}

int rl_cmd_query(int argc, char **argv)
{
    static const struct option opts[] = {
        {"store", required_argument, 0, 's'}, {"format", required_argument, 0, 'F'},
        {"file", required_argument, 0, 'f'},  {"base", required_argument, 0, 'b'},
        {"max-rows", required_argument, 0, 'm'}, {"explain", no_argument, 0, 'x'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *store = NULL, *file = NULL;
    rl_query_options o = {NULL, {0}, 1, NULL, NULL, NULL, NULL, 0, 0, 0, 0};
    rl_format fmt = isatty(1) ? RL_FMT_TABLE : RL_FMT_JSON;
    unsigned long long v;
    int c;
    while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
        switch (c) {
        case 's': store = optarg; break;
        case 'F':
            if (rl_format_parse(optarg, &fmt) != RL_OK) {
                rl_cli_error("--format: unknown format '%s'", optarg);
                return RL_EXIT_USAGE;
            }
            o.adapt_format = 0;
            break;
        case 'f': file = optarg; break;
        case 'b': o.base_uri = optarg; break;
        case 'm':
            if (rl_cli_parse_u64(optarg, &v) || v == 0) {
                rl_cli_error("--max-rows needs a positive integer");
                return RL_EXIT_USAGE;
            }
            o.limits.max_rows = v;
            break;
        case 'x': o.explain = 1; break;
        case 'h': query_usage(stdout); return RL_EXIT_OK;
        default: query_usage(stderr); return RL_EXIT_USAGE;
        }
    }
    rl_buf text;
    rl_buf_init(&text, QUERY_TEXT_MAX);
    int rc = rl_cli_read_text("query", argc, argv, optind, file, &text);
    if (rc) {
        if (rc == RL_EXIT_USAGE) query_usage(stderr);
        rl_buf_free(&text);
        return rc;
    }
    rl_store *st = NULL;
    rc = rl_cli_open_store(store, 1, &st);
    if (!rc) {
        char err[1024];
        rl_status s = rl_query_run(st, (const char *)text.data, fmt, stdout, &o, NULL, err,
                                   sizeof err);
        fflush(stdout);
        if (s != RL_OK) {
            rl_cli_error("%s", err);
            rc = rl_cli_exit_code(s);
        }
    }
    rl_store_free(st);
    rl_buf_free(&text);
    return rc;
}
