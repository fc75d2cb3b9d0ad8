/* gr_import.c: a goroutine dump -> triples of one batch. */
#include "gr_import.h"

#include "gr_analyze.h"
#include "keys.h"
#include "gr_links.h"
#include "span.h"
#include "timefmt.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GR "https://w3id.org/rootline/goruntime#"
#define RL "https://w3id.org/rootline/core#"
#define RDF_TYPE "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
#define RDFS_LABEL "http://www.w3.org/2000/01/rdf-schema#label"
#define SOSA "http://www.w3.org/ns/sosa/"
#define XSD "http://www.w3.org/2001/XMLSchema#"

typedef struct conv {
    rl_batch *b;
    const rl_gr_dump *d;
    const rl_gr_analysis *a;
    char service[512], snap[128], when[40];
    char snapkey[17]; /* first 16 hex of the input's SHA-256 */
    char svckey[17];  /* first 16 hex of SHA-256(service name) */
    rl_status st;
} conv;

static void hex32(const char *text, char out[33])
{
    rl_sha256_hex(text, strlen(text), 16, out);
}

/* Value of `key` in the scraper's header ("k=v k=v", values %-encoded),
 * decoded into out; 0 when absent. */
static int meta_get(const char *meta, const char *key, char *out, size_t cap)
{
    size_t kn = strlen(key);
    for (const char *p = meta; *p;) {
        while (*p == ' ') p++;
        const char *e = strchr(p, ' ');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n > kn && p[kn] == '=' && !strncmp(p, key, kn)) {
            size_t o = 0;
            for (size_t i = kn + 1; i < n && o + 1 < cap; i++) {
                int hi, lo;
                if (p[i] == '%' && i + 2 < n && (hi = rl_hex_digit(p[i + 1])) >= 0 &&
                    (lo = rl_hex_digit(p[i + 2])) >= 0) {
                    out[o++] = (char)(hi * 16 + lo);
                    i += 2;
                } else out[o++] = p[i];
            }
            out[o] = 0;
            return 1;
        }
        p += n;
    }
    return 0;
}

static void add_iri(conv *c, const char *s, const char *p, const char *o)
{
    if (c->st == RL_OK) c->st = rl_batch_add_iri(c->b, s, p, o);
}

static void add_lit(conv *c, const char *s, const char *p, const char *v, const char *dt)
{
    if (c->st == RL_OK) c->st = rl_batch_add_lit(c->b, s, p, v, dt);
}

static void add_int(conv *c, const char *s, const char *p, long long v)
{
    char num[32];
    snprintf(num, sizeof num, "%lld", v);
    add_lit(c, s, p, num, XSD "integer");
}

/* The frame node (a code location shared by every group and service). */
static void frame_node(conv *c, const rl_gr_frame *f, char iri[80])
{
    char sig[8192], key[33];
    snprintf(sig, sizeof sig, "%s|%s|%d", f->func, f->file, f->line);
    hex32(sig, key);
    snprintf(iri, 80, "urn:rootline:gr:frame:%s", key);
    add_iri(c, iri, RDF_TYPE, GR "StackFrame");
    add_iri(c, iri, RDF_TYPE, RL "Entity");
    add_iri(c, iri, RL "atLevel", RL "Level3");
    add_lit(c, iri, RL "alignmentKey", key, NULL);
    add_lit(c, iri, GR "function", f->func, NULL);
    const char *slash = strrchr(f->func, '/'), *dot = strchr(slash ? slash : f->func, '.');
    char pkg[1024];
    snprintf(pkg, sizeof pkg, "%.*s", dot ? (int)(dot - f->func) : (int)strlen(f->func), f->func);
    add_lit(c, iri, GR "package", pkg, NULL);
    if (f->file[0]) add_lit(c, iri, GR "file", f->file, NULL);
    if (f->line) add_int(c, iri, GR "line", f->line);
}

static const char *ownership(rl_gr_class k)
{
    return k == RL_GR_MAIN ? "main" : k == RL_GR_RUNTIME ? "runtime" : "user";
}

