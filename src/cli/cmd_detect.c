/*
 * `agentsh detect [--json]`: run every probe in detect_probes[] and report
 * per domain whether it is available, through which mechanism, and why
 * (not). To add a domain, write a detect_<name>() that fills a struct
 * detect_domain and add it to the table.
 */
#include "cli/cmd_detect.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/json.h"
#include "limits/limits.h"
#include "secmode/secmode.h"

#define DETECT_OUT_MAX (1u << 20)  /* bytes of --json output */
#define DETECT_ITEMS_MAX 16        /* items (lines) in one domain */
#define DETECT_TEXT_MAX 640        /* one item's explanation */
#define DETECT_LABEL_MAX 32        /* one item's label */

enum { DETECT_OK = 0, DETECT_FAIL = 1, DETECT_USAGE = 2 };

static const char detect_help[] =
"NAME\n"
"    agentsh detect - report what this machine can enforce\n"
"\n"
"SYNOPSIS\n"
"    agentsh detect [--json] [--config FILE]\n"
"    agentsh detect --help\n"
"\n"
"DESCRIPTION\n"
"    Probes each enforcement domain by doing, not by reading feature\n"
"    lists, and prints per domain whether it is available (at least one\n"
"    item works) or active (every item works, so agentsh enforces the\n"
"    domain fully), through which mechanism, a score (items that work\n"
"    out of items probed) and, for every item that does not work, why\n"
"    not.\n"
"\n"
"    resource_limits\n"
"        Per-command memory, memory+swap, CPU quota and process-count\n"
"        limits. For the cgroup v2 unified tree and each cgroup v1\n"
"        hierarchy (memory, pids, cpu, cpuacct), agentsh creates a group\n"
"        agentsh-probe-<tid> below its own cgroup, moves a process into\n"
"        it, enables the v2 controller in cgroup.subtree_control and\n"
"        writes the limit files with unlimited values, then removes the\n"
"        group. Each limit uses v2 when that works, else v1, else none.\n"
"        Reasons name the errno: not mounted, controller missing (ENOENT:\n"
"        e.g. bound to a v1 hierarchy), permission denied, read-only.\n"
"\n"
"    process_tree\n"
"        Killing a command with everything it started: cgroup.kill (v2),\n"
"        else SIGKILL to each pid in cgroup.procs (v1) until empty;\n"
"        clone3(CLONE_INTO_CGROUP), which starts a child inside its v2\n"
"        group; and SIGKILL to a process group (tried on a child).\n"
"\n"
"    kernel\n"
"        seccomp user-notify, Landlock, ptrace and /dev/fuse, each used once\n"
"        in a child.\n"
"\n"
"    modes and protection\n"
"        Which supervision modes work here (full, ptrace, landlock,\n"
"        landlock-only, minimal), the one security.mode selects (auto: the\n"
"        strongest available), whether it meets security.minimum_mode\n"
"        (the daemon refuses to start when not), and per domain (file,\n"
"        command, network, env, resource_limits, isolation) what the\n"
"        selected mode protects and what each missing primitive costs.\n"
"\n"
"OPTIONS\n"
"    --json      Print one JSON object instead of text (see JSON).\n"
"    --config FILE  Take security.mode and minimum_mode from FILE\n"
"                (default: the built-in defaults).\n"
"    -h, --help  Show this page.\n"
"\n"
"OUTPUT\n"
"    One block per domain: a line with the name, \"active\" (every item\n"
"    works), \"available\" (some do) or \"unavailable\", the score and\n"
"    the mechanism; then one line per item: its name, the mechanism used\n"
"    (v2, v1, cgroup.kill, ... or none) and what is used or why not. A\n"
"    last line sums up: score: DOMAIN K/N (full|partial|unavailable), ...\n"
"\n"
"JSON\n"
"    {\"domains\": [{\"name\", \"available\", \"active\", \"status\",\n"
"                  \"mechanism\", \"score\", \"max_score\",\n"
"                  \"details\": [\"item: what is used\", ...],\n"
"                  \"why_not\": [\"item: why not\", ...]}, ...],\n"
"     \"resource_limits\": {\"memory\": {\"mechanism\": \"v1|v2|none\",\n"
"                                     \"reason\", \"v2\", \"v1\"},\n"
"                         \"memory_swap\": {...}, \"cpu\": {...},\n"
"                         \"pids\": {...}}}\n"
"     \"modes\": {\"full\": {\"available\", \"why\"}, ...},\n"
"     \"config\": {\"file\", \"mode\", \"minimum_mode\"},\n"
"     \"selected_mode\", \"satisfies_minimum\",\n"
"     \"protection\": {\"file\": {\"score\", \"max_score\", \"have\": [...],\n"
"                    \"missing\": [{\"item\", \"cost\"}]}, ...}}\n"
"    status is \"full\", \"partial\" or \"unavailable\"; v2 and v1 say\n"
"    why each cgroup version does (not) work for that limit.\n"
"\n"
"EXIT STATUS\n"
"    0 the probes ran (whatever they found), 1 a probe could not run\n"
"    (out of memory), 2 usage error.\n"
"\n"
"NOTES\n"
"    Creating cgroups needs root (or a delegated cgroup). Enabling a v2\n"
"    controller in agentsh's own cgroup.subtree_control is left in place.\n"
"    Without systemd nothing else manages these groups.\n"
"\n"
"EXAMPLES\n"
"    agentsh detect\n"
"    agentsh detect --json | jq '.resource_limits.pids'\n"
"\n"
"SEE ALSO\n"
"    docs/ARCHITECTURE.md, src/limits/limits.h.\n";

