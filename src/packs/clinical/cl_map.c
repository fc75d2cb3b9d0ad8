/* cl_map.c: mapping files (JSON) compiled into row programs; CSV rows ->
 * triples of one batch. */
#include "cl_map.h"
#include "resdir.h"

#include "cl_csv.h"
#include "cl_graph.h"
#include "cl_keys.h"
#include "keys.h"
#include "mask.h"
#include "span.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define MAX_MAPPINGS 128
#define MAX_SEGS 16
#define MAX_NODES 16
#define MAX_PROPS 48
#define MAX_TYPES 4
#define MAX_ITEMS 256
#define VAL_MAX 4096

enum { T_STRING, T_INTEGER, T_DECIMAL, T_DATETIME, T_DATE, T_TIME, T_BOOLEAN };
enum { FMT_ISO, FMT_TS14 };
enum { M_NONE, M_PHONE, M_NATIONAL_ID, M_PSEUDONYM };
enum { F_NONE, F_TS14, F_UCUM, F_MAC, F_UPPER, F_DATE };
enum { IRI_TMPL, IRI_HASH, IRI_DEPT, IRI_PANEL, IRI_EPOCH, IRI_CHANNEL, IRI_RESULT, IRI_LOOKUP };
enum { P_VALUE, P_REF, P_NODE, P_LOOKUP, P_LOOKUP_ALL };
enum { MISS_WARN, MISS_IGNORE, MISS_REJECT };

typedef struct seg {
    int col; /* column index, -1 literal, -2 the list item {_} */
    int filter;
    const char *lit;
} seg;

typedef struct tmpl {
    seg s[MAX_SEGS];
    size_t n;
} tmpl;

typedef struct colspec {
    const char *name;
    int type, fmt, mask, required;
} colspec;

typedef struct prop {
    const char *p; /* full IRI */
    int kind, inverse, missing, has_when, each_col;
    tmpl value, when;
    const char *datatype, *lang, *lookup_p;
    int node;
} prop;

typedef struct node {
    const char *id;
    int iri_kind, level, has_when;
    const char *prefix; /* IRI_HASH; IRI_LOOKUP: the lookup predicate */
    tmpl iri, when, of[4];
    size_t nof;
    const char *types[MAX_TYPES];
    size_t ntypes;
    prop props[MAX_PROPS];
    size_t nprops;
} node;

typedef struct mapping {
    char file[512];
    const char *name, *title;
    int rank, tz, defines_lookups;
    const char *header[RL_CSV_MAX_FIELDS];
    colspec cols[RL_CSV_MAX_FIELDS];
    size_t ncols;
    node nodes[MAX_NODES];
    size_t nnodes;
    tmpl record;
    json_t *json; /* owns the strings above */
} mapping;

static mapping *maps[MAX_MAPPINGS];
static size_t nmaps;
static char load_errors[4096];
static char map_dir[1024];
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* ---- loading ------------------------------------------------------------ */

static const struct {
    const char *pfx, *ns;
} prefixes[] = {{"clin", CL_CLIN}, {"lab", CL_LAB},   {"inst", CL_INST}, {"rl", CL_RL},
                {"sosa", CL_SOSA}, {"org", CL_ORG},   {"prov", CL_PROV}, {"rdfs", CL_RDFS},
                {"xsd", CL_XSD},   {"loinc", CL_LOINC}, {"rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"}};

typedef struct loader {
    mapping *m;
    char err[512];
    char *strs[1024]; /* expanded IRIs owned by the mapping (freed with it) */
} loader;

/* Expanded-IRI storage: kept in a JSON array inside m->json. */
static const char *keep_str(mapping *m, const char *s)
{
    json_t *arr = json_object_get(m->json, "__strings");
    if (!arr) {
        arr = json_array();
        json_object_set_new(m->json, "__strings", arr);
    }
    json_t *v = json_string(s);
    json_array_append_new(arr, v);
    return json_string_value(v);
}

static const char *expand(loader *L, const char *curie)
{
    if (!curie) return NULL;
    if (!strncmp(curie, "http://", 7) || !strncmp(curie, "https://", 8) || !strncmp(curie, "urn:", 4))
        return curie;
    const char *c = strchr(curie, ':');
    for (size_t i = 0; c && i < sizeof prefixes / sizeof *prefixes; i++)
        if (strlen(prefixes[i].pfx) == (size_t)(c - curie) && !strncmp(curie, prefixes[i].pfx, (size_t)(c - curie))) {
            char buf[CL_IRI_MAX];
            snprintf(buf, sizeof buf, "%s%s", prefixes[i].ns, c + 1);
            return keep_str(L->m, buf);
        }
    snprintf(L->err, sizeof L->err, "'%s': unknown prefix (known: clin lab inst rl sosa org prov rdfs xsd loinc rdf)", curie);
    return NULL;
}

static int col_index(const mapping *m, const char *name)
{
    for (size_t i = 0; i < m->ncols; i++)
        if (!strcmp(m->header[i], name)) return (int)i;
    return -1;
}

