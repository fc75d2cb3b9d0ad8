/* metrics.c: Prometheus text format. */
#include "metrics.h"

#include <math.h>

rl_status rl_metrics_header(rl_buf *b, const char *name, const char *type, const char *help)
{
    return rl_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static rl_status label_value(rl_buf *b, const char *v)
{
    rl_status st = RL_OK;
    for (const char *p = v; *p && st == RL_OK; p++) {
        if (*p == '\\') st = rl_buf_puts(b, "\\\\");
        else if (*p == '"') st = rl_buf_puts(b, "\\\"");
        else if (*p == '\n') st = rl_buf_puts(b, "\\n");
        else st = rl_buf_append(b, p, 1);
    }
    return st;
}

rl_status rl_metrics_sample(rl_buf *b, const char *name, const char *const *labels, size_t n,
                            double value)
{
    rl_status st = rl_buf_puts(b, name);
    for (size_t i = 0; i < n && st == RL_OK; i++) {
        st = rl_buf_printf(b, "%s%s=\"", i ? "," : "{", labels[2 * i]);
        if (st == RL_OK) st = label_value(b, labels[2 * i + 1]);
        if (st == RL_OK) st = rl_buf_puts(b, "\"");
    }
    if (st == RL_OK && n) st = rl_buf_puts(b, "}");
    if (st != RL_OK) return st;
    if (isnan(value)) return rl_buf_puts(b, " NaN\n");
    if (value == floor(value) && fabs(value) < 1e15) return rl_buf_printf(b, " %.0f\n", value);
    if (fabs(value) < 1e15) return rl_buf_printf(b, " %.6f\n", value);
    return rl_buf_printf(b, " %.17g\n", value);
}
