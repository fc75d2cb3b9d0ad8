/* cl_astm.c: E1381 frames -> E1394 records -> fields. */
#include "cl_astm.h"

#include "arena.h"
#include "span.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { STX = 0x02, ETX = 0x03, EOT = 0x04, ENQ = 0x05, ACK = 0x06, NAK = 0x15, ETB = 0x17 };
#define FRAME_TEXT_MAX 240


/* "H|\^&": H, then four distinct delimiters that are not letters or digits. */
static int header_ok(const char *p, size_t n)
{
    if (n < 5 || p[0] != 'H') return 0;
    for (int i = 1; i < 5; i++) {
        if (isalnum((unsigned char)p[i]) || p[i] == '\r' || p[i] == '\n') return 0;
        for (int j = 1; j < i; j++)
            if (p[i] == p[j]) return 0;
    }
    return 1;
}

int rl_astm_sniff(const char *head, size_t n)
{
    while (n && (*head == ENQ || *head == STX || *head == '\r' || *head == '\n')) {
        if (*head == STX && n > 1 && isdigit((unsigned char)head[1])) head++, n--;
        head++, n--;
    }
    return header_ok(head, n);
}

typedef struct buf_rec {
    size_t start, frame;
} buf_rec;

rl_status rl_astm_parse(const char *text, size_t len, int tolerant, rl_astm_file **out, char *err,
                        size_t cap)
{
    rl_status st = RL_OK;
    rl_astm_file *f = calloc(1, sizeof *f);
    rl_arena *a = rl_arena_new(len * 2 + 4096);
    rl_buf msg; /* record text of all frames, records separated by CR */
    size_t *frame_at = NULL, nfa = 0, cfa = 0; /* frame number at each record start */
    rl_buf_init(&msg, len + 16);
    *out = NULL;
    if (!f || !a) {
        st = rl_errorf(err, cap, RL_ERR_NOMEM, "out of memory");
        goto out;
    }
    f->priv = a;
    f->framed = memchr(text, STX, len) != NULL;
    if (f->framed) {
        int expect = 1;
        size_t i = 0;
        while (i < len && st == RL_OK) {
            char c = text[i];
            if (c != STX) {
                if (c == ENQ || c == EOT || c == ACK || c == NAK || c == '\r' || c == '\n') {
                    i++;
                    continue;
                }
                st = rl_errorf(err, cap, RL_ERR_INPUT, "byte %zu: 0x%02X outside a frame; expected "
                               "<STX> to start frame %zu", i, (unsigned char)c, f->nframes + 1);
                break;
            }
            size_t fno = ++f->nframes, s = i + 1;
            if (s >= len || !isdigit((unsigned char)text[s]) || text[s] > '7') {
                st = rl_errorf(err, cap, RL_ERR_INPUT, "frame %zu: expected a frame number 0-7 after <STX>", fno);
                break;
            }
            int fn = text[s] - '0';
            if (fn != expect) {
                if (!tolerant) {
                    st = rl_errorf(err, cap, RL_ERR_INPUT, "frame %zu: frame number %d, expected %d", fno, fn, expect);
                    break;
                }
                rl_warnings_add(&f->warnings, "frame %zu: frame number %d, expected %d", fno, fn, expect);
            }
            expect = (fn + 1) % 8;
            size_t e = s + 1;
            while (e < len && text[e] != ETX && text[e] != ETB && text[e] != STX) e++;
            if (e >= len || text[e] == STX) {
                st = rl_errorf(err, cap, RL_ERR_INPUT, "frame %zu: no <ETX> or <ETB> before %s", fno,
                               e >= len ? "the end of the input" : "the next <STX>");
                break;
            }
            unsigned sum = 0;
            for (size_t k = s; k <= e; k++) sum += (unsigned char)text[k];
            char want[3];
            snprintf(want, sizeof want, "%02X", sum & 0xFF);
            if (e + 2 >= len || strncasecmp(text + e + 1, want, 2)) {
                st = rl_errorf(err, cap, RL_ERR_INPUT, "frame %zu: checksum '%.2s', expected %s",
                               fno, e + 2 < len ? text + e + 1 : "", want);
                break;
            }
            size_t tlen = e - s - 1;
            if (tlen > FRAME_TEXT_MAX + 2) {
                if (!tolerant) {
                    st = rl_errorf(err, cap, RL_ERR_INPUT, "frame %zu: %zu characters of text, the "
                                   "limit is 240", fno, tlen);
                    break;
                }
                rl_warnings_add(&f->warnings, "frame %zu: %zu characters of text (over 240)", fno, tlen);
            }
            const char *ft = text + s + 1;
            /* record starts in this frame: at its start unless the previous frame
             * ended with ETB, and after every CR inside its text */
            int several = 0;
            for (size_t k = 0; k <= tlen && st == RL_OK; k++) {
                int starts = k == 0 ? (!msg.len || msg.data[msg.len - 1] == '\r')
                                    : (ft[k - 1] == '\r' && k < tlen && ft[k] != '\n');
                if (!starts) continue;
                if (k > 0) several = 1;
                if (nfa == cfa) {
                    size_t nc = cfa ? cfa * 2 : 64;
                    size_t *n2 = realloc(frame_at, nc * sizeof *n2);
                    if (!n2) {
                        st = RL_ERR_NOMEM;
                        break;
                    }
                    frame_at = n2, cfa = nc;
                }
                frame_at[nfa++] = fno;
            }
            if (st != RL_OK) break;
            if (several) {
                if (!tolerant) {
                    st = rl_errorf(err, cap, RL_ERR_INPUT, "frame %zu: holds more than one record", fno);
                    break;
                }
                rl_warnings_add(&f->warnings, "frame %zu: holds more than one record", fno);
            }
            if ((st = rl_buf_append(&msg, ft, tlen)) != RL_OK) break;
            if (text[e] == ETX && (!msg.len || msg.data[msg.len - 1] != '\r'))
                st = rl_buf_append(&msg, "\r", 1);
            size_t after = e + 3;
            if (after + 1 < len && text[after] == '\r' && text[after + 1] == '\n')
                after += 2;
            else {
                if (!tolerant) {
                    st = rl_errorf(err, cap, RL_ERR_INPUT, "frame %zu: expected <CR><LF> after the checksum", fno);
                    break;
                }
                if (after < len && (text[after] == '\n' || text[after] == '\r')) after++;
                rl_warnings_add(&f->warnings, "frame %zu: frame does not end with <CR><LF>", fno);
            }
            i = after;
        }
    } else {
        if (!tolerant) {
            st = rl_errorf(err, cap, RL_ERR_INPUT, "no <STX> frames: expected ASTM E1381 framing");
            goto out;
        }
        rl_warnings_add(&f->warnings, "unframed record file (no <STX> frames): one record per line");
        for (size_t i = 0; i < len && st == RL_OK; i++) {
            char c = text[i] == '\n' ? '\r' : text[i];
            if (c == '\r' && i + 1 < len && text[i] == '\r' && text[i + 1] == '\n') i++;
            st = rl_buf_append(&msg, &c, 1);
        }
    }
    if (st != RL_OK) goto out;
    /* records: split at CR */
    size_t cr = 0, ri = 0;
    for (size_t i = 0, start = 0; i <= msg.len && st == RL_OK; i++) {
        if (i < msg.len && msg.data[i] != '\r') continue;
        const char *p = (const char *)msg.data + start;
        size_t n = i - start;
        size_t fr = f->framed && ri < nfa ? frame_at[ri] : 0;
        start = i + 1;
        while (n && (p[n - 1] == '\n' || p[n - 1] == ' ')) n--;
        while (n && (*p == '\n')) p++, n--;
        if (!n) continue;
        ri++;
        if (f->nrecs == cr) {
            size_t nc = cr ? cr * 2 : 64;
            rl_astm_rec *r2 = realloc(f->recs, nc * sizeof *r2);
            if (!r2) { st = RL_ERR_NOMEM; break; }
            f->recs = r2, cr = nc;
        }
        rl_astm_rec *r = &f->recs[f->nrecs];
        r->type = p[0];
        r->number = f->nrecs + 1;
        r->frame = fr;
        r->len = n;
        r->text = rl_arena_strndup(a, p, n);
        if (!r->text) { st = rl_errorf(err, cap, RL_ERR_LIMIT, "input too large"); break; }
        if (f->nrecs == 0) {
            if (!header_ok(p, n)) {
                st = rl_errorf(err, cap, RL_ERR_INPUT, "record 1%s: '%.20s' is not an H (header) "
                               "record; expected 'H' followed by the four delimiters, e.g. H|\\^&",
                               f->framed ? " (frame 1)" : "", p);
                break;
            }
            f->fd = p[1], f->rd = p[2], f->cd = p[3], f->ed = p[4];
        } else if (!strchr("HPORCMQLS", r->type) || (n > 1 && p[1] != f->fd)) {
            if (!tolerant || n < 2 || p[1] != f->fd) {
                st = rl_errorf(err, cap, RL_ERR_INPUT, "record %zu (frame %zu): type '%c' followed by "
                               "'%c'; expected one of H P O R C M Q L S and the field delimiter '%c'",
                               r->number, fr, p[0], n > 1 ? p[1] : ' ', f->fd);
                break;
            }
            rl_warnings_add(&f->warnings, "record %zu: unknown record type '%c'", r->number, r->type);
        }
        f->nrecs++;
    }
    if (st == RL_OK && f->nrecs == 0)
        st = rl_errorf(err, cap, RL_ERR_INPUT, "no records: expected an H (header) record first");
    if (st == RL_OK && f->recs[f->nrecs - 1].type != 'L') rl_warnings_add(&f->warnings, "the last record is not an L (terminator)");
out:
    rl_buf_free(&msg);
    free(frame_at);
    if (st != RL_OK) {
        if (st == RL_ERR_NOMEM) rl_errorf(err, cap, st, "out of memory");
        if (f) f->priv = a;
        else rl_arena_free(a);
        rl_astm_free(f);
        return st;
    }
    *out = f;
    return RL_OK;
}

