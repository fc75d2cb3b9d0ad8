/* import.c: one RDF file = one batch = one transaction + PROV-O. */
#include "import.h"

#include "lookup.h"
#include "span.h"
#include "term.h"
#include "timefmt.h"
#include "vocab.h"
#include "warnings.h"
#include "writer.h"

#include <errno.h>
#include <stdarg.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

#define IMPORT_CHUNK (256 * 1024)
#define IMPORT_MAX_GRAPHS 10000

typedef struct rl_batch imp;
struct rl_batch {
    rl_store *st;
    rl_qs *qs;            /* lmdb fast path, or NULL for the librdf path */
    librdf_world *w;
    raptor_world *rw;
    int validate_only;    /* librdf path, first pass */
    raptor_parser *parser;
    raptor_term *batch_graph;
    char blank_prefix[32];
    rl_buf enc;
    uint64_t triples, max_triples;
    raptor_term **graphs; /* distinct named graphs written (besides the batch graph) */
    size_t ngraphs;
    rl_status fail;
    char msg[512];
    rl_writer *writer;    /* lmdb path: the store-writer thread */
    rl_buf tb[4];         /* lmdb path: encodings of s, p, o, g */
    rl_buf genc;          /* lmdb path: the batch graph's encoding (pack triples) */
    /* pack formats */
    const rl_input_format *fmt; /* NULL for RDF through Raptor */
    const char *path;
    const char *checksum;
    const char *graph;
    const char *const *params;
    double mtime;
    uint64_t records;
    rl_warnings warnings; /* a pack format's, for the provenance record */
    rl_lookup *lookup;    /* facts of the format's lookup predicates, or NULL */
    int keep_going;
    FILE *reject_out;
    uint64_t rejects;
};

#define MAX_REJECTS 100000

static const char *accepted[] = {"turtle", "trig", "ntriples", "nquads", "rdfxml", NULL};

/* ---- sink: where statements go ------------------------------------------ */
static rl_status enc_term(imp *im, const raptor_term *t, rl_buf *out)
{
    rl_buf_clear(out);
    if (t->type != RAPTOR_TERM_TYPE_BLANK) return rl_term_encode(t, out);
    rl_status s = rl_buf_append(out, "B", 1);
    if (s == RL_OK) s = rl_buf_puts(out, im->blank_prefix);
    if (s == RL_OK) s = rl_buf_append(out, t->value.blank.string, t->value.blank.string_len);
    return s;
}

static raptor_term *scoped_term(imp *im, raptor_term *t)
{
    if (t->type != RAPTOR_TERM_TYPE_BLANK) return raptor_term_copy(t);
    rl_buf b;
    rl_buf_init(&b, 4096);
    raptor_term *r = NULL;
    if (rl_buf_puts(&b, im->blank_prefix) == RL_OK &&
        rl_buf_append(&b, t->value.blank.string, t->value.blank.string_len) == RL_OK)
        r = raptor_new_term_from_counted_blank(im->rw, b.data, b.len);
    rl_buf_free(&b);
    return r;
}

static rl_status sink_add(imp *im, raptor_term *s, raptor_term *p, raptor_term *o,
                          raptor_term *g)
{
    if (im->validate_only) return RL_OK;
    if (im->writer) {
        raptor_term *t[4] = {s, p, o, g};
        const unsigned char *b[4];
        size_t n[4];
        for (int i = 0; i < 4; i++) {
            rl_status r = enc_term(im, t[i], &im->tb[i]);
            if (r != RL_OK) return r;
            b[i] = im->tb[i].data;
            n[i] = im->tb[i].len;
        }
        return rl_writer_add(im->writer, b, n);
    }
    librdf_statement *stmt = librdf_new_statement_from_nodes(
        im->w, scoped_term(im, s), scoped_term(im, p), scoped_term(im, o));
    if (!stmt) return RL_ERR_NOMEM;
    int rc = librdf_model_context_add_statement(rl_store_model(im->st), g, stmt);
    librdf_free_statement(stmt);
    return rc ? RL_ERR_STORE : RL_OK;
}

static rl_status note_graph(imp *im, raptor_term *g)
{
    if (im->ngraphs && raptor_term_equals(im->graphs[im->ngraphs - 1], g)) return RL_OK;
    for (size_t i = 0; i < im->ngraphs; i++)
        if (raptor_term_equals(im->graphs[i], g)) return RL_OK;
    if (im->ngraphs >= IMPORT_MAX_GRAPHS) return RL_ERR_LIMIT;
    raptor_term **ng = realloc(im->graphs, (im->ngraphs + 1) * sizeof *ng);
    if (!ng) return RL_ERR_NOMEM;
    im->graphs = ng;
    im->graphs[im->ngraphs++] = raptor_term_copy(g);
    return RL_OK;
}

/* Counts one statement against the limit; on reaching it sets im->fail and
 * im->msg.  Every path that adds a triple goes through here. */
static rl_status batch_count(imp *im)
{
    if (++im->triples <= im->max_triples) return RL_OK;
    snprintf(im->msg, sizeof im->msg, "more than %llu triples (the import limit)",
             (unsigned long long)im->max_triples);
    return im->fail = RL_ERR_LIMIT;
}

/* A sink's failure r: sets im->fail and im->msg from the writer or the store. */
static rl_status batch_sink_failed(imp *im, rl_status r)
{
    snprintf(im->msg, sizeof im->msg, "store: %s",
             im->writer ? rl_writer_errmsg(im->writer) : rl_store_log_last(im->st));
    return im->fail = r;
}

/* Counts the statement against the limit and hands it to the sink; on error
 * sets im->fail and im->msg.  Shared by the Raptor path and the pack API. */
static rl_status batch_put(imp *im, raptor_term *s, raptor_term *p, raptor_term *o,
                           raptor_term *g)
{
    rl_status r = batch_count(im);
    if (r == RL_OK && (r = sink_add(im, s, p, o, g)) != RL_OK) batch_sink_failed(im, r);
    return r;
}

