/* cl_hl7.c: HL7 v2 framing, encoding characters, charsets, field access. */
#include "cl_hl7.h"

#include "arena.h"
#include "span.h"
#include "keys.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


int rl_hl7_sniff(const char *head, size_t n)
{
    for (;;) { /* MLLP start, blank space and '#' comment lines before the first segment */
        while (n && (*head == 0x0B || *head == '\r' || *head == '\n' || *head == ' ')) head++, n--;
        if (!n || *head != '#') break;
        while (n && *head != '\n' && *head != '\r') head++, n--;
    }
    return n >= 8 && (!memcmp(head, "MSH", 3) || !memcmp(head, "FHS", 3) || !memcmp(head, "BHS", 3)) &&
           !isalnum((unsigned char)head[3]);
}

/* The n-th piece of s split at sep (0-based); empty if absent. */


/* Checks MSH-1/MSH-2 and fills the separators.  ver is MSH-12. */
static rl_status msh_encoding(rl_hl7_msg *m, rl_span msh, size_t segno, char *err, size_t cap)
{
    if (msh.n < 8) return rl_errorf(err, cap, RL_ERR_INPUT, "segment %zu (MSH): too short", segno);
    m->fs = msh.p[3];
    const char *enc = msh.p + 4, *e = memchr(enc, m->fs, msh.n - 4);
    size_t ne = e ? (size_t)(e - enc) : msh.n - 4;
    rl_span ver = rl_span_piece((rl_span){msh.p, msh.n}, m->fs, 11);
    int v27 = ver.n >= 3 && (ver.p[0] > '2' || (ver.p[0] == '2' && ver.n >= 3 && ver.p[2] >= '7'));
    if (ne < 3 || ne > 5 || (ne == 5 && !v27))
        return rl_errorf(err, cap, RL_ERR_INPUT,
                         "segment %zu (MSH): MSH-2 has %zu encoding characters; expected 3 or 4 "
                         "(5, with truncation, from v2.7)", segno, ne);
    char all[6] = {m->fs, 0, 0, 0, 0, 0};
    for (size_t i = 0; i < ne; i++) {
        if (isalnum((unsigned char)enc[i]) || enc[i] == '\r' || enc[i] == '\n')
            return rl_errorf(err, cap, RL_ERR_INPUT, "segment %zu (MSH): MSH-2 '%.*s': encoding "
                             "characters must not be letters, digits or line ends", segno, (int)ne, enc);
        for (size_t j = 0; j <= i; j++)
            if (all[j] == enc[i])
                return rl_errorf(err, cap, RL_ERR_INPUT, "segment %zu (MSH): MSH-2 '%.*s': "
                                 "encoding characters must all differ", segno, (int)ne, enc);
        all[i + 1] = enc[i];
    }
    m->cs = enc[0];
    m->rs = enc[1];
    m->es = enc[2];
    m->ss = ne > 3 ? enc[3] : 0;
    m->tc = ne > 4 ? enc[4] : 0;
    return RL_OK;
}

/* MSH-18 (first repetition) -> iconv name; "" for ASCII/UTF-8 (no decoding). */
static rl_status charset_of(const rl_hl7_msg *m, rl_span msh, size_t segno, char *out, size_t outcap,
                            char *err, size_t cap)
{
    rl_span f = rl_span_piece(msh, m->fs, 17);
    rl_span cs = rl_span_piece(f, m->rs, 0);
    char v[64];
    snprintf(v, sizeof v, "%.*s", (int)(cs.n < 63 ? cs.n : 63), cs.p);
    static const struct {
        const char *hl7, *iconv;
    } map[] = {{"", ""}, {"ASCII", ""}, {"UNICODE UTF-8", ""}, {"UTF-8", ""},
               {"GB 18030-2000", "GB18030"}, {"GB18030", "GB18030"}, {"8859/1", "ISO-8859-1"},
               {"8859/15", "ISO-8859-15"}, {"UNICODE", "UTF-16"}, {NULL, NULL}};
    for (int i = 0; map[i].hl7; i++)
        if (!strcmp(v, map[i].hl7)) {
            snprintf(out, outcap, "%s", map[i].iconv);
            return RL_OK;
        }
    return rl_errorf(err, cap, RL_ERR_UNSUPPORTED,
                     "segment %zu (MSH): MSH-18 character set '%s' is not supported (ASCII, "
                     "UNICODE UTF-8, GB 18030-2000, 8859/1)", segno, v);
}

