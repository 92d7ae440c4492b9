/* agentsh policy test: one decision, as text or JSON. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/policy_vars.h"
#include "common/buf.h"
#include "common/json.h"
#include "common/str.h"
#include "config/config.h"
#include "policy/policy.h"

int cmd_policy_test(int argc, char **argv, char **envp);

#define TEST_MAX_IPS POLICY_MAX_IPS

static const char test_help[] =
"NAME\n"
"    agentsh policy test - ask a policy for one decision\n"
"\n"
"SYNOPSIS\n"
"    agentsh policy test --policy FILE|NAME [--var NAME=VALUE]... [--json]\n"
"        [--config FILE] [--workspace DIR] [--approvals] --op OP ...\n"
"\n"
"    --op exec [--depth N] -- COMMAND ARGS...\n"
"    --op connect --host HOST --port PORT [--ip ADDR]...\n"
"    --op read|write|open|create|delete|rename|mkdir|rmdir|chmod|stat|\n"
"         list|readlink|link|symlink|chown|truncate|access|mknod|exec-file\n"
"         --path PATH\n"
"    --op env --name VAR [-- COMMAND ARGS...]\n"
"\n"
"DESCRIPTION\n"
"    Loads and compiles FILE as a session would (variables from --var,\n"
"    then PROJECT_ROOT and GIT_ROOT detected from --workspace or the\n"
"    current directory, then the environment) and prints the decision of\n"
"    the first matching rule. Rule lists are searched in order; when no\n"
"    rule matches, the reserved rules default-deny-commands,\n"
"    default-deny-files and default-deny-network deny.\n"
"\n"
"    exec: COMMAND is matched by basename or full path; arguments are\n"
"    joined by single spaces for args_patterns. --depth 0 (default) is a\n"
"    direct command, 1 or more a nested one (context: nested).\n"
"    connect: with --ip, no DNS lookup is done and CIDR rules are checked\n"
"    against those addresses; a host name without --ip matches no CIDR\n"
"    rule. An IP literal host is its own address.\n"
"    env: whether variable VAR may pass into a command's environment.\n"
"\n"
"    approve decisions are effective denies unless --approvals says an\n"
"    approver is configured (or --config names a config whose\n"
"    approvals.enabled is true).\n"
"\n"
"    --config FILE also supplies policies.project_markers for PROJECT_ROOT\n"
"    detection and policies.dir: a --policy NAME without a slash that is\n"
"    not a file is looked up as DIR/NAME.yaml (default dir\n"
"    /etc/agentsh/policies).\n"
"\n"
"OUTPUT\n"
"    Text, or with --json one object: decision (the rule's decision),\n"
"    effective (allow, deny or approve), rule, rule_index, kind, message\n"
"    (the rendered template), reason, approval_required, timeout_ms, line,\n"
"    and redirect (for redirect decisions).\n"
"\n"
"EXIT STATUS\n"
"    0 effective allow, 1 effective deny or approve, 2 usage or load error.\n";

struct test_opts {
	const char *policy, *op, *host, *path, *name, *workspace, *config;
	char policy_path[POLICY_PATH_MAX];
	long port, depth;
	bool json, approvals;
	struct policy_ip ips[TEST_MAX_IPS];
	size_t nips;
	char **cmd;
	int ncmd;
	struct cli_vars vars;
};

static int test_parse_num(const char *s, long min, long max, long *out)
{
	int64_t v;

	if (str_to_i64(s, min, max, &v) < 0)
		return -1;
	*out = (long)v;
	return 0;
}

static int test_opt(struct test_opts *o, int c)
{
	switch (c) {
	case 'P': o->policy = optarg; return 0;
	case 'o': o->op = optarg; return 0;
	case 'H': o->host = optarg; return 0;
	case 'f': o->path = optarg; return 0;
	case 'n': o->name = optarg; return 0;
	case 'w': o->workspace = optarg; return 0;
	case 'c': o->config = optarg; return 0;
	case 'j': o->json = true; return 0;
	case 'a': o->approvals = true; return 0;
	case 'p': return test_parse_num(optarg, 0, 65535, &o->port);
	case 'd': return test_parse_num(optarg, 0, 1000000, &o->depth);
	case 'v': return cli_vars_add(&o->vars, optarg) == 0 ? 0 : -1;
	case 'i':
		if (o->nips >= TEST_MAX_IPS ||
		    policy_ip_parse(optarg, &o->ips[o->nips]) < 0)
			return -1;
		o->nips++;
		return 0;
	default:
		return -1;
	}
}

static int test_parse(struct test_opts *o, int argc, char **argv)
{
	static const struct option lopts[] = {
		{"policy", required_argument, NULL, 'P'},
		{"op", required_argument, NULL, 'o'},
		{"host", required_argument, NULL, 'H'},
		{"port", required_argument, NULL, 'p'},
		{"ip", required_argument, NULL, 'i'},
		{"path", required_argument, NULL, 'f'},
		{"name", required_argument, NULL, 'n'},
		{"depth", required_argument, NULL, 'd'},
		{"var", required_argument, NULL, 'v'},
		{"workspace", required_argument, NULL, 'w'},
		{"config", required_argument, NULL, 'c'},
		{"json", no_argument, NULL, 'j'},
		{"approvals", no_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	optind = 1;
	o->port = -1;
	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		if (c == 'h')
			return 1;
		if (test_opt(o, c) < 0) {
			fprintf(stderr, "agentsh: policy test: bad value for "
				"option '%s'\n", argv[optind - 1]);
			return -1;
		}
	}
	o->cmd = argv + optind;
	o->ncmd = argc - optind;
	if (o->policy == NULL || o->op == NULL) {
		fprintf(stderr, "agentsh: policy test needs --policy FILE and "
			"--op OP (see --help)\n");
		return -1;
	}
	return 0;
}

struct test_result {
	struct policy_verdict v;
	struct policy_render_args ra;
	char args[4096], port[16], addr[64];
	const char *op;
};

static int test_exec(struct test_opts *o, const struct policy *p,
		     struct policy_ctx *ctx, struct test_result *t)
{
	struct policy_exec_req r = {o->cmd[0], (const char *const *)o->cmd,
				    (size_t)o->ncmd, (int)o->depth};
	size_t l = 0;

	for (int i = 1; i < o->ncmd && l < sizeof(t->args) - 1; i++)
		l += (size_t)snprintf(t->args + l, sizeof(t->args) - l, "%s%s",
				      i > 1 ? " " : "", o->cmd[i]);
	t->ra.command = o->cmd[0];
	t->ra.args = t->args;
	return policy_check_exec(p, ctx, &r, &t->v);
}

static int test_connect(struct test_opts *o, const struct policy *p,
			struct policy_ctx *ctx, struct test_result *t)
{
	struct policy_net_req r = {o->host, (uint16_t)o->port, o->ips, o->nips};

	if (o->host == NULL || o->port < 0) {
		fprintf(stderr, "agentsh: --op connect needs --host and --port\n");
		return -1;
	}
	snprintf(t->port, sizeof(t->port), "%ld", o->port);
	if (o->nips > 0)
		policy_ip_format(&o->ips[0], t->addr, sizeof(t->addr));
	else
		str_lcpy(t->addr, o->host, sizeof(t->addr));
	t->ra.domain = o->host;
	t->ra.remote_addr = t->addr;
	t->ra.port = t->port;
	return policy_check_net(p, ctx, &r, &t->v);
}

/* The command rule an env check runs under, if a command was given. */
static int test_env(struct test_opts *o, const struct policy *p,
		    struct policy_ctx *ctx, struct test_result *t)
{
	struct policy_verdict cv;
	const struct policy_cmd_rule *rule = NULL;

