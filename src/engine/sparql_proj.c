/* sparql_proj.c: projection expressions planned out of rasqal's query and
 * computed row by row (sparql_proj.h). */
#include "sparql_proj.h"

#include "results.h"
#include "sparql_expr.h"
#include "sparql_lex.h"
#include "sparql_value.h"
#include "term.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ITEMS 256  /* projection items */
#define MAX_FILTERS 64 /* FILTERs of the outermost group */

typedef struct item {
    size_t a, b;   /* tokens of "(" .. ")" */
    size_t ea, eb; /* the expression's tokens */
    size_t var;    /* the AS variable's token */
    rl_expr *e;    /* NULL: rasqal's */
    char *alias;   /* the variable's name (no sigil), for taken items */
    int col;       /* its result column, -1 until the first row */
} item;

typedef struct input {
    char *name;   /* a variable a taken expression reads */
    char *hidden; /* the hidden column carrying it, or NULL when it is projected */
    int col;
} input;

typedef struct filt {
    size_t a, b; /* the tokens FILTER .. its last */
    rl_expr *e;
} filt;

typedef struct bnd {
    size_t a, b; /* the tokens BIND .. ")" */
    rl_expr *e;  /* NULL: rasqal's */
    char *var;   /* the AS variable's name */
} bnd;

struct rl_proj {
    bnd bd[MAX_FILTERS];
    size_t nb, binds;
    item it[MAX_ITEMS];
    size_t nit, taken;
    filt f[MAX_FILTERS];
    size_t nf;
    int star;               /* SELECT * */
    uint64_t offset, limit; /* taken from rasqal with the FILTERs */
    int limited;
    uint64_t passed; /* solutions the FILTERs kept so far */
    input *in;
    size_t nin;
    int resolved;
    /* one solution being computed */
    librdf_world *w;
    const char *const *names;
    librdf_node **vals;
    int n;
    rl_buf *enc; /* encodings of the columns, per row */
    int *have;   /* enc[i] holds column i of this row */
    int ncols;
    rl_status st;
};

size_t rl_proj_count(const rl_proj *p)
{
    return p ? p->taken : 0;
}

size_t rl_proj_filters(const rl_proj *p)
{
    return p ? p->nf : 0;
}

size_t rl_proj_binds(const rl_proj *p)
{
    return p ? p->binds : 0;
}

void rl_proj_free(rl_proj *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->nit; i++) {
        rl_expr_free(p->it[i].e);
        free(p->it[i].alias);
    }
    for (size_t i = 0; i < p->nf; i++)
        rl_expr_free(p->f[i].e);
    for (size_t i = 0; i < p->nb; i++) {
        rl_expr_free(p->bd[i].e);
        free(p->bd[i].var);
    }
    for (size_t i = 0; i < p->nin; i++) {
        free(p->in[i].name);
        free(p->in[i].hidden);
    }
    free(p->in);
    for (int i = 0; i < p->ncols; i++)
        rl_buf_free(&p->enc[i]);
    free(p->enc);
    free(p->have);
    free(p);
}

static int tok_names(const rl_tok *t, const char *name)
{
    return t->kind == RL_TOK_VAR && t->n - 1 == strlen(name) && !memcmp(t->p + 1, name, t->n - 1);
}

/* Whether any variable token in t[a..b) is `name`. */
static int mentions(const rl_tok *t, size_t a, size_t b, const char *name)
{
    for (size_t i = a; i < b; i++)
        if (tok_names(&t[i], name)) return 1;
    return 0;
}

static void untake(item *x)
{
    rl_expr_free(x->e);
    x->e = NULL;
}

