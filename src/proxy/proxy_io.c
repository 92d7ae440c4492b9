/* Bytes between the client and the upstream, and what the client asks. */
#include "proxy/proxy_int.h"

#include <errno.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Space for more bytes: allocate the buffer, move what is held to its start. */
int proxy_q_reserve(struct proxy_bufq *q)
{
	if (q->d == NULL && q->pool && q->pool->n > 0)
		q->d = q->pool->free[--q->pool->n];
	if (q->d == NULL && (q->d = malloc(PROXY_BUF_MAX)) == NULL)
		return -ENOMEM;
	if (q->off > 0 && q->len > 0)
		memmove(q->d, q->d + q->off, q->len);
	q->off = 0;
	return 0;
}

/* How many more bytes q could hold (once reserved). */
static size_t proxy_q_room(const struct proxy_bufq *q)
{
	return PROXY_BUF_MAX - q->len;
}

/* The bytes held; never a null pointer, so offsets on it are defined. */
static const char *proxy_q_data(const struct proxy_bufq *q)
{
	static const char none[1];

	return q->d ? q->d + q->off : none;
}

void proxy_q_reset(struct proxy_bufq *q)
{
	if (q->d && q->pool && q->pool->n < PROXY_POOL_MAX)
		q->pool->free[q->pool->n++] = q->d;
	else
		free(q->d);
	q->d = NULL;
	q->off = q->len = 0;
}

static void proxy_q_take(struct proxy_bufq *q, size_t n)
{
	q->off += n;
	q->len -= n;
	if (q->len == 0)
		proxy_q_reset(q);
}

int proxy_q_append(struct proxy_bufq *q, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	if (proxy_q_room(q) < n)
		return -ENOBUFS;
	if (proxy_q_reserve(q) < 0)
		return -ENOMEM;
	memcpy(q->d + q->len, p, n);
	q->len += n;
	return 0;
}

/* Read into q: bytes read, 0 at EOF, -EAGAIN or another -errno. */
static ssize_t proxy_q_read(int fd, struct proxy_bufq *q)
{
	size_t sp = proxy_q_room(q);
	ssize_t n;

	if (sp == 0)
		return -EAGAIN;
	if (proxy_q_reserve(q) < 0)
		return -ENOMEM;
	n = recv(fd, q->d + q->len, sp, 0);
	if (n < 0)
		n = -errno;
	else
		q->len += (size_t)n;
	if (q->len == 0)
		proxy_q_reset(q); /* nothing came: hold no buffer */
	return n;
}

static ssize_t proxy_q_write(int fd, struct proxy_bufq *q)
{
	ssize_t n;

	if (q->len == 0)
		return 0;
	n = send(fd, q->d + q->off, q->len, MSG_NOSIGNAL);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	proxy_q_take(q, (size_t)n);
	return n;
}

void proxy_io_upstream_close(struct proxy_conn *c)
{
	struct proxy_event ev = {0};

	if (c->ufd < 0)
		return;
	if (c->u_connected) {
		ev.type = "net_close";
		ev.host = c->uhost;
		ev.ip = c->uip;
		ev.port = c->uport;
		ev.rule = c->rule;
		ev.bytes_up = c->up;
		ev.bytes_down = c->down;
		c->p->ops.event(c->p->arg, c->lsn->cookie, &ev);
	}
	loop_del_fd(c->p->loop, c->ufd);
	close(c->ufd);
	c->ufd = -1;
	c->u_eof = c->u_connected = false;
	proxy_q_reset(&c->c2u);
	c->up = c->down = 0;
}

/* A request head is complete: reuse the upstream or find a new one. */
static void proxy_io_head(struct proxy_conn *c)
{
	struct proxy_req *r = &c->req;
	struct proxy_event ev = {0};

	if (!r->connect) {
		ev.type = "net_http_request";
		ev.host = r->host;
		ev.port = r->port;
		ev.method = r->method;
		ev.path = r->path;
		c->p->ops.event(c->p->arg, c->lsn->cookie, &ev);
	}
	if (!r->connect && c->ufd >= 0 && c->u_connected && !c->u_eof &&
	    c->uport == r->port && strcasecmp(c->uhost, r->host) == 0) {
		proxy_dial_connected(c);
		return;
	}
	proxy_io_upstream_close(c);
	memcpy(c->uhost, r->host, sizeof(c->uhost));
	c->uport = r->port;
	c->dial_ms = loop_now_ms(c->p->loop);
	c->st = PS_RESOLVE;
	proxy_dial_resolve(c);
}

/* Feed the parser from cin; in PS_BODY the bytes go on to the upstream. */
static int proxy_io_parse(struct proxy_conn *c)
{
	bool body = c->st == PS_BODY;
	size_t n = c->cin.len, used = 0;
	int r;

	if (body && n > proxy_q_room(&c->c2u))
		n = proxy_q_room(&c->c2u);
	r = proxy_req_feed(&c->req, proxy_q_data(&c->cin), n, &used);
	if (body)
		proxy_q_append(&c->c2u, proxy_q_data(&c->cin), used);
	proxy_q_take(&c->cin, used);
	if (r < 0) {
		proxy_conn_answer(c, c->req.status,
				  "agentsh: malformed or oversized request\n");
		return -1;
	}
	if (r == PROXY_REQ_HEAD && c->st == PS_HEAD) {
		proxy_io_head(c);
		return 1;
	}
	if (r == PROXY_REQ_END && body) {
		proxy_req_next(&c->req);
		c->st = PS_HEAD;
		c->served = true;
		c->head_ms = loop_now_ms(c->p->loop);
		return 1;
	}
	return 0;
}

