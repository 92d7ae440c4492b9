/*
 * The cost of one intercepted system call: a child under the supervisor's
 * filter opens a file N times (each open is decided and emulated by the
 * parent through sup_handle), against the same opens without a filter,
 * measured in the same run. Also stat (not intercepted) under the filter,
 * which shows the filter's in-kernel cost alone.
 *   bench_supervisor [N]
 */
#include <errno.h>
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

/* Serve until the child reports; spin_us > 0: poll that long before
 * sleeping again (a daemon that expects the next call soon). */
static int bench_serve(int lfd, int sock, double *res)
{
	struct pollfd p[2] = {{lfd, POLLIN, 0}, {sock, POLLIN, 0}};

	int spin = getenv("SPIN") ? 1 : 0, blk = getenv("BLOCK") ? 1 : 0;
	if (getenv("SYNC"))
		fprintf(stderr, "sync: %d\n", sup_listener_fast(lfd));
	for (;;) {
		if (poll(p, 2, spin ? 0 : -1) < 0 && errno != EINTR)
			return -1;
		if (p[1].revents & POLLIN)
			return read(sock, res, 2 * sizeof(*res)) ==
				       (ssize_t)(2 * sizeof(*res)) ? 0 : -1;
		if (blk) {
			fcntl(sock, F_SETFL, O_NONBLOCK);
			for (;;) {
				if (read(sock, res, 2 * sizeof(*res)) > 0)
					return 0;
				sup_handle_wait(lfd, &bench_ops, NULL);
			}
		}
		while (sup_handle(lfd, &bench_ops, NULL) == 0)
			;
	}
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 20000;
	int sv[2], lfd, st;
	double res[2], base_open, base_stat;
	pid_t pid;

	if (n <= 0)
		n = 20000;
	base_open = bench_loop(n, 0);
	base_stat = bench_loop(n, 1);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 1;
	pid = fork();
	if (pid == 0)
		bench_child(sv[1], n);
	lfd = bench_take(sv[0], pid);
	if (lfd < 0 || bench_serve(lfd, sv[0], res) < 0)
		return 1;
	waitpid(pid, &st, 0);
	printf("supervised open (decided, emulated, fd injected): %.1f us vs "
	       "%.2f us unsupervised | ratio %.1fx | cost per intercepted "
	       "call %.1f us\n", res[0], base_open, res[0] / base_open,
	       res[0] - base_open);
	printf("stat under the filter (not intercepted): %.2f us vs %.2f us "
	       "| ratio %.2fx\n", res[1], base_stat, res[1] / base_stat);
	return 0;
}
