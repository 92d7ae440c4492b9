/* The proxy: listeners, connections, their clock and their end. */
#include "proxy/proxy_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/str.h"

struct proxy *proxy_new(struct loop *l, const struct proxy_ops *ops,
			void *arg, const struct proxy_opts *o)
{
	struct proxy *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->loop = l;
	p->ops = *ops;
	p->arg = arg;
	if (o)
		p->o = *o;
	if (p->o.header_timeout_ms <= 0)
		p->o.header_timeout_ms = PROXY_HEADER_TIMEOUT_MS;
	if (p->o.idle_timeout_ms <= 0)
		p->o.idle_timeout_ms = PROXY_IDLE_TIMEOUT_MS;
	if (p->o.connect_timeout_ms <= 0)
		p->o.connect_timeout_ms = PROXY_CONNECT_TIMEOUT_MS;
	if (o && o->hosts_file)
		p->hosts_file = strdup(o->hosts_file);
	p->o.hosts_file = p->hosts_file;
	if ((o && o->hosts_file && p->hosts_file == NULL) ||
	    proxy_dial_start(p) < 0) {
		free(p->hosts_file);
		free(p);
		return NULL;
	}
	return p;
}

void proxy_free(struct proxy *p)
{
	if (p == NULL)
		return;
	while (p->lsns)
		proxy_unlisten(p, p->lsns->cookie);
	while (p->conns)
		proxy_conn_close(p->conns);
	proxy_dial_stop(p);
	while (p->pool.n > 0)
		free(p->pool.free[--p->pool.n]);
	free(p->hosts_file);
	free(p);
}

static void proxy_tick(struct loop *l, void *arg);

static int proxy_conn_new(struct proxy_lsn *ls, int fd)
{
	struct proxy *p = ls->p;
	struct proxy_conn *c = calloc(1, sizeof(*c));
	int one = 1;

	if (c == NULL)
		return -ENOMEM;
	c->p = p;
	c->lsn = ls;
	c->cfd = fd;
	c->ufd = -1;
	c->cin.pool = c->c2u.pool = c->u2c.pool = &p->pool;
	c->cev = EPOLLIN | EPOLLRDHUP;
	c->last_ms = c->head_ms = loop_now_ms(p->loop);
	proxy_req_init(&c->req);
	if (ls->transparent) {
		c->transparent = true;
		c->st = PS_SNIFF;
		if (proxy_transp_orig(c) < 0) {
			proxy_req_release(&c->req);
			free(c);
			return -EINVAL;
		}
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->timer = loop_timer_add(p->loop, PROXY_TICK_MS, proxy_tick, c);
	if (c->timer == NULL ||
	    loop_add_fd(p->loop, fd, EPOLLIN | EPOLLRDHUP, proxy_io_client,
			c) < 0) {
		loop_timer_cancel(p->loop, c->timer);
		proxy_req_release(&c->req);
		free(c);
		return -ENOMEM;
	}
	c->next = p->conns;
	if (p->conns)
		p->conns->prev = c;
	p->conns = c;
	return 0;
}

static void proxy_resume(struct loop *l, void *arg)
{
	struct proxy_lsn *ls = arg;

	ls->paused = NULL;
	loop_mod_fd(l, ls->fd, EPOLLIN);
}

static void proxy_accept(struct loop *l, int fd, uint32_t ev, void *arg)
{
	struct proxy_lsn *ls = arg;

	for (int i = 0; i < 64; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0 && (errno == EMFILE || errno == ENFILE ||
				errno == ENOBUFS || errno == ENOMEM)) {
			/* Out of descriptors: the pending connection stays
			 * readable, so stop listening a while instead of waking
			 * again at once (which would spin the loop). */
			loop_mod_fd(l, fd, 0);
			if (ls->paused == NULL)
				ls->paused = loop_timer_add(l, PROXY_ACCEPT_PAUSE_MS,
							    proxy_resume, ls);
			return;
		}
		if (cfd < 0)
			return;
		if (proxy_conn_new(ls, cfd) < 0)
			close(cfd);
	}
}

static void proxy_conn_free(void *arg)
{
	struct proxy_conn *c = arg;

	proxy_req_release(&c->req);
	free(c);
}

