/* Unit tests: every class of bad policy input gets its error, in place. */
#include "helpers.h"

struct bad_case {
	const char *name;
	const char *yaml;
	const char *code;
	int line, col;
	const char *text; /* must appear in the message */
};

#define HDR "version: 1\nname: t\n"

static const struct bad_case bad_cases[] = {
	{"unknown top key with alias", HDR "env_rules:\n  allow: [HOME]\n",
	 "unknown-key", 3, 1, "did you mean 'env_policy'"},
	{"misspelled rule key", HDR "command_rules:\n  - name: a\n    comands: [ls]\n"
	 "    decision: allow\n", "unknown-key", 5, 5, "did you mean 'commands'"},
	{"paths not a list", HDR "file_rules:\n  - name: a\n    paths: /tmp\n"
	 "    decision: allow\n", "wrong-type", 5, 12, "must be a list"},
	{"bad glob", HDR "file_rules:\n  - name: a\n    paths: [\"/tmp/[ab\"]\n"
	 "    decision: allow\n", "bad-glob", 5, 13, "file_rules[0] 'a'.paths[0]"},
	{"bad regex", HDR "command_rules:\n  - name: g\n    commands: [git]\n"
	 "    args_patterns: [\"push(\"]\n    decision: deny\n", "bad-regex", 6,
	 27, "command_rules[0] 'g'.args_patterns[0]"},
	{"bad cidr", HDR "network_rules:\n  - name: n\n    cidrs: [\"10.0.0.0/33\"]\n"
	 "    decision: deny\n", "bad-cidr", 5, 13, "invalid CIDR"},
	{"port out of range", HDR "network_rules:\n  - name: n\n    ports: [443, 70000]\n"
	 "    decision: deny\n", "out-of-range", 5, 18, "ports[1]"},
	{"port not a number", HDR "network_rules:\n  - name: n\n    ports: [https]\n"
	 "    decision: deny\n", "wrong-type", 5, 13, "whole number"},
	{"bad duration", HDR "command_rules:\n  - name: a\n    commands: [psql]\n"
	 "    decision: approve\n    timeout: 5x\n", "bad-duration", 7, 14, "7d"},
	{"bad decision", HDR "command_rules:\n  - name: a\n    commands: [ls]\n"
	 "    decision: maybe\n", "bad-decision", 6, 15, "expected one of"},
	{"soft_delete on a command", HDR "command_rules:\n  - name: a\n"
	 "    commands: [rm]\n    decision: soft_delete\n", "bad-decision", 6, 15,
	 "not valid here"},
	{"missing decision", HDR "command_rules:\n  - name: a\n    commands: [ls]\n",
	 "missing-decision", 4, 5, "'decision' is required"},
	{"missing rule name", HDR "command_rules:\n  - commands: [ls]\n"
	 "    decision: allow\n", "missing-name", 4, 5, "needs a 'name'"},
	{"unknown file operation", HDR "file_rules:\n  - name: a\n    paths: [/x]\n"
	 "    operations: [read, wirte]\n    decision: allow\n", "bad-operation", 6,
	 24, "'wirte'"},
	{"duplicate key", HDR "command_rules:\n  - name: a\n    name: b\n"
	 "    decision: allow\n", "duplicate-key", 5, 5, "duplicate key 'name'"},
	{"missing version", "name: t\n", "missing-version", 1, 1, "version"},
	{"version zero", "version: 0\nname: t\n", "out-of-range", 1, 10, "version"},
	{"bad variable syntax", HDR "file_rules:\n  - name: a\n    paths: [\"${HOME\"]\n"
	 "    decision: allow\n", "bad-variable", 5, 13, "closing"},
	{"redirect without target", HDR "command_rules:\n  - name: a\n"
	 "    commands: [curl]\n    decision: redirect\n", "missing-redirect", 4, 5,
	 "redirect_to"},
	{"bad context", HDR "command_rules:\n  - name: a\n    commands: [ls]\n"
	 "    context: [deep]\n    decision: allow\n", "bad-context", 6, 14,
	 "direct"},
	{"bad signal", HDR "signal_rules:\n  - name: s\n    signals: [SIGNOPE]\n"
	 "    decision: deny\n", "bad-signal", 5, 15, "SIGNOPE"},
	{"rules not a list", HDR "command_rules:\n  name: a\n", "wrong-type", 4, 3,
	 "must be a list"},
	{"env max_keys negative", HDR "env_policy:\n  max_keys: -1\n",
	 "out-of-range", 4, 13, "max_keys"},
	{"yaml syntax", HDR "command_rules: [\n", "yaml-syntax", 4, 1, "YAML"},
	{"empty file", "", "empty-policy", 1, 1, "empty"},
};

