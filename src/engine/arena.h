/* arena.h: a bump allocator for many small objects freed together, with a
 * ceiling.  Blocks of 1 MiB (or larger for a big request); going past `max`
 * bytes in total returns NULL (callers report RL_ERR_LIMIT).
 * Not thread-safe: one arena belongs to one thread at a time. */
#ifndef RL_ARENA_H
#define RL_ARENA_H

#include <stddef.h>

typedef struct rl_arena rl_arena;

/* New arena with a ceiling of `max` bytes (0 = 4 GiB).  NULL if out of memory. */
rl_arena *rl_arena_new(size_t max);
/* Frees every block.  NULL is a no-op. */
void rl_arena_free(rl_arena *a);
/* `n` bytes aligned to 8; NULL past the ceiling or out of memory. */
void *rl_arena_alloc(rl_arena *a, size_t n);
/* Copy of s[0..n) with a NUL; NULL as rl_arena_alloc. */
char *rl_arena_strndup(rl_arena *a, const char *s, size_t n);
/* Bytes handed out so far. */
size_t rl_arena_used(const rl_arena *a);

#endif
