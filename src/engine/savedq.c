/* savedq.c: load saved queries, bind typed parameters through Raptor terms. */
#include "savedq.h"

#include "resdir.h"
#include "timefmt.h"

#include <ctype.h>
#include <dirent.h>
#include <raptor2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define MAX_QUERIES 1024
#define MAX_PARAMS 32
#define MAX_TAGS 32
#define MAX_FILE ((size_t)1 << 20)
#define MAX_DEPTH 4
#define XSD "http://www.w3.org/2001/XMLSchema#"

typedef struct q_int {
    rl_savedq pub;
    char *name, *path, *summary, *text;
    char *tags[MAX_TAGS];
    rl_savedq_param params[MAX_PARAMS];
    char *pstr[MAX_PARAMS][4]; /* owned strings of each param */
} q_int;

struct rl_savedq_set {
    q_int *q;
    size_t n;
};

static const char *const types[] = {"iri", "string", "integer", "decimal", "boolean", "date", "dateTime", NULL};

const char *rl_savedq_dir(void)
{
    static char dir[1024];
#ifdef ROOTLINE_QUERIES_DIR
    return rl_resource_dir("ROOTLINE_QUERIES", "queries", ROOTLINE_QUERIES_DIR, dir, sizeof dir);
#else
    return rl_resource_dir("ROOTLINE_QUERIES", "queries", "queries", dir, sizeof dir);
#endif
}

static void q_clear(q_int *q)
{
    free(q->name);
    free(q->path);
    free(q->summary);
    free(q->text);
    for (size_t i = 0; i < MAX_TAGS; i++) free(q->tags[i]);
    for (size_t i = 0; i < MAX_PARAMS; i++)
        for (int k = 0; k < 4; k++) free(q->pstr[i][k]);
}

void rl_savedq_free(rl_savedq_set *set)
{
    if (!set) return;
    for (size_t i = 0; i < set->n; i++) q_clear(&set->q[i]);
    free(set->q);
    free(set);
}

size_t rl_savedq_count(const rl_savedq_set *set)
{
    return set ? set->n : 0;
}

const rl_savedq *rl_savedq_at(const rl_savedq_set *set, size_t i)
{
    return set && i < set->n ? &set->q[i].pub : NULL;
}

const rl_savedq *rl_savedq_find(const rl_savedq_set *set, const char *name)
{
    for (size_t i = 0; set && i < set->n; i++)
        if (!strcmp(set->q[i].name, name)) return &set->q[i].pub;
    return NULL;
}

static char *trimdup(const char *s, size_t n)
{
    while (n && isspace((unsigned char)*s)) s++, n--;
    while (n && isspace((unsigned char)s[n - 1])) n--;
    char *d = malloc(n + 1);
    if (d) memcpy(d, s, n), d[n] = 0;
    return d;
}

/* The parameter of variable `var` (without '?'), adding it when new. */
static rl_savedq_param *param_for(q_int *q, const char *var, size_t vlen, int *full)
{
    for (size_t i = 0; i < q->pub.nparams; i++)
        if (strlen(q->params[i].var) == vlen && !strncmp(q->params[i].var, var, vlen)) return &q->params[i];
    if (q->pub.nparams == MAX_PARAMS) {
        *full = 1;
        return NULL;
    }
    size_t i = q->pub.nparams++;
    rl_savedq_param *p = &q->params[i];
    int req = !(vlen > 1 && var[1] == '_');
    const char *nm = var + (req ? 1 : 2);
    size_t nl = vlen - (size_t)(req ? 1 : 2);
    const char *type = "string";
    for (const char *const *t = types; *t; t++) {
        size_t tl = strlen(*t);
        if (nl > tl + 1 && nm[nl - tl - 1] == '_' && !strncmp(nm + nl - tl, *t, tl)) {
            type = *t;
            nl -= tl + 1;
            break;
        }
    }
    q->pstr[i][0] = trimdup(var, vlen);
    q->pstr[i][1] = trimdup(nm, nl);
    p->var = q->pstr[i][0];
    p->name = q->pstr[i][1];
    p->type = type;
    p->description = "";
    p->default_value = NULL;
    p->required = req;
    return p;
}

