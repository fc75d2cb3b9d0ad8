/* store.h: one RDF store named by a URI, with its librdf world and model.
 *
 * Store URIs (the `--store` option / ROOTLINE_STORE):
 *   lmdb:DIR[?mapsize=BYTES&no-sync=yes]  the embedded store (default lmdb:./var/store)
 *   memory:                               in-memory Redland `hashes` (process lifetime
 *                                         only; `trees` has no named graphs)
 *   NAME:ARG[?k=v&...]                    any other Redland storage, e.g.
 *                                         hashes:db?hash-type=bdb&dir=/var/lib/x
 * Every storage is opened with contexts: each import is a named graph.
 *
 * Messages from librdf/rasqal/raptor are collected by the store (never
 * printed): rl_store_log_last() returns the last error with its locator.
 * Thread safety: a store and everything made from its world is used by one
 * thread at a time (librdf is not thread-safe); use one store per process.
 */
#ifndef RL_STORE_H
#define RL_STORE_H

#include "quadstore.h"

#include <redland.h>

#define RL_STORE_DEFAULT_URI "lmdb:./var/store"

typedef struct rl_store rl_store;

typedef struct rl_store_options {
    int read_only; /* lmdb: open read-only */
} rl_store_options;

/* Opens the store named by `uri` (NULL = $ROOTLINE_STORE or the default).
 * `opt` may be NULL.  Errors: RL_ERR_USAGE (malformed URI), RL_ERR_STORE,
 * RL_ERR_NOTFOUND, RL_ERR_NOMEM, with the message in err[cap]. */
rl_status rl_store_new(const char *uri, const rl_store_options *opt, rl_store **out, char *err,
                       size_t cap);
/* Closes the store (rolling back an open transaction).  NULL is a no-op. */
void rl_store_free(rl_store *st);

/* Resolves the effective store URI: `uri` if set, else $ROOTLINE_STORE, else
 * the default.  Returns a borrowed string. */
const char *rl_store_resolve_uri(const char *uri);

librdf_world *rl_store_world(rl_store *st);
librdf_model *rl_store_model(rl_store *st);
/* The quad store for lmdb: stores, NULL for other storages.  Borrowed. */
rl_qs *rl_store_quads(rl_store *st);
/* The dataset of the next queries (FROM / FROM NAMED, default-graph-uri /
 * named-graph-uri; rdf_lmdb.h); none of either = the store's own default.
 * RL_ERR_UNSUPPORTED on storages other than lmdb when a dataset is given. */
rl_status rl_store_set_dataset(rl_store *st, const char *const *dflt, size_t nd, const char *const *named,
                               size_t nn);
/* The storage kind ("lmdb", "trees", "hashes", ...).  Borrowed. */
const char *rl_store_kind(const rl_store *st);

/* Transactions: lmdb maps them to one LMDB write transaction; other storages
 * use librdf's if they have one (trees and hashes do not). */
rl_status rl_store_begin(rl_store *st);
rl_status rl_store_commit(rl_store *st);
void rl_store_rollback(rl_store *st);
/* Whether rl_store_begin gives a real all-or-nothing transaction. */
int rl_store_is_transactional(const rl_store *st);

/* The store's data version: lmdb gives the id of the last committed write
 * transaction (by any process), so an answer computed at version v is still
 * right while the version is v.  RL_ERR_UNSUPPORTED for storages without one
 * (nothing may then be cached). */
rl_status rl_store_version(rl_store *st, uint64_t *v);

/* Pins one read snapshot for a query (lmdb; a no-op elsewhere). Nests. */
rl_status rl_store_snapshot_begin(rl_store *st);
void rl_store_snapshot_end(rl_store *st);

/* The first error reported by librdf/raptor/rasqal since rl_store_log_clear
 * (warnings are dropped), formatted "line L, column C: message" when a locator was
 * given; "" if none.  Borrowed, valid until the next librdf call. */
const char *rl_store_log_last(const rl_store *st);
/* Line number of that message's locator, or -1. */
int rl_store_log_line(const rl_store *st);
void rl_store_log_clear(rl_store *st);
/* Routes messages of rasqal objects the caller creates itself (rasqal_new_query
 * on this world's rasqal) into the same log.  librdf re-routes rasqal to its
 * own logger on every librdf_new_query, which also ends up in this log. */
void rl_store_capture_rasqal(rl_store *st);

/* Blank-node ids: the store's Raptor world keeps the labels a document gives,
 * marked with 'u' (`_:x` becomes "ux"); between rl_store_bnode_scope_begin and _end, unlabelled
 * blank nodes are numbered from zero ("g1", "g2"...), so one document always
 * gives the same labels (import prefixes them per batch).  Outside a scope,
 * generated ids are unique in time (r<time>r<pid>r<n>), as librdf's are. */
void rl_store_bnode_scope_begin(rl_store *st);
void rl_store_bnode_scope_end(rl_store *st);

/* Statistics without scanning (lmdb); other storages report what librdf gives. */
typedef struct rl_store_stats {
    uint64_t quads;
    uint64_t graphs;
    uint64_t disk_bytes; /* 0 when not applicable */
} rl_store_stats;
rl_status rl_store_stats_get(rl_store *st, rl_store_stats *out, char *err, size_t cap);

#endif
