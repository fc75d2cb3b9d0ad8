/* resident.c: a long-lived child answering requests over two pipes. */
#include "resident.h"

#include "timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define ARGS_MAX 64
#define ARG_BYTES_MAX ((size_t)64 << 10)
#define HEAD_MAX 96
#define ANSWER_GRACE_S 30.0  /* to read an answer whose first byte has come */
#define HARD_DEFAULT_S 900.0 /* a request may keep the child busy this long */

/* ---- shared: reading exactly n bytes before a deadline ---- */

/* 1 read, 0 end of input, -1 error, -2 deadline (deadline <= 0: none). */
static int read_full(int fd, void *buf, size_t n, double deadline)
{
    char *p = buf;
    while (n) {
        if (deadline > 0) {
            double left = deadline - rl_time_now();
            if (left <= 0) return -2;
            struct pollfd pf = {fd, POLLIN, 0};
            int pr = poll(&pf, 1, (int)(left * 1000) + 1);
            if (pr < 0 && errno == EINTR) continue;
            if (pr < 0) return -1;
            if (pr == 0) continue;
        }
        ssize_t k = read(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return -1;
        if (k == 0) return 0;
        p += k, n -= (size_t)k;
    }
    return 1;
}

/* A line of at most cap-1 bytes ending in '\n' (stripped). */
static int read_line(int fd, char *line, size_t cap, double deadline)
{
    size_t n = 0;
    for (;;) {
        char c;
        int r = read_full(fd, &c, 1, deadline);
        if (r != 1) return r;
        if (c == '\n') break;
        if (n + 1 >= cap) return -1;
        line[n++] = c;
    }
    line[n] = 0;
    return 1;
}

static int write_full(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        p += k, n -= (size_t)k;
    }
    return 0;
}

/* ---- worker ---- */

int rl_resident_serve(int in_fd, int out_fd, const char *name, double idle_s, size_t max_out, rl_resident_fn fn,
                      void *ctx)
{
    if (!max_out) max_out = (size_t)64 << 20;
    for (;;) {
        char line[HEAD_MAX];
        if (idle_s > 0) {
            struct pollfd pf = {in_fd, POLLIN, 0};
            int pr;
            while ((pr = poll(&pf, 1, (int)(idle_s * 1000))) < 0 && errno == EINTR) {
            }
            if (pr == 0) return 0; /* idle: the client starts another when needed */
        }
        int r = read_line(in_fd, line, sizeof line, 0);
        if (r == 0) return 0;
        char *end;
        long n = r == 1 && *line ? strtol(line, &end, 10) : -1;
        if (n < 0 || *end || n > ARGS_MAX) return -1;
        char *argv[ARGS_MAX + 2] = {(char *)name};
        int ok = 1;
        for (long i = 0; i < n && ok; i++) {
            long len = read_line(in_fd, line, sizeof line, 0) == 1 && *line ? strtol(line, &end, 10) : -1;
            if (len < 0 || *end || (size_t)len > ARG_BYTES_MAX || !(argv[i + 1] = malloc((size_t)len + 1))) {
                ok = 0;
                break;
            }
            if (read_full(in_fd, argv[i + 1], (size_t)len, 0) != 1) ok = 0;
            else argv[i + 1][len] = 0;
        }
        char *ob = NULL, *eb = NULL;
        size_t on = 0, en = 0;
        FILE *of = ok ? open_memstream(&ob, &on) : NULL, *ef = ok ? open_memstream(&eb, &en) : NULL;
        int code = 4;
        if (of && ef) code = fn(ctx, (int)n + 1, argv, of, ef);
        else ok = 0;
        if (of) fclose(of);
        if (ef) fclose(ef);
        for (long i = 1; i <= n; i++) free(argv[i]);
        if (ok && on > max_out) { /* the answer is replaced by the reason */
            free(ob), free(eb);
            ob = NULL, on = 0;
            code = 4;
            if (asprintf(&eb, "%s: the answer is over %zu bytes\n", name, max_out) < 0) eb = NULL;
            en = eb ? strlen(eb) : 0;
        }
        char head[HEAD_MAX];
        int hn = snprintf(head, sizeof head, "%d %zu %zu\n", code, on, en);
        int w = ok ? write_full(out_fd, head, (size_t)hn) : -1;
        if (!w && on) w = write_full(out_fd, ob, on);
        if (!w && en) w = write_full(out_fd, eb, en);
        free(ob);
        free(eb);
        if (w) return -1;
    }
}

/* ---- client ---- */

struct rl_resident {
    char **argv;
    pid_t pid;
    int to_child, from_child;
    int pending;          /* requests given up on whose answers are still to come */
    double pending_since; /* when the oldest of them was sent */
    double hard_s;        /* past this the child is killed */
};

rl_resident *rl_resident_new(const char *const *argv)
{
    rl_resident *r = calloc(1, sizeof *r);
    size_t n = 0;
    while (argv[n]) n++;
    if (!r || !(r->argv = calloc(n + 1, sizeof *r->argv))) {
        free(r);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (!(r->argv[i] = strdup(argv[i]))) {
            rl_resident_free(r);
            return NULL;
        }
    r->to_child = r->from_child = -1;
    r->hard_s = HARD_DEFAULT_S;
    return r;
}

static void child_stop(rl_resident *r)
{
    if (r->to_child >= 0) close(r->to_child);
    if (r->from_child >= 0) close(r->from_child);
    r->to_child = r->from_child = -1;
    if (r->pid > 0) {
        kill(r->pid, SIGKILL);
        while (waitpid(r->pid, NULL, 0) < 0 && errno == EINTR) {
        }
    }
    r->pid = 0;
    r->pending = 0;
}

void rl_resident_free(rl_resident *r)
{
    if (!r) return;
    child_stop(r);
    for (size_t i = 0; r->argv && r->argv[i]; i++) free(r->argv[i]);
    free(r->argv);
    free(r);
}

long rl_resident_pid(const rl_resident *r) { return r ? (long)r->pid : 0; }

static int child_start(rl_resident *r)
{
    int in[2] = {-1, -1}, out[2] = {-1, -1};
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC)) {
        if (in[0] >= 0) close(in[0]), close(in[1]);
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        execv(r->argv[0], r->argv);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    if (pid < 0) {
        close(in[1]), close(out[0]);
        return -1;
    }
    r->pid = pid, r->to_child = in[1], r->from_child = out[0];
    return 0;
}

