/* gr_analyze.c: grouping, classification, leak verdicts, JSON. */
#include "gr_analyze.h"

#include "buf.h"
#include "keys.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

/* The package of "net/http.(*Server).Serve" is "net/http". */
static size_t package_len(const char *f)
{
    const char *slash = strrchr(f, '/');
    const char *dot = strchr(slash ? slash : f, '.');
    return dot ? (size_t)(dot - f) : strlen(f);
}

static int in_package(const char *f, const char *pkg)
{
    size_t n = package_len(f);
    return n == strlen(pkg) && !memcmp(f, pkg, n);
}

static const rl_gr_frame *frame(const rl_gr_dump *d, const rl_gr_goroutine *g, size_t k)
{
    return &d->frames[g->first_frame + k];
}

static int any_frame(const rl_gr_dump *d, const rl_gr_goroutine *g, const char *needle)
{
    for (size_t k = 0; k < g->nframes; k++)
        if (strstr(frame(d, g, k)->func, needle)) return 1;
    return 0;
}

/* debug=1 has no state: infer it from the frames where the goroutine blocks. */
static const char *infer_state(const rl_gr_dump *d, const rl_gr_goroutine *g)
{
    static const struct {
        const char *func, *state;
    } map[] = {{"runtime.chanrecv", "chan receive"},
               {"runtime.chansend", "chan send"},
               {"runtime.block", "select (no cases)"},
               {"runtime.selectgo", "select"},
               {"sync.(*WaitGroup).Wait", "sync.WaitGroup.Wait"},
               {"sync.(*RWMutex).RLock", "sync.RWMutex.RLock"},
               {"sync.(*RWMutex).Lock", "sync.RWMutex.Lock"},
               {"sync.(*Mutex).Lock", "sync.Mutex.Lock"},
               {"sync.(*Cond).Wait", "sync.Cond.Wait"},
               {"internal/poll.runtime_pollWait", "IO wait"},
               {"time.Sleep", "sleep"},
               {NULL, NULL}};
    for (size_t k = 0; k < g->nframes && k < 8; k++)
        for (int i = 0; map[i].func; i++)
            if (!strncmp(frame(d, g, k)->func, map[i].func, strlen(map[i].func))) return map[i].state;
    return "";
}

const char *rl_gr_wait_reason(const rl_gr_dump *d, size_t i)
{
    const rl_gr_goroutine *g = &d->g[i];
    return g->state[0] ? g->state : infer_state(d, g);
}

static rl_gr_class classify(const rl_gr_dump *d, const rl_gr_goroutine *g)
{
    if (g->id == 1) return RL_GR_MAIN;
    if (g->nframes && !strcmp(frame(d, g, g->nframes - 1)->func, "runtime.main")) return RL_GR_MAIN;
    /* the start frame is the bottom one, except runtime.goexit, which
     * system tracebacks (SIGQUIT, GOTRACEBACK=system) print below it */
    size_t nf = g->nframes;
    if (nf && !strcmp(frame(d, g, nf - 1)->func, "runtime.goexit")) nf--;
    const char *start = nf && !g->elided ? frame(d, g, nf - 1)->func : "";
    if (in_package(start, "runtime")) return RL_GR_RUNTIME;
    if (g->has_creator && in_package(g->created_by.func, "runtime")) return RL_GR_RUNTIME;
    static const char *std_started[] = {"os/signal.loop", "unique.registerCleanup", NULL};
    for (int i = 0; std_started[i]; i++)
        if (!strncmp(start, std_started[i], strlen(std_started[i]))) return RL_GR_RUNTIME;
    return RL_GR_USER;
}

/* The leak class of a wait reason ("" if the wait is not a leak pattern).
 * Before Go 1.21 mutexes and WaitGroups both wait in "semacquire": the
 * frames tell which. */
static const char *leak_class(const rl_gr_dump *d, const rl_gr_goroutine *g, const char *st)
{
    static const char *direct[] = {"chan send (nil chan)", "chan receive (nil chan)", "chan send",
                                   "chan receive", "select (no cases)", "select",
                                   "sync.Mutex.Lock", "sync.RWMutex.Lock", "sync.RWMutex.RLock",
                                   "sync.WaitGroup.Wait", "sync.Cond.Wait", NULL};
    for (int i = 0; direct[i]; i++)
        if (!strcmp(st, direct[i])) return direct[i];
    if (!strcmp(st, "semacquire")) {
        if (any_frame(d, g, "sync.(*WaitGroup).Wait")) return "sync.WaitGroup.Wait";
        if (any_frame(d, g, "sync.(*RWMutex).RLock")) return "sync.RWMutex.RLock";
        if (any_frame(d, g, "sync.(*RWMutex).Lock")) return "sync.RWMutex.Lock";
        if (any_frame(d, g, "sync.(*Mutex).Lock")) return "sync.Mutex.Lock";
        return "semacquire";
    }
    if (!strcmp(st, "IO wait")) return "IO wait";
    return "";
}

