/* quadstore.c: dictionary + six quad indexes on LMDB.  See quadstore.h and
 * docs/store.md for the on-disk layout. */
#include "quadstore_int.h"

#include <endian.h>
#include <errno.h>
#include <lmdb.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Store formats: 1 = quad keys of four 8-byte big-endian ids (32 bytes);
 * 2 = each id as a length byte and its significant bytes, big-endian (4-36
 * bytes, same order).  New stores are 2; format-1 stores keep their keys. */
#define QS_FORMAT_VERSION 2
#define QS_FORMAT_OLDEST 1

static const int ix_order[IX_N][4] = {
    {0, 1, 2, 3}, {1, 2, 0, 3}, {2, 0, 1, 3}, {3, 0, 1, 2}, {3, 1, 2, 0}, {3, 2, 0, 1}};
static const char *ix_name[IX_N] = {"spoc", "posc", "ospc", "cspo", "cpos", "cosp"};

/* ---- allocation with a fault-injection hook ---------------------------- */
static unsigned fail_after;
void rl__qs_fail_alloc_after(unsigned n)
{
    fail_after = n;
}
void *rl__qs_alloc(size_t n)
{
    if (fail_after && --fail_after == 0) return NULL;
    return malloc(n);
}
void *rl__qs_calloc(size_t a, size_t b)
{
    if (fail_after && --fail_after == 0) return NULL;
    return calloc(a, b);
}

/* ---- helpers ------------------------------------------------------------ */
rl_status rl__qs_mdb_errf(char *err, int rc, const char *what)
{
    const size_t cap = sizeof ((rl_qs *)0)->err;
    if (rc == MDB_MAP_FULL)
        return rl_errorf(err, cap, RL_ERR_LIMIT,
                         "%s: the store's map size is full (raise mapsize= in the store URI)",
                         what);
    return rl_errorf(err, cap, RL_ERR_STORE, "%s: %s", what, mdb_strerror(rc));
}

rl_status rl__qs_mdb_err(rl_qs *qs, int rc, const char *what)
{
    return rl__qs_mdb_errf(qs->err, rc, what);
}

void rl__put_be64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8) p[i] = (unsigned char)v;
}
uint64_t rl__get_be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
    return v;
}
static void quad_set(rl_quad *q, int f, rl_id v)
{
    if (f == 0) q->s = v;
    else if (f == 1) q->p = v;
    else if (f == 2) q->o = v;
    else q->c = v;
}
/* Writes the key of q in index ix's order; returns its length. */
static size_t quad_key(const rl_qs *qs, const rl_quad *q, int ix, unsigned char key[QS_KEY_MAX])
{
    if (qs->format == 1) {
        for (int i = 0; i < 4; i++) rl__put_be64(key + 8 * i, rl__quad_field(q, ix_order[ix][i]));
        return 32;
    }
    /* Each id: its byte count, then those bytes big-endian.  The bytes are
     * written as one 8-byte store (shifted to the top) and the key advances
     * by the count; the last id starts at most at byte 28, so the store stays
     * inside QS_KEY_MAX (36).  Measured: the byte loop was ~10% of the
     * writer's samples while committing, this form half that. */
    size_t n = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t v = rl__quad_field(q, ix_order[ix][i]);
        unsigned len = v ? (unsigned)(71 - __builtin_clzll(v)) / 8 : 0;
        key[n++] = (unsigned char)len;
        uint64_t be = htobe64(len ? v << (64 - 8 * len) : 0);
        memcpy(key + n, &be, 8);
        n += len;
    }
    return n;
}

/* The length of the first `fields` ids of a key (a scan prefix). */
static size_t key_prefix_len(const rl_qs *qs, const unsigned char *key, size_t fields)
{
    if (qs->format == 1) return 8 * fields;
    size_t n = 0;
    for (size_t i = 0; i < fields; i++) n += 1 + key[n];
    return n;
}

/* Reads a key of index ix back into q; 0 if it is not a quad key. */
static int key_quad(const rl_qs *qs, const unsigned char *key, size_t len, int ix, rl_quad *q)
{
    if (qs->format == 1) {
        if (len != 32) return 0;
        for (int i = 0; i < 4; i++) quad_set(q, ix_order[ix][i], rl__get_be64(key + 8 * i));
        return 1;
    }
    size_t n = 0;
    for (int i = 0; i < 4; i++) {
        if (n >= len || key[n] > 8 || n + 1 + key[n] > len) return 0;
        rl_id v = 0;
        for (int b = 0; b < key[n]; b++) v = (v << 8) | key[n + 1 + b];
        n += 1 + key[n];
        quad_set(q, ix_order[ix][i], v);
    }
    return n == len;
}

/* LMDB's default key order: bytes, then the shorter first. */
static int key_cmp(const unsigned char *a, size_t la, const unsigned char *b, size_t lb)
{
    int c = memcmp(a, b, la < lb ? la : lb);
    return c ? c : (la > lb) - (la < lb);
}

/* ---- open / close ------------------------------------------------------- */
static int mkdir_p(const char *dir)
{
    char tmp[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof tmp) return -1;
    memcpy(tmp, dir, n + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST) return -1;
    return 0;
}

