/* memgraph.c: interned terms + two sorted quad indexes (P S O G and P O S G). */
#include "memgraph.h"

#include "arena.h"
#include "buf.h"

#include <stdlib.h>
#include <string.h>

#define MAX_QUADS ((size_t)64 << 20)
#define MAX_TEXT ((size_t)4 << 30)

typedef struct mq {
    rl_mg_id s, p, o, g;
} mq;

struct rl_memgraph {
    rl_arena *a;
    const char **str; /* id -> text; [0] = "" */
    unsigned char *kind;
    size_t nterms, tcap;
    uint32_t *slots; /* open addressing: id, 0 = empty */
    size_t nslots;   /* power of two */
    mq *ps, *po;     /* ps: insertion order until sealed */
    size_t nq, qcap;
    int sealed;
};

static uint64_t hash_term(int kind, const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)kind;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h ^ (h >> 29);
}

rl_memgraph *rl_mg_new(void)
{
    rl_memgraph *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->a = rl_arena_new(MAX_TEXT);
    g->nslots = 1024;
    g->slots = calloc(g->nslots, sizeof *g->slots);
    g->tcap = 1024;
    g->str = malloc(g->tcap * sizeof *g->str);
    g->kind = malloc(g->tcap);
    if (!g->a || !g->slots || !g->str || !g->kind) {
        rl_mg_free(g);
        return NULL;
    }
    g->str[0] = "";
    g->kind[0] = 0;
    g->nterms = 1;
    return g;
}

void rl_mg_free(rl_memgraph *g)
{
    if (!g) return;
    rl_arena_free(g->a);
    free(g->str);
    free(g->kind);
    free(g->slots);
    free(g->ps);
    free(g->po);
    free(g);
}

static size_t slot_find(const rl_memgraph *g, int kind, const char *s, size_t n, uint64_t h)
{
    size_t mask = g->nslots - 1, i = (size_t)h & mask;
    for (;;) {
        uint32_t id = g->slots[i];
        if (!id) return i;
        if (g->kind[id] == kind && !strncmp(g->str[id], s, n) && g->str[id][n] == 0) return i;
        i = (i + 1) & mask;
    }
}

static rl_status rehash(rl_memgraph *g)
{
    size_t ns = g->nslots * 2;
    uint32_t *sl = calloc(ns, sizeof *sl);
    if (!sl) return RL_ERR_NOMEM;
    for (size_t id = 1; id < g->nterms; id++) {
        const char *s = g->str[id];
        size_t i = (size_t)hash_term(g->kind[id], s, strlen(s)) & (ns - 1);
        while (sl[i]) i = (i + 1) & (ns - 1);
        sl[i] = (uint32_t)id;
    }
    free(g->slots);
    g->slots = sl;
    g->nslots = ns;
    return RL_OK;
}

/* Interns s[0..n) of `kind`; *id = its id. */
static rl_status intern(rl_memgraph *g, int kind, const char *s, size_t n, rl_mg_id *id)
{
    uint64_t h = hash_term(kind, s, n);
    size_t i = slot_find(g, kind, s, n, h);
    if (g->slots[i]) {
        *id = g->slots[i];
        return RL_OK;
    }
    if (g->nterms >= UINT32_MAX - 1) return RL_ERR_LIMIT;
    if (g->nterms == g->tcap) {
        size_t nc = g->tcap * 2;
        const char **ns = realloc(g->str, nc * sizeof *ns);
        if (!ns) return RL_ERR_NOMEM;
        g->str = ns;
        unsigned char *nk = realloc(g->kind, nc);
        if (!nk) return RL_ERR_NOMEM;
        g->kind = nk;
        g->tcap = nc;
    }
    char *copy = rl_arena_strndup(g->a, s, n);
    if (!copy) return RL_ERR_LIMIT;
    rl_mg_id nid = (rl_mg_id)g->nterms++;
    g->str[nid] = copy;
    g->kind[nid] = (unsigned char)kind;
    g->slots[i] = nid;
    *id = nid;
    if (g->nterms * 2 > g->nslots) return rehash(g);
    return RL_OK;
}