static int accept_loop(const rl_gr_dump *d, const rl_gr_goroutine *g)
{
    for (size_t k = 0; k < g->nframes; k++) {
        const char *f = frame(d, g, k)->func;
        size_t n = strlen(f);
        if ((n > 7 && !strcmp(f + n - 7, ".accept")) || (n > 7 && !strcmp(f + n - 7, ".Accept")))
            return 1;
    }
    return 0;
}

static int listed(const char *const *list, const char *func)
{
    for (; list && *list; list++)
        if (!strcmp(*list, func)) return 1;
    return 0;
}

/* goleak's ignore rules, on exact function names. */
static int ignored(const rl_gr_dump *d, const rl_gr_goroutine *g, const rl_gr_ignore *ig)
{
    const rl_gr_frame *f = d->frames + g->first_frame;
    if (g->nframes && listed(ig->top, f[0].func)) return 1;
    for (size_t k = 0; ig->any && k < g->nframes; k++)
        if (listed(ig->any, f[k].func)) return 1;
    return g->has_creator && listed(ig->created_by, g->created_by.func);
}

static rl_gr_verdict verdict(const rl_gr_dump *d, const rl_gr_goroutine *g, rl_gr_class c,
                             const char *st, const char *lc, int min_wait)
{
    if (c != RL_GR_USER) return RL_GR_FINE;
    /* no minutes printed = under one minute: counts as 0 against min_wait */
    int waited = g->wait_minutes < 0 ? 0 : g->wait_minutes;
    if (lc[0]) {
        if (!strcmp(lc, "IO wait") && accept_loop(d, g)) return RL_GR_FINE;
        return waited >= min_wait && (min_wait == 0 || g->wait_minutes >= 0) ? RL_GR_LEAKED
                                                                              : RL_GR_SUSPECT;
    }
    if (!strcmp(st, "sleep") && g->wait_minutes >= 0 && waited >= min_wait) return RL_GR_SUSPECT;
    return RL_GR_FINE;
}

static rl_status group_key(const rl_gr_dump *d, const rl_gr_goroutine *g, const char *st,
                           rl_gr_grouping mode, rl_buf *b, char key[33])
{
    rl_buf_clear(b);
    rl_status s = rl_buf_puts(b, st);
    for (size_t k = 0; k < g->nframes && s == RL_OK; k++) { /* appends, not printf: hot */
        const rl_gr_frame *f = frame(d, g, k);
        s = rl_buf_append(b, "\n", 1);
        if (s == RL_OK) s = rl_buf_puts(b, f->func);
        if (s == RL_OK && mode == RL_GR_EXACT) s = rl_buf_puts(b, f->args);
        if (s == RL_OK) s = rl_buf_append(b, "\t", 1);
        if (s == RL_OK) s = rl_buf_puts(b, f->file);
        if (s == RL_OK && mode != RL_GR_NO_LINES) {
            char num[16];
            int n = 0;
            unsigned v = f->line > 0 ? (unsigned)f->line : 0;
            do num[sizeof num - 1 - n++] = (char)('0' + v % 10); while ((v /= 10) && n < 15);
            num[sizeof num - 1 - n] = ':';
            s = rl_buf_append(b, num + sizeof num - 1 - n, (size_t)n + 1);
        }
    }
    if (s == RL_OK && g->elided) s = rl_buf_puts(b, "\n...");
    if (s == RL_OK && g->has_creator) s = rl_buf_printf(b, "\ncreated by %s", g->created_by.func);
    if (s != RL_OK) return s;
    rl_sha256_hex(b->data, b->len, 16, key);
    return RL_OK;
}

static int cmp_group(const void *a, const void *b)
{
    const rl_gr_group *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return x->first < y->first ? -1 : x->first > y->first;
}

