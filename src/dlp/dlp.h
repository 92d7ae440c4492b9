/*
 * DLP engine: finds secrets and personal data in text and redacts them.
 *
 * Every rule is a PCRE2 regular expression plus an optional validator
 * (Luhn, SSA rules, GitHub CRC32, JWT header, placeholder filters). With
 * Hyperscan, all rules are compiled into one prefilter database that finds
 * candidate rules and regions in one pass; PCRE2-JIT then confirms the exact
 * spans inside a bounded window. The portable path (no Hyperscan) runs each
 * rule's PCRE2 over the whole text and gives identical findings.
 *
 * Overlapping findings are merged into one span reported under the best
 * rule (secrets over PII, validated over not, longer over shorter), so no
 * part of an overlapping value leaks. A pure library: no I/O, no globals.
 * An engine holds per-scan scratch space: use one engine per thread (or
 * lock around dlp_scan/dlp_redact). Memory per scan is bounded by
 * DLP_CANDIDATES_MAX candidates and DLP_EVENTS_MAX Hyperscan events.
 */
#ifndef AGENTSH_DLP_H
#define AGENTSH_DLP_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/diag.h"

#define DLP_CUSTOM_MAX 256         /* custom patterns in one engine */
#define DLP_NAME_MAX 64            /* rule name / display text */
#define DLP_CANDIDATES_MAX 65536   /* raw matches in one scan (-E2BIG) */
#define DLP_TEXT_MAX (256u << 20)  /* bytes of one scanned text */

struct dlp_custom {
	const char *name;
	const char *display; /* NULL: the name */
	const char *regex;   /* PCRE2 syntax, byte (non-UTF) mode */
};

struct dlp_opts {
	bool email, phone, credit_card, ssn, api_keys;
	const struct dlp_custom *custom;
	size_t n_custom;
	bool portable; /* never use Hyperscan, even when available */
};

struct dlp_finding {
	const char *rule;    /* e.g. "github-token"; owned by the engine */
	const char *display; /* e.g. "GITHUB_TOKEN"; owned by the engine */
	size_t start, end;   /* byte offsets, end exclusive */
	bool secret;         /* api_keys family: always redacted, never tokens */
};

struct dlp_stats {
	size_t findings;     /* findings redacted */
	size_t bytes_in, bytes_out;
};

struct dlp_engine;

/* Return non-zero to stop the scan (dlp_scan then returns that value). */
typedef int (*dlp_finding_cb)(const struct dlp_finding *f, void *arg);

/* All built-in families on, no custom patterns. */
void dlp_opts_default(struct dlp_opts *o);

/*
 * Compile the rules and self-test every built-in rule on its examples.
 * 0 or -EINVAL (problems in d), -ENOMEM.
 */
int dlp_engine_new(const struct dlp_opts *o, struct dlp_engine **out,
		   struct diag *d);
void dlp_engine_free(struct dlp_engine *e);
/* True when the engine scans with Hyperscan. */
bool dlp_engine_hyperscan(const struct dlp_engine *e);
/* Number of rules compiled in. */
size_t dlp_engine_rules(const struct dlp_engine *e);

/*
 * Report the findings of text in order of start offset, non-overlapping.
 * 0, the callback's non-zero value, or -E2BIG (too many candidates or
 * text too long), -ERANGE (a regex hit its match limit), -ENOMEM.
 */
int dlp_scan(struct dlp_engine *e, const char *text, size_t len,
	     dlp_finding_cb cb, void *arg);

/*
 * Append text to out with every finding replaced by [REDACTED:<DISPLAY>].
 * st may be NULL. 0 or a negative errno as dlp_scan or buf_append; on
 * error out holds a partial result the caller must discard.
 */
int dlp_redact(struct dlp_engine *e, const char *text, size_t len,
	       struct buf *out, struct dlp_stats *st);

#endif
