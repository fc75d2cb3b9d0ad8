/* cl_csv.c: an RFC 4180 reader. */
#include "cl_csv.h"

#include <stdio.h>
#include <string.h>

void rl_csv_init(rl_csv *c, const char *text, size_t len)
{
    memset(c, 0, sizeof *c);
    c->p = text;
    c->end = text + len;
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) c->p += 3;
    c->line = 1;
    rl_buf_init(&c->field_text, (size_t)1 << 20);
}

void rl_csv_free(rl_csv *c)
{
    rl_buf_free(&c->field_text);
}

rl_status rl_csv_next(rl_csv *c, char *err, size_t cap)
{
    if (c->line_next) c->line = c->line_next;
    /* skip blank lines */
    while (c->p < c->end && (*c->p == '\n' || *c->p == '\r')) {
        if (*c->p == '\n') c->line++;
        c->p++;
    }
    if (c->p >= c->end) return RL_ERR_NOTFOUND;
    rl_buf_clear(&c->field_text);
    size_t starts[RL_CSV_MAX_FIELDS];
    size_t start_line = c->line;
    c->nf = 0;
    rl_status st = RL_OK;
    for (;;) {
        if (c->nf == RL_CSV_MAX_FIELDS) {
            snprintf(err, cap, "line %zu: more than %d fields", start_line, RL_CSV_MAX_FIELDS);
            return RL_ERR_LIMIT;
        }
        starts[c->nf++] = c->field_text.len;
        if (c->p < c->end && *c->p == '"') {
            c->p++;
            for (;;) {
                if (c->p >= c->end) {
                    snprintf(err, cap, "line %zu: a quoted field is not closed", start_line);
                    return RL_ERR_INPUT;
                }
                if (*c->p == '"') {
                    if (c->p + 1 < c->end && c->p[1] == '"') {
                        st = rl_buf_append(&c->field_text, "\"", 1);
                        c->p += 2;
                    } else {
                        c->p++;
                        break;
                    }
                } else {
                    if (*c->p == '\n') c->line++;
                    st = rl_buf_append(&c->field_text, c->p++, 1);
                }
                if (st != RL_OK) goto limit;
            }
            if (c->p < c->end && *c->p != ',' && *c->p != '\n' && *c->p != '\r') {
                snprintf(err, cap, "line %zu: text after the closing quote of field %zu", start_line, c->nf);
                return RL_ERR_INPUT;
            }
        } else {
            const char *s = c->p;
            while (c->p < c->end && *c->p != ',' && *c->p != '\n' && *c->p != '\r') c->p++;
            if ((st = rl_buf_append(&c->field_text, s, (size_t)(c->p - s))) != RL_OK) goto limit;
        }
        if ((st = rl_buf_append(&c->field_text, "", 1)) != RL_OK) goto limit;
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        break;
    }
    if (c->p < c->end && *c->p == '\r') c->p++;
    if (c->p < c->end && *c->p == '\n') c->p++, c->line++;
    for (size_t i = 0; i < c->nf; i++) c->f[i] = (const char *)c->field_text.data + starts[i];
    size_t next = c->line; /* the next row starts here; report this row's own line */
    c->line = start_line;
    c->line_next = next;
    return RL_OK;
limit:
    snprintf(err, cap, "line %zu: row longer than 1 MiB", start_line);
    return RL_ERR_LIMIT;
}