/* "text {col} {col:filter} {_}" */
static int compile_tmpl(loader *L, const char *src, tmpl *t)
{
    t->n = 0;
    const char *p = src;
    while (*p) {
        if (t->n == MAX_SEGS) {
            snprintf(L->err, sizeof L->err, "template '%s': more than %d parts", src, MAX_SEGS);
            return -1;
        }
        seg *s = &t->s[t->n++];
        memset(s, 0, sizeof *s);
        if (*p != '{') {
            const char *q = strchr(p, '{');
            size_t n = q ? (size_t)(q - p) : strlen(p);
            char buf[1024];
            snprintf(buf, sizeof buf, "%.*s", (int)(n < 1000 ? n : 1000), p);
            s->col = -1;
            s->lit = keep_str(L->m, buf);
            p += n;
            continue;
        }
        const char *q = strchr(p, '}');
        if (!q) {
            snprintf(L->err, sizeof L->err, "template '%s': '{' without '}'", src);
            return -1;
        }
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)((size_t)(q - p - 1) < 120 ? q - p - 1 : 120), p + 1);
        char *f = strchr(name, ':');
        if (f) {
            *f++ = 0;
            s->filter = !strcmp(f, "ts14")   ? F_TS14
                        : !strcmp(f, "ucum") ? F_UCUM
                        : !strcmp(f, "mac")  ? F_MAC
                        : !strcmp(f, "upper") ? F_UPPER
                        : !strcmp(f, "date") ? F_DATE
                                             : -1;
            if (s->filter < 0) {
                snprintf(L->err, sizeof L->err, "template '%s': unknown filter '%s' (ts14, ucum, mac, upper, date)", src, f);
                return -1;
            }
        }
        if (!strcmp(name, "_")) s->col = -2;
        else if ((s->col = col_index(L->m, name)) < 0) {
            snprintf(L->err, sizeof L->err, "template '%s': no column '%s' in the header", src, name);
            return -1;
        }
        p = q + 1;
    }
    return 0;
}

static int load_columns(loader *L, json_t *j)
{
    mapping *m = L->m;
    json_t *hdr = json_object_get(j, "header");
    if (!json_is_array(hdr) || !json_array_size(hdr) || json_array_size(hdr) > RL_CSV_MAX_FIELDS) {
        snprintf(L->err, sizeof L->err, "\"header\": expected an array of 1..%d column names", RL_CSV_MAX_FIELDS);
        return -1;
    }
    m->ncols = json_array_size(hdr);
    for (size_t i = 0; i < m->ncols; i++) {
        m->header[i] = json_string_value(json_array_get(hdr, i));
        if (!m->header[i]) {
            snprintf(L->err, sizeof L->err, "\"header\"[%zu]: expected a string", i);
            return -1;
        }
        m->cols[i] = (colspec){m->header[i], T_STRING, FMT_ISO, M_NONE, 0};
    }
    json_t *cols = json_object_get(j, "columns");
    const char *k;
    json_t *v;
    json_object_foreach(cols, k, v)
    {
        int c = col_index(m, k);
        if (c < 0) {
            snprintf(L->err, sizeof L->err, "\"columns\": '%s' is not in the header", k);
            return -1;
        }
        colspec *cs = &m->cols[c];
        const char *t = json_string_value(json_object_get(v, "type"));
        const char *f = json_string_value(json_object_get(v, "format"));
        const char *mk = json_string_value(json_object_get(v, "mask"));
        static const char *const tn[] = {"string", "integer", "decimal", "dateTime", "date", "time", "boolean"};
        if (t) {
            cs->type = -1;
            for (int i = 0; i < 7; i++)
                if (!strcmp(t, tn[i])) cs->type = i;
            if (cs->type < 0) {
                snprintf(L->err, sizeof L->err, "column %s: type '%s' (expected string, integer, decimal, dateTime, date, time, boolean)", k, t);
                return -1;
            }
        }
        if (f && !strcmp(f, "YYYYMMDDHHMMSS")) cs->fmt = FMT_TS14;
        else if (f && strcmp(f, "iso")) {
            snprintf(L->err, sizeof L->err, "column %s: format '%s' (expected iso or YYYYMMDDHHMMSS)", k, f);
            return -1;
        }
        if (mk) {
            cs->mask = !strcmp(mk, "phone") ? M_PHONE : !strcmp(mk, "national_id") ? M_NATIONAL_ID
                     : !strcmp(mk, "pseudonym") ? M_PSEUDONYM : -1;
            if (cs->mask < 0) {
                snprintf(L->err, sizeof L->err, "column %s: mask '%s' (expected phone, national_id, pseudonym)", k, mk);
                return -1;
            }
        }
        cs->required = json_is_true(json_object_get(v, "required"));
    }
    return 0;
}

/* Whether p is a lookup predicate ("PRED" or "PRED SUBJECT_PREFIX" in
 * rl_cl_lookups) for subjects starting with subj (NULL: any subject). */
static int lookup_for(const char *p, const char *subj)
{
    for (const char *const *l = rl_cl_lookups; *l; l++) {
        const char *sp = strchr(*l, ' ');
        size_t n = sp ? (size_t)(sp - *l) : strlen(*l);
        if (strlen(p) == n && !strncmp(*l, p, n) &&
            (!sp || !subj || !strncmp(subj, sp + 1, strlen(sp + 1))))
            return 1;
    }
    return 0;
}

static int is_lookup_pred(const char *p)
{
    return lookup_for(p, NULL);
}

/* The fixed start of a node's IRIs ("" when unknown). */
static const char *node_prefix(const node *n)
{
    switch (n->iri_kind) {
    case IRI_TMPL: return n->iri.n && n->iri.s[0].col == -1 ? n->iri.s[0].lit : "";
    case IRI_HASH: return n->prefix;
    case IRI_DEPT: return "urn:rootline:clin:department:";
    case IRI_PANEL: return "urn:rootline:lab:panel:";
    case IRI_EPOCH: return "urn:rootline:inst:epoch:";
    case IRI_CHANNEL: return "urn:rootline:inst:channel:";
    case IRI_RESULT: return "urn:rootline:lab:result:";
    }
    return "";
}

