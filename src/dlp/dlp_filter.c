/*
 * Filters that look past the matched value: gitleaks-style entropy gate,
 * Presidio-style context words before weak PII (a bare 9-digit SSN, a bare
 * 10-digit phone number), and no findings inside what an earlier pass
 * already replaced (DLP_<TYPE>_<tail> tokens and [REDACTED:<DISPLAY>]
 * markers, both only for the TYPE or display of a rule of the engine).
 * They read the whole text, never the Hyperscan window, so both scan
 * paths decide alike.
 */
#include <math.h>
#include <string.h>

#include "dlp/dlp_int.h"
#include "dlp/dlp_tok.h"
#include "dlp/dlp_tok_int.h"

#define DLP_CTX_WORD_MAX 32   /* bytes of one context word */

double dlp_entropy(const char *s, size_t n)
{
	unsigned cnt[256] = { 0 };
	double h = 0;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		cnt[(unsigned char)s[i]]++;
	for (size_t i = 0; i < 256; i++) {
		double p;

		if (cnt[i] == 0)
			continue;
		p = (double)cnt[i] / (double)n;
		h -= p * log2(p);
	}
	return h;
}

static bool dlp_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool dlp_word(char c)
{
	return dlp_alpha(c) || (c >= '0' && c <= '9') || c == '_';
}

/* Does w[0..wl) start a word in text[from..to) (case-insensitive)? */
static bool dlp_ctx_word(const char *text, size_t from, size_t to,
			 const char *w, size_t wl)
{
	for (size_t i = from; i + wl <= to; i++) {
		/* a word starts after a non-letter or an escape like \n */
		if (i > 0 && dlp_alpha(text[i - 1]) &&
		    !(i > 1 && text[i - 2] == '\\'))
			continue;
		if (strncasecmp(text + i, w, wl) == 0)
			return true;
	}
	return false;
}

/* One of r's context words within r->ctx_window bytes before s. */
static bool dlp_context(const struct dlp_rule *r, const char *text,
			size_t s)
{
	size_t from = s > r->ctx_window ? s - r->ctx_window : 0;
	const char *w = r->context;

	while (*w != '\0') {
		size_t wl = strcspn(w, "|");

		if (wl > 0 && wl <= DLP_CTX_WORD_MAX &&
		    dlp_ctx_word(text, from, s, w, wl))
			return true;
		w += wl;
		if (*w == '|')
			w++;
	}
	return false;
}

bool dlp_known_type(const struct dlp_engine *e, const char *t, size_t n,
		    bool tokens_only)
{
	char type[DLP_TYPE_MAX + 1];

	for (size_t i = 0; i < e->n; i++)
		if ((!tokens_only || e->rules[i].family != DLP_FAM_KEY) &&
		    dlp_tok_type(e->rules[i].display, type) == n &&
		    memcmp(type, t, n) == 0)
			return true;
	return false;
}

char dlp_markc(unsigned char c)
{
	return c == '[' || c == ']' || c < 0x20 || c == 0x7f ? '_' : (char)c;
}

bool dlp_known_display(const struct dlp_engine *e, const char *s, size_t n)
{
	for (size_t i = 0; i < e->n; i++) {
		const char *d = e->rules[i].display;
		size_t k = 0;

		while (k < n && d[k] != '\0' &&
		       dlp_markc((unsigned char)d[k]) == s[k])
			k++;
		if (k == n && d[k] == '\0')
			return true;
	}
	return false;
}

/*
 * Length of the whole-word DLP_<TYPE>_<tail> token at text[p] whose TYPE
 * is that of a rule of e, or 0.
 */
static size_t dlp_token_at(const struct dlp_engine *e, const char *text,
			   size_t len, size_t p)
{
	size_t q = p, tl;

	if (p > 0 && dlp_word(text[p - 1]))
		return 0;
	while (q < len && q - p <= DLP_TOKEN_MAX && dlp_word(text[q]))
		q++;
	if (q - p > DLP_TOKEN_MAX || !dlp_tok_grammar(text + p, q - p, &tl) ||
	    !dlp_known_type(e, text + p + 4, tl, false))
		return 0;
	return q - p;
}

/*
 * Length of the marker [REDACTED:<display of a rule of e>] at text[p], or
 * 0: a marker of no rule hides nothing (a key pasted as "[REDACTED:ghp_...]"
 * is still found).
 */
static size_t dlp_marker_at(const struct dlp_engine *e, const char *text,
			    size_t len, size_t p)
{
	size_t a = p + sizeof(DLP_MARKER_PREFIX) - 1, q = a;

	while (q < len && q - a < DLP_NAME_MAX && text[q] != ']')
		q++;
	if (q >= len || text[q] != ']' || q == a ||
	    !dlp_known_display(e, text + a, q - a))
		return 0;
	return q + 1 - p;
}

/* Does a token or marker of a rule of e overlap [s, end)? */
static bool dlp_in_marker(const struct dlp_engine *e, const char *text,
			  size_t len, size_t s, size_t end)
{
	size_t back = DLP_NAME_MAX + sizeof(DLP_MARKER_PREFIX);
	size_t from = s > back ? s - back : 0;

	for (size_t p = from; p < end; p++) {
		size_t n = 0;

		if (text[p] == 'D' && len - p >= 4 &&
		    memcmp(text + p, "DLP_", 4) == 0)
			n = dlp_token_at(e, text, len, p);
		else if (text[p] == '[' &&
			 len - p >= sizeof(DLP_MARKER_PREFIX) - 1 &&
			 memcmp(text + p, DLP_MARKER_PREFIX,
				sizeof(DLP_MARKER_PREFIX) - 1) == 0)
			n = dlp_marker_at(e, text, len, p);
		if (n > 0 && p + n > s)
			return true;
	}
	return false;
}

/* memchr and memcmp: far faster than glibc's memmem here. */
bool dlp_has(const char *t, size_t n, const char *lit, size_t ln)
{
	const char *p = t, *end = t + n;

	while ((size_t)(end - p) >= ln) {
		p = memchr(p, lit[0], (size_t)(end - p) - ln + 1);
		if (p == NULL)
			return false;
		if (memcmp(p, lit, ln) == 0)
			return true;
		p++;
	}
	return false;
}

void dlp_filter_prepare(struct dlp_engine *e, size_t len)
{
	e->text_len = len;
	e->marks = -1;
}

/*
 * One search per scan, at its first candidate: a text with neither "DLP_"
 * nor the marker prefix has no token or marker, so no finding needs the
 * back-scan.
 */
static bool dlp_marks(struct dlp_engine *e, const char *text, size_t len)
{
	if (e->marks < 0)
		e->marks = dlp_has(text, len, "DLP_", 4) ||
			dlp_has(text, len, DLP_MARKER_PREFIX,
				sizeof(DLP_MARKER_PREFIX) - 1);
	return e->marks > 0;
}

bool dlp_filter_keep(struct dlp_engine *e, const struct dlp_rule *r,
		     const char *text, size_t len, size_t s, size_t end)
{
	if (r->entropy > 0 && dlp_entropy(text + s, end - s) <= r->entropy)
		return false;
	if (r->context != NULL && !dlp_context(r, text, s))
		return false;
	return !dlp_marks(e, text, len) || !dlp_in_marker(e, text, len, s, end);
}
