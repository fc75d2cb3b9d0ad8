/* writer.c: parser thread -> bounded chunk queue -> store-writer thread. */
#include "writer.h"

#include "buf.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_BYTES ((size_t)1 << 20)
#define MAX_CHUNKS 8

typedef struct chunk {
    rl_buf b;
    struct chunk *next;
} chunk;

struct rl_writer {
    rl_qs *qs;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    chunk *head, *tail, *cur;
    chunk *spare; /* drained chunks kept for reuse (at most MAX_CHUNKS), under mu */
    int queued, nspare;
    int done, commit;
    rl_status status; /* writer's error, set under mu */
    char msg[512];
    /* writer-thread state: the previous statement's terms and ids */
    rl_buf last[4];
    rl_id last_id[4];
};

static chunk *chunk_new(void)
{
    chunk *c = calloc(1, sizeof *c);
    if (c) rl_buf_init(&c->b, CHUNK_BYTES * 4);
    return c;
}

static void chunk_free(chunk *c)
{
    if (!c) return;
    rl_buf_free(&c->b);
    free(c);
}

/* Writer thread: a drained chunk goes back to the producer.  Measured: each
 * fresh chunk grew to 1 MiB by doubling (copies and page faults in the
 * producer, the import's bottleneck); reused ones are already that size. */
static void chunk_recycle(rl_writer *w, chunk *c)
{
    pthread_mutex_lock(&w->mu);
    if (w->nspare < MAX_CHUNKS) {
        rl_buf_clear(&c->b);
        c->next = w->spare;
        w->spare = c;
        w->nspare++;
        c = NULL;
    }
    pthread_mutex_unlock(&w->mu);
    chunk_free(c);
}

/* Producer: a spare chunk if the writer returned one, else a new one. */
static chunk *chunk_take(rl_writer *w)
{
    pthread_mutex_lock(&w->mu);
    chunk *c = w->spare;
    if (c) {
        w->spare = c->next;
        w->nspare--;
        c->next = NULL;
    }
    pthread_mutex_unlock(&w->mu);
    return c ? c : chunk_new();
}

static void fail(rl_writer *w, rl_status st, const char *msg)
{
    pthread_mutex_lock(&w->mu);
    if (w->status == RL_OK) {
        w->status = st;
        snprintf(w->msg, sizeof w->msg, "%s", msg);
    }
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

/* Writer thread: maps the terms of one chunk to ids and adds the quads. */
static rl_status apply_chunk(rl_writer *w, const rl_buf *b)
{
    size_t off = 0;
    while (off < b->len) {
        rl_quad q;
        rl_id *slot[4] = {&q.s, &q.p, &q.o, &q.c};
        for (int i = 0; i < 4; i++) {
            uint32_t n;
            memcpy(&n, b->data + off, 4);
            const unsigned char *t = b->data + off + 4;
            off += 4 + n;
            rl_buf *l = &w->last[i];
            if (w->last_id[i] && l->len == n && !memcmp(l->data, t, n)) {
                *slot[i] = w->last_id[i];
                continue;
            }
            rl_status st = rl_qs_term_id(w->qs, t, n, 1, slot[i]);
            if (st != RL_OK) return st;
            rl_buf_clear(l);
            w->last_id[i] = rl_buf_append(l, t, n) == RL_OK ? *slot[i] : 0;
        }
        rl_status st = rl_qs_add(w->qs, &q);
        if (st != RL_OK) return st;
    }
    return RL_OK;
}

static void *writer_main(void *ud)
{
    rl_writer *w = ud;
    rl_status st = rl_qs_write_begin(w->qs);
    if (st != RL_OK) fail(w, st, rl_qs_errmsg(w->qs));
    for (;;) {
        pthread_mutex_lock(&w->mu);
        while (!w->head && !w->done) pthread_cond_wait(&w->cv, &w->mu);
        chunk *c = w->head;
        if (c) {
            w->head = c->next;
            if (!w->head) w->tail = NULL;
            w->queued--;
            pthread_cond_broadcast(&w->cv);
        }
        int failed = w->status != RL_OK;
        pthread_mutex_unlock(&w->mu);
        if (!c) break; /* done and drained */
        if (!failed && (st = apply_chunk(w, &c->b)) != RL_OK) fail(w, st, rl_qs_errmsg(w->qs));
        chunk_recycle(w, c);
    }
    pthread_mutex_lock(&w->mu);
    int commit = w->commit && w->status == RL_OK;
    pthread_mutex_unlock(&w->mu);
    if (rl_qs_in_write(w->qs)) {
        if (commit) {
            if ((st = rl_qs_write_commit(w->qs)) != RL_OK) fail(w, st, rl_qs_errmsg(w->qs));
        } else {
            rl_qs_write_abort(w->qs);
        }
    }
    return NULL;
}

rl_status rl_writer_new(rl_qs *qs, rl_writer **out)
{
    *out = NULL;
    rl_writer *w = calloc(1, sizeof *w);
    if (!w) return RL_ERR_NOMEM;
    w->qs = qs;
    for (int i = 0; i < 4; i++) rl_buf_init(&w->last[i], 0);
    if (!(w->cur = chunk_new())) {
        free(w);
        return RL_ERR_NOMEM;
    }
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        chunk_free(w->cur);
        free(w);
        return RL_ERR_INTERNAL;
    }
    *out = w;
    return RL_OK;
}

