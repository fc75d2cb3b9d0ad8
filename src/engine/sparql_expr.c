/* sparql_expr.c: SPARQL expressions parsed from tokens and evaluated over
 * encoded terms (sparql_expr.h; semantics of SPARQL 1.1 §17). */
#include "sparql_expr.h"

#include "sparql_value.h"
#include "vocab.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <math.h>
#include <openssl/evp.h>
#include <pcre2.h>
#include <raptor2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

#define MAX_NODES 4096
#define MAX_ARGS 64
#define MAX_VALUE ((size_t)64 << 20)
#define SEP RL_VAL_SEP

typedef enum {
    OP_CONST,
    OP_VAR,
    OP_OR,
    OP_AND,
    OP_NOT,
    OP_EQ,
    OP_NE,
    OP_LT,
    OP_GT,
    OP_LE,
    OP_GE,
    OP_IN,
    OP_NOTIN,
    OP_ADD,
    OP_SUB,
    OP_MUL,
    OP_DIV,
    OP_NEG,
    OP_POS,
    OP_CALL
} op_kind;

typedef enum {
    F_STR,
    F_LANG,
    F_LANGMATCHES,
    F_DATATYPE,
    F_BOUND,
    F_IRI,
    F_STRDT,
    F_STRLANG,
    F_SAMETERM,
    F_ISIRI,
    F_ISBLANK,
    F_ISLITERAL,
    F_ISNUMERIC,
    F_IF,
    F_COALESCE,
    F_STRLEN,
    F_SUBSTR,
    F_UCASE,
    F_LCASE,
    F_STRSTARTS,
    F_STRENDS,
    F_CONTAINS,
    F_STRBEFORE,
    F_STRAFTER,
    F_ENCODE,
    F_CONCAT,
    F_REGEX,
    F_REPLACE,
    F_ABS,
    F_ROUND,
    F_CEIL,
    F_FLOOR,
    F_MD5,
    F_SHA1,
    F_SHA256,
    F_SHA384,
    F_SHA512,
    F_YEAR,
    F_MONTH,
    F_DAY,
    F_HOURS,
    F_MINUTES,
    F_SECONDS,
    F_TIMEZONE,
    F_TZ,
    F_CAST_STRING,
    F_CAST_INTEGER,
    F_CAST_DECIMAL,
    F_CAST_DOUBLE,
    F_CAST_FLOAT,
    F_CAST_BOOLEAN,
    F_CAST_DATETIME
} fn_id;

static const struct builtin {
    const char *name;
    fn_id id;
    int min, max; /* arguments; max -1: any number */
} builtins[] = {
    {"STR", F_STR, 1, 1},
    {"LANG", F_LANG, 1, 1},
    {"LANGMATCHES", F_LANGMATCHES, 2, 2},
    {"DATATYPE", F_DATATYPE, 1, 1},
    {"BOUND", F_BOUND, 1, 1},
    {"IRI", F_IRI, 1, 1},
    {"URI", F_IRI, 1, 1},
    {"STRDT", F_STRDT, 2, 2},
    {"STRLANG", F_STRLANG, 2, 2},
    {"sameTerm", F_SAMETERM, 2, 2},
    {"isIRI", F_ISIRI, 1, 1},
    {"isURI", F_ISIRI, 1, 1},
    {"isBLANK", F_ISBLANK, 1, 1},
    {"isLITERAL", F_ISLITERAL, 1, 1},
    {"isNUMERIC", F_ISNUMERIC, 1, 1},
    {"IF", F_IF, 3, 3},
    {"COALESCE", F_COALESCE, 0, -1},
    {"STRLEN", F_STRLEN, 1, 1},
    {"SUBSTR", F_SUBSTR, 2, 3},
    {"UCASE", F_UCASE, 1, 1},
    {"LCASE", F_LCASE, 1, 1},
    {"STRSTARTS", F_STRSTARTS, 2, 2},
    {"STRENDS", F_STRENDS, 2, 2},
    {"CONTAINS", F_CONTAINS, 2, 2},
    {"STRBEFORE", F_STRBEFORE, 2, 2},
    {"STRAFTER", F_STRAFTER, 2, 2},
    {"ENCODE_FOR_URI", F_ENCODE, 1, 1},
    {"CONCAT", F_CONCAT, 0, -1},
    {"REGEX", F_REGEX, 2, 3},
    {"REPLACE", F_REPLACE, 3, 4},
    {"ABS", F_ABS, 1, 1},
    {"ROUND", F_ROUND, 1, 1},
    {"CEIL", F_CEIL, 1, 1},
    {"FLOOR", F_FLOOR, 1, 1},
    {"MD5", F_MD5, 1, 1},
    {"SHA1", F_SHA1, 1, 1},
    {"SHA256", F_SHA256, 1, 1},
    {"SHA384", F_SHA384, 1, 1},
    {"SHA512", F_SHA512, 1, 1},
    {"YEAR", F_YEAR, 1, 1},
    {"MONTH", F_MONTH, 1, 1},
    {"DAY", F_DAY, 1, 1},
    {"HOURS", F_HOURS, 1, 1},
    {"MINUTES", F_MINUTES, 1, 1},
    {"SECONDS", F_SECONDS, 1, 1},
    {"TIMEZONE", F_TIMEZONE, 1, 1},
    {"TZ", F_TZ, 1, 1},
};

static const struct cast {
    const char *local;
    fn_id id;
} casts[] = {
    {"string", F_CAST_STRING},     {"integer", F_CAST_INTEGER}, {"decimal", F_CAST_DECIMAL},
    {"double", F_CAST_DOUBLE},     {"float", F_CAST_FLOAT},     {"boolean", F_CAST_BOOLEAN},
    {"dateTime", F_CAST_DATETIME},
};

typedef struct node {
    op_kind op;
    fn_id fn;
    int nargs;
    int *args;      /* child node indices */
    char *text;     /* OP_CONST: encoded term; OP_VAR: name */
    rl_buf val;     /* this node's last result */
    pcre2_code *re; /* REGEX / REPLACE: compiled pattern, for re_key */
    char *re_key;   /* pattern SEP flags it was compiled from */
} node;

struct rl_expr {
    node *v;
    size_t n, cap;
    int root;
    char **vars;
    size_t nvars;
    pcre2_match_data *md;
    char *base; /* IRI() resolves against it; NULL: none */
};

/* ---- parsing ------------------------------------------------------------- */

typedef struct parser {
    const rl_tok *t;
    size_t i, end;
    const rl_prologue *pro;
    rl_expr *e;
    rl_status st;
    char *err;
    size_t cap;
} parser;

static int fail(parser *p, rl_status st, const char *why)
{
    if (p->st == RL_OK) {
        p->st = st;
        if (why && p->err && p->cap) snprintf(p->err, p->cap, "%s", why);
    }
    return -1;
}

static int at(parser *p, const char *w)
{
    return p->i < p->end && rl_tok_is(&p->t[p->i], w);
}

static int new_node(parser *p, op_kind op)
{
    rl_expr *e = p->e;
    if (e->n >= MAX_NODES) return fail(p, RL_ERR_LIMIT, "expression has more than 4096 operations");
    if (e->n == e->cap) {
        size_t c = e->cap ? e->cap * 2 : 16;
        node *v = realloc(e->v, c * sizeof *v);
        if (!v) return fail(p, RL_ERR_NOMEM, "out of memory");
        e->v = v, e->cap = c;
    }
    node *x = &e->v[e->n];
    memset(x, 0, sizeof *x);
    x->op = op;
    rl_buf_init(&x->val, MAX_VALUE);
    return (int)e->n++;
}

static int node_args(parser *p, int k, const int *args, int n)
{
    if (n && !(p->e->v[k].args = malloc((size_t)n * sizeof(int))))
        return fail(p, RL_ERR_NOMEM, "out of memory");
    if (n) memcpy(p->e->v[k].args, args, (size_t)n * sizeof(int));
    p->e->v[k].nargs = n;
    return k;
}

static int binary(parser *p, op_kind op, int a, int b)
{
    int k = new_node(p, op);
    int args[2] = {a, b};
    return k < 0 ? -1 : node_args(p, k, args, 2);
}

