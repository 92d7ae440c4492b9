/*
 * Exec API load: C concurrent clients POST /api/v1/sessions/SID/exec of
 * `true` over the daemon's Unix socket; requests/s, p50 and p99. Baseline
 * in the same run: spawning `true` directly and waiting for it.
 *   bench_exec SOCKET SESSION CLIENTS REQUESTS_PER_CLIENT
 */
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct client {
	const char *sock, *sid;
	int n;
	double *lat;
	int errors;
};

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int one_request(const struct client *c)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	const char *body = "{\"command\":\"true\"}";
	char req[512], resp[65536];
	size_t got = 0;
	ssize_t n;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", c->sock);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	n = snprintf(req, sizeof(req), "POST /api/v1/sessions/%s/exec HTTP/1.1\r\n"
		     "Host: x\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n%s",
		     c->sid, strlen(body), body);
	if (write(fd, req, (size_t)n) != n) {
		close(fd);
		return -1;
	}
	while (got < sizeof(resp) - 1 &&
	       (n = read(fd, resp + got, sizeof(resp) - 1 - got)) > 0)
		got += (size_t)n;
	resp[got] = '\0';
	close(fd);
	return strncmp(resp, "HTTP/1.1 200", 12) == 0 &&
			       strstr(resp, "\"exit_code\":0") ? 0 : -1;
}

static void *client_main(void *arg)
{
	struct client *c = arg;

	for (int i = 0; i < c->n; i++) {
		double t0 = now_us();
		if (one_request(c) < 0)
			c->errors++;
		c->lat[i] = now_us() - t0;
	}
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double direct_spawn_us(int n)
{
	char *argv[] = {"/bin/true", NULL};
	double *t = calloc((size_t)n, sizeof(double)), med;

	for (int i = 0; i < n; i++) {
		double t0 = now_us();
		pid_t pid;
		posix_spawn(&pid, argv[0], NULL, NULL, argv, environ);
		waitpid(pid, NULL, 0);
		t[i] = now_us() - t0;
	}
	qsort(t, (size_t)n, sizeof(double), cmp);
	med = t[n / 2];
	free(t);
	return med;
}

int main(int argc, char **argv)
{
	int nc = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 0;
	int per = argc > 4 ? (int)strtol(argv[4], NULL, 10) : 0, errors = 0;
	struct client cl[64];
	pthread_t th[64];
	double *all, t0, secs, base;

	if (argc < 5 || nc <= 0 || nc > 64 || per <= 0) {
		fprintf(stderr, "usage: bench_exec SOCKET SESSION CLIENTS N\n");
		return 2;
	}
	all = calloc((size_t)(nc * per), sizeof(double));
	t0 = now_us();
	for (int i = 0; i < nc; i++) {
		cl[i] = (struct client){argv[1], argv[2], per, all + i * per, 0};
		pthread_create(&th[i], NULL, client_main, &cl[i]);
	}
	for (int i = 0; i < nc; i++) {
		pthread_join(th[i], NULL);
		errors += cl[i].errors;
	}
	secs = (now_us() - t0) / 1e6;
	qsort(all, (size_t)(nc * per), sizeof(double), cmp);
	base = direct_spawn_us(nc * per);
	printf("exec API, %d clients: %.0f requests/s, p50 %.0f us, p99 %.0f us, "
	       "%d errors | direct spawn of true: %.0f us median | p50 ratio "
	       "%.2fx\n", nc, (double)(nc * per) / secs, all[nc * per / 2],
	       all[nc * per * 99 / 100], errors, base, all[nc * per / 2] / base);
	free(all);
	return errors ? 1 : 0;
}