static rl_status qs_open_dbs(rl_qs *qs)
{
    MDB_txn *txn = NULL;
    unsigned flags = qs->read_only ? 0 : MDB_CREATE;
    int rc = mdb_txn_begin(qs->env, NULL, qs->read_only ? MDB_RDONLY : 0, &txn);
    if (rc) return rl__qs_mdb_err(qs, rc, "open store");
    for (int i = 0; i < IX_N && !rc; i++) rc = mdb_dbi_open(txn, ix_name[i], flags, &qs->ix[i]);
    if (!rc) rc = mdb_dbi_open(txn, "t2i", flags, &qs->t2i);
    if (!rc) rc = mdb_dbi_open(txn, "i2t", flags, &qs->i2t);
    if (!rc) rc = mdb_dbi_open(txn, "meta", flags, &qs->meta);
    if (!rc) rc = mdb_dbi_open(txn, "graphs", flags, &qs->graphs);
    if (rc) {
        mdb_txn_abort(txn);
        return rl__qs_mdb_err(qs, rc, "open store tables (an empty store opened read-only?)");
    }
    /* format version: write on creation, check afterwards */
    MDB_val k = {7, "version"}, v;
    rc = mdb_get(txn, qs->meta, &k, &v);
    qs->format = QS_FORMAT_VERSION;
    if (rc == MDB_NOTFOUND && !qs->read_only) {
        uint32_t ver = qs->format = qs->create_format;
        v.mv_size = sizeof ver;
        v.mv_data = &ver;
        rc = mdb_put(txn, qs->meta, &k, &v, 0);
    } else if (rc == 0) {
        uint32_t ver = 0;
        if (v.mv_size == sizeof ver) memcpy(&ver, v.mv_data, sizeof ver);
        if (ver < QS_FORMAT_OLDEST || ver > QS_FORMAT_VERSION) {
            mdb_txn_abort(txn);
            return rl_errorf(qs->err, sizeof qs->err, RL_ERR_STORE,
                             "store format version %u, this rootline reads %u to %u", ver,
                             QS_FORMAT_OLDEST, QS_FORMAT_VERSION);
        }
        qs->format = (int)ver;
    } else if (rc == MDB_NOTFOUND) {
        rc = 0;
    }
    if (rc) {
        mdb_txn_abort(txn);
        return rl__qs_mdb_err(qs, rc, "store metadata");
    }
    rc = mdb_txn_commit(txn);
    return rc ? rl__qs_mdb_err(qs, rc, "open store") : RL_OK;
}

rl_status rl_qs_new(const char *dir, const rl_qs_options *opt, rl_qs **out, char *err, size_t cap)
{
    rl_status st = RL_OK;
    rl_qs *qs = NULL;
    int rc;
    *out = NULL;
    if (!dir || !*dir) return rl_errorf(err, cap, RL_ERR_USAGE, "lmdb: empty directory name");
    qs = rl__qs_calloc(1, sizeof *qs);
    if (!qs) return rl_errorf(err, cap, RL_ERR_NOMEM, "lmdb: out of memory");
    pthread_mutex_init(&qs->gate_mu, NULL);
    pthread_cond_init(&qs->gate_cv, NULL);
    qs->read_only = opt && opt->read_only;
    qs->pending_max = opt && opt->pending_max ? opt->pending_max : ((size_t)1 << 22);
    qs->create_format = opt && opt->format ? opt->format : QS_FORMAT_VERSION;
    if (qs->create_format < QS_FORMAT_OLDEST || qs->create_format > QS_FORMAT_VERSION) {
        st = rl_errorf(err, cap, RL_ERR_USAGE, "lmdb: no store format %d", qs->create_format);
        goto out;
    }
    if (!qs->read_only && mkdir_p(dir) != 0) {
        st = rl_errorf(err, cap, RL_ERR_IO, "lmdb: cannot create directory %s: %s", dir,
                       strerror(errno));
        goto out;
    }
    if ((rc = mdb_env_create(&qs->env)) != 0) goto mdb_fail;
    uint64_t map = opt && opt->map_size ? opt->map_size : ((uint64_t)256 << 30);
    if ((rc = mdb_env_set_mapsize(qs->env, (size_t)map)) != 0) goto mdb_fail;
    if ((rc = mdb_env_set_maxdbs(qs->env, 16)) != 0) goto mdb_fail;
    if ((rc = mdb_env_set_maxreaders(qs->env, 256)) != 0) goto mdb_fail;
    unsigned flags = MDB_NOTLS | (qs->read_only ? MDB_RDONLY : 0);
    if (opt && opt->no_sync) flags |= MDB_NOSYNC;
    if ((rc = mdb_env_open(qs->env, dir, flags, 0644)) != 0) goto mdb_fail;
    int dead = 0;
    mdb_reader_check(qs->env, &dead); /* clear slots of crashed readers */
    if ((st = qs_open_dbs(qs)) != RL_OK) {
        rl_errorf(err, cap, st, "lmdb:%s: %s", dir, qs->err);
        goto out;
    }
    qs->cache = rl__qs_calloc(QS_CACHE_SLOTS, sizeof *qs->cache);
    if (!qs->cache) {
        st = rl_errorf(err, cap, RL_ERR_NOMEM, "lmdb: out of memory");
        goto out;
    }
    *out = qs;
    qs = NULL;
    goto out;
mdb_fail:
    st = rl_errorf(err, cap, rc == ENOENT ? RL_ERR_NOTFOUND : RL_ERR_STORE, "lmdb:%s: %s", dir,
                   mdb_strerror(rc));
out:
    rl_qs_free(qs);
    return st;
}

