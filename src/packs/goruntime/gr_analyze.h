/* gr_analyze.h: group goroutines by stack signature and classify them.
 *
 * Group key: the first 32 hex digits of SHA-256 over the normalised
 * signature — wait state, then per frame "function\tfile:line" (arguments only
 * with RL_GR_EXACT; no line numbers with RL_GR_NO_LINES), then the creator
 * function.  Classes: runtime.main (goid 1), runtime-owned (start frame in
 * package runtime, or a known runtime-started std goroutine), user.  Leak
 * classes come from the wait reason (or, in debug=1, from the blocking frames).
 * Verdict for a user goroutine in a leak-class wait, not an accept loop:
 * leaked with >= min_wait minutes, else suspect; a sleep of >= min_wait
 * minutes is a suspect only.
 *
 * Thread safety: an analysis is used by one thread at a time.
 */
#ifndef RL_GR_ANALYZE_H
#define RL_GR_ANALYZE_H

#include "gr_dump.h"

#include <jansson.h>

typedef enum rl_gr_grouping { RL_GR_IGNORE_ARGS = 0, RL_GR_EXACT, RL_GR_NO_LINES } rl_gr_grouping;
typedef enum rl_gr_class { RL_GR_USER = 0, RL_GR_MAIN, RL_GR_RUNTIME } rl_gr_class;
typedef enum rl_gr_verdict { RL_GR_FINE = 0, RL_GR_SUSPECT, RL_GR_LEAKED } rl_gr_verdict;

/* Ignore rules (as goleak's IgnoreTopFunction / IgnoreAnyFunction /
 * IgnoreCreatedBy): exact function names; a matching goroutine is judged
 * "ignored", never leaked or suspect.  Lists are NULL-terminated, borrowed. */
typedef struct rl_gr_ignore {
    const char *const *top;        /* first frame's function */
    const char *const *any;        /* any frame's function */
    const char *const *created_by; /* the `created by` function */
} rl_gr_ignore;

typedef struct rl_gr_options {
    rl_gr_grouping grouping;
    int min_wait; /* minutes; default 1 */
    rl_gr_ignore ignore;
} rl_gr_options;

#define RL_GR_OPTIONS_DEFAULT {RL_GR_IGNORE_ARGS, 1, {NULL, NULL, NULL}}

typedef struct rl_gr_group {
    char key[33];
    uint64_t count;       /* goroutines (debug=1 counts included) */
    size_t first;         /* index of the first member in the dump */
    size_t *members;      /* indexes into the dump's goroutines */
    size_t nmembers;
    int max_wait;         /* -1 when no member printed minutes */
    int ignored;          /* matched an ignore rule (verdict stays fine) */
    rl_gr_class cls;
    const char *leak_class; /* "" when not a leak-class wait */
    rl_gr_verdict verdict;  /* worst member verdict */
} rl_gr_group;

typedef struct rl_gr_analysis {
    const rl_gr_dump *dump; /* borrowed */
    rl_gr_group *groups;    /* largest first */
    size_t ngroups;
    uint64_t total, leaked, suspects, runtime_owned, nignored;
    rl_gr_class *cls;        /* per goroutine */
    rl_gr_verdict *verdict;  /* per goroutine */
    const char **leak_class; /* per goroutine */
    unsigned char *ignored;  /* per goroutine: matched an ignore rule */
} rl_gr_analysis;

/* Analyses `d` (which must outlive the result).  RL_ERR_NOMEM only. */
rl_status rl_gr_analyze(const rl_gr_dump *d, const rl_gr_options *opt, rl_gr_analysis **out);
void rl_gr_analysis_free(rl_gr_analysis *a);
/* The wait reason of goroutine i: the printed state, or for debug=1 the one
 * inferred from its frames ("" if none). */
const char *rl_gr_wait_reason(const rl_gr_dump *d, size_t i);
/* JSON as documented for `rootline goroutines analyze --json`; new reference. */
json_t *rl_gr_analysis_json(const rl_gr_analysis *a);
/* Every goroutine (id, count, state, wait_minutes, locked, header, labels,
 * frames, elided, created_by, ancestors, class, leak_class, verdict): the
 * `goroutine_list` of `--detail`; new reference. */
json_t *rl_gr_goroutines_json(const rl_gr_analysis *a);

#endif