static int load_prop(loader *L, node *n, json_t *j, const char *const *ids, size_t nids)
{
    if (n->nprops == MAX_PROPS) {
        snprintf(L->err, sizeof L->err, "node %s: more than %d properties", n->id, MAX_PROPS);
        return -1;
    }
    prop *p = &n->props[n->nprops++];
    memset(p, 0, sizeof *p);
    p->each_col = -1;
    if (!(p->p = expand(L, json_string_value(json_object_get(j, "p"))))) {
        if (!L->err[0]) snprintf(L->err, sizeof L->err, "node %s: a property without \"p\"", n->id);
        return -1;
    }
    p->inverse = json_is_true(json_object_get(j, "inverse"));
    const char *s;
    if ((s = json_string_value(json_object_get(j, "value")))) {
        p->kind = P_VALUE;
        if (compile_tmpl(L, s, &p->value)) return -1;
    } else if ((s = json_string_value(json_object_get(j, "ref")))) {
        p->kind = P_REF;
        if (compile_tmpl(L, s, &p->value)) return -1;
        if (p->value.n && p->value.s[0].col == -1) { /* "loinc:{col}/" and the like */
            const char *e = expand(L, p->value.s[0].lit);
            if (!e) return -1;
            p->value.s[0].lit = e;
        }
    } else if ((s = json_string_value(json_object_get(j, "node")))) {
        p->kind = P_NODE;
        p->node = -1;
        for (size_t i = 0; i < nids; i++)
            if (!strcmp(ids[i], s)) p->node = (int)i;
        if (p->node < 0) {
            snprintf(L->err, sizeof L->err, "node %s: \"node\": no node '%s'", n->id, s);
            return -1;
        }
    } else {
        json_t *lk = json_object_get(j, "lookup"), *la = json_object_get(j, "lookup_all");
        json_t *l = lk ? lk : la;
        if (!json_is_object(l)) {
            snprintf(L->err, sizeof L->err, "node %s, property %s: expected value, ref, node, lookup or lookup_all", n->id, p->p);
            return -1;
        }
        p->kind = lk ? P_LOOKUP : P_LOOKUP_ALL;
        if (!(p->lookup_p = expand(L, json_string_value(json_object_get(l, "p"))))) return -1;
        if (!is_lookup_pred(p->lookup_p)) {
            snprintf(L->err, sizeof L->err, "node %s: lookup predicate %s is not one of the clinical lookup facts", n->id, p->lookup_p);
            return -1;
        }
        if (!(s = json_string_value(json_object_get(l, "value"))) || compile_tmpl(L, s, &p->value)) {
            if (!L->err[0]) snprintf(L->err, sizeof L->err, "node %s: lookup without \"value\"", n->id);
            return -1;
        }
        const char *miss = json_string_value(json_object_get(l, "missing"));
        p->missing = !miss || !strcmp(miss, "warn") ? MISS_WARN : !strcmp(miss, "ignore") ? MISS_IGNORE : MISS_REJECT;
    }
    if ((s = json_string_value(json_object_get(j, "datatype"))) && !(p->datatype = expand(L, s))) return -1;
    p->lang = json_string_value(json_object_get(j, "lang"));
    if ((s = json_string_value(json_object_get(j, "when")))) {
        p->has_when = 1;
        if (compile_tmpl(L, s, &p->when)) return -1;
    }
    if ((s = json_string_value(json_object_get(j, "each"))) && (p->each_col = col_index(L->m, s)) < 0) {
        snprintf(L->err, sizeof L->err, "node %s: \"each\": no column '%s'", n->id, s);
        return -1;
    }
    return 0;
}

static int load_nodes(loader *L, json_t *j)
{
    mapping *m = L->m;
    json_t *nodes = json_object_get(j, "nodes");
    if (!json_is_array(nodes) || !json_array_size(nodes) || json_array_size(nodes) > MAX_NODES) {
        snprintf(L->err, sizeof L->err, "\"nodes\": expected an array of 1..%d nodes", MAX_NODES);
        return -1;
    }
    const char *ids[MAX_NODES];
    m->nnodes = json_array_size(nodes);
    for (size_t i = 0; i < m->nnodes; i++)
        if (!(ids[i] = json_string_value(json_object_get(json_array_get(nodes, i), "id")))) {
            snprintf(L->err, sizeof L->err, "nodes[%zu]: expected \"id\"", i);
            return -1;
        }
    for (size_t i = 0; i < m->nnodes; i++) {
        json_t *nj = json_array_get(nodes, i);
        node *n = &m->nodes[i];
        memset(n, 0, sizeof *n);
        n->id = ids[i];
        json_t *iri = json_object_get(nj, "iri");
        const char *s;
        if (json_is_string(iri)) {
            n->iri_kind = IRI_TMPL;
            if (compile_tmpl(L, json_string_value(iri), &n->iri)) return -1;
        } else if (json_is_object(iri)) {
            const char *key = json_string_value(json_object_get(iri, "key"));
            const char *hash = json_string_value(json_object_get(iri, "hash"));
            json_t *lk = json_object_get(iri, "lookup");
            size_t want = 0;
            if (json_is_object(lk)) { /* the node is an entity found by a lookup fact */
                n->iri_kind = IRI_LOOKUP;
                if (!(n->prefix = expand(L, json_string_value(json_object_get(lk, "p"))))) return -1;
                if (!is_lookup_pred(n->prefix) || !(s = json_string_value(json_object_get(lk, "value"))) ||
                    compile_tmpl(L, s, &n->iri)) {
                    if (!L->err[0]) snprintf(L->err, sizeof L->err, "node %s: \"lookup\" needs a clinical lookup \"p\" and a \"value\"", n->id);
                    return -1;
                }
                goto iri_done;
            }
            if (hash) n->iri_kind = IRI_HASH, n->prefix = hash, want = 0;
            else if (key && !strcmp(key, "department")) n->iri_kind = IRI_DEPT, want = 3;
            else if (key && !strcmp(key, "panel")) n->iri_kind = IRI_PANEL, want = 3;
            else if (key && !strcmp(key, "epoch")) n->iri_kind = IRI_EPOCH, want = 3;
            else if (key && !strcmp(key, "channel")) n->iri_kind = IRI_CHANNEL, want = 2;
            else if (key && !strcmp(key, "result")) n->iri_kind = IRI_RESULT, want = 4;
            else {
                snprintf(L->err, sizeof L->err, "node %s: \"iri\": expected a template, {\"hash\": PREFIX, \"of\": [...]} or {\"key\": department|panel|epoch|channel|result, \"of\": [...]}", n->id);
                return -1;
            }
            json_t *of = json_object_get(iri, "of");
            n->nof = json_array_size(of);
            if (!n->nof || n->nof > 4 || (want && n->nof != want)) {
                snprintf(L->err, sizeof L->err, "node %s: \"of\" needs %zu templates", n->id, want ? want : (size_t)4);
                return -1;
            }
            for (size_t k = 0; k < n->nof; k++)
                if (!(s = json_string_value(json_array_get(of, k))) || compile_tmpl(L, s, &n->of[k])) {
                    if (!L->err[0]) snprintf(L->err, sizeof L->err, "node %s: \"of\"[%zu]: expected a template", n->id, k);
                    return -1;
                }
        } else {
            snprintf(L->err, sizeof L->err, "node %s: \"iri\" missing", n->id);
            return -1;
        }
    iri_done:
        if ((s = json_string_value(json_object_get(nj, "when")))) {
            n->has_when = 1;
            if (compile_tmpl(L, s, &n->when)) return -1;
        }
        json_t *types = json_object_get(nj, "type");
        for (size_t k = 0; k < json_array_size(types) && k < MAX_TYPES; k++)
            if (!(n->types[n->ntypes++] = expand(L, json_string_value(json_array_get(types, k))))) return -1;
        n->level = (int)json_integer_value(json_object_get(nj, "level"));
        json_t *props = json_object_get(nj, "props");
        for (size_t k = 0; k < json_array_size(props); k++)
            if (load_prop(L, n, json_array_get(props, k), ids, m->nnodes)) return -1;
        /* a first pass is needed when rows define lookup facts of their own */
        for (size_t k = 0; k < n->nprops; k++) {
            const prop *p = &n->props[k];
            const char *pre = node_prefix(n);
            if ((p->kind == P_VALUE || p->kind == P_REF) && !p->inverse && lookup_for(p->p, pre[0] ? pre : NULL))
                m->defines_lookups = 1;
        }
    }
    return 0;
}

