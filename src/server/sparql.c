/* sparql.c: /sparql over executor processes. */
#include "sparql.h"

#include "executor.h"
#include "metrics.h"

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { O_OK, O_CLIENT, O_TIMEOUT, O_CRASH, O_BUSY, O_CANCEL, O_CUT, NOUT };
static const char *const outcome_names[NOUT] = {"ok", "client_error", "timeout", "crashed",
                                                "busy", "cancelled", "cut_off"};

struct rl_sparql {
    rl_sparql_options o;
    rl_exec_pool *pool;
    rl_exec_pool *writer; /* the one writer process: updates */
    atomic_ullong outcomes[NOUT];
};

typedef struct req {
    int tag;          /* SPARQL_TAG: tells the completion callback whose state this is */
    rl_buf body;
    int too_big;
    rl_exec *ex;      /* held while the executor answers */
    double deadline;  /* seconds (CLOCK_MONOTONIC) */
    double timeout;
    uint32_t left;    /* bytes left in the current body frame */
    int ended;
} req;

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void say(rl_sparql *s, const char *level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(rl_sparql *s, const char *level, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (s->o.log) s->o.log(s->o.log_ctx, level, msg);
}

rl_status rl_sparql_new(const rl_sparql_options *opt, rl_sparql **out, char *err, size_t cap)
{
    *out = NULL;
    rl_sparql *s = calloc(1, sizeof *s);
    if (!s) return RL_ERR_NOMEM;
    s->o = *opt;
    if (!s->o.executors) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        s->o.executors = n > 0 ? (unsigned)n : 1;
    }
    if (!(s->o.timeout > 0)) s->o.timeout = 30;
    if (!(s->o.timeout_max > 0)) s->o.timeout_max = 300;
    if (s->o.timeout > s->o.timeout_max) s->o.timeout = s->o.timeout_max;
    if (!s->o.max_body) s->o.max_body = (uint64_t)64 << 20;
    if (!s->o.max_rows) s->o.max_rows = 10000000ull;
    if (!s->o.queue_wait_ms) s->o.queue_wait_ms = 5000;
    rl_status st = rl_exec_pool_new(s->o.exe, s->o.store_uri, s->o.executors, 0, &s->pool, err, cap);
    if (st == RL_OK) st = rl_exec_pool_new(s->o.exe, s->o.store_uri, 1, 1, &s->writer, err, cap);
    if (st != RL_OK) {
        rl_exec_pool_free(s->pool);
        free(s);
        return st;
    }
    *out = s;
    return RL_OK;
}

void rl_sparql_free(rl_sparql *s)
{
    if (!s) return;
    rl_exec_pool_free(s->pool);
    rl_exec_pool_free(s->writer);
    free(s);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, const char *type,
                             const char *text, const char *allow, unsigned *code_out)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (allow) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    *code_out = code;
    return ret;
}

static enum MHD_Result fail(rl_sparql *s, struct MHD_Connection *c, int outcome, unsigned code,
                            unsigned *code_out, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static enum MHD_Result fail(rl_sparql *s, struct MHD_Connection *c, int outcome, unsigned code,
                            unsigned *code_out, const char *fmt, ...)
{
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg - 1, fmt, ap);
    va_end(ap);
    strcat(msg, "\n");
    atomic_fetch_add(&s->outcomes[outcome], 1);
    return reply(c, code, "text/plain; charset=utf-8", msg, NULL, code_out);
}

/* value of `key` in an x-www-form-urlencoded body (decoded, malloc'd) */
static char *form_value(const char *body, size_t n, const char *key)
{
    size_t kl = strlen(key);
    const char *p = body, *end = body + n;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *e = amp ? amp : end;
        if ((size_t)(e - p) > kl && p[kl] == '=' && !strncmp(p, key, kl)) {
            size_t vl = (size_t)(e - p - (long)kl - 1);
            char *v = malloc(vl + 1);
            if (!v) return NULL;
            memcpy(v, p + kl + 1, vl);
            v[vl] = 0;
            for (char *q = v; *q; q++)
                if (*q == '+') *q = ' ';
            MHD_http_unescape(v);
            return v;
        }
        p = amp ? amp + 1 : end;
    }
    return NULL;
}

