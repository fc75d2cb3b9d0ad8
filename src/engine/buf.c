/* buf.c: growable buffers with a ceiling. */
#include "buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void rl_buf_init(rl_buf *b, size_t max)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->max = max ? max : RL_BUF_DEFAULT_MAX;
}

rl_status rl_buf_reserve(rl_buf *b, size_t extra)
{
    if (extra > b->max || b->len > b->max - extra) return RL_ERR_LIMIT;
    size_t need = b->len + extra + 1; /* room for the NUL */
    if (need <= b->cap) return RL_OK;
    size_t ncap = b->cap ? b->cap : 64;
    while (ncap < need) ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
    if (ncap > b->max + 1) ncap = b->max + 1;
    unsigned char *nd = realloc(b->data, ncap);
    if (!nd) return RL_ERR_NOMEM;
    b->data = nd;
    b->cap = ncap;
    return RL_OK;
}

rl_status rl_buf_append(rl_buf *b, const void *p, size_t n)
{
    rl_status st = rl_buf_reserve(b, n);
    if (st != RL_OK) return st;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
    return RL_OK;
}

rl_status rl_buf_puts(rl_buf *b, const char *s)
{
    return rl_buf_append(b, s, strlen(s));
}

rl_status rl_buf_printf(rl_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return RL_ERR_INTERNAL;
    rl_status st = rl_buf_reserve(b, (size_t)n);
    if (st != RL_OK) return st;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return RL_OK;
}

void rl_buf_clear(rl_buf *b)
{
    b->len = 0;
    if (b->data) b->data[0] = 0;
}

void rl_buf_free(rl_buf *b)
{
    if (!b) return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

rl_status rl_array_grow(void **p, size_t *cap, size_t need, size_t el, size_t max)
{
    if (need <= *cap) return RL_OK;
    if (need > max || el == 0 || need > SIZE_MAX / el) return RL_ERR_LIMIT;
    size_t nc = *cap ? *cap * 2 : 32;
    while (nc < need) nc *= 2;
    if (nc > max) nc = max;
    void *np = realloc(*p, nc * el);
    if (!np) return RL_ERR_NOMEM;
    *p = np;
    *cap = nc;
    return RL_OK;
}

rl_status rl_buf_read_file(rl_buf *b, FILE *f)
{
    struct stat sb; /* one exact allocation instead of doubling */
    rl_status st = RL_OK;
    if (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 &&
        (uint64_t)sb.st_size <= b->max)
        st = rl_buf_reserve(b, (size_t)sb.st_size);
    char chunk[65536];
    size_t n;
    while (st == RL_OK && (n = fread(chunk, 1, sizeof chunk, f)) > 0) st = rl_buf_append(b, chunk, n);
    if (st == RL_OK && ferror(f)) st = RL_ERR_IO;
    if (st == RL_OK && !b->data) st = rl_buf_append(b, "", 0);
    return st;
}
