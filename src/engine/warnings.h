/* warnings.h: the tolerated irregularities of one parse, the first few kept
 * as text, all counted.  Not thread-safe (one parse, one thread). */
#ifndef RL_WARNINGS_H
#define RL_WARNINGS_H

#include <stddef.h>

#define RL_WARNINGS_KEEP 100

typedef struct rl_warnings {
    char *msg[RL_WARNINGS_KEEP]; /* the first RL_WARNINGS_KEEP, owned */
    size_t n;                    /* all of them */
} rl_warnings;

/* Records a warning (printf format); past the kept ones only counts. */
void rl_warnings_add(rl_warnings *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Frees the kept texts; the list is empty again.  NULL is a no-op. */
void rl_warnings_clear(rl_warnings *w);

#endif
