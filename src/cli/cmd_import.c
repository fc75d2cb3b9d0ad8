/* cmd_import.c: `rootline import FILE|DIR...`. */
#include "cli.h"
#include "import.h"
#include "packs.h"

#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void import_usage(FILE *out)
{
    fprintf(out,
            "usage: rootline import [OPTIONS] FILE|DIR...\n\n"
            "Imports each file as one batch: one transaction, one named graph\n"
            "<urn:rootline:batch:SHA256>, PROV-O provenance in <urn:rootline:graph:provenance>.\n"
            "A file whose bytes were imported before is skipped. A directory imports its\n"
            "regular files, each its own batch: RDF first, then the packs' files by rank\n"
            "(masters before the records that refer to them), by name within a rank.\n"
            "Formats: Turtle, TriG, N-Triples, N-Quads, RDF/XML, and those of the packs\n"
            "(HL7 v2, ASTM E1394, CSV exports with a mapping, goroutine dumps...),\n"
            "recognised from content, never from the file name.\n\n"
            "  --store URI        store (default $ROOTLINE_STORE or lmdb:./var/store)\n"
            "  --format NAME      turtle|trig|ntriples|nquads|rdfxml (skip recognition)\n"
            "  --max-triples N    refuse a batch with more triples (default 200000000)\n"
            "  --max-bytes N      refuse a larger file (default 8 GiB)\n"
            "  --set KEY=VALUE    a parameter for a pack format (repeatable), e.g.\n"
            "                     service=orders for goroutine dumps\n"
            "  --keep-going       a pack format's bad records are rejected (listed in the\n"
            "                     reject report), the file's good records land\n"
            "  --reject-report F  write the rejected records' list to F (default stderr)\n"
            "  --no-mask          store patient identifiers unmasked (logged, and recorded\n"
            "                     in each batch's provenance); masking is on by default\n"
            "  --quiet            no progress output\n"
            "  --progress MODE    bar|lines|none (default: bar on a terminal, else lines)\n\n"
            "exit: 0 all imported, 1 usage, 2 some file was bad (it changed nothing; the\n"
            "others landed), 3 store error, 4 internal error\n");
}

typedef struct ranked {
    int rank;
    char *path;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->rank != y->rank) return x->rank < y->rank ? -1 : 1;
    return strcmp(x->path, y->path);
}

/* The files of one `rootline import` run, in order, with one job in
 * flight: file N+1 is read and converted while file N commits
 * (rl_import_begin); outcomes are printed in file order. */
typedef struct import_run {
    rl_store *st;
    const rl_import_options *o;
    rl_import_job *prev; /* committing */
    char *prev_path;
    int rc;              /* the worst exit code so far */
} import_run;

static void run_fail(import_run *run, rl_status s, const char *err)
{
    rl_cli_error("%s; nothing from this file was imported", err);
    int c = rl_cli_exit_code(s);
    if (c > run->rc) run->rc = c;
}

/* Ends the job in flight and prints its outcome. */
static void run_settle(import_run *run)
{
    if (!run->prev) return;
    char err[2048];
    rl_import_result r;
    rl_status s = rl_import_end(run->prev, &r, err, sizeof err);
    const char *path = run->prev_path;
    run->prev = NULL;
    if (s != RL_OK) {
        run_fail(run, s, err);
    } else {
        if (r.already)
            printf("%s: already imported as <%s>, nothing changed\n", path, r.graph);
        else
            printf("%s: imported %llu triples (%s) into <%s>\n", path, (unsigned long long)r.triples,
                   r.format, r.graph);
        if (r.rejects)
            printf("%s: %llu record(s) rejected (--keep-going), listed in the reject report\n", path,
                   (unsigned long long)r.rejects);
        if (!r.already && r.warnings)
            printf("%s: %llu warning(s), recorded in the batch's provenance\n", path,
                   (unsigned long long)r.warnings);
    }
    free(run->prev_path);
    run->prev_path = NULL;
}

/* Begins importing one file, then reports the one before it. */
static void import_one(import_run *run, const char *path)
{
    char err[1024];
    rl_import_job *job = NULL;
    char *copy = strdup(path);
    rl_status s = copy ? rl_import_begin(run->st, path, run->o, run->prev, &job, err, sizeof err)
                       : RL_ERR_NOMEM;
    if (!copy) snprintf(err, sizeof err, "%s: out of memory", path);
    run_settle(run);
    if (s != RL_OK) {
        run_fail(run, s, err);
        free(copy);
        return;
    }
    run->prev = job;
    run->prev_path = copy;
}

