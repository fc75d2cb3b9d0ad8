/* metrics.h: writing Prometheus text exposition format (version 0.0.4).
 *
 * Shared by the server's own figures and the packs' services.  Output goes to
 * an rl_buf; every function returns its status (RL_ERR_LIMIT at the buffer's
 * ceiling).  Stateless: thread-safe on distinct buffers.
 */
#ifndef RL_METRICS_H
#define RL_METRICS_H

#include "buf.h"

/* "# HELP name help\n# TYPE name type\n"; type is "gauge" or "counter". */
rl_status rl_metrics_header(rl_buf *b, const char *name, const char *type, const char *help);

/* One sample: name{labels} value.  `labels` holds n (key, value) pairs,
 * values escaped here (backslash, double quote, newline); keys must already
 * be valid label names.  n may be 0. */
rl_status rl_metrics_sample(rl_buf *b, const char *name, const char *const *labels, size_t n,
                            double value);

#endif