	if (o->name == NULL) {
		fprintf(stderr, "agentsh: --op env needs --name VAR\n");
		return -1;
	}
	if (o->ncmd > 0 && test_exec(o, p, ctx, t) == 0) {
		cv = t->v;
		rule = cv.cmd_rule;
	}
	return policy_check_env(p, o->name, rule, &t->v);
}

static int test_file(struct test_opts *o, const struct policy *p,
		     struct policy_ctx *ctx, struct test_result *t)
{
	struct policy_file_req r;
	char cwd[POLICY_PATH_MAX];
	const char *opname = strcmp(o->op, "exec-file") == 0 ? "exec" : o->op;

	if (policy_file_op_parse(opname, &r.op) < 0) {
		fprintf(stderr, "agentsh: unknown --op '%s' (see --help)\n", o->op);
		return -1;
	}
	if (o->path == NULL) {
		fprintf(stderr, "agentsh: --op %s needs --path PATH\n", o->op);
		return -1;
	}
	r.path = o->path;
	r.cwd = getcwd(cwd, sizeof(cwd));
	t->ra.path = o->path;
	t->ra.operation = opname;
	return policy_check_file(p, ctx, &r, &t->v);
}

static int test_eval(struct test_opts *o, const struct policy *p,
		     struct test_result *t)
{
	struct policy_ctx *ctx = policy_ctx_new();
	int r;

