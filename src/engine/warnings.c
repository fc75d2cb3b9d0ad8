/* warnings.c: a bounded list of warning texts. */
#include "warnings.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void rl_warnings_add(rl_warnings *w, const char *fmt, ...)
{
    if (w->n < RL_WARNINGS_KEEP) {
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&w->msg[w->n], fmt, ap) < 0) w->msg[w->n] = NULL;
        va_end(ap);
    }
    w->n++;
}

void rl_warnings_clear(rl_warnings *w)
{
    if (!w) return;
    for (size_t i = 0; i < RL_WARNINGS_KEEP && i < w->n; i++) free(w->msg[i]);
    w->n = 0;
}
