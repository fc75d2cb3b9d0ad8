/* writer.c: parser thread -> bounded chunk queue -> store-writer thread. */
#include "writer.h"

#include "buf.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_BYTES ((size_t)1 << 20)
#define MAX_CHUNKS 8
/* While the writer waits for the previous batch's commit (rl_writer_new with
 * `wait_turn`), the producer may run this far ahead: the memory ceiling of
 * parsing file N+1 while file N commits. */
#define MAX_WAIT_CHUNKS 256
/* A chunk holds, per quad, four terms, each one of
 *   u32 REPEAT                  the term of the quad before in this position
 *   u32 BACKREF | slot          the term last given slot `slot` in this chunk
 *   u32 length, u16 slot, bytes a term, which takes slot `slot`
 * Slots are the producer's direct-mapped table of the chunk's terms (by
 * rl_qs_term_hash); producer and writer both start each chunk afresh.  So
 * the writer maps each distinct term about once per chunk instead of once
 * per quad (predicates, classes, units recur in every result), and chunks
 * shrink.  Measured on a 100k-result ASTM file: 354 MiB of chunks with
 * neither marker (the batch graph's 84-byte IRI in every quad). */
#define REPEAT UINT32_MAX
#define BACKREF 0x80000000u
#define SLOTS 4096 /* a power of two below 2^16 */
#define NO_TERM SIZE_MAX

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
    int wait_turn; /* begin with rl_qs_write_begin_wait */
    int waiting;   /* the transaction has not begun yet (under mu) */
    int done, commit;
    int closed; /* rl_writer_close was called (producer's) */
    rl_status status; /* writer's error, set under mu */
    char msg[512];
    /* writer-thread state: the previous quad's ids, the ids of the slots */
    rl_id last_id[4];
    rl_id slot_id[SLOTS];
    /* producer state: where the previous quad's terms are in cur (NO_TERM:
     * none yet in this chunk), and the slots: offset of the term's bytes in
     * cur (NO_TERM: empty) and length */
    size_t prev_off[4], prev_len[4];
    size_t slot_off[SLOTS], slot_len[SLOTS];
};

/* Producer: forgets the current chunk's terms (a new chunk begins). */
static void producer_reset(rl_writer *w)
{
    for (int i = 0; i < 4; i++) w->prev_off[i] = NO_TERM;
    for (size_t i = 0; i < SLOTS; i++) w->slot_off[i] = NO_TERM;
}

/* Producer: whether the term at `off` (NO_TERM: none), `len` bytes, of the
 * current chunk `b` is t[0..n). */
static int same_term(const rl_buf *b, size_t off, size_t len, const unsigned char *t, size_t n)
{
    return off != NO_TERM && len == n && !memcmp(b->data + off, t, n);
}

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
            off += 4;
            if (n == REPEAT) { /* the producer saw the same term here in the quad before */
                if (!(*slot[i] = w->last_id[i])) return RL_ERR_INTERNAL;
                continue;
            }
            if (n & BACKREF) {
                if ((n & ~BACKREF) >= SLOTS || !(*slot[i] = w->slot_id[n & ~BACKREF])) return RL_ERR_INTERNAL;
            } else {
                uint16_t s;
                memcpy(&s, b->data + off, 2);
                off += 2;
                if (s >= SLOTS) return RL_ERR_INTERNAL;
                rl_status st = rl_qs_term_id(w->qs, b->data + off, n, 1, slot[i]);
                if (st != RL_OK) return st;
                off += n;
                w->slot_id[s] = *slot[i];
            }
            w->last_id[i] = *slot[i];
        }
        rl_status st = rl_qs_add(w->qs, &q);
        if (st != RL_OK) return st;
    }
    return RL_OK;
}

static void *writer_main(void *ud)
{
    rl_writer *w = ud;
    rl_status st = w->wait_turn ? rl_qs_write_begin_wait(w->qs) : rl_qs_write_begin(w->qs);
    if (st != RL_OK) fail(w, st, rl_qs_errmsg(w->qs));
    pthread_mutex_lock(&w->mu);
    w->waiting = 0;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
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
        int failed = w->status != RL_OK || (w->done && !w->commit); /* aborting: skip the rest */
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

rl_status rl_writer_new(rl_qs *qs, int wait_turn, rl_writer **out)
{
    *out = NULL;
    rl_writer *w = calloc(1, sizeof *w);
    if (!w) return RL_ERR_NOMEM;
    w->qs = qs;
    w->wait_turn = wait_turn;
    w->waiting = 1;
    producer_reset(w);
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
    producer_reset(w); /* repeats and back-references stay within a chunk */
    pthread_mutex_lock(&w->mu);
    while (w->queued >= (w->waiting ? MAX_WAIT_CHUNKS : MAX_CHUNKS) && w->status == RL_OK)
        pthread_cond_wait(&w->cv, &w->mu);
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
    rl_buf *b = &w->cur->b;
    for (int i = 0; i < 4; i++) {
        if (n[i] >= BACKREF) return RL_ERR_LIMIT;
        rl_status st;
        uint32_t head;
        if (same_term(b, w->prev_off[i], w->prev_len[i], t[i], n[i])) {
            head = REPEAT;
            if ((st = rl_buf_append(b, &head, 4)) != RL_OK) return st;
            continue;
        }
        uint16_t s = (uint16_t)(rl_qs_term_hash(t[i], n[i]) & (SLOTS - 1));
        if (same_term(b, w->slot_off[s], w->slot_len[s], t[i], n[i])) {
            head = BACKREF | s;
            if ((st = rl_buf_append(b, &head, 4)) != RL_OK) return st;
            w->prev_off[i] = w->slot_off[s];
            w->prev_len[i] = n[i];
            continue;
        }
        head = (uint32_t)n[i];
        if ((st = rl_buf_append(b, &head, 4)) != RL_OK || (st = rl_buf_append(b, &s, 2)) != RL_OK)
            return st;
        w->prev_off[i] = w->slot_off[s] = b->len;
        w->prev_len[i] = w->slot_len[s] = n[i];
        if ((st = rl_buf_append(b, t[i], n[i])) != RL_OK) return st;
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

void rl_writer_close(rl_writer *w, int commit)
{
    if (w->closed) return;
    w->closed = 1;
    if (w->cur && w->cur->b.len && commit) push_current(w);
    pthread_mutex_lock(&w->mu);
    w->done = 1;
    w->commit = commit;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

rl_status rl_writer_finish(rl_writer *w, int commit, char *err, size_t cap)
{
    if (!w) return RL_ERR_USAGE;
    rl_writer_close(w, commit);
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
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w);
    return st;
}
