/*
 * Small pieces around the command groups: the start gate that holds a
 * forked child until its limits apply, process-group killing, and the
 * filter that drops limits this machine cannot enforce.
 */
#include "limits/limits_int.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define LIMITS_GATE_GO 'g'     /* the byte that releases a held child */
#define LIMITS_PID_TEXT_MAX 24 /* a pid in decimal */

int limits_gate_open(struct limits_gate *g)
{
	int sv[2];
	int r = 0;

	g->rfd = g->wfd = -1;
	/* A socket, not a pipe: send(MSG_NOSIGNAL) never raises SIGPIPE. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		r = -errno;
		goto out;
	}
	g->rfd = sv[0];
	g->wfd = sv[1];
out:
	return r;
}

int limits_gate_wait(struct limits_gate *g)
{
	char c = 0;
	ssize_t n;

	if (g->wfd >= 0)
		close(g->wfd);
	g->wfd = -1;
	do {
		n = read(g->rfd, &c, 1);
	} while (n < 0 && errno == EINTR);
	close(g->rfd);
	g->rfd = -1;
	return n == 1 && c == LIMITS_GATE_GO ? 0 : -ECANCELED;
}

int limits_gate_release(struct limits_gate *g)
{
	const char c = LIMITS_GATE_GO;
	ssize_t n;
	int r = 0;

	if (g->rfd >= 0)
		close(g->rfd);
	g->rfd = -1;
	if (g->wfd < 0) {
		r = -EBADF;
		goto out;
	}
	do {
		n = send(g->wfd, &c, 1, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n != 1)
		r = n < 0 ? -errno : -EIO;
	close(g->wfd);
	g->wfd = -1;
out:
	return r;
}

void limits_gate_close(struct limits_gate *g)
{
	if (g->rfd >= 0)
		close(g->rfd);
	if (g->wfd >= 0)
		close(g->wfd);
	g->rfd = g->wfd = -1;
}

int limits_kill_tree(pid_t pgid)
{
	int r = 0;

	/* kill(0) and kill(-1) would hit our own group or every process. */
	if (pgid <= 1) {
		r = -EINVAL;
		goto out;
	}
	if (kill(-pgid, SIGKILL) < 0)
		r = -errno;
out:
	return r;
}

int limits_move_test(int dirfd)
{
	struct limits_gate g;
	char num[LIMITS_PID_TEXT_MAX];
	pid_t pid;
	int r, st;

	r = limits_gate_open(&g);
	if (r < 0)
		goto out;
	pid = fork();
	if (pid < 0) {
		r = -errno;
		limits_gate_close(&g);
		goto out;
	}
	if (pid == 0) {
		limits_gate_wait(&g);
		_exit(0);
	}
	snprintf(num, sizeof(num), "%d", (int)pid);
	r = limits_write(dirfd, "cgroup.procs", num);
	limits_gate_close(&g);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
out:
	return r;
}

int64_t limits_value(const struct policy_limits *l, enum limits_kind k)
{
	switch (k) {
	case LIMITS_MEMORY:
		return l->max_memory_mb;
	case LIMITS_SWAP:
		return l->memory_swap_max_mb;
	case LIMITS_CPU:
		return l->cpu_quota_percent;
	case LIMITS_PIDS:
		return l->pids_max;
	default:
		return -1;
	}
}

/* Set limit k of l to v. */
static void limits_value_set(struct policy_limits *l, enum limits_kind k,
			     int64_t v)
{
	if (k == LIMITS_MEMORY)
		l->max_memory_mb = v;
	else if (k == LIMITS_SWAP)
		l->memory_swap_max_mb = v;
	else if (k == LIMITS_CPU)
		l->cpu_quota_percent = v;
	else if (k == LIMITS_PIDS)
		l->pids_max = v;
}

unsigned limits_filter(const struct limits_env *env,
		       const struct policy_limits *in,
		       struct policy_limits *out)
{
	unsigned dropped = 0;

	*out = *in;
	for (int k = 0; k < LIMITS_KIND_COUNT; k++) {
		bool v1_swap_alone = k == LIMITS_SWAP &&
			env->limit[k].mech == LIMITS_MECH_V1 &&
			out->max_memory_mb < 0;

		if (limits_value(out, k) < 0)
			continue;
		/* v1 can only bound memory+swap, which needs a memory limit. */
		if (env->limit[k].mech == LIMITS_MECH_NONE || v1_swap_alone) {
			limits_value_set(out, k, -1);
			dropped |= 1u << k;
		}
	}
	return dropped;
}
