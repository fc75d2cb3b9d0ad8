/* gr_links.h: goroutines blocked on the same channel (seed §4.3).
 *
 * For each goroutine in a chan send / chan receive wait, the blocking frame
 * is the runtime's channel frame (runtime.chansend1, chanrecv1, ...) if
 * printed, else the innermost non-runtime frame.  When that frame prints
 * pointer arguments the runtime trusts (hex, no trailing '?', not 0x0), the
 * goroutines sharing such a pointer are linked (basis "pointer").
 * Otherwise goroutines with the same creator function and the same blocking
 * location (function, file, line) are linked (basis "creator+location"): a
 * weaker guess, labelled as such.  nil-channel waits have no peer and are
 * not linked.  Thread safety: as the analysis. */
#ifndef RL_GR_LINKS_H
#define RL_GR_LINKS_H

#include "gr_analyze.h"

typedef struct rl_gr_link {
    char channel[80];   /* the pointer, or "loc:" + 16 hex of the location */
    const char *basis;  /* "pointer" or "creator+location" */
    size_t *members;    /* goroutine indexes in the dump */
    size_t nmembers;
    size_t senders, receivers;
} rl_gr_link;

/* Computes the links; *links is malloc'd (free with rl_gr_links_free). */
rl_status rl_gr_channel_links(const rl_gr_analysis *a, rl_gr_link **links, size_t *n);
void rl_gr_links_free(rl_gr_link *links, size_t n);
/* [{channel, basis, goroutine_ids, senders, receivers, peers}] */
json_t *rl_gr_links_json(const rl_gr_analysis *a, const rl_gr_link *links, size_t n);

#endif
