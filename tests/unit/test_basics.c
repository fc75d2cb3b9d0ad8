/* test_basics.c: status strings, buffer ceilings, term codec, free(NULL). */
#include "buf.h"
#include "export.h"
#include "import.h"
#include "mask.h"
#include "metrics.h"
#include "quadstore.h"
#include "query.h"
#include "status.h"
#include "store.h"
#include "term.h"
#include "testutil.h"

static void test_strerror(void)
{
    for (int s = RL_OK; s <= RL_ERR_INTERNAL; s++) {
        const char *m = rl_strerror((rl_status)s);
        CU_ASSERT_PTR_NOT_NULL_FATAL(m);
        CU_ASSERT(strlen(m) > 3);
        CU_ASSERT_STRING_NOT_EQUAL(m, "unknown status");
    }
    CU_ASSERT_STRING_EQUAL(rl_strerror((rl_status)999), "unknown status");
    char buf[8];
    CU_ASSERT_EQUAL(rl_errorf(buf, sizeof buf, RL_ERR_INPUT, "%s", "a long message"), RL_ERR_INPUT);
    CU_ASSERT_STRING_EQUAL(buf, "a lo...");
}

static void test_buf_ceiling(void)
{
    rl_buf b;
    rl_buf_init(&b, 10);
    CU_ASSERT_EQUAL(rl_buf_append(&b, "0123456789", 10), RL_OK);
    CU_ASSERT_EQUAL(b.len, 10);
    CU_ASSERT_EQUAL(rl_buf_append(&b, "x", 1), RL_ERR_LIMIT);
    CU_ASSERT_EQUAL(b.len, 10); /* unchanged on error */
    CU_ASSERT_STRING_EQUAL((char *)b.data, "0123456789");
    rl_buf_clear(&b);
    CU_ASSERT_EQUAL(rl_buf_printf(&b, "%d-%s", 42, "ab"), RL_OK);
    CU_ASSERT_STRING_EQUAL((char *)b.data, "42-ab");
    CU_ASSERT_EQUAL(rl_buf_printf(&b, "%s", "too long for it"), RL_ERR_LIMIT);
    rl_buf_free(&b);
    CU_ASSERT_PTR_NULL(b.data);
}

