/* qs_sort.c: orders the quad store's buffered writes for the index passes.
 * See quadstore_int.h and docs/modules/quadstore.md ("Writes"). */
#include "quadstore_int.h"

#include <string.h>

static rl_id field_of(const rl_quad *q, int f)
{
    return f == 0 ? q->s : f == 1 ? q->p : f == 2 ? q->o : q->c;
}

/* One stable LSD radix pass per byte of field f that is not the same in
 * every quad.  q and tmp hold n quads; the result ends in q. */
void rl__qs_sort_field(rl_quad *q, rl_quad *tmp, size_t n, int f)
{
    size_t count[8][256];
    memset(count, 0, sizeof count);
    for (size_t i = 0; i < n; i++) {
        rl_id v = field_of(&q[i], f);
        for (int b = 0; b < 8; b++) count[b][(v >> (8 * b)) & 0xff]++;
    }
    rl_quad *src = q, *dst = tmp;
    for (int b = 0; b < 8; b++) {
        size_t *c = count[b], pos = 0;
        int trivial = 0;
        for (int k = 0; k < 256 && !trivial; k++) trivial = c[k] == n;
        if (trivial) continue; /* every quad has this byte: the pass would not move one */
        for (int k = 0; k < 256; k++) {
            size_t m = c[k];
            c[k] = pos;
            pos += m;
        }
        for (size_t i = 0; i < n; i++) dst[c[(field_of(&src[i], f) >> (8 * b)) & 0xff]++] = src[i];
        rl_quad *t = src;
        src = dst;
        dst = t;
    }
    if (src != q) memcpy(q, src, n * sizeof *q);
}

void rl__qs_sort(rl_quad *q, rl_quad *tmp, size_t n, const int order[4])
{
    /* least significant field first; each pass is stable */
    for (int i = 3; i >= 0; i--) rl__qs_sort_field(q, tmp, n, order[i]);
}
