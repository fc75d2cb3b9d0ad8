/* sparql_value.h: values of SPARQL expressions as rootline computes them
 * (grouping in sparql_agg.c, expressions in sparql_expr.c).
 *
 * A value is an RDF term in the dictionary encoding of term.h, written as
 * one C string: the encoding's NUL separator replaced by RL_VAL_SEP, which
 * is what rl_query_rows hands over ("Uiri", "Blabel", "Llexical",
 * "Glang\x1elexical", "Tdatatype\x1elexical").
 *
 * Numbers follow XPath's numeric types: integer and decimal are exact
 * (a 128-bit mantissa and a decimal scale, at most 30 digits after the
 * point), float and double are C doubles (float rounded to float).
 * Operations that would leave the exact range fail (-1) rather than round.
 *
 * Pure functions; thread-safe.
 */
#ifndef RL_SPARQL_VALUE_H
#define RL_SPARQL_VALUE_H

#include "buf.h"

#define RL_VAL_SEP 0x1e

typedef enum rl_num_type { RL_NUM_INT, RL_NUM_DEC, RL_NUM_FLT, RL_NUM_DBL } rl_num_type;

typedef struct rl_num {
    rl_num_type t;
    __int128 m; /* INT, DEC: the value times 10^scale */
    int scale;
    double d; /* FLT, DBL */
} rl_num;

/* The datatype of an encoded typed literal in the XSD namespace (the part
 * after it, up to RL_VAL_SEP) and its lexical form in *lex; NULL when `v`
 * is not such a literal. */
const char *rl_val_xsd(const char *v, const char **lex);

/* 1 when the datatype rl_val_xsd returned is xsd:`name`. */
int rl_val_xsd_is(const char *dt, const char *name);

/* The lexical form or IRI of an encoded term (NULL for a blank node). */
const char *rl_val_str(const char *v);

/* 0 when `v` is a numeric literal with a valid lexical form (its value in
 * *x), -1 otherwise.  The integer subtypes (xsd:int, xsd:long, ...) are
 * integers. */
int rl_num_of(const char *v, rl_num *x);

/* Reads an xsd:integer (allow_point 0) or xsd:decimal lexical form (leading
 * and trailing spaces allowed); -1 when it is none or past the exact range. */
int rl_num_parse_decimal(const char *p, rl_num *x, int allow_point);

/* Reads an xsd:double lexical form (INF, -INF, NaN, 1.5E3 ...); -1 when it
 * is none. */
int rl_num_parse_double(const char *p, double *d);

double rl_num_double(const rl_num *x);

/* a op= b with SPARQL's numeric type promotion (§17.3).  -1 past the exact
 * range of integer/decimal, or for integer/decimal division by zero;
 * decimal quotients keep 20 digits after the point. */
int rl_num_add(rl_num *a, const rl_num *b);
int rl_num_sub(rl_num *a, const rl_num *b);
int rl_num_mul(rl_num *a, const rl_num *b);
int rl_num_div(rl_num *a, const rl_num *b);

/* Value order of two numbers (-1, 0, 1); NaN compares as unordered (2). */
int rl_num_cmp(const rl_num *a, const rl_num *b);

/* Writes x to o (cleared first) as an encoded typed literal in XSD's
 * canonical form ("2", "1.5", "1.0", "3.0E4", "NaN"), NUL-terminated. */
rl_status rl_num_encode(rl_buf *o, const rl_num *x);

/* SPARQL's ORDER BY order of two encoded terms: blank nodes, IRIs, then
 * literals; numbers by value; otherwise by encoding. */
int rl_val_cmp(const char *a, const char *b);

#endif
