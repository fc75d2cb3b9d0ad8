/* exec_main.c: the executor process: requests in, framed results out. */
#include "executor.h"

#include "query.h"
#include "store.h"
#include "update.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HOLD_BACK ((size_t)64 << 10)

int rl_exec_write_u32(int fd, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8),
                          (unsigned char)v};
    const unsigned char *p = b;
    size_t n = 4;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w, n -= (size_t)w;
    }
    return 0;
}

int rl_exec_write_frame(int fd, const void *data, uint32_t n)
{
    if (rl_exec_write_u32(fd, n)) return -1;
    const unsigned char *p = data;
    size_t left = n;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w, left -= (size_t)w;
    }
    return 0;
}

int rl_exec_read_full(int fd, void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        p += r, n -= (size_t)r;
    }
    return 0;
}

int rl_exec_read_u32(int fd, uint32_t *v)
{
    unsigned char b[4];
    if (rl_exec_read_full(fd, b, 4)) return -1;
    *v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    return 0;
}

/* The results stream: held back until 64 KiB, then header + frames. */
typedef struct sink {
    int fd;
    int committed, broken;
    rl_format fmt;
    char *buf;
    size_t len;
} sink;

static int send_header(int fd, int status, const char *type, const char *error)
{
    json_t *h = json_pack("{s:i}", "status", status);
    if (type) json_object_set_new(h, "type", json_string(type));
    if (error) json_object_set_new(h, "error", json_string(error));
    char *s = json_dumps(h, JSON_COMPACT);
    json_decref(h);
    int r = s ? rl_exec_write_frame(fd, s, (uint32_t)strlen(s)) : -1;
    free(s);
    return r;
}

static int commit(sink *k)
{
    if (k->committed) return 0;
    k->committed = 1;
    if (send_header(k->fd, 200, rl_format_mime(k->fmt), NULL)) return -1;
    if (k->len && rl_exec_write_frame(k->fd, k->buf, (uint32_t)k->len)) return -1;
    k->len = 0;
    return 0;
}

static ssize_t sink_write(void *cookie, const char *p, size_t n)
{
    sink *k = cookie;
    if (k->broken) return -1;
    if (!k->committed && k->len + n <= HOLD_BACK) {
        memcpy(k->buf + k->len, p, n);
        k->len += n;
        return (ssize_t)n;
    }
    if (commit(k) || rl_exec_write_frame(k->fd, p, (uint32_t)n)) {
        k->broken = 1;
        return -1;
    }
    return (ssize_t)n;
}

static int status_of(rl_status st)
{
    switch (st) {
    case RL_ERR_INPUT:
    case RL_ERR_UNSUPPORTED:
    case RL_ERR_USAGE: return 400;
    case RL_ERR_NOTFOUND: return 406;
    case RL_ERR_EXISTS: return 400;
    case RL_ERR_LIMIT: return 422;
    default: return 500;
    }
}

/* The WHERE of an update, run in this (writer) process. */
static rl_status solve_here(void *ctx, const char *select, json_t **out, char *err, size_t cap)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return RL_ERR_NOMEM;
    rl_query_options qo = {NULL, {0}, 0, NULL, NULL, NULL, NULL, 0, 0, 0, 0};
    rl_status s = rl_query_run(ctx, select, RL_FMT_JSON, f, &qo, NULL, err, cap);
    fclose(f);
    if (s == RL_OK) {
        json_error_t je;
        if (!(*out = json_loadb(buf, len, 0, &je)))
            s = rl_errorf(err, cap, RL_ERR_INTERNAL, "results of the WHERE: %s", je.text);
    }
    free(buf);
    return s;
}

/* Fault injection for the crash-isolation tests: with
 * ROOTLINE_TEST_CRASH_ON=TEXT in the service's environment, an executor
 * dies by SIGSEGV on a query or update containing TEXT, as it would on a
 * query that crashes rasqal (every such form known is rewritten or refused
 * by the guard, sparql_guard.h).  Unset: no effect. */
static void exec_fault_inject(const char *text)
{
    const char *on = getenv("ROOTLINE_TEST_CRASH_ON");
    if (on && *on && text && strstr(text, on)) raise(SIGSEGV);
}

