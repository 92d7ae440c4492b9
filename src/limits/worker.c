/*
 * Placing running processes off the caller's thread: a worker thread runs
 * queued jobs (create and attach, kill, remove) and reports each finished
 * one through an eventfd. Also the descendant sweep that catches children
 * a process forked before it was moved.
 */
#include "limits/limits_int.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/str.h"

#define LIMITS_TREE_MAX 1024   /* descendants moved after one placement */
#define LIMITS_TREE_ROUNDS 4   /* sweeps while new descendants appear */
#define LIMITS_CHILDREN_MAX 64 /* path of /proc/PID/task/TID/children */

struct limits_worker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct limits_job *queue, *queue_tail; /* waiting to run */
	struct limits_job *done, *done_tail;   /* finished, not yet taken */
	bool stopping, started;
	int efd;
};

/* A growing set of pids; the first one is the placed process. */
struct limits_tree {
	pid_t pid[LIMITS_TREE_MAX];
	int n;
};

static bool limits_tree_has(const struct limits_tree *t, pid_t pid)
{
	for (int i = 0; i < t->n; i++) {
		if (t->pid[i] == pid)
			return true;
	}
	return false;
}

/* Add the children listed in one children file; the count added. */
static int limits_tree_file(struct limits_tree *t, int dirfd, const char *f)
{
	char buf[LIMITS_VALUE_MAX], *tok, *save = NULL;
	int64_t v;
	int added = 0;

	if (limits_read(dirfd, f, buf, sizeof(buf)) < 0)
		return 0;
	for (tok = strtok_r(buf, " \n", &save); tok != NULL;
	     tok = strtok_r(NULL, " \n", &save)) {
		if (str_to_i64(tok, 1, INT32_MAX, &v) < 0 ||
		    limits_tree_has(t, (pid_t)v) || t->n >= LIMITS_TREE_MAX)
			continue;
		t->pid[t->n++] = (pid_t)v;
		added++;
	}
	return added;
}

/* Add the children of every thread of pid; the count added. */
static int limits_tree_kids(struct limits_tree *t, pid_t pid)
{
	char path[LIMITS_CHILDREN_MAX], file[LIMITS_CHILDREN_MAX];
	struct dirent *e;
	int added = 0, fd;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (dir == NULL)
		return 0;
	fd = dirfd(dir);
	while ((e = readdir(dir)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%.20s/children", e->d_name);
		added += limits_tree_file(t, fd, file);
	}
	closedir(dir);
	return added;
}

/* 0 while the process behind pidfd runs (or pidfd < 0), else -ESRCH. */
static int limits_alive(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	if (pidfd < 0)
		return 0;
	return poll(&p, 1, 0) > 0 ? -ESRCH : 0;
}

int limits_cmd_place(struct limits_cmd *c, pid_t pid, int pidfd)
{
	struct limits_tree *t = calloc(1, sizeof(*t));
	int r, from = 0, to;

	if (t == NULL) {
		r = -ENOMEM;
		goto out;
	}
	r = limits_alive(pidfd);
	if (r == 0)
		r = limits_cmd_attach(c, pid);
	if (r < 0)
		goto out;
	t->pid[t->n++] = pid;
	/* New forks land inside now; move what was forked before. */
	for (int round = 0; round < LIMITS_TREE_ROUNDS && from < t->n;
	     round++) {
		to = t->n;
		for (int i = from; i < to; i++)
			limits_tree_kids(t, t->pid[i]);
		for (int i = to; i < t->n; i++)
			limits_cmd_attach(c, t->pid[i]); /* may have exited */
		from = to;
	}
out:
	free(t);
	return r;
}

/* Run one job on the worker thread. */
static void limits_job_run(struct limits_job *j)
{
	switch (j->op) {
	case LIMITS_JOB_PLACE:
		j->cmd = NULL;
		j->result = limits_cmd_new(j->env, j->name, &j->lim, &j->cmd);
		if (j->result == 0)
			j->result = limits_cmd_place(j->cmd, j->pid, j->pidfd);
		if (j->result < 0) {
			limits_cmd_free(j->cmd);
			j->cmd = NULL;
		}
		if (j->pidfd >= 0)
			close(j->pidfd);
		j->pidfd = -1;
		break;
	case LIMITS_JOB_KILL:
		j->result = j->cmd != NULL ? limits_cmd_kill(j->cmd) : 0;
		break;
	case LIMITS_JOB_REMOVE:
		j->result = j->cmd != NULL ? limits_cmd_remove_idle(j->cmd) : 0;
		if (j->result == 0) {
			limits_cmd_free(j->cmd);
			j->cmd = NULL;
		}
		break;
	}
}

static void *limits_worker_main(void *arg)
{
	struct limits_worker *w = arg;
	const uint64_t one = 1;
	struct limits_job *j;
	ssize_t wr;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (w->queue == NULL && !w->stopping)
			pthread_cond_wait(&w->cond, &w->lock);
		if ((j = w->queue) == NULL)
			break;
		w->queue = j->next;
		pthread_mutex_unlock(&w->lock);
		j->next = NULL;
		limits_job_run(j);
		pthread_mutex_lock(&w->lock);
		if (w->done_tail)
			w->done_tail->next = j;
		else
			w->done = j;
		w->done_tail = j;
		/* Only fails when the counter would overflow: never here. */
		wr = write(w->efd, &one, sizeof(one));
		(void)wr;
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int limits_worker_new(struct limits_worker **out)
{
	struct limits_worker *w = calloc(1, sizeof(*w));
	int r = 0;

	*out = NULL;
	if (w == NULL) {
		r = -ENOMEM;
		goto out;
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->efd < 0) {
		r = -errno;
		goto out;
	}
	r = -pthread_create(&w->thread, NULL, limits_worker_main, w);
	w->started = r == 0;
out:
	if (r == 0)
		*out = w;
	else
		limits_worker_free(w);
	return r;
}

int limits_worker_fd(const struct limits_worker *w)
{
	return w->efd;
}

int limits_worker_submit(struct limits_worker *w, struct limits_job *job)
{
	int r = 0;

	pthread_mutex_lock(&w->lock);
	if (w->stopping) {
		r = -ESHUTDOWN;
		goto out;
	}
	job->next = NULL;
	if (w->queue)
		w->queue_tail->next = job;
	else
		w->queue = job;
	w->queue_tail = job;
	pthread_cond_signal(&w->cond);
out:
	pthread_mutex_unlock(&w->lock);
	return r;
}

struct limits_job *limits_worker_done(struct limits_worker *w)
{
	struct limits_job *j;
	uint64_t n;
	ssize_t rd;

	pthread_mutex_lock(&w->lock);
	j = w->done;
	w->done = w->done_tail = NULL;
	/* Reset the counter; EAGAIN when nothing was signalled since. */
	rd = read(w->efd, &n, sizeof(n));
	(void)rd;
	pthread_mutex_unlock(&w->lock);
	return j;
}

void limits_worker_stop(struct limits_worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	if (w->started)
		pthread_join(w->thread, NULL);
	w->started = false;
}

void limits_worker_free(struct limits_worker *w)
{
	struct limits_job *j, *next;

	if (w == NULL)
		return;
	limits_worker_stop(w);
	for (j = limits_worker_done(w); j != NULL; j = next) {
		next = j->next;
		limits_cmd_free(j->cmd);
		free(j);
	}
	if (w->efd >= 0)
		close(w->efd);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