/* Sets node k's constant text (an encoding, NUL-terminated; SEP for NUL). */
static int node_text(parser *p, int k, const char *s, size_t n)
{
    char *c = malloc(n + 1);
    if (!c) return fail(p, RL_ERR_NOMEM, "out of memory");
    memcpy(c, s, n);
    c[n] = 0;
    p->e->v[k].text = c;
    return k;
}

static void put_cp(rl_buf *b, int32_t cp)
{
    uint8_t u[4];
    ssize_t n = utf8proc_encode_char(cp, u);
    rl_buf_append(b, u, (size_t)n);
}

/* The characters of a string token, escapes decoded. */
static int string_value(parser *p, const rl_tok *t, rl_buf *out)
{
    size_t q = t->n >= 6 && (t->p[1] == t->p[0] && t->p[2] == t->p[0]) ? 3 : 1;
    const char *s = t->p + q, *end = t->p + t->n - q;
    for (; s < end; s++) {
        if (*s != '\\') {
            rl_buf_append(out, s, 1);
            continue;
        }
        if (++s >= end) return fail(p, RL_ERR_INPUT, "string ends with a backslash");
        const char *m = strchr("tnrbf\"'\\", *s);
        if (m && *s) {
            static const char rep[] = "\t\n\r\b\f\"'\\";
            rl_buf_append(out, &rep[m - "tnrbf\"'\\"], 1);
        } else if (*s == 'u' || *s == 'U') {
            int w = *s == 'u' ? 4 : 8;
            if (end - s <= w) return fail(p, RL_ERR_INPUT, "short \\u escape");
            char h[9] = {0};
            memcpy(h, s + 1, (size_t)w);
            char *z;
            long cp = strtol(h, &z, 16);
            if (*z || !utf8proc_codepoint_valid((utf8proc_int32_t)cp))
                return fail(p, RL_ERR_INPUT, "bad \\u escape");
            put_cp(out, (int32_t)cp);
            s += w;
        } else {
            return fail(p, RL_ERR_INPUT, "unknown string escape");
        }
    }
    return rl_buf_append(out, "", 1) == RL_OK ? 0 : fail(p, RL_ERR_NOMEM, "out of memory");
}

/* The IRI an IRIREF or prefixed-name token stands for, in out
 * (NUL-terminated), resolved against the base. */
static int iri_value(parser *p, const rl_tok *t, rl_buf *out)
{
    rl_buf_clear(out);
    if (t->kind == RL_TOK_IRI) {
        rl_buf rel;
        rl_buf_init(&rel, 1 << 20);
        rl_buf_append(&rel, t->p + 1, t->n - 2);
        rl_buf_append(&rel, "", 1);
        const char *base = NULL;
        rl_buf b;
        rl_buf_init(&b, 1 << 20);
        if (p->pro && p->pro->base) {
            rl_buf_append(&b, p->pro->base->p + 1, p->pro->base->n - 2);
            rl_buf_append(&b, "", 1);
            base = (const char *)b.data;
        } else if (p->pro) {
            base = p->pro->base_default;
        }
        int r = 0;
        if (!rel.data)
            r = fail(p, RL_ERR_NOMEM, "out of memory");
        else if (base && *base) {
            size_t cap = strlen(base) + rel.len + 16;
            if (rl_buf_reserve(out, cap) != RL_OK)
                r = fail(p, RL_ERR_NOMEM, "out of memory");
            else if (!raptor_uri_resolve_uri_reference((const unsigned char *)base, rel.data,
                                                       out->data, cap))
                r = fail(p, RL_ERR_INPUT, "cannot resolve an IRI against the base");
            else
                out->len = strlen((const char *)out->data) + 1;
        } else if (!strchr((const char *)rel.data, ':')) {
            r = fail(p, RL_ERR_UNSUPPORTED,
                     "a relative IRI and no base"); /* rasqal knows the request's base */
        } else {
            rl_buf_append(out, rel.data, rel.len);
        }
        rl_buf_free(&rel);
        rl_buf_free(&b);
        return r;
    }
    const char *colon = memchr(t->p, ':', t->n);
    size_t pn = (size_t)(colon - t->p) + 1;
    for (size_t i = p->pro ? p->pro->npfx : 0; i-- > 0;) {
        const rl_tok *nm = p->pro->pfx_name[i], *iri = p->pro->pfx_iri[i];
        if (nm->n != pn || memcmp(nm->p, t->p, pn)) continue;
        rl_tok full = *iri;
        if (iri_value(p, &full, out)) return -1;
        out->len--; /* drop the NUL */
        for (const char *s = colon + 1; s < t->p + t->n; s++) {
            if (*s == '\\' && s + 1 < t->p + t->n) s++; /* PN_LOCAL_ESC */
            rl_buf_append(out, s, 1);
        }
        return rl_buf_append(out, "", 1) == RL_OK ? 0 : fail(p, RL_ERR_NOMEM, "out of memory");
    }
    return fail(p, RL_ERR_UNSUPPORTED, "prefix not declared in the prologue");
}

static int constant(parser *p, char kind, const char *a, size_t an, const char *b, size_t bn)
{
    int k = new_node(p, OP_CONST);
    if (k < 0) return -1;
    rl_buf s;
    rl_buf_init(&s, MAX_VALUE);
    rl_buf_append(&s, &kind, 1);
    rl_buf_append(&s, a, an);
    if (b) {
        char sep = SEP;
        rl_buf_append(&s, &sep, 1);
        rl_buf_append(&s, b, bn);
    }
    int r = s.data ? node_text(p, k, (const char *)s.data, s.len)
                   : fail(p, RL_ERR_NOMEM, "out of memory");
    rl_buf_free(&s);
    return r;
}

static int parse_expr(parser *p);

/* '(' Expression (',' Expression)* ')' or NIL, into args; the count. */
static int arg_list(parser *p, int *args, int max)
{
    if (!at(p, "(")) return fail(p, RL_ERR_INPUT, "expected ( after a function name");
    p->i++;
    int n = 0;
    if (at(p, ")")) {
        p->i++;
        return 0;
    }
    for (;;) {
        if (at(p, "DISTINCT")) return fail(p, RL_ERR_UNSUPPORTED, "aggregate");
        if (n >= max) return fail(p, RL_ERR_LIMIT, "more than 64 arguments");
        int a = parse_expr(p);
        if (a < 0) return -1;
        args[n++] = a;
        if (at(p, ",")) {
            p->i++;
            continue;
        }
        if (at(p, ")")) {
            p->i++;
            return n;
        }
        return fail(p, at(p, ";") ? RL_ERR_UNSUPPORTED : RL_ERR_INPUT,
                    "expected , or ) in an argument list");
    }
}

static int call(parser *p, fn_id id, int min, int max)
{
    int args[MAX_ARGS];
    int n = arg_list(p, args, MAX_ARGS);
    if (n < 0) return -1;
    if (n < min || (max >= 0 && n > max)) return fail(p, RL_ERR_INPUT, "wrong number of arguments");
    if (id == F_BOUND && p->e->v[args[0]].op != OP_VAR)
        return fail(p, RL_ERR_INPUT, "BOUND takes a variable");
    int k = new_node(p, OP_CALL);
    if (k < 0) return -1;
    p->e->v[k].fn = id;
    return node_args(p, k, args, n);
}

static int add_var(parser *p, const char *name, size_t n)
{
    rl_expr *e = p->e;
    for (size_t i = 0; i < e->nvars; i++)
        if (strlen(e->vars[i]) == n && !memcmp(e->vars[i], name, n)) return 0;
    char **v = realloc(e->vars, (e->nvars + 1) * sizeof *v);
    if (!v) return fail(p, RL_ERR_NOMEM, "out of memory");
    e->vars = v;
    if (!(v[e->nvars] = strndup(name, n))) return fail(p, RL_ERR_NOMEM, "out of memory");
    e->nvars++;
    return 0;
}