static void on_statement(void *ud, raptor_statement *s)
{
    imp *im = ud;
    if (im->fail != RL_OK) return;
    rl_status r = RL_OK;
    if (s->graph && s->graph->type != RAPTOR_TERM_TYPE_URI) {
        r = RL_ERR_INPUT;
        snprintf(im->msg, sizeof im->msg, "a graph name must be an IRI");
    } else if (s->graph && (r = note_graph(im, s->graph)) != RL_OK) {
        snprintf(im->msg, sizeof im->msg, "too many named graphs in one file (limit %d)",
                 IMPORT_MAX_GRAPHS);
    } else {
        r = batch_put(im, s->subject, s->predicate, s->object, s->graph ? s->graph : im->batch_graph);
    }
    if (r != RL_OK) {
        im->fail = r;
        raptor_parser_parse_abort(im->parser);
    }
}

/* ---- provenance --------------------------------------------------------- */
/* The IRI a + b (b may be NULL) as a new term; NULL if out of memory. */
static raptor_term *iri(imp *im, const char *a, const char *b)
{
    size_t la = strlen(a), lb = b ? strlen(b) : 0;
    char small[2048], *buf = la + lb < sizeof small ? small : malloc(la + lb + 1);
    if (!buf) return NULL;
    memcpy(buf, a, la);
    if (lb) memcpy(buf + la, b, lb);
    buf[la + lb] = 0;
    raptor_term *t = raptor_new_term_from_counted_uri_string(im->rw, (const unsigned char *)buf, la + lb);
    if (buf != small) free(buf);
    return t;
}

static raptor_term *lit(imp *im, const char *v, const char *dt)
{
    raptor_uri *u = dt ? raptor_new_uri(im->rw, (const unsigned char *)dt) : NULL;
    raptor_term *t = raptor_new_term_from_counted_literal(im->rw, (const unsigned char *)v,
                                                          strlen(v), u, NULL, 0);
    if (u) raptor_free_uri(u);
    return t;
}

/* Adds (s p o) to the provenance graph and frees the three terms. */
static rl_status prov(imp *im, raptor_term *pg, raptor_term *s, raptor_term *p, raptor_term *o)
{
    rl_status r = (s && p && o) ? sink_add(im, s, p, o, pg) : RL_ERR_NOMEM;
    if (s) raptor_free_term(s);
    if (p) raptor_free_term(p);
    if (o) raptor_free_term(o);
    return r;
}

static rl_status write_provenance(imp *im, const char *path, const char *sha, const char *fmt,
                                  uint64_t bytes, const char *t0, const char *t1)
{
    rl_status r = RL_OK;
    char num[32], *src = (char *)raptor_uri_filename_to_uri_string(path);
    const char *base = strrchr(path, '/');
    raptor_term *pg = iri(im, RL_GRAPH_PROVENANCE, NULL);
    if (!src || !pg) {
        r = RL_ERR_NOMEM;
        goto out;
    }
#define B() raptor_term_copy(im->batch_graph)
#define A() iri(im, RL_ACTIVITY_PREFIX, sha)
#define S() iri(im, src, NULL)
    if (r == RL_OK) r = prov(im, pg, B(), iri(im, RL_NS_RDF "type", 0), iri(im, RL_NS_CORE "ImportBatch", 0));
    if (r == RL_OK) r = prov(im, pg, B(), iri(im, RL_NS_RDF "type", 0), iri(im, RL_NS_PROV "Entity", 0));
    if (r == RL_OK) r = prov(im, pg, B(), iri(im, RL_NS_PROV "wasGeneratedBy", 0), A());
    if (r == RL_OK) r = prov(im, pg, B(), iri(im, RL_NS_PROV "wasDerivedFrom", 0), S());
    char ck[80];
    snprintf(ck, sizeof ck, "sha256:%s", sha);
    if (r == RL_OK) r = prov(im, pg, B(), iri(im, RL_NS_CORE "checksum", 0), lit(im, ck, NULL));
    if (r == RL_OK) r = prov(im, pg, B(), iri(im, RL_NS_CORE "sourceFormat", 0), lit(im, fmt, NULL));
    snprintf(num, sizeof num, "%llu", (unsigned long long)im->triples);
    if (r == RL_OK) r = prov(im, pg, B(), iri(im, RL_NS_CORE "tripleCount", 0), lit(im, num, RL_NS_XSD "integer"));
    if (r == RL_OK) r = prov(im, pg, B(), iri(im, RL_NS_PROV "generatedAtTime", 0), lit(im, t1, RL_NS_XSD "dateTime"));
    for (size_t i = 0; i < im->ngraphs && r == RL_OK; i++)
        r = prov(im, pg, B(), iri(im, RL_NS_CORE "wroteGraph", 0), raptor_term_copy(im->graphs[i]));
    if (r == RL_OK && im->fmt) {
        snprintf(num, sizeof num, "%llu", (unsigned long long)im->records);
        r = prov(im, pg, B(), iri(im, RL_NS_CORE "recordCount", 0), lit(im, num, RL_NS_XSD "integer"));
    }
    if (r == RL_OK && im->rejects) {
        snprintf(num, sizeof num, "%llu", (unsigned long long)im->rejects);
        r = prov(im, pg, B(), iri(im, RL_NS_CORE "rejectCount", 0), lit(im, num, RL_NS_XSD "integer"));
    }
    for (size_t i = 0; i < im->warnings.n && i < RL_WARNINGS_KEEP && r == RL_OK; i++)
        if (im->warnings.msg[i])
            r = prov(im, pg, B(), iri(im, RL_NS_CORE "warning", 0), lit(im, im->warnings.msg[i], NULL));
    if (r == RL_OK) r = prov(im, pg, A(), iri(im, RL_NS_RDF "type", 0), iri(im, RL_NS_PROV "Activity", 0));
    if (r == RL_OK) r = prov(im, pg, A(), iri(im, RL_NS_PROV "used", 0), S());
    if (r == RL_OK) r = prov(im, pg, A(), iri(im, RL_NS_PROV "startedAtTime", 0), lit(im, t0, RL_NS_XSD "dateTime"));
    if (r == RL_OK) r = prov(im, pg, A(), iri(im, RL_NS_PROV "endedAtTime", 0), lit(im, t1, RL_NS_XSD "dateTime"));
    if (r == RL_OK) r = prov(im, pg, A(), iri(im, RL_NS_PROV "wasAssociatedWith", 0), iri(im, RL_AGENT_ROOTLINE, 0));
    if (r == RL_OK) r = prov(im, pg, S(), iri(im, RL_NS_RDF "type", 0), iri(im, RL_NS_PROV "Entity", 0));
    if (r == RL_OK) r = prov(im, pg, S(), iri(im, RL_NS_CORE "fileName", 0), lit(im, base ? base + 1 : path, NULL));
    snprintf(num, sizeof num, "%llu", (unsigned long long)bytes);
    if (r == RL_OK) r = prov(im, pg, S(), iri(im, RL_NS_CORE "byteSize", 0), lit(im, num, RL_NS_XSD "integer"));
#undef B
#undef A
#undef S
out:
    if (pg) raptor_free_term(pg);
    raptor_free_memory(src);
    return r;
}