static rl_status quad_push(rl_memgraph *g, rl_mg_id s, rl_mg_id p, rl_mg_id o, rl_mg_id gr)
{
    if (g->sealed) return RL_ERR_USAGE;
    if (g->nq == g->qcap) {
        rl_status st = rl_array_grow((void **)&g->ps, &g->qcap, g->nq + 1, sizeof *g->ps, MAX_QUADS);
        if (st != RL_OK) return st;
    }
    g->ps[g->nq++] = (mq){s, p, o, gr};
    return RL_OK;
}

rl_status rl_mg_add(rl_memgraph *g, const char *s, const char *p, const char *o, rl_mg_kind okind,
                    const char *graph)
{
    rl_mg_id si, pi, oi, gi = 0;
    rl_status st = intern(g, RL_MG_IRI, s, strlen(s), &si);
    if (st == RL_OK) st = intern(g, RL_MG_IRI, p, strlen(p), &pi);
    if (st == RL_OK) st = intern(g, (int)okind, o, strlen(o), &oi);
    if (st == RL_OK && graph) st = intern(g, RL_MG_IRI, graph, strlen(graph), &gi);
    return st == RL_OK ? quad_push(g, si, pi, oi, gi) : st;
}

static int cmp_psog(const void *a, const void *b)
{
    const mq *x = a, *y = b;
    if (x->p != y->p) return x->p < y->p ? -1 : 1;
    if (x->s != y->s) return x->s < y->s ? -1 : 1;
    if (x->o != y->o) return x->o < y->o ? -1 : 1;
    if (x->g != y->g) return x->g < y->g ? -1 : 1;
    return 0;
}

static int cmp_posg(const void *a, const void *b)
{
    const mq *x = a, *y = b;
    if (x->p != y->p) return x->p < y->p ? -1 : 1;
    if (x->o != y->o) return x->o < y->o ? -1 : 1;
    if (x->s != y->s) return x->s < y->s ? -1 : 1;
    if (x->g != y->g) return x->g < y->g ? -1 : 1;
    return 0;
}

rl_status rl_mg_seal(rl_memgraph *g)
{
    if (g->sealed) return RL_OK;
    if (g->nq) {
        qsort(g->ps, g->nq, sizeof *g->ps, cmp_psog);
        size_t k = 0;
        for (size_t i = 0; i < g->nq; i++)
            if (!k || cmp_psog(&g->ps[k - 1], &g->ps[i])) g->ps[k++] = g->ps[i];
        g->nq = k;
        g->po = malloc(g->nq * sizeof *g->po);
        if (!g->po) return RL_ERR_NOMEM;
        memcpy(g->po, g->ps, g->nq * sizeof *g->po);
        qsort(g->po, g->nq, sizeof *g->po, cmp_posg);
    }
    g->sealed = 1;
    return RL_OK;
}

/* ---- loading ---- */

typedef struct idcache {
    uint64_t *keys; /* quad-store id; 0 = empty */
    rl_mg_id *vals;
    size_t n, cap; /* cap: power of two */
} idcache;

static rl_status cache_init(idcache *c)
{
    c->cap = 1 << 16;
    c->n = 0;
    c->keys = calloc(c->cap, sizeof *c->keys);
    c->vals = calloc(c->cap, sizeof *c->vals);
    return c->keys && c->vals ? RL_OK : RL_ERR_NOMEM;
}

static void cache_free(idcache *c)
{
    free(c->keys);
    free(c->vals);
}

static size_t cache_slot(const idcache *c, uint64_t k)
{
    size_t i = (size_t)((k * 0x9E3779B97F4A7C15ull) >> 20) & (c->cap - 1);
    while (c->keys[i] && c->keys[i] != k) i = (i + 1) & (c->cap - 1);
    return i;
}