typedef struct raw_seg {
    rl_span s;
    size_t number;
} raw_seg;


rl_status rl_hl7_parse(const char *text, size_t len, rl_hl7_file **out, char *err, size_t cap)
{
    return rl_hl7_parse_ex(text, len, 0, out, err, cap);
}

/* keep_bad: records a refused message (the error text is in err). */
static rl_status bad_add(rl_hl7_file *f, size_t *cap_bad, size_t no, const char *why)
{
    if (rl_array_grow((void **)&f->bad, cap_bad, f->nbad + 1, sizeof *f->bad, (size_t)1 << 20))
        return RL_ERR_LIMIT;
    f->bad[f->nbad].number = no;
    snprintf(f->bad[f->nbad].why, sizeof f->bad[0].why, "%s", why);
    f->nbad++;
    return RL_OK;
}

rl_status rl_hl7_parse_ex(const char *text, size_t len, int keep_bad, rl_hl7_file **out, char *err,
                          size_t cap)
{
    size_t cbad = 0, comments = 0;
    int skipping = 0; /* inside a refused message */
    rl_status st = RL_OK;
    rl_hl7_file *f = calloc(1, sizeof *f);
    rl_arena *a = rl_arena_new(len * 4 + 4096);
    raw_seg *raw = NULL;
    size_t nraw = 0, craw = 0, cseg = 0, cmsg = 0;
    char *clean = malloc(len + 1);
    *out = NULL;
    if (!f || !a || !clean) {
        st = rl_errorf(err, cap, RL_ERR_NOMEM, "out of memory");
        goto out;
    }
    f->priv = a;
    /* MLLP: drop start-of-block (0x0B) and end-of-block (0x1C) bytes */
    size_t cl = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == 0x0B || text[i] == 0x1C) {
            f->mllp = 1;
            continue;
        }
        clean[cl++] = text[i];
    }
    /* segments: CR, LF or CRLF ends */
    int lf = 0;
    for (size_t i = 0, start = 0, number = 0; i <= cl; i++) {
        if (i < cl && clean[i] != '\r' && clean[i] != '\n') continue;
        if (i < cl && clean[i] == '\n') lf = 1;
        if (i < cl && clean[i] == '\r' && i + 1 < cl && clean[i + 1] == '\n') lf = 1;
        rl_span s = {clean + start, i - start};
        if (i < cl && clean[i] == '\r' && i + 1 < cl && clean[i + 1] == '\n') i++;
        start = i + 1;
        while (s.n && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t')) s.n--;
        if (!s.n) continue;
        if (rl_array_grow((void **)&raw, &craw, nraw + 1, sizeof *raw, (size_t)1 << 24)) {
            st = rl_errorf(err, cap, RL_ERR_NOMEM, "out of memory");
            goto out;
        }
        raw[nraw].s = s;
        raw[nraw].number = ++number;
        nraw++;
    }
    if (lf) rl_warnings_add(&f->warnings, "segments end with LF or CRLF, not CR as HL7 v2 requires");
    rl_hl7_msg *cur = NULL;
    rl_buf dec;
    rl_buf_init(&dec, (size_t)64 << 20);
    for (size_t k = 0; k < nraw && st == RL_OK; k++) {
        rl_span s = raw[k].s;
        size_t no = raw[k].number;
        if (keep_bad && s.p[0] == '#') {
            comments++;
            continue;
        }
        if (skipping && !(s.n >= 3 && (!memcmp(s.p, "MSH", 3) || !memcmp(s.p, "FHS", 3) || !memcmp(s.p, "BHS", 3))))
            continue;
        skipping = 0;
        int ok = s.n >= 3;
        for (int i = 0; ok && i < 3; i++) ok = isupper((unsigned char)s.p[i]) || isdigit((unsigned char)s.p[i]);
        if (!ok || (s.n > 3 && isalnum((unsigned char)s.p[3]))) {
            st = rl_errorf(err, cap, RL_ERR_INPUT, "segment %zu: '%.*s' does not start with a "
                           "segment id (3 upper-case letters or digits, then the field separator)",
                           no, (int)(s.n < 20 ? s.n : 20), s.p);
            break;
        }
        if (!memcmp(s.p, "FHS", 3) || !memcmp(s.p, "BHS", 3) || !memcmp(s.p, "BTS", 3) ||
            !memcmp(s.p, "FTS", 3)) {
            f->envelope_segments++;
            cur = NULL; /* a batch envelope ends the message before it */
            continue;
        }
        if (!memcmp(s.p, "MSH", 3)) {
            if (rl_array_grow((void **)&f->msgs, &cmsg, f->nmsgs + 1, sizeof *f->msgs, (size_t)1 << 24)) {
                st = rl_errorf(err, cap, RL_ERR_NOMEM, "out of memory");
                break;
            }
            cur = &f->msgs[f->nmsgs++];
            memset(cur, 0, sizeof *cur);
            if ((st = msh_encoding(cur, s, no, err, cap)) == RL_OK)
                st = charset_of(cur, s, no, cur->charset, sizeof cur->charset, err, cap);
            if (st != RL_OK && keep_bad && (st == RL_ERR_INPUT || st == RL_ERR_UNSUPPORTED)) {
                f->nmsgs--;
                cur = NULL;
                skipping = 1;
                if ((st = bad_add(f, &cbad, no, err)) != RL_OK) {
                    rl_errorf(err, cap, st, "too many refused messages");
                    break;
                }
                continue;
            }
            if (st != RL_OK) break;
            cur->first = f->nsegs;
        } else if (!cur) {
            st = rl_errorf(err, cap, RL_ERR_INPUT, "segment %zu (%.3s): comes before any MSH; "
                           "expected MSH to start a message", no, s.p);
            break;
        }
        /* decode to UTF-8 per MSH-18 */
        rl_buf_clear(&dec);
        if (cur->charset[0]) {
            char e2[256];
            if ((st = rl_text_to_utf8(cur->charset, s.p, s.n, &dec, e2, sizeof e2)) != RL_OK) {
                rl_errorf(err, cap, st, "segment %zu (%.3s): %s", no, s.p, e2);
                if (keep_bad && st == RL_ERR_INPUT) { /* drop the whole message */
                    size_t msh_no = f->segs && cur->nsegs ? f->segs[cur->first].number : no;
                    f->nsegs = cur->first;
                    f->nmsgs--;
                    cur = NULL;
                    skipping = 1;
                    if ((st = bad_add(f, &cbad, msh_no, err)) != RL_OK) {
                        rl_errorf(err, cap, st, "too many refused messages");
                        break;
                    }
                    continue;
                }
                break;
            }
        } else if (rl_buf_append(&dec, s.p, s.n) != RL_OK) {
            st = rl_errorf(err, cap, RL_ERR_LIMIT, "segment %zu: longer than 64 MiB", no);
            break;
        }
        if (rl_array_grow((void **)&f->segs, &cseg, f->nsegs + 1, sizeof *f->segs, (size_t)1 << 24)) {
            st = rl_errorf(err, cap, RL_ERR_NOMEM, "out of memory");
            break;
        }
        rl_hl7_seg *sg = &f->segs[f->nsegs++];
        memcpy(sg->id, s.p, 3);
        sg->id[3] = 0;
        sg->len = dec.len;
        sg->text = rl_arena_strndup(a, dec.data ? (const char *)dec.data : "", dec.len);
        sg->number = no;
        if (!sg->text) {
            st = rl_errorf(err, cap, RL_ERR_LIMIT, "input too large");
            break;
        }
        cur->nsegs++;
    }
    rl_buf_free(&dec);
    if (comments) rl_warnings_add(&f->warnings, "%zu comment line(s) starting with '#' skipped", comments);
    if (st == RL_OK && f->nmsgs == 0 && f->nbad == 0)
        st = rl_errorf(err, cap, RL_ERR_INPUT, "no HL7 v2 message: expected segments starting with MSH");
out:
    free(raw);
    free(clean);
    if (st != RL_OK) {
        if (f) f->priv = a;
        else rl_arena_free(a);
        rl_hl7_free(f);
        return st;
    }
    *out = f;
    return RL_OK;
}

