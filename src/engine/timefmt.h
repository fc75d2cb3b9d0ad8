/* timefmt.h: ISO 8601 timestamps with a numeric UTC offset (+08:00 style). */
#ifndef RL_TIMEFMT_H
#define RL_TIMEFMT_H

#include <stddef.h>
#include <time.h>

/* Writes `t` in local time as YYYY-MM-DDTHH:MM:SS+HH:MM into buf (cap >= 26);
 * UTC is written with "Z".
 * Returns buf.  Thread-safe (uses localtime_r). */
char *rl_time_iso(time_t t, char *buf, size_t cap);
/* As rl_time_iso, with milliseconds: "2026-11-27T10:00:00.250+08:00". */
char *rl_time_iso_ms(double t, char *buf, size_t cap);
/* Seconds since the epoch, with fractions (CLOCK_REALTIME). */
double rl_time_now(void);
/* rl_time_iso of the current time. */
char *rl_time_now_iso(char *buf, size_t cap);

#endif
