/* quadstore.h: dictionary-encoded quads on LMDB (the engine's embedded store).
 *
 * Terms are mapped to 64-bit ids (dictionary: term bytes -> id, id -> term
 * bytes).  Each quad (s, p, o, c) is stored in six indexes (SPOC, POSC, OSPC,
 * CSPO, CPOS, COSP) so that every one of the 16 bound/unbound pattern shapes is
 * a prefix range scan.  Context id 0 is "no graph".  Counts come from LMDB's
 * own page statistics and a per-graph counter table, never from a scan.
 *
 * Transactions: at most one write transaction per handle; it is one LMDB write
 * transaction, so everything written between rl_qs_write_begin and
 * rl_qs_write_commit lands whole or not at all.  Readers use MVCC snapshots
 * (read transactions) and never block the writer; any number of processes may
 * open the same directory.  Never share a handle across fork(): open it in
 * the child.
 *
 * Thread safety: one handle is used by one thread at a time, with two
 * exceptions made for a pipelined import (writer.c, import.c):
 * rl_qs_write_begin_wait may be called from another thread and waits for the
 * open write transaction to end, and readers (rl_qs_reader_*) may be used by
 * one thread while another thread writes through the handle.
 */
#ifndef RL_QUADSTORE_H
#define RL_QUADSTORE_H

#include "status.h"

#include <stddef.h>
#include <stdint.h>

typedef uint64_t rl_id;
typedef struct rl_quad {
    rl_id s, p, o, c;
} rl_quad;

typedef struct rl_qs rl_qs;
typedef struct rl_qs_iter rl_qs_iter;

typedef struct rl_qs_options {
    uint64_t map_size;      /* LMDB map size in bytes (0 = 256 GiB) */
    size_t pending_max;     /* quads buffered before a sorted flush (0 = 4Mi = 128 MiB;
                             * a large flush takes three times that again) */
    int read_only;          /* open without write access */
    int no_sync;            /* skip fsync on commit (benchmarks/tests only) */
    int format;             /* key format of a new store (0 = newest; 1 for tests
                             * of stores made by earlier versions) */
} rl_qs_options;

/* How rl_qs_find treats the context position. */
typedef enum rl_qs_graph_mode {
    RL_QS_UNION,     /* any graph; each (s,p,o) reported once (default graph) */
    RL_QS_IN_GRAPH,  /* exactly graph c (0 = triples without a graph) */
    RL_QS_ALL_QUADS  /* every quad, duplicates across graphs kept (export) */
} rl_qs_graph_mode;

/* Opens (creating if needed) the store in directory `dir`.  `opt` may be NULL.
 * On error returns RL_ERR_STORE/RL_ERR_IO with a message in err[cap]. */
rl_status rl_qs_new(const char *dir, const rl_qs_options *opt, rl_qs **out, char *err,
                    size_t cap);
/* Aborts any open write transaction and closes the store.  NULL is a no-op. */
void rl_qs_free(rl_qs *qs);
/* The last error message of this handle ("" if none).  Owned by the handle. */
const char *rl_qs_errmsg(const rl_qs *qs);

/* Write transactions.  begin fails with RL_ERR_USAGE if one is open. */
rl_status rl_qs_write_begin(rl_qs *qs);
rl_status rl_qs_write_commit(rl_qs *qs);
void rl_qs_write_abort(rl_qs *qs);
int rl_qs_in_write(const rl_qs *qs);
/* As rl_qs_write_begin, but when a write transaction is open (begun by
 * another thread) waits until it is committed or aborted instead of failing.
 * The thread that then holds the transaction uses the handle alone, as
 * above; the wait gives it everything the previous holder wrote (the term
 * cache included).  Never call it from the thread that holds the open
 * transaction: that waits forever. */
rl_status rl_qs_write_begin_wait(rl_qs *qs);
/* Increments every time a write transaction is aborted: ids handed out in it
 * may be reused, so callers caching id -> term must drop their cache. */
uint64_t rl_qs_generation(const rl_qs *qs);
/* The id of the last committed write transaction of the environment, by any
 * process (LMDB's meta page): equal ids <=> the same committed data. */
rl_status rl_qs_version(rl_qs *qs, uint64_t *v);

/* Pins one read snapshot until the matching end, so every read between them
 * (e.g. one query, evaluated lazily) sees the same data.  Nests. */
rl_status rl_qs_snapshot_begin(rl_qs *qs);
void rl_qs_snapshot_end(rl_qs *qs);

/* Looks up the id of an encoded term (see term.h).  With `create` (requires a
 * write transaction) a missing term gets a new id; otherwise *id = 0 when the
 * term is unknown. */
rl_status rl_qs_term_id(rl_qs *qs, const unsigned char *enc, size_t len, int create, rl_id *id);
/* A fast hash of a term encoding (not a digest; the term cache's).  Pure:
 * any thread. */