/* If s starts a comment, string or IRI, the text after it; else NULL. */
static const char *skip_token(const char *s)
{
    if (*s == '#') {
        while (*s && *s != '\n') s++;
        return s;
    }
    if (*s == '"' || *s == '\'') {
        char quote = *s++;
        while (*s && *s != quote) s += (*s == '\\' && s[1]) ? 2 : 1;
        return *s ? s + 1 : s;
    }
    if (*s == '<' && s[1] && !isspace((unsigned char)s[1]) && s[1] != '=') {
        const char *e = s + 1;
        while (*e && *e != '>' && !isspace((unsigned char)*e)) e++;
        if (*e == '>') return e + 1;
    }
    return NULL;
}

/* Offset just past the '{' that opens the query's WHERE group (the first
 * '{' after the keyword WHERE, else the first '{'), or 0 when none. */
static size_t group_start(const char *text)
{
    const char *s = text, *first = NULL;
    while (*s) {
        const char *n = skip_token(s);
        if (n) {
            s = n;
            continue;
        }
        if (*s == '{' && !first) first = s;
        if (!strncasecmp(s, "WHERE", 5) && (s == text || !isalnum((unsigned char)s[-1])) && !isalnum((unsigned char)s[5])) {
            const char *b = s + 5;
            while (*b && *b != '{') {
                const char *m = skip_token(b);
                b = m ? m : b + 1;
            }
            if (*b == '{') return (size_t)(b + 1 - text);
        }
        s++;
    }
    return first ? (size_t)(first + 1 - text) : 0;
}

/* Variables ?_x / $_x in the text, outside comments, strings and IRIs. */
static rl_status scan_params(q_int *q, char *err, size_t cap)
{
    const char *s = q->text;
    int full = 0;
    while (*s) {
        const char *nx = skip_token(s);
        if (nx) {
            s = nx;
            continue;
        }
        if ((*s == '?' || *s == '$') && s[1] == '_') {
            const char *v = s + 1, *e = v;
            while (isalnum((unsigned char)*e) || *e == '_' || (unsigned char)*e >= 0x80) e++;
            if (e - v > 1 && !param_for(q, v, (size_t)(e - v), &full) && full)
                return rl_errorf(err, cap, RL_ERR_LIMIT, "%s: more than %d parameters", q->path, MAX_PARAMS);
            s = e;
            continue;
        }
        s++;
    }
    return RL_OK;
}

