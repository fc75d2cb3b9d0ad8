/* gr_dump.h: parse Go goroutine dumps into goroutines and frames.
 *
 * Inputs, recognised by content: /debug/pprof/goroutine?debug=2 and
 * runtime.Stack(all) text, panic / "fatal error:" output and SIGQUIT dumps
 * (GOTRACEBACK=all|system: the same blocks), from Go 1.17 to the newest
 * forms (`goroutine N gp=… m=… [state]:`, `created by F in goroutine N`,
 * `[originating from goroutine N]:`, `...N frames elided...`, `fp= sp= pc=`
 * suffixes); and ?debug=1 text (`N @ 0x…` records with `# labels:` and `#\t`
 * frames), where one record stands for N goroutines.  A constant prefix on
 * every line (a logger's) is detected and stripped; tabs or spaces both work.
 * Lines that fit nothing are kept and reported (`unknown`), never dropped
 * silently; the parser never fails on content, only on limits.
 *
 * Thread safety: a dump is used by one thread at a time.
 */
#ifndef RL_GR_DUMP_H
#define RL_GR_DUMP_H

#include "status.h"

#include <stddef.h>
#include <stdint.h>

typedef struct rl_gr_frame {
    const char *func; /* package-qualified function, no arguments */
    const char *args; /* "(0x1, ...)" as printed, or "" */
    const char *file; /* "" when the file line is missing */
    int line;         /* 0 when unknown */
} rl_gr_frame;

typedef enum rl_gr_format { RL_GR_TRACEBACK = 2, RL_GR_DEBUG1 = 1 } rl_gr_format;

typedef struct rl_gr_goroutine {
    uint64_t id;          /* 0 in debug=1 records */
    uint64_t count;       /* 1, or the record's count in debug=1 */
    const char *state;    /* wait reason, e.g. "chan receive"; "" in debug=1 */
    int wait_minutes;     /* -1 when the header gives none */
    int locked;           /* "locked to thread" */
    const char *header;   /* the raw header line (after the prefix) */
    const char *labels;   /* debug=1 "# labels:" text, or "" */
    size_t line;          /* 1-based line of the header */
    size_t first_frame, nframes; /* range in rl_gr_dump.frames */
    int elided;           /* frames were elided by the runtime */
    int has_creator;
    rl_gr_frame created_by;
    uint64_t creator_id;  /* 0 when not printed (before Go 1.21) */
    size_t first_ancestor, nancestors; /* ids in rl_gr_dump.ancestors */
} rl_gr_goroutine;

typedef struct rl_gr_unknown {
    size_t line;
    const char *text;
} rl_gr_unknown;

typedef struct rl_gr_dump rl_gr_dump;
struct rl_gr_dump {
    rl_gr_format format;
    rl_gr_goroutine *g;   /* goroutines in input order */
    size_t n;
    rl_gr_frame *frames;
    size_t nframes;
    uint64_t *ancestors;
    size_t nancestors;
    rl_gr_unknown *unknown; /* at most 1000 kept; nunknown counts all */
    size_t nunknown, nunknown_kept;
    size_t preamble_lines;  /* panic message, signal line: recognised, not goroutines */
    uint64_t declared_total; /* debug=1 "total N", else 0 */
    const char *prefix;      /* stripped line prefix, "" if none */
    const char *scrape_meta; /* the rest of a first line "# rootline-scrape " (written by
                                the scraper of `rootline serve`: service=, time=, url=,
                                values percent-encoded), "" if none */
    void *priv;
};

/* First line the scraper writes before a scraped dump. */
#define RL_GR_SCRAPE_HEADER "# rootline-scrape "

typedef struct rl_gr_parse_options {
    size_t max_bytes;      /* input ceiling (0 = 1 GiB) */
    size_t max_goroutines; /* (0 = 10 million) */
} rl_gr_parse_options;

/* Parses `len` bytes of `text`.  RL_ERR_LIMIT past a ceiling, RL_ERR_INPUT
 * when the text holds no goroutine at all (message says what was expected),
 * RL_ERR_NOMEM.  The dump owns all strings. */
rl_status rl_gr_dump_parse(const char *text, size_t len, const rl_gr_parse_options *opt,
                           rl_gr_dump **out, char *err, size_t cap);
/* Total goroutines (sum of counts). */
uint64_t rl_gr_dump_total(const rl_gr_dump *d);
/* Frees the dump.  NULL is a no-op. */
void rl_gr_dump_free(rl_gr_dump *d);

/* Whether `text` looks like a goroutine dump (for import format detection). */
int rl_gr_dump_sniff(const char *text, size_t len);

#endif
