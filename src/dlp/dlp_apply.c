/*
 * dlp_apply: one left-to-right rewrite of a text with each finding
 * redacted or tokenized, never touching what an earlier pass produced.
 *
 * Protected regions are whole-word tokens whose TYPE belongs to a rule of
 * the engine and markers [REDACTED:<display of a rule>]; they are copied
 * as they are and split the text into pieces that are scanned on their
 * own, so no finding can start, end or sit inside one.
 *
 * Idempotence: the output of a piece is its gaps (the text between
 * findings) and the replacements, which are protected regions again. A
 * second pass therefore scans each gap alone; so that it finds nothing
 * new, every gap is scanned alone here too (recursively, at most
 * DLP_APPLY_DEPTH_MAX levels) before it is copied.
 *
 * A token is only emitted where it stays a whole word: after a byte that
 * is not [A-Za-z0-9_] in the output, and before such a byte in the input
 * or before the next finding (which then sees the token before it and is
 * redacted). Otherwise, and for values over DLP_TOKEN_VALUE_MAX, the
 * finding is redacted instead.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dlp/dlp_int.h"
#include "dlp/dlp_tok_int.h"

#define DLP_APPLY_DEPTH_MAX 4  /* nested rescans of gaps */
#define DLP_FOUND_INIT 16

struct dlp_apply_ctx {
	struct dlp_engine *e;
	struct dlp_session *s;
	const char *text;
	size_t len;
	struct buf *out;
	size_t out0;            /* out->len when dlp_apply started */
	dlp_applied_cb cb;
	void *arg;
	struct dlp_finding *f;  /* findings of the pieces being applied */
	size_t nf, capf;
	size_t off;             /* offset of the piece being scanned */
	size_t next;            /* start of the next finding to apply */
	size_t n;               /* findings applied */
	size_t done;            /* text before this is in out (or replaced) */
};

/* Length of a protected token at text[q] (range [a,b)), or 0. */
static size_t dlp_apply_tok_at(const struct dlp_apply_ctx *c, size_t a,
			       size_t b, size_t q)
{
	const char *t = c->text;
	size_t w = q, tl;

	if (q > a && dlp_tok_wordc((unsigned char)t[q - 1]))
		return 0;
	while (w < b && w - q <= DLP_TOKEN_MAX &&
	       dlp_tok_wordc((unsigned char)t[w]))
		w++;
	if (w - q > DLP_TOKEN_MAX || !dlp_tok_grammar(t + q, w - q, &tl) ||
	    !dlp_known_type(c->e, t + q + 4, tl, true))
		return 0;
	return w - q;
}

/* Length of a protected marker at text[q] (range end b), or 0. */
static size_t dlp_apply_mark_at(const struct dlp_apply_ctx *c, size_t b,
				size_t q)
{
	size_t p = q + sizeof(DLP_MARKER_PREFIX) - 1, e = p;

	while (e < b && e - p < DLP_NAME_MAX && c->text[e] != ']')
		e++;
	if (e >= b || c->text[e] != ']' || e == p ||
	    !dlp_known_display(c->e, c->text + p, e - p))
		return 0;
	return e + 1 - q;
}

/* The next occurrence of lit in text[from, b), or b: memchr for its
 * first byte (faster than memmem on these short needles). */
static size_t dlp_apply_next(const struct dlp_apply_ctx *c, size_t from,
			     size_t b, const char *lit, size_t n)
{
	const char *t = c->text, *p;

	while (from + n <= b &&
	       (p = memchr(t + from, lit[0], b - from - n + 1)) != NULL) {
		if (memcmp(p + 1, lit + 1, n - 1) == 0)
			return (size_t)(p - t);
		from = (size_t)(p - t) + 1;
	}
	return b;
}

