/* status.h: the one project-wide status enum.
 *
 * Every engine and pack function that can fail returns an rl_status.  The
 * detail (file, line, field, what was expected) goes to the handle's error
 * buffer or to an rl_diag sink; the status says only which kind of failure.
 * The CLI maps statuses to exit codes (see docs/cli.md).
 */
#ifndef RL_STATUS_H
#define RL_STATUS_H

#include <stddef.h>

typedef enum rl_status {
    RL_OK = 0,
    RL_ERR_USAGE,     /* the caller passed invalid arguments */
    RL_ERR_INPUT,     /* bad user input (syntax, field, encoding): nothing changed */
    RL_ERR_NOMEM,     /* an allocation failed */
    RL_ERR_LIMIT,     /* a configured limit (size, rows, time) was reached */
    RL_ERR_IO,        /* reading or writing a file failed */
    RL_ERR_STORE,     /* the store failed (open, read, write, commit) */
    RL_ERR_NOTFOUND,  /* a named thing (graph, query, file) does not exist */
    RL_ERR_EXISTS,    /* the thing already exists (e.g. batch already imported) */
    RL_ERR_UNSUPPORTED, /* a valid request for something not supported */
    RL_ERR_INTERNAL   /* a bug: an invariant did not hold */
} rl_status;

/* Returns a static English description of `st`; never NULL.  Thread-safe. */
const char *rl_strerror(rl_status st);

/* Formats a message into `buf` (capacity `cap`, always NUL-terminated when
 * cap > 0), truncating with "..." if it does not fit.  Returns `st` so callers
 * can write `return rl_errorf(err, cap, RL_ERR_INPUT, "...")`. */
rl_status rl_errorf(char *buf, size_t cap, rl_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
