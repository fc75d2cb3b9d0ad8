/* packs.h: the domain packs compiled into this rootline binary. */
#ifndef RL_CLI_PACKS_H
#define RL_CLI_PACKS_H

#include "pack.h"

/* NULL-terminated list of the packs `main` composes with the engine. */
extern const rl_pack *const rl_cli_packs[];

/* Every pack's input formats, NULL-terminated (built once; not thread-safe
 * on the first call). */
const rl_input_format *const *rl_cli_formats(void);

#endif