static int primary(parser *p)
{
    if (p->i >= p->end) return fail(p, RL_ERR_INPUT, "expression ends early");
    const rl_tok *t = &p->t[p->i];
    if (at(p, "(")) {
        p->i++;
        int k = parse_expr(p);
        if (k < 0) return -1;
        if (!at(p, ")")) return fail(p, RL_ERR_INPUT, "expected )");
        p->i++;
        return k;
    }
    if (t->kind == RL_TOK_VAR) {
        p->i++;
        int k = new_node(p, OP_VAR);
        if (k < 0 || node_text(p, k, t->p + 1, t->n - 1) < 0 || add_var(p, t->p + 1, t->n - 1))
            return -1;
        return k;
    }
    if (t->kind == RL_TOK_NUMBER) {
        p->i++;
        const char *dt = memchr(t->p, 'e', t->n) || memchr(t->p, 'E', t->n) ? RL_NS_XSD "double"
                         : memchr(t->p, '.', t->n)                          ? RL_NS_XSD "decimal"
                                                                            : RL_NS_XSD "integer";
        return constant(p, 'T', dt, strlen(dt), t->p, t->n);
    }
    if (t->kind == RL_TOK_STRING) {
        p->i++;
        rl_buf s;
        rl_buf_init(&s, MAX_VALUE);
        int r = string_value(p, t, &s);
        if (!r && at(p, "^^") && p->i + 1 < p->end) {
            rl_buf dt;
            rl_buf_init(&dt, 1 << 20);
            p->i++;
            r = iri_value(p, &p->t[p->i++], &dt);
            if (!r && !strcmp((const char *)dt.data, RL_NS_XSD "string"))
                r = constant(p, 'L', (const char *)s.data, s.len - 1, NULL, 0);
            else if (!r)
                r = constant(p, 'T', (const char *)dt.data, dt.len - 1, (const char *)s.data,
                             s.len - 1);
            rl_buf_free(&dt);
        } else if (!r && p->i < p->end && p->t[p->i].kind == RL_TOK_LANG) {
            const rl_tok *l = &p->t[p->i++];
            char lang[64];
            if (l->n - 1 >= sizeof lang) r = fail(p, RL_ERR_INPUT, "language tag too long");
            for (size_t i = 1; !r && i < l->n; i++)
                lang[i - 1] = (char)tolower((unsigned char)l->p[i]);
            if (!r) r = constant(p, 'G', lang, l->n - 1, (const char *)s.data, s.len - 1);
        } else if (!r) {
            r = constant(p, 'L', (const char *)s.data, s.len - 1, NULL, 0);
        }
        rl_buf_free(&s);
        return r;
    }
    if (t->kind == RL_TOK_IRI || t->kind == RL_TOK_PNAME) {
        p->i++;
        rl_buf iri;
        rl_buf_init(&iri, 1 << 20);
        int r = iri_value(p, t, &iri);
        if (!r && at(p, "(")) { /* a function call: only the XSD casts */
            const char *s = (const char *)iri.data;
            size_t ns = strlen(RL_NS_XSD);
            r = fail(p, RL_ERR_UNSUPPORTED, "function IRI");
            if (!strncmp(s, RL_NS_XSD, ns))
                for (size_t i = 0; i < sizeof casts / sizeof *casts; i++)
                    if (!strcmp(s + ns, casts[i].local)) {
                        p->st = RL_OK;
                        r = call(p, casts[i].id, 1, 1);
                    }
        } else if (!r) {
            r = constant(p, 'U', (const char *)iri.data, iri.len - 1, NULL, 0);
        }
        rl_buf_free(&iri);
        return r;
    }
    if (t->kind == RL_TOK_NAME) {
        if (rl_tok_is(t, "true") || rl_tok_is(t, "false")) {
            p->i++;
            const char *dt = RL_NS_XSD "boolean";
            int tr = rl_tok_is(t, "true");
            return constant(p, 'T', dt, strlen(dt), tr ? "true" : "false", tr ? 4 : 5);
        }
        for (size_t i = 0; i < sizeof builtins / sizeof *builtins; i++)
            if (rl_tok_is(t, builtins[i].name)) {
                p->i++;
                return call(p, builtins[i].id, builtins[i].min, builtins[i].max);
            }
        return fail(p, RL_ERR_UNSUPPORTED, "function not evaluated by rootline");
    }
    return fail(p, RL_ERR_INPUT, "unexpected token in an expression");
}

static int unary(parser *p)
{
    op_kind op;
    if (at(p, "!"))
        op = OP_NOT;
    else if (at(p, "-"))
        op = OP_NEG;
    else if (at(p, "+"))
        op = OP_POS;
    else
        return primary(p);
    p->i++;
    int a = unary(p);
    if (a < 0) return -1;
    int k = new_node(p, op);
    return k < 0 ? -1 : node_args(p, k, &a, 1);
}

typedef int (*level_fn)(parser *p);

/* next ((w1 | w2) next)*: one precedence level of left-associative binary
 * operators (w2 may be NULL). */
static int left_assoc(parser *p, level_fn next, const char *w1, op_kind op1, const char *w2,
                      op_kind op2)
{
    int a = next(p);
    while (a >= 0 && (at(p, w1) || (w2 && at(p, w2)))) {
        op_kind op = at(p, w1) ? op1 : op2;
        p->i++;
        int b = next(p);
        a = b < 0 ? -1 : binary(p, op, a, b);
    }
    return a;
}

static int multiplicative(parser *p)
{
    return left_assoc(p, unary, "*", OP_MUL, "/", OP_DIV);
}

static int additive(parser *p)
{
    return left_assoc(p, multiplicative, "+", OP_ADD, "-", OP_SUB);
}

static int relational(parser *p)
{
    int a = additive(p);
    if (a < 0) return -1;
    static const struct {
        const char *w;
        op_kind op;
    } rel[] = {{"=", OP_EQ}, {"!=", OP_NE}, {"<", OP_LT},
               {">", OP_GT}, {"<=", OP_LE}, {">=", OP_GE}};
    for (size_t i = 0; i < sizeof rel / sizeof *rel; i++)
        if (at(p, rel[i].w)) {
            p->i++;
            int b = additive(p);
            return b < 0 ? -1 : binary(p, rel[i].op, a, b);
        }
    int neg = at(p, "NOT");
    if (neg || at(p, "IN")) {
        p->i += neg ? 1 : 0;
        if (!at(p, "IN")) return fail(p, RL_ERR_INPUT, "expected IN after NOT");
        p->i++;
        int args[MAX_ARGS + 1];
        args[0] = a;
        int n = arg_list(p, args + 1, MAX_ARGS);
        if (n < 0) return -1;
        int k = new_node(p, neg ? OP_NOTIN : OP_IN);
        return k < 0 ? -1 : node_args(p, k, args, n + 1);
    }
    return a;
}

static int and_expr(parser *p)
{
    return left_assoc(p, relational, "&&", OP_AND, NULL, OP_AND);
}

static int parse_expr(parser *p)
{
    if (at(p, "EXISTS") || at(p, "NOT")) return fail(p, RL_ERR_UNSUPPORTED, "EXISTS");
    return left_assoc(p, and_expr, "||", OP_OR, NULL, OP_OR);
}

size_t rl_prologue_read(const rl_tok *t, size_t n, rl_prologue *pro, const char *base_default)
{
    memset(pro, 0, sizeof *pro);
    pro->base_default = base_default;
    size_t i = 0;
    for (;;) {
        if (i + 1 < n && rl_tok_is(&t[i], "BASE") && t[i + 1].kind == RL_TOK_IRI) {
            pro->base = &t[i + 1];
            i += 2;
        } else if (i + 2 < n && rl_tok_is(&t[i], "PREFIX") && t[i + 1].kind == RL_TOK_PNAME &&
                   t[i + 2].kind == RL_TOK_IRI) {
            if (pro->npfx < RL_EXPR_MAX_PREFIXES) {
                pro->pfx_name[pro->npfx] = &t[i + 1];
                pro->pfx_iri[pro->npfx++] = &t[i + 2];
            }
            i += 3;
        } else {
            return i;
        }
    }
}

