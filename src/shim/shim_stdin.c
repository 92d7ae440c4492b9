/* A bare shell fed on stdin: read the script ahead so it can be checked,
 * then give the real shell the very same bytes. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/io.h"
#include "shim/shim.h"

#define SHIM_STDIN_FIRST_MS 500 /* wait for the first bytes of a pipe */
#define SHIM_STDIN_QUIET_MS 50  /* a pause this long: the writer waits on us */

int shim_stdin_read(char **script, size_t *len, bool *complete)
{
	struct stat st;
	struct pollfd p = {0, POLLIN, 0};
	char *b = malloc(SHIM_SCRIPT_MAX + 1);
	bool file = fstat(0, &st) == 0 && S_ISREG(st.st_mode);

	*len = 0;
	*complete = false;
	if (b == NULL)
		return -ENOMEM;
	while (*len < SHIM_SCRIPT_MAX) {
		ssize_t n;
		if (!file && poll(&p, 1, *len ? SHIM_STDIN_QUIET_MS :
				  SHIM_STDIN_FIRST_MS) <= 0)
			break;
		n = read(0, b + *len, SHIM_SCRIPT_MAX - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*complete = n == 0;
			break;
		}
		*len += (size_t)n;
	}
	b[*len] = '\0';
	*script = b;
	return 0;
}

/* Streaming: a forwarder child writes the prefix, then copies the rest. */
static int shim_stdin_forward(const char *script, size_t len)
{
	int pfd[2], nul;
	char buf[65536];
	ssize_t n;

	if (pipe2(pfd, 0) < 0)
		return -errno;
	switch (fork()) {
	case -1:
		return -errno;
	case 0:
		close(pfd[0]);
		nul = open("/dev/null", O_WRONLY);
		dup2(nul, 1); /* never hold the caller's output open */
		dup2(nul, 2);
		if (io_write_all(pfd[1], script, len) == 0)
			while ((n = read(0, buf, sizeof(buf))) > 0 &&
			       io_write_all(pfd[1], buf, (size_t)n) == 0)
				;
		_exit(0);
	default:
		close(pfd[1]);
		if (dup2(pfd[0], 0) < 0)
			return -errno;
		close(pfd[0]);
		return 0;
	}
}

int shim_stdin_replay(const char *script, size_t len, bool complete)
{
	int fd;

	if (!complete)
		return shim_stdin_forward(script, len);
	fd = memfd_create("agentsh-script", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (io_write_all(fd, script, len) < 0 || lseek(fd, 0, SEEK_SET) < 0 ||
	    dup2(fd, 0) < 0) {
		close(fd);
		return -EIO;
	}
	close(fd);
	return 0;
}
