/* spawn.c: fork + exec, both pipes read with poll until the deadline. */
#include "spawn.h"

#include "timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/* 0 done, 1 deadline, 2 ceiling or read error */
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

rl_spawn_end rl_spawn_run(const char *const *argv, double timeout_s, rl_buf *out, rl_buf *err, int *exit_code)
{
    int po[2] = {-1, -1}, pe[2] = {-1, -1};
    *exit_code = -1;
    if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC)) {
        if (po[0] >= 0) close(po[0]), close(po[1]);
        return RL_SPAWN_FAILED;
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(po[1], 1);
        dup2(pe[1], 2);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    int why = pid > 0 ? collect(po[0], pe[0], out, err, rl_time_now() + timeout_s) : 3;
    close(po[0]);
    close(pe[0]);
    if (pid < 0) return RL_SPAWN_FAILED;
    if (why) kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (why == 1) return RL_SPAWN_DEADLINE;
    if (why) return RL_SPAWN_LIMIT;
    if (WIFSIGNALED(status)) return RL_SPAWN_SIGNALED;
    *exit_code = WEXITSTATUS(status);
    return *exit_code == 127 ? RL_SPAWN_FAILED : RL_SPAWN_EXITED;
}
