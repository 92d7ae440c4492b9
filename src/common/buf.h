/* Growable byte buffer with a hard upper bound on its size. */
#ifndef AGENTSH_COMMON_BUF_H
#define AGENTSH_COMMON_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;  /* always NUL-terminated when non-NULL */
	size_t len;  /* bytes used, excluding the terminator */
	size_t cap;  /* bytes allocated */
	size_t max;  /* the bound: appends past it fail with -E2BIG */
};

/* Start an empty buffer that may hold at most max bytes. */
void buf_init(struct buf *b, size_t max);
/* Release the storage; the buffer is empty and reusable afterwards. */
void buf_release(struct buf *b);
/* Forget the contents, keep the storage. */
void buf_reset(struct buf *b);
/* Make room for n more bytes plus the terminator (callers then write
 * into data + len and set len themselves); -E2BIG past max, -ENOMEM. */
int buf_reserve(struct buf *b, size_t n);
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Take ownership of the NUL-terminated contents; the buffer becomes empty. */
char *buf_steal(struct buf *b);

#endif
