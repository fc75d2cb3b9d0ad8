/* test_resident.c: the resident child protocol (engine/resident.c): the
 * worker loop answers framed requests; the client keeps a slow child
 * through a deadline, drops its late answer, replaces a killed child. */
#include "resident.h"
#include "testutil.h"
#include "timefmt.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

static int echo_fn(void *ctx, int argc, char **argv, FILE *out, FILE *err)
{
    (void)ctx;
    for (int i = 1; i < argc; i++) fprintf(out, "%s%s", i > 1 ? "|" : "", argv[i]);
    fprintf(err, "%s", argv[0]);
    return argc - 1;
}

static void test_worker(void)
{
    int in[2], out[2];
    CU_ASSERT_FATAL(!pipe(in) && !pipe(out));
    pid_t pid = fork();
    if (pid == 0) {
        close(in[1]), close(out[0]);
        _exit(rl_resident_serve(in[0], out[1], "echo", 0, 0, echo_fn, NULL) == 0 ? 0 : 3);
    }
    close(in[0]), close(out[1]);
    const char req[] = "2\n3\nabc0\n" "1\n5\na\nb c"; /* two requests: ("abc", ""), ("a\nb c") */
    CU_ASSERT_EQUAL(write(in[1], req, sizeof req - 1), (ssize_t)(sizeof req - 1));
    close(in[1]); /* end of input: the worker answers both, then exits 0 */
    char buf[256] = {0};
    size_t n = 0;
    ssize_t k;
    while ((k = read(out[0], buf + n, sizeof buf - 1 - n)) > 0) n += (size_t)k;
    close(out[0]);
    CU_ASSERT_STRING_EQUAL(buf, "2 4 4\nabc|echo" "1 5 4\na\nb cecho");
    if (strcmp(buf, "2 4 4\nabc|echo" "1 5 4\na\nb cecho")) printf("[%s]\n", buf);
    int st = 0;
    waitpid(pid, &st, 0);
    CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);

    /* a malformed request ends the worker with -1 (the client then restarts it) */
    CU_ASSERT_FATAL(!pipe(in) && !pipe(out));
    pid = fork();
    if (pid == 0) {
        close(in[1]), close(out[0]);
        _exit(rl_resident_serve(in[0], out[1], "echo", 0, 0, echo_fn, NULL) == -1 ? 0 : 3);
    }
    close(in[0]), close(out[1]);
    CU_ASSERT_EQUAL(write(in[1], "1\n\nx", 4), 4); /* an argument without its length */
    close(in[1]);
    waitpid(pid, &st, 0);
    close(out[0]);
    CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* A worker in sh: answers each request with its number; the first answer
 * comes after 1.5 s. */
static const char *const SLOW =
    "#!/bin/sh\n"
    "n=0\n"
    "while read count; do\n"
    "  i=0; while [ $i -lt $count ]; do read len; dd bs=1 count=$len of=/dev/null 2>/dev/null; i=$((i+1)); done\n"
    "  n=$((n+1)); [ $n = 1 ] && sleep 1.5\n"
    "  printf '0 %d 0\\n%s' ${#n} $n\n"
    "done\n";

static void test_client(void)
{
    char *dir = rl_test_tmpdir("resident"), path[512];
    snprintf(path, sizeof path, "%s/slow.sh", dir);
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(SLOW, f);
    fclose(f);
    chmod(path, 0755);
    const char *argv[] = {path, NULL}, *args[] = {"--x", "1", NULL};
    rl_resident *r = rl_resident_new(argv);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(rl_resident_pid(r), 0); /* nothing started yet */
    rl_buf out, err;
    rl_buf_init(&out, 1 << 20);
    rl_buf_init(&err, 1 << 20);
    int ec;
    /* the first answer is late: a deadline, the child kept */
    CU_ASSERT_EQUAL(rl_resident_call(r, args, 0.3, &out, &err, &ec), RL_SPAWN_DEADLINE);
    long pid = rl_resident_pid(r);
    CU_ASSERT(pid > 0);
    /* still busy with it: a deadline again, nothing sent */
    CU_ASSERT_EQUAL(rl_resident_call(r, args, 0.3, &out, &err, &ec), RL_SPAWN_DEADLINE);
    CU_ASSERT_EQUAL(rl_resident_pid(r), pid);
    /* once it is done, its late answer ("1") is dropped and this request gets "2" */
    CU_ASSERT_EQUAL(rl_resident_call(r, args, 5, &out, &err, &ec), RL_SPAWN_EXITED);
    CU_ASSERT_EQUAL(ec, 0);
    CU_ASSERT_STRING_EQUAL((const char *)out.data, "2");
    CU_ASSERT_EQUAL(rl_resident_pid(r), pid);
    CU_ASSERT_EQUAL(rl_resident_call(r, args, 5, &out, &err, &ec), RL_SPAWN_EXITED);
    CU_ASSERT_STRING_EQUAL((const char *)out.data, "3");
    /* killed between requests: the next call starts another, which counts from 1 */
    kill((pid_t)pid, SIGKILL);
    usleep(100000);
    CU_ASSERT_EQUAL(rl_resident_call(r, args, 5, &out, &err, &ec), RL_SPAWN_EXITED);
    CU_ASSERT_STRING_EQUAL((const char *)out.data, "1");
    CU_ASSERT(rl_resident_pid(r) != pid && rl_resident_pid(r) > 0);
    long last = rl_resident_pid(r);
    rl_resident_free(r);
    CU_ASSERT_EQUAL(kill((pid_t)last, 0), -1); /* free killed and reaped it */
    rl_resident_free(NULL);                    /* a no-op */
    /* a program that cannot start */
    const char *bad[] = {"/nonexistent/worker", NULL};
    r = rl_resident_new(bad);
    CU_ASSERT_NOT_EQUAL(rl_resident_call(r, args, 2, &out, &err, &ec), RL_SPAWN_EXITED);
    rl_resident_free(r);
    rl_buf_free(&out);
    rl_buf_free(&err);
    rl_test_rmtree(dir);
    free(dir);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* as serve does: a dead child's pipe is an error, not a signal */
    static const rl_test_case cases[] = {{"worker loop", test_worker}, {"client", test_client}, {NULL, NULL}};
    return rl_test_main("resident", cases);
}