static rl_status input_add(rl_proj *p, const char *name, const rl_toks *tk, size_t pa, size_t pb)
{
    for (size_t i = 0; i < p->nin; i++)
        if (!strcmp(p->in[i].name, name)) return RL_OK;
    input *v = realloc(p->in, (p->nin + 1) * sizeof *v);
    if (!v) return RL_ERR_NOMEM;
    p->in = v;
    input *x = &p->in[p->nin];
    memset(x, 0, sizeof *x);
    x->col = -1;
    if (!(x->name = strdup(name))) return RL_ERR_NOMEM;
    p->nin++;
    int projected = p->star; /* SELECT *, a plain ?name item, or an item's AS ?name */
    for (size_t i = pa; i < pb; i++) {
        if (rl_tok_is(&tk->v[i], "(")) {
            size_t c = rl_toks_close(tk->v, tk->n, i);
            if (c < pb && tok_names(&tk->v[c - 1], name)) projected = 1;
            i = c;
        } else if (tok_names(&tk->v[i], name)) {
            projected = 1;
        }
    }
    if (!projected) {
        char h[48];
        snprintf(h, sizeof h, RL_HIDDEN_VAR_PREFIX "pv%zu", p->nin);
        if (!(x->hidden = strdup(h))) return RL_ERR_NOMEM;
    }
    return RL_OK;
}

/* Whether a FILTER's tokens use a function rasqal gets wrong (sparql_expr.h
 * says how): only those FILTERs are taken from rasqal, which otherwise
 * filters before it sorts. */
static int filter_wanted(const rl_tok *t, size_t a, size_t b)
{
    static const char *const wrong[] = {"REGEX",    "REPLACE", "SUBSTR", "STRLEN",
                                        "UCASE",    "LCASE",   "STRBEFORE", "STRAFTER",
                                        "IRI",      "URI",     "CONCAT", "ENCODE_FOR_URI"};
    for (size_t i = a; i < b; i++) {
        if ((t[i].kind == RL_TOK_IRI || t[i].kind == RL_TOK_PNAME) && i + 1 < b &&
            rl_tok_is(&t[i + 1], "("))
            return 1; /* a cast */
        for (size_t k = 0; t[i].kind == RL_TOK_NAME && k < sizeof wrong / sizeof *wrong; k++)
            if (rl_tok_is(&t[i], wrong[k])) return 1;
    }
    return 0;
}

/* The FILTERs directly in the outermost group (wo, wc) that rootline
 * evaluates, marked in skip, and the query's LIMIT / OFFSET, which must then
 * follow them. */
static rl_status plan_filters(rl_proj *p, const rl_toks *tk, const rl_prologue *pro, size_t wo,
                              size_t wc, char *skip)
{
    const rl_tok *t = tk->v;
    size_t n = tk->n;
    for (size_t k = wo + 1; k < wc && p->nf < MAX_FILTERS; k++) {
        if (rl_tok_is(&t[k], "{") || rl_tok_is(&t[k], "(") || rl_tok_is(&t[k], "[")) {
            k = rl_toks_close(t, n, k); /* not directly in the group */
            continue;
        }
        if (!rl_tok_is(&t[k], "FILTER") || k + 2 >= wc) continue;
        size_t ea, eb, last;
        if (rl_tok_is(&t[k + 1], "("))
            last = rl_toks_close(t, n, k + 1), ea = k + 2, eb = last;
        else if (rl_tok_is(&t[k + 2], "("))
            last = rl_toks_close(t, n, k + 2), ea = k + 1, eb = last + 1;
        else
            continue;
        if (last >= wc) break;
        if (filter_wanted(t, ea, eb)) {
            char err[128];
            rl_expr *e = NULL;
            rl_status s = rl_expr_parse(t, ea, eb, pro, &e, err, sizeof err);
            if (s == RL_ERR_NOMEM) return s;
            if (s == RL_OK) p->f[p->nf].a = k, p->f[p->nf].b = last, p->f[p->nf++].e = e;
        }
        k = last;
    }
    for (size_t k = wc + 1; k < n && p->nf; k++)
        if (rl_tok_is(&t[k], "VALUES")) { /* joined after the FILTERs: they stay rasqal's */
            for (size_t i = 0; i < p->nf; i++)
                rl_expr_free(p->f[i].e);
            p->nf = 0;
        }
    if (!p->nf) return RL_OK;
    /* LIMIT / OFFSET after the group: applied after the FILTERs, by rootline */
    for (size_t k = wc + 1; k < n; k++) {
        int lim = rl_tok_is(&t[k], "LIMIT"), off = rl_tok_is(&t[k], "OFFSET");
        if (!lim && !off) continue;
        char *end = NULL;
        unsigned long long v =
            k + 1 < n && t[k + 1].kind == RL_TOK_NUMBER ? strtoull(t[k + 1].p, &end, 10) : 0;
        if (!end || end != t[k + 1].p + t[k + 1].n) { /* not a plain integer: rasqal's FILTERs */
            for (size_t i = 0; i < p->nf; i++)
                rl_expr_free(p->f[i].e);
            p->nf = 0;
            return RL_OK;
        }
        if (lim) p->limit = v, p->limited = 1;
        else p->offset = v;
        skip[k] = skip[k + 1] = 1;
    }
    for (size_t i = 0; i < p->nf; i++) {
        for (size_t k = p->f[i].a; k <= p->f[i].b; k++)
            skip[k] = 1;
        if (p->f[i].b + 1 < wc && rl_tok_is(&t[p->f[i].b + 1], ".")) skip[p->f[i].b + 1] = 1;
    }
    return RL_OK;
}

