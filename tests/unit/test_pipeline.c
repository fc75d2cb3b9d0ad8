/* test_pipeline.c: rl_import_begin / rl_import_end, the pipelined import
 * (file N+1 converted while file N commits), with a toy pack format whose
 * records look up facts other files define. */
#include "export.h"
#include "import.h"
#include "testutil.h"

#include <stdarg.h>

static char *dir;

/* ---- the toy format ------------------------------------------------------
 * "TOY" on the first line, then one record per line:
 *   DEF code   <urn:toy:item:code> <urn:toy:code> "code"   (a lookup fact)
 *   USE code   <urn:toy:use:SUM:LINE> <urn:toy:ref> the item with that code,
 *              or the literal "missing" when no lookup finds one
 *   BAD        an input error naming the line */
static const char *const toy_lookups[] = {"urn:toy:code", NULL};

static int toy_sniff(const char *head, size_t n)
{
    return n >= 4 && !memcmp(head, "TOY\n", 4);
}

static rl_status toy_convert(rl_batch *b, const char *text, size_t len)
{
    char line[200], iri[300];
    size_t off = 0;
    int no = 0;
    rl_status st = RL_OK;
    while (off < len && st == RL_OK) {
        const char *nl = memchr(text + off, '\n', len - off);
        size_t n = nl ? (size_t)(nl - (text + off)) : len - off;
        snprintf(line, sizeof line, "%.*s", (int)n, text + off);
        off += n + 1;
        no++;
        if (no == 1) continue;
        if (!strncmp(line, "DEF ", 4)) {
            snprintf(iri, sizeof iri, "urn:toy:item:%s", line + 4);
            st = rl_batch_add_lit(b, iri, "urn:toy:code", line + 4, NULL);
        } else if (!strncmp(line, "USE ", 4)) {
            snprintf(iri, sizeof iri, "urn:toy:use:%.12s:%d", rl_batch_checksum(b), no);
            const char *item = rl_batch_lookup_subject(b, "urn:toy:code", line + 4);
            st = item ? rl_batch_add_iri(b, iri, "urn:toy:ref", item)
                      : rl_batch_add_lit(b, iri, "urn:toy:ref", "missing", NULL);
        } else if (line[0]) {
            st = rl_batch_error(b, RL_ERR_INPUT, "line %d: expected DEF or USE", no);
        }
        rl_batch_record(b);
    }
    return st;
}

static const rl_input_format toy_format = {"toy", toy_sniff, toy_convert, toy_lookups, NULL};
static const rl_input_format *const toy_formats[] = {&toy_format, NULL};
static const rl_import_options toy_opts = {NULL, 0, 0, RL_PROGRESS_NONE, NULL, toy_formats, NULL, 0, NULL};

