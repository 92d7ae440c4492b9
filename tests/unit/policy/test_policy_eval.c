/* Unit tests: matching semantics of the decision engine. */
#include <time.h>

#include "helpers.h"

#define HDR "version: 1\nname: t\n"

static const char cmd_policy[] = HDR
"command_rules:\n"
"  - name: nested-only\n"
"    commands: [make]\n"
"    context: [nested]\n"
"    decision: deny\n"
"  - name: full-path\n"
"    commands: [/usr/bin/env]\n"
"    decision: audit\n"
"  - name: path-glob\n"
"    commands: [\"/opt/*/bin/tool\"]\n"
"    decision: deny\n"
"  - name: git-push\n"
"    commands: [git]\n"
"    args_patterns: [\"push.*(--force|-f)\"]\n"
"    decision: deny\n"
"    message: \"no force push: {{.Command}} {{.Args}} ({{.Rule}})\"\n"
"  - name: empty-args\n"
"    commands: [true]\n"
"    args_patterns: [\"^$\"]\n"
"    decision: deny\n"
"  - name: redos\n"
"    commands: [redos]\n"
"    args_patterns: [\"^(a+)+$\"]\n"
"    decision: allow\n"
"  - name: shells\n"
"    commands: [sudo, \"py*\"]\n"
"    decision: deny\n"
"  - name: curl-redirect\n"
"    commands: [wget]\n"
"    decision: redirect\n"
"    redirect_to: {command: curl, args: [\"-fsSL\"]}\n"
"  - name: db\n"
"    commands: [psql]\n"
"    decision: approve\n"
"    timeout: 2m\n"
"  - name: rest\n"
"    commands: [\"*\"]\n"
"    decision: allow\n";

static void test_commands(void **state)
{
	struct tp t;
	struct policy_verdict v;
	char msg[POLICY_MESSAGE_MAX];
	struct policy_render_args ra = {.command = "git", .args = "push -f"};

	(void)state;
	assert_int_equal(tp_load(&t, cmd_policy, false), 0);
	assert_string_equal(tp_exec(&t, "make all", 0).rule, "rest");
	assert_string_equal(tp_exec(&t, "make all", 2).rule, "nested-only");
	assert_string_equal(tp_exec(&t, "/usr/bin/env x", 0).rule, "full-path");
	assert_string_equal(tp_exec(&t, "/usr//bin/./env x", 0).rule, "full-path");
	assert_string_equal(tp_exec(&t, "env x", 0).rule, "rest");
	assert_string_equal(tp_exec(&t, "/opt/x/bin/tool", 0).rule, "path-glob");
	assert_string_equal(tp_exec(&t, "/opt/x/y/bin/tool", 0).rule, "rest");
	v = tp_exec(&t, "git push origin main -f", 0);
	assert_string_equal(v.rule, "git-push");
	assert_int_equal(v.effective, POLICY_DENY);
	policy_render_message(&v, &ra, msg, sizeof(msg));
	assert_string_equal(msg, "no force push: git push -f (git-push)");
	assert_string_equal(tp_exec(&t, "git status", 0).rule, "rest");
	/* Unanchored search over the joined arguments. */
	assert_string_equal(tp_exec(&t, "git x push y --force", 0).rule,
			    "git-push");
	/* No arguments: the joined string is empty. */
	assert_string_equal(tp_exec(&t, "true", 0).rule, "empty-args");
	assert_string_equal(tp_exec(&t, "true x", 0).rule, "rest");
	/* Basenames fold case, globs apply to basenames, .real is stripped. */
	assert_string_equal(tp_exec(&t, "SUDO id", 0).rule, "shells");
	assert_string_equal(tp_exec(&t, "/usr/bin/sudo id", 0).rule, "shells");
	assert_string_equal(tp_exec(&t, "/usr/bin/sudo.real id", 0).rule, "shells");
	assert_string_equal(tp_exec(&t, "python3 -c 1", 0).rule, "shells");
	v = tp_exec(&t, "wget http://x", 0);
	assert_int_equal(v.decision, POLICY_REDIRECT);
	assert_int_equal(v.effective, POLICY_ALLOW);
	assert_string_equal(v.cmd_rule->redirect->command, "curl");
	v = tp_exec(&t, "psql", 0);
	assert_int_equal(v.decision, POLICY_APPROVE);
	assert_int_equal(v.effective, POLICY_DENY);
	assert_true(v.approval_required);
	assert_int_equal(v.timeout_ms, 120000);
	policy_render_message(&v, NULL, msg, sizeof(msg));
	assert_non_null(strstr(msg, "approval required"));
	tp_free(&t);
	assert_int_equal(tp_load(&t, cmd_policy, true), 0);
	v = tp_exec(&t, "psql", 0);
	assert_int_equal(v.effective, POLICY_APPROVE);
	assert_false(v.approval_required);
	tp_free(&t);
}

