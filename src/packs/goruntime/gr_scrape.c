/* gr_scrape.c: scheduled scraping of live pprof endpoints. */
#include "gr_scrape.h"

#include "gr_analyze.h"
#include "gr_growth.h"
#include "gr_series.h"
#include "import.h"
#include "metrics.h"
#include "timefmt.h"

#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_TARGETS 64
#define MAX_BODY ((size_t)256 << 20)
#define MAX_STATES 64
#define MAX_KEEP 100000

typedef struct state_count {
    char state[64];
    uint64_t n;
} state_count;

typedef struct target {
    char url[2048], service[128], dir[4352];
    double interval, timeout, due;
    size_t keep;
    char **kept; /* ring of spool files that may be deleted */
    size_t nkept, kept0;
    uint64_t seq;
    int failing; /* the last scrape failed (failures are logged once per outage) */
    rl_gr_growth *growth;
    /* figures, under the scraper's mutex */
    int have;
    uint64_t total, groups, leaked, suspects, runtime_owned;
    state_count states[MAX_STATES];
    size_t nstates;
    uint64_t states_other; /* goroutines in states past MAX_STATES */
    int window, alert_now;
    double k_per_s;
    double wt[RL_GR_WINDOW], wy[RL_GR_WINDOW]; /* the window's sample times and totals, ring */
    size_t nw;
    uint64_t ok, failed, import_failed, alerts, deltas;
    double last_ok, last_seconds;
} target;

typedef struct scraper {
    const rl_service_env *env;
    target t[MAX_TARGETS];
    size_t n;
    CURL *curl;
    pthread_mutex_t mu;
} scraper;

static void say(const scraper *s, const char *level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(const scraper *s, const char *level, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    s->env->log(s->env->log_ctx, level, msg);
}

/* Percent-encodes what is not unreserved (for the spool header and names). */
static void pct(const char *in, char *out, size_t cap)
{
    static const char hx[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p && o + 4 < cap; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~:/?&=", *p))
            out[o++] = (char)*p;
        else {
            out[o++] = '%';
            out[o++] = hx[*p >> 4];
            out[o++] = hx[*p & 15];
        }
    }
    out[o] = 0;
}

static int parse_seconds(const char *v, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || *end || !(d >= 0.05) || d > 86400) return -1;
    *out = d;
    return 0;
}

/* "URL[,service=NAME][,interval=S][,timeout=S][,keep=N]" */
static rl_status target_parse(target *t, const char *value, char *err, size_t cap)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", value);
    char *save = NULL, *url = strtok_r(buf, ",", &save);
    t->interval = 5;
    t->timeout = 10;
    t->keep = 720;
    if (!url || (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) || strlen(url) >= sizeof t->url) {
        snprintf(err, cap, "--scrape %s: expected an http:// or https:// URL first", value);
        return RL_ERR_USAGE;
    }
    snprintf(t->url, sizeof t->url, "%s", url);
    const char *host = strstr(url, "://") + 3;
    size_t hn = strcspn(host, "/?#");
    snprintf(t->service, sizeof t->service, "%.*s", (int)(hn < 127 ? hn : 127), host);
    for (char *kv; (kv = strtok_r(NULL, ",", &save));) {
        char *eq = strchr(kv, '=');
        unsigned long long n;
        char *end;
        if (!eq) goto bad;
        *eq = 0;
        const char *v = eq + 1;
        if (!strcmp(kv, "service") && *v && strlen(v) < sizeof t->service)
            snprintf(t->service, sizeof t->service, "%s", v);
        else if (!strcmp(kv, "interval") && !parse_seconds(v, &t->interval)) {
        } else if (!strcmp(kv, "timeout") && !parse_seconds(v, &t->timeout)) {
        } else if (!strcmp(kv, "keep") && (n = strtoull(v, &end, 10), !*end && *v != '-' && n >= 1 && n <= MAX_KEEP))
            t->keep = (size_t)n;
        else {
            *eq = '=';
            goto bad;
        }
        continue;
    bad:
        snprintf(err, cap,
                 "--scrape %s: '%s' not understood: expected service=NAME, interval=SECONDS "
                 "(0.05..86400), timeout=SECONDS or keep=N (1..%d)",
                 value, kv, MAX_KEEP);
        return RL_ERR_USAGE;
    }
    return RL_OK;
}