static int serve_one(rl_store *st, int fd, const char *req, size_t n, int writer)
{
    json_error_t je;
    json_t *j = json_loadb(req, n, 0, &je);
    const char *query = json_string_value(json_object_get(j, "query"));
    const char *accept = json_string_value(json_object_get(j, "accept"));
    const char *base = json_string_value(json_object_get(j, "base"));
    json_int_t max_rows = json_integer_value(json_object_get(j, "max_rows"));
    const char *apply = json_string_value(json_object_get(j, "update"));
    int r = 0;
    exec_fault_inject(apply ? apply : query);
    if (apply) {
        char err[2048] = "";
        rl_update_options uo = {base, json_string_value(json_object_get(j, "default_graph")), 0, 0, solve_here, st};
        rl_update_result ur;
        rl_status s = writer ? rl_update_run(st, apply, &uo, &ur, err, sizeof err) : RL_ERR_USAGE;
        if (!writer) snprintf(err, sizeof err, "this executor is read-only");
        if (s == RL_OK) {
            json_t *h = json_pack("{s:i,s:{s:I,s:I,s:I,s:I}}", "status", 200, "summary", "operations",
                                  (json_int_t)ur.operations, "inserted", (json_int_t)ur.inserted, "deleted",
                                  (json_int_t)ur.deleted, "graphs_cleared", (json_int_t)ur.graphs_cleared);
            char *t = json_dumps(h, JSON_COMPACT);
            json_decref(h);
            r = t ? rl_exec_write_frame(fd, t, (uint32_t)strlen(t)) : -1;
            free(t);
        } else {
            r = send_header(fd, s == RL_ERR_UNSUPPORTED ? 501 : status_of(s) == 406 ? 400 : status_of(s), NULL, err);
        }
        json_decref(j);
        return r;
    }
    if (!query) {
        r = send_header(fd, 400, NULL, "executor: malformed request");
        json_decref(j);
        return r;
    }
    /* the protocol's dataset parameters, NULL-terminated */
    json_t *jd = json_object_get(j, "default_graph_uri"), *jn = json_object_get(j, "named_graph_uri");
    const char *dg[65] = {NULL}, *ng[65] = {NULL};
    for (size_t i = 0; i < json_array_size(jd) && i < 64; i++) dg[i] = json_string_value(json_array_get(jd, i));
    for (size_t i = 0; i < json_array_size(jn) && i < 64; i++) ng[i] = json_string_value(json_array_get(jn, i));
    sink k = {fd, 0, 0, RL_FMT_JSON, malloc(HOLD_BACK), 0};
    cookie_io_functions_t io = {NULL, sink_write, NULL, NULL};
    FILE *out = k.buf ? fopencookie(&k, "w", io) : NULL;
    char err[2048] = "";
    rl_query_options o = {base, {(uint64_t)(max_rows > 0 ? max_rows : 0), NULL, NULL, NULL, NULL, NULL}, 0, accept ? accept : "", &k.fmt,
                          json_array_size(jd) ? dg : NULL, json_array_size(jn) ? ng : NULL, 0, 0, 0, 0};
    rl_status s = out ? rl_query_run(st, query, RL_FMT_JSON, out, &o, NULL, err, sizeof err) : RL_ERR_NOMEM;
    if (out) {
        setvbuf(out, NULL, _IONBF, 0); /* nothing left in stdio */
        fflush(out);
    }
    if (s == RL_OK && !k.broken) {
        r = commit(&k) || rl_exec_write_u32(fd, RL_EXEC_END);
    } else if (k.committed) {
        /* after the header: cut the response off, saying why */
        r = rl_exec_write_u32(fd, RL_EXEC_ABORT) ||
            rl_exec_write_frame(fd, err, (uint32_t)strlen(err));
    } else {
        r = send_header(fd, status_of(s), NULL, err[0] ? err : rl_strerror(s));
    }
    if (out) fclose(out);
    free(k.buf);
    json_decref(j);
    return r;
}

int rl_executor_main(const char *store_uri, int fd, int writer)
{
    char err[1024];
    rl_store *st = NULL;
    rl_store_options so = {!writer};
    if (rl_store_new(store_uri, &so, &st, err, sizeof err) != RL_OK) {
        fprintf(stderr, "rootline executor %d: %s\n", (int)getpid(), err);
        return 3;
    }
    char *req = NULL;
    for (;;) {
        uint32_t n;
        if (rl_exec_read_u32(fd, &n) || n > RL_EXEC_MAX_FRAME) break; /* supervisor gone */
        free(req);
        if (!(req = malloc((size_t)n + 1)) || rl_exec_read_full(fd, req, n)) break;
        req[n] = 0;
        if (serve_one(st, fd, req, n, writer)) break;
    }
    free(req);
    rl_store_free(st);
    return 0;
}
