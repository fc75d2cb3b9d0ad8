/* test_savedq.c: saved queries (typed binding that no value can escape) and
 * memgraph (the indexed in-memory view the analyses walk). */
#include "memgraph.h"
#include "query.h"
#include "savedq.h"
#include "store.h"
#include "testutil.h"

static char *write_query(const char *dir, const char *name, const char *text)
{
    char *p = NULL;
    CU_ASSERT_FATAL(asprintf(&p, "%s/%s.rq", dir, name) > 0);
    FILE *f = fopen(p, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    fclose(f);
    return p;
}

static const char *Q1 = "#+ summary: departments by code\n"
                        "#+ tags: clinical, test\n"
                        "#+ param code: the department code\n"
                        "#+ default limit: 5\n"
                        "SELECT ?d ?_code_string ?__limit_integer WHERE {\n"
                        "  ?d <urn:x:code> ?_code_string . # ?_notaparam in a comment\n"
                        "  FILTER(!BOUND(?__since_dateTime) || ?t >= ?__since_dateTime)\n"
                        "  FILTER(?_code_string != \"?_alsonot\")\n"
                        "}\n";

static void test_load_and_describe(void)
{
    char *dir = rl_test_tmpdir("savedq"), err[512];
    free(write_query(dir, "depts", Q1));
    rl_savedq_set *set = NULL;
    CU_ASSERT_EQUAL_FATAL(rl_savedq_load(dir, &set, err, sizeof err), RL_OK);
    CU_ASSERT_EQUAL(rl_savedq_count(set), 1);
    const rl_savedq *q = rl_savedq_find(set, "depts");
    CU_ASSERT_PTR_NOT_NULL_FATAL(q);
    CU_ASSERT_STRING_EQUAL(q->summary, "departments by code");
    CU_ASSERT_EQUAL(q->ntags, 2);
    CU_ASSERT_EQUAL_FATAL(q->nparams, 3); /* code, limit, since: not the comment's or the string's */
    CU_ASSERT_STRING_EQUAL(q->params[0].name, "code");
    CU_ASSERT_STRING_EQUAL(q->params[0].type, "string");
    CU_ASSERT(q->params[0].required);
    CU_ASSERT_STRING_EQUAL(q->params[0].description, "the department code");
    CU_ASSERT_STRING_EQUAL(q->params[1].name, "limit");
    CU_ASSERT_STRING_EQUAL(q->params[1].type, "integer");
    CU_ASSERT(!q->params[1].required);
    CU_ASSERT_STRING_EQUAL(q->params[1].default_value, "5");
    CU_ASSERT_STRING_EQUAL(q->params[2].type, "dateTime");
    json_t *api = rl_savedq_openapi(set, "");
    CU_ASSERT_PTR_NOT_NULL(json_object_get(json_object_get(api, "paths"), "/queries/depts"));
    json_decref(api);
    CU_ASSERT_PTR_NULL(rl_savedq_find(set, "nope"));
    rl_savedq_free(set);
    rl_savedq_free(NULL); /* a no-op */
    rl_test_rmtree(dir);
    free(dir);
}

static void test_bind_cannot_escape(void)
{
    char *dir = rl_test_tmpdir("savedq"), err[512];
    free(write_query(dir, "depts", Q1));
    rl_savedq_set *set = NULL;
    CU_ASSERT_EQUAL_FATAL(rl_savedq_load(dir, &set, err, sizeof err), RL_OK);
    const rl_savedq *q = rl_savedq_find(set, "depts");
    const char *k[] = {"code"};
    const char *hostile[] = {"x\" } ; DROP ALL ; SELECT * { ?s ?p ?o", "\\u0022 } {", "a'b{}<>\\n"};
    for (size_t i = 0; i < 3; i++) {
        rl_buf out;
        rl_buf_init(&out, 0);
        const char *v[] = {hostile[i]};
        CU_ASSERT_EQUAL_FATAL(rl_savedq_bind(q, k, v, 1, &out, err, sizeof err), RL_OK);
        /* run it over two departments: the value is one literal, equal to what was given */
        rl_store *st = NULL;
        CU_ASSERT_EQUAL_FATAL(rl_store_new("memory:", NULL, &st, err, sizeof err), RL_OK);
        librdf_world *w = rl_store_world(st);
        const char *obj[] = {hostile[i], "other"}, *subj[] = {"urn:a", "urn:b"};
        for (int j = 0; j < 2; j++) {
            librdf_statement *t = librdf_new_statement_from_nodes(
                w, librdf_new_node_from_uri_string(w, (const unsigned char *)subj[j]),
                librdf_new_node_from_uri_string(w, (const unsigned char *)"urn:x:code"),
                librdf_new_node_from_literal(w, (const unsigned char *)obj[j], NULL, 0));
            librdf_model_add_statement(rl_store_model(st), t);
            librdf_free_statement(t);
        }
        char *res = NULL;
        size_t rlen = 0;
        FILE *mf = open_memstream(&res, &rlen);
        rl_query_options qo = {NULL, {0}, 0, NULL, NULL, NULL, NULL, 0, 0, 0, 0};
        CU_ASSERT_EQUAL(rl_query_run(st, (const char *)out.data, RL_FMT_CSV, mf, &qo, NULL, err, sizeof err), RL_OK);
        fclose(mf);
        CU_ASSERT_PTR_NOT_NULL(strstr(res, "urn:a"));
        CU_ASSERT_PTR_NULL(strstr(res, "urn:b"));
        free(res);
        rl_store_free(st);
        CU_ASSERT_PTR_NOT_NULL(strstr((const char *)out.data, "VALUES ( ?_code_string ?__limit_integer )"));
        CU_ASSERT_PTR_NOT_NULL(strstr((const char *)out.data, "\"5\"^^<http://www.w3.org/2001/XMLSchema#integer>"));
        rl_buf_free(&out);
    }
    rl_savedq_free(set);
    rl_test_rmtree(dir);
    free(dir);
}

static void test_bind_errors(void)
{
    char *dir = rl_test_tmpdir("savedq"), err[512];
    free(write_query(dir, "depts", Q1));
    rl_savedq_set *set = NULL;
    CU_ASSERT_EQUAL_FATAL(rl_savedq_load(dir, &set, err, sizeof err), RL_OK);
    const rl_savedq *q = rl_savedq_find(set, "depts");
    rl_buf out;
    rl_buf_init(&out, 0);
    CU_ASSERT_EQUAL(rl_savedq_bind(q, NULL, NULL, 0, &out, err, sizeof err), RL_ERR_INPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "'code' (string) is required"));
    const char *k1[] = {"code", "limit"}, *v1[] = {"0300", "five"};
    CU_ASSERT_EQUAL(rl_savedq_bind(q, k1, v1, 2, &out, err, sizeof err), RL_ERR_INPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "expected an integer"));
    const char *k2[] = {"code", "since"}, *v2[] = {"0300", "2024-11-08 18:00"};
    CU_ASSERT_EQUAL(rl_savedq_bind(q, k2, v2, 2, &out, err, sizeof err), RL_ERR_INPUT);
    const char *k3[] = {"colour"}, *v3[] = {"red"};
    CU_ASSERT_EQUAL(rl_savedq_bind(q, k3, v3, 1, &out, err, sizeof err), RL_ERR_INPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "has no parameter 'colour'"));
    rl_buf_free(&out);
    /* a header naming no parameter is refused with file and line */
    free(write_query(dir, "bad", "#+ param nosuch: x\nSELECT * WHERE { ?s ?p ?o }\n"));
    rl_savedq_free(set);
    CU_ASSERT_EQUAL(rl_savedq_load(dir, &set, err, sizeof err), RL_ERR_INPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "bad.rq:1"));
    rl_test_rmtree(dir);
    free(dir);
}

