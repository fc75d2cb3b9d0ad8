/* qs_dict.c: the quad store's dictionary: term encodings <-> 64-bit ids,
 * with a direct-mapped cache.  See quadstore.h and docs/modules/quadstore.md. */
#include "quadstore_int.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

/* Hash for the in-memory term cache (not a digest): 8 bytes per step. */
uint64_t rl_qs_term_hash(const unsigned char *b, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, b, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
        b += 8;
        n -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, b, n);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 29);
}

void rl__qs_cache_clear(rl_qs *qs)
{
    if (!qs->cache) return;
    for (size_t i = 0; i < QS_CACHE_SLOTS; i++) {
        free(qs->cache[i].key);
        qs->cache[i].key = NULL;
        qs->cache[i].id = 0;
    }
}

/* ---- dictionary --------------------------------------------------------- */
static rl_status term_key(const unsigned char *enc, size_t len, unsigned char *buf, MDB_val *k)
{
    if (len <= QS_KEY_INLINE_MAX) {
        k->mv_data = (void *)enc;
        k->mv_size = len;
        return RL_OK;
    }
    unsigned int dl = 0;
    buf[0] = 'H';
    if (!EVP_Digest(enc, len, buf + 1, &dl, EVP_sha256(), NULL)) return RL_ERR_INTERNAL;
    k->mv_data = buf;
    k->mv_size = 1 + dl;
    return RL_OK;
}

/* The id stored for key k in txn (0 when none); errors into err. */
static rl_status dict_get(const rl_qs *qs, MDB_txn *txn, char *err, MDB_val *k, rl_id *id)
{
    MDB_val v;
    int rc = mdb_get(txn, qs->t2i, k, &v);
    if (rc == 0 && v.mv_size == 8) *id = rl__get_be64(v.mv_data);
    else if (rc != MDB_NOTFOUND) return rl__qs_mdb_errf(err, rc, "look up term");
    return RL_OK;
}

rl_status rl_qs_term_id(rl_qs *qs, const unsigned char *enc, size_t len, int create, rl_id *id)
{
    *id = 0;
    if (len == 0) return rl_errorf(qs->err, sizeof qs->err, RL_ERR_USAGE, "empty term");
    if (create && !qs->wtxn)
        return rl_errorf(qs->err, sizeof qs->err, RL_ERR_USAGE,
                         "creating a term needs a write transaction");
    uint64_t h = rl_qs_term_hash(enc, len);
    cache_slot *slot = &qs->cache[h & (QS_CACHE_SLOTS - 1)];
    if (slot->key && slot->hash == h && slot->len == len && !memcmp(slot->key, enc, len)) {
        *id = slot->id;
        return RL_OK;
    }
    unsigned char hbuf[1 + EVP_MAX_MD_SIZE];
    MDB_val k, v;
    rl_status st = term_key(enc, len, hbuf, &k);
    if (st != RL_OK) return rl_errorf(qs->err, sizeof qs->err, st, "term digest failed");
    MDB_txn *txn = NULL;
    int owns = 0;
    /* Inside a write transaction the dictionary reads t2i directly: going
     * through rl__qs_read_acquire would flush the buffered quads on every
     * term the cache misses (measured: ~290k flushes of a few quads each for
     * one 100k-result file, defeating the sorted writes). */
    if (qs->wtxn) txn = qs->wtxn;
    else if ((st = rl__qs_read_acquire(qs, &txn, &owns)) != RL_OK) return st;
    int rc;
    if (create) {
        /* One search: NOOVERWRITE returns the stored id if the term exists. */
        unsigned char idb[8];
        rl__put_be64(idb, qs->next_id);
        v.mv_size = 8;
        v.mv_data = idb;
        rc = mdb_put(txn, qs->t2i, &k, &v, MDB_NOOVERWRITE);
        if (rc == MDB_KEYEXIST && v.mv_size == 8) {
            *id = rl__get_be64(v.mv_data);
            rc = 0;
        } else if (rc == 0) {
            MDB_val iv = {8, idb}, tv = {len, (void *)enc};
            rc = mdb_put(txn, qs->i2t, &iv, &tv, MDB_APPEND);
            if (!rc) *id = qs->next_id++;
        }
        if (rc) st = rl__qs_mdb_err(qs, rc, "add term");
    } else {
        st = dict_get(qs, txn, qs->err, &k, id);
    }
    rl__qs_read_release(qs, owns);
    if (st == RL_OK && *id) {
        unsigned char *copy = rl__qs_alloc(len);
        if (copy) { /* the cache is an optimisation: no memory, no entry */
            memcpy(copy, enc, len);
            free(slot->key);
            slot->key = copy;
            slot->len = len;
            slot->hash = h;
            slot->id = *id;
        }
    }
    return st;
}