static rl_status cache_put(idcache *c, uint64_t k, rl_mg_id v)
{
    if ((c->n + 1) * 2 > c->cap) {
        idcache n = {calloc(c->cap * 2, sizeof(uint64_t)), calloc(c->cap * 2, sizeof(rl_mg_id)), 0, c->cap * 2};
        if (!n.keys || !n.vals) {
            cache_free(&n);
            return RL_ERR_NOMEM;
        }
        for (size_t i = 0; i < c->cap; i++)
            if (c->keys[i]) {
                size_t j = cache_slot(&n, c->keys[i]);
                n.keys[j] = c->keys[i], n.vals[j] = c->vals[i], n.n++;
            }
        cache_free(c);
        *c = n;
    }
    size_t i = cache_slot(c, k);
    if (!c->keys[i]) c->n++;
    c->keys[i] = k;
    c->vals[i] = v;
    return RL_OK;
}

typedef struct decode_ctx {
    rl_memgraph *g;
    rl_mg_id id;
    rl_status st;
} decode_ctx;

/* A term encoding (term.h) -> interned id; blank nodes become "_:label". */
static void decode_cb(void *ud, const unsigned char *b, size_t n)
{
    decode_ctx *d = ud;
    const char *s = (const char *)b + 1;
    size_t len = n ? n - 1 : 0;
    int kind = RL_MG_LITERAL;
    if (!n) {
        d->st = RL_ERR_STORE;
        return;
    }
    if (b[0] == 'U') kind = RL_MG_IRI;
    else if (b[0] == 'B') {
        char tmp[600];
        int k = snprintf(tmp, sizeof tmp, "_:%.*s", (int)(len > 590 ? 590 : len), s);
        d->st = intern(d->g, RL_MG_IRI, tmp, (size_t)k, &d->id);
        return;
    } else if (b[0] == 'G' || b[0] == 'T') {
        const char *z = memchr(s, 0, len);
        if (z) len -= (size_t)(z + 1 - s), s = z + 1;
    }
    d->st = intern(d->g, kind, s, len, &d->id);
}

static rl_status qs_term(rl_memgraph *g, rl_qs *qs, idcache *c, rl_id id, rl_mg_id *out)
{
    if (!id) {
        *out = 0;
        return RL_OK;
    }
    size_t i = cache_slot(c, id);
    if (c->keys[i]) {
        *out = c->vals[i];
        return RL_OK;
    }
    decode_ctx d = {g, 0, RL_OK};
    rl_status st = rl_qs_term_bytes(qs, id, decode_cb, &d);
    if (st == RL_OK) st = d.st;
    if (st == RL_OK) st = cache_put(c, id, d.id);
    *out = d.id;
    return st;
}

static rl_status load_qs(rl_memgraph *g, rl_qs *qs, const char *const *preds, char *err, size_t cap)
{
    idcache c;
    rl_status st = cache_init(&c);
    if (st == RL_OK) st = rl_qs_snapshot_begin(qs);
    else {
        cache_free(&c);
        return rl_errorf(err, cap, st, "memgraph: out of memory");
    }
    for (size_t k = 0; st == RL_OK && preds[k]; k++) {
        rl_buf enc;
        rl_buf_init(&enc, 4096);
        rl_id pid = 0;
        rl_mg_id mp = 0;
        st = rl_buf_puts(&enc, "U");
        if (st == RL_OK) st = rl_buf_puts(&enc, preds[k]);
        if (st == RL_OK) st = rl_qs_term_id(qs, enc.data, enc.len, 0, &pid);
        rl_buf_free(&enc);
        if (st != RL_OK || !pid) continue;
        if ((st = intern(g, RL_MG_IRI, preds[k], strlen(preds[k]), &mp)) != RL_OK) break;
        rl_qs_iter *it = NULL;
        rl_quad pat = {0, pid, 0, 0}, q;
        st = rl_qs_find(qs, &pat, RL_QS_ALL_QUADS, &it);
        int r;
        while (st == RL_OK && (r = rl_qs_iter_next(it, &q)) == 1) {
            rl_mg_id s, o, gr;
            if ((st = qs_term(g, qs, &c, q.s, &s)) == RL_OK && (st = qs_term(g, qs, &c, q.o, &o)) == RL_OK &&
                (st = qs_term(g, qs, &c, q.c, &gr)) == RL_OK)
                st = quad_push(g, s, mp, o, gr);
        }
        if (st == RL_OK && r < 0) st = RL_ERR_STORE;
        rl_qs_iter_free(it);
    }
    rl_qs_snapshot_end(qs);
    cache_free(&c);
    if (st != RL_OK)
        return rl_errorf(err, cap, st, "memgraph: reading the store: %s%s%s", rl_strerror(st),
                         *rl_qs_errmsg(qs) ? ": " : "", rl_qs_errmsg(qs));
    return RL_OK;
}

