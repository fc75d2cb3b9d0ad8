/* store.c: store URIs, the librdf world/storage/model triple, log capture. */
#include "store.h"

#include "buf.h"
#include "rdf_lmdb.h"

#include <rasqal.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct rl_store {
    librdf_world *world;
    librdf_storage *storage;
    librdf_model *model;
    rl_qs *qs; /* borrowed from the lmdb storage, or NULL */
    char kind[32];
    int in_txn;
    int txn_supported;
    char log[1024];
    int log_level; /* level of the kept message */
    int log_line;
    int bnode_scoped;        /* inside an import: deterministic numbering */
    unsigned long bnode_n;   /* counter for generated blank-node ids */
};

const char *rl_store_resolve_uri(const char *uri)
{
    if (uri && *uri) return uri;
    const char *env = getenv("ROOTLINE_STORE");
    return env && *env ? env : RL_STORE_DEFAULT_URI;
}

static void store_keep(rl_store *st, int level, const char *msg, raptor_locator *loc)
{
    if (level < LIBRDF_LOG_ERROR) return; /* warnings (unused variables...) are noise */
    if (st->log[0]) return;               /* the first error is the cause */
    st->log_line = -1;
    if (loc && loc->line > 0) {
        st->log_line = loc->line;
        if (loc->column > 0)
            snprintf(st->log, sizeof st->log, "line %d, column %d: %s", loc->line, loc->column,
                     msg ? msg : "");
        else snprintf(st->log, sizeof st->log, "line %d: %s", loc->line, msg ? msg : "");
    } else {
        snprintf(st->log, sizeof st->log, "%s", msg ? msg : "");
    }
    st->log_level = level;
}

/* librdf logger: keeps the most severe recent message; never prints. */
static int store_logger(void *ud, librdf_log_message *m)
{
    store_keep(ud, (int)librdf_log_message_level(m), librdf_log_message_message(m),
               librdf_log_message_locator(m));
    return 1;
}


static void store_rasqal_log(void *ud, raptor_log_message *m)
{
    /* raptor's levels are librdf's plus one (raptor has TRACE, librdf has not) */
    store_keep(ud, (int)m->level - 1, m->text, m->locator);
}

void rl_store_capture_rasqal(rl_store *st)
{
    rasqal_world_set_log_handler(librdf_world_get_rasqal(st->world), st, store_rasqal_log);
}

/* Raptor's blank-node id generator for this store's world (see store.h). */
static unsigned char *store_bnodeid(void *ud, unsigned char *user_bnodeid)
{
    rl_store *st = ud;
    char id[96];
    unsigned char *r;
    if (user_bnodeid) { /* the document's label, marked so no generated id equals it */
        size_t n = strlen((char *)user_bnodeid);
        r = malloc(n + 2);
        if (r) {
            r[0] = 'u';
            memcpy(r + 1, user_bnodeid, n + 1);
        }
        raptor_free_memory(user_bnodeid); /* the handler owns it */
        return r;
    }
    st->bnode_n++;
    if (st->bnode_scoped) snprintf(id, sizeof id, "g%lu", st->bnode_n);
    else snprintf(id, sizeof id, "r%ldr%ldr%lu", (long)time(NULL), (long)getpid(), st->bnode_n);
    size_t n = strlen(id) + 1;
    r = malloc(n);
    if (r) memcpy(r, id, n);
    return r;
}

void rl_store_bnode_scope_begin(rl_store *st)
{
    st->bnode_scoped = 1;
    st->bnode_n = 0;
}

void rl_store_bnode_scope_end(rl_store *st)
{
    st->bnode_scoped = 0;
}

/* Turns "a=1&b=x" into Redland's "a='1',b='x'" after the given prefix. */
static rl_status redland_options(const char *query, const char *prefix, rl_buf *out)
{
    rl_status s = rl_buf_puts(out, prefix);
    while (s == RL_OK && query && *query) {
        const char *amp = strchr(query, '&');
        size_t n = amp ? (size_t)(amp - query) : strlen(query);
        const char *eq = memchr(query, '=', n);
        if (!eq || eq == query || memchr(query, '\'', n)) return RL_ERR_USAGE;
        if (out->len) s = rl_buf_puts(out, ",");
        if (s == RL_OK)
            s = rl_buf_printf(out, "%.*s='%.*s'", (int)(eq - query), query,
                              (int)(n - (size_t)(eq - query) - 1), eq + 1);
        query = amp ? amp + 1 : NULL;
    }
    return s;
}

