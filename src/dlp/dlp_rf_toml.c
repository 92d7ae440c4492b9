/* TOML lexing for the rule-file reader: whitespace, comments, keys, values. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "dlp/dlp_rf_int.h"
#include "common/str.h"

int dlp_rf_col(const struct dlp_rf_cur *c)
{
	return (int)(c->pos - c->lstart) + 1;
}

static void dlp_rf_vdiag(struct dlp_rf_cur *c, enum diag_severity sev,
			 int line, int col, const char *code, const char *fmt,
			 va_list ap) __attribute__((format(printf, 6, 0)));

static void dlp_rf_vdiag(struct dlp_rf_cur *c, enum diag_severity sev,
			 int line, int col, const char *code, const char *fmt,
			 va_list ap)
{
	char msg[DIAG_MSG_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	diag_add(c->d, sev, c->fname, line, col, code, "%s", msg);
	c->errors += sev == DIAG_ERROR;
}

void dlp_rf_err(struct dlp_rf_cur *c, int line, int col, const char *code,
		const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dlp_rf_vdiag(c, DIAG_ERROR, line, col, code, fmt, ap);
	va_end(ap);
}

void dlp_rf_warn(struct dlp_rf_cur *c, int line, int col, const char *code,
		 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dlp_rf_vdiag(c, DIAG_WARNING, line, col, code, fmt, ap);
	va_end(ap);
}

/* The byte at pos + off, or -1 past the end. */
static int dlp_rf_peek(const struct dlp_rf_cur *c, size_t off)
{
	return off < c->len - c->pos ? (unsigned char)c->p[c->pos + off] : -1;
}

static bool dlp_rf_at(const struct dlp_rf_cur *c, const char *s)
{
	size_t n = strlen(s);

	return c->len - c->pos >= n && memcmp(c->p + c->pos, s, n) == 0;
}

/* Length of the newline at pos: 1 for LF, 2 for CRLF, else 0. */
static size_t dlp_rf_nl_len(const struct dlp_rf_cur *c)
{
	if (dlp_rf_peek(c, 0) == '\n')
		return 1;
	return dlp_rf_peek(c, 0) == '\r' && dlp_rf_peek(c, 1) == '\n' ? 2 : 0;
}

static void dlp_rf_newline(struct dlp_rf_cur *c, size_t n)
{
	c->pos += n;
	c->line++;
	c->lstart = c->pos;
}

/* TOML forbids control characters other than tab outside newlines. */
static bool dlp_rf_ctl(int ch)
{
	return (ch >= 0 && ch < 0x20 && ch != '\t') || ch == 0x7f;
}

int dlp_rf_prescan(struct dlp_rf_cur *c)
{
	size_t i = 0, lstart = 0, n;
	int line = 1;
	unsigned char ch;

	while (i < c->len) {
		ch = (unsigned char)c->p[i];
		if (ch == '\n') {
			line++;
			lstart = ++i;
			continue;
		}
		if (i - lstart >= DLP_RF_LINE_MAX &&
		    !(ch == '\r' && i + 1 < c->len && c->p[i + 1] == '\n')) {
			dlp_rf_err(c, line, DLP_RF_LINE_MAX + 1, "toml-limit",
				   "line longer than %d bytes", DLP_RF_LINE_MAX);
			return -E2BIG;
		}
		n = ch < 0x80 ? (ch != 0) : utf8_seq_len(c->p + i, c->len - i);
		if (n == 0) {
			dlp_rf_err(c, line, (int)(i - lstart) + 1, "toml-encoding",
				   ch == 0 ? "NUL byte in the text" :
				   "invalid UTF-8");
			return -EINVAL;
		}
		i += n;
	}
	return 0;
}

void dlp_rf_ws(struct dlp_rf_cur *c)
{
	while (dlp_rf_peek(c, 0) == ' ' || dlp_rf_peek(c, 0) == '\t')
		c->pos++;
}

void dlp_rf_skip_line(struct dlp_rf_cur *c)
{
	while (c->pos < c->len && c->p[c->pos] != '\n')
		c->pos++;
	if (c->pos < c->len)
		dlp_rf_newline(c, 1);
}

