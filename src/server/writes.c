/* writes.c: /update and /store. */
#include "writes.h"

#include "graphstore.h"
#include "negotiate.h"
#include "update.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define WRITE_TAG 0x57524954

typedef struct wreq {
    int tag;
    rl_buf body;
    int too_big;
} wreq;

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, const char *type, const char *text,
                             const char *allow, unsigned *out)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (allow) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    *out = code;
    return ret;
}

static enum MHD_Result text(struct MHD_Connection *c, unsigned code, unsigned *out, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static enum MHD_Result text(struct MHD_Connection *c, unsigned code, unsigned *out, const char *fmt, ...)
{
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg - 1, fmt, ap);
    va_end(ap);
    strcat(msg, "\n");
    return reply(c, code, "text/plain; charset=utf-8", msg, NULL, out);
}

/* Collects the request body; returns 1 when it is complete (process now),
 * 0 when MHD should go on (*ret set). */
static int body(rl_writes *w, struct MHD_Connection *c, const char *upload, size_t *upload_size,
                void **con_cls, enum MHD_Result *ret, unsigned *code)
{
    wreq *q = *con_cls;
    if (!q) {
        if (!(q = calloc(1, sizeof *q))) {
            *ret = MHD_NO;
            return 0;
        }
        q->tag = WRITE_TAG;
        rl_buf_init(&q->body, (size_t)w->max_body);
        *con_cls = q;
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > w->max_body) {
            *ret = text(c, 413, code, "request body of %s bytes is over the limit of %llu bytes", cl,
                        (unsigned long long)w->max_body);
            return 0;
        }
        *ret = MHD_YES;
        return 0;
    }
    if (*upload_size) {
        if (!q->too_big && rl_buf_append(&q->body, upload, *upload_size) != RL_OK) q->too_big = 1;
        *upload_size = 0;
        *ret = MHD_YES;
        return 0;
    }
    if (q->too_big) {
        *ret = text(c, 413, code, "request body over the limit of %llu bytes", (unsigned long long)w->max_body);
        return 0;
    }
    return 1;
}

static unsigned status_of(rl_status s)
{
    switch (s) {
    case RL_OK: return 200;
    case RL_ERR_UNSUPPORTED: return 501;
    case RL_ERR_INPUT:
    case RL_ERR_EXISTS:
    case RL_ERR_NOTFOUND:
    case RL_ERR_USAGE: return 400;
    case RL_ERR_LIMIT: return 413;
    default: return 500;
    }
}

enum MHD_Result rl_writes_update(rl_writes *w, struct MHD_Connection *c, const char *method,
                                 const char *upload, size_t *upload_size, void **con_cls,
                                 unsigned *code)
{
    *code = 0;
    if (strcmp(method, "POST"))
        return reply(c, 405, "text/plain; charset=utf-8", "method not allowed: POST an update\n", "POST", code);
    enum MHD_Result ret;
    if (!body(w, c, upload, upload_size, con_cls, &ret, code)) return ret;
    wreq *q = *con_cls;
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    char *update = NULL;
    const char *b = q->body.data ? (const char *)q->body.data : "";
    if (ct && !strncasecmp(ct, "application/sparql-update", 25)) {
        update = strdup(b);
    } else if (ct && !strncasecmp(ct, "application/x-www-form-urlencoded", 33)) {
        const char *p = b, *end = b + q->body.len;
        while (p < end && !update) {
            const char *amp = memchr(p, '&', (size_t)(end - p));
            const char *e = amp ? amp : end;
            if (e - p > 7 && !strncmp(p, "update=", 7)) {
                update = strndup(p + 7, (size_t)(e - p - 7));
                if (update) {
                    for (char *x = update; *x; x++)
                        if (*x == '+') *x = ' ';
                    MHD_http_unescape(update);
                }
            }
            p = amp ? amp + 1 : end;
        }
    } else {
        return reply(c, 415, "text/plain; charset=utf-8",
                     "POST /update takes application/sparql-update or a form with update=\n", NULL, code);
    }
    if (!update || !*update) {
        free(update);
        return text(c, 400, code, "no update: expected update=... or an application/sparql-update body");
    }
    char err[2048] = "", out[512];
    if (!w->sparql) { /* memory: store, no processes: WHERE forms refused, in-process */
        rl_update_result r;
        rl_update_options o = {NULL, w->default_graph, 0, 0, NULL, NULL};
        pthread_mutex_lock(w->lock);
        rl_status s = rl_update_run(w->store, update, &o, &r, err, sizeof err);
        pthread_mutex_unlock(w->lock);
        free(update);
        if (s != RL_OK) return text(c, status_of(s), code, "%s; nothing was changed", err);
        snprintf(out, sizeof out, "{\"operations\":%llu,\"inserted\":%llu,\"deleted\":%llu,\"graphs_cleared\":%llu}\n",
                 (unsigned long long)r.operations, (unsigned long long)r.inserted, (unsigned long long)r.deleted,
                 (unsigned long long)r.graphs_cleared);
        return reply(c, 200, "application/json", out, NULL, code);
    }
    int status = 500;
    /* the writer process applies it; the lock keeps the supervisor's own
     * writes (Graph Store, services) out of the way meanwhile */
    pthread_mutex_lock(w->lock);
    rl_status s = rl_sparql_apply_update(w->sparql, update, w->default_graph, out, sizeof out - 2, &status, err, sizeof err);
    pthread_mutex_unlock(w->lock);
    free(update);
    if (s != RL_OK) return text(c, (unsigned)status, code, "%s%s", err, status == 500 ? "" : "; nothing was changed");
    strcat(out, "\n");
    return reply(c, 200, "application/json", out, NULL, code);
}

