/* export.h: write a store, or one graph, as N-Quads.
 * Thread safety: as the store. */
#ifndef RL_EXPORT_H
#define RL_EXPORT_H

#include "store.h"

#include <stdio.h>

/* Writes every quad (graph == NULL) or the quads of graph IRI `graph` to
 * `out` as N-Quads, from one read snapshot.  *n (may be NULL) gets the count.
 * RL_ERR_NOTFOUND if the named graph is empty or unknown; RL_ERR_IO if writing
 * fails. */
rl_status rl_export_nquads(rl_store *st, const char *graph, FILE *out, uint64_t *n, char *err,
                           size_t cap);

#endif
