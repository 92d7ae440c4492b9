/*
 * Exec decisions at every depth. A process that exec'd a command is
 * remembered with the depth it ran at; a later exec by it or by any of
 * its descendants is one deeper. The top-level shell is the agent's own
 * vehicle: what it runs is direct (depth 0). Transparent wrappers (env,
 * nice, timeout, ...) are not remembered, so `env sudo id` judges sudo at
 * the depth env had, as the original does.
 */
#include "daemon/supv.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit.h"
#include "common/str.h"
#include "daemon/daemon.h"
#include "daemon/precheck.h"

static const char *const supv_wrappers[] = {
	"env", "nice", "nohup", "timeout", "stdbuf", "setsid", "xargs",
	"ionice", "chrt", "taskset", "busybox", NULL,
};

static const char *supv_base(const char *p)
{
	const char *b = strrchr(p, '/');

	return b ? b + 1 : p;
}

static bool supv_is_wrapper(const char *path)
{
	const char *b = supv_base(path);

	for (size_t i = 0; supv_wrappers[i]; i++)
		if (strcmp(b, supv_wrappers[i]) == 0)
			return true;
	return false;
}

static struct supv_proc *supv_find(struct supv_listener *l, pid_t pid,
				   uint64_t start)
{
	for (size_t i = 0; i < l->nprocs; i++)
		if (l->procs[i].pid == pid && l->procs[i].start == start)
			return &l->procs[i];
	return NULL;
}

/* One more than the nearest remembered ancestor (or pid itself); 0 when
 * none is remembered up to the root. */
static int supv_depth(struct supv_listener *l, pid_t pid)
{
	struct supv_proc *p;
	uint64_t start;
	pid_t pp = 0;

	for (int i = 0; i < SESSION_ANCESTRY_MAX && pid > 1; i++) {
		if (supv_stat(pid, &pp, &start) < 0)
			return 0;
		if ((p = supv_find(l, pid, start)) != NULL)
			return p->depth + 1;
		if (pid == l->root)
			return 0;
		pid = pp;
	}
	return 0;
}

/* Forget processes that are gone; 0 when there is room. */
static int supv_compact(struct supv_listener *l)
{
	size_t k = 0;
	uint64_t start;

	for (size_t i = 0; i < l->nprocs; i++)
		if (supv_stat(l->procs[i].pid, NULL, &start) == 0 &&
		    start == l->procs[i].start)
			l->procs[k++] = l->procs[i];
	l->nprocs = k;
	return k < SUPV_PROCS_MAX ? 0 : -ENOSPC;
}

static int supv_record(struct supv_listener *l, pid_t pid, int depth)
{
	struct supv_proc *p;
	uint64_t start;

	if (supv_stat(pid, NULL, &start) < 0)
		return -ESRCH;
	if ((p = supv_find(l, pid, start)) != NULL) {
		p->depth = depth;
		return 0;
	}
	if (l->nprocs == SUPV_PROCS_MAX && supv_compact(l) < 0)
		return -ENOSPC;
	l->procs[l->nprocs++] = (struct supv_proc){pid, start, depth};
	return 0;
}

/* Where `agentsh shim install-shell` puts the real shells. */
static const char *const supv_real_shells[] = {
	"/usr/bin/bash.real", "/usr/bin/sh.real", "/bin/bash.real",
	"/bin/sh.real", NULL,
};

/* Is the file r names one of the installed real shells (seen from the
 * target's root)? The shim finds its real shell next to its argv[0],
 * which the caller chooses, so the name alone proves nothing. */
bool supv_is_real_shell(pid_t pid, uint64_t dev, uint64_t ino)
{
	char path[PATH_MAX];
	struct stat st;

	for (size_t i = 0; supv_real_shells[i]; i++) {
		snprintf(path, sizeof(path), "/proc/%d/root%s", (int)pid,
			 supv_real_shells[i]);
		if (stat(path, &st) == 0 && (uint64_t)st.st_dev == dev &&
		    (uint64_t)st.st_ino == ino)
			return true;
	}
	return false;
}