static void scrape_close(void *state)
{
    scraper *s = state;
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) {
        target *t = &s->t[i];
        rl_gr_growth_free(t->growth);
        for (size_t k = 0; k < t->nkept; k++) free(t->kept[(t->kept0 + k) % t->keep]);
        free(t->kept);
    }
    if (s->curl) curl_easy_cleanup(s->curl);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static rl_status scrape_open(const char *const *values, size_t n, const rl_service_env *env,
                             void **state, char *err, size_t cap)
{
    *state = NULL;
    if (n > MAX_TARGETS) {
        snprintf(err, cap, "more than %d --scrape targets", MAX_TARGETS);
        return RL_ERR_USAGE;
    }
    scraper *s = calloc(1, sizeof *s);
    if (!s) return RL_ERR_NOMEM;
    pthread_mutex_init(&s->mu, NULL);
    s->env = env;
    rl_status st = RL_OK;
    for (size_t i = 0; i < n && st == RL_OK; i++) {
        target *t = &s->t[i];
        st = target_parse(t, values[i], err, cap);
        for (size_t j = 0; st == RL_OK && j < i; j++)
            if (!strcmp(s->t[j].service, t->service)) {
                snprintf(err, cap, "--scrape %s: service '%s' is named twice (add service=NAME)",
                         values[i], t->service);
                st = RL_ERR_USAGE;
            }
        if (st != RL_OK) break;
        char esc[400];
        pct(t->service, esc, sizeof esc);
        for (char *p = esc; *p; p++)
            if (*p == '/' || *p == ':' || *p == '?' || *p == '&' || *p == '=') *p = '_';
        snprintf(t->dir, sizeof t->dir, "%s/%s", env->spool_dir, esc);
        if (mkdir(t->dir, 0750) && errno != EEXIST) {
            snprintf(err, cap, "cannot create %s: %s", t->dir, strerror(errno));
            st = RL_ERR_IO;
        }
        t->growth = rl_gr_growth_new(0);
        t->kept = calloc(t->keep, sizeof *t->kept);
        if (st == RL_OK && (!t->growth || !t->kept)) st = RL_ERR_NOMEM;
        s->n = i + 1;
    }
    if (st == RL_OK && !(s->curl = curl_easy_init())) st = RL_ERR_NOMEM;
    if (st != RL_OK) {
        scrape_close(s);
        return st;
    }
    for (size_t i = 0; i < s->n; i++)
        say(s, "info", "scraping %s every %g s as service '%s'", s->t[i].url, s->t[i].interval,
            s->t[i].service);
    *state = s;
    return RL_OK;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    rl_buf *b = ud;
    return rl_buf_append(b, p, size * n) == RL_OK ? size * n : 0;
}

/* GET the target into body; 0 or -1 with err set. */
static int fetch(scraper *s, target *t, rl_buf *body, char *err, size_t cap)
{
    CURL *c = s->curl;
    char cerr[CURL_ERROR_SIZE] = "";
    long code = 0;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, t->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(t->timeout * 1000));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_WRITE_ERROR) {
        snprintf(err, cap, "response larger than %zu bytes", MAX_BODY);
        return -1;
    }
    if (rc != CURLE_OK) {
        snprintf(err, cap, "%s", cerr[0] ? cerr : curl_easy_strerror(rc));
        return -1;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    if (code != 200) {
        snprintf(err, cap, "HTTP status %ld (expected 200)", code);
        return -1;
    }
    return 0;
}

/* Records the analysis figures for /metrics (under the mutex). */
/* Least-squares slope of the window's totals over the samples' real times
 * (goroutines per second): samples drift when a scrape runs late. */