/* Whether a variable token `name` occurs in t[a..b) outside the taken
 * FILTERs and BINDs. */
static int mentioned_outside(const rl_proj *p, const rl_tok *t, size_t a, size_t b, const char *name)
{
    for (size_t i = a; i < b; i++) {
        for (size_t k = 0; k < p->nf; k++)
            if (i >= p->f[k].a && i <= p->f[k].b) i = p->f[k].b + 1;
        for (size_t k = 0; k < p->nb; k++)
            if (p->bd[k].e && i >= p->bd[k].a && i <= p->bd[k].b) i = p->bd[k].b + 1;
        if (i < b && tok_names(&t[i], name)) return 1;
    }
    return 0;
}

/* The BINDs at the end of the outermost group (only BINDs and FILTERs
 * after them) that rootline evaluates: rasqal drops a solution whose BIND
 * fails, where SPARQL leaves the variable unbound.  One stays rasqal's when
 * anything rasqal evaluates reads its variable. */
static rl_status plan_binds(rl_proj *p, const rl_toks *tk, const rl_prologue *pro, size_t wo,
                            size_t wc)
{
    const rl_tok *t = tk->v;
    size_t n = tk->n, tail = wo + 1;
    if (p->star) return RL_OK; /* the variable would need a column of its own */
    for (size_t k = wo + 1; k < wc; k++) { /* where the trailing BINDs and FILTERs begin */
        size_t e = k;
        if ((rl_tok_is(&t[k], "BIND") || rl_tok_is(&t[k], "FILTER")) && k + 1 < wc) {
            e = rl_tok_is(&t[k + 1], "(") ? rl_toks_close(t, n, k + 1) : k + 2 < wc ? rl_toks_close(t, n, k + 2) : k;
            k = e;
            continue;
        }
        if (rl_tok_is(&t[k], ".")) continue;
        if (rl_tok_is(&t[k], "{") || rl_tok_is(&t[k], "(") || rl_tok_is(&t[k], "[")) e = rl_toks_close(t, n, k);
        k = e, tail = e + 1;
    }
    for (size_t k = tail; k < wc && p->nb < MAX_FILTERS; k++) {
        if (!rl_tok_is(&t[k], "BIND") || !rl_tok_is(&t[k + 1], "(")) continue;
        size_t c = rl_toks_close(t, n, k + 1);
        if (c >= wc || c < k + 5 || !rl_tok_is(&t[c - 2], "AS") || t[c - 1].kind != RL_TOK_VAR) break;
        bnd *x = &p->bd[p->nb++];
        x->a = k, x->b = c;
        if (!(x->var = strndup(t[c - 1].p + 1, t[c - 1].n - 1))) return RL_ERR_NOMEM;
        char err[128];
        rl_status s = rl_expr_parse(t, k + 2, c - 2, pro, &x->e, err, sizeof err);
        if (s == RL_ERR_NOMEM) return s;
        k = c;
    }
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t k = 0; k < p->nb; k++) {
            bnd *x = &p->bd[k];
            int read = x->e && mentioned_outside(p, t, wo, n, x->var);
            for (size_t j = 0; x->e && !read && j < p->nit; j++) /* an item rasqal evaluates */
                read = !p->it[j].e && mentions(t, p->it[j].ea, p->it[j].eb, x->var);
            if (read) rl_expr_free(x->e), x->e = NULL, changed = 1;
        }
    }
    for (size_t k = 0; k < p->nb; k++)
        p->binds += p->bd[k].e != NULL;
    return RL_OK;
}

