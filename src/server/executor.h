/* executor.h: query executor processes and the supervisor's pool of them.
 *
 * librdf/rasqal are not thread-safe, have no timeout or cancel, and crash on
 * some ordinary queries (SPEC §9), so every query runs in a pre-started
 * executor process (`rootline __executor`, its own librdf world and store
 * handle, one read snapshot per query).  A query past its deadline, or
 * whose client hung up, has its executor killed; a crashed executor costs
 * one request.  Either way the pool starts a replacement.
 *
 * Wire protocol on a socketpair (all lengths 32-bit big-endian):
 *   supervisor -> executor: LEN JSON {"query", "accept", "max_rows", "base"}
 *   executor -> supervisor: LEN JSON header {"status", "type" | "error"}
 *   then, for status 200, body frames LEN BYTES..., ended by LEN = 0 (done)
 *   or LEN = 0xFFFFFFFF followed by LEN MESSAGE (failed after the header:
 *   the HTTP response is cut off, never silently truncated).
 * The executor holds back up to 64 KiB before sending the header, so a
 * query that fails early (syntax, limits, 406) still gets a proper status.
 *
 * Thread safety: the pool is thread-safe; an acquired executor belongs to
 * one thread until released.
 */
#ifndef RL_EXECUTOR_H
#define RL_EXECUTOR_H

#include "status.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RL_EXEC_END 0u
#define RL_EXEC_ABORT 0xFFFFFFFFu
#define RL_EXEC_MAX_FRAME ((uint32_t)64 << 20)

/* ---- both sides ---- */

/* Writes / reads one length-prefixed frame.  0 or -1 (I/O error, EOF, or
 * a frame over `cap` / RL_EXEC_MAX_FRAME). */
int rl_exec_write_frame(int fd, const void *p, uint32_t n);
int rl_exec_write_u32(int fd, uint32_t v);
int rl_exec_read_full(int fd, void *p, size_t n);
int rl_exec_read_u32(int fd, uint32_t *v);

/* ---- the executor process ---- */

/* `rootline __executor --fd N [--writer]` (the store from the global
 * --store): serves requests on fd until it closes.  A writer opens the store
 * read-write and also applies updates ({"update": TEXT, "default_graph"}):
 * parse, solve the WHERE forms in-process, one transaction; the header then
 * carries "summary".  Returns the exit code. */
int rl_executor_main(const char *store_uri, int fd, int writer);

/* ---- the supervisor's pool ---- */

typedef struct rl_exec_pool rl_exec_pool;
typedef struct rl_exec rl_exec;

typedef struct rl_exec_stats {
    unsigned size, up, busy;
    uint64_t started, crashed, killed;
} rl_exec_stats;

/* Starts n executors running `exe` (the rootline binary) on store_uri.
 * Errors: RL_ERR_IO (cannot start one; err says why), RL_ERR_NOMEM. */
rl_status rl_exec_pool_new(const char *exe, const char *store_uri, unsigned n, int writer,
                           rl_exec_pool **out, char *err, size_t cap);
/* Kills every executor and frees the pool.  NULL is a no-op. */
void rl_exec_pool_free(rl_exec_pool *p);

/* An idle executor, waiting up to wait_ms; NULL when all stayed busy. */
rl_exec *rl_exec_acquire(rl_exec_pool *p, int wait_ms);
/* Gives it back.  healthy = 0: it is killed (if alive) and replaced. */
void rl_exec_release(rl_exec_pool *p, rl_exec *e, int healthy);
/* Its socket and process id. */
int rl_exec_fd(const rl_exec *e);
pid_t rl_exec_pid(const rl_exec *e);
/* Kills it now (deadline, client gone); waits for it; *crashed = 1 when it
 * had already died of a signal of its own (reaped with its status in why). */
void rl_exec_kill(rl_exec_pool *p, rl_exec *e);
/* After EOF on its socket: reaps it; returns a description ("killed by
 * signal 11 (Segmentation fault)", "exited with status 3"). */
const char *rl_exec_reap(rl_exec_pool *p, rl_exec *e, char *buf, size_t cap);

void rl_exec_pool_stats(rl_exec_pool *p, rl_exec_stats *out);

#endif