static void roundtrip(raptor_world *w, raptor_term *t, const char *expect_nt)
{
    rl_buf b;
    rl_buf_init(&b, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_EQUAL_FATAL(rl_term_encode(t, &b), RL_OK);
    raptor_term *u = rl_term_decode(w, b.data, b.len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    CU_ASSERT(raptor_term_equals(t, u));
    unsigned char *s = raptor_term_to_string(u);
    CU_ASSERT_STRING_EQUAL((char *)s, expect_nt);
    raptor_free_memory(s);
    raptor_free_term(u);
    raptor_free_term(t);
    rl_buf_free(&b);
}

static void test_term_codec(void)
{
    raptor_world *w = raptor_new_world();
    raptor_world_open(w);
    raptor_uri *dt = raptor_new_uri(w, (const unsigned char *)"http://www.w3.org/2001/XMLSchema#integer");
    roundtrip(w, raptor_new_term_from_uri_string(w, (const unsigned char *)"http://e/a"),
              "<http://e/a>");
    roundtrip(w, raptor_new_term_from_blank(w, (const unsigned char *)"b1"), "_:b1");
    roundtrip(w, raptor_new_term_from_literal(w, (const unsigned char *)"plain", NULL, NULL),
              "\"plain\"");
    roundtrip(w, raptor_new_term_from_literal(w, (const unsigned char *)"检验科", NULL,
                                              (const unsigned char *)"zh"),
              "\"\\u68C0\\u9A8C\\u79D1\"@zh");
    roundtrip(w, raptor_new_term_from_literal(w, (const unsigned char *)"42", dt, NULL),
              "\"42\"^^<http://www.w3.org/2001/XMLSchema#integer>");
    roundtrip(w, raptor_new_term_from_counted_literal(w, (const unsigned char *)"", 0, NULL, NULL, 0),
              "\"\"");
    /* "x"^^xsd:string encodes as the plain literal "x" (RDF 1.1) */
    raptor_uri *xs = raptor_new_uri(w, (const unsigned char *)"http://www.w3.org/2001/XMLSchema#string");
    raptor_term *a = raptor_new_term_from_literal(w, (const unsigned char *)"x", xs, NULL);
    raptor_term *b = raptor_new_term_from_literal(w, (const unsigned char *)"x", NULL, NULL);
    rl_buf ea, eb;
    rl_buf_init(&ea, 0);
    rl_buf_init(&eb, 0);
    rl_term_encode(a, &ea);
    rl_term_encode(b, &eb);
    CU_ASSERT(ea.len == eb.len && !memcmp(ea.data, eb.data, ea.len));
    /* the string encoders write the same bytes as rl_term_encode */
    static const struct {
        const char *lex, *dt, *lang;
    } lits[] = {{"x", "http://www.w3.org/2001/XMLSchema#string", NULL},
                {"x", NULL, NULL},
                {"42", "http://www.w3.org/2001/XMLSchema#integer", NULL},
                {"检验科", NULL, "zh"},
                {"", NULL, NULL}};
    for (size_t i = 0; i < sizeof lits / sizeof *lits; i++) {
        raptor_uri *u = lits[i].dt ? raptor_new_uri(w, (const unsigned char *)lits[i].dt) : NULL;
        raptor_term *t = raptor_new_term_from_literal(w, (const unsigned char *)lits[i].lex, u,
                                                      (const unsigned char *)lits[i].lang);
        rl_buf_clear(&ea);
        rl_buf_clear(&eb);
        CU_ASSERT_EQUAL(rl_term_encode(t, &ea), RL_OK);
        CU_ASSERT_EQUAL(rl_term_encode_literal(&eb, (const unsigned char *)lits[i].lex,
                                               strlen(lits[i].lex), lits[i].dt,
                                               (const unsigned char *)lits[i].lang,
                                               lits[i].lang ? strlen(lits[i].lang) : 0),
                        RL_OK);
        CU_ASSERT(ea.len == eb.len && !memcmp(ea.data, eb.data, ea.len));
        size_t vl = 0; /* and the lexical form comes back */
        const unsigned char *v = rl_term_value(eb.data, eb.len, &vl);
        CU_ASSERT(v && vl == strlen(lits[i].lex) && !memcmp(v, lits[i].lex, vl));
        raptor_free_term(t);
        if (u) raptor_free_uri(u);
    }
    raptor_term *it = raptor_new_term_from_uri_string(w, (const unsigned char *)"http://e/a");
    rl_buf_clear(&ea);
    rl_buf_clear(&eb);
    rl_term_encode(it, &ea);
    CU_ASSERT_EQUAL(rl_term_encode_iri(&eb, "http://e/a"), RL_OK);
    CU_ASSERT(ea.len == eb.len && !memcmp(ea.data, eb.data, ea.len));
    size_t vl = 0;
    const unsigned char *v = rl_term_value(eb.data, eb.len, &vl);
    CU_ASSERT(v && vl == 10 && !memcmp(v, "http://e/a", 10));
    raptor_free_term(it);
    CU_ASSERT_PTR_NULL(rl_term_value((const unsigned char *)"Bb1", 3, &vl)); /* a blank has none */
    CU_ASSERT_PTR_NULL(rl_term_value((const unsigned char *)"Tno-nul", 7, &vl));
    /* malformed encodings are refused, not crashed on */
    CU_ASSERT_PTR_NULL(rl_term_decode(w, (const unsigned char *)"Tno-nul", 7));
    CU_ASSERT_PTR_NULL(rl_term_decode(w, (const unsigned char *)"Qx", 2));
    CU_ASSERT_PTR_NULL(rl_term_decode(w, (const unsigned char *)"", 0));
    rl_buf_free(&ea);
    rl_buf_free(&eb);
    raptor_free_term(a);
    raptor_free_term(b);
    raptor_free_uri(xs);
    raptor_free_uri(dt);
    raptor_free_world(w);
}

static void test_free_null(void)
{
    /* every _free accepts NULL (serd/sord habit) */
    rl_qs_free(NULL);
    rl_qs_iter_free(NULL);
    rl_store_free(NULL);
    rl_buf_free(NULL);
    CU_PASS("all _free(NULL) calls returned");
}

static void test_store_uri_errors(void)
{
    char err[256];
    rl_store *st = NULL;
    CU_ASSERT_EQUAL(rl_store_new("nocolon", NULL, &st, err, sizeof err), RL_ERR_USAGE);
    CU_ASSERT_PTR_NULL(st);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "KIND:ARG"));
    CU_ASSERT_EQUAL(rl_store_new("nosuchstorage:x", NULL, &st, err, sizeof err), RL_ERR_STORE);
    CU_ASSERT_PTR_NULL(st);
    CU_ASSERT_EQUAL(rl_store_new("lmdb:/tmp/x?bad", NULL, &st, err, sizeof err), RL_ERR_USAGE);
    CU_ASSERT_EQUAL(rl_store_new("memory:", NULL, &st, err, sizeof err), RL_OK);
    CU_ASSERT_STRING_EQUAL(rl_store_kind(st), "hashes");
    CU_ASSERT_PTR_NULL(rl_store_quads(st));
    rl_store_free(st);
    CU_ASSERT_STRING_EQUAL(rl_store_resolve_uri("memory:"), "memory:");
}

