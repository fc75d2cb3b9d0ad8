/* sparql_guard.c: the query guard: text rewrites and refusals. */
#include "sparql_guard.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
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

static const char *block_end(const char *p);
static const char *skip_ws(const char *p);

/* DESCRIBE t1 t2 ... [FROM ...] [WHERE] {W} [modifiers] -> CONSTRUCT { ti ?rl_dpi ?rl_doi ... }
 * [FROM ...] WHERE { {W} OPTIONAL { ti ?rl_dpi ?rl_doi } ... } [modifiers]: every triple with
 * the resource as subject (librdf cannot run DESCRIBE).  Writes into out and returns 1, or 0
 * when the query is not a DESCRIBE, -1 for DESCRIBE * (err set). */
static int rewrite_describe(const char *in, rl_buf *out, rl_status *st, char *err, size_t cap)
{
    const char *p = skip_ws(in);
    while (word_at(p, "PREFIX") || word_at(p, "BASE")) { /* the prologue */
        const char *q = p;
        while (*q && *q != '<') q++;
        size_t n = *q ? opaque_len(q) : 0;
        if (!n) return 0;
        p = skip_ws(q + n);
    }
    if (!word_at(p, "DESCRIBE")) return 0;
    const char *prologue_end = p;
    p = skip_ws(p + 8);
    const char *terms[32];
    size_t tl[32], nt = 0;
    while (*p && *p != '{' && !word_at(p, "WHERE") && !word_at(p, "FROM") && !word_at(p, "LIMIT") &&
           !word_at(p, "ORDER") && !word_at(p, "OFFSET")) {
        if (*p == '*') {
            snprintf(err, cap, "DESCRIBE * is not supported yet: name the variables or IRIs to describe");
            return -1;
        }
        size_t n = *p == '<' ? opaque_len(p) : 0;
        if (!n)
            while (p[n] && !isspace((unsigned char)p[n]) && p[n] != '{' && p[n] != '#') n++;
        if (!n || nt == 32) break;
        terms[nt] = p, tl[nt++] = n;
        p = skip_ws(p + n);
    }
    const char *from = p;
    while (word_at(p, "FROM")) { /* keep the dataset clauses */
        p = skip_ws(p + 4);
        if (word_at(p, "NAMED")) p = skip_ws(p + 5);
        p = skip_ws(p + (*p == '<' ? opaque_len(p) : 0));
    }
    const char *from_end = p;
    if (word_at(p, "WHERE")) p = skip_ws(p + 5);
    const char *w = NULL, *w_end = p;
    if (*p == '{' && (w_end = block_end(p))) w = p;
    else w_end = p;
    *st = rl_buf_append(out, in, (size_t)(prologue_end - in));
    if (*st == RL_OK) *st = rl_buf_puts(out, "CONSTRUCT {");
    for (size_t i = 0; i < nt && *st == RL_OK; i++) {
        *st = rl_buf_puts(out, " ");
        if (*st == RL_OK) *st = rl_buf_append(out, terms[i], tl[i]);
        if (*st == RL_OK) *st = rl_buf_printf(out, " ?rl_dp%zu ?rl_do%zu .", i, i);
    }
    if (*st == RL_OK) *st = rl_buf_puts(out, " } ");
    if (*st == RL_OK) *st = rl_buf_append(out, from, (size_t)(from_end - from));
    if (*st == RL_OK) *st = rl_buf_puts(out, " WHERE { ");
    if (w && *st == RL_OK) *st = rl_buf_append(out, w, (size_t)(w_end - w));
    for (size_t i = 0; i < nt && *st == RL_OK; i++) {
        *st = rl_buf_puts(out, " OPTIONAL { ");
        if (*st == RL_OK) *st = rl_buf_append(out, terms[i], tl[i]);
        if (*st == RL_OK) *st = rl_buf_printf(out, " ?rl_dp%zu ?rl_do%zu }", i, i);
    }
    if (*st == RL_OK) *st = rl_buf_puts(out, " } ");
    if (*st == RL_OK) *st = rl_buf_puts(out, w_end);
    return 1;
}

