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

#include "buf.h"
#include "format.h"
#include "store.h"

#include <stddef.h>

/* A subcommand of `rootline` provided by a pack: `rootline NAME ARGS...`.
 * run() gets argv[0] == NAME and returns the process exit code (docs/cli.md). */
typedef struct rl_pack_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} rl_pack_command;

/* What `rootline serve` lends a pack's background service. */
typedef struct rl_service_env {
    rl_store *store;                        /* write it only from step() */
    const rl_input_format *const *formats;  /* every pack's formats, for rl_import_file */
    const char *spool_dir;                  /* the service's own folder for raw inputs
                                               (created; may hold earlier runs' files) */
    /* Log sink (never NULL): level "info", "warn" or "error"; one line, no
     * patient identifiers.  Thread-safe. */
    void (*log)(void *ctx, const char *level, const char *msg);
    void *log_ctx;
    /* The rootline binary and the store's URI, for work a service runs as a
     * child process (`exe --store URI COMMAND ...`); NULL when unknown. */
    const char *exe, *store_uri;
} rl_service_env;

/* A background service a pack runs inside `rootline serve` (e.g. scraping
 * live endpoints on a schedule).  It exists when its option is given. */
typedef struct rl_pack_service {
    const char *name;          /* e.g. "goroutine-scraper"; also its spool folder */
    const char *option;        /* `serve --OPTION VALUE`, repeatable */
    const char *option_usage;  /* e.g. "URL[,service=NAME][,interval=S]" */
    const char *option_help;
    /* Creates the service from the `n` >= 1 values given for its option.
     * `env` outlives the service.  RL_ERR_USAGE with a message naming the
     * bad value, RL_ERR_NOMEM. */
    rl_status (*open)(const char *const *values, size_t n, const rl_service_env *env, void **state,
                      char *err, size_t cap);
    /* Does the work due at `now` (seconds since the epoch) and returns the
     * seconds until it wants the next call.  Called from the server's one
     * scheduler thread, the only thread that writes the store; must return
     * within its own time limits. */
    double (*step)(void *state, double now);
    /* Appends its figures as Prometheus text.  Called from HTTP threads
     * while step() may run: the service locks what it shares. */
    rl_status (*metrics)(void *state, rl_buf *out);
    /* Releases the service; NULL is a no-op. */
    void (*close)(void *state);
    /* When non-NULL, the service also runs when its option is not given, as
     * if given this value (e.g. a schedule with a default period). */
    const char *default_value;
} rl_pack_service;

/* An HTTP route of `rootline serve` answered by one of the pack's commands,
 * run as a child process (crash isolation, a deadline, no shared librdf
 * state): GET PATH?k=v runs `rootline --store URI COMMAND FIXED... --k v`
 * for each k in `params` that is given; its standard output is the body.
 * Exit 0 -> 200, 1 -> 400, 2 -> 404, past the deadline -> 503, else 500;
 * the body of an error is the command's standard error. */
typedef struct rl_pack_route {
    const char *path;               /* e.g. "/trace" */
    const char *command;            /* e.g. "trace" */
    const char *const *params;      /* NULL-terminated option names, without "--" */
    const char *const *fixed;       /* NULL-terminated arguments always passed, e.g. "--json" */
    const char *content_type;       /* of the standard output */
    /* 1: the command also runs as `COMMAND --resident`, answering requests
     * (the same options) on stdin/stdout as resident.h says, so serve keeps
     * one process per route instead of starting one per request (for
     * answers whose set-up dominates; the command must notice new data) */
    int resident;
} rl_pack_route;

typedef struct rl_pack {
    const char *name;                  /* e.g. "goruntime" */
    const char *summary;
    const char *ontology;              /* folder under ontology/, or NULL */
    const rl_pack_command *commands;   /* NULL-terminated by name == NULL */
    const rl_input_format *const *formats; /* for `rootline import`, NULL-terminated */
    const rl_pack_service *const *services; /* for `rootline serve`, NULL-terminated */
    const rl_pack_route *const *routes;     /* for `rootline serve`, NULL-terminated */
} rl_pack;

#endif