/* A comment at pos, if any, up to (not including) its newline. */
static int dlp_rf_comment(struct dlp_rf_cur *c)
{
	if (dlp_rf_peek(c, 0) != '#')
		return 0;
	while (c->pos < c->len && dlp_rf_nl_len(c) == 0) {
		if (dlp_rf_ctl(dlp_rf_peek(c, 0))) {
			dlp_rf_err(c, c->line, dlp_rf_col(c), "toml-syntax",
				   "control character in a comment");
			return -EINVAL;
		}
		c->pos++;
	}
	return 0;
}

int dlp_rf_eol(struct dlp_rf_cur *c)
{
	size_t n;

	dlp_rf_ws(c);
	if (dlp_rf_comment(c) < 0)
		return -EINVAL;
	if (c->pos >= c->len)
		return 0;
	n = dlp_rf_nl_len(c);
	if (n == 0) {
		dlp_rf_err(c, c->line, dlp_rf_col(c), "toml-syntax",
			   "unexpected text after the value");
		return -EINVAL;
	}
	dlp_rf_newline(c, n);
	return 0;
}

bool dlp_rf_skip_blank(struct dlp_rf_cur *c)
{
	size_t n;

	for (;;) {
		dlp_rf_ws(c);
		if (dlp_rf_comment(c) < 0) {
			dlp_rf_skip_line(c);
			continue;
		}
		n = dlp_rf_nl_len(c);
		if (n == 0)
			return c->pos < c->len;
		dlp_rf_newline(c, n);
	}
}

/* Append n bytes to a string, within its bound (a limit error names the
 * string's first quote at line:col). */
static int dlp_rf_put(struct dlp_rf_cur *c, struct buf *b, const char *p,
		      size_t n, int line, int col)
{
	if (n > b->max - b->len) {
		dlp_rf_err(c, line, col, "toml-limit",
			   "string longer than %zu bytes", b->max);
		return -E2BIG;
	}
	return buf_append(b, p, n);
}

/* The escape whose backslash is at pos; \u0000 is refused (C strings). */
static int dlp_rf_escape(struct dlp_rf_cur *c, struct buf *b, int line,
			 int col)
{
	static const char from[] = "btnfr\"\\", to[] = "\b\t\n\f\r\"\\";
	int ch = dlp_rf_peek(c, 1), h;
	const char *f = ch > 0 ? strchr(from, ch) : NULL;
	unsigned long cp = 0;
	size_t nd = ch == 'u' ? 4 : ch == 'U' ? 8 : 0, i;
	char u[4];

	if (f != NULL) {
		c->pos += 2;
		return dlp_rf_put(c, b, &to[f - from], 1, line, col);
	}
	for (i = 0; i < nd; i++) {
		h = str_hexval(dlp_rf_peek(c, 2 + i));
		if (h < 0)
			nd = 0;
		cp = cp * 16 + (unsigned long)(h < 0 ? 0 : h);
	}
	if (nd == 0 || cp == 0 || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff)) {
		dlp_rf_err(c, c->line, dlp_rf_col(c), "toml-escape",
			   "bad escape sequence in a string");
		return -EINVAL;
	}
	c->pos += 2 + nd;
	return dlp_rf_put(c, b, u, utf8_encode(cp, u), line, col);
}

/* A backslash, blanks and a newline: skip up to the next non-blank. */
static bool dlp_rf_line_end_bs(struct dlp_rf_cur *c)
{
	size_t j = 1, n;

	while (dlp_rf_peek(c, j) == ' ' || dlp_rf_peek(c, j) == '\t')
		j++;
	if (dlp_rf_peek(c, j) != '\n' &&
	    !(dlp_rf_peek(c, j) == '\r' && dlp_rf_peek(c, j + 1) == '\n'))
		return false;
	c->pos += j;
	for (;;) {
		dlp_rf_ws(c);
		if ((n = dlp_rf_nl_len(c)) == 0)
			return true;
		dlp_rf_newline(c, n);
	}
}

/* The closing quote q of a string at pos; 1 when it was content. A
 * multi-line string may end with up to two quotes of content before its
 * closing three (TOML 1.0), so a run of more than five is an error. */
