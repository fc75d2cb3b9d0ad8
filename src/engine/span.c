/* span.c: splitting borrowed text. */
#include "span.h"

#include <string.h>

rl_span rl_span_piece(rl_span s, char sep, size_t n)
{
    const char *p = s.p, *end = s.p + s.n;
    for (size_t i = 0; i < n; i++) {
        const char *q = memchr(p, sep, (size_t)(end - p));
        if (!q) return (rl_span){end, 0};
        p = q + 1;
    }
    const char *q = memchr(p, sep, (size_t)(end - p));
    return (rl_span){p, q ? (size_t)(q - p) : (size_t)(end - p)};
}

size_t rl_span_count(rl_span s, char sep)
{
    if (!s.n) return 0;
    size_t n = 1;
    for (size_t i = 0; i < s.n; i++) n += s.p[i] == sep;
    return n;
}

int rl_hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

void rl_hex_encode(const unsigned char *in, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[in[i] >> 4];
        out[2 * i + 1] = hx[in[i] & 15];
    }
    out[2 * n] = 0;
}

size_t rl_pct_encode(const char *in, char *out, size_t cap)
{
    static const char hx[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        int keep = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                   *p == '-' || *p == '.' || *p == '_' || *p == '~';
        char enc[3] = {'%', hx[*p >> 4], hx[*p & 15]};
        size_t k = keep ? 1 : 3;
        for (size_t i = 0; i < k; i++, o++)
            if (o + 1 < cap) out[o] = keep ? (char)*p : enc[i];
    }
    if (cap) out[o < cap ? o : cap - 1] = 0;
    return o;
}