static rl_status dict_bytes(const rl_qs *qs, MDB_txn *txn, char *err, rl_id id,
                            void (*fn)(void *ud, const unsigned char *b, size_t n), void *ud)
{
    unsigned char idb[8];
    rl__put_be64(idb, id);
    MDB_val k = {8, idb}, v;
    int rc = mdb_get(txn, qs->i2t, &k, &v);
    if (rc == 0) fn(ud, v.mv_data, v.mv_size);
    else if (rc == MDB_NOTFOUND)
        return rl_errorf(err, sizeof qs->err, RL_ERR_NOTFOUND, "term id %llu unknown",
                         (unsigned long long)id);
    else return rl__qs_mdb_errf(err, rc, "read term");
    return RL_OK;
}

rl_status rl_qs_term_bytes(rl_qs *qs, rl_id id,
                           void (*fn)(void *ud, const unsigned char *b, size_t n), void *ud)
{
    MDB_txn *txn = NULL;
    int owns = 0;
    rl_status st = rl__qs_read_acquire(qs, &txn, &owns);
    if (st != RL_OK) return st;
    st = dict_bytes(qs, txn, qs->err, id, fn, ud);
    rl__qs_read_release(qs, owns);
    return st;
}


typedef rl_status (*prefixed_fn)(void *ud, rl_id id, const unsigned char *b, size_t len);

static rl_status dict_prefixed(const rl_qs *qs, MDB_txn *txn, char *err,
                               const unsigned char *prefix, size_t n, prefixed_fn fn, void *ud)
{
    MDB_cursor *cur = NULL;
    int rc;
    rl_status st = RL_OK;
    if ((rc = mdb_cursor_open(txn, qs->t2i, &cur)) != 0) return rl__qs_mdb_errf(err, rc, "scan terms");
    /* inline keys are the encodings: one range; then the digest-keyed ('H') ones */
    for (int pass = 0; pass < 2 && st == RL_OK; pass++) {
        MDB_val k = {pass ? 1 : n, pass ? (void *)"H" : (void *)prefix}, v, i, t;
        for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 && st == RL_OK;
             rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            const unsigned char *kb = k.mv_data;
            if (pass == 0 && (k.mv_size < n || memcmp(kb, prefix, n))) break;
            if (pass == 1 && (!k.mv_size || kb[0] != 'H')) break;
            if (v.mv_size != 8) continue;
            rl_id id = rl__get_be64(v.mv_data);
            if (pass == 0) {
                st = fn(ud, id, kb, k.mv_size);
                continue;
            }
            unsigned char idb[8];
            rl__put_be64(idb, id);
            i.mv_size = 8;
            i.mv_data = idb;
            if (mdb_get(txn, qs->i2t, &i, &t) == 0 && t.mv_size >= n && !memcmp(t.mv_data, prefix, n))
                st = fn(ud, id, t.mv_data, t.mv_size);
        }
        if (rc && rc != MDB_NOTFOUND && st == RL_OK) st = rl__qs_mdb_errf(err, rc, "scan terms");
    }
    mdb_cursor_close(cur);
    return st;
}

rl_status rl_qs_terms_prefixed(rl_qs *qs, const unsigned char *prefix, size_t n, prefixed_fn fn,
                               void *ud)
{
    MDB_txn *txn = NULL;
    int owns = 0;
    rl_status st = rl__qs_read_acquire(qs, &txn, &owns);
    if (st != RL_OK) return st;
    st = dict_prefixed(qs, txn, qs->err, prefix, n, fn, ud);
    rl__qs_read_release(qs, owns);
    return st;
}

/* ---- readers (quadstore.h): the same reads in the reader's snapshot ----- */
rl_status rl_qs_reader_term_id(rl_qs_reader *r, const unsigned char *enc, size_t len, rl_id *id)
{
    *id = 0;
    if (len == 0) return rl_errorf(r->err, sizeof r->err, RL_ERR_USAGE, "empty term");
    unsigned char hbuf[1 + EVP_MAX_MD_SIZE];
    MDB_val k;
    rl_status st = term_key(enc, len, hbuf, &k);
    if (st != RL_OK) return rl_errorf(r->err, sizeof r->err, st, "term digest failed");
    return dict_get(r->qs, r->txn, r->err, &k, id);
}

rl_status rl_qs_reader_term_bytes(rl_qs_reader *r, rl_id id,
                                  void (*fn)(void *ud, const unsigned char *b, size_t n), void *ud)
{
    return dict_bytes(r->qs, r->txn, r->err, id, fn, ud);
}

rl_status rl_qs_reader_terms_prefixed(rl_qs_reader *r, const unsigned char *prefix, size_t n,
                                      prefixed_fn fn, void *ud)
{
    return dict_prefixed(r->qs, r->txn, r->err, prefix, n, fn, ud);
}
