/* cl_trace.h: the cross-level causal trace of one run, its ranked hypotheses
 * (level 1 department pre-analytics, level 2 QC / panel, level 3 channel /
 * calibration) and the level weights (docs/modules/diagnose.md).
 *
 * Internal to the clinical pack.  Thread safety: reads a loaded site only.
 */
#ifndef RL_CL_TRACE_H
#define RL_CL_TRACE_H

#include "buf.h"
#include "cl_site.h"

#include <jansson.h>

/* The weight of each level and how it was obtained. */
typedef struct rl__cl_weights {
    double w[3];         /* levels 1..3 */
    double base[3], raised[3];
    double threshold[3]; /* evidence count that raises a level */
    double window_h[3];
    long evidence[3];    /* the count seen in the window */
    int from_graph;      /* rules read from the graph (rl:WeightRule), else built in */
    double at;           /* the time they were computed for */
    char stored[256];    /* IRI of stored weights used, "" when computed now */
} rl__cl_weights;

/* Computes the weights as of `at` from the evidence of each level's window
 * (rules: rl:WeightRule nodes in the graph, else built-in defaults equal to
 * ontology/clinical/weights.ttl).  Never fails. */
void rl__cl_weights_compute(const rl__cl_site *s, double at, rl__cl_weights *w);
/* The latest weights stored in the graph (rl:LevelWeight, computed at or
 * before `at`), if any: 1 and *w filled, else 0. */
int rl__cl_weights_stored(const rl__cl_site *s, double at, rl__cl_weights *w);
/* The weights as Turtle (rl:LevelWeight nodes, one per level, named by the
 * computation time) appended to out.  Errors: the buffer's. */
rl_status rl__cl_weights_turtle(const rl__cl_site *s, const rl__cl_weights *w, rl_buf *out);
/* Computes the weights as of `at` on `st` and stores them as one batch
 * (a Turtle file written into `dir`, then imported).  The file stays in dir.
 * RL_ERR_NOTFOUND when the store holds no results (nothing is written);
 * other RL_ERR_* with err. */
rl_status rl__cl_weights_store(rl_store *st, double at, int tz, const char *dir, rl__cl_weights *w_out_or_null,
                               char *err, size_t cap);
/* As rl__cl_weights_store, for a site already loaded from `st`. */
rl_status rl__cl_weights_store_site(rl_store *st, const rl__cl_site *s, double at, const char *dir, rl__cl_weights *w_out,
                                    char *err, size_t cap);
/* JSON of the weights (new reference). */
json_t *rl__cl_weights_json(const rl__cl_site *s, const rl__cl_weights *w);

/* The whole trace of run `k` of the site as a new JSON object (NULL when out
 * of memory).  `w` NULL: the weights are computed (or read) as of the run's
 * detection time. */
json_t *rl__cl_trace_run(const rl__cl_site *s, size_t k, const rl__cl_weights *w);

/* The run of stream `stream_id` that covers `at` (first result <= at <= last),
 * else the latest detected at or before `at`: its index, or -1. */
long rl__cl_trace_find(const rl__cl_site *s, const char *stream_id, double at);

#endif
