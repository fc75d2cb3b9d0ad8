/* cl_keys.h: the clinical alignment keys (SPEC §3), exactly:
 *   department = hex MD5    of campus_id|full_name|parent_dept_code
 *   panel      = hex SHA-256 of panel_name|method|unit   (unit as UCUM)
 *   channel    = Base64      of MAC|channel_id|calibration_ts
 * with every field trimmed and NFC-normalised (keys.h).  MACs become
 * upper-case hex with colons; calibration times become YYYYMMDDHHMMSS in
 * site-local time.  Thread-safe. */
#ifndef RL_CL_KEYS_H
#define RL_CL_KEYS_H

#include "buf.h"

rl_status rl_cl_department_key(const char *campus, const char *name, const char *parent,
                               char hex[33], char *err, size_t cap);
rl_status rl_cl_panel_key(const char *name, const char *method, const char *unit, char hex[65],
                          char *err, size_t cap);
/* tz_minutes: the site's UTC offset (e.g. +480 for +08:00), used when the
 * timestamp carries an offset or Z. */
rl_status rl_cl_channel_key(const char *mac, const char *channel, const char *ts, int tz_minutes,
                            rl_buf *out, char *err, size_t cap);

/* "00-1a-2b-3c-4d-5e", "001a.2b3c.4d5e", "001A2B3C4D5E" -> "00:1A:2B:3C:4D:5E". */
rl_status rl_cl_mac_normalize(const char *mac, char out[18], char *err, size_t cap);
/* "20260302081500", "2026-03-02 08:15:00", "2026-03-02T00:15:00Z",
 * "2026-03-02T08:15:00+08:00" -> "20260302081500" (site-local). */
rl_status rl_cl_ts_normalize(const char *ts, int tz_minutes, char out[15], char *err, size_t cap);
/* A unit as its UCUM code: known aliases ("秒", "sec", "mmol/l", "10^9/L",
 * "µmol/L"...) are mapped; anything else is returned as given. */
const char *rl_cl_unit_ucum(const char *unit);
/* Parses "+08:00", "-0530", "Z" into minutes; -1 on error... (returns 0 ok). */
int rl_cl_parse_tz(const char *s, int *minutes);

#endif
