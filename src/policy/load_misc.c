/* Policy loader: unix socket rules, signal rules, limits, env and audit. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/str.h"
#include "policy/load_int.h"

static const char *const unix_rule_keys[] = {
	"name", "description", "paths", "operations", "decision", "message",
	"timeout", NULL,
};
static const char *const unix_op_names[POLICY_UNIX_OP_COUNT] = {
	"connect", "bind", "listen", "sendto",
};
static const char *const signal_rule_keys[] = {
	"name", "description", "signals", "target", "decision", "fallback",
	"redirect_to", "message", "timeout", NULL,
};
static const char *const target_keys[] = {
	"type", "pattern", "min", "max", NULL,
};
static const char *const target_names[] = {
	"any", "self", "children", "descendants", "siblings", "session",
	"parent", "external", "system", "user", "process", "pid_range", NULL,
};
static const char *const limit_keys[] = {
	"max_memory_mb", "memory_swap_max_mb", "cpu_quota_percent",
	"disk_read_bps_max", "disk_write_bps_max", "net_bandwidth_mbps",
	"pids_max", "command_timeout", "session_timeout", "idle_timeout", NULL,
};
static const char *const env_keys[] = {
	"allow", "deny", "max_bytes", "max_keys", "block_iteration", NULL,
};
static const char *const audit_keys[] = {
	"log_allowed", "log_denied", "log_approved", "include_stdout",
	"include_stderr", "include_file_content", "retention_days", NULL,
};

static const struct {
	const char *name;
	int num;
} signal_names[] = {
	{"HUP", SIGHUP}, {"INT", SIGINT}, {"QUIT", SIGQUIT}, {"ILL", SIGILL},
	{"TRAP", SIGTRAP}, {"ABRT", SIGABRT}, {"IOT", SIGIOT}, {"BUS", SIGBUS},
	{"FPE", SIGFPE}, {"KILL", SIGKILL}, {"USR1", SIGUSR1},
	{"SEGV", SIGSEGV}, {"USR2", SIGUSR2}, {"PIPE", SIGPIPE},
	{"ALRM", SIGALRM}, {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT},
	{"CHLD", SIGCHLD}, {"CONT", SIGCONT}, {"STOP", SIGSTOP},
	{"TSTP", SIGTSTP}, {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},
	{"URG", SIGURG}, {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},
	{"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH},
	{"IO", SIGIO}, {"POLL", SIGPOLL}, {"PWR", SIGPWR}, {"SYS", SIGSYS},
};

#define SIGBIT(n) (1ull << ((n) - 1))

static const struct {
	const char *name;
	uint64_t mask;
} signal_groups[] = {
	{"@all", 0x7fffffffull},
	{"@fatal", SIGBIT(SIGKILL) | SIGBIT(SIGTERM) | SIGBIT(SIGQUIT) |
			   SIGBIT(SIGABRT)},
	{"@job", SIGBIT(SIGSTOP) | SIGBIT(SIGCONT) | SIGBIT(SIGTSTP) |
			 SIGBIT(SIGTTIN) | SIGBIT(SIGTTOU)},
	{"@reload", SIGBIT(SIGHUP) | SIGBIT(SIGUSR1) | SIGBIT(SIGUSR2)},
	{"@ignore", SIGBIT(SIGCHLD) | SIGBIT(SIGURG) | SIGBIT(SIGWINCH)},
};

/* "SIGTERM", "TERM", "term", "15" → 15; a group → its mask; 0 if unknown. */
static uint64_t signal_mask(const char *s)
{
	int64_t num;

	for (size_t i = 0; i < sizeof(signal_groups) / sizeof(*signal_groups); i++)
		if (strcasecmp(s, signal_groups[i].name) == 0)
			return signal_groups[i].mask;
	if (str_to_i64(s, 1, 64, &num) == 0)
		return SIGBIT(num);
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < sizeof(signal_names) / sizeof(*signal_names); i++)
		if (strcasecmp(s, signal_names[i].name) == 0)
			return SIGBIT(signal_names[i].num);
	return 0;
}

