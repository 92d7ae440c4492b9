/*
 * One connection: reading and parsing one request at a time, writing the
 * response, timeouts, and closing (with a short drain so that a client
 * still sending sees our error response rather than a reset).
 */
#include "api/http_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static void http_conn_on_event(struct loop *l, int fd, uint32_t events,
			       void *arg);

static void http_conn_on_timer(struct loop *l, void *arg)
{
	struct http_conn *c = arg;

	c->timer = NULL; /* freed by the loop after this returns */
	http_conn_close(c, false);
}

void http_conn_disarm(struct http_conn *c)
{
	loop_timer_cancel(c->loop, c->timer);
	c->timer = NULL;
}

/* Replace the connection's deadline; ms <= 0 means none. 0 or -ENOMEM. */
int http_conn_arm(struct http_conn *c, int64_t ms)
{
	http_conn_disarm(c);
	if (ms <= 0)
		return 0;
	c->timer = loop_timer_add(c->loop, ms, http_conn_on_timer, c);
	return c->timer != NULL ? 0 : -ENOMEM;
}

int http_conn_new(struct http_server *srv, int fd, enum http_peer_kind kind)
{
	struct http_conn *c = calloc(1, sizeof(*c));
	int r = -ENOMEM;

	if (c == NULL)
		return r;
	c->srv = srv;
	c->loop = srv->loop;
	c->fd = fd;
	c->passed_fd = -1;
	c->refs = 1;
	c->state = HTTP_CS_IDLE;
	c->first = true;
	llhttp_init(&c->parser, HTTP_REQUEST, &srv->settings);
	c->parser.data = c;
	buf_init(&c->out, HTTP_RESP_MAX);
	buf_init(&c->pending, HTTP_READ_CHUNK);
	http_peer_fill(&c->peer, fd, kind);
	c->events = EPOLLIN;
	r = http_conn_arm(c, srv->cfg.header_timeout_ms);
	if (r == 0)
		r = loop_add_fd(c->loop, fd, EPOLLIN, http_conn_on_event, c);
	if (r < 0) {
		http_conn_disarm(c);
		if (c->peer.pidfd >= 0)
			close(c->peer.pidfd);
		free(c);
		return r;
	}
	c->next = srv->conns;
	if (srv->conns != NULL)
		srv->conns->prev = c;
	srv->conns = c;
	srv->nconns++;
	return 0;
}

void http_conn_unref(struct http_conn *c)
{
	if (c == NULL || --c->refs > 0)
		return;
	if (c->peer.pidfd >= 0)
		close(c->peer.pidfd);
	buf_release(&c->out);
	buf_release(&c->pending);
	free(c);
}

static void http_conn_unlink(struct http_conn *c, struct http_server *srv)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	srv->nconns--;
}

void http_conn_close(struct http_conn *c, bool sync_abort)
{
	struct http_server *srv = c->srv;
	struct http_req *req = c->req;

	if (c->state == HTTP_CS_CLOSED)
		return;
	c->state = HTTP_CS_CLOSED;
	loop_del_fd(c->loop, c->fd);
	close(c->fd);
	c->fd = -1;
	if (c->passed_fd >= 0)
		close(c->passed_fd);
	c->passed_fd = -1;
	http_conn_disarm(c);
	buf_release(&c->out);
	c->out_off = 0;
	buf_release(&c->pending);
	http_conn_unlink(c, srv);
	c->srv = NULL;
	c->req = NULL;
	/* A dispatched request belongs to its handler, which is told. */
	if (req != NULL && req->dispatched)
		http_req_abort(req, sync_abort);
	else if (req != NULL)
		http_req_unref(req);
	http_server_conn_gone(srv);
	http_conn_unref(c);
}

/* Set the epoll interest for the current state and output. */
void http_conn_update(struct http_conn *c)
{
	uint32_t ev = 0;

	switch (c->state) {
	case HTTP_CS_IDLE:
	case HTTP_CS_READING:
		/* Unparsed pipelined bytes go first; then read more. */
		if (c->pending.len == 0)
			ev = EPOLLIN;
		break;
	case HTTP_CS_HANDLING:
		ev = EPOLLRDHUP;
		break;
	case HTTP_CS_LINGER:
		ev = EPOLLIN;
		break;
	default:
		break;
	}
	if (c->out_off < c->out.len)
		ev |= EPOLLOUT;
	if (c->state != HTTP_CS_CLOSED && ev != c->events &&
	    loop_mod_fd(c->loop, c->fd, ev) == 0)
		c->events = ev;
}

/*
 * Shut our side, then read and drop what the client still sends for a
 * while, so that it reads our last response rather than a reset.
 */
static void http_conn_linger(struct http_conn *c)
{
	c->state = HTTP_CS_LINGER;
	buf_release(&c->pending);
	shutdown(c->fd, SHUT_WR);
	if (http_conn_arm(c, c->srv->cfg.linger_ms) < 0 ||
	    c->srv->cfg.linger_ms <= 0) {
		http_conn_close(c, false);
		return;
	}
	http_conn_update(c);
}

