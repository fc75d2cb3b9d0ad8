/* results.c: W3C result formats written from librdf result sets. */
#include "results.h"

#include "buf.h"

#include <jansson.h>
#include <utf8proc.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    rl_format f;
    const char *mime;
} formats[] = {
    {"json", RL_FMT_JSON, "application/sparql-results+json"},
    {"xml", RL_FMT_XML, "application/sparql-results+xml"},
    {"csv", RL_FMT_CSV, "text/csv; charset=utf-8"},
    {"tsv", RL_FMT_TSV, "text/tab-separated-values; charset=utf-8"},
    {"table", RL_FMT_TABLE, "text/plain; charset=utf-8"},
    {"turtle", RL_FMT_TURTLE, "text/turtle"},
    {"ntriples", RL_FMT_NTRIPLES, "application/n-triples"},
    {"nquads", RL_FMT_NQUADS, "application/n-quads"},
    {"rdfxml", RL_FMT_RDFXML, "application/rdf+xml"},
};

rl_status rl_format_parse(const char *name, rl_format *out)
{
    for (size_t i = 0; i < sizeof formats / sizeof *formats; i++)
        if (!strcmp(name, formats[i].name)) {
            *out = formats[i].f;
            return RL_OK;
        }
    return RL_ERR_USAGE;
}

const char *rl_format_mime(rl_format f)
{
    for (size_t i = 0; i < sizeof formats / sizeof *formats; i++)
        if (formats[i].f == f) return formats[i].mime;
    return "application/octet-stream";
}

int rl_format_is_graph(rl_format f)
{
    return f >= RL_FMT_TURTLE;
}

/* ---- term helpers ------------------------------------------------------- */
static const char *lit_dt(raptor_term *t)
{
    return t->value.literal.datatype
               ? (const char *)raptor_uri_as_string(t->value.literal.datatype)
               : NULL;
}

static void xml_escape(FILE *out, const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        default: fputc(s[i], out);
        }
    }
}

static json_t *term_json(raptor_term *t)
{
    json_t *o = json_object();
    if (!o) return NULL;
    switch (t->type) {
    case RAPTOR_TERM_TYPE_URI:
        json_object_set_new(o, "type", json_string("uri"));
        json_object_set_new(o, "value",
                            json_string((const char *)raptor_uri_as_string(t->value.uri)));
        break;
    case RAPTOR_TERM_TYPE_BLANK:
        json_object_set_new(o, "type", json_string("bnode"));
        json_object_set_new(o, "value", json_stringn((const char *)t->value.blank.string,
                                                     t->value.blank.string_len));
        break;
    case RAPTOR_TERM_TYPE_LITERAL:
        json_object_set_new(o, "type", json_string("literal"));
        json_object_set_new(o, "value", json_stringn((const char *)t->value.literal.string,
                                                     t->value.literal.string_len));
        if (lit_dt(t)) json_object_set_new(o, "datatype", json_string(lit_dt(t)));
        else if (t->value.literal.language)
            json_object_set_new(o, "xml:lang",
                                json_string((const char *)t->value.literal.language));
        break;
    default:
        break;
    }
    return o;
}

static void xml_term(FILE *out, raptor_term *t)
{
    if (t->type == RAPTOR_TERM_TYPE_URI) {
        size_t n;
        const unsigned char *s = raptor_uri_as_counted_string(t->value.uri, &n);
        fputs("<uri>", out);
        xml_escape(out, s, n);
        fputs("</uri>", out);
    } else if (t->type == RAPTOR_TERM_TYPE_BLANK) {
        fputs("<bnode>", out);
        xml_escape(out, t->value.blank.string, t->value.blank.string_len);
        fputs("</bnode>", out);
    } else {
        fputs("<literal", out);
        if (lit_dt(t)) {
            fputs(" datatype=\"", out);
            xml_escape(out, (const unsigned char *)lit_dt(t), strlen(lit_dt(t)));
            fputc('"', out);
        } else if (t->value.literal.language) {
            fputs(" xml:lang=\"", out);
            xml_escape(out, t->value.literal.language, t->value.literal.language_len);
            fputc('"', out);
        }
        fputc('>', out);
        xml_escape(out, t->value.literal.string, t->value.literal.string_len);
        fputs("</literal>", out);
    }
}