static int lp_unix_rule(struct policy_lp *lp, const struct ydoc_node *rn,
			size_t idx, struct policy_unix_rule *ur)
{
	char where[YDOC_WHERE_MAX], w[YDOC_WHERE_MAX];
	struct policy_strv ops = {0};
	unsigned allowed = POLICY_DEC_BIT(POLICY_ALLOW) |
		POLICY_DEC_BIT(POLICY_DENY) | POLICY_DEC_BIT(POLICY_APPROVE) |
		POLICY_DEC_BIT(POLICY_AUDIT);
	int r;

	r = policy_lp_common(lp, rn, "unix_socket_rules", idx, allowed, &ur->c,
			     where, sizeof(where));
	ydoc_check_keys(lp->doc, rn, unix_rule_keys, policy_key_aliases, where,
			DIAG_ERROR, lp->d);
	snprintf(w, sizeof(w), "%s.paths", where);
	if (policy_lp_strv(lp, ydoc_map_get(rn, "paths"), w, &ur->paths) < 0)
		r = -EINVAL;
	snprintf(w, sizeof(w), "%s.operations", where);
	if (policy_lp_strv(lp, ydoc_map_get(rn, "operations"), w, &ops) < 0)
		r = -EINVAL;
	for (size_t i = 0; i < ops.n; i++) {
		size_t k;
		for (k = 0; k < POLICY_UNIX_OP_COUNT; k++)
			if (strcmp(ops.v[i], unix_op_names[k]) == 0)
				break;
		if (k < POLICY_UNIX_OP_COUNT) {
			ur->ops |= 1u << k;
			continue;
		}
		diag_add(lp->d, DIAG_ERROR, ydoc_file(lp->doc), ops.pos[i].line,
			 ops.pos[i].col, "bad-operation",
			 "%s[%zu]: unknown socket operation '%s' (expected "
			 "connect, bind, listen or sendto)", w, i, ops.v[i]);
		r = -EINVAL;
	}
	if (ops.n == 0)
		ur->ops = (1u << POLICY_UNIX_OP_COUNT) - 1;
	policy_strv_free(&ops);
	return r;
}

int policy_lp_unix_rules(struct policy_lp *lp, const struct ydoc_node *seq,
			 struct policy_src *src)
{
	int r = 0;

	if (ydoc_want_seq(lp->doc, seq, "unix_socket_rules", lp->d) < 0)
		return -EINVAL;
	src->unix_rules = calloc(seq->n ? seq->n : 1, sizeof(*src->unix_rules));
	if (src->unix_rules == NULL)
		return -ENOMEM;
	src->n_unix_rules = seq->n;
	for (size_t i = 0; i < seq->n; i++) {
		char w[64];
		snprintf(w, sizeof(w), "unix_socket_rules[%zu]", i);
		if (ydoc_want_map(lp->doc, seq->items[i], w, lp->d) < 0 ||
		    lp_unix_rule(lp, seq->items[i], i, &src->unix_rules[i]) < 0)
			r = -EINVAL;
	}
	return r;
}

static int lp_signal_target(struct policy_lp *lp, const struct ydoc_node *n,
			    const char *where, struct policy_signal_rule *sr)
{
	const struct ydoc_node *v;
	char w[YDOC_WHERE_MAX];
	size_t k;

	snprintf(w, sizeof(w), "%s.target", where);
	if (ydoc_want_map(lp->doc, n, w, lp->d) < 0)
		return -EINVAL;
	ydoc_check_keys(lp->doc, n, target_keys, NULL, w, DIAG_ERROR, lp->d);
	v = ydoc_map_get(n, "type");
	if (v && v->kind == YDOC_SCALAR) {
		for (k = 0; target_names[k]; k++)
			if (strcmp(v->str, target_names[k]) == 0)
				break;
		if (target_names[k] == NULL) {
			ydoc_error(lp->doc, v, lp->d, "bad-target",
				   "%s.type: unknown target '%s'", w, v->str);
			return -EINVAL;
		}
		sr->target = (enum policy_signal_target)k;
	}
	if ((v = ydoc_map_get(n, "pattern")) &&
	    ydoc_get_str(lp->doc, v, w, &sr->target_pattern, lp->d) < 0)
		return -EINVAL;
	if ((v = ydoc_map_get(n, "min")) &&
	    ydoc_get_i64(lp->doc, v, w, 0, INT32_MAX, &sr->target_min, lp->d) < 0)
		return -EINVAL;
	if ((v = ydoc_map_get(n, "max")) &&
	    ydoc_get_i64(lp->doc, v, w, 0, INT32_MAX, &sr->target_max, lp->d) < 0)
		return -EINVAL;
	return 0;
}

