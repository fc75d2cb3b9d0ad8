/* update.c: SPARQL Update operations applied in one transaction. */
#include "update.h"

#include "sparql_guard.h"
#include "vocab.h"

#include <ctype.h>
#include <inttypes.h>
#include <rasqal.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct solved {
    json_t *rows;      /* SPARQL JSON bindings array (owned) */
    librdf_node *with; /* the WITH graph (owned; NULL: none) */
} solved;

typedef struct upd {
    const char *text; /* the (rewritten) update text */
    solved *sol;      /* per operation, for WHERE forms */
    rl_store *st;
    librdf_world *w;
    librdf_model *m;
    const rl_update_options *o;
    raptor_uri *base; /* the request's base IRI (NULL: none) */
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
    /* ALL includes the default graph, which a strict store does not list */
    if (st == RL_OK && op->applies == RASQAL_UPDATE_GRAPH_ALL) st = clear_one(u, def);
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

/* ---- WHERE forms -------------------------------------------------------- */

/* Length of a string, IRI or comment at p (0 if none): as sparql_guard.c. */
static size_t skip_opaque(const char *p)
{
    const char *s = p;
    if (*p == '#') {
        while (*p && *p != '\n') p++;
        return (size_t)(p - s);
    }
    if (*p == '<') {
        const char *q = p + 1;
        while (*q && *q != '>' && *q != ' ' && *q != '\n' && *q != '"' && *q != '{' && *q != '}') q++;
        return *q == '>' ? (size_t)(q - p + 1) : 0;
    }
    if (*p == '"' || *p == '\'') {
        char c = *p;
        int lq = p[1] == c && p[2] == c;
        p += lq ? 3 : 1;
        while (*p) {
            if (*p == '\\' && p[1]) {
                p += 2;
                continue;
            }
            if (*p == c && (!lq || (p[1] == c && p[2] == c))) return (size_t)(p + (lq ? 3 : 1) - s);
            p++;
        }
        return (size_t)(p - s);
    }
    return 0;
}

static int kw(const char *p, const char *start, const char *w)
{
    size_t n = strlen(w);
    int before = p == start || !(isalnum((unsigned char)p[-1]) || p[-1] == '_' || p[-1] == ':' || p[-1] == '?' || p[-1] == '$');
    return before && !strncasecmp(p, w, n) && !isalnum((unsigned char)p[n]) && p[n] != '_' && p[n] != ':';
}

/* The prologue (every PREFIX and BASE declaration, in order) into out. */
static rl_status prologue(const char *t, rl_buf *out)
{
    rl_status st = RL_OK;
    for (const char *p = t; *p && st == RL_OK;) {
        size_t n = skip_opaque(p);
        if (n) {
            p += n;
            continue;
        }
        if (kw(p, t, "PREFIX") || kw(p, t, "BASE")) {
            const char *e = p;
            while (*e && *e != '<') e++; /* to the IRI */
            size_t iri = *e ? skip_opaque(e) : 0;
            if (!iri) break;
            st = rl_buf_append(out, p, (size_t)(e + iri - p));
            if (st == RL_OK) st = rl_buf_puts(out, "\n");
            p = e + iri;
            continue;
        }
        p++;
    }
    return st;
}

#define MAX_USING 64 /* USING / USING NAMED graphs per operation */

typedef struct ref {
    const char *p; /* a graph as written: <iri> or a prefixed name */
    size_t n;
} ref;

typedef struct opinfo {
    int split_second; /* the INSERT half of a split DELETE/INSERT */
    int nusing, nnamed, too_many;
    ref using[MAX_USING], named[MAX_USING];
    ref with; /* n = 0: no WITH */
} opinfo;

/* Records the marker comment at p (length k) of the guard's update rewrite. */
static void opinfo_mark(opinfo *info, const char *p, size_t k)
{
    static const struct {
        const char *mark;
        size_t off;
    } kinds[] = {{RL_GUARD_USING_NAMED_MARK " ", 1}, {RL_GUARD_USING_MARK " ", 0}, {RL_GUARD_WITH_MARK " ", 2}};
    if (!strncmp(p, RL_GUARD_SPLIT_MARK, strlen(RL_GUARD_SPLIT_MARK))) {
        info->split_second = 1;
        return;
    }
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        size_t ml = strlen(kinds[i].mark);
        if (k <= ml || strncmp(p, kinds[i].mark, ml)) continue;
        ref r = {p + ml, k - ml};
        while (r.n && isspace((unsigned char)r.p[r.n - 1])) r.n--;
        if (kinds[i].off == 2) info->with = r;
        else if (kinds[i].off == 1 && info->nnamed < MAX_USING) info->named[info->nnamed++] = r;
        else if (kinds[i].off == 0 && info->nusing < MAX_USING) info->using[info->nusing++] = r;
        else info->too_many = 1;
        return;
    }
}

