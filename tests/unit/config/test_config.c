/* Unit tests for src/config and `agentsh config` (cmocka). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/cmd_config.h"
#include "common/diag.h"
#include "config/config.h"

static char *test_no_env[] = {NULL};

static int test_load(const char *yaml, char **envp, struct config **out,
		     struct diag *d)
{
	return config_load_buffer(yaml, strlen(yaml), "t.yaml", envp, out, d);
}

/* Load yaml; d is initialised here; NULL (and errors in d) on failure. */
static struct config *test_diag(const char *yaml, char **envp,
				struct diag *d, bool strict)
{
	struct config *cfg = (struct config *)1;
	int r;

	diag_init(d);
	d->warnings_as_errors = strict;
	r = test_load(yaml, envp ? envp : test_no_env, &cfg, d);
	assert_int_equal(r, d->errors ? -EINVAL : 0);
	assert_true(r == 0 ? cfg != NULL : cfg == NULL);
	return cfg;
}

/* Load yaml that must succeed without errors. */
static struct config *test_ok(const char *yaml, char **envp)
{
	struct diag d;
	struct config *cfg = test_diag(yaml, envp, &d, false);

	if (d.errors)
		diag_print(&d, stderr);
	assert_int_equal(d.errors, 0);
	diag_release(&d);
	return cfg;
}

static const struct diag_entry *test_find(const struct diag *d,
					  const char *code)
{
	for (size_t i = 0; i < d->n; i++) {
		if (strcmp(d->v[i].code, code) == 0)
			return &d->v[i];
	}
	return NULL;
}

/* Assert that d holds code with this severity, position and text. */
static void test_expect(const struct diag *d, const char *code,
			enum diag_severity sev, int line, int col,
			const char *text)
{
	const struct diag_entry *e = test_find(d, code);

	if (e == NULL) {
		diag_print(d, stderr);
		fail_msg("no diagnostic with code %s", code);
		return;
	}
	assert_int_equal(e->sev, sev);
	assert_int_equal(e->line, line);
	assert_int_equal(e->col, col);
	if (text != NULL && strstr(e->msg, text) == NULL)
		fail_msg("'%s' not in '%s'", text, e->msg);
}

static void test_compat_path(char *buf, size_t n, const char *version)
{
	const char *dir = getenv("AGENTSH_TEST_DATA");

	assert_non_null(dir);
	snprintf(buf, n, "%s/compat/daytona-%s/config.yaml", dir, version);
}

static char *test_yaml(const struct config *cfg)
{
	struct buf b;

	buf_init(&b, 1u << 24);
	assert_int_equal(config_dump_yaml(cfg, &b), 0);
	return buf_steal(&b);
}

/* Load a Daytona config: no errors, exactly the two expected warnings. */
static struct config *test_compat(const char *version, struct buf *json)
{
	char path[4096];
	struct config *cfg = NULL;
	struct diag d;

	test_compat_path(path, sizeof(path), version);
	diag_init(&d);
	assert_int_equal(config_load_file(path, test_no_env, &cfg, &d), 0);
	assert_int_equal(d.errors, 0);
	assert_int_equal(d.warnings, 2);
	assert_non_null(test_find(&d, "legacy-key"));
	assert_non_null(test_find(&d, "unknown-approvals-mode"));
	diag_release(&d);
	for (size_t i = 0; i < cfg->dlp.n_custom_patterns; i++)
		assert_non_null(cfg->dlp.custom_patterns[i].code);
	buf_init(json, 1u << 24);
	assert_int_equal(config_dump_json(cfg, json), 0);
	return cfg;
}

static void test_compat_v072(void **state)
{
	struct buf b;
	struct config *cfg = test_compat("v0.7.2", &b);

	assert_int_equal(cfg->server.http.write_timeout, 60000);
	assert_int_equal(cfg->server.http.max_request_size, 10000000);
	assert_int_equal(cfg->sessions.default_idle_timeout, 900000);
	assert_int_equal(cfg->dlp.n_custom_patterns, 8);
	assert_string_equal(cfg->dlp.custom_patterns[5].display, "JWT");
	assert_string_equal(cfg->policies.default_name, "default");
	assert_int_equal(cfg->approvals.mode, CONFIG_APPROVAL_API);
	assert_non_null(strstr(b.data, "\"grpc\":{\"enabled\":true,"
			       "\"addr\":\"127.0.0.1:9090\"}"));
	assert_non_null(strstr(b.data, "\"default_timeout\":\"1h\","
			       "\"default_idle_timeout\":\"15m\","
			       "\"cleanup_interval\":\"5m\""));
	assert_non_null(strstr(b.data, "\"allow_degraded\":true,\"limits\":"
			       "{\"max_memory_mb\":4096,\"max_cpu_percent\":"
			       "100,\"max_processes\":256,"));
	assert_false(cfg->sandbox.fuse.enabled || cfg->sandbox.seccomp.enabled);
	assert_true(cfg->development.disable_auth);
	buf_release(&b);
	config_free(cfg);
}

