/*
 * Interleaved timing of two command lines: A, B, A, B, ... N times each,
 * printing the median and p99 of each and the added time of A over B.
 *   bench_spawn N -- A ARGS... -- B ARGS...
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static double run_once(char **argv)
{
	double t0 = now_us();
	pid_t pid;
	int st;

	if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0) {
		perror(argv[0]);
		exit(2);
	}
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "%s failed (status %d)\n", argv[0], st);
		exit(2);
	}
	return now_us() - t0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 0, split = 0;
	double *ta, *tb;

	for (int i = 3; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			split = i;
	if (n <= 0 || argc < 6 || strcmp(argv[2], "--") != 0 || split == 0) {
		fprintf(stderr, "usage: bench_spawn N -- A... -- B...\n");
		return 2;
	}
	argv[split] = NULL;
	ta = calloc((size_t)n, sizeof(double));
	tb = calloc((size_t)n, sizeof(double));
	for (int i = 0; i < 5; i++) { /* warm up */
		run_once(argv + 3);
		run_once(argv + split + 1);
	}
	for (int i = 0; i < n; i++) {
		ta[i] = run_once(argv + 3);
		tb[i] = run_once(argv + split + 1);
	}
	qsort(ta, (size_t)n, sizeof(double), cmp);
	qsort(tb, (size_t)n, sizeof(double), cmp);
	printf("A median %.0f us p99 %.0f us | B median %.0f us p99 %.0f us | "
	       "added %.0f us at the median (ratio %.2fx)\n", ta[n / 2],
	       ta[n * 99 / 100], tb[n / 2], tb[n * 99 / 100], ta[n / 2] - tb[n / 2],
	       ta[n / 2] / tb[n / 2]);
	free(ta);
	free(tb);
	return 0;
}
