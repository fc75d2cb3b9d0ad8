/* sparql_value.c: numbers and term order for rootline's own expression
 * evaluation (sparql_value.h). */
#include "sparql_value.h"

#include "vocab.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const int_types[] = {"integer",
                                        "int",
                                        "long",
                                        "short",
                                        "byte",
                                        "nonNegativeInteger",
                                        "positiveInteger",
                                        "nonPositiveInteger",
                                        "negativeInteger",
                                        "unsignedLong",
                                        "unsignedInt",
                                        "unsignedShort",
                                        "unsignedByte"};

/* The datatype (after the xsd: namespace) and lexical form of an encoded
 * rl_val_xsd literal; NULL when it is none. */
const char *rl_val_xsd(const char *v, const char **lex)
{
    if (!v || v[0] != 'T') return NULL;
    const char *s = strchr(v, RL_VAL_SEP);
    size_t ns = strlen(RL_NS_XSD);
    if (!s || strncmp(v + 1, RL_NS_XSD, ns)) return NULL;
    *lex = s + 1;
    return v + 1 + ns;
}

static size_t dt_len(const char *dt)
{
    return (size_t)(strchr(dt, RL_VAL_SEP) - dt);
}

int rl_val_xsd_is(const char *dt, const char *name)
{
    return dt_len(dt) == strlen(name) && !strncmp(dt, name, dt_len(dt));
}

int rl_num_parse_decimal(const char *p, rl_num *x, int allow_point)
{
    int neg = 0, digits = 0;
    __int128 m = 0;
    int scale = 0, point = 0;
    while (*p == ' ')
        p++;
    if (*p == '+' || *p == '-') neg = *p++ == '-';
    for (; *p; p++) {
        if (*p == '.' && allow_point && !point) {
            point = 1;
            continue;
        }
        if (!isdigit((unsigned char)*p)) break;
        if (m > ((__int128)1 << 120)) return -1; /* beyond what is exact here */
        m = m * 10 + (*p - '0');
        digits++;
        if (point) scale++;
    }
    while (*p == ' ')
        p++;
    if (*p || !digits || scale > 30) return -1;
    x->t = point || allow_point ? RL_NUM_DEC : RL_NUM_INT;
    x->m = neg ? -m : m, x->scale = scale;
    return 0;
}

/* 0 when v is a numeric literal (its value in *x), -1 otherwise. */
int rl_num_of(const char *v, rl_num *x)
{
    const char *lex, *dt = rl_val_xsd(v, &lex);
    if (!dt) return -1;
    for (size_t i = 0; i < sizeof int_types / sizeof *int_types; i++)
        if (rl_val_xsd_is(dt, int_types[i]))
            return rl_num_parse_decimal(lex, x, 0) ? -1 : (x->t = RL_NUM_INT, 0);
    if (rl_val_xsd_is(dt, "decimal")) return rl_num_parse_decimal(lex, x, 1);
    int f = rl_val_xsd_is(dt, "float");
    if (!f && !rl_val_xsd_is(dt, "double")) return -1;
    x->t = f ? RL_NUM_FLT : RL_NUM_DBL;
    if (rl_num_parse_double(lex, &x->d)) return -1;
    if (f) x->d = (float)x->d;
    return 0;
}

int rl_num_parse_double(const char *p, double *d)
{
    while (*p == ' ')
        p++;
    const char *s = p;
    if (!strncmp(p, "NaN", 3))
        p += 3, *d = NAN;
    else if (!strncmp(p + (*p == '+' || *p == '-'), "INF", 3))
        *d = *p == '-' ? -INFINITY : INFINITY, p += 3 + (*p == '+' || *p == '-');
    else { /* (+|-)? (digits (. digits?)? | . digits) ((e|E) (+|-)? digits)? */
        size_t i = *p == '+' || *p == '-', int_digits = 0, frac_digits = 0;
        while (isdigit((unsigned char)p[i]))
            i++, int_digits++;
        if (p[i] == '.')
            for (i++; isdigit((unsigned char)p[i]); i++)
                frac_digits++;
        if (!int_digits && !frac_digits) return -1;
        if (p[i] == 'e' || p[i] == 'E') {
            size_t e = ++i;
            if (p[i] == '+' || p[i] == '-') e = ++i;
            while (isdigit((unsigned char)p[i]))
                i++;
            if (i == e) return -1;
        }
        char *end;
        *d = strtod(s, &end);
        if (end != p + i) return -1;
        p += i;
    }
    while (*p == ' ')
        p++;
    return *p ? -1 : 0;
}

