/*
 * An established tunnel's bytes moved by splice(2) through one pipe per
 * direction, never copied into user space. A direction's source is read
 * only while its pipe has room (the back-pressure), the pipe drains into
 * the destination when that is writable; the byte counts and the idle
 * clock are kept as on the copying path, which remains the fallback.
 */
#include "proxy/proxy_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef PROXY_PIPE_SIZE
#define PROXY_PIPE_SIZE (256 << 10) /* bytes a tunnel's pipe may hold */
#endif

static void proxy_splice_close_pipe(struct proxy_pipe *pp)
{
	close(pp->fd[0]);
	close(pp->fd[1]);
	pp->len = 0;
}

/* Only once the SNI peek is done and nothing waits in the copy buffers. */
void proxy_splice_start(struct proxy_conn *c)
{
	if (c->spliced || c->nosplice || c->st != PS_TUNNEL || c->ufd < 0 ||
	    !c->u_connected || c->c_eof || c->u_eof || c->cin.len > 0 ||
	    c->c2u.len > 0 || c->u2c.len > 0)
		return;
	if (pipe2(c->pc2u.fd, O_NONBLOCK | O_CLOEXEC) < 0) {
		c->nosplice = true;
		return;
	}
	if (pipe2(c->pu2c.fd, O_NONBLOCK | O_CLOEXEC) < 0) {
		proxy_splice_close_pipe(&c->pc2u);
		c->nosplice = true;
		return;
	}
	/* Larger pipes mean fewer loop turns; the default size if refused. */
	(void)fcntl(c->pc2u.fd[1], F_SETPIPE_SZ, PROXY_PIPE_SIZE);
	(void)fcntl(c->pu2c.fd[1], F_SETPIPE_SZ, PROXY_PIPE_SIZE);
	c->pc2u.len = c->pu2c.len = 0;
	c->pc2u.full = c->pu2c.full = false;
	c->spliced = true;
}

void proxy_splice_release(struct proxy_conn *c)
{
	if (!c->spliced)
		return;
	proxy_splice_close_pipe(&c->pc2u);
	proxy_splice_close_pipe(&c->pu2c);
	c->spliced = false;
}

/* Socket to pipe: bytes moved, 0 at EOF, -EAGAIN or another -errno. */
static ssize_t proxy_splice_in(int fd, struct proxy_pipe *pp)
{
	ssize_t n = splice(fd, NULL, pp->fd[1], NULL, PROXY_SPLICE_MAX,
			   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);

	if (n < 0) {
		/* No data, or no room in the pipe: only a drain tells which. */
		if (errno == EAGAIN && pp->len > 0)
			pp->full = true;
		return -errno;
	}
	pp->len += (size_t)n;
	return n;
}

/* Pipe to socket: bytes moved (0 when it would block) or -errno. */
static ssize_t proxy_splice_out(struct proxy_pipe *pp, int fd)
{
	ssize_t n;

	if (pp->len == 0)
		return 0;
	n = splice(pp->fd[0], NULL, fd, NULL, pp->len,
		   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	pp->len -= (size_t)n;
	pp->full = false;
	return n;
}

/* Client bytes held in the pipe go upstream; at the client's EOF, pass it on. */
static void proxy_splice_push_up(struct proxy_conn *c)
{
	ssize_t n;

	if (c->ufd < 0)
		return;
	if ((n = proxy_splice_out(&c->pc2u, c->ufd)) > 0) {
		c->up += (uint64_t)n;
		c->last_ms = loop_now_ms(c->p->loop);
	}
	if (c->c_eof && c->pc2u.len == 0)
		shutdown(c->ufd, SHUT_WR);
}

void proxy_splice_client(struct proxy_conn *c, uint32_t ev)
{
	ssize_t n;

	if ((ev & EPOLLOUT) && (n = proxy_splice_out(&c->pu2c, c->cfd)) < 0)
		goto gone;
	if (c->pu2c.len == 0 && (c->st == PS_CLOSING || c->u_eof))
		goto gone;
	if (ev & (EPOLLIN | EPOLLHUP | EPOLLRDHUP | EPOLLERR)) {
		n = c->c_eof ? -EAGAIN : proxy_splice_in(c->cfd, &c->pc2u);
		if (n == 0)
			c->c_eof = true;
		else if (n < 0 && n != -EAGAIN)
			goto gone;
		if (n > 0)
			c->last_ms = loop_now_ms(c->p->loop);
		if ((ev & EPOLLERR) || (c->c_eof && (ev & EPOLLHUP)))
			goto gone;
	}
	proxy_splice_push_up(c);
	proxy_conn_arm(c);
	return;
gone:
	proxy_conn_close(c);
}

void proxy_splice_upstream(struct proxy_conn *c, uint32_t ev)
{
	ssize_t n;

	if (ev & EPOLLOUT)
		proxy_splice_push_up(c);
	if (ev & (EPOLLIN | EPOLLHUP | EPOLLRDHUP | EPOLLERR)) {
		n = c->u_eof ? -EAGAIN : proxy_splice_in(c->ufd, &c->pu2c);
		if (n == 0 || (n < 0 && n != -EAGAIN))
			c->u_eof = true;
		if (n > 0) {
			c->down += (uint64_t)n;
			c->last_ms = loop_now_ms(c->p->loop);
			/* Straight on to the client, saving a loop turn. */
			if (proxy_splice_out(&c->pu2c, c->cfd) < 0)
				(void)0; /* the client's own events report it */
		}
	}
	if (c->u_eof) {
		/* The upstream is done: the client gets what is left. */
		proxy_io_upstream_close(c);
		c->st = PS_CLOSING;
		if (c->pu2c.len == 0) {
			proxy_conn_close(c);
			return;
		}
	}
	proxy_conn_arm(c);
}

/* May a direction's source be read into its pipe? */
static bool proxy_splice_room(const struct proxy_pipe *pp)
{
	return !pp->full && pp->len < PROXY_PIPE_SIZE;
}

void proxy_splice_arm(struct proxy_conn *c, uint32_t *ce, uint32_t *ue)
{
	if (c->st == PS_TUNNEL && !c->c_eof && proxy_splice_room(&c->pc2u))
		*ce |= EPOLLIN | EPOLLRDHUP;
	if (c->pu2c.len > 0 || c->st == PS_CLOSING)
		*ce |= EPOLLOUT;
	if (c->ufd < 0)
		return;
	if (!c->u_eof && proxy_splice_room(&c->pu2c))
		*ue |= EPOLLIN | EPOLLRDHUP;
	if (c->pc2u.len > 0)
		*ue |= EPOLLOUT;
}
