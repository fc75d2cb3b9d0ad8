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

#endif
