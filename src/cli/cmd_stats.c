/* cmd_stats.c: `rootline stats`. */
#include "cli.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>

int rl_cmd_stats(int argc, char **argv)
{
    static const struct option opts[] = {{"store", required_argument, 0, 's'},
                                         {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *store = NULL;
    int json = 0, c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's': store = optarg; break;
        case 'j': json = 1; break;
        case 'h':
            printf("usage: rootline stats [--store URI] [--json]\n"
                   "Prints triples (quads), named graphs and bytes used on disk.\n");
            return RL_EXIT_OK;
        default: return RL_EXIT_USAGE;
        }
    }
    rl_store *st = NULL;
    int rc = rl_cli_open_store(store, 1, &st);
    if (rc) return rc;
    rl_store_stats s;
    char err[512];
    rl_status r = rl_store_stats_get(st, &s, err, sizeof err);
    if (r != RL_OK) {
        rl_cli_error("stats: %s", err);
        rc = rl_cli_exit_code(r);
    } else if (json) {
        json_t *o = json_pack("{s:s,s:s,s:I,s:I,s:I}", "store", rl_store_resolve_uri(store ? store : rl_cli_global_store),
                              "kind", rl_store_kind(st), "triples", (json_int_t)s.quads, "graphs",
                              (json_int_t)s.graphs, "disk_bytes", (json_int_t)s.disk_bytes);
        json_dumpf(o, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(o);
    } else {
        printf("store:   %s (%s)\ntriples: %llu\ngraphs:  %llu\n",
               rl_store_resolve_uri(store ? store : rl_cli_global_store), rl_store_kind(st),
               (unsigned long long)s.quads, (unsigned long long)s.graphs);
        if (s.disk_bytes) printf("disk:    %llu bytes\n", (unsigned long long)s.disk_bytes);
    }
    rl_store_free(st);
    return rc;
}