double rl_num_double(const rl_num *x)
{
    if (x->t >= RL_NUM_FLT) return x->d;
    double d = (double)x->m;
    for (int i = 0; i < x->scale; i++)
        d /= 10;
    return d;
}

/* m * 10^k into *out; -1 on overflow. */
static int scale_up(__int128 m, int k, __int128 *out)
{
    for (; k > 0; k--)
        if (__builtin_mul_overflow(m, 10, &m)) return -1;
    *out = m;
    return 0;
}

/* a += b with SPARQL's type promotion; -1 past what is exact here. */
int rl_num_add(rl_num *a, const rl_num *b)
{
    rl_num_type t = a->t > b->t ? a->t : b->t;
    if (t >= RL_NUM_FLT) {
        a->d = rl_num_double(a) + rl_num_double(b);
        if (t == RL_NUM_FLT) a->d = (float)a->d;
        a->t = t;
        return 0;
    }
    int sc = a->scale > b->scale ? a->scale : b->scale;
    __int128 x, y;
    if (scale_up(a->m, sc - a->scale, &x) || scale_up(b->m, sc - b->scale, &y) ||
        __builtin_add_overflow(x, y, &x))
        return -1;
    a->m = x, a->scale = sc, a->t = t;
    return 0;
}

int rl_num_sub(rl_num *a, const rl_num *b)
{
    rl_num nb = *b;
    nb.m = -nb.m, nb.d = -nb.d;
    return rl_num_add(a, &nb);
}

/* Drops trailing zero digits after the point while scale > max. */
static int scale_trim(rl_num *a, int max)
{
    while (a->scale > max && a->m % 10 == 0)
        a->m /= 10, a->scale--;
    return a->scale > max ? -1 : 0;
}

int rl_num_mul(rl_num *a, const rl_num *b)
{
    rl_num_type t = a->t > b->t ? a->t : b->t;
    if (t >= RL_NUM_FLT) {
        a->d = rl_num_double(a) * rl_num_double(b);
        if (t == RL_NUM_FLT) a->d = (float)a->d;
        a->t = t;
        return 0;
    }
    if (__builtin_mul_overflow(a->m, b->m, &a->m)) return -1;
    a->scale += b->scale, a->t = t;
    return scale_trim(a, 30);
}

#define DIV_SCALE 20 /* digits kept after the point of a decimal quotient */

int rl_num_div(rl_num *a, const rl_num *b)
{
    rl_num_type t = a->t > b->t ? a->t : b->t;
    if (t >= RL_NUM_FLT) {
        a->d = rl_num_double(a) / rl_num_double(b);
        if (t == RL_NUM_FLT) a->d = (float)a->d;
        a->t = t;
        return 0;
    }
    if (!b->m) return -1; /* integer and decimal division by zero: an error */
    /* a/b = (a.m * 10^k / b.m) * 10^-(k + a.scale - b.scale), one more digit for rounding */
    for (int target = DIV_SCALE; target >= 0; target--) {
        int k = target + b->scale - a->scale + 1;
        __int128 n = a->m, d = b->m, q;
        if (k >= 0 ? scale_up(n, k, &n) : scale_up(d, -k, &d)) continue;
        q = n / d;
        q = (q + (q < 0 ? -5 : 5)) / 10; /* half away from zero */
        a->m = q, a->scale = target, a->t = RL_NUM_DEC;
        return scale_trim(a, 30);
    }
    return -1;
}

int rl_num_cmp(const rl_num *a, const rl_num *b)
{
    if (a->t >= RL_NUM_FLT || b->t >= RL_NUM_FLT) {
        double x = rl_num_double(a), y = rl_num_double(b);
        if (isnan(x) || isnan(y)) return 2;
        return x < y ? -1 : x > y;
    }
    int sc = a->scale > b->scale ? a->scale : b->scale;
    __int128 x, y;
    if (scale_up(a->m, sc - a->scale, &x) || scale_up(b->m, sc - b->scale, &y)) {
        double p = rl_num_double(a), q = rl_num_double(b);
        return p < q ? -1 : p > q;
    }
    return x < y ? -1 : x > y;
}

