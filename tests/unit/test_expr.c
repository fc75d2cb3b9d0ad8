/* test_expr.c: SPARQL expressions evaluated by rootline (sparql_expr.h),
 * checked against answers worked out by hand from SPARQL 1.1 §17 and
 * XPath F&O. */
#include "sparql_expr.h"
#include "sparql_value.h"
#include "testutil.h"

#define XSD "http://www.w3.org/2001/XMLSchema#"

/* Variables of the test solution: ?x = "检验科"@zh, ?n = 7, ?i = <urn:a>; the
 * rest unbound. */
static const char *lookup(void *ctx, const char *name)
{
    (void)ctx;
    if (!strcmp(name, "x")) return "Gzh\x1e检验科";
    if (!strcmp(name, "n"))
        return "T" XSD "integer\x1e"
               "7";
    if (!strcmp(name, "i")) return "Uurn:a";
    return NULL;
}

/* The value of `text` (a prologue, then one expression) written readably:
 * "lex" for a simple literal, "lex@lang", "lex^^local" for XSD types,
 * "<iri>", "(unbound)", or "!N" for a parse status N. */
static char result[4096];

static const char *eval(const char *text)
{
    rl_toks t = {0};
    char err[256] = "";
    if (rl_lex(text, &t, 0, err, sizeof err) != RL_OK) return "!lex";
    rl_prologue pro;
    size_t i = rl_prologue_read(t.v, t.n, &pro, NULL);
    rl_expr *e = NULL;
    rl_status s = rl_expr_parse(t.v, i, t.n, &pro, &e, err, sizeof err);
    if (s != RL_OK) {
        snprintf(result, sizeof result, "!%d", (int)s);
        rl_toks_free(&t);
        return result;
    }
    const char *v = NULL;
    s = rl_expr_eval(e, lookup, NULL, &v);
    if (s != RL_OK)
        snprintf(result, sizeof result, "!eval%d", (int)s);
    else if (!v)
        snprintf(result, sizeof result, "(unbound)");
    else if (v[0] == 'L')
        snprintf(result, sizeof result, "%s", v + 1);
    else if (v[0] == 'U')
        snprintf(result, sizeof result, "<%s>", v + 1);
    else if (v[0] == 'G') {
        const char *sep = strchr(v, 0x1e);
        snprintf(result, sizeof result, "%s@%.*s", sep + 1, (int)(sep - v - 1), v + 1);
    } else {
        const char *sep = strchr(v, 0x1e), *dt = v + 1;
        if (!strncmp(dt, XSD, strlen(XSD))) dt += strlen(XSD);
        snprintf(result, sizeof result, "%s^^%.*s", sep + 1, (int)(sep - dt), dt);
    }
    rl_expr_free(e);
    rl_toks_free(&t);
    return result;
}

#define EXPECT(text, want) CU_ASSERT_STRING_EQUAL(eval(text), want)

static void test_free_null(void)
{
    rl_expr_free(NULL);
    CU_ASSERT_EQUAL(rl_expr_var_count(NULL), 0);
}

static void test_strings_are_characters(void)
{
    EXPECT("STRLEN(?x)", "3^^integer");
    EXPECT("SUBSTR(?x, 2)", "验科@zh");
    EXPECT("SUBSTR(\"临床检验中心\", 2, 3)", "床检验");
    EXPECT("SUBSTR(\"12345\", 1.5, 2.6)", "234"); /* XPath's rounding */
    EXPECT("SUBSTR(\"12345\", 0, 3)", "12");
    EXPECT("SUBSTR(\"12345\", -3, 5)", "1");
    EXPECT("REGEX(?x, \"^.验\")", "true^^boolean");
    EXPECT("REGEX(\"ABC\", \"b\", \"i\")", "true^^boolean");
    EXPECT("REGEX(\"a.c\", \".\", \"q\")", "true^^boolean");
    EXPECT("REGEX(\"abc\", \"b\", \"z\")", "(unbound)"); /* no such flag */
    EXPECT("REGEX(\"abc\", \"(\")", "(unbound)");        /* not a pattern */
    EXPECT("UCASE(\"abc\"@en)", "ABC@en");
    EXPECT("LCASE(\"ÀB\")", "àb");
    EXPECT("ENCODE_FOR_URI(\"检 a~\")", "%E6%A3%80%20a~");
    EXPECT("CONTAINS(?x, \"验\")", "true^^boolean");
    EXPECT("STRSTARTS(?x, \"检验\")", "true^^boolean");
    EXPECT("STRENDS(\"abc\", \"b\")", "false^^boolean");
    EXPECT("STRSTARTS(\"abc\", \"a\"@en)", "(unbound)"); /* incompatible arguments */
    EXPECT("STRBEFORE(\"abc\"@en, \"b\")", "a@en");
    EXPECT("STRBEFORE(\"abc\"@en, \"z\")", "");
    EXPECT("STRAFTER(\"abc\", \"\")", "abc");
    EXPECT("STRAFTER(?x, \"检\")", "验科@zh");
    EXPECT("CONCAT(\"a\"@zh, \"b\"@zh)", "ab@zh");
    EXPECT("CONCAT(\"a\"@zh, \"b\")", "ab");
    EXPECT("CONCAT()", "");
    EXPECT("CONCAT(\"a\", ?i)", "(unbound)");
}