/* default-graph-uri / named-graph-uri values: from the URL and a form body. */
typedef struct ds_args {
    json_t *dflt, *named;
} ds_args;

static enum MHD_Result ds_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    ds_args *a = cls;
    (void)kind;
    if (value && !strcmp(key, "default-graph-uri")) json_array_append_new(a->dflt, json_string(value));
    if (value && !strcmp(key, "named-graph-uri")) json_array_append_new(a->named, json_string(value));
    return MHD_YES;
}

static void ds_form(ds_args *a, const char *body, size_t n)
{
    const char *p = body, *end = body + n;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *e = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(e - p));
        if (eq) {
            char key[32], *v = strndup(eq + 1, (size_t)(e - eq - 1));
            snprintf(key, sizeof key, "%.*s", (int)(eq - p < 31 ? eq - p : 31), p);
            if (v) {
                for (char *q = v; *q; q++)
                    if (*q == '+') *q = ' ';
                MHD_http_unescape(v);
                ds_arg(a, MHD_POSTDATA_KIND, key, v);
                free(v);
            }
        }
        p = amp ? amp + 1 : end;
    }
}

static void send_service_description(struct MHD_Connection *c, unsigned *code)
{
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    char sd[2048];
    snprintf(sd, sizeof sd,
             "@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .\n"
             "@prefix fmt: <http://www.w3.org/ns/formats/> .\n"
             "[] a sd:Service ;\n"
             "  sd:endpoint <http://%.200s/sparql> ;\n"
             "  sd:supportedLanguage sd:SPARQL11Query ;\n"
             "  sd:feature sd:UnionDefaultGraph ;\n"
             "  sd:resultFormat fmt:SPARQL_Results_JSON, fmt:SPARQL_Results_XML, "
             "fmt:SPARQL_Results_CSV, fmt:SPARQL_Results_TSV, fmt:Turtle, fmt:N-Triples, "
             "fmt:N-Quads, fmt:RDF_XML .\n",
             host ? host : "127.0.0.1");
    reply(c, 200, "text/turtle; charset=utf-8", sd, NULL, code);
}

