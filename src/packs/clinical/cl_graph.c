/* cl_graph.c: clinical IRIs and small shared helpers. */
#include "cl_graph.h"

#include "cl_keys.h"
#include "keys.h"
#include "span.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const rl_cl_lookups[] = {CL_CLIN "deptLookupKey", CL_LAB "panelCode",
                                     CL_INST "channelLookupKey", CL_LAB "loinc",
                                     CL_LAB "unit", CL_LAB "hasMember", NULL};

rl_status rl_cl_iri_code(const char *prefix, const char *code, char *out)
{
    size_t pl = strlen(prefix);
    if (!code || !*code || pl >= CL_IRI_MAX) return RL_ERR_INPUT;
    memcpy(out, prefix, pl);
    size_t need = rl_pct_encode(code, out + pl, CL_IRI_MAX - pl);
    return need >= CL_IRI_MAX - pl ? RL_ERR_INPUT : RL_OK;
}

rl_status rl_cl_iri_result(const char *sample, const char *test, const char *instrument,
                           const char *ts14, char *out, char *err, size_t cap)
{
    const char *f[4] = {sample, test, instrument ? instrument : "", ts14};
    rl_buf b;
    rl_buf_init(&b, 1 << 16);
    rl_status st = rl_key_join(f, 4, &b, err, cap);
    if (st == RL_OK) {
        char hex[33];
        rl_sha256_hex(b.data, b.len, 16, hex);
        snprintf(out, CL_IRI_MAX, "urn:rootline:lab:result:%s", hex);
    }
    rl_buf_free(&b);
    return st;
}

rl_status rl_cl_iri_department(const char *campus, const char *name, const char *parent, char *out,
                               char *key, char *err, size_t cap)
{
    rl_status st = rl_cl_department_key(campus, name, parent ? parent : "", key, err, cap);
    if (st == RL_OK) snprintf(out, CL_IRI_MAX, "urn:rootline:clin:department:%s", key);
    return st;
}

rl_status rl_cl_iri_panel(const char *name, const char *method, const char *unit, char *out,
                          char *key, char *err, size_t cap)
{
    rl_status st = rl_cl_panel_key(name, method ? method : "", unit ? unit : "", key, err, cap);
    if (st == RL_OK) snprintf(out, CL_IRI_MAX, "urn:rootline:lab:panel:%s", key);
    return st;
}

rl_status rl_cl_iri_epoch(const char *mac, const char *channel, const char *ts, int tz_minutes,
                          char *out, char *key, char *err, size_t cap)
{
    rl_buf b;
    rl_buf_init(&b, CL_IRI_MAX);
    rl_status st = rl_cl_channel_key(mac, channel, ts, tz_minutes, &b, err, cap);
    if (st == RL_OK && b.len + 32 >= CL_IRI_MAX) st = RL_ERR_INPUT;
    if (st == RL_OK) {
        snprintf(key, CL_IRI_MAX, "%s", (const char *)b.data);
        /* Base64url in the IRI ('/' and '+' are not welcome there) */
        char url[CL_IRI_MAX];
        size_t n = 0;
        for (const char *p = key; *p && *p != '='; p++) url[n++] = *p == '+' ? '-' : *p == '/' ? '_' : *p;
        url[n] = 0;
        snprintf(out, CL_IRI_MAX, "urn:rootline:inst:epoch:%.440s", url);
    }
    rl_buf_free(&b);
    return st;
}

rl_status rl_cl_iri_channel(const char *mac, const char *channel, char *out, char *err, size_t cap)
{
    char m[18], enc[256];
    rl_status st = rl_cl_mac_normalize(mac, m, err, cap);
    if (st != RL_OK) return st;
    if (!channel || !*channel || rl_pct_encode(channel, enc, sizeof enc) >= sizeof enc) {
        snprintf(err, cap, "channel id empty or too long");
        return RL_ERR_INPUT;
    }
    snprintf(out, CL_IRI_MAX, "urn:rootline:inst:channel:%s/%.200s", m, enc);
    return RL_OK;
}

void rl_cl_pseudonym(const char *id, char out[40])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    const char *key = getenv("ROOTLINE_PSEUDONYM_KEY");
    if (key && *key) {
        HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)id, strlen(id), md, &n);
    } else {
        EVP_MD_CTX *c = EVP_MD_CTX_new();
        if (c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) &&
            EVP_DigestUpdate(c, "rootline-patient|", 17) && EVP_DigestUpdate(c, id, strlen(id)))
            EVP_DigestFinal_ex(c, md, &n);
        EVP_MD_CTX_free(c);
    }
    out[0] = 'p', out[1] = '-';
    rl_hex_encode(md, n >= 16 ? 16 : n, out + 2);
}

int rl_cl_masking(rl_batch *b)
{
    const char *v = rl_batch_param(b, "mask");
    return !(v && !strcmp(v, "off"));
}

int rl_cl_tz(rl_batch *b)
{
    const char *v = rl_batch_param(b, "tz");
    int m = 480;
    if (v && rl_cl_parse_tz(v, &m) != 0) m = 480;
    return m;
}

void rl_cl_ts14_iso(const char *t, int tz, char *out)
{
    char sign = tz < 0 ? '-' : '+';
    int a = tz < 0 ? -tz : tz;
    snprintf(out, 32, "%.4s-%.2s-%.2sT%.2s:%.2s:%.2s%c%02d:%02d", t, t + 4, t + 6, t + 8, t + 10,
             t + 12, sign, a / 60, a % 60);
}