/* The WHERE block { ... } of the n-th operation (operations are split at
 * top-level ';'); start and length into *b, *len; the guard's markers of
 * that operation into *info.  0 or -1. */
static int where_block(const char *t, int n, const char **b, size_t *len, opinfo *info)
{
    int op = 0, depth = 0;
    const char *after_where = NULL;
    memset(info, 0, sizeof *info);
    for (const char *p = t; *p; p++) {
        size_t k = skip_opaque(p);
        if (k) {
            if (*p == '#' && op == n && depth == 0) opinfo_mark(info, p, k);
            p += k - 1;
            continue;
        }
        if (*p == '{') {
            if (depth == 0 && after_where && op == n) *b = p;
            depth++;
        } else if (*p == '}') {
            if (--depth == 0 && after_where && op == n && *b) {
                *len = (size_t)(p + 1 - *b);
                return 0;
            }
        } else if (*p == ';' && depth == 0) {
            op++;
            after_where = NULL;
        } else if (depth == 0 && op == n && kw(p, t, "WHERE")) {
            after_where = p;
            *b = NULL;
        }
    }
    return -1;
}

/* The graph a WITH names (r: as written, <iri> or a prefixed name) as a
 * node in *out, resolved by rasqal against the request's prologue and base
 * IRI exactly as the operation's other terms are. */
static rl_status resolve_graph(upd *u, const ref *r, librdf_node **out)
{
    rl_buf q;
    rl_buf_init(&q, (size_t)1 << 20);
    rl_status st = prologue(u->text, &q);
    if (st == RL_OK) st = rl_buf_printf(&q, "SELECT * WHERE { %.*s ?p ?o }", (int)r->n, r->p);
    rasqal_query *rq = st == RL_OK ? rasqal_new_query(librdf_world_get_rasqal(u->w), "sparql11-query", NULL) : NULL;
    if (st == RL_OK && !rq) st = RL_ERR_NOMEM;
    if (st == RL_OK && rasqal_query_prepare(rq, (const unsigned char *)q.data, u->base))
        st = fail(u, RL_ERR_INPUT, "WITH names no graph IRI: %.200s", (const char *)q.data);
    rasqal_triple *t = st == RL_OK ? rasqal_query_get_triple(rq, 0) : NULL;
    if (st == RL_OK && (!t || !t->subject || t->subject->type != RASQAL_LITERAL_URI))
        st = fail(u, RL_ERR_INPUT, "%s", "WITH takes a graph IRI");
    if (st == RL_OK && !(*out = librdf_new_node_from_uri_string(u->w, raptor_uri_as_string(t->subject->value.uri))))
        st = RL_ERR_NOMEM;
    if (rq) rasqal_free_query(rq);
    rl_buf_free(&q);
    return st;
}

/* Runs the WHERE of operation i through the solver, inside the request's
 * transaction (so it sees the earlier operations); rows stay for apply. */
static rl_status solve_where(upd *u, int i)
{
    const char *b = NULL;
    size_t len = 0;
    opinfo info;
    if (!u->o || !u->o->solve)
        return fail(u, RL_ERR_UNSUPPORTED, "%s", "DELETE/INSERT ... WHERE needs the query engine (not available here)");
    if (where_block(u->text, i, &b, &len, &info))
        return fail(u, RL_ERR_INPUT, "%s", "could not find the WHERE block of an update operation");
    if (info.split_second && i > 0 && u->sol[i - 1].rows) { /* DELETE/INSERT: one solution set */
        u->sol[i].rows = json_incref(u->sol[i - 1].rows);
        if (u->sol[i - 1].with && !(u->sol[i].with = librdf_new_node_from_node(u->sol[i - 1].with)))
            return RL_ERR_NOMEM;
        return RL_OK;
    }
    if (info.too_many) return fail(u, RL_ERR_LIMIT, "more than %s USING or USING NAMED graphs in one operation", "64");
    rl_buf q;
    rl_buf_init(&q, (size_t)64 << 20);
    rl_status st = prologue(u->text, &q);
    if (st == RL_OK) st = rl_buf_puts(&q, "SELECT * ");
    /* USING / USING NAMED are the WHERE's dataset, as FROM / FROM NAMED are
     * a query's (and WITH then does not apply to the WHERE) */
    for (int k = 0; k < info.nusing && st == RL_OK; k++)
        st = rl_buf_printf(&q, "FROM %.*s ", (int)info.using[k].n, info.using[k].p);
    for (int k = 0; k < info.nnamed && st == RL_OK; k++)
        st = rl_buf_printf(&q, "FROM NAMED %.*s ", (int)info.named[k].n, info.named[k].p);
    if (st == RL_OK) st = rl_buf_puts(&q, "WHERE { ");
    int in_with = !info.nusing && !info.nnamed && info.with.n; /* WITH <g>: the WHERE reads g */
    if (st == RL_OK && in_with) st = rl_buf_printf(&q, "GRAPH %.*s ", (int)info.with.n, info.with.p);
    if (st == RL_OK) st = rl_buf_append(&q, b, len);
    if (st == RL_OK) st = rl_buf_puts(&q, " }");
    if (st == RL_OK && info.with.n) st = resolve_graph(u, &info.with, &u->sol[i].with);
    json_t *res = NULL;
    if (st == RL_OK) st = u->o->solve(u->o->solve_ctx, (const char *)q.data, &res, u->err, u->cap);
    rl_buf_free(&q);
    if (st != RL_OK) return st;
    json_t *rows = json_object_get(json_object_get(res, "results"), "bindings");
    if (!json_is_array(rows)) {
        json_decref(res);
        return fail(u, RL_ERR_INTERNAL, "%s", "the WHERE gave no bindings");
    }
    u->sol[i].rows = json_incref(rows);
    json_decref(res);
    return RL_OK;
}