static mapping *load_one(const char *path, char *err, size_t cap)
{
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    if (!j) {
        snprintf(err, cap, "%.400s:%d: %.300s", path, je.line, je.text);
        return NULL;
    }
    mapping *m = calloc(1, sizeof *m);
    loader L;
    memset(&L, 0, sizeof L);
    L.m = m;
    if (!m) {
        json_decref(j);
        snprintf(err, cap, "out of memory");
        return NULL;
    }
    m->json = j;
    snprintf(m->file, sizeof m->file, "%.500s", path);
    m->name = json_string_value(json_object_get(j, "name"));
    m->title = json_string_value(json_object_get(j, "title"));
    m->rank = json_is_integer(json_object_get(j, "rank")) ? (int)json_integer_value(json_object_get(j, "rank")) : 50;
    const char *tz = json_string_value(json_object_get(j, "timezone"));
    m->tz = 480;
    if (!m->name) snprintf(L.err, sizeof L.err, "\"name\" missing");
    else if (tz && rl_cl_parse_tz(tz, &m->tz)) snprintf(L.err, sizeof L.err, "\"timezone\": '%s' is not +HH:MM", tz);
    else if (!load_columns(&L, j) && !load_nodes(&L, j)) {
        const char *rec = json_string_value(json_object_get(j, "record"));
        if (!rec || !compile_tmpl(&L, rec, &m->record)) return m;
    }
    snprintf(err, cap, "%.400s: %.500s", path, L.err);
    json_decref(j);
    free(m);
    return NULL;
}

/* Where the mappings are: $ROOTLINE_MAPPINGS, <binary>/../data/mappings, the source tree. */
static void find_dir(void)
{
#ifdef ROOTLINE_DATA_DIR
    rl_resource_dir("ROOTLINE_MAPPINGS", "data/mappings", ROOTLINE_DATA_DIR "/mappings", map_dir, sizeof map_dir);
#else
    rl_resource_dir("ROOTLINE_MAPPINGS", "data/mappings", "data/mappings", map_dir, sizeof map_dir);
#endif
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_all(void)
{
    find_dir();
    DIR *d = opendir(map_dir);
    if (!d) {
        snprintf(load_errors, sizeof load_errors, "mapping folder %s: %s\n", map_dir, strerror(errno));
        return;
    }
    char *names[MAX_MAPPINGS];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < MAX_MAPPINGS) {
        size_t l = strlen(e->d_name);
        if (l > 5 && !strcmp(e->d_name + l - 5, ".json")) names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        char path[2048], err[1024];
        snprintf(path, sizeof path, "%s/%s", map_dir, names[i]);
        free(names[i]);
        mapping *m = load_one(path, err, sizeof err);
        if (m) maps[nmaps++] = m;
        else {
            size_t used = strlen(load_errors);
            snprintf(load_errors + used, sizeof load_errors - used, "%s\n", err);
        }
    }
}

static void ensure_loaded(void)
{
    pthread_once(&once, load_all);
}

/* ---- recognition ---------------------------------------------------------- */

