/* test_keys.c: alignment keys against vectors computed independently with
 * Python's hashlib/unicodedata/base64 (SPEC §3: trim, NFC, '|', digests). */
#include "cl_keys.h"
#include "keys.h"
#include "testutil.h"

static void dept(const char *campus, const char *name, const char *parent, const char *want)
{
    char hex[33], err[256];
    rl_status st = rl_cl_department_key(campus, name, parent, hex, err, sizeof err);
    if (st != RL_OK) fprintf(stderr, "%s\n", err);
    CU_ASSERT_EQUAL_FATAL(st, RL_OK);
    CU_ASSERT_STRING_EQUAL(hex, want);
}

static void test_department(void)
{
    dept("CN02", "检验科", "0200", "7ecfbb13238cae9b305c897c8158f1d9"); /* the SPEC's example */
    dept("CN01", "急诊科", "", "384d3750ed289b725846209bc29e3a97");    /* a root: empty parent */
    dept("CN01", "急诊科", NULL, "384d3750ed289b725846209bc29e3a97");
    /* trimmed: ASCII and ideographic spaces, tabs */
    dept(" CN02\t", "\u3000检验科 ", "0200\n", "7ecfbb13238cae9b305c897c8158f1d9");
    /* NFC: a decomposed e-acute gives the key of the composed one */
    dept("CN01", "Cafe\u0301", "", "df05e4d61cd593bf9f47bb839df05aea");
    dept("CN01", "Caf\u00e9", "", "df05e4d61cd593bf9f47bb839df05aea");
    /* not NFKC: full-width brackets stay, so the key differs from ASCII ones */
    dept("CN02", "心内科（二病区）", "0200", "d6b0a194d8fc1b61388639e260d22656");
    dept("CN02", "心内科(二病区)", "0200", "edc24f28a1451731eaf0885358d9ac73");
}

static void test_separator_and_encoding(void)
{
    char hex[33], err[256];
    /* without a separator "A"+"10X" and "A1"+"0X" would collide; with it they differ */
    const char *a[2] = {"A", "10X"}, *b[2] = {"A1", "0X"};
    char ha[33], hb[33];
    CU_ASSERT_EQUAL(rl_key_md5(a, 2, ha, err, sizeof err), RL_OK);
    CU_ASSERT_EQUAL(rl_key_md5(b, 2, hb, err, sizeof err), RL_OK);
    CU_ASSERT_STRING_NOT_EQUAL(ha, hb);
    CU_ASSERT_EQUAL(rl_cl_department_key("CN02", "a|b", "0200", hex, err, sizeof err), RL_ERR_INPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "'|'"));
    CU_ASSERT_EQUAL(rl_cl_department_key("CN02", "\xff\xfe", "0200", hex, err, sizeof err), RL_ERR_INPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "UTF-8"));
    /* GB18030 bytes of 检验科 decode to the same key */
    rl_buf u;
    rl_buf_init(&u, 0);
    CU_ASSERT_EQUAL(rl_text_to_utf8("GB18030", "\xbc\xec\xd1\xe9\xbf\xc6", 6, &u, err, sizeof err), RL_OK);
    CU_ASSERT_STRING_EQUAL((char *)u.data, "检验科");
    dept("CN02", (char *)u.data, "0200", "7ecfbb13238cae9b305c897c8158f1d9");
    rl_buf_clear(&u);
    CU_ASSERT_EQUAL(rl_text_to_utf8("GB18030", "\xbc\xec\xd1", 3, &u, err, sizeof err), RL_ERR_INPUT);
    CU_ASSERT_EQUAL(rl_text_to_utf8("NO-SUCH-CHARSET", "x", 1, &u, err, sizeof err), RL_ERR_UNSUPPORTED);
    rl_buf_free(&u);
}

