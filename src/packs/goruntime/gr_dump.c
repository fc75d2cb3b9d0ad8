/* gr_dump.c: goroutine dump parser (a line state machine, no regexes). */
#include "gr_dump.h"

#include "arena.h"
#include "buf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNKNOWN_KEEP 1000

typedef struct parser {
    rl_gr_dump *d;
    rl_arena *a;
    size_t cap_g, cap_f, cap_anc, cap_unk;
    size_t max_g;
    rl_gr_goroutine *cur; /* goroutine being filled, or NULL */
    int in_ancestor;      /* inside an [originating from goroutine N] block */
    rl_gr_frame *last;    /* frame whose file line comes next, or NULL */
    rl_status fail;
    const char **intern;  /* open-addressing set of strings in the arena */
    size_t intern_cap, intern_n;
} parser;

typedef struct span {
    const char *p;
    size_t n;
} span;


static const char *dup(parser *ps, span s)
{
    const char *r = rl_arena_strndup(ps->a, s.p, s.n);
    if (!r) ps->fail = RL_ERR_LIMIT;
    return r ? r : "";
}

static uint64_t span_hash(span s)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ s.n;
    for (size_t i = 0; i < s.n; i++) h = (h ^ (unsigned char)s.p[i]) * 0x100000001b3ull;
    return h ^ (h >> 31);
}

/* Function names, files, states and arguments repeat across thousands of
 * goroutines: keep one copy of each (the dump's memory stays near its size). */
static const char *intern(parser *ps, span s)
{
    if (ps->intern_n * 2 >= ps->intern_cap) {
        size_t nc = ps->intern_cap ? ps->intern_cap * 2 : 4096;
        const char **nt = calloc(nc, sizeof *nt);
        if (!nt) return dup(ps, s);
        for (size_t i = 0; i < ps->intern_cap; i++) {
            const char *e = ps->intern[i];
            if (!e) continue;
            size_t j = span_hash((span){e, strlen(e)}) & (nc - 1);
            while (nt[j]) j = (j + 1) & (nc - 1);
            nt[j] = e;
        }
        free(ps->intern);
        ps->intern = nt;
        ps->intern_cap = nc;
    }
    size_t j = span_hash(s) & (ps->intern_cap - 1);
    for (const char *e; (e = ps->intern[j]); j = (j + 1) & (ps->intern_cap - 1))
        if (!strncmp(e, s.p, s.n) && e[s.n] == 0) return e;
    const char *c = dup(ps, s);
    if (ps->fail == RL_OK) {
        ps->intern[j] = c;
        ps->intern_n++;
    }
    return c;
}

static int starts(span s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n >= n && !memcmp(s.p, lit, n);
}

static span trim(span s)
{
    while (s.n && isspace((unsigned char)s.p[0])) s.p++, s.n--;
    while (s.n && isspace((unsigned char)s.p[s.n - 1])) s.n--;
    return s;
}

static int parse_u64(span s, uint64_t *v)
{
    if (!s.n) return 0;
    uint64_t x = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (!isdigit((unsigned char)s.p[i])) return 0;
        x = x * 10 + (uint64_t)(s.p[i] - '0');
    }
    *v = x;
    return 1;
}

/* "goroutine 123 [state, 5 minutes, locked to thread]:" (also with
 * "gp=0x… m=… mp=…" between the id and the bracket). */
static int is_header(span s, uint64_t *id, span *inside)
{
    if (!starts(s, "goroutine ")) return 0;
    span r = {s.p + 10, s.n - 10};
    size_t i = 0;
    while (i < r.n && isdigit((unsigned char)r.p[i])) i++;
    if (i == 0 || !parse_u64((span){r.p, i}, id)) return 0;
    const char *lb = memchr(r.p + i, '[', r.n - i);
    span t = trim(s);
    if (!lb || t.n < 2 || memcmp(t.p + t.n - 2, "]:", 2)) return 0;
    inside->p = lb + 1;
    inside->n = (size_t)(t.p + t.n - 2 - inside->p);
    return 1;
}

