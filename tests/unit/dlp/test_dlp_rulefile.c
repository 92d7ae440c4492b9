/* gitleaks-style TOML rule files: the subset, the mapping to custom
 * patterns, an engine built from them, and errors at exact positions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlp/dlp.h"
#include "dlp/dlp_rf_int.h"
#include "dlp/dlp_rulefile.h"
#include "t_dlp.h"

/* An excerpt in the format of gitleaks' default config (rules of our own). */
static const char t_config[] =
	"# gitleaks-style config\n"
	"title = \"agentsh test rules\"\n"
	"\n"
	"[extend]\n"
	"useDefault = false\n"
	"\n"
	"[allowlist]\n"
	"description = \"global allow list\"\n"
	"paths = ['''gitleaks\\.toml''', '''(.*?)(jpg|gif)$''']\n"
	"\n"
	"[[rules]]\n"
	"id = \"aws-access-token\"\n"
	"description = \"AWS access token\"\n"
	"regex = '''(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}'''\n"
	"keywords = [\n"
	"    \"akia\", \"asia\", # access keys\n"
	"    'abia', \"acca\",\n"
	"]\n"
	"tags = [\"key\", \"AWS\"]\n"
	"entropy = 3.5\n"
	"secretGroup = 0\n"
	"[rules.allowlist]\n"
	"regexes = ['''.+EXAMPLE$''']\n"
	"\n"
	"[[rules]]\n"
	"id = \"pkcs12-file\"\n"
	"path = '''(?i)\\.p(?:12|fx)$'''\n"
	"\n"
	"[[rules]]\n"
	"  id = 'acme.ticket-key'   # literal string id\n"
	"  regex = \"\"\"\n"
	"acme_[0-9a-f]{8}\\\n"
	"      (?:_live)?\"\"\"\n"
	"  \"description\" = \"tab\\there \\u00e9 \\U0001F600\"\n"
	"  secretGroup = 1_0\n"
	"  [[rules.allowlists]]\n"
	"  stopwords = [\"example\"]\n"
	"  [[rules.allowlists]]\n"
	"  paths = []\n"
	"\n"
	"[[rules]]\r\n"
	"id = \"multi-literal\"\r\n"
	"regex = '''\n"
	"x\\d'y'''\n";

struct t_rf {
	struct dlp_rulefile *rf;
	struct diag d;
	int rc;
};

static void t_parse(struct t_rf *t, const char *text, size_t len)
{
	diag_init(&t->d);
	t->rc = dlp_rulefile_parse(text, len, "rules.toml", &t->rf, &t->d);
}

static void t_done(struct t_rf *t)
{
	dlp_rulefile_free(t->rf);
	diag_release(&t->d);
}

/* The first diagnostic of severity sev whose message contains what. */
static const struct diag_entry *t_find(const struct diag *d,
				       enum diag_severity sev, const char *what)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->v[i].sev == sev && strstr(d->v[i].msg, what) != NULL)
			return &d->v[i];
	return NULL;
}

static void test_config(void **state)
{
	const struct dlp_custom *c;
	const struct diag_entry *e;
	struct t_rf t;

	(void)state;
	t_parse(&t, t_config, strlen(t_config));
	assert_int_equal(t.rc, 0);
	assert_int_equal(dlp_rulefile_count(t.rf), 3);
	c = dlp_rulefile_rules(t.rf);
	assert_string_equal(c[0].name, "aws-access-token");
	assert_string_equal(c[0].display, "AWS_ACCESS_TOKEN");
	assert_string_equal(c[0].regex,
			    "(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}");
	assert_string_equal(c[1].name, "acme.ticket-key");
	assert_string_equal(c[1].display, "ACME_TICKET_KEY");
	assert_string_equal(c[1].regex, "acme_[0-9a-f]{8}(?:_live)?");
	assert_string_equal(c[2].regex, "x\\d'y");
	e = t_find(&t.d, DIAG_WARNING, "path-only rule skipped");
	assert_true(e != NULL && e->line == 25 && e->col == 1);
	assert_non_null(t_find(&t.d, DIAG_WARNING,
			       "rule 'aws-access-token': allowlists"));
	assert_non_null(t_find(&t.d, DIAG_WARNING,
			       "rule 'acme.ticket-key': allowlists"));
	assert_non_null(t_find(&t.d, DIAG_WARNING, "global allowlist"));
	assert_non_null(t_find(&t.d, DIAG_WARNING, "[extend]"));
	/* one allowlist warning per rule, though it has two */
	assert_int_equal(t.d.warnings, 5);
	assert_int_equal(t.d.errors, 0);
	t_done(&t);
}

