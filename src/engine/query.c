/* query.c: parse-check, execute, write. */
#include "query.h"

#include "negotiate.h"
#include "sparql_agg.h"
#include "sparql_guard.h"
#include "sparql_proj.h"
#include "term.h"

#include <rasqal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int find_service(rasqal_query *q, rasqal_graph_pattern *gp, void *ud)
{
    (void)q;
    if (rasqal_graph_pattern_get_operator(gp) == RASQAL_GRAPH_PATTERN_OPERATOR_SERVICE)
        *(int *)ud = 1;
    return 0;
}

/* Parses with rasqal to report syntax errors and refuse unsafe forms. */
#define MAX_DATASET 64

#define MAX_EMPTY 256

typedef struct dataset {
    char *dflt[MAX_DATASET], *named[MAX_DATASET];
    size_t nd, nn;
    /* an aggregate query without GROUP BY: its one row over an empty match */
    char *empty_names[MAX_EMPTY + 1];
    rl_empty_value empty_values[MAX_EMPTY];
    size_t nempty;
    char *vars[MAX_EMPTY + 1]; /* projected variables, NULL-terminated */
    size_t nvars;
} dataset;

static void dataset_free(dataset *d)
{
    for (size_t i = 0; i < d->nd; i++) free(d->dflt[i]);
    for (size_t i = 0; i < d->nn; i++) free(d->named[i]);
    d->nd = d->nn = 0;
    for (size_t i = 0; i < d->nempty; i++) free(d->empty_names[i]);
    d->nempty = 0;
    d->empty_names[0] = NULL;
    for (size_t i = 0; i < d->nvars; i++) free(d->vars[i]);
    d->nvars = 0;
    d->vars[0] = NULL;
}

