/*
 * Shells started through the shim run in place, not as our children. The
 * daemon still gives each top-level one the policy's cgroup limits and,
 * for scripts (not interactive or streaming shells), its command_timeout:
 * the shell's pidfd tells us when it exits; its cgroup is removed once
 * nothing is left in it (background jobs may outlive the shell).
 *
 * The cgroup work runs on a limits worker thread, after the shim has its
 * answer: moving a running process between cgroups can wait for an RCU
 * grace period in the kernel, which the shell and this loop would
 * otherwise both pay. The shell is therefore placed a few milliseconds
 * after it starts, together with whatever it forked by then. Each tracker
 * has at most one job in flight, so its cgroup is only ever touched by the
 * worker while a job runs and by this loop thread otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "audit/audit.h"
#include "common/log.h"
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
	bool busy;     /* a worker job for this shell is in flight */
	bool kill_cg;  /* timed out: kill the group once it is ours again */
};

/* Live trackers and the worker; the daemon has one loop thread. */
static struct shell *shells_head;
static struct limits_worker *shells_worker;

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

/* Hand the shell's cgroup to the worker for op; false if not queued. */
static bool shells_submit(struct shell *sh, enum limits_job_op op)
{
	struct limits_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return false;
	j->op = op;
	j->cmd = sh->cg;
	j->pidfd = -1;
	j->arg = sh;
	if (limits_worker_submit(shells_worker, j) < 0) {
		free(j);
		return false;
	}
	sh->cg = NULL;
	sh->busy = true;
	return true;
}

/* What to do next once no job is in flight: kill, remove, forget. */
static void shells_next(struct shell *sh)
{
	if (sh->busy)
		return;
	if (sh->kill_cg && sh->cg) {
		sh->kill_cg = false;
		if (shells_submit(sh, LIMITS_JOB_KILL))
			return;
	}
	sh->kill_cg = false;
	if (!sh->exited)
		return;
	if (sh->cg == NULL)
		shells_free(sh);
	else
		shells_submit(sh, LIMITS_JOB_REMOVE);
}

/* Finished jobs: the cgroup is ours again; act on what happened since. */
static void shells_on_done(struct loop *l, int fd, uint32_t ev, void *arg)
{
	struct limits_job *j, *next;

	(void)l;
	(void)fd;
	(void)ev;
	(void)arg;
	for (j = limits_worker_done(shells_worker); j != NULL; j = next) {
		struct shell *sh = j->arg;

		next = j->next;
		if (j->op == LIMITS_JOB_PLACE && j->result < 0 &&
		    j->result != -ESRCH)
			log_msg(LOG_LVL_WARN, "cannot limit shell %d: %s",
				(int)sh->pid, strerror(-j->result));
		sh->cg = j->cmd;
		sh->busy = false;
		/* A remove that found processes waits for shells_sweep. */
		if (j->op != LIMITS_JOB_REMOVE || sh->cg == NULL)
			shells_next(sh);
		free(j);
	}
}

static void shells_on_timeout(struct loop *l, void *arg)
{
	struct shell *sh = arg;
	struct audit_event ev = {0};

	(void)l;
	sh->timeout = NULL;
	/* The shell at once; its group (maybe still being made) after. */
	if (sh->pidfd >= 0)
		syscall(SYS_pidfd_send_signal, sh->pidfd, SIGKILL, NULL, 0);
	sh->kill_cg = true;
	shells_next(sh);
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
	shells_next(sh);
}

