/*
 * Tests for the limits worker: placing a running process and the children
 * it forked before the move, refusing an exited one, kill and remove jobs
 * run off the calling thread. Skip (saying why) unless root with a usable
 * cgroup hierarchy.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "limits/limits.h"

#define T_KIDS 3           /* children forked before the placement */
#define T_WAIT_MS 10000    /* longest wait for one job */

struct t_state {
	struct limits_env *env;
	struct limits_worker *w;
	int seq;
};

/* Reap the killed family, handed to us as subreaper. */
static void t_reap(void)
{
	while (waitpid(-1, NULL, 0) > 0)
		;
}

static bool t_usable(const struct limits_env *env)
{
	bool any = env->v2_base[0] != '\0';

	for (int h = 0; h < LIMITS_V1_COUNT; h++)
		any |= env->v1_base[h][0] != '\0';
	return any;
}

#define T_NEED(s) do { \
	if (geteuid() != 0 || !t_usable((s)->env)) { \
		print_message("SKIP: needs root and a usable cgroup " \
			      "hierarchy (%s)\n", (s)->env->v2_core.text); \
		skip(); \
	} \
} while (0)

/* Submit a job and wait until the worker hands it back. */
static struct limits_job *t_run(struct t_state *s, struct limits_job *j)
{
	struct pollfd p = { .fd = limits_worker_fd(s->w), .events = POLLIN };
	struct limits_job *done;

	assert_int_equal(limits_worker_submit(s->w, j), 0);
	assert_int_equal(poll(&p, 1, T_WAIT_MS), 1);
	done = limits_worker_done(s->w);
	assert_ptr_equal(done, j);
	assert_null(done->next);
	return done;
}

static struct limits_job *t_place_job(struct t_state *s, pid_t pid)
{
	struct limits_job *j = calloc(1, sizeof(*j));

	assert_non_null(j);
	j->op = LIMITS_JOB_PLACE;
	j->env = s->env;
	memset(&j->lim, 0xff, sizeof(j->lim)); /* every field -1 */
	j->lim.pids_max = 50;
	snprintf(j->name, sizeof(j->name), "agentsh-wtest-%d/c%d",
		 (int)getpid(), ++s->seq);
	j->pid = pid;
	j->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	assert_true(j->pidfd >= 0);
	return j;
}

/* A child that forks T_KIDS children (the first forks again), waits. */
static pid_t t_family(void)
{
	int fds[2];
	char c;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (int i = 0; i < T_KIDS; i++) {
			if (fork() == 0) {
				if (i == 0 && fork() < 0)
					_exit(97);
				for (;;)
					pause();
			}
		}
		if (write(fds[1], "r", 1) != 1)
			_exit(98);
		for (;;)
			pause();
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &c, 1), 1);
	close(fds[0]);
	usleep(20000); /* the first child's own child has been forked */
	return pid;
}

static void test_place_family(void **state)
{
	struct t_state *s = *state;
	struct limits_job *j;
	int n = 0, st;
	pid_t pid;

	T_NEED(s);
	pid = t_family();
	j = t_run(s, t_place_job(s, pid));
	assert_int_equal(j->result, 0);
	assert_non_null(j->cmd);
	assert_int_equal(j->pidfd, -1);
	/* The parent, its children and its grandchild, all forked before. */
	assert_int_equal(limits_cmd_count(j->cmd, &n), 0);
	assert_int_equal(n, T_KIDS + 2);
	j->op = LIMITS_JOB_REMOVE;
	j = t_run(s, j);
	assert_int_equal(j->result, -EBUSY);
	assert_non_null(j->cmd);
	j->op = LIMITS_JOB_KILL;
	j = t_run(s, j);
	assert_int_equal(j->result, 0);
	assert_true(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st));
	j->op = LIMITS_JOB_REMOVE;
	j = t_run(s, j);
	assert_int_equal(j->result, 0);
	assert_null(j->cmd);
	free(j);
	t_reap();
}

static void test_place_exited(void **state)
{
	struct t_state *s = *state;
	struct limits_job *j;
	pid_t pid;

	T_NEED(s);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	j = t_place_job(s, pid);
	usleep(20000); /* exited (a zombie: the pid is not reused) */
	j = t_run(s, j);
	assert_int_equal(j->result, -ESRCH);
	assert_null(j->cmd);
	waitpid(pid, NULL, 0);
	free(j);
}

static void test_stopped_refuses(void **state)
{
	struct t_state *s = *state;
	struct limits_job j = { .op = LIMITS_JOB_KILL };
	struct limits_worker *w;

	(void)s;
	assert_int_equal(limits_worker_new(&w), 0);
	limits_worker_stop(w);
	assert_int_equal(limits_worker_submit(w, &j), -ESHUTDOWN);
	assert_null(limits_worker_done(w));
	limits_worker_free(w);
	limits_worker_free(NULL);
}


static int t_setup(void **state)
{
	struct t_state *s = calloc(1, sizeof(*s));

	if (s == NULL || limits_probe(&s->env) != 0 ||
	    limits_worker_new(&s->w) != 0)
		return -1;
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	*state = s;
	return 0;
}

static int t_teardown(void **state)
{
	struct t_state *s = *state;

	limits_worker_free(s->w);
	limits_env_free(s->env);
	free(s);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_place_family),
		cmocka_unit_test(test_place_exited),
		cmocka_unit_test(test_stopped_refuses),
	};

	return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
