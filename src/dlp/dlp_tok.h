/*
 * DLP actions on a session: redact or tokenize each finding, and restore
 * tokens in a model's answers. A dlp_session holds a random key (zeroed on
 * free) and a bounded in-memory map token -> original value; nothing of it
 * is ever logged or written to disk. A pure library: no I/O, no globals.
 *
 * Token grammar (the llm module's restorer relies on it):
 *   DLP_<TYPE>_<tail>   TYPE = [A-Z][A-Z0-9_]{0,31} (the rule's display,
 *   a-z upper-cased, other non-[A-Z0-9_] bytes mapped to '_', an 'X' put
 *   in front unless it starts with a letter), tail = 10 x [a-z2-7] (base32
 *   of HMAC-SHA256(key, TYPE || 0x00 || value), first 50 bits; a collision
 *   in the map re-derives with a 4-byte big-endian counter 1, 2, ...
 *   appended to the HMAC input). At most DLP_TOKEN_MAX bytes.
 *   A token is only recognised as a whole word: the bytes around it are
 *   not [A-Za-z0-9_].
 */
#ifndef AGENTSH_DLP_TOK_H
#define AGENTSH_DLP_TOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "dlp/dlp.h"

#define DLP_TOKEN_MAX 48          /* "DLP_" + 32 + "_" + 10, rounded up */
#define DLP_TOKEN_TAIL 10         /* base32 characters of the tail */
#define DLP_SESSION_TOKENS_MAX 10000 /* default bound of a session's map */

enum dlp_action {
	DLP_ACT_REDACT,   /* [REDACTED:<DISPLAY>] */
	DLP_ACT_TOKENIZE, /* DLP_<TYPE>_<tail>, restorable as configured */
};

/* Where a restored value would go. */
enum dlp_lane {
	DLP_LANE_TEXT,       /* assistant text shown to the user */
	DLP_LANE_TOOL_INPUT, /* arguments of a tool call the agent will run */
};

struct dlp_session_opts {
	enum dlp_action pii;       /* email, phone, credit card, SSN, custom */
	size_t max_tokens;         /* 0: DLP_SESSION_TOKENS_MAX */
	bool restore_tool_input;   /* PII tokens into tool inputs (default no) */
};
/* Secrets (api_keys family) are always redacted and never restored. */

struct dlp_session;

/* One finding as applied; strings owned by the engine. */
struct dlp_applied {
	const char *rule, *display;
	size_t start, end;          /* in the input text */
	enum dlp_action action;
};
typedef int (*dlp_applied_cb)(const struct dlp_applied *a, void *arg);

/* A session with a fresh random key; 0, -ENOMEM, or -EIO (no randomness). */
int dlp_session_new(const struct dlp_session_opts *o, struct dlp_session **out);
/* Zero the key and every stored value, then free. NULL is a no-op. */
void dlp_session_free(struct dlp_session *s);
/* Tokens currently in the map. */
size_t dlp_session_tokens(const struct dlp_session *s);

/*
 * Append text to out with each finding of e replaced per the session's
 * actions (s NULL: redact everything). cb (may be NULL) sees each finding
 * in order; a non-zero return stops dlp_apply, which returns it.
 * Never matches inside an existing DLP_ token or [REDACTED:...] marker
 * (of a TYPE or display of e's rules), and dlp_apply of its own output
 * with the same e and s changes nothing. A PII finding is redacted rather
 * than tokenized when its value is over 1 KiB or when a token there would
 * not be a whole word (say, two findings with no byte between them).
 * 0 or a negative errno as dlp_scan/buf_append, -ENOSPC when the token map
 * is full (the caller must refuse, not forward); on error out holds a
 * partial result the caller must discard. A session is not thread-safe.
 */
int dlp_apply(struct dlp_engine *e, struct dlp_session *s, const char *text,
	      size_t len, struct buf *out, dlp_applied_cb cb, void *arg,
	      struct dlp_stats *st);
/*
 * dlp_apply that appends nothing when nothing was found: *changed tells
 * whether out got the rewritten text (the caller keeps the original
 * otherwise). Same errors as dlp_apply.
 */
int dlp_apply_lazy(struct dlp_engine *e, struct dlp_session *s,
		   const char *text, size_t len, struct buf *out,
		   dlp_applied_cb cb, void *arg, struct dlp_stats *st,
		   bool *changed);

/*
 * tok[0..n) is a whole token: append its original value to out if the
 * session may restore it into lane. 0 (appended), -ENOENT (unknown token,
 * e.g. another session's: the caller keeps the token text), -EPERM
 * (known, not restorable there), or buf_append's error. The value is
 * appended raw: a caller restoring into a JSON string escapes it.
 */
int dlp_session_restore(struct dlp_session *s, const char *tok, size_t n,
			enum dlp_lane lane, struct buf *out);

/*
 * A keyed fingerprint of a value for audit records (hex, 16 chars + NUL):
 * the first 64 bits of an HMAC under the session key, so equal values
 * match within a session only. s NULL gives "0000000000000000".
 */
void dlp_session_fingerprint(struct dlp_session *s, const char *v, size_t n,
			     char out[17]);

#endif