static void http_conn_run_deferred(void *arg);

static void http_conn_schedule_run(struct http_conn *c)
{
	if (c->run_scheduled || c->in_run)
		return;
	c->refs++;
	if (loop_defer(c->loop, http_conn_run_deferred, c) < 0) {
		c->refs--;
		http_conn_close(c, false);
		return;
	}
	c->run_scheduled = true;
}

/* Output is flushed and the response is complete: close or go idle. */
static void http_conn_response_done(struct http_conn *c)
{
	if (c->close_after || c->srv->shutting_down) {
		http_conn_linger(c);
		return;
	}
	c->state = HTTP_CS_IDLE;
	llhttp_resume(&c->parser);
	if (http_conn_arm(c, c->srv->cfg.idle_timeout_ms) < 0) {
		http_conn_close(c, false);
		return;
	}
	if (c->pending.len > 0)
		http_conn_schedule_run(c);
	http_conn_update(c);
}

/* A complete response (or the end of a stream) has been queued. */
void http_conn_resp_queued(struct http_conn *c)
{
	if (c->state == HTTP_CS_CLOSED)
		return;
	c->state = HTTP_CS_WRITING;
	if (c->out_off == c->out.len) {
		http_conn_response_done(c);
		return;
	}
	if (c->timer == NULL &&
	    http_conn_arm(c, c->srv->cfg.write_timeout_ms) < 0) {
		http_conn_close(c, false);
		return;
	}
	http_conn_update(c);
}

/* Drop the sent prefix of out once it is at least half the buffer. */
static void http_conn_compact(struct http_conn *c)
{
	if (c->out_off == 0 || c->out_off < c->out.len / 2)
		return;
	memmove(c->out.data, c->out.data + c->out_off, c->out.len - c->out_off);
	c->out.len -= c->out_off;
	c->out.data[c->out.len] = '\0';
	c->out_off = 0;
}

