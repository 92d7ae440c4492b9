/*
 * Filters that look past the matched value: gitleaks-style entropy gate,
 * Presidio-style context words before weak PII (a bare 9-digit SSN, a bare
 * 10-digit phone number), and no findings inside what an earlier pass
 * already replaced (DLP_<TYPE>_<tail> tokens, [REDACTED:<DISPLAY>]).
 * They read the whole text, never the Hyperscan window, so both scan
 * paths decide alike.
 */
#include <math.h>
#include <string.h>

#include "dlp/dlp_int.h"
#include "dlp/dlp_tok.h"

#define DLP_CTX_WORD_MAX 32   /* bytes of one context word */
#define DLP_MARKER_MAX 80     /* bytes of a [REDACTED:...] marker */
#define DLP_TYPE_MAX 32       /* bytes of TYPE in DLP_<TYPE>_<tail> */

static const char dlp_redacted[] = "[REDACTED:";

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

/*
 * Length of the DLP_<TYPE>_<tail> token at text[p], or 0: a whole word,
 * TYPE = [A-Z][A-Z0-9_]{0,31}, tail = DLP_TOKEN_TAIL x [a-z2-7].
 */
static size_t dlp_token_at(const char *text, size_t len, size_t p)
{
	size_t q = p + 4, tail;

	if (p > 0 && dlp_word(text[p - 1]))
		return 0;
	while (q < len && q - p <= DLP_TOKEN_MAX && dlp_word(text[q]))
		q++;
	if (q - p > DLP_TOKEN_MAX || q - p < 4 + 2 + DLP_TOKEN_TAIL ||
	    text[q - DLP_TOKEN_TAIL - 1] != '_' || text[p + 4] < 'A' ||
	    text[p + 4] > 'Z')
		return 0;
	tail = q - DLP_TOKEN_TAIL;
	for (size_t i = tail; i < q; i++)
		if (!((text[i] >= 'a' && text[i] <= 'z') ||
		      (text[i] >= '2' && text[i] <= '7')))
			return 0;
	for (size_t i = p + 4; i < tail - 1; i++)
		if (!((text[i] >= 'A' && text[i] <= 'Z') ||
		      (text[i] >= '0' && text[i] <= '9') || text[i] == '_'))
			return 0;
	return tail - 1 - (p + 4) <= DLP_TYPE_MAX ? q - p : 0;
}

/* Length of the [REDACTED:<DISPLAY>] marker at text[p], or 0. */
static size_t dlp_marker_at(const char *text, size_t len, size_t p)
{
	size_t q = p + sizeof(dlp_redacted) - 1;

	while (q < len && q - p < DLP_MARKER_MAX && text[q] != ']' &&
	       (dlp_word(text[q]) || text[q] == '-' || text[q] == ' '))
		q++;
	return q < len && text[q] == ']' ? q + 1 - p : 0;
}

/* Does a token or marker overlap [s, end)? */
static bool dlp_in_marker(const char *text, size_t len, size_t s,
			  size_t end)
{
	size_t from = s > DLP_MARKER_MAX ? s - DLP_MARKER_MAX : 0;

	for (size_t p = from; p < end; p++) {
		size_t n = 0;

		if (text[p] == 'D' && len - p >= 4 &&
		    memcmp(text + p, "DLP_", 4) == 0)
			n = dlp_token_at(text, len, p);
		else if (text[p] == '[' && len - p >= sizeof(dlp_redacted) - 1 &&
			 memcmp(text + p, dlp_redacted,
				sizeof(dlp_redacted) - 1) == 0)
			n = dlp_marker_at(text, len, p);
		if (n > 0 && p + n > s)
			return true;
	}
	return false;
}

bool dlp_filter_keep(const struct dlp_rule *r, const char *text, size_t len,
		     size_t s, size_t end)
{
	if (r->entropy > 0 && dlp_entropy(text + s, end - s) <= r->entropy)
		return false;
	if (r->context != NULL && !dlp_context(r, text, s))
		return false;
	return !dlp_in_marker(text, len, s, end);
}
