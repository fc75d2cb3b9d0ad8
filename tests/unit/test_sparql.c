/* test_sparql.c: content negotiation and the query guard's rewrites. */
#include "negotiate.h"
#include "sparql_guard.h"
#include "testutil.h"

static rl_format neg(const char *accept, int graph, int *rc)
{
    rl_format f;
    int bad;
    *rc = rl_negotiate(accept, graph, &f, &bad);
    return f;
}

static void test_negotiate(void)
{
    int rc;
    CU_ASSERT_EQUAL(neg(NULL, 0, &rc), RL_FMT_JSON);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_EQUAL(neg("*/*", 1, &rc), RL_FMT_TURTLE);
    CU_ASSERT_EQUAL(neg("text/csv", 0, &rc), RL_FMT_CSV);
    CU_ASSERT_EQUAL(neg("text/csv;q=0.5, application/sparql-results+xml", 0, &rc), RL_FMT_XML);
    CU_ASSERT_EQUAL(neg("application/sparql-results+json;q=0.2, text/tab-separated-values;q=0.9", 0, &rc), RL_FMT_TSV);
    /* a specific range beats a wildcard of the same q; q=0 excludes */
    CU_ASSERT_EQUAL(neg("*/*;q=0.8, text/csv;q=0.8", 0, &rc), RL_FMT_CSV);
    CU_ASSERT_EQUAL(neg("application/sparql-results+json;q=0, */*;q=0.1", 0, &rc), RL_FMT_JSON);
    CU_ASSERT_EQUAL(neg("text/*", 1, &rc), RL_FMT_TURTLE);
    CU_ASSERT_EQUAL(neg("application/n-triples", 1, &rc), RL_FMT_NTRIPLES);
    neg("image/png", 0, &rc);
    CU_ASSERT_EQUAL(rc, -1);
    neg("text/csv", 1, &rc); /* a graph cannot be CSV */
    CU_ASSERT_EQUAL(rc, -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(rl_negotiate_offers(1), "text/turtle"));
}

static const char *rw(const char *in, int *changed, rl_status *st)
{
    static rl_buf b;
    static char err[256];
    rl_buf_free(&b);
    rl_buf_init(&b, 0);
    *st = rl_guard_rewrite(in, &b, changed, err, sizeof err);
    return b.data ? (const char *)b.data : "";
}

static void test_guard_values(void)
{
    int n;
    rl_status st;
    CU_ASSERT_STRING_EQUAL(rw("SELECT * { ?s ?p ?x VALUES ?x { 1 <a> ex:b } }", &n, &st),
                           "SELECT * { ?s ?p ?x VALUES (?x) { (1) (<a>) (ex:b) } }");
    CU_ASSERT_EQUAL(n, 1);
    CU_ASSERT_STRING_EQUAL(rw("VALUES $v{\"a b\"@en \"}\"^^xsd:string 'x'^^<http://t> UNDEF}", &n, &st),
                           "VALUES ($v) { (\"a b\"@en) (\"}\"^^xsd:string) ('x'^^<http://t>) (UNDEF) }");
    /* already parenthesised, inside strings, IRIs, comments, prefixed names: untouched */
    const char *same = "SELECT * { VALUES (?x) { (1) } FILTER(?o = \"VALUES ?x { 1 2 }\") "
                       "?s <http://x/VALUES> ex:VALUES } # VALUES ?y { 3 4 }\n";
    CU_ASSERT_STRING_EQUAL(rw(same, &n, &st), same);
    CU_ASSERT_EQUAL(n, 0);
    rw("SELECT * { VALUES ?x { 1 2 ", &n, &st);
    CU_ASSERT_EQUAL(st, RL_ERR_INPUT);
    rw("", &n, &st);
    CU_ASSERT_EQUAL(st, RL_OK);
}

int main(void)
{
    static const rl_test_case cases[] = {{"negotiation", test_negotiate},
                                         {"guard: short-form VALUES", test_guard_values},
                                         {NULL, NULL}};
    int r = rl_test_main("sparql", cases);
    int n;
    rl_status st;
    rw("", &n, &st); /* frees nothing new; the static buffer is released below */
    return r;
}
