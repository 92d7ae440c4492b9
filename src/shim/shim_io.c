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
#include "common/uhttp.h"
#include "shim/shim.h"


static int shim_try_connect(const char *path)
{
	return uhttp_connect(path);
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