/* ---- file helpers ------------------------------------------------------- */
static rl_status file_digest(FILE *f, uint64_t max, char hex[65], uint64_t *bytes, char *err,
                             size_t cap, const char *path)
{
    unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    size_t n;
    *bytes = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(ctx);
        return rl_errorf(err, cap, RL_ERR_INTERNAL, "%s: SHA-256 unavailable", path);
    }
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        *bytes += n;
        if (*bytes > max) {
            EVP_MD_CTX_free(ctx);
            return rl_errorf(err, cap, RL_ERR_LIMIT, "%s: larger than the import limit of %llu bytes",
                             path, (unsigned long long)max);
        }
        EVP_DigestUpdate(ctx, buf, n);
    }
    int bad = ferror(f);
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    if (bad) return rl_errorf(err, cap, RL_ERR_IO, "%s: read error", path);
    rl_hex_encode(md, mdlen < 32 ? mdlen : 32, hex);
    rewind(f);
    return RL_OK;
}

/* Raptor's guess among the accepted syntaxes; Turtle (which also reads
 * N-Triples) when it has none, with *fallback set. */
static const char *guess_format(raptor_world *rw, FILE *f, const char *path, int *fallback)
{
    *fallback = 0;
    unsigned char head[4096];
    size_t n = fread(head, 1, sizeof head, f);
    rewind(f);
    const char *g = raptor_world_guess_parser_name(rw, NULL, NULL, head, n,
                                                   (const unsigned char *)path);
    for (int i = 0; g && accepted[i]; i++)
        if (!strcmp(g, accepted[i])) return accepted[i];
    *fallback = 1;
    return "turtle"; /* Turtle also reads N-Triples */
}

static void progress(const rl_import_options *o, const char *path, uint64_t done, uint64_t total,
                     uint64_t triples, int *last_pct)
{
    if (o->progress == RL_PROGRESS_NONE) return;
    FILE *out = o->progress_out ? o->progress_out : stderr;
    int pct = total ? (int)(done * 100 / total) : 100;
    if (o->progress == RL_PROGRESS_BAR) {
        char bar[31];
        int fill = pct * 30 / 100;
        for (int i = 0; i < 30; i++) bar[i] = i < fill ? '#' : ' ';
        bar[30] = 0;
        fprintf(out, "\r%3d%% [%s] %llu triples", pct, bar, (unsigned long long)triples);
    } else if (pct / 10 != *last_pct / 10 || done == total) {
        fprintf(out, "import %s: %d%% read, %llu triples\n", path, pct,
                (unsigned long long)triples);
    } else {
        return;
    }
    *last_pct = pct;
    fflush(out);
}

/* One pass over the file through the parser. */
static rl_status parse_pass(imp *im, FILE *f, const char *path, const char *fmt, uint64_t total,
                            const rl_import_options *o, char *err, size_t cap)
{
    rl_status r = RL_OK;
    unsigned char *buf = malloc(IMPORT_CHUNK);
    char *base = (char *)raptor_uri_filename_to_uri_string(path);
    raptor_uri *base_uri = base ? raptor_new_uri(im->rw, (unsigned char *)base) : NULL;
    uint64_t done = 0;
    int last = -10;
    im->triples = 0;
    im->fail = RL_OK;
    rl_store_log_clear(im->st);
    rl_store_bnode_scope_begin(im->st); /* same document, same blank-node labels */
    im->parser = raptor_new_parser(im->rw, fmt);
    if (!buf || !base_uri || !im->parser) {
        r = rl_errorf(err, cap, RL_ERR_NOMEM, "%s: cannot create the %s parser", path, fmt);
        goto out;
    }
    raptor_parser_set_statement_handler(im->parser, im, on_statement);
    if (raptor_parser_parse_start(im->parser, base_uri)) {
        r = rl_errorf(err, cap, RL_ERR_INTERNAL, "%s: parser start failed", path);
        goto out;
    }
    int perr = 0;
    size_t n;
    /* Some Raptor parsers (N-Triples) log a bad line and go on: any error in
     * the log fails the batch. */
    while (!perr && im->fail == RL_OK && (n = fread(buf, 1, IMPORT_CHUNK, f)) > 0) {
        done += n;
        perr = raptor_parser_parse_chunk(im->parser, buf, n, 0) || *rl_store_log_last(im->st);
        progress(o, path, done, total, im->triples, &last);
    }
    if (!perr && im->fail == RL_OK)
        perr = raptor_parser_parse_chunk(im->parser, NULL, 0, 1) || *rl_store_log_last(im->st);
    progress(o, path, done, total, im->triples, &last);
    if (o->progress == RL_PROGRESS_BAR) fputc('\n', o->progress_out ? o->progress_out : stderr);
    if (im->fail != RL_OK) {
        r = rl_errorf(err, cap, im->fail, "%s: after %llu triples: %s", path,
                      (unsigned long long)im->triples, im->msg);
    } else if (perr || ferror(f)) {
        const char *m = rl_store_log_last(im->st);
        r = rl_errorf(err, cap, ferror(f) ? RL_ERR_IO : RL_ERR_INPUT, "%s: %s (%s syntax expected)",
                      path, *m ? m : "syntax error", fmt);
    }
out:
    rl_store_bnode_scope_end(im->st);
    if (im->parser) raptor_free_parser(im->parser);
    im->parser = NULL;
    if (base_uri) raptor_free_uri(base_uri);
    raptor_free_memory(base);
    free(buf);
    return r;
}