/* The shim (trusted code) exec'ing the real shell it was put in front of. */
static bool supv_shim_handoff(struct supv_listener *l, pid_t pid,
			      const struct sup_exec_req *r)
{
	char link[64], exe[PATH_MAX];
	const char *b = supv_base(r->abs);
	size_t bl = strlen(b);
	ssize_t n;

	if (bl < 6 || strcmp(b + bl - 5, ".real") != 0 || !l->shim_exe[0])
		return false;
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	n = readlink(link, exe, sizeof(exe) - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	return strcmp(exe, l->shim_exe) == 0 && supv_is_real_shell(pid, r->dev, r->ino);
}

/* The supervisor's own refusals (no policy rule): recorded here. */
static void supv_deny_event(struct precheck *pc, pid_t pid, const char *path,
			    const char *why)
{
	struct audit_event ev = {0};

	ev.type = "command_policy";
	ev.session_id = pc->s->id;
	ev.pid = (int)pid;
	ev.decision = ev.effective = "deny";
	ev.rule = "supervisor";
	ev.message = why;
	ev.path = path;
	ev.operation = "supervisor_exec";
	daemon_event(pc->d, &ev);
}

static void supv_deny_msg(struct precheck *pc, pid_t pid, const char *why)
{
	char line[POLICY_MESSAGE_MAX + 300];

	if (why) {
		pc->v.rule = "supervisor";
		str_lcpy(pc->msg, why, sizeof(pc->msg));
	}
	precheck_deny_line(pc, line, sizeof(line));
	supv_tell(pid, line);
}

/* The policy on the file, on the name it was called by, and on a script's
 * interpreter; a redirect cannot be applied here and is refused. */
static bool supv_exec_decide(struct precheck *pc, const struct sup_exec_req *r,
			     int depth)
{
	char *const *argv = (char *const *)(uintptr_t)r->argv;
	char *iargv[2];
	bool ok = precheck_cmd(pc, r->real, argv, r->argc, depth);

	if (ok && strcmp(supv_base(r->real), supv_base(r->abs)) != 0)
		ok = precheck_cmd(pc, r->abs, argv, r->argc, depth);
	if (ok && r->interp) {
		iargv[0] = (char *)(uintptr_t)r->interp;
		iargv[1] = (char *)(uintptr_t)r->real;
		ok = precheck_cmd(pc, r->interp, iargv, 2, depth);
	}
	if (ok && pc->v.decision == POLICY_REDIRECT) {
		snprintf(pc->msg, sizeof(pc->msg), "%s must be run as its "
			 "replacement '%s' (policy redirect); a process it "
			 "starts cannot be swapped safely", supv_base(r->real),
			 pc->v.cmd_rule->redirect->command);
		ok = false;
	}
	return ok;
}

bool supv_on_exec(void *arg, pid_t pid, const struct sup_exec_req *r)
{
	struct supv_listener *l = arg;
	struct precheck pc = {.operation = "supervisor_exec", .pid = pid};
	int depth;
	bool ok;

	pc.d = l->d;
	pc.s = supv_session(l);
	if (pc.s == NULL) {
		supv_tell(pid, "agentsh: the session has ended; nothing more "
			  "may run\n");
		return false;
	}
	if (!r->anonymous && supv_shim_handoff(l, pid, r))
		return true;
	if (r->anonymous || r->real == NULL || r->argv_truncated) {
		const char *why = r->argv_truncated ?
			"the command line is too long to be checked" :
			"a program without a path (memfd or deleted file) may "
			"not run";
		supv_deny_event(&pc, pid, r->abs, why);
		supv_deny_msg(&pc, pid, why);
		return false;
	}
	depth = supv_depth(l, pid);
	ok = supv_exec_decide(&pc, r, depth);
	precheck_release(&pc);
	if (ok && ((!supv_is_wrapper(r->real) && supv_record(l, pid, depth) < 0) ||
		   supv_expect_exec(l, pid, r) < 0))
		ok = false, supv_deny_msg(&pc, pid, "too many processes to "
					  "track; denied");
	else if (!ok)
		supv_deny_msg(&pc, pid, NULL);
	pc.s->commands++;
	return ok;
}
