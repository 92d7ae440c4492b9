/*
 * Validators run on each PCRE2 match: checksums (Luhn, GitHub/npm CRC32),
 * structural checks (SSA rules, NANP, JWT header) and placeholder filters.
 * Each takes the value s[0..n) and returns true when it is a finding.
 */
#include <stdint.h>
#include <string.h>

#include "dlp/dlp_int.h"

#define DLP_RUN_MAX 8      /* this many equal characters: a placeholder */
#define DLP_DIGITS_MAX 32  /* digits kept from a number */
#define DLP_JWT_HDR_MAX 96 /* base64url chars of a JWT header decoded */

static const char *const dlp_placeholders[] = {
	"example", "xxxx", "your", "placeholder", "dummy", "sample",
	"redacted", "changeme", "0000", "<", "${", "...", "****",
};

static const char dlp_b62[] =
	"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static bool dlp_has_ci(const char *s, size_t n, const char *w)
{
	size_t wl = strlen(w);

	for (size_t i = 0; i + wl <= n; i++)
		if (strncasecmp(s + i, w, wl) == 0)
			return true;
	return false;
}

/* Does a placeholder word start at s[i] (case-insensitive)? */
static bool dlp_placeholder_at(const char *s, size_t n, size_t i)
{
	char c = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] + 32) : s[i];

	switch (c) { /* the first characters of dlp_placeholders */
	case 'e': case 'x': case 'y': case 'p': case 'd': case 's': case 'r':
	case 'c': case '0': case '<': case '$': case '.': case '*':
		break;
	default:
		return false;
	}
	for (size_t k = 0; k < sizeof(dlp_placeholders) /
	     sizeof(dlp_placeholders[0]); k++) {
		const char *w = dlp_placeholders[k];
		size_t wl = strlen(w);

		if (w[0] == c && wl <= n - i && strncasecmp(s + i, w, wl) == 0)
			return true;
	}
	return false;
}

/* One pass: a placeholder word, or DLP_RUN_MAX equal characters. */
static bool dlp_placeholder(const char *s, size_t n)
{
	size_t run = 1;

	for (size_t i = 0; i < n; i++) {
		if (i > 0) {
			run = s[i] == s[i - 1] ? run + 1 : 1;
			if (run >= DLP_RUN_MAX)
				return true;
		}
		if (dlp_placeholder_at(s, n, i))
			return true;
	}
	return false;
}

/* Digits of s into d (at most DLP_DIGITS_MAX); returns their count. */
static size_t dlp_digits(const char *s, size_t n, char *d)
{
	size_t k = 0;

	for (size_t i = 0; i < n && k < DLP_DIGITS_MAX; i++)
		if (s[i] >= '0' && s[i] <= '9')
			d[k++] = s[i];
	return k;
}

static bool dlp_luhn(const char *d, size_t k)
{
	unsigned sum = 0;

	for (size_t i = 0; i < k; i++) {
		unsigned x = (unsigned)(d[k - 1 - i] - '0');

		if (i % 2) {
			x *= 2;
			if (x > 9)
				x -= 9;
		}
		sum += x;
	}
	return sum % 10 == 0;
}

static unsigned dlp_prefix(const char *d, size_t k, size_t len)
{
	unsigned v = 0;

	for (size_t i = 0; i < len && i < k; i++)
		v = v * 10 + (unsigned)(d[i] - '0');
	return v;
}

/* Issuer ranges (IIN) and the lengths each issuer uses. */
static bool dlp_issuer(const char *d, size_t k)
{
	unsigned p2 = dlp_prefix(d, k, 2), p3 = dlp_prefix(d, k, 3);
	unsigned p4 = dlp_prefix(d, k, 4);

	if (d[0] == '4')
		return k == 13 || k == 16 || k == 19;
	if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720))
		return k == 16;
	if (p2 == 34 || p2 == 37)
		return k == 15;
	if (p4 == 6011 || p2 == 65 || (p3 >= 644 && p3 <= 649) || p2 == 62)
		return k >= 16 && k <= 19;
	if (p4 >= 3528 && p4 <= 3589)
		return k >= 16 && k <= 19;
	if (p2 == 36 || p2 == 38 || p2 == 39 || (p3 >= 300 && p3 <= 305))
		return k >= 14 && k <= 19;
	return false;
}

