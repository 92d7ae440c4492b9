/* DLP engine internals shared by the dlp_*.c files. */
#ifndef AGENTSH_DLP_INT_H
#define AGENTSH_DLP_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdint.h>

#include "dlp/dlp.h"

#define DLP_MATCH_LIMIT 200000  /* PCRE2 match limit per match call */
#define DLP_DEPTH_LIMIT 10000   /* PCRE2 depth limit per match call */
#define DLP_WIDTH_SLACK 8       /* lookaround bytes read past a match */

enum dlp_family {
	DLP_FAM_EMAIL, DLP_FAM_PHONE, DLP_FAM_CARD, DLP_FAM_SSN, DLP_FAM_KEY,
	DLP_FAM_CUSTOM,
};

enum dlp_valid {
	DLP_V_NONE, DLP_V_SECRET, DLP_V_EMAIL, DLP_V_PHONE, DLP_V_E164,
	DLP_V_CARD, DLP_V_SSN, DLP_V_CRC32, DLP_V_JWT, DLP_V_URLPASS,
	DLP_V_PEM, DLP_V_GENERIC,
};

/* One built-in rule, a constant table entry. */
struct dlp_rule_def {
	const char *name;
	const char *display;
	enum dlp_family family;
	const char *regex;
	int group;             /* capture group holding the value; 0 whole */
	int prio;              /* higher wins an overlap */
	enum dlp_valid valid;
	const char *example;   /* must give a finding of this rule */
	const char *negative;  /* must give none */
	/*
	 * Hyperscan pattern when the regex is slow there (NULL: the regex).
	 * Every match [s,e) of the regex must contain an end p of it with
	 * s < p <= e; a required literal is enough.
	 */
	const char *hs_regex;
	/*
	 * Context words ('|'-separated, lower case): one must occur as the
	 * start of a word within ctx_window bytes before the value (Presidio
	 * style), or the match is dropped. NULL: no context needed.
	 */
	const char *context;
	unsigned ctx_window;
	/* Drop the value if its Shannon entropy (bits/byte) is <= this. */
	double entropy;
	/*
	 * With hs_regex: a match starts at most this many bytes before an
	 * end of hs_regex inside it (0: the regex's maximum width).
	 */
	unsigned hs_back;
	/*
	 * A literal every match contains (case as written), or NULL: without
	 * Hyperscan a text lacking it skips the rule's PCRE2 pass.
	 */
	const char *need;
};

struct dlp_rule {
	char name[DLP_NAME_MAX];
	char display[DLP_NAME_MAX];
	pcre2_code *re;
	pcre2_match_data *md;
	int group, prio;
	enum dlp_valid valid;
	enum dlp_family family;
	const char *hs_regex; /* static, or NULL */
	size_t maxw;     /* max match width; SIZE_MAX when unbounded */
	bool in_hs;      /* in the Hyperscan database */
	bool hit;        /* per scan: Hyperscan reported it */
	size_t first, last; /* per scan: first and last reported end */
	const char *context;  /* static, or NULL; see dlp_rule_def */
	unsigned ctx_window;
	double entropy;
	size_t evi;      /* per scan: its latest event cluster, or SIZE_MAX */
	size_t back;     /* match start to Hyperscan end, at most */
	size_t evn;      /* per scan: its event clusters, then their offset */
	const char *need;     /* static, or NULL; see dlp_rule_def */
};

struct dlp_cand {
	size_t start, end;
	uint32_t rule;
};

#define DLP_EVENTS_MAX 16384 /* Hyperscan events kept per scan */

/* Events of one rule close together are kept as one cluster [first, pos]. */
struct dlp_ev {
	uint32_t rule;
	size_t pos;   /* the last match end of the cluster */
	size_t first; /* the first */
};

struct dlp_engine {
	struct dlp_rule *rules;
	size_t n;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit_stack;
	void *db;        /* hs_database_t */
	void *scratch;   /* hs_scratch_t */
	struct dlp_cand *cand;
	struct dlp_cand *cand_tmp; /* capcand, for sorting cand */
	size_t ncand, capcand;
	struct dlp_ev *ev; /* per scan: Hyperscan events, DLP_EVENTS_MAX */
	struct dlp_ev *ev_tmp; /* DLP_EVENTS_MAX, for sorting ev */
	size_t nev;
	bool ev_overflow;  /* more events than kept: use first/last */
	size_t text_len;   /* per scan: length of the whole text */
	int marks;  /* per scan: the text may hold a token or marker; -1 unknown */
};

const struct dlp_rule_def *dlp_rule_defs(size_t *n);
/* Is the value s[0..n) a finding under validator v? */
bool dlp_validate(enum dlp_valid v, const char *s, size_t n);

/* dlp_filter.c */
/* Reset the per-scan state the filters keep, for a text of len bytes. */
void dlp_filter_prepare(struct dlp_engine *e, size_t len);
/* Does the literal lit[0..ln) occur in t[0..n)? */
bool dlp_has(const char *t, size_t n, const char *lit, size_t ln);
/* Shannon entropy of s[0..n) in bits per byte. */
double dlp_entropy(const char *s, size_t n);
/*
 * Filters that need the text around a value [s, end) of rule r in
 * text[0..len): entropy, context words before it, and overlap with an
 * existing DLP_<TYPE>_<tail> token or [REDACTED:...] marker. True: keep.
 */
bool dlp_filter_keep(struct dlp_engine *e, const struct dlp_rule *r,
		     const char *text, size_t len, size_t s, size_t end);
/*
 * Is t[0..n) the token TYPE of a rule of e (tokens_only: of a rule whose
 * findings may be tokenized, not a secret's)?
 */
bool dlp_known_type(const struct dlp_engine *e, const char *t, size_t n,
		    bool tokens_only);
/* A display byte as a marker writes it: no brackets or controls. */
char dlp_markc(unsigned char c);
/* Is s[0..n) the display of a rule of e, as a marker writes it? */
bool dlp_known_display(const struct dlp_engine *e, const char *s, size_t n);

/* dlp_scan.c */
/*
 * Matches of rule ri starting in [from, stop], subject text[0..sublen);
 * *next (may be NULL) gets the offset after the last match taken.
 */
int dlp_rule_collect(struct dlp_engine *e, uint32_t ri, const char *text,
		     size_t from, size_t stop, size_t *next, size_t sublen);
/* dlp_hs.c */
int dlp_hs_build(struct dlp_engine *e, const char **regexes, struct diag *d);
void dlp_hs_free(struct dlp_engine *e);
int dlp_hs_scan(struct dlp_engine *e, const char *text, size_t len);

#endif
