/* gr_growth.h: the growth early warning and delta threshold of SPEC §5 as an
 * online detector, fed one total per snapshot.
 *
 * Window: the last RL_GR_WINDOW (12) totals; k = least-squares slope over
 * x = 0..11 (goroutines per sample).  Baseline of a window: the median k of
 * the earlier windows remembered (at most `history`; the oldest are dropped
 * first).  An alert fires when k > 1.8 x baseline in this window and the two
 * before it, or when k > 5.0.  Delta (seed §3.1): increment = total - previous
 * total; threshold = nearest-rank P95 of up to 720 previous increments x 1.8,
 * evaluated once 12 previous increments exist; an increment above it (and
 * above 0) is a finding.
 *
 * `rootline goroutines series` feeds a whole series through one detector;
 * the scraper of `rootline serve` feeds each scraped snapshot, so both give
 * the same answers for the same totals.
 *
 * Thread safety: one detector per thread (or under the caller's lock).
 */
#ifndef RL_GR_GROWTH_H
#define RL_GR_GROWTH_H

#include "status.h"

#include <stddef.h>

typedef struct rl_gr_growth rl_gr_growth;

/* What one pushed total produced. */
typedef struct rl_gr_growth_step {
    int window;          /* 1 if a full window ends here (k, over, rule valid) */
    double k;            /* slope of the window, goroutines per sample */
    int has_baseline;    /* 0 for the first window */
    double baseline;     /* median k of the earlier windows */
    int over;            /* k > 1.8 x baseline */
    const char *rule;    /* alert rule that fired, or NULL */
    int delta_checked;   /* 1 if the increment was judged (12 previous exist) */
    double increment, threshold;
    int delta_finding;   /* increment > threshold and > 0 */
} rl_gr_growth_step;

/* New detector remembering at most `history` window slopes for the baseline
 * (0 = 17,280: one day of 5 s samples).  NULL when out of memory. */
rl_gr_growth *rl_gr_growth_new(size_t history);

/* No-op on NULL. */
void rl_gr_growth_free(rl_gr_growth *g);

/* Feeds the next snapshot's total; fills `out`.  RL_ERR_NOMEM only. */
rl_status rl_gr_growth_push(rl_gr_growth *g, double total, rl_gr_growth_step *out);

/* Alerts fired so far. */
size_t rl_gr_growth_alerts(const rl_gr_growth *g);

#endif
