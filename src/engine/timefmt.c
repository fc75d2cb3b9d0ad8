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

/* Reads exactly n digits at *p into *v; advances *p. */
static int digits(const char **p, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if ((*p)[i] < '0' || (*p)[i] > '9') return -1;
        x = x * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *v = x;
    return 0;
}

int rl_time_parse_iso(const char *s, int default_tz_min, double *t, int *tz_min)
{
    int Y, M, D, h = 0, m = 0, sec = 0, tz = default_tz_min;
    double frac = 0;
    const char *p = s;
    if (!s) return -1;
    while (*p == ' ') p++;
    if (digits(&p, 4, &Y)) return -1;
    int compact = *p != '-';
    if (!compact) p++;
    if (digits(&p, 2, &M)) return -1;
    if (!compact && *p++ != '-') return -1;
    if (digits(&p, 2, &D)) return -1;
    if (compact) {
        if (digits(&p, 2, &h) || digits(&p, 2, &m) || digits(&p, 2, &sec)) return -1;
    } else if (*p == 'T' || *p == ' ') {
        p++;
        if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &m)) return -1;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &sec)) return -1;
            if (*p == '.') {
                double scale = 0.1;
                for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10) frac += (*p - '0') * scale;
            }
        }
        if (*p == 'Z') tz = 0, p++;
        else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
            if (digits(&p, 2, &oh)) return -1;
            if (*p == ':') p++;
            if (*p && digits(&p, 2, &om)) return -1;
            tz = sign * (oh * 60 + om);
        }
    }
    while (*p == ' ') p++;
    if (*p || M < 1 || M > 12 || D < 1 || D > 31 || h > 24 || m > 59 || sec > 60) return -1;
    struct tm tm = {0};
    tm.tm_year = Y - 1900, tm.tm_mon = M - 1, tm.tm_mday = D;
    tm.tm_hour = h, tm.tm_min = m, tm.tm_sec = sec;
    time_t u = timegm(&tm);
    *t = (double)u - (double)tz * 60 + frac;
    if (tz_min) *tz_min = tz;
    return 0;
}

char *rl_time_iso_tz(double t, int tz_min, char *buf, size_t cap)
{
    time_t local = (time_t)floor(t) + (time_t)tz_min * 60;
    struct tm tm;
    gmtime_r(&local, &tm);
    int a = tz_min < 0 ? -tz_min : tz_min;
    if (tz_min == 0)
        snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                 tm.tm_hour, tm.tm_min, tm.tm_sec);
    else
        snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, tz_min < 0 ? '-' : '+', a / 60, a % 60);
    return buf;
}