/* The plain string value of a term for CSV and the table. */
static void term_plain(raptor_term *t, rl_buf *b)
{
    size_t n;
    if (t->type == RAPTOR_TERM_TYPE_URI) {
        const unsigned char *s = raptor_uri_as_counted_string(t->value.uri, &n);
        rl_buf_append(b, s, n);
    } else if (t->type == RAPTOR_TERM_TYPE_BLANK) {
        rl_buf_puts(b, "_:");
        rl_buf_append(b, t->value.blank.string, t->value.blank.string_len);
    } else {
        rl_buf_append(b, t->value.literal.string, t->value.literal.string_len);
    }
}

static void csv_field(FILE *out, const unsigned char *s, size_t n)
{
    int quote = 0;
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    if (!quote) {
        fwrite(s, 1, n, out);
        return;
    }
    fputc('"', out);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') fputc('"', out);
        fputc(s[i], out);
    }
    fputc('"', out);
}

/* Terminal columns a UTF-8 string occupies (CJK is two wide). */
static size_t display_width(const unsigned char *s, size_t n)
{
    size_t w = 0;
    while (n > 0) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(s, (utf8proc_ssize_t)n, &cp);
        if (k <= 0) { /* invalid byte: count it as one column */
            k = 1;
            w++;
        } else {
            int cw = utf8proc_charwidth(cp);
            w += cw > 0 ? (size_t)cw : 0;
        }
        s += k;
        n -= (size_t)k;
    }
    return w;
}

/* ---- bindings ----------------------------------------------------------- */
typedef struct table_rows {
    rl_buf cells; /* all cells, NUL-separated */
    size_t *width;
    int nvars;
} table_rows;

#define RL_MAX_VARS 1024

/* One row of bindings; vals[i] may be NULL (unbound). */
static rl_status write_row(const char *const *names, rl_format fmt, FILE *out, int nv, librdf_node **vals,
                           rl_buf *cell, table_rows *tab, uint64_t index, char *err, size_t cap)
{
    rl_status st = RL_OK;
    json_t *row = fmt == RL_FMT_JSON ? json_object() : NULL;
    if (fmt == RL_FMT_XML) fputs("  <result>\n", out);
    for (int i = 0; i < nv; i++) {
        librdf_node *v = i < RL_MAX_VARS ? vals[i] : NULL;
        const char *name = names[i];
        if (fmt == RL_FMT_JSON && v) json_object_set_new(row, name, term_json(v));
        else if (fmt == RL_FMT_XML && v) {
            fputs("    <binding name=\"", out);
            xml_escape(out, (const unsigned char *)name, strlen(name));
            fputs("\">", out);
            xml_term(out, v);
            fputs("</binding>\n", out);
        } else if (fmt == RL_FMT_CSV) {
            if (i) fputc(',', out);
            if (v) {
                rl_buf_clear(cell);
                term_plain(v, cell);
                csv_field(out, cell->data, cell->len);
            }
        } else if (fmt == RL_FMT_TSV) {
            if (i) fputc('\t', out);
            if (v) { /* raptor leaves line ends and tabs raw: they would split the row */
                size_t n;
                unsigned char *s = raptor_term_to_counted_string(v, &n);
                for (size_t k = 0; s && k < n; k++) {
                    if (s[k] == '\n') fputs("\\n", out);
                    else if (s[k] == '\r') fputs("\\r", out);
                    else if (s[k] == '\t') fputs("\\t", out);
                    else fputc(s[k], out);
                }
                raptor_free_memory(s);
            }
        } else if (fmt == RL_FMT_TABLE) {
            rl_buf_clear(cell);
            if (v) term_plain(v, cell);
            size_t dw = cell->len ? display_width(cell->data, cell->len) : 0;
            if (dw > tab->width[i]) tab->width[i] = dw;
            if (rl_buf_append(&tab->cells, cell->data ? cell->data : (unsigned char *)"", cell->len) != RL_OK ||
                rl_buf_append(&tab->cells, "", 1) != RL_OK)
                st = rl_errorf(err, cap, RL_ERR_LIMIT, "table output over 1 GiB: use csv");
        }
    }
    if (row) {
        if (index) fputc(',', out);
        json_dumpf(row, out, JSON_COMPACT);
        json_decref(row);
    }
    if (fmt == RL_FMT_XML) fputs("  </result>\n", out);
    if (fmt == RL_FMT_CSV) fputs("\r\n", out);
    if (fmt == RL_FMT_TSV) fputc('\n', out);
    return st;
}

