/* Listening sockets (TCP and Unix) and what we learn about a peer. */
#include "api/http_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/str.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77 /* Linux 6.5; older libc headers lack it */
#endif

#define HTTP_HOST_MAX 256 /* host part of "host:port" */
#define HTTP_BACKLOG 511

/* Split "host:port", "[v6]:port" or ":port"; host "" means any address. */
static int http_split_hostport(const char *hp, char *host, size_t hostsz,
			       char *port, size_t portsz)
{
	const char *colon;
	size_t hl;
	int64_t v;

	if (hp[0] == '[') {
		const char *end = strchr(hp, ']');

		if (end == NULL || end[1] != ':')
			return -EINVAL;
		hp++;
		hl = (size_t)(end - hp);
		colon = end + 1;
	} else {
		colon = strrchr(hp, ':');
		if (colon == NULL || memchr(hp, ':', (size_t)(colon - hp)))
			return -EINVAL;
		hl = (size_t)(colon - hp);
	}
	if (hl >= hostsz)
		return -ENAMETOOLONG;
	memcpy(host, hp, hl);
	host[hl] = '\0';
	if (str_to_i64(colon + 1, 0, 65535, &v) < 0)
		return -EINVAL;
	snprintf(port, portsz, "%d", (int)v);
	return 0;
}

/* Create, bind and listen on one resolved address. */
static int http_bind_one(const struct addrinfo *ai, int *fd_out)
{
	int one = 1;
	int fd, r = 0;

	fd = socket(ai->ai_family,
		    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
	    listen(fd, HTTP_BACKLOG) < 0) {
		r = -errno;
		close(fd);
		goto out;
	}
	*fd_out = fd;
out:
	return r;
}

static uint16_t http_local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

int http_listen_open_tcp(const char *hostport, int *fd_out, uint16_t *port)
{
	char host[HTTP_HOST_MAX], portstr[8];
	struct addrinfo hints, *res = NULL;
	int r;

	r = http_split_hostport(hostport, host, sizeof(host), portstr,
				sizeof(portstr));
	if (r < 0)
		goto out;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (getaddrinfo(host[0] ? host : NULL, portstr, &hints, &res) != 0) {
		r = -EADDRNOTAVAIL;
		goto out;
	}
	r = -EADDRNOTAVAIL;
	for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		r = http_bind_one(ai, fd_out);
		if (r == 0)
			break;
	}
	if (r == 0 && port != NULL)
		*port = http_local_port(*fd_out);
out:
	if (res != NULL)
		freeaddrinfo(res);
	return r;
}

/*
 * 0 when path may be bound: absent, or a socket nobody answers on. The
 * probe does not block: a full backlog (EAGAIN) means someone is there.
 */
static int http_unix_clear_stale(const char *path, const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, r = 0;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0 ||
	    errno == EAGAIN)
		r = -EADDRINUSE;
	else if (errno != ECONNREFUSED)
		r = -errno;
	else if (unlink(path) < 0 && errno != ENOENT)
		r = -errno;
	close(fd);
	return r;
}

int http_listen_open_unix(const char *path, mode_t mode, int *fd_out,
			  dev_t *dev, ino_t *ino)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd = -1, r;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (str_lcpy(sa.sun_path, path, sizeof(sa.sun_path)) >=
	    sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	r = http_unix_clear_stale(path, &sa);
	if (r < 0)
		goto out;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		goto out;
	}
	/* Nobody can connect before listen(), so chmod here leaves no gap. */
	if (chmod(path, mode) < 0 || listen(fd, HTTP_BACKLOG) < 0 ||
	    lstat(path, &st) < 0) {
		r = -errno;
		unlink(path);
		goto out;
	}
	*dev = st.st_dev;
	*ino = st.st_ino;
	*fd_out = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	return r;
}

static void http_peer_unix(struct http_peer *p, int fd)
{
	struct ucred uc;
	socklen_t sl = sizeof(uc);
	int pidfd = -1;

	str_lcpy(p->addr, "unix", sizeof(p->addr));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &sl) == 0) {
		p->uid = uc.uid;
		p->gid = uc.gid;
		p->pid = uc.pid;
	}
	sl = sizeof(pidfd);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &sl) == 0 &&
	    pidfd >= 0) {
		fcntl(pidfd, F_SETFD, FD_CLOEXEC);
		p->pidfd = pidfd;
	}
}

static void http_peer_tcp(struct http_peer *p, int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char ip[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (getpeername(fd, (struct sockaddr *)&ss, &sl) < 0) {
		str_lcpy(p->addr, "?", sizeof(p->addr));
		return;
	}
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		port = ntohs(s4->sin_port);
		snprintf(p->addr, sizeof(p->addr), "%s:%u", ip, port);
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		port = ntohs(s6->sin6_port);
		snprintf(p->addr, sizeof(p->addr), "[%s]:%u", ip, port);
	}
}

void http_peer_fill(struct http_peer *p, int fd, enum http_peer_kind kind)
{
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->uid = (uid_t)-1;
	p->gid = (gid_t)-1;
	p->pid = -1;
	p->pidfd = -1;
	if (kind == HTTP_PEER_UNIX)
		http_peer_unix(p, fd);
	else
		http_peer_tcp(p, fd);
}
