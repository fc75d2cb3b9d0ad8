/* gr_series.h: goroutine snapshots of one service over time.
 *
 * Growth early warning (SPEC §5, seed §3.3): one sample per snapshot; a
 * window is the last 12 samples; k = least-squares slope over x = 0..11
 * (goroutines per sample; per second = k / interval).  The baseline of a
 * window is the median k of all earlier windows.  An alert fires at a window
 * when k > 1.8 x baseline in it and the two windows before it, or when
 * k > 5.0.  Delta threshold (seed §3.1): increment_i = total_i - total_{i-1};
 * threshold = P95 (nearest rank) of up to 720 previous increments x 1.8,
 * evaluated once 12 previous increments exist; an increment above it is a
 * finding.  Leak candidates: groups present in every snapshot that never
 * shrink and end larger than they started; the top five by growth.
 *
 * Thread safety: one series per thread.
 */
#ifndef RL_GR_SERIES_H
#define RL_GR_SERIES_H

#include "gr_analyze.h"

#define RL_GR_WINDOW 12
#define RL_GR_FACTOR 1.8
#define RL_GR_ABS_K 5.0
#define RL_GR_ALERT_RUN 3
#define RL_GR_DELTA_WINDOW 720

typedef struct rl_gr_series rl_gr_series;

/* New empty series; `opt` (grouping, min_wait) applies to every snapshot. */
rl_gr_series *rl_gr_series_new(const rl_gr_options *opt);
void rl_gr_series_free(rl_gr_series *s);
/* Adds a snapshot taken at `t` seconds (strictly after the previous one);
 * takes ownership of `d` (also on error).  RL_ERR_USAGE if t does not grow,
 * RL_ERR_LIMIT past 100,000 snapshots, RL_ERR_NOMEM. */
rl_status rl_gr_series_add(rl_gr_series *s, const char *name, double t, rl_gr_dump *d);
/* Slope of the totals over the time axis (goroutines per second); 0 with
 * fewer than two snapshots. */
double rl_gr_series_total_slope(const rl_gr_series *s);
/* Least-squares slope of y[0..n) over x = 0..n-1 (per step). */
double rl_gr_slope(const double *y, size_t n);
/* The whole analysis as documented for `goroutines series --json`. */
json_t *rl_gr_series_json(const rl_gr_series *s);

#endif
