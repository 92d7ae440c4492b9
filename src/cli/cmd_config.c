/*
 * `agentsh config check FILE... [--strict] [--json]` and
 * `agentsh config show [FILE] [--json]`.
 */
#include "cli/cmd_config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/diag.h"
#include "common/json.h"
#include "config/config.h"

#define CMD_CONFIG_OUT_MAX (64u << 20) /* bytes of --json / show output */

enum { CMD_CONFIG_OK = 0, CMD_CONFIG_ERRORS = 1, CMD_CONFIG_USAGE = 2 };

static const char cmd_config_help_main[] =
"NAME\n"
"    agentsh config - check or print the agentsh server configuration\n"
"\n"
"SYNOPSIS\n"
"    agentsh config check [--strict] [--json] [FILE...]\n"
"    agentsh config show [--strict] [--json] [FILE]\n"
"    agentsh config [check|show] --help\n"
"\n"
"DESCRIPTION\n"
"    The server configuration (normally /etc/agentsh/config.yaml) is built\n"
"    in five steps: built-in defaults; the YAML file; ${VAR} expansion\n"
"    inside scalar values; AGENTSH_* environment overrides; validation.\n"
"    Loading is lenient but loud: unknown keys are warnings that name the\n"
"    key, its section and its position (file:line:col) and suggest the\n"
"    nearest known key; wrong types, invalid durations, sizes, addresses,\n"
"    enum values and regular expressions are errors. A file with errors is\n"
"    never half-used: the daemon refuses to start.\n"
"\n"
"    check   validate one or more files and report every problem.\n"
"    show    print the resolved configuration.\n"
"\n"
"    Run `agentsh config check --help` or `agentsh config show --help` for\n"
"    the details of each.\n"
"\n"
"EXIT STATUS\n"
"    0 success (warnings allowed), 1 errors, 2 usage error.\n";

static const char cmd_config_help_env[] =
"ENVIRONMENT\n"
"    ${NAME}, $NAME, ${NAME:-fallback}\n"
"        Expanded inside scalar values (not keys) from the environment.\n"
"        An unset NAME without a fallback becomes \"\" with a warning; the\n"
"        fallback applies when NAME is unset or empty; $$ is a literal $.\n"
"        dlp.custom_patterns[].regex is never expanded: $ is regex syntax.\n"
"    AGENTSH_PLATFORM_MODE, AGENTSH_HTTP_ADDR, AGENTSH_GRPC_ADDR,\n"
"    AGENTSH_LOG_LEVEL, AGENTSH_PROXY_MODE, AGENTSH_DLP_MODE,\n"
"    AGENTSH_PROXY_PORT\n"
"        Override platform.mode, server.http.addr, server.grpc.addr,\n"
"        logging.level, proxy.mode, dlp.mode and proxy.port after the\n"
"        file is read. Empty values are ignored; invalid values are\n"
"        errors that name the variable.\n"
"    AGENTSH_DATA_DIR\n"
"        Sets sessions.base_dir to DIR/sessions and\n"
"        audit.storage.sqlite_path to DIR/events.db.\n"
"    AGENTSH_CONFIG\n"
"        The file to use when no FILE is given.\n"
"\n"
"FILES\n"
"    Without FILE the first of these is used: $AGENTSH_CONFIG,\n"
"    ${XDG_CONFIG_HOME:-$HOME/.config}/agentsh/config.yaml (or .yml),\n"
"    /etc/agentsh/config.yaml (or .yml).\n";

