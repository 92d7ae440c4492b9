/*
 * Cost of ptrace exec supervision: a runner process spawns /bin/true N
 * times (fork, execve, waitpid) and times the loop itself, once untraced
 * and once under the ptracer filter and tracer thread (every exec decided
 * by a hook that allows it); rounds alternate, medians are compared.
 * Usage: bench_ptracer [SPAWNS] [ROUNDS]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/str.h"
#include "ptracer/ptracer.h"

#define BP_SPAWNS 200
#define BP_ROUNDS 5
#define BP_ROUNDS_MAX 50

static atomic_int bp_execs;

static bool bp_allow(void *arg, const struct ptracer_exec *e)
{
	atomic_fetch_add(&bp_execs, 1);
	return true;
}

static const struct ptracer_ops bp_ops = {bp_allow, NULL, NULL};

static double bp_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* The runner: optionally filtered, waits for "go", writes us per spawn. */
static _Noreturn void bp_runner(int n, bool traced, int go, int out)
{
	struct ptracer_filter f;
	double t0, us;
	pid_t p;
	char b;
	int i, st;

	if (traced && (ptracer_filter_build(&f) < 0 ||
		       ptracer_install(&f.prog) < 0))
		_exit(2);
	if (read(go, &b, 1) != 1)
		_exit(3);
	t0 = bp_now_us();
	for (i = 0; i < n; i++) {
		p = fork();
		if (p == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		if (p < 0 || waitpid(p, &st, 0) != p || st != 0)
			_exit(4);
	}
	us = (bp_now_us() - t0) / n;
	_exit(write(out, &us, sizeof(us)) == sizeof(us) ? 0 : 5);
}

/*
 * One round; us per spawn, or a negative number. The traced runner is a
 * child of this process, so the tracer thread reaps it: only the untraced
 * one is waited for here.
 */
static double bp_round(struct ptracer *t, int n, bool traced)
{
	int go[2], out[2];
	double us = -1;
	pid_t p;

	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		return -1;
	p = fork();
	if (p == 0)
		bp_runner(n, traced, go[0], out[1]);
	close(go[0]);
	close(out[1]);
	if (p > 0 && (!traced || ptracer_attach(t, p, 1) == 0) &&
	    write(go[1], "g", 1) == 1 &&
	    read(out[0], &us, sizeof(us)) != sizeof(us))
		us = -1;
	close(go[1]);
	close(out[0]);
	if (p > 0 && !traced)
		waitpid(p, NULL, 0);
	return us;
}

static int bp_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int bp_arg(int argc, char **argv, int i, int def, int max)
{
	int64_t v;

	if (argc <= i)
		return def;
	if (str_to_i64(argv[i], 1, max, &v) < 0) {
		fprintf(stderr, "usage: bench_ptracer [SPAWNS] [ROUNDS]\n");
		exit(2);
	}
	return (int)v;
}

int main(int argc, char **argv)
{
	int n = bp_arg(argc, argv, 1, BP_SPAWNS, 100000);
	int rounds = bp_arg(argc, argv, 2, BP_ROUNDS, BP_ROUNDS_MAX), r;
	double plain[BP_ROUNDS_MAX], traced[BP_ROUNDS_MAX];
	struct ptracer *t = ptracer_new(&bp_ops, NULL);

	if (!t) {
		perror("ptracer_new");
		return 1;
	}
	for (r = 0; r < rounds; r++) {
		plain[r] = bp_round(t, n, false);
		traced[r] = bp_round(t, n, true);
		if (plain[r] < 0 || traced[r] < 0) {
			fprintf(stderr, "bench_ptracer: round %d failed\n", r);
			ptracer_free(t, PTRACER_FREE_KILL);
			return 1;
		}
	}
	ptracer_free(t, PTRACER_FREE_KILL);
	qsort(plain, (size_t)rounds, sizeof(double), bp_cmp);
	qsort(traced, (size_t)rounds, sizeof(double), bp_cmp);
	printf("ptracer: %d x fork+exec(/bin/true)+wait, median of %d rounds: "
	       "untraced %.0f us, traced %.0f us per spawn (+%.0f us, ratio "
	       "%.2fx), %d execs decided\n", n, rounds, plain[rounds / 2],
	       traced[rounds / 2], traced[rounds / 2] - plain[rounds / 2],
	       traced[rounds / 2] / plain[rounds / 2],
	       atomic_load(&bp_execs));
	return atomic_load(&bp_execs) == n * rounds ? 0 : 1;
}
