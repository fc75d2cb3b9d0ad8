/* qs_sort.c: orders the quad store's buffered writes for the index passes.
 * See quadstore_int.h and docs/modules/quadstore.md ("Writes"). */
#include "quadstore_int.h"

#include <string.h>

/* Stable partition of n quads whose field f takes exactly the two values lo
 * < hi: one pass instead of a radix pass per differing byte (a batch's
 * quads are in its own graph and a few in the provenance graph). */
static void partition2(rl_quad *q, rl_quad *tmp, size_t n, int f, rl_id lo)
{
    size_t a = 0, nlo = 0;
    for (size_t i = 0; i < n; i++) nlo += rl__quad_field(&q[i], f) == lo;
    size_t b = nlo;
    for (size_t i = 0; i < n; i++) tmp[rl__quad_field(&q[i], f) == lo ? a++ : b++] = q[i];
    memcpy(q, tmp, n * sizeof *q);
}

/* The radix passes of one field, with the field fixed at compile time in
 * each expansion (the scatter loop is the hot loop of a flush). */
#define SCATTER(FIELD)                                                                        \
    for (size_t i = 0; i < n; i++) dst[c[(src[i].FIELD >> (8 * b)) & 0xff]++] = src[i]

/* One stable LSD radix pass per byte of field f that is not the same in
 * every quad.  q and tmp hold n quads; the result ends in q. */
void rl__qs_sort_field(rl_quad *q, rl_quad *tmp, size_t n, int f)
{
    if (n < 2) return;
    /* first pass: which bytes differ anywhere, and whether there are just two values */
    rl_id v0 = rl__quad_field(&q[0], f), v1 = v0, any = 0, all = ~(rl_id)0;
    int distinct = 1; /* 1, 2, or 3 meaning "more" */
    for (size_t i = 0; i < n; i++) {
        rl_id v = rl__quad_field(&q[i], f);
        any |= v;
        all &= v;
        if (v != v0 && distinct < 3) {
            if (distinct == 1) {
                v1 = v;
                distinct = 2;
            } else if (v != v1) {
                distinct = 3;
            }
        }
    }
    if (distinct == 1) return;
    if (distinct == 2) {
        partition2(q, tmp, n, f, v0 < v1 ? v0 : v1);
        return;
    }
    int bytes[8], nb = 0;
    for (int b = 0; b < 8; b++)
        if (((any ^ all) >> (8 * b)) & 0xff) bytes[nb++] = b; /* the others would not move a quad */
    size_t count[8][256];
    memset(count, 0, (size_t)nb * sizeof count[0]);
    for (size_t i = 0; i < n; i++) {
        rl_id v = rl__quad_field(&q[i], f);
        for (int k = 0; k < nb; k++) count[k][(v >> (8 * bytes[k])) & 0xff]++;
    }
    rl_quad *src = q, *dst = tmp;
    for (int k = 0; k < nb; k++) {
        size_t *c = count[k], pos = 0;
        int b = bytes[k];
        for (int j = 0; j < 256; j++) {
            size_t m = c[j];
            c[j] = pos;
            pos += m;
        }
        switch (f) {
        case 0: SCATTER(s); break;
        case 1: SCATTER(p); break;
        case 2: SCATTER(o); break;
        default: SCATTER(c); break;
        }
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
