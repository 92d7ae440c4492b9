/*
 * The cost of one intercepted system call: a child under the supervisor's
 * filter opens a file N times (each open is decided and emulated by the
 * parent through sup_handle), against the same opens without a filter,
 * measured in the same run. Also stat (not intercepted) under the filter,
 * which shows the filter's in-kernel cost alone.
 *   bench_supervisor [N]
 */
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "supervisor/supervisor.h"

#define BENCH_FILE "/etc/hostname"

static double bench_now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static bool bench_allow_open(void *arg, pid_t pid, const struct sup_open_req *r)
{
	return true;
}

static bool bench_allow_exec(void *arg, pid_t pid, const struct sup_exec_req *r)
{
	return true;
}

static const struct sup_ops bench_ops = {.exec = bench_allow_exec,
					 .open = bench_allow_open};

/* N opens (op 0) or stats (op 1); mean microseconds per call. */
static double bench_loop(int n, int op)
{
	struct stat st;
	double t0 = bench_now_us();

	for (int i = 0; i < n; i++) {
		if (op == 0) {
			int fd = open(BENCH_FILE, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				_exit(3);
			close(fd);
		} else if (stat(BENCH_FILE, &st) < 0) {
			_exit(4);
		}
	}
	return (bench_now_us() - t0) / n;
}

/* Child: filter, hand the listener number over, run both loops. */
static void bench_child(int sock, int n)
{
	struct sup_filter f;
	double r[2];
	int lfd;
	char go;

	if (sup_filter_build(&f) < 0 || (lfd = sup_install(&f.prog)) < 0)
		_exit(2);
	if (write(sock, &lfd, sizeof(lfd)) != (ssize_t)sizeof(lfd) ||
	    read(sock, &go, 1) != 1)
		_exit(2);
	close(lfd);
	r[0] = bench_loop(n, 0);
	r[1] = bench_loop(n, 1);
	if (write(sock, r, sizeof(r)) != (ssize_t)sizeof(r))
		_exit(2);
	_exit(0);
}

static int bench_take(int sock, pid_t pid)
{
	int num, pfd, fd;
	char go = 'g';

	if (read(sock, &num, sizeof(num)) != (ssize_t)sizeof(num))
		return -1;
	pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	fd = (int)syscall(SYS_pidfd_getfd, pfd, num, 0);
	close(pfd);
	return write(sock, &go, 1) == 1 ? fd : -1;
}

/* Serve until the child reports. blocking: wait in RECV as the daemon's
 * listener threads do; else poll first, as an event loop would. */
static int bench_serve(int lfd, int sock, bool blocking, double *res)
{
	struct pollfd p[2] = {{lfd, POLLIN, 0}, {sock, POLLIN, 0}};

	fcntl(sock, F_SETFL, O_NONBLOCK);
	for (;;) {
		if (read(sock, res, 2 * sizeof(*res)) == (ssize_t)(2 * sizeof(*res)))
			return 0;
		if (blocking) {
			sup_handle_wait(lfd, &bench_ops, NULL);
			continue;
		}
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return -1;
		while (sup_handle(lfd, &bench_ops, NULL) == 0)
			;
	}
}

/* One supervised run; res[0] opens, res[1] stats (us per call). */
static int bench_run(int n, bool blocking, int cpu, double *res)
{
	cpu_set_t set;
	int sv[2], lfd, st;
	pid_t pid;

	if (cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		sched_setaffinity(0, sizeof(set), &set); /* the child inherits */
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -1;
	pid = fork();
	if (pid == 0)
		bench_child(sv[1], n);
	lfd = bench_take(sv[0], pid);
	st = lfd < 0 ? -1 : bench_serve(lfd, sv[0], blocking, res);
	waitpid(pid, NULL, 0);
	close(sv[0]);
	close(sv[1]);
	if (lfd >= 0)
		close(lfd);
	if (cpu >= 0) {
		for (int i = 0; i < CPU_SETSIZE; i++)
			CPU_SET(i, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	return st;
}

int main(int argc, char **argv)
{
	static const char *const names[] = {
		"served like the daemon (a thread waiting in RECV)",
		"served by an event loop (poll, then RECV)",
		"like the daemon, both pinned to one CPU (no cross-CPU wake-ups)",
	};
	int n = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 20000;
	double res[2], base_open, base_stat;

	if (n <= 0)
		n = 20000;
	base_open = bench_loop(n, 0);
	base_stat = bench_loop(n, 1);
	for (int v = 0; v < 3; v++) {
		if (bench_run(n, v != 1, v == 2 ? 0 : -1, res) < 0)
			return 1;
		printf("supervised open (decided, emulated, fd injected), %s: "
		       "%.1f us vs %.2f us unsupervised | ratio %.1fx | cost per "
		       "intercepted call %.1f us\n", names[v], res[0], base_open,
		       res[0] / base_open, res[0] - base_open);
		if (v == 0)
			printf("stat under the filter (not intercepted): %.2f us vs "
			       "%.2f us | ratio %.2fx\n", res[1], base_stat,
			       res[1] / base_stat);
	}
	return 0;
}