static void header_fields(parser *ps, rl_gr_goroutine *g, span in)
{
    char state[256];
    size_t sl = 0;
    g->wait_minutes = -1;
    while (in.n) {
        const char *c = NULL;
        for (size_t i = 0; i + 1 < in.n; i++)
            if (in.p[i] == ',' && in.p[i + 1] == ' ') {
                c = in.p + i;
                break;
            }
        span tok = {in.p, c ? (size_t)(c - in.p) : in.n};
        in = c ? (span){c + 2, in.n - tok.n - 2} : (span){in.p + in.n, 0};
        uint64_t m;
        const char *sp = memchr(tok.p, ' ', tok.n);
        if (sp && (starts((span){sp, tok.n - (size_t)(sp - tok.p)}, " minutes") ||
                   starts((span){sp, tok.n - (size_t)(sp - tok.p)}, " minute")) &&
            parse_u64((span){tok.p, (size_t)(sp - tok.p)}, &m)) {
            g->wait_minutes = m > 1000000000 ? 1000000000 : (int)m;
        } else if (tok.n == 16 && !memcmp(tok.p, "locked to thread", 16)) {
            g->locked = 1;
        } else if (sl + tok.n + 2 < sizeof state) {
            if (sl) state[sl++] = ',', state[sl++] = ' ';
            memcpy(state + sl, tok.p, tok.n);
            sl += tok.n;
        }
    }
    g->state = intern(ps, (span){state, sl});
}

static rl_gr_goroutine *new_goroutine(parser *ps, size_t line, span header)
{
    rl_gr_dump *d = ps->d;
    if (d->n >= ps->max_g) {
        ps->fail = RL_ERR_LIMIT;
        return NULL;
    }
    rl_status gs = rl_array_grow((void **)&d->g, &ps->cap_g, d->n + 1, sizeof *d->g, ps->max_g);
    if (gs != RL_OK) {
        ps->fail = gs;
        return NULL;
    }
    rl_gr_goroutine *g = &d->g[d->n++];
    memset(g, 0, sizeof *g);
    g->count = 1;
    g->wait_minutes = -1;
    g->line = line;
    g->header = dup(ps, header);
    g->state = g->labels = "";
    g->first_frame = d->nframes;
    g->first_ancestor = d->nancestors;
    g->created_by.func = g->created_by.args = g->created_by.file = "";
    ps->in_ancestor = 0;
    ps->last = NULL;
    return g;
}

static rl_gr_frame *new_frame(parser *ps)
{
    rl_gr_dump *d = ps->d;
    rl_status gs = rl_array_grow((void **)&d->frames, &ps->cap_f, d->nframes + 1, sizeof *d->frames,
                                 ps->max_g * 128 + 1024); /* Go prints at most 100 frames each */
    if (gs != RL_OK) {
        ps->fail = gs;
        return NULL;
    }
    rl_gr_frame *f = &d->frames[d->nframes++];
    f->func = f->args = f->file = "";
    f->line = 0;
    ps->cur->nframes++;
    return f;
}

/* "pkg.(*T).Method[...](0x1, {...})": the arguments are the last balanced
 * parenthesis group that ends the line. */
static void split_call(span s, span *func, span *args)
{
    *func = s;
    args->p = s.p + s.n;
    args->n = 0;
    if (!s.n || s.p[s.n - 1] != ')') return;
    int depth = 0;
    for (size_t i = s.n; i-- > 0;) {
        if (s.p[i] == ')') depth++;
        else if (s.p[i] == '(' && --depth == 0) {
            if (i == 0) return;
            func->n = i;
            args->p = s.p + i;
            args->n = s.n - i;
            return;
        }
    }
}

/* "\t/path/file.go:123 +0x1d fp=… sp=… pc=…" */
static void file_line(span s, const char **file, int *line, parser *ps)
{
    s = trim(s);
    const char *sp = memchr(s.p, ' ', s.n);
    if (sp) s.n = (size_t)(sp - s.p);
    size_t colon = s.n;
    while (colon > 0 && s.p[colon - 1] != ':') colon--;
    uint64_t ln = 0;
    if (colon > 1 && parse_u64((span){s.p + colon, s.n - colon}, &ln)) {
        *file = intern(ps, (span){s.p, colon - 1});
        *line = ln > 100000000 ? 0 : (int)ln;
    } else {
        *file = intern(ps, s);
        *line = 0;
    }
}