static const char cmd_config_help_check[] =
"NAME\n"
"    agentsh config check - validate agentsh server config files\n"
"\n"
"SYNOPSIS\n"
"    agentsh config check [--strict] [--json] [FILE...]\n"
"\n"
"DESCRIPTION\n"
"    Loads each FILE exactly as the daemon would, in the current\n"
"    environment (${VAR} expansion and AGENTSH_* overrides included), and\n"
"    reports every problem as \"file:line:col: severity: message [code]\"\n"
"    on standard error, followed by one summary line per file on standard\n"
"    output. Without FILE the discovered config file is checked.\n"
"\n"
"    Errors: wrong types, invalid durations (use 500ms, 30s, 5m, 1h, 7d or\n"
"    combinations such as 1h30m), invalid sizes (10MB, 5GB, 512KiB),\n"
"    unknown enum values, invalid addresses and URLs, invalid policy\n"
"    names, custom DLP regexes that PCRE2 cannot compile (with the pattern\n"
"    name and the offset), duplicate custom pattern names, and a\n"
"    non-loopback listen address without authentication.\n"
"\n"
"    Warnings: unknown keys (with a suggestion), legacy keys that are\n"
"    still honoured (policies.default_policy is read as policies.default,\n"
"    policies.env_rules as policies.env_policy), approvals.mode \"async\"\n"
"    or \"sync\" (treated as \"api\"), undefined environment variables, and\n"
"    settings that weaken enforcement.\n"
"\n"
"OPTIONS\n"
"    --strict  Treat every warning as an error.\n"
"    --json    Print one JSON document instead of text:\n"
"              {\"files\":[{\"file\":F, \"ok\":BOOL,\n"
"                \"diagnostics\":[{\"severity\", \"file\", \"line\",\n"
"                  \"col\", \"code\", \"message\"}, ...]}, ...]}\n"
"    --help    Show this text.\n"
"\n"
"EXIT STATUS\n"
"    0 every file is usable (warnings allowed unless --strict),\n"
"    1 at least one file has errors or cannot be read, 2 usage error.\n"
"\n"
"EXAMPLES\n"
"    agentsh config check /etc/agentsh/config.yaml\n"
"    agentsh config check --strict --json a.yaml b.yaml | jq .\n"
"\n";

static const char cmd_config_help_show[] =
"NAME\n"
"    agentsh config show - print the resolved agentsh server configuration\n"
"\n"
"SYNOPSIS\n"
"    agentsh config show [--strict] [--json] [FILE]\n"
"\n"
"DESCRIPTION\n"
"    Prints every setting after defaults, the file, ${VAR} expansion and\n"
"    AGENTSH_* overrides. Without FILE the discovered config file is\n"
"    used, or the built-in defaults when there is none. Problems are\n"
"    reported on standard error as with `agentsh config check`; with\n"
"    errors nothing is printed.\n"
"\n"
"    Secrets are never printed: auth.oidc.client_secret and the values of\n"
"    audit.webhook.headers show as \"(set)\", and URLs lose any\n"
"    user:password@ and ?query (shown as \"(set)\").\n"
"\n"
"    The YAML output is itself a loadable config file (a '$' in a value\n"
"    is written as \"$$\"). Durations print as strings such as \"5m\" or\n"
"    \"7d\", sizes as \"10MB\" or \"1MiB\", permissions as \"0660\", and\n"
"    unset optional strings as null.\n"
"\n"
"OPTIONS\n"
"    --json    Print the configuration as one JSON object (raw values).\n"
"    --strict  Treat every warning as an error.\n"
"    --help    Show this text.\n"
"\n"
"EXIT STATUS\n"
"    0 printed (warnings allowed unless --strict), 1 errors, 2 usage.\n"
"\n";

struct cmd_config_opts {
	bool strict, json, help;
	char **files; /* NULL-terminated, points into argv */
	size_t nfiles;
};