static rl_status parse_header(q_int *q, char *err, size_t cap)
{
    const char *s = q->text;
    size_t lineno = 0;
    while (*s) {
        const char *e = strchr(s, '\n');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        lineno++;
        if (n > 2 && !strncmp(s, "#+", 2)) {
            const char *k = s + 2, *colon = memchr(k, ':', n - 2);
            if (!colon) return rl_errorf(err, cap, RL_ERR_INPUT, "%s:%zu: expected '#+ key: value'", q->path, lineno);
            char *key = trimdup(k, (size_t)(colon - k));
            char *val = trimdup(colon + 1, n - (size_t)(colon + 1 - s));
            if (!key || !val) {
                free(key);
                free(val);
                return RL_ERR_NOMEM;
            }
            rl_status st = RL_OK;
            if (!strcmp(key, "summary") && !q->summary) q->summary = val, val = NULL;
            else if (!strcmp(key, "tags")) {
                char *save = NULL;
                for (char *t = strtok_r(val, ",", &save); t && q->pub.ntags < MAX_TAGS; t = strtok_r(NULL, ",", &save))
                    q->tags[q->pub.ntags++] = trimdup(t, strlen(t));
            } else if (!strcmp(key, "params")) {
                /* the older form: "?_name (xsd:type, optional: what it is)" */
                const char *v = val, *open = strchr(val, '(');
                while (*v == '?' || *v == '$') v++;
                size_t vl = strcspn(v, " (");
                rl_savedq_param *p = NULL;
                for (size_t i = 0; i < q->pub.nparams && !p; i++)
                    if (strlen(q->params[i].var) == vl && !strncmp(q->params[i].var, v, vl)) p = &q->params[i];
                if (p && open) {
                    size_t idx = (size_t)(p - q->params);
                    if (strstr(open, "optional")) p->required = 0;
                    const char *colon2 = strchr(open, ':'), *desc = strstr(open, "optional:");
                    if (colon2 && !strncmp(colon2 - 3, "xsd", 3))
                        for (const char *const *t = types; *t; t++)
                            if (!strncmp(colon2 + 1, *t, strlen(*t)) && !isalnum((unsigned char)colon2[1 + strlen(*t)])) p->type = *t;
                    if (desc) {
                        free(q->pstr[idx][2]);
                        q->pstr[idx][2] = trimdup(desc + 9, strcspn(desc + 9, ")"));
                        if (q->pstr[idx][2]) p->description = q->pstr[idx][2];
                    }
                }
            } else if (!strncmp(key, "param ", 6) || !strncmp(key, "default ", 8)) {
                int is_default = key[0] == 'd';
                const char *pn = strchr(key, ' ') + 1;
                while (*pn == ' ') pn++;
                rl_savedq_param *p = NULL;
                for (size_t i = 0; i < q->pub.nparams && !p; i++)
                    if (!strcmp(q->params[i].name, pn) || !strcmp(q->params[i].var, pn)) p = &q->params[i];
                if (!p)
                    st = rl_errorf(err, cap, RL_ERR_INPUT, "%s:%zu: '%s' names no parameter of the query (?_%s or ?__%s)",
                                   q->path, lineno, pn, pn, pn);
                else {
                    size_t idx = (size_t)(p - q->params);
                    char **slot = &q->pstr[idx][is_default ? 3 : 2];
                    free(*slot);
                    *slot = val, val = NULL;
                    if (is_default) p->default_value = *slot;
                    else p->description = *slot;
                }
            }
            free(key);
            free(val);
            if (st != RL_OK) return st;
        } else if (n && s[0] != '#')
            break; /* the header ends at the first line of the query */
        s = e ? e + 1 : s + n;
    }
    if (!q->summary && !(q->summary = strdup(""))) return RL_ERR_NOMEM;
    return RL_OK;
}

static rl_status load_file(rl_savedq_set *set, const char *path, const char *name, char *err, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f) return rl_errorf(err, cap, RL_ERR_IO, "%s: cannot read", path);
    rl_buf b;
    rl_buf_init(&b, MAX_FILE);
    rl_status st = rl_buf_read_file(&b, f);
    fclose(f);
    if (st != RL_OK) {
        rl_buf_free(&b);
        return rl_errorf(err, cap, st, "%s: %s", path, st == RL_ERR_LIMIT ? "over 1 MiB" : "cannot read");
    }
    if (rl_savedq_find(set, name)) {
        rl_buf_free(&b);
        return rl_errorf(err, cap, RL_ERR_INPUT, "%s: a saved query named '%s' exists already", path, name);
    }
    if (set->n == MAX_QUERIES) {
        rl_buf_free(&b);
        return rl_errorf(err, cap, RL_ERR_LIMIT, "more than %d saved queries", MAX_QUERIES);
    }
    q_int *q = &set->q[set->n];
    memset(q, 0, sizeof *q);
    q->text = (char *)b.data;
    q->name = strdup(name);
    q->path = strdup(path);
    if (!q->text || !q->name || !q->path) st = RL_ERR_NOMEM;
    if (st == RL_OK) st = scan_params(q, err, cap);
    if (st == RL_OK) st = parse_header(q, err, cap);
    if (st != RL_OK) {
        if (st == RL_ERR_NOMEM) rl_errorf(err, cap, st, "out of memory");
        q_clear(q);
        return st;
    }
    q->pub.name = q->name, q->pub.path = q->path, q->pub.summary = q->summary, q->pub.text = q->text;
    q->pub.tags = (const char *const *)q->tags;
    q->pub.params = q->params;
    set->n++;
    return RL_OK;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static rl_status load_dir(rl_savedq_set *set, const char *dir, int depth, char *err, size_t cap)
{
    DIR *d = opendir(dir);
    if (!d) return rl_errorf(err, cap, RL_ERR_IO, "%s: cannot open the saved-query folder", dir);
    char *names[MAX_QUERIES];
    size_t n = 0;
    rl_status st = RL_OK;
    for (struct dirent *e; (e = readdir(d)) && n < MAX_QUERIES;)
        if (e->d_name[0] != '.' && (names[n] = strdup(e->d_name))) n++;
    closedir(d);
    qsort(names, n, sizeof *names, cmp_name); /* a stable order for listings */
    for (size_t i = 0; i < n; i++) {
        char path[2048];
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        size_t l = strlen(names[i]);
        if (st == RL_OK && !stat(path, &sb)) {
            if (S_ISDIR(sb.st_mode) && depth < MAX_DEPTH) st = load_dir(set, path, depth + 1, err, cap);
            else if (S_ISREG(sb.st_mode) && l > 3 && !strcmp(names[i] + l - 3, ".rq")) {
                names[i][l - 3] = 0;
                st = load_file(set, path, names[i], err, cap);
            }
        }
        free(names[i]);
    }
    return st;
}