/* The plan itself: which items and FILTERs are taken and what rasqal gets. */
static rl_status plan(rl_proj *p, const char *in, const rl_toks *tk, const char *base, rl_buf *out,
                      int *any)
{
    const rl_tok *t = tk->v;
    size_t n = tk->n;
    rl_prologue pro;
    size_t i = rl_prologue_read(t, n, &pro, base);
    *any = 0;
    if (i >= n || !rl_tok_is(&t[i], "SELECT")) return RL_OK;
    size_t pa = ++i;
    if (i < n && (rl_tok_is(&t[i], "DISTINCT") || rl_tok_is(&t[i], "REDUCED"))) return RL_OK;
    if (i < n && rl_tok_is(&t[i], "*")) p->star = 1, i++;
    /* the items */
    while (i < n && !p->star) {
        if (t[i].kind == RL_TOK_VAR) {
            i++;
            continue;
        }
        if (!rl_tok_is(&t[i], "(")) break;
        size_t c = rl_toks_close(t, n, i);
        if (c >= n || c < i + 4 || !rl_tok_is(&t[c - 2], "AS") || t[c - 1].kind != RL_TOK_VAR)
            return RL_OK;
        if (p->nit >= MAX_ITEMS) return RL_OK;
        item *x = &p->it[p->nit++];
        x->a = i, x->b = c, x->ea = i + 1, x->eb = c - 2, x->var = c - 1, x->col = -1;
        char err[128];
        rl_status s = rl_expr_parse(t, x->ea, x->eb, &pro, &x->e, err, sizeof err);
        if (s == RL_ERR_NOMEM) return s;
        i = c + 1;
    }
    size_t pb = i;
    static const char *const aggs[] = {"COUNT", "SUM", "AVG", "MIN", "MAX", "SAMPLE", "GROUP_CONCAT"};
    for (size_t k = pa; k < pb; k++) /* an aggregate query: grouping (sparql_agg.c) comes first */
        for (size_t j = 0; t[k].kind == RL_TOK_NAME && j < sizeof aggs / sizeof *aggs; j++)
            if (rl_tok_is(&t[k], aggs[j])) return RL_OK;
    /* the WHERE group and what follows it */
    while (i < n && !rl_tok_is(&t[i], "{"))
        i++;
    size_t wo = i, wc = rl_toks_close(t, n, wo);
    if (wo >= n || wc >= n) return RL_OK;
    for (size_t k = wc + 1; k < n; k++)
        if (rl_tok_is(&t[k], "GROUP") || rl_tok_is(&t[k], "HAVING")) return RL_OK;
    char *skip = calloc(n + 1, 1); /* 1: left out of rasqal's text, 2: written alone */
    if (!skip) return RL_ERR_NOMEM;
    rl_status s = plan_filters(p, tk, &pro, wo, wc, skip);
    for (size_t k = 0; k < p->nit && s == RL_OK; k++) {
        item *x = &p->it[k];
        if (!x->e) continue;
        if (!(x->alias = strndup(t[x->var].p + 1, t[x->var].n - 1))) s = RL_ERR_NOMEM;
        else if (mentions(t, wo, n, x->alias)) untake(x);
    }
    for (int changed = 1; changed && s == RL_OK;) { /* an item rasqal evaluates must not read a taken one */
        changed = 0;
        for (size_t k = 0; k < p->nit; k++) {
            if (p->it[k].e) continue;
            for (size_t j = 0; j < p->nit; j++)
                if (p->it[j].e && mentions(t, p->it[k].ea, p->it[k].eb, p->it[j].alias))
                    untake(&p->it[j]), changed = 1;
        }
    }
    if (s == RL_OK) s = plan_binds(p, tk, &pro, wo, wc);
    for (size_t k = 0; k < p->nb && s == RL_OK; k++)
        if (p->bd[k].e) s = input_add(p, p->bd[k].var, tk, pa, pb); /* the column it fills */
    for (size_t k = 0; k < p->nit + p->nf + p->nb && s == RL_OK; k++) {
        rl_expr *e = k < p->nit          ? p->it[k].e
                     : k < p->nit + p->nf ? p->f[k - p->nit].e
                                          : p->bd[k - p->nit - p->nf].e;
        if (!e) continue;
        if (k < p->nit) p->taken++;
        for (size_t v = 0; v < rl_expr_var_count(e) && s == RL_OK; v++)
            s = input_add(p, rl_expr_var(e, v), tk, pa, pb);
    }
    if (s != RL_OK || (!p->taken && !p->nf && !p->binds)) {
        free(skip);
        return s;
    }
    /* rasqal's query: the text with each taken item as its bare variable,
     * the hidden inputs before the end of the projection, and neither the
     * taken FILTERs nor the LIMIT / OFFSET they moved */
    for (size_t k = 0; k < p->nit; k++)
        if (p->it[k].e)
            for (size_t j = p->it[k].a; j <= p->it[k].b; j++)
                skip[j] = j == p->it[k].var ? 2 : 1;
    for (size_t k = 0; k < p->nb; k++)
        if (p->bd[k].e) {
            for (size_t j = p->bd[k].a; j <= p->bd[k].b; j++)
                skip[j] = 1;
            if (p->bd[k].b + 1 < wc && rl_tok_is(&t[p->bd[k].b + 1], ".")) skip[p->bd[k].b + 1] = 1;
        }
    rl_buf_clear(out);
    const char *prev = in;
    for (size_t k = 0; k <= n && s == RL_OK; k++) {
        const char *at = k < n ? t[k].p : in + strlen(in);
        if (k == pb) { /* the hidden inputs */
            if ((s = rl_buf_append(out, prev, (size_t)(at - prev))) != RL_OK) break;
            prev = at;
            for (size_t v = 0; v < p->nin && s == RL_OK; v++)
                if (p->in[v].hidden)
                    s = rl_buf_printf(out, " (?%s AS ?%s) ", p->in[v].name, p->in[v].hidden);
        }
        if (k == n || !skip[k]) continue;
        if ((s = rl_buf_append(out, prev, (size_t)(at - prev))) != RL_OK) break;
        if (skip[k] == 2 && (s = rl_buf_puts(out, " ")) == RL_OK)
            s = rl_buf_append(out, t[k].p, t[k].n);
        prev = t[k].p + t[k].n;
    }
    if (s == RL_OK) s = rl_buf_puts(out, prev);
    if (s == RL_OK) s = rl_buf_append(out, "", 1);
    if (s == RL_OK) *any = 1;
    free(skip);
    return s;
}

