/*
 * `agentsh detect`, second half: which supervision modes work here, the one
 * security.mode selects and whether it meets security.minimum_mode, and
 * per domain what the selected mode protects, with what each missing
 * primitive costs.
 */
#include "cli/cmd_detect.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/json.h"
#include "config/config.h"

#define DETECT_PROT_ITEMS 4 /* items of one protection domain */

/* One primitive of a domain under the selected mode. */
struct detect_prot_item {
	const char *label;
	bool ok;
	const char *text; /* what it gives, or what its absence costs */
};

struct detect_prot {
	const char *domain;
	struct detect_prot_item it[DETECT_PROT_ITEMS];
	size_t n;
};

static const enum config_security_mode detect_mode_order[] = {
	CONFIG_SECMODE_FULL, CONFIG_SECMODE_PTRACE, CONFIG_SECMODE_LANDLOCK,
	CONFIG_SECMODE_LANDLOCK_ONLY, CONFIG_SECMODE_MINIMAL,
};
#define DETECT_NMODES (sizeof(detect_mode_order) / sizeof(detect_mode_order[0]))

static void detect_prot_add(struct detect_prot *p, const char *label, bool ok,
			    const char *yes, const char *no)
{
	if (p->n < DETECT_PROT_ITEMS)
		p->it[p->n++] = (struct detect_prot_item){label, ok, ok ? yes : no};
}

/* file, command, network under mode m. */
static void detect_prot_policy(const struct detect_modes *dm,
			       enum config_security_mode m,
			       struct detect_prot *p)
{
	bool full = m == CONFIG_SECMODE_FULL, ll = dm->probe.landlock == 0 &&
		m != CONFIG_SECMODE_MINIMAL;

	p[0].domain = "file";
	detect_prot_add(&p[0], "decide_each_open", full, "the daemon decides "
		"every open and path change with the policy", "no seccomp "
		"user-notify: file rules only as Landlock allowlists (exact "
		"paths and <dir>/** only: other globs not enforceable, approve "
		"acts as deny, soft_delete deletes for good, redirect denies)");
	detect_prot_add(&p[0], "landlock_allowlist", full || ll, full ?
		"not needed: the supervisor decides each open" : "the policy's "
		"file rules as Landlock allowlists with carve-outs", "no "
		"Landlock: no file rule holds once the shell runs");
	p[1].domain = "command";
	detect_prot_add(&p[1], "shim_check", true, "the shim checks the shell "
		"and every command of its script before anything runs", "");
	detect_prot_add(&p[1], "every_exec", full || m == CONFIG_SECMODE_PTRACE,
		full ? "seccomp user-notify: every exec at every depth" :
		"ptrace: the daemon's tracer decides every exec", "no "
		"user-notify or ptrace: nested execs not decided, only the "
		"Landlock exec deny list (binaries denied at every depth)");
	detect_prot_add(&p[1], "exec_deny_list", ll || (full &&
		dm->probe.landlock == 0), "Landlock denies executing the "
		"binaries the policy always denies", "no Landlock: no "
		"in-kernel exec deny list");
	p[2].domain = "network";
	detect_prot_add(&p[2], "decide_each_connect", full, "the daemon "
		"decides every connect by address and port", "no seccomp "
		"user-notify: connects not decided per address: only TCP "
		"ports (Landlock ABI 4; here no TCP connect is allowed), UDP "
		"and Unix sockets unchecked");
	detect_prot_add(&p[2], "tcp_ports", full || (ll &&
		dm->probe.landlock_abi >= 4), full ? "not needed: the "
		"supervisor decides each connect" : "Landlock TCP connect "
		"rules", "no Landlock ABI 4: TCP connects unrestricted");
}

/* env, resource_limits, isolation under mode m. */
static void detect_prot_rest(const struct detect_modes *dm,
			     enum config_security_mode m,
			     const struct limits_env *env, struct detect_prot *p)
{
	bool sc = dm->probe.seccomp == 0 && m != CONFIG_SECMODE_MINIMAL &&
		  m != CONFIG_SECMODE_LANDLOCK_ONLY;
	bool ll = dm->probe.landlock == 0 && m != CONFIG_SECMODE_MINIMAL;

	p[3].domain = "env";
	detect_prot_add(&p[3], "filtered_env", true, "the shim gives every "
		"shell only the variables env_policy allows", "");
	p[4].domain = "resource_limits";
	for (int k = 0; k < LIMITS_KIND_COUNT && k < DETECT_PROT_ITEMS; k++)
		detect_prot_add(&p[4], limits_kind_name(k),
				env->limit[k].mech != LIMITS_MECH_NONE,
				"a cgroup limit", "no cgroup controller: this "
				"limit is not enforced");
	p[5].domain = "isolation";
	detect_prot_add(&p[5], "seccomp_filter", sc, "dangerous syscalls "
		"refused in the kernel", "no seccomp filter: dangerous "
		"syscalls (ptrace, mount, bpf, ...) not refused");
	detect_prot_add(&p[5], "landlock_scopes", ll &&
		dm->probe.landlock_abi >= 6, "no signals or abstract Unix "
		"sockets out of the sandbox (Landlock ABI 6)", "no Landlock "
		"ABI 6 scopes: signals and abstract sockets reach outside");
}

/* Why mode m is (not) available, from the probes. */
static const char *detect_mode_why(const struct secmode_probe *p,
				   enum config_security_mode m, char *buf,
				   size_t n)
{
	int e = m == CONFIG_SECMODE_FULL ? p->notify :
		m == CONFIG_SECMODE_PTRACE ? (p->seccomp ? p->seccomp : p->ptrace) :
		m == CONFIG_SECMODE_LANDLOCK ? (p->seccomp ? p->seccomp :
						p->landlock) :
		m == CONFIG_SECMODE_LANDLOCK_ONLY ? p->landlock : 0;

	if (e == 0)
		return "works here";
	snprintf(buf, n, "%s%s", strerror(e), m == CONFIG_SECMODE_FULL &&
		 e == EBUSY ? " (another user-notify listener holds the "
		 "chain, e.g. the sandbox runtime's)" : "");
	return buf;
}