static void test_memgraph(void)
{
    rl_mg_free(NULL); /* a no-op */
    rl_memgraph *g = rl_mg_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_EQUAL(rl_mg_add(g, "urn:s1", "urn:p", "urn:o1", RL_MG_IRI, "urn:g1"), RL_OK);
    CU_ASSERT_EQUAL(rl_mg_add(g, "urn:s1", "urn:p", "urn:o1", RL_MG_IRI, "urn:g2"), RL_OK);
    CU_ASSERT_EQUAL(rl_mg_add(g, "urn:s1", "urn:p", "urn:o1", RL_MG_IRI, "urn:g2"), RL_OK); /* the same quad */
    CU_ASSERT_EQUAL(rl_mg_add(g, "urn:s2", "urn:p", "urn:o1", RL_MG_IRI, NULL), RL_OK);
    CU_ASSERT_EQUAL(rl_mg_add(g, "urn:s1", "urn:v", "12.5", RL_MG_LITERAL, "urn:g1"), RL_OK);
    CU_ASSERT_EQUAL(rl_mg_add(g, "urn:s1", "urn:v", "urn:o1", RL_MG_LITERAL, "urn:g1"), RL_OK); /* a literal, not the IRI */
    CU_ASSERT_EQUAL(rl_mg_seal(g), RL_OK);
    CU_ASSERT_EQUAL(rl_mg_size(g), 5);
    rl_mg_id s1 = rl_mg_iri(g, "urn:s1"), p = rl_mg_iri(g, "urn:p"), o1 = rl_mg_iri(g, "urn:o1"), v = rl_mg_iri(g, "urn:v");
    CU_ASSERT(s1 && p && o1 && v);
    CU_ASSERT_NOT_EQUAL(rl_mg_lit(g, "urn:o1"), o1);
    CU_ASSERT_EQUAL(rl_mg_iri(g, "urn:nothing"), 0);
    rl_mg_iter it = rl_mg_subjects(g, p, o1);
    rl_mg_id x;
    int n = 0;
    while (rl_mg_next(&it, &x)) n++;
    CU_ASSERT_EQUAL(n, 2); /* s1 once, although in two graphs */
    double d = 0;
    CU_ASSERT(rl_mg_num(g, s1, v, &d) && d == 12.5);
    rl_mg_free(g);
}

