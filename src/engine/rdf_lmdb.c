/* rdf_lmdb.c: librdf storage factory "lmdb".  Converts between librdf nodes
 * (raptor terms) and quad-store ids; all indexing lives in quadstore.c. */
#include "rdf_lmdb.h"

#include "term.h"
#include "vocab.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define NODE_CACHE_SLOTS (1u << 20) /* 8 MiB of slots; terms are shared refs */
#define LMDB_FACTORY_NAME "lmdb"

typedef struct node_slot {
    rl_id id;
    raptor_term *term;
} node_slot;

typedef struct ptr_slot {
    const raptor_term *term;
    rl_id id;
} ptr_slot;

#define RECENT_TERMS 4
#define STREAM_POOL 16

typedef struct lmdb_stream lmdb_stream;

typedef struct lmdb_inst {
    rl_qs *qs;
    librdf_world *world;
    raptor_world *rworld;
    rl_buf enc;
    node_slot *cache; /* id -> term, direct-mapped */
    ptr_slot *ptrs;   /* term pointer -> id, checked against cache */
    raptor_term *recent[RECENT_TERMS]; /* terms of queries (not from the cache) */
    rl_id recent_id[RECENT_TERMS];
    unsigned recent_next;
    uint64_t recent_gen;
    lmdb_stream *free_streams; /* recycled stream contexts */
    int nfree_streams;
    uint64_t cache_gen;
    librdf_node *default_graph; /* strict mode: the default graph is this graph only */
    /* a query's dataset (FROM / FROM NAMED / protocol parameters), when set */
    int ds_on;
    rl_id *ds_default, *ds_named;
    size_t nds_default, nds_named;
} lmdb_inst;

struct lmdb_stream {
    lmdb_stream *next_free;
    lmdb_inst *in;
    rl_qs_iter *it;
    int has;
    rl_quad q;
    librdf_statement *st;
    librdf_node *ctx;
    int filled; /* st and ctx hold the nodes of quad q */
    /* a default graph merged from several graphs: quads of these graphs,
     * each (s,p,o) once */
    const rl_id *gset;
    size_t ngset;
    uint64_t *seen; /* open addressing of (s,p,o) hashes+ids, 3 words a slot */
    size_t seen_cap, nseen;
};

/* Whether (s,p,o) was reported before; records it.  -1 past the ceiling. */
static int seen_before(lmdb_stream *s, const rl_quad *q)
{
    if (s->nseen * 2 >= s->seen_cap) {
        size_t nc = s->seen_cap ? s->seen_cap * 2 : 1024;
        if (nc > ((size_t)1 << 26)) return -1;
        uint64_t *n = calloc(nc * 3, sizeof *n);
        if (!n) return -1;
        for (size_t i = 0; i < s->seen_cap; i++) {
            uint64_t *o = s->seen + 3 * i;
            if (!o[0]) continue;
            size_t h = (size_t)((o[0] * 0x9E3779B97F4A7C15ull) ^ (o[1] * 0xC2B2AE3D27D4EB4Full) ^ o[2]) & (nc - 1);
            while (n[3 * h]) h = (h + 1) & (nc - 1);
            memcpy(n + 3 * h, o, 3 * sizeof *o);
        }
        free(s->seen);
        s->seen = n;
        s->seen_cap = nc;
    }
    size_t h = (size_t)((q->s * 0x9E3779B97F4A7C15ull) ^ (q->p * 0xC2B2AE3D27D4EB4Full) ^ q->o) & (s->seen_cap - 1);
    for (;; h = (h + 1) & (s->seen_cap - 1)) {
        uint64_t *e = s->seen + 3 * h;
        if (!e[0]) {
            e[0] = q->s, e[1] = q->p, e[2] = q->o;
            s->nseen++;
            return 0;
        }
        if (e[0] == q->s && e[1] == q->p && e[2] == q->o) return 1;
    }
}

static lmdb_inst *inst_of(librdf_storage *s)
{
    return (lmdb_inst *)librdf_storage_get_instance(s);
}

static void node_cache_clear(lmdb_inst *in)
{
    for (size_t i = 0; i < NODE_CACHE_SLOTS; i++) {
        if (in->cache[i].term) raptor_free_term(in->cache[i].term);
        in->cache[i].term = NULL;
        in->cache[i].id = 0;
    }
}

