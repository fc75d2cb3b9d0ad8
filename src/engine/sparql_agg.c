/* sparql_agg.c: aggregate SELECTs materialised (sparql_agg.h; the steps and
 * the reasons are in docs/modules/query-results.md). */
#include "sparql_agg.h"

#include "arena.h"
#include "results.h"
#include "sparql_expr.h"
#include "sparql_lex.h"
#include "sparql_value.h"
#include "vocab.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_COLS 256  /* columns of one WHERE's solutions */
#define MAX_AGGS 64   /* distinct aggregate calls of one SELECT */
#define MAX_OCC 128   /* aggregate calls as written */
#define MAX_KEYS 32   /* GROUP BY conditions */
#define MAX_SELECTS 64 /* SELECTs materialised in one query */
#define SEP RL_VAL_SEP /* rl_query_rows' stand-in for the encoding's NUL */

typedef enum { A_COUNT, A_SUM, A_AVG, A_MIN, A_MAX, A_SAMPLE, A_CONCAT } agg_kind;

typedef struct agg {
    agg_kind kind;
    int distinct, star;
    size_t ea, eb;   /* argument tokens [ea, eb) */
    const char *sep; /* GROUP_CONCAT separator (decoded) */
    const char *col; /* its column, "?name" */
    int argcol;      /* the argument's column in the rows (-1: *) */
    const char *text; /* the call as written, normalised (to merge repeats) */
} agg;

typedef struct occ {
    size_t a, b; /* the call's tokens [a, b] */
    int agg;
} occ;

typedef struct key {
    size_t ea, eb;   /* expression tokens */
    const char *col; /* its column, "?name" */
    int bind;        /* 1: BIND(expression AS col) in the WHERE */
    int colidx;
} key;

typedef struct sel {
    size_t s, end; /* the SELECT token; end of the query or subquery (exclusive) */
    size_t modifier; /* DISTINCT / REDUCED token, 0: none */
    size_t pa, pb, da, db, wo, wc, ga, gb, ha, hb, ra, rb;
    agg aggs[MAX_AGGS];
    occ occs[MAX_OCC];
    key keys[MAX_KEYS];
    int naggs, nocc, nkeys;
    const char *cols[MAX_COLS];
    int ncols;
    int star_cols[MAX_COLS]; /* for COUNT(DISTINCT *): the WHERE's variables */
    int nstar;
    /* columns rootline computes from the others (sparql_expr.h), NULL for
     * the ones stage 1 selects */
    rl_expr *cex[MAX_COLS];
    int ncex;
} sel;

typedef struct ag {
    const rl_tok *t;
    size_t n;
    const rl_agg_env *env;
    rl_arena *ar;
    rl_status st;
    char *err;
    size_t cap;
    unsigned fresh;
    int changed, selects;
    rl_buf prologue, dataset;
    const rl_prologue *pro; /* for the expressions rootline evaluates */
} ag;

/* ---- tokens ------------------------------------------------------------- */

static int is(const ag *g, size_t i, const char *w) { return i < g->n && rl_tok_is(&g->t[i], w); }

/* The index of the bracket closing the one at i, or g->n. */
static size_t close_of(const ag *g, size_t i) { return rl_toks_close(g->t, g->n, i); }

static void put(ag *g, rl_buf *b, const char *s)
{
    if (g->st == RL_OK && (g->st = rl_buf_puts(b, s)) == RL_ERR_LIMIT) snprintf(g->err, g->cap, "query text too long");
}

static void putn(ag *g, rl_buf *b, const char *s, size_t n)
{
    if (g->st == RL_OK && (g->st = rl_buf_append(b, s, n)) == RL_ERR_LIMIT) snprintf(g->err, g->cap, "query text too long");
}

static void put_tok(ag *g, rl_buf *b, size_t i)
{
    if (g->t[i].space) put(g, b, " ");
    putn(g, b, g->t[i].p, g->t[i].n);
}

static rl_status limit_bytes(ag *g)
{
    snprintf(g->err, g->cap, "grouping needed more than %zu bytes (the limit)",
             g->env->max_bytes ? g->env->max_bytes : (size_t)256 << 20);
    return RL_ERR_LIMIT;
}

/* A copy of s[0..n) in the arena; NULL (and the limit error) past its ceiling. */
static char *dup(ag *g, const char *s, size_t n)
{
    char *c = rl_arena_strndup(g->ar, s, n);
    if (!c && g->st == RL_OK) g->st = limit_bytes(g);
    return c;
}

static const char *fresh(ag *g, const char *tag)
{
    char s[48];
    snprintf(s, sizeof s, "?" RL_HIDDEN_VAR_PREFIX "%s%u", tag, ++g->fresh);
    const char *r = dup(g, s, strlen(s));
    return r ? r : "?" RL_HIDDEN_VAR_PREFIX "x";
}

/* A variable token as "?name". */
static const char *var_name(ag *g, size_t i)
{
    char *s = dup(g, g->t[i].p, g->t[i].n);
    if (!s) return "?";
    s[0] = '?';
    return s;
}

/* Tokens [a, b) with every aggregate call in s replaced by its column. */
static void copy(ag *g, rl_buf *out, size_t a, size_t b, const sel *s)
{
    for (size_t k = a; k < b && g->st == RL_OK; k++) {
        int o = -1;
        for (int j = 0; s && j < s->nocc; j++)
            if (s->occs[j].a == k) o = j;
        if (o >= 0) {
            put(g, out, " ");
            put(g, out, s->aggs[s->occs[o].agg].col);
            k = s->occs[o].b;
        } else {
            put_tok(g, out, k);
        }
    }
}

/* ---- parsing one SELECT ------------------------------------------------- */

static const char *const agg_names[] = {"COUNT", "SUM", "AVG", "MIN", "MAX", "SAMPLE", "GROUP_CONCAT"};

static int agg_at(const ag *g, size_t k)
{
    if (g->t[k].kind != RL_TOK_NAME || !is(g, k + 1, "(")) return -1;
    for (int i = 0; i < 7; i++)
        if (rl_tok_is(&g->t[k], agg_names[i])) return i;
    return -1;
}

/* The decoded text of a string token (escapes as SPARQL's ECHAR). */
static const char *string_value(ag *g, size_t i)
{
    const rl_tok *t = &g->t[i];
    size_t q = t->n >= 6 && t->p[1] == t->p[0] && t->p[2] == t->p[0] ? 3 : 1;
    char *s = rl_arena_alloc(g->ar, t->n + 1), *w = s;
    if (!s) {
        if (g->st == RL_OK) g->st = limit_bytes(g);
        return NULL;
    }
    for (size_t k = q; k + q < t->n; k++) {
        char c = t->p[k];
        if (c == '\\' && k + 1 + q < t->n) {
            c = t->p[++k];
            c = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c == 'b' ? '\b' : c == 'f' ? '\f' : c;
        }
        *w++ = c;
    }
    *w = 0;
    return s;
}

