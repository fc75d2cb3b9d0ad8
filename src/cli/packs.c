/* packs.c: the one place that names the packs (adding a pack = one line). */
#include "packs.h"

#include "cl_pack.h"
#include "gr_pack.h"

const rl_pack *const rl_cli_packs[] = {&rl_clinical_pack, &rl_goruntime_pack, NULL};