void rl_hl7_free(rl_hl7_file *f)
{
    if (!f) return;
    rl_warnings_clear(&f->warnings);
    free(f->segs);
    free(f->msgs);
    free(f->bad);
    rl_arena_free(f->priv);
    free(f);
}


rl_status rl_hl7_unescape(const rl_hl7_msg *m, const char *raw, size_t n, rl_buf *out)
{
    rl_status st = RL_OK;
    for (size_t i = 0; i < n && st == RL_OK; i++) {
        const char *end = raw[i] == m->es ? memchr(raw + i + 1, m->es, n - i - 1) : NULL;
        if (!end) { /* plain text, or a lone escape character kept as is */
            st = rl_buf_append(out, raw + i, 1);
            continue;
        }
        rl_span e = {raw + i + 1, (size_t)(end - raw - i - 1)};
        int handled = 1;
        if (e.n == 1 && strchr("FSTRE", e.p[0])) {
            char c = e.p[0] == 'F' ? m->fs : e.p[0] == 'S' ? m->cs : e.p[0] == 'R' ? m->rs
                   : e.p[0] == 'E' ? m->es : (m->ss ? m->ss : '&');
            st = rl_buf_append(out, &c, 1);
        } else if (e.n == 1 && (e.p[0] == 'H' || e.p[0] == 'N')) {
            /* highlighting on/off: formatting only */
        } else if (e.n >= 3 && e.p[0] == 'X' && (e.n - 1) % 2 == 0) {
            for (size_t k = 1; k < e.n && handled; k++) handled = rl_hex_digit(e.p[k]) >= 0;
            for (size_t k = 1; handled && k + 1 < e.n + 1 && st == RL_OK; k += 2) {
                unsigned char b = (unsigned char)(rl_hex_digit(e.p[k]) * 16 + rl_hex_digit(e.p[k + 1]));
                st = rl_buf_append(out, &b, 1);
            }
        } else if (e.n >= 3 && e.p[0] == '.') { /* .br .sp: line breaks; .in .ti .fi .nf .ce */
            if (!strncmp(e.p, ".br", 3) || !strncmp(e.p, ".sp", 3)) st = rl_buf_append(out, "\n", 1);
        } else {
            handled = 0;
        }
        if (!handled && st == RL_OK) /* an unknown escape is kept literally */
            st = rl_buf_append(out, raw + i, e.n + 2);
        i += e.n + 1;
    }
    if (st == RL_OK && !out->data) st = rl_buf_append(out, "", 0);
    return st;
}

