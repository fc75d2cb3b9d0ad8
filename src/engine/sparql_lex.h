/* sparql_lex.h: SPARQL 1.1 query text as tokens, for the rewrite layer
 * (sparql_guard.c).  The lexer follows the terminals of the SPARQL 1.1
 * grammar (§19.8): IRIREF, prefixed names, variables, blank node labels,
 * the four string forms, numbers, language tags, keywords/function names,
 * and punctuation.  Comments and white space are dropped but remembered as
 * a flag on the following token, so text written back from the tokens keeps
 * every adjacency that matters ("-1", "\"x\"@en", "?a<?b").
 *
 * Tokens point into the caller's text (not copied): the text must outlive
 * them.  Pure functions; thread-safe.
 */
#ifndef RL_SPARQL_LEX_H
#define RL_SPARQL_LEX_H

#include "status.h"

#include <stddef.h>

typedef enum rl_tok_kind {
    RL_TOK_IRI = 1, /* <...> */
    RL_TOK_PNAME,   /* ex:a, :a, ex: */
    RL_TOK_VAR,     /* ?x or $x (p includes the sigil) */
    RL_TOK_BNODE,   /* _:b */
    RL_TOK_STRING,  /* "..." '...' """...""" '''...''' */
    RL_TOK_NUMBER,  /* 1 1.5 .5 1e3 (unsigned: a sign is its own token) */
    RL_TOK_LANG,    /* @en-GB */
    RL_TOK_NAME,    /* keywords, built-in function names, a, true, false */
    RL_TOK_PUNCT    /* { } ( ) [ ] . ; , | / ^ ^^ * + ? ! != = < <= > >= && || - */
} rl_tok_kind;

typedef struct rl_tok {
    rl_tok_kind kind;
    const char *p; /* into the text */
    size_t n;
    int space;     /* what came before it: 0 nothing, 1 white space or a comment, 2 a line end */
    int line;      /* 1-based */
} rl_tok;

typedef struct rl_toks {
    rl_tok *v;
    size_t n, cap;
} rl_toks;

/* Tokenises `text` into `out` (which must be zeroed or freed before).  At
 * most `max` tokens (0 = 1,000,000): more is RL_ERR_LIMIT.  A character no
 * token can start with, or an unclosed string, is RL_ERR_INPUT with the line
 * in err.  On error `out` is freed. */
rl_status rl_lex(const char *text, rl_toks *out, size_t max, char *err, size_t cap);

/* Frees the token array; a zeroed or freed rl_toks is a no-op. */
void rl_toks_free(rl_toks *t);

/* The index of the bracket closing the one ( { [ at t[i] (brackets of all
 * three kinds counted together), or n when it is not closed. */
size_t rl_toks_close(const rl_tok *t, size_t n, size_t i);

/* 1 when `t` is the keyword/name `w` (ASCII case-insensitive) or, for
 * punctuation, exactly `w`. */
int rl_tok_is(const rl_tok *t, const char *w);

#endif
