/*
 * gitleaks-style rule files: the document level of the TOML reader (table
 * headers, key/value statements) and the mapping of [[rules]] tables to
 * DLP custom patterns. See dlp_rulefile.h for the accepted subset.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "dlp/dlp_rf_int.h"
#include "dlp/dlp_rulefile.h"

#define DLP_RF_NAME_TEXT_MAX 256   /* a table name in a message */

struct dlp_rf_rule {
	char name[DLP_NAME_MAX];
	char display[DLP_NAME_MAX];
	char *regex;
};

struct dlp_rulefile {
	struct dlp_rf_rule *v;
	struct dlp_custom *custom;
	size_t n, cap;
};

/* Which table the statements being read belong to. */
enum dlp_rf_section { DLP_RF_SEC_ROOT, DLP_RF_SEC_RULE, DLP_RF_SEC_IGNORED };

/* The state of one parse. */
struct dlp_rf_parse {
	struct dlp_rf_cur c;
	struct dlp_rulefile *rf;
	enum dlp_rf_section sec;
	/* the last [[rules]] table: open until the next header */
	bool in_rule, rule_seen, allow_warned, has_path;
	int rline, rcol, idline, idcol;
	char id[DLP_NAME_MAX];
	char *regex;
	struct dlp_rf_defs defs;
};

size_t dlp_rulefile_count(const struct dlp_rulefile *rf)
{
	return rf != NULL ? rf->n : 0;
}

const struct dlp_custom *dlp_rulefile_rules(const struct dlp_rulefile *rf)
{
	return rf != NULL ? rf->custom : NULL;
}

void dlp_rulefile_free(struct dlp_rulefile *rf)
{
	size_t i;

	if (rf == NULL)
		return;
	for (i = 0; i < rf->n; i++)
		free(rf->v[i].regex);
	free(rf->v);
	free(rf->custom);
	free(rf);
}

/* The table name k as a.b.c, for messages (long names are cut). */
static void dlp_rf_name_text(const struct dlp_rf_key *k, char *out,
			     size_t size)
{
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < k->n && n < size; i++)
		n += (size_t)snprintf(out + n, size - n, "%s%s", i ? "." : "",
				      k->parts[i].data);
}

/* Append the finished rule; rf takes the regex. */
static int dlp_rf_rule_push(struct dlp_rf_parse *ps)
{
	struct dlp_rulefile *rf = ps->rf;
	struct dlp_rf_rule *nv, *r;
	size_t i, ncap;

	if (rf->n == DLP_CUSTOM_MAX) {
		dlp_rf_err(&ps->c, ps->rline, ps->rcol, "toml-limit",
			   "more than %d rules", DLP_CUSTOM_MAX);
		return -E2BIG;
	}
	if (rf->n == rf->cap) {
		ncap = rf->cap ? rf->cap * 2 : 16;
		nv = realloc(rf->v, ncap * sizeof(*nv));
		if (nv == NULL)
			return -ENOMEM;
		rf->v = nv;
		rf->cap = ncap;
	}
	r = &rf->v[rf->n++];
	str_lcpy(r->name, ps->id, sizeof(r->name));
	/* display: the id upper-cased, '-' and '.' as '_' */
	for (i = 0; i < sizeof(r->display); i++) {
		char ch = ps->id[i];

		r->display[i] = ch == '-' || ch == '.' ? '_' :
				ch >= 'a' && ch <= 'z' ? (char)(ch - 32) : ch;
		if (ch == '\0')
			break;
	}
	r->regex = ps->regex;
	ps->regex = NULL;
	return 0;
}

/* Close the open [[rules]] table: check it and keep its pattern. */
static int dlp_rf_finish_rule(struct dlp_rf_parse *ps)
{
	size_t i;
	int rc = 0;

	if (!ps->in_rule)
		return 0;
	ps->in_rule = false;
	if (ps->id[0] == '\0') {
		dlp_rf_err(&ps->c, ps->rline, ps->rcol, "rule-missing",
			   "rule has no id");
	} else if (ps->regex == NULL && ps->has_path) {
		dlp_rf_warn(&ps->c, ps->rline, ps->rcol, "rule-path-only",
			    "rule '%s': path-only rule skipped", ps->id);
	} else if (ps->regex == NULL) {
		dlp_rf_err(&ps->c, ps->rline, ps->rcol, "rule-missing",
			   "rule '%s' has no regex", ps->id);
	} else {
		for (i = 0; i < ps->rf->n; i++)
			if (strcmp(ps->rf->v[i].name, ps->id) == 0)
				break;
		if (i < ps->rf->n)
			dlp_rf_err(&ps->c, ps->idline, ps->idcol, "rule-dup-id",
				   "duplicate rule id '%s'", ps->id);
		else
			rc = dlp_rf_rule_push(ps);
	}
	free(ps->regex);
	ps->regex = NULL;
	return rc;
}