	if (ctx == NULL)
		return -1;
	t->op = o->op;
	if (strcmp(o->op, "exec") == 0) {
		r = o->ncmd > 0 ? test_exec(o, p, ctx, t) : -1;
		if (o->ncmd == 0)
			fprintf(stderr, "agentsh: --op exec needs -- COMMAND "
				"[ARGS...]\n");
	} else if (strcmp(o->op, "connect") == 0) {
		r = test_connect(o, p, ctx, t);
	} else if (strcmp(o->op, "env") == 0) {
		r = test_env(o, p, ctx, t);
	} else {
		r = test_file(o, p, ctx, t);
	}
	policy_ctx_free(ctx);
	return r;
}

static void test_json_redirect(struct buf *b, const struct policy_verdict *v)
{
	const struct policy_redirect *rd = v->cmd_rule ? v->cmd_rule->redirect : NULL;

	if (v->decision != POLICY_REDIRECT)
		return;
	buf_puts(b, ",\"redirect\":{");
	if (rd != NULL) {
		json_key(b, "command", 1);
		json_str(b, rd->command);
		json_key(b, "args", 0);
		buf_putc(b, '[');
		for (size_t i = 0; i < rd->args.n; i++) {
			if (i)
				buf_putc(b, ',');
			json_str(b, rd->args.v[i]);
		}
		buf_putc(b, ']');
	} else if (v->file_rule && v->file_rule->redirect_to) {
		json_key(b, "redirect_to", 1);
		json_str(b, v->file_rule->redirect_to);
	}
	buf_putc(b, '}');
}

static int test_line(const struct policy_verdict *v, const struct policy *p)
{
	const struct policy_src *s = policy_source(p);

	if (v->rule_index < 0)
		return 0;
	switch (v->kind) {
	case POLICY_KIND_FILE: return s->file_rules[v->rule_index].c.pos.line;
	case POLICY_KIND_NETWORK: return s->net_rules[v->rule_index].c.pos.line;
	case POLICY_KIND_COMMAND: return s->cmd_rules[v->rule_index].c.pos.line;
	default: return 0;
	}
}