static int dlp_rf_str_close(struct dlp_rf_cur *c, struct buf *b, char q,
			    bool multi, int line, int col)
{
	size_t k = 0;
	int rc;

	if (!multi) {
		c->pos++;
		return dlp_rf_put(c, b, "", 0, line, col);
	}
	while (dlp_rf_peek(c, k) == q)
		k++;
	if (k > 5) {
		dlp_rf_err(c, c->line, dlp_rf_col(c) + 5, "toml-syntax",
			   "too many quotes at the end of a string");
		return -EINVAL;
	}
	rc = dlp_rf_put(c, b, c->p + c->pos, k < 3 ? k : k - 3, line, col);
	c->pos += k;
	return rc < 0 ? rc : k < 3;
}

/* Plain bytes at pos, up to a quote, backslash, control byte or newline. */
static size_t dlp_rf_run(const struct dlp_rf_cur *c, char q)
{
	size_t n = 0;
	int ch;

	while ((ch = dlp_rf_peek(c, n)) >= 0 && ch != q && !dlp_rf_ctl(ch) &&
	       ch != '\n' && ch != '\r' && !(ch == '\\' && q == '"'))
		n++;
	return n;
}

/* One step in a string: 1 to go on, 0 at its end, or a negative errno. */
static int dlp_rf_str_step(struct dlp_rf_cur *c, struct buf *b, char q,
			   bool multi, int line, int col)
{
	int ch = dlp_rf_peek(c, 0), rc;
	size_t n = dlp_rf_nl_len(c);

	if (ch < 0 || (n > 0 && !multi)) {
		dlp_rf_err(c, line, col, "toml-string", "unterminated string");
		return -EINVAL;
	}
	if (ch == q)
		return dlp_rf_str_close(c, b, q, multi, line, col);
	if (n > 0) {
		rc = dlp_rf_put(c, b, c->p + c->pos, n, line, col);
		dlp_rf_newline(c, n);
		return rc < 0 ? rc : 1;
	}
	if (ch == '\\' && q == '"') {
		rc = multi && dlp_rf_line_end_bs(c) ? 0 :
		     dlp_rf_escape(c, b, line, col);
		return rc < 0 ? rc : 1;
	}
	if (dlp_rf_ctl(ch)) {
		dlp_rf_err(c, c->line, dlp_rf_col(c), "toml-string",
			   "control character in a string");
		return -EINVAL;
	}
	n = dlp_rf_run(c, q);
	rc = dlp_rf_put(c, b, c->p + c->pos, n, line, col);
	c->pos += n;
	return rc < 0 ? rc : 1;
}

/* A string whose quote is at pos: basic, literal or their multi-line forms
 * (the newline right after an opening triple quote is trimmed). */
static int dlp_rf_str(struct dlp_rf_cur *c, struct buf *b)
{
	char q = c->p[c->pos];
	bool multi = dlp_rf_at(c, q == '"' ? "\"\"\"" : "'''");
	int line = c->line, col = dlp_rf_col(c), rc;
	size_t n;

	c->pos += multi ? 3 : 1;
	if (multi && (n = dlp_rf_nl_len(c)) > 0)
		dlp_rf_newline(c, n);
	do
		rc = dlp_rf_str_step(c, b, q, multi, line, col);
	while (rc == 1);
	return rc;
}

static bool dlp_rf_bare(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
}

/* One part of a key: bare, or a single-line quoted string. */
static int dlp_rf_key_part(struct dlp_rf_cur *c, struct buf *b)
{
	int ch = dlp_rf_peek(c, 0);
	size_t n = 0;

	if (ch == '"' || ch == '\'') {
		if (dlp_rf_at(c, "\"\"\"") || dlp_rf_at(c, "'''")) {
			dlp_rf_err(c, c->line, dlp_rf_col(c), "toml-key",
				   "a multi-line string cannot be a key");
			return -EINVAL;
		}
		return dlp_rf_str(c, b);
	}
	while (dlp_rf_bare(dlp_rf_peek(c, n)))
		n++;
	if (n == 0) {
		dlp_rf_err(c, c->line, dlp_rf_col(c), "toml-key",
			   "expected a key");
		return -EINVAL;
	}
	if (n > b->max) {
		dlp_rf_err(c, c->line, dlp_rf_col(c), "toml-limit",
			   "key longer than %zu bytes", b->max);
		return -E2BIG;
	}
	c->pos += n;
	return buf_append(b, c->p + c->pos - n, n);
}