static void log_error(lmdb_inst *in, const char *msg)
{
    librdf_log(in->world, 0, LIBRDF_LOG_ERROR, LIBRDF_FROM_STORAGE, NULL, "lmdb: %s", msg);
}

/* Node for id: a new reference the caller owns. */
typedef struct decode_ctx {
    raptor_world *w;
    raptor_term *t;
} decode_ctx;
static void decode_cb(void *ud, const unsigned char *b, size_t n)
{
    decode_ctx *d = ud;
    d->t = rl_term_decode(d->w, b, n);
}

static librdf_node *node_for_id(lmdb_inst *in, rl_id id)
{
    uint64_t gen = rl_qs_generation(in->qs);
    if (gen != in->cache_gen) {
        node_cache_clear(in);
        in->cache_gen = gen;
    }
    node_slot *slot = &in->cache[id & (NODE_CACHE_SLOTS - 1)];
    if (slot->term && slot->id == id) return raptor_term_copy(slot->term);
    decode_ctx d = {in->rworld, NULL};
    if (rl_qs_term_bytes(in->qs, id, decode_cb, &d) != RL_OK || !d.t) {
        log_error(in, rl_qs_errmsg(in->qs));
        return NULL;
    }
    if (slot->term) raptor_free_term(slot->term);
    slot->term = d.t;
    slot->id = id;
    uintptr_t h = ((uintptr_t)d.t >> 4) * 0x9e3779b97f4a7c15ull;
    ptr_slot *ps = &in->ptrs[(h >> 20) & (NODE_CACHE_SLOTS - 1)];
    ps->term = d.t;
    ps->id = id;
    return raptor_term_copy(d.t);
}

/* Id of a node; create=0 gives *id = 0 for an unknown term.  Rasqal hands
 * back the very term objects node_for_id made, so a pointer -> id table
 * answers first; an entry counts only while the node cache still holds that
 * pointer under that id (the cache's reference keeps the pointer unique). */
static rl_status id_for_node(lmdb_inst *in, librdf_node *n, int create, rl_id *id)
{
    uintptr_t h = ((uintptr_t)n >> 4) * 0x9e3779b97f4a7c15ull;
    ptr_slot *ps = &in->ptrs[(h >> 20) & (NODE_CACHE_SLOTS - 1)];
    if (ps->term == n && in->cache[ps->id & (NODE_CACHE_SLOTS - 1)].term == n &&
        in->cache[ps->id & (NODE_CACHE_SLOTS - 1)].id == ps->id &&
        rl_qs_generation(in->qs) == in->cache_gen) {
        *id = ps->id;
        return RL_OK;
    }
    /* the constants of a query come back as new term objects on every call:
     * remember the last few (URI equality is a pointer compare in raptor) */
    if (in->recent_gen != rl_qs_generation(in->qs)) {
        for (int i = 0; i < RECENT_TERMS; i++) in->recent_id[i] = 0;
        in->recent_gen = rl_qs_generation(in->qs);
    }
    for (int i = 0; i < RECENT_TERMS; i++)
        if (in->recent_id[i] && raptor_term_equals(in->recent[i], n)) {
            *id = in->recent_id[i];
            return RL_OK;
        }
    rl_buf_clear(&in->enc);
    rl_status st = rl_term_encode(n, &in->enc);
    if (st == RL_OK) st = rl_qs_term_id(in->qs, in->enc.data, in->enc.len, create, id);
    if (st == RL_OK && *id) {
        unsigned k = in->recent_next++ % RECENT_TERMS;
        if (in->recent[k]) raptor_free_term(in->recent[k]);
        in->recent[k] = raptor_term_copy(n);
        in->recent_id[k] = *id;
    }
    return st;
}

/* ---- streams ------------------------------------------------------------ */
/* Moves to the next quad.  A position whose id did not change keeps its
 * node (scans by predicate repeat it on every row; by subject, the subject):
 * no free and copy per row. */