static void test_format_names(void)
{
    rl_format f;
    const char *names[] = {"json", "xml", "csv", "tsv", "table", "turtle", "ntriples", "nquads", "rdfxml"};
    for (size_t i = 0; i < 9; i++) {
        CU_ASSERT_EQUAL(rl_format_parse(names[i], &f), RL_OK);
        CU_ASSERT_EQUAL(rl_format_is_graph(f), i >= 5);
    }
    CU_ASSERT_EQUAL(rl_format_parse("yaml", &f), RL_ERR_USAGE);
    rl_format_parse("json", &f);
    CU_ASSERT_STRING_EQUAL(rl_format_mime(f), "application/sparql-results+json");
}

static void mask_is(rl_status (*fn)(const char *, rl_buf *), const char *in, const char *want)
{
    rl_buf b;
    rl_buf_init(&b, 0);
    CU_ASSERT_EQUAL(fn(in, &b), RL_OK);
    CU_ASSERT_STRING_EQUAL(b.data ? (char *)b.data : "", want);
    rl_buf_free(&b);
}

static void test_masking(void)
{
    mask_is(rl_mask_phone, "13812345678", "138****5678"); /* SPEC §4 */
    mask_is(rl_mask_phone, "+86 138-1234-5678", "138****5678");
    mask_is(rl_mask_phone, "0086 13812345678", "138****5678");
    mask_is(rl_mask_phone, "010-12345678", "010****5678");
    mask_is(rl_mask_phone, "1234567", "***4567");
    mask_is(rl_mask_phone, "", "");
    mask_is(rl_mask_national_id, "110101199003071234", "110101********1234"); /* 18: 8 hidden */
    mask_is(rl_mask_national_id, "11010119900307123X", "110101********123X");
    mask_is(rl_mask_national_id, " 110101900307123 ", "110101*****7123"); /* 15-digit old form */
    mask_is(rl_mask_national_id, "A1234567", "****4567");
    mask_is(rl_mask_national_id, "12", "12");
}

/* Prometheus text: label values escaped, integers without fractions. */
static void test_metrics_text(void)
{
    rl_buf b;
    rl_buf_init(&b, 0);
    const char *l[] = {"service", "a\"b\\c\nd", "state", "chan receive"};
    CU_ASSERT_EQUAL(rl_metrics_header(&b, "x_total", "counter", "Things."), RL_OK);
    CU_ASSERT_EQUAL(rl_metrics_sample(&b, "x_total", l, 2, 3), RL_OK);
    CU_ASSERT_EQUAL(rl_metrics_sample(&b, "y", NULL, 0, 0.5), RL_OK);
    CU_ASSERT_STRING_EQUAL((char *)b.data, "# HELP x_total Things.\n# TYPE x_total counter\n"
                                           "x_total{service=\"a\\\"b\\\\c\\nd\",state=\"chan receive\"} 3\n"
                                           "y 0.500000\n");
    rl_buf_free(&b);
    rl_buf small;
    rl_buf_init(&small, 8);
    CU_ASSERT_EQUAL(rl_metrics_sample(&small, "a_long_metric_name", NULL, 0, 1), RL_ERR_LIMIT);
    rl_buf_free(&small);
}

int main(void)
{
    static const rl_test_case cases[] = {{"metrics text", test_metrics_text},{"strerror", test_strerror},
                                         {"buf ceiling", test_buf_ceiling},
                                         {"term codec", test_term_codec},
                                         {"free(NULL)", test_free_null},
                                         {"store URI errors", test_store_uri_errors},
                                         {"format names", test_format_names},
                                         {"masking of patient identifiers", test_masking},
                                         {NULL, NULL}};
    return rl_test_main("basics", cases);
}