static int is_elided(span s)
{
    s = trim(s);
    if (starts(s, "...additional frames elided...")) return 1;
    if (!starts(s, "...") || s.n < 20) return 0;
    return memmem(s.p, s.n, "frames elided...", 16) != NULL;
}

static void unknown(parser *ps, size_t line, span s)
{
    rl_gr_dump *d = ps->d;
    d->nunknown++;
    if (d->nunknown_kept >= UNKNOWN_KEEP) return;
    if (rl_array_grow((void **)&d->unknown, &ps->cap_unk, d->nunknown_kept + 1, sizeof *d->unknown, ps->max_g * 128 + 1024)) return;
    d->unknown[d->nunknown_kept].line = line;
    d->unknown[d->nunknown_kept].text = dup(ps, s);
    d->nunknown_kept++;
}

/* Lines of panic / fatal error / SIGQUIT output that are not goroutines. */
static int is_preamble(span s)
{
    static const char *lits[] = {"panic: ", "fatal error: ", "[signal ", "runtime: ", "SIGQUIT",
                                 "SIGABRT", "PC=", "sigcode=", "exit status ", "[recovered]",
                                 "runtime stack:", "goroutine profile: total", NULL};
    for (int i = 0; lits[i]; i++)
        if (starts(s, lits[i])) return 1;
    /* register dump: "rax    0x0" */
    size_t i = 0;
    while (i < s.n && (isalnum((unsigned char)s.p[i]))) i++;
    if (i > 0 && i <= 8 && i < s.n && s.p[i] == ' ') {
        span r = trim((span){s.p + i, s.n - i});
        if (starts(r, "0x")) return 1;
    }
    return 0;
}

static void traceback_line(parser *ps, size_t line, span s)
{
    uint64_t id;
    span inside;
    span t = trim(s);
    if (is_header(t, &id, &inside)) {
        rl_gr_goroutine *g = new_goroutine(ps, line, t);
        if (!g) return;
        g->id = id;
        header_fields(ps, g, inside);
        ps->cur = g;
        return;
    }
    if (!t.n) {
        ps->cur = NULL;
        return;
    }
    rl_gr_goroutine *g = ps->cur;
    if (!g) {
        if (is_preamble(t)) ps->d->preamble_lines++;
        else unknown(ps, line, t);
        return;
    }
    int indented = s.n && (s.p[0] == '\t' || s.p[0] == ' ');
    if (indented && !is_elided(t)) { /* the file line of the previous frame */
        if (ps->last) file_line(t, &ps->last->file, &ps->last->line, ps);
        else if (!ps->in_ancestor) unknown(ps, line, t);
        ps->last = NULL;
        return;
    }
    if (is_elided(t)) {
        if (!ps->in_ancestor) g->elided = 1;
        return;
    }
    if (starts(t, "[originating from goroutine ")) {
        uint64_t aid = 0;
        span r = {t.p + 28, t.n - 28};
        size_t k = 0;
        while (k < r.n && isdigit((unsigned char)r.p[k])) k++;
        if (parse_u64((span){r.p, k}, &aid)) {
            rl_gr_dump *d = ps->d;
            if (!rl_array_grow((void **)&d->ancestors, &ps->cap_anc, d->nancestors + 1, sizeof(uint64_t), ps->max_g * 128 + 1024)) {
                d->ancestors[d->nancestors++] = aid;
                g->nancestors++;
            }
        }
        ps->in_ancestor = 1;
        ps->last = NULL;
        return;
    }
    if (starts(t, "created by ")) {
        span r = {t.p + 11, t.n - 11};
        const char *in = memmem(r.p, r.n, " in goroutine ", 14);
        if (ps->in_ancestor) { /* an ancestor's creator: recognised, not ours */
            ps->last = NULL;
            return;
        }
        g->has_creator = 1;
        if (in) {
            parse_u64(trim((span){in + 14, r.n - (size_t)(in + 14 - r.p)}), &g->creator_id);
            r.n = (size_t)(in - r.p);
        }
        g->created_by.func = intern(ps, r);
        ps->last = &g->created_by;
        return;
    }
    if (is_preamble(t)) { /* "exit status 2" right after the last frame */
        ps->d->preamble_lines++;
        ps->cur = NULL;
        return;
    }
    span func, args;
    split_call(t, &func, &args);
    if (!func.n || memchr(func.p, ' ', func.n)) { /* not "pkg.Func(args)" */
        unknown(ps, line, t);
        ps->last = NULL;
        return;
    }
    if (ps->in_ancestor) {
        ps->last = NULL;
        return;
    }
    rl_gr_frame *f = new_frame(ps);
    if (!f) return;
    f->func = intern(ps, func);
    f->args = intern(ps, args);
    /* frames live in one array that grows: keep `last` as an index-stable pointer */
    ps->last = f;
}

