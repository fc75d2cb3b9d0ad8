/* cl_hl7.h: HL7 v2 (2.3.1 - 2.7) messages, the layer below the clinical
 * mappings.  Handles MLLP framing (0x0B ... 0x1C 0x0D), FHS/BHS/BTS/FTS batch
 * envelopes, encoding characters from MSH-1/MSH-2 (three to five; the fifth,
 * truncation, only from v2.7; all distinct), MSH-18 character sets (ASCII,
 * UNICODE UTF-8, GB 18030-2000, 8859/1) decoded to UTF-8 with iconv, segment
 * ends CR (standard) or LF / CRLF (accepted with a warning), repetitions,
 * components, sub-components and escapes (\F\ \S\ \T\ \R\ \E\ \Xhh..\,
 * \.br\ as a line break; \H\ \N\ and other formatting dropped).
 * Errors name the segment number, the segment id and what was expected.
 * Thread safety: a file is used by one thread at a time. */
#ifndef RL_CL_HL7_H
#define RL_CL_HL7_H

#include "buf.h"
#include "warnings.h"

#include <stddef.h>

typedef struct rl_hl7_seg {
    char id[4];       /* "MSH", "PID", "ZXX"... */
    const char *text; /* UTF-8, NUL-terminated, without the segment end */
    size_t len;
    size_t number;    /* 1-based position among the file's segments */
} rl_hl7_seg;

typedef struct rl_hl7_msg {
    char fs, cs, rs, es, ss, tc; /* separators; ss/tc 0 when absent */
    size_t first, nsegs;         /* range in rl_hl7_file.segs, MSH first */
    char charset[32];            /* iconv name the message was decoded from */
} rl_hl7_msg;

/* A message refused while parsing with keep_bad (rl_hl7_parse_ex). */
typedef struct rl_hl7_bad {
    size_t number;   /* its MSH's segment number */
    char why[256];
} rl_hl7_bad;

typedef struct rl_hl7_file {
    rl_hl7_seg *segs;
    size_t nsegs;
    rl_hl7_msg *msgs;
    size_t nmsgs;
    size_t envelope_segments; /* FHS/BHS/BTS/FTS */
    int mllp;                 /* MLLP framing was present */
    rl_warnings warnings;     /* tolerated irregularities */
    rl_hl7_bad *bad;          /* refused messages (keep_bad only) */
    size_t nbad;
    void *priv;
} rl_hl7_file;

/* Parses a file of one or more messages.  RL_ERR_INPUT with "segment N
 * (ID): ..." on malformed input; RL_ERR_UNSUPPORTED for an unknown MSH-18. */
rl_status rl_hl7_parse(const char *text, size_t len, rl_hl7_file **out, char *err, size_t cap);
/* As rl_hl7_parse; with keep_bad, a message whose MSH is invalid (MSH-1/2,
 * MSH-18 charset, undecodable text) is listed in bad[] and skipped instead
 * of failing the file, and lines starting with '#' are skipped as comments
 * (with a warning). */
rl_status rl_hl7_parse_ex(const char *text, size_t len, int keep_bad, rl_hl7_file **out, char *err,
                          size_t cap);
void rl_hl7_free(rl_hl7_file *f);

/* SEG-field[rep].comp.sub (1-based; 0 = the whole level), unescaped, into
 * out (cleared first).  MSH-1 is the field separator, MSH-2 the encoding
 * characters (not unescaped).  A missing part is the empty string. */
rl_status rl_hl7_value(const rl_hl7_msg *m, const rl_hl7_seg *s, int field, int rep, int comp,
                       int sub, rl_buf *out);
/* Number of repetitions of a field (0 when empty). */
size_t rl_hl7_repetitions(const rl_hl7_msg *m, const rl_hl7_seg *s, int field);
/* Decodes HL7 escapes of raw[0..n) into out (appended). */
rl_status rl_hl7_unescape(const rl_hl7_msg *m, const char *raw, size_t n, rl_buf *out);
/* Whether the head of a file looks like HL7 v2 (MSH, FHS or BHS first, after
 * optional MLLP start). */
int rl_hl7_sniff(const char *head, size_t n);

#endif
