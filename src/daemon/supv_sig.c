/*
 * Signals from the session's processes: signal_rules in order, first
 * match wins (allow, audit, deny, absorb, redirect; approve has no
 * approver here and denies). Without signal_rules: the session's own
 * processes may be signalled, nothing outside; with rules and none
 * matching, deny, as the original does.
 */
#include "daemon/supv.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit.h"
#include "daemon/daemon.h"

#define SUPV_SYSTEM_UID_MAX 999 /* targets below this uid are "system" */

/* Owner uid of a process (its /proc/<pid>), or -1. */
static long supv_uid_of(pid_t pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	return stat(path, &st) == 0 ? (long)st.st_uid : -1;
}

static bool supv_comm_matches(pid_t pid, const char *pattern)
{
	char path[64], comm[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, comm, sizeof(comm) - 1);
	close(fd);
	if (n <= 0)
		return false;
	comm[n] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
	return pattern && fnmatch(pattern, comm, 0) == 0;
}

/* Is a an ancestor of b (b's parent chain reaches a)? */
static bool supv_ancestor(pid_t a, pid_t b)
{
	pid_t pp = 0;

	for (int i = 0; i < SESSION_ANCESTRY_MAX && b > 1; i++) {
		if (supv_stat(b, &pp, NULL) < 0)
			return false;
		if (pp == a)
			return true;
		b = pp;
	}
	return false;
}

static bool supv_target_is(struct supv_listener *l, pid_t me, pid_t t,
			   const struct policy_signal_rule *r)
{
	pid_t my_pp = 0, t_pp = 0;

	supv_stat(me, &my_pp, NULL);
	supv_stat(t, &t_pp, NULL);
	switch (r->target) {
	case POLICY_SIG_ANY: return true;
	case POLICY_SIG_SELF: return t == me;
	case POLICY_SIG_CHILDREN: return t_pp == me;
	case POLICY_SIG_DESCENDANTS: return supv_ancestor(me, t);
	case POLICY_SIG_SIBLINGS: return t != me && t_pp == my_pp;
	case POLICY_SIG_SESSION: return supv_in_tree(l, t);
	case POLICY_SIG_PARENT: return t == my_pp;
	case POLICY_SIG_EXTERNAL: return !supv_in_tree(l, t);
	case POLICY_SIG_SYSTEM:
		return t == 1 || (supv_uid_of(t) >= 0 &&
				  supv_uid_of(t) <= SUPV_SYSTEM_UID_MAX &&
				  !supv_in_tree(l, t));
	case POLICY_SIG_USER: return supv_uid_of(t) == supv_uid_of(me);
	case POLICY_SIG_PROCESS: return supv_comm_matches(t, r->target_pattern);
	case POLICY_SIG_PID_RANGE:
		return t >= r->target_min && t <= r->target_max;
	}
	return false;
}

static void supv_sig_event(struct supv_listener *l, pid_t pid,
			   const struct sup_kill_req *r, const char *rule,
			   const char *decision, const char *effective)
{
	struct audit_event ev = {0};
	char fields[96];

	ev.type = "signal";
	ev.session_id = l->sid;
	ev.pid = (int)pid;
	ev.decision = decision;
	ev.effective = effective;
	ev.rule = rule;
	snprintf(fields, sizeof(fields), "{\"target\":%d,\"signal\":%d}",
		 (int)r->target, r->sig);
	ev.fields_json = fields;
	daemon_event(l->d, &ev);
}

/* What a matching rule does; a redirect is sent here and absorbed. */
static enum sup_verdict supv_sig_apply(const struct policy_signal_rule *r,
				       pid_t target)
{
	switch (r->c.decision) {
	case POLICY_ALLOW:
	case POLICY_AUDIT:
		return SUP_ALLOW;
	case POLICY_ABSORB:
		return SUP_ABSORB;
	case POLICY_REDIRECT:
		if (r->redirect_signal <= 0 || kill(target, r->redirect_signal) < 0)
			return SUP_DENY;
		return SUP_ABSORB;
	default:
		return SUP_DENY;
	}
}

/* Process groups (target < 0) are judged by their leader; kill(-1) never. */
enum sup_verdict supv_on_kill(void *arg, pid_t pid,
			      const struct sup_kill_req *r)
{
	struct supv_listener *l = arg;
	struct session *s = supv_session(l);
	const struct policy_src *src = s ? s->src : NULL;
	pid_t t = r->target < 0 ? -r->target : r->target;
	enum sup_verdict v;

	if (s == NULL || r->target == -1) {
		supv_sig_event(l, pid, r, "signal-all", "deny", "deny");
		return SUP_DENY;
	}
	if (r->target == 0 || r->sig == 0 || !src || src->n_signal_rules == 0) {
		/* Own group, existence probes, or no rules: the session's own. */
		if (r->target == 0 || supv_in_tree(l, t))
			return SUP_ALLOW;
		supv_sig_event(l, pid, r, "signal-outside-session", "deny", "deny");
		return SUP_DENY;
	}
	for (size_t i = 0; i < src->n_signal_rules; i++) {
		const struct policy_signal_rule *sr = &src->signal_rules[i];
		if (r->sig < 1 || r->sig > 64 ||
		    !(sr->sigmask & (1ull << (r->sig - 1))) ||
		    !supv_target_is(l, pid, t, sr))
			continue;
		v = supv_sig_apply(sr, t);
		if (v != SUP_ALLOW || sr->c.decision == POLICY_AUDIT)
			supv_sig_event(l, pid, r, sr->c.name,
				       policy_decision_name(sr->c.decision),
				       v == SUP_DENY ? "deny" : "allow");
		return v;
	}
	supv_sig_event(l, pid, r, "default-deny-signals", "deny", "deny");
	return SUP_DENY;
}