static void test_regex_limit_fails_closed(void **state)
{
	struct tp t;
	struct policy_verdict v;
	char line[200] = "redos ";
	struct timespec a, b;

	(void)state;
	memset(line + 6, 'a', 60);
	line[66] = '!';
	line[67] = '\0';
	assert_int_equal(tp_load(&t, cmd_policy, false), 0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	v = tp_exec(&t, line, 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_string_equal(v.rule, "redos");
	assert_int_equal(v.effective, POLICY_DENY);
	assert_non_null(v.reason);
	assert_true((b.tv_sec - a.tv_sec) * 1000 +
		    (b.tv_nsec - a.tv_nsec) / 1000000 < 1000);
	tp_free(&t);
}

static const char file_policy[] = HDR
"file_rules:\n"
"  - name: ws-read\n"
"    paths: [\"${PROJECT_ROOT}\", \"${PROJECT_ROOT}/**\"]\n"
"    operations: [read, stat, list]\n"
"    decision: allow\n"
"  - name: ws-delete\n"
"    paths: [\"${PROJECT_ROOT}/**\"]\n"
"    operations: [delete]\n"
"    decision: soft_delete\n"
"    message: \"quarantined {{.Path}} ({{.Operation}})\"\n"
"  - name: x-only\n"
"    paths: [\"/x/**\"]\n"
"    decision: allow\n"
"  - name: star\n"
"    paths: [\"/usr/*\"]\n"
"    operations: [\"*\"]\n"
"    decision: audit\n"
"  - name: env-files\n"
"    paths: [\"**/.env\", \"**/.env.*\"]\n"
"    decision: approve\n"
"  - name: etc\n"
"    paths: [/etc/hosts, \"/etc/ssl/{certs,private}/**\"]\n"
"    operations: [read]\n"
"    decision: allow\n";

static void test_files(void **state)
{
	struct tp t;
	struct policy_verdict v;
	char msg[POLICY_MESSAGE_MAX];
	struct policy_render_args ra = {.path = "/workspace/proj/a", .operation = "delete"};

	(void)state;
	assert_int_equal(tp_load(&t, file_policy, false), 0);
	assert_string_equal(tp_file(&t, POLICY_OP_READ, "/workspace/proj").rule,
			    "ws-read");
	assert_string_equal(tp_file(&t, POLICY_OP_READ, "src/main.c").rule,
			    "ws-read");
	assert_string_equal(tp_file(&t, POLICY_OP_WRITE, "src/main.c").rule,
			    "default-deny-files");
	v = tp_file(&t, POLICY_OP_DELETE, "/workspace/proj/a");
	assert_int_equal(v.decision, POLICY_SOFT_DELETE);
	assert_int_equal(v.effective, POLICY_ALLOW);
	policy_render_message(&v, &ra, msg, sizeof(msg));
	assert_string_equal(msg, "quarantined /workspace/proj/a (delete)");
	/* A trailing "**" needs a "/" before it: "/x" is not under "/x/". */
	assert_string_equal(tp_file(&t, POLICY_OP_READ, "/x").rule,
			    "default-deny-files");
	assert_string_equal(tp_file(&t, POLICY_OP_READ, "/x/").rule,
			    "default-deny-files");
	assert_string_equal(tp_file(&t, POLICY_OP_READ, "/x/a/b").rule, "x-only");
	assert_string_equal(tp_file(&t, POLICY_OP_READ, "/y/../x/a").rule, "x-only");
	assert_string_equal(tp_file(&t, POLICY_OP_READ,
				    "/workspace/proj/../../x/q").rule, "x-only");
	assert_string_equal(tp_file(&t, POLICY_OP_READ, "//x//a").rule, "x-only");
	/* "*" does not cross "/". */
	assert_string_equal(tp_file(&t, POLICY_OP_WRITE, "/usr/bin").rule, "star");
	assert_string_equal(tp_file(&t, POLICY_OP_WRITE, "/usr/bin/ls").rule,
			    "default-deny-files");
	assert_string_equal(tp_file(&t, POLICY_OP_WRITE, "/home/u/.env").rule,
			    "env-files");
	assert_string_equal(tp_file(&t, POLICY_OP_WRITE, "/.env.local").rule,
			    "env-files");
	assert_string_equal(tp_file(&t, POLICY_OP_READ, "/etc/ssl/private/k").rule,
			    "etc");
	assert_string_equal(tp_file(&t, POLICY_OP_READ, "/etc/ssl/other/k").rule,
			    "default-deny-files");
	/* A relative path without a cwd cannot be judged: deny. */
	{
		struct policy_file_req r = {POLICY_OP_READ, "a", NULL};
		assert_int_equal(policy_check_file(t.p, t.ctx, &r, &v), 0);
		assert_int_equal(v.effective, POLICY_DENY);
	}
	tp_free(&t);
}

static const char net_policy[] = HDR
"network_rules:\n"
"  - name: local\n"
"    cidrs: [127.0.0.1/32, \"::1/128\"]\n"
"    decision: allow\n"
"  - name: gh\n"
"    domains: [github.com, \"*.github.com\"]\n"
"    ports: [443, 22]\n"
"    decision: allow\n"
"  - name: private\n"
"    cidrs: [10.0.0.0/8, 169.254.0.0/16]\n"
"    decision: deny\n"
"  - name: evil\n"
"    domains: [evil.com, \"*.evil.com\"]\n"
"    decision: deny\n"
"    message: \"blocked {{.RemoteAddr}}:{{.Port}} ({{.Domain}})\"\n"
"  - name: https\n"
"    ports: [443]\n"
"    decision: approve\n"
"  - name: single\n"
"    domains: [\"*\"]\n"
"    decision: audit\n";

static void test_network(void **state)
{
	struct tp t;
	struct policy_verdict v;

	(void)state;
	assert_int_equal(tp_load(&t, net_policy, false), 0);
	assert_string_equal(tp_net(&t, "github.com", 443, NULL).rule, "gh");
	assert_string_equal(tp_net(&t, "API.GitHub.com.", 22, NULL).rule, "gh");
	assert_string_equal(tp_net(&t, "a.b.github.com", 443, NULL).rule, "https");
	assert_string_equal(tp_net(&t, "github.com", 80, NULL).rule,
			    "default-deny-network");
	assert_string_equal(tp_net(&t, "evil.com", 8080, NULL).rule, "evil");
	assert_string_equal(tp_net(&t, "x.evil.com", 443, NULL).rule, "evil");
	assert_string_equal(tp_net(&t, "x.y.evil.com", 443, NULL).rule, "https");
	/* CIDRs: on resolved addresses, IP literals, mapped and odd spellings. */
	assert_string_equal(tp_net(&t, "rebind.example.org", 443,
				   "169.254.169.254").rule, "private");
	assert_string_equal(tp_net(&t, "169.254.169.254", 80, NULL).rule, "private");
	assert_string_equal(tp_net(&t, "::ffff:10.1.2.3", 80, NULL).rule, "private");
	assert_string_equal(tp_net(&t, "0251.0376.0251.0376", 80, NULL).rule,
			    "private");
	assert_string_equal(tp_net(&t, "2130706433", 9, NULL).rule, "local");
	assert_string_equal(tp_net(&t, "[::1]", 9, NULL).rule, "local");
	/* A host name without addresses matches no CIDR rule. */
	assert_string_equal(tp_net(&t, "intranet", 80, NULL).rule, "single");
	assert_string_equal(tp_net(&t, "intranet.example.org", 80, NULL).rule,
			    "default-deny-network");
	v = tp_net(&t, "evil.com", 443, "203.0.113.9");
	{
		char msg[POLICY_MESSAGE_MAX];
		struct policy_render_args ra = {.domain = "evil.com",
						.remote_addr = "203.0.113.9",
						.port = "443"};
		policy_render_message(&v, &ra, msg, sizeof(msg));
		assert_string_equal(msg, "blocked 203.0.113.9:443 (evil.com)");
	}
	v = tp_net(&t, "example.org", 443, "93.184.216.34");
	assert_int_equal(v.decision, POLICY_APPROVE);
	assert_int_equal(v.effective, POLICY_DENY);
	tp_free(&t);
}

static const char env_policy[] = HDR
"command_rules:\n"
"  - name: npm\n"
"    commands: [npm]\n"
"    env_allow: [NPM_TOKEN, PATH]\n"
"    env_deny: []\n"
"    decision: allow\n"
"  - name: yarn\n"
"    commands: [yarn]\n"
"    env_allow: [NPM_TOKEN, PATH]\n"
"    decision: allow\n"
"env_policy:\n"
"  allow: [HOME, PATH, \"LC_*\", \"AGENTSH_*\", DB_PASSWORD]\n"
"  deny: [\"*_PASSWORD\", \"*_TOKEN\"]\n";

static void test_env(void **state)
{
	struct tp t;
	struct policy_verdict v, c;

	(void)state;
	assert_int_equal(tp_load(&t, env_policy, false), 0);
	assert_int_equal(policy_check_env(t.p, "HOME", NULL, &v), 0);
	assert_int_equal(v.effective, POLICY_ALLOW);
	policy_check_env(t.p, "LC_ALL", NULL, &v);
	assert_int_equal(v.effective, POLICY_ALLOW);
	policy_check_env(t.p, "lc_all", NULL, &v);
	assert_int_equal(v.effective, POLICY_DENY);
	policy_check_env(t.p, "DB_PASSWORD", NULL, &v); /* deny wins */
	assert_int_equal(v.effective, POLICY_DENY);
	policy_check_env(t.p, "EDITOR", NULL, &v);
	assert_int_equal(v.effective, POLICY_DENY);
	assert_non_null(strstr(v.reason, "allow list"));
	/* A command rule's lists replace the policy's. */
	c = tp_exec(&t, "npm install", 0);
	policy_check_env(t.p, "NPM_TOKEN", c.cmd_rule, &v);
	assert_int_equal(v.effective, POLICY_ALLOW);
	assert_string_equal(v.rule, "npm");
	policy_check_env(t.p, "HOME", c.cmd_rule, &v);
	assert_int_equal(v.effective, POLICY_DENY);
	/* Only the lists a rule gives are replaced: the policy's deny list
	 * still applies under yarn. */
	c = tp_exec(&t, "yarn add x", 0);
	policy_check_env(t.p, "NPM_TOKEN", c.cmd_rule, &v);
	assert_int_equal(v.effective, POLICY_DENY);
	policy_check_env(t.p, "PATH", c.cmd_rule, &v);
	assert_int_equal(v.effective, POLICY_ALLOW);
	tp_free(&t);
	/* No allow list: the built-in secret list applies. */
	assert_int_equal(tp_load(&t, HDR, false), 0);
	policy_check_env(t.p, "AWS_SECRET_ACCESS_KEY", NULL, &v);
	assert_int_equal(v.effective, POLICY_DENY);
	assert_string_equal(v.rule, "builtin-secret-env");
	policy_check_env(t.p, "DYLD_INSERT_LIBRARIES", NULL, &v);
	assert_int_equal(v.effective, POLICY_DENY);
	policy_check_env(t.p, "EDITOR", NULL, &v);
	assert_int_equal(v.effective, POLICY_ALLOW);
	policy_check_env(t.p, "A=B", NULL, &v);
	assert_int_equal(v.effective, POLICY_DENY);
	tp_free(&t);
}

static void test_env_build(void **state)
{
	static const char pol[] = HDR
		"command_rules:\n"
		"  - {name: small, commands: [small], env_max_keys: 1, decision: allow}\n"
		"env_policy:\n  allow: [HOME, PATH, \"LC_*\"]\n  deny: [\"*_TOKEN\"]\n"
		"  max_bytes: 64\n";
	char *envp[] = {"HOME=/home/u", "PATH=/usr/bin", "GH_TOKEN=x", "EDITOR=vi",
			"LC_ALL=", "LC_CTYPE=C", NULL};
	char *inject[] = {"HTTPS_PROXY=http://127.0.0.1:1", NULL};
	struct policy_env_outcome o;
	struct policy_verdict c;
	char **env = NULL;
	struct tp t;

	(void)state;
	assert_int_equal(tp_load(&t, pol, false), 0);
	assert_int_equal(policy_env_build(t.p, NULL, envp, inject, &env, &o), 0);
	assert_null(o.error);
	assert_int_equal(o.kept, 3);
	assert_int_equal(o.denied, 3); /* token, not allowed, empty value */
	assert_string_equal(env[0], "HOME=/home/u");
	assert_string_equal(env[1], "PATH=/usr/bin");
	assert_string_equal(env[2], "LC_CTYPE=C");
	assert_string_equal(env[3], "HTTPS_PROXY=http://127.0.0.1:1");
	assert_null(env[4]);
	assert_int_equal(o.bytes, strlen("HOME=/home/u") + strlen("PATH=/usr/bin") +
				  strlen("LC_CTYPE=C") + 3);
	policy_env_free(env);
	/* A rule's limit replaces the policy's. */
	c = tp_exec(&t, "small", 0);
	assert_int_equal(policy_env_build(t.p, c.cmd_rule, envp, NULL, &env, &o), 0);
	assert_non_null(o.error);
	assert_int_equal(o.max_keys, 1);
	policy_env_free(env);
	/* max_bytes of the policy. */
	{
		char big[100], *e2[] = {big, NULL};
		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		memcpy(big, "HOME=", 5);
		assert_int_equal(policy_env_build(t.p, NULL, e2, NULL, &env, &o), 0);
		assert_non_null(strstr(o.error, "max_bytes"));
		policy_env_free(env);
	}
	tp_free(&t);
}

static void test_defaults_and_order(void **state)
{
	struct tp t;

	(void)state;
	assert_int_equal(tp_load(&t, HDR, false), 0);
	assert_string_equal(tp_exec(&t, "ls", 0).rule, "default-deny-commands");
	assert_string_equal(tp_file(&t, POLICY_OP_READ, "/a").rule,
			    "default-deny-files");
	assert_string_equal(tp_net(&t, "a.example", 1, NULL).rule,
			    "default-deny-network");
	tp_free(&t);
	/* First match wins even when a later rule is more specific. */
	assert_int_equal(tp_load(&t, HDR "command_rules:\n"
				 "  - {name: all, decision: allow}\n"
				 "  - {name: sudo, commands: [sudo], decision: deny}\n",
				 false), 0);
	assert_string_equal(tp_exec(&t, "sudo id", 0).rule, "all");
	tp_free(&t);
}

static void test_path_normalize(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(policy_path_normalize("/a/./b//c/../d/", NULL, out,
					       sizeof(out)), 0);
	assert_string_equal(out, "/a/b/d");
	assert_int_equal(policy_path_normalize("../../..", "/a/b", out,
					       sizeof(out)), 0);
	assert_string_equal(out, "/");
	assert_int_equal(policy_path_normalize("x/y", "/w", out, sizeof(out)), 0);
	assert_string_equal(out, "/w/x/y");
	assert_true(policy_path_normalize("x", NULL, out, sizeof(out)) < 0);
	assert_true(policy_path_normalize("/aaaaaaaaaa/bbbbbbbbbbbbbb/cccccccccccc/"
					  "dddddddddddddd/eeeeeeeeeeeeeeee", NULL,
					  out, 32) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_regex_limit_fails_closed),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_network),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_env_build),
		cmocka_unit_test(test_defaults_and_order),
		cmocka_unit_test(test_path_normalize),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