struct detect_item {
	char label[DETECT_LABEL_MAX]; /* "memory", "group_kill", ... */
	bool ok;
	char mech[DETECT_LABEL_MAX];  /* "v1", "cgroup.kill", "none" */
	char text[DETECT_TEXT_MAX];   /* what is used, or why not */
};

struct detect_domain {
	const char *name;
	char mechanism[DETECT_TEXT_MAX]; /* summary, e.g. "cgroup v1" */
	struct detect_item item[DETECT_ITEMS_MAX];
	size_t n;
};

/* What every probe may look at; probed once. */
struct detect_ctx {
	const struct limits_env *limits;
	const struct detect_modes *modes;
};

struct detect_probe {
	const char *name;
	void (*run)(const struct detect_ctx *ctx, struct detect_domain *d);
};

static void detect_item_add(struct detect_domain *d, const char *label,
			    bool ok, const char *mech, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void detect_item_add(struct detect_domain *d, const char *label,
			    bool ok, const char *mech, const char *fmt, ...)
{
	struct detect_item *it;
	va_list ap;

	if (d->n >= DETECT_ITEMS_MAX)
		return;
	it = &d->item[d->n++];
	snprintf(it->label, sizeof(it->label), "%s", label);
	snprintf(it->mech, sizeof(it->mech), "%s", mech);
	it->ok = ok;
	va_start(ap, fmt);
	vsnprintf(it->text, sizeof(it->text), fmt, ap);
	va_end(ap);
}

static size_t detect_score(const struct detect_domain *d)
{
	size_t s = 0;

	for (size_t i = 0; i < d->n; i++)
		s += d->item[i].ok;
	return s;
}

/* The combined reason for one limit: what is used and why not v2. */
static void detect_limit_reason(const struct limits_support *s, char *out,
				size_t n)
{
	if (s->mech == LIMITS_MECH_V2)
		snprintf(out, n, "%s", s->v2.text);
	else if (s->mech == LIMITS_MECH_V1)
		snprintf(out, n, "%s; not v2: %s", s->v1.text, s->v2.text);
	else if (s->v1.err == 0 || s->v2.err == 0)
		snprintf(out, n, "needs the memory limit's cgroup version; "
			 "%s; %s", s->v2.text, s->v1.text);
	else
		snprintf(out, n, "%s; %s", s->v2.text, s->v1.text);
}

static void detect_resource_limits(const struct detect_ctx *ctx,
				   struct detect_domain *d)
{
	const struct limits_env *env = ctx->limits;
	char why[DETECT_TEXT_MAX];
	bool v1 = false, v2 = false;

	for (int k = 0; k < LIMITS_KIND_COUNT; k++) {
		const struct limits_support *s = &env->limit[k];

		v1 |= s->mech == LIMITS_MECH_V1;
		v2 |= s->mech == LIMITS_MECH_V2;
		detect_limit_reason(s, why, sizeof(why));
		detect_item_add(d, limits_kind_name(k),
				s->mech != LIMITS_MECH_NONE,
				limits_mech_name(s->mech), "%s", why);
	}
	snprintf(d->mechanism, sizeof(d->mechanism), "%s",
		 v1 && v2 ? "cgroup v2+v1" : v2 ? "cgroup v2" :
		 v1 ? "cgroup v1" : "none");
}

/* Start a child in its own process group and SIGKILL the group. */
static int detect_try_kill_tree(void)
{
	pid_t pid = fork();
	int st = 0, r;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		setpgid(0, 0);
		for (;;)
			pause();
	}
	/* Set it here too, so the group exists whoever runs first. */
	setpgid(pid, pid);
	r = limits_kill_tree(pid);
	if (r < 0)
		kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (r == 0 && !(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL))
		r = -ESRCH;
	return r;
}

