/* cl_cli.c: `rootline keys`. */
#include "cl_astm_import.h"
#include "cl_diag_cli.h"
#include "cl_weights_svc.h"
#include "cl_hl7_import.h"
#include "cl_keys.h"
#include "cl_map.h"
#include "cl_pack.h"
#include "keys.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int cmd_mappings(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: rootline mappings\n\nLists the CSV mapping files (data/mappings/, or "
               "$ROOTLINE_MAPPINGS): name, rank, header row.\nexit: 0, or 2 when a mapping file "
               "does not load (the message names file, line and what was expected)\n");
        return 0;
    }
    return rl_cl_mappings_list(stdout) ? 2 : 0;
}

static const rl_pack_command cl_commands[] = {
    {"keys", "print a clinical alignment key (department, panel, channel)", rl_cl_cmd_keys},
    {"mappings", "list (and check) the CSV export mappings", cmd_mappings},
    {"diagnose", "runs of results beyond their limit, each with its causal trace and hypotheses", rl_cl_cmd_diagnose},
    {"trace", "the causal trace of one run (--stream ID --at TIME)", rl_cl_cmd_trace},
    {"weights", "recompute the level weights from recent evidence and store them", rl_cl_cmd_weights},
    {NULL, NULL, NULL}};

static const rl_input_format *const cl_formats[] = {&rl_cl_hl7_format, &rl_cl_astm_format, &rl_cl_csv_format, NULL};

static const rl_pack_service *const cl_services[] = {&rl_cl_weights_service, NULL};

static const char *const trace_params[] = {"stream", "at", "as-of", "min-run", "tz", NULL};
static const char *const diagnose_params[] = {"as-of", "min-run", "tz", NULL};
static const char *const json_flag[] = {"--json", NULL};
static const rl_pack_route trace_route = {"/trace", "trace", trace_params, json_flag, "application/json", 1};
static const rl_pack_route diagnose_route = {"/diagnose", "diagnose", diagnose_params, json_flag, "application/json", 0};
static const rl_pack_route *const cl_routes[] = {&trace_route, &diagnose_route, NULL};

const rl_pack rl_clinical_pack = {"clinical", "clinical: department -> test panel -> signal channel",
                                  "clinical", cl_commands, cl_formats, cl_services, cl_routes};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: rootline keys [--charset CS] [--tz +HH:MM] department CAMPUS_ID FULL_NAME PARENT_CODE\n"
            "       rootline keys [--charset CS] panel NAME METHOD UNIT\n"
            "       rootline keys [--charset CS] [--tz +HH:MM] channel MAC CHANNEL_ID CALIBRATION_TS\n\n"
            "Prints the key alone on one line (docs/keys.md):\n"
            "  department  hex MD5 of campus|name|parent (empty PARENT_CODE \"\" for a root)\n"
            "  panel       hex SHA-256 of name|method|unit (unit mapped to UCUM: 秒, sec -> s ...)\n"
            "  channel     Base64 of MAC|channel|YYYYMMDDHHMMSS (MAC upper-case with colons;\n"
            "              an ISO 8601 time with an offset is converted to the site's time)\n"
            "Fields are trimmed and NFC-normalised, joined with '|'.\n\n"
            "  --charset CS   the arguments are in charset CS (e.g. GB18030), not UTF-8\n"
            "  --tz +HH:MM    the site's UTC offset (default +08:00)\n\n"
            "exit: 0 done, 1 usage, 2 a field is invalid (the message says which)\n");
}

int rl_cl_cmd_keys(int argc, char **argv)
{
    static const struct option opts[] = {{"charset", required_argument, 0, 'c'},
                                         {"tz", required_argument, 0, 'z'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *charset = NULL;
    int tz = 480, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': charset = optarg; break;
        case 'z':
            if (rl_cl_parse_tz(optarg, &tz)) {
                fprintf(stderr, "rootline: --tz: expected +HH:MM, -HHMM or Z\n");
                return 1;
            }
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 1;
        }
    }
    if (argc - optind != 4) {
        usage(stderr);
        return 1;
    }
    const char *kind = argv[optind];
    rl_buf f[3], out;
    char err[512], hex[65];
    const char *field[3];
    rl_status st = RL_OK;
    rl_buf_init(&out, 0);
    for (int i = 0; i < 3; i++) {
        rl_buf_init(&f[i], (size_t)1 << 20);
        const char *a = argv[optind + 1 + i];
        if (charset && st == RL_OK) st = rl_text_to_utf8(charset, a, strlen(a), &f[i], err, sizeof err);
        else if (st == RL_OK) st = rl_buf_puts(&f[i], a);
        if (st == RL_OK && !f[i].data) st = rl_buf_append(&f[i], "", 0);
        field[i] = st == RL_OK ? (const char *)f[i].data : "";
    }
    if (st == RL_OK) {
        if (!strcmp(kind, "department")) st = rl_cl_department_key(field[0], field[1], field[2], hex, err, sizeof err);
        else if (!strcmp(kind, "panel")) st = rl_cl_panel_key(field[0], field[1], field[2], hex, err, sizeof err);
        else if (!strcmp(kind, "channel")) {
            st = rl_cl_channel_key(field[0], field[1], field[2], tz, &out, err, sizeof err);
            if (st == RL_OK) snprintf(hex, sizeof hex, "%s", (const char *)out.data);
        } else {
            usage(stderr);
            st = RL_ERR_USAGE;
            err[0] = 0;
        }
    }
    if (st == RL_OK) printf("%s\n", strcmp(kind, "channel") ? hex : (const char *)out.data);
    else if (err[0]) fprintf(stderr, "rootline: keys %s: %s\n", kind, err);
    for (int i = 0; i < 3; i++) rl_buf_free(&f[i]);
    rl_buf_free(&out);
    return st == RL_OK ? 0 : st == RL_ERR_USAGE ? 1 : 2;
}
