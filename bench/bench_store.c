/* bench_store.c: load and query speed of the lmdb store against Redland's
 * in-memory `trees` and `hashes` storages and Raptor's parse-only speed, on a
 * synthetic hospital graph (department -> test panel -> signal channel ->
 * results).  Each store runs in its own child process so peak RSS is its own.
 *
 *   bench_store gen FILE [TRIPLES]       write the graph as N-Triples
 *   bench_store run FILE DIR [REPS]      measure; DIR holds the lmdb store
 * Prints a Markdown table; see bench/README.md. */
#include "import.h"
#include "query.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define H "https://w3id.org/rootline/bench#"
#define NDEPT 50
#define NPANEL 200  /* 4 per department */
#define NCHAN 400   /* 2 per panel */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int gen(const char *path, long target)
{
    FILE *f = fopen(path, "w");
    if (!f) return 1;
    long n = 0;
    for (int d = 0; d < NDEPT; d++) {
        fprintf(f, "<" H "dept/%d> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <" H "Department> .\n", d);
        fprintf(f, "<" H "dept/%d> <" H "name> \"Dept %d\" .\n", d, d);
        n += 2;
        for (int k = 0; k < NPANEL / NDEPT; k++)
            fprintf(f, "<" H "dept/%d> <" H "hasTestPanel> <" H "panel/%d> .\n", d, d * 4 + k), n++;
    }
    for (int p = 0; p < NPANEL; p++) {
        fprintf(f, "<" H "panel/%d> <" H "name> \"Panel %d\" .\n", p, p);
        fprintf(f, "<" H "panel/%d> <" H "hasSignalChannel> <" H "chan/%d> .\n", p, p * 2);
        fprintf(f, "<" H "panel/%d> <" H "hasSignalChannel> <" H "chan/%d> .\n", p, p * 2 + 1);
        n += 3;
    }
    for (int c = 0; c < NCHAN; c++)
        fprintf(f, "<" H "chan/%d> <" H "name> \"Channel %d\" .\n", c, c), n++;
    unsigned long long x = 12345;
    for (long r = 0; n + 7 <= target; r++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        int c = (int)((x >> 33) % NCHAN), d = (c / 2) / 4;
        long sec = r * 20; /* one result every 20 s from 2026-03-01 */
        int day = 1 + (int)(sec / 86400), hh = (int)(sec % 86400 / 3600), mm = (int)(sec % 3600 / 60),
            ss = (int)(sec % 60);
        double v = 8.0 + (double)((x >> 13) % 600) / 100.0;
        fprintf(f, "<" H "result/%ld> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <" H "Result> .\n", r);
        fprintf(f, "<" H "result/%ld> <" H "channel> <" H "chan/%d> .\n", r, c);
        fprintf(f, "<" H "result/%ld> <" H "department> <" H "dept/%d> .\n", r, d);
        fprintf(f, "<" H "result/%ld> <" H "value> \"%.2f\"^^<http://www.w3.org/2001/XMLSchema#decimal> .\n", r, v);
        fprintf(f, "<" H "result/%ld> <" H "time> \"2026-03-%02dT%02d:%02d:%02d+08:00\"^^<http://www.w3.org/2001/XMLSchema#dateTime> .\n", r, day > 28 ? 28 : day, hh, mm, ss);
        fprintf(f, "<" H "result/%ld> <" H "flag> \"%s\" .\n", r, v > 13.5 ? "H" : "N");
        fprintf(f, "<" H "result/%ld> <" H "specimen> \"S%08ld\" .\n", r, r);
        n += 7;
    }
    fclose(f);
    fprintf(stderr, "wrote %ld triples to %s\n", n, path);
    return 0;
}

static const char *QN[4] = {"q1 subject lookup", "q2 3-level join + FILTER", "q3 COUNT/AVG per dept",
                            "q4 24 h dateTime window"};