uint64_t rl_qs_term_hash(const unsigned char *enc, size_t len);
/* Copies the encoding of term `id` into the caller's callback: `fn` is called
 * once with the bytes (valid only during the call).  RL_ERR_NOTFOUND if unknown. */
rl_status rl_qs_term_bytes(rl_qs *qs, rl_id id,
                           void (*fn)(void *ud, const unsigned char *b, size_t n), void *ud);

/* Calls fn(ud, id, encoding, length) for every stored term whose encoding
 * starts with the `n` bytes of `prefix` (e.g. 'U' + an IRI prefix), in
 * encoding order, then the long ones (keyed by digest, read back and
 * checked).  The bytes are valid only during the call; fn returning non-OK
 * stops the walk with that status.  Reads the write transaction if one is
 * open, else the shared snapshot.  Same thread rules as rl_qs_find. */
rl_status rl_qs_terms_prefixed(rl_qs *qs, const unsigned char *prefix, size_t n,
                               rl_status (*fn)(void *ud, rl_id id, const unsigned char *b,
                                               size_t len),
                               void *ud);

/* Adds a quad (ids from rl_qs_term_id).  Inside a write transaction the quad
 * is buffered and flushed sorted; outside one, it is committed at once. */
rl_status rl_qs_add(rl_qs *qs, const rl_quad *q);
/* Removes one exact quad; *removed (may be NULL) says whether it existed. */
rl_status rl_qs_remove(rl_qs *qs, const rl_quad *q, int *removed);
/* Removes every quad of graph c. */
rl_status rl_qs_clear_graph(rl_qs *qs, rl_id c);

/* Number of stored quads. */
rl_status rl_qs_count(rl_qs *qs, uint64_t *n);
/* Number of quads in graph c (0 if the graph is unknown). */
rl_status rl_qs_graph_count(rl_qs *qs, rl_id c, uint64_t *n);
/* The ids of all non-empty named graphs (c != 0); *ids is malloc'd, caller frees. */
rl_status rl_qs_graphs(rl_qs *qs, rl_id **ids, size_t *n);
/* Bytes used by the data file (pages in use x page size). */
rl_status rl_qs_disk_usage(rl_qs *qs, uint64_t *bytes);

/* Starts a pattern scan: 0 in s/p/o is a wildcard; c as `mode` says.  The
 * iterator holds a read snapshot until freed.  Free iterators before
 * committing a write transaction they read from. */
rl_status rl_qs_find(rl_qs *qs, const rl_quad *pattern, rl_qs_graph_mode mode,
                     rl_qs_iter **out);
/* Next match into *q: returns 1 on a match, 0 at the end, -1 on error. */
int rl_qs_iter_next(rl_qs_iter *it, rl_quad *q);
/* Frees the iterator and releases its snapshot.  NULL is a no-op. */
void rl_qs_iter_free(rl_qs_iter *it);

/* A reader: its own LMDB read transaction on the last committed data, and
 * its own error message.  It touches nothing of the handle that changes
 * (no term cache, no shared snapshot, no pooled cursors), so one thread may
 * read through it while another writes through the handle; it never sees
 * that writer's open transaction.  One reader is used by one thread.
 * Free its iterators before the reader.  The handle must outlive it. */
typedef struct rl_qs_reader rl_qs_reader;
/* RL_ERR_NOMEM, RL_ERR_STORE (no reader slot: message in err[cap]). */
rl_status rl_qs_reader_new(rl_qs *qs, rl_qs_reader **out, char *err, size_t cap);
/* Ends the read transaction.  NULL is a no-op. */
void rl_qs_reader_free(rl_qs_reader *r);
/* The reader's last error message ("" if none); owned by the reader. */
const char *rl_qs_reader_errmsg(const rl_qs_reader *r);
/* As rl_qs_term_id without `create`: *id = 0 when the term is unknown. */
rl_status rl_qs_reader_term_id(rl_qs_reader *r, const unsigned char *enc, size_t len, rl_id *id);
/* As rl_qs_term_bytes and rl_qs_terms_prefixed, in the reader's snapshot. */
rl_status rl_qs_reader_term_bytes(rl_qs_reader *r, rl_id id,
                                  void (*fn)(void *ud, const unsigned char *b, size_t n), void *ud);
rl_status rl_qs_reader_terms_prefixed(rl_qs_reader *r, const unsigned char *prefix, size_t n,
                                      rl_status (*fn)(void *ud, rl_id id, const unsigned char *b,
                                                      size_t len),
                                      void *ud);
/* As rl_qs_find, in the reader's snapshot; free the iterator with
 * rl_qs_iter_free (errors of rl_qs_iter_next go to the reader's message). */
rl_status rl_qs_reader_find(rl_qs_reader *r, const rl_quad *pattern, rl_qs_graph_mode mode,
                            rl_qs_iter **out);

/* Test hook: make the n-th subsequent allocation in this module fail (0 = off). */
void rl__qs_fail_alloc_after(unsigned n);

#endif