static rl_status node_id(rl_memgraph *g, librdf_node *n, rl_mg_id *out)
{
    *out = 0;
    if (!n) return RL_OK;
    if (librdf_node_is_resource(n)) {
        const char *s = (const char *)librdf_uri_as_string(librdf_node_get_uri(n));
        return intern(g, RL_MG_IRI, s, strlen(s), out);
    }
    if (librdf_node_is_literal(n)) {
        size_t len = 0;
        const char *s = (const char *)librdf_node_get_literal_value_as_counted_string(n, &len);
        return intern(g, RL_MG_LITERAL, s ? s : "", s ? len : 0, out);
    }
    char tmp[600];
    int k = snprintf(tmp, sizeof tmp, "_:%.590s", (const char *)librdf_node_get_blank_identifier(n));
    return intern(g, RL_MG_IRI, tmp, (size_t)k, out);
}

static rl_status load_rdf(rl_memgraph *g, rl_store *st, const char *const *preds, char *err, size_t cap)
{
    librdf_world *w = rl_store_world(st);
    librdf_model *m = rl_store_model(st);
    rl_status r = RL_OK;
    for (size_t k = 0; r == RL_OK && preds[k]; k++) {
        librdf_node *pn = librdf_new_node_from_uri_string(w, (const unsigned char *)preds[k]);
        librdf_statement *pat = pn ? librdf_new_statement_from_nodes(w, NULL, pn, NULL) : NULL;
        librdf_stream *s = pat ? librdf_model_find_statements(m, pat) : NULL;
        rl_mg_id mp = 0;
        if (!s) r = RL_ERR_STORE;
        else r = intern(g, RL_MG_IRI, preds[k], strlen(preds[k]), &mp);
        for (; s && r == RL_OK && !librdf_stream_end(s); librdf_stream_next(s)) {
            librdf_statement *t = librdf_stream_get_object(s);
            rl_mg_id si, oi, gi;
            if ((r = node_id(g, librdf_statement_get_subject(t), &si)) == RL_OK &&
                (r = node_id(g, librdf_statement_get_object(t), &oi)) == RL_OK &&
                (r = node_id(g, librdf_stream_get_context2(s), &gi)) == RL_OK)
                r = quad_push(g, si, mp, oi, gi);
        }
        if (s) librdf_free_stream(s);
        if (pat) librdf_free_statement(pat);
        else if (pn) librdf_free_node(pn);
    }
    if (r != RL_OK) return rl_errorf(err, cap, r, "memgraph: reading the store: %s", rl_strerror(r));
    return RL_OK;
}

rl_status rl_mg_load(rl_memgraph *g, rl_store *st, const char *const *preds, char *err, size_t cap)
{
    rl_qs *qs = rl_store_quads(st);
    rl_status r = qs ? load_qs(g, qs, preds, err, cap) : load_rdf(g, st, preds, err, cap);
    if (r == RL_OK && (r = rl_mg_seal(g)) != RL_OK) rl_errorf(err, cap, r, "memgraph: out of memory");
    if (r != RL_OK) g->nq = 0, g->sealed = 1;
    return r;
}

/* ---- lookups ---- */

rl_mg_id rl_mg_iri(const rl_memgraph *g, const char *iri)
{
    size_t n = strlen(iri);
    return g->slots[slot_find(g, RL_MG_IRI, iri, n, hash_term(RL_MG_IRI, iri, n))];
}

rl_mg_id rl_mg_lit(const rl_memgraph *g, const char *lex)
{
    size_t n = strlen(lex);
    return g->slots[slot_find(g, RL_MG_LITERAL, lex, n, hash_term(RL_MG_LITERAL, lex, n))];
}