static int import_dir(import_run *run, const char *dir)
{
    const rl_import_options *o = run->o;
    DIR *d = opendir(dir);
    if (!d) {
        run_settle(run);
        rl_cli_error("%s: cannot open directory", dir);
        return RL_EXIT_INPUT;
    }
    ranked *files = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *p = NULL;
        struct stat sb;
        if (asprintf(&p, "%s/%s", dir, e->d_name) < 0) {
            rc = RL_EXIT_INTERNAL;
            break;
        }
        if (stat(p, &sb) != 0 || !S_ISREG(sb.st_mode)) {
            free(p);
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            ranked *nf = realloc(files, cap * sizeof *nf);
            if (!nf) {
                free(p);
                rc = RL_EXIT_INTERNAL;
                break;
            }
            files = nf;
        }
        files[n].rank = rl_import_rank(p, o);
        files[n++].path = p;
    }
    closedir(d);
    if (files) qsort(files, n, sizeof *files, cmp_ranked);
    for (size_t i = 0; i < n; i++) {
        if (rc != RL_EXIT_INTERNAL) import_one(run, files[i].path);
        free(files[i].path);
    }
    free(files);
    return rc;
}

int rl_cmd_import(int argc, char **argv)
{
    static const struct option opts[] = {
        {"store", required_argument, 0, 's'},     {"format", required_argument, 0, 'f'},
        {"max-triples", required_argument, 0, 't'}, {"max-bytes", required_argument, 0, 'b'},
        {"quiet", no_argument, 0, 'q'},            {"progress", required_argument, 0, 'p'},
        {"set", required_argument, 0, 'S'},        {"help", no_argument, 0, 'h'},
        {"keep-going", no_argument, 0, 'k'},       {"reject-report", required_argument, 0, 'R'},
        {"no-mask", no_argument, 0, 'M'},
        {0, 0, 0, 0}};
    enum { MAX_PARAMS = 64 };
    const char *params[MAX_PARAMS + 1] = {NULL};
    const rl_input_format *const *formats = rl_cli_formats();
    size_t nparams = 0;
    const char *store = NULL, *reject_path = NULL;
    int no_mask = 0;
    rl_import_options o = {NULL, 0, 0, isatty(2) ? RL_PROGRESS_BAR : RL_PROGRESS_LINES, stderr, NULL, NULL, 0, NULL};
    unsigned long long v;
    int c;
    while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
        switch (c) {
        case 's': store = optarg; break;
        case 'f': o.format = optarg; break;
        case 't':
        case 'b':
            if (rl_cli_parse_u64(optarg, &v) || v == 0) {
                rl_cli_error("--%s needs a positive integer", c == 't' ? "max-triples" : "max-bytes");
                return RL_EXIT_USAGE;
            }
            if (c == 't') o.max_triples = v;
            else o.max_bytes = v;
            break;
        case 'q': o.progress = RL_PROGRESS_NONE; break;
        case 'k': o.keep_going = 1; break;
        case 'R': reject_path = optarg; break;
        case 'M': no_mask = 1; break;
        case 'S':
            if (!strchr(optarg, '=') || optarg[0] == '=' || nparams == MAX_PARAMS) {
                rl_cli_error("--set takes KEY=VALUE (at most %d)", MAX_PARAMS);
                return RL_EXIT_USAGE;
            }
            params[nparams++] = optarg;
            break;
        case 'p':
            if (!strcmp(optarg, "bar")) o.progress = RL_PROGRESS_BAR;
            else if (!strcmp(optarg, "lines")) o.progress = RL_PROGRESS_LINES;
            else if (!strcmp(optarg, "none")) o.progress = RL_PROGRESS_NONE;
            else {
                rl_cli_error("--progress takes bar, lines or none");
                return RL_EXIT_USAGE;
            }
            break;
        case 'h': import_usage(stdout); return RL_EXIT_OK;
        default: import_usage(stderr); return RL_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        rl_cli_error("import: no file given");
        import_usage(stderr);
        return RL_EXIT_USAGE;
    }
    if (no_mask) {
        if (nparams == MAX_PARAMS) {
            rl_cli_error("too many --set parameters");
            return RL_EXIT_USAGE;
        }
        params[nparams++] = "mask=off";
        rl_cli_error("warning: --no-mask: patient identifiers are stored unmasked; each batch's "
                     "provenance records it");
    }
    o.formats = formats;
    o.params = params;
    if (o.format) {
        if (!rl_import_format_known(o.format, formats)) {
            rl_cli_error("--format: expected turtle, trig, ntriples, nquads, rdfxml or a pack "
                         "format (see rootline --help)");
            return RL_EXIT_USAGE;
        }
    }
    FILE *rej = NULL;
    if (reject_path && !(rej = fopen(reject_path, "w"))) {
        rl_cli_error("--reject-report %s: cannot create it", reject_path);
        return RL_EXIT_USAGE;
    }
    o.reject_out = rej;
    rl_store *st = NULL;
    int rc = rl_cli_open_store(store, 0, &st);
    if (rc) {
        if (rej) fclose(rej);
        return rc;
    }
    import_run run = {st, &o, NULL, NULL, 0};
    for (int i = optind; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode)) {
            int r = import_dir(&run, argv[i]);
            if (r > rc) rc = r;
        } else {
            import_one(&run, argv[i]);
        }
    }
    run_settle(&run);
    if (run.rc > rc) rc = run.rc;
    rl_store_free(st);
    if (rej && fclose(rej) != 0) {
        rl_cli_error("--reject-report %s: write failed", reject_path);
        if (rc < RL_EXIT_INPUT) rc = RL_EXIT_INPUT;
    }
    return rc;
}
