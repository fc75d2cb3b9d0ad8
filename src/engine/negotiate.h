/* negotiate.h: HTTP content negotiation for SPARQL results (RFC 9110 Accept
 * with q-values and wildcards).
 *
 * Bindings (SELECT/ASK): SPARQL JSON (application/sparql-results+json,
 * application/json), XML (application/sparql-results+xml, application/xml,
 * text/xml), CSV (text/csv), TSV (text/tab-separated-values).  Graphs
 * (CONSTRUCT/DESCRIBE): Turtle (text/turtle, application/x-turtle),
 * N-Triples (application/n-triples, text/plain), N-Quads
 * (application/n-quads), RDF/XML (application/rdf+xml).  The highest q
 * wins; among equal q the more specific range, then the order above.  No
 * Accept header, or one with only wildcards, picks JSON / Turtle.
 * Pure functions: thread-safe.
 */
#ifndef RL_NEGOTIATE_H
#define RL_NEGOTIATE_H

#include "results.h"

/* Picks the format for `accept` (NULL = no header).  graph: the query makes
 * a graph.  Returns 0, or -1 when nothing acceptable exists (406) or the
 * header is malformed beyond use (400: *malformed set). */
int rl_negotiate(const char *accept, int graph, rl_format *out, int *malformed);

/* The media types offered for bindings or graphs, comma-separated (for a 406
 * body). */
const char *rl_negotiate_offers(int graph);

#endif
