/*
 * What the tracer thread does with each wait status: exec stops are
 * decided, forks and clones hand their cookie and depth to the new task,
 * exec events make the decided depth current, group stops stay stopped
 * (PTRACE_LISTEN) and signals are delivered as they were sent.
 */
#include <errno.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "ptracer/pt_int.h"

#define PT_OPTIONS                                                      \
	(PTRACE_O_TRACESECCOMP | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | \
	 PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL)

#define PT_EVENT(st) ((unsigned int)(st) >> 16)

static void pt_resume(pid_t pid, int sig)
{
	/* ESRCH: it died meanwhile; its exit status is still to come. */
	ptrace(PTRACE_CONT, pid, NULL, (void *)(uintptr_t)sig);
}

static bool pt_is_stop_sig(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN ||
	       sig == SIGTTOU;
}

/* Kill a task the table cannot hold: untracked means unsupervised. */
static void pt_refuse(struct ptracer *t, pid_t pid)
{
	atomic_fetch_add(&t->st_errors, 1);
	kill(pid, SIGKILL);
}

int pt_seize(struct ptracer *t, pid_t pid, uint64_t cookie)
{
	struct pt_tracee *e;
	int ret;

	if (pid <= 0)
		return -EINVAL;
	if (pt_find(t, pid))
		return -EEXIST;
	e = pt_add(t, pid);
	if (!e)
		return -ENOSPC;
	if (ptrace(PTRACE_SEIZE, pid, NULL, (void *)(uintptr_t)PT_OPTIONS) < 0) {
		ret = -errno;
		pt_remove(t, e);
		atomic_fetch_sub(&t->st_attached, 1);
		return ret;
	}
	e->cookie = cookie;
	return 0;
}

static void pt_on_exit(struct ptracer *t, pid_t pid, int status)
{
	struct pt_tracee *e = pt_find(t, pid);
	uint64_t cookie;

	if (!e)
		return;
	cookie = e->cookie;
	pt_remove(t, e);
	if (t->ops->exited)
		t->ops->exited(t->arg, cookie, pid, status);
}

static void pt_dispatch(struct ptracer *t, struct pt_tracee *e, int st);

/* A fork, vfork or clone: the new task inherits cookie and depth. */
static void pt_on_fork(struct ptracer *t, struct pt_tracee *e)
{
	unsigned long msg;
	struct pt_tracee *c;
	bool parked;

	if (ptrace(PTRACE_GETEVENTMSG, e->pid, NULL, &msg) < 0)
		return;
	c = pt_add(t, (pid_t)msg);
	if (!c) {
		pt_refuse(t, (pid_t)msg);
		return;
	}
	parked = c->state == PT_PARKED;
	c->cookie = e->cookie;
	c->depth = e->depth;
	c->state = PT_RUNNING;
	if (parked)
		pt_dispatch(t, c, c->parked);
}

/* The new image runs at the depth its exec was decided at. */
static void pt_on_exec(struct ptracer *t, pid_t pid)
{
	unsigned long former;
	struct pt_tracee *old, *e;
	int depth;

	if (ptrace(PTRACE_GETEVENTMSG, pid, NULL, &former) < 0)
		return;
	/* A non-leader thread that exec'd now has the leader's pid. */
	old = pt_find(t, (pid_t)former);
	depth = old ? old->pending : -1;
	if (old && old->pid != pid)
		pt_remove(t, old);
	e = pt_find(t, pid);
	if (!e || depth < 0) {
		pt_refuse(t, pid);
		return;
	}
	e->depth = depth;
	e->pending = -1;
}

static void pt_dispatch(struct ptracer *t, struct pt_tracee *e, int st)
{
	pid_t pid = e->pid;
	int sig = WSTOPSIG(st);

	switch (PT_EVENT(st)) {
	case PTRACE_EVENT_SECCOMP:
		pt_exec_stop(t, e);
		break;
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
	case PTRACE_EVENT_CLONE:
		pt_on_fork(t, e);
		break;
	case PTRACE_EVENT_EXEC:
		pt_on_exec(t, pid);
		break;
	case PTRACE_EVENT_STOP:
		/* SEIZE reports group stops here; LISTEN keeps them stopped. */
		if (pt_is_stop_sig(sig))
			ptrace(PTRACE_LISTEN, pid, NULL, NULL);
		else
			pt_resume(pid, 0);
		return;
	case 0:
		/* Signal-delivery stop: deliver the signal. */
		pt_resume(pid, sig);
		return;
	default:
		break;
	}
	pt_resume(pid, 0);
}

void pt_wait_event(struct ptracer *t, pid_t pid, int status)
{
	struct pt_tracee *e;

	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		pt_on_exit(t, pid, status);
		return;
	}
	if (!WIFSTOPPED(status))
		return;
	e = pt_find(t, pid);
	if (e && e->state == PT_RUNNING) {
		pt_dispatch(t, e, status);
		return;
	}
	/* A new task whose parent's fork event is still to come: hold it. */
	e = pt_add(t, pid);
	if (!e) {
		pt_refuse(t, pid);
		return;
	}
	e->state = PT_PARKED;
	e->parked = status;
}

/*
 * Detach a stopped task while releasing. An exec stop is decided first:
 * detached there, the kernel would run the exec undecided. *owed counts
 * new tasks announced by fork events minus new tasks seen.
 */
static void pt_release_stop(struct ptracer *t, pid_t pid, int st, long *owed)
{
	struct pt_tracee *e = pt_find(t, pid);
	unsigned long msg;
	int sig = 0;

	switch (PT_EVENT(st)) {
	case PTRACE_EVENT_SECCOMP:
		if (e)
			pt_exec_stop(t, e);
		break;
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
	case PTRACE_EVENT_CLONE:
		if (ptrace(PTRACE_GETEVENTMSG, pid, NULL, &msg) == 0)
			(*owed)++;
		break;
	case 0:
		sig = WSTOPSIG(st);
		break;
	default:
		break;
	}
	if (!e)
		(*owed)--;
	ptrace(PTRACE_DETACH, pid, NULL, (void *)(uintptr_t)sig);
	if (e)
		pt_remove(t, e);
}

/* Stop every tracee: SIGKILL, or an interrupt to detach it at. */
static long pt_release_start(struct ptracer *t, enum ptracer_free_mode mode)
{
	struct pt_tracee *e;
	long owed = 0;
	size_t i = 0;

	while (i < t->n) {
		e = &t->tab[i];
		if (mode == PTRACER_FREE_KILL) {
			kill(e->pid, SIGKILL);
		} else if (e->state == PT_PARKED) {
			/* Already stopped; its parent's fork event may follow. */
			ptrace(PTRACE_DETACH, e->pid, NULL, NULL);
			pt_remove(t, e);
			owed--;
			continue;
		} else {
			ptrace(PTRACE_INTERRUPT, e->pid, NULL, NULL);
		}
		i++;
	}
	return owed;
}

void pt_release_all(struct ptracer *t, enum ptracer_free_mode mode)
{
	long owed = pt_release_start(t, mode);
	pid_t pid;
	int st;

	while (t->n > 0 || (mode == PTRACER_FREE_DETACH && owed > 0)) {
		pid = waitpid(-1, &st, __WALL | __WNOTHREAD);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			break;
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			if (!pt_find(t, pid))
				owed--;
			pt_on_exit(t, pid, st);
		} else if (mode == PTRACER_FREE_KILL) {
			kill(pid, SIGKILL);
		} else if (WIFSTOPPED(st)) {
			pt_release_stop(t, pid, st, &owed);
		}
	}
}
