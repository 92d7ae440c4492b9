/* Allowed queries towards upstream: UDP with retries, TCP when needed. */
#include "dns/dns_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

static void dns_up_on_fd(struct loop *l, int fd, uint32_t events, void *arg);
static void dns_up_on_timer(struct loop *l, void *arg);

void dns_pend_free(struct dns_pend *p)
{
	struct dns *s = p->s;
	struct dns_tconn *c = p->conn;

	if (p->fd >= 0) {
		loop_del_fd(s->loop, p->fd);
		close(p->fd);
	}
	loop_timer_cancel(s->loop, p->timer);
	if (p->prev)
		p->prev->next = p->next;
	else
		s->pend = p->next;
	if (p->next)
		p->next->prev = p->prev;
	s->npend--;
	free(p->msg);
	free(p->ans);
	free(p);
	if (c) {
		c->pend = NULL;
		dns_tcp_watch(c);
	}
}

/* Send msg to the client of p and forget p (the client may go away while
 * it is answered, so it is detached first). */
static void dns_up_finish(struct dns_pend *p, const uint8_t *msg, size_t len)
{
	struct dns_tconn *c = p->conn;

	if (c)
		c->pend = NULL;
	p->conn = NULL;
	if (msg)
		dns_reply(p->s, c, (struct sockaddr *)&p->peer, p->peer_len,
			  msg, len);
	else if (c)
		dns_tcp_close(c);
	dns_pend_free(p);
}

/* Answer the client of p with SERVFAIL and forget p. */
static void dns_up_fail(struct dns_pend *p)
{
	uint8_t out[DNS_UDP_MAX];
	int n;

	p->msg[2] = (uint8_t)(p->q.id >> 8);
	p->msg[3] = (uint8_t)p->q.id;
	n = dns_msg_error(p->msg + 2, p->len, DNS_RCODE_SERVFAIL, out,
			  sizeof(out));
	p->s->st.servfail++;
	dns_up_finish(p, n > 0 ? out : NULL, n > 0 ? (size_t)n : 0);
}

/* A checked answer: give it the client's id and relay it. */
static void dns_up_done(struct dns_pend *p, uint8_t *ans, size_t len)
{
	ans[0] = (uint8_t)(p->q.id >> 8);
	ans[1] = (uint8_t)p->q.id;
	p->s->st.answered++;
	dns_up_finish(p, ans, len);
}

/* A fresh socket to upstream (connected: the kernel drops datagrams
 * from any other address and port). */
