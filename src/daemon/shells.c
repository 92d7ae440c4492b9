/*
 * Shells started through the shim run in place, not as our children. The
 * daemon still gives each top-level one the policy's cgroup limits and,
 * for scripts (not interactive or streaming shells), its command_timeout:
 * the shell's pidfd tells us when it exits; its cgroup is removed once
 * nothing is left in it (background jobs may outlive the shell).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "audit/audit.h"
#include "daemon/shells.h"
#include "limits/limits.h"

struct shell {
	struct daemon *d;
	struct shell *next;
	char session[SESSION_ID_MAX];
	pid_t pid;
	int pidfd;
	struct limits_cmd *cg;
	struct loop_timer *timeout;
	bool exited;
};

/* Live trackers; the daemon has one loop thread. */
static struct shell *shells_head;

static void shells_unlink(struct shell *sh)
{
	for (struct shell **pp = &shells_head; *pp; pp = &(*pp)->next) {
		if (*pp == sh) {
			*pp = sh->next;
			return;
		}
	}
}

static void shells_free(struct shell *sh)
{
	if (sh->timeout)
		loop_timer_cancel(sh->d->loop, sh->timeout);
	if (sh->pidfd >= 0) {
		loop_del_fd(sh->d->loop, sh->pidfd);
		close(sh->pidfd);
	}
	shells_unlink(sh);
	free(sh);
}

static void shells_on_timeout(struct loop *l, void *arg)
{
	struct shell *sh = arg;
	struct audit_event ev = {0};

	(void)l;
	sh->timeout = NULL;
	if (sh->cg)
		limits_cmd_kill(sh->cg);
	else
		kill(sh->pid, SIGKILL);
	ev.type = "command_timeout";
	ev.session_id = sh->session;
	ev.pid = sh->pid;
	daemon_event(sh->d, &ev);
}

/* The shell is gone: keep the group while background jobs live in it. */
static void shells_on_exit(struct loop *l, int fd, uint32_t ev, void *arg)
{
	struct shell *sh = arg;

	(void)l;
	(void)fd;
	(void)ev;
	sh->exited = true;
	loop_del_fd(sh->d->loop, sh->pidfd);
	close(sh->pidfd);
	sh->pidfd = -1;
	if (sh->timeout) {
		loop_timer_cancel(sh->d->loop, sh->timeout);
		sh->timeout = NULL;
	}
	if (sh->cg == NULL || limits_cmd_remove(sh->cg) == 0) {
		limits_cmd_free(sh->cg);
		shells_free(sh);
	}
}

void shells_sweep(struct daemon *d)
{
	struct shell *sh = shells_head, *next;

	for (; sh; sh = next) {
		next = sh->next;
		if (sh->exited && (sh->cg == NULL ||
				   limits_cmd_remove(sh->cg) == 0)) {
			limits_cmd_free(sh->cg);
			shells_free(sh);
		}
	}
}

struct limits_env *daemon_limits(struct daemon *d)
{
	/* Probed on first use, so that start-up stays in milliseconds. */
	if (!d->limits_probed) {
		d->limits_probed = true;
		if (limits_probe(&d->limits) < 0)
			d->limits = NULL;
	}
	return d->limits;
}

/* The policy's cgroup for one shell or command; NULL when none applies. */
struct limits_cmd *daemon_cgroup(struct daemon *d, struct session *s,
				 const char *leaf)
{
	const struct policy_limits *l = &policy_source(s->policy)->limits;
	struct limits_cmd *cg = NULL;
	struct policy_limits eff;
	char name[LIMITS_NAME_MAX];
	struct limits_env *env;

	if (l->max_memory_mb < 0 && l->cpu_quota_percent < 0 && l->pids_max < 0)
		return NULL;
	if ((env = daemon_limits(d)) == NULL)
		return NULL;
	limits_filter(env, l, &eff);
	snprintf(name, sizeof(name), "agentsh/%s/%s", s->id, leaf);
	if (limits_cmd_new(env, name, &eff, &cg) < 0)
		return NULL;
	return cg;
}

int shells_track(struct daemon *d, struct session *s, pid_t pid,
		 int64_t timeout_ms)
{
	struct shell *sh;
	char leaf[32];

	for (sh = shells_head; sh; sh = sh->next)
		if (sh->pid == pid && !sh->exited)
			return 0; /* one tracker per process */
	sh = calloc(1, sizeof(*sh));
	if (sh == NULL)
		return -ENOMEM;
	sh->d = d;
	sh->pid = pid;
	snprintf(sh->session, sizeof(sh->session), "%s", s->id);
	snprintf(leaf, sizeof(leaf), "sh-%d", (int)pid);
	sh->cg = daemon_cgroup(d, s, leaf);
	if (sh->cg && limits_cmd_attach(sh->cg, pid) < 0) {
		limits_cmd_free(sh->cg);
		sh->cg = NULL;
	}
	sh->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (sh->pidfd < 0 ||
	    loop_add_fd(d->loop, sh->pidfd, EPOLLIN, shells_on_exit, sh) < 0) {
		if (sh->pidfd >= 0)
			close(sh->pidfd);
		limits_cmd_free(sh->cg);
		free(sh);
		return -errno;
	}
	if (timeout_ms > 0)
		sh->timeout = loop_timer_add(d->loop, timeout_ms, shells_on_timeout, sh);
	sh->next = shells_head;
	shells_head = sh;
	return 0;
}

void shells_stop(struct daemon *d)
{
	(void)d;
	while (shells_head) {
		struct shell *sh = shells_head;
		/* Empty groups go; processes still running are left alone. */
		if (sh->cg && limits_cmd_remove(sh->cg) == 0)
			limits_cmd_free(sh->cg);
		shells_free(sh);
	}
}
