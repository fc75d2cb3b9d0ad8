/* negotiate.c: Accept header matching. */
#include "negotiate.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct offer {
    const char *type;
    rl_format f;
} offer;

static const offer bindings[] = {
    {"application/sparql-results+json", RL_FMT_JSON}, {"application/json", RL_FMT_JSON},
    {"application/sparql-results+xml", RL_FMT_XML},   {"application/xml", RL_FMT_XML},
    {"text/xml", RL_FMT_XML},                         {"text/csv", RL_FMT_CSV},
    {"text/tab-separated-values", RL_FMT_TSV},
};
static const offer graphs[] = {
    {"text/turtle", RL_FMT_TURTLE},          {"application/x-turtle", RL_FMT_TURTLE},
    {"application/n-triples", RL_FMT_NTRIPLES}, {"text/plain", RL_FMT_NTRIPLES},
    {"application/n-quads", RL_FMT_NQUADS},  {"application/rdf+xml", RL_FMT_RDFXML},
};

const char *rl_negotiate_offers(int graph)
{
    return graph ? "text/turtle, application/n-triples, application/n-quads, application/rdf+xml"
                 : "application/sparql-results+json, application/sparql-results+xml, text/csv, "
                   "text/tab-separated-values";
}

/* How specifically range r (type/subtype, may hold '*') matches type t:
 * 3 exact, 2 type/ *, 1 * / *, 0 no. */
static int match(const char *r, size_t rn, const char *t)
{
    size_t tn = strlen(t);
    if (rn == tn && !strncasecmp(r, t, tn)) return 3;
    if (rn == 3 && !strncmp(r, "*/*", 3)) return 1;
    const char *slash = memchr(r, '/', rn), *ts = strchr(t, '/');
    if (slash && rn == (size_t)(slash - r) + 2 && slash[1] == '*' && (size_t)(slash - r) == (size_t)(ts - t) &&
        !strncasecmp(r, t, (size_t)(slash - r)))
        return 2;
    return 0;
}

int rl_negotiate(const char *accept, int graph, rl_format *out, int *malformed)
{
    const offer *offers = graph ? graphs : bindings;
    size_t n = graph ? sizeof graphs / sizeof *graphs : sizeof bindings / sizeof *bindings;
    *malformed = 0;
    *out = graph ? RL_FMT_TURTLE : RL_FMT_JSON;
    if (!accept || !*accept) return 0;
    double best_q = -1;
    int best_spec = 0;
    size_t best_i = n;
    int any_range = 0;
    /* for each offer: the q of the most specific range that matches it */
    for (size_t i = 0; i < n; i++) {
        double q_here = -1;
        int spec_here = 0;
        const char *p = accept;
        while (*p) {
            while (*p == ' ' || *p == ',' || *p == '\t') p++;
            if (!*p) break;
            const char *r = p;
            while (*p && *p != ';' && *p != ',' && *p != ' ') p++;
            size_t rn = (size_t)(p - r);
            double q = 1.0;
            while (*p && *p != ',') { /* parameters */
                while (*p == ' ' || *p == ';') p++;
                if ((p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
                    char *end;
                    q = strtod(p + 2, &end);
                    if (end == p + 2 || q < 0 || q > 1) *malformed = 1, q = 0;
                    p = end;
                }
                while (*p && *p != ';' && *p != ',') p++;
            }
            if (!memchr(r, '/', rn)) {
                if (rn) *malformed = 1;
                continue;
            }
            any_range = 1;
            int s = match(r, rn, offers[i].type);
            if (s > spec_here) spec_here = s, q_here = q;
        }
        if (spec_here && q_here > 0 &&
            (q_here > best_q || (q_here == best_q && spec_here > best_spec))) {
            best_q = q_here, best_spec = spec_here, best_i = i;
        }
    }
    if (!any_range) {
        if (*malformed) return -1;
        return 0;
    }
    *malformed = 0;
    if (best_i == n) return -1;
    *out = offers[best_i].f;
    return 0;
}