/* 1 when the client closed its side. */
static int client_gone(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!ci) return 0;
    struct pollfd pf = {ci->connect_fd, POLLIN | POLLRDHUP, 0};
    if (poll(&pf, 1, 0) <= 0) return 0;
    if (pf.revents & (POLLRDHUP | POLLHUP | POLLERR)) return 1;
    char b;
    return recv(ci->connect_fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

/* Waits until the executor's socket is readable, the deadline passes (-1),
 * or the client goes (-2); watches the client only when c is set. */
static int wait_exec(int fd, double deadline, struct MHD_Connection *c)
{
    for (;;) {
        double left = deadline - mono();
        if (left <= 0) return -1;
        int ms = left > 0.2 ? 200 : (int)(left * 1000) + 1;
        struct pollfd pf = {fd, POLLIN, 0};
        int r = poll(&pf, 1, ms);
        if (r > 0) return 0;
        if (r < 0 && errno != EINTR) return 0; /* let the read report it */
        if (c && client_gone(c)) return -2;
    }
}

static ssize_t body_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    req *q = cls;
    rl_sparql *s = *(rl_sparql **)((char *)q + sizeof *q); /* see alloc_req */
    if (!q->ex) return MHD_CONTENT_READER_END_WITH_ERROR;
    int fd = rl_exec_fd(q->ex);
    while (!q->left) {
        if (wait_exec(fd, q->deadline, NULL) == -1) {
            say(s, "warn", "query passed its deadline of %.0f s while streaming: executor %d killed",
                q->timeout, (int)rl_exec_pid(q->ex));
            rl_exec_kill(s->pool, q->ex);
            rl_exec_release(s->pool, q->ex, 0);
            q->ex = NULL;
            atomic_fetch_add(&s->outcomes[O_CUT], 1);
            return MHD_CONTENT_READER_END_WITH_ERROR;
        }
        uint32_t n;
        if (rl_exec_read_u32(fd, &n)) goto crashed;
        if (n == RL_EXEC_END) {
            rl_exec_release(s->pool, q->ex, 1);
            q->ex = NULL;
            q->ended = 1;
            atomic_fetch_add(&s->outcomes[O_OK], 1);
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
        if (n == RL_EXEC_ABORT) {
            char msg[2048] = "";
            uint32_t m;
            if (!rl_exec_read_u32(fd, &m) && m < sizeof msg) rl_exec_read_full(fd, msg, m);
            say(s, "warn", "query failed after its first bytes were sent (response cut off): %s", msg);
            rl_exec_release(s->pool, q->ex, 1);
            q->ex = NULL;
            atomic_fetch_add(&s->outcomes[O_CUT], 1);
            return MHD_CONTENT_READER_END_WITH_ERROR;
        }
        if (n > RL_EXEC_MAX_FRAME) goto crashed;
        q->left = n;
    }
    size_t want = max < q->left ? max : q->left;
    ssize_t r;
    do
        r = read(fd, buf, want);
    while (r < 0 && errno == EINTR);
    if (r <= 0) goto crashed;
    q->left -= (uint32_t)r;
    return r;
crashed : {
    char why[200];
    rl_exec_reap(s->pool, q->ex, why, sizeof why);
    say(s, "error", "executor %s while streaming a result; replaced", why);
    rl_exec_release(s->pool, q->ex, 0);
    q->ex = NULL;
    atomic_fetch_add(&s->outcomes[O_CRASH], 1);
    return MHD_CONTENT_READER_END_WITH_ERROR;
}
}

/* The request state, followed by a pointer back to the endpoint (for the
 * content reader, which only gets one pointer). */
static req *alloc_req(rl_sparql *s)
{
    req *q = calloc(1, sizeof *q + sizeof s);
    if (!q) return NULL;
    *(rl_sparql **)((char *)q + sizeof *q) = s;
    q->tag = 0x53505152;
    rl_buf_init(&q->body, (size_t)s->o.max_body);
    return q;
}

static enum MHD_Result run_query(rl_sparql *s, struct MHD_Connection *c, req *q, const char *query,
                                 const char *timeout_arg, ds_args *ds, unsigned *code)
{
    double t = s->o.timeout;
    if (timeout_arg && *timeout_arg) {
        char *end;
        t = strtod(timeout_arg, &end);
        if (*end || !(t > 0))
            return fail(s, c, O_CLIENT, 400, code, "timeout=%s: expected a positive number of seconds", timeout_arg);
        if (t > s->o.timeout_max) t = s->o.timeout_max;
    }
    q->timeout = t;
    q->deadline = mono() + t;
    rl_exec *ex = rl_exec_acquire(s->pool, s->o.queue_wait_ms);
    if (!ex)
        return fail(s, c, O_BUSY, 503, code, "all %u query executors stayed busy for %d ms; try again",
                    s->o.executors, s->o.queue_wait_ms);
    q->ex = ex;
    const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
    json_t *j = json_pack("{s:s,s:s,s:I}", "query", query, "accept", accept ? accept : "", "max_rows",
                          (json_int_t)s->o.max_rows);
    if (j && json_array_size(ds->dflt)) json_object_set(j, "default_graph_uri", ds->dflt);
    if (j && json_array_size(ds->named)) json_object_set(j, "named_graph_uri", ds->named);
    char *msg = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    int fd = rl_exec_fd(ex);
    if (!msg || rl_exec_write_frame(fd, msg, (uint32_t)strlen(msg))) {
        free(msg);
        goto crashed;
    }
    free(msg);
    int w = wait_exec(fd, q->deadline, c);
    if (w == -1 || w == -2) {
        rl_exec_kill(s->pool, ex);
        rl_exec_release(s->pool, ex, 0);
        q->ex = NULL;
        if (w == -2) {
            atomic_fetch_add(&s->outcomes[O_CANCEL], 1);
            say(s, "info", "client hung up: its query was cancelled (executor killed and replaced)");
            return MHD_NO;
        }
        say(s, "warn", "query passed its deadline of %.0f s: executor killed and replaced", t);
        return fail(s, c, O_TIMEOUT, 503, code,
                    "the query did not finish within its deadline of %.0f s (timeout parameter, at most "
                    "%.0f s); it was stopped",
                    t, s->o.timeout_max);
    }
    uint32_t n;
    if (rl_exec_read_u32(fd, &n) || n > 1 << 20) goto crashed;
    char *hdr = malloc((size_t)n + 1);
    if (!hdr || rl_exec_read_full(fd, hdr, n)) {
        free(hdr);
        goto crashed;
    }
    hdr[n] = 0;
    json_t *h = json_loads(hdr, 0, NULL);
    free(hdr);
    int status = (int)json_integer_value(json_object_get(h, "status"));
    if (status != 200) {
        char text[4096];
        snprintf(text, sizeof text, "%s", json_string_value(json_object_get(h, "error")));
        json_decref(h);
        rl_exec_release(s->pool, ex, 1);
        q->ex = NULL;
        return fail(s, c, O_CLIENT, status ? (unsigned)status : 500, code, "%s", text);
    }
    char type[200];
    snprintf(type, sizeof type, "%s", json_string_value(json_object_get(h, "type")));
    json_decref(h);
    struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, body_reader, q, NULL);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept");
    enum MHD_Result ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    *code = 200;
    return ret;
crashed : {
    char why[200];
    rl_exec_reap(s->pool, ex, why, sizeof why);
    rl_exec_release(s->pool, ex, 0);
    q->ex = NULL;
    say(s, "error", "query executor %s; it was replaced", why);
    return fail(s, c, O_CRASH, 500, code,
                "the query executor %s while running this query; the service replaced it and goes on "
                "serving (this query form crashes the SPARQL engine: rewrite it)",
                why);
}
}

