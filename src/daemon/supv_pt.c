/*
 * The ptrace mode, where user-notify is unavailable: the daemon's tracer
 * thread decides every exec of the shells it seized. Decisions run on that
 * thread, not on the loop (which may itself be waiting in ptracer_attach),
 * so they touch only what is safe there: the session's compiled policy
 * (immutable; the tracer has its own scratch context), the audit log
 * (thread-safe) and a table of live sessions under a mutex, which the loop
 * clears before it frees a session.
 */
#include "daemon/supv.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "audit/audit.h"
#include "common/log.h"
#include "common/str.h"
#include "daemon/daemon.h"
#include "ptracer/ptracer.h"

#define SUPV_PT_SESSIONS_MAX 256 /* sessions with traced shells at once */

static void supv_pt_resolve(pid_t pid, const char *abs, char *out, size_t n);

struct supv_pt_entry {
	uint64_t cookie;
	char sid[SESSION_ID_MAX];
	const struct policy *policy; /* the session's; valid while live */
	bool live;
};

struct supv_pt {
	struct daemon *d;
	struct ptracer *t;
	pthread_mutex_t mu;
	struct supv_pt_entry e[SUPV_PT_SESSIONS_MAX];
	uint64_t next_cookie;
	struct policy_ctx *ctx; /* the tracer thread's */
};

/* The descriptor number of "/proc/{self,<pid>}/fd/N" or "/dev/fd/N". */
static int supv_pt_fd_path(pid_t pid, const char *abs)
{
	char pre[64], *end;
	const char *p = NULL;
	long v;

	snprintf(pre, sizeof(pre), "/proc/%d/fd/", (int)pid);
	if (strncmp(abs, pre, strlen(pre)) == 0)
		p = abs + strlen(pre);
	else if (strncmp(abs, "/proc/self/fd/", 14) == 0)
		p = abs + 14;
	else if (strncmp(abs, "/dev/fd/", 8) == 0)
		p = abs + 8;
	if (p == NULL)
		return -1;
	errno = 0;
	v = strtol(p, &end, 10);
	return errno || *end || end == p || v < 0 || v > 1 << 20 ? -1 : (int)v;
}

/*
 * What abs really is, seen from pid's root (links followed); one of the
 * process's own descriptors is what it refers to. false: no path at all
 * (a memfd or a deleted file).
 */
static bool supv_pt_real(pid_t pid, const char *abs, char *out, size_t n)
{
	char link[64];
	int fdn = supv_pt_fd_path(pid, abs);
	ssize_t r;

	if (fdn >= 0) {
		snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)pid, fdn);
		r = readlink(link, out, n - 1);
		if (r <= 0 || out[0] != '/')
			return false;
		out[r] = '\0';
		return strstr(out, " (deleted)") == NULL;
	}
	supv_pt_resolve(pid, abs, out, n);
	return true;
}

static void supv_pt_resolve(pid_t pid, const char *abs, char *out, size_t n)
{
	struct open_how h = {O_PATH | O_CLOEXEC, 0,
			     RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	char root[64], link[64];
	int rfd, fd;
	ssize_t r = -1;

	str_lcpy(out, abs, n);
	snprintf(root, sizeof(root), "/proc/%d/root", (int)pid);
	rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		return;
	fd = (int)syscall(SYS_openat2, rfd, abs, &h, sizeof(h));
	close(rfd);
	if (fd < 0)
		return;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	r = readlink(link, out, n - 1);
	close(fd);
	if (r > 0 && out[0] == '/')
		out[r] = '\0';
	else
		str_lcpy(out, abs, n);
}

/* The root's first exec is the shim's hand-over: only to a real shell. */
static bool supv_pt_real_shell(const struct ptracer_exec *e)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/root%s", (int)e->pid, e->abs);
	return stat(path, &st) == 0 &&
	       supv_is_real_shell(e->pid, (uint64_t)st.st_dev,
				  (uint64_t)st.st_ino);
}

static bool supv_pt_check(struct supv_pt *pt, const struct policy *p,
			  const char *path, const struct ptracer_exec *e,
			  int depth, struct policy_verdict *v)
{
	struct policy_exec_req er = {path, e->argv, e->argc, depth};

	if (policy_check_exec(p, pt->ctx, &er, v) < 0)
		return false;
	return v->effective == POLICY_ALLOW && v->decision != POLICY_REDIRECT;
}

static void supv_pt_event(struct supv_pt *pt, const char *sid,
			  const struct ptracer_exec *e, const char *path,
			  const struct policy_verdict *v, const char *msg)
{
	struct audit_event ev = {0};
	char fields[64];

	snprintf(fields, sizeof(fields), "{\"depth\":%d,\"mode\":\"ptrace\"}",
		 e->depth - 1);
	ev.type = "command_policy";
	ev.session_id = sid;
	ev.pid = (int)e->pid;
	ev.decision = policy_decision_name(v->decision);
	ev.effective = policy_decision_name(v->effective);
	ev.rule = v->rule;
	ev.message = msg;
	ev.path = path;
	ev.operation = "supervisor_exec";
	ev.fields_json = fields;
	audit_emit(pt->d->audit, &ev, NULL);
}

static struct supv_pt_entry *supv_pt_find(struct supv_pt *pt, uint64_t c)
{
	for (size_t i = 0; i < SUPV_PT_SESSIONS_MAX; i++)
		if (pt->e[i].live && pt->e[i].cookie == c)
			return &pt->e[i];
	return NULL;
}

