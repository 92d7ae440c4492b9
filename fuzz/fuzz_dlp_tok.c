/*
 * libFuzzer target: bytes -> dlp_apply with a tokenizing session. The
 * output must be the input with each finding replaced (gaps verbatim),
 * every PII token must restore to exactly its value, and applying again
 * must change nothing. The first byte picks the map bound and mode.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dlp/dlp_tok_int.h"
#include "fuzz_dlp_engine.h"

#define FUZZ_OUT_MAX (1u << 24)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct dlp_engine *fuzz_engine(void)
{
	static const struct dlp_custom cu[] = {
		{ "ticket", "TICKET", "T[0-9]{4}" },     /* no word bounds */
		{ "lower", "low er]", "[a-z]{10}" },     /* odd display */
	};

	return fuzz_dlp_engine(cu, 2);
}

struct fuzz_walk {
	struct dlp_session *s;
	const char *in;
	const struct buf *out;
	size_t in_pos, out_pos;
};

static bool fuzz_wordc(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '_';
}

static bool fuzz_same(const char *a, const char *b, size_t n)
{
	return n == 0 || memcmp(a, b, n) == 0;
}

/* Where the replacement of a, which ends the output, begins. */
static size_t fuzz_repl_start(const struct fuzz_walk *w,
			      const struct dlp_applied *a)
{
	const char *o = w->out->data;
	size_t beg = w->out->len, ml = strlen("[REDACTED:]");

	if (a->action == DLP_ACT_TOKENIZE) {
		while (beg > w->out_pos && fuzz_wordc(o[beg - 1]))
			beg--;
		return beg;
	}
	if (beg - w->out_pos < ml + strlen(a->display) ||
	    memcmp(o + beg - ml - strlen(a->display), "[REDACTED:", 10) != 0)
		abort();
	return beg - ml - strlen(a->display);
}

static int fuzz_walk_one(const struct dlp_applied *a, void *arg)
{
	struct fuzz_walk *w = arg;
	size_t beg = fuzz_repl_start(w, a), end = w->out->len;
	struct buf v;

	if (a->start < w->in_pos || a->end <= a->start ||
	    beg - w->out_pos != a->start - w->in_pos ||
	    !fuzz_same(w->out->data + w->out_pos, w->in + w->in_pos,
		       beg - w->out_pos))
		abort();
	if (a->action == DLP_ACT_TOKENIZE) {
		buf_init(&v, DLP_TOKEN_VALUE_MAX);
		if (!dlp_tok_grammar(w->out->data + beg, end - beg, NULL) ||
		    dlp_session_restore(w->s, w->out->data + beg, end - beg,
					DLP_LANE_TEXT, &v) != 0 ||
		    v.len != a->end - a->start ||
		    memcmp(v.data, w->in + a->start, v.len) != 0)
			abort();
		buf_release(&v);
	}
	w->in_pos = a->end;
	w->out_pos = end;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[DLP_KEY_LEN] = "fuzz-key-fuzz-key-fuzz-key-fuzz";
	struct dlp_engine *e = fuzz_engine();
	struct dlp_session_opts o = { .pii = DLP_ACT_TOKENIZE };
	struct dlp_session *s = NULL;
	struct fuzz_walk w = { .out = NULL };
	struct buf b, b2;
	int rc;

	if (size == 0)
		return 0;
	o.max_tokens = data[0] & 1 ? 2 : 0;
	o.pii = data[0] & 2 ? DLP_ACT_REDACT : DLP_ACT_TOKENIZE;
	if (dlp_session_new_keyed(&o, key, data[0] & 4 ? 2 : DLP_TAIL_BITS,
				  &s) < 0)
		abort();
	w.s = s;
	w.in = (const char *)data + 1;
	w.out = &b;
	buf_init(&b, FUZZ_OUT_MAX);
	buf_init(&b2, FUZZ_OUT_MAX);
	rc = dlp_apply(e, s, w.in, size - 1, &b, fuzz_walk_one, &w, NULL);
	if (rc != 0 && rc != -ENOSPC && rc != -E2BIG && rc != -ERANGE)
		abort();
	/* the rest is copied; a second pass changes nothing */
	if (rc == 0 && (b.len - w.out_pos != size - 1 - w.in_pos ||
			!fuzz_same(b.data + w.out_pos, w.in + w.in_pos,
				   b.len - w.out_pos) ||
			dlp_apply(e, s, b.data, b.len, &b2, NULL, NULL,
				  NULL) != 0 || b2.len != b.len ||
			!fuzz_same(b.data, b2.data, b.len)))
		abort();
	buf_release(&b);
	buf_release(&b2);
	dlp_session_free(s);
	return 0;
}
