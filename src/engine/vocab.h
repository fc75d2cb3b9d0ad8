/* vocab.h: namespace IRIs used by the engine (no state, no functions). */
#ifndef RL_VOCAB_H
#define RL_VOCAB_H

#define RL_NS_CORE "https://w3id.org/rootline/core#"
#define RL_NS_PROV "http://www.w3.org/ns/prov#"
#define RL_NS_RDF "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#define RL_NS_RDFS "http://www.w3.org/2000/01/rdf-schema#"
#define RL_NS_XSD "http://www.w3.org/2001/XMLSchema#"

/* Graph holding the PROV-O description of every import batch. */
#define RL_GRAPH_PROVENANCE "urn:rootline:graph:provenance"
/* Prefix of batch graphs; followed by the lowercase hex SHA-256 of the input. */
#define RL_GRAPH_BATCH_PREFIX "urn:rootline:batch:"
#define RL_ACTIVITY_PREFIX "urn:rootline:activity:"
#define RL_AGENT_ROOTLINE "urn:rootline:agent:rootline"

#endif