void proxy_conn_close(struct proxy_conn *c)
{
	struct proxy *p = c->p;

	c->closed = true;
	proxy_io_upstream_close(c);
	proxy_q_reset(&c->cin); /* back to the pool while the proxy lives */
	proxy_q_reset(&c->c2u);
	proxy_q_reset(&c->u2c);
	if (c->job)
		c->job->c = NULL;
	loop_timer_cancel(p->loop, c->timer);
	loop_del_fd(p->loop, c->cfd);
	close(c->cfd);
	if (c->prev)
		c->prev->next = c->next;
	else
		p->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (loop_defer(p->loop, proxy_conn_free, c) < 0)
		log_msg(LOG_LVL_WARN, "proxy: leaking a connection (out of memory)");
}

/* Is the connection past one of its deadlines? */
static bool proxy_expired(struct proxy_conn *c, int64_t now)
{
	const struct proxy_opts *o = &c->p->o;

	/* A first request must arrive in time even if no byte ever does; a
	 * kept-alive connection between requests has the idle timeout. */
	if (c->st == PS_HEAD && now - c->head_ms > o->header_timeout_ms &&
	    (!c->served || c->cin.len > 0 || c->req.url.len > 0 ||
	     c->req.nheaders > 0))
		return true;
	if ((c->st == PS_RESOLVE || c->st == PS_DIAL) &&
	    now - c->dial_ms > o->connect_timeout_ms)
		return true;
	if (c->st == PS_PEEK && c->uport == 443 &&
	    now - c->last_ms > o->header_timeout_ms)
		return true;
	if (c->st == PS_SNIFF && now - c->head_ms > o->header_timeout_ms)
		return true;
	return now - c->last_ms > o->idle_timeout_ms;
}

static void proxy_tick(struct loop *l, void *arg)
{
	struct proxy_conn *c = arg;

	c->timer = NULL;
	/* A silent transparent client (the server speaks first), or one
	 * whose head never completes: decide on the address alone. */
	if (c->st == PS_SNIFF && ((c->cin.len == 0 && loop_now_ms(l) -
	    c->head_ms >= PROXY_SNIFF_MS) || proxy_expired(c, loop_now_ms(l)))) {
		c->timer = loop_timer_add(l, PROXY_TICK_MS, proxy_tick, c);
		if (c->timer == NULL)
			proxy_conn_close(c);
		else
			proxy_transp_decide(c, NULL);
		return;
	}
	if (proxy_expired(c, loop_now_ms(l))) {
		if (c->st == PS_RESOLVE || c->st == PS_DIAL)
			proxy_conn_answer(c, 504, "agentsh: upstream timed out\n");
		else
			proxy_conn_close(c);
		return;
	}
	c->timer = loop_timer_add(l, PROXY_TICK_MS, proxy_tick, c);
	if (c->timer == NULL)
		proxy_conn_close(c);
}

void proxy_conn_arm(struct proxy_conn *c)
{
	uint32_t ce = 0, ue = 0;
	bool reading = c->st == PS_HEAD || c->st == PS_BODY ||
		       c->st == PS_PEEK || c->st == PS_TUNNEL ||
		       c->st == PS_SNIFF;

	if (reading && !c->c_eof && c->cin.len < PROXY_BUF_MAX &&
	    c->c2u.len < PROXY_BUF_MAX)
		ce |= EPOLLIN | EPOLLRDHUP;
	/* Closing with nothing to send (no memory for the answer): end now. */
	if (c->u2c.len > 0 || c->st == PS_CLOSING)
		ce |= EPOLLOUT;
	if (ce != c->cev && loop_mod_fd(c->p->loop, c->cfd, ce) == 0)
		c->cev = ce;
	if (c->ufd < 0)
		return;
	if (!c->u_eof && c->u2c.len < PROXY_BUF_MAX && c->u_connected)
		ue |= EPOLLIN | EPOLLRDHUP;
	if (c->c2u.len > 0 || !c->u_connected)
		ue |= EPOLLOUT;
	if (ue != c->uev && loop_mod_fd(c->p->loop, c->ufd, ue) == 0)
		c->uev = ue;
}

static const char *proxy_reason(int status)
{
	switch (status) {
	case 403: return "Forbidden";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 504: return "Gateway Timeout";
	default: return "Bad Request";
	}
}

/* Queue a whole answer for the client and close after it is sent. */
void proxy_conn_answer(struct proxy_conn *c, int status, const char *body)
{
	proxy_conn_answer_hdr(c, status, NULL, body);
}