void rl_qs_free(rl_qs *qs)
{
    if (!qs) return;
    if (qs->wtxn) rl_qs_write_abort(qs);
    for (int i = 0; i < IX_N; i++)
        if (qs->pool[i]) mdb_cursor_close(qs->pool[i]);
    while (qs->free_iters) {
        struct rl_qs_iter *n = qs->free_iters->next_free;
        free(qs->free_iters);
        qs->free_iters = n;
    }
    if (qs->rtxn) mdb_txn_abort(qs->rtxn);
    rl__qs_cache_clear(qs);
    free(qs->cache);
    free(qs->pending);
    if (qs->env) mdb_env_close(qs->env);
    pthread_mutex_destroy(&qs->gate_mu);
    pthread_cond_destroy(&qs->gate_cv);
    free(qs);
}

const char *rl_qs_errmsg(const rl_qs *qs)
{
    return qs ? qs->err : "";
}

/* ---- read snapshots ----------------------------------------------------- */
static rl_status qs_flush(rl_qs *qs);

/* Gets a transaction to read from: the write transaction if one is open (after
 * flushing buffered writes), else the shared read snapshot. */
rl_status rl__qs_read_acquire(rl_qs *qs, MDB_txn **txn, int *owns)
{
    *owns = 0;
    if (qs->wtxn) {
        *txn = qs->wtxn;
        return qs_flush(qs);
    }
    if (!qs->rtxn_live) {
        int rc = qs->rtxn ? mdb_txn_renew(qs->rtxn)
                          : mdb_txn_begin(qs->env, NULL, MDB_RDONLY, &qs->rtxn);
        if (rc) return rl__qs_mdb_err(qs, rc, "begin read snapshot");
        qs->rtxn_live = 1;
        qs->rtxn_gen++;
    }
    qs->rrefs++;
    *owns = 1;
    *txn = qs->rtxn;
    return RL_OK;
}

void rl__qs_read_release(rl_qs *qs, int owns)
{
    if (!owns) return;
    if (qs->rrefs && --qs->rrefs == 0 && qs->rtxn_live) {
        mdb_txn_reset(qs->rtxn);
        qs->rtxn_live = 0;
    }
}

rl_status rl_qs_snapshot_begin(rl_qs *qs)
{
    MDB_txn *t = NULL;
    int owns = 0;
    if (qs->wtxn) return RL_OK; /* reads see the open write transaction */
    return rl__qs_read_acquire(qs, &t, &owns);
}

void rl_qs_snapshot_end(rl_qs *qs)
{
    if (qs->wtxn) return;
    rl__qs_read_release(qs, 1);
}

/* ---- write transactions ------------------------------------------------- */
/* Gives the write slot back and wakes a thread waiting for it. */
static void gate_release(rl_qs *qs)
{
    pthread_mutex_lock(&qs->gate_mu);
    qs->gate_busy = 0;
    pthread_cond_broadcast(&qs->gate_cv);
    pthread_mutex_unlock(&qs->gate_mu);
}

/* Takes the write slot (waiting for it if `wait`) and begins the LMDB write
 * transaction. */
static rl_status write_begin(rl_qs *qs, int wait)
{
    if (qs->read_only)
        return rl_errorf(qs->err, sizeof qs->err, RL_ERR_USAGE, "store opened read-only");
    pthread_mutex_lock(&qs->gate_mu);
    while (wait && qs->gate_busy) pthread_cond_wait(&qs->gate_cv, &qs->gate_mu);
    int busy = qs->gate_busy;
    qs->gate_busy = 1;
    pthread_mutex_unlock(&qs->gate_mu);
    if (busy)
        return rl_errorf(qs->err, sizeof qs->err, RL_ERR_USAGE,
                         "a write transaction is already open");
    int rc = mdb_txn_begin(qs->env, NULL, 0, &qs->wtxn);
    if (rc) {
        qs->wtxn = NULL;
        gate_release(qs);
        return rl__qs_mdb_err(qs, rc, "begin write transaction");
    }
    MDB_val k = {7, "next_id"}, v;
    rc = mdb_get(qs->wtxn, qs->meta, &k, &v);
    qs->next_id = 1;
    if (rc == 0 && v.mv_size == 8) qs->next_id = rl__get_be64(v.mv_data);
    qs->npending = 0;
    return RL_OK;
}

rl_status rl_qs_write_begin(rl_qs *qs)
{
    return write_begin(qs, 0);
}

rl_status rl_qs_write_begin_wait(rl_qs *qs)
{
    return write_begin(qs, 1);
}

