/*
 * libFuzzer target: arbitrary bytes as what a client sends on one
 * connection, through the real server path (llhttp, our limits, routing,
 * query and parameter decoding, responses, deferred answers, SSE, aborts
 * and timeouts). The input is written over a socketpair in chunks whose
 * size depends on the input length, so requests are split at many places.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/http.h"
#include "common/loop.h"

#define FZ_CHUNK_MOD 97     /* write sizes 1..97 */
#define FZ_SAFETY_MS 2000   /* an input never runs longer than this */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz {
	struct loop *l;
	int fd;             /* the client end */
	const uint8_t *data;
	size_t size, off, chunk;
	int half_close;
	struct loop_timer *safety;
};

static void fz_param(struct http_req *req, void *arg)
{
	char out[256];
	const char *x = http_req_param(req, "x");
	const char *q = http_req_query(req, "q");
	const char *h = http_req_header(req, "x-h");
	const char *n, *v;
	size_t len = 0;
	int k = snprintf(out, sizeof(out), "%s|%s|%s|%s|%zu", x ? x : "",
			 q ? q : "", h ? h : "", http_req_path(req),
			 http_req_header_count(req));

	for (size_t i = 0; http_req_header_at(req, i, &n, &v) == 0; i++)
		len += strlen(n) + strlen(v);
	http_resp_header(req, "X-Len", q ? q : "0");
	if (k < 0)
		k = 0;
	if ((size_t)k >= sizeof(out))
		k = sizeof(out) - 1; /* snprintf reports the untruncated size */
	http_resp_send(req, len % 2 ? 200 : 201, "text/plain", out, (size_t)k);
}

static void fz_echo(struct http_req *req, void *arg)
{
	size_t len;
	const char *b = http_req_body(req, &len);

	http_resp_send(req, 200, "application/octet-stream", b, len);
}

static void fz_hold_fire(struct loop *l, void *arg)
{
	http_resp_send(arg, 200, "text/plain", "late", 4);
}

static void fz_hold(struct http_req *req, void *arg)
{
	http_req_hold(req);
	if (loop_timer_add(arg, 0, fz_hold_fire, req) == NULL)
		http_resp_send(req, 500, NULL, NULL, 0);
}

/* An open stream: ended by a timer or by the client leaving. */
struct fz_stream {
	struct http_req *req;
	struct loop_timer *t;
	struct loop *l;
};

static void fz_stream_done(struct fz_stream *st)
{
	loop_timer_cancel(st->l, st->t);
	http_sse_end(st->req);
	free(st);
}

static void fz_stream_timer(struct loop *l, void *arg)
{
	struct fz_stream *st = arg;

	st->t = NULL;
	http_sse_send(st->req, "tick", "t\nu", 3);
	fz_stream_done(st);
}

static void fz_sse_abort(struct http_req *req, void *arg)
{
	fz_stream_done(arg);
}

static void fz_sse(struct http_req *req, void *arg)
{
	struct fz_stream *st = calloc(1, sizeof(*st));
	size_t len;
	const char *b = http_req_body(req, &len);
	const char *ev = http_req_query(req, "e");

	if (st == NULL) {
		http_resp_send(req, 500, NULL, NULL, 0);
		return;
	}
	st->req = req;
	st->l = arg;
	http_sse_start(req);
	http_sse_send(req, ev, b, len);
	http_sse_comment(req, "c");
	if (http_req_query(req, "open") != NULL &&
	    (st->t = loop_timer_add(arg, 1, fz_stream_timer, st)) != NULL) {
		http_req_on_abort(req, fz_sse_abort, st);
		return;
	}
	fz_stream_done(st);
}

static void fz_nothing(struct http_req *req, void *arg)
{
}

static struct http_server *fz_server(struct loop *l)
{
	struct http_config cfg;
	struct http_server *srv;

	http_config_defaults(&cfg);
	cfg.body_max = 4096;
	cfg.max_conns = 4;
	cfg.sse_out_max = 1024;
	cfg.header_timeout_ms = 10;
	cfg.body_timeout_ms = 10;
	cfg.idle_timeout_ms = 10;
	cfg.write_timeout_ms = 10;
	cfg.linger_ms = 5;
	srv = http_server_new(l, &cfg);
	if (srv == NULL ||
	    http_route(srv, "GET", "/a/{x}", fz_param, NULL) < 0 ||
	    http_route(srv, "GET", "/a/lit", fz_param, NULL) < 0 ||
	    http_route(srv, "POST", "/b", fz_echo, NULL) < 0 ||
	    http_route(srv, "GET", "/h", fz_hold, l) < 0 ||
	    http_route(srv, "POST", "/s/{e}", fz_sse, l) < 0 ||
	    http_route(srv, "GET", "/n", fz_nothing, NULL) < 0) {
		http_server_free(srv);
		return NULL;
	}
	return srv;
}

/* The client: write the input in chunks, read and drop the answers. */
static void fz_client(struct loop *l, int fd, uint32_t ev, void *arg)
{
	struct fz *f = arg;
	char tmp[65536];

	if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		ssize_t n = recv(fd, tmp, sizeof(tmp), MSG_DONTWAIT);

		if (n == 0 || (n < 0 && errno != EAGAIN)) {
			loop_stop(l);
			return;
		}
	}
	if ((ev & EPOLLOUT) && f->off < f->size) {
		size_t n = f->size - f->off;
		ssize_t w;

		w = send(fd, f->data + f->off, n < f->chunk ? n : f->chunk,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0)
			f->off += (size_t)w;
		else if (w < 0 && errno != EAGAIN)
			f->off = f->size;
		if (f->off == f->size) {
			if (f->half_close)
				shutdown(fd, SHUT_WR);
			loop_mod_fd(l, fd, EPOLLIN);
		}
	}
}

static void fz_safety(struct loop *l, void *arg)
{
	struct fz *f = arg;

	f->safety = NULL;
	loop_stop(l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = {.data = data, .size = size};
	struct http_server *srv;
	int sv[2];

	f.l = loop_new();
	if (f.l == NULL)
		return 0;
	srv = fz_server(f.l);
	if (srv == NULL ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		http_server_free(srv);
		loop_free(f.l);
		return 0;
	}
	f.fd = sv[1];
	f.chunk = 1 + size % FZ_CHUNK_MOD;
	/* Most inputs half-close when done; some leave it to the timeouts. */
	f.half_close = size % 7 != 0;
	if (http_server_adopt(srv, sv[0]) < 0)
		close(sv[0]);
	loop_add_fd(f.l, f.fd, EPOLLIN | EPOLLOUT, fz_client, &f);
	f.safety = loop_timer_add(f.l, FZ_SAFETY_MS, fz_safety, &f);
	loop_run(f.l);
	loop_timer_cancel(f.l, f.safety);
	loop_del_fd(f.l, f.fd);
	close(f.fd);
	http_server_free(srv);
	/* Held requests still finish from their timers, after the abort. */
	loop_run(f.l);
	loop_free(f.l);
	return 0;
}
