/* Talking to the daemon over its Unix socket; starting it when absent. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/str.h"
#include "shim/shim.h"

#define SHIM_IO_TIMEOUT_MS 600000 /* a decision that takes longer: deny */

static int shim_try_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (str_lcpy(sa.sun_path, path, sizeof(sa.sun_path)) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

/* Mode 0755 parents for the log file; failures are left to open(). */
static void shim_mkdirs(const char *file)
{
	char dir[PATH_MAX];
	char *s;

	str_lcpy(dir, file, sizeof(dir));
	for (s = dir + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		mkdir(dir, 0755);
		*s = '/';
	}
}

/* Double fork, setsid, stdio to /dev/null and the log: the daemon must
 * never hold the caller's pipes or terminal. */
static void shim_spawn_daemon(const struct shim_conf *c)
{
	pid_t pid = fork();

	if (pid != 0) {
		if (pid > 0)
			waitpid(pid, NULL, 0);
		return;
	}
	setsid();
	if (fork() != 0)
		_exit(0);
	int nul = open("/dev/null", O_RDWR | O_CLOEXEC), log;
	shim_mkdirs(c->log);
	log = open(c->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	dup2(nul, 0);
	dup2(log >= 0 ? log : nul, 1);
	dup2(log >= 0 ? log : nul, 2);
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
	execl(c->server, c->server, "server", "--config", c->config,
	      (char *)NULL);
	_exit(127);
}

static int64_t shim_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int shim_connect(const struct shim_conf *c, bool may_autostart)
{
	int fd = shim_try_connect(c->socket);
	int64_t deadline;

	if (fd >= 0 || !may_autostart || !c->autostart)
		return fd;
	shim_spawn_daemon(c);
	deadline = shim_now_ms() + SHIM_CONNECT_WAIT_MS;
	while ((fd = shim_try_connect(c->socket)) < 0 &&
	       shim_now_ms() < deadline)
		poll(NULL, 0, 2);
	return fd;
}

static int shim_write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read until EOF (the request says Connection: close), bounded. */
static int shim_read_all(int fd, char **out, size_t *len)
{
	size_t cap = 65536;
	char *b = malloc(cap + 1);
	struct pollfd p = {fd, POLLIN, 0};

	*len = 0;
	while (b != NULL) {
		ssize_t n;
		if (poll(&p, 1, SHIM_IO_TIMEOUT_MS) <= 0)
			break;
		n = read(fd, b + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			b[*len] = '\0';
			*out = b;
			return n == 0 ? 0 : -EIO;
		}
		*len += (size_t)n;
		if (*len == cap) {
			char *nb = cap * 2 > SHIM_RESPONSE_MAX ? NULL :
				   realloc(b, cap * 2 + 1);
			if (nb == NULL)
				break;
			b = nb;
			cap *= 2;
		}
	}
	free(b);
	return -EIO;
}

int shim_http_post(int fd, const char *path, const char *body, size_t len,
		   char **resp, size_t *resp_len, int *status)
{
	char head[512], *raw = NULL, *sep;
	size_t rawlen;
	int n, r;

	n = snprintf(head, sizeof(head), "POST %s HTTP/1.1\r\nHost: agentsh\r\n"
		     "Content-Type: application/json\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\n\r\n", path, len);
	if (n < 0 || (size_t)n >= sizeof(head))
		return -E2BIG;
	r = shim_write_all(fd, head, (size_t)n);
	if (r == 0)
		r = shim_write_all(fd, body, len);
	if (r == 0)
		r = shim_read_all(fd, &raw, &rawlen);
	if (r < 0 || strncmp(raw, "HTTP/1.", 7) != 0 ||
	    (sep = strstr(raw, "\r\n\r\n")) == NULL) {
		free(raw);
		return r < 0 ? r : -EPROTO;
	}
	*status = (int)strtol(raw + 9, NULL, 10);
	*resp_len = rawlen - (size_t)(sep + 4 - raw);
	memmove(raw, sep + 4, *resp_len + 1);
	*resp = raw;
	return 0;
}
