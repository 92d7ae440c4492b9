/* String and number helpers: bounded copies and strict parsers. */
#ifndef AGENTSH_COMMON_STR_H
#define AGENTSH_COMMON_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Copy src into dst (size dstsz), always NUL-terminating; returns strlen(src). */
size_t str_lcpy(char *dst, const char *src, size_t dstsz);

/* Parse a whole decimal integer in [min, max]; 0 or -EINVAL / -ERANGE. */
int str_to_i64(const char *s, int64_t min, int64_t max, int64_t *out);

/*
 * Parse a duration such as "500ms", "30s", "5m", "1h30m" or "7d" into
 * milliseconds. Units: ms s m h d (and us/ns, rounded down). A bare "0" is
 * accepted. Returns 0 or -EINVAL / -ERANGE.
 */
int str_duration_ms(const char *s, int64_t *out_ms);

/* Parse a size such as "10MB", "5GB", "512KiB", "100" (bytes); 0 or -errno. */
int str_size_bytes(const char *s, int64_t *out);

/* ASCII lower-case of n bytes of src into dst (dst may equal src). */
void str_lower(char *dst, const char *src, size_t n);

/* Levenshtein distance of two short strings (capped at 64 chars each). */
int str_edit_distance(const char *a, const char *b);

/* An RFC 9110 token character (what an HTTP header name is made of). */
bool str_http_tchar(unsigned char c);
/* The value of a hexadecimal digit (either case), -1 for anything else. */
int str_hexval(int ch);

/* True when s ends with suffix. */
bool str_has_suffix(const char *s, const char *suffix);

#endif
