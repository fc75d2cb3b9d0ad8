/* spawn.h: run a program as a child process and collect what it prints,
 * with a deadline and ceilings (a crash or a hang costs the child only).
 * Thread-safe: each call forks its own child. */
#ifndef RL_SPAWN_H
#define RL_SPAWN_H

#include "buf.h"

/* How a child ended. */
typedef enum rl_spawn_end {
    RL_SPAWN_EXITED,   /* *exit_code is its exit status */
    RL_SPAWN_SIGNALED, /* killed by a signal (a crash) */
    RL_SPAWN_DEADLINE, /* still running at the deadline: killed */
    RL_SPAWN_LIMIT,    /* printed past a buffer's ceiling: killed */
    RL_SPAWN_FAILED    /* could not be started */
} rl_spawn_end;

/* Runs argv[0] with argv (NULL-terminated), standard output into `out`,
 * standard error into `err` (each up to its ceiling), for at most
 * `timeout_s` seconds.  Returns how it ended. */
rl_spawn_end rl_spawn_run(const char *const *argv, double timeout_s, rl_buf *out, rl_buf *err, int *exit_code);

#endif
