/* memgraph.h: an in-memory, read-only view of selected predicates of a store,
 * indexed for walks (subject -> objects, object -> subjects), with the named
 * graph (batch) of every quad kept for provenance.
 *
 * Analyses that SPARQL serves badly (ordered runs, windows, joins over many
 * facts) load the predicates they need once and walk them in C.  Terms are
 * interned: an id names one IRI or one literal (by lexical form; the datatype
 * is dropped), so equal ids <=> equal terms of the same kind.  Id 0 is
 * "none".  The same (s, p, o) in several graphs is one fact with several
 * graphs (rl_mg_graphs).
 *
 * Ceilings: 64 million quads and 4 GiB of term text (RL_ERR_LIMIT).
 * Loading reads lmdb stores through the quad store (every quad with its
 * graph), any other storage through librdf.
 *
 * Thread safety: loading uses the store (one thread); a loaded graph is
 * read-only and may be read from several threads.
 */
#ifndef RL_MEMGRAPH_H
#define RL_MEMGRAPH_H

#include "store.h"

#include <stddef.h>
#include <stdint.h>

typedef uint32_t rl_mg_id;
typedef struct rl_memgraph rl_memgraph;

typedef enum rl_mg_kind { RL_MG_IRI = 1, RL_MG_LITERAL = 2 } rl_mg_kind;

/* A new empty graph, or NULL when out of memory. */
rl_memgraph *rl_mg_new(void);
/* NULL is a no-op. */
void rl_mg_free(rl_memgraph *g);

/* Loads every quad whose predicate is one of `preds` (NULL-terminated full
 * IRIs) from `st`, in every graph; blank-node subjects and objects are kept
 * with their labels as IRIs "_:label".  Call once, before any lookup.
 * Errors: RL_ERR_STORE (message in err), RL_ERR_LIMIT, RL_ERR_NOMEM; the
 * graph is then empty. */
rl_status rl_mg_load(rl_memgraph *g, rl_store *st, const char *const *preds, char *err, size_t cap);

/* Adds one quad by strings (tests, and facts computed in memory); graph
 * may be NULL.  Only before rl_mg_seal; rl_mg_load seals. */
rl_status rl_mg_add(rl_memgraph *g, const char *s, const char *p, const char *o, rl_mg_kind okind,
                    const char *graph);
/* Sorts the indexes; lookups are valid afterwards.  RL_ERR_NOMEM. */
rl_status rl_mg_seal(rl_memgraph *g);

/* The id of a term, 0 when the graph does not hold it. */
rl_mg_id rl_mg_iri(const rl_memgraph *g, const char *iri);
rl_mg_id rl_mg_lit(const rl_memgraph *g, const char *lexical);
/* The text of a term ("" for 0), and its kind (0 for id 0).  Borrowed. */
const char *rl_mg_str(const rl_memgraph *g, rl_mg_id id);
rl_mg_kind rl_mg_kind_of(const rl_memgraph *g, rl_mg_id id);

/* Iteration over distinct objects of (s, p) or distinct subjects of (p, o),
 * in id order.  rl_mg_next returns 0 at the end. */
typedef struct rl_mg_iter {
    const void *cur, *end;
    int by_object;
} rl_mg_iter;
rl_mg_iter rl_mg_objects(const rl_memgraph *g, rl_mg_id s, rl_mg_id p);
rl_mg_iter rl_mg_subjects(const rl_memgraph *g, rl_mg_id p, rl_mg_id o);
/* Every distinct subject having predicate p. */
rl_mg_iter rl_mg_with(const rl_memgraph *g, rl_mg_id p);
int rl_mg_next(rl_mg_iter *it, rl_mg_id *term);

/* The smallest object of (s, p), 0 when none; its text ("" when none). */
rl_mg_id rl_mg_one(const rl_memgraph *g, rl_mg_id s, rl_mg_id p);
const char *rl_mg_text(const rl_memgraph *g, rl_mg_id s, rl_mg_id p);
/* The object of (s, p) as a number: 1 and *v when it parses as a decimal. */
int rl_mg_num(const rl_memgraph *g, rl_mg_id s, rl_mg_id p, double *v);

/* Calls fn for each graph holding (s, p, o) (o = 0: any object); stops when
 * fn returns non-zero. */
void rl_mg_graphs(const rl_memgraph *g, rl_mg_id s, rl_mg_id p, rl_mg_id o,
                  int (*fn)(void *ctx, rl_mg_id graph), void *ctx);

/* Quads loaded (after dedup of identical quads). */
size_t rl_mg_size(const rl_memgraph *g);

#endif
