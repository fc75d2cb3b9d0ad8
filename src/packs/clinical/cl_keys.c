/* cl_keys.c: department, panel and channel keys. */
#include "cl_keys.h"

#include "keys.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

rl_status rl_cl_department_key(const char *campus, const char *name, const char *parent,
                               char hex[33], char *err, size_t cap)
{
    const char *f[3] = {campus, name, parent ? parent : ""};
    return rl_key_md5(f, 3, hex, err, cap);
}

static const struct {
    const char *alias, *ucum;
} units[] = {
    {"s", "s"}, {"sec", "s"}, {"secs", "s"}, {"second", "s"}, {"seconds", "s"}, {"秒", "s"},
    {"min", "min"}, {"分", "min"}, {"分钟", "min"},
    {"g/l", "g/L"}, {"mg/l", "mg/L"}, {"mg/dl", "mg/dL"}, {"g/dl", "g/dL"},
    {"mmol/l", "mmol/L"}, {"umol/l", "umol/L"}, {"µmol/l", "umol/L"}, {"μmol/l", "umol/L"},
    {"nmol/l", "nmol/L"}, {"pmol/l", "pmol/L"}, {"meq/l", "meq/L"},
    {"10^9/l", "10*9/L"}, {"10e9/l", "10*9/L"}, {"x10^9/l", "10*9/L"}, {"×10^9/l", "10*9/L"},
    {"10^12/l", "10*12/L"}, {"x10^12/l", "10*12/L"}, {"×10^12/l", "10*12/L"},
    {"u/l", "U/L"}, {"iu/l", "[IU]/L"}, {"miu/l", "m[IU]/L"}, {"iu/ml", "[IU]/mL"},
    {"fl", "fL"}, {"pg", "pg"}, {"%", "%"}, {"ratio", "1"}, {"inr", "{INR}"},
    {NULL, NULL}};

const char *rl_cl_unit_ucum(const char *unit)
{
    /* case matters in UCUM for short codes (S is siemens, s is seconds):
     * only aliases of three or more characters match without case */
    for (int i = 0; units[i].alias; i++)
        if (strlen(units[i].alias) >= 3 ? !strcasecmp(unit, units[i].alias)
                                        : !strcmp(unit, units[i].alias))
            return units[i].ucum;
    return unit;
}

rl_status rl_cl_panel_key(const char *name, const char *method, const char *unit, char hex[65],
                          char *err, size_t cap)
{
    /* the unit is mapped after trimming, so " 秒 " and "秒" both give "s" */
    rl_buf u;
    rl_buf_init(&u, 4096);
    rl_status st = rl_key_field(unit ? unit : "", unit ? strlen(unit) : 0, &u, err, cap);
    if (st == RL_OK && !u.data) st = rl_buf_append(&u, "", 0);
    if (st == RL_OK) {
        const char *f[3] = {name, method ? method : "", rl_cl_unit_ucum((const char *)u.data)};
        st = rl_key_sha256(f, 3, hex, err, cap);
    }
    rl_buf_free(&u);
    return st;
}

rl_status rl_cl_mac_normalize(const char *mac, char out[18], char *err, size_t cap)
{
    char hex[13];
    int n = 0;
    for (const char *p = mac; *p; p++) {
        if (*p == ':' || *p == '-' || *p == '.' || *p == ' ') continue;
        if (!isxdigit((unsigned char)*p) || n >= 12)
            return rl_errorf(err, cap, RL_ERR_INPUT, "MAC '%s': expected 12 hex digits", mac);
        hex[n++] = (char)toupper((unsigned char)*p);
    }
    if (n != 12) return rl_errorf(err, cap, RL_ERR_INPUT, "MAC '%s': expected 12 hex digits", mac);
    for (int i = 0; i < 6; i++) {
        out[3 * i] = hex[2 * i];
        out[3 * i + 1] = hex[2 * i + 1];
        out[3 * i + 2] = i < 5 ? ':' : 0;
    }
    return RL_OK;
}