static const mapping *match_header(const char *head, size_t n)
{
    ensure_loaded();
    rl_csv c;
    char err[256];
    const char *nl = memchr(head, '\n', n);
    size_t len = nl ? (size_t)(nl - head) : n;
    rl_csv_init(&c, head, len);
    const mapping *found = NULL;
    if (rl_csv_next(&c, err, sizeof err) == RL_OK) {
        for (size_t i = 0; i < nmaps && !found; i++) {
            const mapping *m = maps[i];
            if (m->ncols != c.nf) continue;
            size_t k = 0;
            for (; k < c.nf; k++) {
                const char *f = c.f[k];
                size_t fl = strlen(f);
                while (fl && isspace((unsigned char)f[fl - 1])) fl--;
                while (fl && isspace((unsigned char)*f)) f++, fl--;
                if (strlen(m->header[k]) != fl || strncmp(m->header[k], f, fl)) break;
            }
            if (k == c.nf) found = m;
        }
    }
    rl_csv_free(&c);
    return found;
}

static int csv_sniff(const char *head, size_t n)
{
    return match_header(head, n) != NULL;
}

static int csv_rank(const char *head, size_t n)
{
    const mapping *m = match_header(head, n);
    return m ? m->rank : 50;
}

int rl_cl_mappings_list(FILE *out)
{
    ensure_loaded();
    int bad = 0;
    for (const char *p = load_errors; *p; p++)
        if (*p == '\n') bad++;
    fprintf(out, "%s", load_errors);
    fprintf(out, "mappings in %s:\n", map_dir);
    for (size_t i = 0; i < nmaps; i++) {
        fprintf(out, "  %-34s rank %2d  %s\n    ", maps[i]->name, maps[i]->rank,
                maps[i]->title ? maps[i]->title : "");
        for (size_t k = 0; k < maps[i]->ncols; k++) fprintf(out, "%s%s", k ? "," : "", maps[i]->header[k]);
        fputc('\n', out);
    }
    return bad;
}

/* ---- rows ------------------------------------------------------------------ */

typedef struct row_ctx {
    rl_batch *b;
    const mapping *m;
    int define_only; /* first pass: lookup facts only */
    int mask;
    size_t line;
    char vals[RL_CSV_MAX_FIELDS][VAL_MAX]; /* cleaned, typed-canonical, masked */
    const char *item;
    char iris[MAX_NODES][CL_IRI_MAX];
    int live[MAX_NODES];
    char what[256]; /* the record's name for messages */
    rl_status st;
    int rejected;
} row_ctx;

static rl_status row_reject(row_ctx *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static rl_status row_reject(row_ctx *r, const char *fmt, ...)
{
    char msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->rejected = 1;
    if (r->define_only) return RL_OK; /* the writing pass reports it */
    char where[300];
    if (r->what[0]) snprintf(where, sizeof where, " (%s)", r->what);
    else where[0] = 0;
    return rl_batch_reject(r->b, "line %zu%s: %s", r->line, where, msg) == RL_OK
               ? RL_OK
               : RL_ERR_INPUT;
}

static void trim_copy(const char *in, char *out)
{
    while (isspace((unsigned char)*in)) in++;
    size_t n = strlen(in);
    while (n && isspace((unsigned char)in[n - 1])) n--;
    if (n >= VAL_MAX) n = VAL_MAX - 1;
    memcpy(out, in, n);
    out[n] = 0;
}

/* Checks and canonicalises one typed value in place; 0 or -1 with why. */
static int canon(const colspec *cs, int tz, char *v, char *why, size_t cap)
{
    char *end;
    char ts[15], err[200];
    switch (cs->type) {
    case T_INTEGER:
        errno = 0;
        (void)strtoll(v, &end, 10);
        if (*end || errno) return snprintf(why, cap, "expected a whole number, got '%.40s'", v), -1;
        return 0;
    case T_DECIMAL:
        errno = 0;
        (void)strtod(v, &end);
        if (*end || errno || !strpbrk(v, "0123456789") || strpbrk(v, "eExXnN"))
            return snprintf(why, cap, "expected a decimal number, got '%.40s'", v), -1;
        return 0;
    case T_BOOLEAN:
        if (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "Y")) strcpy(v, "true");
        else if (!strcmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "N")) strcpy(v, "false");
        else return snprintf(why, cap, "expected true/false, got '%.40s'", v), -1;
        return 0;
    case T_DATE: {
        int Y, M, D, used = 0;
        if (sscanf(v, "%4d-%2d-%2d%n", &Y, &M, &D, &used) != 3 || used != 10 || M < 1 || M > 12 || D < 1 || D > 31)
            return snprintf(why, cap, "expected a date YYYY-MM-DD, got '%.40s'", v), -1;
        return 0;
    }
    case T_TIME: {
        int h, mi, used = 0;
        if (sscanf(v, "%2d:%2d%n", &h, &mi, &used) != 2 || used != 5 || h > 24 || mi > 59 || (h == 24 && mi))
            return snprintf(why, cap, "expected HH:MM, got '%.40s'", v), -1;
        strcat(v, ":00");
        return 0;
    }
    case T_DATETIME:
        if (cs->fmt == FMT_TS14 && (strlen(v) != 14 || strspn(v, "0123456789") != 14))
            return snprintf(why, cap, "expected YYYYMMDDHHMMSS, got '%.40s'", v), -1;
        if (cs->fmt == FMT_ISO && (strlen(v) < 16 || v[4] != '-' || (v[10] != 'T' && v[10] != ' ')))
            return snprintf(why, cap, "expected an ISO 8601 date and time with offset, got '%.40s'", v), -1;
        if (rl_cl_ts_normalize(v, tz, ts, err, sizeof err) != RL_OK)
            return snprintf(why, cap, "%s", err), -1;
        rl_cl_ts14_iso(ts, tz, v);
        return 0;
    }
    return 0;
}

