/* keys.h: alignment-key primitives (SPEC §3).
 *
 * A key is computed over fields that are each trimmed (Unicode white space,
 * including the ideographic space U+3000), normalised to NFC (not NFKC:
 * full-width brackets stay), encoded as UTF-8 and joined with '|'.  A field
 * that is not valid UTF-8, or that contains '|', is refused (RL_ERR_INPUT):
 * the separator must stay unambiguous.  Text from other charsets (GB18030)
 * is decoded with rl_text_to_utf8 first.
 * Thread-safe: no shared state.
 */
#ifndef RL_KEYS_H
#define RL_KEYS_H

#include "buf.h"

#include <stddef.h>

/* Appends the normalised form of one field (n bytes) to out. */
rl_status rl_key_field(const char *in, size_t n, rl_buf *out, char *err, size_t cap);
/* out = normalised fields joined with '|' (out is cleared first). */
rl_status rl_key_join(const char *const *fields, size_t nfields, rl_buf *out, char *err,
                      size_t cap);
/* Lowercase hex MD5 / SHA-256 of the joined fields. */
rl_status rl_key_md5(const char *const *fields, size_t nfields, char hex[33], char *err,
                     size_t cap);
rl_status rl_key_sha256(const char *const *fields, size_t nfields, char hex[65], char *err,
                        size_t cap);
/* Standard Base64 with padding of the joined fields (out is cleared first). */
rl_status rl_key_base64(const char *const *fields, size_t nfields, rl_buf *out, char *err,
                        size_t cap);
/* The first `nbytes` (<= 32) of SHA-256(data[0..n)) as lowercase hex into
 * out (2 * nbytes + 1 bytes).  Plain bytes: no trimming or normalisation. */
void rl_sha256_hex(const void *data, size_t n, size_t nbytes, char *out);
/* Decodes n bytes of `charset` (iconv name, e.g. "GB18030") into UTF-8,
 * appended to out.  RL_ERR_INPUT names the byte offset of an invalid
 * sequence; RL_ERR_UNSUPPORTED for an unknown charset. */
rl_status rl_text_to_utf8(const char *charset, const char *in, size_t n, rl_buf *out, char *err,
                          size_t cap);

#endif