static double window_slope_per_s(const target *t)
{
    size_t n = t->nw < RL_GR_WINDOW ? t->nw : RL_GR_WINDOW;
    double sx = 0, sy = 0, sxy = 0, sxx = 0, t0 = t->wt[(t->nw - n) % RL_GR_WINDOW];
    for (size_t i = 0; i < n; i++) {
        size_t k = (t->nw - n + i) % RL_GR_WINDOW;
        double x = t->wt[k] - t0, y = t->wy[k];
        sx += x, sy += y, sxy += x * y, sxx += x * x;
    }
    double den = (double)n * sxx - sx * sx;
    return den > 0 ? ((double)n * sxy - sx * sy) / den : 0;
}

static void figures_set(scraper *s, target *t, const rl_gr_dump *d, const rl_gr_analysis *a,
                        const rl_gr_growth_step *gs, double when)
{
    pthread_mutex_lock(&s->mu);
    t->have = 1;
    t->total = a->total;
    t->groups = a->ngroups;
    t->leaked = a->leaked;
    t->suspects = a->suspects;
    t->runtime_owned = a->runtime_owned;
    t->nstates = 0;
    t->states_other = 0;
    for (size_t i = 0; i < d->n; i++) {
        const char *w = rl_gr_wait_reason(d, i);
        if (!w[0]) w = "unknown";
        size_t k = 0;
        while (k < t->nstates && strcmp(t->states[k].state, w)) k++;
        if (k == t->nstates) {
            if (t->nstates == MAX_STATES || strlen(w) >= sizeof t->states[0].state) {
                t->states_other += d->g[i].count;
                continue;
            }
            snprintf(t->states[t->nstates].state, sizeof t->states[0].state, "%s", w);
            t->states[t->nstates++].n = 0;
        }
        t->states[k].n += d->g[i].count;
    }
    t->wt[t->nw % RL_GR_WINDOW] = when;
    t->wy[t->nw % RL_GR_WINDOW] = (double)a->total;
    t->nw++;
    t->window = gs->window;
    t->k_per_s = gs->window ? window_slope_per_s(t) : 0;
    t->alert_now = gs->rule != NULL;
    if (gs->rule) t->alerts++;
    if (gs->delta_finding) t->deltas++;
    pthread_mutex_unlock(&s->mu);
}

/* Writes header + body to the spool; the path goes to out. */
static int spool_write(target *t, const char *when, const rl_gr_growth_step *gs, const rl_buf *body,
                       char *out, size_t cap, char *err, size_t ecap)
{
    char svc[400], url[6200], stamp[40];
    snprintf(stamp, sizeof stamp, "%s", when);
    for (char *p = stamp; *p; p++)
        if (*p == ':') *p = '-';
    snprintf(out, cap, "%s/%s-%06llu.txt", t->dir, stamp, (unsigned long long)t->seq);
    pct(t->service, svc, sizeof svc);
    pct(t->url, url, sizeof url);
    FILE *f = fopen(out, "wx");
    if (!f) {
        snprintf(err, ecap, "cannot create %.700s: %s", out, strerror(errno));
        return -1;
    }
    fprintf(f, RL_GR_SCRAPE_HEADER "service=%s time=%s url=%s", svc, when, url);
    if (gs->window) fprintf(f, " k=%.6f", gs->k);
    if (gs->rule) {
        char rule[200];
        pct(gs->rule, rule, sizeof rule);
        fprintf(f, " alert=%s", rule);
    }
    fputc('\n', f);
    size_t w = body->len ? fwrite(body->data, 1, body->len, f) : 0;
    if (fclose(f) != 0 || w != body->len) {
        snprintf(err, ecap, "cannot write %.700s", out);
        unlink(out);
        return -1;
    }
    return 0;
}

/* Remembers a deletable spool file; deletes the oldest past `keep`. */
static void spool_keep(target *t, const char *path)
{
    char *dup = strdup(path);
    if (!dup) return;
    if (t->nkept == t->keep) {
        unlink(t->kept[t->kept0]);
        free(t->kept[t->kept0]);
        t->kept[t->kept0] = dup;
        t->kept0 = (t->kept0 + 1) % t->keep;
    } else t->kept[(t->kept0 + t->nkept++) % t->keep] = dup;
}