void shells_sweep(struct daemon *d)
{
	struct shell *sh = shells_head, *next;

	(void)d;
	for (; sh; sh = next) {
		next = sh->next;
		shells_next(sh);
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

/* Name and limits of the session's cgroup for leaf; NULL when none. */
static struct limits_env *shells_spec(struct daemon *d, struct session *s,
				      const char *leaf, char *name, size_t n,
				      struct policy_limits *eff)
{
	const struct policy_limits *l = &policy_source(s->policy)->limits;
	struct limits_env *env;

	if (l->max_memory_mb < 0 && l->cpu_quota_percent < 0 && l->pids_max < 0)
		return NULL;
	if ((env = daemon_limits(d)) == NULL)
		return NULL;
	limits_filter(env, l, eff);
	snprintf(name, n, "agentsh/%s/%s", s->id, leaf);
	return env;
}

/* The policy's cgroup for one shell or command; NULL when none applies. */
struct limits_cmd *daemon_cgroup(struct daemon *d, struct session *s,
				 const char *leaf)
{
	struct limits_cmd *cg = NULL;
	struct policy_limits eff;
	char name[LIMITS_NAME_MAX];
	struct limits_env *env = shells_spec(d, s, leaf, name, sizeof(name),
					     &eff);

	if (env == NULL || limits_cmd_new(env, name, &eff, &cg) < 0)
		return NULL;
	return cg;
}

/* Start the worker (once) and watch its completions. */
static int shells_worker_start(struct daemon *d)
{
	int r = 0;

	if (shells_worker)
		goto out;
	r = limits_worker_new(&shells_worker);
	if (r < 0)
		goto out;
	r = loop_add_fd(d->loop, limits_worker_fd(shells_worker), EPOLLIN,
			shells_on_done, NULL);
	if (r < 0) {
		limits_worker_free(shells_worker);
		shells_worker = NULL;
	}
out:
	return r;
}

/* Queue the shell's placement in its cgroup, when the policy has one. */
static void shells_place(struct shell *sh, struct session *s)
{
	struct limits_job *j;
	char leaf[32];

	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return;
	snprintf(leaf, sizeof(leaf), "sh-%d", (int)sh->pid);
	j->env = shells_spec(sh->d, s, leaf, j->name, sizeof(j->name), &j->lim);
	if (j->env == NULL) {
		free(j);
		return;
	}
	j->op = LIMITS_JOB_PLACE;
	j->pid = sh->pid;
	j->pidfd = fcntl(sh->pidfd, F_DUPFD_CLOEXEC, 0);
	j->arg = sh;
	if (j->pidfd < 0 || shells_worker_start(sh->d) < 0 ||
	    limits_worker_submit(shells_worker, j) < 0) {
		log_msg(LOG_LVL_WARN, "cannot limit shell %d", (int)sh->pid);
		if (j->pidfd >= 0)
			close(j->pidfd);
		free(j);
		return;
	}
	sh->busy = true;
}

int shells_track(struct daemon *d, struct session *s, pid_t pid,
		 int64_t timeout_ms)
{
	struct shell *sh;

	for (sh = shells_head; sh; sh = sh->next)
		if (sh->pid == pid && !sh->exited)
			return 0; /* one tracker per process */
	sh = calloc(1, sizeof(*sh));
	if (sh == NULL)
		return -ENOMEM;
	sh->d = d;
	sh->pid = pid;
	snprintf(sh->session, sizeof(sh->session), "%s", s->id);
	sh->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (sh->pidfd < 0 ||
	    loop_add_fd(d->loop, sh->pidfd, EPOLLIN, shells_on_exit, sh) < 0) {
		if (sh->pidfd >= 0)
			close(sh->pidfd);
		free(sh);
		return -errno;
	}
	if (timeout_ms > 0)
		sh->timeout = loop_timer_add(d->loop, timeout_ms, shells_on_timeout, sh);
	sh->next = shells_head;
	shells_head = sh;
	shells_place(sh, s);
	return 0;
}

void shells_stop(struct daemon *d)
{
	if (shells_worker) {
		/* Let queued jobs finish so every group is ours again. */
		limits_worker_stop(shells_worker);
		shells_on_done(d->loop, -1, 0, NULL);
		loop_del_fd(d->loop, limits_worker_fd(shells_worker));
	}
	while (shells_head) {
		struct shell *sh = shells_head;
		/* Empty groups go; processes still running are left alone. */
		if (sh->cg && limits_cmd_remove(sh->cg) == 0)
			limits_cmd_free(sh->cg);
		shells_free(sh);
	}
	limits_worker_free(shells_worker);
	shells_worker = NULL;
}