/* How the child ended after its output closed: SIGNALED or FAILED (exec). */
static rl_spawn_end child_gone(rl_resident *r)
{
    int status = 0;
    close(r->to_child), close(r->from_child);
    r->to_child = r->from_child = -1;
    while (r->pid > 0 && waitpid(r->pid, &status, 0) < 0 && errno == EINTR) {
    }
    r->pid = 0;
    r->pending = 0;
    return WIFEXITED(status) && WEXITSTATUS(status) == 127 ? RL_SPAWN_FAILED : RL_SPAWN_SIGNALED;
}

/* Reads one answer.  1 read; -2 nothing came before the deadline (the
 * child is left as it is: it may still be working); 0 the child closed its
 * output; -1 a malformed answer, a ceiling or an answer cut short. */
static int read_answer(rl_resident *r, double deadline, rl_buf *out, rl_buf *err, int *code)
{
    for (;;) { /* wait for the first byte without consuming anything */
        double left = deadline - rl_time_now();
        if (left <= 0) return -2;
        struct pollfd pf = {r->from_child, POLLIN, 0};
        int pr = poll(&pf, 1, (int)(left * 1000) + 1);
        if (pr < 0 && errno == EINTR) continue;
        if (pr < 0) return -1;
        if (pr > 0) break;
    }
    double rest = rl_time_now() + ANSWER_GRACE_S; /* an answer being written comes at once */
    char head[HEAD_MAX];
    int rr = read_line(r->from_child, head, sizeof head, rest);
    if (rr != 1) return rr == 0 ? 0 : -1;
    size_t on, en;
    rl_buf_clear(out);
    rl_buf_clear(err);
    if (sscanf(head, "%d %zu %zu", code, &on, &en) != 3 || rl_buf_reserve(out, on + 1) != RL_OK ||
        rl_buf_reserve(err, en + 1) != RL_OK)
        return -1;
    if ((on && read_full(r->from_child, out->data, on, rest) != 1) ||
        (en && read_full(r->from_child, err->data, en, rest) != 1))
        return -1;
    out->len = on, err->len = en;
    out->data[on] = 0, err->data[en] = 0;
    return 1;
}

rl_spawn_end rl_resident_call(rl_resident *r, const char *const *args, double timeout_s, rl_buf *out, rl_buf *err,
                              int *exit_code)
{
    double now = rl_time_now(), deadline = now + timeout_s;
    *exit_code = -1;
    rl_buf_clear(out);
    rl_buf_clear(err);
    /* answers of requests whose callers gave up: read and dropped first */
    while (r->pid && r->pending) {
        double hard = r->pending_since + r->hard_s;
        int code, rr = read_answer(r, deadline < hard ? deadline : hard, out, err, &code);
        if (rr == 1) {
            r->pending--;
            continue;
        }
        if (rr == -2 && rl_time_now() < hard) return RL_SPAWN_DEADLINE; /* still working on it */
        if (rr == 0) child_gone(r);
        else child_stop(r); /* past the hard limit, or broken */
    }
    rl_buf_clear(out);
    rl_buf_clear(err);
    for (int attempt = 0; attempt < 2; attempt++) {
        int fresh = 0;
        if (!r->pid) {
            if (child_start(r)) return RL_SPAWN_FAILED;
            fresh = 1;
        }
        rl_buf req;
        rl_buf_init(&req, (size_t)ARGS_MAX * (ARG_BYTES_MAX + 32));
        size_t n = 0;
        while (args[n]) n++;
        rl_status s = n > ARGS_MAX ? RL_ERR_LIMIT : rl_buf_printf(&req, "%zu\n", n);
        for (size_t i = 0; i < n && s == RL_OK; i++) {
            size_t len = strlen(args[i]);
            s = len > ARG_BYTES_MAX ? RL_ERR_LIMIT : rl_buf_printf(&req, "%zu\n", len);
            if (s == RL_OK) s = rl_buf_append(&req, args[i], len);
        }
        int w = s == RL_OK ? write_full(r->to_child, req.data, req.len) : 0;
        rl_buf_free(&req);
        if (s != RL_OK) return RL_SPAWN_LIMIT; /* the child is untouched */
        if (w) { /* a child that exited while idle: start a new one once */
            child_gone(r);
            if (!fresh) continue;
            return RL_SPAWN_SIGNALED;
        }
        int code, rr = read_answer(r, deadline, out, err, &code);
        if (rr == 1) {
            *exit_code = code;
            return RL_SPAWN_EXITED;
        }
        if (rr == -2) { /* kept: its answer is dropped before the next request */
            r->pending = 1;
            r->pending_since = now;
            return RL_SPAWN_DEADLINE;
        }
        if (rr == 0) {
            rl_spawn_end e = child_gone(r);
            if (!fresh) continue; /* it had just exited, idle */
            return e;
        }
        child_stop(r);
        return RL_SPAWN_LIMIT;
    }
    return RL_SPAWN_SIGNALED;
}