/* ---- the batch API for pack formats (format.h) ---------------------------- */
raptor_world *rl_batch_world(rl_batch *b)
{
    return b->rw;
}
const char *rl_batch_path(rl_batch *b)
{
    return b->path;
}
const char *rl_batch_checksum(rl_batch *b)
{
    return b->checksum;
}
const char *rl_batch_graph(rl_batch *b)
{
    return b->graph;
}
double rl_batch_mtime(rl_batch *b)
{
    return b->mtime;
}

const char *rl_batch_param(rl_batch *b, const char *key)
{
    size_t n = strlen(key);
    for (const char *const *p = b->params; p && *p; p++)
        if (!strncmp(*p, key, n) && (*p)[n] == '=') return *p + n + 1;
    return NULL;
}

/* The lookup string of a term: IRI or literal lexical form (NULL for blanks). */
static const char *term_str(const raptor_term *t)
{
    if (t->type == RAPTOR_TERM_TYPE_URI) return (const char *)raptor_uri_as_string(t->value.uri);
    if (t->type == RAPTOR_TERM_TYPE_LITERAL) return (const char *)t->value.literal.string;
    return NULL;
}

/* Whether a lookup declaration ("PRED" or "PRED SUBJECT_PREFIX") covers
 * predicate p and subject s (s NULL: the predicate alone). */
static int lookup_covers(const char *decl, const char *p, const char *s)
{
    const char *sp = strchr(decl, ' ');
    size_t pl = sp ? (size_t)(sp - decl) : strlen(decl);
    if (strlen(p) != pl || strncmp(decl, p, pl)) return 0;
    return !sp || !s || !strncmp(s, sp + 1, strlen(sp + 1));
}

/* A triple with a lookup predicate joins the table. */
static rl_status lookup_note_str(rl_batch *b, const char *ps, const char *ss, const char *os)
{
    for (const char *const *l = b->fmt->lookups; b->lookup && ss && os && *l; l++)
        if (lookup_covers(*l, ps, ss)) return rl_lookup_add(b->lookup, ps, ss, os);
    return RL_OK;
}

static rl_status lookup_note(rl_batch *b, const raptor_term *s, const raptor_term *p,
                             const raptor_term *o)
{
    if (!b->lookup || p->type != RAPTOR_TERM_TYPE_URI) return RL_OK;
    return lookup_note_str(b, term_str(p), term_str(s), term_str(o));
}

rl_status rl_batch_add(rl_batch *b, raptor_term *s, raptor_term *p, raptor_term *o)
{
    if (b->fail != RL_OK) return b->fail;
    if (!s || !p || !o) return b->fail = RL_ERR_NOMEM;
    rl_status r = lookup_note(b, s, p, o);
    if (r != RL_OK) return rl_batch_error(b, r, "lookup table: %s", rl_strerror(r));
    return batch_put(b, s, p, o, b->batch_graph);
}

const char *rl_batch_lookup_subject(rl_batch *b, const char *p, const char *o)
{
    return b->lookup ? rl_lookup_subject(b->lookup, p, o) : NULL;
}

const char *rl_batch_lookup_object(rl_batch *b, const char *s, const char *p)
{
    return b->lookup ? rl_lookup_object(b->lookup, s, p) : NULL;
}

int rl_batch_lookup_subjects(rl_batch *b, const char *p, const char *o,
                             int (*fn)(void *ctx, const char *s), void *ctx)
{
    return b->lookup ? rl_lookup_subjects(b->lookup, p, o, fn, ctx) : 0;
}

rl_status rl_batch_lookup_define(rl_batch *b, const char *p, const char *s, const char *o)
{
    if (!b->lookup) return RL_OK;
    int covered = 0;
    for (const char *const *l = b->fmt->lookups; *l && !covered; l++) covered = lookup_covers(*l, p, s);
    if (!covered) return RL_OK;
    rl_status r = rl_lookup_add(b->lookup, p, s, o);
    return r == RL_OK ? RL_OK : rl_batch_error(b, r, "lookup table: %s", rl_strerror(r));
}

rl_status rl_batch_reject(rl_batch *b, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (!b->keep_going) return rl_batch_error(b, RL_ERR_INPUT, "%s", text);
    if (++b->rejects > MAX_REJECTS)
        return rl_batch_error(b, RL_ERR_LIMIT, "more than %d records rejected; last: %s", MAX_REJECTS, text);
    if (!b->validate_only) fprintf(b->reject_out ? b->reject_out : stderr, "%s: rejected: %s\n", b->path, text);
    return RL_OK;
}

/* lmdb: the lookup facts of one predicate, read through a reader (its own
 * snapshot of the committed data, so this may run while the previous file's
 * writer commits: rl_import_begin).  With a subject prefix the subjects are
 * found through the dictionary's order rather than by reading every triple
 * of the predicate: `lab:unit` of tests would otherwise read the unit of
 * every stored result before each import. */
typedef struct {
    rl_qs_reader *rd;
    rl_lookup *lookup;
    const char *pred;
    rl_id p;
    rl_buf s, o;   /* the subject's IRI, the object's lookup string */
    rl_status copy; /* copy_value's buffer status */
} reader_lookup;

/* The lookup string of an encoded term into `out`, 0-terminated, as
 * term_str gives it: an IRI or a literal's lexical form; empty for a blank
 * node.  `want_iri`: empty unless the term is an IRI. */
static rl_status copy_lookup_str(rl_buf *out, const unsigned char *b, size_t n, int want_iri)
{
    size_t len = 0;
    const unsigned char *v = rl_term_value(b, n, &len);
    rl_buf_clear(out);
    if (!v || (want_iri && (!n || b[0] != 'U'))) return RL_OK;
    rl_status r = rl_buf_append(out, v, len);
    return r == RL_OK ? rl_buf_append(out, "", 1) : r;
}