rl_status rl_qs_write_commit(rl_qs *qs)
{
    if (!qs->wtxn)
        return rl_errorf(qs->err, sizeof qs->err, RL_ERR_USAGE, "no write transaction is open");
    rl_status st = qs_flush(qs);
    if (st != RL_OK) goto fail;
    unsigned char idb[8];
    rl__put_be64(idb, qs->next_id);
    MDB_val k = {7, "next_id"}, v = {8, idb};
    int rc = mdb_put(qs->wtxn, qs->meta, &k, &v, 0);
    if (rc) {
        st = rl__qs_mdb_err(qs, rc, "commit");
        goto fail;
    }
    rc = mdb_txn_commit(qs->wtxn);
    qs->wtxn = NULL;
    if (rc) {
        rl__qs_cache_clear(qs);
        qs->generation++;
        st = rl__qs_mdb_err(qs, rc, "commit");
    }
    gate_release(qs);
    return st;
fail:
    rl_qs_write_abort(qs);
    return st;
}

void rl_qs_write_abort(rl_qs *qs)
{
    if (!qs->wtxn) return;
    mdb_txn_abort(qs->wtxn);
    qs->wtxn = NULL;
    qs->npending = 0;
    rl__qs_cache_clear(qs); /* ids handed out in this transaction are void */
    qs->generation++;
    gate_release(qs);
}

int rl_qs_in_write(const rl_qs *qs)
{
    return qs->wtxn != NULL;
}

uint64_t rl_qs_generation(const rl_qs *qs)
{
    return qs->generation;
}

/* ---- writes ------------------------------------------------------------- */
static int cmp_order(const void *a, const void *b, void *arg)
{
    const int *ord = arg;
    const rl_quad *x = a, *y = b;
    for (int i = 0; i < 4; i++) {
        rl_id u = rl__quad_field(x, ord[i]), w = rl__quad_field(y, ord[i]);
        if (u != w) return u < w ? -1 : 1;
    }
    return 0;
}

static rl_status graph_count_add(rl_qs *qs, MDB_txn *txn, rl_id c, int64_t delta)
{
    unsigned char kb[8];
    rl__put_be64(kb, c);
    MDB_val k = {8, kb}, v;
    uint64_t n = 0;
    int rc = mdb_get(txn, qs->graphs, &k, &v);
    if (rc == 0 && v.mv_size == 8) memcpy(&n, v.mv_data, 8);
    else if (rc && rc != MDB_NOTFOUND) return rl__qs_mdb_err(qs, rc, "graph count");
    n = (uint64_t)((int64_t)n + delta);
    if (n == 0) {
        rc = mdb_del(txn, qs->graphs, &k, NULL);
        if (rc == MDB_NOTFOUND) rc = 0;
    } else {
        v.mv_size = 8;
        v.mv_data = &n;
        rc = mdb_put(txn, qs->graphs, &k, &v, 0);
    }
    return rc ? rl__qs_mdb_err(qs, rc, "graph count") : RL_OK;
}

/* Puts n sorted quads into index ix through one cursor, skipping repeats of
 * the previous quad and keys already stored (MDB_NOOVERWRITE: a stored key
 * is not written again).  From the first key above the index's last key on
 * (bulk loads: new ids and a new graph sort last), LMDB appends without
 * searching.  With `count` (the CSPO pass, sorted by graph) the quads newly
 * added are counted per graph. */
static rl_status put_sorted(rl_qs *qs, int ix, const rl_quad *q, size_t n, int count)
{
    MDB_cursor *cur = NULL;
    unsigned char key[QS_KEY_MAX], last[QS_KEY_MAX];
    size_t nlast = 0;
    MDB_val k = {0, key}, lk, lv, empty = {0, ""};
    rl_status st = RL_OK;
    int rc = mdb_cursor_open(qs->wtxn, qs->ix[ix], &cur);
    if (rc) return rl__qs_mdb_err(qs, rc, "write index");
    int append = 0; /* 1: every key from here on is above the index's last */
    if (n) {
        rc = mdb_cursor_get(cur, &lk, &lv, MDB_LAST);
        if (rc == MDB_NOTFOUND) append = 1;
        else if (rc == 0 && lk.mv_size <= QS_KEY_MAX) memcpy(last, lk.mv_data, nlast = lk.mv_size);
        else append = -1; /* not a quad key: never append */
    }
    rl_id graph = 0;
    int64_t added = 0;
    for (size_t i = 0; i < n && st == RL_OK; i++) {
        if (i && !memcmp(&q[i - 1], &q[i], sizeof *q)) continue;
        if (count && (i == 0 || q[i].c != graph)) {
            if (added) st = graph_count_add(qs, qs->wtxn, graph, added);
            graph = q[i].c;
            added = 0;
        }
        k.mv_size = quad_key(qs, &q[i], ix, key);
        if (append == 0 && key_cmp(key, k.mv_size, last, nlast) > 0) append = 1; /* sorted: the rest too */
        rc = mdb_cursor_put(cur, &k, &empty, append == 1 ? MDB_APPEND : MDB_NOOVERWRITE);
        if (rc == MDB_KEYEXIST && append != 1) continue;
        if (rc) /* KEYEXIST when appending would mean the keys were not sorted */
            st = rl__qs_mdb_err(qs, rc, "write index");
        else added++;
    }
    if (st == RL_OK && count && added) st = graph_count_add(qs, qs->wtxn, graph, added);
    mdb_cursor_close(cur);
    return st;
}

