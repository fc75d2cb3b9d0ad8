/* cmd_export.c: `rootline export`. */
#include "cli.h"
#include "export.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void export_usage(FILE *out)
{
    fprintf(out, "usage: rootline export [--store URI] [--graph IRI] [-o FILE]\n\n"
                 "Writes every quad (or the triples of one graph) as N-Quads to standard\n"
                 "output or FILE. FILE is written whole or not at all (temporary + rename).\n");
}

int rl_cmd_export(int argc, char **argv)
{
    static const struct option opts[] = {{"store", required_argument, 0, 's'},
                                         {"graph", required_argument, 0, 'g'},
                                         {"output", required_argument, 0, 'o'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *store = NULL, *graph = NULL, *outp = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "o:g:h", opts, NULL)) != -1) {
        switch (c) {
        case 's': store = optarg; break;
        case 'g': graph = optarg; break;
        case 'o': outp = optarg; break;
        case 'h': export_usage(stdout); return RL_EXIT_OK;
        default: export_usage(stderr); return RL_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        export_usage(stderr);
        return RL_EXIT_USAGE;
    }
    rl_store *st = NULL;
    int rc = rl_cli_open_store(store, 1, &st);
    if (rc) return rc;
    char *tmp = NULL;
    FILE *out = stdout;
    if (outp) {
        if (asprintf(&tmp, "%s.tmp.%ld", outp, (long)getpid()) < 0 || !(out = fopen(tmp, "wb"))) {
            rl_cli_error("%s: cannot write", outp);
            rl_store_free(st);
            free(tmp);
            return RL_EXIT_INPUT;
        }
    }
    char err[1024];
    uint64_t n = 0;
    rl_status s = rl_export_nquads(st, graph, out, &n, err, sizeof err);
    if (outp) {
        if (fclose(out) != 0 && s == RL_OK) s = rl_errorf(err, sizeof err, RL_ERR_IO, "write failed");
        if (s == RL_OK && rename(tmp, outp) != 0)
            s = rl_errorf(err, sizeof err, RL_ERR_IO, "cannot rename to %s", outp);
        if (s != RL_OK) unlink(tmp);
    }
    if (s != RL_OK) {
        rl_cli_error("export: %s", err);
        rc = rl_cli_exit_code(s);
    } else {
        fprintf(stderr, "exported %llu quads\n", (unsigned long long)n);
    }
    free(tmp);
    rl_store_free(st);
    return rc;
}