rl_status rl_guard_rewrite(const char *in, rl_buf *out, int *changed, char *err, size_t cap)
{
    rl_status st = RL_OK;
    *changed = 0;
    rl_buf_clear(out);
    /* DESCRIBE first: the CONSTRUCT it becomes then goes through the rest */
    rl_buf desc;
    rl_buf_init(&desc, out->max);
    int d = rewrite_describe(in, &desc, &st, err, cap);
    if (d < 0) {
        rl_buf_free(&desc);
        return RL_ERR_UNSUPPORTED;
    }
    if (d > 0 && st == RL_OK) {
        (*changed)++;
        int more = 0;
        char *copy = strdup(desc.data ? (const char *)desc.data : "");
        rl_buf_free(&desc);
        if (!copy) return RL_ERR_NOMEM;
        st = rl_guard_rewrite(copy, out, &more, err, cap);
        free(copy);
        *changed += more;
        return st;
    }
    rl_buf_free(&desc);
    if (st != RL_OK) return st;
    const char *p = in;
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

/* The end of the balanced { ... } block starting at p ('{'), or NULL. */
static const char *block_end(const char *p)
{
    int depth = 0;
    for (; *p; p++) {
        size_t n = opaque_len(p);
        if (n) {
            p += n - 1;
            continue;
        }
        if (*p == '{') depth++;
        else if (*p == '}' && --depth == 0) return p + 1;
    }
    return NULL;
}

static const char *skip_ws(const char *p)
{
    for (;;) {
        while (isspace((unsigned char)*p)) p++;
        if (*p != '#') return p;
        p += opaque_len(p);
    }
}

/* Whether the GRAPH keyword at p names a graph of ADD / COPY / MOVE (after
 * the keyword, after SILENT, or after TO), which rasqal cannot parse. */
static int ops_graph_ref(const char *in, const char *p)
{
    const char *q = p;
    while (q > in && isspace((unsigned char)q[-1])) q--;
    const char *w = q;
    while (w > in && isalpha((unsigned char)w[-1])) w--;
    size_t n = (size_t)(q - w);
    if (n == 2 && !strncasecmp(w, "TO", 2)) return 1;
    if (n == 6 && !strncasecmp(w, "SILENT", 6)) {
        q = w;
        while (q > in && isspace((unsigned char)q[-1])) q--;
        w = q;
        while (w > in && isalpha((unsigned char)w[-1])) w--;
        n = (size_t)(q - w);
    }
    return (n == 3 && !strncasecmp(w, "ADD", 3)) || (n == 4 && (!strncasecmp(w, "COPY", 4) || !strncasecmp(w, "MOVE", 4)));
}

/* "[WITH <g>] DELETE {D} INSERT {I} [USING ...] WHERE {W}" at p: writes
 * "[WITH <g>] DELETE {D} WHERE {W} ; [WITH <g>] INSERT {I} WHERE {W}" and
 * returns the end of the operation, or NULL when p is not that form.  Both
 * halves are solved against the store as it was before the request
 * (update.c), which is the combined form's meaning. */
static const char *split_delete_insert(const char *in, const char *p, rl_buf *out, rl_status *st)
{
    const char *with = NULL, *with_end = NULL, *q = p;
    if (word_at(q, "WITH")) {
        with = q;
        q = skip_ws(q + 4);
        size_t n = opaque_len(q); /* <iri> */
        if (!n) {
            while (*q && !isspace((unsigned char)*q)) q++; /* prefixed name */
        } else
            q += n;
        with_end = q;
        q = skip_ws(q);
    }
    if (!word_at(q, "DELETE")) return NULL;
    const char *d = skip_ws(q + 6);
    if (*d != '{') return NULL;
    const char *d_end = block_end(d);
    if (!d_end) return NULL;
    const char *i = skip_ws(d_end);
    if (!word_at(i, "INSERT")) return NULL;
    const char *ib = skip_ws(i + 6);
    if (*ib != '{') return NULL;
    const char *i_end = block_end(ib);
    if (!i_end) return NULL;
    const char *w = skip_ws(i_end);
    if (!word_at(w, "WHERE")) return NULL;
    const char *wb = skip_ws(w + 5);
    if (*wb != '{') return NULL;
    const char *w_end = block_end(wb);
    if (!w_end) return NULL;
    (void)in;
    size_t wl = with ? (size_t)(with_end - with) : 0;
    if (with) *st = rl_buf_append(out, with, wl), *st = *st == RL_OK ? rl_buf_puts(out, " ") : *st;
    if (*st == RL_OK) *st = rl_buf_puts(out, "DELETE ");
    if (*st == RL_OK) *st = rl_buf_append(out, d, (size_t)(d_end - d));
    if (*st == RL_OK) *st = rl_buf_puts(out, " WHERE ");
    if (*st == RL_OK) *st = rl_buf_append(out, wb, (size_t)(w_end - wb));
    if (*st == RL_OK) *st = rl_buf_puts(out, " ;\n" RL_GUARD_SPLIT_MARK "\n");
    if (with && *st == RL_OK) *st = rl_buf_append(out, with, wl), *st = *st == RL_OK ? rl_buf_puts(out, " ") : *st;
    if (*st == RL_OK) *st = rl_buf_puts(out, "INSERT ");
    if (*st == RL_OK) *st = rl_buf_append(out, ib, (size_t)(i_end - ib));
    if (*st == RL_OK) *st = rl_buf_puts(out, " WHERE ");
    if (*st == RL_OK) *st = rl_buf_append(out, wb, (size_t)(w_end - wb));
    return w_end;
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
        if (boundary && (word_at(p, "WITH") || word_at(p, "DELETE"))) {
            const char *end = split_delete_insert(in, p, out, &st);
            if (end) {
                p = end;
                (*changed)++;
                continue;
            }
        }
        if (boundary && word_at(p, "DELETE")) { /* DELETE WHERE {P} -> DELETE {P} WHERE {P} */
            const char *w = skip_ws(p + 6);
            if (word_at(w, "WHERE")) {
                const char *b = skip_ws(w + 5), *e = *b == '{' ? block_end(b) : NULL;
                if (e) {
                    st = rl_buf_puts(out, "DELETE ");
                    if (st == RL_OK) st = rl_buf_append(out, b, (size_t)(e - b));
                    if (st == RL_OK) st = rl_buf_puts(out, " WHERE ");
                    if (st == RL_OK) st = rl_buf_append(out, b, (size_t)(e - b));
                    p = e;
                    (*changed)++;
                    continue;
                }
            }
        }
        if (boundary && word_at(p, "USING")) { /* kept for update.c as a comment rasqal skips */
            const char *q = skip_ws(p + 5);
            int named = word_at(q, "NAMED");
            if (named) q = skip_ws(q + 5);
            size_t n = *q == '<' ? opaque_len(q) : 0;
            if (!n) /* a prefixed name: the SELECT update.c makes keeps the prologue */
                while (q[n] && !isspace((unsigned char)q[n]) && q[n] != '{' && q[n] != '#') n++;
            if (n) {
                st = rl_buf_puts(out, named ? "\n#USING-NAMED " : "\n" RL_GUARD_USING_MARK " ");
                if (st == RL_OK) st = rl_buf_append(out, q, n);
                if (st == RL_OK) st = rl_buf_puts(out, "\n");
                p = q + n;
                (*changed)++;
                continue;
            }
        }
        if (boundary && word_at(p, "GRAPH") && ops_graph_ref(in, p)) { /* ADD/COPY/MOVE GRAPH <g> */
            p += 5;
            (*changed)++;
            continue;
        }
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