/* A template term under a solution: variables from the row, blank nodes new
 * per operation and solution (label + operation + row number), the rest as
 * written.  NULL when a variable is unbound. */
static librdf_node *inst_node(upd *u, rasqal_literal *l, json_t *row, size_t rowno)
{
    if (!l) return NULL;
    if (l->type == RASQAL_LITERAL_VARIABLE) {
        json_t *v = json_object_get(row, (const char *)l->value.variable->name);
        const char *type = json_string_value(json_object_get(v, "type"));
        const char *val = json_string_value(json_object_get(v, "value"));
        if (!type || !val) return NULL;
        if (!strcmp(type, "uri")) return librdf_new_node_from_uri_string(u->w, (const unsigned char *)val);
        if (!strcmp(type, "bnode")) return librdf_new_node_from_blank_identifier(u->w, (const unsigned char *)val);
        const char *dt = json_string_value(json_object_get(v, "datatype"));
        const char *lang = json_string_value(json_object_get(v, "xml:lang"));
        librdf_uri *du = dt ? librdf_new_uri(u->w, (const unsigned char *)dt) : NULL;
        librdf_node *n = librdf_new_node_from_typed_literal(u->w, (const unsigned char *)val, lang, du);
        if (du) librdf_free_uri(du);
        return n;
    }
    if (l->type == RASQAL_LITERAL_BLANK) {
        char label[600];
        snprintf(label, sizeof label, "%so%" PRIu64 "r%zu_%.400s", u->bprefix, u->res->operations, rowno,
                 (const char *)l->string);
        return librdf_new_node_from_blank_identifier(u->w, (const unsigned char *)label);
    }
    return node_of(u, l);
}

/* Instantiates the templates `tpl` under each row and inserts or deletes
 * the triples; a template triple without GRAPH goes to `with` (NULL: the
 * default graph). */
static rl_status apply_templates(upd *u, rasqal_update_operation *op, json_t *rows, librdf_node *with,
                                 raptor_sequence *tpl, int insert)
{
    size_t nrows = json_array_size(rows);
    for (size_t r = 0; r < nrows; r++) {
        json_t *row = json_array_get(rows, r);
        for (int i = 0; tpl && i < raptor_sequence_size(tpl); i++) {
            rasqal_triple *t = raptor_sequence_get_at(tpl, i);
            librdf_node *s = inst_node(u, t->subject, row, r), *p = inst_node(u, t->predicate, row, r),
                        *o = inst_node(u, t->object, row, r);
            librdf_node *g = t->origin ? inst_node(u, t->origin, row, r)
                             : with    ? librdf_new_node_from_node(with)
                                       : graph_node(u, op->graph_uri);
            rl_status st = RL_OK;
            int skip = !s || !p || !o || !g; /* an unbound variable: no triple */
            if (!skip && u->res->inserted + u->res->deleted >= u->max)
                st = fail(u, RL_ERR_LIMIT, "%s", "more triples than the per-request limit");
            librdf_statement *stmt = !skip && st == RL_OK ? librdf_new_statement_from_nodes(u->w, s, p, o) : NULL;
            if (stmt) s = p = o = NULL;
            if (stmt) {
                if (insert) {
                    if (librdf_model_context_add_statement(u->m, g, stmt))
                        st = fail(u, RL_ERR_STORE, "store write failed: %s", rl_store_log_last(u->st));
                    else
                        u->res->inserted++;
                } else if (librdf_model_contains_context(u->m, g) &&
                           !librdf_model_context_remove_statement(u->m, g, stmt)) {
                    u->res->deleted++;
                }
                librdf_free_statement(stmt);
            }
            if (s) librdf_free_node(s);
            if (p) librdf_free_node(p);
            if (o) librdf_free_node(o);
            if (g) librdf_free_node(g);
            if (st != RL_OK) return st;
        }
    }
    return RL_OK;
}

