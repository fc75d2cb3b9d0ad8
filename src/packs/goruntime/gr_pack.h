/* gr_pack.h: the Go runtime pack (service -> goroutine group -> stack frame). */
#ifndef RL_GR_PACK_H
#define RL_GR_PACK_H

#include "pack.h"

extern const rl_pack rl_goruntime_pack;

/* `rootline goroutines analyze|...`: exit codes as docs/cli.md. */
int rl_gr_cmd_goroutines(int argc, char **argv);

#endif