static void copy_object(void *ud, const unsigned char *b, size_t n)
{
    reader_lookup *rl = ud;
    rl->copy = copy_lookup_str(&rl->o, b, n, 0);
}

static void copy_subject(void *ud, const unsigned char *b, size_t n)
{
    reader_lookup *rl = ud;
    rl->copy = copy_lookup_str(&rl->s, b, n, 1);
}

/* Every (s pred o) with s = `s` (0: any subject, its IRI then read) into the
 * table; subjects not an IRI and objects that are blank are skipped. */
static rl_status lookup_read_subject(reader_lookup *rl, rl_id s)
{
    rl_qs_iter *it = NULL;
    rl_quad pat = {s, rl->p, 0, 0}, q;
    rl_status r = rl_qs_reader_find(rl->rd, &pat, RL_QS_UNION, &it);
    int more = 0;
    while (r == RL_OK && (more = rl_qs_iter_next(it, &q)) == 1) {
        rl->copy = RL_OK;
        if (!s && ((r = rl_qs_reader_term_bytes(rl->rd, q.s, copy_subject, rl)) != RL_OK ||
                   (r = rl->copy) != RL_OK))
            break;
        if ((r = rl_qs_reader_term_bytes(rl->rd, q.o, copy_object, rl)) != RL_OK || (r = rl->copy) != RL_OK)
            break;
        if (rl->s.len && rl->o.len)
            r = rl_lookup_add(rl->lookup, rl->pred, (const char *)rl->s.data, (const char *)rl->o.data);
    }
    if (r == RL_OK && more < 0) r = RL_ERR_STORE;
    rl_qs_iter_free(it);
    return r;
}

static rl_status prefixed_subject(void *ud, rl_id id, const unsigned char *b, size_t n)
{
    reader_lookup *rl = ud;
    rl_buf_clear(&rl->s);
    rl_status r = rl_buf_append(&rl->s, b + 1, n - 1); /* 'U' + IRI */
    if (r == RL_OK) r = rl_buf_append(&rl->s, "", 1);
    return r == RL_OK ? lookup_read_subject(rl, id) : r;
}

/* The id of IRI `iri` in the reader's snapshot (0 when unknown). */
static rl_status reader_iri_id(rl_qs_reader *rd, const char *iri, rl_buf *enc, rl_id *id)
{
    rl_buf_clear(enc);
    rl_status r = rl_term_encode_iri(enc, iri);
    return r == RL_OK ? rl_qs_reader_term_id(rd, enc->data, enc->len, id) : r;
}

/* One lookup declaration ("PRED" or "PRED SUBJECT_PREFIX") from the reader. */
static rl_status lookup_preload_reader(imp *im, rl_qs_reader *rd, const char *pred, const char *prefix)
{
    reader_lookup rl = {rd, im->lookup, pred, 0, {0}, {0}, RL_OK};
    rl_buf_init(&rl.s, 0);
    rl_buf_init(&rl.o, 0);
    rl_buf enc;
    rl_buf_init(&enc, 0);
    rl_status r = reader_iri_id(rd, pred, &enc, &rl.p);
    if (r == RL_OK && rl.p) { /* an unknown predicate has no facts */
        if (!prefix) {
            r = lookup_read_subject(&rl, 0);
        } else {
            rl_buf_clear(&enc);
            if ((r = rl_term_encode_iri(&enc, prefix)) == RL_OK)
                r = rl_qs_reader_terms_prefixed(rd, enc.data, enc.len, prefixed_subject, &rl);
        }
    }
    rl_buf_free(&enc);
    rl_buf_free(&rl.s);
    rl_buf_free(&rl.o);
    return r;
}

/* Fills the lookup table from the committed store: every triple of the
 * format's lookup predicates, in any graph.  lmdb: through the reader `rd`;
 * other storages: through librdf. */
static rl_status lookup_preload(imp *im, rl_qs_reader *rd, char *err, size_t cap)
{
    if (!im->fmt || !im->fmt->lookups || !im->fmt->lookups[0]) return RL_OK;
    if (!(im->lookup = rl_lookup_new())) return rl_errorf(err, cap, RL_ERR_NOMEM, "out of memory");
    librdf_model *m = rl_store_model(im->st);
    rl_status r = RL_OK;
    for (const char *const *l = im->fmt->lookups; *l && r == RL_OK; l++) {
        char pred[1024];
        const char *sp = strchr(*l, ' ');
        snprintf(pred, sizeof pred, "%.*s", (int)(sp ? (size_t)(sp - *l) : strlen(*l)), *l);
        if (rd) {
            r = lookup_preload_reader(im, rd, pred, sp ? sp + 1 : NULL);
            continue;
        }
        librdf_node *pn = librdf_new_node_from_uri_string(im->w, (const unsigned char *)pred);
        librdf_statement *pat = pn ? librdf_new_statement_from_nodes(im->w, NULL, pn, NULL) : NULL;
        librdf_stream *s = pat ? librdf_model_find_statements(m, pat) : NULL;
        if (!s) r = RL_ERR_STORE;
        for (; s && r == RL_OK && !librdf_stream_end(s); librdf_stream_next(s)) {
            librdf_statement *st = librdf_stream_get_object(s);
            librdf_node *sn = librdf_statement_get_subject(st), *on = librdf_statement_get_object(st);
            if (!librdf_node_is_resource(sn)) continue;
            const char *ss = (const char *)librdf_uri_as_string(librdf_node_get_uri(sn));
            if (!lookup_covers(*l, pred, ss)) continue;
            const char *os = librdf_node_is_resource(on)
                                 ? (const char *)librdf_uri_as_string(librdf_node_get_uri(on))
                                 : librdf_node_is_literal(on) ? (const char *)librdf_node_get_literal_value(on)
                                                              : NULL;
            if (os) r = rl_lookup_add(im->lookup, pred, ss, os);
        }
        if (s) librdf_free_stream(s);
        if (pat) librdf_free_statement(pat); /* frees pn */
        else if (pn) librdf_free_node(pn);
    }
    if (r != RL_OK)
        return rl_errorf(err, cap, r, "%s: reading lookup facts: %s", im->path,
                         rd && rl_qs_reader_errmsg(rd)[0] ? rl_qs_reader_errmsg(rd) : rl_strerror(r));
    return RL_OK;
}