rl_status rl_expr_parse(const rl_tok *t, size_t a, size_t b, const rl_prologue *pro, rl_expr **out,
                        char *err, size_t cap)
{
    *out = NULL;
    rl_expr *e = calloc(1, sizeof *e);
    if (!e) return RL_ERR_NOMEM;
    parser p = {t, a, b, pro, e, RL_OK, err, cap};
    int r = parse_expr(&p);
    if (r >= 0 && p.i != b) fail(&p, RL_ERR_INPUT, "unexpected text after an expression");
    if (p.st == RL_OK && !(e->md = pcre2_match_data_create(32, NULL))) p.st = RL_ERR_NOMEM;
    if (p.st == RL_OK && pro && (pro->base || pro->base_default)) {
        if (pro->base)
            e->base = strndup(pro->base->p + 1, pro->base->n - 2);
        else
            e->base = strdup(pro->base_default);
        if (!e->base) p.st = RL_ERR_NOMEM;
    }
    if (p.st != RL_OK) {
        rl_expr_free(e);
        return p.st;
    }
    e->root = r;
    *out = e;
    return RL_OK;
}

size_t rl_expr_var_count(const rl_expr *e)
{
    return e ? e->nvars : 0;
}

const char *rl_expr_var(const rl_expr *e, size_t i)
{
    return e && i < e->nvars ? e->vars[i] : NULL;
}

void rl_expr_free(rl_expr *e)
{
    if (!e) return;
    for (size_t i = 0; i < e->n; i++) {
        free(e->v[i].args);
        free(e->v[i].text);
        rl_buf_free(&e->v[i].val);
        if (e->v[i].re) pcre2_code_free(e->v[i].re);
        free(e->v[i].re_key);
    }
    for (size_t i = 0; i < e->nvars; i++)
        free(e->vars[i]);
    free(e->vars);
    free(e->v);
    if (e->md) pcre2_match_data_free(e->md);
    free(e->base);
    free(e);
}

/* ---- values -------------------------------------------------------------- */

typedef struct ev {
    rl_expr *e;
    rl_expr_lookup_fn lookup;
    void *ctx;
    rl_status st;
} ev;

/* A string literal's parts: lexical form, and its language tag (simple and
 * xsd:string have none). */
typedef struct strlit {
    const char *lex;
    size_t n;
    const char *lang; /* NULL: simple */
    size_t langn;
} strlit;

static int is_numeric(const char *v)
{
    rl_num x;
    return v && rl_num_of(v, &x) == 0;
}

/* 0 when v is a string literal (simple, xsd:string or language-tagged). */
static int str_lit(const char *v, strlit *s)
{
    if (!v) return -1;
    if (v[0] == 'L') {
        s->lex = v + 1, s->n = strlen(v + 1), s->lang = NULL, s->langn = 0;
        return 0;
    }
    if (v[0] == 'G') {
        const char *sep = strchr(v, SEP);
        if (!sep) return -1;
        s->lang = v + 1, s->langn = (size_t)(sep - v - 1), s->lex = sep + 1, s->n = strlen(sep + 1);
        return 0;
    }
    return -1;
}

/* Argument compatibility of §17.4.3.1.1. */
static int compatible(const strlit *a, const strlit *b)
{
    if (!b->lang) return 1;
    return a->lang && a->langn == b->langn && !strncasecmp(a->lang, b->lang, a->langn);
}

/* Writes an encoded value into the node's buffer and returns it. */
static const char *out_lit(ev *x, node *nd, char kind, const char *a, size_t an, const char *b,
                           size_t bn)
{
    rl_buf *o = &nd->val;
    rl_buf_clear(o);
    rl_status s = rl_buf_append(o, &kind, 1);
    if (s == RL_OK) s = rl_buf_append(o, a, an);
    if (s == RL_OK && kind != 'L' && kind != 'U' && kind != 'B') {
        char sep = SEP;
        if ((s = rl_buf_append(o, &sep, 1)) == RL_OK) s = rl_buf_append(o, b, bn);
    }
    if (s == RL_OK) s = rl_buf_append(o, "", 1);
    if (s != RL_OK) {
        x->st = s;
        return NULL;
    }
    return (const char *)o->data;
}

/* A string result with the language tag (or none) of `like`. */
static const char *out_str(ev *x, node *nd, const strlit *like, const char *s, size_t n)
{
    if (like && like->lang) return out_lit(x, nd, 'G', like->lang, like->langn, s, n);
    return out_lit(x, nd, 'L', s, n, NULL, 0);
}

static const char *out_typed(ev *x, node *nd, const char *xsd_local, const char *lex, size_t n)
{
    char dt[96];
    snprintf(dt, sizeof dt, RL_NS_XSD "%s", xsd_local);
    return out_lit(x, nd, 'T', dt, strlen(dt), lex, n);
}

static const char *out_bool(ev *x, node *nd, int b)
{
    return out_typed(x, nd, "boolean", b ? "true" : "false", b ? 4 : 5);
}

static const char *out_int(ev *x, node *nd, long long v)
{
    char s[32];
    int n = snprintf(s, sizeof s, "%lld", v);
    return out_typed(x, nd, "integer", s, (size_t)n);
}

static const char *out_num(ev *x, node *nd, const rl_num *v)
{
    rl_status s = rl_num_encode(&nd->val, v);
    if (s != RL_OK) {
        x->st = s;
        return NULL;
    }
    return (const char *)nd->val.data;
}

/* Boolean literal value: 1, 0, or -1 when v is not a valid xsd:boolean. */
static int bool_of(const char *v)
{
    const char *lex, *dt = v ? rl_val_xsd(v, &lex) : NULL;
    if (!dt || !rl_val_xsd_is(dt, "boolean")) return -1;
    if (!strcmp(lex, "true") || !strcmp(lex, "1")) return 1;
    if (!strcmp(lex, "false") || !strcmp(lex, "0")) return 0;
    return -1;
}

int rl_expr_ebv(const char *v)
{
    if (!v) return -1;
    const char *lex, *dt = rl_val_xsd(v, &lex);
    if (dt && rl_val_xsd_is(dt, "boolean")) return bool_of(v) == 1;
    rl_num n;
    if (rl_num_of(v, &n) == 0) return n.t >= RL_NUM_FLT ? (n.d != 0 && !isnan(n.d)) : n.m != 0;
    if (dt && v[0] == 'T') { /* a numeric type with a bad lexical form is false */
        static const char *const numeric[] = {"integer", "decimal", "double",
                                              "float",   "int",     "long"};
        for (size_t i = 0; i < sizeof numeric / sizeof *numeric; i++)
            if (rl_val_xsd_is(dt, numeric[i])) return 0;
    }
    if (v[0] == 'L') return v[1] != 0;
    return -1;
}

/* ---- dates --------------------------------------------------------------- */

typedef struct dtm {
    long long year;
    int month, day, hour, minute;
    int sec_int;
    const char *sec; /* seconds as written, sec_n bytes */
    size_t sec_n;
    int tz;              /* 1: has a time zone */
    int tz_min;          /* its offset in minutes */
    const char *tz_text; /* as written ("Z", "+08:00") */
} dtm;

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Reads an xsd:dateTime lexical form. */
static int dtm_parse(const char *s, dtm *d)
{
    memset(d, 0, sizeof *d);
    int neg = *s == '-';
    if (neg) s++;
    const char *y = s;
    while (isdigit((unsigned char)*s))
        s++;
    if (s - y < 4 || s - y > 12 || *s != '-') return -1;
    d->year = strtoll(y, NULL, 10) * (neg ? -1 : 1);
    if (digits(s + 1, 2, &d->month) || s[3] != '-' || digits(s + 4, 2, &d->day) || s[6] != 'T' ||
        digits(s + 7, 2, &d->hour) || s[9] != ':' || digits(s + 10, 2, &d->minute) ||
        s[12] != ':' || digits(s + 13, 2, &d->sec_int))
        return -1;
    d->sec = s + 13;
    s += 15;
    if (*s == '.') {
        s++;
        if (!isdigit((unsigned char)*s)) return -1;
        while (isdigit((unsigned char)*s))
            s++;
    }
    d->sec_n = (size_t)(s - d->sec);
    if (d->month < 1 || d->month > 12 || d->day < 1 || d->day > 31 || d->hour > 24 ||
        d->minute > 59 || d->sec_int > 59)
        return -1;
    if (!*s) return 0;
    d->tz = 1, d->tz_text = s;
    if (!strcmp(s, "Z")) return 0;
    int h, m;
    if ((*s != '+' && *s != '-') || digits(s + 1, 2, &h) || s[3] != ':' || digits(s + 4, 2, &m) ||
        s[6] || h > 14 || m > 59)
        return -1;
    d->tz_min = (h * 60 + m) * (*s == '-' ? -1 : 1);
    return 0;
}

