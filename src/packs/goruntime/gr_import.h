/* gr_import.h: goroutine dumps as an input format of `rootline import`.
 *
 * Graph written per dump (IRIs in docs/modules/goruntime.md):
 *   service --gr:hasGoroutineGroup--> group --gr:hasFrame--> frame   (3 levels)
 *   snapshot (gr:ofService, time, counts), one gr:GroupCount observation per
 *   group, one gr:Goroutine per goroutine (traceback dumps) with its creator
 *   and ancestors, and an rl:Finding per leaked or suspect group.
 * Parameters (`import --set`): service (default: file name without
 * extension), time (ISO 8601; default: the file's modification time),
 * min-wait (minutes, default 1), group (args|exact|lines), ignore-top,
 * ignore-any, ignore-created-by (comma-separated function names).  A dump
 * written by the scraper carries service and time in its first line. */
#ifndef RL_GR_IMPORT_H
#define RL_GR_IMPORT_H

#include "format.h"

extern const rl_input_format rl_gr_dump_format;

#endif