static void test_replace(void)
{
    EXPECT("REPLACE(\"français\"@fr, \"[^a-z0-9]\", \"-\")", "fran-ais@fr");
    EXPECT("REPLACE(\"abcd\", \"(ab)|(a)\", \"[1=$1][2=$2]\")", "[1=ab][2=]cd");
    EXPECT("REPLACE(\"a$b\", \"\\\\$\", \"\\\\$\\\\$\")", "a$$b");
    EXPECT("REPLACE(?x, \"验\", \"X\")", "检X科@zh");
    EXPECT("REPLACE(\"abc\", \"x*\", \"-\")", "(unbound)"); /* matches the empty string */
    EXPECT("REPLACE(\"abc\", \"b\", \"$\")", "(unbound)");  /* $ without a group number */
    EXPECT("REPLACE(\"AbA\", \"a\", \"z\", \"i\")", "zbz");
}

static void test_numbers(void)
{
    EXPECT("1 + 2 * 3 - 4 / 8", "6.5^^decimal");
    EXPECT("1 / 3", "0.33333333333333333333^^decimal");
    EXPECT("2 / 3", "0.66666666666666666667^^decimal");
    EXPECT("1 / 0", "(unbound)");
    EXPECT("1.0E0 / 0", "INF^^double");
    EXPECT("?n * 1.5", "10.5^^decimal");
    EXPECT("?n - 10", "-3^^integer");
    EXPECT("-?n", "-7^^integer");
    EXPECT("+\"3\"^^xsd:decimal", "!9");                                 /* xsd: undeclared here */
    EXPECT("PREFIX xsd: <" XSD "> +\"03\"^^xsd:decimal", "03^^decimal"); /* the number as written */
    EXPECT("ROUND(2.5)", "3.0^^decimal");
    EXPECT("ROUND(-2.5)", "-2.0^^decimal");
    EXPECT("ROUND(-2.6)", "-3.0^^decimal");
    EXPECT("ROUND(-2.5E0)", "-2.0E0^^double");
    EXPECT("CEIL(-1.6)", "-1.0^^decimal");
    EXPECT("FLOOR(-1.6)", "-2.0^^decimal");
    EXPECT("ABS(-7)", "7^^integer");
    EXPECT("?n + \"a\"", "(unbound)");
    EXPECT("?missing + 1", "(unbound)");
}

