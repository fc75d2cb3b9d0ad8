/* server.c: libmicrohttpd front, routes, request counters, scheduler. */
#include "server.h"

#include "queries.h"
#include "routes.h"

#include "metrics.h"
#include "writes.h"

#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>

#define MAX_SERVICES 32
#define METRICS_MAX ((size_t)16 << 20)

typedef struct service {
    const rl_pack_service *svc;
    void *state;
    double due;
    rl_service_env env;
    char spool[4096];
} service;

/* request counters: per route, per status code */
enum { R_SPARQL, R_UPDATE, R_STORE, R_HEALTHZ, R_READYZ, R_METRICS, R_QUERIES, R_PACK, R_OTHER, NROUTES };
static const char *const route_names[NROUTES] = {"/sparql", "/update", "/store", "/healthz",
                                                 "/readyz", "/metrics", "/queries", "pack", "other"};
static const unsigned codes[] = {200, 201, 204, 400, 403, 404, 405, 406, 413, 415, 422, 500, 501, 503};
#define NCODES (sizeof codes / sizeof *codes)

struct rl_server {
    rl_server_options opt;
    char listen[300];
    rl_store *store;
    const rl_input_format *const *formats;
    service svc[MAX_SERVICES];
    size_t nsvc;
    struct MHD_Daemon *mhd;
    rl_sparql *sparql;
    rl_queries *queries;
    rl_routes *routes; /* pack routes (with the SPARQL service only) */
    pthread_mutex_t store_mu; /* one writer: services' steps, /update, /store */
    rl_writes writes;
    unsigned port;
    pthread_t sched;
    int sched_started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stopping;
    atomic_llong heartbeat; /* scheduler's last loop, seconds */
    double started;
    atomic_ullong requests[NROUTES][NCODES + 1];
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void discard_log(void *ctx, const char *level, const char *msg)
{
    (void)ctx, (void)level, (void)msg;
}

static void logf_(rl_server *s, const char *level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void logf_(rl_server *s, const char *level, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    s->opt.log(s->opt.log_ctx, level, msg);
}

rl_status rl_server_new(const rl_server_options *opt, rl_store *st,
                        const rl_input_format *const *formats, rl_server **out, char *err,
                        size_t cap)
{
    *out = NULL;
    rl_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, cap, "out of memory");
        return RL_ERR_NOMEM;
    }
    if (opt) s->opt = *opt;
    if (!s->opt.log) s->opt.log = discard_log;
    if (!s->opt.spool_dir) s->opt.spool_dir = "var/spool";
    if (!s->opt.min_free_bytes) s->opt.min_free_bytes = (uint64_t)256 << 20;
    if (!s->opt.max_connections) s->opt.max_connections = 256;
    snprintf(s->listen, sizeof s->listen, "%s", s->opt.listen ? s->opt.listen : "127.0.0.1:8080");
    s->store = st;
    s->formats = formats;
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->store_mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    s->started = now_s();
    *out = s;
    return RL_OK;
}

/* mkdir -p */
static int make_dirs(const char *path)
{
    char p[4096];
    snprintf(p, sizeof p, "%s", path);
    for (char *q = p + 1; *q; q++) {
        if (*q != '/') continue;
        *q = 0;
        if (mkdir(p, 0750) && errno != EEXIST) return -1;
        *q = '/';
    }
    return mkdir(p, 0750) && errno != EEXIST ? -1 : 0;
}

rl_status rl_server_service_add(rl_server *s, const rl_pack_service *svc, const char *const *values,
                                size_t n, char *err, size_t cap)
{
    if (s->nsvc >= MAX_SERVICES) {
        snprintf(err, cap, "more than %d services", MAX_SERVICES);
        return RL_ERR_LIMIT;
    }
    service *v = &s->svc[s->nsvc];
    memset(v, 0, sizeof *v);
    snprintf(v->spool, sizeof v->spool, "%s/%s", s->opt.spool_dir, svc->name);
    if (make_dirs(v->spool)) {
        snprintf(err, cap, "cannot create spool folder %s: %s", v->spool, strerror(errno));
        return RL_ERR_IO;
    }
    v->svc = svc;
    v->env = (rl_service_env){s->store, s->formats, v->spool, s->opt.log, s->opt.log_ctx,
                              s->opt.sparql ? s->opt.sparql->exe : NULL, s->opt.sparql ? s->opt.sparql->store_uri : NULL};
    rl_status st = svc->open(values, n, &v->env, &v->state, err, cap);
    if (st != RL_OK) return st;
    s->nsvc++;
    return RL_OK;
}

