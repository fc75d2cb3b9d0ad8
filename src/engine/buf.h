/* buf.h: a growable byte buffer with a hard ceiling.
 *
 * Every growable buffer in rootline is an rl_buf with a maximum size; growing
 * past it returns RL_ERR_LIMIT instead of allocating without bound.
 * Not thread-safe: one buffer belongs to one thread at a time.
 */
#ifndef RL_BUF_H
#define RL_BUF_H

#include "status.h"

#include <stdio.h>

#include <stddef.h>

typedef struct rl_buf {
    unsigned char *data; /* owned; NUL-terminated after every append */
    size_t len;          /* bytes in use, excluding the terminating NUL */
    size_t cap;          /* bytes allocated */
    size_t max;          /* ceiling on len; 0 means the default (64 MiB) */
} rl_buf;

#define RL_BUF_DEFAULT_MAX ((size_t)64 << 20)

/* Initialises an empty buffer with ceiling `max` (0 = default).  No allocation. */
void rl_buf_init(rl_buf *b, size_t max);
/* Makes room for `extra` more bytes.  RL_ERR_LIMIT past the ceiling,
 * RL_ERR_NOMEM if allocation fails; the buffer is unchanged on error. */
rl_status rl_buf_reserve(rl_buf *b, size_t extra);
/* Appends `n` bytes from `p`.  Errors as rl_buf_reserve. */
rl_status rl_buf_append(rl_buf *b, const void *p, size_t n);
/* Appends a NUL-terminated string (without its NUL). */
rl_status rl_buf_puts(rl_buf *b, const char *s);
/* Appends printf-formatted text.  Errors as rl_buf_reserve. */
rl_status rl_buf_printf(rl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Empties the buffer, keeping its allocation. */
void rl_buf_clear(rl_buf *b);
/* Appends the rest of `f` (reserving its size at once when it is a regular
 * file).  RL_ERR_IO on a read error, RL_ERR_LIMIT past the ceiling,
 * RL_ERR_NOMEM.  The buffer holds at least "" afterwards. */
rl_status rl_buf_read_file(rl_buf *b, FILE *f);
/* Grows an array *p of *cap elements of `el` bytes to hold `need` (doubling),
 * up to `max` elements: RL_ERR_LIMIT past it, RL_ERR_NOMEM if realloc fails
 * (the array is unchanged on error). */
rl_status rl_array_grow(void **p, size_t *cap, size_t need, size_t el, size_t max);
/* Releases the allocation; the buffer is empty and reusable.  NULL is a no-op. */
void rl_buf_free(rl_buf *b);

#endif