static void group_nodes(conv *c, const char *svc_iri)
{
    const rl_gr_dump *d = c->d;
    for (size_t k = 0; k < c->a->ngroups && c->st == RL_OK; k++) {
        const rl_gr_group *g = &c->a->groups[k];
        const rl_gr_goroutine *rep = &d->g[g->first];
        char giri[96], obs[128], fin[128], fiow[80];
        snprintf(giri, sizeof giri, "urn:rootline:gr:group:%s:%s", c->svckey, g->key);
        add_iri(c, giri, RDF_TYPE, GR "GoroutineGroup");
        add_iri(c, giri, RDF_TYPE, RL "Entity");
        add_iri(c, giri, RL "atLevel", RL "Level2");
        add_lit(c, giri, RL "alignmentKey", g->key, NULL);
        add_lit(c, giri, RL "alignmentKeyScheme", "sha256(state|frames|creator)[0:32]", NULL);
        add_iri(c, svc_iri, GR "hasGoroutineGroup", giri);
        const char *st = rl_gr_wait_reason(d, g->first);
        if (st[0]) add_lit(c, giri, GR "state", st, NULL);
        if (g->leak_class[0]) add_lit(c, giri, GR "leakClass", g->leak_class, NULL);
        add_lit(c, giri, GR "ownership", ownership(g->cls), NULL);
        /* frames: the set, the top one, and the ordered chain as text */
        size_t chain_cap = 65536, used = 0;
        char *chain = malloc(chain_cap);
        if (chain) chain[0] = 0;
        for (size_t f = 0; f < rep->nframes; f++) {
            const rl_gr_frame *fr = &d->frames[rep->first_frame + f];
            frame_node(c, fr, fiow);
            add_iri(c, giri, GR "hasFrame", fiow);
            if (f == 0) add_iri(c, giri, GR "topFrame", fiow);
            if (chain && used + 16 < chain_cap) {
                int w = snprintf(chain + used, chain_cap - used, "%s%s %s:%d", f ? " <- " : "",
                                 fr->func, fr->file, fr->line);
                if (w > 0) used += (size_t)w < chain_cap - used ? (size_t)w : chain_cap - used - 1;
            }
        }
        if (chain && used) add_lit(c, giri, GR "callChain", chain, NULL);
        free(chain);
        if (rep->has_creator) {
            frame_node(c, &rep->created_by, fiow);
            add_iri(c, giri, GR "createdByFrame", fiow);
        }
        /* this snapshot's count of the group */
        snprintf(obs, sizeof obs, "urn:rootline:gr:count:%s:%s", c->snapkey, g->key);
        add_iri(c, obs, RDF_TYPE, GR "GroupCount");
        add_iri(c, obs, RDF_TYPE, SOSA "Observation");
        add_iri(c, obs, SOSA "hasFeatureOfInterest", giri);
        add_iri(c, obs, GR "inSnapshot", c->snap);
        add_lit(c, obs, SOSA "resultTime", c->when, XSD "dateTime");
        add_int(c, obs, SOSA "hasSimpleResult", (long long)g->count);
        if (g->max_wait >= 0) add_int(c, obs, GR "waitMinutes", g->max_wait);
        if (g->verdict == RL_GR_FINE) continue;
        snprintf(fin, sizeof fin, "urn:rootline:gr:finding:%s:%s", c->snapkey, g->key);
        add_iri(c, fin, RDF_TYPE, RL "Finding");
        add_lit(c, fin, RL "rule", g->verdict == RL_GR_LEAKED ? "goroutine-leak" : "goroutine-leak-suspect", NULL);
        add_lit(c, fin, RL "severity", g->verdict == RL_GR_LEAKED ? "critical" : "warning", NULL);
        add_iri(c, fin, RL "about", giri);
        add_iri(c, fin, RL "evidence", obs);
        add_lit(c, fin, RL "detectedAt", c->when, XSD "dateTime");
        if (g->leak_class[0]) add_lit(c, fin, GR "leakClass", g->leak_class, NULL);
    }
}

/* The scraper's growth window ending at this snapshot (header fields k=,
 * alert=): the slope, and an rl:Finding when an alert fired. */
static void growth_nodes(conv *c, const char *svc_iri)
{
    char k[64], rule[128], url[1024], fin[160];
    const char *meta = c->d->scrape_meta;
    if (meta_get(meta, "url", url, sizeof url)) add_lit(c, c->snap, GR "scrapedFrom", url, NULL);
    if (!meta_get(meta, "k", k, sizeof k)) return;
    add_lit(c, c->snap, GR "windowSlope", k, XSD "double");
    if (!meta_get(meta, "alert", rule, sizeof rule)) return;
    snprintf(fin, sizeof fin, "urn:rootline:gr:growth-alert:%s", c->snapkey);
    add_iri(c, fin, RDF_TYPE, RL "Finding");
    add_iri(c, fin, RDF_TYPE, GR "GrowthAlert");
    add_lit(c, fin, RL "rule", "goroutine-growth", NULL);
    add_lit(c, fin, RL "severity", "warning", NULL);
    add_lit(c, fin, GR "alertRule", rule, NULL);
    add_iri(c, fin, RL "about", svc_iri);
    add_iri(c, fin, RL "evidence", c->snap);
    add_lit(c, fin, RL "detectedAt", c->when, XSD "dateTime");
}