/* A tunnel's ClientHello must name the CONNECT host (on 443 it must be
 * TLS; elsewhere it is checked when the first byte is a TLS handshake). */
static int proxy_io_peek(struct proxy_conn *c)
{
	char sni[PROXY_HOST_MAX];
	size_t hl = strlen(c->uhost);
	const char *d = proxy_q_data(&c->cin);
	int r = proxy_tls_sni((const uint8_t *)d, c->cin.len, sni, sizeof(sni));

	if (c->cin.len == 0 && !c->c_eof)
		return 0;
	if (d[0] != 0x16 && c->uport != 443)
		r = -ENOENT; /* not TLS: only 443 must be */
	if (r == 0 && c->cin.len < PROXY_PEEK_MAX && !c->c_eof)
		return 0;
	if (r == 1) {
		size_t sl = strlen(sni);
		if (sl > 1 && sni[sl - 1] == '.')
			sni[--sl] = '\0';
		if (hl > 1 && c->uhost[hl - 1] == '.')
			hl--;
		if (sl != hl || strncasecmp(sni, c->uhost, hl) != 0)
			r = -EPERM;
	}
	if (r < 0 && r != -ENOENT) {
		proxy_conn_close(c);
		return -1;
	}
	c->st = PS_TUNNEL;
	return 1;
}

/* Bytes just queued for the upstream go out now, saving a loop turn. */
static void proxy_io_push_up(struct proxy_conn *c)
{
	ssize_t n;

	if (c->ufd < 0 || !c->u_connected || c->c2u.len == 0)
		return;
	if ((n = proxy_q_write(c->ufd, &c->c2u)) > 0)
		c->up += (uint64_t)n;
}

void proxy_io_process(struct proxy_conn *c)
{
	int r = 1;

	while (r > 0) {
		if (c->st == PS_HEAD || c->st == PS_BODY)
			r = c->cin.len > 0 || c->st == PS_BODY ?
			    proxy_io_parse(c) : 0;
		else if (c->st == PS_PEEK)
			r = proxy_io_peek(c);
		else if (c->st == PS_SNIFF)
			r = proxy_transp_sniff(c);
		else
			r = 0;
	}
	if (r < 0)
		return;
	if (c->st == PS_TUNNEL && c->cin.len > 0 &&
	    proxy_q_append(&c->c2u, proxy_q_data(&c->cin), c->cin.len) == 0)
		proxy_q_reset(&c->cin);
	if (c->c_eof && c->st == PS_HEAD && c->u2c.len == 0) {
		proxy_conn_close(c);
		return;
	}
	proxy_io_push_up(c);
	if (c->c_eof && c->st == PS_TUNNEL && c->c2u.len == 0 && c->ufd >= 0)
		shutdown(c->ufd, SHUT_WR);
	proxy_conn_arm(c);
}

void proxy_io_client(struct loop *l, int fd, uint32_t ev, void *arg)
{
	struct proxy_conn *c = arg;
	ssize_t n = 0;

	if ((ev & EPOLLOUT) && (n = proxy_q_write(fd, &c->u2c)) < 0)
		goto gone;
	if (c->u2c.len == 0 && (c->st == PS_CLOSING || c->u_eof))
		goto gone;
	if (ev & (EPOLLIN | EPOLLHUP | EPOLLRDHUP | EPOLLERR)) {
		struct proxy_bufq *q = c->st == PS_TUNNEL ? &c->c2u : &c->cin;
		n = c->c_eof ? -EAGAIN : proxy_q_read(fd, q);
		if (n == 0)
			c->c_eof = true;
		else if (n < 0 && n != -EAGAIN)
			goto gone;
		if (n > 0)
			c->last_ms = loop_now_ms(l);
		if ((ev & EPOLLERR) || (c->c_eof && (ev & EPOLLHUP)))
			goto gone;
	}
	proxy_io_process(c);
	return;
gone:
	proxy_conn_close(c);
}


static void proxy_io_check_connect(struct proxy_conn *c)
{
	int err = 0;
	socklen_t sl = sizeof(err);

	if (getsockopt(c->ufd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0)
		err = errno;
	if (err != 0) {
		proxy_conn_answer(c, 502,
				  "agentsh: could not connect upstream\n");
		return;
	}
	c->u_connected = true;
	proxy_dial_connected(c);
	proxy_io_process(c);
}

void proxy_io_upstream(struct loop *l, int fd, uint32_t ev, void *arg)
{
	struct proxy_conn *c = arg;
	ssize_t n;

	if (!c->u_connected) {
		proxy_io_check_connect(c);
		return;
	}
	if ((ev & EPOLLOUT) && (n = proxy_q_write(fd, &c->c2u)) > 0) {
		c->up += (uint64_t)n;
		c->last_ms = loop_now_ms(l);
	}
	if (ev & (EPOLLIN | EPOLLHUP | EPOLLRDHUP | EPOLLERR)) {
		n = c->u_eof ? -EAGAIN : proxy_q_read(fd, &c->u2c);
		if (n == 0 || (n < 0 && n != -EAGAIN))
			c->u_eof = true;
		if (n > 0) {
			c->down += (uint64_t)n;
			c->last_ms = loop_now_ms(l);
			/* Straight on to the client, saving a loop turn. */
			if (proxy_q_write(c->cfd, &c->u2c) < 0)
				(void)0; /* the client's own events report it */
		}
	}
	if (c->u_eof) {
		/* The upstream is done: the client gets what is left. */
		proxy_io_upstream_close(c);
		c->st = PS_CLOSING;
		if (c->u2c.len == 0) {
			proxy_conn_close(c);
			return;
		}
	}
	proxy_io_process(c);
}