static int detect_prot_json(struct buf *b, const struct detect_prot *p,
			    bool first)
{
	size_t s = 0;
	int r = json_key(b, p->domain, first);

	for (size_t i = 0; i < p->n; i++)
		s += p->it[i].ok;
	r = r < 0 ? r : buf_printf(b, "{\"score\":%zu,\"max_score\":%zu,"
				   "\"have\":[", s, p->n);
	for (size_t i = 0, f = 1; r == 0 && i < p->n; i++) {
		if (!p->it[i].ok)
			continue;
		r = f ? 0 : buf_putc(b, ',');
		r = r < 0 ? r : json_str(b, p->it[i].label);
		f = 0;
	}
	r = r < 0 ? r : buf_puts(b, "],\"missing\":[");
	for (size_t i = 0, f = 1; r == 0 && i < p->n; i++) {
		if (p->it[i].ok)
			continue;
		r = buf_printf(b, "%s{\"item\":", f ? "" : ",");
		r = r < 0 ? r : json_str(b, p->it[i].label);
		r = r < 0 ? r : buf_puts(b, ",\"cost\":");
		r = r < 0 ? r : json_str(b, p->it[i].text);
		r = r < 0 ? r : buf_putc(b, '}');
		f = 0;
	}
	return r < 0 ? r : buf_puts(b, "]}");
}

static void detect_prot_all(const struct detect_modes *dm,
			    const struct limits_env *env,
			    struct detect_prot p[DETECT_PROT_DOMAINS])
{
	memset(p, 0, sizeof(*p) * DETECT_PROT_DOMAINS);
	detect_prot_policy(dm, dm->selected, p);
	detect_prot_rest(dm, dm->selected, env, p);
}

int detect_modes_json(const struct detect_modes *dm,
		      const struct limits_env *env, struct buf *b)
{
	struct detect_prot p[DETECT_PROT_DOMAINS];
	char why[256];
	int r = buf_puts(b, ",\"modes\":{");

	for (size_t i = 0; r == 0 && i < DETECT_NMODES; i++) {
		enum config_security_mode m = detect_mode_order[i];

		r = json_key(b, config_security_mode_name(m), i == 0);
		r = r < 0 ? r : buf_printf(b, "{\"available\":%s,\"why\":",
					   secmode_available(&dm->probe, m) ?
					   "true" : "false");
		r = r < 0 ? r : json_str(b, detect_mode_why(&dm->probe, m, why,
							    sizeof(why)));
		r = r < 0 ? r : buf_putc(b, '}');
	}
	r = r < 0 ? r : buf_puts(b, "},\"config\":{\"file\":");
	r = r < 0 ? r : (dm->cfgfile ? json_str(b, dm->cfgfile) :
			 buf_puts(b, "null"));
	r = r < 0 ? r : buf_printf(b, ",\"mode\":\"%s\",\"minimum_mode\":\"%s\"},"
		"\"selected_mode\":\"%s\",\"satisfies_minimum\":%s,"
		"\"protection\":{", config_security_mode_name(dm->mode),
		dm->min == CONFIG_SECMODE_AUTO ? "none" :
		config_security_mode_name(dm->min),
		config_security_mode_name(dm->selected),
		secmode_satisfies(dm->selected, dm->min) ? "true" : "false");
	detect_prot_all(dm, env, p);
	for (size_t i = 0; r == 0 && i < DETECT_PROT_DOMAINS; i++)
		r = detect_prot_json(b, &p[i], i == 0);
	return r < 0 ? r : buf_putc(b, '}');
}

void detect_modes_text(const struct detect_modes *dm,
		       const struct limits_env *env, FILE *out)
{
	struct detect_prot p[DETECT_PROT_DOMAINS];
	char why[256];

	fputs("modes:\n", out);
	for (size_t i = 0; i < DETECT_NMODES; i++)
		fprintf(out, "  %-14s %-13s %s\n",
			config_security_mode_name(detect_mode_order[i]),
			secmode_available(&dm->probe, detect_mode_order[i]) ?
			"available" : "unavailable",
			detect_mode_why(&dm->probe, detect_mode_order[i], why,
					sizeof(why)));
	fprintf(out, "selected mode: %s (security.mode %s%s%s); minimum_mode "
		"%s: %s\n\nprotection under %s:\n",
		config_security_mode_name(dm->selected),
		config_security_mode_name(dm->mode), dm->cfgfile ? " in " : "",
		dm->cfgfile ? dm->cfgfile : "",
		dm->min == CONFIG_SECMODE_AUTO ? "none" :
		config_security_mode_name(dm->min),
		secmode_satisfies(dm->selected, dm->min) ? "satisfied" :
		"NOT satisfied: the daemon refuses to start",
		config_security_mode_name(dm->selected));
	detect_prot_all(dm, env, p);
	for (size_t i = 0; i < DETECT_PROT_DOMAINS; i++) {
		size_t s = 0;

		for (size_t j = 0; j < p[i].n; j++)
			s += p[i].it[j].ok;
		fprintf(out, "  %-16s %zu/%zu\n", p[i].domain, s, p[i].n);
		for (size_t j = 0; j < p[i].n; j++)
			if (!p[i].it[j].ok)
				fprintf(out, "    %-20s %s\n", p[i].it[j].label,
					p[i].it[j].text);
	}
}