static int dlp_apply_collect(const struct dlp_finding *f, void *arg)
{
	struct dlp_apply_ctx *c = arg;

	if (c->nf == c->capf) {
		size_t cap = c->capf ? c->capf * 2 : DLP_FOUND_INIT;
		struct dlp_finding *v = realloc(c->f, cap * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		c->f = v;
		c->capf = cap;
	}
	c->f[c->nf] = *f;
	c->f[c->nf].start += c->off;
	c->f[c->nf].end += c->off;
	c->nf++;
	return 0;
}

/* May a token replace text[start, end) and stay a whole word? */
static bool dlp_apply_word_ok(const struct dlp_apply_ctx *c, size_t end)
{
	const struct buf *o = c->out;

	if (o->len > c->out0 &&
	    dlp_tok_wordc((unsigned char)o->data[o->len - 1]))
		return false;
	return end >= c->len || end == c->next ||
	       !dlp_tok_wordc((unsigned char)c->text[end]);
}

static int dlp_apply_marker(struct dlp_apply_ctx *c, const char *display)
{
	int rc = buf_puts(c->out, DLP_MARKER_PREFIX);

	for (size_t i = 0; rc == 0 && display[i] != '\0'; i++)
		rc = buf_putc(c->out, dlp_markc((unsigned char)display[i]));
	if (rc == 0)
		rc = buf_putc(c->out, ']');
	return rc;
}

/* Write the text from the last replacement up to at: the output is the
 * text itself except where findings were replaced, so unchanged bytes are
 * only copied once something before them changed. */
static int dlp_apply_flush(struct dlp_apply_ctx *c, size_t at)
{
	int rc = buf_append(c->out, c->text + c->done, at - c->done);

	c->done = at;
	return rc;
}

/* Replace one finding; the token map may refuse with -ENOSPC. */
static int dlp_apply_one(struct dlp_apply_ctx *c, const struct dlp_finding *f)
{
	struct dlp_applied a = {
		.rule = f->rule, .display = f->display,
		.start = f->start, .end = f->end, .action = DLP_ACT_REDACT,
	};
	char type[DLP_TYPE_MAX + 1], tok[DLP_TOKEN_MAX];
	size_t typelen, toklen;
	int rc;

	if ((rc = dlp_apply_flush(c, f->start)) < 0)
		return rc;
	c->done = f->end;
	if (c->s != NULL && !f->secret && c->s->o.pii == DLP_ACT_TOKENIZE &&
	    f->end - f->start <= DLP_TOKEN_VALUE_MAX &&
	    dlp_apply_word_ok(c, f->end))
		a.action = DLP_ACT_TOKENIZE;
	if (a.action == DLP_ACT_TOKENIZE) {
		typelen = dlp_tok_type(f->display, type);
		rc = dlp_session_token(c->s, type, typelen, c->text + f->start,
				       f->end - f->start, tok, &toklen);
		if (rc == 0)
			rc = buf_append(c->out, tok, toklen);
	} else {
		rc = dlp_apply_marker(c, f->display);
	}
	c->n++;
	if (rc == 0 && c->cb != NULL)
		rc = c->cb(&a, c->arg);
	return rc;
}

static int dlp_apply_range(struct dlp_apply_ctx *c, size_t a, size_t b,
			   unsigned depth);

/* A gap between findings: scanned alone again, or copied at the limit. */
static int dlp_apply_gap(struct dlp_apply_ctx *c, size_t a, size_t b,
			 unsigned depth)
{
	if (depth >= DLP_APPLY_DEPTH_MAX)
		return 0; /* kept as it is */
	return dlp_apply_range(c, a, b, depth + 1);
}

/* Scan text[a, b) (no protected region inside) and rewrite it. */
static int dlp_apply_piece(struct dlp_apply_ctx *c, size_t a, size_t b,
			   unsigned depth)
{
	size_t base = c->nf, pos = a, next = c->next;
	int rc;

	if (a == b)
		return 0;
	c->off = a;
	rc = dlp_scan(c->e, c->text + a, b - a, dlp_apply_collect, c);
	if (rc == 0 && c->nf == base)
		return 0;
	for (size_t i = base; rc == 0 && i < c->nf; i++) {
		struct dlp_finding f = c->f[i]; /* c->f may move below */

		c->next = f.start;
		rc = dlp_apply_gap(c, pos, f.start, depth);
		c->next = i + 1 < c->nf ? c->f[i + 1].start : next;
		if (rc == 0)
			rc = dlp_apply_one(c, &f);
		pos = f.end;
	}
	c->next = next;
	if (rc == 0)
		rc = dlp_apply_gap(c, pos, b, depth);
	c->nf = base;
	return rc;
}

/* Rewrite text[a, b): protected regions copied, the pieces between scanned. */
static int dlp_apply_range(struct dlp_apply_ctx *c, size_t a, size_t b,
			   unsigned depth)
{
	const size_t ml = sizeof(DLP_MARKER_PREFIX) - 1;
	size_t p = a, q = a, nt, nm;
	int rc = 0;

	nt = dlp_apply_next(c, a, b, "DLP_", 4);
	nm = dlp_apply_next(c, a, b, DLP_MARKER_PREFIX, ml);
	while (rc == 0 && q < b) {
		size_t k = 0;

		q = nt < nm ? nt : nm;
		if (q < b)
			k = q == nt ? dlp_apply_tok_at(c, a, b, q) :
				dlp_apply_mark_at(c, b, q);
		if (q < b && k == 0) {
			/* not protected: look further, the piece goes on */
			if (q == nt)
				nt = dlp_apply_next(c, q + 1, b, "DLP_", 4);
			else
				nm = dlp_apply_next(c, q + 1, b,
						    DLP_MARKER_PREFIX, ml);
			continue;
		}
		rc = dlp_apply_piece(c, p, q, depth); /* text[q, q+k) kept */
		p = q = q + k;
		if (nt < q)
			nt = dlp_apply_next(c, q, b, "DLP_", 4);
		if (nm < q)
			nm = dlp_apply_next(c, q, b, DLP_MARKER_PREFIX, ml);
	}
	return rc;
}

int dlp_apply_lazy(struct dlp_engine *e, struct dlp_session *s,
		   const char *text, size_t len, struct buf *out,
		   dlp_applied_cb cb, void *arg, struct dlp_stats *st,
		   bool *changed)
{
	struct dlp_apply_ctx c = {
		.e = e, .s = s, .text = text ? text : "", .len = len,
		.out = out, .out0 = out->len, .cb = cb, .arg = arg,
		.next = SIZE_MAX,
	};
	int rc = -E2BIG;

	*changed = false;
	if (len <= DLP_TEXT_MAX)
		rc = dlp_apply_range(&c, 0, len, 0);
	if (rc == 0 && c.n > 0)
		rc = dlp_apply_flush(&c, len);
	free(c.f);
	if (rc == 0) {
		*changed = c.n > 0;
		if (st != NULL) {
			st->findings += c.n;
			st->bytes_in += len;
			st->bytes_out += c.n > 0 ? out->len - c.out0 : len;
		}
	}
	return rc;
}

int dlp_apply(struct dlp_engine *e, struct dlp_session *s, const char *text,
	      size_t len, struct buf *out, dlp_applied_cb cb, void *arg,
	      struct dlp_stats *st)
{
	bool changed;
	int rc;

	rc = dlp_apply_lazy(e, s, text, len, out, cb, arg, st, &changed);
	if (rc == 0 && !changed)
		rc = buf_append(out, text ? text : "", len);
	return rc;
}
