/* main.c: `rootline` entry point: global options, then one subcommand. */
#include "cli.h"
#include "packs.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef ROOTLINE_VERSION
#define ROOTLINE_VERSION "dev"
#endif

const char *rl_cli_global_store;

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"import", rl_cmd_import, "import RDF files, each as one batch (named graph + provenance)"},
    {"query", rl_cmd_query, "run a SPARQL query and print the results"},
    {"run", rl_cmd_run, "run a saved, parameterised query (queries/*.rq)"},
    {"update", rl_cmd_update, "apply a SPARQL Update (one transaction)"},
    {"export", rl_cmd_export, "write the store, or one graph, as N-Quads"},
    {"stats", rl_cmd_stats, "count triples and graphs, report the store size"},
    {"serve", rl_cmd_serve, "run the HTTP service (/healthz, /readyz, /metrics) and the packs' services"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: rootline [--store URI] COMMAND [ARGS]\n\n"
                 "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    for (size_t p = 0; rl_cli_packs[p]; p++)
        for (const rl_pack_command *c = rl_cli_packs[p]->commands; c && c->name; c++)
            fprintf(out, "  %-10s %s [%s pack]\n", c->name, c->summary, rl_cli_packs[p]->name);
    fprintf(out, "\n"
                 "  --store URI   lmdb:DIR (default lmdb:./var/store), memory:, or a Redland\n"
                 "                storage NAME:ARG; also $ROOTLINE_STORE\n"
                 "  COMMAND --help shows the options of a command.\n\n"
                 "exit codes: 0 done, 1 usage error, 2 bad input (nothing changed),\n"
                 "            3 store error, 4 internal error\n");
}

int rl_cli_exit_code(rl_status st)
{
    switch (st) {
    case RL_OK: return RL_EXIT_OK;
    case RL_ERR_USAGE: return RL_EXIT_USAGE;
    case RL_ERR_INPUT:
    case RL_ERR_LIMIT:
    case RL_ERR_IO:
    case RL_ERR_NOTFOUND:
    case RL_ERR_EXISTS:
    case RL_ERR_UNSUPPORTED: return RL_EXIT_INPUT;
    case RL_ERR_STORE: return RL_EXIT_STORE;
    case RL_ERR_NOMEM:
    case RL_ERR_INTERNAL: return RL_EXIT_INTERNAL;
    }
    return RL_EXIT_INTERNAL;
}

void rl_cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("rootline: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int rl_cli_open_store(const char *uri, int read_only, rl_store **out)
{
    char err[1024];
    rl_store_options o = {read_only};
    rl_status st = rl_store_new(uri ? uri : rl_cli_global_store, &o, out, err, sizeof err);
    if (st == RL_OK) return 0;
    rl_cli_error("%s", err);
    return st == RL_ERR_USAGE ? RL_EXIT_USAGE : RL_EXIT_STORE;
}

int rl_cli_read_text(const char *what, int argc, char **argv, int optind_, const char *file, rl_buf *out)
{
    if ((file != NULL) == (optind_ < argc) || optind_ + (file ? 0 : 1) < argc) {
        rl_cli_error("%s: give the text or -f FILE (exactly one)", what);
        return RL_EXIT_USAGE;
    }
    if (file) {
        FILE *f = strcmp(file, "-") ? fopen(file, "rb") : stdin;
        rl_status s = f ? rl_buf_read_file(out, f) : RL_ERR_IO;
        if (f && f != stdin) fclose(f);
        if (s != RL_OK) {
            rl_cli_error("%s: %s", file, s == RL_ERR_LIMIT ? "text over the limit" : "cannot read it");
            return RL_EXIT_INPUT;
        }
    } else if (rl_buf_puts(out, argv[optind_]) != RL_OK) {
        rl_cli_error("%s text over the limit", what);
        return RL_EXIT_INPUT;
    }
    return 0;
}

int rl_cli_parse_u64(const char *s, unsigned long long *out)
{
    char *end;
    if (!s || !*s || *s == '-') return -1;
    *out = strtoull(s, &end, 10);
    return *end ? -1 : 0;
}

int main(int argc, char **argv)
{
    int i = 1;
    while (i < argc && argv[i][0] == '-') {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return RL_EXIT_OK;
        } else if (!strcmp(argv[i], "--version")) {
            printf("rootline %s\n", ROOTLINE_VERSION);
            return RL_EXIT_OK;
        } else if (!strcmp(argv[i], "--store") && i + 1 < argc) {
            rl_cli_global_store = argv[i + 1];
            i += 2;
        } else if (!strncmp(argv[i], "--store=", 8)) {
            rl_cli_global_store = argv[i] + 8;
            i++;
        } else {
            rl_cli_error("unknown option '%s'", argv[i]);
            usage(stderr);
            return RL_EXIT_USAGE;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return RL_EXIT_USAGE;
    }
    /* pack commands open stores through rl_store_resolve_uri: they see the
     * global --store through the environment */
    if (rl_cli_global_store) setenv("ROOTLINE_STORE", rl_cli_global_store, 1);
    if (!strcmp(argv[i], "__executor")) /* started by `serve`, not by users */
        return rl_cmd_executor(argc - i, argv + i);
    if (!strcmp(argv[i], "help")) {
        usage(stdout);
        return RL_EXIT_OK;
    }
    for (size_t c = 0; c < sizeof commands / sizeof *commands; c++)
        if (!strcmp(argv[i], commands[c].name)) return commands[c].run(argc - i, argv + i);
    for (size_t p = 0; rl_cli_packs[p]; p++)
        for (const rl_pack_command *c = rl_cli_packs[p]->commands; c && c->name; c++)
            if (!strcmp(argv[i], c->name)) return c->run(argc - i, argv + i);
    rl_cli_error("unknown command '%s'", argv[i]);
    usage(stderr);
    return RL_EXIT_USAGE;
}