static bool dlp_rf_is(const struct dlp_rf_key *k, size_t i, const char *s)
{
	return i < k->n && strcmp(k->parts[i].data, s) == 0;
}

/* A [rules.*] header: allowlists are read and not applied. */
static int dlp_rf_rule_sub(struct dlp_rf_parse *ps, const struct dlp_rf_key *k,
			   bool arr, const char *name)
{
	if (!ps->rule_seen) {
		dlp_rf_err(&ps->c, k->line, k->col, "toml-table",
			   "[%s] before any [[rules]]", name);
		return -EINVAL;
	}
	if (k->n == 2 && ((!arr && dlp_rf_is(k, 1, "allowlist")) ||
			  (arr && dlp_rf_is(k, 1, "allowlists")))) {
		if (!ps->allow_warned)
			dlp_rf_warn(&ps->c, k->line, k->col, "allowlist-ignored",
				    "rule '%s': allowlists are not applied "
				    "(matches are always redacted)", ps->id);
		ps->allow_warned = true;
		return 0;
	}
	dlp_rf_warn(&ps->c, k->line, k->col, "unknown-table",
		    "unknown table [%s] ignored", name);
	return 0;
}

/* Start a new [[rules]] element. */
static void dlp_rf_rule_start(struct dlp_rf_parse *ps, int line, int col)
{
	ps->in_rule = true;
	ps->rule_seen = true;
	ps->allow_warned = false;
	ps->has_path = false;
	ps->id[0] = '\0';
	ps->rline = line;
	ps->rcol = col;
	ps->sec = DLP_RF_SEC_RULE;
}

/* Enter the table k (arr: [[k]]) whose header is at line:col. */
static int dlp_rf_enter(struct dlp_rf_parse *ps, const struct dlp_rf_key *k,
			bool arr, int line, int col)
{
	char name[DLP_RF_NAME_TEXT_MAX];
	bool top = k->n == 1, again;
	int rc;

	dlp_rf_name_text(k, name, sizeof(name));
	if (top && !arr && dlp_rf_is(k, 0, "rules")) {
		dlp_rf_err(&ps->c, k->line, k->col, "toml-table",
			   "rules must be an array of tables: use [[rules]]");
		return -EINVAL;
	}
	if ((rc = dlp_rf_defs_table(&ps->defs, &ps->c, k, arr)) < 0)
		return rc;
	again = rc == 1;
	if (top && dlp_rf_is(k, 0, "rules")) {
		dlp_rf_rule_start(ps, line, col);
		return 0;
	}
	if (dlp_rf_is(k, 0, "rules"))
		return dlp_rf_rule_sub(ps, k, arr, name);
	/* other arrays of tables: one warning for all their elements */
	if (again)
		return 0;
	if (top && ((!arr && dlp_rf_is(k, 0, "allowlist")) ||
		    (arr && dlp_rf_is(k, 0, "allowlists"))))
		dlp_rf_warn(&ps->c, k->line, k->col, "allowlist-ignored",
			    "global allowlist [%s] is not applied", name);
	else if (top && !arr && dlp_rf_is(k, 0, "extend"))
		dlp_rf_warn(&ps->c, k->line, k->col, "extend-ignored",
			    "[extend] is not applied: only this file's rules "
			    "are used");
	else
		dlp_rf_warn(&ps->c, k->line, k->col, "unknown-table",
			    "unknown table [%s] ignored", name);
	return 0;
}

/* A [table] or [[array.of.tables]] header at pos. */
static int dlp_rf_header(struct dlp_rf_parse *ps)
{
	struct dlp_rf_cur *c = &ps->c;
	struct dlp_rf_key k = { .n = 0 };
	bool arr = c->len - c->pos >= 2 && c->p[c->pos + 1] == '[';
	const char *close = arr ? "]]" : "]";
	int line = c->line, col = dlp_rf_col(c), rc;

	rc = dlp_rf_finish_rule(ps);
	ps->defs.valid = false;
	ps->sec = DLP_RF_SEC_IGNORED;
	if (rc < 0)
		return rc;
	c->pos += arr ? 2 : 1;
	dlp_rf_ws(c);
	rc = dlp_rf_key(c, &k);
	if (rc == 0 && (c->len - c->pos < strlen(close) ||
			memcmp(c->p + c->pos, close, strlen(close)) != 0)) {
		dlp_rf_err(c, c->line, dlp_rf_col(c), "toml-syntax",
			   "expected '%s' to end the table header", close);
		rc = -EINVAL;
	}
	if (rc == 0) {
		c->pos += strlen(close);
		rc = dlp_rf_enter(ps, &k, arr, line, col);
	}
	if (rc == 0)
		rc = dlp_rf_eol(c);
	dlp_rf_key_release(&k);
	return rc;
}

