/* update.c: SPARQL Update operations applied in one transaction. */
#include "update.h"

#include "sparql_guard.h"
#include "vocab.h"

#include <rasqal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct upd {
    rl_store *st;
    librdf_world *w;
    librdf_model *m;
    const rl_update_options *o;
    rl_update_result *res;
    char bprefix[48];
    uint64_t max;
    char *err;
    size_t cap;
} upd;

static librdf_node *graph_node(upd *u, raptor_uri *g)
{
    const char *iri = g ? (const char *)raptor_uri_as_string(g)
                        : (u->o && u->o->default_graph ? u->o->default_graph : RL_DEFAULT_GRAPH);
    return librdf_new_node_from_uri_string(u->w, (const unsigned char *)iri);
}

/* A ground rasqal term as a librdf node (NULL for a variable or an error). */
static librdf_node *node_of(upd *u, rasqal_literal *l)
{
    if (!l) return NULL;
    switch (l->type) {
    case RASQAL_LITERAL_URI:
        return librdf_new_node_from_uri_string(u->w, raptor_uri_as_string(l->value.uri));
    case RASQAL_LITERAL_BLANK: {
        char label[512];
        snprintf(label, sizeof label, "%s%.400s", u->bprefix, (const char *)l->string);
        return librdf_new_node_from_blank_identifier(u->w, (const unsigned char *)label);
    }
    case RASQAL_LITERAL_VARIABLE:
    case RASQAL_LITERAL_PATTERN:
    case RASQAL_LITERAL_QNAME:
    case RASQAL_LITERAL_UNKNOWN:
        return NULL;
    default: {
        raptor_uri *dt = rasqal_literal_datatype(l);
        librdf_uri *ldt = dt ? librdf_new_uri(u->w, raptor_uri_as_string(dt)) : NULL;
        if (ldt && !strcmp((const char *)raptor_uri_as_string(dt), RL_NS_XSD "string") && !l->language) {
            librdf_free_uri(ldt); /* RDF 1.1: xsd:string is the simple literal */
            ldt = NULL;
        }
        librdf_node *n = librdf_new_node_from_typed_literal(u->w, rasqal_literal_as_string(l),
                                                            l->language, ldt);
        if (ldt) librdf_free_uri(ldt);
        return n;
    }
    }
}

static rl_status fail(upd *u, rl_status st, const char *fmt, const char *arg)
{
    snprintf(u->err, u->cap, fmt, arg ? arg : "");
    return st;
}

static rl_status data_triples(upd *u, raptor_sequence *seq, int insert)
{
    for (int i = 0; seq && i < raptor_sequence_size(seq); i++) {
        rasqal_triple *t = raptor_sequence_get_at(seq, i);
        librdf_node *s = node_of(u, t->subject), *p = node_of(u, t->predicate), *o = node_of(u, t->object);
        librdf_node *g = t->origin && t->origin->type == RASQAL_LITERAL_URI ? graph_node(u, t->origin->value.uri)
                                                                          : graph_node(u, NULL);
        rl_status st = RL_OK;
        if (!s || !p || !o || !g) st = fail(u, RL_ERR_INPUT, "%s", "DATA blocks take ground triples: no variables");
        else if (u->res->inserted + u->res->deleted >= u->max)
            st = fail(u, RL_ERR_LIMIT, "%s", "more triples than the per-request limit");
        librdf_statement *stmt = st == RL_OK ? librdf_new_statement_from_nodes(u->w, s, p, o) : NULL;
        if (stmt) s = p = o = NULL; /* owned by the statement now */
        if (st == RL_OK && !stmt) st = RL_ERR_NOMEM;
        if (st == RL_OK) {
            int rc;
            if (insert) {
                rc = librdf_model_context_add_statement(u->m, g, stmt);
                if (!rc) u->res->inserted++;
            } else {
                int had = librdf_model_contains_context(u->m, g) ? 1 : 0;
                rc = had ? librdf_model_context_remove_statement(u->m, g, stmt) : 0;
                if (had && !rc) u->res->deleted++;
                rc = 0; /* deleting what is absent is no error */
            }
            if (rc) st = fail(u, RL_ERR_STORE, "store write failed: %s", rl_store_log_last(u->st));
        }
        if (stmt) librdf_free_statement(stmt);
        if (s) librdf_free_node(s);
        if (p) librdf_free_node(p);
        if (o) librdf_free_node(o);
        if (g) librdf_free_node(g);
        if (st != RL_OK) return st;
    }
    return RL_OK;
}

static int is_provenance(librdf_node *n)
{
    librdf_uri *uri = librdf_node_get_uri(n);
    return uri && !strcmp((const char *)librdf_uri_as_string(uri), RL_GRAPH_PROVENANCE);
}

static rl_status clear_one(upd *u, librdf_node *g)
{
    if (!librdf_model_contains_context(u->m, g)) return RL_OK;
    if (librdf_model_context_remove_statements(u->m, g))
        return fail(u, RL_ERR_STORE, "clearing a graph failed: %s", rl_store_log_last(u->st));
    u->res->graphs_cleared++;
    return RL_OK;
}