static rl_status query_check(rl_store *st, const char *text, const char *base, int *graph,
                             dataset *ds, char *err, size_t cap)
{
    librdf_world *w = rl_store_world(st);
    rasqal_world *rw = librdf_world_get_rasqal(w);
    rl_status s = RL_OK;
    raptor_uri *bu = NULL;
    rasqal_query *q = rasqal_new_query(rw, "sparql", NULL);
    if (!q) return rl_errorf(err, cap, RL_ERR_INTERNAL, "cannot create a SPARQL parser");
    if (base) bu = raptor_new_uri(librdf_world_get_raptor(w), (const unsigned char *)base);
    rl_store_log_clear(st);
    rl_store_capture_rasqal(st);
    if (rasqal_query_prepare(q, (const unsigned char *)text, bu)) {
        const char *m = rl_store_log_last(st);
        s = rl_errorf(err, cap, RL_ERR_INPUT, "SPARQL syntax error: %s", *m ? m : "(no detail)");
        goto out;
    }
    rasqal_query_verb verb = rasqal_query_get_verb(q);
    if (verb != RASQAL_QUERY_VERB_SELECT && verb != RASQAL_QUERY_VERB_ASK &&
        verb != RASQAL_QUERY_VERB_CONSTRUCT && verb != RASQAL_QUERY_VERB_DESCRIBE) {
        s = rl_errorf(err, cap, RL_ERR_UNSUPPORTED,
                      "only SELECT, ASK, CONSTRUCT and DESCRIBE are queries; updates go to "
                      "the service's /update endpoint");
        goto out;
    }
    *graph = verb == RASQAL_QUERY_VERB_CONSTRUCT || verb == RASQAL_QUERY_VERB_DESCRIBE;
    if (verb == RASQAL_QUERY_VERB_SELECT) { /* the head's variables */
        raptor_sequence *vars = rasqal_query_get_bound_variable_sequence(q);
        for (int i = 0; vars && i < raptor_sequence_size(vars) && ds->nvars < MAX_EMPTY; i++) {
            rasqal_variable *v = raptor_sequence_get_at(vars, i);
            if (v && v->name && strncmp((const char *)v->name, RL_HIDDEN_VAR_PREFIX, sizeof RL_HIDDEN_VAR_PREFIX - 1) &&
                (ds->vars[ds->nvars] = strdup((const char *)v->name)))
                ds->nvars++;
        }
        ds->vars[ds->nvars] = NULL;
    }
    /* SELECT (COUNT(?x) AS ?n) ... without GROUP BY: one row even over nothing */
    if (verb == RASQAL_QUERY_VERB_SELECT && !rasqal_query_get_group_condition(q, 0)) {
        raptor_sequence *vars = rasqal_query_get_bound_variable_sequence(q);
        int aggregate = 0;
        for (int i = 0; vars && i < raptor_sequence_size(vars) && ds->nempty < MAX_EMPTY; i++) {
            rasqal_variable *v = raptor_sequence_get_at(vars, i);
            rasqal_expression *e = v ? v->expression : NULL;
            if (!e) continue;
            rl_empty_value ev = RL_EMPTY_UNBOUND;
            switch (e->op) {
            case RASQAL_EXPR_COUNT:
            case RASQAL_EXPR_SUM:
            case RASQAL_EXPR_AVG: ev = RL_EMPTY_ZERO, aggregate = 1; break;
            case RASQAL_EXPR_GROUP_CONCAT: ev = RL_EMPTY_STRING, aggregate = 1; break;
            case RASQAL_EXPR_MIN:
            case RASQAL_EXPR_MAX:
            case RASQAL_EXPR_SAMPLE: aggregate = 1; break;
            default: break;
            }
            char *nm = strdup((const char *)v->name);
            if (!nm) break;
            ds->empty_names[ds->nempty] = nm;
            ds->empty_values[ds->nempty++] = ev;
        }
        ds->empty_names[ds->nempty] = NULL;
        if (!aggregate) { /* not an aggregate query: no such row */
            for (size_t i = 0; i < ds->nempty; i++) free(ds->empty_names[i]);
            ds->nempty = 0;
            ds->empty_names[0] = NULL;
        }
    }
    /* FROM / FROM NAMED: librdf drops them, rootline applies them */
    for (int i = 0; rasqal_query_get_data_graph(q, i); i++) {
        rasqal_data_graph *dg = rasqal_query_get_data_graph(q, i);
        int named = dg->flags & RASQAL_DATA_GRAPH_NAMED;
        raptor_uri *u = named && dg->name_uri ? dg->name_uri : dg->uri;
        if (!u) continue;
        if ((named ? ds->nn : ds->nd) >= MAX_DATASET) {
            s = rl_errorf(err, cap, RL_ERR_LIMIT, "more than %d FROM or FROM NAMED graphs", MAX_DATASET);
            goto out;
        }
        char *iri = strdup((const char *)raptor_uri_as_string(u));
        if (!iri) {
            s = RL_ERR_NOMEM;
            goto out;
        }
        if (named) ds->named[ds->nn++] = iri;
        else ds->dflt[ds->nd++] = iri;
    }
    int service = 0;
    rasqal_query_graph_pattern_visit2(q, find_service, &service);
    if (service)
        s = rl_errorf(err, cap, RL_ERR_UNSUPPORTED,
                      "SERVICE is refused: rootline does not fetch remote endpoints");
    else if ((s = rl_guard_check(q, err, cap)) == RL_OK)
        s = rl_guard_check_text(text, err, cap);
out:
    if (bu) raptor_free_uri(bu);
    rasqal_free_query(q);
    return s;
}

/* The dataset of one query: the protocol's default-graph-uri /
 * named-graph-uri win over FROM / FROM NAMED.  *with says whether the store
 * got one (and must be given none afterwards). */
static rl_status dataset_use(rl_store *st, dataset *ds, const rl_query_options *opt, int *with, char *err,
                             size_t cap)
{
    if (opt && (opt->default_graphs || opt->named_graphs)) {
        for (size_t i = 0; i < ds->nd; i++) free(ds->dflt[i]);
        for (size_t i = 0; i < ds->nn; i++) free(ds->named[i]);
        ds->nd = ds->nn = 0;
        for (const char *const *g = opt->default_graphs; g && *g && ds->nd < MAX_DATASET; g++)
            if ((ds->dflt[ds->nd] = strdup(*g))) ds->nd++;
        for (const char *const *g = opt->named_graphs; g && *g && ds->nn < MAX_DATASET; g++)
            if ((ds->named[ds->nn] = strdup(*g))) ds->nn++;
    }
    *with = 0;
    if (!ds->nd && !ds->nn) return RL_OK;
    rl_status s = rl_store_set_dataset(st, (const char *const *)ds->dflt, ds->nd, (const char *const *)ds->named,
                                       ds->nn);
    if (s != RL_OK) return rl_errorf(err, cap, s, "FROM / FROM NAMED need the lmdb store");
    *with = 1;
    return RL_OK;
}

