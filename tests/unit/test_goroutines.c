/* test_goroutines.c: the Go dump parser and the leak analysis on fixtures
 * written from the runtime's traceback grammar, one feature each. */
#include "gr_analyze.h"
#include "gr_growth.h"
#include "gr_links.h"
#include "testutil.h"

static rl_gr_dump *parse(const char *text)
{
    char err[256];
    rl_gr_dump *d = NULL;
    rl_status s = rl_gr_dump_parse(text, strlen(text), NULL, &d, err, sizeof err);
    if (s != RL_OK) fprintf(stderr, "parse: %s\n", err);
    CU_ASSERT_EQUAL(s, RL_OK);
    return d;
}

static const rl_gr_frame *fr(const rl_gr_dump *d, size_t g, size_t k)
{
    return &d->frames[d->g[g].first_frame + k];
}

static void test_header_forms(void)
{
    rl_gr_dump *d = parse(
        "goroutine 1 [running]:\nmain.main()\n\t/src/main.go:10 +0x1d\n\n"
        "goroutine 7 [chan receive, 12 minutes, locked to thread]:\nmain.wait(0xc000012345)\n\t/src/w.go:3 +0x25\n\n"
        "goroutine 9 gp=0xc000007a40 m=nil [select (no cases), 3 minutes]:\nmain.forever()\n\t/src/f.go:8 +0x18 fp=0xc000 sp=0xc000 pc=0x4a\n\n"
        "goroutine 11 [sync.WaitGroup.Wait, 1 minutes]:\nsync.(*WaitGroup).Wait(0x0?)\n\t/go/src/sync/waitgroup.go:118 +0x60\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_EQUAL_FATAL(d->n, 4);
    CU_ASSERT_EQUAL(d->g[0].id, 1);
    CU_ASSERT_STRING_EQUAL(d->g[0].state, "running");
    CU_ASSERT_EQUAL(d->g[0].wait_minutes, -1);
    CU_ASSERT_STRING_EQUAL(d->g[1].state, "chan receive");
    CU_ASSERT_EQUAL(d->g[1].wait_minutes, 12);
    CU_ASSERT_EQUAL(d->g[1].locked, 1);
    CU_ASSERT_STRING_EQUAL(fr(d, 1, 0)->args, "(0xc000012345)");
    CU_ASSERT_EQUAL(d->g[2].id, 9);
    CU_ASSERT_STRING_EQUAL(d->g[2].state, "select (no cases)");
    CU_ASSERT_STRING_EQUAL(d->g[2].header, "goroutine 9 gp=0xc000007a40 m=nil [select (no cases), 3 minutes]:");
    CU_ASSERT_STRING_EQUAL(fr(d, 2, 0)->file, "/src/f.go");
    CU_ASSERT_EQUAL(fr(d, 2, 0)->line, 8);
    CU_ASSERT_STRING_EQUAL(fr(d, 3, 0)->func, "sync.(*WaitGroup).Wait");
    CU_ASSERT_EQUAL(d->nunknown, 0);
    rl_gr_dump_free(d);
}

static void test_creators_elision_ancestors(void)
{
    rl_gr_dump *d = parse(
        "goroutine 20 [chan send]:\n"
        "main.produce[...](0xc0000a0000, {0x4b, 0x2})\n\t/src/p.go:5 +0x3a\n"
        "...additional frames elided...\n"
        "created by main.start in goroutine 1\n\t/src/p.go:20 +0x99\n"
        "[originating from goroutine 1]:\nmain.start(...)\n\t/src/p.go:19 +0x1\n"
        "created by main.init\n\t/src/p.go:2 +0x2\n\n"
        "goroutine 21 [IO wait]:\n"
        "internal/poll.runtime_pollWait(0x7f, 0x72)\n\t/go/src/runtime/netpoll.go:343 +0x85\n"
        "...3 frames elided...\n"
        "created by net/http.(*Server).Serve\n\t/go/src/net/http/server.go:3086 +0x5cb\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_EQUAL_FATAL(d->n, 2);
    const rl_gr_goroutine *g = &d->g[0];
    CU_ASSERT_EQUAL(g->nframes, 1); /* the ancestor's frames are not ours */
    CU_ASSERT_STRING_EQUAL(fr(d, 0, 0)->func, "main.produce[...]");
    CU_ASSERT_STRING_EQUAL(fr(d, 0, 0)->args, "(0xc0000a0000, {0x4b, 0x2})");
    CU_ASSERT(g->elided);
    CU_ASSERT(g->has_creator);
    CU_ASSERT_STRING_EQUAL(g->created_by.func, "main.start");
    CU_ASSERT_EQUAL(g->creator_id, 1);
    CU_ASSERT_EQUAL(g->created_by.line, 20);
    CU_ASSERT_EQUAL(g->nancestors, 1);
    CU_ASSERT_EQUAL(d->ancestors[g->first_ancestor], 1);
    CU_ASSERT(d->g[1].elided);
    CU_ASSERT_STRING_EQUAL(d->g[1].created_by.func, "net/http.(*Server).Serve");
    CU_ASSERT_EQUAL(d->g[1].creator_id, 0);
    rl_gr_dump_free(d);
}

static void test_prefix_spaces_panic_unknown(void)
{
    /* a logger's prefix on every line, spaces instead of tabs, a panic
     * preamble, CRLF, and one line that fits nothing */
    rl_gr_dump *d = parse(
        "2026-03-02 app[42]: panic: boom\r\n"
        "2026-03-02 app[42]: \r\n"
        "2026-03-02 app[42]: goroutine 1 [running]:\r\n"
        "2026-03-02 app[42]: main.main()\r\n"
        "2026-03-02 app[42]:         /src/main.go:7 +0x2f\r\n"
        "2026-03-02 app[42]: this line is nothing we know\r\n"
        "2026-03-02 app[42]: exit status 2\r\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_STRING_EQUAL(d->prefix, "2026-03-02 app[42]: ");
    CU_ASSERT_EQUAL_FATAL(d->n, 1);
    CU_ASSERT_STRING_EQUAL(fr(d, 0, 0)->file, "/src/main.go");
    CU_ASSERT_EQUAL(fr(d, 0, 0)->line, 7);
    CU_ASSERT_EQUAL(d->preamble_lines, 2); /* "panic: boom", "exit status 2" */
    CU_ASSERT_EQUAL(d->g[0].nframes, 1);
    CU_ASSERT_EQUAL(d->nunknown, 1);
    CU_ASSERT_EQUAL(d->unknown[0].line, 6);
    CU_ASSERT_STRING_EQUAL(d->unknown[0].text, "this line is nothing we know");
    rl_gr_dump_free(d);
    d = parse("goroutine 1 [running]:\nmain.main()\n\t/m.go:1 +0x1\n\n@@ garbage @@\n");
    CU_ASSERT_EQUAL(d->nunknown, 1);
    CU_ASSERT_EQUAL(d->unknown[0].line, 5);
    CU_ASSERT_STRING_EQUAL(d->unknown[0].text, "@@ garbage @@");
    rl_gr_dump_free(d);
}

static void test_debug1(void)
{
    rl_gr_dump *d = parse(
        "goroutine profile: total 7\n"
        "5 @ 0x43a 0x44b 0x45c\n"
        "# labels: {\"job\":\"sync\"}\n"
        "#\t0x44b\truntime.chanrecv1+0x12\t/go/src/runtime/chan.go:442\n"
        "#\t0x45c\tmain.worker+0x2c\t/src/w.go:30\n\n"
        "2 @ 0x43a 0x46d\n"
        "#\t0x46d\tnet.(*TCPListener).accept+0x3\t/go/src/net/tcpsock_posix.go:139\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_EQUAL(d->format, RL_GR_DEBUG1);
    CU_ASSERT_EQUAL(d->declared_total, 7);
    CU_ASSERT_EQUAL_FATAL(d->n, 2);
    CU_ASSERT_EQUAL(rl_gr_dump_total(d), 7);
    CU_ASSERT_EQUAL(d->g[0].count, 5);
    CU_ASSERT_STRING_EQUAL(d->g[0].labels, "{\"job\":\"sync\"}");
    CU_ASSERT_STRING_EQUAL(fr(d, 0, 1)->func, "main.worker");
    CU_ASSERT_EQUAL(fr(d, 0, 1)->line, 30);
    CU_ASSERT_STRING_EQUAL(rl_gr_wait_reason(d, 0), "chan receive");
    rl_gr_analysis *a = NULL;
    CU_ASSERT_EQUAL_FATAL(rl_gr_analyze(d, NULL, &a), RL_OK);
    CU_ASSERT_EQUAL(a->total, 7);
    CU_ASSERT_EQUAL(a->suspects, 5); /* no minutes in debug=1: suspects, not leaked */
    CU_ASSERT_EQUAL(a->leaked, 0);
    rl_gr_analysis_free(a);
    rl_gr_dump_free(d);
}

static void test_verdicts(void)
{
    rl_gr_dump *d = parse(
        "goroutine 1 [chan receive, 30 minutes]:\nmain.main()\n\t/m.go:1 +0x1\n\n"
        "goroutine 2 [force gc (idle), 30 minutes]:\nruntime.gopark(0x0?, 0x0?, 0x0?, 0x0?, 0x0?)\n\t/go/src/runtime/proc.go:398 +0xce\nruntime.forcegchelper()\n\t/go/src/runtime/proc.go:322 +0xb3\ncreated by runtime.init.6 in goroutine 1\n\t/go/src/runtime/proc.go:310 +0x1a\n\n"
        "goroutine 30 [chan send, 5 minutes]:\nmain.leak(0xc0001)\n\t/l.go:4 +0x2\ncreated by main.main in goroutine 1\n\t/l.go:9 +0x3\n\n"
        "goroutine 31 [chan send]:\nmain.leak(0xc0002)\n\t/l.go:4 +0x2\ncreated by main.main in goroutine 1\n\t/l.go:9 +0x3\n\n"
        "goroutine 32 [semacquire, 2 minutes]:\nsync.runtime_Semacquire(0x0?)\n\t/go/src/runtime/sema.go:62 +0x25\nsync.(*WaitGroup).Wait(0x0?)\n\t/go/src/sync/waitgroup.go:116 +0x48\nmain.waiter()\n\t/w.go:5 +0x1\ncreated by main.main\n\t/w.go:1 +0x1\n\n"
        "goroutine 33 [IO wait, 40 minutes]:\ninternal/poll.runtime_pollWait(0x1, 0x72)\n\t/go/src/runtime/netpoll.go:343 +0x85\nnet.(*TCPListener).accept(0xc0)\n\t/go/src/net/tcpsock_posix.go:152 +0x1e\nnet/http.(*Server).Serve(0xc0, {0x1, 0xc0})\n\t/go/src/net/http/server.go:3056 +0x364\ncreated by main.main\n\t/s.go:1 +0x1\n\n"
        "goroutine 34 [sleep, 90 minutes]:\ntime.Sleep(0x1)\n\t/go/src/runtime/time.go:195 +0x125\nmain.poll()\n\t/p.go:3 +0x1\ncreated by main.main\n\t/p.go:1 +0x1\n\n"
        "goroutine 35 [select]:\nmain.loop()\n\t/q.go:3 +0x1\ncreated by main.main\n\t/q.go:1 +0x1\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    rl_gr_analysis *a = NULL;
    rl_gr_options o = RL_GR_OPTIONS_DEFAULT;
    CU_ASSERT_EQUAL_FATAL(rl_gr_analyze(d, &o, &a), RL_OK);
    CU_ASSERT_EQUAL(a->cls[0], RL_GR_MAIN);       /* goid 1: never a leak */
    CU_ASSERT_EQUAL(a->verdict[0], RL_GR_FINE);
    CU_ASSERT_EQUAL(a->cls[1], RL_GR_RUNTIME);    /* forcegchelper */
    CU_ASSERT_EQUAL(a->verdict[2], RL_GR_LEAKED); /* chan send, 5 min */
    CU_ASSERT_EQUAL(a->verdict[3], RL_GR_SUSPECT); /* same wait, no minutes yet */
    CU_ASSERT_STRING_EQUAL(a->leak_class[4], "sync.WaitGroup.Wait"); /* semacquire before 1.21 */
    CU_ASSERT_EQUAL(a->verdict[4], RL_GR_LEAKED);
    CU_ASSERT_EQUAL(a->verdict[5], RL_GR_FINE);   /* accept loop */
    CU_ASSERT_EQUAL(a->verdict[6], RL_GR_SUSPECT); /* long sleep: suspect only */
    CU_ASSERT_EQUAL(a->verdict[7], RL_GR_SUSPECT); /* select, no minutes */
    CU_ASSERT_EQUAL(a->leaked, 2);
    CU_ASSERT_EQUAL(a->suspects, 3);
    CU_ASSERT_EQUAL(a->runtime_owned, 1);
    /* 30 and 31 differ only in arguments and minutes-in-state? no: in state
     * text they are equal ("chan send"), so they form one group of 2 */
    CU_ASSERT_EQUAL(a->ngroups, 7);
    CU_ASSERT_EQUAL(a->groups[0].count, 2);
    CU_ASSERT_EQUAL(a->groups[0].verdict, RL_GR_LEAKED);
    CU_ASSERT_EQUAL(a->groups[0].max_wait, 5);
    rl_gr_analysis_free(a);
    /* --min-wait 10: the 5-minute sender is only a suspect now */
    o.min_wait = 10;
    CU_ASSERT_EQUAL_FATAL(rl_gr_analyze(d, &o, &a), RL_OK);
    CU_ASSERT_EQUAL(a->verdict[2], RL_GR_SUSPECT);
    rl_gr_analysis_free(a);
    /* exact grouping separates the two senders (different arguments) */
    o.grouping = RL_GR_EXACT;
    CU_ASSERT_EQUAL_FATAL(rl_gr_analyze(d, &o, &a), RL_OK);
    CU_ASSERT_EQUAL(a->ngroups, 8);
    rl_gr_analysis_free(a);
    rl_gr_dump_free(d);
}

static void test_grouping_lines(void)
{
    rl_gr_dump *d = parse("goroutine 5 [select]:\nmain.a()\n\t/a.go:10 +0x1\n\n"
                          "goroutine 6 [select]:\nmain.a()\n\t/a.go:11 +0x1\n");
    rl_gr_analysis *a = NULL;
    rl_gr_options o = RL_GR_OPTIONS_DEFAULT;
    CU_ASSERT_EQUAL_FATAL(rl_gr_analyze(d, &o, &a), RL_OK);
    CU_ASSERT_EQUAL(a->ngroups, 2);
    CU_ASSERT_EQUAL(strlen(a->groups[0].key), 32);
    rl_gr_analysis_free(a);
    o.grouping = RL_GR_NO_LINES;
    CU_ASSERT_EQUAL_FATAL(rl_gr_analyze(d, &o, &a), RL_OK);
    CU_ASSERT_EQUAL(a->ngroups, 1);
    rl_gr_analysis_free(a);
    rl_gr_dump_free(d);
}

static void test_channel_links(void)
{
    /* 10 and 11 send on one trustworthy channel pointer; 12 receives on
     * another; 13 and 14 print untrustworthy pointers ('?') and share creator
     * and location; 15 waits on a nil channel (no peer possible: no link) */
    rl_gr_dump *d = parse(
        "goroutine 10 [chan send]:\nmain.produce(0xc000100000, 0x1)\n\t/p.go:5 +0x1\ncreated by main.main\n\t/m.go:3 +0x1\n\n"
        "goroutine 11 [chan send]:\nmain.produce2(0xc000100000)\n\t/p.go:9 +0x1\ncreated by main.main\n\t/m.go:4 +0x1\n\n"
        "goroutine 12 [chan receive]:\nruntime.chanrecv1(0xc000200000, 0x0)\n\t/go/src/runtime/chan.go:442 +0x1\nmain.consume(0xc000100000)\n\t/c.go:2 +0x1\ncreated by main.main\n\t/m.go:5 +0x1\n\n"
        "goroutine 13 [chan send]:\nmain.fanout(0x0?)\n\t/f.go:7 +0x1\ncreated by main.start\n\t/m.go:9 +0x1\n\n"
        "goroutine 14 [chan send]:\nmain.fanout(0x0?)\n\t/f.go:7 +0x1\ncreated by main.start\n\t/m.go:9 +0x1\n\n"
        "goroutine 15 [chan send (nil chan)]:\nmain.nilSend()\n\t/n.go:1 +0x1\ncreated by main.main\n\t/m.go:6 +0x1\n");
    rl_gr_analysis *a = NULL;
    CU_ASSERT_EQUAL_FATAL(rl_gr_analyze(d, NULL, &a), RL_OK);
    rl_gr_link *l = NULL;
    size_t n = 0;
    CU_ASSERT_EQUAL_FATAL(rl_gr_channel_links(a, &l, &n), RL_OK);
    CU_ASSERT_EQUAL_FATAL(n, 3);
    CU_ASSERT_STRING_EQUAL(l[0].channel, "0xc000100000");
    CU_ASSERT_STRING_EQUAL(l[0].basis, "pointer");
    CU_ASSERT_EQUAL(l[0].nmembers, 2);
    CU_ASSERT_EQUAL(l[0].senders, 2);
    /* the runtime's channel frame decides, not the caller's argument */
    CU_ASSERT_STRING_EQUAL(l[1].channel, "0xc000200000");
    CU_ASSERT_EQUAL(l[1].receivers, 1);
    CU_ASSERT_STRING_EQUAL(l[2].basis, "creator+location");
    CU_ASSERT_EQUAL(l[2].nmembers, 2);
    CU_ASSERT(!strncmp(l[2].channel, "loc:", 4));
    rl_gr_links_free(l, n);
    rl_gr_analysis_free(a);
    rl_gr_dump_free(d);
}

static void test_errors_and_limits(void)
{
    char err[256];
    rl_gr_dump *d = NULL;
    const char *text = "hello\nworld\n";
    CU_ASSERT_EQUAL(rl_gr_dump_parse(text, strlen(text), NULL, &d, err, sizeof err), RL_ERR_INPUT);
    CU_ASSERT_PTR_NULL(d);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "goroutine N [state]"));
    CU_ASSERT_FALSE(rl_gr_dump_sniff(text, strlen(text)));
    const char *two = "goroutine 1 [running]:\nmain.main()\n\ngoroutine 2 [select]:\nmain.x()\n";
    CU_ASSERT(rl_gr_dump_sniff(two, strlen(two)));
    rl_gr_parse_options lim = {0, 1};
    CU_ASSERT_EQUAL(rl_gr_dump_parse(two, strlen(two), &lim, &d, err, sizeof err), RL_ERR_LIMIT);
    rl_gr_parse_options small = {10, 0};
    CU_ASSERT_EQUAL(rl_gr_dump_parse(two, strlen(two), &small, &d, err, sizeof err), RL_ERR_LIMIT);
    rl_gr_dump_free(NULL);
    rl_gr_analysis_free(NULL);
}

/* The online detector against the SPEC's rules on hand-made totals. */
static void test_growth_detector(void)
{
    rl_gr_growth_free(NULL);
    rl_gr_growth *g = rl_gr_growth_new(0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    rl_gr_growth_step st;
    /* flat at 100 for 12 samples: one window, k = 0, no baseline, no alert */
    for (int i = 0; i < 12; i++) CU_ASSERT_EQUAL(rl_gr_growth_push(g, 100, &st), RL_OK);
    CU_ASSERT(st.window);
    CU_ASSERT_DOUBLE_EQUAL(st.k, 0, 1e-9);
    CU_ASSERT_FALSE(st.has_baseline);
    CU_ASSERT_PTR_NULL(st.rule);
    CU_ASSERT_FALSE(st.delta_checked); /* 11 increments so far: not judged yet */
    rl_gr_growth_push(g, 100, &st);
    CU_ASSERT_FALSE(st.delta_checked);
    /* the 14th sample judges its increment against 12 previous ones (all 0) */
    CU_ASSERT_EQUAL(rl_gr_growth_push(g, 101, &st), RL_OK);
    CU_ASSERT(st.delta_checked);
    CU_ASSERT_DOUBLE_EQUAL(st.threshold, 0, 1e-9);
    CU_ASSERT(st.delta_finding);
    rl_gr_growth_free(g);
    /* +6 per sample from the start: the first window has k = 6 > 5.0 */
    g = rl_gr_growth_new(0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    for (int i = 0; i < 12; i++) rl_gr_growth_push(g, 6.0 * i, &st);
    CU_ASSERT_DOUBLE_EQUAL(st.k, 6, 1e-9);
    CU_ASSERT(st.rule && !strcmp(st.rule, "k > 5.0"));
    CU_ASSERT_EQUAL(rl_gr_growth_alerts(g), 1);
    rl_gr_growth_free(g);

    /* relative rule: baseline slopes ~1, then 3 windows at k = 2.5 (> 1.8 x) */
    g = rl_gr_growth_new(0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    double v = 0;
    for (int i = 0; i < 40; i++) rl_gr_growth_push(g, v += 1, &st);
    CU_ASSERT_PTR_NULL(st.rule);
    int first = -1;
    for (int i = 0; i < 12; i++) {
        rl_gr_growth_push(g, v += 2.5, &st);
        if (st.rule && first < 0) first = i;
    }
    /* windows containing the new rate are over 1.8 x 1 from the 5th step
     * (k of a mixed window rises gradually); the alert needs 3 in a row */
    CU_ASSERT(first >= 2);
    CU_ASSERT(st.rule && !strcmp(st.rule, "3 windows over 1.8 x baseline"));
    rl_gr_growth_free(g);
}

int main(void)
{
    static const rl_test_case cases[] = {{"header forms", test_header_forms},
                                         {"creators, elision, ancestors", test_creators_elision_ancestors},
                                         {"prefix, spaces, panic, unknown lines", test_prefix_spaces_panic_unknown},
                                         {"debug=1", test_debug1},
                                         {"verdicts", test_verdicts},
                                         {"grouping without lines", test_grouping_lines},
                                         {"channel links", test_channel_links},
                                         {"errors and limits", test_errors_and_limits},
                                         {"growth detector", test_growth_detector},
                                         {NULL, NULL}};
    return rl_test_main("goroutines", cases);
}
