/* The test server: routes exercising every part of the HTTP API. */
#include "http_testsrv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "http_client.h"

#define TS_BODY_MAX 512
#define TS_BIG_LEN (4 * 1024 * 1024)
#define TS_FLOOD_EVENT 4096

struct ts_stats ts_stats;

static void ts_text(struct http_req *req, int status, const char *s)
{
	http_resp_send(req, status, "text/plain", s, strlen(s));
}

static void h_hello(struct http_req *req, void *arg)
{
	ts_text(req, 200, "hello\n");
}

static void h_echo(struct http_req *req, void *arg)
{
	const char *x = http_req_header(req, "x-test");
	size_t len;
	const char *b = http_req_body(req, &len);

	if (x != NULL)
		http_resp_header(req, "X-Echo", x);
	http_resp_send(req, 200, "application/octet-stream", b, len);
}

static void h_param(struct http_req *req, void *arg)
{
	char out[TS_BODY_MAX];
	const char *id = http_req_param(req, "id");

	snprintf(out, sizeof(out), "%s=%s path=%s", (const char *)arg,
		 id ? id : "-", http_req_path(req));
	ts_text(req, 200, out);
}

static void h_query(struct http_req *req, void *arg)
{
	char out[TS_BODY_MAX];
	const char *lim = http_req_query(req, "limit");
	const char *name = http_req_query(req, "name");
	const char *flag = http_req_query(req, "flag");

	snprintf(out, sizeof(out), "limit=%s|name=%s|flag=%s|raw=%s",
		 lim ? lim : "-", name ? name : "-", flag ? flag : "-",
		 http_req_query_raw(req));
	ts_text(req, 200, out);
}

static void h_peer(struct http_req *req, void *arg)
{
	const struct http_peer *p = http_req_peer(req);
	char out[TS_BODY_MAX];

	snprintf(out, sizeof(out), "kind=%d uid=%ld gid=%ld pid=%ld pidfd=%d "
		 "addr=%s", (int)p->kind, (long)(int)p->uid, (long)(int)p->gid,
		 (long)p->pid, p->pidfd >= 0 ? 1 : 0, p->addr);
	ts_text(req, 200, out);
}

struct ts_hold {
	struct http_req *req;
	int sse;
};

static void h_hold_abort(struct http_req *req, void *arg)
{
	atomic_fetch_add(&ts_stats.aborts, 1);
}

static void h_hold_fire(struct loop *l, void *arg)
{
	struct ts_hold *h = arg;
	int rc = http_resp_send(h->req, 200, "text/plain", "late\n", 5);

	atomic_store(&ts_stats.hold_rc, rc);
	atomic_fetch_add(&ts_stats.holds_done, 1);
	free(h);
}

/* Held for ?ms=N, then answered; the client may be gone by then. */
static void h_hold(struct http_req *req, void *arg)
{
	struct loop *l = arg;
	const char *ms = http_req_query(req, "ms");
	struct ts_hold *h = calloc(1, sizeof(*h));

	if (h == NULL) {
		ts_text(req, 500, "oom\n");
		return;
	}
	h->req = req;
	http_req_hold(req);
	http_req_on_abort(req, h_hold_abort, h);
	loop_timer_add(l, ms ? strtol(ms, NULL, 10) : 20, h_hold_fire, h);
}

struct ts_sse {
	struct http_req *req;
	int step;
};

static void h_sse_step(struct loop *l, void *arg)
{
	static const char multi[] = "a\nb\r\nc";
	struct ts_sse *s = arg;

	if (s->step == 0)
		http_sse_send(s->req, "one", "1", 1);
	else if (s->step == 1)
		http_sse_send(s->req, NULL, multi, sizeof(multi) - 1);
	else if (s->step == 2)
		http_sse_comment(s->req, "ping");
	if (s->step++ < 3) {
		loop_timer_add(l, 5, h_sse_step, s);
		return;
	}
	http_sse_send(s->req, "end", "", 0);
	http_sse_end(s->req);
	free(s);
}

