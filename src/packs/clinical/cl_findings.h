/* cl_findings.h: the diagnose answer of a loaded site, and storing its
 * findings in the graph (docs/modules/diagnose.md).  Internal to the pack.
 * Thread safety: reads a loaded site; saving writes the store (one thread). */
#ifndef RL_CL_FINDINGS_H
#define RL_CL_FINDINGS_H

#include "cl_site.h"

#include <jansson.h>

/* The whole `diagnose --json` object (as_of, latest_result, counts, weights,
 * runs with their traces, findings).  as_of: INFINITY when not given.  NULL
 * when out of memory. */
json_t *rl__cl_diagnose_json(const rl__cl_site *s, double as_of);

/* Stores the runs (rl:Finding + one rl:CausalLink per level), Westgard,
 * resample and centrifuge findings of `top` as one batch (N-Triples, every
 * term written by Raptor, imported).  The same answer again changes nothing.
 * RL_ERR_* with err. */
rl_status rl__cl_findings_save(const rl__cl_site *s, json_t *top, rl_store *st, char *err, size_t cap);

#endif
