/* test_ontology.c: every file in ontology/ parses with Raptor; every class
 * and property has a label and a comment; the core module declares the
 * paradigm and aligns it with SOSA and PROV-O; every rootline term used by
 * the demo data is declared. */
#include "testutil.h"

#include <dirent.h>
#include <raptor2.h>
#include <sys/stat.h>

#define MAXT 20000
typedef struct triple {
    char *s, *p, *o;
} triple;
static triple ts[MAXT];
static size_t nts;
static int nfiles;

#define RDF "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#define RDFS "http://www.w3.org/2000/01/rdf-schema#"
#define OWL "http://www.w3.org/2002/07/owl#"
#define RL "https://w3id.org/rootline/core#"

static void on_stmt(void *ud, raptor_statement *st)
{
    (void)ud;
    if (nts >= MAXT) return;
    ts[nts].s = (char *)raptor_term_to_string(st->subject);
    ts[nts].p = (char *)raptor_term_to_string(st->predicate);
    ts[nts].o = (char *)raptor_term_to_string(st->object);
    nts++;
}

static int parse_file(raptor_world *w, const char *path)
{
    raptor_parser *p = raptor_new_parser(w, "turtle");
    unsigned char *u = raptor_uri_filename_to_uri_string(path);
    raptor_uri *base = raptor_new_uri(w, u);
    raptor_parser_set_statement_handler(p, NULL, on_stmt);
    int rc = raptor_parser_parse_file(p, base, base);
    raptor_free_uri(base);
    raptor_free_memory(u);
    raptor_free_parser(p);
    return rc;
}

static void parse_dir(raptor_world *w, const char *dir)
{
    DIR *d = opendir(dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *p = NULL;
        CU_ASSERT_FATAL(asprintf(&p, "%s/%s", dir, e->d_name) > 0);
        struct stat sb;
        if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) parse_dir(w, p);
        else if (strstr(e->d_name, ".ttl")) {
            int rc = parse_file(w, p);
            if (rc) fprintf(stderr, "Raptor failed on %s\n", p);
            CU_ASSERT_EQUAL(rc, 0);
            nfiles++;
        }
        free(p);
    }
    closedir(d);
}

static int has(const char *s, const char *p, const char *o)
{
    for (size_t i = 0; i < nts; i++)
        if ((!s || !strcmp(ts[i].s, s)) && (!p || !strcmp(ts[i].p, p)) &&
            (!o || !strcmp(ts[i].o, o)))
            return 1;
    return 0;
}

static const char *decl_types[] = {"<" OWL "Class>", "<" OWL "ObjectProperty>",
                                   "<" OWL "DatatypeProperty>", "<" OWL "AnnotationProperty>",
                                   "<" RDF "Property>", NULL};

static void test_parse_and_document(void)
{
    raptor_world *w = raptor_new_world();
    parse_dir(w, RL_SOURCE_DIR "/ontology");
    CU_ASSERT(nfiles >= 1);
    CU_ASSERT(nts > 100);
    int checked = 0;
    for (size_t i = 0; i < nts; i++) {
        if (strcmp(ts[i].p, "<" RDF "type>")) continue;
        for (int k = 0; decl_types[k]; k++) {
            if (strcmp(ts[i].o, decl_types[k])) continue;
            int l = has(ts[i].s, "<" RDFS "label>", NULL), c = has(ts[i].s, "<" RDFS "comment>", NULL);
            if (!l || !c) fprintf(stderr, "%s lacks %s\n", ts[i].s, !l ? "rdfs:label" : "rdfs:comment");
            CU_ASSERT(l && c);
            checked++;
        }
    }
    CU_ASSERT(checked >= 30);
    raptor_free_world(w);
}

static void test_core_paradigm(void)
{
    const char *classes[] = {"Level", "Entity", "Observation", "Finding", "CausalLink",
                             "LevelWeight", "ImportBatch", NULL};
    for (int i = 0; classes[i]; i++) {
        char s[256];
        snprintf(s, sizeof s, "<" RL "%s>", classes[i]);
        CU_ASSERT(has(s, "<" RDF "type>", "<" OWL "Class>"));
    }
    CU_ASSERT(has("<" RL "Observation>", "<" RDFS "subClassOf>", "<http://www.w3.org/ns/sosa/Observation>"));
    CU_ASSERT(has("<" RL "Entity>", "<" RDFS "subClassOf>", "<http://www.w3.org/ns/prov#Entity>"));
    CU_ASSERT(has("<" RL "Finding>", "<" RDFS "subClassOf>", "<http://www.w3.org/ns/prov#Entity>"));
    CU_ASSERT(has("<" RL "alignmentKey>", "<" RDF "type>", "<" OWL "DatatypeProperty>"));
    CU_ASSERT(has("<" RL "Level1>", "<" RL "levelIndex>", NULL));
    CU_ASSERT(has(NULL, "<" OWL "imports>", "<http://www.w3.org/ns/prov-o>"));
}

/* Every rl: term the demo data uses (as predicate or class) is declared. */
static void test_demo_terms_declared(void)
{
    size_t onto = nts;
    raptor_world *w = raptor_new_world();
    CU_ASSERT_EQUAL(parse_file(w, RL_SOURCE_DIR "/data/demo/hospital.ttl"), 0);
    int used = 0;
    for (size_t i = onto; i < nts; i++) {
        const char *terms[2] = {ts[i].p, !strcmp(ts[i].p, "<" RDF "type>") ? ts[i].o : NULL};
        for (int k = 0; k < 2; k++) {
            if (!terms[k] || strncmp(terms[k], "<" RL, strlen("<" RL))) continue;
            used++;
            int declared = 0;
            for (size_t j = 0; j < onto && !declared; j++)
                declared = !strcmp(ts[j].s, terms[k]) && !strcmp(ts[j].p, "<" RDF "type>");
            if (!declared) fprintf(stderr, "undeclared: %s\n", terms[k]);
            CU_ASSERT(declared);
        }
    }
    CU_ASSERT(used > 10);
    raptor_free_world(w);
}

int main(void)
{
    static const rl_test_case cases[] = {{"ontology parses; every term documented", test_parse_and_document},
                                         {"core declares the paradigm", test_core_paradigm},
                                         {"demo uses declared terms", test_demo_terms_declared},
                                         {NULL, NULL}};
    int rc = rl_test_main("ontology", cases);
    for (size_t i = 0; i < nts; i++) {
        raptor_free_memory(ts[i].s);
        raptor_free_memory(ts[i].p);
        raptor_free_memory(ts[i].o);
    }
    return rc;
}