/* Adds a triple and frees the terms. */
static rl_status add_owned(rl_batch *b, raptor_term *s, raptor_term *p, raptor_term *o)
{
    rl_status r = rl_batch_add(b, s, p, o);
    if (s) raptor_free_term(s);
    if (p) raptor_free_term(p);
    if (o) raptor_free_term(o);
    return r;
}

/* The lmdb path for a pack's triple: strings straight to term encodings, no
 * raptor terms (whose URI interning cost a third of a converter's time). */
static rl_status add_strings(rl_batch *b, const char *s, const char *p, const char *o,
                             int literal, const char *dt)
{
    rl_status r = lookup_note_str(b, p, s, o);
    if (r != RL_OK) return rl_batch_error(b, r, "lookup table: %s", rl_strerror(r));
    if ((r = batch_count(b)) != RL_OK || b->validate_only) return r;
    if (!b->genc.len) r = enc_term(b, b->batch_graph, &b->genc); /* once per batch */
    for (int i = 0; i < 3; i++) rl_buf_clear(&b->tb[i]);
    if (r == RL_OK) r = rl_term_encode_iri(&b->tb[0], s);
    if (r == RL_OK) r = rl_term_encode_iri(&b->tb[1], p);
    if (r == RL_OK)
        r = literal ? rl_term_encode_literal(&b->tb[2], (const unsigned char *)o, strlen(o), dt, NULL, 0)
                    : rl_term_encode_iri(&b->tb[2], o);
    if (r == RL_OK) {
        const unsigned char *t[4] = {b->tb[0].data, b->tb[1].data, b->tb[2].data, b->genc.data};
        const size_t n[4] = {b->tb[0].len, b->tb[1].len, b->tb[2].len, b->genc.len};
        r = rl_writer_add(b->writer, t, n);
    }
    return r == RL_OK ? r : batch_sink_failed(b, r);
}

/* An IRI must not be empty (raptor refuses one: the librdf path would fail). */
static rl_status check_iris(rl_batch *b, const char *s, const char *p, const char *o)
{
    if (b->fail != RL_OK) return b->fail;
    if (!*s || !*p || (o && !*o))
        return rl_batch_error(b, RL_ERR_INPUT, "a triple with an empty IRI (%s position)",
                              !*s ? "subject" : !*p ? "predicate" : "object");
    return RL_OK;
}

rl_status rl_batch_add_iri(rl_batch *b, const char *s, const char *p, const char *o)
{
    rl_status r = check_iris(b, s, p, o);
    if (r != RL_OK) return r;
    if (b->writer) return add_strings(b, s, p, o, 0, NULL);
    return add_owned(b, iri(b, s, NULL), iri(b, p, NULL), iri(b, o, NULL));
}

rl_status rl_batch_add_lit(rl_batch *b, const char *s, const char *p, const char *lex,
                           const char *datatype)
{
    rl_status r = check_iris(b, s, p, NULL);
    if (r != RL_OK) return r;
    if (b->writer) return add_strings(b, s, p, lex, 1, datatype);
    return add_owned(b, iri(b, s, NULL), iri(b, p, NULL), lit(b, lex, datatype));
}

void rl_batch_record(rl_batch *b)
{
    b->records++;
}

void rl_batch_warn(rl_batch *b, const char *fmt, ...)
{
    if (b->validate_only) return; /* the writing pass records them */
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    rl_warnings_add(&b->warnings, "%s", text);
}

rl_status rl_batch_error(rl_batch *b, rl_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->msg, sizeof b->msg, fmt, ap);
    va_end(ap);
    b->fail = st;
    return st;
}

int rl_import_format_known(const char *name, const rl_input_format *const *formats)
{
    for (int i = 0; accepted[i]; i++)
        if (!strcmp(accepted[i], name)) return 1;
    for (const rl_input_format *const *p = formats; p && *p; p++)
        if (!strcmp((*p)->name, name)) return 1;
    return 0;
}

/* --format NAME, else the first pack format whose sniff accepts the head of
 * the file, else an RDF syntax (decided later by Raptor's guess). */
static rl_status choose_format(imp *im, const rl_import_options *o, FILE *f, const char *path,
                               char *err, size_t cap)
{
    im->fmt = NULL;
    if (o->format) {
        for (const rl_input_format *const *p = o->formats; p && *p; p++)
            if (!strcmp((*p)->name, o->format)) im->fmt = *p;
        if (im->fmt) return RL_OK;
        for (int i = 0; accepted[i]; i++)
            if (!strcmp(accepted[i], o->format)) return RL_OK;
        return rl_errorf(err, cap, RL_ERR_USAGE, "%s: unknown format '%s'", path, o->format);
    }
    char head[4096];
    size_t n = fread(head, 1, sizeof head, f);
    rewind(f);
    for (const rl_input_format *const *p = o->formats; p && *p; p++)
        if ((*p)->sniff && (*p)->sniff(head, n)) {
            im->fmt = *p;
            break;
        }
    return RL_OK;
}

/* One pass of a pack format's converter over the whole input. */
static rl_status convert_pass(imp *im, const rl_buf *text, char *err, size_t cap)
{
    im->triples = im->records = im->rejects = 0;
    im->fail = RL_OK;
    im->msg[0] = 0;
    rl_status r = im->fmt->convert(im, (const char *)text->data, text->len);
    if (r == RL_OK) r = im->fail;
    if (r != RL_OK)
        return rl_errorf(err, cap, r, "%s: %s", im->path, im->msg[0] ? im->msg : rl_strerror(r));
    return RL_OK;
}

/* Whether the batch's graph is already described as an import in the
 * provenance graph: lmdb through the reader, else through librdf. */