rl_status rl_query_rows(void *ctx, const char *text, rl_guard_row_fn fn, void *fn_ctx, char *err, size_t cap)
{
    rl_query_env *e = ctx;
    librdf_world *w = rl_store_world(e->st);
    const char *base = e->opt ? e->opt->base_uri : NULL;
    librdf_uri *bu = NULL;
    librdf_query *q = NULL;
    librdf_query_results *res = NULL;
    dataset ds;
    memset(&ds, 0, sizeof ds);
    int graph = 0, with = 0;
    rl_status s = query_check(e->st, text, base, &graph, &ds, err, cap);
    if (s != RL_OK || (s = dataset_use(e->st, &ds, e->opt, &with, err, cap)) != RL_OK) goto out;
    if (base) bu = librdf_new_uri(w, (const unsigned char *)base);
    if (!(q = librdf_new_query(w, "sparql", NULL, (const unsigned char *)text, bu))) {
        s = rl_errorf(err, cap, RL_ERR_INTERNAL, "cannot create the query");
        goto out;
    }
    rl_store_log_clear(e->st);
    if (!(res = librdf_model_query_execute(rl_store_model(e->st), q))) {
        const char *m = rl_store_log_last(e->st);
        s = rl_errorf(err, cap, RL_ERR_INTERNAL, "a rewrite's inner query failed: %s", *m ? m : "(no detail)");
        goto out;
    }
    int nv = librdf_query_results_get_bindings_count(res);
    if (nv < 0) nv = 0;
    if (nv > RL_QUERY_ROWS_MAX_COLS) {
        s = rl_errorf(err, cap, RL_ERR_LIMIT, "a rewrite's inner query has more than %d columns", RL_QUERY_ROWS_MAX_COLS);
        goto out;
    }
    rl_buf *enc = calloc((size_t)nv + 1, sizeof *enc);
    const char **vals = calloc((size_t)nv + 1, sizeof *vals);
    if (!enc || !vals) {
        free(enc);
        free(vals);
        s = RL_ERR_NOMEM;
        goto out;
    }
    for (int i = 0; i < nv; i++) rl_buf_init(&enc[i], (size_t)1 << 20);
    for (; s == RL_OK && !librdf_query_results_finished(res); librdf_query_results_next(res)) {
        for (int i = 0; i < nv; i++) vals[i] = NULL;
        for (int i = 0; i < nv && s == RL_OK; i++) {
            librdf_node *n = librdf_query_results_get_binding_value(res, i);
            if (!n) continue;
            rl_buf_clear(&enc[i]);
            s = rl_term_encode(n, &enc[i]); /* injective; its NUL separators made printable */
            librdf_free_node(n);
            if (s == RL_OK && (s = rl_buf_append(&enc[i], "", 1)) == RL_OK) {
                for (size_t k = 0; k + 1 < enc[i].len; k++)
                    if (!enc[i].data[k]) enc[i].data[k] = 0x1e;
                vals[i] = (const char *)enc[i].data;
            }
        }
        if (s == RL_OK) s = fn(fn_ctx, vals, nv);
    }
    for (int i = 0; i < nv; i++) rl_buf_free(&enc[i]);
    free(enc);
    free(vals);
    if (s != RL_OK && s != RL_ERR_LIMIT && !*err) rl_errorf(err, cap, s, "a rewrite's inner query failed");
out:
    if (res) librdf_free_query_results(res);
    if (q) librdf_free_query(q);
    if (bu) librdf_free_uri(bu);
    if (with) rl_store_set_dataset(e->st, NULL, 0, NULL, 0);
    dataset_free(&ds);
    return s;
}

rl_status rl_query_graphs(void *ctx, const char *dataset_text, rl_guard_row_fn fn, void *fn_ctx, char *err, size_t cap)
{
    rl_query_env *e = ctx;
    const char *base = e->opt ? e->opt->base_uri : NULL;
    dataset ds;
    memset(&ds, 0, sizeof ds);
    int graph = 0, with = 0;
    char *q = NULL;
    librdf_iterator *it = NULL;
    rl_buf enc;
    rl_buf_init(&enc, (size_t)1 << 20);
    rl_status s = RL_OK;
    if (asprintf(&q, "SELECT * %s WHERE {}", dataset_text ? dataset_text : "") < 0) {
        q = NULL;
        s = RL_ERR_NOMEM;
        goto out;
    }
    if ((s = query_check(e->st, q, base, &graph, &ds, err, cap)) != RL_OK ||
        (s = dataset_use(e->st, &ds, e->opt, &with, err, cap)) != RL_OK)
        goto out;
    if (!(it = librdf_model_get_contexts(rl_store_model(e->st)))) {
        s = RL_ERR_UNSUPPORTED;
        goto out;
    }
    for (; s == RL_OK && !librdf_iterator_end(it); librdf_iterator_next(it)) {
        librdf_node *n = librdf_iterator_get_object(it);
        if (!n || !librdf_node_is_resource(n)) continue;
        rl_buf_clear(&enc);
        if ((s = rl_term_encode(n, &enc)) == RL_OK && (s = rl_buf_append(&enc, "", 1)) == RL_OK) {
            const char *v = (const char *)enc.data;
            s = fn(fn_ctx, &v, 1);
        }
    }
out:
    if (it) librdf_free_iterator(it);
    if (with) rl_store_set_dataset(e->st, NULL, 0, NULL, 0);
    dataset_free(&ds);
    rl_buf_free(&enc);
    free(q);
    return s;
}

