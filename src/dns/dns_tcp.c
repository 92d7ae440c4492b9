/* Client TCP connections: length-prefixed queries, one at a time. */
#include "dns/dns_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static void dns_tcp_on_idle(struct loop *l, void *arg)
{
	struct dns_tconn *c = arg;

	(void)l;
	c->idle = NULL;
	dns_tcp_close(c);
}

/* Watch for what c waits for next, and restart its idle timer. */
void dns_tcp_watch(struct dns_tconn *c)
{
	uint32_t ev = c->outlen ? EPOLLOUT : c->pend ? 0 : EPOLLIN;

	loop_timer_cancel(c->s->loop, c->idle);
	c->idle = loop_timer_add(c->s->loop, DNS_TCP_TIMEOUT_MS,
				 dns_tcp_on_idle, c);
	if (c->idle == NULL || loop_mod_fd(c->s->loop, c->fd, ev) < 0)
		dns_tcp_close(c);
}

void dns_tcp_close(struct dns_tconn *c)
{
	struct dns *s = c->s;

	if (c->pend) {
		c->pend->conn = NULL;
		c->pend->peer_len = 0;
		dns_pend_free(c->pend);
	}
	loop_timer_cancel(s->loop, c->idle);
	if (c->fd >= 0) {
		loop_del_fd(s->loop, c->fd);
		close(c->fd);
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	free(c);
}

void dns_tcp_send(struct dns_tconn *c, const uint8_t *msg, size_t len)
{
	if (len > DNS_MSG_MAX) {
		dns_tcp_close(c);
		return;
	}
	c->out[0] = (uint8_t)(len >> 8);
	c->out[1] = (uint8_t)len;
	memcpy(c->out + 2, msg, len);
	c->outlen = len + 2;
	c->outpos = 0;
	dns_tcp_watch(c);
}

/* Read towards one whole query; handle it once complete. */
static void dns_tcp_read(struct dns_tconn *c)
{
	size_t need = c->inlen < 2 ? 2 : 2 + ((size_t)c->in[0] << 8 | c->in[1]);
	ssize_t n = recv(c->fd, c->in + c->inlen, need - c->inlen,
			 MSG_DONTWAIT);

	if (n == 0 || (n < 0 && errno != EAGAIN)) {
		dns_tcp_close(c);
		return;
	}
	if (n < 0)
		return;
	c->inlen += (size_t)n;
	if (c->inlen < 2 || c->inlen < 2 + ((size_t)c->in[0] << 8 | c->in[1]))
		return;
	need = c->inlen - 2;
	c->inlen = 0;
	if (need == 0) {
		dns_tcp_close(c);
		return;
	}
	dns_handle(c->s, c->in + 2, need, c, NULL, 0);
	/* c may be gone; if not, dns_tcp_send or the pending query decided
	 * what it waits for. */
}

static void dns_tcp_write(struct dns_tconn *c)
{
	ssize_t n = send(c->fd, c->out + c->outpos, c->outlen - c->outpos,
			 MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n < 0) {
		if (errno != EAGAIN)
			dns_tcp_close(c);
		return;
	}
	c->outpos += (size_t)n;
	if (c->outpos < c->outlen)
		return;
	c->outlen = c->outpos = 0;
	dns_tcp_watch(c);
}

static void dns_tcp_on_fd(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct dns_tconn *c = arg;

	(void)l;
	(void)fd;
	if (c->outlen)
		dns_tcp_write(c);
	else if (events & EPOLLIN)
		dns_tcp_read(c);
	else if (events & (EPOLLHUP | EPOLLERR))
		dns_tcp_close(c);
}

static void dns_tcp_on_accept(struct loop *l, int fd, uint32_t events,
			      void *arg)
{
	struct dns *s = arg;
	struct dns_tconn *c;
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	(void)events;
	if (cfd < 0)
		return;
	c = s->nconns < DNS_TCP_CONNS_MAX ? calloc(1, sizeof(*c)) : NULL;
	if (c == NULL) {
		close(cfd);
		s->st.dropped++;
		return;
	}
	c->s = s;
	c->fd = cfd;
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	if (loop_add_fd(l, cfd, EPOLLIN, dns_tcp_on_fd, c) < 0) {
		close(cfd);
		c->fd = -1;
		dns_tcp_close(c);
		return;
	}
	dns_tcp_watch(c);
}

int dns_tcp_accept_start(struct dns *s)
{
	return loop_add_fd(s->loop, s->tfd, EPOLLIN, dns_tcp_on_accept, s);
}