/* Below this many quads a comparison sort per index, in the writer's
 * thread, is cheaper than radix passes and a sorter thread. */
#define QS_RADIX_MIN 4096

/* The sorter thread of a large flush and the writer (the transaction's
 * thread) share three arrays: the sorter derives each index's order while
 * the writer puts the previous one, and waits before reusing an array until
 * the writer is done with it.  Stage k (1..6) = SPOC CSPO OSPC COSP POSC CPOS. */
typedef struct {
    rl_quad *a, *b, *c, *t; /* t: the sorter's radix scratch */
    size_t n;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int sorted, put; /* stages finished by the sorter / by the writer */
    int stop;        /* the writer failed: the sorter ends at its next wait */
} flush_pipe;

static int pipe_wait(flush_pipe *fp, int *counter, int stage)
{
    pthread_mutex_lock(&fp->mu);
    while (*counter < stage && !fp->stop) pthread_cond_wait(&fp->cv, &fp->mu);
    int ok = !fp->stop;
    pthread_mutex_unlock(&fp->mu);
    return ok;
}

static void pipe_post(flush_pipe *fp, int *counter, int stage)
{
    pthread_mutex_lock(&fp->mu);
    *counter = stage;
    pthread_cond_broadcast(&fp->cv);
    pthread_mutex_unlock(&fp->mu);
}

/* The six stages: array `dst` gets a copy of `src` ordered by one more
 * stable pass on `field` (stage 1: the full SPOC sort in place), after the
 * writer has put stage `after` (what `dst` held).  Arrays 0 1 2 = a b c. */
static const struct {
    int ix, dst, src, field, after;
} flush_stage[6] = {
    {IX_SPOC, 0, 0, -1, 0}, {IX_CSPO, 1, 0, 3, 0}, {IX_OSPC, 2, 0, 2, 0},
    {IX_COSP, 0, 2, 3, 1},  {IX_POSC, 1, 2, 1, 2}, {IX_CPOS, 2, 1, 3, 3},
};

static void *flush_sorter(void *ud)
{
    flush_pipe *fp = ud;
    rl_quad *arr[3] = {fp->a, fp->b, fp->c};
    for (int k = 0; k < 6; k++) {
        rl_quad *dst = arr[flush_stage[k].dst];
        if (flush_stage[k].after && !pipe_wait(fp, &fp->put, flush_stage[k].after)) return NULL;
        if (flush_stage[k].field < 0) {
            rl__qs_sort(dst, fp->t, fp->n, ix_order[IX_SPOC]);
        } else {
            memcpy(dst, arr[flush_stage[k].src], fp->n * sizeof *dst);
            rl__qs_sort_field(dst, fp->t, fp->n, flush_stage[k].field);
        }
        pipe_post(fp, &fp->sorted, k + 1);
    }
    return NULL;
}

/* Writes the buffered quads, each index in its key order so LMDB inserts
 * sequentially.  Large buffers: SPOC is ordered once by radix passes and
 * every other order derived by stable passes on one field (by o: OSPC, then
 * by p: POSC; by c: CSPO, COSP, CPOS), in a sorter thread while this thread
 * puts (docs/modules/quadstore.md).  Needs three arrays of the buffer's size
 * besides it (RL_ERR_NOMEM if they cannot be had; the transaction is then
 * void); without a thread, the small path runs instead. */
static rl_status qs_flush(rl_qs *qs)
{
    size_t n = qs->npending;
    if (n == 0) return RL_OK;
    rl_quad *q = qs->pending;
    rl_status st = RL_OK;
    qs->npending = 0;
    flush_pipe fp = {q, NULL, NULL, NULL, n, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0};
    pthread_t th;
    int started = 0;
    if (n >= QS_RADIX_MIN) {
        fp.b = rl__qs_alloc(n * sizeof *q);
        fp.c = rl__qs_alloc(n * sizeof *q);
        fp.t = rl__qs_alloc(n * sizeof *q);
        if (!fp.b || !fp.c || !fp.t) {
            st = rl_errorf(qs->err, sizeof qs->err, RL_ERR_NOMEM, "write buffer (%zu quads)", n);
            goto out;
        }
        started = pthread_create(&th, NULL, flush_sorter, &fp) == 0;
    }
    if (!started) { /* small, or no thread to be had: sort each order here */
        for (int ix = 0; ix < IX_N && st == RL_OK; ix++) {
            qsort_r(q, n, sizeof *q, cmp_order, (void *)ix_order[ix]);
            st = put_sorted(qs, ix, q, n, ix == IX_CSPO);
        }
        goto out;
    }
    const rl_quad *arr[3] = {fp.a, fp.b, fp.c};
    for (int k = 0; k < 6 && st == RL_OK; k++) {
        pipe_wait(&fp, &fp.sorted, k + 1);
        int ix = flush_stage[k].ix;
        st = put_sorted(qs, ix, arr[flush_stage[k].dst], n, ix == IX_CSPO);
        if (st == RL_OK) pipe_post(&fp, &fp.put, k + 1);
    }
    if (st != RL_OK) { /* let the sorter leave its wait */
        pthread_mutex_lock(&fp.mu);
        fp.stop = 1;
        pthread_cond_broadcast(&fp.cv);
        pthread_mutex_unlock(&fp.mu);
    }
    pthread_join(th, NULL);
out:
    free(fp.b);
    free(fp.c);
    free(fp.t);
    return st;
}

