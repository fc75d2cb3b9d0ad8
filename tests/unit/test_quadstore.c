/* test_quadstore.c: the LMDB quad store against a brute-force model. */
#include "quadstore.h"
#include "testutil.h"

#include <pthread.h>

#define NQ 3000
static int test_format = 2; /* key format of the stores made; the suite runs for 2 and 1 */
static rl_quad model[12 * 6 * 12 * 4]; /* every distinct quad add_random can make */
static size_t nmodel;

static unsigned long long rng = 88172645463325252ull;
static rl_id rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (rl_id)(rng % n) + 1;
}

static int in_model(const rl_quad *q)
{
    for (size_t i = 0; i < nmodel; i++)
        if (!memcmp(&model[i], q, sizeof *q)) return 1;
    return 0;
}

/* Opens (or creates) a store; pending 0 is the default buffer, format 0 the
 * newest. */
static rl_qs *open_store_with(const char *dir, size_t pending, int format)
{
    char err[256];
    rl_qs *qs = NULL;
    rl_qs_options o = {1ull << 30, pending, 0, 1, format};
    CU_ASSERT_EQUAL(rl_qs_new(dir, &o, &qs, err, sizeof err), RL_OK);
    return qs;
}

static rl_qs *open_store(const char *dir)
{
    return open_store_with(dir, 500, test_format); /* small pending buffer: many flushes */
}

/* Ids 1..12 (0 stays 0, "no graph"), spread over several bytes when
 * `wide` so that each of bytes 5, 3 and 0 decides some comparisons (ties
 * in the higher ones): the radix passes of a large flush skip bytes every id
 * shares, and must not skip one of these. */
static int wide;
static int two_graphs; /* graphs 1 and 3 only: the sort's two-value partition */
static rl_id idv(rl_id v)
{
    return wide && v ? (v / 6 + 1) << 40 | (v / 2 % 3 + 1) << 24 | (v % 2 + 1) : v;
}

/* Adds n random quads (s, o from 12 ids, p from 6, graphs 0..3, duplicates
 * included) in one transaction and keeps the model. */
static void add_random(rl_qs *qs, int n)
{
    CU_ASSERT_EQUAL_FATAL(rl_qs_write_begin(qs), RL_OK);
    for (int i = 0; i < n; i++) {
        rl_id g = two_graphs ? (rnd(2) == 1 ? 1 : 3) : rnd(4) - 1;
        rl_quad q = {idv(rnd(12)), idv(rnd(6)), idv(rnd(12)), idv(g)};
        CU_ASSERT_EQUAL_FATAL(rl_qs_add(qs, &q), RL_OK);
        if (!in_model(&q)) model[nmodel++] = q;
    }
    CU_ASSERT_EQUAL_FATAL(rl_qs_write_commit(qs), RL_OK);
}

static void fill(rl_qs *qs)
{
    nmodel = 0;
    add_random(qs, NQ);
}

/* Compares one pattern scan with the brute-force answer. */
static void check_pattern(rl_qs *qs, rl_quad pat, rl_qs_graph_mode mode)
{
    rl_qs_iter *it = NULL;
    rl_quad q;
    size_t got = 0, want = 0;
    CU_ASSERT_EQUAL_FATAL(rl_qs_find(qs, &pat, mode, &it), RL_OK);
    int r;
    while ((r = rl_qs_iter_next(it, &q)) == 1) {
        got++;
        CU_ASSERT(!pat.s || q.s == pat.s);
        CU_ASSERT(!pat.p || q.p == pat.p);
        CU_ASSERT(!pat.o || q.o == pat.o);
        if (mode == RL_QS_IN_GRAPH) CU_ASSERT(q.c == pat.c);
        CU_ASSERT(in_model(&q));
    }
    CU_ASSERT_EQUAL(r, 0);
    rl_qs_iter_free(it);
    /* expected count: quads (or distinct triples for UNION) matching */
    for (size_t i = 0; i < nmodel; i++) {
        const rl_quad *m = &model[i];
        if ((pat.s && m->s != pat.s) || (pat.p && m->p != pat.p) || (pat.o && m->o != pat.o))
            continue;
        if (mode == RL_QS_IN_GRAPH && m->c != pat.c) continue;
        if (mode == RL_QS_UNION) {
            int dup = 0;
            for (size_t j = 0; j < i && !dup; j++)
                dup = model[j].s == m->s && model[j].p == m->p && model[j].o == m->o &&
                      (!pat.s || model[j].s == pat.s);
            if (dup) continue;
        }
        want++;
    }
    CU_ASSERT_EQUAL(got, want);
}