/* The shim handing over to the real shell, then the policy. */
static bool supv_pt_decide(struct supv_pt *pt, struct supv_pt_entry *en,
			   const struct ptracer_exec *e, char *msg, size_t n)
{
	struct policy_render_args ra = {0};
	struct policy_verdict v;
	char real[PATH_MAX];
	const char *b = strrchr(e->abs, '/');
	size_t bl;
	bool ok;

	b = b ? b + 1 : e->abs;
	bl = strlen(b);
	if (e->depth == 0 && bl > 5 && strcmp(b + bl - 5, ".real") == 0 &&
	    supv_pt_real_shell(e))
		return true;
	if (e->unlinked || e->argv_truncated ||
	    !supv_pt_real(e->pid, e->abs, real, sizeof(real))) {
		struct policy_verdict dv = {.decision = POLICY_DENY,
					    .effective = POLICY_DENY,
					    .rule = "supervisor"};
		const char *why = e->argv_truncated ? "the command line is too "
			"long to be checked" : "a program without a path (memfd "
			"or deleted file) may not run";
		supv_pt_event(pt, en->sid, e, e->abs, &dv, why);
		snprintf(msg, n, "agentsh: denied by rule supervisor: %s\n", why);
		return false;
	}
	ok = supv_pt_check(pt, en->policy, real, e, e->depth - 1, &v);
	if (ok && strcmp(real, e->abs) != 0)
		ok = supv_pt_check(pt, en->policy, e->abs, e, e->depth - 1, &v);
	ra.command = real;
	policy_render_message(&v, &ra, msg, n);
	supv_pt_event(pt, en->sid, e, real, &v, msg);
	if (!ok) {
		char line[POLICY_MESSAGE_MAX + 300];
		snprintf(line, sizeof(line), "agentsh: denied by rule %s: %s\n",
			 v.rule, msg);
		str_lcpy(msg, line, n);
	}
	return ok;
}

static bool supv_pt_exec(void *arg, const struct ptracer_exec *e)
{
	struct supv_pt *pt = arg;
	struct supv_pt_entry *en;
	char msg[POLICY_MESSAGE_MAX + 300];
	bool ok = false;

	msg[0] = '\0';
	pthread_mutex_lock(&pt->mu);
	en = supv_pt_find(pt, e->cookie);
	if (en == NULL)
		str_lcpy(msg, "agentsh: the session has ended; nothing more may "
			 "run\n", sizeof(msg));
	else
		ok = supv_pt_decide(pt, en, e, msg, sizeof(msg));
	pthread_mutex_unlock(&pt->mu);
	if (!ok)
		supv_tell(e->pid, msg);
	return ok;
}

static const struct ptracer_ops supv_pt_ops = {.exec = supv_pt_exec};

static struct supv_pt *supv_pt_get(struct daemon *d)
{
	struct supv_pt *pt = d->pt;

	if (pt)
		return pt;
	pt = calloc(1, sizeof(*pt));
	if (pt == NULL)
		return NULL;
	pt->d = d;
	pt->ctx = policy_ctx_new();
	pthread_mutex_init(&pt->mu, NULL);
	pt->t = pt->ctx ? ptracer_new(&supv_pt_ops, pt) : NULL;
	if (pt->t == NULL) {
		policy_ctx_free(pt->ctx);
		pthread_mutex_destroy(&pt->mu);
		free(pt);
		return NULL;
	}
	d->pt = pt;
	return pt;
}

int supv_pt_attach(struct daemon *d, struct session *s, pid_t pid)
{
	struct supv_pt *pt = supv_pt_get(d);
	struct supv_pt_entry *slot = NULL;
	uint64_t cookie = 0;

	if (pt == NULL)
		return -ENOMEM;
	pthread_mutex_lock(&pt->mu);
	for (size_t i = 0; i < SUPV_PT_SESSIONS_MAX && !cookie; i++) {
		if (pt->e[i].live && strcmp(pt->e[i].sid, s->id) == 0)
			cookie = pt->e[i].cookie;
		else if (!pt->e[i].live && slot == NULL)
			slot = &pt->e[i];
	}
	if (!cookie && slot) {
		cookie = slot->cookie = ++pt->next_cookie;
		str_lcpy(slot->sid, s->id, sizeof(slot->sid));
		slot->policy = s->policy;
		slot->live = true;
	}
	pthread_mutex_unlock(&pt->mu);
	if (!cookie)
		return -EMFILE;
	return ptracer_attach(pt->t, pid, cookie);
}

void supv_pt_session_gone(struct daemon *d, const char *sid)
{
	struct supv_pt *pt = d->pt;

	if (pt == NULL)
		return;
	pthread_mutex_lock(&pt->mu);
	for (size_t i = 0; i < SUPV_PT_SESSIONS_MAX; i++)
		if (pt->e[i].live && strcmp(pt->e[i].sid, sid) == 0)
			pt->e[i].live = false;
	pthread_mutex_unlock(&pt->mu);
}

void supv_pt_free(struct daemon *d)
{
	struct supv_pt *pt = d->pt;

	if (pt == NULL)
		return;
	/* Tracees die with us (EXITKILL) in any case: fail closed. */
	ptracer_free(pt->t, PTRACER_FREE_KILL);
	policy_ctx_free(pt->ctx);
	pthread_mutex_destroy(&pt->mu);
	free(pt);
	d->pt = NULL;
}