static rl_status write_bindings(librdf_world *world, librdf_query_results *res, rl_format fmt, FILE *out,
                                const rl_write_limits *lim, uint64_t max_rows, uint64_t *rows, char *err,
                                size_t cap)
{
    int nv = librdf_query_results_get_bindings_count(res);
    rl_status st = RL_OK;
    const char *names[RL_MAX_VARS];
    if (nv > RL_MAX_VARS) nv = RL_MAX_VARS;
    int col[RL_MAX_VARS]; /* result column of each variable written */
    int all = nv;
    const char *all_names[RL_MAX_VARS];
    nv = 0;
    for (int i = 0; i < all; i++) { /* the rewrite layer's own variables are never written */
        const char *n = librdf_query_results_get_binding_name(res, i);
        all_names[i] = n;
        if (n && strncmp(n, RL_HIDDEN_VAR_PREFIX, sizeof RL_HIDDEN_VAR_PREFIX - 1)) names[nv] = n, col[nv++] = i;
    }
    if (all <= 0 && lim && lim->var_names) /* librdf lists no variables when nothing matched */
        for (nv = 0; lim->var_names[nv] && nv < RL_MAX_VARS; nv++) names[nv] = lim->var_names[nv], col[nv] = nv;
    rl_buf cell;
    table_rows tab = {{0}, NULL, nv};
    rl_buf_init(&cell, 0);
    rl_buf_init(&tab.cells, (size_t)1 << 30);
    if (nv < 0) nv = 0;
    if (fmt == RL_FMT_TABLE && !(tab.width = calloc((size_t)nv + 1, sizeof *tab.width)))
        return rl_errorf(err, cap, RL_ERR_NOMEM, "out of memory");
    /* header */
    if (fmt == RL_FMT_JSON) {
        json_t *vars = json_array();
        for (int i = 0; i < nv; i++)
            json_array_append_new(vars, json_string(names[i]));
        fputs("{\"head\":{\"vars\":", out);
        json_dumpf(vars, out, JSON_COMPACT | JSON_ENCODE_ANY);
        fputs("},\"results\":{\"bindings\":[", out);
        json_decref(vars);
    } else if (fmt == RL_FMT_XML) {
        fputs("<?xml version=\"1.0\"?>\n<sparql xmlns=\"http://www.w3.org/2005/sparql-results#\">\n"
              "<head>\n", out);
        for (int i = 0; i < nv; i++) {
            const char *n = names[i];
            fputs("  <variable name=\"", out);
            xml_escape(out, (const unsigned char *)n, strlen(n));
            fputs("\"/>\n", out);
        }
        fputs("</head>\n<results>\n", out);
    } else {
        for (int i = 0; i < nv; i++) {
            const char *n = names[i];
            if (fmt == RL_FMT_CSV) fprintf(out, "%s%s", i ? "," : "", n);
            else if (fmt == RL_FMT_TSV) fprintf(out, "%s?%s", i ? "\t" : "", n);
            else {
                rl_buf_puts(&tab.cells, n);
                rl_buf_append(&tab.cells, "", 1);
                tab.width[i] = display_width((const unsigned char *)n, strlen(n));
            }
        }
        if (fmt == RL_FMT_CSV) fputs("\r\n", out);
        else if (fmt == RL_FMT_TSV) fputc('\n', out);
    }
    /* rows */
    *rows = 0;
    for (; !librdf_query_results_finished(res); librdf_query_results_next(res)) {
        if (*rows >= max_rows) {
            st = rl_errorf(err, cap, RL_ERR_LIMIT,
                           "result has more than %llu rows (the row limit); output is incomplete",
                           (unsigned long long)max_rows);
            break;
        }
        librdf_node *vals[RL_MAX_VARS];
        if (lim && lim->compute && all > 0) { /* every column, computed ones filled in */
            librdf_node *row[RL_MAX_VARS];
            for (int i = 0; i < all; i++) row[i] = librdf_query_results_get_binding_value(res, i);
            int keep = 1;
            st = lim->compute(lim->compute_ctx, world, all_names, row, all, &keep);
            for (int i = 0; i < nv; i++) vals[i] = row[col[i]], row[col[i]] = NULL;
            for (int i = 0; i < all; i++)
                if (row[i]) librdf_free_node(row[i]);
            if (st == RL_OK && keep != 1) { /* filtered out, or past the LIMIT */
                for (int i = 0; i < nv; i++)
                    if (vals[i]) librdf_free_node(vals[i]);
                if (keep < 0) break;
                continue;
            }
            if (st != RL_OK) {
                rl_errorf(err, cap, st, "computing a projected expression failed");
                for (int i = 0; i < nv; i++)
                    if (vals[i]) librdf_free_node(vals[i]);
                break;
            }
        } else {
            for (int i = 0; i < nv && i < RL_MAX_VARS; i++) vals[i] = librdf_query_results_get_binding_value(res, col[i]);
        }
        st = write_row(names, fmt, out, nv, vals, &cell, &tab, *rows, err, cap);
        for (int i = 0; i < nv && i < RL_MAX_VARS; i++)
            if (vals[i]) librdf_free_node(vals[i]);
        (*rows)++;
        if (st != RL_OK) break;
    }
    if (st == RL_OK && *rows == 0 && lim && lim->empty_names) { /* the one row of an aggregate */
        librdf_node *vals[RL_MAX_VARS] = {NULL};
        librdf_world *w = world;
        for (int i = 0; i < nv && i < RL_MAX_VARS; i++) {
            const char *name = names[i];
            for (size_t k = 0; lim->empty_names[k]; k++)
                if (!strcmp(lim->empty_names[k], name) && lim->empty_values[k] != RL_EMPTY_UNBOUND) {
                    librdf_uri *dt = lim->empty_values[k] == RL_EMPTY_ZERO
                                         ? librdf_new_uri(w, (const unsigned char *)"http://www.w3.org/2001/XMLSchema#integer")
                                         : NULL;
                    vals[i] = librdf_new_node_from_typed_literal(w, (const unsigned char *)(dt ? "0" : ""), NULL, dt);
                    if (dt) librdf_free_uri(dt);
                }
        }
        st = write_row(names, fmt, out, nv, vals, &cell, &tab, 0, err, cap);
        for (int i = 0; i < nv && i < RL_MAX_VARS; i++)
            if (vals[i]) librdf_free_node(vals[i]);
        (*rows)++;
    }
    if (fmt == RL_FMT_JSON) fputs("]}}\n", out);
    else if (fmt == RL_FMT_XML) fputs("</results>\n</sparql>\n", out);
    else if (fmt == RL_FMT_TABLE) {
        const char *p = (const char *)tab.cells.data;
        for (uint64_t r = 0; p && r <= *rows; r++) {
            for (int i = 0; i < nv; i++) {
                size_t n = strlen(p), dw = display_width((const unsigned char *)p, n);
                fprintf(out, "%s%s%*s", i ? " | " : "", p, (int)(tab.width[i] - dw), "");
                p += n + 1;
            }
            fputc('\n', out);
            if (r == 0) {
                for (int i = 0; i < nv; i++) {
                    fputs(i ? "-+-" : "", out);
                    for (size_t k = 0; k < tab.width[i]; k++) fputc('-', out);
                }
                fputc('\n', out);
            }
        }
        fprintf(out, "(%llu row%s)\n", (unsigned long long)*rows, *rows == 1 ? "" : "s");
    }
    rl_buf_free(&cell);
    rl_buf_free(&tab.cells);
    free(tab.width);
    return st;
}

