/* cl_graph.c: clinical IRIs and small shared helpers. */
#include "cl_graph.h"

#include "cl_keys.h"
#include "mask.h"
#include "keys.h"
#include "span.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const rl_cl_lookups[] = {CL_CLIN "deptLookupKey", CL_LAB "panelCode",
                                     CL_INST "channelLookupKey", CL_LAB "loinc",
                                     CL_LAB "unit urn:rootline:lab:test:", CL_LAB "hasMember",
                                     CL_LAB "localCode", NULL};

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

int rl_cl_is_decimal(const char *s)
{
    if (!s || !*s) return 0;
    const char *p = s;
    if (*p == '-' || *p == '+') p++;
    int digits = 0, dot = 0;
    for (; *p; p++) {
        if (*p >= '0' && *p <= '9') digits++;
        else if (*p == '.' && !dot) dot = 1;
        else return 0;
    }
    return digits > 0;
}

static void add_iri(rl_batch *b, rl_status *st, const char *s, const char *p, const char *o)
{
    if (*st == RL_OK) *st = rl_batch_add_iri(b, s, p, o);
}

static void add_lit(rl_batch *b, rl_status *st, const char *s, const char *p, const char *v, const char *dt)
{
    if (*st == RL_OK && v && *v) *st = rl_batch_add_lit(b, s, p, v, dt);
}

rl_status rl_cl_emit_sample(rl_batch *b, const char *id, int qc, const char *type,
                            const char *patient_iri, char *iri)
{
    rl_status st = rl_cl_iri_code("urn:rootline:lab:sample:", id, iri);
    if (st != RL_OK) return rl_batch_error(b, st, "sample id '%.60s' empty or too long", id ? id : "");
    add_iri(b, &st, iri, CL_RDF_TYPE, qc ? CL_LAB "QcSample" : CL_LAB "Specimen");
    add_iri(b, &st, iri, CL_RDF_TYPE, CL_SOSA "Sample");
    add_lit(b, &st, iri, CL_LAB "sampleId", id, NULL);
    add_lit(b, &st, iri, CL_LAB "specimenType", type, NULL);
    if (patient_iri && *patient_iri) add_iri(b, &st, iri, CL_LAB "patient", patient_iri);
    return st;
}

rl_status rl_cl_emit_result(rl_batch *b, const rl_cl_result *r, int tz, char *iri, int *no_channel,
                            char *err, size_t cap)
{
    char sample[CL_IRI_MAX], test[CL_IRI_MAX], an[CL_IRI_MAX], when[32], key[600];
    rl_status st = rl_cl_iri_result(r->sample_id, r->test_code, r->instrument, r->ts14, iri, err, cap);
    if (st != RL_OK) return st;
    if (rl_cl_iri_code("urn:rootline:lab:sample:", r->sample_id, sample) != RL_OK ||
        rl_cl_iri_code("urn:rootline:lab:test:", r->test_code, test) != RL_OK) {
        snprintf(err, cap, "sample id or test code too long");
        return RL_ERR_INPUT;
    }
    rl_cl_ts14_iso(r->ts14, tz, when);
    add_iri(b, &st, iri, CL_RDF_TYPE, CL_LAB "Result");
    add_iri(b, &st, iri, CL_RDF_TYPE, CL_RL "Observation");
    add_iri(b, &st, iri, CL_RDF_TYPE, CL_SOSA "Observation");
    add_iri(b, &st, iri, CL_LAB "specimen", sample);
    add_iri(b, &st, iri, CL_LAB "test", test);
    add_lit(b, &st, iri, CL_LAB "value", r->value, rl_cl_is_decimal(r->value) ? CL_XSD "decimal" : NULL);
    if (r->unit && *r->unit) add_lit(b, &st, iri, CL_LAB "unit", rl_cl_unit_ucum(r->unit), NULL);
    add_lit(b, &st, iri, CL_LAB "referenceRange", r->ref_range, NULL);
    add_lit(b, &st, iri, CL_LAB "flag", r->flag, NULL);
    add_lit(b, &st, iri, CL_LAB "resultStatus", r->status, NULL);
    add_lit(b, &st, iri, CL_SOSA "resultTime", when, CL_XSD "dateTime");
    add_lit(b, &st, iri, CL_LAB "operator", r->operator_id, NULL);
    if (r->unreliable) {
        add_lit(b, &st, iri, CL_RL "unreliable", "true", CL_XSD "boolean");
        add_lit(b, &st, iri, CL_LAB "unreliableReason", r->unreliable, NULL);
    }
    if (r->instrument && *r->instrument && rl_cl_iri_code("urn:rootline:inst:analyzer:", r->instrument, an) == RL_OK) {
        add_iri(b, &st, iri, CL_INST "analyzer", an);
        snprintf(key, sizeof key, "%.250s|test:%.250s", r->instrument, r->test_code);
        const char *ch = rl_batch_lookup_subject(b, CL_INST "channelLookupKey", key);
        if (ch) add_iri(b, &st, iri, CL_INST "channel", ch);
        else if (no_channel) *no_channel = 1;
    }
    return st;
}

rl_status rl_cl_emit_patient(rl_batch *b, const char *local_id, const char *national_id,
                             const char *phone, const char *sex, char *iri)
{
    const char *id = local_id && *local_id ? local_id : national_id;
    iri[0] = 0;
    if (!id || !*id) return RL_OK;
    char ps[40];
    rl_cl_pseudonym(id, ps);
    snprintf(iri, CL_IRI_MAX, "urn:rootline:lab:patient:%s", ps);
    int mask = rl_cl_masking(b);
    rl_status st = RL_OK;
    rl_buf m;
    rl_buf_init(&m, 1024);
    add_iri(b, &st, iri, CL_RDF_TYPE, CL_LAB "Patient");
    if (national_id && *national_id) {
        if (mask && st == RL_OK && (st = rl_mask_national_id(national_id, &m)) == RL_OK)
            add_lit(b, &st, iri, CL_LAB "nationalIdMasked", (const char *)m.data, NULL);
        if (!mask) add_lit(b, &st, iri, CL_LAB "nationalId", national_id, NULL);
    }
    rl_buf_clear(&m);
    if (phone && *phone) {
        if (mask && st == RL_OK && (st = rl_mask_phone(phone, &m)) == RL_OK)
            add_lit(b, &st, iri, CL_LAB "phoneMasked", (const char *)m.data, NULL);
        if (!mask) add_lit(b, &st, iri, CL_LAB "phone", phone, NULL);
    }
    if (!mask && local_id && *local_id) add_lit(b, &st, iri, CL_LAB "patientId", local_id, NULL);
    add_lit(b, &st, iri, CL_LAB "sex", sex, NULL);
    rl_buf_free(&m);
    return st;
}
