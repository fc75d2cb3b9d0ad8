/* cl_astm.h: ASTM E1381 frames and E1394 (LIS2-A2) records.
 *
 * Frames: <STX> FN text <ETB|ETX> C1 C2 <CR><LF>; the checksum (sum of the
 * bytes from FN through ETB/ETX, modulo 256, two upper-case hex digits) is
 * always checked: a bad one is an error naming the frame.  ETB continues a
 * record in the next frame.  ENQ/ACK/NAK/EOT between frames are skipped.
 * Tolerant mode (the default; each case becomes a warning) accepts what real
 * analysers send: frames over 240 characters of text, LF-only or missing
 * frame ends, several records in one frame, non-sequential frame numbers,
 * and unframed record files (one record per line).
 * Delimiters come from the H record (H|\^&: field, repeat, component,
 * escape).  Escapes &F& &S& &R& &E& and &Xhh..& are decoded.
 * Thread safety: a file is used by one thread at a time. */
#ifndef RL_CL_ASTM_H
#define RL_CL_ASTM_H

#include "buf.h"
#include "warnings.h"

#include <stddef.h>

typedef struct rl_astm_rec {
    char type;        /* 'H', 'P', 'O', 'R', 'C', 'M', 'Q', 'L' */
    const char *text; /* the record, without its CR */
    size_t len;
    size_t number;    /* 1-based record number */
    size_t frame;     /* 1-based frame where it starts (0 when unframed) */
} rl_astm_rec;

typedef struct rl_astm_file {
    char fd, rd, cd, ed; /* field, repeat, component, escape delimiters */
    rl_astm_rec *recs;
    size_t nrecs, nframes;
    int framed;
    rl_warnings warnings;     /* tolerated irregularities */
    void *priv;
} rl_astm_file;

/* Parses a session's worth of frames (or an unframed record file).
 * RL_ERR_INPUT names the frame or record and what was expected. */
rl_status rl_astm_parse(const char *text, size_t len, int tolerant, rl_astm_file **out, char *err,
                        size_t cap);
void rl_astm_free(rl_astm_file *f);
/* Record field n (1-based: field 1 is the record type, H-2 the delimiters),
 * repetition and component (0 = whole), unescaped into out (cleared). */
rl_status rl_astm_value(const rl_astm_file *f, const rl_astm_rec *r, int field, int rep, int comp,
                        rl_buf *out);
/* Whether the head looks like ASTM E1394 (an H record with delimiters,
 * framed or not). */
int rl_astm_sniff(const char *head, size_t n);

#endif
