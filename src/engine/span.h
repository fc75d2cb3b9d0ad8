/* span.h: borrowed byte ranges for the text parsers (no allocation).
 * Thread-safe: pure functions. */
#ifndef RL_SPAN_H
#define RL_SPAN_H

#include <stddef.h>

typedef struct rl_span {
    const char *p;
    size_t n;
} rl_span;

/* The n-th (0-based) piece of s split at sep; empty (at s's end) if absent. */
rl_span rl_span_piece(rl_span s, char sep, size_t n);
/* Number of pieces of s split at sep (0 for an empty span). */
size_t rl_span_count(rl_span s, char sep);
/* Writes n bytes as 2n lowercase hex digits and a NUL into out. */
void rl_hex_encode(const unsigned char *in, size_t n, char *out);
/* Value of a hex digit, or -1. */
int rl_hex_digit(char c);
/* Percent-encodes `in` for use inside an IRI: unreserved ASCII (A-Z a-z 0-9
 * - . _ ~) is kept, every other byte becomes %XX.  Writes at most cap-1
 * bytes and a NUL; returns the length the whole encoding needs (so
 * truncation shows as a return value >= cap). */
size_t rl_pct_encode(const char *in, char *out, size_t cap);

#endif