/* debug=1: "N @ 0x… 0x…", "# labels: {…}", "#\t0x…\tfunc+0x…\tfile:line" */
static void debug1_line(parser *ps, size_t line, span s)
{
    span t = trim(s);
    if (!t.n) {
        ps->cur = NULL;
        return;
    }
    if (starts(t, "goroutine profile: total ")) {
        parse_u64(trim((span){t.p + 25, t.n - 25}), &ps->d->declared_total);
        return;
    }
    const char *at = memmem(t.p, t.n, " @ ", 3);
    uint64_t cnt;
    if (at && parse_u64((span){t.p, (size_t)(at - t.p)}, &cnt)) {
        rl_gr_goroutine *g = new_goroutine(ps, line, t);
        if (!g) return;
        g->count = cnt;
        ps->cur = g;
        return;
    }
    if (ps->cur && starts(t, "# labels: ")) {
        ps->cur->labels = dup(ps, (span){t.p + 10, t.n - 10});
        return;
    }
    if (ps->cur && t.p[0] == '#') {
        /* fields separated by tabs or spaces: "#", pc, func+off, file:line */
        span f[4];
        int nf = 0;
        span r = t;
        while (r.n && nf < 4) {
            while (r.n && isspace((unsigned char)r.p[0])) r.p++, r.n--;
            size_t k = 0;
            while (k < r.n && !isspace((unsigned char)r.p[k])) k++;
            if (!k) break;
            f[nf++] = (span){r.p, k};
            r.p += k;
            r.n -= k;
        }
        if (nf == 4 && f[0].n == 1) {
            rl_gr_frame *fr = new_frame(ps);
            if (!fr) return;
            const char *plus = NULL;
            for (size_t i = f[2].n; i-- > 0;)
                if (f[2].p[i] == '+') {
                    plus = f[2].p + i;
                    break;
                }
            fr->func = intern(ps, (span){f[2].p, plus ? (size_t)(plus - f[2].p) : f[2].n});
            file_line(f[3], &fr->file, &fr->line, ps);
            return;
        }
    }
    unknown(ps, line, t);
}

/* The text before "goroutine " on the first header line, if every line that
 * has content starts with it (a logger's prefix). */
static span detect_prefix(const char *text, size_t len)
{
    span none = {text, 0};
    const char *p = text, *end = text + len;
    span pre = none;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        span l = {p, nl ? (size_t)(nl - p) : (size_t)(end - p)};
        const char *g = memmem(l.p, l.n, "goroutine ", 10);
        if (g && g > l.p) {
            span rest = {g, l.n - (size_t)(g - l.p)};
            uint64_t id;
            span in;
            if (is_header(trim(rest), &id, &in) || starts(rest, "goroutine profile: total ")) {
                pre = (span){l.p, (size_t)(g - l.p)};
                break;
            }
        }
        if (g == l.p) return none;
        p = nl ? nl + 1 : end;
    }
    if (!pre.n) return none;
    for (p = text; p < end;) { /* every non-empty line must carry it */
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        span l = {p, nl ? (size_t)(nl - p) : (size_t)(end - p)};
        span tl = trim(l);
        if (tl.n && (l.n < pre.n || memcmp(l.p, pre.p, pre.n))) {
            /* a prefix that ends in spaces may be trimmed on empty lines */
            span tp = trim(pre);
            if (tl.n > tp.n || memcmp(tl.p, tp.p, tp.n)) return none;
        }
        p = nl ? nl + 1 : end;
    }
    return pre;
}

