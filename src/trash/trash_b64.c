/* Standard base64 (RFC 4648, with padding) for xattr values and paths. */
#include <errno.h>

#include "trash/trash_int.h"

static const char trash_b64_alpha[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int trash_b64_encode(struct buf *b, const unsigned char *p, size_t n)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		char q[4];

		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = trash_b64_alpha[(v >> 18) & 63];
		q[1] = trash_b64_alpha[(v >> 12) & 63];
		q[2] = i + 1 < n ? trash_b64_alpha[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? trash_b64_alpha[v & 63] : '=';
		rc = buf_append(b, q, sizeof(q));
	}
	return rc;
}

static int trash_b64_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

ssize_t trash_b64_decode(const char *s, size_t n, unsigned char *out,
			 size_t cap)
{
	size_t o = 0;

	if (n % 4 != 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i += 4) {
		int v[4];
		size_t k = 3;
		unsigned w;

		for (int j = 0; j < 4; j++)
			v[j] = trash_b64_val(s[i + j]);
		/* Padding only at the very end: "x=" pairs or one "=". */
		if (i + 4 == n && s[i + 3] == '=') {
			k = s[i + 2] == '=' ? 1 : 2;
			v[3] = 0;
			if (k == 1)
				v[2] = 0;
		}
		if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[3] < 0 || o + k > cap)
			return -EINVAL;
		w = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 |
			     (unsigned)v[2] << 6 | (unsigned)v[3];
		out[o++] = (unsigned char)(w >> 16);
		if (k > 1)
			out[o++] = (unsigned char)(w >> 8);
		if (k > 2)
			out[o++] = (unsigned char)w;
	}
	return (ssize_t)o;
}