void proxy_conn_answer_hdr(struct proxy_conn *c, int status, const char *hdr,
			   const char *body)
{
	struct proxy_bufq *q = &c->u2c;
	int n;

	if (c->transparent && !c->sniffed_http) {
		proxy_conn_reset(c); /* no HTTP client to read an answer */
		return;
	}
	proxy_io_upstream_close(c);
	proxy_q_reset(q);
	c->st = PS_CLOSING;
	if (proxy_q_reserve(q) < 0) {
		proxy_conn_arm(c);
		return;
	}
	n = snprintf(q->d, PROXY_BUF_MAX, "HTTP/1.1 %d %s\r\n%s%sContent-Type: "
		     "text/plain\r\nContent-Length: %zu\r\nConnection: close"
		     "\r\n\r\n%s", status, proxy_reason(status), hdr ? hdr : "",
		     hdr ? "\r\n" : "", strlen(body), body);
	q->len = n < 0 ? 0 : (size_t)n >= PROXY_BUF_MAX ? PROXY_BUF_MAX - 1 :
		 (size_t)n;
	proxy_conn_arm(c);
}

static int proxy_bind(const char *hostport, struct sockaddr_storage *ss,
		      socklen_t *sl)
{
	char host[PROXY_HOST_MAX];
	const char *colon = strrchr(hostport, ':');
	int64_t port = 0;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	size_t hl = colon ? (size_t)(colon - hostport) : strlen(hostport);

	if (colon && str_to_i64(colon + 1, 0, 65535, &port) < 0)
		return -EINVAL;
	if (hl >= 2 && hostport[0] == '[' && hostport[hl - 1] == ']') {
		hostport++;
		hl -= 2;
	}
	if (hl == 0 || hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, hostport, hl);
	host[hl] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*sl = sizeof(*s4);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*sl = sizeof(*s6);
	} else {
		return -EINVAL;
	}
	return 0;
}

static int proxy_listen_fd(const char *hostport, uint16_t *port_out)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1, fd, r = proxy_bind(hostport, &ss, &sl);

	if (r < 0)
		return r;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 512) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	*port_out = ntohs(ss.ss_family == AF_INET ?
			  ((struct sockaddr_in *)&ss)->sin_port :
			  ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

static int proxy_listen_mode(struct proxy *p, const char *hostport,
			     void *cookie, uint16_t *port_out, bool transparent)
{
	struct proxy_lsn *ls = calloc(1, sizeof(*ls));
	uint16_t port = 0;
	int r = -ENOMEM;

	if (ls == NULL)
		goto out;
	r = ls->fd = proxy_listen_fd(hostport, &port);
	if (r < 0)
		goto out;
	r = loop_add_fd(p->loop, ls->fd, EPOLLIN, proxy_accept, ls);
	if (r < 0) {
		close(ls->fd);
		goto out;
	}
	ls->p = p;
	ls->cookie = cookie;
	ls->transparent = transparent;
	ls->next = p->lsns;
	p->lsns = ls;
	if (port_out)
		*port_out = port;
	return 0;
out:
	free(ls);
	return r;
}

int proxy_listen(struct proxy *p, const char *hostport, void *cookie,
		 uint16_t *port_out)
{
	return proxy_listen_mode(p, hostport, cookie, port_out, false);
}

int proxy_listen_transparent(struct proxy *p, const char *hostport,
			     void *cookie, uint16_t *port_out)
{
	return proxy_listen_mode(p, hostport, cookie, port_out, true);
}

static bool proxy_unlisten_one(struct proxy *p, void *cookie);

void proxy_unlisten(struct proxy *p, void *cookie)
{
	while (proxy_unlisten_one(p, cookie))
		;
}

static bool proxy_unlisten_one(struct proxy *p, void *cookie)
{
	struct proxy_lsn **pp = &p->lsns, *ls;
	struct proxy_conn *c, *n;

	while (*pp && (*pp)->cookie != cookie)
		pp = &(*pp)->next;
	if ((ls = *pp) == NULL)
		return false;
	*pp = ls->next;
	for (c = p->conns; c; c = n) {
		n = c->next;
		if (c->lsn == ls)
			proxy_conn_close(c);
	}
	if (ls->paused)
		loop_timer_cancel(p->loop, ls->paused);
	loop_del_fd(p->loop, ls->fd);
	close(ls->fd);
	free(ls);
	return true;
}
