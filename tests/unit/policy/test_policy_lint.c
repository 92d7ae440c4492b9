/* Unit tests: the linter finds rules that first-match ordering hides. */
#include "helpers.h"

static bool has_finding(const struct diag *d, const char *code,
			const char *text)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->v[i].code, code) == 0 &&
		    strstr(d->v[i].msg, text) != NULL)
			return true;
	return false;
}

static void lint_file(const char *ver, struct tp *t)
{
	static char yaml[1 << 16];

	tp_read_compat(ver, yaml, sizeof(yaml));
	assert_int_equal(tp_load(t, yaml, false), 0);
	policy_lint(t->p, &t->d);
}

static void test_v0710_shadowed_git_rules(void **state)
{
	struct tp t;
	static const char *const shadowed[] = {
		"'block-git-force-push' can never match",
		"'block-git-push-main' can never match",
		"'block-git-reset-hard' can never match",
		"'block-git-clean-force' can never match",
		"'approve-package-install' can never match",
	};

	(void)state;
	lint_file("0.7.10", &t);
	for (size_t i = 0; i < sizeof(shadowed) / sizeof(shadowed[0]); i++) {
		if (!has_finding(&t.d, "shadowed-rule", shadowed[i])) {
			diag_print(&t.d, stderr);
			fail_msg("missing: %s", shadowed[i]);
		}
	}
	assert_true(has_finding(&t.d, "shadowed-rule",
				"decided first by 'allow-dev-tools'"));
	assert_true(has_finding(&t.d, "shadowed-rule",
				"'allow-llm-proxy' can never match"));
	assert_true(has_finding(&t.d, "shadowed-entry", "'169.254.169.254/32'"));
	assert_false(has_finding(&t.d, "shadowed-entry", "100.100.100.200"));
	assert_true(has_finding(&t.d, "single-label-star", "default-deny-network"));
	/* Rules that do decide something are not reported. */
	assert_false(has_finding(&t.d, "shadowed-rule", "'block-rm-recursive'"));
	assert_false(has_finding(&t.d, "shadowed-rule", "'block-shell-escape'"));
	assert_false(has_finding(&t.d, "shadowed-rule", "'default-deny-files'"));
	assert_int_equal(t.d.errors, 0);
	tp_free(&t);
}

static void test_home_overlap_is_reported(void **state)
{
	struct tp t;

	(void)state;
	/* With HOME=/home/daytona, reads of ~/.ssh are allowed by
	 * allow-daytona-home before approve-ssh-access can ask. */
	lint_file("0.7.10", &t);
	assert_true(has_finding(&t.d, "shadowed-entry",
				"some operations on path '/home/daytona/.ssh/**'"));
	tp_free(&t);
}

static void test_small_cases(void **state)
{
	struct tp t;

	(void)state;
	assert_int_equal(tp_load(&t, "version: 1\nname: t\ncommand_rules:\n"
				 "  - {name: a, decision: allow}\n"
				 "  - {name: b, commands: [ls], decision: deny}\n"
				 "  - {name: a, commands: [x], context: [nested],"
				 " decision: deny}\n"
				 "network_rules:\n"
				 "  - {name: n, ports: [443], decision: allow}\n"
				 "  - {name: m, domains: [x.org], ports: [443],"
				 " decision: deny}\n"
				 "  - {name: o, domains: [y.org], decision: deny}\n"
				 "file_rules:\n"
				 "  - {name: f, paths: [\"/a/**\"], decision: allow}\n"
				 "  - {name: g, paths: [\"/a/b/*\"], operations: [read],"
				 " decision: deny}\n"
				 "  - {name: h, paths: [], decision: deny}\n",
				 false), 0);
	policy_lint(t.p, &t.d);
	assert_true(has_finding(&t.d, "no-selectors", "'a' has no 'commands'"));
	assert_true(has_finding(&t.d, "shadowed-rule", "'b' can never match"));
	assert_true(has_finding(&t.d, "duplicate-name", "'a'"));
	assert_true(has_finding(&t.d, "shadowed-rule", "'m' can never match"));
	assert_false(has_finding(&t.d, "shadowed-rule", "'o' can never"));
	assert_true(has_finding(&t.d, "shadowed-rule", "'g' can never match"));
	assert_true(has_finding(&t.d, "no-selectors", "'h' has no 'paths'"));
	tp_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v0710_shadowed_git_rules),
		cmocka_unit_test(test_home_overlap_is_reported),
		cmocka_unit_test(test_small_cases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
