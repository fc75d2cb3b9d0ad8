/* sparql_guard.c: the query guard: text rewrites and refusals. */
#include "sparql_guard.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Length of the string literal, IRI or comment starting at p (0 if none). */
static size_t opaque_len(const char *p)
{
    const char *s = p;
    if (*p == '#') {
        while (*p && *p != '\n') p++;
        return (size_t)(p - s);
    }
    if (*p == '<') { /* an IRI: no spaces, ends with '>'; else it is "<" the operator */
        const char *q = p + 1;
        while (*q && *q != '>' && !isspace((unsigned char)*q) && *q != '"' && *q != '{' && *q != '}') q++;
        return *q == '>' ? (size_t)(q - p + 1) : 0;
    }
    if (*p == '"' || *p == '\'') {
        char c = *p;
        int longq = p[1] == c && p[2] == c;
        p += longq ? 3 : 1;
        while (*p) {
            if (*p == '\\' && p[1]) {
                p += 2;
                continue;
            }
            if (*p == c && (!longq || (p[1] == c && p[2] == c))) return (size_t)(p + (longq ? 3 : 1) - s);
            if (!longq && *p == '\n') break;
            p++;
        }
        return (size_t)(p - s);
    }
    return 0;
}

static int word_at(const char *p, const char *w)
{
    size_t n = strlen(w);
    return !strncasecmp(p, w, n) && !isalnum((unsigned char)p[n]) && p[n] != '_';
}

/* One term of a VALUES block: an IRI, a prefixed name, a literal with its
 * @lang or ^^datatype, a number, UNDEF, true/false. */
static size_t term_len(const char *p)
{
    const char *s = p;
    size_t n = opaque_len(p);
    if (n && *p != '#') {
        p += n;
        if (*s == '"' || *s == '\'') {
            if (*p == '@') {
                p++;
                while (isalnum((unsigned char)*p) || *p == '-') p++;
            } else if (p[0] == '^' && p[1] == '^') {
                p += 2;
                size_t d = opaque_len(p);
                if (d) p += d;
                else
                    while (*p && !isspace((unsigned char)*p) && *p != '}' && *p != ')') p++;
            }
        }
        return (size_t)(p - s);
    }
    while (*p && !isspace((unsigned char)*p) && *p != '}' && *p != '(' && *p != ')' && *p != '#') p++;
    return (size_t)(p - s);
}

rl_status rl_guard_rewrite(const char *in, rl_buf *out, int *changed, char *err, size_t cap)
{
    rl_status st = RL_OK;
    const char *p = in;
    *changed = 0;
    rl_buf_clear(out);
    while (*p && st == RL_OK) {
        size_t n = opaque_len(p);
        if (n) {
            st = rl_buf_append(out, p, n);
            p += n;
            continue;
        }
        int boundary = p == in || !(isalnum((unsigned char)p[-1]) || p[-1] == '_' || p[-1] == ':');
        if (boundary && word_at(p, "VALUES")) {
            const char *q = p + 6;
            while (isspace((unsigned char)*q)) q++;
            if (*q == '?' || *q == '$') { /* short form: one variable, no parentheses */
                const char *v = q++;
                while (isalnum((unsigned char)*q) || *q == '_') q++;
                const char *vend = q;
                while (isspace((unsigned char)*q)) q++;
                if (*q == '{') {
                    st = rl_buf_puts(out, "VALUES (");
                    if (st == RL_OK) st = rl_buf_append(out, v, (size_t)(vend - v));
                    if (st == RL_OK) st = rl_buf_puts(out, ") {");
                    q++;
                    for (;;) {
                        while (isspace((unsigned char)*q)) q++;
                        if (*q == '#') {
                            q += opaque_len(q);
                            continue;
                        }
                        if (*q == '}' || !*q) break;
                        size_t t = term_len(q);
                        if (!t) break;
                        if (st == RL_OK) st = rl_buf_puts(out, " (");
                        if (st == RL_OK) st = rl_buf_append(out, q, t);
                        if (st == RL_OK) st = rl_buf_puts(out, ")");
                        q += t;
                    }
                    if (*q != '}') {
                        snprintf(err, cap, "VALUES block at offset %zu is not closed with '}'", (size_t)(p - in));
                        return RL_ERR_INPUT;
                    }
                    if (st == RL_OK) st = rl_buf_puts(out, " }");
                    p = q + 1;
                    (*changed)++;
                    continue;
                }
            }
        }
        st = rl_buf_append(out, p, 1);
        p++;
    }
    if (st == RL_ERR_LIMIT) snprintf(err, cap, "query text too long after rewriting");
    return st;
}