const char *rl_mg_str(const rl_memgraph *g, rl_mg_id id)
{
    return id < g->nterms ? g->str[id] : "";
}

rl_mg_kind rl_mg_kind_of(const rl_memgraph *g, rl_mg_id id)
{
    return id && id < g->nterms ? (rl_mg_kind)g->kind[id] : (rl_mg_kind)0;
}

/* First quad in `idx` not less than key (by the index's order). */
static const mq *lower(const mq *idx, size_t n, const mq *key, int (*cmp)(const void *, const void *))
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp(&idx[mid], key) < 0) lo = mid + 1;
        else hi = mid;
    }
    return idx + lo;
}

rl_mg_iter rl_mg_objects(const rl_memgraph *g, rl_mg_id s, rl_mg_id p)
{
    rl_mg_iter it = {NULL, NULL, 1};
    if (!g->sealed || !s || !p || !g->nq) return it;
    mq a = {s, p, 0, 0}, b = {s + 1, p, 0, 0};
    it.cur = lower(g->ps, g->nq, &a, cmp_psog);
    it.end = lower(g->ps, g->nq, &b, cmp_psog);
    return it;
}

rl_mg_iter rl_mg_subjects(const rl_memgraph *g, rl_mg_id p, rl_mg_id o)
{
    rl_mg_iter it = {NULL, NULL, 0};
    if (!g->sealed || !o || !p || !g->nq) return it;
    mq a = {0, p, o, 0}, b = {0, p, o + 1, 0};
    it.cur = lower(g->po, g->nq, &a, cmp_posg);
    it.end = lower(g->po, g->nq, &b, cmp_posg);
    return it;
}

rl_mg_iter rl_mg_with(const rl_memgraph *g, rl_mg_id p)
{
    rl_mg_iter it = {NULL, NULL, 0};
    if (!g->sealed || !p || !g->nq) return it;
    mq a = {0, p, 0, 0}, b = {0, p + 1, 0, 0};
    it.cur = lower(g->ps, g->nq, &a, cmp_psog);
    it.end = lower(g->ps, g->nq, &b, cmp_psog);
    return it;
}

int rl_mg_next(rl_mg_iter *it, rl_mg_id *term)
{
    const mq *c = it->cur, *e = it->end;
    if (!c || c >= e) return 0;
    rl_mg_id v = it->by_object ? c->o : c->s;
    while (c < e && (it->by_object ? c->o : c->s) == v) c++;
    it->cur = c;
    *term = v;
    return 1;
}

rl_mg_id rl_mg_one(const rl_memgraph *g, rl_mg_id s, rl_mg_id p)
{
    rl_mg_iter it = rl_mg_objects(g, s, p);
    rl_mg_id o = 0;
    return rl_mg_next(&it, &o) ? o : 0;
}

const char *rl_mg_text(const rl_memgraph *g, rl_mg_id s, rl_mg_id p)
{
    return rl_mg_str(g, rl_mg_one(g, s, p));
}

int rl_mg_num(const rl_memgraph *g, rl_mg_id s, rl_mg_id p, double *v)
{
    const char *t = rl_mg_text(g, s, p);
    char *end;
    if (!*t) return 0;
    double d = strtod(t, &end);
    while (*end == ' ') end++;
    if (*end || end == t) return 0;
    *v = d;
    return 1;
}

void rl_mg_graphs(const rl_memgraph *g, rl_mg_id s, rl_mg_id p, rl_mg_id o,
                  int (*fn)(void *ctx, rl_mg_id graph), void *ctx)
{
    rl_mg_iter it = rl_mg_objects(g, s, p);
    rl_mg_id last = 0;
    for (const mq *c = it.cur; c && c < (const mq *)it.end; c++)
        if ((!o || c->o == o) && c->g && c->g != last) {
            if (fn(ctx, c->g)) return;
            last = c->g;
        }
}

size_t rl_mg_size(const rl_memgraph *g)
{
    return g->nq;
}