static void scrape_one(scraper *s, target *t, double now)
{
    char err[1024], path[4600], when[40];
    rl_buf body;
    rl_buf_init(&body, MAX_BODY);
    rl_gr_dump *d = NULL;
    rl_gr_analysis *a = NULL;
    rl_gr_growth_step gs;
    double t0 = now;
    rl_time_iso_ms(now, when, sizeof when);
    t->seq++;
    if (fetch(s, t, &body, err, sizeof err) ||
        rl_gr_dump_parse((const char *)body.data, body.len, NULL, &d, err, sizeof err) != RL_OK) {
        if (!t->failing)
            say(s, "warn", "scrape %s (%s): %s (logged once until it recovers; see "
                "rootline_scrapes_total)", t->service, t->url, err);
        t->failing = 1;
        pthread_mutex_lock(&s->mu);
        t->failed++;
        pthread_mutex_unlock(&s->mu);
        goto out;
    }
    if (rl_gr_analyze(d, NULL, &a) != RL_OK || rl_gr_growth_push(t->growth, (double)rl_gr_dump_total(d), &gs) != RL_OK) {
        say(s, "error", "scrape %s: out of memory", t->service);
        goto out;
    }
    if (t->failing) say(s, "info", "scrape %s: answering again", t->service);
    t->failing = 0;
    figures_set(s, t, d, a, &gs, now);
    if (gs.rule)
        say(s, "warn", "service '%s': goroutine growth alert (%s), k = %.3f per sample, total %llu",
            t->service, gs.rule, gs.k, (unsigned long long)a->total);
    rl_import_options io = {"goroutine-dump", 0, 0, RL_PROGRESS_NONE, NULL, s->env->formats, NULL, 0, NULL};
    rl_import_result res;
    rl_status st = RL_ERR_IO;
    if (!spool_write(t, when, &gs, &body, path, sizeof path, err, sizeof err))
        st = rl_import_file(s->env->store, path, &io, &res, err, sizeof err);
    pthread_mutex_lock(&s->mu);
    if (st == RL_OK) t->ok++, t->last_ok = now;
    else t->import_failed++;
    t->last_seconds = 0;
    pthread_mutex_unlock(&s->mu);
    if (st != RL_OK) say(s, "error", "scrape %s: snapshot not stored: %s", t->service, err);
    else if (!gs.rule) spool_keep(t, path);
out:
    pthread_mutex_lock(&s->mu);
    t->last_seconds = rl_time_now() - t0;
    pthread_mutex_unlock(&s->mu);
    rl_gr_analysis_free(a);
    rl_gr_dump_free(d);
    rl_buf_free(&body);
}

static double scrape_step(void *state, double now)
{
    scraper *s = state;
    double next = 3600;
    for (size_t i = 0; i < s->n; i++) {
        target *t = &s->t[i];
        if (now >= t->due) {
            scrape_one(s, t, now);
            /* the next sample is due one interval after this one was due,
             * or after now when we are late by a whole interval */
            t->due = t->due && now - t->due < t->interval ? t->due + t->interval : now + t->interval;
            now = rl_time_now();
        }
        if (t->due - now < next) next = t->due - now;
    }
    return next;
}

static rl_status sample(rl_buf *b, const char *name, const char *svc, const char *k2, const char *v2,
                        double v)
{
    const char *l[] = {"service", svc, k2, v2};
    return rl_metrics_sample(b, name, l, k2 ? 2 : 1, v);
}

typedef struct gauge {
    const char *name, *type, *help;
} gauge;

