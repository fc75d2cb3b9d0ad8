/* gr_links.c: channel links between blocked goroutines. */
#include "gr_links.h"

#include "keys.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_runtime_chan(const char *f)
{
    return !strncmp(f, "runtime.chansend", 16) || !strncmp(f, "runtime.chanrecv", 16);
}

/* First trustworthy pointer argument of the blocking frame into out; 0 if none. */
static int pointer_key(const rl_gr_dump *d, const rl_gr_goroutine *g, char out[80])
{
    const rl_gr_frame *blk = NULL;
    for (size_t k = 0; k < g->nframes && !blk; k++)
        if (is_runtime_chan(d->frames[g->first_frame + k].func)) blk = &d->frames[g->first_frame + k];
    for (size_t k = 0; k < g->nframes && !blk; k++)
        if (strncmp(d->frames[g->first_frame + k].func, "runtime.", 8)) blk = &d->frames[g->first_frame + k];
    if (!blk || !blk->args[0]) return 0;
    const char *p = blk->args + 1; /* after '(' */
    while (*p) {
        while (*p == ' ' || *p == ',' || *p == '{') p++;
        const char *s = p;
        while (*p && *p != ',' && *p != ')' && *p != '}') p++;
        size_t n = (size_t)(p - s);
        int ok = n > 2 && s[0] == '0' && s[1] == 'x' && s[n - 1] != '?';
        for (size_t i = 2; ok && i < n; i++) ok = isxdigit((unsigned char)s[i]);
        if (ok && strtoull(s, NULL, 16) >= 0x1000) { /* not 0x0 or a small integer */
            snprintf(out, 80, "%.*s", (int)n, s);
            return 1;
        }
        if (!*p || *p == ')') break;
        p++;
        if (is_runtime_chan(blk->func)) break; /* only the first argument is the channel */
    }
    return 0;
}

static void location_key(const rl_gr_dump *d, const rl_gr_goroutine *g, char out[80])
{
    const rl_gr_frame *top = NULL;
    for (size_t k = 0; k < g->nframes && !top; k++)
        if (strncmp(d->frames[g->first_frame + k].func, "runtime.", 8)) top = &d->frames[g->first_frame + k];
    char sig[4096];
    snprintf(sig, sizeof sig, "%s|%s|%s:%d", g->has_creator ? g->created_by.func : "",
             top ? top->func : "", top ? top->file : "", top ? top->line : 0);
    memcpy(out, "loc:", 4);
    rl_sha256_hex(sig, strlen(sig), 8, out + 4);
}

rl_status rl_gr_channel_links(const rl_gr_analysis *a, rl_gr_link **links, size_t *n)
{
    const rl_gr_dump *d = a->dump;
    rl_gr_link *l = calloc(d->n + 1, sizeof *l);
    size_t nl = 0;
    *links = NULL;
    *n = 0;
    if (!l) return RL_ERR_NOMEM;
    for (size_t i = 0; i < d->n; i++) {
        const char *lc = a->leak_class[i];
        int send = !strcmp(lc, "chan send"), recv = !strcmp(lc, "chan receive");
        if (!send && !recv) continue;
        char key[80];
        const char *basis = "pointer";
        if (!pointer_key(d, &d->g[i], key)) {
            location_key(d, &d->g[i], key);
            basis = "creator+location";
        }
        size_t j = 0;
        while (j < nl && strcmp(l[j].channel, key)) j++;
        if (j == nl) {
            snprintf(l[nl].channel, sizeof l[nl].channel, "%s", key);
            l[nl].basis = basis;
            nl++;
        }
        size_t *m = realloc(l[j].members, (l[j].nmembers + 1) * sizeof *m);
        if (!m) {
            rl_gr_links_free(l, nl);
            return RL_ERR_NOMEM;
        }
        l[j].members = m;
        l[j].members[l[j].nmembers++] = i;
        l[j].senders += (size_t)send * d->g[i].count;
        l[j].receivers += (size_t)recv * d->g[i].count;
    }
    *links = l;
    *n = nl;
    return RL_OK;
}

void rl_gr_links_free(rl_gr_link *links, size_t n)
{
    if (!links) return;
    for (size_t i = 0; i < n; i++) free(links[i].members);
    free(links);
}

json_t *rl_gr_links_json(const rl_gr_analysis *a, const rl_gr_link *links, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *ids = json_array();
        for (size_t m = 0; m < links[i].nmembers; m++)
            if (a->dump->g[links[i].members[m]].id)
                json_array_append_new(ids, json_integer((json_int_t)a->dump->g[links[i].members[m]].id));
        json_array_append_new(arr, json_pack("{s:s,s:s,s:o,s:I,s:I,s:b}", "channel", links[i].channel,
                                             "basis", links[i].basis, "goroutine_ids", ids, "senders",
                                             (json_int_t)links[i].senders, "receivers",
                                             (json_int_t)links[i].receivers, "peers",
                                             links[i].senders && links[i].receivers));
    }
    return arr;
}