static int stream_fill(lmdb_stream *s)
{
    rl_quad prev = s->q;
    for (;;) {
        s->has = rl_qs_iter_next(s->it, &s->q) == 1;
        if (!s->has || !s->gset) break;
        int in = 0;
        for (size_t i = 0; i < s->ngset && !in; i++) in = s->q.c == s->gset[i];
        if (!in) continue;
        int dup = seen_before(s, &s->q);
        if (dup < 0) {
            log_error(s->in, "a merged default graph of more than 33 million triples");
            s->has = 0;
            break;
        }
        if (!dup) break;
    }
    if (!s->has) {
        librdf_statement_clear(s->st);
        if (s->ctx) librdf_free_node(s->ctx);
        s->ctx = NULL;
        s->filled = 0;
        return 0;
    }
    raptor_term **slot[3] = {&s->st->subject, &s->st->predicate, &s->st->object};
    rl_id now[3] = {s->q.s, s->q.p, s->q.o}, was[3] = {prev.s, prev.p, prev.o};
    for (int i = 0; i < 3; i++) {
        if (s->filled && *slot[i] && now[i] == was[i]) continue;
        if (*slot[i]) raptor_free_term(*slot[i]);
        if (!(*slot[i] = node_for_id(s->in, now[i]))) {
            librdf_statement_clear(s->st);
            s->filled = 0;
            s->has = 0;
            return 0;
        }
    }
    if (!s->filled || s->q.c != prev.c) {
        if (s->ctx) librdf_free_node(s->ctx);
        s->ctx = s->q.c ? node_for_id(s->in, s->q.c) : NULL;
    }
    s->filled = 1;
    return 1;
}

static int stream_is_end(void *ud)
{
    return !((lmdb_stream *)ud)->has;
}
static int stream_next(void *ud)
{
    return !stream_fill(ud);
}
static void *stream_get(void *ud, int flags)
{
    lmdb_stream *s = ud;
    if (flags == LIBRDF_STREAM_GET_METHOD_GET_OBJECT) return s->st;
    if (flags == LIBRDF_STREAM_GET_METHOD_GET_CONTEXT) return s->ctx;
    return NULL;
}
static void stream_finished(void *ud)
{
    lmdb_stream *s = ud;
    lmdb_inst *in = s->in;
    if (s->ctx) librdf_free_node(s->ctx);
    s->ctx = NULL;
    s->filled = 0;
    rl_qs_iter_free(s->it);
    s->it = NULL;
    free(s->seen);
    s->seen = NULL;
    s->seen_cap = s->nseen = 0;
    s->gset = NULL;
    s->ngset = 0;
    if (s->st && in->nfree_streams < STREAM_POOL) { /* keep the statement object too */
        librdf_statement_clear(s->st);
        s->next_free = in->free_streams;
        in->free_streams = s;
        in->nfree_streams++;
        return;
    }
    if (s->st) librdf_free_statement(s->st);
    free(s);
}

static librdf_stream *stream_for_set(lmdb_inst *in, librdf_statement *pat, librdf_node *ctx,
                                     rl_qs_graph_mode mode, const rl_id *gset, size_t ngset);

static librdf_stream *stream_for(lmdb_inst *in, librdf_statement *pat, librdf_node *ctx,
                                 rl_qs_graph_mode mode)
{
    return stream_for_set(in, pat, ctx, mode, NULL, 0);
}

/* gset: report only quads of these graphs, each (s,p,o) once (mode must
 * be RL_QS_ALL_QUADS). */
static librdf_stream *stream_for_set(lmdb_inst *in, librdf_statement *pat, librdf_node *ctx,
                                     rl_qs_graph_mode mode, const rl_id *gset, size_t ngset)
{
    rl_quad q = {0, 0, 0, 0};
    librdf_node *parts[3] = {NULL, NULL, NULL};
    rl_id *ids[3] = {&q.s, &q.p, &q.o};
    if (pat) {
        parts[0] = librdf_statement_get_subject(pat);
        parts[1] = librdf_statement_get_predicate(pat);
        parts[2] = librdf_statement_get_object(pat);
    }
    for (int i = 0; i < 3; i++) {
        if (!parts[i]) continue;
        if (id_for_node(in, parts[i], 0, ids[i]) != RL_OK) return NULL;
        if (!*ids[i]) return librdf_new_empty_stream(in->world); /* unknown term */
    }
    if (mode == RL_QS_IN_GRAPH && ctx) {
        if (id_for_node(in, ctx, 0, &q.c) != RL_OK) return NULL;
        if (!q.c) return librdf_new_empty_stream(in->world);
    }
    lmdb_stream *s = in->free_streams;
    if (s) {
        in->free_streams = s->next_free;
        in->nfree_streams--;
        s->has = 0;
        s->filled = 0;
    } else {
        if (!(s = calloc(1, sizeof *s))) return NULL;
        s->in = in;
        s->st = librdf_new_statement(in->world);
    }
    s->gset = gset;
    s->ngset = ngset;
    if (!s->st || rl_qs_find(in->qs, &q, mode, &s->it) != RL_OK) {
        log_error(in, rl_qs_errmsg(in->qs));
        stream_finished(s);
        return NULL;
    }
    stream_fill(s);
    librdf_stream *out =
        librdf_new_stream(in->world, s, stream_is_end, stream_next, stream_get, stream_finished);
    if (!out) stream_finished(s);
    return out;
}