static int dns_up_open(struct dns_pend *p, bool tcp)
{
	struct dns *s = p->s;
	int fd = socket(s->o.upstream.ss_family, (tcp ? SOCK_STREAM :
			SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int r;

	if (fd < 0)
		return -errno;
	if (p->fd >= 0) {
		loop_del_fd(s->loop, p->fd);
		close(p->fd);
	}
	p->fd = fd;
	p->up_tcp = tcp;
	p->wpos = p->apos = 0;
	if (connect(fd, (struct sockaddr *)&s->o.upstream,
		    s->o.upstream_len) < 0 && errno != EINPROGRESS)
		return -errno;
	r = loop_add_fd(s->loop, fd, tcp ? EPOLLOUT : EPOLLIN, dns_up_on_fd,
			p);
	if (r < 0)
		return r;
	loop_timer_cancel(s->loop, p->timer);
	p->timer = loop_timer_add(s->loop, tcp ? DNS_TCP_TIMEOUT_MS :
				  s->o.timeout_ms, dns_up_on_timer, p);
	return p->timer ? 0 : -ENOMEM;
}

static int dns_up_send_udp(struct dns_pend *p)
{
	p->tries++;
	if (send(p->fd, p->msg + 2, p->len, MSG_NOSIGNAL) < 0 &&
	    errno != EAGAIN)
		return -errno;
	return 0;
}

int dns_up_start(struct dns *s, const uint8_t *wire, size_t len,
		 const struct dns_query *q, struct dns_tconn *c,
		 const struct sockaddr *peer, socklen_t peer_len)
{
	struct dns_pend *p = calloc(1, sizeof(*p));

	if (p == NULL || (p->msg = malloc(len + 2)) == NULL ||
	    getrandom(&p->up_id, sizeof(p->up_id), 0) != sizeof(p->up_id)) {
		if (p)
			free(p->msg);
		free(p);
		return -ENOMEM;
	}
	p->s = s;
	p->fd = -1;
	p->conn = c;
	p->q = *q;
	p->len = len;
	if (peer && peer_len <= sizeof(p->peer)) {
		memcpy(&p->peer, peer, peer_len);
		p->peer_len = peer_len;
	}
	p->msg[0] = (uint8_t)(len >> 8);
	p->msg[1] = (uint8_t)len;
	memcpy(p->msg + 2, wire, len);
	p->msg[2] = (uint8_t)(p->up_id >> 8);
	p->msg[3] = (uint8_t)p->up_id;
	p->next = s->pend;
	if (s->pend)
		s->pend->prev = p;
	s->pend = p;
	s->npend++;
	if (c)
		c->pend = p;
	if (dns_up_open(p, c != NULL) < 0 ||
	    (c == NULL && dns_up_send_udp(p) < 0)) {
		p->conn = NULL; /* the caller answers the client */
		if (c)
			c->pend = NULL;
		dns_pend_free(p);
		return -EIO;
	}
	if (c)
		dns_tcp_watch(c);
	return 0;
}

static void dns_up_on_timer(struct loop *l, void *arg)
{
	struct dns_pend *p = arg;

	(void)l;
	p->timer = NULL;
	if (!p->up_tcp && p->tries < p->s->o.tries) {
		p->timer = loop_timer_add(p->s->loop, p->s->o.timeout_ms,
					  dns_up_on_timer, p);
		if (p->timer && dns_up_send_udp(p) == 0)
			return;
	}
	dns_up_fail(p);
}

/* A datagram from upstream: relay it if it answers our question. */
static void dns_up_read_udp(struct dns_pend *p)
{
	uint8_t buf[DNS_UDP_MAX];
	ssize_t n;

	for (;;) {
		n = recv(p->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0)
			return;
		if ((size_t)n > sizeof(buf) ||
		    !dns_msg_answers(buf, (size_t)n, p->up_id, &p->q)) {
			p->s->st.mismatched++;
			continue;
		}
		/* A truncated answer is relayed as is: the client asked
		 * over UDP and retries over TCP, as from any server. */
		dns_up_done(p, buf, (size_t)n);
		return;
	}
}

/* TCP: send the length-prefixed query; 0, 1 when all sent, -errno. */
static int dns_up_write_tcp(struct dns_pend *p)
{
	ssize_t n = send(p->fd, p->msg + p->wpos, p->len + 2 - p->wpos,
			 MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	p->wpos += (size_t)n;
	if (p->wpos < p->len + 2)
		return 0;
	return loop_mod_fd(p->s->loop, p->fd, EPOLLIN) < 0 ? -EIO : 1;
}

/* TCP: read the length-prefixed answer; 0, 1 when complete, -errno. */
static int dns_up_read_tcp(struct dns_pend *p)
{
	size_t need = 2;
	ssize_t n;

	if (p->ans == NULL && (p->ans = malloc(2 + DNS_MSG_MAX)) == NULL)
		return -ENOMEM;
	if (p->apos >= 2)
		need = 2 + ((size_t)p->ans[0] << 8 | p->ans[1]);
	n = recv(p->fd, p->ans + p->apos, need - p->apos, MSG_DONTWAIT);
	if (n == 0)
		return -ECONNRESET;
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	p->apos += (size_t)n;
	if (p->apos == 2 && need == 2)
		return 0;
	return p->apos >= 2 && p->apos == 2 + ((size_t)p->ans[0] << 8 |
						p->ans[1]) ? 1 : 0;
}

static void dns_up_on_tcp(struct dns_pend *p, uint32_t events)
{
	int r = 0;
	size_t len;

	if (p->wpos < p->len + 2) {
		r = dns_up_write_tcp(p);
		if (r < 0 || (r == 0 && (events & (EPOLLERR | EPOLLHUP))))
			dns_up_fail(p);
		return;
	}
	r = dns_up_read_tcp(p);
	if (r == 0)
		return;
	len = p->apos - 2;
	if (r < 0 || !dns_msg_answers(p->ans + 2, len, p->up_id, &p->q)) {
		p->s->st.mismatched += r > 0;
		dns_up_fail(p);
		return;
	}
	dns_up_done(p, p->ans + 2, len);
}

static void dns_up_on_fd(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct dns_pend *p = arg;

	(void)l;
	(void)fd;
	if (p->up_tcp)
		dns_up_on_tcp(p, events);
	else
		dns_up_read_udp(p);
}