static int t_collect(const struct dlp_finding *f, void *arg)
{
	struct dlp_finding *out = arg;

	if (out->rule == NULL)
		*out = *f;
	return 0;
}

static void test_engine(void **state)
{
	static const char text[] = "key=AKIAIOSFODNN7QWERTYX and acme_0badf00d";
	struct dlp_finding f = { .rule = NULL };
	struct dlp_engine *e;
	struct t_rf t;
	struct buf b;

	(void)state;
	t_parse(&t, t_config, strlen(t_config));
	assert_int_equal(t.rc, 0);
	e = t_dlp_engine(dlp_rulefile_rules(t.rf), dlp_rulefile_count(t.rf),
			 true);
	assert_int_equal(dlp_scan(e, text, strlen(text), t_collect, &f), 0);
	assert_non_null(f.rule);
	assert_int_equal(f.start, 4);
	assert_int_equal(f.end, 24);
	buf_init(&b, 4096);
	assert_int_equal(dlp_redact(e, text, strlen(text), &b, NULL), 0);
	assert_null(strstr(b.data, "AKIAIOSFODNN7QWERTYX"));
	assert_non_null(strstr(b.data, "[REDACTED:ACME_TICKET_KEY]"));
	buf_release(&b);
	dlp_engine_free(e);
	t_done(&t);
}

static void test_empty(void **state)
{
	static const char *const texts[] = { "", "\n\n", "# only a comment\n",
					     "title = 'x'" };
	struct t_rf t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		t_parse(&t, texts[i], strlen(texts[i]));
		assert_int_equal(t.rc, 0);
		assert_int_equal(dlp_rulefile_count(t.rf), 0);
		assert_non_null(dlp_rulefile_rules(t.rf));
		t_done(&t);
	}
	t_parse(&t, NULL, 0);
	assert_int_equal(t.rc, 0);
	t_done(&t);
	dlp_rulefile_free(NULL);
}

struct t_err {
	const char *text;
	int rc, line, col;
	const char *msg;
};

static const struct t_err t_errs[] = {
	{ "[[rules]]\nid = \"abc\nregex = 'x'\n", -EINVAL, 2, 6,
	  "unterminated string" },
	{ "[[rules]]\nid = 'a'\nregex = '''x\n", -EINVAL, 3, 9,
	  "unterminated string" },
	{ "[[rules]]\nid = 'a'\nregex = \"a\\qb\"\n", -EINVAL, 3, 11,
	  "bad escape" },
	{ "[[rules]]\nid = 'a'\nregex = \"\\uD800\"\n", -EINVAL, 3, 10,
	  "bad escape" },
	{ "[[rules]]\nid = 'a'\nregex = 'x'\n[[rules]]\n  id = 'a'\n"
	  "regex = 'y'\n", -EINVAL, 5, 8, "duplicate rule id 'a'" },
	{ "[[rules]]\nid = 'a'\ndescription = 'd'\n", -EINVAL, 1, 1,
	  "rule 'a' has no regex" },
	{ "\n  [[rules]]\nregex = 'x'\n", -EINVAL, 2, 3, "rule has no id" },
	{ "[[rules]]\nid = 'a' x\nregex = 'x'\n", -EINVAL, 2, 10,
	  "unexpected text after the value" },
	{ "[[rules]]\nid = 'a'\nregex = yes\n", -EINVAL, 3, 9,
	  "unknown value type" },
	{ "[[rules]]\nid = 'a'\nregex = {a = 1}\n", -EINVAL, 3, 9,
	  "inline tables" },
	{ "[[rules]]\nid = 'a'\nentropy = 1979-05-27\nregex = 'x'\n", -EINVAL,
	  3, 11, "bad number" },
	{ "[[rules]]\nid = 'a'\nregex = 'x'\nregex = 'y'\n", -EINVAL, 4, 1,
	  "defined twice" },
	{ "[[rules]]\nid = 'a b'\nregex = 'x'\n", -EINVAL, 2, 6, "rule id" },
	{ "[[rules]]\nid = 'a'\nregex = 5\n", -EINVAL, 3, 9,
	  "'regex' must be a string" },
	{ "[[rules]]\nid = 'a'\nregex.x = 'x'\n", -EINVAL, 3, 1,
	  "dotted keys" },
	{ "[rules]\n", -EINVAL, 1, 2, "array of tables" },
	{ "[rules.allowlist]\n", -EINVAL, 1, 2, "before any [[rules]]" },
	{ "[a]\n[a]\n", -EINVAL, 2, 2, "table defined twice" },
	{ "[[rules]\n", -EINVAL, 1, 8, "expected ']]'" },
	{ "k = [1,\n  2 3]\n", -EINVAL, 2, 5, "expected ',' or ']'" },
	{ "k = [1,\n  2,\n", -EINVAL, 1, 5, "unterminated array" },
	{ "k =\n", -EINVAL, 1, 4, "missing value" },
	{ "k = 'a\x01'\n", -EINVAL, 1, 7, "control character" },
	{ "k = 'a'\n\xff\n", -EINVAL, 2, 1, "invalid UTF-8" },
	{ "rules = 1\n[[rules]]\n", -EINVAL, 2, 3, "already a key" },
	{ "[a.b]\n[[a]]\n", -EINVAL, 2, 3, "already a table" },
	{ "[[x]]\n[x]\n", -EINVAL, 2, 2, "already an array of tables" },
	{ "[x]\ny = 1\n[x.y.z]\n", -EINVAL, 3, 2, "already a key" },
	{ "[[rules]]\nid = 'a'\nregex = 'x'\n[rules.id]\n", -EINVAL, 4, 2,
	  "already a key" },
	{ "[x.y]\n[x]\ny = 2\n", -EINVAL, 3, 1, "is already a table" },
	{ "k = 0x\n", -EINVAL, 1, 5, "bad number" },
	{ "k = 99999999999999999999\n", -EINVAL, 1, 5, "bad number" },
};