static void test_compat_v0710(void **state)
{
	struct buf b;
	struct config *cfg = test_compat("v0.7.10", &b);

	assert_non_null(strstr(b.data, "\"logging\":{\"level\":\"info\","
			       "\"format\":\"json\",\"output\":\"stderr\","
			       "\"rotation\":{\"max_size_mb\":100,"
			       "\"max_age_days\":7,\"max_backups\":5,"
			       "\"compress\":true}}"));
	assert_non_null(strstr(b.data, "\"retention\":{\"max_age_days\":90}"));
	assert_int_equal(cfg->audit.format, CONFIG_AUDITFMT_JSONL);
	assert_int_equal(cfg->dlp.n_custom_patterns, 10);
	assert_string_equal(cfg->dlp.custom_patterns[9].name,
			    "google_api_key");
	assert_string_equal(cfg->policies.project_markers[5],
			    "requirements.txt");
	assert_null(cfg->policies.project_markers[6]);
	buf_release(&b);
	config_free(cfg);
}

static const char *const test_default_json[] = {
	"\"http\":{\"addr\":\"127.0.0.1:18080\",\"read_timeout\":\"30s\","
	"\"write_timeout\":\"5m\",\"max_request_size\":\"10MB\"}",
	"\"grpc\":{\"enabled\":false,\"addr\":\"127.0.0.1:9090\"}",
	"\"unix_socket\":{\"enabled\":false,\"path\":"
	"\"/run/agentsh/agentsh.sock\",\"permissions\":\"0666\"}",
	"\"auth\":{\"type\":\"none\",\"api_key\":{\"keys_file\":null,"
	"\"header_name\":\"X-API-Key\"}",
	"\"logging\":{\"level\":\"info\",\"format\":\"text\","
	"\"output\":\"stderr\"",
	"\"storage\":{\"sqlite_path\":\"/var/lib/agentsh/events.db\"}",
	"\"base_dir\":\"/var/lib/agentsh/sessions\",\"max_sessions\":100,"
	"\"default_timeout\":\"0\",\"default_idle_timeout\":\"30m\","
	"\"cleanup_interval\":\"1m\"",
	"\"limits\":{\"max_memory_mb\":2048,\"max_cpu_percent\":50,"
	"\"max_processes\":100,\"max_disk_io_mbps\":100,"
	"\"max_network_mbps\":50}",
	"\"audit\":{\"enabled\":true,\"mode\":\"monitor\",\"trash_path\":"
	"\".agentsh_trash\",\"ttl\":\"7d\",\"quota\":\"5GB\","
	"\"strict_on_audit_failure\":false,\"max_event_queue\":1024,"
	"\"hash_small_files_under\":\"1MB\"}",
	"\"network\":{\"enabled\":true,\"intercept_mode\":\"all\","
	"\"proxy_listen_addr\":\"127.0.0.1:0\",\"proxy_port\":9080,"
	"\"dns_port\":9053",
	"\"subnet_base\":\"10.250.0.0/16\"", "\"dns_max_ttl_seconds\":60}",
	"\"unix_sockets\":{\"enabled\":true,"
	"\"wrapper_bin\":\"agentsh-unixwrap\"}", "\"on_block\":\"errno\"",
	"\"security\":{\"mode\":\"auto\",\"strict\":false,"
	"\"minimum_mode\":\"none\",\"warn_degraded\":true}",
	"\"policies\":{\"dir\":\"/etc/agentsh/policies\","
	"\"default\":\"default\"",
	"\"detect_project_root\":true,\"project_markers\":[\".git\","
	"\"go.mod\",\"package.json\",\"Cargo.toml\",\"pyproject.toml\"]",
	"\"approvals\":{\"enabled\":false,\"mode\":\"local_tty\","
	"\"timeout\":\"5m\"",
	"\"metrics\":{\"enabled\":false,\"path\":\"/metrics\"}",
	"\"health\":{\"path\":\"/health\",\"readiness_path\":\"/ready\"}",
	"\"pprof\":{\"enabled\":false,\"addr\":\"localhost:6060\"}",
	"\"proxy\":{\"mode\":\"embedded\",\"port\":0,\"providers\":{"
	"\"anthropic\":\"https://api.anthropic.com\","
	"\"openai\":\"https://api.openai.com\"}}",
	"\"dlp\":{\"mode\":\"redact\",\"patterns\":{\"email\":true,"
	"\"phone\":true,\"credit_card\":true,\"ssn\":true,"
	"\"api_keys\":true},\"custom_patterns\":[],\"rule_files\":[]}",
	"\"llm_storage\":{\"store_bodies\":false,\"retention\":{"
	"\"max_age_days\":30,\"max_size_mb\":500,"
	"\"eviction\":\"oldest_first\"}}",
};