static int dtm_of(const char *v, dtm *d)
{
    const char *lex, *dt = v ? rl_val_xsd(v, &lex) : NULL;
    return dt && rl_val_xsd_is(dt, "dateTime") ? dtm_parse(lex, d) : -1;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static long long days_of(long long y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Compares two dateTimes: -1, 0, 1, or 2 when one has a time zone and the
 * other none (indeterminate here). */
static int dtm_cmp(const dtm *a, const dtm *b)
{
    if (a->tz != b->tz) return 2;
    long long sa =
        ((days_of(a->year, a->month, a->day) * 24 + a->hour) * 60 + a->minute - a->tz_min) * 60 +
        a->sec_int;
    long long sb =
        ((days_of(b->year, b->month, b->day) * 24 + b->hour) * 60 + b->minute - b->tz_min) * 60 +
        b->sec_int;
    if (sa != sb) return sa < sb ? -1 : 1;
    double fa = a->sec_n > 2 ? atof(a->sec + 2) : 0, fb = b->sec_n > 2 ? atof(b->sec + 2) : 0;
    return fa < fb ? -1 : fa > fb;
}

/* ---- comparison ---------------------------------------------------------- */

/* a = b: 1, 0, or -1 (a type error). */
static int equal(const char *a, const char *b)
{
    if (!a || !b) return -1;
    rl_num x, y;
    int na = rl_num_of(a, &x) == 0, nb = rl_num_of(b, &y) == 0;
    if (na && nb) return rl_num_cmp(&x, &y) == 0;
    dtm p, q;
    if (dtm_of(a, &p) == 0 && dtm_of(b, &q) == 0) {
        int c = dtm_cmp(&p, &q);
        return c == 2 ? -1 : c == 0;
    }
    int ba = bool_of(a), bb = bool_of(b);
    if (ba >= 0 && bb >= 0) return ba == bb;
    if (!strcmp(a, b)) return 1;
    int la = a[0] == 'L' || a[0] == 'G' || a[0] == 'T',
        lb = b[0] == 'L' || b[0] == 'G' || b[0] == 'T';
    if (!la || !lb) return 0;         /* an IRI or blank node: only the same term is equal */
    if (a[0] == 'G' && b[0] == 'G') { /* same text and tag, tags compared without case */
        strlit s = {0}, t = {0};
        if (str_lit(a, &s) || str_lit(b, &t)) return -1;
        return s.langn == t.langn && !strncasecmp(s.lang, t.lang, s.langn) && !strcmp(s.lex, t.lex);
    }
    if (a[0] == 'L' && b[0] == 'L') return 0;
    /* literals of known, different kinds are different values */
    int ka = a[0] == 'L' ? 1 : a[0] == 'G' ? 2 : na ? 3 : ba >= 0 ? 4 : 0;
    int kb = b[0] == 'L' ? 1 : b[0] == 'G' ? 2 : nb ? 3 : bb >= 0 ? 4 : 0;
    if (ka && kb && ka != kb) return 0;
    return -1; /* two unknown literals that are not the same term */
}

/* a < b: -1, 0 or 1 order, or 2 for a type error. */
static int order(const char *a, const char *b)
{
    if (!a || !b) return 2;
    rl_num x, y;
    if (rl_num_of(a, &x) == 0 && rl_num_of(b, &y) == 0) return rl_num_cmp(&x, &y);
    if (a[0] == 'L' && b[0] == 'L') {
        int c = strcmp(a + 1, b + 1);
        return c < 0 ? -1 : c > 0;
    }
    int ba = bool_of(a), bb = bool_of(b);
    if (ba >= 0 && bb >= 0) return ba < bb ? -1 : ba > bb;
    dtm p, q;
    if (dtm_of(a, &p) == 0 && dtm_of(b, &q) == 0) return dtm_cmp(&p, &q);
    return 2;
}

/* ---- strings ------------------------------------------------------------- */

/* The byte offset of code point `cp` (0-based) in s[0..n), or n. */
static size_t cp_offset(const char *s, size_t n, long long cp)
{
    size_t i = 0;
    for (long long k = 0; i < n && k < cp; k++) {
        utf8proc_int32_t c;
        utf8proc_ssize_t m =
            utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &c);
        i += m > 0 ? (size_t)m : 1;
    }
    return i < n ? i : n;
}

static long long cp_count(const char *s, size_t n)
{
    long long k = 0;
    for (size_t i = 0; i < n; k++) {
        utf8proc_int32_t c;
        utf8proc_ssize_t m =
            utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &c);
        i += m > 0 ? (size_t)m : 1;
    }
    return k;
}

static const char *fn_case(ev *x, node *nd, const char *a, int upper)
{
    strlit s;
    if (str_lit(a, &s)) return NULL;
    rl_buf b;
    rl_buf_init(&b, MAX_VALUE);
    for (size_t i = 0; i < s.n;) {
        utf8proc_int32_t c;
        utf8proc_ssize_t m =
            utf8proc_iterate((const utf8proc_uint8_t *)s.lex + i, (utf8proc_ssize_t)(s.n - i), &c);
        if (m <= 0) c = (unsigned char)s.lex[i], m = 1;
        put_cp(&b, upper ? utf8proc_toupper(c) : utf8proc_tolower(c));
        i += (size_t)m;
    }
    const char *r = out_str(x, nd, &s, b.data ? (const char *)b.data : "", b.len);
    rl_buf_free(&b);
    return r;
}

/* fn:substring with XPath's rounding: characters at positions p with
 * round(start) <= p < round(start) + round(len). */
static const char *fn_substr(ev *x, node *nd, const char *a, const char *st, const char *ln)
{
    strlit s;
    rl_num ns, nl;
    if (str_lit(a, &s) || rl_num_of(st, &ns) || (ln && rl_num_of(ln, &nl))) return NULL;
    double from = round(rl_num_double(&ns)), len = ln ? round(rl_num_double(&nl)) : INFINITY;
    if (isnan(from) || isnan(len)) return out_str(x, nd, &s, "", 0);
    double to = from + len; /* exclusive, 1-based */
    if (from < 1) from = 1;
    long long total = cp_count(s.lex, s.n);
    if (to > (double)total + 1) to = (double)total + 1;
    if (to <= from) return out_str(x, nd, &s, "", 0);
    size_t b0 = cp_offset(s.lex, s.n, (long long)from - 1),
           b1 = cp_offset(s.lex, s.n, (long long)to - 1);
    return out_str(x, nd, &s, s.lex + b0, b1 - b0);
}

static const char *fn_strpos(ev *x, node *nd, fn_id f, const char *a, const char *b)
{
    strlit s, t;
    if (str_lit(a, &s) || str_lit(b, &t) || !compatible(&s, &t)) return NULL;
    const char *hit = t.n == 0 ? s.lex : memmem(s.lex, s.n, t.lex, t.n);
    switch (f) {
    case F_STRSTARTS:
        return out_bool(x, nd, s.n >= t.n && !memcmp(s.lex, t.lex, t.n));
    case F_STRENDS:
        return out_bool(x, nd, s.n >= t.n && !memcmp(s.lex + s.n - t.n, t.lex, t.n));
    case F_CONTAINS:
        return out_bool(x, nd, hit != NULL);
    case F_STRBEFORE:
        if (!hit) return out_lit(x, nd, 'L', "", 0, NULL, 0);
        return out_str(x, nd, &s, s.lex, (size_t)(hit - s.lex));
    default: /* F_STRAFTER */
        if (!hit) return out_lit(x, nd, 'L', "", 0, NULL, 0);
        return out_str(x, nd, &s, hit + t.n, s.n - (size_t)(hit - s.lex) - t.n);
    }
}

static const char *fn_encode(ev *x, node *nd, const char *a)
{
    strlit s;
    if (str_lit(a, &s)) return NULL;
    rl_buf b;
    rl_buf_init(&b, MAX_VALUE);
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.lex[i];
        if (isalnum(c) || strchr("-_.~", c))
            rl_buf_append(&b, &c, 1);
        else
            rl_buf_printf(&b, "%%%02X", c);
    }
    const char *r = out_lit(x, nd, 'L', b.data ? (const char *)b.data : "", b.len, NULL, 0);
    rl_buf_free(&b);
    return r;
}