/* CLEAR / DROP: one graph, DEFAULT, NAMED, ALL. */
static rl_status clear_graphs(upd *u, rasqal_update_operation *op)
{
    int silent = op->flags & RASQAL_UPDATE_FLAGS_SILENT;
    if (op->applies == RASQAL_UPDATE_GRAPH_ONE || op->applies == RASQAL_UPDATE_GRAPH_DEFAULT) {
        librdf_node *g = graph_node(u, op->applies == RASQAL_UPDATE_GRAPH_ONE ? op->graph_uri : NULL);
        rl_status st = RL_OK;
        if (!g) return RL_ERR_NOMEM;
        if (op->applies == RASQAL_UPDATE_GRAPH_ONE && !librdf_model_contains_context(u->m, g) && !silent)
            st = fail(u, RL_ERR_NOTFOUND, "graph <%s> does not exist (use SILENT to ignore)",
                      (const char *)raptor_uri_as_string(op->graph_uri));
        if (st == RL_OK) st = clear_one(u, g);
        librdf_free_node(g);
        return st;
    }
    librdf_node *def = graph_node(u, NULL);
    librdf_node *list[4096];
    size_t n = 0;
    librdf_iterator *it = librdf_model_get_contexts(u->m);
    for (; it && !librdf_iterator_end(it) && n < sizeof list / sizeof *list; librdf_iterator_next(it)) {
        librdf_node *c = librdf_iterator_get_object(it);
        if (!c || is_provenance(c)) continue;
        if (op->applies == RASQAL_UPDATE_GRAPH_NAMED && librdf_node_equals(c, def)) continue;
        list[n++] = librdf_new_node_from_node(c);
    }
    int more = it && !librdf_iterator_end(it);
    if (it) librdf_free_iterator(it);
    rl_status st = more ? fail(u, RL_ERR_LIMIT, "%s", "more than 4096 graphs to clear in one operation") : RL_OK;
    for (size_t i = 0; i < n; i++) {
        if (st == RL_OK) st = clear_one(u, list[i]);
        librdf_free_node(list[i]);
    }
    librdf_free_node(def);
    return st;
}

/* ADD / COPY / MOVE from graph_uri (NULL = default) to document_uri. */
static rl_status transfer(upd *u, rasqal_update_operation *op)
{
    librdf_node *src = graph_node(u, op->graph_uri), *dst = graph_node(u, op->document_uri);
    rl_status st = RL_OK;
    if (!src || !dst) st = RL_ERR_NOMEM;
    if (st == RL_OK && librdf_node_equals(src, dst)) goto out; /* to itself: nothing to do */
    if (st == RL_OK && op->graph_uri && !librdf_model_contains_context(u->m, src) &&
        !(op->flags & RASQAL_UPDATE_FLAGS_SILENT)) {
        st = fail(u, RL_ERR_NOTFOUND, "source graph <%s> does not exist", (const char *)raptor_uri_as_string(op->graph_uri));
        goto out;
    }
    if (st == RL_OK && op->type != RASQAL_UPDATE_TYPE_ADD) st = clear_one(u, dst);
    /* read the source first, then write (no cursor over a graph being written) */
    librdf_statement **tmp = NULL;
    size_t n = 0, cap = 0;
    librdf_stream *s = st == RL_OK ? librdf_model_context_as_stream(u->m, src) : NULL;
    for (; s && !librdf_stream_end(s) && st == RL_OK; librdf_stream_next(s)) {
        if (n >= u->max) {
            st = fail(u, RL_ERR_LIMIT, "%s", "more triples than the per-request limit");
            break;
        }
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 256;
            librdf_statement **nt = realloc(tmp, nc * sizeof *nt);
            if (!nt) {
                st = RL_ERR_NOMEM;
                break;
            }
            tmp = nt, cap = nc;
        }
        tmp[n++] = librdf_new_statement_from_statement(librdf_stream_get_object(s));
    }
    if (s) librdf_free_stream(s);
    for (size_t i = 0; i < n; i++) {
        if (st == RL_OK && tmp[i] && librdf_model_context_add_statement(u->m, dst, tmp[i]))
            st = fail(u, RL_ERR_STORE, "store write failed: %s", rl_store_log_last(u->st));
        if (st == RL_OK) u->res->inserted++;
        if (tmp[i]) librdf_free_statement(tmp[i]);
    }
    free(tmp);
    if (st == RL_OK && op->type == RASQAL_UPDATE_TYPE_MOVE) st = clear_one(u, src);
out:
    if (src) librdf_free_node(src);
    if (dst) librdf_free_node(dst);
    return st;
}