static void test_defaults(void **state)
{
	struct config *cfg = config_new_default();
	struct buf b;

	assert_non_null(cfg);
	buf_init(&b, 1u << 24);
	assert_int_equal(config_dump_json(cfg, &b), 0);
	for (size_t i = 0; i < sizeof(test_default_json) / sizeof(char *); i++)
		if (strstr(b.data, test_default_json[i]) == NULL)
			fail_msg("default JSON lacks %s", test_default_json[i]);
	assert_int_equal(cfg->sandbox.fuse.audit.ttl, 604800000);
	assert_null(config_provider_url(cfg, "litellm"));
	buf_release(&b);
	config_free(cfg);
	config_free(NULL);
}

/* "7d" and friends parse; dumps print them back in the same notation. */
static void test_durations_and_sizes(void **state)
{
	struct config *cfg = test_ok(
		"sandbox: {fuse: {audit: {ttl: 7d, quota: 2GiB}}}\n"
		"approvals: {timeout: 1h30m}\n"
		"server: {http: {max_request_size: 1MiB}}\n", test_no_env);
	char *y = test_yaml(cfg);

	assert_int_equal(cfg->sandbox.fuse.audit.ttl, 604800000);
	assert_int_equal(cfg->sandbox.fuse.audit.quota, 2147483648LL);
	assert_int_equal(cfg->approvals.timeout, 5400000);
	assert_non_null(strstr(y, "      ttl: \"7d\"\n"));
	assert_non_null(strstr(y, "  timeout: \"1h30m\"\n"));
	assert_non_null(strstr(y, "    max_request_size: \"1MiB\"\n"));
	assert_non_null(strstr(y, "\n  custom_patterns: []\n"));
	free(y);
	config_free(cfg);
	cfg = test_ok("# no settings\nsandbox:\n", test_no_env);
	assert_true(cfg->sandbox.enabled);
	config_free(cfg);
}

struct test_case {
	const char *name, *yaml;
	char **env;
	bool fails, strict;
	const char *code;
	int line, col;
	const char *text; /* substring of the message */
};

static char *test_env_port[] = {"AGENTSH_PROXY_PORT=70000", NULL};
static char *test_env_dlp[] = {"AGENTSH_DLP_MODE=scrub", NULL};
static char *test_env_wide[] = {"AGENTSH_HTTP_ADDR=0.0.0.0:18080", NULL};
static char *test_env_junk[] = {"AGENTSH_HTTP_ADDR=no-port", NULL};

#define ERR(n, y, c, l, k, t) {n, y, NULL, true, false, c, l, k, t}
#define WARN(n, y, c, l, k, t) {n, y, NULL, false, false, c, l, k, t}
#define ENVERR(n, e, c, t) {n, "", e, true, false, c, 0, 0, t}
#define TEST_LONG16 "AAAAAAAAAAAAAAAA"
#define TEST_LONG64 TEST_LONG16 TEST_LONG16 TEST_LONG16 TEST_LONG16
#define TEST_LONG TEST_LONG64 TEST_LONG64 TEST_LONG64 TEST_LONG64 /* 256 */