rl_status rl_guard_rewrite_update(const char *in, rl_buf *out, int *changed, char *err, size_t cap)
{
    rl_status st = RL_OK;
    const char *p = in;
    *changed = 0;
    rl_buf_clear(out);
    while (*p && st == RL_OK) {
        size_t n = opaque_len(p);
        if (n) {
            st = rl_buf_append(out, p, n);
            p += n;
            continue;
        }
        int boundary = p == in || !(isalnum((unsigned char)p[-1]) || p[-1] == '_' || p[-1] == ':' || p[-1] == '?' || p[-1] == '$');
        if (boundary && word_at(p, "DROP")) {
            st = rl_buf_puts(out, "CLEAR");
            p += 4;
            (*changed)++;
            continue;
        }
        st = rl_buf_append(out, p, 1);
        p++;
    }
    if (st == RL_ERR_LIMIT) snprintf(err, cap, "update text too long after rewriting");
    return st;
}

/* ---- refusals on the parsed query ---- */

typedef struct scan {
    int concat_call;
} scan;

static int visit_expr(void *ud, rasqal_expression *e)
{
    scan *s = ud;
    if (e->op != RASQAL_EXPR_CONCAT || !e->args) return 0;
    for (int i = 0; i < raptor_sequence_size(e->args); i++) {
        rasqal_expression *a = raptor_sequence_get_at(e->args, i);
        if (a && a->op != RASQAL_EXPR_LITERAL) s->concat_call = 1;
    }
    return 0;
}

static void scan_expr(scan *s, rasqal_expression *e)
{
    if (e) rasqal_expression_visit(e, visit_expr, s);
}

static int visit_gp(rasqal_query *q, rasqal_graph_pattern *gp, void *ud)
{
    (void)q;
    scan_expr(ud, rasqal_graph_pattern_get_filter_expression(gp));
    return 0;
}

rl_status rl_guard_check(rasqal_query *q, char *err, size_t cap)
{
    scan s = {0};
    raptor_sequence *vars = rasqal_query_get_bound_variable_sequence(q);
    for (int i = 0; vars && i < raptor_sequence_size(vars); i++) {
        rasqal_variable *v = raptor_sequence_get_at(vars, i);
        if (v) scan_expr(&s, v->expression);
    }
    rasqal_query_graph_pattern_visit2(q, visit_gp, &s);
    for (int i = 0; rasqal_query_get_order_condition(q, i); i++) scan_expr(&s, rasqal_query_get_order_condition(q, i));
    for (int i = 0; rasqal_query_get_group_condition(q, i); i++) scan_expr(&s, rasqal_query_get_group_condition(q, i));
    for (int i = 0; rasqal_query_get_having_condition(q, i); i++) scan_expr(&s, rasqal_query_get_having_condition(q, i));
    if (s.concat_call) {
        snprintf(err, cap, "CONCAT with a function call or expression as an argument is refused: the "
                           "SPARQL engine returns corrupted memory for it; BIND the argument to a "
                           "variable first, e.g. BIND(LCASE(?n) AS ?l) ... CONCAT(?a, ?l)");
        return RL_ERR_UNSUPPORTED;
    }
    return RL_OK;
}
