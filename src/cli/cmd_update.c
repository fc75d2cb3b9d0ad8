/* cmd_update.c: `rootline update`. */
#include "cli.h"
#include "query.h"
#include "update.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#define UPDATE_TEXT_MAX ((size_t)64 << 20)

static void update_usage(FILE *out)
{
    fprintf(out,
            "usage: rootline update [OPTIONS] (UPDATE | -f FILE.ru | -f -)\n\n"
            "Applies a SPARQL 1.1 Update in one transaction: INSERT DATA, DELETE DATA,\n"
            "CLEAR, DROP, CREATE, ADD, MOVE, COPY, DELETE/INSERT ... WHERE, DELETE WHERE.\n"
            "Writes to the default graph go to <" RL_DEFAULT_GRAPH ">.\n\n"
            "  --store URI       store (default $ROOTLINE_STORE or lmdb:./var/store)\n"
            "  -f, --file FILE   read the update from FILE ('-' = standard input)\n"
            "  --base IRI        base IRI for relative IRIs\n\n"
            "exit: 0 done, 1 usage, 2 bad update (nothing changed), 3 store error\n");
}

/* The WHERE of an update, run in this process (the CLI has no executors). */
static rl_status solve_here(void *ctx, const char *select, json_t **out, char *err, size_t cap)
{
    rl_store *st = ctx;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return RL_ERR_NOMEM;
    rl_query_options qo = {NULL, {0}, 0, NULL, NULL, NULL, NULL, 0, 0, 0, 0};
    rl_status s = rl_query_run(st, select, RL_FMT_JSON, f, &qo, NULL, err, cap);
    fclose(f);
    if (s == RL_OK) {
        json_error_t je;
        *out = json_loadb(buf, len, 0, &je);
        if (!*out) s = rl_errorf(err, cap, RL_ERR_INTERNAL, "results of the WHERE: %s", je.text);
    }
    free(buf);
    return s;
}

int rl_cmd_update(int argc, char **argv)
{
    static const struct option opts[] = {{"store", required_argument, 0, 's'},
                                         {"file", required_argument, 0, 'f'},
                                         {"base", required_argument, 0, 'b'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *store = NULL, *file = NULL;
    rl_update_options o = {NULL, NULL, 0, 0, solve_here, NULL};
    int c;
    while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
        if (c == 's') store = optarg;
        else if (c == 'f') file = optarg;
        else if (c == 'b') o.base_uri = optarg;
        else if (c == 'h') {
            update_usage(stdout);
            return RL_EXIT_OK;
        } else {
            update_usage(stderr);
            return RL_EXIT_USAGE;
        }
    }
    rl_buf text;
    rl_buf_init(&text, UPDATE_TEXT_MAX);
    int rc = rl_cli_read_text("update", argc, argv, optind, file, &text);
    rl_store *st = NULL;
    if (!rc) rc = rl_cli_open_store(store, 0, &st);
    o.solve_ctx = st;
    if (!rc) {
        char err[1024];
        rl_update_result r;
        rl_status s = rl_update_run(st, (const char *)text.data, &o, &r, err, sizeof err);
        if (s != RL_OK) {
            rl_cli_error("%s; nothing was changed", err);
            rc = rl_cli_exit_code(s);
        } else {
            printf("%llu operation(s): %llu triple(s) inserted, %llu deleted, %llu graph(s) cleared\n",
                   (unsigned long long)r.operations, (unsigned long long)r.inserted,
                   (unsigned long long)r.deleted, (unsigned long long)r.graphs_cleared);
        }
    } else if (rc == RL_EXIT_USAGE) {
        update_usage(stderr);
    }
    rl_store_free(st);
    rl_buf_free(&text);
    return rc;
}