/* The calls in [a, b): -1 when one cannot be read (nested, a bad SEPARATOR,
 * too many). */
static int find_aggs(ag *g, sel *s, size_t a, size_t b)
{
    for (size_t k = a; k < b; k++) {
        int kind = agg_at(g, k);
        if (kind < 0) continue;
        size_t open = k + 1, close = close_of(g, open), in = open + 1;
        if (close >= b || s->nocc >= MAX_OCC) return -1;
        agg x = {(agg_kind)kind, 0, 0, 0, 0, " ", NULL, -1, NULL};
        if (is(g, in, "DISTINCT")) x.distinct = 1, in++;
        if (is(g, in, "*") && in + 1 == close) {
            if (kind != A_COUNT) return -1;
            x.star = 1;
        } else {
            size_t e = in;
            while (e < close && !is(g, e, ";")) {
                if (agg_at(g, e) >= 0) return -1; /* nested: not SPARQL */
                e = is(g, e, "(") ? close_of(g, e) + 1 : e + 1;
            }
            x.ea = in, x.eb = e;
            if (e == in) return -1;
            if (e < close) { /* ; SEPARATOR = "..." */
                if (kind != A_CONCAT || !is(g, e + 1, "SEPARATOR") || !is(g, e + 2, "=") || e + 4 != close ||
                    g->t[e + 3].kind != RL_TOK_STRING)
                    return -1;
                if (!(x.sep = string_value(g, e + 3))) return -1;
            }
        }
        /* the call's text, to merge repeats of one aggregate */
        rl_buf tx;
        rl_buf_init(&tx, (size_t)1 << 20);
        for (size_t j = k; j <= close; j++) {
            rl_buf_append(&tx, g->t[j].p, g->t[j].n);
            rl_buf_append(&tx, " ", 1);
        }
        x.text = dup(g, tx.data ? (const char *)tx.data : "", tx.len);
        rl_buf_free(&tx);
        if (!x.text) return -1;
        for (char *c = (char *)x.text; *c; c++) *c = (char)toupper((unsigned char)*c);
        int found = -1;
        for (int j = 0; j < s->naggs; j++)
            if (!strcmp(s->aggs[j].text, x.text)) found = j;
        if (found < 0) {
            if (s->naggs >= MAX_AGGS) return -1;
            s->aggs[found = s->naggs++] = x;
        }
        s->occs[s->nocc].a = k, s->occs[s->nocc].b = close, s->occs[s->nocc++].agg = found;
        k = close;
    }
    return 0;
}

/* Skips one GROUP BY / HAVING / ORDER BY item at k; returns the next index. */
static size_t item_end(const ag *g, size_t k)
{
    if (is(g, k, "(")) return close_of(g, k) + 1;
    if (is(g, k + 1, "(") && g->t[k].kind != RL_TOK_PUNCT) return close_of(g, k + 1) + 1; /* a call */
    return k + 1;
}

static int stop_word(const ag *g, size_t k, int having)
{
    return is(g, k, "}") || is(g, k, "ORDER") || is(g, k, "LIMIT") || is(g, k, "OFFSET") || is(g, k, "VALUES") ||
           (!having && is(g, k, "HAVING"));
}

/* Reads the SELECT at s (ending before `end`) into *x.  -1: not a form read
 * here. */
static int sel_parse(ag *g, sel *x, size_t s, size_t end)
{
    memset(x, 0, sizeof *x);
    x->s = s, x->end = end;
    size_t k = s + 1;
    if (is(g, k, "DISTINCT") || is(g, k, "REDUCED")) x->modifier = k++;
    x->pa = k;
    while (k < end && !is(g, k, "WHERE") && !is(g, k, "{") && !is(g, k, "FROM"))
        k = is(g, k, "(") ? close_of(g, k) + 1 : k + 1;
    x->pb = k;
    x->da = k;
    while (is(g, k, "FROM")) k += is(g, k + 1, "NAMED") ? 3 : 2;
    x->db = k;
    if (is(g, k, "WHERE")) k++;
    if (!is(g, k, "{")) return -1;
    x->wo = k, x->wc = close_of(g, k);
    if (x->wc >= end) return -1;
    k = x->wc + 1;
    x->ga = x->gb = x->ha = x->hb = k;
    if (is(g, k, "GROUP") && is(g, k + 1, "BY")) {
        k += 2;
        x->ga = k;
        while (k < end && !stop_word(g, k, 0)) k = item_end(g, k);
        x->gb = k;
        if (x->gb == x->ga) return -1;
    }
    x->ha = x->hb = k;
    if (is(g, k, "HAVING")) {
        x->ha = ++k;
        while (k < end && !stop_word(g, k, 1)) k = item_end(g, k);
        x->hb = k;
    }
    x->ra = k, x->rb = end;
    return 0;
}

/* ---- the WHERE's columns ------------------------------------------------ */

static int col_add(ag *g, sel *x, const char *name)
{
    for (int i = 0; i < x->ncols; i++)
        if (!strcmp(x->cols[i], name)) return i;
    if (x->ncols >= MAX_COLS) return -1;
    (void)g;
    x->cols[x->ncols] = name;
    return x->ncols++;
}

/* Column `col` computed by rootline from the expression [a, b) when
 * sparql_expr evaluates it (its variables become stage-1 columns): 1, and
 * the column in *idx; 0 when rasqal must BIND it; -1 on an error. */
static int expr_col(ag *g, sel *x, size_t a, size_t b, const char *col)
{
    rl_expr *e = NULL;
    char err[128];
    rl_status s = rl_expr_parse(g->t, a, b, g->pro, &e, err, sizeof err);
    if (s == RL_ERR_NOMEM) g->st = s;
    if (s != RL_OK) return s == RL_ERR_NOMEM ? -1 : 0;
    int c = col_add(g, x, col);
    if (c < 0 || x->cex[c]) {
        rl_expr_free(e);
        return -1;
    }
    x->cex[c] = e, x->ncex++;
    for (size_t i = 0; i < rl_expr_var_count(e); i++) {
        const char *v = rl_expr_var(e, i);
        char *nm = rl_arena_alloc(g->ar, strlen(v) + 2);
        if (!nm) {
            if (g->st == RL_OK) g->st = limit_bytes(g);
            return -1;
        }
        nm[0] = '?';
        strcpy(nm + 1, v);
        if (col_add(g, x, nm) < 0) return -1;
    }
    return 1;
}

/* Keys, aggregate arguments and the stage-1 SELECT text in *q.  -1: a form
 * not handled here. */