static rl_status apply(upd *u, rasqal_update_operation *op)
{
    switch (op->type) {
    case RASQAL_UPDATE_TYPE_UPDATE:
        if (!(op->flags & RASQAL_UPDATE_FLAGS_DATA) || op->where) {
            solved *so = &u->sol[u->res->operations];
            rl_status st = apply_templates(u, op, so->rows, so->with, op->delete_templates, 0);
            return st == RL_OK ? apply_templates(u, op, so->rows, so->with, op->insert_templates, 1) : st;
        }
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
        if (op->flags & RASQAL_UPDATE_FLAGS_SILENT) return RL_OK; /* a LOAD that fails silently */
        return fail(u, RL_ERR_UNSUPPORTED, "%s", "LOAD is refused: rootline fetches no URLs (import the file, or PUT it to /store)");
    default: return fail(u, RL_ERR_UNSUPPORTED, "%s", "unknown update operation");
    }
}

rl_status rl_update_run(rl_store *st, const char *text, const rl_update_options *opt,
                        rl_update_result *res, char *err, size_t cap)
{
    static unsigned long counter;
    upd u = {NULL, NULL, st, rl_store_world(st), rl_store_model(st), opt, NULL, res, "", 0, err, cap};
    memset(res, 0, sizeof *res);
    u.max = opt && opt->max_triples ? opt->max_triples : 10000000ull;
    snprintf(u.bprefix, sizeof u.bprefix, "upd%lx%lx_", (unsigned long)time(NULL), ++counter);
    rl_buf fixed, unchained;
    int changed = 0;
    rl_buf_init(&fixed, (size_t)64 << 20);
    rl_buf_init(&unchained, (size_t)64 << 20);
    rl_status cs = rl_guard_rewrite_chains(text, &unchained, &changed, err, cap); /* before rasqal parses it */
    if (cs != RL_OK || rl_guard_rewrite_update((const char *)unchained.data, &fixed, &changed, err, cap) != RL_OK) {
        rl_buf_free(&fixed);
        rl_buf_free(&unchained);
        return cs != RL_OK ? cs : RL_ERR_LIMIT;
    }
    rl_buf_free(&unchained);
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
    u.base = bu;
    rl_store_log_clear(st);
    rl_store_capture_rasqal(st);
    if (rasqal_query_prepare(q, (const unsigned char *)text, bu)) {
        const char *m = rl_store_log_last(st);
        s = rl_errorf(err, cap, RL_ERR_INPUT, "SPARQL Update syntax error: %s", *m ? m : "(no detail)");
        goto out;
    }
    if ((s = rl_guard_check(q, err, cap)) != RL_OK || (s = rl_guard_check_text(text, err, cap)) != RL_OK) goto out;
    int n = 0;
    while (rasqal_query_get_update_operation(q, n)) n++;
    if (!n) {
        s = rl_errorf(err, cap, RL_ERR_INPUT, "no update operation (queries go to /sparql)");
        goto out;
    }
    if (opt && opt->check_only) goto out;
    u.text = text;
    if (!(u.sol = calloc((size_t)n, sizeof *u.sol))) {
        s = RL_ERR_NOMEM;
        goto out;
    }
    if ((s = rl_store_begin(st)) != RL_OK) {
        s = rl_errorf(err, cap, s, "cannot begin a transaction: %s", rl_store_log_last(st));
        goto out;
    }
    in_txn = 1;
    for (int i = 0; i < n && s == RL_OK; i++) {
        rasqal_update_operation *op = rasqal_query_get_update_operation(q, i);
        /* each WHERE sees the operations before it (the solver reads inside
         * this transaction) */
        if (op->type == RASQAL_UPDATE_TYPE_UPDATE && (!(op->flags & RASQAL_UPDATE_FLAGS_DATA) || op->where))
            s = solve_where(&u, i);
        if (s == RL_OK) s = apply(&u, op);
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
    for (int i = 0; u.sol && rasqal_query_get_update_operation(q, i); i++) {
        json_decref(u.sol[i].rows);
        if (u.sol[i].with) librdf_free_node(u.sol[i].with);
    }
    free(u.sol);
    rasqal_free_query(q);
    rl_buf_free(&fixed);
    return s;
}