static rl_status mask_value(const colspec *cs, char *v)
{
    rl_buf b;
    rl_buf_init(&b, VAL_MAX);
    rl_status st = RL_OK;
    if (cs->mask == M_PHONE) st = rl_mask_phone(v, &b);
    else if (cs->mask == M_NATIONAL_ID) st = rl_mask_national_id(v, &b);
    else if (cs->mask == M_PSEUDONYM) {
        char p[40];
        rl_cl_pseudonym(v, p);
        st = rl_buf_puts(&b, p);
    }
    if (st == RL_OK) snprintf(v, VAL_MAX, "%s", b.data ? (const char *)b.data : "");
    rl_buf_free(&b);
    return st;
}

/* Evaluates a template into out; as_iri percent-encodes substituted values.
 * Returns -1 (why set) when a filter cannot apply. */
static int eval(row_ctx *r, const tmpl *t, int as_iri, char *out, size_t cap, char *why, size_t wcap)
{
    size_t o = 0;
    out[0] = 0;
    for (size_t i = 0; i < t->n; i++) {
        const seg *s = &t->s[i];
        char tmp[VAL_MAX], enc[VAL_MAX * 3];
        const char *v;
        if (s->col == -1) v = s->lit;
        else {
            v = s->col == -2 ? (r->item ? r->item : "") : r->vals[s->col];
            if (*v && s->filter != F_NONE) {
                char err[200];
                if (s->filter == F_TS14) {
                    char ts[15];
                    if (rl_cl_ts_normalize(v, r->m->tz, ts, err, sizeof err) != RL_OK) {
                        snprintf(why, wcap, "%s", err);
                        return -1;
                    }
                    snprintf(tmp, sizeof tmp, "%s", ts);
                } else if (s->filter == F_UCUM) snprintf(tmp, sizeof tmp, "%s", rl_cl_unit_ucum(v));
                else if (s->filter == F_MAC) {
                    char mac[18];
                    if (rl_cl_mac_normalize(v, mac, err, sizeof err) != RL_OK) {
                        snprintf(why, wcap, "%s", err);
                        return -1;
                    }
                    snprintf(tmp, sizeof tmp, "%s", mac);
                } else if (s->filter == F_UPPER) {
                    snprintf(tmp, sizeof tmp, "%s", v);
                    for (char *p = tmp; *p; p++) *p = (char)toupper((unsigned char)*p);
                } else if (s->filter == F_DATE) snprintf(tmp, sizeof tmp, "%.10s", v);
                v = tmp;
            }
            if (as_iri) {
                rl_pct_encode(v, enc, sizeof enc);
                v = enc;
            }
        }
        size_t l = strlen(v);
        if (o + l + 1 > cap) {
            snprintf(why, wcap, "value longer than %zu bytes", cap);
            return -1;
        }
        memcpy(out + o, v, l + 1);
        o += l;
    }
    return 0;
}

/* Whether every column a template uses is non-empty (and it evaluates to text). */
static int present(row_ctx *r, const tmpl *t)
{
    int any = 0;
    for (size_t i = 0; i < t->n; i++) {
        const seg *s = &t->s[i];
        if (s->col == -1) continue;
        any = 1;
        const char *v = s->col == -2 ? (r->item ? r->item : "") : r->vals[s->col];
        if (!*v) return 0;
    }
    return any || t->n;
}

static const char *col_datatype(const mapping *m, const tmpl *t)
{
    if (t->n != 1 || t->s[0].col < 0) return NULL;
    if (t->s[0].filter != F_NONE) return NULL;
    switch (m->cols[t->s[0].col].type) {
    case T_INTEGER: return CL_XSD "integer";
    case T_DECIMAL: return CL_XSD "decimal";
    case T_DATETIME: return CL_XSD "dateTime";
    case T_DATE: return CL_XSD "date";
    case T_TIME: return CL_XSD "time";
    case T_BOOLEAN: return CL_XSD "boolean";
    }
    return NULL;
}

static void put_iri(row_ctx *r, const char *s, const char *p, const char *o)
{
    if (r->st != RL_OK) return;
    if (r->define_only) {
        if (is_lookup_pred(p)) r->st = rl_batch_lookup_define(r->b, p, s, o);
        return;
    }
    r->st = rl_batch_add_iri(r->b, s, p, o);
}

static void put_lit(row_ctx *r, const char *s, const char *p, const char *v, const char *dt, const char *lang)
{
    if (r->st != RL_OK) return;
    if (r->define_only) {
        if (is_lookup_pred(p)) r->st = rl_batch_lookup_define(r->b, p, s, v);
        return;
    }
    if (lang) {
        raptor_world *w = rl_batch_world(r->b);
        raptor_term *ts = raptor_new_term_from_uri_string(w, (const unsigned char *)s);
        raptor_term *tp = raptor_new_term_from_uri_string(w, (const unsigned char *)p);
        raptor_term *to = raptor_new_term_from_literal(w, (const unsigned char *)v, NULL, (const unsigned char *)lang);
        r->st = rl_batch_add(r->b, ts, tp, to);
        if (ts) raptor_free_term(ts);
        if (tp) raptor_free_term(tp);
        if (to) raptor_free_term(to);
        return;
    }
    r->st = rl_batch_add_lit(r->b, s, p, v, dt);
}

typedef struct all_ctx {
    row_ctx *r;
    const char *self, *p;
    int inverse;
} all_ctx;

static int put_each_subject(void *ctx, const char *s)
{
    all_ctx *a = ctx;
    if (a->inverse) put_iri(a->r, s, a->p, a->self);
    else put_iri(a->r, a->self, a->p, s);
    return a->r->st != RL_OK;
}