static void test_panel(void)
{
    char hex[65], err[256];
    CU_ASSERT_EQUAL(rl_cl_panel_key("凝血酶原时间（PT）", "凝固法", "s", hex, err, sizeof err), RL_OK);
    CU_ASSERT_STRING_EQUAL(hex, "9bcfdfc7d5df35fc5e781a525456f1af25e15fa4af689f30f025b932b092439b");
    /* units are keyed as UCUM: 秒, sec and " s " are all "s" */
    CU_ASSERT_EQUAL(rl_cl_panel_key("凝血酶原时间（PT）", "凝固法", " 秒 ", hex, err, sizeof err), RL_OK);
    CU_ASSERT_STRING_EQUAL(hex, "9bcfdfc7d5df35fc5e781a525456f1af25e15fa4af689f30f025b932b092439b");
    CU_ASSERT_EQUAL(rl_cl_panel_key("凝血酶原时间（PT）", "凝固法", "sec", hex, err, sizeof err), RL_OK);
    CU_ASSERT_STRING_EQUAL(hex, "9bcfdfc7d5df35fc5e781a525456f1af25e15fa4af689f30f025b932b092439b");
    CU_ASSERT_EQUAL(rl_cl_panel_key("血常规", "仪器法", "10^9/L", hex, err, sizeof err), RL_OK);
    CU_ASSERT_STRING_EQUAL(hex, "42c094cc0d36230d8af4b0f60bef72b83a9a6ae2f47a7c0d7be9a9b42ae7e81e");
    CU_ASSERT_STRING_EQUAL(rl_cl_unit_ucum("S"), "S"); /* siemens is not seconds */
    CU_ASSERT_STRING_EQUAL(rl_cl_unit_ucum("mmol/l"), "mmol/L");
}

static void test_channel(void)
{
    rl_buf out;
    char err[256], m[18], t[15];
    rl_buf_init(&out, 0);
    const char *forms[] = {"00:1A:2B:3C:4D:5E", "00-1a-2b-3c-4d-5e", "001a.2b3c.4d5e", "001A2B3C4D5E", NULL};
    const char *times[] = {"20260302081500", "2026-03-02 08:15:00", "2026-03-02T08:15:00+08:00",
                           "2026-03-02T00:15:00Z", "2026-03-01T19:15:00-0500", NULL};
    for (int i = 0; forms[i]; i++)
        for (int j = 0; times[j]; j++) {
            CU_ASSERT_EQUAL(rl_cl_channel_key(forms[i], "CH1", times[j], 480, &out, err, sizeof err), RL_OK);
            CU_ASSERT_STRING_EQUAL((char *)out.data, "MDA6MUE6MkI6M0M6NEQ6NUV8Q0gxfDIwMjYwMzAyMDgxNTAw");
        }
    CU_ASSERT_EQUAL(rl_cl_channel_key("aa:bb:cc:00:11:22", "2", "2026-01-01T00:59:59+09:00", 480, &out, err, sizeof err), RL_OK);
    CU_ASSERT_STRING_EQUAL((char *)out.data, "QUE6QkI6Q0M6MDA6MTE6MjJ8MnwyMDI1MTIzMTIzNTk1OQ==");
    CU_ASSERT_EQUAL(rl_cl_mac_normalize("00:1A:2B:3C:4D", m, err, sizeof err), RL_ERR_INPUT);
    CU_ASSERT_EQUAL(rl_cl_mac_normalize("00:1A:2B:3C:4D:5G", m, err, sizeof err), RL_ERR_INPUT);
    CU_ASSERT_EQUAL(rl_cl_ts_normalize("yesterday", 480, t, err, sizeof err), RL_ERR_INPUT);
    CU_ASSERT_EQUAL(rl_cl_ts_normalize("2026-13-01T00:00:00", 480, t, err, sizeof err), RL_ERR_INPUT);
    CU_ASSERT_EQUAL(rl_cl_ts_normalize("2026-03-02T08:15:00+25:00", 480, t, err, sizeof err), RL_ERR_INPUT);
    int tz = 0;
    CU_ASSERT_EQUAL(rl_cl_parse_tz("+05:30", &tz), 0);
    CU_ASSERT_EQUAL(tz, 330);
    CU_ASSERT_EQUAL(rl_cl_parse_tz("0800", &tz), -1);
    rl_buf_free(&out);
}

int main(void)
{
    static const rl_test_case cases[] = {{"department keys", test_department},
                                         {"separator, charset, invalid input", test_separator_and_encoding},
                                         {"panel keys", test_panel},
                                         {"channel keys", test_channel},
                                         {NULL, NULL}};
    return rl_test_main("keys", cases);
}