static void detect_process_tree(const struct detect_ctx *ctx,
				struct detect_domain *d)
{
	const struct limits_env *env = ctx->limits;
	bool v1 = false; /* then: any hierarchy takes groups */
	int r;

	for (int h = 0; h < LIMITS_V1_COUNT; h++)
		v1 |= env->v1_base[h][0] != '\0';
	v1 |= env->v2_base[0] != '\0';
	if (env->v2_kill)
		detect_item_add(d, "group_kill", true, "cgroup.kill",
				"cgroup v2 cgroup.kill in %s", env->v2_base);
	else
		detect_item_add(d, "group_kill", v1, v1 ? "cgroup.procs" :
				"none", "%s", v1 ? "SIGKILL to every pid in "
				"cgroup.procs until empty" : env->v2_core.text);
	detect_item_add(d, "clone_into_cgroup", env->v2_clone_into,
			env->v2_clone_into ? "clone3" : "none", "%s",
			env->v2_clone_into ? "clone3(CLONE_INTO_CGROUP) put a "
			"child into a v2 group" : env->v2_base[0] ?
			"clone3(CLONE_INTO_CGROUP) failed" : env->v2_core.text);
	r = detect_try_kill_tree();
	detect_item_add(d, "process_group_kill", r == 0, r == 0 ? "kill" :
			"none", "%s%s", r == 0 ? "SIGKILL to a process group "
			"killed the test child" : "killing a process group "
			"failed: ", r == 0 ? "" : strerror(-r));
	snprintf(d->mechanism, sizeof(d->mechanism), "%s",
		 env->v2_kill ? "cgroup v2 cgroup.kill" :
		 v1 ? "cgroup.procs" : "process group");
}


static void detect_kernel(const struct detect_ctx *ctx, struct detect_domain *d)
{
	const struct secmode_probe *p = &ctx->modes->probe;
	int r = p->notify;
	int fuse = open("/dev/fuse", O_RDWR | O_CLOEXEC);

	detect_item_add(d, "seccomp_user_notify", r == 0, r == 0 ? "listener" : "none",
			"%s", r == 0 ? "a user-notify filter was installed" :
			r == EBUSY ? "EBUSY: another listener (e.g. the sandbox "
			"runtime's) holds the chain" : strerror(r));
	if (p->landlock == 0)
		detect_item_add(d, "landlock", true, "abi",
				"a ruleset was enforced; ABI %d", p->landlock_abi);
	else
		detect_item_add(d, "landlock", false, "none", "not usable: %s",
				strerror(p->landlock));
	r = p->ptrace;
	detect_item_add(d, "ptrace", r == 0, r == 0 ? "seize" : "none", "%s",
			r == 0 ? "PTRACE_SEIZE of a child worked" : strerror(r));
	detect_item_add(d, "fuse_device", fuse >= 0, fuse >= 0 ? "/dev/fuse" : "none",
			"%s", fuse >= 0 ? "/dev/fuse opens (a mount is not tried)" :
					  strerror(errno));
	if (fuse >= 0)
		close(fuse);
	snprintf(d->mechanism, sizeof(d->mechanism), "%s",
		 d->item[0].ok ? "seccomp user-notify" :
		 d->item[1].ok ? "landlock + plain seccomp" : "plain seccomp");
}