/* Producer: hands the current chunk to the writer (blocking while full). */
static rl_status push_current(rl_writer *w)
{
    chunk *c = w->cur;
    w->cur = NULL;
    pthread_mutex_lock(&w->mu);
    while (w->queued >= MAX_CHUNKS && w->status == RL_OK) pthread_cond_wait(&w->cv, &w->mu);
    rl_status st = w->status;
    if (st == RL_OK) {
        if (w->tail) w->tail->next = c;
        else w->head = c;
        w->tail = c;
        w->queued++;
        pthread_cond_broadcast(&w->cv);
        c = NULL;
    }
    pthread_mutex_unlock(&w->mu);
    chunk_free(c);
    if (st == RL_OK && !(w->cur = chunk_take(w))) return RL_ERR_NOMEM;
    return st;
}

rl_status rl_writer_add(rl_writer *w, const unsigned char *const t[4], const size_t n[4])
{
    if (!w->cur) return RL_ERR_NOMEM;
    for (int i = 0; i < 4; i++) {
        if (n[i] > UINT32_MAX) return RL_ERR_LIMIT;
        uint32_t len = (uint32_t)n[i];
        rl_status st = rl_buf_append(&w->cur->b, &len, 4);
        if (st == RL_OK) st = rl_buf_append(&w->cur->b, t[i], n[i]);
        if (st != RL_OK) return st;
    }
    return w->cur->b.len >= CHUNK_BYTES ? push_current(w) : RL_OK;
}

const char *rl_writer_errmsg(rl_writer *w)
{
    pthread_mutex_lock(&w->mu);
    const char *m = w->msg; /* written once, before status is set */
    pthread_mutex_unlock(&w->mu);
    return m;
}

rl_status rl_writer_finish(rl_writer *w, int commit, char *err, size_t cap)
{
    if (!w) return RL_ERR_USAGE;
    if (w->cur && w->cur->b.len && commit) push_current(w);
    pthread_mutex_lock(&w->mu);
    w->done = 1;
    w->commit = commit;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    rl_status st = w->status;
    if (st != RL_OK) rl_errorf(err, cap, st, "%s", w->msg);
    for (chunk *c = w->head; c;) {
        chunk *n = c->next;
        chunk_free(c);
        c = n;
    }
    chunk_free(w->cur);
    for (chunk *c = w->spare; c;) {
        chunk *n = c->next;
        chunk_free(c);
        c = n;
    }
    for (int i = 0; i < 4; i++) rl_buf_free(&w->last[i]);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w);
    return st;
}
