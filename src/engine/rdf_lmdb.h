/* rdf_lmdb.h: the Redland storage module "lmdb" over the quad store.
 *
 * Registering it makes `librdf_new_storage(world, "lmdb", DIR, OPTIONS)` work
 * like any Redland storage, so rasqal queries it through librdf.  Options
 * (Redland hash syntax, e.g. "mapsize='1073741824',read-only='yes'"):
 *   mapsize     LMDB map size in bytes (default 256 GiB of address space)
 *   read-only   open without write access
 *   no-sync     do not fsync on commit (tests, benchmarks)
 * The storage always has contexts (named graphs); the default graph of a
 * query is the union of all graphs.
 *
 * Thread safety: as librdf itself, one world and everything made from it is
 * used by one thread at a time.
 */
#ifndef RL_RDF_LMDB_H
#define RL_RDF_LMDB_H

#include "quadstore.h"

#include <redland.h>

/* Registers the "lmdb" storage factory with `world`.  Returns RL_OK, or
 * RL_ERR_INTERNAL if librdf refused the factory. */
rl_status rl_rdf_lmdb_register(librdf_world *world);

/* The quad store behind an "lmdb" storage, or NULL if `storage` is not one.
 * Borrowed: valid as long as the storage. */
rl_qs *rl_rdf_lmdb_quads(librdf_storage *storage);
/* Sets the dataset of the next queries (SPARQL FROM / FROM NAMED, or the
 * protocol's default-graph-uri / named-graph-uri): the default graph is the
 * RDF merge of `dflt` (each triple once; none = empty), and GRAPH ranges
 * over `named` only.  nd = nn = 0 turns it off (the store's own default).
 * IRIs the store does not know are empty graphs.  RL_ERR_NOMEM only. */
rl_status rl_rdf_lmdb_set_dataset(librdf_storage *storage, const char *const *dflt, size_t nd,
                                  const char *const *named, size_t nn);

#endif