/* The value of key in a rule must have type t. */
static int dlp_rf_want(struct dlp_rf_parse *ps, const struct dlp_rf_val *v,
		       const char *key, enum dlp_rf_type t, const char *what)
{
	if (v->type == t || (t == DLP_RF_FLOAT && v->type == DLP_RF_INT))
		return 0;
	dlp_rf_err(&ps->c, v->line, v->col, "rule-type", "'%s' must be %s",
		   key, what);
	return -EINVAL;
}

/* The rule's id: [A-Za-z0-9_.-], shorter than DLP_NAME_MAX. */
static int dlp_rf_rule_id(struct dlp_rf_parse *ps, const struct dlp_rf_val *v)
{
	const char *s = v->s.data;
	size_t i;

	if (dlp_rf_want(ps, v, "id", DLP_RF_STR, "a string") < 0)
		return -EINVAL;
	for (i = 0; i < v->s.len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') ||
		      (s[i] != '\0' && strchr("_.-", s[i]) != NULL)))
			break;
	if (v->s.len == 0 || v->s.len >= DLP_NAME_MAX || i < v->s.len) {
		dlp_rf_err(&ps->c, v->line, v->col, "rule-id",
			   "rule id must be 1 to %d characters of "
			   "A-Z a-z 0-9 _ . -", DLP_NAME_MAX - 1);
		return -EINVAL;
	}
	str_lcpy(ps->id, s, sizeof(ps->id));
	ps->idline = v->line;
	ps->idcol = v->col;
	return 0;
}

/* Keys of a rule that are accepted and not used: the whole match is
 * redacted (no secretGroup), with no entropy or keyword prefilter, which
 * is the safer side. */
static const struct {
	const char *key;
	enum dlp_rf_type type;
	const char *what;
} dlp_rf_ignored_keys[] = {
	{ "description", DLP_RF_STR, "a string" },
	{ "secretGroup", DLP_RF_INT, "an integer" },
	{ "entropy", DLP_RF_FLOAT, "a number" },
	{ "keywords", DLP_RF_ARRAY, "an array" },
	{ "tags", DLP_RF_ARRAY, "an array" },
};

/* key = v inside a [[rules]] table. */
static int dlp_rf_rule_key(struct dlp_rf_parse *ps, const struct dlp_rf_key *k,
			   struct dlp_rf_val *v)
{
	const char *key = k->parts[0].data;
	size_t i;

	if (strcmp(key, "id") == 0)
		return dlp_rf_rule_id(ps, v);
	if (strcmp(key, "regex") == 0 || strcmp(key, "path") == 0) {
		if (dlp_rf_want(ps, v, key, DLP_RF_STR, "a string") < 0)
			return -EINVAL;
		if (key[0] == 'p') {
			ps->has_path = true;
			return 0;
		}
		if (v->s.len == 0) {
			dlp_rf_err(&ps->c, v->line, v->col, "rule-regex",
				   "'regex' is empty");
			return -EINVAL;
		}
		ps->regex = buf_steal(&v->s);
		return ps->regex != NULL ? 0 : -ENOMEM;
	}
	for (i = 0; i < sizeof(dlp_rf_ignored_keys) /
		    sizeof(dlp_rf_ignored_keys[0]); i++)
		if (strcmp(key, dlp_rf_ignored_keys[i].key) == 0)
			return dlp_rf_want(ps, v, key,
					   dlp_rf_ignored_keys[i].type,
					   dlp_rf_ignored_keys[i].what);
	dlp_rf_warn(&ps->c, k->line, k->col, "unknown-key",
		    "unknown rule key '%s' ignored", key);
	return 0;
}

/* key = v in the current table. */
static int dlp_rf_assign(struct dlp_rf_parse *ps, const struct dlp_rf_key *k,
			 struct dlp_rf_val *v)
{
	const char *key = k->parts[0].data;

