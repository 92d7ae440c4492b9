/*
 * The tracer thread and its API. Every ptrace request comes from this one
 * thread (the kernel binds a tracee to the thread that seized it), which
 * sleeps in waitpid(-1, __WALL | __WNOTHREAD) and never polls.
 *
 * Waking it for an attach or for shutdown: the thread keeps a "doorbell"
 * child, a fork of itself that only blocks reading a pipe. A requester
 * writes one byte; the doorbell exits, and its exit is one more wait
 * status, so the wake-up arrives through the very call the thread sleeps
 * in. That has no lost-wake-up window (a doorbell that exits early stays
 * a zombie until reaped), needs no signal handler in the host process and
 * cannot be stolen by another thread's SIGCHLD handling. It costs a fork
 * per request, and requests are rare: one attach per session.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ptracer/pt_int.h"

/* The doorbell child: only async-signal-safe calls after fork. */
static _Noreturn void pt_bell_child(int fd)
{
	char c;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* Hold none of the host's descriptors (a pipe end kept open here
	 * would keep another part of the host from seeing EOF). */
	if (fd > 0)
		close_range(0, (unsigned int)fd - 1, 0);
	close_range((unsigned int)fd + 1, ~0u, 0);
	while (read(fd, &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

static int pt_bell_spawn(struct ptracer *t)
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0)
		pt_bell_child(t->bell[0]);
	t->bell_pid = pid;
	return 0;
}

static void pt_bell_ring(struct ptracer *t)
{
	char c = 1;

	while (write(t->bell[1], &c, 1) < 0 && errno == EINTR)
		;
}

/* Serve the request slot; true when the thread is to stop. */
static bool pt_serve(struct ptracer *t)
{
	bool stop;

	pthread_mutex_lock(&t->mu);
	if (t->req == PT_REQ_ATTACH) {
		t->req_result = pt_seize(t, t->req_pid, t->req_cookie);
		t->req = PT_REQ_NONE;
		t->req_done = true;
		pthread_cond_broadcast(&t->cv);
	}
	stop = t->req == PT_REQ_STOP;
	pthread_mutex_unlock(&t->mu);
	/* Without a doorbell nobody could reach the thread: fail closed. */
	if (!stop && pt_bell_spawn(t) < 0) {
		atomic_fetch_add(&t->st_errors, 1);
		t->mode = PTRACER_FREE_KILL;
		stop = true;
	}
	return stop;
}

static void *pt_main(void *p)
{
	struct ptracer *t = p;
	bool stop = pt_bell_spawn(t) < 0;
	pid_t pid;
	int st;

	while (!stop) {
		pid = waitpid(-1, &st, __WALL | __WNOTHREAD);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			break;
		if (pid == t->bell_pid)
			stop = pt_serve(t);
		else
			pt_wait_event(t, pid, st);
	}
	pt_release_all(t, t->mode);
	pthread_mutex_lock(&t->mu);
	t->stopped = true;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

/* Start the thread with every signal blocked: it must never run the
 * host's handlers or take its process-directed signals. */
static int pt_start(struct ptracer *t)
{
	sigset_t all, old;
	int ret;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = pthread_create(&t->thread, NULL, pt_main, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -ret;
}

static void pt_destroy(struct ptracer *t)
{
	if (t->bell[0] >= 0)
		close(t->bell[0]);
	if (t->bell[1] >= 0)
		close(t->bell[1]);
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->mu);
	free(t->tab);
	free(t);
}

struct ptracer *ptracer_new(const struct ptracer_ops *ops, void *arg)
{
	struct ptracer *t;
	int ret = -ENOMEM;

	if (!ops || !ops->exec) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		goto out;
	t->ops = ops;
	t->arg = arg;
	t->bell[0] = t->bell[1] = -1;
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	t->tab = calloc(PTRACER_TRACEES_MAX, sizeof(*t->tab));
	if (!t->tab)
		goto out;
	if (pipe2(t->bell, O_CLOEXEC) < 0) {
		ret = -errno;
		goto out;
	}
	ret = pt_start(t);
out:
	if (ret < 0 && t)
		pt_destroy(t);
	if (ret < 0) {
		errno = -ret;
		return NULL;
	}
	return t;
}

/* Wait until the request slot is free (or the thread is gone). */
static bool pt_slot_wait(struct ptracer *t)
{
	while (!t->stopped && (t->req != PT_REQ_NONE || t->req_done))
		pthread_cond_wait(&t->cv, &t->mu);
	return !t->stopped;
}

int ptracer_attach(struct ptracer *t, pid_t pid, uint64_t cookie)
{
	int ret = -ESHUTDOWN;

	pthread_mutex_lock(&t->mu);
	if (!pt_slot_wait(t))
		goto out;
	t->req = PT_REQ_ATTACH;
	t->req_pid = pid;
	t->req_cookie = cookie;
	pt_bell_ring(t);
	while (!t->req_done && !t->stopped)
		pthread_cond_wait(&t->cv, &t->mu);
	if (t->req_done)
		ret = t->req_result;
	t->req_done = false;
	pthread_cond_broadcast(&t->cv);
out:
	pthread_mutex_unlock(&t->mu);
	return ret;
}

void ptracer_get_stats(struct ptracer *t, struct ptracer_stats *out)
{
	out->tracees = atomic_load(&t->st_tracees);
	out->attached = atomic_load(&t->st_attached);
	out->execs = atomic_load(&t->st_execs);
	out->denied = atomic_load(&t->st_denied);
	out->errors = atomic_load(&t->st_errors);
}

void ptracer_free(struct ptracer *t, enum ptracer_free_mode mode)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->mu);
	if (pt_slot_wait(t)) {
		t->mode = mode;
		t->req = PT_REQ_STOP;
		pt_bell_ring(t);
	}
	pthread_mutex_unlock(&t->mu);
	pthread_join(t->thread, NULL);
	pt_destroy(t);
}