int rl_cl_parse_tz(const char *s, int *minutes)
{
    if (!strcmp(s, "Z") || !strcmp(s, "z")) {
        *minutes = 0;
        return 0;
    }
    int h = 0, m = 0;
    char sign = s[0];
    if ((sign != '+' && sign != '-') || !isdigit((unsigned char)s[1]) || !isdigit((unsigned char)s[2]))
        return -1;
    h = (s[1] - '0') * 10 + (s[2] - '0');
    const char *r = s + 3;
    if (*r == ':') r++;
    if (*r) {
        if (!isdigit((unsigned char)r[0]) || !isdigit((unsigned char)r[1]) || r[2]) return -1;
        m = (r[0] - '0') * 10 + (r[1] - '0');
    }
    if (h > 14 || m > 59) return -1;
    *minutes = (sign == '-' ? -1 : 1) * (h * 60 + m);
    return 0;
}

rl_status rl_cl_ts_normalize(const char *ts, int tz_minutes, char out[15], char *err, size_t cap)
{
    int Y, Mo, D, h, mi, sec = 0, used = 0;
    size_t len = strlen(ts);
    if (len == 14 && strspn(ts, "0123456789") == 14) {
        memcpy(out, ts, 15);
        return RL_OK;
    }
    if (sscanf(ts, "%4d-%2d-%2d%*[T ]%2d:%2d:%2d%n", &Y, &Mo, &D, &h, &mi, &sec, &used) < 6 &&
        (sec = 0, sscanf(ts, "%4d-%2d-%2d%*[T ]%2d:%2d%n", &Y, &Mo, &D, &h, &mi, &used) < 5))
        return rl_errorf(err, cap, RL_ERR_INPUT,
                         "time '%s': expected YYYYMMDDHHMMSS or ISO 8601", ts);
    const char *rest = ts + used;
    while (*rest == '.' || isdigit((unsigned char)*rest)) rest++; /* fraction of a second */
    if (Mo < 1 || Mo > 12 || D < 1 || D > 31 || h > 23 || mi > 59 || sec > 60)
        return rl_errorf(err, cap, RL_ERR_INPUT, "time '%s': out of range", ts);
    if (*rest) { /* an offset: convert to the site's local time */
        int off;
        if (rl_cl_parse_tz(rest, &off))
            return rl_errorf(err, cap, RL_ERR_INPUT, "time '%s': bad UTC offset", ts);
        struct tm tm = {.tm_year = Y - 1900, .tm_mon = Mo - 1, .tm_mday = D, .tm_hour = h,
                        .tm_min = mi, .tm_sec = sec};
        time_t t = timegm(&tm) - (time_t)off * 60 + (time_t)tz_minutes * 60;
        gmtime_r(&t, &tm);
        Y = tm.tm_year + 1900, Mo = tm.tm_mon + 1, D = tm.tm_mday, h = tm.tm_hour, mi = tm.tm_min,
        sec = tm.tm_sec;
    }
    if (Y < 0 || Y > 9999 || sec < 0 || sec > 60)
        return rl_errorf(err, cap, RL_ERR_INPUT, "time '%s': out of range", ts);
    char tmp[64]; /* values are range-checked: exactly 14 digits */
    snprintf(tmp, sizeof tmp, "%04d%02d%02d%02d%02d%02d", Y, Mo, D, h, mi, sec);
    memcpy(out, tmp, 14);
    out[14] = 0;
    return RL_OK;
}

rl_status rl_cl_channel_key(const char *mac, const char *channel, const char *ts, int tz_minutes,
                            rl_buf *out, char *err, size_t cap)
{
    char m[18], t[15];
    rl_status st = rl_cl_mac_normalize(mac, m, err, cap);
    if (st == RL_OK) st = rl_cl_ts_normalize(ts, tz_minutes, t, err, cap);
    if (st != RL_OK) return st;
    const char *f[3] = {m, channel, t};
    return rl_key_base64(f, 3, out, err, cap);
}
