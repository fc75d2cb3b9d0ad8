/* sparql_lex.c: SPARQL terminals (SPARQL 1.1 §19.8). */
#include "sparql_lex.h"

#include "buf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* PN_CHARS_U and PN_CHARS in bytes: every byte >= 0x80 is taken as part of
 * a name (the grammar's non-ASCII ranges; rasqal checks them afterwards). */
static int name_start(unsigned char c) { return isalpha(c) || c == '_' || c >= 0x80; }
static int name_char(unsigned char c) { return isalnum(c) || c == '_' || c == '-' || c >= 0x80; }

static size_t iri_len(const char *p)
{
    const char *q = p + 1;
    while (*q && *q != '>') {
        unsigned char c = (unsigned char)*q;
        if (c <= 0x20 || c == '<' || c == '"' || c == '{' || c == '}' || c == '|' || c == '^' ||
            c == '`' || c == '\\')
            return 0;
        q++;
    }
    return *q == '>' ? (size_t)(q - p + 1) : 0;
}

/* 0 when unclosed. */
static size_t string_len(const char *p)
{
    const char *s = p;
    char c = *p;
    int longq = p[1] == c && p[2] == c;
    p += longq ? 3 : 1;
    while (*p) {
        if (*p == '\\' && p[1]) {
            p += 2;
            continue;
        }
        if (*p == c && (!longq || (p[1] == c && p[2] == c))) return (size_t)(p + (longq ? 3 : 1) - s);
        if (!longq && (*p == '\n' || *p == '\r')) return 0;
        p++;
    }
    return 0;
}

static size_t number_len(const char *p)
{
    const char *s = p;
    while (isdigit((unsigned char)*p)) p++;
    if (*p == '.' && (isdigit((unsigned char)p[1]) ||
                      (p > s && (p[1] == 'e' || p[1] == 'E') &&
                       (isdigit((unsigned char)p[2]) ||
                        ((p[2] == '+' || p[2] == '-') && isdigit((unsigned char)p[3])))))) {
        p++;
        while (isdigit((unsigned char)*p)) p++;
    }
    if ((*p == 'e' || *p == 'E') &&
        (isdigit((unsigned char)p[1]) || ((p[1] == '+' || p[1] == '-') && isdigit((unsigned char)p[2])))) {
        p += 2;
        while (isdigit((unsigned char)*p)) p++;
    }
    return (size_t)(p - s);
}

/* The local part of a prefixed name after the ':' (PN_LOCAL with PLX). */
static size_t local_len(const char *p)
{
    const char *s = p;
    for (;;) {
        unsigned char c = (unsigned char)*p;
        if (name_char(c) || c == ':' || c == '.') {
            p++;
        } else if (c == '%' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])) {
            p += 3;
        } else if (c == '\\' && p[1] && strchr("_~.-!$&'()*+,;=/?#@%", p[1])) {
            p += 2;
        } else {
            break;
        }
    }
    while (p > s && p[-1] == '.' && (p - 1 == s || p[-2] != '\\')) p--; /* a name never ends in '.' */
    return (size_t)(p - s);
}

static const char *const PUNCT2[] = {"^^", "&&", "||", "!=", "<=", ">=", NULL};

rl_status rl_lex(const char *text, rl_toks *out, size_t max, char *err, size_t cap)
{
    rl_status s = RL_OK;
    const char *p = text;
    int line = 1, space = 0;
    if (!max) max = 1000000;
    memset(out, 0, sizeof *out);
    while (*p) {
        unsigned char c = (unsigned char)*p;
        if (c == '\n') {
            line++, p++, space = 2;
            continue;
        }
        if (isspace(c)) {
            p++, space = space ? space : 1;
            continue;
        }
        if (c == '#') {
            while (*p && *p != '\n') p++;
            space = space ? space : 1;
            continue;
        }
        rl_tok t = {0, p, 0, space, line};
        if (c == '<' && (t.n = iri_len(p))) {
            t.kind = RL_TOK_IRI;
        } else if (c == '"' || c == '\'') {
            if (!(t.n = string_len(p))) {
                s = rl_errorf(err, cap, RL_ERR_INPUT, "line %d: a string is not closed", line);
                goto out;
            }
            t.kind = RL_TOK_STRING;
        } else if ((c == '?' || c == '$') && (name_char((unsigned char)p[1]))) {
            t.n = 1; /* VARNAME: no '-' (unlike prefixed names): "?a-?b" is a subtraction */
            while (name_char((unsigned char)p[t.n]) && p[t.n] != '-') t.n++;
            t.kind = RL_TOK_VAR;
        } else if (c == '_' && p[1] == ':') {
            t.n = 2 + local_len(p + 2);
            t.kind = RL_TOK_BNODE;
        } else if (isdigit(c) || (c == '.' && isdigit((unsigned char)p[1]))) {
            t.n = number_len(p);
            t.kind = RL_TOK_NUMBER;
        } else if (c == '@' && isalpha((unsigned char)p[1])) {
            t.n = 1;
            while (isalnum((unsigned char)p[t.n]) || p[t.n] == '-') t.n++;
            t.kind = RL_TOK_LANG;
        } else if (name_start(c) || c == ':') {
            size_t n = 0;
            if (c != ':') {
                while (name_char((unsigned char)p[n]) || (p[n] == '.' && name_char((unsigned char)p[n + 1]))) n++;
            }
            if (p[n] == ':') {
                n++;
                n += local_len(p + n);
                t.kind = RL_TOK_PNAME;
            } else {
                t.kind = RL_TOK_NAME;
            }
            t.n = n;
        } else {
            for (int i = 0; PUNCT2[i]; i++)
                if (!strncmp(p, PUNCT2[i], 2)) t.n = 2;
            if (!t.n && strchr("{}()[].;,|/^*+?!=<>-", c)) t.n = 1;
            if (!t.n) {
                s = rl_errorf(err, cap, RL_ERR_INPUT, "line %d: unexpected character '%c'", line,
                              isprint(c) ? c : '?');
                goto out;
            }
            t.kind = RL_TOK_PUNCT;
        }
        for (size_t i = 0; i < t.n; i++)
            if (p[i] == '\n') line++;
        if (out->n >= max) {
            s = rl_errorf(err, cap, RL_ERR_LIMIT, "the query has more than %zu tokens", max);
            goto out;
        }
        if ((s = rl_array_grow((void **)&out->v, &out->cap, out->n + 1, sizeof *out->v, max)) != RL_OK) goto out;
        out->v[out->n++] = t;
        p += t.n;
        space = 0;
    }
out:
    if (s != RL_OK) rl_toks_free(out);
    return s;
}

void rl_toks_free(rl_toks *t)
{
    if (!t) return;
    free(t->v);
    memset(t, 0, sizeof *t);
}

int rl_tok_is(const rl_tok *t, const char *w)
{
    size_t n = strlen(w);
    if (!t || t->n != n) return 0;
    if (t->kind == RL_TOK_NAME) return !strncasecmp(t->p, w, n);
    if (t->kind == RL_TOK_PUNCT) return !strncmp(t->p, w, n);
    return 0;
}

size_t rl_toks_close(const rl_tok *t, size_t n, size_t i)
{
    int depth = 0;
    for (size_t k = i; k < n; k++) {
        if (t[k].kind != RL_TOK_PUNCT || t[k].n != 1) continue;
        if (strchr("({[", *t[k].p)) depth++;
        else if (strchr(")}]", *t[k].p) && --depth == 0) return k;
    }
    return n;
}
