/* Minimal JSON output helpers (writing only; parsing lives with its users). */
#ifndef AGENTSH_COMMON_JSON_H
#define AGENTSH_COMMON_JSON_H

#include <stddef.h>

#include "common/buf.h"

/* Append s as a quoted JSON string; invalid UTF-8 bytes become U+FFFD. */
int json_str(struct buf *b, const char *s);
int json_strn(struct buf *b, const char *s, size_t n);
/* Append "key": (with a leading comma unless first). */
int json_key(struct buf *b, const char *key, int first);

#endif
