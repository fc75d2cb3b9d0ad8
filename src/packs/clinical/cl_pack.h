/* cl_pack.h: the clinical pack (department -> test panel -> signal channel). */
#ifndef RL_CL_PACK_H
#define RL_CL_PACK_H

#include "pack.h"

extern const rl_pack rl_clinical_pack;

/* `rootline keys department|panel|channel ...`: prints one key on one line. */
int rl_cl_cmd_keys(int argc, char **argv);

#endif