static void test_casts(void)
{
    const char *p = "PREFIX xsd: <" XSD "> ";
    char q[256];
#define CAST(e, want)                                                                              \
    do {                                                                                           \
        snprintf(q, sizeof q, "%s%s", p, e);                                                       \
        EXPECT(q, want);                                                                           \
    } while (0)
    CAST("xsd:integer(\"2.2\"^^xsd:decimal)", "2^^integer");
    CAST("xsd:integer(-2.7)", "-2^^integer");
    CAST("xsd:integer(1.0E2)", "100^^integer");
    CAST("xsd:integer(\" 12 \")", "12^^integer");
    CAST("xsd:integer(\"1.5\")", "(unbound)");
    CAST("xsd:integer(\"abc\")", "(unbound)");
    CAST("xsd:integer(true)", "1^^integer");
    CAST("xsd:decimal(\"1.50\")", "1.5^^decimal");
    CAST("xsd:decimal(\"1E3\")", "(unbound)");
    CAST("xsd:double(\"1\")", "1.0E0^^double");
    CAST("xsd:double(\"0x10\")", "(unbound)");
    CAST("xsd:float(\"-INF\")", "-INF^^float");
    CAST("xsd:boolean(\"1\")", "true^^boolean");
    CAST("xsd:boolean(0.0)", "false^^boolean");
    CAST("xsd:boolean(\"yes\")", "(unbound)");
    CAST("xsd:string(?i)", "urn:a");
    CAST("xsd:string(?n)", "7");
    CAST("xsd:string(?x)", "(unbound)");
    CAST("xsd:dateTime(\"2026-12-03T08:00:00+08:00\")", "2026-12-03T08:00:00+08:00^^dateTime");
    CAST("xsd:dateTime(\"2026-13-03T08:00:00\")", "(unbound)");
    CAST("<" XSD "integer>(\"5\")", "5^^integer");
#undef CAST
}

static void test_logic_and_comparison(void)
{
    EXPECT("\"a\" < \"b\"", "true^^boolean");
    EXPECT("2.0E0 = 2", "true^^boolean");
    EXPECT("\"a\" = 1", "false^^boolean");
    EXPECT("?i = \"urn:a\"", "false^^boolean");
    EXPECT("?i = <urn:a>", "true^^boolean");
    EXPECT("\"x\"^^<urn:t> = \"y\"^^<urn:t>", "(unbound)"); /* unknown type: cannot tell */
    EXPECT("\"a\"@EN = \"a\"@en", "true^^boolean");
    EXPECT("\"a\" < 1", "(unbound)");
    EXPECT("1 IN (?missing, 1)", "true^^boolean");
    EXPECT("2 IN (?missing, 1)", "(unbound)");
    EXPECT("2 NOT IN (3, 1)", "true^^boolean");
    EXPECT("2 IN ()", "false^^boolean");
    EXPECT("?missing || true", "true^^boolean");
    EXPECT("?missing && false", "false^^boolean");
    EXPECT("?missing && true", "(unbound)");
    EXPECT("!\"\"", "true^^boolean");
    EXPECT("!?x", "(unbound)"); /* a language-tagged string has no EBV */
    EXPECT("BOUND(?x) && !BOUND(?missing)", "true^^boolean");
    EXPECT("IF(?n > 5, \"big\", 1/0)", "big");
    EXPECT("IF(?missing, 1, 2)", "(unbound)");
    EXPECT("COALESCE(?missing, 1/0, \"d\")", "d");
    EXPECT("COALESCE()", "(unbound)");
    EXPECT("\"2026-12-03T08:00:00+08:00\"^^<" XSD "dateTime> = \"2026-12-03T00:00:00Z\"^^<" XSD
           "dateTime>",
           "true^^boolean");
    EXPECT("sameTerm(2, 2.0)", "false^^boolean");
}

static void test_terms(void)
{
    EXPECT("STR(?i)", "urn:a");
    EXPECT("LANG(?x)", "zh");
    EXPECT("LANG(?i)", "(unbound)");
    EXPECT("DATATYPE(?n)", "<" XSD "integer>");
    EXPECT("DATATYPE(?x)", "<http://www.w3.org/1999/02/22-rdf-syntax-ns#langString>");
    EXPECT("DATATYPE(\"s\")", "<" XSD "string>");
    EXPECT("BASE <http://example.org/a/b> IRI(\"../c\")", "<http://example.org/c>");
    EXPECT("BASE <http://example.org/> IRI(<d>)", "<http://example.org/d>");
    EXPECT("IRI(<d>)", "!9"); /* relative, and no base: left to rasqal */
    EXPECT("STRDT(\"5\", <" XSD "integer>)", "5^^integer");
    EXPECT("STRLANG(\"chat\", \"FR\")", "chat@fr");
    EXPECT("STRLANG(?x, \"fr\")", "(unbound)");
    EXPECT("LANGMATCHES(\"en-US\", \"en\")", "true^^boolean");
    EXPECT("LANGMATCHES(\"en\", \"en-US\")", "false^^boolean");
    EXPECT("LANGMATCHES(\"fr\", \"*\")", "true^^boolean");
    EXPECT("isIRI(?i) && isLITERAL(?x) && isNUMERIC(?n) && !isNUMERIC(\"1\") && !isBLANK(?i)",
           "true^^boolean");
    EXPECT("MD5(\"abc\")", "900150983cd24fb0d6963f7d28e17f72");
    EXPECT("SHA1(\"abc\")", "a9993e364706816aba3e25717850c26c9cd0d89d");
    EXPECT("MD5(?x)", "(unbound)"); /* only simple literals and xsd:string */
}