static rl_status batch_exists(imp *im, rl_qs_reader *rd, int *found)
{
    *found = 0;
    if (rd) {
        rl_buf enc;
        rl_buf_init(&enc, 0);
        rl_quad q = {0, 0, 0, 0}, m;
        rl_qs_iter *it = NULL;
        rl_status r = reader_iri_id(rd, im->graph, &enc, &q.s);
        if (r == RL_OK && q.s) r = reader_iri_id(rd, RL_NS_RDF "type", &enc, &q.p);
        if (r == RL_OK && q.p) r = reader_iri_id(rd, RL_NS_CORE "ImportBatch", &enc, &q.o);
        if (r == RL_OK && q.o) r = reader_iri_id(rd, RL_GRAPH_PROVENANCE, &enc, &q.c);
        if (r == RL_OK && q.c && (r = rl_qs_reader_find(rd, &q, RL_QS_IN_GRAPH, &it)) == RL_OK) {
            int n = rl_qs_iter_next(it, &m);
            if (n < 0) r = RL_ERR_STORE;
            *found = n == 1;
        }
        rl_qs_iter_free(it);
        rl_buf_free(&enc);
        return r;
    }
    raptor_term *pg = iri(im, RL_GRAPH_PROVENANCE, NULL);
    librdf_statement *pat = librdf_new_statement_from_nodes(
        im->w, raptor_term_copy(im->batch_graph), iri(im, RL_NS_RDF "type", 0),
        iri(im, RL_NS_CORE "ImportBatch", 0));
    if (pg && pat) {
        librdf_stream *s = librdf_model_find_statements_in_context(rl_store_model(im->st), pat, pg);
        *found = s && !librdf_stream_end(s);
        if (s) librdf_free_stream(s);
    }
    if (pat) librdf_free_statement(pat);
    if (pg) raptor_free_term(pg);
    return RL_OK;
}

/* Rewrites a Turtle error on a file no format recognised into one that says
 * what was expected. */
static void unknown_format(const rl_import_options *o, const char *path, char *err, size_t cap)
{
    char names[512] = "", orig[512];
    size_t n = 0;
    for (const rl_input_format *const *p = o->formats; p && *p && n + 40 < sizeof names; p++)
        n += (size_t)snprintf(names + n, sizeof names - n, "%s, ", (*p)->name);
    snprintf(orig, sizeof orig, "%s", err);
    const char *why = strstr(orig, ": ");
    snprintf(err, cap,
             "%s: not a format rootline reads: expected %sor RDF (Turtle, TriG, N-Triples, "
             "N-Quads, RDF/XML); read as Turtle it fails with: %.300s",
             path, names, why ? why + 2 : orig);
}

int rl_import_rank(const char *path, const rl_import_options *opt)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    char head[4096];
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    for (const rl_input_format *const *p = opt->formats; p && *p; p++)
        if ((*p)->sniff && (*p)->sniff(head, n)) return (*p)->rank ? (*p)->rank(head, n) : 50;
    return 0;
}

/* ---- the pipeline: begin (convert) / wait / end (commit) ---------------- */
struct rl_import_job {
    rl_import_result res;
    rl_writer *writer;          /* lmdb: committing this batch, until waited for */
    rl_status st;               /* the commit's status once waited for */
    char path[1024];
    char err[1600];             /* the commit's error message */
    const rl_input_format *fmt; /* NULL for RDF */
    size_t lookup_added;        /* facts the batch added to its format's lookup table */
};

/* Whether file `im` (checksum `sum`) may be converted while `prev` still
 * commits: only when prev's uncommitted triples cannot change what the
 * conversion reads from the store.  It reads the lookup facts of its format
 * and whether its batch exists; so prev must be of a pack format with the
 * same lookup declarations, have added no lookup fact, and not be the same
 * bytes.  RDF on either side: wait. */
static int job_may_overlap(const rl_import_job *prev, const imp *im, const char *sum)
{
    return prev->fmt && im->fmt && prev->fmt->lookups == im->fmt->lookups &&
           prev->lookup_added == 0 && strcmp(prev->res.checksum, sum) != 0;
}

void rl_import_wait(rl_import_job *job)
{
    if (!job || !job->writer) return;
    rl_writer *w = job->writer;
    job->writer = NULL;
    char werr[512];
    if ((job->st = rl_writer_finish(w, 1, werr, sizeof werr)) != RL_OK)
        rl_errorf(job->err, sizeof job->err, job->st, "%s: store write failed, nothing imported: %s",
                  job->path, werr);
}

