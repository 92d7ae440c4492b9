/* ANSI-C quoting: $'..' and its escapes, decoded as bash does. */
#include "shparse/shparse_int.h"

#include <stdint.h>

#define SHPARSE_N(a) (sizeof(a) / sizeof((a)[0]))
#define SHPARSE_UTF8_MAX 4 /* bytes of one encoded code point */

/* ANSI-C escapes of $'..' that stand for one byte. */
static const char shparse_ansi_map[][2] = {
	{'a', '\a'}, {'b', '\b'}, {'e', 27}, {'E', 27}, {'f', '\f'},
	{'n', '\n'}, {'r', '\r'}, {'t', '\t'}, {'v', '\v'}, {'\\', '\\'},
	{'\'', '\''}, {'"', '"'}, {'?', '?'},
};

/* Up to max hex digits at p; their value in *v. */
static size_t shparse_hex(const struct shparse_ctx *c, size_t p, size_t max,
			  uint32_t *v)
{
	size_t n;

	*v = 0;
	for (n = 0; n < max; n++) {
		char ch = shparse_char(c, p + n);
		uint32_t d;

		if (ch >= '0' && ch <= '9')
			d = (uint32_t)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			d = (uint32_t)(ch - 'a' + 10);
		else if (ch >= 'A' && ch <= 'F')
			d = (uint32_t)(ch - 'A' + 10);
		else
			break;
		*v = *v * 16 + d;
	}
	return n;
}

/* UTF-8 of code point v; U+FFFD when out of range. */
static size_t shparse_utf8(uint32_t v, char *out)
{
	if (v < 0x80) {
		out[0] = (char)v;
		return 1;
	}
	if (v < 0x800) {
		out[0] = (char)(0xc0 | v >> 6);
		out[1] = (char)(0x80 | (v & 0x3f));
		return 2;
	}
	if (v > 0x10ffff || (v >= 0xd800 && v < 0xe000))
		v = 0xfffd;
	if (v < 0x10000) {
		out[0] = (char)(0xe0 | v >> 12);
		out[1] = (char)(0x80 | ((v >> 6) & 0x3f));
		out[2] = (char)(0x80 | (v & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | v >> 18);
	out[1] = (char)(0x80 | ((v >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((v >> 6) & 0x3f));
	out[3] = (char)(0x80 | (v & 0x3f));
	return 4;
}

/* Octal (up to 3 digits), \x, \u and \U escapes; e is after the \. */
static size_t shparse_ansi_num(struct shparse_ctx *c, char e, char *out)
{
	uint32_t v = 0;
	size_t n;

	if (e >= '0' && e <= '7') {
		v = (uint32_t)(e - '0');
		for (n = 0; n < 2; n++) {
			char d = shparse_char(c, c->pos);

			if (d < '0' || d > '7')
				break;
			v = v * 8 + (uint32_t)(d - '0');
			c->pos++;
		}
		out[0] = (char)(v & 0xff);
		return 1;
	}
	n = shparse_hex(c, c->pos, e == 'x' ? 2 : e == 'u' ? 4 : 8, &v);
	if (n == 0) {
		out[0] = '\\';
		out[1] = e;
		return 2;
	}
	c->pos += n;
	if (e == 'x') {
		out[0] = (char)v;
		return 1;
	}
	return shparse_utf8(v, out);
}

/* Decode the escape at c->pos (a backslash) into out; its length. */
static size_t shparse_ansi_escape(struct shparse_ctx *c, char *out)
{
	char e = shparse_char(c, c->pos + 1);

	if (c->pos + 1 >= c->end) {
		c->pos++;
		out[0] = '\\';
		return 1;
	}
	c->pos += 2;
	for (size_t i = 0; i < SHPARSE_N(shparse_ansi_map); i++) {
		if (shparse_ansi_map[i][0] == e) {
			out[0] = shparse_ansi_map[i][1];
			return 1;
		}
	}
	if ((e >= '0' && e <= '7') || e == 'x' || e == 'u' || e == 'U')
		return shparse_ansi_num(c, e, out);
	if (e == 'c' && c->pos < c->end) {
		out[0] = (char)(c->s[c->pos++] & 0x1f);
		return 1;
	}
	out[0] = '\\';
	out[1] = e;
	return 2;
}

/*
 * $'..': the closing quote is the first one no backslash escapes; as in
 * bash, a NUL byte ends the string's value.
 */
int shparse_ansi(struct shparse_ctx *c, struct shparse_word *w)
{
	size_t open = c->pos, close = open + 2, lim = c->end, n;
	char out[SHPARSE_UTF8_MAX];
	bool cut = false;
	int r = 0;

	while (close < lim && c->s[close] != '\'')
		close += c->s[close] == '\\' ? 2 : 1;
	if (close >= lim)
		return shparse_fail(c, open, "unterminated $' quote");
	w->quoted = true;
	c->pos += 2;
	c->end = close;
	while (r == 0 && c->pos < c->end) {
		if (c->s[c->pos] == '\\') {
			n = shparse_ansi_escape(c, out);
		} else {
			out[0] = c->s[c->pos++];
			n = 1;
		}
		cut = cut || (n == 1 && out[0] == '\0');
		if (!cut)
			r = shparse_put(c, w, out, n);
	}
	c->end = lim;
	c->pos = close + 1;
	return r;
}