rl_status rl_proj_plan(const char *in, const char *base, rl_buf *out, rl_proj **out_plan, char *err,
                       size_t cap)
{
    *out_plan = NULL;
    rl_toks tk = {0};
    char lerr[128];
    if (rl_lex(in, &tk, 0, lerr, sizeof lerr) != RL_OK)
        return RL_OK; /* rasqal will say what is wrong */
    rl_proj *p = calloc(1, sizeof *p);
    int any = 0;
    rl_status s = p ? plan(p, in, &tk, base, out, &any) : RL_ERR_NOMEM;
    if (s == RL_OK && any)
        *out_plan = p, p = NULL;
    else if (s != RL_OK)
        rl_errorf(err, cap, s, s == RL_ERR_LIMIT ? "query text too long" : "out of memory");
    rl_proj_free(p);
    rl_toks_free(&tk);
    return s;
}

/* ---- rows ---------------------------------------------------------------- */

static int column_of(const rl_proj *p, const char *name)
{
    for (int i = 0; i < p->n; i++)
        if (p->names[i] && !strcmp(p->names[i], name)) return i;
    return -1;
}

/* The encoding of column c of this row (NULL: unbound). */
static const char *column_value(rl_proj *p, int c)
{
    if (c < 0 || c >= p->ncols || !p->vals[c]) return NULL;
    if (p->have[c]) return (const char *)p->enc[c].data;
    rl_buf *b = &p->enc[c];
    rl_buf_clear(b);
    rl_status s = rl_term_encode(p->vals[c], b);
    if (s == RL_OK) s = rl_buf_append(b, "", 1);
    if (s != RL_OK) {
        p->st = s;
        return NULL;
    }
    for (size_t k = 0; k + 1 < b->len; k++)
        if (!b->data[k]) b->data[k] = RL_VAL_SEP;
    p->have[c] = 1;
    return (const char *)b->data;
}