static void h_sse(struct http_req *req, void *arg)
{
	struct ts_sse *s = calloc(1, sizeof(*s));

	s->req = req;
	http_sse_start(req);
	loop_timer_add(arg, 5, h_sse_step, s);
}

static void h_ssehold_abort(struct http_req *req, void *arg)
{
	atomic_fetch_add(&ts_stats.sse_aborts, 1);
	http_sse_end(req);
}

static void h_ssehold(struct http_req *req, void *arg)
{
	http_req_on_abort(req, h_ssehold_abort, NULL);
	http_sse_start(req);
	http_sse_send(req, "ready", "{}", 2);
}

/* Write events until the unread bytes hit the bound. */
static void h_flood(struct http_req *req, void *arg)
{
	char *ev = malloc(TS_FLOOD_EVENT);
	int rc = 0, i;

	memset(ev, 'x', TS_FLOOD_EVENT);
	http_sse_start(req);
	for (i = 0; i < 100000 && rc == 0; i++)
		rc = http_sse_send(req, "x", ev, TS_FLOOD_EVENT);
	atomic_store(&ts_stats.flood_sent, i);
	atomic_store(&ts_stats.flood_rc, rc);
	http_sse_end(req);
	free(ev);
}

static void h_count(struct http_req *req, void *arg)
{
	char out[32];

	snprintf(out, sizeof(out), "%u",
		 http_server_conn_count(*(struct http_server **)arg) - 1);
	ts_text(req, 200, out);
}

static void h_noresp(struct http_req *req, void *arg)
{
}

static void h_big(struct http_req *req, void *arg)
{
	char *b = malloc(TS_BIG_LEN);

	for (size_t i = 0; i < TS_BIG_LEN; i++)
		b[i] = (char)('a' + i % 26);
	http_resp_send(req, 200, "application/octet-stream", b, TS_BIG_LEN);
	free(b);
}

static void h_hdr(struct http_req *req, void *arg)
{
	int a = http_resp_header(req, "X-A", "b");
	int b = http_resp_header(req, "X-B", "c\r\nEvil: 1");
	int c = http_resp_header(req, "Content-Length", "1");
	int d = http_resp_header(req, "Bad Name", "1");
	char out[64];

	atomic_store(&ts_stats.hdr_rc, b);
	snprintf(out, sizeof(out), "%d %d %d %d", a, b, c, d);
	ts_text(req, 200, out);
}

static void ts_shutdown_done(struct http_server *srv, void *arg)
{
	atomic_fetch_add(&ts_stats.shutdown_done, 1);
}

static void h_shutdown(struct http_req *req, void *arg)
{
	http_server_shutdown(*(struct http_server **)arg, 300,
			     ts_shutdown_done, NULL);
	ts_text(req, 200, "bye\n");
}

static int ts_routes(struct ts *t)
{
	static const struct {
		const char *m, *p;
		http_handler fn;
		int argk; /* 0 none, 1 loop, 2 &srv, 3 label */
		const char *label;
	} rt[] = {
		{"GET", "/hello", h_hello, 0, NULL},
		{"POST", "/echo", h_echo, 0, NULL},
		{"POST", "/api/v1/sessions/{id}/exec", h_param, 3, "exec"},
		{"GET", "/api/v1/sessions/{id}", h_param, 3, "get"},
		{"GET", "/api/v1/sessions/search", h_param, 3, "search"},
		{"GET", "/q", h_query, 0, NULL},
		{"GET", "/peer", h_peer, 0, NULL},
		{"GET", "/hold", h_hold, 1, NULL},
		{"GET", "/sse", h_sse, 1, NULL},
		{"GET", "/ssehold", h_ssehold, 0, NULL},
		{"GET", "/flood", h_flood, 0, NULL},
		{"GET", "/count", h_count, 2, NULL},
		{"GET", "/noresp", h_noresp, 0, NULL},
		{"GET", "/big", h_big, 0, NULL},
		{"GET", "/hdr", h_hdr, 0, NULL},
		{"POST", "/shutdown", h_shutdown, 2, NULL},
	};

	for (size_t i = 0; i < sizeof(rt) / sizeof(rt[0]); i++) {
		void *arg = rt[i].argk == 1 ? (void *)t->l :
			    rt[i].argk == 2 ? (void *)&t->srv :
			    (void *)(uintptr_t)rt[i].label;
		int r = http_route(t->srv, rt[i].m, rt[i].p, rt[i].fn, arg);

		if (r < 0)
			return r;
	}
	return 0;
}

