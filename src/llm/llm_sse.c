/*
 * text/event-stream framing (WHATWG HTML, "Server-sent events"): lines end
 * in CRLF, LF or CR; a blank line ends an event; data lines join with LF;
 * lines starting with ':' are comments. Bytes may be split anywhere
 * between feeds. Each event is handed over with its raw bytes, so an
 * event nobody changes is forwarded byte for byte.
 */
#include <errno.h>
#include <string.h>

#include "llm/llm_int.h"

#define LLM_SSE_TYPE_MAX 256 /* bytes of an event field kept */

void llm_sse_init(struct llm_sse *s)
{
	memset(s, 0, sizeof(*s));
	buf_init(&s->in, LLM_SSE_EVENT_MAX);
	buf_init(&s->type, LLM_SSE_TYPE_MAX);
	buf_init(&s->data, LLM_SSE_EVENT_MAX);
}

void llm_sse_release(struct llm_sse *s)
{
	buf_release(&s->in);
	buf_release(&s->type);
	buf_release(&s->data);
}

/* The line at r[*i..n): its length and the line end; *i moves past it. */
static size_t llm_sse_line(const char *r, size_t n, size_t *i,
			   const char **eol)
{
	size_t s = *i, e = s;

	while (e < n && r[e] != '\n' && r[e] != '\r')
		e++;
	*eol = "\n";
	if (e < n && r[e] == '\r' && e + 1 < n && r[e + 1] == '\n') {
		*eol = "\r\n";
		*i = e + 2;
	} else {
		if (e < n && r[e] == '\r')
			*eol = "\r";
		*i = e < n ? e + 1 : n;
	}
	return e - s;
}

/* One field line into the event being built. */
static int llm_sse_field(struct llm_sse *s, const char *l, size_t n,
			 bool *has_data)
{
	const char *colon = memchr(l, ':', n);
	size_t fl = colon != NULL ? (size_t)(colon - l) : n;
	const char *v = colon != NULL ? colon + 1 : l + n;
	size_t vl = (size_t)(l + n - v);
	int rc = 0;

	if (vl > 0 && v[0] == ' ') {
		v++;
		vl--;
	}
	if (fl == 5 && memcmp(l, "event", 5) == 0) {
		buf_reset(&s->type);
		if (buf_append(&s->type, v, vl) < 0)
			buf_reset(&s->type); /* too long: no known type */
	} else if (fl == 4 && memcmp(l, "data", 4) == 0) {
		if ((rc = buf_append(&s->data, v, vl)) == 0)
			rc = buf_putc(&s->data, '\n');
		*has_data = true;
	}
	return rc;
}

/* Parse the complete event r[0..n) and hand it to fn. */
static int llm_sse_dispatch(struct llm_sse *s, const char *r, size_t n,
			    llm_sse_fn fn, void *arg)
{
	struct llm_sse_ev ev = { .raw = r, .raw_len = n, .eol = NULL };
	bool has_data = false;
	const char *eol;
	size_t i = 0, l;
	int rc;

	buf_reset(&s->type);
	buf_reset(&s->data);
	while (i < n) {
		const char *line = r + i;

		l = llm_sse_line(r, n, &i, &eol);
		if (ev.eol == NULL)
			ev.eol = eol;
		if (l == 0 || line[0] == ':')
			continue;
		if ((rc = llm_sse_field(s, line, l, &has_data)) < 0)
			return rc;
	}
	ev.type = s->type.data != NULL ? s->type.data : "";
	if (has_data) {
		s->data.len--; /* the last LF */
		s->data.data[s->data.len] = '\0';
		ev.data = s->data.data;
		ev.data_len = s->data.len;
	}
	if (ev.eol == NULL)
		ev.eol = "\n";
	return fn(arg, &ev);
}

/* An event ends at p[i] (its last byte); dispatch in + p[start..i]. */
static int llm_sse_emit(struct llm_sse *s, const char *p, size_t start,
			size_t end, llm_sse_fn fn, void *arg)
{
	int rc;

	s->line_len = 0;
	s->cr = false;
	if (s->in.len == 0)
		return llm_sse_dispatch(s, p + start, end - start, fn, arg);
	if ((rc = buf_append(&s->in, p + start, end - start)) < 0)
		return rc;
	rc = llm_sse_dispatch(s, s->in.data, s->in.len, fn, arg);
	buf_reset(&s->in);
	return rc;
}

int llm_sse_feed(struct llm_sse *s, const char *p, size_t n, llm_sse_fn fn,
		 void *arg, struct buf *raw)
{
	size_t i = 0, start;
	int rc;

	if (s->skip_lf && n > 0) {
		s->skip_lf = false;
		if (p[0] == '\n') {
			if ((rc = buf_putc(raw, '\n')) < 0)
				return rc;
			i = 1;
		}
	}
	for (start = i; i < n; i++) {
		char c = p[i];
		bool was_cr = s->cr;

		s->cr = c == '\r';
		if (c == '\n' && was_cr)
			continue; /* the LF of a CRLF */
		if (c != '\n' && c != '\r') {
			s->line_len++;
			continue;
		}
		if (s->line_len > 0) {
			s->line_len = 0;
			continue;
		}
		/* A blank line: the event ends here (with the LF of a CRLF). */
		if (c == '\r' && i + 1 < n && p[i + 1] == '\n')
			i++;
		else if (c == '\r' && i + 1 == n)
			s->skip_lf = true; /* the next feed may start with it */
		if ((rc = llm_sse_emit(s, p, start, i + 1, fn, arg)) < 0)
			return rc;
		start = i + 1;
	}
	return buf_append(&s->in, p + start, n - start);
}

int llm_sse_finish(struct llm_sse *s, struct buf *raw)
{
	int rc = buf_append(raw, s->in.data != NULL ? s->in.data : "",
			    s->in.len);

	buf_reset(&s->in);
	return rc;
}

/* Data d[0..n) as data lines, one per LF-separated piece. */
static int llm_sse_put_data(const char *d, size_t n, const char *eol,
			    struct buf *out)
{
	const char *nl;
	int rc;

	for (;;) {
		nl = memchr(d, '\n', n);
		if ((rc = buf_append(out, "data: ", 6)) < 0 ||
		    (rc = buf_append(out, d, nl ? (size_t)(nl - d) : n)) < 0 ||
		    (rc = buf_puts(out, eol)) < 0 || nl == NULL)
			return rc;
		n -= (size_t)(nl - d) + 1;
		d = nl + 1;
	}
}

int llm_sse_reencode(const struct llm_sse_ev *ev, const char *d, size_t n,
		     struct buf *out)
{
	bool done = false;
	const char *eol;
	size_t i = 0, l, s;
	int rc = 0;

	while (i < ev->raw_len && rc == 0) {
		s = i;
		l = llm_sse_line(ev->raw, ev->raw_len, &i, &eol);
		if (l >= 4 && memcmp(ev->raw + s, "data", 4) == 0 &&
		    (l == 4 || ev->raw[s + 4] == ':')) {
			if (!done)
				rc = llm_sse_put_data(d, n, ev->eol, out);
			done = true;
			continue;
		}
		rc = buf_append(out, ev->raw + s, i - s);
	}
	return rc;
}
