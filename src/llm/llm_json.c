/*
 * A strict RFC 8259 JSON lexer over a text in memory: validation with the
 * offset of the first error, string decoding and encoding, and small
 * lookups (a member, a path, array elements) for SSE events.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "common/utf8.h"
#include "llm/llm_int.h"
#include "common/str.h"

/* Byte classes inside a string: 0 plain ASCII, 1 '"', 2 '\\', 3 control,
 * 4 non-ASCII (a UTF-8 sequence to check). */
static const unsigned char llm_json_cls[256] = {
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
};

void llm_json_init(struct llm_json *j, const char *p, size_t n)
{
	memset(j, 0, sizeof(*j));
	j->p = p;
	j->n = n;
}

int llm_json_fail(struct llm_json *j, int rc, const char *why)
{
	if (j->err == NULL) {
		j->err = why;
		j->err_off = j->pos;
	}
	return rc;
}

void llm_json_ws(struct llm_json *j)
{
	while (j->pos < j->n) {
		char c = j->p[j->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			return;
		j->pos++;
	}
}

/* Four hex digits at p (bounds checked by the caller); -1 if not hex. */
static long llm_json_u4(const char *p)
{
	long v = 0;

	for (int i = 0; i < 4; i++) {
		int h = str_hexval(p[i]);

		if (h < 0)
			return -1;
		v = (v << 4) | h;
	}
	return v;
}

/* One escape at the cursor (on the backslash). */
static int llm_json_skip_escape(struct llm_json *j)
{
	if (j->pos + 1 >= j->n)
		return llm_json_fail(j, -EINVAL, "unterminated string");
	switch (j->p[j->pos + 1]) {
	case '"': case '\\': case '/': case 'b': case 'f': case 'n':
	case 'r': case 't':
		j->pos += 2;
		return 0;
	case 'u':
		if (j->pos + 6 > j->n || llm_json_u4(j->p + j->pos + 2) < 0)
			return llm_json_fail(j, -EINVAL, "invalid \\u escape");
		j->pos += 6;
		return 0;
	default:
		return llm_json_fail(j, -EINVAL, "invalid escape");
	}
}

#ifdef __SSE2__
/* Step over plain ASCII string bytes sixteen at a time: stop at the first
 * byte below 0x20 or non-ASCII (one signed compare), '"' or '\\'. */
static size_t llm_json_plain(const char *p, size_t n, size_t i)
{
	const __m128i lo = _mm_set1_epi8(0x20), q = _mm_set1_epi8('"');
	const __m128i bs = _mm_set1_epi8('\\');
	__m128i v, m;
	unsigned bits;

	while (i + 16 <= n) {
		v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		m = _mm_or_si128(_mm_cmplt_epi8(v, lo),
				 _mm_or_si128(_mm_cmpeq_epi8(v, q),
					      _mm_cmpeq_epi8(v, bs)));
		bits = (unsigned)_mm_movemask_epi8(m);
		if (bits != 0)
			return i + (size_t)__builtin_ctz(bits);
		i += 16;
	}
	return i;
}
#else
#define LLM_ONES 0x0101010101010101ull
#define LLM_HIGHS 0x8080808080808080ull

/* Step over plain ASCII string bytes eight at a time: a word is plain if
 * no byte is below 0x20, '"', '\\' or non-ASCII. */
static size_t llm_json_plain(const char *p, size_t n, size_t i)
{
	uint64_t w, q, b;

	while (i + 8 <= n) {
		memcpy(&w, p + i, 8);
		q = w ^ (LLM_ONES * '"');
		b = w ^ (LLM_ONES * '\\');
		if (((w - LLM_ONES * 0x20) | (q - LLM_ONES) | (b - LLM_ONES) |
		     w) & LLM_HIGHS)
			break;
		i += 8;
	}
	return i;
}
#endif

/* A control byte (an error) or a UTF-8 sequence at the cursor: the
 * sequence's length, or <0 with the error recorded. */
static long llm_json_seq(struct llm_json *j)
{
	size_t l;

	if (llm_json_cls[(unsigned char)j->p[j->pos]] == 3)
		return llm_json_fail(j, -EINVAL, "control character in string");
	if ((l = utf8_seq_len(j->p + j->pos, j->n - j->pos)) == 0)
		return llm_json_fail(j, -EINVAL, "invalid UTF-8");
	return (long)l;
}

/* Step over plain bytes and valid UTF-8 to the next '"' or '\\': its
 * class (1 or 2), or <0 with the error recorded. */
static int llm_json_str_next(struct llm_json *j)
{
	const unsigned char *p = (const unsigned char *)j->p;
	long l;

	for (;;) {
		j->pos = llm_json_plain(j->p, j->n, j->pos);
		while (j->pos < j->n && llm_json_cls[p[j->pos]] == 0)
			j->pos++;
		if (j->pos >= j->n)
			return llm_json_fail(j, -EINVAL, "unterminated string");
		switch (llm_json_cls[p[j->pos]]) {
		case 1:
		case 2:
			return llm_json_cls[p[j->pos]];
		default:
			if ((l = llm_json_seq(j)) < 0)
				return (int)l;
			j->pos += (size_t)l;
		}
	}
}

int llm_json_skip_string(struct llm_json *j)
{
	int c;

	j->pos++; /* the opening quote */
	j->esc = false;
	while ((c = llm_json_str_next(j)) == 2) {
		j->esc = true;
		if (llm_json_skip_escape(j) < 0)
			return -EINVAL;
	}
	if (c < 0)
		return c;
	j->pos++;
	return 0;
}

static size_t llm_json_decode_esc(const char *p, size_t n, size_t i, char *o,
				  size_t *adv);

/* Copy plain ASCII from the cursor to *o up to the next byte of another
 * class, sixteen bytes at a time (writing at most j->n - j->pos bytes). */
static void llm_json_copy_plain(struct llm_json *j, char **o)
{
	const unsigned char *p = (const unsigned char *)j->p;
	char *w = *o;
#ifdef __SSE2__
	const __m128i lo = _mm_set1_epi8(0x20), q = _mm_set1_epi8('"');
	const __m128i bs = _mm_set1_epi8('\\');
	unsigned bits;

	while (j->pos + 16 <= j->n) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)
					    (j->p + j->pos));

		_mm_storeu_si128((__m128i *)(void *)w, v);
		bits = (unsigned)_mm_movemask_epi8(_mm_or_si128(
			_mm_cmplt_epi8(v, lo), _mm_or_si128(
			_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs))));
		if (bits != 0) {
			*o = w + __builtin_ctz(bits);
			j->pos += (size_t)__builtin_ctz(bits);
			return;
		}
		w += 16;
		j->pos += 16;
	}
