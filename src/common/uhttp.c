#include "common/uhttp.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/io.h"
#include "common/str.h"

int uhttp_connect(const char *path)
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

/* The head's bytes go with one sendmsg carrying passfd (SCM_RIGHTS). */
static int uhttp_send_rights(int fd, const char *head, size_t n, int passfd)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov = {(void *)(uintptr_t)head, n};
	struct msghdr m = {0};
	struct cmsghdr *c;
	ssize_t w;

	memset(&cm, 0, sizeof(cm));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = cm.b;
	m.msg_controllen = sizeof(cm.b);
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &passfd, sizeof(int));
	do
		w = sendmsg(fd, &m, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return -errno;
	return io_write_all(fd, head + w, n - (size_t)w) < 0 ? -EIO : 0;
}

static int uhttp_send(int fd, const char *method, const char *path,
		      const char *body, size_t len, int passfd)
{
	char head[1024];
	int n = snprintf(head, sizeof(head), "%s %s HTTP/1.1\r\nHost: agentsh\r\n"
			 "Content-Type: application/json\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n", method, path, len);

	if (n < 0 || (size_t)n >= sizeof(head))
		return -E2BIG;
	if (passfd >= 0) {
		if (uhttp_send_rights(fd, head, (size_t)n, passfd) < 0)
			return -EIO;
	} else if (io_write_all(fd, head, (size_t)n) < 0) {
		return -EIO;
	}
	return len ? io_write_all(fd, body, len) : 0;
}

/* Read one chunk with the progress timeout; bytes, 0 at EOF, or -errno. */
static ssize_t uhttp_read(int fd, char *b, size_t n)
{
	struct pollfd p = {fd, POLLIN, 0};
	ssize_t r;

	for (;;) {
		if (poll(&p, 1, UHTTP_TIMEOUT_MS) <= 0)
			return -ETIMEDOUT;
		r = read(fd, b, n);
		if (r >= 0)
			return r;
		if (errno != EINTR)
			return -errno;
	}
}

static int uhttp_status(const char *raw, int *status)
{
	if (strncmp(raw, "HTTP/1.", 7) != 0 || strlen(raw) < 12)
		return -EPROTO;
	*status = (int)strtol(raw + 9, NULL, 10);
	return 0;
}

int uhttp_request(int fd, const char *method, const char *path,
		  const char *body, size_t len, char **resp, size_t *resp_len,
		  int *status)
{
	return uhttp_request_fd(fd, method, path, body, len, -1, resp,
				resp_len, status);
}

int uhttp_request_fd(int fd, const char *method, const char *path,
		     const char *body, size_t len, int passfd, char **resp,
		     size_t *resp_len, int *status)
{
	size_t cap = 65536, got = 0;
	char *b = malloc(cap + 1), *sep = NULL;
	ssize_t n;
	int r = b ? uhttp_send(fd, method, path, body, len, passfd) : -ENOMEM;

	while (r == 0 && (n = uhttp_read(fd, b + got, cap - got)) != 0) {
		if (n < 0) {
			r = (int)n;
			break;
		}
		got += (size_t)n;
		if (got == cap) {
			char *nb = cap * 2 > UHTTP_RESPONSE_MAX ? NULL :
				   realloc(b, cap * 2 + 1);
			if (nb == NULL) {
				r = -E2BIG;
				break;
			}
			b = nb;
			cap *= 2;
		}
	}
	close(fd);
	if (r == 0) {
		b[got] = '\0';
		r = uhttp_status(b, status);
	}
	if (r == 0 && (sep = strstr(b, "\r\n\r\n")) == NULL)
		r = -EPROTO;
	if (r < 0) {
		free(b);
		return r;
	}
	*resp_len = got - (size_t)(sep + 4 - b);
	memmove(b, sep + 4, *resp_len + 1);
	*resp = b;
	return 0;
}

int uhttp_stream(int fd, const char *method, const char *path,
		 const char *body, size_t len, int *status,
		 int (*fn)(void *arg, const char *data, size_t n), void *arg)
{
	char buf[65536 + 1], *sep = NULL;
	size_t got = 0;
	ssize_t n;
	int r = uhttp_send(fd, method, path, body, len, -1);

	/* The head: read until the blank line. */
	while (r == 0 && sep == NULL) {
		if (got == sizeof(buf) - 1 ||
		    (n = uhttp_read(fd, buf + got, sizeof(buf) - 1 - got)) <= 0) {
			r = -EPROTO;
			break;
		}
		got += (size_t)n;
		buf[got] = '\0';
		sep = strstr(buf, "\r\n\r\n");
	}
	if (r == 0)
		r = uhttp_status(buf, status);
	if (r == 0 && got > (size_t)(sep + 4 - buf) &&
	    fn(arg, sep + 4, got - (size_t)(sep + 4 - buf)) != 0)
		goto out;
	while (r == 0 && (n = uhttp_read(fd, buf, sizeof(buf) - 1)) > 0)
		if (fn(arg, buf, (size_t)n) != 0)
			break;
out:
	close(fd);
	return r;
}