rl_status rl_savedq_load(const char *dir, rl_savedq_set **out, char *err, size_t cap)
{
    rl_savedq_set *set = calloc(1, sizeof *set);
    *out = NULL;
    if (!set || !(set->q = calloc(MAX_QUERIES, sizeof *set->q))) {
        free(set);
        return rl_errorf(err, cap, RL_ERR_NOMEM, "out of memory");
    }
    rl_status st = load_dir(set, dir, 0, err, cap);
    if (st != RL_OK) {
        rl_savedq_free(set);
        return st;
    }
    *out = set;
    return RL_OK;
}

/* ---- binding ---- */

static int all_digits(const char *s)
{
    if (*s == '+' || *s == '-') s++;
    if (!*s) return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s)) return 0;
    return 1;
}

static int is_decimal(const char *s)
{
    const char *dot = strchr(s, '.');
    if (!dot) return all_digits(s);
    char head[128];
    size_t hl = (size_t)(dot - s);
    if (hl >= sizeof head) return 0;
    memcpy(head, s, hl);
    head[hl] = 0;
    return (hl == 0 || all_digits(head) || !strcmp(head, "-") || !strcmp(head, "+")) && dot[1] &&
           all_digits(dot + 1) && dot[1] != '+' && dot[1] != '-';
}

/* Checks value against the type; the datatype IRI (NULL for an IRI). */
static int type_check(const char *type, const char *v, const char **dt, const char **expected)
{
    double t;
    *dt = NULL;
    if (!strcmp(type, "iri")) {
        *expected = "an absolute IRI (scheme:...) without spaces, <, >, \", {, }, |, ^, ` or \\";
        const char *c = strchr(v, ':');
        if (!c || c == v || !isalpha((unsigned char)v[0])) return 0;
        for (const char *p = v; *p; p++)
            if ((unsigned char)*p <= 0x20 || strchr("<>\"{}|^`\\", *p)) return 0;
        return 1;
    }
    if (!strcmp(type, "string")) {
        *dt = NULL, *expected = "text";
        return 1;
    }
    if (!strcmp(type, "integer")) *dt = XSD "integer", *expected = "an integer such as 42";
    else if (!strcmp(type, "decimal")) *dt = XSD "decimal", *expected = "a decimal number such as 1.5";
    else if (!strcmp(type, "boolean")) *dt = XSD "boolean", *expected = "true or false";
    else if (!strcmp(type, "date")) *dt = XSD "date", *expected = "a date YYYY-MM-DD";
    else *dt = XSD "dateTime", *expected = "an ISO 8601 time with an offset, e.g. 2024-11-08T18:00:00+08:00";
    if (!strcmp(type, "integer")) return all_digits(v);
    if (!strcmp(type, "decimal")) return is_decimal(v);
    if (!strcmp(type, "boolean")) return !strcmp(v, "true") || !strcmp(v, "false");
    if (!strcmp(type, "date")) return strlen(v) == 10 && v[4] == '-' && v[7] == '-' && !rl_time_parse_iso(v, 0, &t, NULL);
    return strchr(v, 'T') && !rl_time_parse_iso(v, 0, &t, NULL) &&
           (strchr(v + 10, '+') || strchr(v + 10, '-') || strchr(v, 'Z'));
}

