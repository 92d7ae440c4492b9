/* UTF-8 validation of one sequence. */
#ifndef AGENTSH_COMMON_UTF8_H
#define AGENTSH_COMMON_UTF8_H

#include <stddef.h>

/* Length (1..4) of the valid UTF-8 sequence at s, or 0 if invalid. */
size_t utf8_seq_len(const char *s, size_t avail);
/* Write code point cp (at most 0x10ffff; surrogates are written as their
 * 3-byte form, callers decide about them) to out; the length 1..4. */
size_t utf8_encode(unsigned long cp, char out[4]);

#endif