rl_status rl_gr_analyze(const rl_gr_dump *d, const rl_gr_options *opt, rl_gr_analysis **out)
{
    rl_gr_options dflt = RL_GR_OPTIONS_DEFAULT;
    const rl_gr_options *o = opt ? opt : &dflt;
    rl_status s = RL_OK;
    rl_buf b;
    rl_buf_init(&b, (size_t)16 << 20);
    size_t tcap = 64;
    while (tcap < d->n * 2 + 2) tcap *= 2;
    size_t *table = NULL; /* open addressing: group index + 1 */
    rl_gr_analysis *a = calloc(1, sizeof *a);
    if (!a) return RL_ERR_NOMEM;
    a->dump = d;
    a->cls = calloc(d->n + 1, sizeof *a->cls);
    a->verdict = calloc(d->n + 1, sizeof *a->verdict);
    a->leak_class = calloc(d->n + 1, sizeof *a->leak_class);
    a->ignored = calloc(d->n + 1, sizeof *a->ignored);
    a->groups = calloc(d->n + 1, sizeof *a->groups);
    table = calloc(tcap, sizeof *table);
    if (!a->cls || !a->verdict || !a->leak_class || !a->ignored || !a->groups || !table) {
        s = RL_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < d->n && s == RL_OK; i++) {
        const rl_gr_goroutine *g = &d->g[i];
        const char *st = rl_gr_wait_reason(d, i);
        a->cls[i] = classify(d, g);
        a->leak_class[i] = leak_class(d, g, st);
        a->verdict[i] = verdict(d, g, a->cls[i], st, a->leak_class[i], o->min_wait);
        if ((a->ignored[i] = (unsigned char)ignored(d, g, &o->ignore))) {
            a->verdict[i] = RL_GR_FINE;
            a->nignored += g->count;
        }
        a->total += g->count;
        if (a->cls[i] == RL_GR_RUNTIME) a->runtime_owned += g->count;
        if (a->verdict[i] == RL_GR_LEAKED) a->leaked += g->count;
        if (a->verdict[i] == RL_GR_SUSPECT) a->suspects += g->count;
        char key[33];
        if ((s = group_key(d, g, st, o->grouping, &b, key)) != RL_OK) break;
        size_t h = 0;
        for (int k = 0; k < 8; k++) h = h * 16 + (size_t)(key[k] <= '9' ? key[k] - '0' : key[k] - 'a' + 10);
        size_t slot = h & (tcap - 1);
        while (table[slot] && strcmp(a->groups[table[slot] - 1].key, key)) slot = (slot + 1) & (tcap - 1);
        rl_gr_group *gr;
        if (!table[slot]) {
            gr = &a->groups[a->ngroups++];
            table[slot] = a->ngroups;
            memcpy(gr->key, key, 33);
            gr->first = i;
            gr->max_wait = -1;
            gr->cls = a->cls[i];
            gr->leak_class = a->leak_class[i];
            gr->ignored = a->ignored[i];
        } else {
            gr = &a->groups[table[slot] - 1];
        }
        size_t *nm = realloc(gr->members, (gr->nmembers + 1) * sizeof *nm);
        if (!nm) {
            s = RL_ERR_NOMEM;
            break;
        }
        gr->members = nm;
        gr->members[gr->nmembers++] = i;
        gr->count += g->count;
        if (g->wait_minutes > gr->max_wait) gr->max_wait = g->wait_minutes;
        if (a->verdict[i] > gr->verdict) gr->verdict = a->verdict[i];
    }
    if (s == RL_OK) qsort(a->groups, a->ngroups, sizeof *a->groups, cmp_group);
out:
    free(table);
    rl_buf_free(&b);
    if (s != RL_OK) {
        rl_gr_analysis_free(a);
        return s;
    }
    *out = a;
    return RL_OK;
}

void rl_gr_analysis_free(rl_gr_analysis *a)
{
    if (!a) return;
    for (size_t i = 0; i < a->ngroups; i++) free(a->groups[i].members);
    free(a->groups);
    free(a->cls);
    free(a->verdict);
    free(a->ignored);
    free(a->leak_class);
    free(a);
}

static const char *class_name(rl_gr_class c)
{
    return c == RL_GR_MAIN ? "main" : c == RL_GR_RUNTIME ? "runtime" : "user";
}

static const char *verdict_name(rl_gr_verdict v)
{
    return v == RL_GR_LEAKED ? "leaked" : v == RL_GR_SUSPECT ? "suspect" : "ok";
}

static json_t *frame_json(const rl_gr_frame *f)
{
    return json_pack("{s:s,s:s,s:i}", "function", f->func, "file", f->file, "line", f->line);
}