/* ---- scheduler ---- */

static void *scheduler_main(void *arg)
{
    rl_server *s = arg;
    pthread_mutex_lock(&s->mu);
    while (!s->stopping) {
        pthread_mutex_unlock(&s->mu);
        double now = now_s(), next = now + 1.0;
        atomic_store(&s->heartbeat, (long long)now);
        for (size_t i = 0; i < s->nsvc; i++) {
            service *v = &s->svc[i];
            if (now >= v->due) {
                pthread_mutex_lock(&s->store_mu);
                double wait = v->svc->step(v->state, now);
                pthread_mutex_unlock(&s->store_mu);
                now = now_s();
                v->due = now + (wait > 0.01 ? wait : 0.01);
            }
            if (v->due < next) next = v->due;
        }
        pthread_mutex_lock(&s->mu);
        if (s->stopping) break;
        double left = next - now_s();
        if (left <= 0) continue;
        if (left > 1.0) left = 1.0; /* heartbeat at least every second */
        double until = now_s() + left;
        struct timespec ts = {(time_t)until, (long)((until - (double)(time_t)until) * 1e9)};
        pthread_cond_timedwait(&s->cv, &s->mu, &ts);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* ---- HTTP ---- */

static void count(rl_server *s, int route, unsigned code)
{
    size_t c = NCODES;
    for (size_t i = 0; i < NCODES; i++)
        if (codes[i] == code) c = i;
    atomic_fetch_add(&s->requests[route][c], 1);
}

static enum MHD_Result reply(rl_server *s, struct MHD_Connection *conn, int route, unsigned code,
                             const char *type, const char *allow, void *body, size_t len,
                             enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (allow) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result ret = MHD_queue_response(conn, code, r);
    MHD_destroy_response(r);
    count(s, route, code);
    return ret;
}

static enum MHD_Result reply_text(rl_server *s, struct MHD_Connection *conn, int route,
                                  unsigned code, const char *text)
{
    return reply(s, conn, route, code, "text/plain; charset=utf-8", NULL, (void *)text, strlen(text),
                 MHD_RESPMEM_MUST_COPY);
}

static rl_status own_metrics(rl_server *s, rl_buf *b)
{
    rl_status st = rl_metrics_header(b, "rootline_http_requests_total", "counter",
                                     "HTTP requests answered, by route and status code.");
    for (int r = 0; r < NROUTES && st == RL_OK; r++)
        for (size_t c = 0; c <= NCODES && st == RL_OK; c++) {
            unsigned long long v = atomic_load(&s->requests[r][c]);
            if (!v) continue;
            char code[16];
            snprintf(code, sizeof code, "%s", c < NCODES ? "" : "other");
            if (c < NCODES) snprintf(code, sizeof code, "%u", codes[c]);
            const char *l[] = {"route", route_names[r], "code", code};
            st = rl_metrics_sample(b, "rootline_http_requests_total", l, 2, (double)v);
        }
    if (st == RL_OK)
        st = rl_metrics_header(b, "rootline_start_time_seconds", "gauge",
                               "When this server started, seconds since the epoch.");
    if (st == RL_OK) st = rl_metrics_sample(b, "rootline_start_time_seconds", NULL, 0, s->started);
    if (st == RL_OK)
        st = rl_metrics_header(b, "rootline_services", "gauge", "Background services running.");
    if (st == RL_OK) st = rl_metrics_sample(b, "rootline_services", NULL, 0, (double)s->nsvc);
    return st;
}

static enum MHD_Result serve_metrics(rl_server *s, struct MHD_Connection *conn)
{
    rl_buf b;
    rl_buf_init(&b, METRICS_MAX);
    rl_status st = own_metrics(s, &b);
    if (st == RL_OK && s->sparql) st = rl_sparql_metrics(s->sparql, &b);
    for (size_t i = 0; i < s->nsvc && st == RL_OK; i++)
        if (s->svc[i].svc->metrics) st = s->svc[i].svc->metrics(s->svc[i].state, &b);
    enum MHD_Result ret;
    if (st != RL_OK) {
        char msg[200];
        snprintf(msg, sizeof msg, "metrics could not be written: %s (ceiling %zu bytes)\n",
                 rl_strerror(st), (size_t)METRICS_MAX);
        ret = reply_text(s, conn, R_METRICS, 500, msg);
    } else {
        ret = reply(s, conn, R_METRICS, 200, "text/plain; version=0.0.4; charset=utf-8", NULL,
                    b.data ? (void *)b.data : (void *)"", b.len, MHD_RESPMEM_MUST_COPY);
    }
    rl_buf_free(&b);
    return ret;
}

static enum MHD_Result serve_readyz(rl_server *s, struct MHD_Connection *conn)
{
    char msg[512];
    long long beat = atomic_load(&s->heartbeat);
    double now = now_s();
    if (now - (double)beat > 60.0) {
        snprintf(msg, sizeof msg, "not ready: scheduler silent for %.0f s\n", now - (double)beat);
        return reply_text(s, conn, R_READYZ, 503, msg);
    }
    if (s->sparql && !rl_sparql_ready(s->sparql, msg, sizeof msg)) {
        strcat(msg, "\n");
        return reply_text(s, conn, R_READYZ, 503, msg);
    }
    struct statvfs fs;
    if (s->opt.store_dir && statvfs(s->opt.store_dir, &fs) == 0) {
        uint64_t free_b = (uint64_t)fs.f_bavail * fs.f_frsize;
        if (free_b < s->opt.min_free_bytes) {
            snprintf(msg, sizeof msg, "not ready: %llu bytes free under %s, floor %llu\n",
                     (unsigned long long)free_b, s->opt.store_dir,
                     (unsigned long long)s->opt.min_free_bytes);
            return reply_text(s, conn, R_READYZ, 503, msg);
        }
    }
    snprintf(msg, sizeof msg, "ready: store open, %zu services\n", s->nsvc);
    return reply_text(s, conn, R_READYZ, 200, msg);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *data_size, void **con_cls)
{
    rl_server *s = cls;
    (void)version;
    if (!strcmp(url, "/sparql") && s->sparql) {
        unsigned code = 0;
        enum MHD_Result r = rl_sparql_request(s->sparql, conn, method, data, data_size, con_cls, &code);
        if (code) count(s, R_SPARQL, code);
        return r;
    }
    if (rl_queries_match(url) && s->queries) {
        unsigned code = 0;
        enum MHD_Result r = rl_queries_request(s->queries, conn, url, method, data, data_size, con_cls, &code);
        if (code) count(s, R_QUERIES, code);
        return r;
    }
    const rl_pack_route *pr = s->routes ? rl_route_find(s->opt.routes, url) : NULL;
    if (pr) {
        unsigned code = 0;
        double t = s->opt.route_timeout > 0 ? s->opt.route_timeout : s->opt.sparql->timeout > 0 ? s->opt.sparql->timeout : 30;
        *data_size = 0;
        enum MHD_Result r = rl_route_request(s->routes, pr, conn, method, t, &code);
        if (code) count(s, R_PACK, code);
        return r;
    }
    if (!strcmp(url, "/update") || !strcmp(url, "/store")) {
        unsigned code = 0;
        int upd = !strcmp(url, "/update");
        enum MHD_Result r = upd ? rl_writes_update(&s->writes, conn, method, data, data_size, con_cls, &code)
                                : rl_writes_store(&s->writes, conn, method, data, data_size, con_cls, &code);
        if (code) count(s, upd ? R_UPDATE : R_STORE, code);
        return r;
    }
    int route = !strcmp(url, "/healthz")   ? R_HEALTHZ
                : !strcmp(url, "/readyz")  ? R_READYZ
                : !strcmp(url, "/metrics") ? R_METRICS
                                           : R_OTHER;
    *data_size = 0; /* these routes take no body; any sent is ignored */
    if (route == R_OTHER)
        return reply_text(s, conn, route, 404,
                          !strcmp(url, "/sparql") ? "not found: /sparql is off (the store cannot be "
                                                    "shared with executor processes)\n"
                                                  : "not found\n");
    int get = !strcmp(method, "GET"), head = !strcmp(method, "HEAD");
    if (!get && !head)
        return reply(s, conn, route, 405, "text/plain; charset=utf-8", "GET, HEAD",
                     (void *)"method not allowed\n", 19, MHD_RESPMEM_PERSISTENT);
    if (route == R_HEALTHZ) return reply_text(s, conn, route, 200, "ok\n");
    if (route == R_READYZ) return serve_readyz(s, conn);
    return serve_metrics(s, conn);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode why)
{
    rl_server *s = cls;
    (void)conn;
    if (!con_cls || !*con_cls) return;
    if (rl_writes_owns(*con_cls)) rl_writes_completed(con_cls);
    else if (s->sparql) rl_sparql_completed(s->sparql, con_cls, why);
}

/* Small answers go out at once: no Nagle wait behind the previous segment. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    (void)cls, (void)socket_context;
    if (toe != MHD_CONNECTION_NOTIFY_STARTED) return;
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    int one = 1;
    if (ci) setsockopt(ci->connect_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    rl_server *s = cls;
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) msg[--n] = 0;
    s->opt.log(s->opt.log_ctx, "warn", msg);
}

/* Splits HOST:PORT / [V6]:PORT. */
static int split_listen(const char *in, char *host, size_t hcap, char *port, size_t pcap)
{
    const char *colon;
    if (in[0] == '[') {
        const char *close = strchr(in, ']');
        if (!close || close[1] != ':') return -1;
        snprintf(host, hcap, "%.*s", (int)(close - in - 1), in + 1);
        colon = close + 1;
    } else {
        colon = strrchr(in, ':');
        if (!colon || colon == in) return -1;
        snprintf(host, hcap, "%.*s", (int)(colon - in), in);
    }
    snprintf(port, pcap, "%s", colon + 1);
    return port[0] && strspn(port, "0123456789") == strlen(port) ? 0 : -1;
}

static int is_loopback(const struct addrinfo *ai)
{
    if (ai->ai_family == AF_INET) {
        const struct sockaddr_in *a = (const void *)ai->ai_addr;
        return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
    }
    const struct sockaddr_in6 *a = (const void *)ai->ai_addr;
    return IN6_IS_ADDR_LOOPBACK(&a->sin6_addr);
}

rl_status rl_server_start(rl_server *s, char *err, size_t cap)
{
    char host[256], port[16];
    if (split_listen(s->listen, host, sizeof host, port, sizeof port)) {
        snprintf(err, cap, "--listen %s: expected HOST:PORT or [IPV6]:PORT", s->listen);
        return RL_ERR_USAGE;
    }
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    int gai = getaddrinfo(host, port, &hints, &ai);
    if (gai) {
        snprintf(err, cap, "--listen %s: %s", s->listen, gai_strerror(gai));
        return RL_ERR_USAGE;
    }
    if (!is_loopback(ai))
        logf_(s, "warn",
              "listening on %s, which is not loopback: every request is served without "
              "authentication (tokens and roles do not exist yet)",
              s->listen);
    if (s->opt.sparql) {
        rl_sparql_options so = *s->opt.sparql;
        so.log = s->opt.log;
        so.log_ctx = s->opt.log_ctx;
        rl_status st = rl_sparql_new(&so, &s->sparql, err, cap);
        if (st != RL_OK) {
            freeaddrinfo(ai);
            return st;
        }
    }
    if (!(s->queries = rl_queries_new(NULL, s->sparql)) ||
        (s->opt.sparql && !(s->routes = rl_routes_new(s->opt.routes, s->opt.sparql->exe, s->opt.sparql->store_uri)))) {
        freeaddrinfo(ai);
        return rl_errorf(err, cap, RL_ERR_NOMEM, "out of memory");
    }
    s->writes = (rl_writes){s->store, &s->store_mu, s->sparql,
                            s->opt.sparql && s->opt.sparql->max_body ? s->opt.sparql->max_body : (uint64_t)64 << 20,
                            NULL};
    /* a thread per connection: a query waits for its executor on its own thread */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION;
    if (ai->ai_family == AF_INET6) flags |= MHD_USE_IPv6;
    s->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                              MHD_OPTION_CONNECTION_LIMIT, s->opt.max_connections,
                              MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
                              s, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                              MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!s->mhd) {
        snprintf(err, cap, "cannot listen on %s (address in use or not permitted)", s->listen);
        return RL_ERR_IO;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : 0;
    atomic_store(&s->heartbeat, (long long)now_s());
    if (pthread_create(&s->sched, NULL, scheduler_main, s)) {
        snprintf(err, cap, "cannot start the scheduler thread");
        return RL_ERR_NOMEM;
    }
    s->sched_started = 1;
    return RL_OK;
}

unsigned rl_server_port(const rl_server *s)
{
    return s->port;
}

void rl_server_free(rl_server *s)
{
    if (!s) return;
    if (s->mhd) MHD_stop_daemon(s->mhd);
    if (s->sched_started) {
        pthread_mutex_lock(&s->mu);
        s->stopping = 1;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->sched, NULL);
    }
    rl_queries_free(s->queries);
    rl_routes_free(s->routes); /* stops the resident children */
    rl_sparql_free(s->sparql);
    for (size_t i = 0; i < s->nsvc; i++) s->svc[i].svc->close(s->svc[i].state);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->store_mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}