static const char *QS[4] = {
    "SELECT ?p ?o WHERE { <" H "result/77777> ?p ?o }",
    "PREFIX h: <" H "> SELECT ?r ?v WHERE { ?d h:name \"Dept 7\" . ?d h:hasTestPanel ?p . "
    "?p h:hasSignalChannel ?c . ?r h:channel ?c . ?r h:value ?v FILTER(?v > 13.5) }",
    "PREFIX h: <" H "> SELECT ?d (COUNT(?r) AS ?n) (AVG(?v) AS ?avg) WHERE { ?r h:department ?d . "
    "?r h:value ?v } GROUP BY ?d",
    "PREFIX h: <" H "> PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> SELECT ?r ?t WHERE { ?r h:time ?t "
    "FILTER(?t >= \"2026-03-10T00:00:00+08:00\"^^xsd:dateTime && ?t < \"2026-03-11T00:00:00+08:00\"^^xsd:dateTime) }"};

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Runs the query `reps` times; returns the median ms, rows in *rows. */
static double time_query(rl_store *st, const char *q, int reps, uint64_t *rows)
{
    double t[64];
    char err[512];
    if (reps > 64) reps = 64;
    for (int i = 0; i < reps; i++) {
        FILE *devnull = fopen("/dev/null", "w");
        double t0 = now_ms();
        rl_status s = rl_query_run(st, q, RL_FMT_CSV, devnull, NULL, rows, err, sizeof err);
        t[i] = now_ms() - t0;
        fclose(devnull);
        if (s != RL_OK) {
            fprintf(stderr, "query failed: %s\n", err);
            return -1;
        }
    }
    qsort(t, (size_t)reps, sizeof *t, cmp_d);
    return t[reps / 2];
}

static uint64_t parsed;
static void count_stmt(void *ud, raptor_statement *s)
{
    (void)ud;
    (void)s;
    parsed++;
}

/* Loads with Raptor into a librdf model (trees: no graph; hashes: one graph). */
typedef struct load_ctx {
    librdf_model *m;
    librdf_node *ctx;
    uint64_t n;
} load_ctx;
static void add_stmt(void *ud, raptor_statement *s)
{
    load_ctx *l = ud;
    if (l->ctx) librdf_model_context_add_statement(l->m, l->ctx, s);
    else librdf_model_add_statement(l->m, s);
    l->n++;
}

static int raptor_file(raptor_world *w, const char *path, void *ud, raptor_statement_handler h)
{
    raptor_parser *p = raptor_new_parser(w, "ntriples");
    unsigned char *u = raptor_uri_filename_to_uri_string(path);
    raptor_uri *base = raptor_new_uri(w, u);
    raptor_parser_set_statement_handler(p, ud, h);
    int rc = raptor_parser_parse_file(p, base, base);
    raptor_free_uri(base);
    raptor_free_memory(u);
    raptor_free_parser(p);
    return rc;
}

/* Loads one store in the current (child) process; prints one result line. */
static int run_store(const char *kind, const char *file, const char *dir)
{
    char err[1024], uri[1024];
    rl_store *st = NULL;
    double t0, load_ms;
    uint64_t n = 0, disk = 0;
    if (!strcmp(kind, "parse")) {
        raptor_world *w = raptor_new_world();
        t0 = now_ms();
        raptor_file(w, file, NULL, count_stmt);
        load_ms = now_ms() - t0;
        printf("%s\t%llu\t%.1f\t-\t-\t-\t-\t0\n", kind, (unsigned long long)parsed, load_ms);
        fflush(stdout); /* the child leaves with _exit */
        raptor_free_world(w);
        return 0;
    }
    if (!strcmp(kind, "lmdb")) snprintf(uri, sizeof uri, "lmdb:%s/lmdb", dir);
    else if (!strcmp(kind, "hashes")) snprintf(uri, sizeof uri, "memory:");
    else snprintf(uri, sizeof uri, "trees:x");
    if (rl_store_new(uri, NULL, &st, err, sizeof err) != RL_OK) {
        fprintf(stderr, "%s: %s\n", kind, err);
        return 1;
    }
    t0 = now_ms();
    if (!strcmp(kind, "lmdb")) {
        rl_import_result r;
        if (rl_import_file(st, file, NULL, &r, err, sizeof err) != RL_OK) {
            fprintf(stderr, "lmdb import: %s\n", err);
            return 1;
        }
        n = r.triples;
    } else {
        load_ctx l = {rl_store_model(st), NULL, 0};
        librdf_world *w = rl_store_world(st);
        if (!strcmp(kind, "hashes"))
            l.ctx = librdf_new_node_from_uri_string(w, (const unsigned char *)"urn:bench:g");
        raptor_file(librdf_world_get_raptor(w), file, &l, add_stmt);
        n = l.n;
        if (l.ctx) librdf_free_node(l.ctx);
    }
    load_ms = now_ms() - t0;
    rl_store_stats ss;
    if (rl_store_stats_get(st, &ss, err, sizeof err) == RL_OK) disk = ss.disk_bytes;
    printf("%s\t%llu\t%.1f\t%llu\n", kind, (unsigned long long)n, load_ms, (unsigned long long)disk);
    fflush(stdout);
    rl_store_free(st);
    return 0;
}

