/* timefmt.c: ISO 8601 with offset. */
#include "timefmt.h"

#include <stdio.h>
#include <stdlib.h>

char *rl_time_iso(time_t t, char *buf, size_t cap)
{
    struct tm tm;
    localtime_r(&t, &tm);
    long off = tm.tm_gmtoff;
    if (off == 0) { /* "Z": rasqal rewrites "+00:00" to "-00:00" */
        snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        return buf;
    }
    char sign = off < 0 ? '-' : '+';
    off = labs(off);
    snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, sign, off / 3600,
             (off % 3600) / 60);
    return buf;
}

char *rl_time_now_iso(char *buf, size_t cap)
{
    return rl_time_iso(time(NULL), buf, cap);
}
