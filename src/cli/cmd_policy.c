/* agentsh policy check: validate policies and lint them. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/policy_vars.h"
#include "common/buf.h"
#include "common/json.h"
#include "policy/policy.h"

int cmd_policy_test(int argc, char **argv, char **envp);

static const char policy_help[] =
"NAME\n"
"    agentsh policy - validate policies and ask them for decisions\n"
"\n"
"SYNOPSIS\n"
"    agentsh policy check [--strict] [--json] [--var NAME=VALUE]... FILE...\n"
"    agentsh policy test --policy FILE [--var NAME=VALUE]... [--json]\n"
"                        --op OP [OPTIONS] [-- COMMAND ARGS...]\n"
"\n"
"DESCRIPTION\n"
"    check loads each FILE strictly: an unknown key, a wrong type, a bad\n"
"    glob, regular expression, CIDR, port or duration is an error naming\n"
"    file:line:col, the rule and the field. It then compiles the policy\n"
"    (expanding ${VAR} with --var values, the detected PROJECT_ROOT and\n"
"    GIT_ROOT, and the environment) and lints it: rules and entries that\n"
"    can never match because an earlier rule already decides everything\n"
"    they match (first match wins), rules without selectors, duplicate\n"
"    rule names, and domain '*' (which matches single-label names only).\n"
"\n"
"    test evaluates one operation; see agentsh policy test --help.\n"
"\n"
"OPTIONS (check)\n"
"    --strict          Treat warnings as errors.\n"
"    --json            Print {\"files\":[{\"file\",\"ok\",\"rules\",\n"
"                      \"diagnostics\":[...]}]} instead of text.\n"
"    --var NAME=VALUE  Define a variable for ${NAME}; repeatable.\n"
"    --workspace DIR   Detect PROJECT_ROOT and GIT_ROOT from DIR\n"
"                      (default: the current directory).\n"
"\n"
"EXIT STATUS\n"
"    0 valid (warnings allowed), 1 errors (or warnings with --strict),\n"
"    2 usage error.\n";

struct check_opts {
	bool strict, json;
	const char *workspace;
	struct cli_vars vars;
};

static int check_one(struct check_opts *o, const char *file, struct buf *js,
		     bool first)
{
	struct diag d;
	struct policy_src *src = NULL;
	struct policy *p = NULL;
	struct policy_compile_opts co = {cli_vars_lookup, &o->vars, false};
	size_t nrules = 0;
	int ok;

	diag_init(&d);
	d.warnings_as_errors = o->strict;
	o->vars.nmissing = 0;
	if (policy_src_load_file(file, &src, &d) == 0 &&
	    policy_compile(src, &co, &p, &d) == 0) {
		for (size_t i = 0; i < o->vars.nmissing; i++)
			diag_add(&d, DIAG_WARNING, file, 0, 0, "undefined-variable",
				 "${%s} is not defined here; sessions need it "
				 "from --var or the daemon's environment",
				 o->vars.missing[i]);
		policy_lint(p, &d);
		nrules = src->n_file_rules + src->n_net_rules +
			 src->n_cmd_rules + src->n_unix_rules +
			 src->n_signal_rules;
	}
	ok = !diag_has_errors(&d);
	if (o->json) {
		buf_printf(js, "%s{\"file\":", first ? "" : ",");
		json_str(js, file);
		buf_printf(js, ",\"ok\":%s,\"rules\":%zu,\"errors\":%zu,"
			   "\"warnings\":%zu,\"diagnostics\":",
			   ok ? "true" : "false", nrules, d.errors, d.warnings);
		diag_json(&d, js);
		buf_putc(js, '}');
	} else {
		diag_print(&d, stderr);
		printf("%s: %s (%zu rules, %zu errors, %zu warnings)\n", file,
		       ok ? "ok" : "invalid", nrules, d.errors, d.warnings);
		fflush(stdout);
	}
	policy_free(p);
	policy_src_free(src);
	diag_release(&d);
	return ok ? 0 : -1;
}

static int cmd_policy_check(int argc, char **argv, char **envp)
{
	static const struct option lopts[] = {
		{"strict", no_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{"var", required_argument, NULL, 'v'},
		{"workspace", required_argument, NULL, 'w'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct check_opts o;
	struct buf js;
	int c, bad = 0;

	memset(&o, 0, sizeof(o));
	o.vars.envp = envp;
	o.vars.placeholders = true;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (c) {
		case 's': o.strict = true; break;
		case 'j': o.json = true; break;
		case 'w': o.workspace = optarg; break;
		case 'h': cli_print_help(policy_help); return CLI_EXIT_OK;
		case 'v':
			if (cli_vars_add(&o.vars, optarg) == 0)
				break;
			fprintf(stderr, "agentsh: --var wants NAME=VALUE\n");
			return CLI_EXIT_USAGE;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "agentsh: policy check needs a FILE\n");
		return CLI_EXIT_USAGE;
	}
	if (cli_vars_detect(&o.vars, o.workspace, NULL) < 0)
		fprintf(stderr, "agentsh: cannot resolve the workspace; "
			"PROJECT_ROOT is left undefined\n");
	buf_init(&js, 64u << 20);
	buf_puts(&js, "{\"files\":[");
	for (int i = optind; i < argc; i++)
		bad |= check_one(&o, argv[i], &js, i == optind);
	if (o.json)
		printf("%s]}\n", js.data);
	buf_release(&js);
	return bad ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

int cmd_policy(int argc, char **argv, char **envp)
{
	const char *sub = argc > 1 ? argv[1] : NULL;

	if (sub == NULL || strcmp(sub, "--help") == 0 || strcmp(sub, "help") == 0) {
		cli_print_help(policy_help);
		return sub ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	}
	if (strcmp(sub, "check") == 0 || strcmp(sub, "validate") == 0)
		return cmd_policy_check(argc - 1, argv + 1, envp);
	if (strcmp(sub, "test") == 0)
		return cmd_policy_test(argc - 1, argv + 1, envp);
	fprintf(stderr, "agentsh: unknown policy command '%s'\n", sub);
	return CLI_EXIT_USAGE;
}