/* Loads a librdf store in this process (trees: no graph; hashes: one graph). */
static rl_store *load_memory(const char *kind, const char *file)
{
    char err[512];
    rl_store *st = NULL;
    if (rl_store_new(!strcmp(kind, "trees") ? "trees:x" : "memory:", NULL, &st, err, sizeof err) != RL_OK)
        return NULL;
    load_ctx l = {rl_store_model(st), NULL, 0};
    librdf_world *w = rl_store_world(st);
    if (!strcmp(kind, "hashes"))
        l.ctx = librdf_new_node_from_uri_string(w, (const unsigned char *)"urn:bench:g");
    raptor_file(librdf_world_get_raptor(w), file, &l, add_stmt);
    if (l.ctx) librdf_free_node(l.ctx);
    return st;
}

/* All stores in one process; every query runs on each store in turn,
 * A B C A B C ..., so drift of the machine's speed hits all alike. */
static void interleaved(const char *file, const char *dir, int reps, const char *only)
{
    const char *kinds[] = {"lmdb", "trees", "hashes"};
    rl_store *st[3] = {NULL, NULL, NULL};
    char uri[1024], err[512];
    snprintf(uri, sizeof uri, "lmdb:%s/lmdb", dir);
    if (!only || strstr(only, "lmdb")) rl_store_new(uri, NULL, &st[0], err, sizeof err);
    for (int k = 1; k < 3; k++)
        if (!only || strstr(only, kinds[k])) st[k] = load_memory(kinds[k], file);
    int qreps[4] = {reps * 10, reps, reps / 2 > 0 ? reps / 2 : 1, reps / 2 > 0 ? reps / 2 : 1};
    printf("\nQuery medians, stores interleaved in one process (ms; rows):\n\n"
           "| query | lmdb | trees | hashes | trees/lmdb | hashes/lmdb |\n|---|---:|---:|---:|---:|---:|\n");
    for (int q = 0; q < 4; q++) {
        double t[3][64];
        uint64_t rows[3] = {0, 0, 0};
        int n = qreps[q] > 64 ? 64 : qreps[q];
        for (int k = 0; k < 3; k++)
            if (st[k]) time_query(st[k], QS[q], 1, &rows[k]); /* warm-up */
        for (int r = 0; r < n; r++)
            for (int k = 0; k < 3; k++) {
                if (!st[k]) continue;
                /* hashes scans for q1 (no subject index): a few runs are enough */
                if (k == 2 && r >= 3) {
                    t[k][r] = t[k][r % 3];
                    continue;
                }
                t[k][r] = time_query(st[k], QS[q], 1, &rows[k]);
            }
        double med[3] = {0, 0, 0};
        for (int k = 0; k < 3; k++) {
            if (!st[k]) continue;
            qsort(t[k], (size_t)n, sizeof(double), cmp_d);
            med[k] = t[k][n / 2];
        }
        printf("| %s |", QN[q]);
        for (int k = 0; k < 3; k++)
            if (st[k]) printf(" %.3f; %llu |", med[k], (unsigned long long)rows[k]);
            else printf(" - |");
        for (int k = 1; k < 3; k++)
            if (st[k] && med[0] > 0) printf(" %.2f× |", med[k] / med[0]);
            else printf(" - |");
        printf("\n");
        fflush(stdout);
    }
    for (int k = 0; k < 3; k++) rl_store_free(st[k]);
}

