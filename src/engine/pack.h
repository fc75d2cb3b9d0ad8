/* pack.h: what a domain pack gives the rest of the system.
 *
 * A pack (src/packs/NAME/) adds ontology modules, input formats, rules,
 * saved queries and command-line subcommands.  The engine defines only this
 * description; `main` collects the packs (src/cli/packs.c) and the engine
 * never includes a pack header, so a new pack is a new folder plus one line
 * there.
 *
 * Everything here is static, read-only data: thread-safe.
 */
#ifndef RL_PACK_H
#define RL_PACK_H

#include "format.h"

#include <stddef.h>

/* A subcommand of `rootline` provided by a pack: `rootline NAME ARGS...`.
 * run() gets argv[0] == NAME and returns the process exit code (docs/cli.md). */
typedef struct rl_pack_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} rl_pack_command;

typedef struct rl_pack {
    const char *name;                  /* e.g. "goruntime" */
    const char *summary;
    const char *ontology;              /* folder under ontology/, or NULL */
    const rl_pack_command *commands;   /* NULL-terminated by name == NULL */
    const rl_input_format *const *formats; /* for `rootline import`, NULL-terminated */
} rl_pack;

#endif