static rl_status apply(upd *u, rasqal_update_operation *op)
{
    switch (op->type) {
    case RASQAL_UPDATE_TYPE_UPDATE:
        if (!(op->flags & RASQAL_UPDATE_FLAGS_DATA) || op->where)
            return fail(u, RL_ERR_UNSUPPORTED, "%s",
                        "DELETE/INSERT ... WHERE and DELETE WHERE are not supported yet (INSERT DATA, "
                        "DELETE DATA, CLEAR, DROP, CREATE, ADD, MOVE, COPY are)");
        {
            rl_status st = data_triples(u, op->delete_templates, 0);
            return st == RL_OK ? data_triples(u, op->insert_templates, 1) : st;
        }
    case RASQAL_UPDATE_TYPE_CLEAR:
    case RASQAL_UPDATE_TYPE_DROP: return clear_graphs(u, op);
    case RASQAL_UPDATE_TYPE_CREATE: {
        librdf_node *g = graph_node(u, op->graph_uri);
        int exists = g && librdf_model_contains_context(u->m, g);
        if (g) librdf_free_node(g);
        if (exists && !(op->flags & RASQAL_UPDATE_FLAGS_SILENT))
            return fail(u, RL_ERR_EXISTS, "graph <%s> already exists", op->graph_uri ? (const char *)raptor_uri_as_string(op->graph_uri) : "");
        return RL_OK; /* graphs exist while they hold triples: nothing to store */
    }
    case RASQAL_UPDATE_TYPE_ADD:
    case RASQAL_UPDATE_TYPE_MOVE:
    case RASQAL_UPDATE_TYPE_COPY: return transfer(u, op);
    case RASQAL_UPDATE_TYPE_LOAD:
        return fail(u, RL_ERR_UNSUPPORTED, "%s", "LOAD is refused: rootline fetches no URLs (import the file, or PUT it to /store)");
    default: return fail(u, RL_ERR_UNSUPPORTED, "%s", "unknown update operation");
    }
}

rl_status rl_update_run(rl_store *st, const char *text, const rl_update_options *opt,
                        rl_update_result *res, char *err, size_t cap)
{
    static unsigned long counter;
    upd u = {st, rl_store_world(st), rl_store_model(st), opt, res, "", 0, err, cap};
    memset(res, 0, sizeof *res);
    u.max = opt && opt->max_triples ? opt->max_triples : 10000000ull;
    snprintf(u.bprefix, sizeof u.bprefix, "upd%lx%lx_", (unsigned long)time(NULL), ++counter);
    rl_buf fixed;
    int changed = 0;
    rl_buf_init(&fixed, (size_t)64 << 20);
    if (rl_guard_rewrite_update(text, &fixed, &changed, err, cap) != RL_OK) {
        rl_buf_free(&fixed);
        return RL_ERR_LIMIT;
    }
    text = fixed.data ? (const char *)fixed.data : "";
    rasqal_world *rw = librdf_world_get_rasqal(u.w);
    rasqal_query *q = rasqal_new_query(rw, "sparql11-update", NULL);
    raptor_uri *bu = NULL;
    rl_status s = RL_OK;
    int in_txn = 0;
    if (!q) {
        rl_buf_free(&fixed);
        return rl_errorf(err, cap, RL_ERR_INTERNAL, "cannot create a SPARQL Update parser");
    }
    if (opt && opt->base_uri) bu = raptor_new_uri(librdf_world_get_raptor(u.w), (const unsigned char *)opt->base_uri);
    rl_store_log_clear(st);
    rl_store_capture_rasqal(st);
    if (rasqal_query_prepare(q, (const unsigned char *)text, bu)) {
        const char *m = rl_store_log_last(st);
        s = rl_errorf(err, cap, RL_ERR_INPUT, "SPARQL Update syntax error: %s", *m ? m : "(no detail)");
        goto out;
    }
    if ((s = rl_guard_check(q, err, cap)) != RL_OK) goto out;
    int n = 0;
    while (rasqal_query_get_update_operation(q, n)) n++;
    if (!n) {
        s = rl_errorf(err, cap, RL_ERR_INPUT, "no update operation (queries go to /sparql)");
        goto out;
    }
    if (opt && opt->check_only) goto out;
    if ((s = rl_store_begin(st)) != RL_OK) {
        s = rl_errorf(err, cap, s, "cannot begin a transaction: %s", rl_store_log_last(st));
        goto out;
    }
    in_txn = 1;
    for (int i = 0; i < n && s == RL_OK; i++) {
        s = apply(&u, rasqal_query_get_update_operation(q, i));
        res->operations++;
    }
    if (s == RL_OK) {
        in_txn = 0;
        if ((s = rl_store_commit(st)) != RL_OK)
            s = rl_errorf(err, cap, s, "commit failed: %s", rl_store_log_last(st));
    }
out:
    if (in_txn) rl_store_rollback(st);
    if (s != RL_OK) memset(res, 0, sizeof *res);
    if (bu) raptor_free_uri(bu);
    rasqal_free_query(q);
    rl_buf_free(&fixed);
    return s;
}