static rl_span field_span(const rl_hl7_msg *m, const rl_hl7_seg *s, int field)
{
    rl_span seg = {s->text, s->len};
    if (!strcmp(s->id, "MSH")) {
        if (field == 1) return (rl_span){s->text + 3, 1};
        return rl_span_piece(seg, m->fs, (size_t)field - 1);
    }
    return rl_span_piece(seg, m->fs, (size_t)field);
}

size_t rl_hl7_repetitions(const rl_hl7_msg *m, const rl_hl7_seg *s, int field)
{
    rl_span f = field_span(m, s, field);
    if (!strcmp(s->id, "MSH") && field <= 2) return f.n ? 1 : 0;
    return rl_span_count(f, m->rs);
}

rl_status rl_hl7_value(const rl_hl7_msg *m, const rl_hl7_seg *s, int field, int rep, int comp,
                       int sub, rl_buf *out)
{
    rl_buf_clear(out);
    if (field < 1) return rl_buf_append(out, "", 0);
    rl_span f = field_span(m, s, field);
    if (!strcmp(s->id, "MSH") && field <= 2) return rl_buf_append(out, f.p, f.n);
    if (rep > 0) f = rl_span_piece(f, m->rs, (size_t)rep - 1);
    if (comp > 0) f = rl_span_piece(f, m->cs, (size_t)comp - 1);
    if (sub > 0 && m->ss) f = rl_span_piece(f, m->ss, (size_t)sub - 1);
    else if (sub > 1) f = (rl_span){f.p + f.n, 0};
    return rl_hl7_unescape(m, f.p, f.n, out);
}
