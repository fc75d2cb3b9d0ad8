/* exec_pool.c: the supervisor's pre-started executor processes. */
#include "executor.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_EXECUTORS 256

struct rl_exec {
    pid_t pid;
    int fd;   /* -1 when not running */
    int busy;
};

/* A thread waiting for an executor: woken alone, in arrival order. */
typedef struct waiter {
    pthread_cond_t cv;
    struct waiter *next;
} waiter;

struct rl_exec_pool {
    char exe[4096], store[4096];
    int writer;
    rl_exec e[MAX_EXECUTORS];
    unsigned n;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t started, crashed, killed;
    struct waiter *head, *tail; /* FIFO of threads waiting for an executor */
};

/* fork + exec `exe --store URI __executor --fd 3`; only async-signal-safe
 * calls between fork and exec (the supervisor has threads). */
static int spawn(rl_exec_pool *p, rl_exec *e)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) return -1;
    char *argv[] = {"rootline", "--store", p->store, "__executor", "--fd", "3", p->writer ? "--writer" : NULL, NULL};
    pid_t pid = fork();
    if (pid < 0) {
        close(sv[0]), close(sv[1]);
        return -1;
    }
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL); /* the supervisor blocks SIGINT/SIGTERM */
        signal(SIGPIPE, SIG_DFL);
        if (dup2(sv[1], 3) < 0) _exit(127);
        execv(p->exe, argv);
        _exit(127);
    }
    close(sv[1]);
    e->pid = pid;
    e->fd = sv[0];
    e->busy = 0;
    p->started++;
    return 0;
}

rl_status rl_exec_pool_new(const char *exe, const char *store_uri, unsigned n, int writer,
                           rl_exec_pool **out, char *err, size_t cap)
{
    *out = NULL;
    if (n == 0 || n > MAX_EXECUTORS) {
        snprintf(err, cap, "executors: expected 1..%d", MAX_EXECUTORS);
        return RL_ERR_USAGE;
    }
    rl_exec_pool *p = calloc(1, sizeof *p);
    if (!p) return RL_ERR_NOMEM;
    snprintf(p->exe, sizeof p->exe, "%s", exe);
    snprintf(p->store, sizeof p->store, "%s", store_uri);
    p->writer = writer;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    for (unsigned i = 0; i < n; i++) p->e[i].fd = -1;
    p->n = n;
    for (unsigned i = 0; i < n; i++)
        if (spawn(p, &p->e[i])) {
            snprintf(err, cap, "cannot start executor %u: %s", i, strerror(errno));
            rl_exec_pool_free(p);
            return RL_ERR_IO;
        }
    *out = p;
    return RL_OK;
}

static void stop(rl_exec *e)
{
    if (e->fd >= 0) close(e->fd);
    if (e->pid > 0) {
        kill(e->pid, SIGKILL);
        while (waitpid(e->pid, NULL, 0) < 0 && errno == EINTR) {
        }
    }
    e->fd = -1;
    e->pid = 0;
}

void rl_exec_pool_free(rl_exec_pool *p)
{
    if (!p) return;
    for (unsigned i = 0; i < p->n; i++) stop(&p->e[i]);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
}

/* An idle executor (replacing a dead one on the way), or NULL. */
static rl_exec *take_idle(rl_exec_pool *p)
{
    for (unsigned i = 0; i < p->n; i++) {
        rl_exec *e = &p->e[i];
        if (e->busy) continue;
        if (e->fd < 0 && spawn(p, e)) continue; /* replace a dead one now */
        e->busy = 1;
        return e;
    }
    return NULL;
}

rl_exec *rl_exec_acquire(rl_exec_pool *p, int wait_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += wait_ms / 1000;
    until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&p->mu);
    rl_exec *got = p->head ? NULL : take_idle(p); /* nobody waiting: no queue */
    if (!got) {
        /* join the line; a release wakes only the first in it */
        waiter me = {PTHREAD_COND_INITIALIZER, NULL};
        if (p->tail) p->tail->next = &me;
        else p->head = &me;
        p->tail = &me;
        for (;;) {
            if (p->head == &me && (got = take_idle(p))) break;
            if (pthread_cond_timedwait(&me.cv, &p->mu, &until) == ETIMEDOUT) break;
        }
        /* leave the line */
        waiter **w = &p->head, *prev = NULL;
        while (*w && *w != &me) prev = *w, w = &(*w)->next;
        if (*w) *w = me.next;
        if (p->tail == &me) p->tail = prev;
        if (p->head) pthread_cond_signal(&p->head->cv); /* the next one may go on */
        pthread_cond_destroy(&me.cv);
    }
    pthread_mutex_unlock(&p->mu);
    return got;
}

void rl_exec_release(rl_exec_pool *p, rl_exec *e, int healthy)
{
    pthread_mutex_lock(&p->mu);
    if (!healthy) {
        stop(e);
        spawn(p, e); /* pre-start the replacement; retried at acquire on failure */
    }
    e->busy = 0;
    if (p->head) pthread_cond_signal(&p->head->cv); /* the first in line */
    pthread_mutex_unlock(&p->mu);
}

int rl_exec_fd(const rl_exec *e)
{
    return e->fd;
}

pid_t rl_exec_pid(const rl_exec *e)
{
    return e->pid;
}

void rl_exec_kill(rl_exec_pool *p, rl_exec *e)
{
    pthread_mutex_lock(&p->mu);
    p->killed++;
    stop(e);
    pthread_mutex_unlock(&p->mu);
}

const char *rl_exec_reap(rl_exec_pool *p, rl_exec *e, char *buf, size_t cap)
{
    int status = 0;
    pid_t r = -1;
    if (e->pid > 0) {
        /* the socket closed: the process is ending; give it a moment */
        for (int i = 0; i < 200; i++) {
            r = waitpid(e->pid, &status, WNOHANG);
            if (r != 0) break;
            struct timespec ts = {0, 5000000L};
            nanosleep(&ts, NULL);
        }
        if (r == 0) { /* still alive although its socket broke */
            kill(e->pid, SIGKILL);
            r = waitpid(e->pid, &status, 0);
        }
    }
    if (r > 0 && WIFSIGNALED(status))
        snprintf(buf, cap, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    else if (r > 0)
        snprintf(buf, cap, "exited with status %d", WEXITSTATUS(status));
    else
        snprintf(buf, cap, "ended");
    pthread_mutex_lock(&p->mu);
    p->crashed++;
    if (e->fd >= 0) close(e->fd);
    e->fd = -1;
    e->pid = 0;
    pthread_mutex_unlock(&p->mu);
    return buf;
}

void rl_exec_pool_stats(rl_exec_pool *p, rl_exec_stats *out)
{
    pthread_mutex_lock(&p->mu);
    memset(out, 0, sizeof *out);
    out->size = p->n;
    for (unsigned i = 0; i < p->n; i++) {
        if (p->e[i].fd >= 0) out->up++;
        if (p->e[i].busy) out->busy++;
    }
    out->started = p->started;
    out->crashed = p->crashed;
    out->killed = p->killed;
    pthread_mutex_unlock(&p->mu);
}
