/*
 * A labelled DLP corpus generated in memory from a seed: positives (one
 * value per document, with its byte span) for every detector, and hard
 * negatives that must give no finding. Values are random but valid for
 * their format: GitHub/npm tokens with their CRC32, Luhn-valid card
 * numbers for each issuer family and grouping, SSNs under SSA rules, NANP
 * and E.164 phone numbers, JSON-escaped and tool_result-embedded forms.
 */
#ifndef AGENTSH_DLP_CORPUS_H
#define AGENTSH_DLP_CORPUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define CORPUS_VALUE_MAX 4096 /* bytes of one generated value */

/* What a positive is; names are what the quality report prints. */
struct corpus_kind {
	const char *name;  /* e.g. "github-token", "card-amex" */
	const char *group; /* gate group: checksum, secret, card, ssn, ... */
	bool pii;          /* PII: a finding covering >= 50% is a hit */
	/* Write one value into v; returns 0 or -errno. */
	int (*gen)(uint64_t *rng, struct buf *v);
	/*
	 * Text around it: alternatives separated by '|', each "before" or
	 * "before^after" (context words, assignment, closing quote).
	 */
	const char *context;
	bool raw_only;       /* only the plain template (not re-escaped) */
};

struct corpus_neg {
	const char *name;
	int (*gen)(uint64_t *rng, struct buf *v);
};

const struct corpus_kind *corpus_kinds(size_t *n);
const struct corpus_neg *corpus_negs(size_t *n);

/* Number of document templates (plain, env, JSON, tool_result, ...). */
size_t corpus_templates(void);

/*
 * Put value v into document doc with template t (filler around it); the
 * value's span in doc goes to [*s, *e). 0 or -errno.
 */
int corpus_doc(uint64_t *rng, size_t t, const char *context,
	       const struct buf *v, struct buf *doc, size_t *s, size_t *e);

uint64_t corpus_rand(uint64_t *rng);
unsigned corpus_pick(uint64_t *rng, unsigned n);
int corpus_str(uint64_t *rng, struct buf *v, const char *abc, size_t n);
int corpus_github(uint64_t *rng, struct buf *v);
/* A Luhn-valid Visa number of len digits into d[0..len], 0-terminated. */
void corpus_luhn(uint64_t *rng, unsigned len, char *d);

#endif