static const char *fn_concat(ev *x, node *nd, const char **v, int n)
{
    rl_buf b;
    rl_buf_init(&b, MAX_VALUE);
    strlit first = {0}, s;
    int same_lang = 1;
    const char *r = NULL;
    for (int i = 0; i < n; i++) {
        if (str_lit(v[i], &s)) goto out;
        if (!i)
            first = s;
        else if (!s.lang || !first.lang || s.langn != first.langn ||
                 strncasecmp(s.lang, first.lang, s.langn))
            same_lang = 0;
        if (rl_buf_append(&b, s.lex, s.n) != RL_OK) {
            x->st = RL_ERR_LIMIT;
            goto out;
        }
    }
    r = out_str(x, nd, n && same_lang ? &first : NULL, b.data ? (const char *)b.data : "", b.len);
out:
    rl_buf_free(&b);
    return r;
}

/* The compiled pattern of a REGEX / REPLACE node for pattern p and flags
 * f (the last one compiled is kept); NULL when either is not valid. */
static pcre2_code *regex_of(node *nd, const char *pat, const char *flags)
{
    size_t pn = strlen(pat), fn = strlen(flags);
    if (nd->re && nd->re_key && !strncmp(nd->re_key, pat, pn) && nd->re_key[pn] == SEP &&
        !strcmp(nd->re_key + pn + 1, flags))
        return nd->re;
    uint32_t opt = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF;
    for (const char *f = flags; *f; f++) {
        switch (*f) {
        case 'i':
            opt |= PCRE2_CASELESS;
            break;
        case 's':
            opt |= PCRE2_DOTALL;
            break;
        case 'm':
            opt |= PCRE2_MULTILINE;
            break;
        case 'x':
            opt |= PCRE2_EXTENDED;
            break;
        case 'q':
            opt |= PCRE2_LITERAL;
            break;
        default:
            return NULL;
        }
    }
    if (opt & PCRE2_LITERAL) /* q: the options PCRE2 allows with a literal pattern */
        opt &= PCRE2_LITERAL | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_CASELESS;
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, pn, opt, &ec, &eo, NULL);
    if (!re) return NULL;
    char *key = malloc(pn + fn + 2);
    if (!key) {
        pcre2_code_free(re);
        return NULL;
    }
    memcpy(key, pat, pn);
    key[pn] = SEP;
    memcpy(key + pn + 1, flags, fn + 1);
    if (nd->re) pcre2_code_free(nd->re);
    free(nd->re_key);
    nd->re = re, nd->re_key = key;
    return re;
}

static const char *fn_regex(ev *x, node *nd, const char *a, const char *pat, const char *flags)
{
    strlit s, p, f = {"", 0, NULL, 0};
    if (str_lit(a, &s) || !pat || pat[0] != 'L' || (flags && flags[0] != 'L')) return NULL;
    str_lit(pat, &p);
    if (flags) str_lit(flags, &f);
    pcre2_code *re = regex_of(nd, p.lex, f.lex);
    if (!re) return NULL;
    int rc = pcre2_match(re, (PCRE2_SPTR)s.lex, s.n, 0, 0, x->e->md, NULL);
    if (rc < 0 && rc != PCRE2_ERROR_NOMATCH) return NULL;
    return out_bool(x, nd, rc >= 0);
}

/* XPath's replacement string as PCRE2's: \$ and \\ literal, $N a group. */
static int replacement_of(const char *r, rl_buf *o)
{
    for (; *r; r++) {
        if (*r == '\\') {
            if (r[1] == '\\')
                rl_buf_append(o, "\\", 1);
            else if (r[1] == '$')
                rl_buf_append(o, "$$", 2);
            else
                return -1;
            r++;
        } else if (*r == '$') {
            if (!isdigit((unsigned char)r[1])) return -1;
            rl_buf_append(o, "${", 2);
            rl_buf_append(o, r + 1,
                          1); /* one digit: XPath reads $12 as group 1 then "2" when no group 12 */
            rl_buf_append(o, "}", 1);
            r++;
        } else {
            rl_buf_append(o, r, 1);
        }
    }
    return rl_buf_append(o, "", 1) == RL_OK ? 0 : -1;
}

static const char *fn_replace(ev *x, node *nd, const char *a, const char *pat, const char *rep,
                              const char *flags)
{
    strlit s, p, r, f = {"", 0, NULL, 0};
    if (str_lit(a, &s) || !pat || pat[0] != 'L' || !rep || rep[0] != 'L' ||
        (flags && flags[0] != 'L'))
        return NULL;
    str_lit(pat, &p), str_lit(rep, &r);
    if (flags) str_lit(flags, &f);
    pcre2_code *re = regex_of(nd, p.lex, f.lex);
    if (!re) return NULL;
    /* a pattern that matches the empty string is an error (FORX0003) */
    if (pcre2_match(re, (PCRE2_SPTR) "", 0, 0, 0, x->e->md, NULL) >= 0) return NULL;
    rl_buf rb, ob;
    rl_buf_init(&rb, MAX_VALUE);
    rl_buf_init(&ob, MAX_VALUE);
    const char *res = NULL;
    if (replacement_of(r.lex, &rb)) goto out;
    PCRE2_SIZE need = s.n * 2 + 64;
    for (int tries = 0; tries < 2; tries++) {
        if (need > MAX_VALUE) {
            x->st = RL_ERR_LIMIT;
            goto out;
        }
        rl_buf_clear(&ob);
        if (rl_buf_reserve(&ob, need + 1) != RL_OK) {
            x->st = RL_ERR_NOMEM;
            goto out;
        }
        PCRE2_SIZE outlen = need;
        int rc = pcre2_substitute(re, (PCRE2_SPTR)s.lex, s.n, 0,
                                  PCRE2_SUBSTITUTE_GLOBAL | PCRE2_SUBSTITUTE_OVERFLOW_LENGTH |
                                      PCRE2_SUBSTITUTE_UNSET_EMPTY | PCRE2_SUBSTITUTE_UNKNOWN_UNSET,
                                  x->e->md, NULL, (PCRE2_SPTR)rb.data, PCRE2_ZERO_TERMINATED,
                                  ob.data, &outlen);
        if (rc == PCRE2_ERROR_NOMEMORY) {
            need = outlen;
            continue;
        }
        if (rc < 0) goto out;
        res = out_str(x, nd, &s, (const char *)ob.data, outlen);
        break;
    }
out:
    rl_buf_free(&rb);
    rl_buf_free(&ob);
    return res;
}

static const char *fn_digest(ev *x, node *nd, fn_id f, const char *a)
{
    if (!a || a[0] != 'L') return NULL; /* simple literal or xsd:string only */
    const EVP_MD *md = f == F_MD5      ? EVP_md5()
                       : f == F_SHA1   ? EVP_sha1()
                       : f == F_SHA256 ? EVP_sha256()
                       : f == F_SHA384 ? EVP_sha384()
                                       : EVP_sha512();
    unsigned char h[EVP_MAX_MD_SIZE];
    unsigned int hn = 0;
    if (!EVP_Digest(a + 1, strlen(a + 1), h, &hn, md, NULL)) return NULL;
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    for (unsigned i = 0; i < hn; i++)
        snprintf(hex + 2 * i, 3, "%02x", h[i]);
    return out_lit(x, nd, 'L', hex, 2 * hn, NULL, 0);
}

/* IRI(string): the string resolved against the query's base. */
static const char *fn_iri(ev *x, node *nd, const char *s)
{
    const char *base = x->e->base;
    if (!base) return out_lit(x, nd, 'U', s, strlen(s), NULL, 0);
    size_t cap = strlen(base) + strlen(s) + 16;
    char *b = malloc(cap);
    if (!b) {
        x->st = RL_ERR_NOMEM;
        return NULL;
    }
    const char *r = NULL;
    if (raptor_uri_resolve_uri_reference((const unsigned char *)base, (const unsigned char *)s,
                                         (unsigned char *)b, cap))
        r = out_lit(x, nd, 'U', b, strlen(b), NULL, 0);
    free(b);
    return r;
}