static void put_int128(rl_buf *o, __int128 m)
{
    char d[48];
    int n = 0;
    unsigned __int128 u = m < 0 ? -(unsigned __int128)m : (unsigned __int128)m;
    do
        d[n++] = (char)('0' + (int)(u % 10)), u /= 10;
    while (u);
    if (m < 0) rl_buf_append(o, "-", 1);
    while (n)
        rl_buf_append(o, &d[--n], 1);
}

/* The encoding of x as a rl_val_xsd literal, in XSD's canonical form. */
rl_status rl_num_encode(rl_buf *o, const rl_num *x)
{
    static const char *const names[] = {"integer", "decimal", "float", "double"};
    rl_buf_clear(o);
    rl_buf_printf(o, "T" RL_NS_XSD "%s%c", names[x->t], RL_VAL_SEP);
    if (x->t == RL_NUM_INT) {
        put_int128(o, x->m);
    } else if (x->t == RL_NUM_DEC) {
        __int128 m = x->m;
        int sc = x->scale;
        while (sc > 0 && m % 10 == 0)
            m /= 10, sc--;
        char d[64];
        int n = 0;
        unsigned __int128 u = m < 0 ? -(unsigned __int128)m : (unsigned __int128)m;
        do
            d[n++] = (char)('0' + (int)(u % 10)), u /= 10;
        while (u || n <= sc);
        if (m < 0) rl_buf_append(o, "-", 1);
        while (n > sc)
            rl_buf_append(o, &d[--n], 1);
        rl_buf_append(o, ".", 1);
        if (!sc) rl_buf_append(o, "0", 1);
        while (n)
            rl_buf_append(o, &d[--n], 1);
    } else if (isnan(x->d)) {
        rl_buf_puts(o, "NaN");
    } else if (isinf(x->d)) {
        rl_buf_puts(o, x->d > 0 ? "INF" : "-INF");
    } else if (x->d == 0) {
        rl_buf_puts(o, signbit(x->d) ? "-0.0E0" : "0.0E0");
    } else { /* the shortest mantissa that reads back as the same value */
        char b[64];
        for (int p = 0; p <= 17; p++) {
            snprintf(b, sizeof b, "%.*e", p, x->d);
            if (x->t == RL_NUM_FLT ? strtof(b, NULL) == (float)x->d : strtod(b, NULL) == x->d)
                break;
        }
        char *e = strchr(b, 'e');
        *e = 0;
        char *frac = strchr(b, '.');
        if (frac) {
            char *z = b + strlen(b);
            while (z > frac + 2 && z[-1] == '0')
                *--z = 0;
        }
        rl_buf_printf(o, "%s%sE%d", b, frac ? "" : ".0", atoi(e + 1));
    }
    return rl_buf_append(o, "", 1);
}

/* SPARQL's ORDER BY order of two encoded terms (MIN, MAX). */
int rl_val_cmp(const char *a, const char *b)
{
    int ra = a[0] == 'B' ? 1 : a[0] == 'U' ? 2 : 3, rb = b[0] == 'B' ? 1 : b[0] == 'U' ? 2 : 3;
    if (ra != rb) return ra - rb;
    if (ra == 3) {
        rl_num x, y;
        int nx = rl_num_of(a, &x) == 0, ny = rl_num_of(b, &y) == 0;
        if (nx && ny) {
            int c = rl_num_cmp(&x, &y);
            if (c && c != 2) return c;
        } else if (nx != ny) {
            return nx ? -1 : 1;
        }
    }
    return strcmp(a, b);
}

/* The lexical form or IRI of an encoded term (NULL for a blank node). */
const char *rl_val_str(const char *v)
{
    if (v[0] == 'U' || v[0] == 'L') return v + 1;
    if (v[0] == 'G' || v[0] == 'T') {
        const char *s = strchr(v, RL_VAL_SEP);
        return s ? s + 1 : NULL;
    }
    return NULL;
}