int rl_gr_dump_sniff(const char *text, size_t len)
{
    if (len > 65536) len = 65536;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        span l = {p, nl ? (size_t)(nl - p) : (size_t)(end - p)};
        const char *g = memmem(l.p, l.n, "goroutine ", 10);
        if (g) {
            uint64_t id;
            span in, rest = trim((span){g, l.n - (size_t)(g - l.p)});
            if (is_header(rest, &id, &in) || starts(rest, "goroutine profile: total ")) return 1;
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
}

rl_status rl_gr_dump_parse(const char *text, size_t len, const rl_gr_parse_options *opt,
                           rl_gr_dump **out, char *err, size_t cap)
{
    size_t max_bytes = opt && opt->max_bytes ? opt->max_bytes : ((size_t)1 << 30);
    parser ps;
    memset(&ps, 0, sizeof ps);
    *out = NULL;
    if (len > max_bytes)
        return rl_errorf(err, cap, RL_ERR_LIMIT, "dump of %zu bytes is over the limit of %zu",
                         len, max_bytes);
    ps.max_g = opt && opt->max_goroutines ? opt->max_goroutines : 10000000;
    ps.d = calloc(1, sizeof *ps.d);
    ps.a = rl_arena_new(len * 2 + ((size_t)64 << 20));
    if (!ps.d || !ps.a) {
        free(ps.d);
        rl_arena_free(ps.a);
        return rl_errorf(err, cap, RL_ERR_NOMEM, "out of memory");
    }
    ps.d->priv = ps.a;
    span pre = detect_prefix(text, len);
    ps.d->prefix = dup(&ps, pre);
    ps.d->scrape_meta = "";
    /* debug=1 if its first meaningful line is the profile header */
    ps.d->format = RL_GR_TRACEBACK;
    {
        const char *g = memmem(text, len < 65536 ? len : 65536, "goroutine profile: total ", 25);
        if (g) ps.d->format = RL_GR_DEBUG1;
    }
    const char *p = text, *end = text + len;
    size_t line = 0;
    while (p < end && ps.fail == RL_OK) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        span l = {p, nl ? (size_t)(nl - p) : (size_t)(end - p)};
        p = nl ? nl + 1 : end;
        line++;
        if (l.n && l.p[l.n - 1] == '\r') l.n--;
        if (line == 1 && starts(l, RL_GR_SCRAPE_HEADER)) {
            size_t h = sizeof RL_GR_SCRAPE_HEADER - 1;
            ps.d->scrape_meta = dup(&ps, (span){l.p + h, l.n - h});
            continue;
        }
        if (pre.n && l.n >= pre.n && !memcmp(l.p, pre.p, pre.n)) l.p += pre.n, l.n -= pre.n;
        if (ps.d->format == RL_GR_DEBUG1) debug1_line(&ps, line, l);
        else traceback_line(&ps, line, l);
    }
    free(ps.intern); /* the strings stay in the arena */
    rl_status st = ps.fail;
    if (st != RL_OK)
        rl_errorf(err, cap, st, "goroutine dump: %s at line %zu",
                  st == RL_ERR_LIMIT ? "a limit was reached" : "out of memory", line);
    else if (ps.d->n == 0)
        st = rl_errorf(err, cap, RL_ERR_INPUT,
                       "no goroutine found: expected 'goroutine N [state]:' blocks (debug=2, "
                       "panic, SIGQUIT) or 'goroutine profile: total N' (debug=1)");
    if (st != RL_OK) {
        rl_gr_dump_free(ps.d);
        return st;
    }
    *out = ps.d;
    return RL_OK;
}

uint64_t rl_gr_dump_total(const rl_gr_dump *d)
{
    uint64_t t = 0;
    for (size_t i = 0; i < d->n; i++) t += d->g[i].count;
    return t;
}

void rl_gr_dump_free(rl_gr_dump *d)
{
    if (!d) return;
    free(d->g);
    free(d->frames);
    free(d->ancestors);
    free(d->unknown);
    rl_arena_free(d->priv);
    free(d);
}