static void test_errors(void **state)
{
	const struct diag_entry *e;
	struct t_rf t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t_errs) / sizeof(t_errs[0]); i++) {
		t_parse(&t, t_errs[i].text, strlen(t_errs[i].text));
		e = t_find(&t.d, DIAG_ERROR, t_errs[i].msg);
		if (t.rc != t_errs[i].rc || e == NULL ||
		    e->line != t_errs[i].line || e->col != t_errs[i].col ||
		    strcmp(e->file, "rules.toml") != 0)
			fail_msg("case %zu: rc %d, %s:%d:%d %s", i, t.rc,
				 e ? e->file : "-", e ? e->line : 0,
				 e ? e->col : 0,
				 t.d.n ? t.d.v[0].msg : "no message");
		assert_null(t.rf);
		t_done(&t);
	}
}

/* Every problem of a file is reported, each at its place. */
static void test_all_errors(void **state)
{
	static const char text[] = "a = yes\nb = 'x\nc = 1\nd = @\n";
	struct t_rf t;

	(void)state;
	t_parse(&t, text, strlen(text));
	assert_int_equal(t.rc, -EINVAL);
	assert_int_equal(t.d.errors, 3);
	assert_int_equal(t.d.v[0].line, 1);
	assert_int_equal(t.d.v[1].line, 2);
	assert_int_equal(t.d.v[2].sev, DIAG_WARNING);
	assert_int_equal(t.d.v[3].line, 4);
	t_done(&t);
}

static void test_long_line(void **state)
{
	size_t n = DLP_RF_LINE_MAX + 40;
	char *text = malloc(n + 1);
	struct t_rf t;

	(void)state;
	assert_non_null(text);
	memcpy(text, "\n# ", 3);
	memset(text + 3, 'x', n - 3);
	text[n] = '\0';
	t_parse(&t, text, n);
	assert_int_equal(t.rc, -E2BIG);
	assert_int_equal(t.d.v[0].line, 2);
	assert_int_equal(t.d.v[0].col, DLP_RF_LINE_MAX + 1);
	t_done(&t);
	free(text);
	/* a line of exactly the limit is fine */
	t_parse(&t, "k = 1\n", 6);
	assert_int_equal(t.rc, 0);
	t_done(&t);
}