static int plan(ag *g, sel *x, const rl_buf *where, rl_buf *q)
{
    rl_buf binds;
    rl_buf_init(&binds, (size_t)64 << 20);
    int rc = 0;
    for (size_t k = x->ga; k < x->gb && rc == 0; k = item_end(g, k)) {
        if (x->nkeys >= MAX_KEYS) {
            rc = -1;
            break;
        }
        key *y = &x->keys[x->nkeys++];
        size_t e = item_end(g, k);
        if (g->t[k].kind == RL_TOK_VAR) {
            y->ea = k, y->eb = k + 1, y->col = var_name(g, k), y->bind = 0;
        } else if (is(g, k, "(")) {
            size_t c = e - 1, as = k + 1;
            while (as < c && !is(g, as, "AS")) as = is(g, as, "(") ? close_of(g, as) + 1 : as + 1;
            y->ea = k + 1, y->eb = as, y->bind = 1;
            if (as < c) {
                if (as + 2 != c || g->t[as + 1].kind != RL_TOK_VAR) rc = -1;
                else y->col = var_name(g, as + 1);
            } else {
                y->col = fresh(g, "k");
            }
        } else {
            y->ea = k, y->eb = e, y->col = fresh(g, "k"), y->bind = 1;
        }
        int computed = rc == 0 && y->bind ? expr_col(g, x, y->ea, y->eb, y->col) : 0;
        if (computed < 0) rc = -1;
        if (rc == 0 && y->bind && !computed) {
            put(g, &binds, " BIND(");
            copy(g, &binds, y->ea, y->eb, NULL);
            put(g, &binds, " AS ");
            put(g, &binds, y->col);
            put(g, &binds, ")");
        }
        if (rc == 0 && (y->colidx = col_add(g, x, y->col)) < 0) rc = -1;
    }
    int star = 0;
    for (int i = 0; i < x->naggs && rc == 0; i++) {
        agg *a = &x->aggs[i];
        if (a->star) {
            star |= a->distinct;
            continue;
        }
        const char *c;
        if (a->eb == a->ea + 1 && g->t[a->ea].kind == RL_TOK_VAR) {
            c = var_name(g, a->ea);
        } else if ((rc = expr_col(g, x, a->ea, a->eb, c = fresh(g, "x"))) == 0) {
            put(g, &binds, " BIND(");
            copy(g, &binds, a->ea, a->eb, NULL);
            put(g, &binds, " AS ");
            put(g, &binds, c);
            put(g, &binds, ")");
        }
        if (rc < 0) break;
        rc = 0;
        if ((a->argcol = col_add(g, x, c)) < 0) rc = -1;
    }
    if (star) /* COUNT(DISTINCT *): distinct over every variable of the WHERE */
        for (size_t k = x->wo + 1; k < x->wc && rc == 0; k++)
            if (g->t[k].kind == RL_TOK_VAR) {
                int c = col_add(g, x, var_name(g, k));
                if (c < 0) rc = -1;
                int seen = 0;
                for (int j = 0; j < x->nstar; j++) seen |= x->star_cols[j] == c;
                if (!seen && c >= 0) x->star_cols[x->nstar++] = c;
            }
    if (rc == 0 && !x->ncols) { /* COUNT(*) alone: one column to count rows by */
        const char *c = fresh(g, "one");
        put(g, &binds, " BIND(1 AS ");
        put(g, &binds, c);
        put(g, &binds, ")");
        col_add(g, x, c);
    }
    if (rc == 0) {
        putn(g, q, (const char *)g->prologue.data, g->prologue.len);
        put(g, q, " SELECT");
        for (int i = 0; i < x->ncols; i++)
            if (!x->cex[i]) {
                put(g, q, " ");
                put(g, q, x->cols[i]);
            }
        put(g, q, " ");
        putn(g, q, (const char *)g->dataset.data, g->dataset.len);
        put(g, q, " WHERE { {");
        putn(g, q, (const char *)where->data, where->len);
        put(g, q, " }");
        putn(g, q, (const char *)binds.data, binds.len);
        put(g, q, " }");
    }
    rl_buf_free(&binds);
    return g->st == RL_OK ? rc : -1;
}

/* ---- groups, accumulated solution by solution --------------------------- */

/* A set of strings (arena-owned), open addressing. */
typedef struct strset {
    const char **slot;
    int *val;
    size_t cap, n;
} strset;