/* Every pattern shape in every graph mode, the total and per-graph counts. */
static void check_all(rl_qs *qs)
{
    uint64_t n = 0;
    CU_ASSERT_EQUAL(rl_qs_count(qs, &n), RL_OK);
    CU_ASSERT_EQUAL(n, nmodel);
    for (int shape = 0; shape < 8; shape++) {
        for (int trial = 0; trial < 6; trial++) {
            rl_quad pat = {shape & 1 ? idv(rnd(12)) : 0, shape & 2 ? idv(rnd(6)) : 0,
                           shape & 4 ? idv(rnd(12)) : 0, idv(rnd(4) - 1)};
            check_pattern(qs, pat, RL_QS_UNION);
            check_pattern(qs, pat, RL_QS_IN_GRAPH);
            check_pattern(qs, pat, RL_QS_ALL_QUADS);
        }
    }
    /* per-graph counts agree with the model, graph list excludes graph 0 */
    rl_id *ids = NULL;
    size_t ng = 0;
    CU_ASSERT_EQUAL(rl_qs_graphs(qs, &ids, &ng), RL_OK);
    CU_ASSERT_EQUAL(ng, two_graphs ? 2 : 3);
    for (rl_id v = 0; v < 4; v++) {
        uint64_t gc = 0, want = 0;
        for (size_t i = 0; i < nmodel; i++) want += model[i].c == idv(v);
        CU_ASSERT_EQUAL(rl_qs_graph_count(qs, idv(v), &gc), RL_OK);
        CU_ASSERT_EQUAL(gc, want);
    }
    free(ids);
}