static struct test_case test_cases[] = {
	ERR("wrong_type_list_for_duration", "server:\n  http:\n    "
	    "read_timeout: [1]\n", "wrong-type", 3, 19, "read_timeout must be"),
	ERR("wrong_type_bool", "sandbox:\n  enabled: maybe\n", "wrong-type",
	    2, 12, "sandbox.enabled"),
	ERR("wrong_type_scalar_for_list",
	    "policies:\n  project_markers: .git\n", "wrong-type", 2, 20,
	    "must be a list"),
	ERR("root_not_mapping", "- a\n", "wrong-type", 1, 1, "be a mapping"),
	ERR("bad_duration", "sessions:\n  default_timeout: 5 minutes\n",
	    "bad-duration", 2, 20, "invalid duration '5 minutes'"),
	ERR("bad_size", "server:\n  http:\n    max_request_size: 10 parsecs\n",
	    "bad-size", 3, 23, "server.http.max_request_size"),
	ERR("bad_enum", "dlp:\n  mode: redakt\n", "bad-enum", 2, 9,
	    "dlp.mode: unknown value 'redakt' (expected one of: redact, "
	    "tokenize, disabled); did you mean 'redact'?"),
	ERR("bad_security_mode", "security:\n  mode: seccomp\n", "bad-enum", 2,
	    9, "full, ptrace, landlock, landlock-only, minimal"),
	ERR("bad_regex", "dlp:\n  custom_patterns:\n    - {name: ok, regex: a}"
	    "\n    - name: broken\n      regex: \"sk-(abc\"\n", "bad-regex", 5,
	    14, "dlp.custom_patterns[1].regex: invalid regular expression in "
	    "custom pattern 'broken' at offset 7"),
	ERR("duplicate_pattern_name", "dlp:\n  custom_patterns:\n    - {name: "
	    "t, regex: a}\n    - {name: t, regex: b}\n", "duplicate-name", 4,
	    14, "name 't' in dlp.custom_patterns[1] (first used by "
	    "dlp.custom_patterns[0], line 3)"),
	ERR("relative_rule_file", "dlp:\n  rule_files: [/etc/a.toml, b.toml]\n",
	    "dlp-rule-file", 2, 29, "dlp.rule_files[1]: \"b.toml\" is not an "
	    "absolute path"),
	ERR("port_out_of_range", "proxy:\n  port: 70000\n", "out-of-range", 2,
	    9, "proxy.port"),
	ERR("bind_port_out_of_range", "landlock:\n  network:\n    bind_ports: "
	    "[80, -1]\n", "out-of-range", 3, 22, "bind_ports[1]"),
	ERR("unterminated_expansion", "audit:\n  output: \"${OPEN\"\n",
	    "bad-expansion", 2, 11, "unterminated"),
	ERR("bad_expansion", "audit:\n  output: ${1X}\n", "bad-expansion", 2,
	    11, "'${1X}'"),
	ERR("nonloopback_without_auth", "server:\n  http:\n    addr: 0.0.0.0:1"
	    "\n", "insecure-listen", 3, 11, "refusing non-loopback listen "
	    "address without authentication"),
	ERR("nonloopback_disable_auth", "auth: {type: api_key, api_key: "
	    "{keys_file: /k}}\ndevelopment: {disable_auth: true}\nserver: "
	    "{http: {addr: \":80\"}}\n", "insecure-listen", 3, 23,
	    "development.disable_auth is true"),
	ERR("nonloopback_grpc", "server:\n  grpc: {enabled: true, addr: "
	    "\"[::]:9090\"}\n", "insecure-listen", 2, 31, "server.grpc.addr"),
	ERR("weak_security_mode", "security:\n  mode: minimal\n  minimum_mode: "
	    "landlock\n", "weak-mode", 2, 9, "'minimal' is weaker than "
	    "security.minimum_mode 'landlock'"),
	ERR("oidc_needs_issuer", "auth: {type: oidc}\n", "missing-key", 1, 14,
	    "auth.oidc.issuer"),
	ERR("tls_needs_key", "server: {tls: {enabled: true, cert_file: /c}}\n",
	    "missing-key", 1, 25, "key_file"),
	ERR("integrity_kms_unsupported", "audit:\n  integrity: {enabled: true, "
	    "key_source: aws_kms}\n", "unsupported", 2, 42, "'file' and 'env'"),
	ERR("approvals_api_needs_auth", "approvals:\n  enabled: true\n  mode: "
	    "async\n", "approvals-need-auth", 3, 9, "needs authentication"),
	ERR("mount_relative_path", "mount_profiles:\n  p:\n    mounts:\n      "
	    "- {path: rel, policy: dev}\n", "bad-path", 4, 16,
	    "mount_profiles.p.mounts[0].path must be an absolute path"),
	ERR("mount_bad_policy_name", "mount_profiles:\n  p:\n    mounts:\n    "
	    "  - {path: /w, policy: \"a b\"}\n", "bad-policy-name", 4, 28,
	    "invalid policy name 'a b'"),
	ERR("provider_bad_url", "proxy:\n  providers:\n    openai: ftp://x\n",
	    "bad-url", 3, 13, "proxy.providers.openai"),
	ERR("permissions_not_octal", "server:\n  unix_socket:\n    "
	    "permissions: 0999\n", "bad-mode", 3, 18, "octal"),
	ERR("required_set_empty", "policies:\n  default: \"\"\n", "empty", 2,
	    12, "policies.default must not be empty"),
	ERR("required_missing_in_item", "dlp:\n  custom_patterns:\n    - "
	    "{name: x}\n", "empty", 3, 7, "dlp.custom_patterns[0].regex"),
	ERR("key_too_long", "sandbox:\n  env_inject:\n    " TEST_LONG
	    ": x\n", "key-too-long", 3, 5, "sandbox.env_inject"),
	{"strict_unknown_key", "policies:\n  dirr: /x\n", NULL, true, true,
	 "unknown-key", 2, 3, "dirr"},
	WARN("unknown_key", "policies:\n  dirr: /x\n", "unknown-key", 2, 3,
	     "unknown key 'dirr' in policies; did you mean 'dir'?"),
	WARN("unknown_top_level_key", "approval:\n  enabled: false\n",
	     "unknown-key", 1, 1, "did you mean 'approvals'?"),
	WARN("default_policy_alias", "policies:\n  default_policy: strict\n",
	     "legacy-key", 2, 3, "'default_policy' in policies is a legacy "
	     "name for 'default'; its value is used as policies.default"),
	WARN("alias_and_key_both_set", "policies:\n  default: a\n  "
	     "default_policy: b\n", "legacy-key", 3, 3, "is ignored"),
	WARN("env_rules_alias", "policies:\n  env_rules: {deny: [X]}\n",
	     "legacy-key", 2, 3, "'env_policy'"),
	WARN("approvals_async", "approvals:\n  mode: async\n",
	     "unknown-approvals-mode", 2, 9,
	     "treated as 'api'; approvals are disabled"),
	WARN("undefined_variable", "audit:\n  output: x${MISSING}y\n",
	     "undefined-var", 2, 11, "'MISSING'"),
	WARN("dlp_all_disabled", "dlp:\n  patterns: {email: false, phone: "
	     "false, credit_card: false, ssn: false, api_keys: false}\n",
	     "dlp-empty", 2, 13, "redacts nothing"),
	ENVERR("env_bad_port", test_env_port, "bad-env", "AGENTSH_PROXY_PORT"),
	ENVERR("env_bad_dlp_mode", test_env_dlp, "bad-env", "AGENTSH_DLP_MODE:"
	       " unknown value 'scrub' for dlp.mode (expected one of: redact"),
	ENVERR("env_wide_addr", test_env_wide, "insecure-listen",
	       "(from environment variable AGENTSH_HTTP_ADDR)"),
	ENVERR("env_junk_addr", test_env_junk, "bad-addr", "AGENTSH_HTTP_ADDR"),
};

