/* arena.c: bump allocation in 1 MiB blocks. */
#include "arena.h"

#include <stdlib.h>
#include <string.h>

#define BLOCK ((size_t)1 << 20)

typedef struct block {
    struct block *next;
    size_t used, cap;
    unsigned char data[];
} block;

struct rl_arena {
    block *head;
    size_t total, max;
};

rl_arena *rl_arena_new(size_t max)
{
    rl_arena *a = calloc(1, sizeof *a);
    if (a) a->max = max ? max : ((size_t)4 << 30);
    return a;
}

void rl_arena_free(rl_arena *a)
{
    if (!a) return;
    for (block *b = a->head; b;) {
        block *n = b->next;
        free(b);
        b = n;
    }
    free(a);
}

void *rl_arena_alloc(rl_arena *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if (n > a->max || a->total > a->max - n) return NULL;
    block *b = a->head;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > BLOCK ? n : BLOCK;
        block *nb = malloc(sizeof *nb + cap);
        if (!nb) return NULL;
        nb->used = 0;
        nb->cap = cap;
        nb->next = a->head;
        a->head = b = nb;
    }
    void *p = b->data + b->used;
    b->used += n;
    a->total += n;
    return p;
}

char *rl_arena_strndup(rl_arena *a, const char *s, size_t n)
{
    char *p = rl_arena_alloc(a, n + 1);
    if (!p) return NULL;
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

size_t rl_arena_used(const rl_arena *a)
{
    return a->total;
}