/* ---- helpers ------------------------------------------------------------ */
static char *write_file(const char *name, const char *text)
{
    char *p = rl_test_write(dir, name, text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    return p;
}

static rl_store *new_store(const char *name)
{
    char err[512], *uri = NULL;
    rl_store *st = NULL;
    CU_ASSERT_FATAL(asprintf(&uri, "lmdb:%s/%s", dir, name) > 0);
    CU_ASSERT_EQUAL_FATAL(rl_store_new(uri, NULL, &st, err, sizeof err), RL_OK);
    free(uri);
    return st;
}

/* The store as sorted N-Quads lines without the provenance times (which
 * differ between two imports of the same bytes); malloc'd. */
static char *dump(rl_store *st)
{
    char err[512], *text = NULL;
    size_t len = 0;
    uint64_t n = 0;
    FILE *f = open_memstream(&text, &len);
    CU_ASSERT_EQUAL(rl_export_nquads(st, NULL, f, &n, err, sizeof err), RL_OK);
    fclose(f);
    return rl_test_sorted_lines(text, "AtTime>");
}

static rl_import_job *begin_ok(rl_store *st, const char *path, rl_import_job *prev)
{
    char err[1024];
    rl_import_job *job = NULL;
    rl_status s = rl_import_begin(st, path, &toy_opts, prev, &job, err, sizeof err);
    if (s != RL_OK) fprintf(stderr, "%s\n", err);
    CU_ASSERT_EQUAL(s, RL_OK);
    CU_ASSERT_PTR_NOT_NULL(job);
    return job;
}

static void end_ok(rl_import_job *job, rl_import_result *r)
{
    char err[1024];
    CU_ASSERT_EQUAL(rl_import_end(job, r, err, sizeof err), RL_OK);
}

/* ---- tests -------------------------------------------------------------- */

/* Definitions, then records using them, then more records: pipelined, the
 * store holds exactly what importing the files one after another gives.
 * The second file needs the first's lookup facts, so its begin must wait for
 * the first commit: without that wait its USE records would say "missing". */
static void test_pipelined_equals_serial(void)
{
    char *a = write_file("a.toy", "TOY\nDEF x\nDEF y\n");
    char *b = write_file("b.toy", "TOY\nUSE x\nUSE y\n");
    char *c = write_file("c.toy", "TOY\nUSE y\nUSE x\nUSE z\n");
    rl_store *p = new_store("pipe"), *s = new_store("serial");
    rl_import_result ra, rb, rc;
    rl_import_job *ja = begin_ok(p, a, NULL);
    rl_import_job *jb = begin_ok(p, b, ja);
    end_ok(ja, &ra);
    rl_import_job *jc = begin_ok(p, c, jb); /* converted while b commits */
    end_ok(jb, &rb);
    end_ok(jc, &rc);
    CU_ASSERT_EQUAL(ra.triples, 2);
    CU_ASSERT_EQUAL(rb.triples, 2);
    CU_ASSERT_EQUAL(rc.triples, 3);
    CU_ASSERT_EQUAL(rc.records, 3);
    CU_ASSERT(!ra.already && !rb.already && !rc.already);
    const char *files[] = {a, b, c};
    for (int i = 0; i < 3; i++) {
        char err[1024];
        rl_import_result r;
        CU_ASSERT_EQUAL(rl_import_file(s, files[i], &toy_opts, &r, err, sizeof err), RL_OK);
    }
    char *dp = dump(p), *ds = dump(s);
    CU_ASSERT_STRING_EQUAL(dp, ds);
    /* b's and c's x and y were found; only c's z is missing */
    CU_ASSERT_PTR_NOT_NULL(strstr(dp, "<urn:toy:ref> <urn:toy:item:x>"));
    size_t missing = 0;
    for (const char *m = dp; (m = strstr(m, "\"missing\"")); m++) missing++;
    CU_ASSERT_EQUAL(missing, 1);
    free(dp);
    free(ds);
    rl_store_free(p);
    rl_store_free(s);
    free(a);
    free(b);
    free(c);
}

/* The same bytes twice in a row: the second is "already imported" even
 * though the first was still committing when it began. */
static void test_same_bytes_in_flight(void)
{
    char *a = write_file("same1.toy", "TOY\nUSE q\n");
    char *b = write_file("same2.toy", "TOY\nUSE q\n");
    rl_store *st = new_store("same");
    rl_import_result ra, rb;
    rl_import_job *ja = begin_ok(st, a, NULL);
    rl_import_job *jb = begin_ok(st, b, ja);
    end_ok(ja, &ra);
    end_ok(jb, &rb);
    CU_ASSERT_EQUAL(ra.already, 0);
    CU_ASSERT_EQUAL(rb.already, 1);
    CU_ASSERT_STRING_EQUAL(ra.graph, rb.graph);
    rl_store_free(st);
    free(a);
    free(b);
}

/* A bad file begun while a good one commits: its error names the file and
 * line, it changes nothing, and the good one lands. */
static void test_bad_file_in_flight(void)
{
    char *good = write_file("good.toy", "TOY\nDEF g\n");
    char *bad = write_file("bad.toy", "TOY\nUSE g\nBAD\n");
    rl_store *st = new_store("bad");
    char err[1024];
    rl_import_result r;
    rl_import_job *jg = begin_ok(st, good, NULL), *jb = jg; /* must become NULL */
    CU_ASSERT_EQUAL(rl_import_begin(st, bad, &toy_opts, jg, &jb, err, sizeof err), RL_ERR_INPUT);
    CU_ASSERT_PTR_NULL(jb);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "bad.toy"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "line 3"));
    end_ok(jg, &r);
    char *d = dump(st);
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "<urn:toy:item:g> <urn:toy:code> \"g\""));
    CU_ASSERT_PTR_NULL(strstr(d, "urn:toy:ref"));
    free(d);
    rl_store_free(st);
    free(good);
    free(bad);
}

/* An RDF file after a pack file waits for it (RDF may say anything), and
 * both land; a pack file after RDF too. */
static void test_rdf_between(void)
{
    char *a = write_file("r1.toy", "TOY\nDEF r\n");
    char *t = write_file("r2.ttl", "<urn:toy:item:s> <urn:toy:code> \"s\" .\n");
    char *b = write_file("r3.toy", "TOY\nUSE s\nUSE r\n");
    rl_store *st = new_store("rdf");
    rl_import_result r;
    rl_import_job *ja = begin_ok(st, a, NULL);
    rl_import_job *jt = begin_ok(st, t, ja);
    end_ok(ja, &r);
    rl_import_job *jb = begin_ok(st, b, jt);
    end_ok(jt, &r);
    CU_ASSERT_STRING_EQUAL(r.format, "turtle");
    end_ok(jb, &r);
    char *d = dump(st);
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "<urn:toy:ref> <urn:toy:item:s>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "<urn:toy:ref> <urn:toy:item:r>"));
    CU_ASSERT_PTR_NULL(strstr(d, "\"missing\""));
    free(d);
    rl_store_free(st);
    free(a);
    free(t);
    free(b);
}

static void test_null_jobs(void)
{
    rl_import_result r;
    char err[64];
    rl_import_wait(NULL); /* no-op */
    CU_ASSERT_EQUAL(rl_import_end(NULL, &r, err, sizeof err), RL_ERR_USAGE);
}

int main(void)
{
    dir = rl_test_tmpdir("pipe");
    static const rl_test_case cases[] = {
        {"pipelined = serial; lookup facts of the file before are waited for", test_pipelined_equals_serial},
        {"the same bytes while the first still commits", test_same_bytes_in_flight},
        {"a bad file while a good one commits", test_bad_file_in_flight},
        {"RDF between pack files", test_rdf_between},
        {"NULL jobs", test_null_jobs},
        {NULL, NULL}};
    int rc = rl_test_main("import pipeline", cases);
    rl_test_rmtree(dir);
    free(dir);
    return rc;
}