/* The calls of a request until its body is whole: the method, the state,
 * the body (with its ceiling).  Returns 1 with *r set when the handler must
 * return *r now; 0 when the request is whole, with *qp its state. */
static int intake(rl_sparql *s, struct MHD_Connection *c, const char *method, const char *upload,
                  size_t *upload_size, void **con_cls, unsigned *code, enum MHD_Result *r, req **qp)
{
    *code = 0;
    int get = !strcmp(method, "GET"), post = !strcmp(method, "POST");
    if (!get && !post) {
        atomic_fetch_add(&s->outcomes[O_CLIENT], 1);
        *r = reply(c, 405, "text/plain; charset=utf-8", "method not allowed: use GET or POST\n", "GET, POST", code);
        return 1;
    }
    req *q = *con_cls;
    if (!q) {
        if (!(q = alloc_req(s))) {
            *r = MHD_NO;
            return 1;
        }
        *con_cls = q;
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > s->o.max_body) {
            *r = fail(s, c, O_CLIENT, 413, code, "request body of %s bytes is over the limit of %llu bytes", cl,
                      (unsigned long long)s->o.max_body);
            return 1;
        }
        if (post) { /* the body follows */
            *r = MHD_YES;
            return 1;
        }
    }
    if (*upload_size) {
        if (!q->too_big && rl_buf_append(&q->body, upload, *upload_size) != RL_OK) q->too_big = 1;
        *upload_size = 0;
        *r = MHD_YES;
        return 1;
    }
    if (q->too_big) {
        *r = fail(s, c, O_CLIENT, 413, code, "request body over the limit of %llu bytes",
                  (unsigned long long)s->o.max_body);
        return 1;
    }
    *qp = q;
    return 0;
}