static void test_too_many_rules(void **state)
{
	struct buf b;
	struct t_rf t;
	size_t i;

	(void)state;
	buf_init(&b, 1u << 20);
	for (i = 0; i <= DLP_CUSTOM_MAX; i++)
		assert_int_equal(buf_printf(&b, "[[rules]]\nid = 'r%zu'\n"
					    "regex = 'x%zu'\n", i, i), 0);
	t_parse(&t, b.data, b.len);
	assert_int_equal(t.rc, -E2BIG);
	assert_non_null(t_find(&t.d, DIAG_ERROR, "more than 256 rules"));
	assert_int_equal(t.d.v[0].line, 3 * DLP_CUSTOM_MAX + 1);
	assert_int_equal(t.d.v[0].col, 1);
	t_done(&t);
	/* exactly the limit is fine */
	b.len = 0;
	for (i = 0; i < DLP_CUSTOM_MAX; i++)
		assert_int_equal(buf_printf(&b, "[[rules]]\nid = 'r%zu'\n"
					    "regex = 'x%zu'\n", i, i), 0);
	t_parse(&t, b.data, b.len);
	assert_int_equal(t.rc, 0);
	assert_int_equal(dlp_rulefile_count(t.rf), DLP_CUSTOM_MAX);
	t_done(&t);
	buf_release(&b);
}

/* text with the error at line:col, -E2BIG */
static void t_limit(const char *text, size_t len, int line, int col)
{
	struct t_rf t;

	t_parse(&t, text, len);
	assert_int_equal(t.rc, -E2BIG);
	assert_null(t.rf);
	assert_true(t.d.n > 0 && t.d.v[0].line == line &&
		    t.d.v[0].col == col);
	t_done(&t);
}

/* Strings, arrays and nesting past their named limits. */
static void test_limits(void **state)
{
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b, 1u << 20);
	/* a multi-line string of 700 lines of 100 bytes */
	assert_int_equal(buf_puts(&b, "\nk = '''\n"), 0);
	for (i = 0; i < 700; i++)
		assert_int_equal(buf_printf(&b, "%099d\n", 0), 0);
	assert_int_equal(buf_puts(&b, "'''\n"), 0);
	assert_true(b.len > DLP_RF_STR_MAX);
	t_limit(b.data, b.len, 2, 5);
	buf_reset(&b);
	assert_int_equal(buf_puts(&b, "k = [\n"), 0);
	for (i = 0; i <= DLP_RF_ARRAY_MAX; i++)
		assert_int_equal(buf_puts(&b, "1,\n"), 0);
	assert_int_equal(buf_puts(&b, "]\n"), 0);
	t_limit(b.data, b.len, 1, 5);
	buf_reset(&b);
	assert_int_equal(buf_puts(&b, "k = "), 0);
	for (i = 0; i <= DLP_RF_DEPTH_MAX; i++)
		assert_int_equal(buf_puts(&b, "["), 0);
	t_limit(b.data, b.len, 1, 5 + DLP_RF_DEPTH_MAX);
	buf_release(&b);
}

/* Values of the subset that gitleaks files rarely use. */
static void test_values(void **state)
{
	static const char text[] =
		"a = [[1, 2], ['x', \"y\"], [], ]\n"
		"b = [ # c\n\n 1.5e3, -inf, +0, 0xff_ff, 0o7, 0b1, true ]\n"
		"c = \"\"\"q\"\"\"\"\"\n"
		"\"d e\" = ''\n"
		"[[rules]]\n"
		"id = \"a\"\n"
		"regex = \"\\\"\\\\\\b\\f\\n\\r\"\n"
		"unknown = 1\n"
		"[rules.allowlist]\n"
		"[[rules]]\n"
		"id = \"b\"\n"
		"regex = 'b'\n"
		"[rules.allowlist]\n"
		"[[allowlists]]\n"
		"x = 1\n"
		"[[allowlists]]\n"
		"x = 2\n";
	const struct dlp_custom *c;
	struct t_rf t;

	(void)state;
	t_parse(&t, text, strlen(text));
	assert_int_equal(t.rc, 0);
	c = dlp_rulefile_rules(t.rf);
	assert_int_equal(dlp_rulefile_count(t.rf), 2);
	assert_string_equal(c[0].regex, "\"\\\b\f\n\r");
	assert_string_equal(c[1].name, "b");
	/* 4 unknown top-level keys, 1 unknown rule key, 2 rule allowlists,
	 * and 1 for both [[allowlists]] elements */
	assert_int_equal(t.d.warnings, 8);
	assert_non_null(t_find(&t.d, DIAG_WARNING, "unknown rule key"));
	t_done(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_engine),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_all_errors),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_too_many_rules),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