rl_status rl_qs_add(rl_qs *qs, const rl_quad *q)
{
    if (!q->s || !q->p || !q->o)
        return rl_errorf(qs->err, sizeof qs->err, RL_ERR_USAGE, "quad with a zero term id");
    if (!qs->wtxn) {
        rl_status st = rl_qs_write_begin(qs);
        if (st == RL_OK) st = rl_qs_add(qs, q);
        if (st == RL_OK) return rl_qs_write_commit(qs);
        rl_qs_write_abort(qs);
        return st;
    }
    if (qs->npending == qs->cappending) {
        if (qs->npending >= qs->pending_max) {
            rl_status st = qs_flush(qs);
            if (st != RL_OK) return st;
        } else {
            size_t nc = qs->cappending ? qs->cappending * 2 : 1024;
            if (nc > qs->pending_max) nc = qs->pending_max;
            rl_quad *np = rl__qs_alloc(nc * sizeof *np);
            if (!np) return rl_errorf(qs->err, sizeof qs->err, RL_ERR_NOMEM, "write buffer");
            if (qs->npending) memcpy(np, qs->pending, qs->npending * sizeof *np);
            free(qs->pending);
            qs->pending = np;
            qs->cappending = nc;
        }
    }
    qs->pending[qs->npending++] = *q;
    return RL_OK;
}

rl_status rl_qs_remove(rl_qs *qs, const rl_quad *q, int *removed)
{
    if (removed) *removed = 0;
    if (!qs->wtxn) {
        rl_status st = rl_qs_write_begin(qs);
        if (st == RL_OK) st = rl_qs_remove(qs, q, removed);
        if (st == RL_OK) return rl_qs_write_commit(qs);
        rl_qs_write_abort(qs);
        return st;
    }
    rl_status st = qs_flush(qs);
    if (st != RL_OK) return st;
    unsigned char key[QS_KEY_MAX];
    MDB_val k = {0, key};
    k.mv_size = quad_key(qs, q, IX_SPOC, key);
    int rc = mdb_del(qs->wtxn, qs->ix[IX_SPOC], &k, NULL);
    if (rc == MDB_NOTFOUND) return RL_OK;
    if (rc) return rl__qs_mdb_err(qs, rc, "remove");
    for (int ix = 1; ix < IX_N; ix++) {
        k.mv_size = quad_key(qs, q, ix, key);
        rc = mdb_del(qs->wtxn, qs->ix[ix], &k, NULL);
        if (rc) return rl__qs_mdb_err(qs, rc, "remove from index");
    }
    if (removed) *removed = 1;
    return graph_count_add(qs, qs->wtxn, q->c, -1);
}

rl_status rl_qs_clear_graph(rl_qs *qs, rl_id c)
{
    rl_quad pat = {0, 0, 0, c}, q;
    rl_qs_iter *it = NULL;
    rl_quad *all = NULL;
    size_t n = 0, cap = 0;
    rl_status st;
    int own = !qs->wtxn;
    if (own && (st = rl_qs_write_begin(qs)) != RL_OK) return st;
    if ((st = rl_qs_find(qs, &pat, RL_QS_IN_GRAPH, &it)) != RL_OK) goto out;
    int r;
    while ((r = rl_qs_iter_next(it, &q)) == 1) {
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 256;
            rl_quad *na = realloc(all, nc * sizeof *na);
            if (!na) {
                st = rl_errorf(qs->err, sizeof qs->err, RL_ERR_NOMEM, "clear graph");
                goto out;
            }
            all = na;
            cap = nc;
        }
        all[n++] = q;
    }
    if (r < 0) {
        st = RL_ERR_STORE;
        goto out;
    }
    rl_qs_iter_free(it);
    it = NULL;
    for (size_t i = 0; i < n && st == RL_OK; i++) st = rl_qs_remove(qs, &all[i], NULL);
out:
    rl_qs_iter_free(it);
    free(all);
    if (own) {
        if (st == RL_OK) st = rl_qs_write_commit(qs);
        else rl_qs_write_abort(qs);
    }
    return st;
}

/* ---- counts ------------------------------------------------------------- */
rl_status rl_qs_count(rl_qs *qs, uint64_t *n)
{
    MDB_txn *txn = NULL;
    int owns = 0;
    MDB_stat ms;
    rl_status st = rl__qs_read_acquire(qs, &txn, &owns);
    if (st != RL_OK) return st;
    int rc = mdb_stat(txn, qs->ix[IX_SPOC], &ms);
    rl__qs_read_release(qs, owns);
    if (rc) return rl__qs_mdb_err(qs, rc, "count");
    *n = ms.ms_entries;
    return RL_OK;
}