enum MHD_Result rl_sparql_request(rl_sparql *s, struct MHD_Connection *c, const char *method,
                                  const char *upload, size_t *upload_size, void **con_cls,
                                  unsigned *code)
{
    req *q = NULL;
    enum MHD_Result r;
    if (intake(s, c, method, upload, upload_size, con_cls, code, &r, &q)) return r;
    int get = !strcmp(method, "GET"), post = !get;
    char *query = NULL, *timeout = NULL;
    ds_args ds = {json_array(), json_array()};
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, ds_arg, &ds);
    const char *uq = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "query");
    const char *ut = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "timeout");
    if (post) {
        const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        const char *body = q->body.data ? (const char *)q->body.data : "";
        if (ct && !strncasecmp(ct, "application/sparql-query", 24)) {
            query = strdup(body);
        } else if (ct && !strncasecmp(ct, "application/x-www-form-urlencoded", 33)) {
            query = form_value(body, q->body.len, "query");
            timeout = form_value(body, q->body.len, "timeout");
            ds_form(&ds, body, q->body.len);
            char *upd = query ? NULL : form_value(body, q->body.len, "update");
            if (upd) {
                free(upd);
                r = fail(s, c, O_CLIENT, 400, code, "updates go to /update, not /sparql");
                goto out;
            }
        } else {
            atomic_fetch_add(&s->outcomes[O_CLIENT], 1);
            r = reply(c, 415, "text/plain; charset=utf-8",
                      "POST /sparql takes application/sparql-query or application/x-www-form-urlencoded\n", NULL, code);
            goto out;
        }
    } else if (uq) {
        query = strdup(uq);
    }
    if (!query || !*query) {
        if (get) {
            send_service_description(c, code);
            r = MHD_YES;
        } else
            r = fail(s, c, O_CLIENT, 400, code, "no query: expected query=... or an application/sparql-query body");
        goto out;
    }
    r = run_query(s, c, q, query, timeout ? timeout : ut, &ds, code);
out:
    free(query);
    free(timeout);
    json_decref(ds.dflt);
    json_decref(ds.named);
    return r;
}

enum MHD_Result rl_sparql_request_with(rl_sparql *s, struct MHD_Connection *c, const char *method,
                                       const char *upload, size_t *upload_size, void **con_cls,
                                       rl_sparql_text_fn fn, void *ctx, unsigned *code)
{
    req *q = NULL;
    enum MHD_Result r;
    if (intake(s, c, method, upload, upload_size, con_cls, code, &r, &q)) return r;
    int post = !strcmp(method, "POST");
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (post && q->body.len && !(ct && !strncasecmp(ct, "application/x-www-form-urlencoded", 33))) {
        atomic_fetch_add(&s->outcomes[O_CLIENT], 1);
        return reply(c, 415, "text/plain; charset=utf-8", "POST takes application/x-www-form-urlencoded parameters\n",
                     NULL, code);
    }
    rl_buf text;
    rl_buf_init(&text, (size_t)s->o.max_body + ((size_t)1 << 20));
    char err[2048];
    unsigned status = 400;
    const char *form = q->body.data ? (const char *)q->body.data : "";
    rl_status st = fn(ctx, c, post ? form : "", post ? q->body.len : 0, &text, &status, err, sizeof err);
    if (st != RL_OK) r = fail(s, c, O_CLIENT, status, code, "%s", err);
    else {
        ds_args ds = {json_array(), json_array()};
        char *timeout = post ? form_value(form, q->body.len, "timeout") : NULL;
        r = run_query(s, c, q, (const char *)text.data,
                      timeout ? timeout : MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "timeout"), &ds, code);
        free(timeout);
        json_decref(ds.dflt);
        json_decref(ds.named);
    }
    rl_buf_free(&text);
    return r;
}

rl_status rl_sparql_apply_update(rl_sparql *s, const char *text, const char *default_graph, char *summary,
                                 size_t scap, int *status, char *err, size_t cap)
{
    *status = 500;
    summary[0] = 0;
    rl_exec *ex = rl_exec_acquire(s->writer, s->o.queue_wait_ms);
    if (!ex) {
        *status = 503;
        snprintf(err, cap, "the writer stayed busy for %d ms; try again", s->o.queue_wait_ms);
        return RL_ERR_LIMIT;
    }
    json_t *j = json_pack("{s:s}", "update", text);
    if (j && default_graph) json_object_set_new(j, "default_graph", json_string(default_graph));
    char *msg = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    int fd = rl_exec_fd(ex);
    uint32_t n = 0;
    char *hdr = NULL;
    double deadline = mono() + s->o.timeout_max;
    int ok = msg && !rl_exec_write_frame(fd, msg, (uint32_t)strlen(msg)) && wait_exec(fd, deadline, NULL) == 0 &&
             !rl_exec_read_u32(fd, &n) && n < (1u << 20) && (hdr = malloc((size_t)n + 1)) &&
             !rl_exec_read_full(fd, hdr, n);
    free(msg);
    if (!ok) {
        char why[200];
        free(hdr);
        if (mono() >= deadline) {
            rl_exec_kill(s->writer, ex);
            snprintf(why, sizeof why, "did not finish within %.0f s", s->o.timeout_max);
        } else {
            rl_exec_reap(s->writer, ex, why, sizeof why);
        }
        rl_exec_release(s->writer, ex, 0);
        snprintf(err, cap, "the update crashed or stalled its writer process (%s); its transaction was not "
                           "committed, nothing was changed; the writer was replaced", why);
        atomic_fetch_add(&s->outcomes[O_CRASH], 1);
        return RL_ERR_INTERNAL;
    }
    hdr[n] = 0;
    json_t *h = json_loads(hdr, 0, NULL);
    free(hdr);
    *status = (int)json_integer_value(json_object_get(h, "status"));
    if (*status != 200) snprintf(err, cap, "%s", json_string_value(json_object_get(h, "error")));
    else {
        char *t = json_dumps(json_object_get(h, "summary"), JSON_COMPACT);
        snprintf(summary, scap, "%s", t ? t : "{}");
        free(t);
    }
    json_decref(h);
    rl_exec_release(s->writer, ex, 1);
    return *status == 200 ? RL_OK : RL_ERR_INPUT;
}