#endif
	while (j->pos < j->n && llm_json_cls[p[j->pos]] == 0)
		*w++ = (char)p[j->pos++];
	*o = w;
}

/* The rest of a string from its first escape (at the cursor), validated
 * and decoded into *o in one pass; the cursor ends past the quote. */
static int llm_json_take_rest(struct llm_json *j, char **o)
{
	size_t at, adv;
	long l;

	for (;;) {
		llm_json_copy_plain(j, o);
		if (j->pos >= j->n)
			return llm_json_fail(j, -EINVAL, "unterminated string");
		switch (llm_json_cls[(unsigned char)j->p[j->pos]]) {
		case 1:
			j->pos++;
			return 0;
		case 2:
			at = j->pos;
			if (llm_json_skip_escape(j) < 0)
				return -EINVAL;
			*o += llm_json_decode_esc(j->p, j->n, at, *o, &adv);
			j->pos = at + adv; /* a joined pair is both valid */
			break;
		default:
			if ((l = llm_json_seq(j)) < 0)
				return (int)l;
			memcpy(*o, j->p + j->pos, (size_t)l);
			*o += l;
			j->pos += (size_t)l;
		}
	}
}

int llm_json_take_string(struct llm_json *j, struct buf *dec)
{
	size_t s = j->pos + 1;
	char *o;
	int c, rc;

	j->pos++; /* the opening quote */
	j->esc = false;
	if ((c = llm_json_str_next(j)) != 2)
		return c < 0 ? c : (j->pos++, 0);
	j->esc = true;
	buf_reset(dec);
	/* decoded <= encoded: what is left of the text is enough room */
	if ((rc = buf_reserve(dec, j->n - s)) < 0)
		return rc;
	memcpy(dec->data, j->p + s, j->pos - s);
	o = dec->data + (j->pos - s);
	if ((rc = llm_json_take_rest(j, &o)) < 0)
		return rc;
	*o = '\0';
	dec->len = (size_t)(o - dec->data);
	return 0;
}

static size_t llm_json_digits(struct llm_json *j)
{
	size_t s = j->pos;

	while (j->pos < j->n && j->p[j->pos] >= '0' && j->p[j->pos] <= '9')
		j->pos++;
	return j->pos - s;
}

static int llm_json_skip_number(struct llm_json *j)
{
	if (j->p[j->pos] == '-')
		j->pos++;
	if (j->pos < j->n && j->p[j->pos] == '0')
		j->pos++;
	else if (llm_json_digits(j) == 0)
		return llm_json_fail(j, -EINVAL, "invalid number");
	if (j->pos < j->n && j->p[j->pos] == '.') {
		j->pos++;
		if (llm_json_digits(j) == 0)
			return llm_json_fail(j, -EINVAL, "invalid fraction");
	}
	if (j->pos < j->n && (j->p[j->pos] == 'e' || j->p[j->pos] == 'E')) {
		j->pos++;
		if (j->pos < j->n &&
		    (j->p[j->pos] == '+' || j->p[j->pos] == '-'))
			j->pos++;
		if (llm_json_digits(j) == 0)
			return llm_json_fail(j, -EINVAL, "invalid exponent");
	}
	return 0;
}