void rl_astm_free(rl_astm_file *f)
{
    if (!f) return;
    rl_warnings_clear(&f->warnings);
    free(f->recs);
    rl_arena_free(f->priv);
    free(f);
}



rl_status rl_astm_value(const rl_astm_file *f, const rl_astm_rec *r, int field, int rep, int comp,
                        rl_buf *out)
{
    rl_buf_clear(out);
    if (field < 1) return rl_buf_append(out, "", 0);
    rl_span s = {r->text, r->len};
    if (r->type == 'H' && field == 2) return rl_buf_append(out, r->text + 1, r->len > 4 ? 4 : r->len - 1);
    rl_span v = rl_span_piece(s, f->fd, (size_t)field - 1);
    if (rep > 0) v = rl_span_piece(v, f->rd, (size_t)rep - 1);
    if (comp > 0) v = rl_span_piece(v, f->cd, (size_t)comp - 1);
    rl_status st = RL_OK;
    for (size_t i = 0; i < v.n && st == RL_OK; i++) {
        const char *end = v.p[i] == f->ed ? memchr(v.p + i + 1, f->ed, v.n - i - 1) : NULL;
        if (!end) {
            st = rl_buf_append(out, v.p + i, 1);
            continue;
        }
        rl_span e = {v.p + i + 1, (size_t)(end - v.p - i - 1)};
        int ok = 1;
        if (e.n == 1 && strchr("FSRE", e.p[0])) {
            char c = e.p[0] == 'F' ? f->fd : e.p[0] == 'S' ? f->cd : e.p[0] == 'R' ? f->rd : f->ed;
            st = rl_buf_append(out, &c, 1);
        } else if (e.n >= 3 && e.p[0] == 'X' && (e.n - 1) % 2 == 0) {
            for (size_t k = 1; k < e.n && ok; k++) ok = rl_hex_digit(e.p[k]) >= 0;
            for (size_t k = 1; ok && k < e.n && st == RL_OK; k += 2) {
                unsigned char b = (unsigned char)(rl_hex_digit(e.p[k]) * 16 + rl_hex_digit(e.p[k + 1]));
                st = rl_buf_append(out, &b, 1);
            }
        } else {
            ok = 0;
        }
        if (!ok && st == RL_OK) st = rl_buf_append(out, v.p + i, e.n + 2);
        i += e.n + 1;
    }
    if (st == RL_OK && !out->data) st = rl_buf_append(out, "", 0);
    return st;
}