static void test_all_pattern_shapes(void)
{
    char *dir = rl_test_tmpdir("qs");
    rl_qs *qs = open_store(dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL(qs);
    fill(qs);
    check_all(qs);
    rl_qs_free(qs);
    rl_test_rmtree(dir);
    free(dir);
}

/* Large flushes take the radix path (one sort, the other orders derived by
 * stable passes, appends past each index's end): the same answers, for a
 * first batch into an empty store and for a second one whose keys interleave
 * with stored ones and repeat some of them. */
static void test_large_flushes(void)
{
    char *dir = rl_test_tmpdir("qs");
    rl_qs *qs = open_store_with(dir, 0, test_format); /* default buffer: one flush per commit */
    CU_ASSERT_PTR_NOT_NULL_FATAL(qs);
    wide = 1;
    nmodel = 0;
    add_random(qs, 5000); /* about 75 % of the possible quads */
    check_all(qs);
    size_t first = nmodel;
    add_random(qs, 6000); /* repeats many stored quads, adds ones between them */
    CU_ASSERT(nmodel > first);
    check_all(qs);
    rl_qs_free(qs);
    rl_test_rmtree(dir);
    /* a batch in two graphs only (one's own and, say, provenance) */
    qs = open_store_with(dir, 0, test_format);
    CU_ASSERT_PTR_NOT_NULL_FATAL(qs);
    two_graphs = 1;
    nmodel = 0;
    add_random(qs, 5000);
    check_all(qs);
    add_random(qs, 6000);
    check_all(qs);
    two_graphs = 0;
    wide = 0;
    rl_qs_free(qs);
    rl_test_rmtree(dir);
    free(dir);
}

static void test_abort_changes_nothing(void)
{
    char *dir = rl_test_tmpdir("qs");
    rl_qs *qs = open_store(dir);
    fill(qs);
    uint64_t before = 0, after = 0;
    rl_qs_count(qs, &before);
    rl_id id_before = 0;
    CU_ASSERT_EQUAL(rl_qs_write_begin(qs), RL_OK);
    CU_ASSERT_EQUAL(rl_qs_write_begin(qs), RL_ERR_USAGE); /* no nesting */
    CU_ASSERT_EQUAL(rl_qs_term_id(qs, (const unsigned char *)"Uhttp://new", 11, 1, &id_before), RL_OK);
    CU_ASSERT(id_before > 0);
    for (int i = 0; i < 2000; i++) {
        rl_quad q = {100 + (rl_id)i, 1, 1, 7};
        CU_ASSERT_EQUAL(rl_qs_add(qs, &q), RL_OK);
    }
    rl_qs_count(qs, &after); /* the open transaction sees its own writes */
    CU_ASSERT_EQUAL(after, before + 2000);
    uint64_t gen = rl_qs_generation(qs);
    rl_qs_write_abort(qs);
    CU_ASSERT_EQUAL(rl_qs_generation(qs), gen + 1);
    rl_qs_count(qs, &after);
    CU_ASSERT_EQUAL(after, before);
    rl_id id = 99;
    CU_ASSERT_EQUAL(rl_qs_term_id(qs, (const unsigned char *)"Uhttp://new", 11, 0, &id), RL_OK);
    CU_ASSERT_EQUAL(id, 0); /* the term vanished with the transaction */
    uint64_t g7 = 1;
    rl_qs_graph_count(qs, 7, &g7);
    CU_ASSERT_EQUAL(g7, 0);
    /* creating a term outside a transaction is refused */
    CU_ASSERT_EQUAL(rl_qs_term_id(qs, (const unsigned char *)"Ux", 2, 1, &id), RL_ERR_USAGE);
    rl_qs_free(qs);
    rl_test_rmtree(dir);
    free(dir);
}

static void test_remove_and_clear(void)
{
    char *dir = rl_test_tmpdir("qs");
    rl_qs *qs = open_store(dir);
    fill(qs);
    int removed = 0;
    rl_quad victim = model[0];
    CU_ASSERT_EQUAL(rl_qs_remove(qs, &victim, &removed), RL_OK);
    CU_ASSERT_EQUAL(removed, 1);
    CU_ASSERT_EQUAL(rl_qs_remove(qs, &victim, &removed), RL_OK);
    CU_ASSERT_EQUAL(removed, 0);
    model[0] = model[--nmodel];
    check_pattern(qs, (rl_quad){victim.s, 0, 0, victim.c}, RL_QS_IN_GRAPH);
    check_pattern(qs, (rl_quad){0, victim.p, victim.o, 0}, RL_QS_UNION);
    CU_ASSERT_EQUAL(rl_qs_clear_graph(qs, 2), RL_OK);
    size_t k = 0;
    for (size_t i = 0; i < nmodel; i++)
        if (model[i].c != 2) model[k++] = model[i];
    nmodel = k;
    uint64_t n = 0, g2 = 9;
    rl_qs_count(qs, &n);
    CU_ASSERT_EQUAL(n, nmodel);
    rl_qs_graph_count(qs, 2, &g2);
    CU_ASSERT_EQUAL(g2, 0);
    check_pattern(qs, (rl_quad){0, 0, 0, 2}, RL_QS_IN_GRAPH);
    rl_qs_free(qs);
    rl_test_rmtree(dir);
    free(dir);
}

static void test_persistence_and_long_terms(void)
{
    char *dir = rl_test_tmpdir("qs");
    rl_qs *qs = open_store(dir);
    unsigned char big[5000];
    memset(big, 'x', sizeof big);
    big[0] = 'L';
    rl_id a = 0, b = 0, c = 0;
    CU_ASSERT_EQUAL(rl_qs_write_begin(qs), RL_OK);
    CU_ASSERT_EQUAL(rl_qs_term_id(qs, big, sizeof big, 1, &a), RL_OK);
    big[4999] = 'y'; /* differs only at the end: must get another id */
    CU_ASSERT_EQUAL(rl_qs_term_id(qs, big, sizeof big, 1, &b), RL_OK);
    CU_ASSERT_EQUAL(rl_qs_term_id(qs, (const unsigned char *)"Uhttp://p", 9, 1, &c), RL_OK);
    CU_ASSERT(a && b && a != b);
    rl_quad q = {c, c, a, 0};
    CU_ASSERT_EQUAL(rl_qs_add(qs, &q), RL_OK);
    CU_ASSERT_EQUAL(rl_qs_write_commit(qs), RL_OK);
    rl_qs_free(qs);
    qs = open_store(dir); /* reopen: everything is still there */
    rl_id a2 = 0;
    big[4999] = 'x';
    CU_ASSERT_EQUAL(rl_qs_term_id(qs, big, sizeof big, 0, &a2), RL_OK);
    CU_ASSERT_EQUAL(a2, a);
    uint64_t n = 0;
    rl_qs_count(qs, &n);
    CU_ASSERT_EQUAL(n, 1);
    rl_qs_free(qs);
    rl_test_rmtree(dir);
    free(dir);
}

/* Fail allocation N for N = 1.. until open + a whole transaction succeeds:
 * each failure must leave the store exactly as it was. */
static void test_fault_injection(void)
{
    char *dir = rl_test_tmpdir("qs");
    rl_qs *qs = open_store(dir);
    fill(qs);
    uint64_t before = 0;
    rl_qs_count(qs, &before);
    rl_qs_free(qs);
    int failures = 0, success = 0;
    char err[256];
    rl_qs_options o = {1ull << 30, 0, 0, 1, test_format}; /* default pending buffer: it grows */
    for (unsigned n = 1; n < 200 && !success; n++) {
        rl__qs_fail_alloc_after(n);
        qs = NULL;
        rl_status s = rl_qs_new(dir, &o, &qs, err, sizeof err);
        if (s == RL_OK) s = rl_qs_write_begin(qs);
        for (int i = 0; i < 5000 && s == RL_OK; i++) {
            rl_quad q = {500 + (rl_id)i, 2, 3, 1};
            s = rl_qs_add(qs, &q);
        }
        if (s == RL_OK) s = rl_qs_write_commit(qs);
        else if (qs) rl_qs_write_abort(qs);
        rl__qs_fail_alloc_after(0);
        rl_qs_free(qs);
        qs = open_store(dir);
        uint64_t now = 0;
        CU_ASSERT_EQUAL(rl_qs_count(qs, &now), RL_OK);
        rl_qs_free(qs);
        if (s == RL_OK) {
            CU_ASSERT_EQUAL(now, before + 5000);
            success = 1;
        } else {
            CU_ASSERT_EQUAL(s, RL_ERR_NOMEM);
            CU_ASSERT_EQUAL(now, before);
            failures++;
        }
    }
    CU_ASSERT(failures >= 3); /* open, cache, several buffer growths */
    CU_ASSERT(success);
    rl_test_rmtree(dir);
    free(dir);
}

typedef struct {
    int n, stop_at;
    size_t bytes;
} prefix_seen;

static rl_status on_prefixed(void *ud, rl_id id, const unsigned char *b, size_t len)
{
    prefix_seen *ps = ud;
    CU_ASSERT(id > 0);
    CU_ASSERT(len >= 12 && !memcmp(b, "Uurn:x:test:", 12));
    ps->bytes += len;
    return ++ps->n == ps->stop_at ? RL_ERR_LIMIT : RL_OK;
}

/* Terms by encoding prefix: the inline range and the digest-keyed long terms,
 * nothing else; a callback's error stops the walk and is returned. */
static void test_terms_prefixed(void)
{
    char *dir = rl_test_tmpdir("qs");
    rl_qs *qs = open_store(dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL(qs);
    static const char *terms[] = {"Uurn:x:test:a", "Uurn:x:test:b", "Uurn:x:test", "Uurn:x:tesu:a",
                                  "Lurn:x:test:c", "Uurn:x:test:", "Uurn:x:tes"};
    unsigned char big[600];
    memcpy(big, "Uurn:x:test:", 12);
    memset(big + 12, 'z', sizeof big - 12); /* longer than an inline key: keyed by digest */
    unsigned char other[600];
    memcpy(other, "Uurn:y:", 7);
    memset(other + 7, 'z', sizeof other - 7);
    rl_id id = 0;
    CU_ASSERT_EQUAL_FATAL(rl_qs_write_begin(qs), RL_OK);
    for (size_t i = 0; i < sizeof terms / sizeof *terms; i++)
        CU_ASSERT_EQUAL(rl_qs_term_id(qs, (const unsigned char *)terms[i], strlen(terms[i]), 1, &id), RL_OK);
    CU_ASSERT_EQUAL(rl_qs_term_id(qs, big, sizeof big, 1, &id), RL_OK);
    CU_ASSERT_EQUAL(rl_qs_term_id(qs, other, sizeof other, 1, &id), RL_OK);
    CU_ASSERT_EQUAL(rl_qs_write_commit(qs), RL_OK);
    prefix_seen ps = {0, 0, 0};
    CU_ASSERT_EQUAL(rl_qs_terms_prefixed(qs, (const unsigned char *)"Uurn:x:test:", 12, on_prefixed, &ps), RL_OK);
    CU_ASSERT_EQUAL(ps.n, 4); /* test:a, test:b, test: itself, the long one */
    CU_ASSERT_EQUAL(ps.bytes, 13 + 13 + 12 + sizeof big);
    prefix_seen stop = {0, 2, 0};
    CU_ASSERT_EQUAL(rl_qs_terms_prefixed(qs, (const unsigned char *)"Uurn:x:test:", 12, on_prefixed, &stop), RL_ERR_LIMIT);
    CU_ASSERT_EQUAL(stop.n, 2);
    prefix_seen none = {0, 0, 0};
    CU_ASSERT_EQUAL(rl_qs_terms_prefixed(qs, (const unsigned char *)"Uurn:q:", 7, on_prefixed, &none), RL_OK);
    CU_ASSERT_EQUAL(none.n, 0);
    rl_qs_free(qs);
    rl_test_rmtree(dir);
    free(dir);
}

/* A second thread's rl_qs_write_begin_wait. */
typedef struct {
    rl_qs *qs;
    rl_status begin, commit;
    rl_id seen;
    int began; /* under mu */
    pthread_mutex_t mu;
} gate_arg;

static void *gate_second_writer(void *ud)
{
    gate_arg *a = ud;
    a->begin = rl_qs_write_begin_wait(a->qs);
    pthread_mutex_lock(&a->mu);
    a->began = 1;
    pthread_mutex_unlock(&a->mu);
    if (a->begin != RL_OK) return NULL;
    /* the first writer's term, committed: the same id, not a new one */
    rl_qs_term_id(a->qs, (const unsigned char *)"Uurn:gate:a", 11, 1, &a->seen);
    rl_quad q = {a->seen, a->seen, a->seen, 2};
    rl_qs_add(a->qs, &q);
    a->commit = rl_qs_write_commit(a->qs);
    return NULL;
}

static size_t reader_count(rl_qs_reader *r)
{
    rl_qs_iter *it = NULL;
    rl_quad all = {0, 0, 0, 0}, q;
    size_t n = 0;
    CU_ASSERT_EQUAL_FATAL(rl_qs_reader_find(r, &all, RL_QS_ALL_QUADS, &it), RL_OK);
    while (rl_qs_iter_next(it, &q) == 1) n++;
    rl_qs_iter_free(it);
    return n;
}

static void on_term(void *ud, const unsigned char *b, size_t n)
{
    snprintf(ud, 64, "%.*s", (int)n, (const char *)b);
}

static rl_status count_prefixed(void *ud, rl_id id, const unsigned char *b, size_t len)
{
    (void)id;
    CU_ASSERT(len > 10 && !memcmp(b, "Uurn:gate:", 10));
    ++*(int *)ud;
    return RL_OK;
}

/* Readers see committed data only, whoever writes meanwhile; a second
 * thread's begin_wait waits for the open transaction to end, then sees it. */
static void test_reader_and_write_gate(void)
{
    char *dir = rl_test_tmpdir("qs");
    char err[256];
    rl_qs *qs = open_store(dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL(qs);
    rl_qs_reader_free(NULL); /* no-op */
    rl_id a = 0, id = 0;
    CU_ASSERT_EQUAL_FATAL(rl_qs_write_begin(qs), RL_OK);
    CU_ASSERT_EQUAL(rl_qs_term_id(qs, (const unsigned char *)"Uurn:gate:a", 11, 1, &a), RL_OK);
    rl_quad q = {a, a, a, 1};
    CU_ASSERT_EQUAL(rl_qs_add(qs, &q), RL_OK);
    rl_qs_reader *r = NULL;
    CU_ASSERT_EQUAL_FATAL(rl_qs_reader_new(qs, &r, err, sizeof err), RL_OK);
    CU_ASSERT_EQUAL(rl_qs_reader_term_id(r, (const unsigned char *)"Uurn:gate:a", 11, &id), RL_OK);
    CU_ASSERT_EQUAL(id, 0); /* not committed */
    CU_ASSERT_EQUAL(reader_count(r), 0);
    CU_ASSERT_EQUAL(rl_qs_write_begin(qs), RL_ERR_USAGE); /* the plain begin does not wait */
    gate_arg g = {qs, RL_ERR_INTERNAL, RL_ERR_INTERNAL, 0, 0, PTHREAD_MUTEX_INITIALIZER};
    pthread_t th;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, gate_second_writer, &g), 0);
    usleep(100 * 1000);
    pthread_mutex_lock(&g.mu);
    int early = g.began;
    pthread_mutex_unlock(&g.mu);
    CU_ASSERT_EQUAL(early, 0); /* still waiting: our transaction is open */
    CU_ASSERT_EQUAL(rl_qs_write_commit(qs), RL_OK);
    pthread_join(th, NULL);
    CU_ASSERT_EQUAL(g.begin, RL_OK);
    CU_ASSERT_EQUAL(g.commit, RL_OK);
    CU_ASSERT_EQUAL(g.seen, a);
    CU_ASSERT_EQUAL(reader_count(r), 0); /* the reader keeps its snapshot */
    rl_qs_reader_free(r);
    CU_ASSERT_EQUAL_FATAL(rl_qs_reader_new(qs, &r, err, sizeof err), RL_OK);
    CU_ASSERT_EQUAL(rl_qs_reader_term_id(r, (const unsigned char *)"Uurn:gate:a", 11, &id), RL_OK);
    CU_ASSERT_EQUAL(id, a);
    CU_ASSERT_EQUAL(reader_count(r), 2);
    char term[64] = "";
    CU_ASSERT_EQUAL(rl_qs_reader_term_bytes(r, a, on_term, term), RL_OK);
    CU_ASSERT_STRING_EQUAL(term, "Uurn:gate:a");
    CU_ASSERT_EQUAL(rl_qs_reader_term_bytes(r, a + 1000, on_term, term), RL_ERR_NOTFOUND);
    CU_ASSERT_PTR_NOT_NULL(strstr(rl_qs_reader_errmsg(r), "unknown"));
    int n = 0;
    CU_ASSERT_EQUAL(rl_qs_reader_terms_prefixed(r, (const unsigned char *)"Uurn:gate:", 10, count_prefixed, &n), RL_OK);
    CU_ASSERT_EQUAL(n, 1);
    rl_qs_reader_free(r);
    rl_qs_free(qs);
    rl_test_rmtree(dir);
    free(dir);
}

static void test_open_errors(void)
{
    char err[256];
    rl_qs *qs = NULL;
    rl_qs_options ro = {0, 0, 1, 0, 0};
    CU_ASSERT_NOT_EQUAL(rl_qs_new("/nonexistent/dir/x", &ro, &qs, err, sizeof err), RL_OK);
    CU_ASSERT_PTR_NULL(qs);
    CU_ASSERT(strlen(err) > 0);
    CU_ASSERT_EQUAL(rl_qs_new("", NULL, &qs, err, sizeof err), RL_ERR_USAGE);
    char *dir = rl_test_tmpdir("qs");
    rl_qs_options bad = {0, 0, 0, 1, 3};
    CU_ASSERT_EQUAL(rl_qs_new(dir, &bad, &qs, err, sizeof err), RL_ERR_USAGE);
    CU_ASSERT_PTR_NULL(qs);
    rl_test_rmtree(dir);
    free(dir);
}

/* A store keeps the key format it was made with: reopened with the default
 * options (which would make a new store in the newest format) it reads and
 * writes its own. */
static void test_format_kept(void)
{
    char *dir = rl_test_tmpdir("qs");
    rl_qs *qs = open_store_with(dir, 0, test_format);
    CU_ASSERT_PTR_NOT_NULL_FATAL(qs);
    rl_quad a = {1, 2, 300000, 5}, b = {1, 2, (rl_id)1 << 40, 5}, got;
    CU_ASSERT_EQUAL(rl_qs_add(qs, &a), RL_OK);
    rl_qs_free(qs);
    qs = open_store_with(dir, 0, 0); /* default options */
    CU_ASSERT_PTR_NOT_NULL_FATAL(qs);
    CU_ASSERT_EQUAL(rl_qs_add(qs, &b), RL_OK);
    rl_qs_iter *it = NULL;
    rl_quad pat = {1, 2, 0, 0};
    CU_ASSERT_EQUAL_FATAL(rl_qs_find(qs, &pat, RL_QS_UNION, &it), RL_OK);
    CU_ASSERT_EQUAL(rl_qs_iter_next(it, &got), 1);
    CU_ASSERT_EQUAL(got.o, a.o);
    CU_ASSERT_EQUAL(rl_qs_iter_next(it, &got), 1);
    CU_ASSERT_EQUAL(got.o, b.o); /* in order: 300000 < 2^40 */
    CU_ASSERT_EQUAL(rl_qs_iter_next(it, &got), 0);
    rl_qs_iter_free(it);
    rl_qs_free(qs);
    rl_test_rmtree(dir);
    free(dir);
}

int main(void)
{
    static const rl_test_case cases[] = {{"all 16 pattern shapes vs brute force", test_all_pattern_shapes},
                                         {"large flushes: radix orders, appends", test_large_flushes},
                                         {"abort changes nothing", test_abort_changes_nothing},
                                         {"remove and clear graph", test_remove_and_clear},
                                         {"persistence, long terms", test_persistence_and_long_terms},
                                         {"fault injection: fail allocation N", test_fault_injection},
                                         {"terms by encoding prefix", test_terms_prefixed},
                                         {"readers and the write gate across threads", test_reader_and_write_gate},
                                         {"open errors", test_open_errors},
                                         {"a store keeps its key format", test_format_kept},
                                         {NULL, NULL}};
    int rc = rl_test_main("quadstore (key format 2)", cases);
    test_format = 1; /* stores made by rootline before key format 2 */
    return rl_test_main("quadstore (key format 1)", cases) | rc;
}
