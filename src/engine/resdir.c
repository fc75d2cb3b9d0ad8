/* resdir.c: environment, next to the binary, or the source tree. */
#include "resdir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *rl_resource_dir(const char *env_var, const char *rel, const char *source_dir, char *out, size_t cap)
{
    const char *e = env_var ? getenv(env_var) : NULL;
    if (e && *e) {
        snprintf(out, cap, "%s", e);
        return out;
    }
    char exe[900];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) *slash = 0;
        snprintf(out, cap, "%s/../%s", exe, rel);
        if (access(out, R_OK) == 0) return out;
    }
    snprintf(out, cap, "%s", source_dir);
    return out;
}
