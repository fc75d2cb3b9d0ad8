/* test_astm.c: the ASTM layer on the public samples in ../shared and on
 * fixtures for checksums, continuation and tolerant mode. */
#include "cl_astm.h"
#include "testutil.h"

#define SAMPLES RL_SHARED_DIR "/clinical-samples/astm/"

static char *slurp(const char *name, size_t *n)
{
    char path[1024];
    snprintf(path, sizeof path, SAMPLES "%s", name);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *b = malloc(1 << 20);
    *n = fread(b, 1, 1 << 20, f);
    fclose(f);
    return b;
}

static rl_astm_file *parse(const char *t, size_t n, int tolerant, rl_status want, char *err)
{
    rl_astm_file *f = NULL;
    rl_status st = rl_astm_parse(t, n, tolerant, &f, err, 512);
    if (st != want) fprintf(stderr, "astm: %s\n", err);
    CU_ASSERT_EQUAL(st, want);
    return f;
}

static size_t count(const rl_astm_file *f, char type)
{
    size_t n = 0;
    for (size_t i = 0; i < f->nrecs; i++) n += f->recs[i].type == type;
    return n;
}

static void test_samples(void)
{
    static const struct {
        const char *file;
        size_t recs, results;
    } s[] = {{"senaite_cobas_c111.astm", 7, 1},   {"senaite_abbott_afinion2.astm", 5, 1},
             {"senaite_cobas_c311.astm", 0, 0},   {"senaite_dca_vantage.astm", 0, 0},
             {"senaite_genexpert.astm", 0, 0},    {"senaite_pentra_xlr.astm", 0, 0},
             {"senaite_sysmex_xn550.astm", 0, 0}, {"senaite_sysmex_xp100.astm", 0, 0},
             {"senaite_yumizen_h500_qc.astm", 0, 0}, {NULL, 0, 0}};
    char err[512];
    for (int i = 0; s[i].file; i++) {
        size_t n = 0;
        char *t = slurp(s[i].file, &n);
        CU_ASSERT_PTR_NOT_NULL_FATAL(t);
        CU_ASSERT(rl_astm_sniff(t, n));
        rl_astm_file *f = parse(t, n, 1, RL_OK, err);
        if (f) {
            CU_ASSERT_EQUAL(f->recs[0].type, 'H');
            CU_ASSERT_EQUAL(f->recs[f->nrecs - 1].type, 'L');
            CU_ASSERT(count(f, 'R') >= 1 || count(f, 'M') >= 1);
            if (s[i].recs) CU_ASSERT_EQUAL(f->nrecs, s[i].recs);
            if (s[i].results) CU_ASSERT_EQUAL(count(f, 'R'), s[i].results);
            for (size_t k = 0; k < f->nrecs; k++) CU_ASSERT(f->recs[k].frame >= 1);
        }
        rl_astm_free(f);
        free(t);
    }
}