static const char *lookup(void *ctx, const char *name)
{
    rl_proj *p = ctx;
    for (size_t i = 0; i < p->nin; i++)
        if (!strcmp(p->in[i].name, name)) return column_value(p, p->in[i].col);
    return column_value(p, column_of(p, name));
}

/* vals[c] := the term `v` encodes (NULL: unbound); its encoding kept. */
static rl_status column_set(rl_proj *p, int c, const char *v)
{
    if (p->vals[c]) librdf_free_node(p->vals[c]);
    p->vals[c] = NULL;
    p->have[c] = 0;
    if (!v) return RL_OK;
    rl_buf *b = &p->enc[c];
    size_t len = strlen(v);
    rl_buf_clear(b);
    rl_status s = rl_buf_append(b, v, len + 1);
    if (s != RL_OK) return s;
    p->have[c] = 1;
    unsigned char *raw = malloc(len ? len : 1);
    if (!raw) return RL_ERR_NOMEM;
    memcpy(raw, v, len);
    for (size_t k = 0; k < len; k++)
        if (raw[k] == RL_VAL_SEP) raw[k] = 0;
    p->vals[c] = (librdf_node *)rl_term_decode(librdf_world_get_raptor(p->w), raw, len);
    free(raw);
    return p->vals[c] ? RL_OK : RL_ERR_NOMEM;
}

rl_status rl_proj_row(rl_proj *p, librdf_world *w, const char *const *names, librdf_node **vals,
                      int n, int *keep)
{
    p->w = w, p->names = names, p->vals = vals, p->n = n, p->st = RL_OK;
    *keep = 1;
    if (!p->resolved) {
        if (!(p->enc = calloc((size_t)n + 1, sizeof *p->enc)) ||
            !(p->have = calloc((size_t)n + 1, sizeof *p->have)))
            return RL_ERR_NOMEM;
        p->ncols = n;
        for (int i = 0; i < n; i++)
            rl_buf_init(&p->enc[i], (size_t)64 << 20);
        for (size_t i = 0; i < p->nin; i++)
            p->in[i].col = column_of(p, p->in[i].hidden ? p->in[i].hidden : p->in[i].name);
        for (size_t i = 0; i < p->nit; i++)
            if (p->it[i].e) p->it[i].col = column_of(p, p->it[i].alias);
        p->resolved = 1;
    }
    if (n != p->ncols) return RL_ERR_INTERNAL;
    memset(p->have, 0, (size_t)n * sizeof *p->have);
    for (size_t i = 0; i < p->nb; i++) { /* the trailing BINDs, in order: an error leaves it unbound */
        const bnd *x = &p->bd[i];
        if (!x->e) continue;
        int c = -1;
        for (size_t k = 0; k < p->nin && c < 0; k++)
            if (!strcmp(p->in[k].name, x->var)) c = p->in[k].col;
        const char *v;
        rl_status s = rl_expr_eval(x->e, lookup, p, &v);
        if (s == RL_OK) s = p->st;
        if (s == RL_OK && c >= 0) s = column_set(p, c, v);
        if (s != RL_OK) return s;
    }
    for (size_t i = 0; i < p->nf; i++) { /* the FILTERs: an error is false */
        const char *v;
        rl_status s = rl_expr_eval(p->f[i].e, lookup, p, &v);
        if (s == RL_OK) s = p->st;
        if (s != RL_OK) return s;
        if (rl_expr_ebv(v) != 1) {
            *keep = 0;
            return RL_OK;
        }
    }
    if (p->nf) { /* then OFFSET and LIMIT */
        p->passed++;
        if (p->passed <= p->offset) {
            *keep = 0;
            return RL_OK;
        }
        if (p->limited && p->passed > p->offset + p->limit) {
            *keep = -1;
            return RL_OK;
        }
    }
    for (size_t i = 0; i < p->nit; i++) {
        item *x = &p->it[i];
        if (!x->e || x->col < 0) continue;
        const char *v;
        rl_status s = rl_expr_eval(x->e, lookup, p, &v);
        if (s == RL_OK) s = p->st;
        if (s == RL_OK) s = column_set(p, x->col, v);
        if (s != RL_OK) return s;
    }
    return RL_OK;
}