static const gauge G[] = {
    {"rootline_goroutines", "gauge", "Goroutines in the service's last scraped snapshot."},
    {"rootline_goroutine_groups", "gauge", "Goroutine groups (same stack signature) in the last snapshot."},
    {"rootline_goroutine_leaked", "gauge", "Goroutines judged leaked in the last snapshot."},
    {"rootline_goroutine_leak_suspects", "gauge", "Goroutines judged leak suspects in the last snapshot."},
    {"rootline_goroutine_runtime_owned", "gauge", "Runtime-owned goroutines in the last snapshot."},
    {"rootline_goroutines_by_state", "gauge",
     "Goroutines per wait state in the last snapshot (states past 64 distinct ones are summed under state=\"other\")."},
    {"rootline_goroutine_growth_slope_per_second", "gauge",
     "Least-squares slope of the last 12 samples over their real times, goroutines per second (NaN before 12 samples)."},
    {"rootline_goroutine_growth_alert", "gauge", "1 if the growth early warning fired at the last sample."},
    {"rootline_goroutine_growth_alerts_total", "counter", "Growth alerts fired since start."},
    {"rootline_goroutine_delta_findings_total", "counter", "Increments above the P95 x 1.8 delta threshold since start."},
    {"rootline_scrapes_total", "counter", "Scrapes by result: ok (stored), failed (fetch or parse), store_failed."},
    {"rootline_scrape_last_success_timestamp_seconds", "gauge", "When the last snapshot was stored."},
    {"rootline_scrape_duration_seconds", "gauge", "How long the last scrape took (fetch, analysis, import)."},
};

static rl_status scrape_metrics(void *state, rl_buf *b)
{
    scraper *s = state;
    rl_status st = RL_OK;
    pthread_mutex_lock(&s->mu);
    for (size_t g = 0; g < sizeof G / sizeof *G && st == RL_OK; g++) {
        st = rl_metrics_header(b, G[g].name, G[g].type, G[g].help);
        for (size_t i = 0; i < s->n && st == RL_OK; i++) {
            const target *t = &s->t[i];
            const char *sv = t->service;
            switch (g) {
            case 0: if (t->have) st = sample(b, G[g].name, sv, NULL, NULL, (double)t->total); break;
            case 1: if (t->have) st = sample(b, G[g].name, sv, NULL, NULL, (double)t->groups); break;
            case 2: if (t->have) st = sample(b, G[g].name, sv, NULL, NULL, (double)t->leaked); break;
            case 3: if (t->have) st = sample(b, G[g].name, sv, NULL, NULL, (double)t->suspects); break;
            case 4: if (t->have) st = sample(b, G[g].name, sv, NULL, NULL, (double)t->runtime_owned); break;
            case 5:
                for (size_t k = 0; t->have && k < t->nstates && st == RL_OK; k++)
                    st = sample(b, G[g].name, sv, "state", t->states[k].state, (double)t->states[k].n);
                if (t->states_other && st == RL_OK)
                    st = sample(b, G[g].name, sv, "state", "other", (double)t->states_other);
                break;
            case 6: if (t->have) st = sample(b, G[g].name, sv, NULL, NULL, t->window ? t->k_per_s : NAN); break;
            case 7: if (t->have) st = sample(b, G[g].name, sv, NULL, NULL, t->alert_now); break;
            case 8: st = sample(b, G[g].name, sv, NULL, NULL, (double)t->alerts); break;
            case 9: st = sample(b, G[g].name, sv, NULL, NULL, (double)t->deltas); break;
            case 10:
                st = sample(b, G[g].name, sv, "result", "ok", (double)t->ok);
                if (st == RL_OK) st = sample(b, G[g].name, sv, "result", "failed", (double)t->failed);
                if (st == RL_OK)
                    st = sample(b, G[g].name, sv, "result", "store_failed", (double)t->import_failed);
                break;
            case 11: if (t->ok) st = sample(b, G[g].name, sv, NULL, NULL, t->last_ok); break;
            case 12: if (t->seq) st = sample(b, G[g].name, sv, NULL, NULL, t->last_seconds); break;
            }
        }
    }
    pthread_mutex_unlock(&s->mu);
    return st;
}

const rl_pack_service rl_gr_scrape_service = {
    "goroutine-scraper",
    "scrape",
    "URL[,service=NAME][,interval=S][,timeout=S][,keep=N]",
    "fetch a Go pprof goroutine endpoint every S seconds (default 5), store each snapshot, run "
    "the growth early warning, show the figures at /metrics",
    scrape_open,
    scrape_step,
    scrape_metrics,
    scrape_close,
    NULL, /* only when --scrape is given */
};
