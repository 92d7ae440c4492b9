/*
 * A minimal keep-alive HTTP origin for the proxy benchmark: one epoll
 * thread answering every request head with a fixed small body, so that the
 * origin is never what limits a run. Prints its port, serves until killed.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define ORIGIN_BUF 16384 /* bytes of pending request data per connection */
#define ORIGIN_FDS 65536 /* descriptors served */

static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 13\r\n"
			   "Content-Type: text/plain\r\n\r\nhello, bench\n";

struct oc {
	size_t len;
	char b[ORIGIN_BUF];
};

static struct oc *conns[ORIGIN_FDS];

/* Answer every complete head in c; -1 when the connection should close. */
static int origin_serve(int fd, struct oc *c)
{
	char *end;

	while ((end = memmem(c->b, c->len, "\r\n\r\n", 4)) != NULL) {
		size_t used = (size_t)(end + 4 - c->b);
		if (write(fd, resp, sizeof(resp) - 1) != sizeof(resp) - 1)
			return -1;
		memmove(c->b, c->b + used, c->len - used);
		c->len -= used;
	}
	return c->len == sizeof(c->b) ? -1 : 0;
}

static void origin_read(int ep, int fd)
{
	struct oc *c = conns[fd];
	ssize_t n = read(fd, c->b + c->len, sizeof(c->b) - c->len);

	if (n > 0) {
		c->len += (size_t)n;
		if (origin_serve(fd, c) == 0)
			return;
	}
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	free(c);
	conns[fd] = NULL;
	close(fd);
}

int main(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t sl = sizeof(a);
	struct epoll_event ev = {.events = EPOLLIN}, evs[256];
	int lfd = socket(AF_INET, SOCK_STREAM, 0), ep = epoll_create1(0), one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&a, sl) < 0 || listen(lfd, 1024) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &sl) < 0)
		return 1;
	printf("%u\n", (unsigned)ntohs(a.sin_port));
	fflush(stdout);
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd != lfd) {
				origin_read(ep, fd);
				continue;
			}
			int cfd = accept(lfd, NULL, NULL);
			if (cfd < 0 || cfd >= ORIGIN_FDS ||
			    (conns[cfd] = calloc(1, sizeof(struct oc))) == NULL) {
				if (cfd >= 0)
					close(cfd);
				continue;
			}
			ev.data.fd = cfd;
			epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ev);
		}
	}
}
