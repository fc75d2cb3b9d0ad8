/* graphstore.h: whole-graph operations of the SPARQL 1.1 Graph Store HTTP
 * Protocol: load a document into a graph (PUT replaces, POST adds), drop a
 * graph, ask whether a graph exists.  Each call is one store transaction.
 *
 * Documents: Turtle, N-Triples, RDF/XML (Raptor), by MIME type
 * (text/turtle, application/n-triples, application/rdf+xml, text/plain =
 * N-Triples).  Blank nodes are scoped to the request.  Thread safety: as the
 * store (the caller serialises writers).
 */
#ifndef RL_GRAPHSTORE_H
#define RL_GRAPHSTORE_H

#include "store.h"

#include <stdint.h>

/* The Raptor parser for a Content-Type (parameters ignored), or NULL. */
const char *rl_graph_syntax_for(const char *content_type);

/* 1 if the graph holds a triple. */
int rl_graph_exists(rl_store *st, const char *graph);

/* Parses `data` (len bytes, syntax a Raptor parser name, base = the graph
 * IRI) and writes its triples into `graph`, first clearing it when
 * `replace`.  *added gets the triples written, *created whether the graph
 * did not exist.  Errors: RL_ERR_INPUT (the parser's message with the line),
 * RL_ERR_LIMIT (more than max_triples, 0 = 10 million), RL_ERR_STORE.  On
 * error the store is unchanged. */
rl_status rl_graph_load(rl_store *st, const char *graph, const char *data, size_t len,
                        const char *syntax, int replace, uint64_t max_triples, uint64_t *added,
                        int *created, char *err, size_t cap);

/* Removes every triple of `graph`.  RL_ERR_NOTFOUND when it does not exist. */
rl_status rl_graph_drop(rl_store *st, const char *graph, char *err, size_t cap);

#endif
