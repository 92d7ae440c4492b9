#include "common/str.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

size_t str_lcpy(char *dst, const char *src, size_t dstsz)
{
	size_t n = strlen(src);

	if (dstsz > 0) {
		size_t c = n < dstsz - 1 ? n : dstsz - 1;
		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return n;
}

int str_to_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end = NULL;
	long long v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (end == s || *end != '\0')
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

struct unit {
	const char *name;
	int64_t num; /* multiplier numerator (ms) */
	int64_t den; /* divisor, for sub-millisecond units */
};

static const struct unit duration_units[] = {
	{"ns", 1, 1000000}, {"us", 1, 1000}, {"µs", 1, 1000},
	{"ms", 1, 1}, {"s", 1000, 1}, {"m", 60000, 1},
	{"h", 3600000, 1}, {"d", 86400000, 1}, {"w", 604800000, 1},
};

/* Longest unit name that prefixes p, or NULL. */
static const struct unit *duration_unit(const char *p, size_t *len)
{
	const struct unit *best = NULL;
	size_t bestlen = 0;

	for (size_t i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++) {
		size_t l = strlen(duration_units[i].name);
		if (l > bestlen && strncmp(p, duration_units[i].name, l) == 0) {
			best = &duration_units[i];
			bestlen = l;
		}
	}
	*len = bestlen;
	return best;
}

int str_duration_ms(const char *s, int64_t *out_ms)
{
	int64_t total = 0;
	const char *p = s;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	if (strcmp(s, "0") == 0) {
		*out_ms = 0;
		return 0;
	}
	while (*p != '\0') {
		int64_t v = 0;
		const struct unit *u;
		size_t ulen;

		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		while (isdigit((unsigned char)*p)) {
			if (v > (INT64_MAX - 9) / 10)
				return -ERANGE;
			v = v * 10 + (*p++ - '0');
		}
		u = duration_unit(p, &ulen);
		if (u == NULL)
			return -EINVAL;
		p += ulen;
		if (v > INT64_MAX / u->num)
			return -ERANGE;
		v = v * u->num / u->den;
		if (total > INT64_MAX - v)
			return -ERANGE;
		total += v;
	}
	*out_ms = total;
	return 0;
}

static const struct {
	const char *name;
	int64_t mult;
} size_units[] = {
	{"", 1}, {"b", 1}, {"k", 1000}, {"kb", 1000}, {"kib", 1024},
	{"m", 1000000}, {"mb", 1000000}, {"mib", 1048576},
	{"g", 1000000000LL}, {"gb", 1000000000LL}, {"gib", 1073741824LL},
	{"t", 1000000000000LL}, {"tb", 1000000000000LL},
	{"tib", 1099511627776LL},
};

int str_size_bytes(const char *s, int64_t *out)
{
	int64_t v = 0;
	const char *p = s;
	char unit[8];
	size_t ul = 0;

	if (s == NULL || !isdigit((unsigned char)*p))
		return -EINVAL;
	while (isdigit((unsigned char)*p)) {
		if (v > (INT64_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (*p++ - '0');
	}
	while (*p == ' ')
		p++;
	while (*p != '\0') {
		if (ul + 1 >= sizeof(unit) || !isalpha((unsigned char)*p))
			return -EINVAL;
		unit[ul++] = (char)tolower((unsigned char)*p++);
	}
	unit[ul] = '\0';
	for (size_t i = 0; i < sizeof(size_units) / sizeof(size_units[0]); i++) {
		if (strcmp(unit, size_units[i].name) != 0)
			continue;
		if (v > INT64_MAX / size_units[i].mult)
			return -ERANGE;
		*out = v * size_units[i].mult;
		return 0;
	}
	return -EINVAL;
}

void str_lower(char *dst, const char *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
}

#define STR_EDIT_MAX 64

int str_edit_distance(const char *a, const char *b)
{
	size_t la = strnlen(a, STR_EDIT_MAX), lb = strnlen(b, STR_EDIT_MAX);
	int row[STR_EDIT_MAX + 1];

	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int prev = row[0];
		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int cur = row[j];
			int cost = tolower((unsigned char)a[i - 1]) !=
				   tolower((unsigned char)b[j - 1]);
			int best = prev + cost;
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb];
}

bool str_has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

bool str_http_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

int str_hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}
