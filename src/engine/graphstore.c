/* graphstore.c: PUT / POST / DELETE of whole graphs. */
#include "graphstore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

const char *rl_graph_syntax_for(const char *ct)
{
    static const struct {
        const char *type, *syntax;
    } map[] = {{"text/turtle", "turtle"},           {"application/x-turtle", "turtle"},
               {"application/n-triples", "ntriples"}, {"text/plain", "ntriples"},
               {"application/rdf+xml", "rdfxml"}};
    if (!ct) return NULL;
    for (size_t i = 0; i < sizeof map / sizeof *map; i++) {
        size_t n = strlen(map[i].type);
        if (!strncasecmp(ct, map[i].type, n) && (ct[n] == 0 || ct[n] == ';' || ct[n] == ' ')) return map[i].syntax;
    }
    return NULL;
}

int rl_graph_exists(rl_store *st, const char *graph)
{
    librdf_node *g = librdf_new_node_from_uri_string(rl_store_world(st), (const unsigned char *)graph);
    int e = g && librdf_model_contains_context(rl_store_model(st), g);
    if (g) librdf_free_node(g);
    return e;
}

typedef struct collect {
    librdf_world *w;
    librdf_statement **s;
    size_t n, cap, max;
    char bprefix[48];
    int overflow, nomem;
} collect;

static librdf_node *node_of(collect *c, raptor_term *t)
{
    if (t->type == RAPTOR_TERM_TYPE_URI) return librdf_new_node_from_uri(c->w, (librdf_uri *)t->value.uri);
    if (t->type == RAPTOR_TERM_TYPE_BLANK) {
        char label[600];
        snprintf(label, sizeof label, "%s%.500s", c->bprefix, (const char *)t->value.blank.string);
        return librdf_new_node_from_blank_identifier(c->w, (const unsigned char *)label);
    }
    return librdf_new_node_from_typed_literal(c->w, t->value.literal.string,
                                              (const char *)t->value.literal.language,
                                              (librdf_uri *)t->value.literal.datatype);
}

static void on_triple(void *ud, raptor_statement *t)
{
    collect *c = ud;
    if (c->overflow || c->nomem) return;
    if (c->n >= c->max) {
        c->overflow = 1;
        return;
    }
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 1024;
        librdf_statement **ns = realloc(c->s, nc * sizeof *ns);
        if (!ns) {
            c->nomem = 1;
            return;
        }
        c->s = ns, c->cap = nc;
    }
    librdf_node *s = node_of(c, t->subject), *p = node_of(c, t->predicate), *o = node_of(c, t->object);
    librdf_statement *st = s && p && o ? librdf_new_statement_from_nodes(c->w, s, p, o) : NULL;
    if (!st) {
        if (s) librdf_free_node(s);
        if (p) librdf_free_node(p);
        if (o) librdf_free_node(o);
        c->nomem = 1;
        return;
    }
    c->s[c->n++] = st;
}

rl_status rl_graph_load(rl_store *st, const char *graph, const char *data, size_t len,
                        const char *syntax, int replace, uint64_t max_triples, uint64_t *added,
                        int *created, char *err, size_t cap)
{
    static unsigned long counter;
    librdf_world *w = rl_store_world(st);
    raptor_world *rw = librdf_world_get_raptor(w);
    collect c = {w, NULL, 0, 0, max_triples ? max_triples : 10000000ull, "", 0, 0};
    snprintf(c.bprefix, sizeof c.bprefix, "gsp%lx%lx_", (unsigned long)time(NULL), ++counter);
    rl_status s = RL_OK;
    int in_txn = 0;
    *added = 0;
    *created = !rl_graph_exists(st, graph);
    raptor_parser *p = raptor_new_parser(rw, syntax);
    raptor_uri *base = raptor_new_uri(rw, (const unsigned char *)graph);
    librdf_node *g = librdf_new_node_from_uri_string(w, (const unsigned char *)graph);
    if (!p || !base || !g) {
        s = rl_errorf(err, cap, RL_ERR_NOMEM, "cannot start the %s parser", syntax);
        goto out;
    }
    raptor_parser_set_statement_handler(p, &c, on_triple);
    rl_store_log_clear(st);
    int bad = raptor_parser_parse_start(p, base) ||
              raptor_parser_parse_chunk(p, (const unsigned char *)data, len, 0) ||
              raptor_parser_parse_chunk(p, NULL, 0, 1);
    if (bad || rl_store_log_last(st)[0]) { /* Raptor reports some errors only to the log */
        const char *m = rl_store_log_last(st);
        raptor_locator *loc = raptor_parser_get_locator(p);
        if (*m) s = rl_errorf(err, cap, RL_ERR_INPUT, "%s document: %s", syntax, m);
        else s = rl_errorf(err, cap, RL_ERR_INPUT, "%s document, line %d: syntax error", syntax, loc ? loc->line : 0);
        goto out;
    }
    if (c.overflow) {
        s = rl_errorf(err, cap, RL_ERR_LIMIT, "more than %llu triples", (unsigned long long)c.max);
        goto out;
    }
    if (c.nomem) {
        s = rl_errorf(err, cap, RL_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((s = rl_store_begin(st)) != RL_OK) {
        s = rl_errorf(err, cap, s, "cannot begin a transaction: %s", rl_store_log_last(st));
        goto out;
    }
    in_txn = 1;
    if (replace && !*created && librdf_model_context_remove_statements(rl_store_model(st), g)) {
        s = rl_errorf(err, cap, RL_ERR_STORE, "clearing the graph failed: %s", rl_store_log_last(st));
        goto out;
    }
    for (size_t i = 0; i < c.n; i++)
        if (librdf_model_context_add_statement(rl_store_model(st), g, c.s[i])) {
            s = rl_errorf(err, cap, RL_ERR_STORE, "store write failed: %s", rl_store_log_last(st));
            goto out;
        }
    in_txn = 0;
    if ((s = rl_store_commit(st)) != RL_OK)
        s = rl_errorf(err, cap, s, "commit failed: %s", rl_store_log_last(st));
    else
        *added = c.n;
out:
    if (in_txn) rl_store_rollback(st);
    for (size_t i = 0; i < c.n; i++) librdf_free_statement(c.s[i]);
    free(c.s);
    if (g) librdf_free_node(g);
    if (base) raptor_free_uri(base);
    if (p) raptor_free_parser(p);
    return s;
}

rl_status rl_graph_drop(rl_store *st, const char *graph, char *err, size_t cap)
{
    if (!rl_graph_exists(st, graph)) return rl_errorf(err, cap, RL_ERR_NOTFOUND, "graph <%s> does not exist", graph);
    librdf_node *g = librdf_new_node_from_uri_string(rl_store_world(st), (const unsigned char *)graph);
    rl_status s = g ? rl_store_begin(st) : RL_ERR_NOMEM;
    if (s == RL_OK) {
        if (librdf_model_context_remove_statements(rl_store_model(st), g)) {
            rl_store_rollback(st);
            s = rl_errorf(err, cap, RL_ERR_STORE, "dropping the graph failed: %s", rl_store_log_last(st));
        } else if ((s = rl_store_commit(st)) != RL_OK) {
            s = rl_errorf(err, cap, s, "commit failed: %s", rl_store_log_last(st));
        }
    } else if (s != RL_ERR_NOMEM) {
        s = rl_errorf(err, cap, s, "cannot begin a transaction: %s", rl_store_log_last(st));
    }
    if (g) librdf_free_node(g);
    return s;
}