/* The domains, in output order; later issues append their probes. */
static const struct detect_probe detect_probes[] = {
	{ "resource_limits", detect_resource_limits },
	{ "process_tree", detect_process_tree },
	{ "kernel", detect_kernel },
};

#define DETECT_NPROBES (sizeof(detect_probes) / sizeof(detect_probes[0]))

static const char *detect_status(const struct detect_domain *d)
{
	size_t s = detect_score(d);

	return s == 0 ? "unavailable" : s == d->n ? "full" : "partial";
}

static void detect_print_text(const struct detect_domain *dv, size_t n,
			      FILE *out)
{
	for (size_t i = 0; i < n; i++) {
		const struct detect_domain *d = &dv[i];

		fprintf(out, "%-16s %-11s %zu/%zu  %s\n", d->name,
			detect_score(d) == d->n ? "active" : detect_score(d) ?
			"available" : "unavailable", detect_score(d), d->n,
			d->mechanism);
		for (size_t j = 0; j < d->n; j++)
			fprintf(out, "  %-19s %-12s %s%s\n", d->item[j].label,
				d->item[j].mech, d->item[j].ok ? "" :
				"why not: ", d->item[j].text);
		fputc('\n', out);
	}
	fputs("score:", out);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s %s %zu/%zu (%s)", i ? "," : "", dv[i].name,
			detect_score(&dv[i]), dv[i].n, detect_status(&dv[i]));
	fputc('\n', out);
}

/* Append a JSON array of "label: text" for the items whose ok is want. */
static int detect_json_texts(struct buf *b, const struct detect_domain *d,
			     bool want)
{
	char line[DETECT_LABEL_MAX + DETECT_TEXT_MAX + 2];
	int r = buf_putc(b, '[');
	bool first = true;

	for (size_t j = 0; r == 0 && j < d->n; j++) {
		if (d->item[j].ok != want)
			continue;
		snprintf(line, sizeof(line), "%s: %s", d->item[j].label,
			 d->item[j].text);
		r = first ? 0 : buf_putc(b, ',');
		r = r < 0 ? r : json_str(b, line);
		first = false;
	}
	return r == 0 ? buf_putc(b, ']') : r;
}

static int detect_json_domain(struct buf *b, const struct detect_domain *d,
			      bool first)
{
	int r = buf_printf(b, "%s{\"name\":", first ? "" : ",");

	r = r < 0 ? r : json_str(b, d->name);
	r = r < 0 ? r : buf_printf(b, ",\"available\":%s,\"active\":%s,"
				   "\"status\":\"%s\",\"mechanism\":",
				   detect_score(d) ? "true" : "false",
				   detect_score(d) == d->n ? "true" : "false",
				   detect_status(d));
	r = r < 0 ? r : json_str(b, d->mechanism);
	r = r < 0 ? r : buf_printf(b, ",\"score\":%zu,\"max_score\":%zu,"
				   "\"details\":", detect_score(d), d->n);
	r = r < 0 ? r : detect_json_texts(b, d, true);
	r = r < 0 ? r : buf_puts(b, ",\"why_not\":");
	r = r < 0 ? r : detect_json_texts(b, d, false);
	return r < 0 ? r : buf_putc(b, '}');
}

/* "resource_limits":{"memory":{"mechanism","reason","v2","v1"},...} */
static int detect_json_limits(struct buf *b, const struct limits_env *env)
{
	char why[DETECT_TEXT_MAX];
	int r = buf_puts(b, ",\"resource_limits\":{");

	for (int k = 0; r == 0 && k < LIMITS_KIND_COUNT; k++) {
		const struct limits_support *s = &env->limit[k];

		detect_limit_reason(s, why, sizeof(why));
		r = json_key(b, limits_kind_name(k), k == 0);
		r = r < 0 ? r : buf_printf(b, "{\"mechanism\":\"%s\","
					   "\"reason\":",
					   limits_mech_name(s->mech));
		r = r < 0 ? r : json_str(b, why);
		r = r < 0 ? r : buf_puts(b, ",\"v2\":");
		r = r < 0 ? r : json_str(b, s->v2.text);
		r = r < 0 ? r : buf_puts(b, ",\"v1\":");
		r = r < 0 ? r : json_str(b, s->v1.text);
		r = r < 0 ? r : buf_putc(b, '}');
	}
	return r < 0 ? r : buf_putc(b, '}');
}