rl_status rl_qs_graph_count(rl_qs *qs, rl_id c, uint64_t *n)
{
    MDB_txn *txn = NULL;
    int owns = 0;
    rl_status st = rl__qs_read_acquire(qs, &txn, &owns);
    if (st != RL_OK) return st;
    unsigned char kb[8];
    rl__put_be64(kb, c);
    MDB_val k = {8, kb}, v;
    *n = 0;
    int rc = mdb_get(txn, qs->graphs, &k, &v);
    if (rc == 0 && v.mv_size == 8) memcpy(n, v.mv_data, 8);
    else if (rc && rc != MDB_NOTFOUND) st = rl__qs_mdb_err(qs, rc, "graph count");
    rl__qs_read_release(qs, owns);
    return st;
}

rl_status rl_qs_graphs(rl_qs *qs, rl_id **ids, size_t *n)
{
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    int owns, rc;
    MDB_val k, v;
    size_t cap = 0;
    *ids = NULL;
    *n = 0;
    rl_status st = rl__qs_read_acquire(qs, &txn, &owns);
    if (st != RL_OK) return st;
    if ((rc = mdb_cursor_open(txn, qs->graphs, &cur)) != 0) {
        st = rl__qs_mdb_err(qs, rc, "list graphs");
        goto out;
    }
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        rl_id c = rl__get_be64(k.mv_data);
        if (c == 0) continue;
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            rl_id *na = realloc(*ids, nc * sizeof *na);
            if (!na) {
                st = rl_errorf(qs->err, sizeof qs->err, RL_ERR_NOMEM, "list graphs");
                goto out;
            }
            *ids = na;
            cap = nc;
        }
        (*ids)[(*n)++] = c;
    }
    if (rc != MDB_NOTFOUND) st = rl__qs_mdb_err(qs, rc, "list graphs");
out:
    if (cur) mdb_cursor_close(cur);
    rl__qs_read_release(qs, owns);
    if (st != RL_OK) {
        free(*ids);
        *ids = NULL;
        *n = 0;
    }
    return st;
}

rl_status rl_qs_version(rl_qs *qs, uint64_t *v)
{
    MDB_envinfo info;
    int rc = mdb_env_info(qs->env, &info);
    if (rc) return rl__qs_mdb_err(qs, rc, "store version");
    *v = (uint64_t)info.me_last_txnid;
    return RL_OK;
}

rl_status rl_qs_disk_usage(rl_qs *qs, uint64_t *bytes)
{
    MDB_envinfo info;
    MDB_stat ms;
    int rc = mdb_env_info(qs->env, &info);
    if (!rc) rc = mdb_env_stat(qs->env, &ms);
    if (rc) return rl__qs_mdb_err(qs, rc, "store size");
    *bytes = (uint64_t)(info.me_last_pgno + 1) * ms.ms_psize;
    return RL_OK;
}

/* ---- pattern scans ------------------------------------------------------ */
static int choose_index(const rl_quad *p, rl_qs_graph_mode mode, size_t *plen)
{
    int first = mode == RL_QS_IN_GRAPH ? IX_CSPO : IX_SPOC;
    int last = mode == RL_QS_IN_GRAPH ? IX_COSP : IX_OSPC;
    int bound = (p->s != 0) + (p->p != 0) + (p->o != 0) + (mode == RL_QS_IN_GRAPH);
    for (int ix = first; ix <= last; ix++) {
        size_t pl = 0;
        while (pl < 4) {
            int f = ix_order[ix][pl];
            if (f == 3 ? mode != RL_QS_IN_GRAPH : rl__quad_field(p, f) == 0) break;
            pl++;
        }
        if ((int)pl == bound) {
            *plen = pl;
            return ix;
        }
    }
    *plen = 0; /* not reached: the six orders cover every shape */
    return first;
}

/* Sets the iterator's store, mode, index and key prefix for `pattern`. */
static void iter_aim(rl_qs_iter *it, rl_qs *qs, const rl_quad *pattern, rl_qs_graph_mode mode)
{
    it->qs = qs;
    it->mode = mode;
    it->ix = choose_index(pattern, mode, &it->plen);
    unsigned char key[QS_KEY_MAX];
    quad_key(qs, pattern, it->ix, key);
    it->plen = key_prefix_len(qs, key, it->plen);
    memcpy(it->prefix, key, it->plen);
}