void policy_signal_rule_free(struct policy_signal_rule *r)
{
	policy_rule_common_free(&r->c);
	policy_strv_free(&r->signals);
	free(r->target_pattern);
}

static int lp_signal_rule(struct policy_lp *lp, const struct ydoc_node *rn,
			  size_t idx, struct policy_signal_rule *sr)
{
	char where[YDOC_WHERE_MAX], w[YDOC_WHERE_MAX];
	const struct ydoc_node *n;
	unsigned allowed = POLICY_DEC_BIT(POLICY_ALLOW) |
		POLICY_DEC_BIT(POLICY_DENY) | POLICY_DEC_BIT(POLICY_APPROVE) |
		POLICY_DEC_BIT(POLICY_AUDIT) | POLICY_DEC_BIT(POLICY_REDIRECT) |
		POLICY_DEC_BIT(POLICY_ABSORB);
	int r;

	r = policy_lp_common(lp, rn, "signal_rules", idx, allowed, &sr->c,
			     where, sizeof(where));
	ydoc_check_keys(lp->doc, rn, signal_rule_keys, policy_key_aliases,
			where, DIAG_ERROR, lp->d);
	snprintf(w, sizeof(w), "%s.signals", where);
	if (policy_lp_strv(lp, ydoc_map_get(rn, "signals"), w, &sr->signals) < 0)
		r = -EINVAL;
	for (size_t i = 0; i < sr->signals.n; i++) {
		uint64_t m = signal_mask(sr->signals.v[i]);
		if (m == 0) {
			diag_add(lp->d, DIAG_ERROR, ydoc_file(lp->doc),
				 sr->signals.pos[i].line, sr->signals.pos[i].col,
				 "bad-signal", "%s[%zu]: unknown signal '%s'",
				 w, i, sr->signals.v[i]);
			r = -EINVAL;
		}
		sr->sigmask |= m;
	}
	if ((n = ydoc_map_get(rn, "target")) &&
	    lp_signal_target(lp, n, where, sr) < 0)
		r = -EINVAL;
	if ((n = ydoc_map_get(rn, "fallback"))) {
		sr->has_fallback = true;
		if (policy_lp_decision(lp, n, where, allowed, &sr->fallback) < 0)
			r = -EINVAL;
	}
	if ((n = ydoc_map_get(rn, "redirect_to"))) {
		uint64_t m = n->kind == YDOC_SCALAR ? signal_mask(n->str) : 0;
		if (m == 0 || (m & (m - 1)) != 0) {
			ydoc_error(lp->doc, n, lp->d, "bad-signal",
				   "%s.redirect_to: expected one signal", where);
			r = -EINVAL;
		}
		sr->redirect_signal = m ? __builtin_ctzll(m) + 1 : 0;
	}
	return r;
}

int policy_lp_signal_rules(struct policy_lp *lp, const struct ydoc_node *seq,
			   struct policy_src *src)
{
	int r = 0;

	if (ydoc_want_seq(lp->doc, seq, "signal_rules", lp->d) < 0)
		return -EINVAL;
	src->signal_rules = calloc(seq->n ? seq->n : 1,
				   sizeof(*src->signal_rules));
	if (src->signal_rules == NULL)
		return -ENOMEM;
	src->n_signal_rules = seq->n;
	for (size_t i = 0; i < seq->n; i++) {
		char w[64];
		snprintf(w, sizeof(w), "signal_rules[%zu]", i);
		if (ydoc_want_map(lp->doc, seq->items[i], w, lp->d) < 0 ||
		    lp_signal_rule(lp, seq->items[i], i,
				   &src->signal_rules[i]) < 0)
			r = -EINVAL;
	}
	return r;
}

int policy_lp_limits(struct policy_lp *lp, const struct ydoc_node *map,
		     struct policy_limits *out)
{
	int64_t *ints[] = {
		&out->max_memory_mb, &out->memory_swap_max_mb,
		&out->cpu_quota_percent, &out->disk_read_bps_max,
		&out->disk_write_bps_max, &out->net_bandwidth_mbps,
		&out->pids_max,
	};
	int64_t *durs[] = {
		&out->command_timeout_ms, &out->session_timeout_ms,
		&out->idle_timeout_ms,
	};
	char w[YDOC_WHERE_MAX];
	int r = 0;