rl_status rl_store_new(const char *uri, const rl_store_options *opt, rl_store **out, char *err,
                       size_t cap)
{
    rl_status s = RL_OK;
    rl_buf name, opts;
    rl_buf_init(&name, 4096);
    rl_buf_init(&opts, 4096);
    *out = NULL;
    uri = rl_store_resolve_uri(uri);
    const char *colon = strchr(uri, ':');
    rl_store *st = calloc(1, sizeof *st);
    if (!st) return rl_errorf(err, cap, RL_ERR_NOMEM, "out of memory");
    st->log_line = -1;
    if (!colon || colon == uri || (size_t)(colon - uri) >= sizeof st->kind) {
        s = rl_errorf(err, cap, RL_ERR_USAGE,
                      "store URI '%s': expected KIND:ARG, e.g. lmdb:./var/store or memory:", uri);
        goto out;
    }
    memcpy(st->kind, uri, (size_t)(colon - uri));
    const char *arg = colon + 1, *q = strchr(arg, '?');
    if ((s = rl_buf_append(&name, arg, q ? (size_t)(q - arg) : strlen(arg))) != RL_OK) goto out;
    const char *factory = st->kind, *mem_opts = "";
    if (!strcmp(st->kind, "memory")) {
        /* Redland `trees` has no contexts (measured: context_add_statement fails),
         * and every import is a named graph: use the indexed in-memory hashes. */
        factory = "hashes";
        mem_opts = ",hash-type='memory'";
        if (name.len == 0) s = rl_buf_puts(&name, "memory");
    }
    else if (!strcmp(st->kind, "lmdb") && name.len == 0) s = rl_buf_puts(&name, "./var/store");
    const char *prefix = strcmp(factory, "lmdb") ? "contexts='yes'" : "";
    if (s == RL_OK) s = redland_options(q ? q + 1 : NULL, prefix, &opts);
    if (s == RL_OK) s = rl_buf_puts(&opts, mem_opts);
    if (s == RL_OK && opt && opt->read_only && !strcmp(factory, "lmdb"))
        s = rl_buf_puts(&opts, opts.len ? ",read-only='yes'" : "read-only='yes'");
    if (s != RL_OK) {
        s = rl_errorf(err, cap, RL_ERR_USAGE, "store URI '%s': options must be k=v&k=v", uri);
        goto out;
    }
    if (factory != st->kind) snprintf(st->kind, sizeof st->kind, "%s", factory);
    if (!(st->world = librdf_new_world())) {
        s = rl_errorf(err, cap, RL_ERR_NOMEM, "cannot create librdf world");
        goto out;
    }
    librdf_world_set_logger(st->world, st, store_logger);
    librdf_world_open(st->world);
    raptor_world_set_generate_bnodeid_handler(librdf_world_get_raptor(st->world), st, store_bnodeid);
    if (rl_rdf_lmdb_register(st->world) != RL_OK) {
        s = rl_errorf(err, cap, RL_ERR_INTERNAL, "cannot register the lmdb storage");
        goto out;
    }
    st->storage = librdf_new_storage(st->world, factory, name.len ? (char *)name.data : NULL,
                                     opts.len ? (char *)opts.data : NULL);
    if (!st->storage) {
        s = rl_errorf(err, cap, RL_ERR_STORE, "cannot open store '%s': %s", uri,
                      st->log[0] ? st->log : "unknown storage or bad options");
        goto out;
    }
    if (!(st->model = librdf_new_model(st->world, st->storage, NULL))) {
        s = rl_errorf(err, cap, RL_ERR_STORE, "cannot create a model on '%s': %s", uri, st->log);
        goto out;
    }
    if (!strcmp(factory, "lmdb")) st->qs = rl_rdf_lmdb_quads(st->storage);
    st->txn_supported = st->qs != NULL;
    rl_store_log_clear(st);
    *out = st;
    st = NULL;
out:
    rl_buf_free(&name);
    rl_buf_free(&opts);
    rl_store_free(st);
    return s;
}

