/*
 * A tiny server for trying the HTTP layer by hand:
 *   build/tests/unit/api/http_demo [host:port] [unix-socket-path]
 *   curl -s http://127.0.0.1:8080/hello
 *   curl -s --data-binary @file http://127.0.0.1:8080/echo
 *   curl -sN http://127.0.0.1:8080/ticks          (Server-Sent Events)
 *   curl -s --unix-socket /tmp/demo.sock http://x/whoami
 * SIGINT or SIGTERM shuts down gracefully.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "api/http.h"
#include "common/loop.h"

#define DEMO_TICKS 5
#define DEMO_TICK_MS 200

struct demo {
	struct loop *l;
	struct http_server *srv;
	int sfd;
};

static void demo_hello(struct http_req *req, void *arg)
{
	http_resp_send(req, 200, "text/plain", "hello\n", 6);
}

static void demo_echo(struct http_req *req, void *arg)
{
	size_t len;
	const char *b = http_req_body(req, &len);

	http_resp_send(req, 200, "application/octet-stream", b, len);
}

static void demo_whoami(struct http_req *req, void *arg)
{
	const struct http_peer *p = http_req_peer(req);
	char out[256];
	int n = snprintf(out, sizeof(out), "%s uid=%ld pid=%ld pidfd=%s\n",
			 p->addr, (long)(int)p->uid, (long)p->pid,
			 p->pidfd >= 0 ? "yes" : "no");

	http_resp_send(req, 200, "text/plain", out, (size_t)n);
}

struct demo_ticker {
	struct http_req *req;
	struct loop_timer *t;
	int n;
};

static void demo_tick(struct loop *l, void *arg)
{
	struct demo_ticker *k = arg;
	char data[32];
	int n = snprintf(data, sizeof(data), "{\"tick\":%d}", k->n);

	k->t = NULL;
	if (http_sse_send(k->req, "tick", data, (size_t)n) == 0 &&
	    ++k->n < DEMO_TICKS) {
		k->t = loop_timer_add(l, DEMO_TICK_MS, demo_tick, k);
		return;
	}
	http_sse_end(k->req);
	free(k);
}

static void demo_ticks_abort(struct http_req *req, void *arg)
{
	struct demo_ticker *k = arg;

	/* The next tick sees -EPIPE and finishes the stream. */
	fprintf(stderr, "demo: client left after %d ticks\n", k->n);
}

static void demo_ticks(struct http_req *req, void *arg)
{
	struct demo *d = arg;
	struct demo_ticker *k = calloc(1, sizeof(*k));

	if (k == NULL) {
		http_resp_send(req, 500, NULL, NULL, 0);
		return;
	}
	k->req = req;
	http_req_on_abort(req, demo_ticks_abort, k);
	http_sse_start(req);
	k->t = loop_timer_add(d->l, 0, demo_tick, k);
}

static void demo_done(struct http_server *srv, void *arg)
{
	loop_stop(arg);
}

static void demo_signal(struct loop *l, int fd, uint32_t ev, void *arg)
{
	struct demo *d = arg;
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return;
	fprintf(stderr, "demo: signal %u, shutting down\n", si.ssi_signo);
	loop_del_fd(l, fd);
	http_server_shutdown(d->srv, 2000, demo_done, l);
}

static int demo_setup(struct demo *d, const char *hp, const char *sock)
{
	uint16_t port = 0;
	sigset_t set;
	int r;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	d->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (d->sfd < 0)
		return -errno;
	r = http_route(d->srv, "GET", "/hello", demo_hello, d);
	if (r == 0)
		r = http_route(d->srv, "POST", "/echo", demo_echo, d);
	if (r == 0)
		r = http_route(d->srv, "GET", "/whoami", demo_whoami, d);
	if (r == 0)
		r = http_route(d->srv, "GET", "/ticks", demo_ticks, d);
	if (r == 0)
		r = http_listen_tcp(d->srv, hp, &port);
	if (r == 0 && sock != NULL)
		r = http_listen_unix(d->srv, sock, 0600);
	if (r == 0)
		r = loop_add_fd(d->l, d->sfd, EPOLLIN, demo_signal, d);
	if (r == 0)
		fprintf(stderr, "demo: listening on port %u%s%s\n", port,
			sock ? " and " : "", sock ? sock : "");
	return r;
}

int main(int argc, char **argv)
{
	struct demo d;
	int r;

	d.sfd = -1;
	d.l = loop_new();
	d.srv = d.l ? http_server_new(d.l, NULL) : NULL;
	if (d.srv == NULL)
		return 1;
	r = demo_setup(&d, argc > 1 ? argv[1] : "127.0.0.1:8080",
		       argc > 2 ? argv[2] : NULL);
	if (r == 0)
		r = loop_run(d.l);
	if (r < 0)
		fprintf(stderr, "demo: %s\n", strerror(-r));
	http_server_free(d.srv);
	loop_free(d.l);
	if (d.sfd >= 0)
		close(d.sfd);
	return r < 0 ? 1 : 0;
}