int dlp_rf_key(struct dlp_rf_cur *c, struct dlp_rf_key *k)
{
	int rc;

	k->line = c->line;
	k->col = dlp_rf_col(c);
	for (;;) {
		if (k->n == DLP_RF_KEY_PARTS_MAX) {
			dlp_rf_err(c, k->line, k->col, "toml-limit",
				   "key with more than %d parts",
				   DLP_RF_KEY_PARTS_MAX);
			return -E2BIG;
		}
		buf_init(&k->parts[k->n], DLP_RF_KEY_MAX);
		rc = dlp_rf_key_part(c, &k->parts[k->n++]);
		if (rc < 0)
			return rc;
		dlp_rf_ws(c);
		if (dlp_rf_peek(c, 0) != '.')
			return 0;
		c->pos++;
		dlp_rf_ws(c);
	}
}

void dlp_rf_key_release(struct dlp_rf_key *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		buf_release(&k->parts[i]);
	k->n = 0;
}

static int dlp_rf_digit(int ch, int base)
{
	int v = str_hexval(ch);

	return v >= 0 && v < base ? v : -1;
}

/* Digits of base at s + *i, with single underscores between digits. */
static bool dlp_rf_digits(const char *s, size_t *i, int base)
{
	size_t j = *i;

	if (dlp_rf_digit(s[j], base) < 0)
		return false;
	while (dlp_rf_digit(s[j], base) >= 0 ||
	       (s[j] == '_' && dlp_rf_digit(s[j + 1], base) >= 0))
		j++;
	*i = j;
	return true;
}

/* A TOML integer that fits int64 (s is at most DLP_RF_NUM_MAX bytes). */
static bool dlp_rf_is_int(const char *s)
{
	char tmp[DLP_RF_NUM_MAX + 1];
	size_t i = 0, n = 0;
	int base = 10;
	char *end;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'o' || s[1] == 'b')) {
		base = s[1] == 'x' ? 16 : s[1] == 'o' ? 8 : 2;
		i = 2;
	} else if (s[0] == '+' || s[0] == '-') {
		i = 1;
	}
	if (base == 10 && s[i] == '0' && s[i + 1] != '\0')
		return false;
	if (!dlp_rf_digits(s, &i, base) || s[i] != '\0')
		return false;
	for (i = base == 10 ? 0 : 2; s[i] != '\0'; i++)
		if (s[i] != '_')
			tmp[n++] = s[i];
	tmp[n] = '\0';
	errno = 0;
	(void)strtoll(tmp, &end, base);
	return errno == 0 && *end == '\0';
}

/* A TOML float: inf, nan, or an integer part with a fraction/exponent. */
static bool dlp_rf_is_float(const char *s)
{
	size_t i = s[0] == '+' || s[0] == '-';
	bool frac = false;

	if (strcmp(s + i, "inf") == 0 || strcmp(s + i, "nan") == 0)
		return true;
	if (s[i] == '0' && (dlp_rf_digit(s[i + 1], 10) >= 0 || s[i + 1] == '_'))
		return false;
	if (!dlp_rf_digits(s, &i, 10))
		return false;
	if (s[i] == '.') {
		i++;
		if (!dlp_rf_digits(s, &i, 10))
			return false;
		frac = true;
	}
	if (s[i] == 'e' || s[i] == 'E') {
		i++;
		i += s[i] == '+' || s[i] == '-';
		if (!dlp_rf_digits(s, &i, 10))
			return false;
		frac = true;
	}
	return frac && s[i] == '\0';
}

static bool dlp_rf_tokc(int ch)
{
	return dlp_rf_bare(ch) || ch == '+' || ch == '.';
}

