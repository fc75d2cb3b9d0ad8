/* queries.c: /queries routes; running goes through rl_sparql_request_with. */
#include "queries.h"

#include "reply.h"
#include "savedq.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARGS_MAX 32
#define ARG_MAX 4096

struct rl_queries {
    rl_savedq_set *set;
    rl_sparql *sparql;
    char err[1024];
};

rl_queries *rl_queries_new(const char *dir, rl_sparql *sparql)
{
    rl_queries *q = calloc(1, sizeof *q);
    if (!q) return NULL;
    q->sparql = sparql;
    if (rl_savedq_load(dir ? dir : rl_savedq_dir(), &q->set, q->err, sizeof q->err) != RL_OK) q->set = NULL;
    return q;
}

void rl_queries_free(rl_queries *q)
{
    if (!q) return;
    rl_savedq_free(q->set);
    free(q);
}

int rl_queries_match(const char *url)
{
    return !strncmp(url, "/queries", 8) && (url[8] == 0 || url[8] == '/');
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type, const char *body,
                             unsigned *code)
{
    return rl__reply(c, status, type, body, strlen(body), status == 405 ? "GET, HEAD" : NULL, code);
}

static enum MHD_Result reply_json(struct MHD_Connection *c, json_t *j, unsigned *code)
{
    char *s = j ? json_dumps(j, JSON_INDENT(1)) : NULL;
    json_decref(j);
    if (!s) return reply(c, 500, "text/plain; charset=utf-8", "out of memory\n", code);
    enum MHD_Result r = reply(c, 200, "application/json", s, code);
    free(s);
    return r;
}

typedef struct args {
    const char *keys[ARGS_MAX], *vals[ARGS_MAX];
    char kbuf[ARGS_MAX][128], vbuf[ARGS_MAX][ARG_MAX];
    size_t n;
    int too_many;
} args;

static void args_add(args *a, const char *k, size_t kl, const char *v, size_t vl, int decode)
{
    if ((kl == 7 && !strncmp(k, "timeout", 7))) return; /* the deadline, not a parameter */
    if (a->n == ARGS_MAX || kl >= sizeof a->kbuf[0] || vl >= sizeof a->vbuf[0]) {
        a->too_many = 1;
        return;
    }
    char *out[2] = {a->kbuf[a->n], a->vbuf[a->n]};
    const char *in[2] = {k, v};
    size_t len[2] = {kl, vl};
    for (int w = 0; w < 2; w++) {
        size_t j = 0;
        for (size_t i = 0; i < len[w]; i++) {
            char ch = in[w][i];
            if (decode && ch == '+') ch = ' ';
            else if (decode && ch == '%' && i + 2 < len[w] + 0 + 1 && isxdigit((unsigned char)in[w][i + 1]) &&
                     isxdigit((unsigned char)in[w][i + 2])) {
                char hx[3] = {in[w][i + 1], in[w][i + 2], 0};
                ch = (char)strtol(hx, NULL, 16);
                i += 2;
            }
            out[w][j++] = ch;
        }
        out[w][j] = 0;
    }
    a->keys[a->n] = a->kbuf[a->n];
    a->vals[a->n] = a->vbuf[a->n];
    a->n++;
}

static enum MHD_Result get_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    if (key) args_add(cls, key, strlen(key), value ? value : "", value ? strlen(value) : 0, 0);
    return MHD_YES;
}

typedef struct bind_ctx {
    const rl_savedq *q;
} bind_ctx;

static rl_status bind_request(void *ctx, struct MHD_Connection *c, const char *form, size_t len, rl_buf *out,
                              unsigned *status, char *err, size_t cap)
{
    bind_ctx *b = ctx;
    args *a = calloc(1, sizeof *a);
    if (!a) {
        *status = 500;
        return rl_errorf(err, cap, RL_ERR_NOMEM, "out of memory");
    }
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, get_arg, a);
    for (size_t i = 0; i < len;) { /* k=v&k=v, percent-encoded */
        size_t e = i;
        while (e < len && form[e] != '&') e++;
        const char *eq = memchr(form + i, '=', e - i);
        if (eq) args_add(a, form + i, (size_t)(eq - form - i), eq + 1, (size_t)(form + e - eq - 1), 1);
        else if (e > i) args_add(a, form + i, e - i, "", 0, 1);
        i = e + 1;
    }
    rl_status st;
    if (a->too_many) {
        *status = 400;
        st = rl_errorf(err, cap, RL_ERR_INPUT, "more than %d parameters, or one over %d bytes", ARGS_MAX, ARG_MAX);
    } else {
        st = rl_savedq_bind(b->q, a->keys, a->vals, a->n, out, err, cap);
        *status = st == RL_ERR_INPUT ? 400 : 500;
    }
    free(a);
    return st;
}

enum MHD_Result rl_queries_request(rl_queries *q, struct MHD_Connection *c, const char *url, const char *method,
                                   const char *upload, size_t *upload_size, void **con_cls, unsigned *code)
{
    *code = 0;
    const char *name = url[8] == '/' ? url + 9 : "";
    if (!q->set) {
        char msg[1200];
        snprintf(msg, sizeof msg, "saved queries unavailable: %s\n", q->err);
        *upload_size = 0;
        return reply(c, 503, "text/plain; charset=utf-8", msg, code);
    }
    if (!*name || !strcmp(name, "openapi.json")) {
        *upload_size = 0;
        if (strcmp(method, "GET") && strcmp(method, "HEAD"))
            return reply(c, 405, "text/plain; charset=utf-8", "method not allowed\n", code);
        if (*name) return reply_json(c, rl_savedq_openapi(q->set, ""), code);
        json_t *a = json_array();
        for (size_t i = 0; i < rl_savedq_count(q->set); i++) {
            json_t *o = rl_savedq_json(rl_savedq_at(q->set, i));
            char href[300];
            snprintf(href, sizeof href, "/queries/%s", rl_savedq_at(q->set, i)->name);
            json_object_set_new(o, "href", json_string(href));
            json_array_append_new(a, o);
        }
        return reply_json(c, a, code);
    }
    const rl_savedq *sq = rl_savedq_find(q->set, name);
    if (!sq) {
        char msg[400];
        snprintf(msg, sizeof msg, "no saved query '%.200s' (GET /queries lists them)\n", name);
        *upload_size = 0;
        return reply(c, 404, "text/plain; charset=utf-8", msg, code);
    }
    if (!q->sparql) {
        *upload_size = 0;
        return reply(c, 503, "text/plain; charset=utf-8", "saved queries need /sparql's executors, which are off\n", code);
    }
    bind_ctx b = {sq};
    return rl_sparql_request_with(q->sparql, c, method, upload, upload_size, con_cls, bind_request, &b, code);
}
