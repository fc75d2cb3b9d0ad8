/* gr_source.c: read a select statement's block from the source tree. */
#include "gr_source.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_SOURCE ((size_t)8 << 20)

/* The longest suffix of `path` that exists under dir; malloc'd or NULL. */
static char *find_under(const char *dir, const char *path)
{
    for (const char *p = path; p; p = strchr(p + 1, '/')) {
        const char *rest = *p == '/' ? p + 1 : p;
        char *cand = NULL;
        struct stat sb;
        if (asprintf(&cand, "%s/%s", dir, rest) < 0) return NULL;
        if (stat(cand, &sb) == 0 && S_ISREG(sb.st_mode)) return cand;
        free(cand);
    }
    return NULL;
}

static char *read_text(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *b = malloc(MAX_SOURCE + 1);
    *n = b ? fread(b, 1, MAX_SOURCE, f) : 0;
    fclose(f);
    if (b) b[*n] = 0;
    return b;
}

json_t *rl_gr_select_source(const rl_gr_analysis *a, size_t k, const char *dir)
{
    const rl_gr_dump *d = a->dump;
    const rl_gr_group *gr = &a->groups[k];
    if (strcmp(rl_gr_wait_reason(d, gr->first), "select")) return NULL;
    const rl_gr_goroutine *g = &d->g[gr->first];
    const rl_gr_frame *fr = NULL;
    for (size_t i = 0; i < g->nframes && !fr; i++)
        if (strncmp(d->frames[g->first_frame + i].func, "runtime.", 8)) fr = &d->frames[g->first_frame + i];
    if (!fr || !fr->file[0] || fr->line <= 0) return NULL;
    char *path = find_under(dir, fr->file);
    size_t n = 0;
    char *src = path ? read_text(path, &n) : NULL;
    json_t *out = NULL;
    if (!src) goto done;
    const char *p = src;
    for (int l = 1; l < fr->line && p; l++) { /* to the frame's line */
        p = strchr(p, '\n');
        if (p) p++;
    }
    /* the keyword: not part of an identifier, followed by '{' */
    const char *brace = NULL;
    for (const char *sel = p ? strstr(p, "select") : NULL; sel && !brace; sel = strstr(sel + 6, "select")) {
        int id_before = sel > src && (isalnum((unsigned char)sel[-1]) || sel[-1] == '_');
        const char *c = sel + 6;
        while (*c == ' ' || *c == '\t') c++;
        if (!id_before && *c == '{') brace = c;
    }
    if (!brace) goto done;
    int depth = 0, has_default = 0;
    json_t *cases = json_array();
    const char *q = brace;
    for (; *q; q++) {
        if (*q == '{') depth++;
        else if (*q == '}' && --depth == 0) break;
        else if (depth == 1 && !strncmp(q, "default", 7) && (q == src || !isalnum((unsigned char)q[-1]))) {
            const char *c = q + 7;
            while (*c == ' ' || *c == '\t') c++;
            if (*c == ':') has_default = 1;
        } else if (depth == 1 && !strncmp(q, "case", 4) && (q == src || !isalnum((unsigned char)q[-1])) &&
                   (q[4] == ' ' || q[4] == '\t')) {
            const char *colon = strchr(q, ':');
            if (colon && memchr(q, '<', (size_t)(colon - q)) && strstr(q, "<-") && strstr(q, "<-") < colon)
                json_array_append_new(cases, json_stringn(q, (size_t)(colon - q + 1)));
        }
    }
    out = json_pack("{s:s,s:i,s:b,s:o,s:b}", "file", path, "line", fr->line, "has_default",
                    has_default, "receive_cases", cases, "select_without_default", !has_default);
done:
    free(src);
    free(path);
    return out;
}