static int count_graph(void *ctx, rl_mg_id gr)
{
    (void)gr;
    (*(int *)ctx)++;
    return 0;
}

static void test_memgraph_graphs_and_store(void)
{
    rl_memgraph *g = rl_mg_new();
    rl_mg_add(g, "urn:s", "urn:p", "urn:o", RL_MG_IRI, "urn:g1");
    rl_mg_add(g, "urn:s", "urn:p", "urn:o", RL_MG_IRI, "urn:g2");
    rl_mg_seal(g);
    int n = 0;
    rl_mg_graphs(g, rl_mg_iri(g, "urn:s"), rl_mg_iri(g, "urn:p"), 0, count_graph, &n);
    CU_ASSERT_EQUAL(n, 2);
    rl_mg_free(g);
    /* loading from an lmdb store keeps each quad's graph */
    char *dir = rl_test_tmpdir("mg"), uri[600], err[512];
    snprintf(uri, sizeof uri, "lmdb:%s", dir);
    rl_store *st = NULL;
    CU_ASSERT_EQUAL_FATAL(rl_store_new(uri, NULL, &st, err, sizeof err), RL_OK);
    librdf_world *w = rl_store_world(st);
    librdf_node *ctx[2] = {librdf_new_node_from_uri_string(w, (const unsigned char *)"urn:g1"),
                           librdf_new_node_from_uri_string(w, (const unsigned char *)"urn:g2")};
    for (int i = 0; i < 2; i++) {
        librdf_statement *t = librdf_new_statement_from_nodes(
            w, librdf_new_node_from_uri_string(w, (const unsigned char *)"urn:s"),
            librdf_new_node_from_uri_string(w, (const unsigned char *)"urn:p"),
            librdf_new_node_from_literal(w, (const unsigned char *)"数值 1", NULL, 0));
        CU_ASSERT_EQUAL(librdf_model_context_add_statement(rl_store_model(st), ctx[i], t), 0);
        librdf_free_statement(t);
        librdf_free_node(ctx[i]);
    }
    g = rl_mg_new();
    const char *preds[] = {"urn:p", "urn:absent", NULL};
    CU_ASSERT_EQUAL(rl_mg_load(g, st, preds, err, sizeof err), RL_OK);
    CU_ASSERT_EQUAL(rl_mg_size(g), 2);
    CU_ASSERT_STRING_EQUAL(rl_mg_text(g, rl_mg_iri(g, "urn:s"), rl_mg_iri(g, "urn:p")), "数值 1");
    n = 0;
    rl_mg_graphs(g, rl_mg_iri(g, "urn:s"), rl_mg_iri(g, "urn:p"), 0, count_graph, &n);
    CU_ASSERT_EQUAL(n, 2);
    rl_mg_free(g);
    rl_store_free(st);
    rl_test_rmtree(dir);
    free(dir);
}

int main(void)
{
    static const rl_test_case cases[] = {{"load and describe", test_load_and_describe},
                                         {"binding cannot escape its term", test_bind_cannot_escape},
                                         {"binding errors name the parameter", test_bind_errors},
                                         {"memgraph lookups", test_memgraph},
                                         {"memgraph graphs, loading from lmdb", test_memgraph_graphs_and_store},
                                         {NULL, NULL}};
    return rl_test_main("savedq", cases);
}