static void test_case_run(void **state)
{
	const struct test_case *t = *state;
	struct diag d;
	struct config *cfg = test_diag(t->yaml, t->env, &d, t->strict);

	assert_true(t->fails ? cfg == NULL : cfg != NULL);
	test_expect(&d, t->code, t->fails ? DIAG_ERROR : DIAG_WARNING,
		    t->line, t->col, t->text);
	config_free(cfg);
	diag_release(&d);
}

static void test_env_overrides(void **state)
{
	char *env[] = {"AGENTSH_PLATFORM_MODE=linux",
		       "AGENTSH_HTTP_ADDR=127.0.0.2:8081",
		       "AGENTSH_GRPC_ADDR=[::1]:9999",
		       "AGENTSH_LOG_LEVEL=debug",
		       "AGENTSH_DATA_DIR=/srv/agentsh/",
		       "AGENTSH_PROXY_MODE=disabled",
		       "AGENTSH_DLP_MODE=tokenize",
		       "AGENTSH_PROXY_PORT=4711", NULL};
	struct config *cfg = test_ok("logging:\n  level: error\n", env);

	assert_int_equal(cfg->platform.mode, CONFIG_PLATFORM_LINUX);
	assert_string_equal(cfg->server.http.addr, "127.0.0.2:8081");
	assert_string_equal(cfg->server.grpc.addr, "[::1]:9999");
	assert_int_equal(cfg->logging.level, CONFIG_LOG_DEBUG);
	assert_string_equal(cfg->sessions.base_dir, "/srv/agentsh/sessions");
	assert_string_equal(cfg->audit.storage.sqlite_path,
			    "/srv/agentsh/events.db");
	assert_int_equal(cfg->proxy.mode, CONFIG_PROXY_DISABLED);
	assert_int_equal(cfg->dlp.mode, CONFIG_DLP_TOKENIZE);
	assert_int_equal(cfg->proxy.port, 4711);
	config_free(cfg);
	env[7] = "AGENTSH_PROXY_PORT=";
	cfg = test_ok("proxy:\n  port: 5000\n", env + 7);
	assert_int_equal(cfg->proxy.port, 5000);
	config_free(cfg);
}

static void test_expand_forms(void **state)
{
	char *env[] = {"LOGF=/var/log/agentsh.log", "LVL=debug", "EMPTY=",
		       "PORT=4000", "X=oops", NULL};
	struct config *cfg = test_ok(
		"logging:\n  output: \"${LOGF}\"\n  level: $LVL\n"
		"sessions:\n  base_dir: ${NOPE:-/srv/s}\n"
		"policies:\n  dir: /etc/$$x/${EMPTY:-p}\n"
		"proxy:\n  port: ${PORT}\n  providers:\n"
		"    litellm: http://127.0.0.1:${PORT}\n"
		"audit:\n  output: \"cost $5 and $ alone\"\n"
		"dlp:\n  custom_patterns:\n"
		"    - {name: t, regex: \"k=${X}$\"}\n",
		env);

	assert_string_equal(cfg->logging.output, "/var/log/agentsh.log");
	assert_int_equal(cfg->logging.level, CONFIG_LOG_DEBUG);
	assert_string_equal(cfg->sessions.base_dir, "/srv/s");
	assert_string_equal(cfg->policies.dir, "/etc/$x/p");
	assert_int_equal(cfg->proxy.port, 4000);
	assert_string_equal(config_provider_url(cfg, "litellm"),
			    "http://127.0.0.1:4000");
	assert_string_equal(cfg->audit.output, "cost $5 and $ alone");
	assert_string_equal(cfg->dlp.custom_patterns[0].regex, "k=${X}$");
	assert_string_equal(cfg->dlp.custom_patterns[0].display, "t");
	config_free(cfg);
}

