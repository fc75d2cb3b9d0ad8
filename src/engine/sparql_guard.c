/* sparql_guard.c: the query guard: text rewrites and refusals. */
#include "sparql_guard.h"

#include "arena.h"
#include "results.h"
#include "sparql_lex.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
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
            } else if (*q == '(') { /* VALUES () { () ... }: rasqal crashes on it */
                const char *r = q + 1;
                while (isspace((unsigned char)*r)) r++;
                if (*r == ')') {
                    for (r++; isspace((unsigned char)*r);) r++;
                    size_t rows = 0;
                    if (*r == '{')
                        for (r++;;) {
                            while (isspace((unsigned char)*r)) r++;
                            if (*r != '(') break;
                            for (r++; isspace((unsigned char)*r);) r++;
                            if (*r != ')') break;
                            r++, rows++;
                        }
                    if (*r != '}') {
                        snprintf(err, cap, "VALUES () block at offset %zu: expected () rows and '}'", (size_t)(p - in));
                        return RL_ERR_INPUT;
                    }
                    /* the same number of empty solutions, through a hidden variable */
                    st = rl_buf_printf(out, "VALUES (?" RL_HIDDEN_VAR_PREFIX "nv%zu) {", (size_t)(p - in));
                    for (size_t k = 0; k < rows && st == RL_OK; k++) st = rl_buf_puts(out, " (0)");
                    if (st == RL_OK) st = rl_buf_puts(out, " }");
                    p = r + 1;
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

/* The end of the graph reference after WITH at p (an IRI or a prefixed
 * name). */
static const char *with_ref_end(const char *p)
{
    const char *q = skip_ws(p + 4);
    size_t n = opaque_len(q); /* <iri> */
    if (n && *q == '<') return q + n;
    while (*q && !isspace((unsigned char)*q) && *q != '{' && *q != '#') q++; /* prefixed name */
    return q;
}

/* "WITH <g>" (with .. end) as the comment update.c reads: rasqal would
 * otherwise put every template triple into <g>, GRAPH blocks included, and
 * forget <g> for the WHERE. */
static rl_status with_mark(rl_buf *out, const char *with, const char *end)
{
    const char *ref = skip_ws(with + 4);
    rl_status st = rl_buf_puts(out, "\n" RL_GUARD_WITH_MARK " ");
    if (st == RL_OK) st = rl_buf_append(out, ref, (size_t)(end - ref));
    return st == RL_OK ? rl_buf_puts(out, "\n") : st;
}

/* INSERT DATA / DELETE DATA at p whose block holds more than one part (the
 * default graph's triples, GRAPH blocks): rasqal 0.9.33 takes one part
 * only.  Writes one operation per part, "; "-joined, and returns the end
 * of the block; NULL when p is not that form (nothing written). */
static const char *split_data(const char *p, rl_buf *out, rl_status *st)
{
    const char *kwe = p + 6, *d = skip_ws(kwe);
    if (!word_at(d, "DATA")) return NULL;
    const char *b = skip_ws(d + 4);
    if (*b != '{') return NULL;
    const char *e = block_end(b);
    if (!e) return NULL;
    /* the parts: GRAPH g { ... } blocks, and the triples around them */
    const char *parts[64][2];
    int np = 0, graphs = 0, plain = 0;
    const char *q = skip_ws(b + 1), *run = NULL;
    while (q < e - 1) {
        int start = !(isalnum((unsigned char)q[-1]) || q[-1] == '_' || q[-1] == ':');
        if (start && word_at(q, "GRAPH")) {
            const char *gb = q + 5;
            while (gb < e - 1 && *gb != '{') gb += opaque_len(gb) ? opaque_len(gb) : 1;
            const char *ge = *gb == '{' ? block_end(gb) : NULL;
            if (!ge || np >= 62) return NULL; /* rasqal says what is wrong */
            if (run) parts[np][0] = run, parts[np++][1] = q, plain++, run = NULL;
            parts[np][0] = q, parts[np++][1] = ge, graphs++;
            q = skip_ws(ge);
            continue;
        }
        if (!run) run = q;
        size_t n = opaque_len(q);
        q = skip_ws(q + (n ? n : 1));
    }
    if (run) parts[np][0] = run, parts[np++][1] = e - 1, plain++;
    if (graphs + (plain ? 1 : 0) < 2) return NULL;
    for (int i = 0; i < np && *st == RL_OK; i++) {
        if (i) *st = rl_buf_puts(out, " ;\n");
        if (*st == RL_OK) *st = rl_buf_append(out, p, (size_t)(kwe - p));
        if (*st == RL_OK) *st = rl_buf_puts(out, " DATA { ");
        if (*st == RL_OK) *st = rl_buf_append(out, parts[i][0], (size_t)(parts[i][1] - parts[i][0]));
        if (*st == RL_OK) *st = rl_buf_puts(out, " }");
    }
    return e;
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
        with_end = with_ref_end(q);
        q = skip_ws(with_end);
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
    if (with) *st = with_mark(out, with, with_end);
    if (*st == RL_OK) *st = rl_buf_puts(out, "DELETE ");
    if (*st == RL_OK) *st = rl_buf_append(out, d, (size_t)(d_end - d));
    if (*st == RL_OK) *st = rl_buf_puts(out, " WHERE ");
    if (*st == RL_OK) *st = rl_buf_append(out, wb, (size_t)(w_end - wb));
    if (*st == RL_OK) *st = rl_buf_puts(out, " ;\n" RL_GUARD_SPLIT_MARK "\n");
    if (with && *st == RL_OK) *st = with_mark(out, with, with_end);
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
        if (boundary && word_at(p, "WITH")) { /* WITH <g> (not the combined form) */
            const char *end = with_ref_end(p);
            st = with_mark(out, p, end);
            p = end;
            (*changed)++;
            continue;
        }
        if (boundary && (word_at(p, "INSERT") || word_at(p, "DELETE"))) {
            const char *end = split_data(p, out, &st);
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
                st = rl_buf_puts(out, named ? "\n" RL_GUARD_USING_NAMED_MARK " " : "\n" RL_GUARD_USING_MARK " ");
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

/* ---- additive chains ---- */

/* rasqal 0.9.33's parser overflows the heap (raptor_sequence_join) on an
 * additive chain of four or more terms at one level, `a + b - c + d`; a
 * left-nested `((a + b) - c) + d` is the same expression and parses. */
typedef struct chains {
    const rl_tok *t;
    size_t n;
    unsigned short *open, *shut; /* '(' / ')' to write before token i */
    unsigned char *gap;          /* a space to write before token i */
    int changed, depth;
} chains;

static size_t chain_close(const chains *c, size_t i) { return rl_toks_close(c->t, c->n, i); }

static int chain_is(const chains *c, size_t i, const char *w) { return i < c->n && rl_tok_is(&c->t[i], w); }

/* Does token i end an operand (so a + or - after it is binary)? */
static int chain_operand_end(const chains *c, size_t i)
{
    const rl_tok *t = &c->t[i];
    return t->kind == RL_TOK_VAR || t->kind == RL_TOK_NUMBER || t->kind == RL_TOK_STRING || t->kind == RL_TOK_LANG ||
           t->kind == RL_TOK_IRI || t->kind == RL_TOK_PNAME || chain_is(c, i, ")") || chain_is(c, i, "true") ||
           chain_is(c, i, "false");
}

static int chain_boundary(const chains *c, size_t i)
{
    static const char *const b[] = {",", "||", "&&", "=", "!=", "<", ">", "<=", ">=", ";", "AS", "IN", "NOT", NULL};
    for (int k = 0; b[k]; k++)
        if (chain_is(c, i, b[k])) return 1;
    return 0;
}

static void chains_scan(chains *c, size_t a, size_t b);

/* The expression inside the brackets open .. close. */
static void chains_expr(chains *c, size_t open, size_t close)
{
    if (++c->depth > 64) { /* deeper than any real query: left as written */
        c->depth--;
        return;
    }
    size_t start = open + 1, ops[64];
    int nops = 0;
    long last = -1; /* the previous token at this level */
    for (size_t k = open + 1; k <= close; k++) {
        int end = k == close || chain_boundary(c, k);
        if (end) {
            if (nops >= 3) { /* four terms or more */
                c->open[start] += (unsigned short)(nops - 1);
                for (int j = 1; j < nops; j++) c->shut[ops[j]]++;
                c->changed++;
            }
            nops = 0, start = k + 1, last = -1;
            continue;
        }
        if (chain_is(c, k, "(")) {
            size_t e = chain_close(c, k);
            if (e > close) break;
            chains_expr(c, k, e);
            last = (long)e, k = e;
        } else if (chain_is(c, k, "{")) { /* EXISTS { ... }: patterns, with their own filters */
            size_t e = chain_close(c, k);
            if (e > close) break;
            chains_scan(c, k + 1, e);
            last = (long)e, k = e;
        } else if ((chain_is(c, k, "+") || chain_is(c, k, "-")) && last >= 0 && chain_operand_end(c, (size_t)last)) {
            if (nops < 64) ops[nops++] = k;
            else nops = 0, start = k + 1; /* a chain past 64 terms: its head stays as written */
            /* "5-2": rasqal reads a negative literal -2 and computes 5 - -2 = 7 */
            if (chain_is(c, k, "-") && k + 1 < close && c->t[k + 1].kind == RL_TOK_NUMBER && !c->t[k + 1].space)
                c->gap[k + 1] = 1, c->changed++;
            last = (long)k;
        } else {
            last = (long)k;
        }
    }
    c->depth--;
}

/* Tokens a .. b: every expression position (FILTER, BIND, HAVING, ORDER BY,
 * GROUP BY, the SELECT clause) handed to chains_expr. */
static void chains_scan(chains *c, size_t a, size_t b)
{
    int clause = 0; /* 1: in a SELECT clause or a solution modifier, where ( starts an expression */
    for (size_t k = a; k < b; k++) {
        if (chain_is(c, k, "SELECT") || chain_is(c, k, "HAVING") || (chain_is(c, k, "BY") && k > a)) clause = 1;
        else if (chain_is(c, k, "WHERE") || chain_is(c, k, "{") || chain_is(c, k, "}") || chain_is(c, k, "LIMIT") ||
                 chain_is(c, k, "OFFSET") || chain_is(c, k, "VALUES"))
            clause = 0;
        if (!chain_is(c, k, "(")) continue;
        int expr = clause;
        if (k > a && (chain_is(c, k - 1, "FILTER") || chain_is(c, k - 1, "BIND"))) expr = 1;
        if (k > a + 1 && chain_is(c, k - 2, "FILTER") && c->t[k - 1].kind != RL_TOK_PUNCT) expr = 1; /* FILTER f(..) */
        if (!expr) continue;
        size_t e = chain_close(c, k);
        if (e >= b) return;
        chains_expr(c, k, e);
        k = e;
    }
}

rl_status rl_guard_rewrite_chains(const char *in, rl_buf *out, int *changed, char *err, size_t cap)
{
    rl_toks toks = {0};
    *changed = 0;
    rl_buf_clear(out);
    if (!strchr(in, '+') && !strchr(in, '-')) return rl_buf_puts(out, in);
    if (rl_lex(in, &toks, 0, err, cap) != RL_OK) { /* rasqal will say what is wrong */
        if (cap) err[0] = 0;
        return rl_buf_puts(out, in);
    }
    chains c = {toks.v, toks.n, calloc(toks.n + 1, sizeof *c.open), calloc(toks.n + 1, sizeof *c.shut),
                calloc(toks.n + 1, 1), 0, 0};
    rl_status st = c.open && c.shut && c.gap ? RL_OK : RL_ERR_NOMEM;
    if (st == RL_OK) chains_scan(&c, 0, c.n);
    if (st == RL_OK && !c.changed) st = rl_buf_puts(out, in);
    else if (st == RL_OK) {
        const char *prev = in;
        for (size_t i = 0; i < c.n && st == RL_OK; i++) {
            const rl_tok *t = &c.t[i];
            st = rl_buf_append(out, prev, (size_t)(t->p - prev)); /* the text before it, comments included */
            for (unsigned k = 0; k < c.shut[i] && st == RL_OK; k++) st = rl_buf_puts(out, ")");
            for (unsigned k = 0; k < c.open[i] && st == RL_OK; k++) st = rl_buf_puts(out, "(");
            if (c.gap[i] && st == RL_OK) st = rl_buf_puts(out, " ");
            if (st == RL_OK) st = rl_buf_append(out, t->p, t->n);
            prev = t->p + t->n;
        }
        if (st == RL_OK) st = rl_buf_puts(out, prev);
        *changed = c.changed;
    }
    if (st == RL_ERR_LIMIT) snprintf(err, cap, "query text too long after rewriting");
    free(c.open);
    free(c.shut);
    free(c.gap);
    rl_toks_free(&toks);
    return st;
}

/* ---- BIND sees only what precedes it in its group ---- */

/* Whether a variable token named like t occurs in t[a..b). */
static int var_in(const rl_tok *v, const rl_tok *t, size_t a, size_t b)
{
    for (size_t i = a; i < b; i++)
        if (t[i].kind == RL_TOK_VAR && t[i].n == v->n && !memcmp(t[i].p + 1, v->p + 1, v->n - 1)) return 1;
    return 0;
}

rl_status rl_guard_rewrite_bind_scope(const char *in, rl_buf *out, int *changed, char *err, size_t cap)
{
    rl_toks toks = {0};
    *changed = 0;
    rl_buf_clear(out);
    if (!strcasestr(in, "BIND")) return rl_buf_puts(out, in);
    if (rl_lex(in, &toks, 0, err, cap) != RL_OK) { /* rasqal will say what is wrong */
        if (cap) err[0] = 0;
        return rl_buf_puts(out, in);
    }
    const rl_tok *t = toks.v;
    size_t n = toks.n, depth = 0;
    size_t *open = calloc(n + 1, sizeof *open); /* the '{' of each open group */
    char *hide = calloc(n + 1, 1);              /* variable tokens to rename */
    char *wrap = calloc(n + 1, 1);              /* 1: OPTIONAL { before, 2: } after */
    rl_status st = open && hide && wrap ? RL_OK : RL_ERR_NOMEM;
    for (size_t i = 0; i < n && st == RL_OK; i++) {
        if (rl_tok_is(&t[i], "{")) open[depth++] = i;
        else if (rl_tok_is(&t[i], "}") && depth) depth--;
        if (!depth || i + 1 >= n || !rl_tok_is(&t[i], "BIND") || !rl_tok_is(&t[i + 1], "(")) continue;
        size_t c = rl_toks_close(t, n, i + 1), as = c;
        int group = 0; /* EXISTS inside: left as written */
        for (size_t k = i + 2; k < c; k++) group |= rl_tok_is(&t[k], "{");
        for (size_t k = i + 2; k < c && !group; k++) {
            if (rl_tok_is(&t[k], "(")) k = rl_toks_close(t, n, k);
            else if (rl_tok_is(&t[k], "AS")) as = k;
        }
        if (group || c >= n || as >= c) continue;
        int hidden = 0, seen = 0;
        for (size_t k = i + 2; k < as; k++) {
            if (t[k].kind != RL_TOK_VAR) continue;
            if (var_in(&t[k], t, open[depth - 1] + 1, i)) seen = 1;
            else hide[k] = 1, hidden = 1, (*changed)++;
        }
        /* nothing of the group left in it: as OPTIONAL { BIND } it keeps the
         * row when the expression fails (rasqal drops the row) */
        if (hidden && !seen) wrap[i] = 1, wrap[c] = 2;
    }
    if (st == RL_OK && !*changed) st = rl_buf_puts(out, in);
    else if (st == RL_OK) { /* each renamed one becomes a hidden variable nothing binds */
        const char *prev = in;
        for (size_t i = 0; i < n && st == RL_OK; i++) {
            if (!hide[i] && !wrap[i]) continue;
            st = rl_buf_append(out, prev, (size_t)(t[i].p - prev));
            if (st == RL_OK && wrap[i] == 1) /* the BIND gives the OPTIONAL one row to extend, even first in a group */
                st = rl_buf_printf(out, " BIND(0 AS ?" RL_HIDDEN_VAR_PREFIX "one%zu) OPTIONAL { ", i);
            if (st == RL_OK && hide[i])
                st = rl_buf_printf(out, "?" RL_HIDDEN_VAR_PREFIX "unbound_%.*s", (int)t[i].n - 1, t[i].p + 1);
            else if (st == RL_OK) st = rl_buf_append(out, t[i].p, t[i].n);
            if (st == RL_OK && wrap[i] == 2) st = rl_buf_puts(out, " }");
            prev = t[i].p + t[i].n;
        }
        if (st == RL_OK) st = rl_buf_puts(out, prev);
    }
    if (st == RL_ERR_LIMIT) snprintf(err, cap, "query text too long after rewriting");
    free(open);
    free(hide);
    free(wrap);
    rl_toks_free(&toks);
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

static const char concat_refusal[] =
    "CONCAT with a function call or expression as an argument is refused: the "
    "SPARQL engine returns corrupted memory for it; BIND the argument to a "
    "variable first, e.g. BIND(LCASE(?n) AS ?l) ... CONCAT(?a, ?l)";

/* Whether t[a..b) is one plain term: a variable, number, IRI, prefixed
 * name, true / false, or a string with its tag or datatype. */
static int plain_term(const rl_tok *t, size_t a, size_t b)
{
    if (b == a + 1)
        return t[a].kind == RL_TOK_VAR || t[a].kind == RL_TOK_NUMBER || t[a].kind == RL_TOK_IRI ||
               t[a].kind == RL_TOK_PNAME || t[a].kind == RL_TOK_STRING || rl_tok_is(&t[a], "true") ||
               rl_tok_is(&t[a], "false");
    if (t[a].kind != RL_TOK_STRING) return 0;
    if (b == a + 2) return t[a + 1].kind == RL_TOK_LANG;
    return b == a + 3 && rl_tok_is(&t[a + 1], "^^") && (t[a + 2].kind == RL_TOK_IRI || t[a + 2].kind == RL_TOK_PNAME);
}

rl_status rl_guard_check_text(const char *text, char *err, size_t cap)
{
    if (!strcasestr(text, "CONCAT")) return RL_OK;
    rl_toks toks = {0};
    if (rl_lex(text, &toks, 0, err, cap) != RL_OK) { /* rasqal will say what is wrong */
        if (cap) err[0] = 0;
        return RL_OK;
    }
    rl_status st = RL_OK;
    const rl_tok *t = toks.v;
    for (size_t i = 0; i + 1 < toks.n && st == RL_OK; i++) {
        if (t[i].kind != RL_TOK_NAME || !rl_tok_is(&t[i], "CONCAT") || !rl_tok_is(&t[i + 1], "(")) continue;
        size_t c = rl_toks_close(t, toks.n, i + 1), a = i + 2;
        for (size_t k = a; k <= c && k < toks.n && st == RL_OK; k++) {
            if (k < c && !rl_tok_is(&t[k], ",")) {
                if (rl_tok_is(&t[k], "(") || rl_tok_is(&t[k], "[") || rl_tok_is(&t[k], "{")) k = rl_toks_close(t, toks.n, k);
                continue;
            }
            if (k > a && !plain_term(t, a, k)) st = RL_ERR_UNSUPPORTED;
            a = k + 1;
        }
    }
    if (st != RL_OK) snprintf(err, cap, "%s", concat_refusal);
    rl_toks_free(&toks);
    return st;
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
        snprintf(err, cap, "%s", concat_refusal);
        return RL_ERR_UNSUPPORTED;
    }
    return RL_OK;
}

/* ---- the pattern rewrite: prologue, property paths, EXISTS, MINUS ----
 *
 * Works on tokens (sparql_lex.h), group by group, and writes rasqal-ready
 * SPARQL.  Every variable it introduces starts with RL_HIDDEN_VAR_PREFIX, so
 * it can neither meet a user's variable nor be written in a result.  See the
 * table in sparql_guard.h for each form and docs/modules/query-results.md for
 * why each translation is exact (and the two places where it is not). */

#define RW_MAX_NEST 64      /* groups within groups */
#define RW_MAX_RENAME 1024  /* variables renamed at once */
#define RW_MAX_VARS 256     /* distinct variables in one EXISTS / MINUS body */
#define RW_TOP ((size_t)-1) /* the scope outside every EXISTS / MINUS body */

typedef struct rw_rename {
    const char *from; /* name without the sigil */
    size_t n;
    const char *to;   /* "?rl__..." */
} rw_rename;

typedef struct rw_path rw_path;
struct rw_path {
    char kind;          /* 'L' link, '^' inverse, '/' sequence, '|' alternative,
                           '*' '+' '?' modifiers, '!' negated property set */
    const char *iri;    /* 'L' */
    rw_path *a, *b;
    const char **fwd, **inv; /* '!' */
    int nf, ni;
};

typedef struct rw {
    const rl_tok *t;
    size_t n;
    const rl_guard_env *env;
    rl_arena *ar;
    rl_status st;
    char *err;
    size_t cap;
    unsigned fresh;
    rw_rename ren[RW_MAX_RENAME];
    size_t nren;
    int nest;
    int changed;
    unsigned ground; /* ground triples rewritten inside GRAPH (rw_emit_path) */
    size_t *scope, *scope_end; /* rw_scopes() */
    unsigned char *infilter;
    rl_buf prologue; /* BASE and PREFIX, for the step queries */
    rl_buf dataset;  /* FROM and FROM NAMED, for the step queries */
} rw;

static int rw_fail(rw *r, rl_status s, const rl_tok *at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int rw_fail(rw *r, rl_status s, const rl_tok *at, const char *fmt, ...)
{
    if (r->st) return 0;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *kind = s == RL_ERR_INPUT ? "SPARQL syntax error: " : "";
    if (at) snprintf(r->err, r->cap, "%sline %d: %s", kind, at->line, msg);
    else snprintf(r->err, r->cap, "%s%s", kind, msg);
    r->st = s;
    return 0;
}

static void rw_put(rw *r, rl_buf *b, const char *s)
{
    rl_status st;
    if (!r->st && (st = rl_buf_puts(b, s)) != RL_OK)
        rw_fail(r, st, NULL, st == RL_ERR_LIMIT ? "the rewritten query is too long" : "out of memory");
}

static void rw_putf(rw *r, rl_buf *b, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void rw_putf(rw *r, rl_buf *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        rw_fail(r, RL_ERR_LIMIT, NULL, "a term of the query is too long to rewrite");
        return;
    }
    rw_put(r, b, tmp);
}

static char *rw_strf(rw *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *rw_strf(rw *r, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    char *s = n >= 0 && (size_t)n < sizeof tmp ? rl_arena_strndup(r->ar, tmp, (size_t)n) : NULL;
    if (!s) rw_fail(r, RL_ERR_NOMEM, NULL, "out of memory (or a term too long) while rewriting");
    return s ? s : (char *)"";
}

/* A fresh hidden variable "?rl__<tag><n>". */
static char *rw_fresh(rw *r, const char *tag) { return rw_strf(r, "?" RL_HIDDEN_VAR_PREFIX "%s%u", tag, ++r->fresh); }

static int tok_var_is(const rl_tok *t, const char *name, size_t n)
{
    return t->kind == RL_TOK_VAR && t->n == n + 1 && !memcmp(t->p + 1, name, n);
}

/* The text a token is written as: a variable through the renames in force. */
static const char *rw_tok_text(rw *r, const rl_tok *t, size_t *len)
{
    if (t->kind == RL_TOK_VAR)
        for (size_t k = r->nren; k-- > 0;)
            if (tok_var_is(t, r->ren[k].from, r->ren[k].n)) {
                *len = strlen(r->ren[k].to);
                return r->ren[k].to;
            }
    if (t->kind == RL_TOK_BNODE) { /* a blank node in a pattern is a variable: it must cross subqueries */
        const char *s = rw_strf(r, "?" RL_HIDDEN_VAR_PREFIX "bn_%.*s", (int)(t->n - 2), t->p + 2);
        for (char *c = (char *)s; *c; c++)
            if (!isalnum((unsigned char)*c) && *c != '_' && *c != '?') *c = '_';
        *len = strlen(s);
        return s;
    }
    *len = t->n;
    return t->p;
}

/* Writes token i as given (variables through the renames; blank nodes as
 * written: only a rewritten triples block turns them into variables). */
static void rw_put_tok(rw *r, rl_buf *b, size_t i)
{
    const rl_tok *t = &r->t[i];
    size_t n = t->n;
    const char *s = t->kind == RL_TOK_BNODE ? t->p : rw_tok_text(r, t, &n);
    if (r->st) return;
    rl_status st = RL_OK;
    if (t->space) st = rl_buf_append(b, t->space == 2 ? "\n" : " ", 1); /* line numbers survive */
    if (!st) st = rl_buf_append(b, s, n);
    if (st) rw_fail(r, st, t, "the rewritten query is too long");
}

static void rw_copy(rw *r, rl_buf *b, size_t from, size_t to)
{
    for (size_t i = from; i < to && !r->st; i++) rw_put_tok(r, b, i);
}

/* Index of the bracket closing the one at i ({ ( [). */
static size_t rw_close(rw *r, size_t i)
{
    const char *open = r->t[i].p;
    char o = *open, c = o == '{' ? '}' : o == '(' ? ')' : ']';
    int depth = 0;
    for (size_t k = i; k < r->n; k++) {
        const rl_tok *t = &r->t[k];
        if (t->kind != RL_TOK_PUNCT || t->n != 1) continue;
        if (*t->p == o) depth++;
        else if (*t->p == c && --depth == 0) return k;
    }
    rw_fail(r, RL_ERR_INPUT, &r->t[i], "'%c' is not closed", o);
    return r->n;
}

static int rw_is(rw *r, size_t i, const char *w) { return i < r->n && rl_tok_is(&r->t[i], w); }

/* Does variable `name` occur in scope outside the body [a, b] (a = its
 * '{')?  Only where it can be bound in a scope around the body: not in a
 * FILTER constraint, not in another EXISTS or MINUS body. */
static int rw_var_outside(rw *r, const char *name, size_t n, size_t a, size_t b)
{
    for (size_t k = 0; k < r->n; k++) {
        if ((k >= a && k <= b) || !tok_var_is(&r->t[k], name, n) || r->infilter[k]) continue;
        size_t sc = r->scope[k];
        if (sc == RW_TOP || (sc < a && r->scope_end[sc] > b)) return 1;
    }
    return 0;
}

/* Distinct variables of tokens [a, b]. */
static size_t rw_vars(rw *r, size_t a, size_t b, const rl_tok **out, size_t max)
{
    size_t nv = 0;
    for (size_t k = a; k <= b && k < r->n; k++) {
        const rl_tok *t = &r->t[k];
        if (t->kind != RL_TOK_VAR) continue;
        size_t j = 0;
        while (j < nv && !(out[j]->n == t->n && !memcmp(out[j]->p + 1, t->p + 1, t->n - 1))) j++;
        if (j < nv) continue;
        if (nv == max) {
            rw_fail(r, RL_ERR_LIMIT, t, "more than %zu variables in one EXISTS or MINUS", max);
            return nv;
        }
        out[nv++] = t;
    }
    return nv;
}

static void rw_push_rename(rw *r, const rl_tok *v, const char *to)
{
    if (r->nren == RW_MAX_RENAME) {
        rw_fail(r, RL_ERR_LIMIT, v, "too many nested EXISTS / MINUS variables");
        return;
    }
    r->ren[r->nren++] = (rw_rename){v->p + 1, v->n - 1, to};
}

/* The written form of variable token v at the current renames. */
static const char *rw_var_text(rw *r, const rl_tok *v)
{
    size_t n;
    const char *s = rw_tok_text(r, v, &n);
    return rw_strf(r, "%.*s", (int)n, s);
}

static size_t rw_group(rw *r, size_t i, rl_buf *out, const char *extra, const char *gctx);
static void rw_emit_path(rw *r, const char *s, const rw_path *p, const char *o, rl_buf *out, const char *gctx);

/* ---- EXISTS and NOT EXISTS ---- */

/* Does variable v occur in the body [a, b] itself where it can be bound
 * (not in its filters, not in a body within it)? */
static int rw_var_in_pattern(rw *r, const rl_tok *v, size_t a, size_t b)
{
    for (size_t k = a; k <= b && k < r->n; k++)
        if (tok_var_is(&r->t[k], v->p + 1, v->n - 1) && !r->infilter[k] && r->scope[k] == a) return 1;
    return 0;
}

/* End of the FILTER constraint whose FILTER keyword is at k (r->n if none). */
static size_t rw_filter_end(rw *r, size_t k)
{
    size_t j = k + 1;
    if (rw_is(r, j, "NOT")) j++;
    if (rw_is(r, j, "EXISTS") && rw_is(r, j + 1, "{")) return rw_close(r, j + 1);
    if (!rw_is(r, j, "(")) j++; /* FILTER fn(...) */
    return rw_is(r, j, "(") ? rw_close(r, j) : r->n;
}

/* Scopes of variables: for every token, the '{' of the innermost EXISTS or
 * MINUS body around it (RW_TOP outside all), and whether it lies in a
 * FILTER constraint within that body. */
static void rw_scopes(rw *r)
{
    size_t n = r->n ? r->n : 1;
    r->scope = calloc(n, sizeof *r->scope);
    r->scope_end = calloc(n, sizeof *r->scope_end);
    r->infilter = calloc(n, 1);
    struct { size_t from, to; int body; } st[2 * RW_MAX_NEST + 2];
    size_t top = 0;
    if (!r->scope || !r->scope_end || !r->infilter) {
        rw_fail(r, RL_ERR_NOMEM, NULL, "out of memory");
        return;
    }
    for (size_t k = 0; k < r->n && !r->st; k++) {
        while (top && st[top - 1].to < k) top--;
        size_t body = RW_TOP;
        int filt = 0;
        for (size_t i = top; i-- > 0;) {
            if (st[i].body) {
                body = st[i].from;
                break;
            }
            filt = 1;
        }
        r->scope[k] = body, r->infilter[k] = (unsigned char)filt;
        int opens = 0;
        size_t to = 0;
        if (rw_is(r, k, "FILTER")) {
            to = rw_filter_end(r, k);
            opens = 1;
        } else if (rw_is(r, k, "{") && k > 0 && (rw_is(r, k - 1, "EXISTS") || rw_is(r, k - 1, "MINUS"))) {
            to = rw_close(r, k);
            r->scope_end[k] = to;
            opens = 2;
            r->scope[k] = k; /* the body's own brace is in the body */
        }
        if (opens && to < r->n) {
            if (top == sizeof st / sizeof *st) {
                rw_fail(r, RL_ERR_LIMIT, &r->t[k], "FILTER / EXISTS / MINUS nested too deep");
                return;
            }
            st[top].from = k, st[top].to = to, st[top].body = opens == 2;
            top++;
        }
    }
}

/* t[g] is the '{' of EXISTS {P}.  Writes the flag test into expr and the
 * pattern that sets the flag into opt (an OPTIONAL).  Returns the index after
 * P.  rasqal 0.9.33's OPTIONAL gives wrong rows when its pattern shares two
 * or more variables with the group before it (measured: 108 rows where 66
 * are right), so the OPTIONAL shares none: every variable of P's triple
 * patterns is renamed apart (v -> v') and the outer solution is met in the
 * OPTIONAL's condition, "(!BOUND(v) || !BOUND(v') || sameTerm(v, v'))" per
 * variable P shares with the rest of the query; a variable P uses only in
 * its filters keeps its name, so those filters see the outer value, as
 * EXISTS's substitution does.
 *   OPTIONAL { { SELECT DISTINCT <shared v'> ?f WHERE { P' BIND(true AS ?f) } }
 *              FILTER(cond) }
 *   ... BOUND(?f) for EXISTS, !BOUND(?f) for NOT EXISTS
 * P is solved on its own in a subquery (rasqal mis-solves OPTIONALs nested
 * in OPTIONALs), and a row is never repeated by EXISTS (at most one partner
 * when the shared variables are bound).  When P's filters use an outer
 * variable the subquery could not see it, and P stays inline:
 *   OPTIONAL { P' FILTER(cond) BIND(true AS ?f) }
 * (right rows for NOT EXISTS; for EXISTS a row may repeat once per match). */
static size_t rw_exists(rw *r, size_t g, int neg, rl_buf *expr, rl_buf *opt, const char *gctx)
{
    size_t ge = rw_close(r, g);
    if (r->st) return r->n;
    const rl_tok *vars[RW_MAX_VARS];
    size_t nv = rw_vars(r, g, ge, vars, RW_MAX_VARS), base = r->nren;
    const char *flag = rw_fresh(r, "e");
    const char *outer[RW_MAX_VARS], *inner[RW_MAX_VARS];
    int correlated = 0;
    for (size_t k = 0; k < nv; k++) {
        int shared = rw_var_outside(r, vars[k]->p + 1, vars[k]->n - 1, g, ge);
        int pattern = rw_var_in_pattern(r, vars[k], g, ge);
        if (shared && !pattern) correlated = 1;
        outer[k] = shared && pattern ? rw_var_text(r, vars[k]) : NULL;
        inner[k] = pattern ? rw_strf(r, "%s_%.*s", flag, (int)(vars[k]->n - 1), vars[k]->p + 1) : NULL;
    }
    rl_buf cond;
    rl_buf_init(&cond, (size_t)1 << 20);
    int first = 1;
    for (size_t k = 0; k < nv; k++)
        if (outer[k]) {
            rw_putf(r, &cond, "%s(!BOUND(%s) || !BOUND(%s) || sameTerm(%s, %s))", first ? " FILTER(" : " && ",
                    outer[k], inner[k], outer[k], inner[k]);
            first = 0;
        }
    if (!first) rw_put(r, &cond, ")");
    const char *c = cond.data ? (const char *)cond.data : "";
    for (size_t k = 0; k < nv; k++)
        if (inner[k]) rw_push_rename(r, vars[k], inner[k]);
    if (correlated) {
        rw_put(r, opt, " OPTIONAL");
        rw_group(r, g, opt, rw_strf(r, "%s BIND(true AS %s)", c, flag), gctx);
    } else {
        rw_put(r, opt, " OPTIONAL { { SELECT DISTINCT");
        for (size_t k = 0; k < nv; k++)
            if (outer[k]) rw_putf(r, opt, " %s", inner[k]);
        rw_putf(r, opt, " %s WHERE", flag); /* (true AS ?f) in the head is lost when nested: measured */
        rw_group(r, g, opt, rw_strf(r, " BIND(true AS %s)", flag), gctx);
        rw_putf(r, opt, " }%s }", c);
    }
    r->nren = base;
    rl_buf_free(&cond);
    rw_putf(r, expr, neg ? " (!BOUND(%s))" : " BOUND(%s)", flag);
    r->changed = 1;
    return ge + 1;
}

/* ---- REGEX: XPath regular expressions on POSIX ---- */

/* The value of a plain string token (ECHAR escapes undone) into out; 0 when
 * it has a \u escape, a language or a datatype (then it is left alone). */
static int rw_string_value(rw *r, size_t i, rl_buf *out)
{
    const rl_tok *t = &r->t[i];
    if (t->kind != RL_TOK_STRING || (i + 1 < r->n && (r->t[i + 1].kind == RL_TOK_LANG || rw_is(r, i + 1, "^^"))))
        return 0;
    size_t q = t->n >= 6 && t->p[1] == t->p[0] && t->p[2] == t->p[0] ? 3 : 1;
    rl_buf_clear(out);
    for (size_t k = q; k + q < t->n; k++) {
        char c = t->p[k];
        if (c == '\\') {
            char e = t->p[++k];
            c = e == 't' ? '\t' : e == 'n' ? '\n' : e == 'r' ? '\r' : e == 'b' ? '\b' : e == 'f' ? '\f' : e;
            if (e == 'u' || e == 'U') return 0;
        }
        if (rl_buf_append(out, &c, 1) != RL_OK) return 0;
    }
    return 1;
}

/* XPath (F&O §5.6) pattern and flags -> the POSIX ERE rasqal's regcomp
 * runs, for a boolean match: "." does not match a line end unless s; ^ and $
 * match at line ends with m (as an alternation: only whether it matches
 * counts); x drops white space outside classes; q makes every character
 * literal; \n \t \r \d \D \s \S written out.  0 (left alone) for what
 * has no ERE form: \p{..}, class subtraction, back-references. */
static int rw_xpath_to_ere(const char *p, size_t n, const char *flags, rl_buf *out, int *icase)
{
    int fs = 0, fm = 0, fx = 0, fq = 0, cls = 0;
    *icase = 0;
    for (const char *f = flags; f && *f; f++) {
        if (*f == 's') fs = 1;
        else if (*f == 'm') fm = 1;
        else if (*f == 'x') fx = 1;
        else if (*f == 'q') fq = 1;
        else if (*f == 'i') *icase = 1;
        else return 0;
    }
    rl_buf_clear(out);
    rl_status st = RL_OK;
    for (size_t k = 0; k < n && st == RL_OK; k++) {
        char c = p[k];
        if (fq) {
            if (strchr(".[]()*+?{}|^$\\", c)) st = rl_buf_append(out, "\\", 1);
            if (st == RL_OK) st = rl_buf_append(out, &c, 1);
            continue;
        }
        if (cls) { /* inside [...]: POSIX takes backslashes literally */
            if (c == '\\' && k + 1 < n) {
                char e = p[++k];
                const char *w = e == 'n' ? "\n" : e == 't' ? "\t" : e == 'r' ? "\r" : NULL;
                /* \] \- \^ have no place-free POSIX form; \d, \p{..} none at all */
                if (!w && !strchr("\\[.$|?*+(){}", e)) return 0;
                char one[2] = {e, 0};
                st = rl_buf_puts(out, w ? w : one);
                continue;
            }
            if (c == '-' && k + 1 < n && p[k + 1] == '[') return 0; /* class subtraction */
            if (c == ']') cls = 0;
            st = rl_buf_append(out, &c, 1);
            continue;
        }
        if (fx && (c == ' ' || c == '\t' || c == '\n' || c == '\r')) continue;
        if (c == '[') {
            cls = 1;
            st = rl_buf_append(out, &c, 1);
            if (k + 1 < n && p[k + 1] == '^') st = rl_buf_append(out, &p[++k], 1);
            continue;
        }
        if (c == '.' && !fs) {
            st = rl_buf_puts(out, "[^\n]");
        } else if (c == '^' && fm) {
            st = rl_buf_puts(out, "(^|\n)");
        } else if (c == '$' && fm) {
            st = rl_buf_puts(out, "($|\n)");
        } else if (c == '\\' && k + 1 < n) {
            char e = p[++k];
            const char *w = e == 'n' ? "\n" : e == 't' ? "\t" : e == 'r' ? "\r" : e == 'd' ? "[0-9]"
                          : e == 'D' ? "[^0-9]" : e == 's' ? "[ \t\n\r]" : e == 'S' ? "[^ \t\n\r]" : NULL;
            if (w) {
                st = rl_buf_puts(out, w);
            } else if (strchr("\\.[]()*+?{}|^$-wW", e)) {
                char two[3] = {'\\', e, 0};
                st = rl_buf_puts(out, two);
            } else {
                return 0;
            }
        } else {
            st = rl_buf_append(out, &c, 1);
        }
    }
    return st == RL_OK && !cls;
}

/* t[i] is REGEX, t[i+1] its '('.  Writes the call with the pattern and
 * flags translated when both are plain string literals; else as written.
 * Returns the index after the call. */
static size_t rw_regex(rw *r, size_t i, rl_buf *expr)
{
    size_t close = rw_close(r, i + 1), comma[3], nc = 0;
    if (r->st) return r->n;
    int depth = 0;
    for (size_t k = i + 1; k < close; k++) {
        if (rw_is(r, k, "(")) depth++;
        else if (rw_is(r, k, ")")) depth--;
        else if (depth == 1 && rw_is(r, k, ",") && nc < 3) comma[nc++] = k;
    }
    rl_buf pat, flags, ere;
    rl_buf_init(&pat, (size_t)1 << 20);
    rl_buf_init(&flags, 4096);
    rl_buf_init(&ere, (size_t)4 << 20);
    int ok = nc >= 1 && nc <= 2 && (nc == 1 ? comma[0] + 2 == close : comma[0] + 2 == comma[1] && comma[1] + 2 == close);
    int icase = 0;
    if (ok) ok = rw_string_value(r, comma[0] + 1, &pat) && (nc == 1 || rw_string_value(r, comma[1] + 1, &flags));
    if (ok) ok = rw_xpath_to_ere(pat.data ? (const char *)pat.data : "", pat.len,
                                 flags.data ? (const char *)flags.data : "", &ere, &icase);
    if (!ok) {
        rw_copy(r, expr, i, close + 1);
    } else {
        rw_copy(r, expr, i, comma[0] + 1);
        rw_put(r, expr, " \"");
        for (size_t k = 0; k < ere.len && !r->st; k++) {
            char c = (char)ere.data[k];
            const char *e = c == '\\' ? "\\\\" : c == '"' ? "\\\"" : c == '\n' ? "\\n" : c == '\r' ? "\\r"
                          : c == '\t' ? "\\t" : NULL;
            if (e) rw_put(r, expr, e);
            else rw_putf(r, expr, "%c", c);
        }
        rw_put(r, expr, icase ? "\", \"i\")" : "\")");
        r->changed = 1;
    }
    rl_buf_free(&pat);
    rl_buf_free(&flags);
    rl_buf_free(&ere);
    return close + 1;
}

/* The calls rewritten wherever an expression stands (FILTER, BIND, the
 * SELECT clause, HAVING, ORDER BY): REGEX, and CONCAT() with no argument
 * (rasqal: syntax error; SPARQL: ""). */
static int rw_is_call_form(rw *r, size_t k)
{
    return rw_is(r, k + 1, "(") && (rl_tok_is(&r->t[k], "REGEX") || (rl_tok_is(&r->t[k], "CONCAT") && rw_is(r, k + 2, ")")));
}

static size_t rw_call_form(rw *r, size_t k, rl_buf *expr)
{
    if (rl_tok_is(&r->t[k], "REGEX")) return rw_regex(r, k, expr);
    rw_put(r, expr, " \"\"");
    r->changed = 1;
    return k + 3;
}

/* Copies the expression [a, b) to expr, EXISTS forms replaced (their
 * patterns go to opt). */
static void rw_expr(rw *r, size_t a, size_t b, rl_buf *expr, rl_buf *opt, const char *gctx)
{
    for (size_t k = a; k < b && !r->st;) {
        if (rl_tok_is(&r->t[k], "EXISTS") && rw_is(r, k + 1, "{")) {
            k = rw_exists(r, k + 1, 0, expr, opt, gctx);
        } else if (rl_tok_is(&r->t[k], "NOT") && rw_is(r, k + 1, "EXISTS") && rw_is(r, k + 2, "{")) {
            k = rw_exists(r, k + 2, 1, expr, opt, gctx);
        } else if (rw_is_call_form(r, k)) {
            k = rw_call_form(r, k, expr);
        } else {
            rw_put_tok(r, expr, k);
            k++;
        }
    }
}

/* t[i] follows FILTER: a bracketed expression, a function call, or
 * [NOT] EXISTS {...}.  Returns the index after it. */
static size_t rw_filter(rw *r, size_t i, rl_buf *filt, rl_buf *opt, const char *gctx)
{
    size_t end = rw_filter_end(r, i - 1); /* the same extent rw_scopes gave it */
    int bare = rw_is(r, i, "EXISTS") || (rw_is(r, i, "NOT") && rw_is(r, i + 1, "EXISTS"));
    if (r->st) return r->n;
    if (end >= r->n || (bare && !rw_is(r, rw_is(r, i, "NOT") ? i + 2 : i + 1, "{")))
        return rw_fail(r, RL_ERR_INPUT, i < r->n ? &r->t[i] : NULL,
                       bare ? "EXISTS needs a group { ... }" : "FILTER needs a bracketed expression or a function call"),
               r->n;
    rw_put(r, filt, bare ? " FILTER (" : " FILTER");
    rw_expr(r, i, end + 1, filt, opt, gctx);
    if (bare) rw_put(r, filt, " )");
    return end + 1;
}

/* ---- MINUS ---- */

/* t[j] is the '{' of MINUS {Q}; acc holds the group so far (the minuend).
 * Rewritten exactly (SPARQL 1.1 §18.5 Minus): Q's variables are all renamed
 * apart, Q is solved on its own in a subquery (only the shared variables
 * matter, so DISTINCT over them), joined in an OPTIONAL whose condition is
 * "compatible on the shared variables and sharing at least one bound one",
 * and the solutions that found such a partner are dropped:
 *   { <acc> OPTIONAL { { SELECT DISTINCT <shared v'> WHERE Q' }
 *     FILTER(compatible && overlap) } FILTER(!(bound shared v')) } */
static size_t rw_minus(rw *r, size_t j, rl_buf *acc, const char *gctx)
{
    if (!rw_is(r, j, "{")) return rw_fail(r, RL_ERR_INPUT, j < r->n ? &r->t[j] : NULL, "MINUS needs a group { ... }"), r->n;
    size_t qe = rw_close(r, j);
    if (r->st) return r->n;
    const rl_tok *vars[RW_MAX_VARS];
    size_t nv = rw_vars(r, j, qe, vars, RW_MAX_VARS), base = r->nren, ns = 0;
    const char *outer[RW_MAX_VARS], *inner[RW_MAX_VARS];
    const char *tag = rw_fresh(r, "m");
    for (size_t k = 0; k < nv; k++) {
        int sh = rw_var_outside(r, vars[k]->p + 1, vars[k]->n - 1, j, qe);
        outer[k] = sh ? rw_var_text(r, vars[k]) : NULL;
        inner[k] = rw_strf(r, "%s_%.*s", tag, (int)(vars[k]->n - 1), vars[k]->p + 1);
        ns += sh;
    }
    r->changed = 1;
    if (!ns) return qe + 1; /* no variable in common: MINUS removes nothing */
    rl_buf w;
    rl_buf_init(&w, (size_t)64 << 20);
    rw_put(r, &w, " {");
    if (acc->len) rw_put(r, &w, (const char *)acc->data);
    for (size_t k = 0; k < nv; k++) rw_push_rename(r, vars[k], inner[k]);
    rw_put(r, &w, " OPTIONAL { { SELECT DISTINCT");
    for (size_t k = 0; k < nv; k++)
        if (outer[k]) rw_putf(r, &w, " %s", inner[k]);
    rw_put(r, &w, " WHERE");
    rw_group(r, j, &w, NULL, gctx);
    rw_put(r, &w, " }");
    r->nren = base;
    rw_put(r, &w, " FILTER(");
    int first = 1;
    for (size_t k = 0; k < nv; k++)
        if (outer[k]) {
            rw_putf(r, &w, "%s(!BOUND(%s) || !BOUND(%s) || sameTerm(%s, %s))", first ? "" : " && ", outer[k],
                    inner[k], outer[k], inner[k]);
            first = 0;
        }
    rw_put(r, &w, " && (");
    first = 1;
    for (size_t k = 0; k < nv; k++)
        if (outer[k]) {
            rw_putf(r, &w, "%s(BOUND(%s) && BOUND(%s))", first ? "" : " || ", outer[k], inner[k]);
            first = 0;
        }
    rw_put(r, &w, ")) } FILTER(!(");
    first = 1;
    for (size_t k = 0; k < nv; k++)
        if (outer[k]) {
            rw_putf(r, &w, "%sBOUND(%s)", first ? "" : " || ", inner[k]);
            first = 0;
        }
    rw_put(r, &w, ")) }");
    if (!r->st) {
        rl_buf_clear(acc);
        rw_put(r, acc, w.data ? (const char *)w.data : "");
    }
    rl_buf_free(&w);
    return qe + 1;
}

/* ---- property paths ---- */

#define RDF_TYPE "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"

static rw_path *rw_path_new(rw *r, char kind, rw_path *a, rw_path *b)
{
    rw_path *p = rl_arena_alloc(r->ar, sizeof *p);
    if (!p) {
        rw_fail(r, RL_ERR_NOMEM, NULL, "out of memory while rewriting");
        return NULL;
    }
    memset(p, 0, sizeof *p);
    p->kind = kind, p->a = a, p->b = b;
    return p;
}

static const char *rw_iri_text(rw *r, size_t i)
{
    const rl_tok *t = &r->t[i];
    if (rl_tok_is(t, "a")) return RDF_TYPE;
    if (t->kind == RL_TOK_IRI || t->kind == RL_TOK_PNAME) return rw_strf(r, "%.*s", (int)t->n, t->p);
    rw_fail(r, RL_ERR_INPUT, t, "a property path needs an IRI here, not '%.*s'", (int)t->n, t->p);
    return NULL;
}

static rw_path *rw_path_alt(rw *r, size_t *pos, size_t end);

/* One member of a negated property set: [^] iri. */
static int rw_nps_one(rw *r, size_t *pos, rw_path *p)
{
    int inv = rw_is(r, *pos, "^");
    if (inv) (*pos)++;
    if (*pos >= r->n) return rw_fail(r, RL_ERR_INPUT, NULL, "the query ends inside a negated property set");
    const char *iri = rw_iri_text(r, *pos);
    if (!iri) return 0;
    (*pos)++;
    const char ***set = inv ? &p->inv : &p->fwd;
    int *n = inv ? &p->ni : &p->nf;
    const char **grown = rl_arena_alloc(r->ar, sizeof *grown * (size_t)(*n + 1));
    if (!grown) return rw_fail(r, RL_ERR_NOMEM, NULL, "out of memory while rewriting");
    if (*n) memcpy(grown, *set, sizeof *grown * (size_t)*n);
    grown[(*n)++] = iri;
    *set = grown;
    return 1;
}

static rw_path *rw_path_primary(rw *r, size_t *pos, size_t end)
{
    if (*pos >= end) return rw_fail(r, RL_ERR_INPUT, NULL, "a property path is cut short"), NULL;
    const rl_tok *t = &r->t[*pos];
    if (rw_is(r, *pos, "(")) {
        size_t close = rw_close(r, *pos);
        (*pos)++;
        rw_path *p = rw_path_alt(r, pos, close);
        if (!r->st && *pos != close) rw_fail(r, RL_ERR_INPUT, &r->t[*pos], "')' expected in a property path");
        *pos = close + 1;
        return p;
    }
    if (rw_is(r, *pos, "!")) {
        rw_path *p = rw_path_new(r, '!', NULL, NULL);
        (*pos)++;
        if (!p) return NULL;
        if (rw_is(r, *pos, "(")) {
            size_t close = rw_close(r, *pos);
            (*pos)++;
            while (!r->st && *pos < close) {
                if (!rw_nps_one(r, pos, p)) return NULL;
                if (rw_is(r, *pos, "|")) (*pos)++;
                else if (*pos != close) rw_fail(r, RL_ERR_INPUT, &r->t[*pos], "'|' or ')' expected in !( ... )");
            }
            *pos = close + 1;
        } else if (!rw_nps_one(r, pos, p)) {
            return NULL;
        }
        return p;
    }
    rw_path *p = rw_path_new(r, 'L', NULL, NULL);
    if (p && (p->iri = rw_iri_text(r, *pos))) (*pos)++;
    (void)t;
    return r->st ? NULL : p;
}

static rw_path *rw_path_elt(rw *r, size_t *pos, size_t end)
{
    int inv = rw_is(r, *pos, "^");
    if (inv) (*pos)++;
    rw_path *p = rw_path_primary(r, pos, end);
    while (p && *pos < end && (rw_is(r, *pos, "*") || rw_is(r, *pos, "+") || rw_is(r, *pos, "?"))) {
        p = rw_path_new(r, *r->t[*pos].p, p, NULL);
        (*pos)++;
    }
    if (p && *pos < end && rw_is(r, *pos, "{"))
        rw_fail(r, RL_ERR_INPUT, &r->t[*pos], "path quantifiers {n,m} are not SPARQL 1.1; use / and ? instead");
    if (p && inv) p = rw_path_new(r, '^', p, NULL);
    return r->st ? NULL : p;
}

static rw_path *rw_path_seq(rw *r, size_t *pos, size_t end)
{
    rw_path *p = rw_path_elt(r, pos, end);
    while (p && *pos < end && rw_is(r, *pos, "/")) {
        (*pos)++;
        p = rw_path_new(r, '/', p, rw_path_elt(r, pos, end));
    }
    return r->st ? NULL : p;
}

static rw_path *rw_path_alt(rw *r, size_t *pos, size_t end)
{
    rw_path *p = rw_path_seq(r, pos, end);
    while (p && *pos < end && rw_is(r, *pos, "|")) {
        (*pos)++;
        p = rw_path_new(r, '|', p, rw_path_seq(r, pos, end));
    }
    return r->st ? NULL : p;
}

static int is_var_text(const char *s) { return *s == '?' || *s == '$'; }

/* The step relation of a closure: nodes by text, edges by index. */
typedef struct rw_graph {
    char **name;
    size_t nn, capn;
    size_t *hash; /* open addressing: index + 1, 0 = empty */
    size_t hcap;
    size_t (*edge)[2];
    size_t ne, cape, max_edges;
    int reverse;
} rw_graph;

static size_t rw_node_id(rw_graph *g, const char *s, int add, rl_status *st)
{
    if (g->nn * 2 >= g->hcap) { /* grow and rehash */
        size_t nc = g->hcap ? g->hcap * 2 : 1024;
        size_t *nh = calloc(nc, sizeof *nh);
        if (!nh) return *st = RL_ERR_NOMEM, 0;
        for (size_t i = 0; i < g->nn; i++) {
            size_t h = 5381;
            for (const char *c = g->name[i]; *c; c++) h = h * 33 + (unsigned char)*c;
            while (nh[h % nc]) h++;
            nh[h % nc] = i + 1;
        }
        free(g->hash);
        g->hash = nh, g->hcap = nc;
    }
    size_t h = 5381;
    for (const char *c = s; *c; c++) h = h * 33 + (unsigned char)*c;
    for (;; h++) {
        size_t v = g->hash[h % g->hcap];
        if (!v) break;
        if (!strcmp(g->name[v - 1], s)) return v;
    }
    if (!add) return 0;
    if ((*st = rl_array_grow((void **)&g->name, &g->capn, g->nn + 1, sizeof *g->name, (size_t)-1)) != RL_OK) return 0;
    if (!(g->name[g->nn] = strdup(s))) return *st = RL_ERR_NOMEM, 0;
    g->hash[h % g->hcap] = ++g->nn;
    return g->nn;
}

static void rw_graph_free(rw_graph *g)
{
    for (size_t i = 0; i < g->nn; i++) free(g->name[i]);
    free(g->name);
    free(g->hash);
    free(g->edge);
}

/* Row callback of a step query: (start, end[, graph]). */
static rl_status rw_step_row(void *ctx, const char *const *v, int n)
{
    rw_graph *g = ctx;
    if (n < 2 || !v[0] || !v[1]) return RL_OK;
    if (g->ne >= g->max_edges) return RL_ERR_LIMIT;
    char key[2][4096];
    for (int k = 0; k < 2; k++)
        if ((size_t)snprintf(key[k], sizeof key[k], "%s\x1f%s", n > 2 && v[2] ? v[2] : "", v[k]) >= sizeof key[k])
            return RL_ERR_LIMIT;
    rl_status st = RL_OK;
    size_t a = rw_node_id(g, key[0], 1, &st), b = a ? rw_node_id(g, key[1], 1, &st) : 0;
    if (!a || !b) return st ? st : RL_ERR_NOMEM;
    if ((st = rl_array_grow((void **)&g->edge, &g->cape, g->ne + 1, sizeof *g->edge, g->max_edges)) != RL_OK) return st;
    g->edge[g->ne][0] = g->reverse ? b - 1 : a - 1;
    g->edge[g->ne][1] = g->reverse ? a - 1 : b - 1;
    g->ne++;
    return RL_OK;
}

typedef struct rw_one {
    char *v;
} rw_one;

static rl_status rw_one_row(void *ctx, const char *const *v, int n)
{
    rw_one *o = ctx;
    if (n >= 1 && v[0] && !o->v && !(o->v = strdup(v[0]))) return RL_ERR_NOMEM;
    return RL_OK;
}

static void rw_sorted_edges(rw_graph *g, size_t **first)
{
    /* CSR offsets: first[i]..first[i+1] are the edges leaving node i (edges sorted by start) */
    size_t *off = calloc(g->nn + 1, sizeof *off), *tmp = malloc(sizeof *tmp * (g->ne ? g->ne : 1));
    if (!off || !tmp) {
        free(off), free(tmp);
        *first = NULL;
        return;
    }
    for (size_t e = 0; e < g->ne; e++) off[g->edge[e][0] + 1]++;
    for (size_t i = 0; i < g->nn; i++) off[i + 1] += off[i];
    size_t *fill = calloc(g->nn + 1, sizeof *fill);
    if (!fill) {
        free(off), free(tmp);
        *first = NULL;
        return;
    }
    for (size_t e = 0; e < g->ne; e++) {
        size_t a = g->edge[e][0];
        tmp[off[a] + fill[a]++] = g->edge[e][1];
    }
    free(fill);
    for (size_t e = 0; e < g->ne; e++) g->edge[e][1] = tmp[e]; /* edge[k][1] is now the k-th target in CSR order */
    free(tmp);
    *first = off;
}

/* How many steps of X the closure of s X* o can need on this data: the
 * longest shortest path from the start nodes (s when it is a term, else o
 * walking backwards, else every node).  Runs the step query through the
 * environment.  >= 1, or 0 on error (r->st). */
static int rw_measure(rw *r, const rw_path *x, const char *s, const char *o, const char *gctx)
{
    const rl_guard_env *env = r->env;
    if (!env || !env->select)
        return rw_fail(r, RL_ERR_UNSUPPORTED, NULL, "property paths with * or + need a store to measure"), 0;
    int max_depth = env->max_depth ? env->max_depth : 64;
    rl_buf q;
    rl_buf_init(&q, (size_t)64 << 20);
    rw_graph g = {0};
    g.max_edges = env->max_pairs ? env->max_pairs : 1000000;
    size_t *first = NULL, *dist = NULL, *queue = NULL;
    int depth = 0, gvar = gctx && is_var_text(gctx);
    const char *from = !is_var_text(s) ? s : !is_var_text(o) ? o : NULL;
    char *start = NULL;
    rw_put(r, &q, r->prologue.data ? (const char *)r->prologue.data : "");
    rw_putf(r, &q, " SELECT ?rl__x ?rl__y%s%s", gvar ? " " : "", gvar ? gctx : "");
    rw_put(r, &q, r->dataset.data ? (const char *)r->dataset.data : "");
    rw_put(r, &q, " WHERE {");
    if (gctx) rw_putf(r, &q, " GRAPH %s {", gctx);
    rw_emit_path(r, "?rl__x", x, "?rl__y", &q, gctx);
    rw_put(r, &q, gctx ? " } }" : " }");
    if (r->st) goto out;
    g.reverse = !is_var_text(o) && is_var_text(s);
    rl_status st = env->select(env->ctx, (const char *)q.data, rw_step_row, &g, r->err, r->cap);
    if (st == RL_ERR_LIMIT) {
        rw_fail(r, RL_ERR_LIMIT, NULL, "a property path's step relation has more than %zu pairs (the path limit)",
                g.max_edges);
        goto out;
    }
    if (st) {
        r->st = st;
        goto out;
    }
    if (from) { /* the term as the store writes it */
        rl_buf_clear(&q);
        rw_put(r, &q, r->prologue.data ? (const char *)r->prologue.data : "");
        rw_putf(r, &q, " SELECT (%s AS ?rl__v) WHERE { }", from);
        rw_one one = {NULL};
        if (!r->st && (st = env->select(env->ctx, (const char *)q.data, rw_one_row, &one, r->err, r->cap))) r->st = st;
        start = one.v;
        if (r->st) goto out;
        if (!start) { /* not a term the store can hold: nothing beyond zero steps */
            depth = 1;
            goto out;
        }
    }
    rw_sorted_edges(&g, &first);
    dist = malloc(sizeof *dist * (g.nn ? g.nn : 1));
    queue = malloc(sizeof *queue * (g.nn ? g.nn : 1));
    if (!first || !dist || !queue) {
        rw_fail(r, RL_ERR_NOMEM, NULL, "out of memory measuring a property path");
        goto out;
    }
    uint64_t work = 0, max_work = (uint64_t)g.max_edges * 64;
    for (size_t s0 = 0; s0 < g.nn && depth <= max_depth; s0++) {
        if (start) { /* only the start term, in every graph */
            const char *nm = strchr(g.name[s0], '\x1f');
            if (!nm || strcmp(nm + 1, start)) continue;
        }
        for (size_t i = 0; i < g.nn; i++) dist[i] = (size_t)-1;
        size_t qh = 0, qt = 0;
        int back = 0; /* the shortest cycle back to the start (a node reaches itself by p+) */
        dist[s0] = 0, queue[qt++] = s0;
        while (qh < qt) {
            size_t u = queue[qh++];
            for (size_t e = first[u]; e < first[u + 1]; e++) {
                size_t v = g.edge[e][1];
                if (v == s0 && !back) {
                    back = 1;
                    if ((int)dist[u] + 1 > depth) depth = (int)dist[u] + 1;
                }
                if (++work > max_work) {
                    rw_fail(r, RL_ERR_LIMIT, NULL, "a property path's closure needs more than %llu steps to measure",
                            (unsigned long long)max_work);
                    goto out;
                }
                if (dist[v] != (size_t)-1) continue;
                dist[v] = dist[u] + 1;
                if ((int)dist[v] > depth) depth = (int)dist[v];
                queue[qt++] = v;
            }
        }
    }
    if (depth > max_depth) {
        rw_fail(r, RL_ERR_LIMIT, NULL, "a property path needs chains longer than %d steps on this data (the "
                                       "path depth limit)", max_depth);
        depth = 0;
    }
out:
    free(start);
    free(first), free(dist), free(queue);
    rw_graph_free(&g);
    rl_buf_free(&q);
    if (r->st) return 0;
    return depth < 1 ? 1 : depth;
}

/* s X* o, s X+ o, s X? o: a DISTINCT subquery over the union of the zero
 * step (for * and ?) and of chains of 1..D steps, D measured on the data. */
static void rw_emit_closure(rw *r, const char *s, const rw_path *p, const char *o, rl_buf *out, const char *gctx)
{
    const rw_path *x = p->a;
    int sv = is_var_text(s), ov = is_var_text(o), same = sv && ov && !strcmp(s, o), zero = p->kind != '+';
    int d = p->kind == '?' ? 1 : rw_measure(r, x, s, o, gctx);
    if (r->st) return;
    const char *tag = rw_fresh(r, "c");
    const char *S = s, *E = o, *proj;
    if (sv && ov && !same) {
        E = zero ? rw_strf(r, "%s_b", tag) : o;
        proj = zero ? rw_strf(r, "%s (COALESCE(%s, %s) AS %s)", s, E, s, o) : rw_strf(r, "%s %s", s, o);
    } else if (same) {
        proj = s;
    } else if (!sv && ov) {
        E = zero ? rw_strf(r, "%s_b", tag) : o;
        proj = zero ? rw_strf(r, "(COALESCE(%s, %s) AS %s)", E, s, o) : o;
    } else if (sv && !ov) {
        S = zero ? rw_strf(r, "%s_a", tag) : s;
        proj = zero ? rw_strf(r, "(COALESCE(%s, %s) AS %s)", S, o, s) : s;
    } else {
        proj = rw_strf(r, "(1 AS %s_k)", tag);
    }
    rw_putf(r, out, " { SELECT DISTINCT %s WHERE {", proj);
    int first = 1;
    if (zero) {
        if (sv && ov) {
            rw_putf(r, out, " { { %s %s_p %s_o } UNION { %s_s %s_p %s } }", S, tag, tag, tag, tag, S);
            first = 0;
        } else if (sv || ov || !strcmp(s, o)) {
            rw_put(r, out, " { }");
            first = 0;
        }
    }
    for (int k = 1; k <= d && !r->st; k++) {
        rw_put(r, out, first ? " {" : " UNION {");
        first = 0;
        const char *cur = S;
        for (int step = 1; step <= k; step++) {
            const char *next = step == k ? E : rw_strf(r, "%s_m%d", tag, step);
            rw_emit_path(r, cur, x, next, out, gctx);
            cur = next;
        }
        rw_put(r, out, " }");
    }
    rw_put(r, out, " } }");
}

static void rw_emit_nps_part(rw *r, const char *s, const char **set, int n, const char *o, rl_buf *out)
{
    const char *v = rw_fresh(r, "n");
    rw_putf(r, out, " { %s %s %s .", s, v, o);
    if (n) {
        rw_put(r, out, " FILTER(");
        for (int k = 0; k < n; k++) rw_putf(r, out, "%s!sameTerm(%s, %s)", k ? " && " : "", v, set[k]);
        rw_put(r, out, ")");
    }
    rw_put(r, out, " }");
}

/* Is the subject or object text s a constant (not a variable, blank node
 * or collection)? */
static int rw_is_ground(const char *s) { return !is_var_text(s) && strncmp(s, "_:", 2) && *s != '('; }

/* Writes the patterns for s p o as group elements. */
static void rw_emit_path(rw *r, const char *s, const rw_path *p, const char *o, rl_buf *out, const char *gctx)
{
    if (r->st || !p) return;
    switch (p->kind) {
    case 'L':
        if (gctx && rw_is_ground(s) && rw_is_ground(o)) {
            /* librdf asks the store whether a ground triple exists without
             * saying in which graph: inside GRAPH it would match any graph */
            const char *v = rw_fresh(r, "o");
            rw_putf(r, out, " %s %s %s . FILTER(sameTerm(%s, %s))", s, p->iri, v, v, o);
            r->ground++;
        } else {
            rw_putf(r, out, " %s %s %s .", s, p->iri, o);
        }
        break;
    case '^': rw_emit_path(r, o, p->a, s, out, gctx); break;
    case '/': {
        const char *m = rw_fresh(r, "s");
        rw_emit_path(r, s, p->a, m, out, gctx);
        rw_emit_path(r, m, p->b, o, out, gctx);
        break;
    }
    case '|':
        rw_put(r, out, " {");
        rw_emit_path(r, s, p->a, o, out, gctx);
        rw_put(r, out, " } UNION {");
        rw_emit_path(r, s, p->b, o, out, gctx);
        rw_put(r, out, " }");
        break;
    case '!':
        if (p->nf || !p->ni) rw_emit_nps_part(r, s, p->fwd, p->nf, o, out);
        if (p->nf && p->ni) rw_put(r, out, " UNION");
        if (p->ni) rw_emit_nps_part(r, o, p->inv, p->ni, s, out);
        break;
    default: rw_emit_closure(r, s, p, o, out, gctx); break;
    }
}

/* ---- triples blocks ---- */

static int rw_block_stop(rw *r, size_t k)
{
    static const char *const kw[] = {"OPTIONAL", "MINUS", "GRAPH", "SERVICE", "FILTER", "BIND", "VALUES", NULL};
    if (rw_is(r, k, "{") || rw_is(r, k, "}")) return 1;
    for (int i = 0; kw[i]; i++)
        if (rw_is(r, k, kw[i])) return 1;
    return 0;
}

static void rw_plist(rw *r, size_t *pos, size_t end, const char *subj, rl_buf *out, const char *gctx);

/* A subject or object: a term (its text), or [ ... ] / ( ... ) written as
 * their own patterns.  Returns the text standing for it. */
static const char *rw_node(rw *r, size_t *pos, size_t end, rl_buf *out, const char *gctx)
{
    if (*pos >= end) return rw_fail(r, RL_ERR_INPUT, NULL, "a triple pattern is cut short"), "";
    const rl_tok *t = &r->t[*pos];
    size_t n;
    if (rw_is(r, *pos, "[")) {
        size_t close = rw_close(r, *pos);
        const char *v = rw_fresh(r, "b");
        (*pos)++;
        if (*pos < close) rw_plist(r, pos, close, v, out, gctx);
        if (!r->st && *pos != close) rw_fail(r, RL_ERR_INPUT, &r->t[*pos], "']' expected");
        *pos = close + 1;
        return v;
    }
    if (rw_is(r, *pos, "(")) { /* a collection: kept as written */
        size_t close = rw_close(r, *pos);
        rl_buf c;
        rl_buf_init(&c, (size_t)1 << 20);
        rw_copy(r, &c, *pos, close + 1);
        const char *v = rw_strf(r, "%s", c.data ? (const char *)c.data : "");
        rl_buf_free(&c);
        *pos = close + 1;
        return v;
    }
    if (t->kind == RL_TOK_STRING) {
        const char *v = rw_strf(r, "%.*s", (int)t->n, t->p);
        (*pos)++;
        if (*pos < end && r->t[*pos].kind == RL_TOK_LANG) {
            v = rw_strf(r, "%s%.*s", v, (int)r->t[*pos].n, r->t[*pos].p);
            (*pos)++;
        } else if (rw_is(r, *pos, "^^") && *pos + 1 < end) {
            v = rw_strf(r, "%s^^%.*s", v, (int)r->t[*pos + 1].n, r->t[*pos + 1].p);
            *pos += 2;
        }
        return v;
    }
    if ((rw_is(r, *pos, "-") || rw_is(r, *pos, "+")) && *pos + 1 < end && r->t[*pos + 1].kind == RL_TOK_NUMBER) {
        const char *v = rw_strf(r, "%.*s%.*s", (int)t->n, t->p, (int)r->t[*pos + 1].n, r->t[*pos + 1].p);
        *pos += 2;
        return v;
    }
    if (t->kind == RL_TOK_VAR || t->kind == RL_TOK_IRI || t->kind == RL_TOK_PNAME || t->kind == RL_TOK_NUMBER ||
        t->kind == RL_TOK_BNODE || rl_tok_is(t, "true") || rl_tok_is(t, "false")) {
        const char *s = rw_tok_text(r, t, &n);
        (*pos)++;
        return rw_strf(r, "%.*s", (int)n, s);
    }
    rw_fail(r, RL_ERR_INPUT, t, "a subject or object expected, not '%.*s'", (int)t->n, t->p);
    return "";
}

static void rw_plist(rw *r, size_t *pos, size_t end, const char *subj, rl_buf *out, const char *gctx)
{
    while (*pos < end && !r->st) {
        const rl_tok *t = &r->t[*pos];
        rw_path *verb = NULL;
        const char *vtext = NULL;
        if (t->kind == RL_TOK_VAR) {
            vtext = rw_var_text(r, t);
            (*pos)++;
        } else if (!(verb = rw_path_alt(r, pos, end))) {
            return;
        }
        for (;;) {
            const char *obj = rw_node(r, pos, end, out, gctx);
            if (r->st) return;
            if (vtext) rw_putf(r, out, " %s %s %s .", subj, vtext, obj);
            else rw_emit_path(r, subj, verb, obj, out, gctx);
            if (!rw_is(r, *pos, ",")) break;
            (*pos)++;
        }
        if (!rw_is(r, *pos, ";")) return;
        while (rw_is(r, *pos, ";")) (*pos)++;
        if (*pos >= end || rw_is(r, *pos, ".") || rw_is(r, *pos, "]")) return;
    }
}

/* The triples t[i] .. t[k] written out as patterns (paths expanded, ground
 * triples inside GRAPH made to name their graph). */
static void rw_triples_emit(rw *r, size_t i, size_t k, rl_buf *out, const char *gctx)
{
    size_t pos = i;
    while (pos < k && !r->st) {
        if (rw_is(r, pos, ".")) {
            pos++;
            continue;
        }
        int node = rw_is(r, pos, "[") || rw_is(r, pos, "(");
        const char *subj = rw_node(r, &pos, k, out, gctx);
        if (r->st) break;
        if (node && (pos >= k || rw_is(r, pos, "."))) continue; /* [ ... ] alone */
        rw_plist(r, &pos, k, subj, out, gctx);
        if (!r->st && pos < k && !rw_is(r, pos, "."))
            rw_fail(r, RL_ERR_INPUT, &r->t[pos], "'.' expected after a triple pattern, not '%.*s'",
                    (int)r->t[pos].n, r->t[pos].p);
    }
}

/* A triples block from t[i] up to the next group element.  Copied as
 * written unless it holds a property path, or a ground triple inside GRAPH. */
static size_t rw_triples(rw *r, size_t i, size_t end, rl_buf *out, const char *gctx)
{
    size_t k = i;
    int depth = 0, path = 0;
    for (; k < end; k++) {
        const rl_tok *t = &r->t[k];
        if (!depth && rw_block_stop(r, k)) break;
        if (t->kind != RL_TOK_PUNCT) continue;
        if (rl_tok_is(t, "[") || rl_tok_is(t, "(")) depth++;
        else if (rl_tok_is(t, "]") || rl_tok_is(t, ")")) depth--;
        else if (t->n == 1 && strchr("/|^*+?!", *t->p)) path = 1;
    }
    if (!path && gctx) { /* written out only if a ground triple needs it */
        rl_buf tmp;
        rl_buf_init(&tmp, (size_t)64 << 20);
        unsigned before = r->ground;
        rw_triples_emit(r, i, k, &tmp, gctx);
        if (r->ground != before && !r->st) {
            r->changed = 1;
            rw_put(r, out, tmp.data ? (const char *)tmp.data : "");
        } else {
            if (r->st) { /* a form only rasqal reads: it gets it as written */
                r->st = RL_OK;
                if (r->cap) r->err[0] = 0;
            }
            rw_copy(r, out, i, k);
        }
        rl_buf_free(&tmp);
        return k;
    }
    if (!path) {
        rw_copy(r, out, i, k);
        return k;
    }
    r->changed = 1;
    rw_triples_emit(r, i, k, out, gctx);
    return k;
}

/* ---- groups ---- */

/* Is the group at t[i] empty but for FILTERs? */
static int rw_filters_only(rw *r, size_t i)
{
    size_t end = rw_close(r, i), j = i + 1;
    while (j < end && !r->st) {
        if (!rw_is(r, j, "FILTER")) return 0;
        j = rw_filter_end(r, j) + 1;
    }
    return !r->st;
}

/* GRAPH g { } (nothing but filters): one solution per named graph g names,
 * none when it names no graph.  rasqal gives one solution for GRAPH ?g {}
 * and one for a graph that does not exist.  Written as a DISTINCT subquery
 * over the graph's triples, joined with the group's filters as a group of
 * their own (inside GRAPH the graph variable is not yet bound). t[k] is the
 * graph term; returns the index after the group. */
static size_t rw_graph_empty(rw *r, size_t k, rl_buf *acc, const char *gctx)
{
    const char *g = rw_var_text(r, &r->t[k]);
    const char *tag = rw_fresh(r, "g");
    r->changed = 1;
    if (is_var_text(g))
        rw_putf(r, acc, " { SELECT DISTINCT %s WHERE { GRAPH %s { %s_s %s_p %s_o } } }", g, g, tag, tag, tag);
    else
        rw_putf(r, acc, " { SELECT DISTINCT %s WHERE { GRAPH %s { %s_s %s_p %s_o } FILTER(sameTerm(%s, %s)) } }", tag,
                tag, tag, tag, tag, tag, g);
    size_t end = rw_close(r, k + 1);
    if (end > k + 2) return rw_group(r, k + 1, acc, NULL, gctx);
    return end + 1;
}

/* t[i] is '{' of a group graph pattern (or of a subquery).  Writes the
 * rewritten group to out, with `extra` after its elements and before its
 * filters.  Returns the index after the closing '}'. */
static size_t rw_group(rw *r, size_t i, rl_buf *out, const char *extra, const char *gctx)
{
    size_t end = rw_close(r, i);
    if (r->st) return r->n;
    if (++r->nest > RW_MAX_NEST) {
        rw_fail(r, RL_ERR_LIMIT, &r->t[i], "groups nested more than %d deep", RW_MAX_NEST);
        r->nest--;
        return r->n;
    }
    if (rw_is(r, i + 1, "SELECT")) { /* a subquery: its WHERE group, the rest as written */
        size_t j = i + 1;
        int depth = 0;
        while (j < end && !(depth == 0 && rw_is(r, j, "{"))) {
            if (rw_is(r, j, "(")) depth++;
            if (rw_is(r, j, ")")) depth--;
            j++;
        }
        rw_put(r, out, extra ? " { {" : " {");
        rw_copy(r, out, i + 1, j);
        if (j < end) j = rw_group(r, j, out, NULL, gctx);
        rw_copy(r, out, j, end);
        if (extra) rw_putf(r, out, " } %s", extra);
        rw_put(r, out, " }");
        r->nest--;
        return end + 1;
    }
    rl_buf acc, tail, filt;
    rl_buf_init(&acc, (size_t)64 << 20);
    rl_buf_init(&tail, (size_t)64 << 20);
    rl_buf_init(&filt, (size_t)64 << 20);
    size_t j = i + 1;
    while (j < end && !r->st) {
        if (rw_is(r, j, ".")) {
            rw_put_tok(r, &acc, j++);
        } else if (rw_is(r, j, "OPTIONAL")) {
            rw_put(r, &acc, " OPTIONAL");
            if (!rw_is(r, j + 1, "{")) rw_fail(r, RL_ERR_INPUT, &r->t[j], "OPTIONAL needs a group { ... }");
            else j = rw_group(r, j + 1, &acc, NULL, gctx);
        } else if (rw_is(r, j, "GRAPH") || rw_is(r, j, "SERVICE")) {
            size_t k = j + 1;
            if (rw_is(r, k, "SILENT")) k++;
            if (!rw_is(r, k + 1, "{")) {
                rw_fail(r, RL_ERR_INPUT, &r->t[j], "%.*s needs a graph name and a group", (int)r->t[j].n, r->t[j].p);
                break;
            }
            if (rw_is(r, j, "GRAPH") && rw_filters_only(r, k + 1)) {
                j = rw_graph_empty(r, k, &acc, gctx);
                continue;
            }
            rw_copy(r, &acc, j, k + 1);
            j = rw_group(r, k + 1, &acc, NULL, rw_is(r, j, "GRAPH") ? rw_var_text(r, &r->t[k]) : gctx);
        } else if (rw_is(r, j, "MINUS")) {
            j = rw_minus(r, j + 1, &acc, gctx);
        } else if (rw_is(r, j, "FILTER")) {
            j = rw_filter(r, j + 1, &filt, &tail, gctx);
        } else if (rw_is(r, j, "BIND")) {
            if (!rw_is(r, j + 1, "(")) {
                rw_fail(r, RL_ERR_INPUT, &r->t[j], "BIND needs ( expression AS ?var )");
                break;
            }
            size_t be = rw_close(r, j + 1);
            rl_buf e;
            rl_buf_init(&e, (size_t)64 << 20);
            rw_expr(r, j + 1, be + 1, &e, &acc, gctx); /* an EXISTS's pattern goes before the BIND */
            rw_put(r, &acc, " BIND");
            rw_put(r, &acc, e.data ? (const char *)e.data : "");
            rl_buf_free(&e);
            j = be + 1;
        } else if (rw_is(r, j, "VALUES")) {
            size_t k = j + 1;
            while (k < end && !rw_is(r, k, "{")) k++;
            size_t ve = k < end ? rw_close(r, k) : end;
            rw_copy(r, &acc, j, ve + 1);
            j = ve + 1;
        } else if (rw_is(r, j, "{")) {
            j = rw_group(r, j, &acc, NULL, gctx);
            while (!r->st && rw_is(r, j, "UNION")) {
                rw_put_tok(r, &acc, j);
                if (!rw_is(r, j + 1, "{")) rw_fail(r, RL_ERR_INPUT, &r->t[j], "UNION needs a group { ... }");
                else j = rw_group(r, j + 1, &acc, NULL, gctx);
            }
        } else {
            size_t k = rw_triples(r, j, end, &acc, gctx);
            if (k == j) { /* nothing a group may hold */
                rw_fail(r, RL_ERR_INPUT, &r->t[j], "unexpected '%.*s' in a group", (int)r->t[j].n, r->t[j].p);
                break;
            }
            j = k;
        }
    }
    rw_put(r, out, " {");
    if (acc.len) rw_put(r, out, (const char *)acc.data);
    if (tail.len) rw_put(r, out, (const char *)tail.data);
    if (extra) rw_put(r, out, extra);
    if (filt.len) rw_put(r, out, (const char *)filt.data);
    rw_put(r, out, " }");
    rl_buf_free(&acc);
    rl_buf_free(&tail);
    rl_buf_free(&filt);
    r->nest--;
    return end + 1;
}

/* ---- the prologue ---- */

/* BASE and PREFIX in any order and number (rasqal takes one BASE, first):
 * each PREFIX IRI is resolved against the BASE in force where it stands,
 * and one BASE, the last in force, is written first.  Returns the index of
 * the first token after the prologue. */
static size_t rw_prologue(rw *r, rl_buf *out)
{
    size_t i = 0, nbase = 0, later_base = 0;
    for (size_t k = 0; k < r->n;) {
        if (rw_is(r, k, "BASE") && k + 1 < r->n) {
            if (k > 0) later_base = 1;
            nbase++, k += 2;
        } else if (rw_is(r, k, "PREFIX") && k + 2 < r->n) {
            k += 3;
        } else {
            i = k;
            break;
        }
        i = k;
    }
    if (!later_base) {
        rw_copy(r, out, 0, i);
        rw_copy(r, &r->prologue, 0, i);
        return i;
    }
    r->changed = 1;
    char base[4096] = "";
    rl_buf prefixes;
    rl_buf_init(&prefixes, (size_t)1 << 20);
    for (size_t k = 0; k < i && !r->st;) {
        const rl_tok *iri = &r->t[k + (rw_is(r, k, "BASE") ? 1 : 2)];
        char ref[4096], abs[4096];
        if (iri->kind != RL_TOK_IRI || iri->n - 2 >= sizeof ref) {
            rw_fail(r, RL_ERR_INPUT, iri, "an IRI <...> expected in the prologue");
            break;
        }
        memcpy(ref, iri->p + 1, iri->n - 2);
        ref[iri->n - 2] = 0;
        if (*base) raptor_uri_resolve_uri_reference((const unsigned char *)base, (const unsigned char *)ref,
                                                    (unsigned char *)abs, sizeof abs);
        else snprintf(abs, sizeof abs, "%s", ref);
        if (rw_is(r, k, "BASE")) {
            snprintf(base, sizeof base, "%s", abs);
            k += 2;
        } else {
            rw_putf(r, &prefixes, " PREFIX %.*s <%s>", (int)r->t[k + 1].n, r->t[k + 1].p, abs);
            k += 3;
        }
    }
    if (*base) rw_putf(r, out, "BASE <%s>", base);
    rw_put(r, out, prefixes.data ? (const char *)prefixes.data : "");
    rw_put(r, &r->prologue, out->data ? (const char *)out->data : "");
    rl_buf_free(&prefixes);
    (void)nbase;
    return i;
}

rl_status rl_guard_rewrite_patterns(const char *in, rl_buf *out, const rl_guard_env *env, int *changed, char *err,
                                    size_t cap)
{
    rl_toks toks = {0};
    rl_status s = rl_lex(in, &toks, 0, err, cap);
    rw *r = NULL;
    if (changed) *changed = 0;
    rl_buf_clear(out);
    if (s != RL_OK) {
        char why[300];
        snprintf(why, sizeof why, "%s", err);
        return s == RL_ERR_INPUT ? rl_errorf(err, cap, s, "SPARQL syntax error: %s", why) : s;
    }
    if (!(r = calloc(1, sizeof *r)) || !(r->ar = rl_arena_new((size_t)256 << 20))) {
        s = rl_errorf(err, cap, RL_ERR_NOMEM, "out of memory");
        goto out;
    }
    r->t = toks.v, r->n = toks.n, r->env = env, r->err = err, r->cap = cap;
    rl_buf_init(&r->prologue, (size_t)1 << 20);
    rl_buf_init(&r->dataset, (size_t)1 << 20);
    rw_scopes(r);
    size_t i = rw_prologue(r, out);
    for (size_t k = i; k + 1 < r->n; k++) /* FROM [NAMED] <g>, for the step queries */
        if (rw_is(r, k, "FROM")) {
            size_t e = rw_is(r, k + 1, "NAMED") ? k + 3 : k + 2;
            rw_copy(r, &r->dataset, k, e < r->n ? e : r->n);
        }
    while (i < r->n && !r->st) {
        if ((rw_is(r, i, "CONSTRUCT") && rw_is(r, i + 1, "{")) || rw_is(r, i, "VALUES")) {
            size_t k = i + 1;
            while (k < r->n && !rw_is(r, k, "{")) k++;
            size_t e = k < r->n ? rw_close(r, k) : r->n - 1;
            rw_copy(r, out, i, e + 1);
            i = e + 1;
        } else if (rw_is(r, i, "{")) {
            i = rw_group(r, i, out, NULL, NULL);
        } else if (rw_is_call_form(r, i)) {
            i = rw_call_form(r, i, out);
        } else {
            rw_put_tok(r, out, i++);
        }
    }
    s = r->st;
    if (!s && !r->changed) { /* nothing to rewrite: the text as given */
        rl_buf_clear(out);
        s = rl_buf_puts(out, in);
    }
    if (changed) *changed = r->changed;
out:
    if (r) {
        rl_buf_free(&r->prologue);
        rl_buf_free(&r->dataset);
        free(r->scope), free(r->scope_end), free(r->infilter);
        rl_arena_free(r->ar);
        free(r);
    }
    rl_toks_free(&toks);
    return s;
}