/* GET: the graph serialised by Raptor in memory (under the lock). */
static enum MHD_Result store_get(rl_writes *w, struct MHD_Connection *c, const char *graph, unsigned *code)
{
    static const struct {
        rl_format f;
        const char *ser, *mime;
    } sers[] = {{RL_FMT_TURTLE, "turtle", "text/turtle; charset=utf-8"},
                {RL_FMT_NTRIPLES, "ntriples", "application/n-triples"},
                {RL_FMT_NQUADS, "ntriples", "application/n-triples"},
                {RL_FMT_RDFXML, "rdfxml-abbrev", "application/rdf+xml"}};
    rl_format f;
    int malformed;
    const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
    if (rl_negotiate(accept, 1, &f, &malformed))
        return text(c, 406, code, "no acceptable format; available: %s", rl_negotiate_offers(1));
    size_t k = 0;
    while (k + 1 < sizeof sers / sizeof *sers && sers[k].f != f) k++;
    pthread_mutex_lock(w->lock);
    if (!rl_graph_exists(w->store, graph)) {
        pthread_mutex_unlock(w->lock);
        return text(c, 404, code, "graph <%s> does not exist", graph);
    }
    librdf_world *world = rl_store_world(w->store);
    librdf_node *g = librdf_new_node_from_uri_string(world, (const unsigned char *)graph);
    librdf_stream *s = g ? librdf_model_context_as_stream(rl_store_model(w->store), g) : NULL;
    librdf_serializer *ser = librdf_new_serializer(world, sers[k].ser, NULL, NULL);
    size_t len = 0;
    unsigned char *out = s && ser ? librdf_serializer_serialize_stream_to_counted_string(ser, NULL, s, &len) : NULL;
    if (ser) librdf_free_serializer(ser);
    if (s) librdf_free_stream(s);
    if (g) librdf_free_node(g);
    pthread_mutex_unlock(w->lock);
    if (!out) return text(c, 500, code, "the graph could not be serialised");
    struct MHD_Response *r = MHD_create_response_from_buffer(len, out, MHD_RESPMEM_MUST_COPY);
    librdf_free_memory(out);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, sers[k].mime);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    enum MHD_Result ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    *code = 200;
    return ret;
}

enum MHD_Result rl_writes_store(rl_writes *w, struct MHD_Connection *c, const char *method,
                                const char *upload, size_t *upload_size, void **con_cls,
                                unsigned *code)
{
    *code = 0;
    int get = !strcmp(method, "GET") || !strcmp(method, "HEAD"), put = !strcmp(method, "PUT"),
        post = !strcmp(method, "POST"), del = !strcmp(method, "DELETE");
    if (!get && !put && !post && !del)
        return reply(c, 405, "text/plain; charset=utf-8", "method not allowed\n", "GET, HEAD, PUT, POST, DELETE", code);
    const char *graph = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "graph");
    int dflt = MHD_lookup_connection_value_n(c, MHD_GET_ARGUMENT_KIND, "default", 7, NULL, NULL) == MHD_YES;
    int named = graph && *graph;
    if (named == dflt)
        return text(c, 400, code, "give exactly one of ?graph=IRI and ?default");
    if (dflt) graph = w->default_graph ? w->default_graph : RL_DEFAULT_GRAPH;
    if (!strncmp(graph, "urn:rootline:graph:provenance", 29) && !get)
        return text(c, 403, code, "the provenance graph is written by imports only");
    if (get) return store_get(w, c, graph, code);
    enum MHD_Result ret;
    if (del) {
        char err[1024];
        pthread_mutex_lock(w->lock);
        rl_status s = rl_graph_drop(w->store, graph, err, sizeof err);
        pthread_mutex_unlock(w->lock);
        if (s == RL_ERR_NOTFOUND) return text(c, 404, code, "%s", err);
        if (s != RL_OK) return text(c, 500, code, "%s", err);
        return reply(c, 204, "text/plain", "", NULL, code);
    }
    if (!body(w, c, upload, upload_size, con_cls, &ret, code)) return ret;
    wreq *q = *con_cls;
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    const char *syntax = rl_graph_syntax_for(ct);
    if (!syntax)
        return reply(c, 415, "text/plain; charset=utf-8",
                     "the body must be text/turtle, application/n-triples or application/rdf+xml\n", NULL, code);
    char err[2048];
    uint64_t added = 0;
    int created = 0;
    pthread_mutex_lock(w->lock);
    rl_status s = rl_graph_load(w->store, graph, q->body.data ? (const char *)q->body.data : "", q->body.len,
                                syntax, put, 0, &added, &created, err, sizeof err);
    pthread_mutex_unlock(w->lock);
    if (s != RL_OK) return text(c, status_of(s), code, "%s; nothing was changed", err);
    return reply(c, created ? 201 : 204, "text/plain", "", NULL, code);
}

void rl_writes_completed(void **con_cls)
{
    wreq *q = *con_cls;
    if (!q || q->tag != WRITE_TAG) return;
    rl_buf_free(&q->body);
    free(q);
    *con_cls = NULL;
}

int rl_writes_owns(void *con_cls)
{
    return con_cls && ((wreq *)con_cls)->tag == WRITE_TAG;
}