/* Legacy keys and values that load with a warning take effect. */
static void test_warned_values(void **state)
{
	struct diag d;
	struct config *cfg = test_diag(
		"policies:\n  default_policy: strict\n  env_rules:\n"
		"    deny: [\"AWS_*\"]\n    block_iteration: true\n"
		"approvals: {mode: sync}\naudit: {output: \"x${MISSING}y\"}\n",
		NULL, &d, false);

	assert_int_equal(d.warnings, 4);
	assert_string_equal(cfg->policies.default_name, "strict");
	assert_string_equal(cfg->policies.env_policy.deny[0], "AWS_*");
	assert_true(cfg->policies.env_policy.block_iteration);
	assert_int_equal(cfg->approvals.mode, CONFIG_APPROVAL_API);
	assert_string_equal(cfg->audit.output, "xy");
	config_free(cfg);
	diag_release(&d);
	assert_null(test_diag("dlp:\n  mode: nope\nproxy:\n  port: x\n"
			      "sessions:\n  max_sessions: 0\n", NULL, &d,
			      false));
	assert_int_equal(d.errors, 3); /* every problem, not just the first */
	diag_release(&d);
}

static void test_addr_parsing(void **state)
{
	/* 1: loopback, 0: not loopback, -1: not an address at all */
	static const struct {
		const char *addr;
		int want;
	} t[] = {
		{"127.0.0.1:1", 1}, {"127.9.9.9:0", 1}, {"[::1]:80", 1},
		{"LocalHost:80", 1}, {"[::ffff:127.0.0.1]:80", 1},
		{"0.0.0.0:80", 0}, {":80", 0}, {"[::]:80", 0},
		{"example.com:80", 0}, {"127.1:80", -1}, {"h:", -1},
		{"::1:80", -1}, {"h:65536", -1}, {"h:+1", -1}, {"[::1]80", -1},
		{"a b:1", -1}, {"1.2.3.4", -1},
	};
	char host[64];
	int port = -1;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int r = config_addr_split(t[i].addr, host, sizeof(host), &port);

		assert_int_equal(r, t[i].want < 0 ? -EINVAL : 0);
		assert_int_equal(config_addr_is_loopback(t[i].addr),
				 t[i].want == 1);
	}
	assert_int_equal(config_addr_split("[fe80::1]:443", host, 64, &port),
			 0);
	assert_string_equal(host, "fe80::1");
	assert_int_equal(port, 443);
}

static void test_sections_values(void **state)
{
	struct config *cfg = test_ok(
		"security: {mode: landlock-only, minimum_mode: minimal}\n"
		"mount_profiles:\n  mono:\n    base_policy: default\n"
		"    mounts:\n      - {path: /work, policy: dev}\n"
		"      - {path: /data, policy: read-only}\n  empty:\n"
		"proxy:\n  providers: {openai: \"http://localhost:4000\"}\n"
		"sandbox:\n  env_inject: {BASH_ENV: /usr/lib/b.sh}\n"
		"server: {unix_socket: {permissions: \"0600\"}, http: {addr: "
		"\"0.0.0.0:1\"}}\nauth: {type: api_key, api_key: {keys_file: "
		"/k}}\n", test_no_env);

	assert_string_equal(config_security_mode_name(cfg->security.mode),
			    "landlock-only");
	assert_int_equal(cfg->n_mount_profiles, 2);
	assert_string_equal(cfg->mount_profiles[0].name, "mono");
	assert_int_equal(cfg->mount_profiles[0].n_mounts, 2);
	assert_string_equal(cfg->mount_profiles[0].mounts[1].policy,
			    "read-only");
	assert_string_equal(config_provider_url(cfg, "anthropic"),
			    "https://api.anthropic.com");
	assert_string_equal(config_provider_url(cfg, "openai"),
			    "http://localhost:4000");
	assert_string_equal(cfg->sandbox.env_inject.keys[0], "BASH_ENV");
	assert_int_equal(cfg->server.unix_socket.permissions, 0600);
	assert_false(config_auth_disabled(cfg));
	config_free(cfg);
}

/* dump → load → dump must be a fixed point. */
static void test_roundtrip(struct config *cfg)
{
	char *y1 = test_yaml(cfg), *y2;
	struct config *again = test_ok(y1, test_no_env);

	y2 = test_yaml(again);
	assert_string_equal(y1, y2);
	free(y1);
	free(y2);
	config_free(again);
}