void rl_store_free(rl_store *st)
{
    if (!st) return;
    if (st->in_txn) rl_store_rollback(st);
    if (st->model) librdf_free_model(st->model);
    if (st->storage) librdf_free_storage(st->storage);
    if (st->world) librdf_free_world(st->world);
    free(st);
}

librdf_world *rl_store_world(rl_store *st)
{
    return st->world;
}
librdf_model *rl_store_model(rl_store *st)
{
    return st->model;
}
rl_qs *rl_store_quads(rl_store *st)
{
    return st->qs;
}

rl_status rl_store_version(rl_store *st, uint64_t *v)
{
    *v = 0;
    return st->qs ? rl_qs_version(st->qs, v) : RL_ERR_UNSUPPORTED;
}
const char *rl_store_kind(const rl_store *st)
{
    return st->kind;
}
int rl_store_is_transactional(const rl_store *st)
{
    return st->txn_supported;
}

rl_status rl_store_begin(rl_store *st)
{
    if (st->in_txn) return RL_ERR_USAGE;
    if (st->qs) {
        rl_status s = rl_qs_write_begin(st->qs);
        if (s != RL_OK) return s;
    } else {
        librdf_model_transaction_start(st->model); /* best effort: see header */
    }
    st->in_txn = 1;
    return RL_OK;
}

rl_status rl_store_commit(rl_store *st)
{
    if (!st->in_txn) return RL_ERR_USAGE;
    st->in_txn = 0;
    if (st->qs) return rl_qs_write_commit(st->qs);
    librdf_model_transaction_commit(st->model);
    librdf_model_sync(st->model);
    return RL_OK;
}

void rl_store_rollback(rl_store *st)
{
    if (!st->in_txn) return;
    st->in_txn = 0;
    if (st->qs) rl_qs_write_abort(st->qs);
    else librdf_model_transaction_rollback(st->model);
}

rl_status rl_store_snapshot_begin(rl_store *st)
{
    return st->qs ? rl_qs_snapshot_begin(st->qs) : RL_OK;
}
void rl_store_snapshot_end(rl_store *st)
{
    if (st->qs) rl_qs_snapshot_end(st->qs);
}

const char *rl_store_log_last(const rl_store *st)
{
    return st->log;
}
int rl_store_log_line(const rl_store *st)
{
    return st->log_line;
}
void rl_store_log_clear(rl_store *st)
{
    st->log[0] = 0;
    st->log_level = 0;
    st->log_line = -1;
}

rl_status rl_store_stats_get(rl_store *st, rl_store_stats *out, char *err, size_t cap)
{
    memset(out, 0, sizeof *out);
    if (st->qs) {
        rl_id *ids = NULL;
        size_t n = 0;
        rl_status s = rl_qs_count(st->qs, &out->quads);
        if (s == RL_OK) s = rl_qs_graphs(st->qs, &ids, &n);
        if (s == RL_OK) s = rl_qs_disk_usage(st->qs, &out->disk_bytes);
        free(ids);
        out->graphs = n;
        return s == RL_OK ? s : rl_errorf(err, cap, s, "%s", rl_qs_errmsg(st->qs));
    }
    int size = librdf_model_size(st->model);
    out->quads = size < 0 ? 0 : (uint64_t)size;
    librdf_iterator *it = librdf_model_get_contexts(st->model);
    for (; it && !librdf_iterator_end(it); librdf_iterator_next(it)) out->graphs++;
    if (it) librdf_free_iterator(it);
    return RL_OK;
}

rl_status rl_store_set_dataset(rl_store *st, const char *const *dflt, size_t nd, const char *const *named,
                               size_t nn)
{
    if (!st->qs) return nd || nn ? RL_ERR_UNSUPPORTED : RL_OK;
    return rl_rdf_lmdb_set_dataset(st->storage, dflt, nd, named, nn);
}
