/* timefmt.c: ISO 8601 with offset. */
#include "timefmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ms < 0: whole seconds */
static char *iso(time_t t, int ms, char *buf, size_t cap)
{
    char frac[16] = "";
    if (ms >= 0) snprintf(frac, sizeof frac, ".%03d", ms);
    struct tm tm;
    localtime_r(&t, &tm);
    long off = tm.tm_gmtoff;
    if (off == 0) { /* "Z": rasqal rewrites "+00:00" to "-00:00" */
        snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
        return buf;
    }
    char sign = off < 0 ? '-' : '+';
    off = labs(off);
    snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d%s%c%02ld:%02ld", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac, sign, off / 3600,
             (off % 3600) / 60);
    return buf;
}

char *rl_time_iso(time_t t, char *buf, size_t cap)
{
    return iso(t, -1, buf, cap);
}

char *rl_time_iso_ms(double t, char *buf, size_t cap)
{
    double whole = floor(t);
    int ms = (int)((t - whole) * 1000);
    return iso((time_t)whole, ms > 999 ? 999 : ms, buf, cap);
}

double rl_time_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

char *rl_time_now_iso(char *buf, size_t cap)
{
    return rl_time_iso(time(NULL), buf, cap);
}
