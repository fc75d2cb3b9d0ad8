/* term.c: RDF term <-> bytes. */
#include "term.h"

#include <string.h>

static const char xsd_string[] = "http://www.w3.org/2001/XMLSchema#string";

rl_status rl_term_encode_iri(rl_buf *out, const char *iri)
{
    rl_status st = rl_buf_append(out, "U", 1);
    return st == RL_OK ? rl_buf_puts(out, iri) : st;
}

rl_status rl_term_encode_literal(rl_buf *out, const unsigned char *lex, size_t lexlen,
                                 const char *datatype, const unsigned char *lang,
                                 size_t langlen)
{
    rl_status st;
    if (datatype && strcmp(datatype, xsd_string) != 0) {
        if ((st = rl_buf_append(out, "T", 1)) != RL_OK) return st;
        if ((st = rl_buf_puts(out, datatype)) != RL_OK) return st;
        if ((st = rl_buf_append(out, "", 1)) != RL_OK) return st;
    } else if (!datatype && lang && langlen) {
        if ((st = rl_buf_append(out, "G", 1)) != RL_OK) return st;
        if ((st = rl_buf_append(out, lang, langlen)) != RL_OK) return st;
        if ((st = rl_buf_append(out, "", 1)) != RL_OK) return st;
    } else { /* RDF 1.1: "x"^^xsd:string and "x" are the same term */
        if ((st = rl_buf_append(out, "L", 1)) != RL_OK) return st;
    }
    return rl_buf_append(out, lex, lexlen);
}

rl_status rl_term_encode(const raptor_term *t, rl_buf *out)
{
    size_t n = 0;
    const unsigned char *s;
    rl_status st;
    switch (t->type) {
    case RAPTOR_TERM_TYPE_URI:
        s = raptor_uri_as_counted_string(t->value.uri, &n);
        if ((st = rl_buf_append(out, "U", 1)) != RL_OK) return st;
        return rl_buf_append(out, s, n);
    case RAPTOR_TERM_TYPE_BLANK:
        if ((st = rl_buf_append(out, "B", 1)) != RL_OK) return st;
        return rl_buf_append(out, t->value.blank.string, t->value.blank.string_len);
    case RAPTOR_TERM_TYPE_LITERAL:
        return rl_term_encode_literal(
            out, t->value.literal.string, t->value.literal.string_len,
            t->value.literal.datatype ? (const char *)raptor_uri_as_string(t->value.literal.datatype) : NULL,
            t->value.literal.language, t->value.literal.language_len);
    case RAPTOR_TERM_TYPE_UNKNOWN:
    default:
        return RL_ERR_USAGE;
    }
}

const unsigned char *rl_term_value(const unsigned char *b, size_t n, size_t *len)
{
    if (n < 1) return NULL;
    if (b[0] == 'U' || b[0] == 'L') {
        *len = n - 1;
        return b + 1;
    }
    if (b[0] != 'T' && b[0] != 'G') return NULL;
    const unsigned char *z = memchr(b + 1, 0, n - 1);
    if (!z) return NULL;
    *len = n - (size_t)(z + 1 - b);
    return z + 1;
}

raptor_term *rl_term_decode(raptor_world *w, const unsigned char *b, size_t n)
{
    if (n < 1) return NULL;
    const unsigned char *p = b + 1;
    size_t rest = n - 1;
    switch (b[0]) {
    case 'U':
        return raptor_new_term_from_counted_uri_string(w, p, rest);
    case 'B':
        return raptor_new_term_from_counted_blank(w, p, rest);
    case 'L':
        return raptor_new_term_from_counted_literal(w, p, rest, NULL, NULL, 0);
    case 'G':
    case 'T': {
        const unsigned char *z = memchr(p, 0, rest);
        if (!z) return NULL;
        size_t hl = (size_t)(z - p);
        const unsigned char *lex = z + 1;
        size_t lexlen = rest - hl - 1;
        if (b[0] == 'G') {
            if (hl > 255) return NULL;
            return raptor_new_term_from_counted_literal(w, lex, lexlen, NULL, p,
                                                        (unsigned char)hl);
        }
        raptor_uri *dt = raptor_new_uri_from_counted_string(w, p, hl);
        if (!dt) return NULL;
        raptor_term *t = raptor_new_term_from_counted_literal(w, lex, lexlen, dt, NULL, 0);
        raptor_free_uri(dt);
        return t;
    }
    default:
        return NULL;
    }
}
