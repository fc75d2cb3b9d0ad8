/* resdir.h: where a shipped resource folder is (mappings, saved queries).
 * Thread-safe (writes only the caller's buffer). */
#ifndef RL_RESDIR_H
#define RL_RESDIR_H

#include <stddef.h>

/* Into out[cap]: $env_var when set and non-empty; else <binary dir>/../rel
 * when it is readable; else source_dir (the source tree's copy, compiled in).
 * Returns out. */
const char *rl_resource_dir(const char *env_var, const char *rel, const char *source_dir, char *out, size_t cap);

#endif
