/* resident.h: a command kept running between requests, for answers whose
 * set-up (loading a whole site into memory) costs far more than the answer
 * itself.  The child answers one request at a time on its standard input
 * and output; it is the one-shot command run many times in one process, so
 * the same arguments give the same output and exit code.
 *
 * Wire format (child's stdin / stdout):
 *   request   "<n>\n" then n arguments, each "<len>\n" and len bytes
 *   response  "<exit> <outlen> <errlen>\n" then outlen bytes of output and
 *             errlen bytes of error text
 * A child that dies, hangs past a request's deadline or breaks the format is
 * killed and the next request starts a new one.  Internals: docs/modules/small.md.
 */
#ifndef RL_RESIDENT_H
#define RL_RESIDENT_H

#include "buf.h"
#include "spawn.h"

#include <stdio.h>

/* Answers one request: argv[0] is the command name, out / err take what the
 * one-shot command would print; returns its exit code. */
typedef int (*rl_resident_fn)(void *ctx, int argc, char **argv, FILE *out, FILE *err);

/* Worker side: answers requests read from in_fd on out_fd until end of input
 * or `idle_s` seconds without a request (0 = no idle limit).  At most 64
 * arguments of 64 KiB each; an answer over `max_out` bytes (0 = 64 MiB) is
 * replaced by exit 4 and a message.  Returns 0 at end of input or idle, -1
 * on a malformed request or a write error (the client then restarts it). */
int rl_resident_serve(int in_fd, int out_fd, const char *name, double idle_s, size_t max_out, rl_resident_fn fn,
                      void *ctx);

/* Client side: the command to start (argv NULL-terminated, argv[0] a path;
 * copied).  Nothing is started until the first call.  NULL if out of memory. */
typedef struct rl_resident rl_resident;
rl_resident *rl_resident_new(const char *const *argv);
/* Kills the child (if any) and frees.  NULL is a no-op. */
void rl_resident_free(rl_resident *r);

/* Sends one request (`args` NULL-terminated) and waits at most timeout_s for
 * the answer, starting the child first when none runs.  out / err (cleared)
 * get the answer within their ceilings.  Returns as rl_spawn_run does:
 * EXITED with *exit_code; DEADLINE when no answer came in time: the child is
 * kept (its first request may be loading what every later one needs), its
 * late answer is dropped by the next call, which returns DEADLINE too while
 * the child is still busy, and a child busy past 15 minutes is killed;
 * LIMIT (an answer past a ceiling, malformed or cut short), SIGNALED (the
 * child died) and FAILED (cannot start) leave no child running.  Not
 * thread-safe: one call at a time per rl_resident. */
rl_spawn_end rl_resident_call(rl_resident *r, const char *const *args, double timeout_s, rl_buf *out, rl_buf *err,
                              int *exit_code);

/* The child's process id, or 0 when none runs (for tests and logs). */
long rl_resident_pid(const rl_resident *r);

#endif
