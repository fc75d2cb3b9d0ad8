/* quadstore_int.h: what quadstore.c and qs_dict.c (the dictionary) share.
 * Internal to the quad store: nothing outside these two files includes it. */
#ifndef RL_QUADSTORE_INT_H
#define RL_QUADSTORE_INT_H

#include "quadstore.h"

#include <lmdb.h>
#include <pthread.h>

#define QS_KEY_INLINE_MAX 480 /* longer term encodings are keyed by SHA-256 */
#define QS_KEY_MAX 36 /* a quad key: 4 x (length byte + up to 8 id bytes) */
#define QS_CACHE_SLOTS (1u << 20) /* 32 MiB of slots; keys are copies */

enum { IX_SPOC, IX_POSC, IX_OSPC, IX_CSPO, IX_CPOS, IX_COSP, IX_N };

typedef struct cache_slot {
    uint64_t hash;
    rl_id id;
    unsigned char *key; /* owned copy of the term encoding */
    size_t len;
} cache_slot;

struct rl_qs {
    MDB_env *env;
    MDB_dbi ix[IX_N];
    MDB_dbi t2i, i2t, meta, graphs;
    MDB_txn *wtxn;      /* open write transaction or NULL */
    MDB_txn *rtxn;      /* reusable read transaction (reset when unused) */
    unsigned rrefs;     /* users of rtxn (iterators, pins, calls) */
    int rtxn_live;      /* rtxn is begun/renewed, not reset */
    uint64_t rtxn_gen;  /* increments each time rtxn is begun or renewed */
    MDB_cursor *pool[IX_N];   /* one idle, positioned read cursor per index */
    struct rl_qs_iter *free_iters; /* recycled iterator structs (at most 16) */
    int nfree_iters;
    uint64_t pool_gen[IX_N];  /* rtxn_gen the pooled cursor was used under */
    rl_id next_id;      /* valid inside a write transaction */
    rl_quad *pending;   /* buffered writes of the open transaction */
    size_t npending, cappending, pending_max;
    cache_slot *cache;  /* term -> id, direct-mapped */
    int read_only;
    int format, create_format; /* the store's key format; the one a new store gets */
    uint64_t generation; /* aborted write transactions so far */
    /* the write slot: taken by rl_qs_write_begin(_wait), given back by
     * commit/abort; the only state shared between threads (quadstore.h) */
    pthread_mutex_t gate_mu;
    pthread_cond_t gate_cv;
    int gate_busy;
    char err[512];
};

struct rl_qs_reader {
    rl_qs *qs;    /* only its environment, tables and key format are read */
    MDB_txn *txn; /* the reader's own snapshot */
    char err[512];
};

struct rl_qs_iter {
    struct rl_qs_iter *next_free;
    rl_qs *qs;
    MDB_txn *txn;
    int owns_read; /* holds a reference on qs->rtxn */
    MDB_cursor *cur;
    int ix;
    unsigned char prefix[QS_KEY_MAX];
    size_t plen;
    rl_qs_graph_mode mode;
    int started;
    rl_quad last;
    int have_last;
    char *err;     /* where scan errors go: the handle's or the reader's message */
    int detached;  /* a reader's iterator: own cursor, not pooled */
};


/* Field f of a quad: 0 s, 1 p, 2 o, 3 c. */
static inline rl_id rl__quad_field(const rl_quad *q, int f)
{
    return f == 0 ? q->s : f == 1 ? q->p : f == 2 ? q->o : q->c;
}

/* qs_sort.c: stable LSD radix sort of n quads by one field (0 s, 1 p, 2 o,
 * 3 c), or by a whole order (fields most significant first); tmp is scratch
 * space for n quads, the result is in q. */
void rl__qs_sort_field(rl_quad *q, rl_quad *tmp, size_t n, int f);
void rl__qs_sort(rl_quad *q, rl_quad *tmp, size_t n, const int order[4]);

/* allocation with the fault-injection hook (rl__qs_fail_alloc_after) */
void *rl__qs_alloc(size_t n);
void *rl__qs_calloc(size_t a, size_t b);
/* sets qs->err from an LMDB code; RL_ERR_LIMIT for a full map */
rl_status rl__qs_mdb_err(rl_qs *qs, int rc, const char *what);
/* the same into any message buffer of sizeof qs->err bytes */
rl_status rl__qs_mdb_errf(char *err, int rc, const char *what);
void rl__put_be64(unsigned char *p, uint64_t v);
uint64_t rl__get_be64(const unsigned char *p);
/* the transaction to read from (the write one, flushed, or the shared snapshot) */
rl_status rl__qs_read_acquire(rl_qs *qs, MDB_txn **txn, int *owns);
void rl__qs_read_release(rl_qs *qs, int owns);
/* empties the term cache (after an abort: its ids are void) */
void rl__qs_cache_clear(rl_qs *qs);

#endif
