/* import.h: one file into a store as one batch: RDF (Turtle, TriG, N-Triples,
 * N-Quads, RDF/XML) through Raptor, or a pack format (format.h).
 *
 * A batch is one transaction and one named graph, <urn:rootline:batch:SHA256>
 * where SHA256 is the hex digest of the file's bytes.  Triples without a graph
 * go into that graph; quads that name a graph (TriG, N-Quads) keep it.  Blank
 * node labels are scoped to the batch.  The PROV-O description of the batch
 * (source, checksum, format, time, counts) goes into the provenance graph in
 * the same transaction.  Importing bytes already imported is a no-op.  Blank
 * node labels are deterministic: the same bytes give the same labels in any
 * store (_:b<12 hex of the checksum>_u<label>, or _g<n> for anonymous ones).
 *
 * On the lmdb store a batch lands whole or not at all.  On storages without
 * transactions the file is parsed once to validate it and again to write it,
 * so bad input still changes nothing.
 *
 * Thread safety: as the store (the pipelined form below runs its own writer
 * thread inside).
 */
#ifndef RL_IMPORT_H
#define RL_IMPORT_H

#include "format.h"
#include "store.h"

#include <stdint.h>
#include <stdio.h>

typedef enum rl_progress_mode { RL_PROGRESS_NONE, RL_PROGRESS_BAR, RL_PROGRESS_LINES } rl_progress_mode;

typedef struct rl_import_options {
    const char *format;      /* Raptor parser name, or NULL to recognise it */
    uint64_t max_bytes;      /* input size ceiling (0 = 8 GiB) */
    uint64_t max_triples;    /* triple ceiling per batch (0 = 200 million) */
    rl_progress_mode progress;
    FILE *progress_out;      /* where progress goes (stderr if NULL) */
    const rl_input_format *const *formats; /* pack formats, NULL-terminated (may be NULL);
                                        tried by content before the RDF syntaxes */
    const char *const *params;       /* "key=value" for converters, NULL-terminated */
    int keep_going;          /* bad records of a pack format are rejected, the rest lands */
    FILE *reject_out;        /* the reject report ("FILE: message" lines; stderr if NULL) */
} rl_import_options;

typedef struct rl_import_result {
    char graph[128];      /* the batch graph IRI */
    char checksum[65];    /* hex SHA-256 of the input */
    char format[32];      /* parser used */
    uint64_t triples;     /* statements read (RDF) or written (pack formats) */
    uint64_t records;     /* source records a pack format counted */
    uint64_t warnings;    /* warnings a pack format raised */
    int already;          /* 1 if the batch was imported before (nothing written) */
    uint64_t rejects;     /* records rejected under keep_going */
} rl_import_result;

/* Whether `name` is an RDF syntax import reads or the name of one of
 * `formats` (NULL-terminated, may be NULL). */
int rl_import_format_known(const char *name, const rl_input_format *const *formats);

/* Where `path` goes in `rootline import DIR`: 0 for RDF, else its pack
 * format's rank (50 when it has none); -1 when it cannot be read. */
int rl_import_rank(const char *path, const rl_import_options *opt);

/* Imports one file.  Errors: RL_ERR_IO (cannot read), RL_ERR_INPUT (syntax;
 * err names file, line and what the parser expected), RL_ERR_LIMIT,
 * RL_ERR_STORE.  On any error the store is unchanged. */
rl_status rl_import_file(rl_store *st, const char *path, const rl_import_options *opt,
                         rl_import_result *res, char *err, size_t cap);

/* The same in two steps, so that on the lmdb store one file is read and
 * converted while the one before it commits (rootline import DIR):
 *
 *   rl_import_begin(st, f1, o, NULL, &j1, ...);
 *   rl_import_begin(st, f2, o, j1, &j2, ...);   converts f2 while f1 commits
 *   rl_import_end(j1, &r1, ...);                f1's outcome
 *   ...
 *
 * begin does everything up to the commit, which the store-writer thread then
 * does in the background; end waits for it and gives the result.  `prev`
 * (may be NULL) is the caller's job still committing: this file's
 * transaction begins after prev's ends, and if prev's open batch could change
 * what this file reads from the store (lookup facts, an identical file; see
 * import.md) begin first waits for prev's commit (rl_import_wait).  A file
 * converted against the committed data without prev therefore gives the
 * same graph as when imported alone after it.  Each file still lands whole
 * or not at all, and a failure of one changes nothing of the other.
 *
 * begin's errors are those of rl_import_file for everything but the commit
 * (then *out is NULL and nothing changed); end returns the commit's status
 * and frees the job.  Every job begun must be ended, each at most once,
 * prev before the job begun after it.  One thread drives the jobs of a store. */
typedef struct rl_import_job rl_import_job;
rl_status rl_import_begin(rl_store *st, const char *path, const rl_import_options *opt,
                          rl_import_job *prev, rl_import_job **out, char *err, size_t cap);
/* Waits for the job's commit to finish (its outcome is kept for end).
 * NULL or a job already waited for: no-op. */
void rl_import_wait(rl_import_job *job);
rl_status rl_import_end(rl_import_job *job, rl_import_result *res, char *err, size_t cap);

#endif
