/* sparql_expr.h: SPARQL 1.1 expressions evaluated by rootline.
 *
 * rasqal 0.9.33 evaluates string functions on bytes, not characters
 * (STRLEN, SUBSTR, REGEX "." and REPLACE split Chinese text), drops the
 * language tag of an argument that another function in the same SELECT
 * read, resolves IRI() against no base, and refuses casts of decimals and
 * doubles to integer (measured; docs/modules/query-results.md).  Expressions
 * that rootline can evaluate are therefore evaluated here, over the values
 * rasqal bound (sparql_proj.c decides where).
 *
 * An expression is parsed from the tokens of sparql_lex.h.  What is
 * evaluated: variables, constants (IRIs, prefixed names, literals, numbers,
 * true/false), || && ! = != < > <= >= IN, NOT IN, + - * / and unary + -,
 * and the functions STR LANG LANGMATCHES DATATYPE BOUND IRI URI STRDT
 * STRLANG sameTerm isIRI isURI isBLANK isLITERAL isNUMERIC IF COALESCE
 * STRLEN SUBSTR UCASE LCASE STRSTARTS STRENDS CONTAINS STRBEFORE STRAFTER
 * ENCODE_FOR_URI CONCAT REGEX REPLACE ABS ROUND CEIL FLOOR MD5 SHA1 SHA256
 * SHA384 SHA512 YEAR MONTH DAY HOURS MINUTES SECONDS TIMEZONE TZ and the
 * casts xsd:string xsd:integer xsd:decimal xsd:double xsd:float
 * xsd:boolean xsd:dateTime.  Anything else (aggregates, EXISTS, BNODE,
 * RAND, NOW, UUID, STRUUID, other function IRIs) makes the parse answer
 * RL_ERR_UNSUPPORTED, and the caller leaves that expression to rasqal.
 *
 * Strings are Unicode code points (utf8proc for case mapping), regular
 * expressions PCRE2 in UTF mode, digests OpenSSL's.  An evaluation error
 * (a type error, a bad regular expression, division by zero) gives no
 * value, as SPARQL's error does.
 *
 * Values are the encoded terms of sparql_value.h.  One rl_expr is used by
 * one thread at a time (it keeps its intermediate values and compiled
 * regular expressions).
 */
#ifndef RL_SPARQL_EXPR_H
#define RL_SPARQL_EXPR_H

#include "buf.h"
#include "sparql_lex.h"

#define RL_EXPR_MAX_PREFIXES 256

/* The query's prologue: tokens of PREFIX name: <iri> pairs and BASE. */
typedef struct rl_prologue {
    const rl_tok *pfx_name[RL_EXPR_MAX_PREFIXES]; /* the PNAME token "ex:" */
    const rl_tok *pfx_iri[RL_EXPR_MAX_PREFIXES];  /* its IRI token */
    size_t npfx;
    const rl_tok *base;       /* the last BASE's IRI token, or NULL */
    const char *base_default; /* the request's base IRI when no BASE, or NULL */
} rl_prologue;

/* Reads the PREFIX and BASE declarations at the start of t[0..n); returns
 * the index of the first token after them.  More prefixes than the limit
 * keep the first ones (an expression naming another is then unsupported). */
size_t rl_prologue_read(const rl_tok *t, size_t n, rl_prologue *pro, const char *base_default);

typedef struct rl_expr rl_expr;

/* Parses the expression t[a..b) (the whole range).  The tokens, their text
 * and `pro` need not outlive the result.  Errors: RL_ERR_UNSUPPORTED (a
 * form listed above as left to rasqal), RL_ERR_INPUT (not an expression;
 * err says why), RL_ERR_LIMIT (more than 4096 operations), RL_ERR_NOMEM. */
rl_status rl_expr_parse(const rl_tok *t, size_t a, size_t b, const rl_prologue *pro, rl_expr **out,
                        char *err, size_t cap);

/* The variables the expression reads (names without ? or $); i < count. */
size_t rl_expr_var_count(const rl_expr *e);
const char *rl_expr_var(const rl_expr *e, size_t i);

/* Looks a variable up: its encoded value (NUL-terminated), or NULL when it
 * is unbound.  The value must stay valid until rl_expr_eval returns. */
typedef const char *(*rl_expr_lookup_fn)(void *ctx, const char *name);

/* Evaluates e for one solution.  *value gets the encoded result
 * (NUL-terminated, owned by e, valid until the next call) or NULL when the
 * expression has no value (an error).  RL_ERR_NOMEM / RL_ERR_LIMIT (a
 * string result over 64 MiB) are the only failures. */
rl_status rl_expr_eval(rl_expr *e, rl_expr_lookup_fn lookup, void *ctx, const char **value);

/* The effective boolean value (§17.2.2) of an encoded value: 1 true,
 * 0 false, -1 an error (NULL, or a term that has none). */
int rl_expr_ebv(const char *value);

/* Frees e; NULL is a no-op. */
void rl_expr_free(rl_expr *e);

#endif