rl_status rl_qs_find(rl_qs *qs, const rl_quad *pattern, rl_qs_graph_mode mode, rl_qs_iter **out)
{
    *out = NULL;
    rl_qs_iter *it = qs->free_iters;
    if (it) {
        qs->free_iters = it->next_free;
        qs->nfree_iters--;
        memset(it, 0, sizeof *it);
    } else if (!(it = rl__qs_calloc(1, sizeof *it))) {
        return rl_errorf(qs->err, sizeof qs->err, RL_ERR_NOMEM, "find");
    }
    iter_aim(it, qs, pattern, mode);
    it->err = qs->err;
    rl_status st = rl__qs_read_acquire(qs, &it->txn, &it->owns_read);
    if (st != RL_OK) {
        free(it);
        return st;
    }
    int rc = 0;
    if (it->owns_read && qs->pool[it->ix]) {
        /* reuse the idle cursor: if the snapshot is the same, it is still
         * positioned, and LMDB then searches only its current leaf page */
        it->cur = qs->pool[it->ix];
        qs->pool[it->ix] = NULL;
        if (qs->pool_gen[it->ix] != qs->rtxn_gen) rc = mdb_cursor_renew(it->txn, it->cur);
    } else {
        rc = mdb_cursor_open(it->txn, qs->ix[it->ix], &it->cur);
    }
    if (rc) {
        st = rl__qs_mdb_err(qs, rc, "find");
        rl_qs_iter_free(it);
        return st;
    }
    *out = it;
    return RL_OK;
}

int rl_qs_iter_next(rl_qs_iter *it, rl_quad *q)
{
    MDB_val k, v;
    for (;;) {
        int rc;
        if (!it->started) {
            it->started = 1;
            k.mv_size = it->plen;
            k.mv_data = it->prefix;
            rc = it->plen ? mdb_cursor_get(it->cur, &k, &v, MDB_SET_RANGE)
                          : mdb_cursor_get(it->cur, &k, &v, MDB_FIRST);
        } else {
            rc = mdb_cursor_get(it->cur, &k, &v, MDB_NEXT);
        }
        if (rc == MDB_NOTFOUND) return 0;
        if (rc) {
            rl__qs_mdb_errf(it->err, rc, "scan");
            return -1;
        }
        if (k.mv_size < it->plen || memcmp(k.mv_data, it->prefix, it->plen) != 0) return 0;
        if (!key_quad(it->qs, k.mv_data, k.mv_size, it->ix, q)) {
            rl__qs_mdb_errf(it->err, MDB_CORRUPTED, "scan: not a quad key");
            return -1;
        }
        if (it->mode == RL_QS_UNION) {
            /* C is the last key field here, so copies of one triple in several
             * graphs are adjacent: report the triple once */
            if (it->have_last && it->last.s == q->s && it->last.p == q->p &&
                it->last.o == q->o)
                continue;
            it->last = *q;
            it->have_last = 1;
        }
        return 1;
    }
}

void rl_qs_iter_free(rl_qs_iter *it)
{
    if (!it) return;
    if (it->detached) {
        if (it->cur) mdb_cursor_close(it->cur);
        free(it);
        return;
    }
    rl_qs *qs = it->qs;
    if (it->cur && it->owns_read && !qs->pool[it->ix] && qs->rtxn_live) {
        qs->pool[it->ix] = it->cur; /* read-only cursors survive reset/renew */
        qs->pool_gen[it->ix] = qs->rtxn_gen;
    } else if (it->cur) {
        mdb_cursor_close(it->cur);
    }
    rl__qs_read_release(it->qs, it->owns_read);
    if (qs->nfree_iters < 16) {
        it->next_free = qs->free_iters;
        qs->free_iters = it;
        qs->nfree_iters++;
    } else {
        free(it);
    }
}

/* ---- readers (quadstore.h) ---------------------------------------------- */
rl_status rl_qs_reader_new(rl_qs *qs, rl_qs_reader **out, char *err, size_t cap)
{
    *out = NULL;
    rl_qs_reader *r = rl__qs_calloc(1, sizeof *r);
    if (!r) return rl_errorf(err, cap, RL_ERR_NOMEM, "lmdb reader: out of memory");
    r->qs = qs;
    int rc = mdb_txn_begin(qs->env, NULL, MDB_RDONLY, &r->txn);
    if (rc) {
        free(r);
        return rl_errorf(err, cap, RL_ERR_STORE, "lmdb reader: begin read snapshot: %s",
                         mdb_strerror(rc));
    }
    *out = r;
    return RL_OK;
}

void rl_qs_reader_free(rl_qs_reader *r)
{
    if (!r) return;
    mdb_txn_abort(r->txn);
    free(r);
}

const char *rl_qs_reader_errmsg(const rl_qs_reader *r)
{
    return r ? r->err : "";
}

rl_status rl_qs_reader_find(rl_qs_reader *r, const rl_quad *pattern, rl_qs_graph_mode mode,
                            rl_qs_iter **out)
{
    *out = NULL;
    rl_qs_iter *it = rl__qs_calloc(1, sizeof *it);
    if (!it) return rl_errorf(r->err, sizeof r->err, RL_ERR_NOMEM, "find");
    iter_aim(it, r->qs, pattern, mode);
    it->err = r->err;
    it->detached = 1;
    it->txn = r->txn;
    int rc = mdb_cursor_open(r->txn, r->qs->ix[it->ix], &it->cur);
    if (rc) {
        free(it);
        return rl__qs_mdb_errf(r->err, rc, "find");
    }
    *out = it;
    return RL_OK;
}