static void test_print(const struct test_opts *o, const struct policy *p,
		       const struct test_result *t, const char *msg)
{
	const struct policy_verdict *v = &t->v;
	struct buf b;

	if (!o->json) {
		printf("decision:  %s\neffective: %s\nrule:      %s",
		       policy_decision_name(v->decision),
		       policy_decision_name(v->effective), v->rule);
		if (test_line(v, p))
			printf(" (%s rule %d, line %d)", policy_kind_name(v->kind),
			       v->rule_index, test_line(v, p));
		printf("\nmessage:   %s\n", msg);
		if (v->reason && strcmp(v->reason, msg) != 0)
			printf("reason:    %s\n", v->reason);
		return;
	}
	buf_init(&b, 1u << 20);
	buf_puts(&b, "{\"op\":");
	json_str(&b, t->op);
	buf_printf(&b, ",\"kind\":\"%s\",\"decision\":\"%s\",\"effective\":"
		   "\"%s\",\"rule\":", policy_kind_name(v->kind),
		   policy_decision_name(v->decision),
		   policy_decision_name(v->effective));
	json_str(&b, v->rule);
	buf_printf(&b, ",\"rule_index\":%d,\"line\":%d,\"message\":",
		   v->rule_index, test_line(v, p));
	json_str(&b, msg);
	buf_puts(&b, ",\"reason\":");
	if (v->reason)
		json_str(&b, v->reason);
	else
		buf_puts(&b, "null");
	buf_printf(&b, ",\"approval_required\":%s,\"timeout_ms\":%lld",
		   v->approval_required ? "true" : "false",
		   (long long)v->timeout_ms);
	test_json_redirect(&b, v);
	buf_putc(&b, '}');
	puts(b.data ? b.data : "{}");
	buf_release(&b);
}

/* A bare policy name is looked up in the policies directory. */
static const char *test_policy_path(struct test_opts *o, const char *dir)
{
	static const char *const ext[] = {".yaml", ".yml", ""};

	if (strchr(o->policy, '/') || access(o->policy, R_OK) == 0)
		return o->policy;
	for (size_t i = 0; i < 3; i++) {
		snprintf(o->policy_path, sizeof(o->policy_path), "%s/%s%s",
			 dir ? dir : "/etc/agentsh/policies", o->policy, ext[i]);
		if (access(o->policy_path, R_OK) == 0)
			return o->policy_path;
	}
	return o->policy;
}

/* Settings from --config: approvals and project markers. */
static int test_config(struct test_opts *o, char **envp, struct config **cfg)
{
	struct diag d;
	int r;

	*cfg = NULL;
	if (o->config == NULL)
		return 0;
	diag_init(&d);
	r = config_load_file(o->config, envp, cfg, &d);
	if (r < 0)
		diag_print(&d, stderr);
	diag_release(&d);
	if (r == 0 && (*cfg)->approvals.enabled)
		o->approvals = true;
	return r;
}

static int test_load(struct test_opts *o, const struct config *cfg,
		     struct policy_src **src, struct policy **p)
{
	struct policy_compile_opts co = {cli_vars_lookup, &o->vars, o->approvals};
	const char *const *markers = NULL;
	struct diag d;
	int r;

	if (cfg && cfg->policies.detect_project_root)
		markers = (const char *const *)cfg->policies.project_markers;
	cli_vars_detect(&o->vars, o->workspace, markers);
	diag_init(&d);
	r = policy_src_load_file(test_policy_path(o, cfg ? cfg->policies.dir : NULL),
				 src, &d);
	if (r == 0)
		r = policy_compile(*src, &co, p, &d);
	if (r < 0)
		diag_print(&d, stderr);
	diag_release(&d);
	return r;
}

int cmd_policy_test(int argc, char **argv, char **envp)
{
	struct test_opts o;
	struct test_result t;
	struct policy_src *src = NULL;
	struct policy *p = NULL;
	struct config *cfg = NULL;
	char msg[POLICY_MESSAGE_MAX];
	int r;

	memset(&o, 0, sizeof(o));
	memset(&t, 0, sizeof(t));
	o.vars.envp = envp;
	r = test_parse(&o, argc, argv);
	if (r != 0) {
		if (r > 0)
			cli_print_help(test_help);
		return r > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	}
	if (test_config(&o, envp, &cfg) < 0 || test_load(&o, cfg, &src, &p) < 0 ||
	    test_eval(&o, p, &t) < 0) {
		config_free(cfg);
		policy_free(p);
		policy_src_free(src);
		return CLI_EXIT_USAGE;
	}
	policy_render_message(&t.v, &t.ra, msg, sizeof(msg));
	test_print(&o, p, &t, msg);
	r = t.v.effective == POLICY_ALLOW ? CLI_EXIT_OK : CLI_EXIT_FAIL;
	config_free(cfg);
	policy_free(p);
	policy_src_free(src);
	return r;
}