static rl_status write_boolean(librdf_query_results *res, rl_format fmt, FILE *out)
{
    int b = librdf_query_results_get_boolean(res) > 0;
    const char *v = b ? "true" : "false";
    switch (fmt) {
    case RL_FMT_JSON: fprintf(out, "{\"head\":{},\"boolean\":%s}\n", v); break;
    case RL_FMT_XML:
        fprintf(out, "<?xml version=\"1.0\"?>\n<sparql xmlns=\"http://www.w3.org/2005/"
                     "sparql-results#\">\n<head/>\n<boolean>%s</boolean>\n</sparql>\n", v);
        break;
    case RL_FMT_CSV: fprintf(out, "_askResult\r\n%s\r\n", v); break;
    case RL_FMT_TSV: fprintf(out, "?_askResult\n%s\n", v); break;
    default: fprintf(out, "%s\n", v); break;
    }
    return RL_OK;
}

static const char *serializer_name(rl_format f)
{
    switch (f) {
    case RL_FMT_TURTLE: return "turtle";
    case RL_FMT_NQUADS: return "nquads";
    case RL_FMT_RDFXML: return "rdfxml";
    default: return "ntriples";
    }
}

static rl_status write_graph(librdf_world *w, librdf_query_results *res, rl_format fmt,
                             FILE *out, uint64_t max_rows, uint64_t *rows, char *err, size_t cap)
{
    rl_status st = RL_OK;
    librdf_stream *s = librdf_query_results_as_stream(res);
    if (!s) return rl_errorf(err, cap, RL_ERR_INTERNAL, "graph result has no stream");
    raptor_world *rw = librdf_world_get_raptor(w);
    raptor_serializer *ser = raptor_new_serializer(rw, serializer_name(fmt));
    raptor_iostream *ios = raptor_new_iostream_to_file_handle(rw, out);
    if (!ser || !ios || raptor_serializer_start_to_iostream(ser, NULL, ios)) {
        st = rl_errorf(err, cap, RL_ERR_INTERNAL, "cannot start the %s serializer",
                       serializer_name(fmt));
        goto out;
    }
    *rows = 0;
    for (; !librdf_stream_end(s); librdf_stream_next(s)) {
        if (*rows >= max_rows) {
            st = rl_errorf(err, cap, RL_ERR_LIMIT,
                           "result has more than %llu triples (the row limit); output is incomplete",
                           (unsigned long long)max_rows);
            break;
        }
        raptor_serializer_serialize_statement(ser, librdf_stream_get_object(s));
        (*rows)++;
    }
    raptor_serializer_serialize_end(ser);
out:
    if (ser) raptor_free_serializer(ser);
    if (ios) raptor_free_iostream(ios);
    librdf_free_stream(s);
    return st;
}

rl_status rl_results_write(librdf_world *w, librdf_query_results *res, rl_format fmt, FILE *out,
                           const rl_write_limits *lim, uint64_t *rows, char *err, size_t cap)
{
    uint64_t max = lim && lim->max_rows ? lim->max_rows : 10000000ull;
    *rows = 0;
    if (librdf_query_results_is_graph(res)) {
        if (!rl_format_is_graph(fmt))
            return rl_errorf(err, cap, RL_ERR_USAGE,
                             "a graph result needs a graph format (turtle, ntriples, nquads, rdfxml)");
        return write_graph(w, res, fmt, out, max, rows, err, cap);
    }
    if (rl_format_is_graph(fmt))
        return rl_errorf(err, cap, RL_ERR_USAGE,
                         "a SELECT/ASK result needs json, xml, csv, tsv or table");
    if (librdf_query_results_is_boolean(res)) return write_boolean(res, fmt, out);
    return write_bindings(w, res, fmt, out, lim, max, rows, err, cap);
}
