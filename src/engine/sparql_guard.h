/* sparql_guard.h: what a query may not bring to rasqal, and what rootline
 * rewrites before rasqal sees it (SPEC §9, ../shared/redland-facts.md).
 *
 * The table (docs/modules/query-results.md repeats it with the evidence):
 *
 * | form                                  | rasqal 0.9.33 does             | rootline           |
 * |---------------------------------------|--------------------------------|--------------------|
 * | VALUES ?x { a b c }  (short form)     | keeps the first value, or a    | rewritten to       |
 * |                                       | heap overflow / SIGSEGV when   | VALUES (?x) { (a)  |
 * |                                       | joined to a pattern            | (b) (c) }          |
 * | VALUES () { () }  (no variables)      | SIGSEGV inside a pattern; 1    | VALUES (?hidden)   |
 * |                                       | row for VALUES () { } at the   | { (0) } (one row   |
 * |                                       | end                            | per () written)    |
 * | a + b - c + d (4+ terms at one level) | heap overflow in its parser    | ((a + b) - c) + d  |
 * | 5-2 (minus touching a number)         | 7: "-2" read as a literal and  | 5- 2               |
 * |                                       | subtracted                     |                    |
 * | CONCAT(..., f(x), ...)  (a function   | use-after-free: heap garbage   | refused (400):     |
 * |   call or expression as an argument)  | in the result                  | BIND it to a       |
 * |                                       |                                | variable first     |
 * |                                       |                                | (in the projection |
 * |                                       |                                | or an outermost    |
 * |                                       |                                | FILTER rootline    |
 * |                                       |                                | computes it:       |
 * |                                       |                                | sparql_proj.h)     |
 * | SERVICE <url> { ... }                 | fetches the URL itself (SSRF)  | refused (400)      |
 * | DESCRIBE <iri> / DESCRIBE ?x WHERE .. | librdf cannot run it           | CONSTRUCT of every |
 * |                                       |                                | triple with it as  |
 * |                                       |                                | subject            |
 * | DROP ALL / DROP NAMED (update)        | no operation at all (silently) | DROP -> CLEAR      |
 * | DELETE {..} INSERT {..} WHERE {..}    | syntax error                   | split in two ops   |
 * | DELETE WHERE { GRAPH <g> {..} }       | no operation at all            | DELETE {P} WHERE {P} |
 * | USING <g>, USING NAMED <g> (update)   | syntax error                   | a comment update.c |
 * |                                       |                                | reads: FROM (NAMED)|
 * | WITH <g> (update)                     | every template triple into g,  | a comment update.c |
 * |                                       | GRAPH blocks too; WHERE not g  | reads              |
 * | INSERT/DELETE DATA { t GRAPH <g> {..} | syntax error past the first    | one operation per  |
 * |   GRAPH <h> {..} }                    | part                           | part               |
 * | ADD/COPY/MOVE GRAPH <g> TO GRAPH <h>  | syntax error                   | GRAPH dropped      |
 * | BASE after PREFIX, or twice           | syntax error                   | one BASE, PREFIXes |
 * |                                       |                                | resolved           |
 * | property paths / ^ | ! ? * +          | syntax error                   | joins, UNION,      |
 * |                                       |                                | DISTINCT subquery  |
 * |                                       |                                | chains as long as  |
 * |                                       |                                | the data needs     |
 * | FILTER [NOT] EXISTS {P}               | syntax error                   | OPTIONAL subquery  |
 * |                                       |                                | + BOUND flag       |
 * | A MINUS {Q}                           | execution fails, no message    | OPTIONAL subquery, |
 * |                                       |                                | compat. condition  |
 * | GRAPH g { s p o } (no variable)       | matches if any graph has it    | s p ?v FILTER(     |
 * |                                       | (librdf asks without a graph)  | sameTerm(?v, o))   |
 * | GRAPH g { }                           | one row, even for no graph     | DISTINCT subquery  |
 * | { BIND(?o + 1 AS ?z) } with ?o bound  | computes ?z from the outer ?o  | ?o renamed to a    |
 * |   only outside the BIND's group       | (scope leak)                   | hidden, unbound var|
 * Two more stages of the same layer have their own modules (query.c runs
 * them after these): sparql_agg.h (GROUP BY and aggregates, a subquery's
 * LIMIT / OFFSET, GRAPH ?g { subquery | VALUES }: solved by rootline and
 * handed back as BIND blocks) and sparql_proj.h (the outermost SELECT's
 * projection expressions, its FILTERs that use a function rasqal gets
 * wrong, its trailing BINDs: computed by rootline, sparql_expr.h, as the
 * rows are written).  docs/modules/query-results.md has the whole table.
 * The pattern rows (rl_guard_rewrite_patterns) never let an added pattern
 * share a variable with its group: rasqal's OPTIONAL answers wrong when it
 * does (docs/modules/query-results.md has the measurements).
 *
 * Pure functions on text and parsed queries; thread-safe.
 */
#ifndef RL_SPARQL_GUARD_H
#define RL_SPARQL_GUARD_H

#include "buf.h"

#include <rasqal.h>

/* Rewrites `in` into `out` (cleared first): every short-form VALUES block
 * becomes the parenthesised form.  Strings, IRIs and comments are never
 * touched.  *changed counts the blocks rewritten.  RL_ERR_INPUT when a
 * VALUES block is not closed (err says where), RL_ERR_LIMIT past the
 * buffer's ceiling. */
rl_status rl_guard_rewrite(const char *in, rl_buf *out, int *changed, char *err, size_t cap);

