#include "common/json.h"

#include <string.h>

#include "common/utf8.h"

int json_strn(struct buf *b, const char *s, size_t n)
{
	int r = buf_putc(b, '"');
	size_t i = 0;

	while (r == 0 && i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t cl;

		if (c == '"' || c == '\\') {
			char esc[2] = {'\\', (char)c};
			r = buf_append(b, esc, 2);
			i++;
		} else if (c == '\n' || c == '\r' || c == '\t') {
			char esc[2] = {'\\', c == '\n' ? 'n' : c == '\r' ? 'r' : 't'};
			r = buf_append(b, esc, 2);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			r = buf_printf(b, "\\u%04x", c);
			i++;
		} else if (c < 0x80) {
			r = buf_putc(b, (char)c);
			i++;
		} else if ((cl = utf8_seq_len(s + i, n - i)) > 0) {
			r = buf_append(b, s + i, cl);
			i += cl;
		} else {
			r = buf_puts(b, "\\ufffd");
			i++;
		}
	}
	if (r == 0)
		r = buf_putc(b, '"');
	return r;
}

int json_str(struct buf *b, const char *s)
{
	return json_strn(b, s, strlen(s));
}

int json_key(struct buf *b, const char *key, int first)
{
	int r = 0;

	if (!first)
		r = buf_putc(b, ',');
	if (r == 0)
		r = json_str(b, key);
	if (r == 0)
		r = buf_putc(b, ':');
	return r;
}
