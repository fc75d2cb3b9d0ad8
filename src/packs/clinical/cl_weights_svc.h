/* cl_weights_svc.h: the level weights recomputed on a schedule inside
 * `rootline serve` (--weights-every MINUTES, default 15; 0 turns it off).
 * Each run computes the weights as of now from the evidence in the store and
 * stores them as one batch (rl:LevelWeight), so `diagnose` and `trace` name
 * the weights they used, then stores the findings as of now (as `diagnose
 * --save`).  /metrics shows rootline_level_weight{level=...}. */
#ifndef RL_CL_WEIGHTS_SVC_H
#define RL_CL_WEIGHTS_SVC_H

#include "pack.h"

extern const rl_pack_service rl_cl_weights_service;

#endif
