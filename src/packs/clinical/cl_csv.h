/* cl_csv.h: RFC 4180 rows: comma-separated, double-quoted fields with ""
 * for a quote, CRLF or LF line ends, a UTF-8 BOM skipped.  Fields are
 * copied into a buffer owned by the reader; a row is valid until the next
 * call.  Ceilings: 256 fields per row, 1 MiB per row (RL_ERR_LIMIT).
 * Not thread-safe: one reader per thread. */
#ifndef RL_CL_CSV_H
#define RL_CL_CSV_H

#include "buf.h"

#include <stddef.h>

#define RL_CSV_MAX_FIELDS 256

typedef struct rl_csv {
    const char *p, *end;
    size_t line;          /* line where the current row starts (1-based) */
    size_t line_next;     /* line where the next row starts */
    rl_buf field_text;    /* NUL-separated copies of the fields */
    const char *f[RL_CSV_MAX_FIELDS];
    size_t nf;
} rl_csv;

/* Starts reading text[0..len). */
void rl_csv_init(rl_csv *c, const char *text, size_t len);
void rl_csv_free(rl_csv *c);

/* Reads the next row into c->f[0..nf).  Returns RL_OK, RL_ERR_NOTFOUND at
 * the end, RL_ERR_INPUT for an unterminated quote or text after a closing
 * quote (err names the line), RL_ERR_LIMIT. */
rl_status rl_csv_next(rl_csv *c, char *err, size_t cap);

#endif
