/* mask.c: phone numbers and national IDs, masked. */
#include "mask.h"

#include <ctype.h>
#include <string.h>

rl_status rl_mask_phone(const char *in, rl_buf *out)
{
    char d[64];
    size_t n = 0;
    const char *p = in;
    while (isspace((unsigned char)*p)) p++;
    if (!strncmp(p, "+86", 3)) p += 3;
    else if (!strncmp(p, "0086", 4)) p += 4;
    for (; *p && n < sizeof d; p++)
        if (isdigit((unsigned char)*p)) d[n++] = *p;
    size_t keep_head = n > 7 ? 3 : 0, keep_tail = n >= 4 ? 4 : n;
    for (size_t i = 0; i < n; i++) d[i] = (i < keep_head || i >= n - keep_tail) ? d[i] : '*';
    return rl_buf_append(out, d, n);
}

rl_status rl_mask_national_id(const char *in, rl_buf *out)
{
    const char *p = in;
    while (isspace((unsigned char)*p)) p++;
    size_t n = strlen(p);
    while (n && isspace((unsigned char)p[n - 1])) n--;
    size_t head = n > 10 ? 6 : 0, tail = n >= 4 ? 4 : n;
    rl_status st = rl_buf_append(out, p, head);
    for (size_t i = head; i < n - tail && st == RL_OK; i++) st = rl_buf_append(out, "*", 1);
    if (st == RL_OK) st = rl_buf_append(out, p + n - tail, tail);
    return st;
}
