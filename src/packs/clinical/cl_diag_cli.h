/* cl_diag_cli.h: `rootline diagnose` and `rootline trace` (docs/diagnose.md).
 * Each returns the process exit code: 0 done, 1 usage, 2 bad argument or no
 * such run, 3 store error, 4 internal.  Not thread-safe (getopt). */
#ifndef RL_CL_DIAG_CLI_H
#define RL_CL_DIAG_CLI_H

int rl_cl_cmd_diagnose(int argc, char **argv);
int rl_cl_cmd_trace(int argc, char **argv);
/* `rootline weights [--as-of TIME] [--json]`: computes and stores them. */
int rl_cl_cmd_weights(int argc, char **argv);

#endif
