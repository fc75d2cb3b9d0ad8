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

/* Parses ISO 8601 "YYYY-MM-DDTHH:MM[:SS[.fff]]" with "Z" or "+HH:MM" (or
 * "+HHMM"); without an offset the time is read in `default_tz_min` minutes
 * east of UTC.  Also accepts a plain date "YYYY-MM-DD" (midnight) and the
 * compact "YYYYMMDDHHMMSS".  Returns 0 and *t (seconds since the epoch) and
 * *tz_min (the offset given, or the default) when it parses, -1 otherwise.
 * Thread-safe. */
int rl_time_parse_iso(const char *s, int default_tz_min, double *t, int *tz_min);
/* Writes `t` in the fixed offset `tz_min` as YYYY-MM-DDTHH:MM:SS+HH:MM
 * (cap >= 26), "Z" for offset 0.  Returns buf.  Thread-safe. */
char *rl_time_iso_tz(double t, int tz_min, char *buf, size_t cap);

#endif