static void emit_prop(row_ctx *r, int ni, const prop *p)
{
    const char *self = r->iris[ni];
    char v[VAL_MAX * 3], why[300];
    if (p->has_when && !present(r, &p->when)) return;
    switch (p->kind) {
    case P_NODE:
        if (!r->live[p->node]) return;
        if (p->inverse) put_iri(r, r->iris[p->node], p->p, self);
        else put_iri(r, self, p->p, r->iris[p->node]);
        return;
    case P_VALUE:
    case P_REF:
        if (!present(r, &p->value)) return;
        if (eval(r, &p->value, p->kind == P_REF, v, sizeof v, why, sizeof why)) {
            r->st = row_reject(r, "%s: %s", p->p, why);
            return;
        }
        if (p->kind == P_REF) {
            if (p->inverse) put_iri(r, v, p->p, self);
            else put_iri(r, self, p->p, v);
        } else {
            put_lit(r, self, p->p, v, p->datatype ? p->datatype : col_datatype(r->m, &p->value), p->lang);
        }
        return;
    case P_LOOKUP:
    case P_LOOKUP_ALL: {
        if (r->define_only || !present(r, &p->value)) return;
        int as_iri = p->value.n && p->value.s[0].col == -1 &&
                     (!strncmp(p->value.s[0].lit, "urn:", 4) || !strncmp(p->value.s[0].lit, "http", 4));
        if (eval(r, &p->value, as_iri, v, sizeof v, why, sizeof why)) {
            r->st = row_reject(r, "%s: %s", p->p, why);
            return;
        }
        if (p->kind == P_LOOKUP_ALL) {
            all_ctx a = {r, self, p->p, p->inverse};
            rl_batch_lookup_subjects(r->b, p->lookup_p, v, put_each_subject, &a);
            return;
        }
        const char *target = rl_batch_lookup_subject(r->b, p->lookup_p, v);
        if (!target) {
            if (p->missing == MISS_WARN)
                rl_batch_warn(r->b, "line %zu: %s: no entity with %s \"%s\" (import its master first)", r->line, p->p, p->lookup_p, v);
            else if (p->missing == MISS_REJECT)
                r->st = row_reject(r, "%s: no entity with %s \"%s\"", p->p, p->lookup_p, v);
            return;
        }
        if (p->inverse) put_iri(r, target, p->p, self);
        else put_iri(r, self, p->p, target);
        return;
    }
    }
}

static void node_iri(row_ctx *r, int ni)
{
    const node *n = &r->m->nodes[ni];
    char f[4][VAL_MAX], why[300], err[300], key[CL_IRI_MAX];
    r->live[ni] = 0;
    if (n->has_when && !present(r, &n->when)) return;
    if (n->iri_kind == IRI_LOOKUP) {
        char v[VAL_MAX];
        if (r->define_only || !present(r, &n->iri) || eval(r, &n->iri, 0, v, sizeof v, why, sizeof why)) return;
        const char *target = rl_batch_lookup_subject(r->b, n->prefix, v);
        if (!target) {
            rl_batch_warn(r->b, "line %zu: no entity with %s \"%s\" (import its master first)", r->line, n->prefix, v);
            return;
        }
        snprintf(r->iris[ni], CL_IRI_MAX, "%s", target);
        r->live[ni] = 1;
        return;
    }
    if (n->iri_kind == IRI_TMPL) {
        if (!present(r, &n->iri)) return;
        if (eval(r, &n->iri, 1, r->iris[ni], CL_IRI_MAX, why, sizeof why)) {
            r->st = row_reject(r, "node %s: %s", n->id, why);
            return;
        }
        r->live[ni] = 1;
        return;
    }
    for (size_t k = 0; k < n->nof; k++)
        if (eval(r, &n->of[k], 0, f[k], sizeof f[k], why, sizeof why)) {
            r->st = row_reject(r, "node %s: %s", n->id, why);
            return;
        }
    rl_status st = RL_OK;
    const char *scheme = NULL;
    switch (n->iri_kind) {
    case IRI_HASH: {
        const char *fs[4] = {f[0], f[1], f[2], f[3]};
        rl_buf b;
        rl_buf_init(&b, 1 << 16);
        if ((st = rl_key_join(fs, n->nof, &b, err, sizeof err)) == RL_OK) {
            char hex[33];
            rl_sha256_hex(b.data, b.len, 16, hex);
            snprintf(r->iris[ni], CL_IRI_MAX, "%s%s", n->prefix, hex);
        }
        rl_buf_free(&b);
        break;
    }
    case IRI_DEPT:
        if (!f[0][0] || !f[1][0]) return;
        st = rl_cl_iri_department(f[0], f[1], f[2], r->iris[ni], key, err, sizeof err);
        scheme = "department: MD5(campus_id|full_name|parent_dept_code)";
        break;
    case IRI_PANEL:
        if (!f[0][0]) return;
        st = rl_cl_iri_panel(f[0], f[1], rl_cl_unit_ucum(f[2]), r->iris[ni], key, err, sizeof err);
        scheme = "panel: SHA-256(panel_name|method|unit)";
        break;
    case IRI_EPOCH:
        if (!f[0][0] || !f[1][0] || !f[2][0]) return;
        st = rl_cl_iri_epoch(f[0], f[1], f[2], r->m->tz, r->iris[ni], key, err, sizeof err);
        scheme = "channel: Base64(MAC|channel_id|calibration_ts)";
        break;
    case IRI_CHANNEL:
        if (!f[0][0] || !f[1][0]) return;
        st = rl_cl_iri_channel(f[0], f[1], r->iris[ni], err, sizeof err);
        break;
    case IRI_RESULT: {
        char ts[15];
        if (!f[0][0] || !f[1][0] || !f[3][0]) return;
        st = rl_cl_ts_normalize(f[3], r->m->tz, ts, err, sizeof err);
        if (st == RL_OK) st = rl_cl_iri_result(f[0], f[1], f[2], ts, r->iris[ni], err, sizeof err);
        break;
    }
    }
    if (st != RL_OK) {
        r->st = row_reject(r, "node %s: %s", n->id, err);
        return;
    }
    r->live[ni] = 1;
    if (scheme) {
        put_lit(r, r->iris[ni], CL_RL "alignmentKey", key, NULL, NULL);
        put_lit(r, r->iris[ni], CL_RL "alignmentKeyScheme", scheme, NULL, NULL);
    }
}

