/* gr_source.h: look at the Go source of a blocked select (seed §4.2).
 * For a goroutine group waiting in `select`, the innermost non-runtime frame
 * points at the select statement.  With the sources under DIR (the frame's
 * absolute path is matched by its longest suffix that exists under DIR), the
 * statement's block is read: whether it has a `default:` clause, and its
 * `case` clauses that receive (`<-`).  A select without default whose
 * receive cases never fire blocks forever.  Thread-safe. */
#ifndef RL_GR_SOURCE_H
#define RL_GR_SOURCE_H

#include "gr_analyze.h"

/* {file, line, has_default, receive_cases[...]} for group k, or NULL when the
 * group is not a select wait or its source is not found under dir. */
json_t *rl_gr_select_source(const rl_gr_analysis *a, size_t k, const char *dir);

#endif
