/* keys.c: trim + NFC + '|' join, digests through OpenSSL, charsets through iconv. */
#include "keys.h"

#include "span.h"

#include <errno.h>
#include <iconv.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

static int is_space(utf8proc_int32_t cp)
{
    if (cp == 9 || cp == 10 || cp == 11 || cp == 12 || cp == 13) return 1;
    utf8proc_category_t c = utf8proc_category(cp);
    return c == UTF8PROC_CATEGORY_ZS || c == UTF8PROC_CATEGORY_ZL || c == UTF8PROC_CATEGORY_ZP;
}

rl_status rl_key_field(const char *in, size_t n, rl_buf *out, char *err, size_t cap)
{
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)in;
    size_t start = 0, end = 0, i = 0;
    int seen = 0;
    while (i < n) { /* validate, and find the first and last non-space code point */
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(n - i), &cp);
        if (k <= 0)
            return rl_errorf(err, cap, RL_ERR_INPUT, "key field is not valid UTF-8 at byte %zu", i);
        if (cp == '|')
            return rl_errorf(err, cap, RL_ERR_INPUT,
                             "key field contains '|', the key separator (byte %zu)", i);
        if (!is_space(cp)) {
            if (!seen) start = i;
            seen = 1;
            end = i + (size_t)k;
        }
        i += (size_t)k;
    }
    if (!seen) return RL_OK; /* empty after trimming: an empty field */
    utf8proc_uint8_t *nfc = NULL;
    utf8proc_ssize_t r = utf8proc_map(p + start, (utf8proc_ssize_t)(end - start), &nfc,
                                      UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    if (r < 0) {
        free(nfc);
        return rl_errorf(err, cap, RL_ERR_INPUT, "key field: %s", utf8proc_errmsg(r));
    }
    rl_status st = rl_buf_append(out, nfc, (size_t)r);
    free(nfc);
    return st == RL_OK ? st : rl_errorf(err, cap, st, "key too long");
}

rl_status rl_key_join(const char *const *fields, size_t nfields, rl_buf *out, char *err,
                      size_t cap)
{
    rl_buf_clear(out);
    for (size_t i = 0; i < nfields; i++) {
        rl_status st;
        if (i && (st = rl_buf_append(out, "|", 1)) != RL_OK)
            return rl_errorf(err, cap, st, "key too long");
        const char *f = fields[i] ? fields[i] : "";
        if ((st = rl_key_field(f, strlen(f), out, err, cap)) != RL_OK) return st;
    }
    if (!out->data) return rl_buf_append(out, "", 0);
    return RL_OK;
}

static rl_status digest_hex(const EVP_MD *md, const char *const *fields, size_t nfields,
                            char *hex, char *err, size_t cap)
{
    rl_buf b;
    rl_buf_init(&b, (size_t)1 << 20);
    rl_status st = rl_key_join(fields, nfields, &b, err, cap);
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (st == RL_OK && !EVP_Digest(b.data, b.len, d, &n, md, NULL))
        st = rl_errorf(err, cap, RL_ERR_INTERNAL, "digest unavailable");
    if (st == RL_OK) rl_hex_encode(d, n, hex);
    rl_buf_free(&b);
    return st;
}

rl_status rl_key_md5(const char *const *fields, size_t nfields, char hex[33], char *err,
                     size_t cap)
{
    return digest_hex(EVP_md5(), fields, nfields, hex, err, cap);
}

rl_status rl_key_sha256(const char *const *fields, size_t nfields, char hex[65], char *err,
                        size_t cap)
{
    return digest_hex(EVP_sha256(), fields, nfields, hex, err, cap);
}

rl_status rl_key_base64(const char *const *fields, size_t nfields, rl_buf *out, char *err,
                        size_t cap)
{
    rl_buf b;
    rl_buf_init(&b, (size_t)1 << 20);
    rl_status st = rl_key_join(fields, nfields, &b, err, cap);
    rl_buf_clear(out);
    if (st == RL_OK) st = rl_buf_reserve(out, 4 * ((b.len + 2) / 3) + 1);
    if (st == RL_OK) {
        int n = EVP_EncodeBlock(out->data, b.data, (int)b.len);
        out->len = n > 0 ? (size_t)n : 0;
        out->data[out->len] = 0;
    }
    rl_buf_free(&b);
    return st;
}

rl_status rl_text_to_utf8(const char *charset, const char *in, size_t n, rl_buf *out, char *err,
                          size_t cap)
{
    iconv_t cd = iconv_open("UTF-8", charset);
    if (cd == (iconv_t)-1)
        return rl_errorf(err, cap, RL_ERR_UNSUPPORTED, "unknown character set '%s'", charset);
    rl_status st = RL_OK;
    char *ip = (char *)in;
    size_t left = n;
    while (left > 0 && st == RL_OK) {
        if ((st = rl_buf_reserve(out, left * 4 + 16)) != RL_OK) break;
        char *op = (char *)out->data + out->len;
        size_t room = out->cap - out->len - 1, before = room;
        size_t r = iconv(cd, &ip, &left, &op, &room);
        out->len += before - room;
        out->data[out->len] = 0;
        if (r == (size_t)-1 && errno != E2BIG)
            st = rl_errorf(err, cap, RL_ERR_INPUT, "invalid %s byte sequence at byte %zu", charset,
                           (size_t)(ip - in));
    }
    iconv_close(cd);
    return st;
}

void rl_sha256_hex(const void *data, size_t n, size_t nbytes, char *out)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!EVP_Digest(data, n, md, &len, EVP_sha256(), NULL)) len = 0;
    memset(md + len, 0, sizeof md - len);
    rl_hex_encode(md, nbytes <= 32 ? nbytes : 32, out);
}