static void test_fields(void)
{
    char err[512];
    size_t n = 0;
    char *t = slurp("senaite_cobas_c111.astm", &n);
    rl_astm_file *f = parse(t, n, 1, RL_OK, err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    rl_buf b;
    rl_buf_init(&b, 0);
    CU_ASSERT(f->fd == '|' && f->rd == '\\' && f->cd == '^' && f->ed == '&');
    const rl_astm_rec *r = &f->recs[3];
    CU_ASSERT_EQUAL(r->type, 'R');
    rl_astm_value(f, r, 3, 1, 4, &b);
    CU_ASSERT_STRING_EQUAL((char *)b.data, "413"); /* R-3 universal test id, 4th component */
    rl_astm_value(f, r, 4, 0, 0, &b);
    CU_ASSERT_STRING_EQUAL((char *)b.data, "40.13");
    rl_astm_value(f, r, 5, 0, 0, &b);
    CU_ASSERT_STRING_EQUAL((char *)b.data, "g/L");
    rl_astm_value(f, r, 9, 0, 0, &b);
    CU_ASSERT_STRING_EQUAL((char *)b.data, "F"); /* R-9 result status */
    rl_astm_value(f, r, 13, 0, 0, &b);
    CU_ASSERT_STRING_EQUAL((char *)b.data, "20230803131700"); /* R-13 completed */
    rl_astm_value(f, &f->recs[0], 12, 0, 0, &b);
    CU_ASSERT_STRING_EQUAL((char *)b.data, "P"); /* H-12 processing id */
    const rl_astm_rec *m = &f->recs[5];
    CU_ASSERT_EQUAL(m->type, 'M');
    rl_astm_value(f, m, 5, 3, 0, &b); /* repetitions in M-5 */
    CU_ASSERT_STRING_EQUAL((char *)b.data, "1");
    rl_astm_value(f, m, 5, 2, 0, &b);
    CU_ASSERT_STRING_EQUAL((char *)b.data, "-21");
    rl_astm_free(f);
    free(t);
    rl_buf_free(&b);
}

static void frame(char *out, int fn, const char *text, int etx)
{
    unsigned sum = (unsigned)('0' + fn);
    for (const char *p = text; *p; p++) sum += (unsigned char)*p;
    sum += etx ? 0x03 : 0x17;
    sprintf(out + strlen(out), "\x02%d%s%c%02X\r\n", fn, text, etx ? 0x03 : 0x17, sum & 0xFF);
}

static void test_checksum_and_continuation(void)
{
    char buf[4096] = "", err[512];
    frame(buf, 1, "H|\\^&|||T\r", 1);
    frame(buf, 2, "R|1|^^^GLU|5.", 0); /* ETB: continues */
    frame(buf, 3, "6&S&x|mmol/L\r", 1);
    frame(buf, 4, "L|1|N\r", 1);
    rl_astm_file *f = parse(buf, strlen(buf), 0, RL_OK, err); /* strict passes too */
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(f->nrecs, 3);
    CU_ASSERT_EQUAL(f->warnings.n, 0);
    rl_buf b;
    rl_buf_init(&b, 0);
    rl_astm_value(f, &f->recs[1], 4, 0, 0, &b);
    CU_ASSERT_STRING_EQUAL((char *)b.data, "5.6^x"); /* joined across frames; &S& decoded */
    CU_ASSERT_EQUAL(f->recs[1].frame, 2);
    rl_astm_free(f);
    /* one wrong checksum digit: an error naming the frame */
    char *p = strstr(buf, "\x03");
    p = strstr(p + 1, "\x17");
    p[1] = p[1] == '0' ? '1' : '0';
    f = parse(buf, strlen(buf), 1, RL_ERR_INPUT, err);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "frame 2: checksum"));
    rl_buf_free(&b);
}

static void test_tolerance(void)
{
    char buf[4096] = "", err[512];
    frame(buf, 1, "H|\\^&\r", 1);
    frame(buf, 5, "L|1\r", 1); /* out of sequence */
    rl_astm_file *f = parse(buf, strlen(buf), 1, RL_OK, err);
    CU_ASSERT_EQUAL(f->warnings.n, 1);
    rl_astm_free(f);
    f = parse(buf, strlen(buf), 0, RL_ERR_INPUT, err);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "frame number 5, expected 2"));
    /* unframed record file with LF ends */
    const char *plain = "H|\\^&|||LIS\nP|1\nR|1|^^^K|4.1|mmol/L\nL|1|N\n";
    f = parse(plain, strlen(plain), 1, RL_OK, err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(f->nrecs, 4);
    CU_ASSERT_FALSE(f->framed);
    CU_ASSERT(f->warnings.n >= 1);
    rl_astm_free(f);
    f = parse(plain, strlen(plain), 0, RL_ERR_INPUT, err);
}

static void test_not_astm(void)
{
    const char *files[] = {"senaite_mini_vidas_NOT_ASTM.txt", "senaite_spotchem_el_NOT_ASTM.txt", NULL};
    char err[512];
    for (int i = 0; files[i]; i++) {
        size_t n = 0;
        char *t = slurp(files[i], &n);
        CU_ASSERT_PTR_NOT_NULL_FATAL(t);
        CU_ASSERT_FALSE(rl_astm_sniff(t, n));
        rl_astm_file *f = parse(t, n, 1, RL_ERR_INPUT, err);
        CU_ASSERT_PTR_NULL(f);
        CU_ASSERT(strstr(err, "H (header)") || strstr(err, "frame"));
        free(t);
    }
    rl_astm_free(NULL);
}

int main(void)
{
    static const rl_test_case cases[] = {{"every public sample", test_samples},
                                         {"fields, components, repetitions", test_fields},
                                         {"checksum and ETB continuation", test_checksum_and_continuation},
                                         {"tolerant and strict", test_tolerance},
                                         {"the two non-ASTM files are refused", test_not_astm},
                                         {NULL, NULL}};
    return rl_test_main("astm", cases);
}
