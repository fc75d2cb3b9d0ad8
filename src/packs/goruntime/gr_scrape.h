/* gr_scrape.h: the goroutine scraper, a background service of `rootline
 * serve` (`--scrape URL[,service=NAME][,interval=S][,timeout=S][,keep=N]`).
 *
 * Every `interval` seconds (default 5, SPEC §5) it fetches the target's
 * /debug/pprof/goroutine text with libcurl (http/https only, no redirects,
 * `timeout` default 10 s, at most 256 MiB: more is a scrape error), parses and
 * analyses it, feeds the total to the growth detector (gr_growth.h), writes
 * the dump to the spool with a first line "# rootline-scrape service= time=
 * url= k= [alert=]" and imports that file as one batch (a snapshot of the
 * service, its slope, a gr:GrowthAlert finding when an alert fired).  The
 * spool keeps the last `keep` (default 720) files of a target, and every
 * file at which an alert fired.  /metrics shows, per service, the last
 * snapshot's figures, the growth slope and alerts, and the scrape counters.
 *
 * Thread safety: step() on the server's scheduler thread; metrics() from any
 * thread (a mutex guards the figures).
 */
#ifndef RL_GR_SCRAPE_H
#define RL_GR_SCRAPE_H

#include "pack.h"

extern const rl_pack_service rl_gr_scrape_service;

#endif
