/* packs.c: the one place that names the packs (adding a pack = one line). */
#include "packs.h"

#include "cl_pack.h"
#include "gr_pack.h"

const rl_pack *const rl_cli_packs[] = {&rl_clinical_pack, &rl_goruntime_pack, NULL};

#define MAX_FORMATS 64

const rl_input_format *const *rl_cli_formats(void)
{
    static const rl_input_format *formats[MAX_FORMATS + 1];
    static int built;
    size_t n = 0;
    if (built) return formats;
    for (size_t p = 0; rl_cli_packs[p]; p++)
        for (const rl_input_format *const *f = rl_cli_packs[p]->formats; f && *f; f++)
            if (n < MAX_FORMATS) formats[n++] = *f;
    built = 1;
    return formats;
}