static bool dlp_card(const char *s, size_t n)
{
	char d[DLP_DIGITS_MAX];
	size_t k = dlp_digits(s, n, d);
	size_t same = 1;

	if (k < 13 || k > 19)
		return false;
	for (size_t i = 1; i < k; i++)
		same += d[i] == d[0];
	return same != k && dlp_issuer(d, k) && dlp_luhn(d, k);
}

/* SSA rules: area not 000, 666 or 9xx; group not 00; serial not 0000. */
static bool dlp_ssn(const char *s, size_t n)
{
	char d[DLP_DIGITS_MAX];
	size_t k = dlp_digits(s, n, d);
	unsigned area, group, serial;

	if (k != 9)
		return false;
	area = dlp_prefix(d, k, 3);
	group = dlp_prefix(d + 3, k - 3, 2);
	serial = dlp_prefix(d + 5, k - 5, 4);
	if (area == 0 || area == 666 || area >= 900 || group == 0 ||
	    serial == 0)
		return false;
	/* Published examples: Woolworth's card and the "123-45-6789" one. */
	return !(memcmp(d, "078051120", 9) == 0 ||
		 memcmp(d, "123456789", 9) == 0);
}

/* NANP: area and exchange start 2-9, no N11, no 555-01xx fiction. */
static bool dlp_nanp(const char *d)
{
	if (d[0] < '2' || d[3] < '2')
		return false;
	if ((d[1] == '1' && d[2] == '1') || (d[4] == '1' && d[5] == '1'))
		return false;
	return !(memcmp(d + 3, "55501", 5) == 0);
}

static bool dlp_phone(const char *s, size_t n, bool e164)
{
	char d[DLP_DIGITS_MAX];
	size_t k = dlp_digits(s, n, d);
	size_t same = 1;

	for (size_t i = 1; i < k; i++)
		same += d[i] == d[0];
	if (k < 10 || same == k)
		return false;
	if (k == 11 && d[0] == '1')
		return dlp_nanp(d + 1);
	if (e164)
		return d[0] != '1';
	return k == 10 && dlp_nanp(d);
}

/* CRC-32 (IEEE, reflected) four bits at a time: 16 table entries. */
static const uint32_t dlp_crc_nib[16] = {
	0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190,
	0x6b6b51f4, 0x4db26158, 0x5005713c, 0xedb88320, 0xf00f9344,
	0xd6d6a3e8, 0xcb61b38c, 0x9b64c2b0, 0x86d3d2d4, 0xa00ae278,
	0xbdbdf21c,
};

static unsigned long dlp_crc32(const char *s, size_t n)
{
	uint32_t c = 0xffffffffu;

	for (size_t i = 0; i < n; i++) {
		c ^= (unsigned char)s[i];
		c = (c >> 4) ^ dlp_crc_nib[c & 15];
		c = (c >> 4) ^ dlp_crc_nib[c & 15];
	}
	return (unsigned long)(c ^ 0xffffffffu);
}

/* prefix_ + 30 random base62 + base62(CRC32(random)), 6 chars. */
static bool dlp_crc_token(const char *s, size_t n)
{
	const char *u = memchr(s, '_', n);
	unsigned long c;
	char want[6];

	if (u == NULL || (size_t)(s + n - u) != 37)
		return false;
	c = dlp_crc32(u + 1, 30);
	for (int i = 5; i >= 0; i--) {
		want[i] = dlp_b62[c % 62];
		c /= 62;
	}
	return memcmp(u + 31, want, 6) == 0 && !dlp_placeholder(u + 1, 30);
}

static int dlp_b64url(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	return c == '_' ? 63 : -1;
}