static void goroutine_iri(const conv *c, uint64_t id, char out[80])
{
    snprintf(out, 80, "urn:rootline:gr:goroutine:%s:%llu", c->snapkey, (unsigned long long)id);
}

static void goroutine_nodes(conv *c)
{
    const rl_gr_dump *d = c->d;
    for (size_t k = 0; k < c->a->ngroups && c->st == RL_OK; k++) {
        const rl_gr_group *g = &c->a->groups[k];
        char giri[96];
        snprintf(giri, sizeof giri, "urn:rootline:gr:group:%s:%s", c->svckey, g->key);
        for (size_t m = 0; m < g->nmembers && c->st == RL_OK; m++) {
            const rl_gr_goroutine *go = &d->g[g->members[m]];
            if (!go->id && d->format == RL_GR_DEBUG1) continue; /* records have no ids */
            char iri[80], other[80];
            goroutine_iri(c, go->id, iri);
            add_iri(c, iri, RDF_TYPE, GR "Goroutine");
            add_int(c, iri, GR "goid", (long long)go->id);
            add_iri(c, iri, GR "inGroup", giri);
            add_iri(c, iri, GR "inSnapshot", c->snap);
            add_lit(c, iri, GR "header", go->header, NULL);
            if (go->wait_minutes >= 0) add_int(c, iri, GR "waitMinutes", go->wait_minutes);
            if (go->locked) add_lit(c, iri, GR "lockedToThread", "true", XSD "boolean");
            if (go->creator_id) {
                goroutine_iri(c, go->creator_id, other);
                add_iri(c, iri, GR "createdByGoroutine", other);
                add_iri(c, other, RDF_TYPE, GR "Goroutine");
                add_int(c, other, GR "goid", (long long)go->creator_id);
            }
            for (size_t an = 0; an < go->nancestors; an++) {
                uint64_t aid = d->ancestors[go->first_ancestor + an];
                goroutine_iri(c, aid, other);
                add_iri(c, iri, GR "ancestor", other);
                add_iri(c, other, RDF_TYPE, GR "Goroutine");
                add_int(c, other, GR "goid", (long long)aid);
            }
        }
    }
}

/* Goroutines blocked on one channel (gr_links.h), with the basis of the link. */
static void channel_nodes(conv *c)
{
    rl_gr_link *links = NULL;
    size_t n = 0;
    if (rl_gr_channel_links(c->a, &links, &n) != RL_OK) {
        c->st = RL_ERR_NOMEM;
        return;
    }
    for (size_t i = 0; i < n && c->st == RL_OK; i++) {
        char key[33], iri[128], g[80];
        hex32(links[i].channel, key);
        snprintf(iri, sizeof iri, "urn:rootline:gr:channel:%s:%.16s", c->snapkey, key);
        add_iri(c, iri, RDF_TYPE, GR "Channel");
        add_iri(c, iri, GR "inSnapshot", c->snap);
        add_lit(c, iri, GR "linkBasis", links[i].basis, NULL);
        if (!strcmp(links[i].basis, "pointer")) add_lit(c, iri, GR "pointer", links[i].channel, NULL);
        for (size_t m = 0; m < links[i].nmembers; m++) {
            uint64_t id = c->d->g[links[i].members[m]].id;
            if (!id) continue;
            goroutine_iri(c, id, g);
            add_iri(c, g, GR "blockedOnChannel", iri);
        }
    }
    rl_gr_links_free(links, n);
}

static int gr_sniff(const char *head, size_t n)
{
    return rl_gr_dump_sniff(head, n);
}

#define MAX_IGNORE 64

/* Splits a comma-separated parameter into list (NULL-terminated) using buf. */
static void split_list(const char *v, char *buf, size_t cap, const char **list)
{
    size_t n = 0;
    list[0] = NULL;
    if (!v) return;
    snprintf(buf, cap, "%s", v);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t && n < MAX_IGNORE; t = strtok_r(NULL, ",", &save))
        list[n++] = t;
    list[n] = NULL;
}