/* ---- numbers and dates --------------------------------------------------- */

static const char *fn_round(ev *x, node *nd, fn_id f, const char *a)
{
    rl_num n;
    if (rl_num_of(a, &n)) return NULL;
    if (n.t >= RL_NUM_FLT) {
        n.d = f == F_ABS     ? fabs(n.d)
              : f == F_CEIL  ? ceil(n.d)
              : f == F_FLOOR ? floor(n.d)
                             : floor(n.d + 0.5);
        return out_num(x, nd, &n);
    }
    if (f == F_ABS) {
        if (n.m < 0) n.m = -n.m;
        return out_num(x, nd, &n);
    }
    __int128 p = 1;
    for (int i = 0; i < n.scale; i++)
        p *= 10;
    __int128 q = n.m / p, r = n.m % p; /* truncated toward zero */
    if (f == F_CEIL && r > 0) q++;
    if (f == F_FLOOR && r < 0) q--;
    if (f == F_ROUND) {         /* to the nearest, halves toward positive infinity */
        if (r < 0) q--, r += p; /* floor division: 0 <= r < p */
        if (2 * r >= p) q++;
    }
    n.m = q, n.scale = 0;
    return out_num(x, nd, &n);
}

static const char *fn_date(ev *x, node *nd, fn_id f, const char *a)
{
    dtm d;
    if (dtm_of(a, &d)) return NULL;
    switch (f) {
    case F_YEAR:
        return out_int(x, nd, d.year);
    case F_MONTH:
        return out_int(x, nd, d.month);
    case F_DAY:
        return out_int(x, nd, d.day);
    case F_HOURS:
        return out_int(x, nd, d.hour);
    case F_MINUTES:
        return out_int(x, nd, d.minute);
    case F_SECONDS: {
        rl_num n;
        char s[64];
        snprintf(s, sizeof s, "%.*s", (int)(d.sec_n < 60 ? d.sec_n : 60), d.sec);
        if (rl_num_parse_decimal(s, &n, 1)) return NULL;
        return out_num(x, nd, &n);
    }
    case F_TZ:
        if (!d.tz) return out_lit(x, nd, 'L', "", 0, NULL, 0);
        return out_lit(x, nd, 'L', d.tz_text, strlen(d.tz_text), NULL, 0);
    default: { /* F_TIMEZONE: an xsd:dayTimeDuration */
        if (!d.tz) return NULL;
        char s[32];
        int m = d.tz_min < 0 ? -d.tz_min : d.tz_min, n;
        const char *sign = d.tz_min < 0 ? "-" : "";
        if (!m)
            n = snprintf(s, sizeof s, "PT0S");
        else if (m % 60 == 0)
            n = snprintf(s, sizeof s, "%sPT%dH", sign, m / 60);
        else if (m < 60)
            n = snprintf(s, sizeof s, "%sPT%dM", sign, m);
        else
            n = snprintf(s, sizeof s, "%sPT%dH%dM", sign, m / 60, m % 60);
        return out_typed(x, nd, "dayTimeDuration", s, (size_t)n);
    }
    }
}

/* XPath casts (§17.5 of SPARQL and XPath F&O §18.1). */
static const char *fn_cast(ev *x, node *nd, fn_id f, const char *a)
{
    if (!a || a[0] == 'B') return NULL;
    if (f == F_CAST_STRING) {
        const char *s = rl_val_str(a);
        if (a[0] == 'G') return NULL; /* a language-tagged string does not cast */
        return out_lit(x, nd, 'L', s, strlen(s), NULL, 0);
    }
    if (a[0] == 'U' || a[0] == 'G') return NULL;
    const char *lex = rl_val_str(a);
    rl_num n;
    int numeric = rl_num_of(a, &n) == 0, b = bool_of(a), str = a[0] == 'L';
    if (!numeric && b < 0 && !str) {
        /* another typed literal: only dateTime to dateTime */
        dtm d;
        if (f == F_CAST_DATETIME && dtm_of(a, &d) == 0)
            return out_typed(x, nd, "dateTime", lex, strlen(lex));
        return NULL;
    }
    switch (f) {
    case F_CAST_BOOLEAN:
        if (b >= 0) return out_bool(x, nd, b);
        if (numeric) return out_bool(x, nd, rl_expr_ebv(a) == 1);
        if (!strcmp(lex, "true") || !strcmp(lex, "1")) return out_bool(x, nd, 1);
        if (!strcmp(lex, "false") || !strcmp(lex, "0")) return out_bool(x, nd, 0);
        return NULL;
    case F_CAST_DATETIME: {
        dtm d;
        if (!str || dtm_parse(lex, &d)) return NULL;
        return out_typed(x, nd, "dateTime", lex, strlen(lex));
    }
    case F_CAST_INTEGER:
        if (b >= 0)
            n.t = RL_NUM_INT, n.m = b, n.scale = 0;
        else if (str && rl_num_parse_decimal(lex, &n, 0))
            return NULL;
        else if (numeric && n.t >= RL_NUM_FLT) {
            if (!isfinite(n.d) || fabs(n.d) > 1e30) return NULL;
            n.m = (__int128)trunc(n.d), n.scale = 0;
        } else if (numeric && n.t == RL_NUM_DEC) {
            __int128 p = 1;
            for (int i = 0; i < n.scale; i++)
                p *= 10;
            n.m /= p, n.scale = 0;
        }
        n.t = RL_NUM_INT;
        return out_num(x, nd, &n);
    case F_CAST_DECIMAL:
        if (b >= 0)
            n.m = b, n.scale = 0;
        else if (str && rl_num_parse_decimal(lex, &n, 1))
            return NULL;
        else if (numeric && n.t >= RL_NUM_FLT) {
            if (!isfinite(n.d)) return NULL;
            char s[64];
            snprintf(s, sizeof s, "%.17g", n.d);
            if (strchr(s, 'e')) { /* beyond a plain decimal form: scaled by hand */
                snprintf(s, sizeof s, "%.20f", n.d);
            }
            if (rl_num_parse_decimal(s, &n, 1)) return NULL;
        }
        n.t = RL_NUM_DEC;
        return out_num(x, nd, &n);
    default: { /* F_CAST_DOUBLE, F_CAST_FLOAT */
        double d;
        if (b >= 0)
            d = b;
        else if (str && rl_num_parse_double(lex, &d))
            return NULL;
        else if (!str)
            d = rl_num_double(&n);
        n.t = f == F_CAST_FLOAT ? RL_NUM_FLT : RL_NUM_DBL;
        n.d = f == F_CAST_FLOAT ? (float)d : d;
        return out_num(x, nd, &n);
    }
    }
}

/* ---- evaluation ---------------------------------------------------------- */

static const char *eval(ev *x, int k);

static const char *arith(ev *x, node *nd, op_kind op, const char *a, const char *b)
{
    rl_num p, q;
    if (rl_num_of(a, &p) || (b && rl_num_of(b, &q))) return NULL;
    int r = 0;
    switch (op) {
    case OP_ADD:
        r = rl_num_add(&p, &q);
        break;
    case OP_SUB:
        r = rl_num_sub(&p, &q);
        break;
    case OP_MUL:
        r = rl_num_mul(&p, &q);
        break;
    case OP_DIV:
        r = rl_num_div(&p, &q);
        break;
    case OP_NEG:
        p.m = -p.m, p.d = -p.d;
        break;
    default:
        break; /* OP_POS */
    }
    return r ? NULL : out_num(x, nd, &p);
}

