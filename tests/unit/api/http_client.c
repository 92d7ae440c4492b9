/* A blocking raw-socket HTTP client for the server tests. */
#include "http_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/str.h"

#define HC_RECV_TIMEOUT_S 5

int64_t hc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int hc_setup(struct hc *c, int fd)
{
	struct timeval tv = {.tv_sec = HC_RECV_TIMEOUT_S};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	c->fd = fd;
	c->head = 0;
	c->buf = NULL;
	c->len = 0;
	return 0;
}

int hc_open_tcp(struct hc *c, const char *host, uint16_t port)
{
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;
	int v6 = strchr(host, ':') != NULL;
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int r;

	if (fd < 0)
		return -errno;
	memset(&s4, 0, sizeof(s4));
	memset(&s6, 0, sizeof(s6));
	if (v6) {
		s6.sin6_family = AF_INET6;
		s6.sin6_port = htons(port);
		inet_pton(AF_INET6, host, &s6.sin6_addr);
		r = connect(fd, (struct sockaddr *)&s6, sizeof(s6));
	} else {
		s4.sin_family = AF_INET;
		s4.sin_port = htons(port);
		inet_pton(AF_INET, host, &s4.sin_addr);
		r = connect(fd, (struct sockaddr *)&s4, sizeof(s4));
	}
	if (r < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return hc_setup(c, fd);
}

int hc_open_unix(struct hc *c, const char *path)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int r;

	if (fd < 0)
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	str_lcpy(sa.sun_path, path, sizeof(sa.sun_path));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return hc_setup(c, fd);
}

void hc_close(struct hc *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
	c->len = 0;
}

int hc_send(struct hc *c, const void *p, size_t n)
{
	const char *s = p;

	while (n > 0) {
		ssize_t w = send(c->fd, s, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int hc_sends(struct hc *c, const char *s)
{
	return hc_send(c, s, strlen(s));
}

/* Read more into the buffer; 0 on EOF, >0 bytes, or -errno. */
static ssize_t hc_fill(struct hc *c)
{
	char tmp[65536];
	ssize_t n;
	char *p;

	do {
		n = recv(c->fd, tmp, sizeof(tmp), 0);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n < 0 ? -errno : 0;
	if (c->len + (size_t)n > HC_BUF_MAX)
		return -E2BIG;
	p = realloc(c->buf, c->len + (size_t)n + 1);
	if (p == NULL)
		return -ENOMEM;
	memcpy(p + c->len, tmp, (size_t)n);
	c->buf = p;
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	return n;
}

static void hc_consume(struct hc *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
	c->buf[c->len] = '\0';
}

/* Copy of the first n buffered bytes, NUL-terminated. */
static char *hc_take(struct hc *c, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		return NULL;
	memcpy(s, c->buf, n);
	s[n] = '\0';
	hc_consume(c, n);
	return s;
}

/* Wait for a whole header block (skipping 1xx responses). */
static int hc_read_head(struct hc *c, struct hc_resp *r)
{
	for (;;) {
		char *end = c->buf ? strstr(c->buf, "\r\n\r\n") : NULL;
		ssize_t n;

		if (end != NULL) {
			size_t hl = (size_t)(end - c->buf) + 4;

			r->head = hc_take(c, hl);
			if (r->head == NULL)
				return -ENOMEM;
			r->status = (int)strtol(r->head + 9, NULL, 10);
			if (r->status >= 200)
				return 0;
			free(r->head);
			r->head = NULL;
			continue;
		}
		n = hc_fill(c);
		if (n <= 0)
			return n < 0 ? (int)n : -ECONNRESET;
	}
}

int hc_read_resp(struct hc *c, struct hc_resp *r)
{
	char v[32];
	size_t want;
	int rc;

	memset(r, 0, sizeof(*r));
	rc = hc_read_head(c, r);
	if (rc < 0)
		return rc;
	if (hc_header(r, "Content-Length", v, sizeof(v)) == 0) {
		want = c->head ? 0 : strtoul(v, NULL, 10);
		while (c->len < want) {
			ssize_t n = hc_fill(c);

			if (n <= 0)
				return n < 0 ? (int)n : -ECONNRESET;
		}
	} else {
		while (hc_fill(c) > 0)
			;
		want = c->len;
	}
	r->body_len = want;
	r->body = hc_take(c, want);
	return r->body ? 0 : -ENOMEM;
}

void hc_resp_free(struct hc_resp *r)
{
	free(r->head);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

int hc_header(const struct hc_resp *r, const char *name, char *out,
	      size_t outsz)
{
	size_t nl = strlen(name);
	const char *p = r->head ? strstr(r->head, "\r\n") : NULL;

	while (p != NULL && p[2] != '\r') {
		const char *line = p + 2;
		const char *e = strstr(line, "\r\n");

		if (strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
			const char *v = line + nl + 1;
			size_t vl;

			while (*v == ' ')
				v++;
			vl = (size_t)(e - v);
			if (vl >= outsz)
				vl = outsz - 1;
			memcpy(out, v, vl);
			out[vl] = '\0';
			return 0;
		}
		p = e;
	}
	return -1;
}

ssize_t hc_read_all(struct hc *c, char **out)
{
	ssize_t n;

	while ((n = hc_fill(c)) > 0)
		;
	if (n < 0 && n != -ECONNRESET)
		return n;
	*out = hc_take(c, c->len);
	return *out ? (ssize_t)strlen(*out) : -ENOMEM;
}

int hc_wait_closed(struct hc *c, int ms)
{
	int64_t end = hc_now_ms() + ms;

	for (;;) {
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		int64_t left = end - hc_now_ms();
		char tmp[4096];
		ssize_t n;

		if (left <= 0)
			return 0;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		n = recv(c->fd, tmp, sizeof(tmp), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return 1;
	}
}

int hc_get(uint16_t port, const char *req, struct hc_resp *r)
{
	struct hc c;
	int rc = hc_open_tcp(&c, "127.0.0.1", port);

	if (rc < 0)
		return rc;
	rc = hc_sends(&c, req);
	if (rc == 0)
		rc = hc_read_resp(&c, r);
	hc_close(&c);
	return rc;
}