void rl_sparql_completed(rl_sparql *s, void **con_cls, enum MHD_RequestTerminationCode why)
{
    req *q = *con_cls;
    if (!q) return;
    if (q->ex) { /* the client left while the executor was still answering */
        say(s, "info", "client gone mid-response (termination %d): executor %d killed and replaced",
            (int)why, (int)rl_exec_pid(q->ex));
        rl_exec_kill(s->pool, q->ex);
        rl_exec_release(s->pool, q->ex, 0);
        atomic_fetch_add(&s->outcomes[O_CANCEL], 1);
    }
    rl_buf_free(&q->body);
    free(q);
    *con_cls = NULL;
}

rl_status rl_sparql_metrics(rl_sparql *s, rl_buf *b)
{
    rl_exec_stats es;
    rl_exec_pool_stats(s->pool, &es);
    rl_status st = rl_metrics_header(b, "rootline_sparql_queries_total", "counter",
                                     "SPARQL queries by outcome: ok, client_error (4xx), timeout (503), "
                                     "crashed (500), busy (503), cancelled (client left), cut_off.");
    for (int i = 0; i < NOUT && st == RL_OK; i++) {
        const char *l[] = {"outcome", outcome_names[i]};
        st = rl_metrics_sample(b, "rootline_sparql_queries_total", l, 1, (double)atomic_load(&s->outcomes[i]));
    }
    if (st == RL_OK) st = rl_metrics_header(b, "rootline_executors", "gauge", "Query executor processes by state.");
    const char *up[] = {"state", "up"}, *busy[] = {"state", "busy"}, *size[] = {"state", "configured"};
    if (st == RL_OK) st = rl_metrics_sample(b, "rootline_executors", up, 1, es.up);
    if (st == RL_OK) st = rl_metrics_sample(b, "rootline_executors", busy, 1, es.busy);
    if (st == RL_OK) st = rl_metrics_sample(b, "rootline_executors", size, 1, es.size);
    rl_exec_stats ws;
    rl_exec_pool_stats(s->writer, &ws);
    const char *wup[] = {"state", "writer_up"};
    if (st == RL_OK) st = rl_metrics_sample(b, "rootline_executors", wup, 1, ws.up);
    if (st == RL_OK)
        st = rl_metrics_header(b, "rootline_executor_replacements_total", "counter",
                               "Executors started to replace one that was killed or crashed.");
    if (st == RL_OK)
        st = rl_metrics_sample(b, "rootline_executor_replacements_total", NULL, 0,
                               (double)(es.started > es.size ? es.started - es.size : 0));
    return st;
}

int rl_sparql_ready(rl_sparql *s, char *why, size_t cap)
{
    rl_exec_stats es, ws;
    rl_exec_pool_stats(s->pool, &es);
    rl_exec_pool_stats(s->writer, &ws);
    if (es.up >= es.size && ws.up >= ws.size) return 1;
    snprintf(why, cap, "%u of %u query executors and %u of 1 writer up", es.up, es.size, ws.up);
    return 0;
}