	for (size_t i = 0; i < 7; i++)
		*ints[i] = -1;
	for (size_t i = 0; i < 3; i++)
		*durs[i] = -1;
	if (map == NULL || ydoc_is_null(map))
		return 0;
	if (ydoc_want_map(lp->doc, map, "resource_limits", lp->d) < 0)
		return -EINVAL;
	ydoc_check_keys(lp->doc, map, limit_keys, NULL, "resource_limits",
			DIAG_ERROR, lp->d);
	for (size_t i = 0; i < 10; i++) {
		const struct ydoc_node *n = ydoc_map_get(map, limit_keys[i]);
		if (n == NULL)
			continue;
		snprintf(w, sizeof(w), "resource_limits.%s", limit_keys[i]);
		if (i < 7 ? ydoc_get_i64(lp->doc, n, w, 0, INT64_MAX / 2,
					 ints[i], lp->d) < 0 :
			    ydoc_get_duration(lp->doc, n, w, durs[i - 7],
					      lp->d) < 0)
			r = -EINVAL;
	}
	if (out->cpu_quota_percent > 100 * 1024) {
		ydoc_error(lp->doc, ydoc_map_get(map, "cpu_quota_percent"), lp->d,
			   "out-of-range", "resource_limits.cpu_quota_percent "
			   "is implausibly large");
		r = -EINVAL;
	}
	return r;
}

int policy_lp_env(struct policy_lp *lp, const struct ydoc_node *map,
		  struct policy_env *out)
{
	const struct ydoc_node *n;
	int r = 0;

	memset(out, 0, sizeof(*out));
	out->max_bytes = out->max_keys = -1;
	if (map == NULL || ydoc_is_null(map))
		return 0;
	if (ydoc_want_map(lp->doc, map, "env_policy", lp->d) < 0)
		return -EINVAL;
	out->present = true;
	ydoc_check_keys(lp->doc, map, env_keys, NULL, "env_policy", DIAG_ERROR,
			lp->d);
	if (policy_lp_strv(lp, ydoc_map_get(map, "allow"), "env_policy.allow",
			   &out->allow) < 0 ||
	    policy_lp_strv(lp, ydoc_map_get(map, "deny"), "env_policy.deny",
			   &out->deny) < 0)
		r = -EINVAL;
	if ((n = ydoc_map_get(map, "max_bytes")) &&
	    ydoc_get_i64(lp->doc, n, "env_policy.max_bytes", 0, INT32_MAX,
			 &out->max_bytes, lp->d) < 0)
		r = -EINVAL;
	if ((n = ydoc_map_get(map, "max_keys")) &&
	    ydoc_get_i64(lp->doc, n, "env_policy.max_keys", 0, INT32_MAX,
			 &out->max_keys, lp->d) < 0)
		r = -EINVAL;
	if ((n = ydoc_map_get(map, "block_iteration")) &&
	    ydoc_get_bool(lp->doc, n, "env_policy.block_iteration",
			  &out->block_iteration, lp->d) < 0)
		r = -EINVAL;
	return r;
}

int policy_lp_audit(struct policy_lp *lp, const struct ydoc_node *map,
		    struct policy_audit *out)
{
	bool *flags[] = {
		&out->log_allowed, &out->log_denied, &out->log_approved,
		&out->include_stdout, &out->include_stderr,
		&out->include_file_content,
	};
	char w[YDOC_WHERE_MAX];
	int r = 0;

	out->log_allowed = out->log_denied = out->log_approved = true;
	out->retention_days = -1;
	if (map == NULL || ydoc_is_null(map))
		return 0;
	if (ydoc_want_map(lp->doc, map, "audit", lp->d) < 0)
		return -EINVAL;
	ydoc_check_keys(lp->doc, map, audit_keys, NULL, "audit", DIAG_ERROR,
			lp->d);
	for (size_t i = 0; i < 6; i++) {
		const struct ydoc_node *n = ydoc_map_get(map, audit_keys[i]);
		snprintf(w, sizeof(w), "audit.%s", audit_keys[i]);
		if (n && ydoc_get_bool(lp->doc, n, w, flags[i], lp->d) < 0)
			r = -EINVAL;
	}
	if (ydoc_map_get(map, "retention_days") &&
	    ydoc_get_i64(lp->doc, ydoc_map_get(map, "retention_days"),
			 "audit.retention_days", 0, 100000, &out->retention_days,
			 lp->d) < 0)
		r = -EINVAL;
	return r;
}