json_t *rl_gr_analysis_json(const rl_gr_analysis *a)
{
    const rl_gr_dump *d = a->dump;
    json_t *by_state = json_object(), *list = json_array();
    for (size_t i = 0; i < d->n; i++) {
        const char *st = rl_gr_wait_reason(d, i);
        if (!st[0]) st = "unknown";
        json_t *c = json_object_get(by_state, st);
        json_object_set_new(by_state, st,
                            json_integer((c ? json_integer_value(c) : 0) + (json_int_t)d->g[i].count));
    }
    for (size_t k = 0; k < a->ngroups; k++) {
        const rl_gr_group *gr = &a->groups[k];
        const rl_gr_goroutine *g = &d->g[gr->first];
        json_t *ids = json_array();
        for (size_t m = 0; m < gr->nmembers; m++)
            if (d->g[gr->members[m]].id) json_array_append_new(ids, json_integer((json_int_t)d->g[gr->members[m]].id));
        const char *st = rl_gr_wait_reason(d, gr->first);
        json_t *o = json_pack("{s:s,s:I,s:s,s:i,s:o,s:o,s:s,s:s,s:s,s:o}", "key", gr->key,
                              "count", (json_int_t)gr->count, "state", st[0] ? st : "unknown",
                              "max_wait_minutes", gr->max_wait,
                              "top_frame", g->nframes ? frame_json(&d->frames[g->first_frame]) : json_null(),
                              "created_by", g->has_creator ? frame_json(&g->created_by) : json_null(),
                              "leak_class", gr->leak_class, "class", class_name(gr->cls),
                              "verdict", gr->ignored ? "ignored" : verdict_name(gr->verdict), "goroutine_ids", ids);
        if (g->has_creator && g->creator_id)
            json_object_set_new(json_object_get(o, "created_by"), "goroutine",
                                json_integer((json_int_t)g->creator_id));
        json_array_append_new(list, o);
    }
    json_t *unk = json_array();
    for (size_t i = 0; i < d->nunknown_kept; i++)
        json_array_append_new(unk, json_pack("{s:I,s:s}", "line", (json_int_t)d->unknown[i].line,
                                             "text", d->unknown[i].text));
    json_t *out = json_pack("{s:s,s:I,s:I,s:o,s:I,s:I,s:I,s:o,s:I,s:o}", "format",
                     d->format == RL_GR_DEBUG1 ? "debug=1" : "traceback", "goroutines",
                     (json_int_t)a->total, "groups", (json_int_t)a->ngroups, "by_state", by_state,
                     "leaked", (json_int_t)a->leaked, "suspects", (json_int_t)a->suspects,
                     "runtime_owned", (json_int_t)a->runtime_owned, "group_list", list,
                     "unknown_lines", (json_int_t)d->nunknown, "unknown", unk);
    json_object_set_new(out, "ignored", json_integer((json_int_t)a->nignored));
    return out;
}

json_t *rl_gr_goroutines_json(const rl_gr_analysis *a)
{
    const rl_gr_dump *d = a->dump;
    json_t *list = json_array();
    for (size_t i = 0; i < d->n; i++) {
        const rl_gr_goroutine *g = &d->g[i];
        json_t *frames = json_array(), *anc = json_array();
        for (size_t k = 0; k < g->nframes; k++) {
            json_t *f = frame_json(frame(d, g, k));
            if (frame(d, g, k)->args[0]) json_object_set_new(f, "args", json_string(frame(d, g, k)->args));
            json_array_append_new(frames, f);
        }
        for (size_t k = 0; k < g->nancestors; k++)
            json_array_append_new(anc, json_integer((json_int_t)d->ancestors[g->first_ancestor + k]));
        json_t *cb = json_null();
        if (g->has_creator) {
            cb = frame_json(&g->created_by);
            if (g->creator_id) json_object_set_new(cb, "goroutine", json_integer((json_int_t)g->creator_id));
        }
        json_array_append_new(
            list, json_pack("{s:I,s:I,s:s,s:i,s:b,s:s,s:s,s:I,s:o,s:b,s:o,s:o,s:s,s:s,s:s}", "id",
                            (json_int_t)g->id, "count", (json_int_t)g->count, "state",
                            rl_gr_wait_reason(d, i), "wait_minutes", g->wait_minutes, "locked",
                            g->locked, "header", g->header, "labels", g->labels, "line",
                            (json_int_t)g->line, "frames", frames, "elided", g->elided,
                            "created_by", cb, "ancestors", anc, "class", class_name(a->cls[i]),
                            "leak_class", a->leak_class[i], "verdict",
                            a->ignored[i] ? "ignored" : verdict_name(a->verdict[i])));
    }
    return list;
}