static void test_dump_roundtrip(void **state)
{
	char path[4096];
	struct config *cfg = config_new_default();
	struct diag d;

	test_roundtrip(cfg);
	config_free(cfg);
	test_compat_path(path, sizeof(path), "v0.7.10");
	diag_init(&d);
	assert_int_equal(config_load_file(path, test_no_env, &cfg, &d), 0);
	test_roundtrip(cfg);
	config_free(cfg);
	diag_release(&d);
	cfg = test_ok("audit: {output: \"a$b \\u0085 \\t \\\"q\\\"\"}\n"
		      "mount_profiles: {\"we ird\": {}}\n"
		      "landlock: {network: {bind_ports: [1, 2]}}\n",
		      test_no_env);
	test_roundtrip(cfg);
	config_free(cfg);
}

static void test_dump_hides_secrets(void **state)
{
	static const char *const hidden[] = {
		"s3cr3t", "Bearer", "pw@", "tok=1", "zz", "abc1", NULL,
	};
	struct config *cfg = test_ok(
		"auth:\n  oidc:\n    client_secret: s3cr3t\n"
		"audit:\n  webhook:\n    url: https://u:pw@hook.example/x?tok=1"
		"\n    headers: {Authorization: \"Bearer abc\"}\n"
		"proxy:\n  providers: {gw: \"https://k:v@gw/?key=zz\"}\n"
		"sandbox: {env_inject: {API_TOKEN: abc123, BASH_ENV: /b}}\n",
		test_no_env);
	struct buf b;
	char *y = test_yaml(cfg);

	buf_init(&b, 1u << 24);
	assert_int_equal(config_dump_json(cfg, &b), 0);
	for (int i = 0; i < 2; i++) {
		const char *s = i ? b.data : y;

		for (size_t j = 0; hidden[j] != NULL; j++)
			assert_null(strstr(s, hidden[j]));
		assert_non_null(strstr(s, "//(set)@hook.example/(set)"));
		assert_non_null(strstr(s, "https://(set)@gw/?(set)"));
	}
	assert_non_null(strstr(b.data, "\"BASH_ENV\":\"/b\""));
	assert_string_equal(cfg->auth.oidc.client_secret, "s3cr3t");
	buf_release(&b);
	free(y);
	config_free(cfg);
}