static int detect_print_json(const struct detect_domain *dv, size_t n,
			     const struct limits_env *env,
			     const struct detect_modes *dm, FILE *out)
{
	struct buf b;
	int r;

	buf_init(&b, DETECT_OUT_MAX);
	r = buf_puts(&b, "{\"domains\":[");
	for (size_t i = 0; r == 0 && i < n; i++)
		r = detect_json_domain(&b, &dv[i], i == 0);
	r = r < 0 ? r : buf_putc(&b, ']');
	r = r < 0 ? r : detect_json_limits(&b, env);
	r = r < 0 ? r : detect_modes_json(dm, env, &b);
	r = r < 0 ? r : buf_puts(&b, "}\n");
	if (r == 0)
		fputs(b.data, out);
	buf_release(&b);
	return r;
}

/* Parse the options: 0 to go on, else the exit status to return. */
static int detect_parse(int argc, char **argv, bool *json, bool *help,
			const char **cfg, FILE *err)
{
	*json = *help = false;
	*cfg = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			*json = true;
		} else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			*cfg = argv[++i];
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			*cfg = argv[i] + 9;
		} else if (strcmp(argv[i], "--help") == 0 ||
			   strcmp(argv[i], "-h") == 0) {
			*help = true;
		} else {
			fprintf(err, "agentsh detect: unknown argument '%s'\n"
				"Try 'agentsh detect --help'.\n", argv[i]);
			return DETECT_USAGE;
		}
	}
	return DETECT_OK;
}

/* The configuration's modes and the one selected here; 0 or -errno. */
static int detect_modes_load(struct detect_modes *dm, const char *cfgpath,
			     char **envp, FILE *err)
{
	struct config *cfg = NULL;
	struct diag diag;
	int r;

	diag_init(&diag);
	r = cfgpath ? config_load_file(cfgpath, envp, &cfg, &diag) :
		      config_load_defaults(envp, &cfg, &diag);
	diag_print(&diag, err);
	diag_release(&diag);
	if (r < 0)
		return r;
	dm->cfgfile = cfgpath;
	dm->mode = cfg->security.mode;
	dm->min = cfg->security.minimum_mode;
	config_free(cfg);
	secmode_probe(&dm->probe);
	dm->selected = secmode_select(&dm->probe, dm->mode);
	return 0;
}

int cmd_detect_run(int argc, char **argv, char **envp, FILE *out, FILE *err)
{
	struct detect_domain dv[DETECT_NPROBES];
	struct limits_env *env = NULL;
	struct detect_modes dm = {0};
	struct detect_ctx ctx = {.modes = &dm};
	const char *cfgpath;
	bool json, help;
	int r = detect_parse(argc, argv, &json, &help, &cfgpath, err);

	if (r != DETECT_OK || help) {
		if (help)
			fputs(detect_help, out);
		goto out;
	}
	if (detect_modes_load(&dm, cfgpath, envp, err) < 0) {
		r = DETECT_USAGE;
		goto out;
	}
	if (limits_probe(&env) < 0) {
		fputs("agentsh detect: out of memory\n", err);
		r = DETECT_FAIL;
		goto out;
	}
	ctx.limits = env;
	memset(dv, 0, sizeof(dv));
	for (size_t i = 0; i < DETECT_NPROBES; i++) {
		dv[i].name = detect_probes[i].name;
		detect_probes[i].run(&ctx, &dv[i]);
	}
	if (!json) {
		detect_print_text(dv, DETECT_NPROBES, out);
		detect_modes_text(&dm, env, out);
	} else if (detect_print_json(dv, DETECT_NPROBES, env, &dm, out) < 0) {
		r = DETECT_FAIL;
	}
out:
	limits_env_free(env);
	return r;
}

int cmd_detect(int argc, char **argv, char **envp)
{
	return cmd_detect_run(argc, argv, envp, stdout, stderr);
}