/* One rewrite stage done (its status s): *next, the stage's output,
 * replaces *cur; on an error both are freed.  Returns s. */
static rl_status stage_next(rl_buf *cur, rl_buf *next, rl_status s)
{
    rl_buf_free(cur);
    *cur = *next;
    if (s != RL_OK) rl_buf_free(cur);
    return s;
}

static rl_status proj_compute(void *ctx, librdf_world *w, const char *const *names, librdf_node **vals, int n,
                              int *keep)
{
    return rl_proj_row(ctx, w, names, vals, n, keep);
}

static rl_status query_run(rl_store *st, const char *text, rl_format fmt, FILE *out,
                           const rl_query_options *opt, uint64_t *rows, char *err, size_t cap)
{
    uint64_t dummy;
    const char *base = opt ? opt->base_uri : NULL;
    librdf_world *w = rl_store_world(st);
    librdf_query *q = NULL;
    librdf_query_results *res = NULL;
    librdf_uri *bu = NULL;
    rl_status s;
    int pinned = 0;
    if (!rows) rows = &dummy;
    *rows = 0;
    int graph = 0, malformed = 0, rewritten = 0;
    rl_buf safe;
    rl_buf_init(&safe, (size_t)64 << 20);
    if ((s = rl_guard_rewrite(text, &safe, &rewritten, err, cap)) != RL_OK) {
        rl_buf_free(&safe);
        return s;
    }
    text = safe.data ? (const char *)safe.data : "";
    rl_buf next;
    rl_buf_init(&next, (size_t)64 << 20);
    if ((s = stage_next(&safe, &next, rl_guard_rewrite_chains(text, &next, &rewritten, err, cap))) != RL_OK) return s;
    text = safe.data ? (const char *)safe.data : "";
    /* a BIND sees only its own group (sparql_guard.h) */
    rl_buf_init(&next, (size_t)64 << 20);
    if ((s = stage_next(&safe, &next, rl_guard_rewrite_bind_scope(text, &next, &rewritten, err, cap))) != RL_OK)
        return s;
    text = safe.data ? (const char *)safe.data : "";
    /* the outermost projection's expressions and FILTERs: computed by
     * rootline as the rows are written (sparql_proj.h); planned on the
     * user's own expressions, before the REGEX translation for rasqal */
    rl_proj *proj = NULL;
    rl_buf_init(&next, (size_t)64 << 20);
    if ((s = rl_proj_plan(text, base, &next, &proj, err, cap)) != RL_OK) {
        rl_buf_free(&next);
        rl_buf_free(&safe);
        return s;
    }
    if (proj) stage_next(&safe, &next, RL_OK);
    else rl_buf_free(&next);
    text = safe.data ? (const char *)safe.data : "";
    /* property paths, EXISTS, MINUS, BASE anywhere (measured in the
     * snapshot rl_query_run pinned, which the query then runs in) */
    rl_query_env senv = {st, opt};
    rl_guard_env genv = {rl_query_rows, &senv, opt ? opt->path_max_pairs : 0, opt ? opt->path_max_depth : 0};
    rl_buf_init(&next, (size_t)64 << 20);
    if ((s = stage_next(&safe, &next, rl_guard_rewrite_patterns(text, &next, &genv, &rewritten, err, cap))) != RL_OK) {
        rl_proj_free(proj);
        return s;
    }
    text = safe.data ? (const char *)safe.data : "";
    /* GROUP BY, aggregates, a subquery's LIMIT: solved by rootline, handed
     * to rasqal as BIND blocks (sparql_agg.h) */
    rl_agg_env aenv = {rl_query_rows, rl_query_graphs, &senv, opt ? opt->agg_max_groups : 0, 0};
    rl_buf_init(&next, (size_t)256 << 20);
    if ((s = stage_next(&safe, &next, rl_agg_rewrite(text, &next, &aenv, &rewritten, err, cap))) != RL_OK) {
        rl_proj_free(proj);
        return s;
    }
    text = safe.data ? (const char *)safe.data : "";
    if (opt && opt->explain) {
        fprintf(out, "%s\n", text);
        if (proj)
            fprintf(out, "# rootline computes %zu projected expression(s), %zu FILTER(s) and %zu BIND(s) of this SELECT\n",
                    rl_proj_count(proj), rl_proj_filters(proj), rl_proj_binds(proj));
        rl_proj_free(proj);
        rl_buf_free(&safe);
        return RL_OK;
    }
    dataset ds;
    memset(&ds, 0, sizeof ds);
    if ((s = query_check(st, text, base, &graph, &ds, err, cap)) != RL_OK) {
        dataset_free(&ds);
        rl_proj_free(proj);
        rl_buf_free(&safe);
        return s;
    }
    int with_dataset = 0;
    if ((s = dataset_use(st, &ds, opt, &with_dataset, err, cap)) != RL_OK) {
        dataset_free(&ds);
        rl_proj_free(proj);
        rl_buf_free(&safe);
        return s;
    }
    if (opt && opt->accept && rl_negotiate(opt->accept, graph, &fmt, &malformed) != 0) {
        if (with_dataset) rl_store_set_dataset(st, NULL, 0, NULL, 0);
        dataset_free(&ds);
        rl_proj_free(proj);
        rl_buf_free(&safe);
        return rl_errorf(err, cap, malformed ? RL_ERR_USAGE : RL_ERR_NOTFOUND,
                         "%s: this query gives %s; available: %s",
                         malformed ? "Accept header not understood" : "no acceptable format",
                         graph ? "a graph" : "bindings", rl_negotiate_offers(graph));
    }
    if (base) bu = librdf_new_uri(w, (const unsigned char *)base);
    q = librdf_new_query(w, "sparql", NULL, (const unsigned char *)text, bu);
    if (!q) {
        s = rl_errorf(err, cap, RL_ERR_INTERNAL, "cannot create the query");
        goto out;
    }
    if ((s = rl_store_snapshot_begin(st)) != RL_OK) {
        s = rl_errorf(err, cap, s, "cannot open a read snapshot");
        goto out;
    }
    pinned = 1;
    rl_store_log_clear(st);
    res = librdf_model_query_execute(rl_store_model(st), q);
    if (!res) {
        const char *m = rl_store_log_last(st);
        s = rl_errorf(err, cap, *m ? RL_ERR_INPUT : RL_ERR_UNSUPPORTED,
                      "query could not be executed: %s",
                      *m ? m : "the query uses a form the engine cannot run "
                               "(e.g. MINUS, NOT EXISTS, DESCRIBE <iri>)");
        goto out;
    }
    if (opt && opt->adapt_format) {
        int graph = librdf_query_results_is_graph(res) != 0;
        if (graph && !rl_format_is_graph(fmt)) fmt = RL_FMT_TURTLE;
        if (!graph && rl_format_is_graph(fmt)) fmt = RL_FMT_JSON;
    }
    if (opt && opt->format_out) *opt->format_out = fmt;
    rl_write_limits lim = {opt ? opt->limits.max_rows : 0, NULL, NULL, ds.nvars ? (const char *const *)ds.vars : NULL, NULL, NULL};
    if (ds.nempty) lim.empty_names = (const char *const *)ds.empty_names, lim.empty_values = ds.empty_values;
    if (proj) lim.compute = proj_compute, lim.compute_ctx = proj;
    s = rl_results_write(w, res, fmt, out, &lim, rows, err, cap);
out:
    if (res) librdf_free_query_results(res);
    if (q) librdf_free_query(q);
    if (pinned) rl_store_snapshot_end(st);
    if (bu) librdf_free_uri(bu);
    if (with_dataset) rl_store_set_dataset(st, NULL, 0, NULL, 0);
    dataset_free(&ds);
    rl_proj_free(proj);
    rl_buf_free(&safe);
    return s;
}

rl_status rl_query_run(rl_store *st, const char *text, rl_format fmt, FILE *out,
                       const rl_query_options *opt, uint64_t *rows, char *err, size_t cap)
{
    rl_status s = rl_store_snapshot_begin(st); /* one snapshot for the rewrite's measuring and the query */
    if (s != RL_OK) return rl_errorf(err, cap, s, "cannot open a read snapshot");
    s = query_run(st, text, fmt, out, opt, rows, err, cap);
    rl_store_snapshot_end(st);
    return s;
}