void ts_config(struct http_config *cfg)
{
	http_config_defaults(cfg);
	cfg->body_max = 4096;
	cfg->header_timeout_ms = 400;
	cfg->body_timeout_ms = 400;
	cfg->idle_timeout_ms = 400;
	cfg->write_timeout_ms = 2000;
	cfg->linger_ms = 300;
	cfg->sse_out_max = 64 * 1024;
}

static void ts_on_stop(struct loop *l, int fd, uint32_t ev, void *arg)
{
	loop_stop(l);
}

static void *ts_thread(void *arg)
{
	struct ts *t = arg;

	loop_run(t->l);
	return NULL;
}

static int ts_listen(struct ts *t, const char *hostport)
{
	int r;

	snprintf(t->dir, sizeof(t->dir), "/tmp/agentsh-http-XXXXXX");
	if (mkdtemp(t->dir) == NULL)
		return -errno;
	snprintf(t->sock, sizeof(t->sock), "%s/api.sock", t->dir);
	r = http_listen_tcp(t->srv, hostport, &t->port);
	if (r == 0)
		r = http_listen_unix(t->srv, t->sock, 0600);
	return r;
}

int ts_start(struct ts *t, const struct http_config *cfg)
{
	return ts_start_at(t, cfg, "127.0.0.1:0");
}

int ts_start_at(struct ts *t, const struct http_config *cfg,
		const char *hostport)
{
	struct http_config def;
	int r = -ENOMEM;

	memset(t, 0, sizeof(*t));
	t->evfd = -1;
	memset(&ts_stats, 0, sizeof(ts_stats));
	if (cfg == NULL) {
		ts_config(&def);
		cfg = &def;
	}
	t->l = loop_new();
	t->srv = t->l ? http_server_new(t->l, cfg) : NULL;
	t->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (t->srv == NULL || t->evfd < 0)
		return r;
	r = ts_routes(t);
	if (r == 0)
		r = ts_listen(t, hostport);
	if (r == 0)
		r = loop_add_fd(t->l, t->evfd, EPOLLIN, ts_on_stop, t);
	if (r == 0 && pthread_create(&t->th, NULL, ts_thread, t) != 0)
		r = -EAGAIN;
	t->running = r == 0;
	return r;
}

void ts_stop(struct ts *t)
{
	uint64_t one = 1;

	if (t->running) {
		if (write(t->evfd, &one, sizeof(one)) != sizeof(one))
			abort();
		pthread_join(t->th, NULL);
	}
	if (t->l != NULL)
		loop_del_fd(t->l, t->evfd);
	http_server_free(t->srv);
	loop_free(t->l);
	if (t->evfd >= 0)
		close(t->evfd);
	unlink(t->sock);
	rmdir(t->dir);
}

int ts_wait(atomic_int *v, int want, int ms)
{
	int64_t end = hc_now_ms() + ms;
	int cur;

	while ((cur = atomic_load(v)) < want && hc_now_ms() < end)
		usleep(2000);
	return cur;
}

int ts_count(struct ts *t)
{
	struct hc_resp r;
	int n = -1;

	if (hc_get(t->port, "GET /count HTTP/1.1\r\nConnection: close\r\n\r\n",
		   &r) == 0) {
		n = (int)strtol(r.body, NULL, 10);
		hc_resp_free(&r);
	}
	return n;
}
