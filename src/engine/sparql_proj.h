/* sparql_proj.h: the outermost SELECT's projection expressions evaluated
 * by rootline (sparql_expr.h says which expressions and why).
 *
 * rl_proj_plan reads the final query text (after every rewrite).  When the
 * outermost SELECT has `(expression AS ?v)` items that sparql_expr
 * evaluates, rasqal is given the query with each such item written as a
 * plain ?v (unbound in its solutions) and the variables the expressions
 * read added as hidden columns (RL_HIDDEN_VAR_PREFIX, never written).  The
 * result writer then calls rl_proj_row on every solution, which computes
 * the ?v columns in projection order.
 *
 * FILTERs directly in the outermost group that use a function rasqal gets
 * wrong (REGEX, REPLACE, SUBSTR, STRLEN, UCASE, LCASE, STRBEFORE, STRAFTER,
 * IRI, CONCAT, ENCODE_FOR_URI, casts) are taken too: rasqal's query loses
 * them and the LIMIT / OFFSET, which rl_proj_row applies after them.  Not
 * when a VALUES follows the group (it is joined after the FILTERs).
 *
 * So are the BINDs at the end of that group (only BINDs and FILTERs after
 * them) whose variable nothing rasqal evaluates reads: rasqal drops a
 * solution whose BIND fails, SPARQL leaves the variable unbound.  They are
 * computed first, in order, then the FILTERs, then the items.  Not with
 * SELECT * (the variable would need a column).
 *
 * The plan is made on the user's text (before the pattern rewrite turns
 * XPath regular expressions into rasqal's POSIX ones).
 *
 * An item stays rasqal's when: the query is not a SELECT, has DISTINCT or
 * REDUCED (which must see the computed values), GROUP BY, HAVING or an
 * aggregate in its projection; ORDER BY
 * or an expression rasqal evaluates names the item's variable; or the
 * expression holds a form sparql_expr leaves to rasqal.
 *
 * A plan belongs to one query and one thread.
 */
#ifndef RL_SPARQL_PROJ_H
#define RL_SPARQL_PROJ_H

#include "buf.h"

#include <redland.h>

typedef struct rl_proj rl_proj;

/* Plans `in` (base: the request's base IRI or NULL).  With something to
 * evaluate: *out_plan gets the plan and `out` (cleared first) the query
 * rasqal runs.  Otherwise *out_plan is NULL and `out` is untouched.
 * Errors: RL_ERR_NOMEM, RL_ERR_LIMIT (the text over out's ceiling); text
 * the planner cannot read is no error (no plan). */
rl_status rl_proj_plan(const char *in, const char *base, rl_buf *out, rl_proj **out_plan, char *err,
                       size_t cap);

/* Computes one solution: names[i] and vals[i] (NULL: unbound) are all n
 * columns of the result, hidden ones included.  First the planned FILTERs
 * (*keep = 0 when one is not true, which drops the solution), then the
 * OFFSET and LIMIT they took from rasqal (*keep = 0 before the offset, -1
 * past the limit: no more solutions are wanted), then the planned columns:
 * vals[k] of each (freed first) becomes its value, or NULL when the
 * expression has none.  *keep = 1 otherwise.  RL_ERR_NOMEM / RL_ERR_LIMIT
 * only. */
rl_status rl_proj_row(rl_proj *p, librdf_world *w, const char *const *names, librdf_node **vals,
                      int n, int *keep);

/* How many items and FILTERs the plan evaluates (for --explain). */
size_t rl_proj_count(const rl_proj *p);
size_t rl_proj_filters(const rl_proj *p);
size_t rl_proj_binds(const rl_proj *p);

/* Frees a plan; NULL is a no-op. */
void rl_proj_free(rl_proj *p);

#endif
