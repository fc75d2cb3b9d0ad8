/* lookup.c: two open-addressing hash indexes over an arena of facts. */
#include "lookup.h"

#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FACTS ((size_t)8 << 20)

typedef struct fact {
    const char *p, *s, *o;
} fact;

struct rl_lookup {
    rl_arena *a;
    fact *f;
    size_t n, cap;
    uint32_t *by_po, *by_sp, *by_all; /* fact index + 1; 0 = empty */
    size_t tcap;                       /* power of two */
};

static uint64_t hash3(const char *a, const char *b, const char *c)
{
    uint64_t h = 1469598103934665603ull;
    const char *parts[3] = {a, b, c};
    for (int i = 0; i < 3; i++) {
        for (const unsigned char *p = (const unsigned char *)(parts[i] ? parts[i] : ""); *p; p++)
            h = (h ^ *p) * 1099511628211ull;
        h = (h ^ 0x1f) * 1099511628211ull;
    }
    return h;
}

rl_lookup *rl_lookup_new(void)
{
    rl_lookup *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->a = rl_arena_new((size_t)1 << 30);
    if (!t->a) {
        free(t);
        return NULL;
    }
    return t;
}

void rl_lookup_free(rl_lookup *t)
{
    if (!t) return;
    rl_arena_free(t->a);
    free(t->f);
    free(t->by_po);
    free(t->by_sp);
    free(t->by_all);
    free(t);
}

size_t rl_lookup_count(const rl_lookup *t)
{
    return t->n;
}

static void put(uint32_t *tab, size_t tcap, uint64_t h, uint32_t v)
{
    size_t i = h & (tcap - 1);
    while (tab[i]) i = (i + 1) & (tcap - 1);
    tab[i] = v;
}

static rl_status rehash(rl_lookup *t, size_t ncap)
{
    uint32_t *po = calloc(ncap, sizeof *po), *sp = calloc(ncap, sizeof *sp),
             *all = calloc(ncap, sizeof *all);
    if (!po || !sp || !all) {
        free(po), free(sp), free(all);
        return RL_ERR_NOMEM;
    }
    for (size_t i = 0; i < t->n; i++) {
        const fact *f = &t->f[i];
        put(po, ncap, hash3(f->p, f->o, NULL), (uint32_t)i + 1);
        put(sp, ncap, hash3(f->s, f->p, NULL), (uint32_t)i + 1);
        put(all, ncap, hash3(f->p, f->s, f->o), (uint32_t)i + 1);
    }
    free(t->by_po), free(t->by_sp), free(t->by_all);
    t->by_po = po, t->by_sp = sp, t->by_all = all, t->tcap = ncap;
    return RL_OK;
}

rl_status rl_lookup_add(rl_lookup *t, const char *p, const char *s, const char *o)
{
    if (t->tcap) {
        size_t i = hash3(p, s, o) & (t->tcap - 1);
        for (; t->by_all[i]; i = (i + 1) & (t->tcap - 1)) {
            const fact *f = &t->f[t->by_all[i] - 1];
            if (!strcmp(f->p, p) && !strcmp(f->s, s) && !strcmp(f->o, o)) return RL_OK;
        }
    }
    if (t->n >= MAX_FACTS) return RL_ERR_LIMIT;
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 256;
        fact *nf = realloc(t->f, nc * sizeof *nf);
        if (!nf) return RL_ERR_NOMEM;
        t->f = nf, t->cap = nc;
    }
    if ((t->n + 1) * 2 > t->tcap) {
        rl_status st = rehash(t, t->tcap ? t->tcap * 2 : 1024);
        if (st != RL_OK) return st;
    }
    fact f = {rl_arena_strndup(t->a, p, strlen(p)), rl_arena_strndup(t->a, s, strlen(s)),
              rl_arena_strndup(t->a, o, strlen(o))};
    if (!f.p || !f.s || !f.o) return RL_ERR_LIMIT;
    t->f[t->n++] = f;
    uint32_t v = (uint32_t)t->n;
    put(t->by_po, t->tcap, hash3(p, o, NULL), v);
    put(t->by_sp, t->tcap, hash3(s, p, NULL), v);
    put(t->by_all, t->tcap, hash3(p, s, o), v);
    return RL_OK;
}

int rl_lookup_subjects(const rl_lookup *t, const char *p, const char *o,
                       int (*fn)(void *ctx, const char *s), void *ctx)
{
    if (!t->tcap) return 0;
    for (size_t i = hash3(p, o, NULL) & (t->tcap - 1); t->by_po[i]; i = (i + 1) & (t->tcap - 1)) {
        const fact *f = &t->f[t->by_po[i] - 1];
        if (!strcmp(f->p, p) && !strcmp(f->o, o)) {
            int r = fn(ctx, f->s);
            if (r) return r;
        }
    }
    return 0;
}

const char *rl_lookup_subject(const rl_lookup *t, const char *p, const char *o)
{
    const char *best = NULL;
    if (!t->tcap) return NULL;
    for (size_t i = hash3(p, o, NULL) & (t->tcap - 1); t->by_po[i]; i = (i + 1) & (t->tcap - 1)) {
        const fact *f = &t->f[t->by_po[i] - 1];
        if (!strcmp(f->p, p) && !strcmp(f->o, o) && (!best || strcmp(f->s, best) < 0)) best = f->s;
    }
    return best;
}

const char *rl_lookup_object(const rl_lookup *t, const char *s, const char *p)
{
    const char *best = NULL;
    if (!t->tcap) return NULL;
    for (size_t i = hash3(s, p, NULL) & (t->tcap - 1); t->by_sp[i]; i = (i + 1) & (t->tcap - 1)) {
        const fact *f = &t->f[t->by_sp[i] - 1];
        if (!strcmp(f->s, s) && !strcmp(f->p, p) && (!best || strcmp(f->o, best) < 0)) best = f->o;
    }
    return best;
}