/* The header (first part) decodes to a JSON object with "alg". */
static bool dlp_jwt(const char *s, size_t n)
{
	char hdr[DLP_JWT_HDR_MAX];
	size_t k = 0, i;
	unsigned acc = 0;
	int bits = 0;

	for (i = 0; i < n && s[i] != '.' && k < sizeof(hdr); i++) {
		int v = dlp_b64url(s[i]);

		if (v < 0)
			return false;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			hdr[k++] = (char)((acc >> bits) & 0xff);
		}
	}
	return k > 0 && hdr[0] == '{' && dlp_has_ci(hdr, k, "\"alg\"");
}

/* Does s[0..n) end with w (lower case), ignoring case? */
static bool dlp_ends_ci(const char *s, size_t n, const char *w)
{
	size_t wl = strlen(w);

	if (wl > n)
		return false;
	s += n - wl;
	for (size_t i = 0; i < wl; i++) {
		char c = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] + 32) : s[i];

		if (c != w[i])
			return false;
	}
	return true;
}

static bool dlp_email(const char *s, size_t n)
{
	static const char *const bad[] = {
		"@example.com", "@example.org", "@example.net", ".example",
		".example.com", ".example.org", ".example.net", ".test",
		".invalid", ".localhost", ".local",
	};
	const char *at = memchr(s, '@', n);
	size_t dl;

	if (at == NULL || (at - s == 3 && memcmp(s, "git", 3) == 0))
		return false;
	dl = (size_t)(s + n - at);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (dlp_ends_ci(at, dl, bad[i]))
			return false;
	return true;
}

static bool dlp_urlpass(const char *s, size_t n)
{
	static const char *const bad[] = {
		"password", "passwd", "pass", "pwd", "secret", "token", "pw",
	};

	if (n == 0 || s[0] == '$' || s[0] == '%' || s[0] == '{')
		return false;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (strlen(bad[i]) == n && strncasecmp(s, bad[i], n) == 0)
			return false;
	return !dlp_placeholder(s, n);
}

/* At least one run of 16 base64 characters between the markers. */
static bool dlp_pem(const char *s, size_t n)
{
	size_t run = 0;
	/* past "-----BEGIN ... KEY-----" (the newline may be JSON-escaped) */
	const char *h = n > 10 ? memmem(s + 10, n - 10, "-----", 5) : NULL;
	size_t i = h != NULL ? (size_t)(h - s) + 5 : n;

	for (; i < n; i++) {
		char c = s[i];

		if (dlp_b64url(c) >= 0 || c == '+' || c == '/')
			run++;
		else
			run = 0;
		if (run >= 16)
			return true;
	}
	return false;
}

/*
 * A value assigned to a password/secret/token-like name: letters and
 * digits mixed (an identifier or a word is code, not a secret), not an
 * expansion or template, not a placeholder. Entropy is the rule's gate.
 */
static bool dlp_generic(const char *s, size_t n)
{
	bool digit = false, alpha = false;

	if (n == 0 || s[0] == '$' || s[0] == '%' || s[0] == '.' ||
	    s[0] == '/')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		digit |= c >= '0' && c <= '9';
		alpha |= (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
	}
	return digit && alpha && !dlp_placeholder(s, n);
}

bool dlp_validate(enum dlp_valid v, const char *s, size_t n)
{
	switch (v) {
	case DLP_V_NONE:
		return true;
	case DLP_V_SECRET:
		return !dlp_placeholder(s, n);
	case DLP_V_EMAIL:
		return dlp_email(s, n);
	case DLP_V_PHONE:
		return dlp_phone(s, n, false);
	case DLP_V_E164:
		return dlp_phone(s, n, true);
	case DLP_V_CARD:
		return dlp_card(s, n);
	case DLP_V_SSN:
		return dlp_ssn(s, n);
	case DLP_V_CRC32:
		return dlp_crc_token(s, n);
	case DLP_V_JWT:
		return dlp_jwt(s, n) && !dlp_placeholder(s, n);
	case DLP_V_URLPASS:
		return dlp_urlpass(s, n);
	case DLP_V_PEM:
		return dlp_pem(s, n);
	case DLP_V_GENERIC:
		return dlp_generic(s, n);
	}
	return false;
}