static void test_dates(void)
{
    const char *d = "\"2010-12-21T15:38:02.5-08:00\"^^<" XSD "dateTime>";
    char q[256];
#define DATE(fn, want)                                                                             \
    do {                                                                                           \
        snprintf(q, sizeof q, "%s(%s)", fn, d);                                                    \
        EXPECT(q, want);                                                                           \
    } while (0)
    DATE("YEAR", "2010^^integer");
    DATE("MONTH", "12^^integer");
    DATE("DAY", "21^^integer");
    DATE("HOURS", "15^^integer");
    DATE("MINUTES", "38^^integer");
    DATE("SECONDS", "2.5^^decimal");
    DATE("TIMEZONE", "-PT8H^^dayTimeDuration");
    DATE("TZ", "-08:00");
#undef DATE
    EXPECT("TIMEZONE(\"2010-06-21T11:28:01Z\"^^<" XSD "dateTime>)", "PT0S^^dayTimeDuration");
    EXPECT("TIMEZONE(\"2010-06-21T11:28:01+05:30\"^^<" XSD "dateTime>)",
           "PT5H30M^^dayTimeDuration");
    EXPECT("TIMEZONE(\"2010-06-21T11:28:01\"^^<" XSD "dateTime>)", "(unbound)");
    EXPECT("TZ(\"2010-06-21T11:28:01\"^^<" XSD "dateTime>)", "");
    EXPECT("YEAR(\"2010\")", "(unbound)");
}

static void test_left_to_rasqal(void)
{
    EXPECT("COUNT(?x)", "!9");
    EXPECT("EXISTS { ?s ?p ?o }", "!9");
    EXPECT("NOT EXISTS { ?s ?p ?o }", "!9");
    EXPECT("?n > 1 && EXISTS { ?s ?p ?o }", "!9");
    EXPECT("NOW()", "!9");
    EXPECT("BNODE()", "!9");
    EXPECT("<urn:f>(1)", "!9");
    EXPECT("1 +", "!2");
    EXPECT("STRLEN(1, 2)", "!2");
    EXPECT("BOUND(1)", "!2");
}

static void test_vars(void)
{
    rl_toks t = {0};
    char err[128];
    CU_ASSERT_EQUAL_FATAL(rl_lex("CONCAT(?a, STR(?b), ?a)", &t, 0, err, sizeof err), RL_OK);
    rl_prologue pro;
    rl_prologue_read(t.v, t.n, &pro, NULL);
    rl_expr *e = NULL;
    CU_ASSERT_EQUAL_FATAL(rl_expr_parse(t.v, 0, t.n, &pro, &e, err, sizeof err), RL_OK);
    CU_ASSERT_EQUAL(rl_expr_var_count(e), 2);
    CU_ASSERT_STRING_EQUAL(rl_expr_var(e, 0), "a");
    CU_ASSERT_STRING_EQUAL(rl_expr_var(e, 1), "b");
    CU_ASSERT_PTR_NULL(rl_expr_var(e, 2));
    rl_expr_free(e);
    rl_toks_free(&t);
}

int main(void)
{
    const rl_test_case cases[] = {
        {"rl_expr_free(NULL) is a no-op", test_free_null},
        {"string functions count characters", test_strings_are_characters},
        {"REPLACE", test_replace},
        {"arithmetic and rounding", test_numbers},
        {"XSD casts", test_casts},
        {"logic, comparison and errors", test_logic_and_comparison},
        {"term functions", test_terms},
        {"dateTime accessors", test_dates},
        {"forms left to rasqal", test_left_to_rasqal},
        {"variables read", test_vars},
        {NULL, NULL},
    };
    return rl_test_main("expr", cases);
}
