/*
 * Restoring DLP tokens in text that arrives in pieces. A token is a whole
 * word (a maximal run of [A-Za-z0-9_]) of the form
 * DLP_[A-Z][A-Z0-9_]{0,31}_[a-z2-7]{10}. A word that reaches the end of a
 * piece and could still become a token is held back (at most
 * LLM_TOKEN_MAX - 1 bytes) and scanned again with the next piece of the
 * same lane. In JSON source text (tool arguments) an escape such as \n
 * separates words and a restored value is JSON-escaped.
 */
#include <errno.h>
#include <string.h>

#include "llm/llm_int.h"

#define LLM_TOK_LEN_MAX 47 /* "DLP_" + 32 + "_" + 10 */
#define LLM_TOK_TYPE_MAX 32
#define LLM_TOK_TAIL 10

struct llm_lscan {
	const struct llm_restore_hooks *h;
	enum llm_lane lane;
	bool src, final, prev_word;
	struct buf *out;
	struct buf val;
};

static bool llm_tok_w(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

static bool llm_tok_type_c(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static bool llm_tok_tail_c(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7');
}

bool llm_tok_is_token(const char *w, size_t n)
{
	if (n < 4 + 1 + 1 + LLM_TOK_TAIL || n > LLM_TOK_LEN_MAX ||
	    memcmp(w, "DLP_", 4) != 0 || w[4] < 'A' || w[4] > 'Z' ||
	    w[n - LLM_TOK_TAIL - 1] != '_')
		return false;
	for (size_t i = 5; i < n - LLM_TOK_TAIL - 1; i++)
		if (!llm_tok_type_c(w[i]))
			return false;
	for (size_t i = n - LLM_TOK_TAIL; i < n; i++)
		if (!llm_tok_tail_c(w[i]))
			return false;
	return true;
}

bool llm_tok_is_prefix(const char *w, size_t n)
{
	size_t t;

	if (n > LLM_TOK_LEN_MAX || memcmp(w, "DLP_", n < 4 ? n : 4) != 0)
		return false;
	if (n <= 4)
		return true;
	if (w[4] < 'A' || w[4] > 'Z')
		return false;
	for (t = 5; t < n && llm_tok_type_c(w[t]); t++)
		;
	if (t == n && n - 4 <= LLM_TOK_TYPE_MAX)
		return true;
	/* Some '_' of the type run may be the separator before the tail. */
	for (size_t j = 5; j < n && j <= t && j - 4 <= LLM_TOK_TYPE_MAX; j++) {
		size_t k;

		if (w[j] != '_' || n - j - 1 > LLM_TOK_TAIL)
			continue;
		for (k = j + 1; k < n && llm_tok_tail_c(w[k]); k++)
			;
		if (k == n)
			return true;
	}
	return false;
}

/* A whole word: its restored value if it is a token the hook knows. */
static int llm_lane_word(struct llm_lscan *c, const char *w, size_t n)
{
	if (c->h != NULL && c->h->restore != NULL && llm_tok_is_token(w, n)) {
		buf_reset(&c->val);
		if (c->h->restore(c->h->arg, w, n, c->lane, &c->val) == 0) {
			if (c->val.len == 0)
				return 0;
			return c->src ? llm_json_escape(c->out, c->val.data,
							c->val.len)
				      : buf_append(c->out, c->val.data,
						   c->val.len);
		}
	}
	return buf_append(c->out, w, n);
}

/*
 * Emit t[0..n) with tokens restored; *cut is where a held-back tail
 * starts (n when nothing is held). c->prev_word is updated to the state
 * before t[*cut].
 */
static int llm_lane_run(struct llm_lscan *c, const char *t, size_t n,
			size_t *cut)
{
	size_t i = 0, run = 0, ws, el;
	bool pw = c->prev_word;
	int rc;

	*cut = n;
	while (i < n) {
		if (c->src && t[i] == '\\') {
			el = i + 1 < n && t[i + 1] == 'u' ? 6 : 2;
			if (i + el > n && !c->final) {
				*cut = i;
				break;
			}
			i = i + el > n ? n : i + el;
			pw = false;
			continue;
		}
		if (!llm_tok_w((unsigned char)t[i])) {
			i++;
			pw = false;
			continue;
		}
		for (ws = i; i < n && llm_tok_w((unsigned char)t[i]); i++)
			;
		if (pw)
			continue; /* the rest of a word begun earlier */
		pw = true;
		if (i == n && !c->final && llm_tok_is_prefix(t + ws, i - ws)) {
			*cut = ws;
			pw = false;
			break;
		}
		if (!llm_tok_is_token(t + ws, i - ws))
			continue;
		if ((rc = buf_append(c->out, t + run, ws - run)) < 0 ||
		    (rc = llm_lane_word(c, t + ws, i - ws)) < 0)
			return rc;
		run = i;
	}
	c->prev_word = pw;
	return buf_append(c->out, t + run, *cut - run);
}

int llm_lane_push(struct llm_carry *l, const struct llm_restore_hooks *h,
		  const char *s, size_t n, bool final, struct buf *out)
{
	struct llm_lscan c = { .h = h, .lane = l->lane, .src = l->src,
			       .final = final, .prev_word = l->prev_word,
			       .out = out };
	struct buf work;
	const char *t = s;
	size_t tn = n, cut;
	int rc;

	buf_init(&work, LLM_SSE_EVENT_MAX + LLM_TOKEN_MAX);
	buf_init(&c.val, LLM_SSE_EVENT_MAX);
	if (l->carry_len > 0) {
		if ((rc = buf_append(&work, l->carry, l->carry_len)) < 0 ||
		    (rc = buf_append(&work, s, n)) < 0)
			goto out;
		t = work.data;
		tn = work.len;
	}
	if ((rc = llm_lane_run(&c, t, tn, &cut)) < 0)
		goto out;
	if (tn - cut > sizeof(l->carry)) {
		rc = -EOVERFLOW; /* cannot happen: holds are bounded */
		goto out;
	}
	memmove(l->carry, t + cut, tn - cut);
	l->carry_len = tn - cut;
	l->prev_word = c.prev_word;
out:
	buf_release(&work);
	buf_release(&c.val);
	return rc;
}

int llm_restore_all(const struct llm_restore_hooks *h, enum llm_lane lane,
		    bool src, const char *s, size_t n, struct buf *out)
{
	struct llm_lscan c = { .h = h, .lane = lane, .src = src,
			       .final = true, .out = out };
	size_t cut;
	int rc;

	buf_init(&c.val, LLM_SSE_EVENT_MAX);
	rc = llm_lane_run(&c, s, n, &cut);
	buf_release(&c.val);
	return rc;
}
