/* routes.c: fork + exec the pack command, collect its output with a deadline. */
#include "routes.h"

#include "buf.h"
#include "reply.h"
#include "timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define ARGV_MAX 64
#define OUT_MAX ((size_t)64 << 20)
#define ERR_MAX ((size_t)64 << 10)

const rl_pack_route *rl_route_find(const rl_pack_route *const *routes, const char *url)
{
    for (size_t i = 0; routes && routes[i]; i++)
        if (!strcmp(routes[i]->path, url)) return routes[i];
    return NULL;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type, const void *body, size_t n,
                             unsigned *code)
{
    return rl__reply(c, status, type, body, n, status == 405 ? "GET" : NULL, code);
}

/* Reads both pipes until the child closes them or the deadline passes.
 * Returns 0, 1 on the deadline, 2 past a ceiling. */
static int collect(int fo, int fe, rl_buf *out, rl_buf *err, double deadline)
{
    struct pollfd p[2] = {{fo, POLLIN, 0}, {fe, POLLIN, 0}};
    int open_n = 2;
    char buf[65536];
    while (open_n) {
        double left = deadline - rl_time_now();
        if (left <= 0) return 1;
        int r = poll(p, 2, (int)(left * 1000) + 1);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return 2;
        for (int i = 0; i < 2; i++) {
            if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t n = read(p[i].fd, buf, sizeof buf);
            if (n <= 0) {
                p[i].fd = -1, open_n--;
                continue;
            }
            if (rl_buf_append(i ? err : out, buf, (size_t)n) != RL_OK) return 2;
        }
    }
    return 0;
}

enum MHD_Result rl_route_request(const rl_pack_route *rt, struct MHD_Connection *c, const char *method,
                                 const char *exe, const char *store_uri, double timeout, unsigned *code)
{
    if (strcmp(method, "GET")) return reply(c, 405, "text/plain; charset=utf-8", "method not allowed: GET\n", 24, code);
    const char *argv[ARGV_MAX];
    char opt[32][80];
    size_t n = 0, no = 0;
    argv[n++] = exe, argv[n++] = "--store", argv[n++] = store_uri, argv[n++] = rt->command;
    for (size_t i = 0; rt->fixed && rt->fixed[i] && n < ARGV_MAX - 1; i++) argv[n++] = rt->fixed[i];
    for (size_t i = 0; rt->params && rt->params[i] && n < ARGV_MAX - 3 && no < 32; i++) {
        const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, rt->params[i]);
        if (!v) continue;
        snprintf(opt[no], sizeof opt[no], "--%s", rt->params[i]);
        argv[n++] = opt[no++];
        argv[n++] = v;
    }
    argv[n] = NULL;
    int po[2] = {-1, -1}, pe[2] = {-1, -1};
    if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC)) {
        if (po[0] >= 0) close(po[0]), close(po[1]);
        return reply(c, 500, "text/plain; charset=utf-8", "cannot start the command\n", 25, code);
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(po[1], 1);
        dup2(pe[1], 2);
        execv(exe, (char *const *)argv);
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    rl_buf out, err;
    rl_buf_init(&out, OUT_MAX);
    rl_buf_init(&err, ERR_MAX);
    int why = pid > 0 ? collect(po[0], pe[0], &out, &err, rl_time_now() + timeout) : 2;
    close(po[0]);
    close(pe[0]);
    int status = 0;
    if (pid > 0) {
        if (why) kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
    }
    enum MHD_Result r;
    char msg[160];
    if (why == 1) {
        snprintf(msg, sizeof msg, "deadline of %.0f s passed; the command was stopped\n", timeout);
        r = reply(c, 503, "text/plain; charset=utf-8", msg, strlen(msg), code);
    } else if (why) {
        r = reply(c, 500, "text/plain; charset=utf-8", "the answer is over 64 MiB, or reading it failed\n", 48, code);
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        r = reply(c, 200, rt->content_type, out.data ? (const char *)out.data : "", out.len, code);
    } else {
        int ec = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        unsigned st = ec == 1 ? 400 : ec == 2 ? 404 : 500;
        if (!err.len) rl_buf_puts(&err, ec < 0 ? "the command crashed\n" : "the command failed\n");
        r = reply(c, st, "text/plain; charset=utf-8", err.data, err.len, code);
    }
    rl_buf_free(&out);
    rl_buf_free(&err);
    return r;
}