/* Write what the socket takes; -EPIPE when the connection was closed. */
static int http_conn_flush(struct http_conn *c)
{
	bool progress = false;

	while (c->out_off < c->out.len) {
		ssize_t w = send(c->fd, c->out.data + c->out_off,
				 c->out.len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (w <= 0) {
			http_conn_close(c, false);
			return -EPIPE;
		}
		c->out_off += (size_t)w;
		progress = true;
	}
	if (c->out_off == c->out.len) {
		buf_release(&c->out);
		c->out_off = 0;
		if (c->state == HTTP_CS_WRITING) {
			http_conn_response_done(c);
			return 0;
		}
		if (c->state == HTTP_CS_HANDLING)
			http_conn_disarm(c);
	} else if (progress && (c->state == HTTP_CS_WRITING ||
				c->state == HTTP_CS_HANDLING) &&
		   http_conn_arm(c, c->srv->cfg.write_timeout_ms) < 0) {
		http_conn_close(c, false);
		return -EPIPE;
	}
	http_conn_update(c);
	return 0;
}

/* Send now what the socket takes and queue the rest; see http_int.h. */
static size_t http_conn_try_send(struct http_conn *c, const struct iovec *iov,
				 int n, int *err)
{
	struct msghdr mh;
	ssize_t w;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = (struct iovec *)(uintptr_t)iov;
	mh.msg_iovlen = (size_t)n;
	do {
		w = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	} while (w < 0 && errno == EINTR);
	if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
		*err = -EPIPE;
	return w > 0 ? (size_t)w : 0;
}

static int http_conn_queue(struct http_conn *c, const struct iovec *iov,
			   int n, size_t skip)
{
	int r = 0;

	http_conn_compact(c);
	for (int i = 0; i < n && r == 0; i++) {
		size_t l = iov[i].iov_len;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		r = buf_append(&c->out, (const char *)iov[i].iov_base + skip,
			       l - skip);
		skip = 0;
	}
	return r;
}

int http_conn_write(struct http_conn *c, const struct iovec *iov, int n,
		    size_t unsent_max)
{
	size_t total = 0, sent = 0, unsent;
	bool was_empty = c->out_off == c->out.len;
	int r = 0;

	if (c->state == HTTP_CS_CLOSED)
		return -EPIPE;
	for (int i = 0; i < n; i++)
		total += iov[i].iov_len;
	if (was_empty)
		sent = http_conn_try_send(c, iov, n, &r);
	if (r < 0) {
		http_conn_close(c, false);
		return r;
	}
	unsent = (c->out.len - c->out_off) + (total - sent);
	if (unsent > unsent_max)
		return -ENOBUFS;
	r = http_conn_queue(c, iov, n, sent);
	if (r < 0)
		return r == -E2BIG ? -ENOBUFS : r;
	if (was_empty && unsent > 0 && c->state == HTTP_CS_HANDLING &&
	    http_conn_arm(c, c->srv->cfg.write_timeout_ms) < 0)
		return -ENOMEM;
	http_conn_update(c);
	return 0;
}

/* Parse bytes; on a complete request, keep the rest and run the handler. */
static void http_conn_feed(struct http_conn *c, const char *p, size_t n)
{
	llhttp_errno_t e = llhttp_execute(&c->parser, p, n);
	const char *pos;

	if (e == HPE_OK)
		return;
	if (e == HPE_PAUSED && c->state == HTTP_CS_DISPATCH) {
		pos = llhttp_get_error_pos(&c->parser);
		if (pos != NULL && pos < p + n &&
		    buf_append(&c->pending, pos, (size_t)(p + n - pos)) < 0) {
			http_conn_close(c, false);
			return;
		}
		http_req_dispatch(c->req);
		return;
	}
	if (c->err_status == 0)
		c->err_status = http_parse_status(e);
	http_conn_fail(c, c->err_status);
}

/* Answer a request that cannot be parsed or exceeds a limit, then close. */
void http_conn_fail(struct http_conn *c, int status)
{
	struct http_req *req = c->req;

	c->req = NULL;
	if (req != NULL)
		http_req_unref(req);
	c->close_after = true;
	http_conn_disarm(c);
	if (http_resp_error(c, status) < 0)
		http_conn_close(c, false);
}

/* Parse the pipelined bytes left over from earlier reads. */
static void http_conn_run(struct http_conn *c)
{
	if (c->in_run)
		return;
	c->in_run = true;
	c->refs++;
	while ((c->state == HTTP_CS_IDLE || c->state == HTTP_CS_READING) &&
	       c->pending.len > 0) {
		size_t n = c->pending.len;

		/* The shared buffer is free: leftovers are saved first. */
		memcpy(c->srv->rbuf, c->pending.data, n);
		buf_reset(&c->pending);
		http_conn_feed(c, c->srv->rbuf, n);
	}
	c->in_run = false;
	http_conn_update(c);
	http_conn_unref(c);
}

static void http_conn_run_deferred(void *arg)
{
	struct http_conn *c = arg;

	c->run_scheduled = false;
	if (c->state != HTTP_CS_CLOSED)
		http_conn_run(c);
	http_conn_unref(c);
}

/*
 * Keep the first descriptor a peer passes with SCM_RIGHTS (the shim's
 * seccomp listener); any other is closed at once, so a peer cannot make
 * the daemon hold descriptors.
 */
static void http_conn_take_rights(struct http_conn *c, struct msghdr *m)
{
	struct cmsghdr *h;
	size_t nfd, i;
	int *fds;

	for (h = CMSG_FIRSTHDR(m); h != NULL; h = CMSG_NXTHDR(m, h)) {
		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		fds = (int *)(void *)CMSG_DATA(h);
		for (i = 0; i < nfd; i++) {
			if (c->passed_fd < 0)
				c->passed_fd = fds[i];
			else
				close(fds[i]);
		}
	}
}

static ssize_t http_conn_recv(struct http_conn *c, char *rbuf)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(HTTP_PASSED_FDS_MAX * sizeof(int))];
	} cm;
	struct iovec iov = {rbuf, HTTP_READ_CHUNK};
	struct msghdr m = {0};
	ssize_t n;

	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = cm.b;
	m.msg_controllen = sizeof(cm.b);
	do {
		n = recvmsg(c->fd, &m, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n >= 0 && m.msg_controllen > 0)
		http_conn_take_rights(c, &m);
	return n;
}

static void http_conn_read(struct http_conn *c)
{
	char *rbuf = c->srv->rbuf;
	ssize_t n;

	n = http_conn_recv(c, rbuf);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n <= 0) {
		http_conn_close(c, false);
		return;
	}
	if (c->state == HTTP_CS_LINGER) {
		c->linger_bytes += (size_t)n;
		if (c->linger_bytes > HTTP_LINGER_BYTES_MAX)
			http_conn_close(c, false);
		return;
	}
	http_conn_feed(c, rbuf, (size_t)n);
	if (c->state != HTTP_CS_CLOSED)
		http_conn_run(c);
}

static void http_conn_on_event(struct loop *l, int fd, uint32_t events,
			       void *arg)
{
	struct http_conn *c = arg;

	c->refs++;
	if (events & EPOLLERR)
		http_conn_close(c, false);
	if (c->state != HTTP_CS_CLOSED && (events & EPOLLOUT))
		http_conn_flush(c);
	switch (c->state) {
	case HTTP_CS_IDLE:
	case HTTP_CS_READING:
	case HTTP_CS_LINGER:
		/* Pipelined bytes already held are parsed before reading. */
		if ((events & (EPOLLIN | EPOLLHUP)) && c->pending.len == 0)
			http_conn_read(c);
		break;
	case HTTP_CS_HANDLING:
		/* The client hung up while its request is being handled. */
		if (events & (EPOLLRDHUP | EPOLLHUP))
			http_conn_close(c, false);
		break;
	case HTTP_CS_WRITING:
		if (events & EPOLLHUP)
			http_conn_close(c, false);
		break;
	default:
		break;
	}
	http_conn_unref(c);
}