static int run(const char *file, const char *dir, int reps, const char *only)
{
    const char *kinds[] = {"parse", "lmdb", "trees", "hashes"};
    printf("Queries:\n\n");
    for (int q = 0; q < 4; q++) printf("- %s: `%s`\n", QN[q], QS[q]);
    printf("\nLoad (each store in its own child process):\n\n"
           "| store | triples | load s | triples/s | vs parse | disk MB | peak RSS MB |\n"
           "|---|---:|---:|---:|---:|---:|---:|\n");
    double parse_ms = 0;
    for (int k = 0; k < 4; k++) {
        if (only && !strstr(only, kinds[k]) && strcmp(kinds[k], "parse")) continue;
        int fd[2];
        fflush(stdout); /* or the child writes our buffered text into the pipe */
        if (pipe(fd)) return 1;
        pid_t pid = fork();
        if (pid == 0) {
            dup2(fd[1], 1);
            close(fd[0]);
            _exit(run_store(kinds[k], file, dir));
        }
        close(fd[1]);
        char line[1024] = "", name[32];
        FILE *in = fdopen(fd[0], "r");
        if (!fgets(line, sizeof line, in)) line[0] = 0;
        fclose(in);
        int status;
        struct rusage ru;
        wait4(pid, &status, 0, &ru);
        unsigned long long n = 0, disk = 0;
        double load = 0;
        if (sscanf(line, "%31s %llu %lf %llu", name, &n, &load, &disk) < 3) {
            fprintf(stderr, "%s: no result (exit %d)\n", kinds[k], WEXITSTATUS(status));
            continue;
        }
        if (!strcmp(name, "parse")) parse_ms = load;
        printf("| %s | %llu | %.2f | %.0f | %.2f× | %s%.1f | %.0f |\n", name, n, load / 1e3,
               n / (load / 1e3), parse_ms > 0 ? load / parse_ms : 0, disk ? "" : "~",
               disk / 1048576.0, ru.ru_maxrss / 1024.0);
    }
    fflush(stdout);
    pid_t pid = fork(); /* the interleaved phase in a child: its memory is its own */
    if (pid == 0) {
        interleaved(file, dir, reps, only);
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

/* Profiling aid: run query number Q (1-4), or a query text, `reps` times on
 * an existing store (lmdb:DIR; trees/hashes stores are empty when reopened). */
static int repeat(const char *uri, const char *which, int reps)
{
    char err[512];
    rl_store *st = NULL;
    uint64_t rows = 0;
    int q = atoi(which);
    const char *text = q >= 1 && q <= 4 ? QS[q - 1] : which; /* a number or a query */
    if (rl_store_new(uri, NULL, &st, err, sizeof err) != RL_OK) return 1;
    double med = time_query(st, text, reps, &rows);
    printf("%s: median %.3f ms, %llu rows\n", q >= 1 && q <= 4 ? QN[q - 1] : "query", med,
           (unsigned long long)rows);
    rl_store_free(st);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 5 && !strcmp(argv[1], "repeat")) return repeat(argv[2], argv[3], atoi(argv[4]));
    if (argc >= 3 && !strcmp(argv[1], "gen")) return gen(argv[2], argc > 3 ? atol(argv[3]) : 1000000);
    if (argc >= 4 && !strcmp(argv[1], "run")) return run(argv[2], argv[3], argc > 4 ? atoi(argv[4]) : 10, argc > 5 ? argv[5] : NULL);
    fprintf(stderr, "usage: bench_store gen FILE [TRIPLES] | run FILE DIR [REPS [STORES]]\n"
                    "  STORES: comma list of parse,lmdb,trees,hashes (default all)\n");
    return 1;
}
