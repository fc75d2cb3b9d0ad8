/* mask.h: masking of patient identifiers before anything is stored (SPEC §4).
 *
 * Phone: the digits are kept in their places, a leading country code +86 /
 * 0086 dropped; the first 3 and the last 4 digits stay, every digit between
 * becomes '*' (13812345678 -> 138****5678; 010-12345678 -> 010****5678).
 * With 7 digits or fewer only the last 4 stay.
 * National ID: the first 6 and the last 4 characters stay, one '*' per hidden
 * character (110101199003071234 -> 110101********1234); with 10 characters
 * or fewer only the last 4 stay.
 * Input is trimmed; output is ASCII-safe for ASCII input.  Thread-safe. */
#ifndef RL_MASK_H
#define RL_MASK_H

#include "buf.h"

/* Appends the masked phone number to out. */
rl_status rl_mask_phone(const char *in, rl_buf *out);
/* Appends the masked national ID to out. */
rl_status rl_mask_national_id(const char *in, rl_buf *out);

#endif