static int llm_json_skip_lit(struct llm_json *j, const char *lit)
{
	size_t l = strlen(lit);

	if (j->n - j->pos < l || memcmp(j->p + j->pos, lit, l) != 0)
		return llm_json_fail(j, -EINVAL, "invalid literal");
	j->pos += l;
	return 0;
}

/* The members or elements of a container at the cursor ('{' or '['). */
static int llm_json_skip_container(struct llm_json *j)
{
	char close = j->p[j->pos] == '{' ? '}' : ']';
	int rc = 0;

	if (++j->depth > LLM_JSON_DEPTH_MAX)
		return llm_json_fail(j, -E2BIG, "nesting too deep");
	j->pos++;
	llm_json_ws(j);
	if (j->pos < j->n && j->p[j->pos] == close)
		goto out;
	for (;;) {
		if (close == '}') {
			if (j->pos >= j->n || j->p[j->pos] != '"') {
				rc = llm_json_fail(j, -EINVAL, "expected key");
				break;
			}
			if ((rc = llm_json_skip_string(j)) < 0)
				break;
			llm_json_ws(j);
			if (j->pos >= j->n || j->p[j->pos] != ':') {
				rc = llm_json_fail(j, -EINVAL, "expected ':'");
				break;
			}
			j->pos++;
		}
		if ((rc = llm_json_skip_value(j)) < 0)
			break;
		llm_json_ws(j);
		if (j->pos < j->n && j->p[j->pos] == ',') {
			j->pos++;
			llm_json_ws(j);
			continue;
		}
		if (j->pos < j->n && j->p[j->pos] == close)
			goto out;
		rc = llm_json_fail(j, -EINVAL, "expected ',' or close");
		break;
	}
	return rc;
out:
	j->pos++;
	j->depth--;
	return 0;
}

int llm_json_skip_value(struct llm_json *j)
{
	llm_json_ws(j);
	if (j->pos >= j->n)
		return llm_json_fail(j, -EINVAL, "expected a value");
	switch (j->p[j->pos]) {
	case '{': case '[':
		return llm_json_skip_container(j);
	case '"':
		return llm_json_skip_string(j);
	case 't':
		return llm_json_skip_lit(j, "true");
	case 'f':
		return llm_json_skip_lit(j, "false");
	case 'n':
		return llm_json_skip_lit(j, "null");
	default:
		if (j->p[j->pos] == '-' ||
		    (j->p[j->pos] >= '0' && j->p[j->pos] <= '9'))
			return llm_json_skip_number(j);
		return llm_json_fail(j, -EINVAL, "unexpected character");
	}
}

int llm_json_end(struct llm_json *j)
{
	llm_json_ws(j);
	if (j->pos != j->n)
		return llm_json_fail(j, -EINVAL, "trailing bytes after value");
	return 0;
}

int llm_json_validate(const char *p, size_t n, struct llm_json *j)
{
	int rc;

	llm_json_init(j, p, n);
	if ((rc = llm_json_skip_value(j)) < 0)
		return rc;
	return llm_json_end(j);
}

/* A \u escape at p[i] (validated) written at o; a surrogate pair joins
 * (a lone surrogate is kept as its 3-byte form, which encoding turns back
 * into the same escape). *adv = bytes read; returns bytes written. */
static size_t llm_json_decode_u(const char *p, size_t n, size_t i, char *o,
				size_t *adv)
{
	unsigned long cp = (unsigned long)llm_json_u4(p + i + 2);
	long lo;

	*adv = 6;
	if (cp >= 0xd800 && cp <= 0xdbff && i + 12 <= n && p[i + 6] == '\\' &&
	    p[i + 7] == 'u') {
		lo = llm_json_u4(p + i + 8);
		if (lo >= 0xdc00 && lo <= 0xdfff) {
			cp = 0x10000 + ((cp - 0xd800) << 10) +
			     ((unsigned long)lo - 0xdc00);
			*adv = 12;
		}
	}
	return utf8_encode(cp, o);
}