static size_t str_hash(const char *s)
{
    size_t h = 1469598103934665603u; /* FNV-1a: a table's hash, not a digest */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

/* The value stored with s, or -1 when absent; with add >= 0, s (which must
 * outlive the set) is added with that value. */
static int strset_get(strset *t, const char *s, int add, rl_status *st)
{
    if (t->cap) {
        for (size_t i = str_hash(s) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
            if (!t->slot[i]) break;
            if (!strcmp(t->slot[i], s)) return t->val[i];
        }
    }
    if (add < 0) return -1;
    if (2 * (t->n + 1) > t->cap) { /* grow (and rehash) at half full */
        size_t nc = t->cap ? 2 * t->cap : 16;
        const char **ns = calloc(nc, sizeof *ns);
        int *nv = calloc(nc, sizeof *nv);
        if (!ns || !nv) {
            free(ns), free(nv);
            *st = RL_ERR_NOMEM;
            return -1;
        }
        for (size_t i = 0; i < t->cap; i++)
            if (t->slot[i]) {
                size_t j = str_hash(t->slot[i]) & (nc - 1);
                while (ns[j]) j = (j + 1) & (nc - 1);
                ns[j] = t->slot[i], nv[j] = t->val[i];
            }
        free(t->slot), free(t->val);
        t->slot = ns, t->val = nv, t->cap = nc;
    }
    size_t i = str_hash(s) & (t->cap - 1);
    while (t->slot[i]) i = (i + 1) & (t->cap - 1);
    t->slot[i] = s, t->val[i] = add, t->n++;
    return add;
}

static void strset_free(strset *t)
{
    free(t->slot);
    free(t->val);
    memset(t, 0, sizeof *t);
}

typedef struct acc {  /* one aggregate over one group so far */
    size_t count;     /* values taken (COUNT, AVG's divisor) */
    rl_num sum;          /* SUM, AVG */
    int bad;          /* SUM, AVG: an unbound or non-number value */
    char *best;       /* MIN, MAX, SAMPLE (malloc'd) */
    rl_buf cat;       /* GROUP_CONCAT */
    strset seen;      /* DISTINCT: the values taken */
} acc;

typedef struct group {
    const char **keyv; /* the key columns' values (arena) */
    acc *acc;          /* one per aggregate */
} group;

typedef struct groups {
    ag *g;
    sel *x;
    strset index; /* key -> group */
    group *v;
    size_t n, cap, max;
    int overflow; /* more groups than max, or a sum beyond 128 bits */
    rl_buf key, sig;
} groups;

/* A copy of s kept for the groups; *st = RL_ERR_LIMIT past the arena's
 * ceiling (dup() sets the message). */
static const char *keep(ag *g, const char *s, rl_status *st)
{
    const char *c = dup(g, s, strlen(s));
    if (!c) *st = RL_ERR_LIMIT;
    return c;
}

static group *group_new(groups *G, const char *const *vals, rl_status *st)
{
    ag *g = G->g;
    const sel *x = G->x;
    if (G->n >= G->max) {
        G->overflow = 1;
        *st = RL_ERR_UNSUPPORTED; /* stops the WHERE: left to rasqal */
        return NULL;
    }
    if ((*st = rl_array_grow((void **)&G->v, &G->cap, G->n + 1, sizeof *G->v, G->max)) != RL_OK) return NULL;
    group *gr = &G->v[G->n];
    gr->keyv = rl_arena_alloc(g->ar, sizeof *gr->keyv * (size_t)(x->nkeys + 1));
    gr->acc = calloc((size_t)x->naggs + 1, sizeof *gr->acc);
    if (!gr->keyv || !gr->acc) {
        free(gr->acc);
        *st = gr->keyv ? RL_ERR_NOMEM : limit_bytes(g);
        return NULL;
    }
    for (int k = 0; k < x->nkeys && *st == RL_OK; k++) {
        const char *v = vals ? vals[x->keys[k].colidx] : NULL;
        gr->keyv[k] = v ? keep(g, v, st) : NULL;
    }
    for (int k = 0; k < x->naggs; k++) {
        gr->acc[k].sum.t = RL_NUM_INT;
        rl_buf_init(&gr->acc[k].cat, (size_t)64 << 20);
    }
    G->n++;
    return *st == RL_OK ? gr : NULL;
}

/* Takes value v (NULL: unbound) into accumulator c of aggregate a. */
static rl_status acc_take(groups *G, const agg *a, acc *c, const char *v)
{
    rl_status st = RL_OK;
    if (!v) {
        if (a->kind == A_SUM || a->kind == A_AVG) c->bad = 1; /* an error in the argument */
        return RL_OK;
    }
    if (a->distinct) {
        if (strset_get(&c->seen, v, -1, &st) >= 0) return RL_OK;
        const char *k = keep(G->g, v, &st);
        if (!k || strset_get(&c->seen, k, 0, &st) < 0) return st;
    }
    rl_num y;
    switch (a->kind) {
    case A_COUNT: c->count++; break;
    case A_SUM:
    case A_AVG:
        c->count++;
        if (c->bad) break;
        if (rl_num_of(v, &y)) c->bad = 1; /* not a number */
        else if (rl_num_add(&c->sum, &y)) G->overflow = 1, st = RL_ERR_UNSUPPORTED;
        break;
    case A_MIN:
    case A_MAX:
    case A_SAMPLE:
        if (!c->best || (a->kind == A_MIN && rl_val_cmp(v, c->best) < 0) || (a->kind == A_MAX && rl_val_cmp(v, c->best) > 0)) {
            char *b = strdup(v);
            if (!b) return RL_ERR_NOMEM;
            free(c->best);
            c->best = b;
        }
        break;
    case A_CONCAT: {
        const char *s = rl_val_str(v);
        if (!s) break; /* STR of a blank node is an error: skipped */
        if (c->count++) st = rl_buf_puts(&c->cat, a->sep);
        if (st == RL_OK) st = rl_buf_puts(&c->cat, s);
        if (st == RL_ERR_LIMIT) snprintf(G->g->err, G->g->cap, "a GROUP_CONCAT is longer than 64 MiB (the limit)");
        break;
    }
    }
    return st;
}

typedef struct row_env {
    const sel *x;
    const char **vals;
} row_env;

static const char *row_lookup(void *ctx, const char *name)
{
    row_env *r = ctx;
    for (int i = 0; i < r->x->ncols; i++)
        if (!strcmp(r->x->cols[i] + 1, name)) return r->vals[i];
    return NULL;
}

/* One solution of the WHERE (an rl_guard_row_fn). */
static rl_status groups_row(void *ctx, const char *const *in, int n)
{
    groups *G = ctx;
    const sel *x = G->x;
    rl_status st = RL_OK;
    if (n < x->ncols - x->ncex) return RL_ERR_INTERNAL;
    const char *ext[MAX_COLS];
    const char *const *vals = in;
    if (x->ncex) { /* the stage-1 columns, then the computed ones in column order */
        for (int i = 0, j = 0; i < x->ncols; i++) ext[i] = x->cex[i] ? NULL : in[j++];
        row_env r = {x, ext};
        for (int i = 0; i < x->ncols && st == RL_OK; i++)
            if (x->cex[i]) st = rl_expr_eval(x->cex[i], row_lookup, &r, &ext[i]);
        if (st != RL_OK) return st;
        vals = ext;
    }
    rl_buf_clear(&G->key);
    for (int j = 0; j < x->nkeys && st == RL_OK; j++) {
        const char *c = vals[x->keys[j].colidx];
        st = rl_buf_puts(&G->key, c ? c : "\x1d");
        if (st == RL_OK) st = rl_buf_append(&G->key, "\x1f", 1);
    }
    if (st == RL_OK) st = rl_buf_append(&G->key, "", 1);
    if (st != RL_OK) return st;
    int gi = strset_get(&G->index, (const char *)G->key.data, -1, &st);
    if (gi < 0) {
        const char *k = keep(G->g, (const char *)G->key.data, &st);
        if (!k || !group_new(G, vals, &st)) return st;
        gi = (int)G->n - 1;
        if (strset_get(&G->index, k, gi, &st) < 0) return st;
    }
    group *gr = &G->v[gi];
    for (int k = 0; k < x->naggs && st == RL_OK; k++) {
        const agg *a = &x->aggs[k];
        if (a->star && !a->distinct) {
            gr->acc[k].count++;
        } else if (a->star) { /* COUNT(DISTINCT *): the solution itself */
            rl_buf_clear(&G->sig);
            for (int j = 0; j < x->nstar && st == RL_OK; j++) {
                const char *c = vals[x->star_cols[j]];
                st = rl_buf_puts(&G->sig, c ? c : "\x1d");
                if (st == RL_OK) st = rl_buf_append(&G->sig, "\x1f", 1);
            }
            if (st == RL_OK) st = rl_buf_append(&G->sig, "", 1);
            if (st == RL_OK) st = acc_take(G, a, &gr->acc[k], (const char *)G->sig.data);
        } else {
            st = acc_take(G, a, &gr->acc[k], vals[a->argcol]);
        }
    }
    return st;
}

/* The value of aggregate a over a group (its accumulator c) as an encoding
 * in o; an empty o is unbound. */
static rl_status acc_value(const agg *a, acc *c, rl_buf *o)
{
    rl_buf_clear(o);
    rl_num r = {RL_NUM_INT, 0, 0, 0};
    switch (a->kind) {
    case A_COUNT: r.m = (__int128)c->count; return rl_num_encode(o, &r);
    case A_SUM: return c->bad ? RL_OK : rl_num_encode(o, &c->sum);
    case A_AVG:
        if (c->bad) return RL_OK;
        if (!c->count) return rl_num_encode(o, &r);
        r = c->sum;
        rl_num n = {RL_NUM_INT, (__int128)c->count, 0, 0};
        if (rl_num_div(&r, &n)) return RL_ERR_UNSUPPORTED;
        return rl_num_encode(o, &r);
    case A_MIN:
    case A_MAX:
    case A_SAMPLE: return c->best ? rl_buf_append(o, c->best, strlen(c->best) + 1) : RL_OK;
    case A_CONCAT: {
        rl_status st = rl_buf_puts(o, "L");
        if (st == RL_OK && c->cat.len) st = rl_buf_append(o, c->cat.data, c->cat.len);
        return st == RL_OK ? rl_buf_append(o, "", 1) : st;
    }
    }
    return RL_OK;
}

static void groups_free(groups *G)
{
    for (size_t i = 0; i < G->n; i++) {
        for (int k = 0; k < G->x->naggs; k++) {
            free(G->v[i].acc[k].best);
            rl_buf_free(&G->v[i].acc[k].cat);
            strset_free(&G->v[i].acc[k].seen);
        }
        free(G->v[i].acc);
    }
    free(G->v);
    strset_free(&G->index);
    rl_buf_free(&G->key);
    rl_buf_free(&G->sig);
}

/* ---- writing the groups as VALUES ---------------------------------------- */

/* An encoded term as SPARQL text; -1 when VALUES cannot hold it (a blank
 * node, an IRI with characters IRIREF excludes). */
static int put_term(ag *g, rl_buf *o, const char *v)
{
    if (!v) {
        put(g, o, " UNDEF");
        return 0;
    }
    if (v[0] == 'U') {
        for (const char *c = v + 1; *c; c++)
            if ((unsigned char)*c <= 0x20 || strchr("<>\"{}|^`\\", *c)) return -1;
        put(g, o, " <");
        put(g, o, v + 1);
        put(g, o, ">");
        return 0;
    }
    if (v[0] == 'B') return -1;
    const char *lex = rl_val_str(v), *s = strchr(v, SEP);
    if (!lex) return -1;
    put(g, o, " \"");
    for (const char *c = lex; *c; c++) {
        char e[8];
        switch (*c) {
        case '"': put(g, o, "\\\""); break;
        case '\\': put(g, o, "\\\\"); break;
        case '\n': put(g, o, "\\n"); break;
        case '\r': put(g, o, "\\r"); break;
        case '\t': put(g, o, "\\t"); break;
        default:
            if ((unsigned char)*c < 0x20) {
                snprintf(e, sizeof e, "\\u%04X", (unsigned)*c);
                put(g, o, e);
            } else {
                putn(g, o, c, 1);
            }
        }
    }
    put(g, o, "\"");
    if (v[0] == 'G') {
        put(g, o, "@");
        putn(g, o, v + 1, (size_t)(s - v - 1));
    } else if (v[0] == 'T') {
        put(g, o, "^^<");
        putn(g, o, v + 1, (size_t)(s - v - 1));
        put(g, o, ">");
    }
    return 0;
}

/* BIND(v AS col), nothing when v is unbound. */
static int put_bind(ag *g, rl_buf *o, const char *v, const char *col)
{
    if (!v) return 0;
    put(g, o, " BIND(");
    if (put_term(g, o, v)) return -1;
    put(g, o, " AS ");
    put(g, o, col);
    put(g, o, ")");
    return 0;
}

/* Writes one "{ BIND(value AS ?col) ... }" per group, UNION-joined, to o
 * (rasqal's FILTER and expressions do not see VALUES bindings, and BIND's
 * they do).  -1: a group value SPARQL cannot write (the SELECT is left to
 * rasqal). */
static int write_groups(ag *g, groups *G, rl_buf *o)
{
    const sel *x = G->x;
    rl_buf val;
    rl_buf_init(&val, (size_t)256 << 20);
    int rc = 0;
    for (size_t i = 0; i < G->n && rc == 0; i++) {
        put(g, o, i ? " UNION {" : " {");
        for (int k = 0; k < x->nkeys && rc == 0; k++) rc = put_bind(g, o, G->v[i].keyv[k], x->keys[k].col);
        for (int k = 0; k < x->naggs && rc == 0; k++) {
            rl_status st = acc_value(&x->aggs[k], &G->v[i].acc[k], &val);
            if (st == RL_ERR_UNSUPPORTED) rc = -1;
            else if (st != RL_OK) g->st = st, rc = -1;
            else rc = put_bind(g, o, val.len ? (const char *)val.data : NULL, x->aggs[k].col);
        }
        put(g, o, " }");
    }
    if (!G->n) put(g, o, " { FILTER(false) }");
    rl_buf_free(&val);
    return rc;
}

/* ---- one SELECT ---------------------------------------------------------- */

static void emit(ag *g, size_t a, size_t b, rl_buf *out, int in_graph);

/* Names each aggregate's column: the projection's own variable for
 * "(AGG(...) AS ?v)", a fresh one otherwise. */
static void name_aggs(ag *g, sel *x)
{
    for (size_t k = x->pa; k < x->pb; k = is(g, k, "(") ? close_of(g, k) + 1 : k + 1) {
        if (!is(g, k, "(")) continue;
        size_t c = close_of(g, k);
        for (int j = 0; j < x->nocc; j++) {
            const occ *o = &x->occs[j];
            if (o->a == k + 1 && is(g, o->b + 1, "AS") && o->b + 3 == c && g->t[o->b + 2].kind == RL_TOK_VAR &&
                !x->aggs[o->agg].col)
                x->aggs[o->agg].col = var_name(g, o->b + 2);
        }
    }
    for (int j = 0; j < x->naggs; j++)
        if (!x->aggs[j].col) x->aggs[j].col = fresh(g, "a");
}

/* The projection with aggregate calls replaced. */
static void put_projection(ag *g, const sel *x, rl_buf *out)
{
    for (size_t k = x->pa; k < x->pb && g->st == RL_OK;) {
        size_t e = is(g, k, "(") ? close_of(g, k) + 1 : k + 1;
        int done = 0;
        for (int j = 0; j < x->nocc && is(g, k, "("); j++) { /* "(AGG(..) AS ?v)" whose column is ?v */
            const occ *o = &x->occs[j];
            if (o->a == k + 1 && o->b + 4 == e && !strcmp(x->aggs[o->agg].col, var_name(g, o->b + 2))) {
                put(g, out, " ");
                put(g, out, x->aggs[o->agg].col);
                done = 1;
            }
        }
        if (!done) copy(g, out, k, e, x);
        k = e;
    }
}

/* Materialises x (its WHERE already written to `where`) into out.  -1: left
 * to rasqal (nothing written). */
static int materialise(ag *g, sel *x, const rl_buf *where, rl_buf *out)
{
    if (g->selects >= MAX_SELECTS || find_aggs(g, x, x->pa, x->pb) || find_aggs(g, x, x->ha, x->hb) ||
        find_aggs(g, x, x->ra, x->rb))
        return -1;
    for (size_t k = x->pa; k < x->pb; k = is(g, k, "(") ? close_of(g, k) + 1 : k + 1)
        if (is(g, k, "*")) return -1; /* SELECT * with GROUP BY: not SPARQL */
    name_aggs(g, x);
    rl_buf q, v;
    rl_buf_init(&q, (size_t)64 << 20);
    rl_buf_init(&v, (size_t)256 << 20);
    groups G = {g, x, {0}, NULL, 0, 0, g->env->max_groups ? g->env->max_groups : 10000, 0, {0}, {0}};
    rl_buf_init(&G.key, (size_t)64 << 20);
    rl_buf_init(&G.sig, (size_t)64 << 20);
    int rc = plan(g, x, where, &q);
    if (rc == 0) {
        rl_status s = g->env->select(g->env->ctx, (const char *)q.data, groups_row, &G, g->err, g->cap);
        if (s == RL_OK && !x->nkeys && !G.n && !group_new(&G, NULL, &s) && s == RL_OK) s = RL_ERR_NOMEM;
        if (G.overflow) { /* too many groups, or a sum beyond 128 bits: rasqal's answer */
            rc = -1;
            if (g->cap) g->err[0] = 0;
        } else if (s != RL_OK) {
            g->st = s, rc = -1;
        }
    }
    if (rc == 0 && g->st == RL_OK) rc = write_groups(g, &G, &v);
    if (rc == 0 && g->st == RL_OK) {
        put(g, out, " SELECT");
        if (x->modifier) put_tok(g, out, x->modifier);
        put_projection(g, x, out);
        put(g, out, " WHERE {");
        putn(g, out, (const char *)v.data, v.len);
        for (size_t k = x->ha; k < x->hb; k = item_end(g, k)) {
            size_t e = item_end(g, k);
            put(g, out, " FILTER");
            if (!is(g, k, "(")) put(g, out, "(");
            copy(g, out, k, e, x);
            if (!is(g, k, "(")) put(g, out, ")");
        }
        put(g, out, " }");
        copy(g, out, x->ra, x->rb, x);
        g->changed++, g->selects++;
    }
    groups_free(&G);
    for (int i = 0; i < x->ncols; i++) rl_expr_free(x->cex[i]), x->cex[i] = NULL;
    x->ncex = 0;
    rl_buf_free(&q);
    rl_buf_free(&v);
    return g->st == RL_OK ? rc : 0;
}

/* ---- a subquery's rows --------------------------------------------------- */

typedef struct rowtext {
    ag *g;
    const char **cols;
    int ncols;
    rl_buf *out;
    size_t n, max;
    int unwritable;
} rowtext;

/* One row of a subquery as "{ BIND(v AS ?c) ... }" (an rl_guard_row_fn). */
static rl_status rowtext_add(void *ctx, const char *const *vals, int n)
{
    rowtext *r = ctx;
    if (r->n++ >= r->max || n < r->ncols) {
        r->unwritable = 1;
        return RL_ERR_UNSUPPORTED; /* stops the query: left to rasqal */
    }
    put(r->g, r->out, r->n > 1 ? " UNION {" : " {");
    for (int i = 0; i < r->ncols && !r->unwritable; i++)
        if (put_bind(r->g, r->out, vals[i], r->cols[i])) r->unwritable = 1;
    put(r->g, r->out, " }");
    return r->unwritable ? RL_ERR_UNSUPPORTED : r->g->st;
}

/* Runs `query` (a whole query whose projection is x's) and writes its rows
 * to out as "SELECT <vars> WHERE { {BIND..} UNION ... }".  -1: left to
 * rasqal (more than the group ceiling of rows, a blank node, SELECT *). */
static int rows_materialise(ag *g, const sel *x, const char *query, rl_buf *out)
{
    const char *cols[MAX_COLS];
    int ncols = 0;
    for (size_t k = x->pa; k < x->pb; k = is(g, k, "(") ? close_of(g, k) + 1 : k + 1) {
        if (ncols >= MAX_COLS || is(g, k, "*")) return -1;
        if (g->t[k].kind == RL_TOK_VAR) cols[ncols++] = var_name(g, k);
        else if (is(g, k, "(")) {
            size_t c = close_of(g, k);
            if (c < 3 || !is(g, c - 2, "AS") || g->t[c - 1].kind != RL_TOK_VAR) return -1;
            cols[ncols++] = var_name(g, c - 1);
        }
    }
    if (!ncols) return -1;
    rl_buf rows;
    rl_buf_init(&rows, (size_t)256 << 20);
    rowtext r = {g, cols, ncols, &rows, 0, g->env->max_groups ? g->env->max_groups : 10000, 0};
    rl_status s = g->env->select(g->env->ctx, query, rowtext_add, &r, g->err, g->cap);
    int rc = 0;
    if (r.unwritable) {
        rc = -1;
        if (g->cap) g->err[0] = 0;
    } else if (s != RL_OK) {
        g->st = s, rc = -1;
    } else {
        put(g, out, " SELECT");
        for (int i = 0; i < ncols; i++) {
            put(g, out, " ");
            put(g, out, cols[i]);
        }
        put(g, out, " WHERE {");
        if (r.n) putn(g, out, (const char *)rows.data, rows.len);
        else put(g, out, " { FILTER(false) }");
        put(g, out, " }");
        g->changed++;
    }
    rl_buf_free(&rows);
    return rc;
}

/* ---- GRAPH ?g { subquery } and GRAPH ?g { VALUES }, graph by graph ------- */

#define MAX_GRAPHS 1000 /* named graphs a GRAPH ?g { subquery } is solved in */

typedef struct glist {
    ag *g;
    const char *v[MAX_GRAPHS];
    size_t n;
    int over;
} glist;

static rl_status glist_add(void *ctx, const char *const *vals, int n)
{
    glist *l = ctx;
    if (n < 1 || !vals[0]) return RL_OK;
    if (l->n >= MAX_GRAPHS) {
        l->over = 1;
        return RL_ERR_UNSUPPORTED;
    }
    rl_status st = RL_OK;
    if (!(l->v[l->n] = keep(l->g, vals[0], &st))) return st;
    l->n++;
    return RL_OK;
}

/* Rows of one graph's solutions, joined with ?gvar = that graph. */
typedef struct grows {
    rowtext r;
    const char *graph; /* encoded IRI */
    const char *gcol;  /* "?g" */
    int gidx;          /* the graph variable's column, -1: not projected */
} grows;

static rl_status grows_add(void *ctx, const char *const *vals, int n)
{
    grows *x = ctx;
    if (x->gidx >= 0 && x->gidx < n && vals[x->gidx] && strcmp(vals[x->gidx], x->graph)) return RL_OK; /* not compatible */
    rowtext *r = &x->r;
    if (r->n++ >= r->max || n < r->ncols) {
        r->unwritable = 1;
        return RL_ERR_UNSUPPORTED;
    }
    put(r->g, r->out, r->n > 1 ? " UNION {" : " {");
    if (x->gidx < 0 && put_bind(r->g, r->out, x->graph, x->gcol)) r->unwritable = 1;
    for (int i = 0; i < r->ncols && !r->unwritable; i++)
        if (put_bind(r->g, r->out, i == x->gidx ? x->graph : vals[i], r->cols[i])) r->unwritable = 1;
    put(r->g, r->out, " }");
    return r->unwritable ? RL_ERR_UNSUPPORTED : r->g->st;
}

/* GRAPH ?g { B } at k (its group's close c) where B is one subquery or one
 * VALUES block: rasqal answers these wrongly (a subquery does not see the
 * graph; VALUES ignores ?g).  Solved here per named graph of the dataset:
 * B's solutions in graph g, joined with ?g = g, written out as BIND blocks.
 * -1: left as written (more than 1,000 graphs or 10,000 rows, a blank
 * node, another form). */
static int graph_materialise(ag *g, size_t k, size_t c, rl_buf *out)
{
    size_t a = k + 3, b = c; /* the body, without redundant braces */
    while (is(g, a, "{") && close_of(g, a) == b - 1) a++, b--;
    int values = is(g, a, "VALUES");
    if (!g->env->graphs || (!values && !is(g, a, "SELECT"))) return -1;
    const char *cols[MAX_COLS];
    int ncols = 0;
    sel *x = NULL;
    if (values) { /* VALUES (?a ?b) { ... } spanning the body */
        if (!is(g, a + 1, "(")) return -1;
        size_t vc = close_of(g, a + 1);
        if (vc >= b || !is(g, vc + 1, "{") || close_of(g, vc + 1) != b - 1) return -1;
        for (size_t i = a + 2; i < vc; i++) {
            if (g->t[i].kind != RL_TOK_VAR || ncols >= MAX_COLS) return -1;
            cols[ncols++] = var_name(g, i);
        }
    } else {
        if (!(x = calloc(1, sizeof *x))) {
            g->st = RL_ERR_NOMEM;
            return -1;
        }
        int bad = sel_parse(g, x, a, b);
        for (size_t i = x->pa; !bad && i < x->pb; i = is(g, i, "(") ? close_of(g, i) + 1 : i + 1) {
            if (ncols >= MAX_COLS || is(g, i, "*")) bad = 1;
            else if (g->t[i].kind == RL_TOK_VAR) cols[ncols++] = var_name(g, i);
            else if (is(g, i, "(")) {
                size_t e = close_of(g, i);
                if (e < 3 || !is(g, e - 2, "AS") || g->t[e - 1].kind != RL_TOK_VAR) bad = 1;
                else cols[ncols++] = var_name(g, e - 1);
            }
        }
        if (bad || !ncols) {
            free(x);
            return -1;
        }
    }
    glist gl = {g, {0}, 0, 0};
    rl_status st = g->env->graphs(g->env->ctx, (const char *)g->dataset.data, glist_add, &gl, g->err, g->cap);
    if (gl.over || st != RL_OK) { /* too many graphs, or a store that cannot list them: rasqal's */
        if (!gl.over && st != RL_ERR_UNSUPPORTED) g->st = st;
        else if (g->cap) g->err[0] = 0;
        free(x);
        return -1;
    }
    rl_buf rows, q, qa;
    rl_buf_init(&rows, (size_t)256 << 20);
    rl_buf_init(&q, (size_t)64 << 20);
    rl_buf_init(&qa, (size_t)256 << 20);
    grows gr = {{g, cols, ncols, &rows, 0, g->env->max_groups ? g->env->max_groups : 10000, 0}, NULL, var_name(g, k + 1), -1};
    for (int i = 0; i < ncols; i++)
        if (!strcmp(cols[i], gr.gcol)) gr.gidx = i;
    int rc = 0;
    for (size_t i = 0; i < gl.n && rc == 0 && g->st == RL_OK; i++) {
        gr.graph = gl.v[i];
        rl_buf_clear(&q);
        putn(g, &q, (const char *)g->prologue.data, g->prologue.len);
        if (values) { /* the same rows in every graph */
            put(g, &q, " SELECT");
            for (int j = 0; j < ncols; j++) put(g, &q, " "), put(g, &q, cols[j]);
            put(g, &q, " WHERE {");
            copy(g, &q, a, b, NULL);
            put(g, &q, " }");
        } else { /* the subquery with its WHERE in graph g */
            put(g, &q, " ");
            copy(g, &q, a, x->pb, NULL);
            put(g, &q, " ");
            putn(g, &q, (const char *)g->dataset.data, g->dataset.len);
            put(g, &q, " WHERE { GRAPH <");
            put(g, &q, gl.v[i] + 1);
            put(g, &q, "> {");
            copy(g, &q, x->wo + 1, x->wc, NULL);
            put(g, &q, " } }");
            copy(g, &q, x->wc + 1, b, NULL);
        }
        putn(g, &q, "", 1);
        int more = 0;
        if (g->st != RL_OK) break;
        if (!values && (st = rl_agg_rewrite((const char *)q.data, &qa, g->env, &more, g->err, g->cap)) != RL_OK) {
            g->st = st;
            break;
        }
        const char *text = values ? (const char *)q.data : (const char *)qa.data;
        st = g->env->select(g->env->ctx, text, grows_add, &gr, g->err, g->cap);
        if (gr.r.unwritable) {
            rc = -1;
            if (g->cap) g->err[0] = 0;
        } else if (st != RL_OK) {
            g->st = st, rc = -1;
        }
    }
    if (rc == 0 && g->st == RL_OK) {
        put(g, out, " {");
        if (gr.r.n) putn(g, out, (const char *)rows.data, rows.len);
        else put(g, out, " { FILTER(false) }");
        put(g, out, " }");
        g->changed++;
    }
    rl_buf_free(&rows);
    rl_buf_free(&q);
    rl_buf_free(&qa);
    free(x);
    return g->st == RL_OK ? rc : -1;
}

/* Does the SELECT have LIMIT or OFFSET (rasqal gets them wrong in a
 * subquery)? */
static int has_slice(const ag *g, const sel *x)
{
    for (size_t k = x->ra; k < x->rb; k++)
        if (is(g, k, "LIMIT") || is(g, k, "OFFSET")) return 1;
    return 0;
}

/* The SELECT at s (to `end`; sub: a subquery): materialised, or written with
 * its WHERE's subqueries materialised.  A subquery with LIMIT / OFFSET is
 * run as a query of its own and replaced by its rows. */
static void select_emit(ag *g, size_t s, size_t end, rl_buf *out, int in_graph, int sub)
{
    sel *x = calloc(1, sizeof *x);
    if (!x) {
        g->st = RL_ERR_NOMEM;
        return;
    }
    if (sel_parse(g, x, s, end)) { /* not read here: as written */
        copy(g, out, s, end, NULL);
        free(x);
        return;
    }
    rl_buf w, body, run;
    rl_buf_init(&w, (size_t)64 << 20);
    rl_buf_init(&body, (size_t)256 << 20);
    rl_buf_init(&run, (size_t)256 << 20);
    emit(g, x->wo + 1, x->wc, &w, in_graph);
    int grouped = x->ga < x->gb;
    for (size_t k = x->pa; k < x->pb && !grouped; k++) grouped = agg_at(g, k) >= 0;
    for (size_t k = x->ha; k < x->hb && !grouped; k++) grouped = agg_at(g, k) >= 0;
    int done = g->st == RL_OK && grouped && !in_graph && materialise(g, x, &w, &body) == 0;
    if (g->st == RL_OK && !done) { /* as written, its WHERE processed */
        rl_buf_clear(&body);
        copy(g, &body, s, x->wo, NULL);
        put(g, &body, " {");
        putn(g, &body, (const char *)w.data, w.len);
        put(g, &body, " }");
        copy(g, &body, x->wc + 1, end, NULL);
    }
    if (g->st == RL_OK && sub && !in_graph && has_slice(g, x)) {
        putn(g, &run, (const char *)g->prologue.data, g->prologue.len);
        if (done) { /* the groups are constants: no dataset needed */
            putn(g, &run, (const char *)body.data, body.len);
        } else {
            copy(g, &run, s, x->pb, NULL);
            put(g, &run, " ");
            putn(g, &run, (const char *)g->dataset.data, g->dataset.len);
            put(g, &run, " WHERE {");
            putn(g, &run, (const char *)w.data, w.len);
            put(g, &run, " }");
            copy(g, &run, x->wc + 1, end, NULL);
        }
        size_t mark = out->len;
        if (g->st == RL_OK && rows_materialise(g, x, (const char *)run.data, out) == 0) done = 2;
        else out->len = mark;
    }
    if (g->st == RL_OK && done != 2) putn(g, out, (const char *)body.data, body.len);
    rl_buf_free(&w);
    rl_buf_free(&body);
    rl_buf_free(&run);
    free(x);
}

/* Tokens [a, b) with every subquery processed. */
static void emit(ag *g, size_t a, size_t b, rl_buf *out, int in_graph)
{
    for (size_t k = a; k < b && g->st == RL_OK;) {
        if (is(g, k, "{") && is(g, k + 1, "SELECT")) {
            size_t c = close_of(g, k);
            put_tok(g, out, k);
            select_emit(g, k + 1, c, out, in_graph, 1);
            if (c < b) put_tok(g, out, c);
            k = c + 1;
        } else if (is(g, k, "GRAPH") && is(g, k + 2, "{")) {
            size_t c = close_of(g, k + 2), mark = out->len;
            if (g->t[k + 1].kind == RL_TOK_VAR && c < b && graph_materialise(g, k, c, out) == 0) {
                k = c + 1;
                continue;
            }
            out->len = mark;
            put_tok(g, out, k);
            put_tok(g, out, k + 1);
            put_tok(g, out, k + 2);
            emit(g, k + 3, c, out, 1);
            if (c < b) put_tok(g, out, c);
            k = c + 1;
        } else {
            put_tok(g, out, k);
            k++;
        }
    }
}

rl_status rl_agg_rewrite(const char *in, rl_buf *out, const rl_agg_env *env, int *changed, char *err, size_t cap)
{
    *changed = 0;
    rl_buf_clear(out);
    rl_toks toks = {0};
    rl_status s = rl_lex(in, &toks, 0, err, cap);
    if (s != RL_OK) return rl_buf_puts(out, in) == RL_OK ? RL_OK : RL_ERR_LIMIT; /* rasqal will say what is wrong */
    int any = 0;
    for (size_t k = 0; k < toks.n && !any; k++) {
        const rl_tok *t = &toks.v[k];
        any = rl_tok_is(t, "GROUP") || rl_tok_is(t, "LIMIT") || rl_tok_is(t, "OFFSET") ||
              (rl_tok_is(t, "GRAPH") && k + 1 < toks.n && toks.v[k + 1].kind == RL_TOK_VAR);
        for (int i = 0; i < 7 && !any; i++) any = t->kind == RL_TOK_NAME && rl_tok_is(t, agg_names[i]);
    }
    if (!any) {
        rl_toks_free(&toks);
        return rl_buf_puts(out, in);
    }
    ag g = {toks.v, toks.n, env, rl_arena_new(env->max_bytes ? env->max_bytes : (size_t)256 << 20), RL_OK, err, cap,
            0, 0, 0, {0}, {0}, NULL};
    rl_buf_init(&g.prologue, (size_t)1 << 20);
    rl_buf_init(&g.dataset, (size_t)1 << 20);
    if (!g.ar) g.st = RL_ERR_NOMEM;
    size_t k = 0;
    while (k < g.n && (is(&g, k, "BASE") || is(&g, k, "PREFIX"))) k += is(&g, k, "BASE") ? 2 : 3;
    if (k > g.n) k = g.n;
    for (size_t j = 0; j < k; j++) put_tok(&g, &g.prologue, j);
    rl_prologue pro;
    rl_prologue_read(g.t, g.n, &pro, NULL);
    g.pro = &pro;
    int depth = 0; /* the query's FROM / FROM NAMED, for every WHERE solved alone */
    for (size_t j = k; j < g.n; j++) {
        if (is(&g, j, "{")) depth++;
        else if (is(&g, j, "}")) depth--;
        else if (!depth && is(&g, j, "FROM")) {
            size_t e = j + (is(&g, j + 1, "NAMED") ? 3 : 2);
            for (; j < e && j < g.n; j++) put_tok(&g, &g.dataset, j);
            j--;
        }
    }
    copy(&g, out, 0, k, NULL);
    if (is(&g, k, "SELECT")) select_emit(&g, k, g.n, out, 0, 0);
    else emit(&g, k, g.n, out, 0);
    *changed = g.changed;
    if (g.st == RL_OK && !g.changed) { /* nothing materialised: the text as given */
        rl_buf_clear(out);
        g.st = rl_buf_puts(out, in);
    }
    s = g.st;
    if (s == RL_ERR_NOMEM) snprintf(err, cap, "out of memory while grouping");
    rl_buf_free(&g.prologue);
    rl_buf_free(&g.dataset);
    rl_arena_free(g.ar);
    rl_toks_free(&toks);
    return s;
}