/* A bare value at pos: true, false, an integer or a float. */
static int dlp_rf_scalar(struct dlp_rf_cur *c, struct dlp_rf_val *v)
{
	char tok[DLP_RF_NUM_MAX + 1];
	int ch = dlp_rf_peek(c, 0);
	size_t n = 0;

	while (dlp_rf_tokc(dlp_rf_peek(c, n)))
		n++;
	if (n > 0 && n <= DLP_RF_NUM_MAX) {
		memcpy(tok, c->p + c->pos, n);
		tok[n] = '\0';
		v->type = strcmp(tok, "true") == 0 || strcmp(tok, "false") == 0 ?
			  DLP_RF_BOOL : dlp_rf_is_int(tok) ? DLP_RF_INT :
			  dlp_rf_is_float(tok) ? DLP_RF_FLOAT : DLP_RF_STR;
		if (v->type != DLP_RF_STR) {
			c->pos += n;
			return 0;
		}
	}
	if (ch < 0 || ch == '#' || dlp_rf_nl_len(c) > 0)
		dlp_rf_err(c, c->line, dlp_rf_col(c), "toml-value",
			   "missing value");
	else if ((ch >= '0' && ch <= '9') || ch == '+' || ch == '-')
		dlp_rf_err(c, c->line, dlp_rf_col(c), "toml-value",
			   "bad number (date-times are not supported)");
	else
		dlp_rf_err(c, c->line, dlp_rf_col(c), "toml-value",
			   "unknown value type (expected a string, number, "
			   "boolean or array)");
	return -EINVAL;
}

/* Blanks, comments and newlines between array elements. */
static int dlp_rf_array_gap(struct dlp_rf_cur *c)
{
	size_t n;

	for (;;) {
		dlp_rf_ws(c);
		if (dlp_rf_comment(c) < 0)
			return -EINVAL;
		if ((n = dlp_rf_nl_len(c)) == 0)
			return 0;
		dlp_rf_newline(c, n);
	}
}

/* After an element: 1 for a comma, 0 for the closing bracket. */
static int dlp_rf_array_sep(struct dlp_rf_cur *c, int line, int col)
{
	int ch;

	if (dlp_rf_array_gap(c) < 0)
		return -EINVAL;
	ch = dlp_rf_peek(c, 0);
	c->pos += ch == ',' || ch == ']';
	if (ch == ',' || ch == ']')
		return ch == ',';
	if (ch < 0)
		dlp_rf_err(c, line, col, "toml-array", "unterminated array");
	else
		dlp_rf_err(c, c->line, dlp_rf_col(c), "toml-array",
			   "expected ',' or ']' in an array");
	return -EINVAL;
}

/* An array at pos; its elements are checked and dropped. */
static int dlp_rf_array(struct dlp_rf_cur *c, struct dlp_rf_val *v, int depth)
{
	int line = c->line, col = dlp_rf_col(c), rc;
	struct dlp_rf_val e;
	size_t n;

	if (depth >= DLP_RF_DEPTH_MAX) {
		dlp_rf_err(c, line, col, "toml-limit",
			   "arrays nested deeper than %d", DLP_RF_DEPTH_MAX);
		return -E2BIG;
	}
	v->type = DLP_RF_ARRAY;
	c->pos++;
	for (n = 0;; n++) {
		if (dlp_rf_array_gap(c) < 0)
			return -EINVAL;
		if (dlp_rf_peek(c, 0) == ']') {
			c->pos++;
			return 0;
		}
		if (n == DLP_RF_ARRAY_MAX) {
			dlp_rf_err(c, line, col, "toml-limit",
				   "array longer than %d elements",
				   DLP_RF_ARRAY_MAX);
			return -E2BIG;
		}
		if (dlp_rf_peek(c, 0) < 0)
			return dlp_rf_array_sep(c, line, col);
		buf_init(&e.s, DLP_RF_STR_MAX);
		rc = dlp_rf_value(c, &e, depth + 1);
		buf_release(&e.s);
		if (rc == 0)
			rc = dlp_rf_array_sep(c, line, col);
		if (rc <= 0)
			return rc;
	}
}

int dlp_rf_value(struct dlp_rf_cur *c, struct dlp_rf_val *v, int depth)
{
	int ch = dlp_rf_peek(c, 0);

	v->line = c->line;
	v->col = dlp_rf_col(c);
	if (ch == '"' || ch == '\'') {
		v->type = DLP_RF_STR;
		return dlp_rf_str(c, &v->s);
	}
	if (ch == '[')
		return dlp_rf_array(c, v, depth);
	if (ch == '{') {
		dlp_rf_err(c, v->line, v->col, "toml-value",
			   "inline tables are not supported");
		return -EINVAL;
	}
	return dlp_rf_scalar(c, v);
}