/* One escape at p[i] (validated) written at o; *adv = bytes read. */
static size_t llm_json_decode_esc(const char *p, size_t n, size_t i, char *o,
				  size_t *adv)
{
	static const char map[128] = {
		['b'] = '\b', ['f'] = '\f', ['n'] = '\n', ['r'] = '\r',
		['t'] = '\t', ['"'] = '"', ['\\'] = '\\', ['/'] = '/',
	};
	unsigned char c = (unsigned char)p[i + 1];

	if (c == 'u')
		return llm_json_decode_u(p, n, i, o, adv);
	*adv = 2;
	*o = c < 128 ? map[c] : 0;
	return 1;
}

/* A literal whose encoded length is over out's bound may still decode
 * into it (escapes are longer than what they stand for): via a copy. */
static int llm_json_decode_tight(const char *p, size_t n, struct buf *out)
{
	struct buf t;
	int rc;

	buf_init(&t, n);
	if ((rc = llm_json_decode(p, n, &t)) == 0)
		rc = buf_append(out, t.data, t.len);
	buf_release(&t);
	return rc;
}

/* Copy p[i..) to o up to the next backslash or n; returns the index
 * reached. Copies sixteen bytes at a time, which may write past the run
 * but never past o + (n - i) (the caller reserved that much). */
static size_t llm_json_run(const char *p, size_t n, size_t i, char **o)
{
	char *w = *o;
#ifdef __SSE2__
	const __m128i bs = _mm_set1_epi8('\\');
	unsigned bits;

	while (i + 16 <= n) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));

		_mm_storeu_si128((__m128i *)(void *)w, v);
		bits = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, bs));
		if (bits != 0) {
			*o = w + __builtin_ctz(bits);
			return i + (size_t)__builtin_ctz(bits);
		}
		w += 16;
		i += 16;
	}
#endif
	while (i < n && p[i] != '\\')
		*w++ = p[i++];
	*o = w;
	return i;
}

/* Every escape is at least as long as what it decodes to, so the room
 * for the encoded bytes is reserved once and written without checks. */
int llm_json_decode(const char *p, size_t n, struct buf *out)
{
	size_t i = 1, adv;
	char *o;
	int rc;

	if ((rc = buf_reserve(out, n - 1)) == -E2BIG)
		return llm_json_decode_tight(p, n, out);
	if (rc < 0)
		return rc;
	n--; /* the closing quote */
	o = out->data + out->len;
	while ((i = llm_json_run(p, n, i, &o)) < n) {
		o += llm_json_decode_esc(p, n, i, o, &adv);
		i += adv;
	}
	*o = '\0';
	out->len = (size_t)(o - out->data);
	return 0;
}

/* Append the escape of one ASCII byte that JSON requires escaped. */
static int llm_json_escape_byte(struct buf *out, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

	switch (c) {
	case '"': return buf_append(out, "\\\"", 2);
	case '\\': return buf_append(out, "\\\\", 2);
	case '\n': return buf_append(out, "\\n", 2);
	case '\r': return buf_append(out, "\\r", 2);
	case '\t': return buf_append(out, "\\t", 2);
	case '\b': return buf_append(out, "\\b", 2);
	case '\f': return buf_append(out, "\\f", 2);
	default: return buf_append(out, e, 6);
	}
}

/* A non-ASCII sequence at s: kept if valid UTF-8, a lone surrogate's
 * 3-byte form becomes its \u escape, anything else U+FFFD. */
static int llm_json_escape_high(struct buf *out, const char *s, size_t n,
				size_t *adv)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t l = utf8_seq_len(s, n);
	char e[7];

	if (l > 0) {
		*adv = l;
		return buf_append(out, s, l);
	}
	if (n >= 3 && u[0] == 0xed && u[1] >= 0xa0 && u[1] <= 0xbf &&
	    (u[2] & 0xc0) == 0x80) {
		unsigned cp = 0xd000 | ((u[1] & 0x3fu) << 6) | (u[2] & 0x3fu);

		snprintf(e, sizeof(e), "\\u%04x", cp);
		*adv = 3;
		return buf_append(out, e, 6);
	}
	*adv = 1;
	return buf_append(out, "\\ufffd", 6);
}

int llm_json_escape(struct buf *out, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run, adv;
	int rc = 0;

	while (i < n) {
		run = i;
		while (i < n && llm_json_cls[u[i]] == 0)
			i++;
		if ((rc = buf_append(out, s + run, i - run)) < 0 || i >= n)
			break;
		if (u[i] >= 0x80) {
			rc = llm_json_escape_high(out, s + i, n - i, &adv);
			i += adv;
		} else {
			rc = llm_json_escape_byte(out, u[i]);
			i++;
		}
		if (rc < 0)
			break;
	}
	return rc;
}

int llm_json_encode(struct buf *out, const char *s, size_t n)
{
	int rc;

	if ((rc = buf_putc(out, '"')) < 0 ||
	    (rc = llm_json_escape(out, s, n)) < 0)
		return rc;
	return buf_putc(out, '"');
}