static rl_status gr_convert(rl_batch *b, const char *text, size_t len)
{
    char ibuf[3][4096];
    const char *itop[MAX_IGNORE + 1], *iany[MAX_IGNORE + 1], *icre[MAX_IGNORE + 1];
    conv c;
    char err[512], svc_iri[640];
    rl_gr_dump *d = NULL;
    rl_gr_analysis *a = NULL;
    memset(&c, 0, sizeof c);
    c.b = b;
    rl_status st = rl_gr_dump_parse(text, len, NULL, &d, err, sizeof err);
    if (st != RL_OK) return rl_batch_error(b, st, "%s", err);
    rl_gr_options o = RL_GR_OPTIONS_DEFAULT;
    const char *v;
    if ((v = rl_batch_param(b, "min-wait"))) o.min_wait = atoi(v);
    split_list(rl_batch_param(b, "ignore-top"), ibuf[0], sizeof ibuf[0], itop);
    split_list(rl_batch_param(b, "ignore-any"), ibuf[1], sizeof ibuf[1], iany);
    split_list(rl_batch_param(b, "ignore-created-by"), ibuf[2], sizeof ibuf[2], icre);
    o.ignore = (rl_gr_ignore){itop, iany, icre};
    if ((v = rl_batch_param(b, "group"))) {
        if (!strcmp(v, "exact")) o.grouping = RL_GR_EXACT;
        else if (!strcmp(v, "lines")) o.grouping = RL_GR_NO_LINES;
        else if (strcmp(v, "args")) {
            rl_gr_dump_free(d);
            return rl_batch_error(b, RL_ERR_USAGE, "parameter group=%s: expected args, exact or lines", v);
        }
    }
    if (rl_gr_analyze(d, &o, &a) != RL_OK) {
        rl_gr_dump_free(d);
        return rl_batch_error(b, RL_ERR_NOMEM, "out of memory");
    }
    c.d = d;
    c.a = a;
    /* service name: --set service=NAME, else the file name without extension */
    if ((v = rl_batch_param(b, "service"))) snprintf(c.service, sizeof c.service, "%s", v);
    else if (meta_get(d->scrape_meta, "service", c.service, sizeof c.service)) {
    } else {
        const char *p = rl_batch_path(b), *base = strrchr(p, '/');
        snprintf(c.service, sizeof c.service, "%s", base ? base + 1 : p);
        char *dot = strrchr(c.service, '.');
        if (dot && dot != c.service) *dot = 0;
    }
    char esc[400], key[33];
    rl_pct_encode(c.service, esc, sizeof esc);
    hex32(c.service, key);
    memcpy(c.svckey, key, 16);
    memcpy(c.snapkey, rl_batch_checksum(b), 16);
    snprintf(svc_iri, sizeof svc_iri, "urn:rootline:gr:service:%s", esc);
    snprintf(c.snap, sizeof c.snap, "urn:rootline:gr:snapshot:%s", rl_batch_checksum(b));
    if ((v = rl_batch_param(b, "time"))) snprintf(c.when, sizeof c.when, "%s", v);
    else if (meta_get(d->scrape_meta, "time", c.when, sizeof c.when)) {
    } else rl_time_iso((time_t)rl_batch_mtime(b), c.when, sizeof c.when);
    /* level 1 and the snapshot */
    add_iri(&c, svc_iri, RDF_TYPE, GR "Service");
    add_iri(&c, svc_iri, RDF_TYPE, RL "Entity");
    add_iri(&c, svc_iri, RL "atLevel", RL "Level1");
    add_lit(&c, svc_iri, RDFS_LABEL, c.service, NULL);
    add_lit(&c, svc_iri, RL "alignmentKey", key, NULL);
    add_iri(&c, c.snap, RDF_TYPE, GR "Snapshot");
    add_iri(&c, c.snap, GR "ofService", svc_iri);
    add_lit(&c, c.snap, "http://www.w3.org/ns/prov#generatedAtTime", c.when, XSD "dateTime");
    add_iri(&c, c.snap, "http://www.w3.org/ns/prov#wasDerivedFrom", rl_batch_graph(b));
    add_lit(&c, c.snap, GR "dumpFormat", d->format == RL_GR_DEBUG1 ? "debug=1" : "traceback", NULL);
    add_int(&c, c.snap, GR "goroutineCount", (long long)a->total);
    add_int(&c, c.snap, GR "groupCount", (long long)a->ngroups);
    add_int(&c, c.snap, GR "leakedCount", (long long)a->leaked);
    add_int(&c, c.snap, GR "suspectCount", (long long)a->suspects);
    growth_nodes(&c, svc_iri);
    group_nodes(&c, svc_iri);
    goroutine_nodes(&c);
    if (d->format == RL_GR_TRACEBACK) channel_nodes(&c);
    for (size_t i = 0; i < d->n; i++) rl_batch_record(b);
    for (size_t i = 0; i < d->nunknown_kept; i++)
        rl_batch_warn(b, "line %zu not understood: %.120s", d->unknown[i].line, d->unknown[i].text);
    if (d->nunknown > d->nunknown_kept)
        rl_batch_warn(b, "%zu more lines not understood", d->nunknown - d->nunknown_kept);
    st = c.st;
    rl_gr_analysis_free(a);
    rl_gr_dump_free(d);
    return st;
}

const rl_input_format rl_gr_dump_format = {"goroutine-dump", gr_sniff, gr_convert, NULL, NULL};