	if (ps->sec == DLP_RF_SEC_RULE)
		return dlp_rf_rule_key(ps, k, v);
	if (ps->sec == DLP_RF_SEC_IGNORED)
		return 0;
	if (strcmp(key, "title") == 0)
		return dlp_rf_want(ps, v, key, DLP_RF_STR, "a string");
	dlp_rf_warn(&ps->c, k->line, k->col, "unknown-key",
		    "unknown top-level key '%s' ignored", key);
	return 0;
}

/* A key = value statement at pos. */
static int dlp_rf_keyval(struct dlp_rf_parse *ps)
{
	struct dlp_rf_cur *c = &ps->c;
	struct dlp_rf_key k = { .n = 0 };
	struct dlp_rf_val v;
	int rc;

	buf_init(&v.s, DLP_RF_STR_MAX);
	rc = dlp_rf_key(c, &k);
	if (rc == 0 && k.n > 1) {
		dlp_rf_err(c, k.line, k.col, "toml-key",
			   "dotted keys are not supported");
		rc = -EINVAL;
	}
	if (rc == 0 && (c->pos >= c->len || c->p[c->pos] != '=')) {
		dlp_rf_err(c, c->line, dlp_rf_col(c), "toml-syntax",
			   "expected '=' after the key");
		rc = -EINVAL;
	}
	if (rc == 0) {
		c->pos++;
		dlp_rf_ws(c);
		rc = dlp_rf_value(c, &v, 0);
	}
	if (rc == 0)
		rc = dlp_rf_defs_key(&ps->defs, c, &k);
	if (rc == 0)
		rc = dlp_rf_assign(ps, &k, &v);
	if (rc == 0)
		rc = dlp_rf_eol(c);
	dlp_rf_key_release(&k);
	buf_release(&v.s);
	return rc;
}

/* Every statement; a syntax error skips the rest of its line. */
static int dlp_rf_loop(struct dlp_rf_parse *ps)
{
	int rc;

	while (dlp_rf_skip_blank(&ps->c)) {
		if (ps->c.errors >= DLP_RF_ERRORS_MAX)
			return -EINVAL;
		rc = ps->c.p[ps->c.pos] == '[' ? dlp_rf_header(ps) :
						 dlp_rf_keyval(ps);
		if (rc == -EINVAL)
			dlp_rf_skip_line(&ps->c);
		else if (rc < 0)
			return rc;
	}
	return dlp_rf_finish_rule(ps);
}

/* The custom-pattern view of the rules. */
static int dlp_rf_custom(struct dlp_rulefile *rf)
{
	size_t i;

	rf->custom = calloc(rf->n ? rf->n : 1, sizeof(*rf->custom));
	if (rf->custom == NULL)
		return -ENOMEM;
	for (i = 0; i < rf->n; i++) {
		rf->custom[i].name = rf->v[i].name;
		rf->custom[i].display = rf->v[i].display;
		rf->custom[i].regex = rf->v[i].regex;
	}
	return 0;
}

static void dlp_rf_parse_free(struct dlp_rf_parse *ps)
{
	if (ps == NULL)
		return;
	dlp_rf_defs_release(&ps->defs);
	free(ps->regex);
	dlp_rulefile_free(ps->rf);
	free(ps);
}

int dlp_rulefile_parse(const char *text, size_t len, const char *fname,
		       struct dlp_rulefile **out, struct diag *d)
{
	struct dlp_rf_parse *ps = NULL;
	int rc;

	*out = NULL;
	if (len > DLP_RULEFILE_MAX || (text == NULL && len > 0)) {
		diag_add(d, DIAG_ERROR, fname, 0, 0, "toml-limit",
			 "rule file missing or larger than %u bytes",
			 DLP_RULEFILE_MAX);
		rc = text == NULL ? -EINVAL : -E2BIG;
		goto out;
	}
	ps = calloc(1, sizeof(*ps));
	if (ps != NULL)
		dlp_rf_defs_init(&ps->defs);
	if (ps == NULL || (ps->rf = calloc(1, sizeof(*ps->rf))) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	ps->c.p = text;
	ps->c.len = len;
	ps->c.line = 1;
	ps->c.fname = fname;
	ps->c.d = d;
	rc = dlp_rf_prescan(&ps->c);
	if (rc == 0)
		rc = dlp_rf_loop(ps);
	if (rc == 0 && ps->c.errors > 0)
		rc = -EINVAL;
	if (rc == 0)
		rc = dlp_rf_custom(ps->rf);
	if (rc == 0) {
		*out = ps->rf;
		ps->rf = NULL;
	}
out:
	dlp_rf_parse_free(ps);
	return rc;
}
