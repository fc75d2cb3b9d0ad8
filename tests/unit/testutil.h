/* testutil.h: tiny helpers shared by the CUnit test programs. */
#ifndef RL_TESTUTIL_H
#define RL_TESTUTIL_H

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct rl_test_case {
    const char *name;
    void (*fn)(void);
} rl_test_case;

/* Runs the cases as one suite; the exit status is non-zero on any failure. */
static inline int rl_test_main(const char *suite, const rl_test_case *cases)
{
    if (CU_initialize_registry() != CUE_SUCCESS) return 2;
    CU_pSuite s = CU_add_suite(suite, NULL, NULL);
    for (const rl_test_case *c = cases; c->name; c++) CU_add_test(s, c->name, c->fn);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    unsigned run = CU_get_number_of_tests_run();
    CU_cleanup_registry();
    return failed || run == 0 ? 1 : 0;
}

/* Makes a fresh temporary directory; returns a malloc'd path. */
static inline char *rl_test_tmpdir(const char *tag)
{
    char *p = NULL;
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    if (asprintf(&p, "%s/rl-%s-XXXXXX", base, tag) < 0) return NULL;
    return mkdtemp(p) ? p : NULL;
}

/* Removes a directory tree made by rl_test_tmpdir. */
static inline void rl_test_rmtree(const char *dir)
{
    char *cmd = NULL;
    if (dir && asprintf(&cmd, "rm -rf '%s'", dir) >= 0) {
        if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", dir);
    }
    free(cmd);
}

/* Writes text to a new file dir/name; returns a malloc'd path. */
static inline char *rl_test_write(const char *dir, const char *name, const char *text)
{
    char *p = NULL;
    if (asprintf(&p, "%s/%s", dir, name) < 0) return NULL;
    FILE *f = fopen(p, "wb");
    if (!f) {
        free(p);
        return NULL;
    }
    fputs(text, f);
    fclose(f);
    return p;
}

static inline int rl_test_cmp_line(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of `text` (freed here) sorted, each ending in a newline, without
 * those containing `drop` (NULL: keep all); malloc'd.  For outputs whose
 * order is not defined (CONSTRUCT, exports). */
static inline char *rl_test_sorted_lines(char *text, const char *drop)
{
    char **lines = NULL, *out = NULL;
    size_t n = 0, cap = 0, len = 0;
    for (char *save = NULL, *l = text ? strtok_r(text, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
        if (drop && strstr(l, drop)) continue;
        if (n == cap) {
            char **nl = realloc(lines, (cap = cap ? cap * 2 : 64) * sizeof *lines);
            if (!nl) break;
            lines = nl;
        }
        lines[n++] = l;
    }
    if (n) qsort(lines, n, sizeof *lines, rl_test_cmp_line);
    FILE *o = open_memstream(&out, &len);
    for (size_t i = 0; o && i < n; i++) fprintf(o, "%s\n", lines[i]);
    if (o) fclose(o);
    free(lines);
    free(text);
    return out;
}

#endif