static void test_bad_inputs(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct tp t;
		int k;

		assert_true(tp_load(&t, c->yaml, false) < 0);
		assert_null(t.src);
		k = tp_diag_find(&t.d, c->code);
		if (k < 0 || t.d.v[k].line != c->line || t.d.v[k].col != c->col ||
		    strstr(t.d.v[k].msg, c->text) == NULL) {
			fprintf(stderr, "case '%s': wanted %s at %d:%d with '%s'\n",
				c->name, c->code, c->line, c->col, c->text);
			diag_print(&t.d, stderr);
			fail();
		}
		tp_free(&t);
	}
}

static void test_durations_accept_days(void **state)
{
	struct tp t;

	(void)state;
	assert_int_equal(tp_load(&t, HDR "command_rules:\n  - name: a\n"
				 "    commands: [psql]\n    decision: approve\n"
				 "    timeout: 7d\nresource_limits:\n"
				 "  session_timeout: 1h30m\n", false), 0);
	assert_int_equal(t.src->cmd_rules[0].c.timeout_ms, 604800000);
	assert_int_equal(t.src->limits.session_timeout_ms, 5400000);
	tp_free(&t);
}

static void test_undefined_variable(void **state)
{
	struct tp t;
	int k;

	(void)state;
	assert_true(tp_load(&t, HDR "file_rules:\n  - name: a\n"
			    "    paths: [\"${NOPE_UNSET}/**\"]\n"
			    "    decision: allow\n", false) < 0);
	k = tp_diag_find(&t.d, "undefined-variable");
	assert_true(k >= 0);
	assert_int_equal(t.d.v[k].line, 5);
	assert_non_null(strstr(t.d.v[k].msg, "${NOPE_UNSET}"));
	tp_free(&t);
	/* A fallback makes it defined. */
	assert_int_equal(tp_load(&t, HDR "file_rules:\n  - name: a\n"
				 "    paths: [\"${NOPE_UNSET:-/opt}/**\"]\n"
				 "    decision: allow\n", false), 0);
	assert_int_equal(tp_file(&t, POLICY_OP_READ, "/opt/x").effective,
			 POLICY_ALLOW);
	tp_free(&t);
}

static void test_legacy_glob_args(void **state)
{
	struct tp t;
	int k;

	(void)state;
	assert_int_equal(tp_load(&t, HDR "command_rules:\n  - name: rmr\n"
				 "    commands: [rm]\n    args_patterns: [\"*-r*\"]\n"
				 "    decision: deny\n  - name: rest\n"
				 "    commands: [\"*\"]\n    decision: allow\n",
				 false), 0);
	k = tp_diag_find(&t.d, "legacy-args-glob");
	assert_true(k >= 0);
	assert_int_equal(t.d.v[k].line, 6);
	assert_string_equal(tp_exec(&t, "rm -rf /x", 0).rule, "rmr");
	assert_string_equal(tp_exec(&t, "rm a.txt", 0).rule, "rest");
	assert_string_equal(tp_exec(&t, "rm", 0).rule, "rest");
	tp_free(&t);
}

static void test_nothing_half_loaded(void **state)
{
	struct tp t;

	(void)state;
	/* One good rule and one bad one: nothing is returned. */
	assert_true(tp_load(&t, HDR "command_rules:\n  - name: ok\n"
			    "    commands: [ls]\n    decision: allow\n"
			    "  - name: bad\n    commands: [ls]\n"
			    "    decision: nope\n", false) < 0);
	assert_null(t.src);
	assert_null(t.p);
	tp_free(&t);
}

static void test_strict_warnings(void **state)
{
	struct policy_src *src = NULL;
	struct diag d;
	const char *y = HDR "registry_rules: []\n";

	(void)state;
	diag_init(&d);
	assert_int_equal(policy_src_load_buffer(y, strlen(y), "t", &src, &d), 0);
	policy_src_free(src);
	diag_release(&d);
	diag_init(&d);
	d.warnings_as_errors = 1;
	assert_true(policy_src_load_buffer(y, strlen(y), "t", &src, &d) < 0);
	diag_release(&d);
}

static void load_compat(const char *ver)
{
	char path[512];
	struct policy_src *src = NULL;
	struct policy *p = NULL;
	struct policy_compile_opts co = {tp_vars, NULL, false};
	struct diag d;
	const char *dir = getenv("AGENTSH_TEST_DATA");

	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/compat/%s/default.yaml", dir, ver);
	diag_init(&d);
	assert_int_equal(policy_src_load_file(path, &src, &d), 0);
	assert_int_equal(policy_compile(src, &co, &p, &d), 0);
	assert_int_equal(d.errors, 0);
	policy_free(p);
	policy_src_free(src);
	diag_release(&d);
}

static void test_compat_policies_load(void **state)
{
	(void)state;
	load_compat("daytona-v0.7.2");
	load_compat("daytona-v0.7.10");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_durations_accept_days),
		cmocka_unit_test(test_undefined_variable),
		cmocka_unit_test(test_legacy_glob_args),
		cmocka_unit_test(test_nothing_half_loaded),
		cmocka_unit_test(test_strict_warnings),
		cmocka_unit_test(test_compat_policies_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