static int cmd_config_usage(FILE *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int cmd_config_usage(FILE *err, const char *fmt, ...)
{
	va_list ap;

	fputs("agentsh config: ", err);
	va_start(ap, fmt);
	vfprintf(err, fmt, ap);
	va_end(ap);
	fputs("\nTry 'agentsh config --help'.\n", err);
	return CMD_CONFIG_USAGE;
}

/* Split argv[first..] into options and file names. */
static int cmd_config_parse(int argc, char **argv, int first,
			    struct cmd_config_opts *o, FILE *err)
{
	bool dashdash = false;

	memset(o, 0, sizeof(*o));
	o->files = calloc((size_t)argc + 1, sizeof(*o->files));
	if (o->files == NULL) {
		fputs("agentsh config: out of memory\n", err);
		return CMD_CONFIG_ERRORS;
	}
	for (int i = first; i < argc; i++) {
		const char *a = argv[i];

		if (dashdash || a[0] != '-' || a[1] == '\0')
			o->files[o->nfiles++] = argv[i];
		else if (strcmp(a, "--") == 0)
			dashdash = true;
		else if (strcmp(a, "--strict") == 0)
			o->strict = true;
		else if (strcmp(a, "--json") == 0)
			o->json = true;
		else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			o->help = true;
		else
			return cmd_config_usage(err, "unknown option '%s'", a);
	}
	return CMD_CONFIG_OK;
}

/* The discovered config path in buf, or NULL after explaining why not. */
static const char *cmd_config_discover(char **envp, char *buf, size_t n,
				       FILE *err, bool quiet)
{
	int r = config_find_path(envp, buf, n);

	if (r == 0)
		return buf;
	if (!quiet)
		fprintf(err, "agentsh config: %s\n",
			r == -ENOENT ? "no config file found (tried "
				       "$AGENTSH_CONFIG, ~/.config/agentsh/"
				       "config.yaml|yml, /etc/agentsh/"
				       "config.yaml|yml)"
				     : "config file path is too long");
	return NULL;
}

/* Order diagnostics by line and column, keeping ties in report order. */
static void cmd_config_sort(struct diag *d)
{
	for (size_t i = 1; i < d->n; i++) {
		struct diag_entry e = d->v[i];
		size_t j = i;

		while (j > 0 && (d->v[j - 1].line > e.line ||
				 (d->v[j - 1].line == e.line &&
				  d->v[j - 1].col > e.col))) {
			d->v[j] = d->v[j - 1];
			j--;
		}
		d->v[j] = e;
	}
}

static void cmd_config_summary(const char *path, const struct diag *d,
			       bool ok, FILE *out)
{
	if (ok && d->warnings == 0)
		fprintf(out, "%s: OK\n", path);
	else if (ok)
		fprintf(out, "%s: OK with %zu warning%s\n", path, d->warnings,
			d->warnings == 1 ? "" : "s");
	else
		fprintf(out, "%s: %zu error%s, %zu warning%s\n", path,
			d->errors, d->errors == 1 ? "" : "s", d->warnings,
			d->warnings == 1 ? "" : "s");
}

static int cmd_config_json_file(struct buf *b, size_t idx, const char *path,
				bool ok, const struct diag *d)
{
	int r = buf_puts(b, idx ? ",{\"file\":" : "{\"file\":");

	if (r == 0)
		r = json_str(b, path);
	if (r == 0)
		r = buf_printf(b, ",\"ok\":%s,\"diagnostics\":",
			       ok ? "true" : "false");
	if (r == 0)
		r = diag_json(d, b);
	return r == 0 ? buf_putc(b, '}') : r;
}

/* Check one file; 0 when usable, 1 otherwise. */
static int cmd_config_check_one(const char *path, size_t idx, char **envp,
				const struct cmd_config_opts *o,
				struct buf *json, FILE *out, FILE *err)
{
	struct config *cfg = NULL;
	struct diag d;
	bool ok;
	int r;

	diag_init(&d);
	d.warnings_as_errors = o->strict;
	r = config_load_file(path, envp, &cfg, &d);
	ok = r == 0 && !diag_has_errors(&d);
	if (r < 0 && d.errors == 0)
		diag_add(&d, DIAG_ERROR, path, 0, 0, "io", "cannot load: %s",
			 strerror(-r));
	cmd_config_sort(&d);
	if (o->json) {
		if (cmd_config_json_file(json, idx, path, ok, &d) < 0)
			ok = false;
	} else {
		diag_print(&d, err);
		cmd_config_summary(path, &d, ok, out);
	}
	config_free(cfg);
	diag_release(&d);
	return ok ? CMD_CONFIG_OK : CMD_CONFIG_ERRORS;
}

static int cmd_config_check(const struct cmd_config_opts *o, char **envp,
			    FILE *out, FILE *err)
{
	char found[CONFIG_PATH_MAX];
	const char *one[2] = {NULL, NULL};
	const char *const *files = (const char *const *)o->files;
	struct buf json;
	int rc = CMD_CONFIG_OK;

	if (o->nfiles == 0) {
		one[0] = cmd_config_discover(envp, found, sizeof(found), err,
					     false);
		if (one[0] == NULL)
			return CMD_CONFIG_ERRORS;
		files = one;
	}
	buf_init(&json, CMD_CONFIG_OUT_MAX);
	if (o->json && buf_puts(&json, "{\"files\":[") < 0)
		rc = CMD_CONFIG_ERRORS;
	for (size_t i = 0; files[i] != NULL; i++)
		if (cmd_config_check_one(files[i], i, envp, o, &json, out,
					 err) != CMD_CONFIG_OK)
			rc = CMD_CONFIG_ERRORS;
	if (o->json && buf_puts(&json, "]}\n") == 0)
		fputs(json.data, out);
	else if (o->json)
		rc = CMD_CONFIG_ERRORS;
	buf_release(&json);
	return rc;
}

/* Load FILE, the discovered file, or the defaults; print problems. */
static struct config *cmd_config_resolve(const struct cmd_config_opts *o,
					 char **envp, const char **src,
					 char *buf, size_t n, FILE *err)
{
	struct config *cfg = NULL;
	struct diag d;
	int r;

	diag_init(&d);
	d.warnings_as_errors = o->strict;
	*src = o->nfiles ? o->files[0]
			 : cmd_config_discover(envp, buf, n, err, true);
	if (*src != NULL)
		r = config_load_file(*src, envp, &cfg, &d);
	else
		r = config_load_defaults(envp, &cfg, &d);
	cmd_config_sort(&d);
	diag_print(&d, err);
	if (r < 0 && d.errors == 0)
		fprintf(err, "agentsh config: cannot load %s: %s\n",
			*src ? *src : "the defaults", strerror(-r));
	diag_release(&d);
	return cfg;
}

static int cmd_config_show(const struct cmd_config_opts *o, char **envp,
			   FILE *out, FILE *err)
{
	char found[CONFIG_PATH_MAX];
	const char *src;
	struct config *cfg;
	struct buf b;
	int r;

	if (o->nfiles > 1)
		return cmd_config_usage(err, "show takes at most one FILE");
	cfg = cmd_config_resolve(o, envp, &src, found, sizeof(found), err);
	if (cfg == NULL)
		return CMD_CONFIG_ERRORS;
	buf_init(&b, CMD_CONFIG_OUT_MAX);
	if (o->json) {
		r = config_dump_json(cfg, &b);
		if (r == 0)
			r = buf_putc(&b, '\n');
	} else {
		r = buf_puts(&b, "# agentsh resolved configuration: defaults, "
			     "file, ${VAR} expansion, AGENTSH_* overrides.\n"
			     "# Secrets are shown as \"(set)\".\n# source: ");
		if (r == 0)
			r = buf_puts(&b, src ? src : "(built-in defaults)");
		if (r == 0)
			r = buf_putc(&b, '\n');
		if (r == 0)
			r = config_dump_yaml(cfg, &b);
	}
	if (r == 0)
		fputs(b.data, out);
	else
		fprintf(err, "agentsh config: cannot render: %s\n",
			strerror(-r));
	buf_release(&b);
	config_free(cfg);
	return r == 0 ? CMD_CONFIG_OK : CMD_CONFIG_ERRORS;
}

static int cmd_config_help(FILE *out, const char *text)
{
	fputs(text, out);
	if (text != cmd_config_help_main)
		fputs(cmd_config_help_env, out);
	return CMD_CONFIG_OK;
}

int cmd_config_run(int argc, char **argv, char **envp, FILE *out, FILE *err)
{
	struct cmd_config_opts o = {0};
	const char *sub = argc > 1 ? argv[1] : NULL;
	bool check;
	int rc;

	if (sub == NULL)
		return cmd_config_usage(err, "missing subcommand (check or "
					"show)");
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 ||
	    strcmp(sub, "help") == 0)
		return cmd_config_help(out, cmd_config_help_main);
	check = strcmp(sub, "check") == 0;
	if (!check && strcmp(sub, "show") != 0)
		return cmd_config_usage(err, "unknown subcommand '%s'", sub);
	rc = cmd_config_parse(argc, argv, 2, &o, err);
	if (rc == CMD_CONFIG_OK && o.help)
		rc = cmd_config_help(out, check ? cmd_config_help_check
						: cmd_config_help_show);
	else if (rc == CMD_CONFIG_OK && check)
		rc = cmd_config_check(&o, envp, out, err);
	else if (rc == CMD_CONFIG_OK)
		rc = cmd_config_show(&o, envp, out, err);
	free(o.files);
	return rc;
}

int cmd_config(int argc, char **argv, char **envp)
{
	int rc = cmd_config_run(argc, argv, envp, stdout, stderr);

	fflush(stdout);
	return rc;
}
