/* cli.h: shared pieces of the `rootline` command line.
 *
 * Exit codes (docs/cli.md): 0 done, 1 usage error, 2 bad input and nothing
 * changed, 3 store error, 4 internal error.
 */
#ifndef RL_CLI_H
#define RL_CLI_H

#include "buf.h"
#include "status.h"
#include "store.h"

enum { RL_EXIT_OK = 0, RL_EXIT_USAGE = 1, RL_EXIT_INPUT = 2, RL_EXIT_STORE = 3, RL_EXIT_INTERNAL = 4 };

/* The exit code for a status. */
int rl_cli_exit_code(rl_status st);

/* Prints "rootline: <msg>" to stderr. */
void rl_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Opens the store named by `uri` (NULL = $ROOTLINE_STORE / default); on
 * failure prints the error and returns the exit code (else 0). */
int rl_cli_open_store(const char *uri, int read_only, rl_store **out);

/* The text of a query/update: argv[optind_] or the contents of `file` ("-" =
 * stdin), exactly one of them, into out (its ceiling applies).  Returns 0 or
 * the exit code after printing why. */
int rl_cli_read_text(const char *what, int argc, char **argv, int optind_, const char *file, rl_buf *out);
/* Parses a non-negative integer option value; returns 0 on success. */
int rl_cli_parse_u64(const char *s, unsigned long long *out);

/* The global --store value given before the subcommand, or NULL. */
extern const char *rl_cli_global_store;

int rl_cmd_import(int argc, char **argv);
int rl_cmd_query(int argc, char **argv);
int rl_cmd_export(int argc, char **argv);
int rl_cmd_stats(int argc, char **argv);
int rl_cmd_serve(int argc, char **argv);
int rl_cmd_update(int argc, char **argv);
/* `rootline run NAME --param k=v`: a saved query. */
int rl_cmd_run(int argc, char **argv);
/* `rootline __executor --fd N`: a query executor of `serve` (executor.h). */
int rl_cmd_executor(int argc, char **argv);

#endif