/* Appends the term of value v (type-checked) as Raptor writes it. */
static rl_status term_append(raptor_world *w, const rl_savedq_param *p, const char *v, rl_buf *out, char *err,
                             size_t cap)
{
    const char *dt, *expected;
    if (!type_check(p->type, v, &dt, &expected))
        return rl_errorf(err, cap, RL_ERR_INPUT, "parameter '%s' (%s): expected %s", p->name, p->type, expected);
    raptor_term *t = NULL;
    if (!strcmp(p->type, "iri")) {
        t = raptor_new_term_from_uri_string(w, (const unsigned char *)v);
    } else {
        raptor_uri *du = dt ? raptor_new_uri(w, (const unsigned char *)dt) : NULL;
        t = raptor_new_term_from_literal(w, (const unsigned char *)v, du, NULL);
        if (du) raptor_free_uri(du);
    }
    if (!t) return rl_errorf(err, cap, RL_ERR_INPUT, "parameter '%s': not a valid %s", p->name, p->type);
    size_t len = 0;
    unsigned char *s = raptor_term_to_counted_string(t, &len);
    raptor_free_term(t);
    if (!s) return rl_errorf(err, cap, RL_ERR_NOMEM, "out of memory");
    rl_status st = rl_buf_append(out, s, len);
    raptor_free_memory(s);
    return st;
}

rl_status rl_savedq_bind(const rl_savedq *q, const char *const *keys, const char *const *values, size_t n,
                         rl_buf *out, char *err, size_t cap)
{
    const char *val[MAX_PARAMS] = {0};
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < q->nparams && strcmp(q->params[k].name, keys[i]) && strcmp(q->params[k].var, keys[i])) k++;
        if (k == q->nparams) {
            rl_buf names;
            rl_buf_init(&names, 4096);
            for (size_t j = 0; j < q->nparams; j++) rl_buf_printf(&names, "%s%s", j ? ", " : "", q->params[j].name);
            rl_errorf(err, cap, RL_ERR_INPUT, "saved query '%s' has no parameter '%s' (it has: %s)", q->name, keys[i],
                      q->nparams ? (const char *)names.data : "none");
            rl_buf_free(&names);
            return RL_ERR_INPUT;
        }
        val[k] = values[i];
    }
    size_t bound = 0;
    for (size_t k = 0; k < q->nparams; k++) {
        if (!val[k]) val[k] = q->params[k].default_value;
        if (!val[k] && q->params[k].required)
            return rl_errorf(err, cap, RL_ERR_INPUT, "saved query '%s': parameter '%s' (%s) is required", q->name,
                             q->params[k].name, q->params[k].type);
        if (val[k]) bound++;
    }
    if (!bound) return rl_buf_puts(out, q->text);
    /* VALUES goes first in the WHERE group, so the group's FILTERs see the bindings */
    size_t at = group_start(q->text);
    rl_status st = rl_buf_append(out, q->text, at);
    raptor_world *w = raptor_new_world();
    if (!w || raptor_world_open(w)) {
        if (w) raptor_free_world(w);
        return rl_errorf(err, cap, RL_ERR_NOMEM, "out of memory");
    }
    if (st == RL_OK) st = rl_buf_puts(out, at ? " VALUES (" : "\nVALUES (");
    for (size_t k = 0; st == RL_OK && k < q->nparams; k++)
        if (val[k]) st = rl_buf_printf(out, " ?%s", q->params[k].var);
    if (st == RL_OK) st = rl_buf_puts(out, " ) { (");
    for (size_t k = 0; st == RL_OK && k < q->nparams; k++)
        if (val[k]) {
            st = rl_buf_puts(out, " ");
            if (st == RL_OK) st = term_append(w, &q->params[k], val[k], out, err, cap);
        }
    if (st == RL_OK) st = rl_buf_puts(out, at ? " ) }" : " ) }\n");
    if (st == RL_OK) st = rl_buf_puts(out, q->text + at);
    raptor_free_world(w);
    return st;
}

/* ---- descriptions ---- */

