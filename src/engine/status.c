/* status.c: rl_strerror and the error-message helper. */
#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *rl_strerror(rl_status st)
{
    switch (st) {
    case RL_OK: return "success";
    case RL_ERR_USAGE: return "invalid arguments";
    case RL_ERR_INPUT: return "bad input";
    case RL_ERR_NOMEM: return "out of memory";
    case RL_ERR_LIMIT: return "limit reached";
    case RL_ERR_IO: return "input/output error";
    case RL_ERR_STORE: return "store error";
    case RL_ERR_NOTFOUND: return "not found";
    case RL_ERR_EXISTS: return "already exists";
    case RL_ERR_UNSUPPORTED: return "not supported";
    case RL_ERR_INTERNAL: return "internal error";
    }
    return "unknown status";
}

rl_status rl_errorf(char *buf, size_t cap, rl_status st, const char *fmt, ...)
{
    if (!buf || cap == 0) return st;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n >= cap && cap > 4) memcpy(buf + cap - 4, "...", 4);
    return st;
}