static const char *eval_call(ev *x, node *nd)
{
    const char *v[MAX_ARGS];
    int n = nd->nargs;
    /* the lazy ones first */
    if (nd->fn == F_BOUND)
        return out_bool(x, nd, x->lookup(x->ctx, x->e->v[nd->args[0]].text) != NULL);
    if (nd->fn == F_IF) {
        int c = rl_expr_ebv(eval(x, nd->args[0]));
        if (c < 0) return NULL;
        return eval(x, nd->args[c ? 1 : 2]);
    }
    if (nd->fn == F_COALESCE) {
        for (int i = 0; i < n; i++) {
            const char *r = eval(x, nd->args[i]);
            if (r) return r;
        }
        return NULL;
    }
    for (int i = 0; i < n; i++)
        v[i] = eval(x, nd->args[i]);
    if (x->st != RL_OK) return NULL;
    if (nd->fn != F_CONCAT)
        for (int i = 0; i < n; i++)
            if (!v[i]) return NULL;
    const char *a = n > 0 ? v[0] : NULL;
    switch (nd->fn) {
    case F_STR:
        if (a[0] == 'B') return NULL;
        return out_lit(x, nd, 'L', rl_val_str(a), strlen(rl_val_str(a)), NULL, 0);
    case F_LANG: {
        strlit s;
        if (a[0] == 'U' || a[0] == 'B') return NULL;
        if (str_lit(a, &s) || !s.lang) return out_lit(x, nd, 'L', "", 0, NULL, 0);
        return out_lit(x, nd, 'L', s.lang, s.langn, NULL, 0);
    }
    case F_LANGMATCHES: {
        strlit t, r;
        if (str_lit(a, &t) || t.lang || str_lit(v[1], &r) || r.lang) return NULL;
        if (r.n == 1 && r.lex[0] == '*') return out_bool(x, nd, t.n > 0);
        int m = t.n >= r.n && !strncasecmp(t.lex, r.lex, r.n) && (t.n == r.n || t.lex[r.n] == '-');
        return out_bool(x, nd, m);
    }
    case F_DATATYPE:
        if (a[0] == 'L')
            return out_lit(x, nd, 'U', RL_NS_XSD "string", strlen(RL_NS_XSD "string"), NULL, 0);
        if (a[0] == 'G')
            return out_lit(x, nd, 'U', RL_NS_RDF "langString", strlen(RL_NS_RDF "langString"), NULL,
                           0);
        if (a[0] != 'T') return NULL;
        return out_lit(x, nd, 'U', a + 1, (size_t)(strchr(a, SEP) - a - 1), NULL, 0);
    case F_IRI:
        if (a[0] == 'U') return out_lit(x, nd, 'U', a + 1, strlen(a + 1), NULL, 0);
        if (a[0] != 'L') return NULL;
        return fn_iri(x, nd, a + 1);
    case F_STRDT:
        if (a[0] != 'L' || v[1][0] != 'U') return NULL;
        if (!strcmp(v[1] + 1, RL_NS_XSD "string"))
            return out_lit(x, nd, 'L', a + 1, strlen(a + 1), NULL, 0);
        return out_lit(x, nd, 'T', v[1] + 1, strlen(v[1] + 1), a + 1, strlen(a + 1));
    case F_STRLANG: {
        strlit l;
        if (a[0] != 'L' || str_lit(v[1], &l) || l.lang || !l.n) return NULL;
        char lang[64];
        if (l.n >= sizeof lang) return NULL;
        for (size_t i = 0; i < l.n; i++)
            lang[i] = (char)tolower((unsigned char)l.lex[i]);
        return out_lit(x, nd, 'G', lang, l.n, a + 1, strlen(a + 1));
    }
    case F_SAMETERM:
        return out_bool(x, nd, !strcmp(a, v[1]));
    case F_ISIRI:
        return out_bool(x, nd, a[0] == 'U');
    case F_ISBLANK:
        return out_bool(x, nd, a[0] == 'B');
    case F_ISLITERAL:
        return out_bool(x, nd, a[0] == 'L' || a[0] == 'G' || a[0] == 'T');
    case F_ISNUMERIC:
        return out_bool(x, nd, is_numeric(a));
    case F_STRLEN: {
        strlit s;
        if (str_lit(a, &s)) return NULL;
        return out_int(x, nd, cp_count(s.lex, s.n));
    }
    case F_SUBSTR:
        return fn_substr(x, nd, a, v[1], n > 2 ? v[2] : NULL);
    case F_UCASE:
    case F_LCASE:
        return fn_case(x, nd, a, nd->fn == F_UCASE);
    case F_STRSTARTS:
    case F_STRENDS:
    case F_CONTAINS:
    case F_STRBEFORE:
    case F_STRAFTER:
        return fn_strpos(x, nd, nd->fn, a, v[1]);
    case F_ENCODE:
        return fn_encode(x, nd, a);
    case F_CONCAT:
        return fn_concat(x, nd, v, n);
    case F_REGEX:
        return fn_regex(x, nd, a, v[1], n > 2 ? v[2] : NULL);
    case F_REPLACE:
        return fn_replace(x, nd, a, v[1], v[2], n > 3 ? v[3] : NULL);
    case F_ABS:
    case F_ROUND:
    case F_CEIL:
    case F_FLOOR:
        return fn_round(x, nd, nd->fn, a);
    case F_MD5:
    case F_SHA1:
    case F_SHA256:
    case F_SHA384:
    case F_SHA512:
        return fn_digest(x, nd, nd->fn, a);
    case F_YEAR:
    case F_MONTH:
    case F_DAY:
    case F_HOURS:
    case F_MINUTES:
    case F_SECONDS:
    case F_TIMEZONE:
    case F_TZ:
        return fn_date(x, nd, nd->fn, a);
    default:
        return fn_cast(x, nd, nd->fn, a);
    }
}

static const char *eval(ev *x, int k)
{
    node *nd = &x->e->v[k];
    if (x->st != RL_OK) return NULL;
    switch (nd->op) {
    case OP_CONST:
        return nd->text;
    case OP_VAR:
        return x->lookup(x->ctx, nd->text);
    case OP_OR:
    case OP_AND: {
        int a = rl_expr_ebv(eval(x, nd->args[0])), b = rl_expr_ebv(eval(x, nd->args[1]));
        if (nd->op == OP_OR)
            return a == 1 || b == 1 ? out_bool(x, nd, 1)
                   : a < 0 || b < 0 ? NULL
                                    : out_bool(x, nd, 0);
        return a == 0 || b == 0 ? out_bool(x, nd, 0) : a < 0 || b < 0 ? NULL : out_bool(x, nd, 1);
    }
    case OP_NOT: {
        int a = rl_expr_ebv(eval(x, nd->args[0]));
        return a < 0 ? NULL : out_bool(x, nd, !a);
    }
    case OP_EQ:
    case OP_NE: {
        int r = equal(eval(x, nd->args[0]), eval(x, nd->args[1]));
        return r < 0 ? NULL : out_bool(x, nd, nd->op == OP_EQ ? r : !r);
    }
    case OP_LT:
    case OP_GT:
    case OP_LE:
    case OP_GE: {
        int c = order(eval(x, nd->args[0]), eval(x, nd->args[1]));
        if (c == 2) return NULL;
        int r = nd->op == OP_LT   ? c < 0
                : nd->op == OP_GT ? c > 0
                : nd->op == OP_LE ? c <= 0
                                  : c >= 0;
        return out_bool(x, nd, r);
    }
    case OP_IN:
    case OP_NOTIN: {
        const char *a = eval(x, nd->args[0]);
        int error = 0;
        for (int i = 1; i < nd->nargs; i++) {
            int r = equal(a, eval(x, nd->args[i]));
            if (r == 1) return out_bool(x, nd, nd->op == OP_IN);
            if (r < 0) error = 1;
        }
        return error ? NULL : out_bool(x, nd, nd->op == OP_NOTIN);
    }
    case OP_ADD:
    case OP_SUB:
    case OP_MUL:
    case OP_DIV: {
        const char *a = eval(x, nd->args[0]), *b = eval(x, nd->args[1]);
        return a && b ? arith(x, nd, nd->op, a, b) : NULL;
    }
    case OP_NEG:
    case OP_POS: {
        const char *a = eval(x, nd->args[0]);
        if (nd->op == OP_POS) return is_numeric(a) ? a : NULL; /* the number itself, as written */
        return a ? arith(x, nd, nd->op, a, NULL) : NULL;
    }
    case OP_CALL:
        return eval_call(x, nd);
    }
    return NULL;
}

rl_status rl_expr_eval(rl_expr *e, rl_expr_lookup_fn lookup, void *ctx, const char **value)
{
    ev x = {e, lookup, ctx, RL_OK};
    *value = eval(&x, e->root);
    if (x.st != RL_OK) *value = NULL;
    return x.st;
}