static void emit_row(row_ctx *r)
{
    static const char *const levels[] = {NULL, CL_RL "Level1", CL_RL "Level2", CL_RL "Level3"};
    const mapping *m = r->m;
    for (size_t i = 0; i < m->nnodes && r->st == RL_OK && !r->rejected; i++) node_iri(r, (int)i);
    for (size_t i = 0; i < m->nnodes && r->st == RL_OK && !r->rejected; i++) {
        if (!r->live[i]) continue;
        const node *n = &m->nodes[i];
        for (size_t t = 0; t < n->ntypes; t++) put_iri(r, r->iris[i], CL_RDF_TYPE, n->types[t]);
        if (n->level >= 1 && n->level <= 3) put_iri(r, r->iris[i], CL_RL "atLevel", levels[n->level]);
        for (size_t k = 0; k < n->nprops && r->st == RL_OK && !r->rejected; k++) {
            const prop *p = &n->props[k];
            if (p->each_col < 0) {
                r->item = NULL;
                emit_prop(r, (int)i, p);
                continue;
            }
            /* one value per whitespace-separated item of the column */
            char list[VAL_MAX];
            snprintf(list, sizeof list, "%s", r->vals[p->each_col]);
            char *save = NULL;
            size_t count = 0;
            for (char *it = strtok_r(list, " \t", &save); it && r->st == RL_OK; it = strtok_r(NULL, " \t", &save)) {
                if (++count > MAX_ITEMS) {
                    r->st = row_reject(r, "column %s: more than %d items", m->header[p->each_col], MAX_ITEMS);
                    break;
                }
                r->item = it;
                emit_prop(r, (int)i, p);
            }
            r->item = NULL;
        }
    }
}

/* Cleans, checks, canonicalises and masks the row's values; 0 or -1 (rejected). */
static int load_row(row_ctx *r, const rl_csv *c)
{
    const mapping *m = r->m;
    char why[300];
    if (c->nf != m->ncols) {
        r->st = row_reject(r, "expected %zu fields (%s, ...), found %zu", m->ncols, m->header[0], c->nf);
        return -1;
    }
    for (size_t i = 0; i < m->ncols; i++) trim_copy(c->f[i], r->vals[i]);
    r->what[0] = 0;
    if (m->record.n) {
        /* the record's name, before masking would hide it; never a masked column */
        int safe = 1;
        for (size_t i = 0; i < m->record.n; i++)
            if (m->record.s[i].col >= 0 && m->cols[m->record.s[i].col].mask != M_NONE) safe = 0;
        if (safe) eval(r, &m->record, 0, r->what, sizeof r->what, why, sizeof why);
    }
    for (size_t i = 0; i < m->ncols; i++) {
        const colspec *cs = &m->cols[i];
        char *v = r->vals[i];
        if (!*v) {
            if (cs->required) {
                r->st = row_reject(r, "column %s: a value is required", cs->name);
                return -1;
            }
            continue;
        }
        if (canon(cs, m->tz, v, why, sizeof why)) {
            r->st = row_reject(r, "column %s: %s", cs->name, why);
            return -1;
        }
        if (cs->mask != M_NONE && (r->mask || cs->mask == M_PSEUDONYM) && mask_value(cs, v) != RL_OK) {
            r->st = row_reject(r, "column %s: cannot mask the value", cs->name);
            return -1;
        }
    }
    return 0;
}

static rl_status run_pass(rl_batch *b, const mapping *m, const char *text, size_t len, int define_only)
{
    rl_csv c;
    char err[512];
    row_ctx *r = calloc(1, sizeof *r);
    if (!r) return rl_batch_error(b, RL_ERR_NOMEM, "out of memory");
    r->b = b;
    r->m = m;
    r->define_only = define_only;
    r->mask = rl_cl_masking(b);
    rl_csv_init(&c, text, len);
    rl_status st = rl_csv_next(&c, err, sizeof err); /* the header */
    while (st == RL_OK) {
        st = rl_csv_next(&c, err, sizeof err);
        if (st == RL_ERR_NOTFOUND) {
            st = RL_OK;
            break;
        }
        if (st != RL_OK) {
            if (define_only) break;
            st = rl_batch_error(b, st, "%s", err);
            break;
        }
        r->line = c.line;
        r->st = RL_OK;
        r->rejected = 0;
        if (load_row(r, &c) == 0) emit_row(r);
        if ((st = r->st) != RL_OK) break;
        if (!define_only && !r->rejected) rl_batch_record(b);
    }
    rl_csv_free(&c);
    free(r);
    return define_only && st != RL_OK && st != RL_ERR_NOMEM && st != RL_ERR_LIMIT ? RL_OK : st;
}

static rl_status csv_convert(rl_batch *b, const char *text, size_t len)
{
    const mapping *m = match_header(text, len < 65536 ? len : 65536);
    if (!m) return rl_batch_error(b, RL_ERR_INPUT, "line 1: the header row matches no mapping in %s", map_dir);
    if (!rl_cl_masking(b)) rl_batch_warn(b, "patient identifiers stored unmasked (--no-mask)");
    rl_status st = rl_batch_add_lit(b, rl_batch_graph(b), CL_RL "mapping", m->name, NULL);
    if (st == RL_OK && m->defines_lookups) st = run_pass(b, m, text, len, 1);
    if (st == RL_OK) st = run_pass(b, m, text, len, 0);
    return st;
}

const rl_input_format rl_cl_csv_format = {"csv-export", csv_sniff, csv_convert, rl_cl_lookups, csv_rank};