json_t *rl_savedq_json(const rl_savedq *q)
{
    json_t *o = json_object(), *tags = json_array(), *ps = json_array();
    for (size_t i = 0; i < q->ntags; i++) json_array_append_new(tags, json_string(q->tags[i]));
    for (size_t i = 0; i < q->nparams; i++) {
        const rl_savedq_param *p = &q->params[i];
        json_t *x = json_object();
        json_object_set_new(x, "name", json_string(p->name));
        json_object_set_new(x, "variable", json_string(p->var));
        json_object_set_new(x, "type", json_string(p->type));
        json_object_set_new(x, "required", json_boolean(p->required));
        json_object_set_new(x, "description", json_string(p->description));
        json_object_set_new(x, "default", p->default_value ? json_string(p->default_value) : json_null());
        json_array_append_new(ps, x);
    }
    json_object_set_new(o, "name", json_string(q->name));
    json_object_set_new(o, "summary", json_string(q->summary));
    json_object_set_new(o, "tags", tags);
    json_object_set_new(o, "parameters", ps);
    return o;
}

static json_t *schema_for(const char *type)
{
    if (!strcmp(type, "integer")) return json_pack("{s:s}", "type", "integer");
    if (!strcmp(type, "decimal")) return json_pack("{s:s}", "type", "number");
    if (!strcmp(type, "boolean")) return json_pack("{s:s}", "type", "boolean");
    if (!strcmp(type, "date")) return json_pack("{s:s,s:s}", "type", "string", "format", "date");
    if (!strcmp(type, "dateTime")) return json_pack("{s:s,s:s}", "type", "string", "format", "date-time");
    if (!strcmp(type, "iri")) return json_pack("{s:s,s:s}", "type", "string", "format", "uri");
    return json_pack("{s:s}", "type", "string");
}

json_t *rl_savedq_openapi(const rl_savedq_set *set, const char *base)
{
    json_t *paths = json_object();
    for (size_t i = 0; i < rl_savedq_count(set); i++) {
        const rl_savedq *q = rl_savedq_at(set, i);
        json_t *params = json_array(), *tags = json_array();
        for (size_t k = 0; k < q->nparams; k++) {
            const rl_savedq_param *p = &q->params[k];
            json_t *sch = schema_for(p->type);
            if (p->default_value) json_object_set_new(sch, "default", json_string(p->default_value));
            json_array_append_new(params, json_pack("{s:s,s:s,s:b,s:s,s:o}", "name", p->name, "in", "query", "required",
                                                    p->required && !p->default_value, "description", p->description,
                                                    "schema", sch));
        }
        for (size_t k = 0; k < q->ntags; k++) json_array_append_new(tags, json_string(q->tags[k]));
        json_t *resp = json_pack(
            "{s:{s:s,s:{s:{},s:{},s:{},s:{}}},s:{s:s},s:{s:s},s:{s:s}}", "200", "description", "the results",
            "content", "application/sparql-results+json", "application/sparql-results+xml", "text/csv",
            "text/tab-separated-values", "400", "description", "a parameter is missing or not of its type", "404",
            "description", "no such saved query", "503", "description", "the deadline passed or the service is busy");
        json_t *op = json_pack("{s:s,s:s,s:o,s:o,s:o}", "summary", q->summary, "operationId", q->name, "tags", tags,
                               "parameters", params, "responses", resp);
        char path[300];
        snprintf(path, sizeof path, "/queries/%s", q->name);
        json_object_set_new(paths, path, json_pack("{s:o,s:o}", "get", op, "post", json_deep_copy(op)));
        char pid[300];
        snprintf(pid, sizeof pid, "%s_post", q->name);
        json_object_set_new(json_object_get(json_object_get(paths, path), "post"), "operationId", json_string(pid));
    }
    json_t *servers = json_array();
    if (base && *base) json_array_append_new(servers, json_pack("{s:s}", "url", base));
    return json_pack("{s:s,s:{s:s,s:s,s:s},s:o,s:o}", "openapi", "3.0.3", "info", "title", "rootline saved queries",
                     "version", "1", "description",
                     "Saved, parameterised SPARQL queries; every parameter is bound as a typed RDF term.", "servers",
                     servers, "paths", paths);
}