static void test_write(const char *path, const char *text, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_find_path(void **state)
{
	char dir[] = "/tmp/agentsh-cfg-XXXXXX", sub[600], file[700], xdg[700];
	char out[4096];
	char *env1[] = {"AGENTSH_CONFIG=/nonexistent/x.yaml", NULL};
	char *env2[] = {xdg, "HOME=/nonexistent", NULL};

	assert_non_null(mkdtemp(dir));
	assert_int_equal(config_find_path(env1, out, sizeof(out)), 0);
	assert_string_equal(out, "/nonexistent/x.yaml");
	assert_int_equal(config_find_path(env1, out, 5), -ENAMETOOLONG);
	snprintf(sub, sizeof(sub), "%s/agentsh", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(file, sizeof(file), "%s/config.yml", sub);
	test_write(file, "{}\n", 0600);
	snprintf(xdg, sizeof(xdg), "XDG_CONFIG_HOME=%s", dir);
	assert_int_equal(config_find_path(env2, out, sizeof(out)), 0);
	assert_string_equal(out, file);
	unlink(file);
	if (access("/etc/agentsh/config.yaml", F_OK) != 0 &&
	    access("/etc/agentsh/config.yml", F_OK) != 0)
		assert_int_equal(config_find_path(env2, out, sizeof(out)),
				 -ENOENT);
	rmdir(sub);
	rmdir(dir);
}

static void test_load_file_errors(void **state)
{
	char path[] = "/tmp/agentsh-cfg-XXXXXX";
	struct config *cfg = (struct config *)1;
	struct diag d;

	assert_int_equal(close(mkstemp(path)), 0);
	diag_init(&d);
	assert_int_equal(config_load_file("/nonexistent/c.yaml", NULL, &cfg,
					  &d), -ENOENT);
	assert_null(cfg);
	test_expect(&d, "io", DIAG_ERROR, 0, 0, "cannot read");
	diag_release(&d);
	test_write(path, "metrics: {enabled: true}\n", 0666);
	diag_init(&d);
	assert_int_equal(config_load_file(path, NULL, &cfg, &d), 0);
	test_expect(&d, "insecure-permissions", DIAG_WARNING, 0, 0, "0666");
	assert_true(cfg->metrics.enabled);
	config_free(cfg);
	diag_release(&d);
	assert_int_equal(config_load_buffer("a: [", 4, NULL, NULL, &cfg, NULL),
			 -EINVAL);
	assert_null(cfg);
	unlink(path);
}

struct test_run {
	int rc;
	char *out, *err;
};

static struct test_run test_cli(char **argv, char **envp)
{
	struct test_run t = {0};
	size_t on = 0, en = 0;
	FILE *out = open_memstream(&t.out, &on);
	FILE *err = open_memstream(&t.err, &en);
	int argc = 0;

	while (argv[argc] != NULL)
		argc++;
	assert_non_null(out);
	assert_non_null(err);
	t.rc = cmd_config_run(argc, argv, envp, out, err);
	fclose(out);
	fclose(err);
	return t;
}

static void test_cli_free(struct test_run *t)
{
	free(t->out);
	free(t->err);
}

static void test_cli_check(void **state)
{
	char path[4096], bad[] = "/tmp/agentsh-cfg-XXXXXX";
	char *ok[] = {"config", "check", path, NULL};
	char *strict[] = {"config", "check", "--strict", path, NULL};
	char *two[] = {"config", "check", "--json", path, bad, NULL};
	struct test_run t;

	test_compat_path(path, sizeof(path), "v0.7.2");
	assert_int_equal(close(mkstemp(bad)), 0);
	test_write(bad, "dlp:\n  mode: nope\n", 0600);
	t = test_cli(ok, test_no_env);
	assert_int_equal(t.rc, 0);
	assert_non_null(strstr(t.out, ": OK with 2 warnings\n"));
	assert_non_null(strstr(t.err, "102:3: warning:"));
	test_cli_free(&t);
	t = test_cli(strict, test_no_env);
	assert_int_equal(t.rc, 1);
	assert_non_null(strstr(t.err, "102:3: error:"));
	test_cli_free(&t);
	t = test_cli(two, test_no_env);
	assert_int_equal(t.rc, 1);
	assert_true(strncmp(t.out, "{\"files\":[{\"file\":", 18) == 0);
	assert_non_null(strstr(t.out, "\"ok\":true,\"diagnostics\":[{"));
	assert_non_null(strstr(t.out, "\"ok\":false,\"diagnostics\":[{"));
	assert_non_null(strstr(t.out, "\"code\":\"bad-enum\""));
	assert_string_equal(t.err, "");
	test_cli_free(&t);
	unlink(bad);
}

static void test_cli_usage(void **state)
{
	char *none[] = {"config", NULL};
	char *bogus[] = {"config", "frob", NULL};
	char *opt[] = {"config", "check", "--fast", NULL};
	char *many[] = {"config", "show", "a", "b", NULL};
	char *help[] = {"config", "check", "--help", NULL};
	char **usage[] = {none, bogus, opt, many};
	struct test_run t;

	for (size_t i = 0; i < 4; i++) {
		t = test_cli(usage[i], test_no_env);
		assert_int_equal(t.rc, 2);
		assert_non_null(strstr(t.err, "Try 'agentsh config --help'"));
		test_cli_free(&t);
	}
	t = test_cli(help, test_no_env);
	assert_int_equal(t.rc, 0);
	assert_non_null(strstr(t.out, "SYNOPSIS"));
	assert_non_null(strstr(t.out, "AGENTSH_DATA_DIR"));
	test_cli_free(&t);
}

static void test_cli_show(void **state)
{
	char path[] = "/tmp/agentsh-cfg-XXXXXX";
	char *json[] = {"config", "show", "--json", path, NULL};
	char *yaml[] = {"config", "show", path, NULL};
	char *env[] = {"TOKEN=hunter2", "AGENTSH_PROXY_PORT=1234", NULL};
	struct test_run t;

	assert_int_equal(close(mkstemp(path)), 0);
	test_write(path, "auth:\n  oidc: {client_secret: \"${TOKEN}\"}\n",
		   0600);
	t = test_cli(json, env);
	assert_int_equal(t.rc, 0);
	assert_null(strstr(t.out, "hunter2"));
	assert_non_null(strstr(t.out, "\"client_secret\":\"(set)\""));
	assert_non_null(strstr(t.out, "\"port\":1234"));
	test_cli_free(&t);
	t = test_cli(yaml, env);
	assert_int_equal(t.rc, 0);
	assert_non_null(strstr(t.out, "# source: "));
	assert_non_null(strstr(t.out, "    client_secret: \"(set)\"\n"));
	test_cli_free(&t);
	unlink(path);
}


#define T(f) cmocka_unit_test(f)

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		T(test_compat_v072), T(test_compat_v0710), T(test_defaults),
		T(test_durations_and_sizes), T(test_env_overrides),
		T(test_expand_forms), T(test_warned_values), T(test_cli_show),
		T(test_addr_parsing), T(test_find_path), T(test_dump_roundtrip),
		T(test_sections_values), T(test_dump_hides_secrets),
		T(test_load_file_errors), T(test_cli_check), T(test_cli_usage),
	};
	enum {
		NF = sizeof(fixed) / sizeof(fixed[0]),
		NC = sizeof(test_cases) / sizeof(test_cases[0]),
	};
	struct CMUnitTest all[NF + NC];

	memcpy(all, fixed, sizeof(fixed));
	for (size_t i = 0; i < NC; i++)
		all[NF + i] = (struct CMUnitTest){.name = test_cases[i].name,
			.test_func = test_case_run,
			.initial_state = &test_cases[i]};
	return _cmocka_run_group_tests("config", all, NF + NC, NULL, NULL);
}