/* ---- factory methods ---------------------------------------------------- */
static int opt_flag(librdf_hash *options, const char *key)
{
    char *v = librdf_hash_get(options, key);
    int on = v && (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1"));
    free(v);
    return on;
}

static int lmdb_init(librdf_storage *storage, const char *name, librdf_hash *options)
{
    char err[512];
    rl_qs_options o = {0, 0, 0, 0, 0};
    lmdb_inst *in = calloc(1, sizeof *in);
    int rc = 1;
    if (!in) goto out;
    in->world = librdf_storage_get_world(storage);
    in->rworld = librdf_world_get_raptor(in->world);
    rl_buf_init(&in->enc, 0);
    librdf_storage_set_instance(storage, in);
    in->cache = calloc(NODE_CACHE_SLOTS, sizeof *in->cache);
    in->ptrs = calloc(NODE_CACHE_SLOTS, sizeof *in->ptrs);
    if (!in->cache || !in->ptrs) goto out;
    if (options) {
        char *ms = librdf_hash_get(options, "mapsize");
        if (ms) o.map_size = strtoull(ms, NULL, 10);
        free(ms);
        o.read_only = opt_flag(options, "read-only");
        o.no_sync = opt_flag(options, "no-sync");
        char *dg = librdf_hash_get(options, "default-graph");
        if (dg && *dg) in->default_graph = librdf_new_node_from_uri_string(in->world, (const unsigned char *)dg);
        free(dg);
    }
    if (rl_qs_new(name ? name : "", &o, &in->qs, err, sizeof err) != RL_OK) {
        log_error(in, err);
        goto out;
    }
    rc = 0;
out:
    if (options) librdf_free_hash(options);
    return rc;
}

static void lmdb_terminate(librdf_storage *storage)
{
    lmdb_inst *in = inst_of(storage);
    if (!in) return;
    if (in->cache) node_cache_clear(in);
    for (int i = 0; i < RECENT_TERMS; i++)
        if (in->recent[i]) raptor_free_term(in->recent[i]);
    while (in->free_streams) {
        lmdb_stream *n = in->free_streams->next_free;
        librdf_free_statement(in->free_streams->st);
        free(in->free_streams);
        in->free_streams = n;
    }
    free(in->cache);
    free(in->ptrs);
    if (in->default_graph) librdf_free_node(in->default_graph);
    free(in->ds_default);
    free(in->ds_named);
    rl_qs_free(in->qs);
    rl_buf_free(&in->enc);
    free(in);
}

static int lmdb_open(librdf_storage *storage, librdf_model *model)
{
    (void)storage;
    (void)model;
    return 0;
}
static int lmdb_close(librdf_storage *storage)
{
    (void)storage;
    return 0;
}

static int lmdb_size(librdf_storage *storage)
{
    uint64_t n = 0;
    if (rl_qs_count(inst_of(storage)->qs, &n) != RL_OK) return -1;
    return n > INT_MAX ? INT_MAX : (int)n;
}

static int add_quad(lmdb_inst *in, librdf_node *ctx, librdf_statement *st)
{
    rl_quad q = {0, 0, 0, 0};
    librdf_node *s = librdf_statement_get_subject(st), *p = librdf_statement_get_predicate(st),
                *o = librdf_statement_get_object(st);
    if (!s || !p || !o) return 1;
    int own = !rl_qs_in_write(in->qs);
    if (own && rl_qs_write_begin(in->qs) != RL_OK) goto fail;
    if (id_for_node(in, s, 1, &q.s) != RL_OK || id_for_node(in, p, 1, &q.p) != RL_OK ||
        id_for_node(in, o, 1, &q.o) != RL_OK ||
        (ctx && id_for_node(in, ctx, 1, &q.c) != RL_OK) || rl_qs_add(in->qs, &q) != RL_OK)
        goto fail;
    if (own && rl_qs_write_commit(in->qs) != RL_OK) goto fail_logged;
    return 0;
fail:
    if (own) rl_qs_write_abort(in->qs);
fail_logged:
    log_error(in, rl_qs_errmsg(in->qs));
    return 1;
}

static int lmdb_add_statement(librdf_storage *storage, librdf_statement *st)
{
    return add_quad(inst_of(storage), NULL, st);
}

static int lmdb_context_add_statement(librdf_storage *storage, librdf_node *ctx,
                                      librdf_statement *st)
{
    return add_quad(inst_of(storage), ctx, st);
}

static int add_stream(lmdb_inst *in, librdf_node *ctx, librdf_stream *stream)
{
    int own = !rl_qs_in_write(in->qs), rc = 0;
    if (own && rl_qs_write_begin(in->qs) != RL_OK) return 1;
    for (; !librdf_stream_end(stream) && !rc; librdf_stream_next(stream))
        rc = add_quad(in, ctx, librdf_stream_get_object(stream));
    if (own) {
        if (rc) rl_qs_write_abort(in->qs);
        else if (rl_qs_write_commit(in->qs) != RL_OK) rc = 1;
    }
    return rc;
}

static int lmdb_add_statements(librdf_storage *storage, librdf_stream *stream)
{
    return add_stream(inst_of(storage), NULL, stream);
}
static int lmdb_context_add_statements(librdf_storage *storage, librdf_node *ctx,
                                       librdf_stream *stream)
{
    return add_stream(inst_of(storage), ctx, stream);
}

static int remove_quad(lmdb_inst *in, librdf_node *ctx, librdf_statement *st)
{
    rl_quad q = {0, 0, 0, 0};
    if (id_for_node(in, librdf_statement_get_subject(st), 0, &q.s) != RL_OK ||
        id_for_node(in, librdf_statement_get_predicate(st), 0, &q.p) != RL_OK ||
        id_for_node(in, librdf_statement_get_object(st), 0, &q.o) != RL_OK ||
        (ctx && id_for_node(in, ctx, 0, &q.c) != RL_OK))
        return 1;
    if (!q.s || !q.p || !q.o || (ctx && !q.c)) return 0; /* unknown term: nothing to remove */
    if (rl_qs_remove(in->qs, &q, NULL) != RL_OK) {
        log_error(in, rl_qs_errmsg(in->qs));
        return 1;
    }
    return 0;
}

static int lmdb_remove_statement(librdf_storage *storage, librdf_statement *st)
{
    return remove_quad(inst_of(storage), NULL, st);
}
static int lmdb_context_remove_statement(librdf_storage *storage, librdf_node *ctx,
                                         librdf_statement *st)
{
    return remove_quad(inst_of(storage), ctx, st);
}

static int lmdb_context_remove_statements(librdf_storage *storage, librdf_node *ctx)
{
    lmdb_inst *in = inst_of(storage);
    rl_id c = 0;
    if (ctx && id_for_node(in, ctx, 0, &c) != RL_OK) return 1;
    if (ctx && !c) return 0;
    return rl_qs_clear_graph(in->qs, c) != RL_OK;
}

/* The default graph: the union of all graphs, or in strict mode
 * (?default-graph=IRI) that one graph. */
static librdf_stream *default_stream(lmdb_inst *in, librdf_statement *pat)
{
    if (in->ds_on) { /* a query's dataset: FROM graphs (none = an empty default graph) */
        if (!in->nds_default) return librdf_new_empty_stream(in->world);
        return stream_for_set(in, pat, NULL, RL_QS_ALL_QUADS, in->ds_default, in->nds_default);
    }
    if (in->default_graph) return stream_for(in, pat, in->default_graph, RL_QS_IN_GRAPH);
    return stream_for(in, pat, NULL, RL_QS_UNION);
}

/* Whether a named graph is in the query's dataset (always, without one). */
static int named_in_dataset(lmdb_inst *in, librdf_node *ctx)
{
    if (!in->ds_on) return 1;
    rl_id c = 0;
    if (id_for_node(in, ctx, 0, &c) != RL_OK || !c) return 0;
    for (size_t i = 0; i < in->nds_named; i++)
        if (in->ds_named[i] == c) return 1;
    return 0;
}

rl_status rl_rdf_lmdb_set_dataset(librdf_storage *storage, const char *const *dflt, size_t nd,
                                  const char *const *named, size_t nn)
{
    lmdb_inst *in = inst_of(storage);
    free(in->ds_default);
    free(in->ds_named);
    in->ds_default = in->ds_named = NULL;
    in->nds_default = in->nds_named = 0;
    in->ds_on = nd || nn;
    if (!in->ds_on) return RL_OK;
    in->ds_default = calloc(nd + 1, sizeof *in->ds_default);
    in->ds_named = calloc(nn + 1, sizeof *in->ds_named);
    if (!in->ds_default || !in->ds_named) return RL_ERR_NOMEM;
    for (int k = 0; k < 2; k++) {
        const char *const *list = k ? named : dflt;
        size_t n = k ? nn : nd;
        for (size_t i = 0; i < n; i++) {
            librdf_node *g = librdf_new_node_from_uri_string(in->world, (const unsigned char *)list[i]);
            rl_id id = 0;
            if (g) id_for_node(in, g, 0, &id);
            if (g) librdf_free_node(g);
            if (!id) continue; /* a graph the store does not have: empty */
            if (k) in->ds_named[in->nds_named++] = id;
            else in->ds_default[in->nds_default++] = id;
        }
    }
    return RL_OK;
}

static int lmdb_contains_statement(librdf_storage *storage, librdf_statement *st)
{
    librdf_stream *s = default_stream(inst_of(storage), st);
    if (!s) return 0;
    int found = !librdf_stream_end(s);
    librdf_free_stream(s);
    return found;
}

static librdf_stream *lmdb_serialise(librdf_storage *storage)
{
    return stream_for(inst_of(storage), NULL, NULL, RL_QS_ALL_QUADS);
}

static librdf_stream *lmdb_context_serialise(librdf_storage *storage, librdf_node *ctx)
{
    return ctx ? stream_for(inst_of(storage), NULL, ctx, RL_QS_IN_GRAPH) : default_stream(inst_of(storage), NULL);
}

static librdf_stream *lmdb_find_statements(librdf_storage *storage, librdf_statement *pat)
{
    return default_stream(inst_of(storage), pat);
}

static librdf_stream *lmdb_find_in_context(librdf_storage *storage, librdf_statement *pat,
                                           librdf_node *ctx)
{
    lmdb_inst *in = inst_of(storage);
    if (ctx && !named_in_dataset(in, ctx)) return librdf_new_empty_stream(in->world);
    return ctx ? stream_for(in, pat, ctx, RL_QS_IN_GRAPH) : default_stream(in, pat);
}

/* Context iterator over a snapshot of the graph id list. */
typedef struct ctx_iter {
    lmdb_inst *in;
    rl_id *ids;
    size_t n, i;
    librdf_node *cur;
} ctx_iter;

static int ctx_fill(ctx_iter *c)
{
    if (c->cur) librdf_free_node(c->cur);
    c->cur = NULL;
    while (c->i < c->n && !c->cur) c->cur = node_for_id(c->in, c->ids[c->i++]);
    return c->cur != NULL;
}
static int ctx_is_end(void *ud)
{
    return ((ctx_iter *)ud)->cur == NULL;
}
static int ctx_next(void *ud)
{
    return !ctx_fill(ud);
}
static void *ctx_get(void *ud, int flags)
{
    return flags == LIBRDF_ITERATOR_GET_METHOD_GET_OBJECT ? ((ctx_iter *)ud)->cur : NULL;
}
static void ctx_finished(void *ud)
{
    ctx_iter *c = ud;
    if (c->cur) librdf_free_node(c->cur);
    free(c->ids);
    free(c);
}

static librdf_iterator *lmdb_get_contexts(librdf_storage *storage)
{
    lmdb_inst *in = inst_of(storage);
    ctx_iter *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->in = in;
    if (rl_qs_graphs(in->qs, &c->ids, &c->n) != RL_OK) {
        log_error(in, rl_qs_errmsg(in->qs));
        free(c);
        return NULL;
    }
    if (in->ds_on) { /* a query's dataset: its named graphs only */
        size_t k = 0;
        for (size_t i = 0; i < c->n; i++)
            for (size_t j = 0; j < in->nds_named; j++)
                if (c->ids[i] == in->ds_named[j]) {
                    c->ids[k++] = c->ids[i];
                    break;
                }
        c->n = k;
    } else if (in->default_graph) {
        /* strict mode: the named graphs are the others, without the
         * default graph and rootline's provenance graph */
        rl_id skip[2] = {0, 0};
        librdf_node *prov = librdf_new_node_from_uri_string(in->world, (const unsigned char *)RL_GRAPH_PROVENANCE);
        id_for_node(in, in->default_graph, 0, &skip[0]);
        if (prov) id_for_node(in, prov, 0, &skip[1]);
        if (prov) librdf_free_node(prov);
        size_t k = 0;
        for (size_t i = 0; i < c->n; i++)
            if (c->ids[i] != skip[0] && c->ids[i] != skip[1]) c->ids[k++] = c->ids[i];
        c->n = k;
    }
    ctx_fill(c);
    librdf_iterator *it =
        librdf_new_iterator(in->world, c, ctx_is_end, ctx_next, ctx_get, ctx_finished);
    if (!it) ctx_finished(c);
    return it;
}

static librdf_node *lmdb_get_feature(librdf_storage *storage, librdf_uri *feature)
{
    lmdb_inst *in = inst_of(storage);
    const unsigned char *f = librdf_uri_as_string(feature);
    if (f && !strcmp((const char *)f, LIBRDF_MODEL_FEATURE_CONTEXTS))
        return librdf_new_node_from_typed_literal(in->world, (const unsigned char *)"1", NULL,
                                                  NULL);
    return NULL;
}

static int lmdb_sync(librdf_storage *storage)
{
    (void)storage;
    return 0;
}

static int lmdb_transaction_start(librdf_storage *storage)
{
    return rl_qs_write_begin(inst_of(storage)->qs) != RL_OK;
}
static int lmdb_transaction_commit(librdf_storage *storage)
{
    lmdb_inst *in = inst_of(storage);
    if (rl_qs_write_commit(in->qs) != RL_OK) {
        log_error(in, rl_qs_errmsg(in->qs));
        return 1;
    }
    return 0;
}
static int lmdb_transaction_rollback(librdf_storage *storage)
{
    rl_qs_write_abort(inst_of(storage)->qs);
    return 0;
}

static void lmdb_register_factory(librdf_storage_factory *f)
{
    f->version = LIBRDF_STORAGE_INTERFACE_VERSION;
    f->init = lmdb_init;
    f->terminate = lmdb_terminate;
    f->open = lmdb_open;
    f->close = lmdb_close;
    f->size = lmdb_size;
    f->add_statement = lmdb_add_statement;
    f->add_statements = lmdb_add_statements;
    f->remove_statement = lmdb_remove_statement;
    f->contains_statement = lmdb_contains_statement;
    f->serialise = lmdb_serialise;
    f->find_statements = lmdb_find_statements;
    f->context_add_statement = lmdb_context_add_statement;
    f->context_add_statements = lmdb_context_add_statements;
    f->context_remove_statement = lmdb_context_remove_statement;
    f->context_remove_statements = lmdb_context_remove_statements;
    f->context_serialise = lmdb_context_serialise;
    f->find_statements_in_context = lmdb_find_in_context;
    f->get_contexts = lmdb_get_contexts;
    f->get_feature = lmdb_get_feature;
    f->sync = lmdb_sync;
    f->transaction_start = lmdb_transaction_start;
    f->transaction_commit = lmdb_transaction_commit;
    f->transaction_rollback = lmdb_transaction_rollback;
}

rl_status rl_rdf_lmdb_register(librdf_world *world)
{
    return librdf_storage_register_factory(world, LMDB_FACTORY_NAME, "rootline LMDB quad store",
                                           lmdb_register_factory)
               ? RL_ERR_INTERNAL
               : RL_OK;
}

rl_qs *rl_rdf_lmdb_quads(librdf_storage *storage)
{
    /* Only storages created from our factory carry an lmdb_inst; the store
     * module (store.c) asks only for storages it created as "lmdb". */
    lmdb_inst *in = storage ? inst_of(storage) : NULL;
    return in ? in->qs : NULL;
}