/* Rewrites every additive chain of four or more terms at one level in an
 * expression (FILTER, BIND, the SELECT clause, HAVING, ORDER BY, GROUP BY),
 * `a + b - c + d`, into the left-nested `((a + b) - c) + d`: rasqal
 * 0.9.33's parser overflows the heap on the flat form.  The rest of `in`,
 * comments included, is copied as written; *changed counts the chains.
 * Also, a binary minus touching a number, `5-2`, gets a space (`5- 2`):
 * rasqal reads "-2" as a negative literal and answers 5 - -2 = 7.
 * Text the lexer cannot read is copied as is (rasqal reports it).
 * RL_ERR_LIMIT past the buffer's ceiling, RL_ERR_NOMEM. */
rl_status rl_guard_rewrite_chains(const char *in, rl_buf *out, int *changed, char *err, size_t cap);

/* A BIND sees only the variables of what precedes it in its own group
 * (SPARQL 1.1 §18.2.2: BIND extends the group's pattern so far); rasqal
 * 0.9.33 lets it read a value bound outside the group, so that
 * `?s ?p ?o { BIND(?o + 1 AS ?z) } UNION { ... }` computes ?z from ?o.
 * Every variable of a BIND expression that occurs nowhere before the BIND
 * in its group (so cannot be bound there) is renamed to a hidden variable
 * nothing binds; when none of its variables is left, the BIND is written
 * as BIND(0 AS ?hidden) OPTIONAL { BIND(..) } (the same solutions; the
 * first BIND because rasqal's OPTIONAL first in a group matches nothing;
 * the OPTIONAL because rasqal drops the
 * solution when a BIND's expression fails, where SPARQL leaves the
 * variable unbound).  A BIND holding a group (EXISTS) is left as written.
 * *changed counts the variables renamed.  Errors as
 * rl_guard_rewrite_chains. */
rl_status rl_guard_rewrite_bind_scope(const char *in, rl_buf *out, int *changed, char *err, size_t cap);

/* For SPARQL Update: DROP becomes CLEAR (rasqal 0.9.33 parses DROP ALL and
 * DROP NAMED into no operation at all; in rootline's store a graph exists
 * only while it holds triples, so both mean the same), and the combined
 * "[WITH g] DELETE {D} INSERT {I} WHERE {W}", which rasqal cannot parse,
 * becomes "DELETE {D} WHERE {W} ; INSERT {I} WHERE {W}" (each with the WITH;
 * both solved against the store before the request).  WITH, USING and
 * USING NAMED become the markers below (rasqal gets WITH wrong: it moves
 * every template triple into that graph and drops it for the WHERE).  An
 * INSERT DATA / DELETE DATA block of several parts (triples and GRAPH
 * blocks, which rasqal cannot parse together) becomes one operation per
 * part; blank node labels keep their meaning, being scoped to the request. */
rl_status rl_guard_rewrite_update(const char *in, rl_buf *out, int *changed, char *err, size_t cap);

/* Markers the update rewrite leaves for update.c, as comments rasqal skips:
 * the second half of a split DELETE/INSERT, a USING clause, a USING NAMED
 * clause and a WITH clause (each followed by a space and the graph as
 * written: an IRI or a prefixed name). */
#define RL_GUARD_SPLIT_MARK "#rl-split"
#define RL_GUARD_USING_MARK "#USING"
#define RL_GUARD_USING_NAMED_MARK "#USING-NAMED"
#define RL_GUARD_WITH_MARK "#WITH"

/* A SELECT the pattern rewrite runs to measure the data a closure needs
 * (the step relation of p* and p+, and the written form of a constant).
 * `query` is complete SPARQL with the original prologue and dataset; `fn`
 * gets each row's values in projection order, as strings that are equal
 * exactly when the terms are (NULL when unbound), and may stop the query
 * with an error status.  Returns RL_OK or an error with err set. */
typedef rl_status (*rl_guard_row_fn)(void *fn_ctx, const char *const *vals, int n);
typedef struct rl_guard_env {
    rl_status (*select)(void *ctx, const char *query, rl_guard_row_fn fn, void *fn_ctx, char *err, size_t cap);
    void *ctx;
    size_t max_pairs; /* step pairs per closure (0 = 1,000,000; past it RL_ERR_LIMIT) */
    int max_depth;    /* longest chain a closure is expanded to (0 = 64; past it RL_ERR_LIMIT) */
} rl_guard_env;

/* Rewrites what rasqal 0.9.33 cannot parse or run into SPARQL it runs with
 * the same answers: BASE anywhere in the prologue, property paths, EXISTS
 * and NOT EXISTS, MINUS (rows 1-4 of the table in docs/modules/query-results.md).
 * `out` is cleared first and gets the query (the input itself when nothing
 * needed rewriting; *changed says which).  `env` may be NULL when the query
 * has no * or + path.  Errors: RL_ERR_INPUT (a form the rewrite cannot read:
 * line and what was expected in err), RL_ERR_LIMIT (a path's step relation
 * or depth, nesting, length), RL_ERR_NOMEM, or the env's error.
 * Thread-safe when env->select is. */
rl_status rl_guard_rewrite_patterns(const char *in, rl_buf *out, const rl_guard_env *env, int *changed, char *err,
                                    size_t cap);

/* Checks a parsed query for the forms that are refused.  RL_ERR_UNSUPPORTED
 * with a message saying what to write instead. */
rl_status rl_guard_check(rasqal_query *q, char *err, size_t cap);

/* The same refusal of CONCAT with a call or expression as an argument, read
 * from the text rasqal is about to get: rasqal's own visitor does not report
 * every FILTER (one after a BIND in a nested group was missed). */
rl_status rl_guard_check_text(const char *text, char *err, size_t cap);

#endif
