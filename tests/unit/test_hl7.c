/* test_hl7.c: the HL7 v2 layer on the public samples in ../shared and on
 * fixtures for framing, separators, escapes and charsets. */
#include "cl_hl7.h"
#include "testutil.h"

#ifndef RL_SHARED_DIR
#error "RL_SHARED_DIR must be defined by the build"
#endif
#define SAMPLES RL_SHARED_DIR "/clinical-samples/hl7v2/"

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *b = malloc(1 << 20);
    *n = fread(b, 1, 1 << 20, f);
    fclose(f);
    return b;
}

static rl_hl7_file *parse_text(const char *t, size_t n, rl_status want)
{
    char err[512];
    rl_hl7_file *f = NULL;
    rl_status st = rl_hl7_parse(t, n, &f, err, sizeof err);
    if (st != want) fprintf(stderr, "parse: %s\n", err);
    CU_ASSERT_EQUAL(st, want);
    return f;
}

static rl_hl7_file *parse_file(const char *name)
{
    size_t n = 0;
    char path[1024];
    snprintf(path, sizeof path, SAMPLES "%s", name);
    char *t = slurp(path, &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    rl_hl7_file *f = parse_text(t, n, RL_OK);
    free(t);
    return f;
}

/* value of the first segment `id` of message 0 */
static const char *val(rl_hl7_file *f, const char *id, int field, int rep, int comp, int sub, rl_buf *b)
{
    const rl_hl7_msg *m = &f->msgs[0];
    for (size_t i = m->first; i < m->first + m->nsegs; i++)
        if (!strcmp(f->segs[i].id, id)) {
            CU_ASSERT_EQUAL(rl_hl7_value(m, &f->segs[i], field, rep, comp, sub, b), RL_OK);
            return (const char *)b->data;
        }
    return NULL;
}

static void test_spec_oru(void)
{
    rl_buf b;
    rl_buf_init(&b, 0);
    rl_hl7_file *f = parse_file("pyhl7_oru_r01_v24_spec_glucose.hl7");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(f->nmsgs, 1);
    CU_ASSERT_EQUAL(f->warnings.n, 0);
    CU_ASSERT_STRING_EQUAL(val(f, "MSH", 1, 0, 0, 0, &b), "|");
    CU_ASSERT_STRING_EQUAL(val(f, "MSH", 2, 0, 0, 0, &b), "^~\\&");
    CU_ASSERT_STRING_EQUAL(val(f, "MSH", 9, 1, 1, 0, &b), "ORU");
    CU_ASSERT_STRING_EQUAL(val(f, "MSH", 9, 1, 2, 0, &b), "R01");
    CU_ASSERT_STRING_EQUAL(val(f, "MSH", 12, 0, 0, 0, &b), "2.4");
    CU_ASSERT_STRING_EQUAL(val(f, "OBX", 3, 1, 1, 0, &b), "1554-5"); /* LOINC */
    CU_ASSERT_STRING_EQUAL(val(f, "OBX", 3, 1, 2, 0, &b), "GLUCOSE");
    CU_ASSERT_STRING_EQUAL(val(f, "OBX", 5, 1, 2, 0, &b), "182");     /* SN: ^182 */
    CU_ASSERT_STRING_EQUAL(val(f, "OBX", 6, 1, 0, 0, &b), "mg/dl");
    CU_ASSERT_STRING_EQUAL(val(f, "OBX", 7, 1, 0, 0, &b), "70_105");
    CU_ASSERT_STRING_EQUAL(val(f, "OBX", 8, 1, 0, 0, &b), "H");
    size_t obx = 0;
    for (size_t i = 0; i < f->nsegs; i++) obx += !strcmp(f->segs[i].id, "OBX");
    CU_ASSERT_EQUAL(obx, 2);
    rl_hl7_free(f);
    rl_buf_free(&b);
}

static void test_batch_and_repetitions(void)
{
    rl_buf b;
    rl_buf_init(&b, 0);
    rl_hl7_file *f = parse_file("pyhl7_batch_fhs_bhs_adt_a04.hl7");
    CU_ASSERT_EQUAL(f->nmsgs, 1);
    CU_ASSERT_EQUAL(f->envelope_segments, 4);
    CU_ASSERT_EQUAL(f->msgs[0].nsegs, 6);
    CU_ASSERT_STRING_EQUAL(val(f, "MSH", 9, 1, 3, 0, &b), "ADT_A01");
    CU_ASSERT_STRING_EQUAL(val(f, "PID", 3, 1, 1, 0, &b), "0000112234");
    CU_ASSERT_STRING_EQUAL(f->msgs[0].charset, ""); /* MSH-18 ASCII */
    rl_hl7_free(f);
    f = parse_file("pyhl7_repetition_subcomponent_example.hl7");
    CU_ASSERT_STRING_EQUAL(val(f, "PID", 3, 1, 2, 2, &b), "Sub-Component2");
    CU_ASSERT_STRING_EQUAL(val(f, "PID", 3, 1, 3, 0, &b), "Component3");
    CU_ASSERT_EQUAL(rl_hl7_repetitions(&f->msgs[0], &f->segs[1], 4), 2);
    CU_ASSERT_STRING_EQUAL(val(f, "PID", 4, 2, 0, 0, &b), "Repeat2");
    CU_ASSERT_STRING_EQUAL(val(f, "PID", 40, 1, 1, 1, &b), ""); /* absent: empty */
    rl_hl7_free(f);
    rl_buf_free(&b);
}

static void test_escapes(void)
{
    rl_buf b;
    rl_buf_init(&b, 0);
    rl_hl7_file *f = parse_file("hapi_oru_r01_v24_ft_escapes_H_N_S_br_no_pid.hl7");
    const char *v = val(f, "OBX", 5, 1, 0, 0, &b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_PTR_NOT_NULL(strstr(v, "Calculated (37 ^o C) :\n"));   /* \S\ and \.br\ */
    CU_ASSERT_PTR_NOT_NULL(strstr(v, "pH :  7.28 (7.38-7.43)"));      /* \H\ \N\ dropped */
    CU_ASSERT_PTR_NULL(strstr(v, "\\H\\"));
    rl_hl7_free(f);
    f = parse_file("hapi_oru_v23_nte_escapes_F_br.hl7");
    int found_pipe = 0;
    for (size_t i = 0; i < f->nsegs; i++) {
        if (strcmp(f->segs[i].id, "NTE")) continue;
        rl_hl7_value(&f->msgs[0], &f->segs[i], 3, 1, 0, 0, &b);
        found_pipe |= strchr((char *)b.data, '|') != NULL;
    }
    CU_ASSERT(found_pipe); /* \F\ became the field separator inside the text */
    rl_hl7_free(f);
    /* hex escapes and unknown escapes */
    const char *msg = "MSH|^~\\&|A|B|C|D|20260302||ORU^R01|1|P|2.5\rOBX|1|ST|X||\\X41E4B8AD\\ and \\Q\\ and \\E\\\r";
    f = parse_text(msg, strlen(msg), RL_OK);
    CU_ASSERT_STRING_EQUAL(val(f, "OBX", 5, 1, 0, 0, &b), "A中 and \\Q\\ and \\");
    rl_hl7_free(f);
    rl_buf_free(&b);
}

static void test_zsegment_and_order(void)
{
    rl_buf b;
    rl_buf_init(&b, 0);
    rl_hl7_file *f = parse_file("hapi_oru_r01_v23_zsegment_before_pid.hl7");
    int z = 0;
    for (size_t i = 0; i < f->nsegs; i++) z += f->segs[i].id[0] == 'Z';
    CU_ASSERT(z >= 1);
    rl_hl7_free(f);
    const char *bad = "PID|1||X\rMSH|^~\\&|A\r";
    char err[256];
    CU_ASSERT_EQUAL(rl_hl7_parse(bad, strlen(bad), &f, err, sizeof err), RL_ERR_INPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "segment 1 (PID)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "before any MSH"));
    const char *junk = "MSH|^~\\&|A|B|C|D|1||ADT^A01|1|P|2.5\rthis is not a segment\r";
    CU_ASSERT_EQUAL(rl_hl7_parse(junk, strlen(junk), &f, err, sizeof err), RL_ERR_INPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "segment 2"));
    rl_buf_free(&b);
}

/* The variants file: one MSH per LF-ended line, '#' lines are comments. */
static void test_encoding_variants(void)
{
    size_t n = 0;
    char *t = slurp(SAMPLES "msh_encoding_character_variants.txt", &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    t[n] = 0;
    int ok = 0, refused = 0;
    char *save = NULL;
    for (char *line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#') continue;
        char err[256];
        rl_hl7_file *f = NULL;
        rl_status st = rl_hl7_parse(line, strlen(line), &f, err, sizeof err);
        if (st == RL_OK) {
            ok++;
            const rl_hl7_msg *m = &f->msgs[0];
            if (ok == 1) CU_ASSERT(m->es == '\\' && m->ss == '}');
            if (ok == 2) CU_ASSERT(m->es == '}' && m->ss == 0);
            if (ok == 3) CU_ASSERT(m->tc == '#');
        } else {
            refused++;
            CU_ASSERT_PTR_NOT_NULL(strstr(err, "MSH-2"));
        }
        rl_hl7_free(f);
    }
    CU_ASSERT_EQUAL(ok, 3);      /* '}' subcomponent, 3 characters, v2.7 truncation */
    CU_ASSERT_EQUAL(refused, 2); /* duplicates; 6 characters before v2.7 */
    free(t);
}

static void test_framing_and_charsets(void)
{
    rl_buf b;
    rl_buf_init(&b, 0);
    /* MLLP frame, LF ends (warned) */
    const char *m1 = "\x0bMSH|^~\\&|A|B|C|D|1||ADT^A01|1|P|2.5\nPID|1||X\n\x1c\r";
    rl_hl7_file *f = parse_text(m1, strlen(m1), RL_OK);
    CU_ASSERT(f->mllp);
    CU_ASSERT_EQUAL(f->msgs[0].nsegs, 2);
    CU_ASSERT_EQUAL(f->warnings.n, 1);
    rl_hl7_free(f);
    /* GB18030 text per MSH-18 */
    const char *m2 = "MSH|^~\\&|HIS|CN02|LIS|CN02|20260302||ADT^A08|9|P|2.5||||||GB 18030-2000\r"
                     "PV1|1|I|\xbc\xec\xd1\xe9\xbf\xc6\r";
    f = parse_text(m2, strlen(m2), RL_OK);
    CU_ASSERT_STRING_EQUAL(f->msgs[0].charset, "GB18030");
    CU_ASSERT_STRING_EQUAL(val(f, "PV1", 3, 1, 1, 0, &b), "检验科");
    rl_hl7_free(f);
    const char *m3 = "MSH|^~\\&|A|B|C|D|1||ADT^A01|1|P|2.5||||||EBCDIC\r";
    char err[256];
    CU_ASSERT_EQUAL(rl_hl7_parse(m3, strlen(m3), &f, err, sizeof err), RL_ERR_UNSUPPORTED);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "MSH-18"));
    CU_ASSERT(rl_hl7_sniff(m1, strlen(m1)));
    CU_ASSERT_FALSE(rl_hl7_sniff("H|\\^&|||", 8));
    rl_hl7_free(NULL);
    rl_buf_free(&b);
}

int main(void)
{
    static const rl_test_case cases[] = {{"spec ORU^R01", test_spec_oru},
                                         {"batch envelope, repetitions, sub-components", test_batch_and_repetitions},
                                         {"escapes", test_escapes},
                                         {"Z-segments and segment order", test_zsegment_and_order},
                                         {"MSH-2 variants", test_encoding_variants},
                                         {"MLLP, line ends, charsets", test_framing_and_charsets},
                                         {NULL, NULL}};
    return rl_test_main("hl7", cases);
}