rl_status rl_import_begin(rl_store *st, const char *path, const rl_import_options *opt,
                          rl_import_job *prev, rl_import_job **out, char *err, size_t cap)
{
    rl_import_options dflt = {NULL, 0, 0, RL_PROGRESS_NONE, NULL, NULL, NULL, 0, NULL};
    rl_buf text;
    rl_buf_init(&text, 0);
    const rl_import_options *o = opt ? opt : &dflt;
    imp im;
    rl_status r = RL_OK;
    uint64_t bytes = 0;
    char t0[40], t1[40];
    int in_txn = 0, found = 0;
    size_t preloaded = 0;
    rl_qs_reader *rd = NULL;
    rl_import_job *job = NULL;
    *out = NULL;
    memset(&im, 0, sizeof im);
    if (!(job = calloc(1, sizeof *job))) return rl_errorf(err, cap, RL_ERR_NOMEM, "out of memory");
    rl_import_result *res = &job->res;
    im.st = st;
    im.w = rl_store_world(st);
    im.rw = librdf_world_get_raptor(im.w);
    im.max_triples = o->max_triples ? o->max_triples : 200000000ull;
    rl_buf_init(&im.enc, 0);
    for (int i = 0; i < 4; i++) rl_buf_init(&im.tb[i], 0);
    rl_buf_init(&im.genc, 0);
    rl_time_now_iso(t0, sizeof t0);
    FILE *f = fopen(path, "rb");
    if (!f) {
        free(job);
        return rl_errorf(err, cap, RL_ERR_IO, "%s: %s", path, strerror(errno));
    }
    r = file_digest(f, o->max_bytes ? o->max_bytes : ((uint64_t)8 << 30), res->checksum, &bytes,
                    err, cap, path);
    if (r != RL_OK) goto out;
    if ((r = choose_format(&im, o, f, path, err, cap)) != RL_OK) goto out;
    /* what follows reads the store: wait for prev unless its open batch
     * cannot change what is read */
    if (prev && prev->writer && !job_may_overlap(prev, &im, res->checksum)) rl_import_wait(prev);
    int fallback = 0;
    const char *fmt = im.fmt ? im.fmt->name : o->format ? o->format : guess_format(im.rw, f, path, &fallback);
    snprintf(res->format, sizeof res->format, "%s", fmt);
    snprintf(res->graph, sizeof res->graph, "%s%s", RL_GRAPH_BATCH_PREFIX, res->checksum);
    snprintf(im.blank_prefix, sizeof im.blank_prefix, "b%.12s_", res->checksum);
    im.graph = res->graph;
    im.batch_graph = iri(&im, res->graph, NULL);
    if (!im.batch_graph) {
        r = rl_errorf(err, cap, RL_ERR_NOMEM, "out of memory");
        goto out;
    }
    im.qs = rl_store_quads(st);
    if (im.qs && (r = rl_qs_reader_new(im.qs, &rd, err, cap)) != RL_OK) goto out;
    if ((r = batch_exists(&im, rd, &found)) != RL_OK) {
        r = rl_errorf(err, cap, r, "%s: reading the provenance graph: %s", path,
                      rd ? rl_qs_reader_errmsg(rd) : rl_strerror(r));
        goto out;
    }
    if (found) {
        res->already = 1;
        goto out;
    }
    if (im.fmt) { /* a pack format converts the whole input at once */
        struct stat sb;
        if (fstat(fileno(f), &sb) == 0) im.mtime = (double)sb.st_mtim.tv_sec + sb.st_mtim.tv_nsec / 1e9;
        text.max = (size_t)bytes + 1;
        rewind(f);
        r = rl_buf_read_file(&text, f);
        rewind(f);
        if (r != RL_OK) {
            r = rl_errorf(err, cap, r, "%s: cannot read", path);
            goto out;
        }
        im.path = path;
        im.checksum = res->checksum;
        im.params = o->params;
    }
    im.keep_going = o->keep_going;
    im.reject_out = o->reject_out;
    if ((r = lookup_preload(&im, rd, err, cap)) != RL_OK) goto out;
    rl_qs_reader_free(rd);
    rd = NULL;
    preloaded = im.lookup ? rl_lookup_count(im.lookup) : 0;
    if (!rl_store_is_transactional(st)) { /* validate first: bad input changes nothing */
        im.validate_only = 1;
        r = im.fmt ? convert_pass(&im, &text, err, cap)
                   : parse_pass(&im, f, path, fmt, bytes, o, err, cap);
        if (r != RL_OK) {
            if (fallback && r == RL_ERR_INPUT) unknown_format(o, path, err, cap);
            goto out;
        }
        im.validate_only = 0;
        rewind(f);
    }
    if (im.qs) { /* lmdb: parse here, write in the writer thread, one transaction */
        if ((r = rl_writer_new(im.qs, prev != NULL, &im.writer)) != RL_OK) {
            r = rl_errorf(err, cap, r, "%s: cannot start the store writer", path);
            goto out;
        }
    } else if ((r = rl_store_begin(st)) != RL_OK) {
        r = rl_errorf(err, cap, r, "%s: cannot begin a transaction: %s", path, rl_store_log_last(st));
        goto out;
    } else {
        in_txn = 1;
    }
    r = im.fmt ? convert_pass(&im, &text, err, cap) : parse_pass(&im, f, path, fmt, bytes, o, err, cap);
    if (r != RL_OK) {
        if (fallback && r == RL_ERR_INPUT) unknown_format(o, path, err, cap);
        goto out;
    }
    res->triples = im.triples;
    res->records = im.records;
    res->warnings = im.warnings.n;
    res->rejects = im.rejects;
    rl_time_now_iso(t1, sizeof t1);
    if ((r = write_provenance(&im, path, res->checksum, fmt, bytes, t0, t1)) != RL_OK) {
        r = rl_errorf(err, cap, r, "%s: writing provenance failed: %s", path,
                      im.writer ? rl_writer_errmsg(im.writer) : rl_store_log_last(st));
        goto out;
    }
    job->fmt = im.fmt;
    job->lookup_added = im.lookup ? rl_lookup_count(im.lookup) - preloaded : 0;
    snprintf(job->path, sizeof job->path, "%s", path);
    if (im.writer) { /* the commit goes on in the writer thread: rl_import_wait */
        job->writer = im.writer;
        im.writer = NULL;
        rl_writer_close(job->writer, 1);
    } else {
        in_txn = 0;
        if ((r = rl_store_commit(st)) != RL_OK)
            r = rl_errorf(err, cap, r, "%s: commit failed: %s", path, rl_store_log_last(st));
    }
out:
    if (im.writer) rl_writer_finish(im.writer, 0, NULL, 0); /* abort */
    if (in_txn) rl_store_rollback(st);
    rl_qs_reader_free(rd);
    fclose(f);
    for (size_t i = 0; i < im.ngraphs; i++) raptor_free_term(im.graphs[i]);
    free(im.graphs);
    if (im.batch_graph) raptor_free_term(im.batch_graph);
    rl_buf_free(&im.enc);
    for (int i = 0; i < 4; i++) rl_buf_free(&im.tb[i]);
    rl_buf_free(&im.genc);
    rl_warnings_clear(&im.warnings);
    rl_lookup_free(im.lookup);
    rl_buf_free(&text);
    if (r != RL_OK) {
        free(job);
        return r;
    }
    *out = job;
    return RL_OK;
}

rl_status rl_import_end(rl_import_job *job, rl_import_result *res, char *err, size_t cap)
{
    if (!job) return RL_ERR_USAGE;
    rl_import_wait(job);
    rl_status r = job->st;
    *res = job->res;
    if (r != RL_OK) rl_errorf(err, cap, r, "%s", job->err);
    free(job);
    return r;
}

rl_status rl_import_file(rl_store *st, const char *path, const rl_import_options *opt,
                         rl_import_result *res, char *err, size_t cap)
{
    rl_import_job *job = NULL;
    memset(res, 0, sizeof *res);
    rl_status r = rl_import_begin(st, path, opt, NULL, &job, err, cap);
    return r == RL_OK ? rl_import_end(job, res, err, cap) : r;
}
