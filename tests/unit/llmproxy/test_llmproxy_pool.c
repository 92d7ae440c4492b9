/*
 * Upstream keep-alive of the LLM proxy: requests through a running proxy
 * to a scripted local upstream that counts its connections, the requests
 * that reach it and those it answers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "llmproxy/llmproxy_int.h"

#define UP_CONNS_MAX 128     /* upstream connections of one test */
#define UP_SCRIPT_MAX 16     /* scripted answers of one test */
#define UP_BUF 65536         /* one request or answer in the tests */
#define T_TIMEOUT_S 5        /* any socket of the tests */
#define T_CLIENTS 4          /* concurrent clients */
#define T_ROUNDS 20          /* requests of each */

/* What the upstream does with the n-th request that reaches it. */
enum up_act {
	ACT_OK,          /* 200 with a length, connection kept */
	ACT_IDLE_CLOSE,  /* the same, then the connection closed (idle) */
	ACT_RESET,       /* read a little, then reset: the request is lost */
	ACT_CONN_CLOSE,  /* Connection: close, the socket left open */
	ACT_EOF,         /* no length: the body ends with the connection */
	ACT_HTTP10,      /* an HTTP/1.0 answer, the socket left open */
	ACT_EXTRA,       /* bytes after the answer */
	ACT_PART_HEAD,   /* half a head, then closed */
	ACT_PART_BODY,   /* the head and part of the body, then closed */
	ACT_EARLY,       /* 413 before the body is read, then closed */
};

struct up {
	int lfd;
	uint16_t port;
	pthread_t acc, th[UP_CONNS_MAX];
	pthread_mutex_t mu;
	int accepts, arrived, answered;
	enum up_act script[UP_SCRIPT_MAX];
	size_t nscript;
};

struct up_conn {
	struct up *u;
	int fd;
};

static void t_timeouts(int fd)
{
	struct timeval tv = {T_TIMEOUT_S, 0};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int t_write(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Content-Length of a head in b (0 when absent). */
static size_t t_length(const char *b)
{
	const char *cl = strcasestr(b, "\r\ncontent-length:");

	return cl ? strtoul(cl + 17, NULL, 10) : 0;
}

/* The rest of a request whose first n bytes are in b; 0 or -1. */
static int up_read_request(int fd, char *b, size_t n)
{
	char *end;

	b[n] = '\0';
	while ((end = strstr(b, "\r\n\r\n")) == NULL) {
		ssize_t r = n + 1 < UP_BUF ? read(fd, b + n, UP_BUF - 1 - n) : -1;
		if (r <= 0)
			return -1;
		n += (size_t)r;
		b[n] = '\0';
	}
	for (size_t want = (size_t)(end + 4 - b) + t_length(b); n < want;) {
		ssize_t r = read(fd, b, UP_BUF - 1 < want - n ? UP_BUF - 1 :
				 want - n);
		if (r <= 0)
			return -1;
		n += (size_t)r;
	}
	return 0;
}

static enum up_act up_arrival(struct up *u)
{
	enum up_act a;

	pthread_mutex_lock(&u->mu);
	a = (size_t)u->arrived < u->nscript ? u->script[u->arrived] : ACT_OK;
	u->arrived++;
	pthread_mutex_unlock(&u->mu);
	return a;
}

/* Answer by a; false when the connection is to be closed after. */
static bool up_answer(struct up *u, int fd, enum up_act a)
{
	static const char *const ans[] = {
		[ACT_OK] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
		[ACT_IDLE_CLOSE] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
		[ACT_CONN_CLOSE] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
				   "Connection: close\r\n\r\nok",
		[ACT_EOF] = "HTTP/1.1 200 OK\r\n\r\nok",
		[ACT_HTTP10] = "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
		[ACT_EXTRA] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokXX",
		[ACT_PART_HEAD] = "HTTP/1.1 200 OK\r\nConte",
		[ACT_PART_BODY] = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc",
		[ACT_EARLY] = "HTTP/1.1 413 Too Large\r\nContent-Length: 0\r\n"
			      "Connection: close\r\n\r\n",
	};

	/* counted first: the client may see the answer before we go on */
	pthread_mutex_lock(&u->mu);
	u->answered += a != ACT_PART_HEAD && a != ACT_PART_BODY;
	pthread_mutex_unlock(&u->mu);
	t_write(fd, ans[a], strlen(ans[a]));
	return a == ACT_OK || a == ACT_CONN_CLOSE || a == ACT_HTTP10 ||
	       a == ACT_EXTRA;
}

static void *up_conn_main(void *arg)
{
	struct up_conn *uc = arg;
	char *b = malloc(UP_BUF);
	ssize_t n;

	while (b && (n = read(uc->fd, b, UP_BUF - 1)) > 0) {
		enum up_act a = up_arrival(uc->u);
		if (a == ACT_EARLY) {
			up_answer(uc->u, uc->fd, a);
			break;
		}
		if (a == ACT_RESET) {
			struct linger l = {1, 0}; /* close with a reset */
			setsockopt(uc->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
			break;
		}
		if (up_read_request(uc->fd, b, (size_t)n) < 0 ||
		    !up_answer(uc->u, uc->fd, a))
			break;
	}
	close(uc->fd);
	free(b);
	free(uc);
	return NULL;
}

static void *up_accept_main(void *arg)
{
	struct up *u = arg;
	int fd;

	while ((fd = accept(u->lfd, NULL, NULL)) >= 0) {
		struct up_conn *uc = calloc(1, sizeof(*uc));
		assert_non_null(uc);
		uc->u = u;
		uc->fd = fd;
		t_timeouts(fd);
		pthread_mutex_lock(&u->mu);
		assert_true(u->accepts < UP_CONNS_MAX);
		assert_int_equal(pthread_create(&u->th[u->accepts], NULL,
						up_conn_main, uc), 0);
		u->accepts++;
		pthread_mutex_unlock(&u->mu);
	}
	return NULL;
}

static void up_start(struct up *u, const enum up_act *script, size_t n)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);

	memset(u, 0, sizeof(*u));
	pthread_mutex_init(&u->mu, NULL);
	if (n > 0)
		memcpy(u->script, script, n * sizeof(*script));
	u->nscript = n;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	u->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(u->lfd >= 0);
	assert_int_equal(bind(u->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(u->lfd, 16), 0);
	assert_int_equal(getsockname(u->lfd, (struct sockaddr *)&sa, &sl), 0);
	u->port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&u->acc, NULL, up_accept_main, u), 0);
}

/* After the proxy is gone (its pooled connections closed). */
static void up_stop(struct up *u)
{
	shutdown(u->lfd, SHUT_RDWR);
	pthread_join(u->acc, NULL);
	close(u->lfd);
	for (int i = 0; i < u->accepts; i++)
		pthread_join(u->th[i], NULL);
	pthread_mutex_destroy(&u->mu);
}

static int up_get(struct up *u, const int *field)
{
	int v;

	pthread_mutex_lock(&u->mu);
	v = *field;
	pthread_mutex_unlock(&u->mu);
	return v;
}

static void t_nolock(void *arg)
{
}

static void t_event(void *arg, const struct llmproxy_event *ev)
{
}

struct t_env {
	struct up up;
	struct llmproxy_tls *tls;
	struct llmproxy *p;
	uint16_t port;
};

static void t_start(struct t_env *e, const enum up_act *script, size_t n)
{
	static const struct llmproxy_ops ops = {t_nolock, t_nolock, t_event,
						NULL};
	struct llmproxy_opts o = {.dlp = LLMPROXY_DLP_OFF, .tag = "t",
				  .upstream_ms = T_TIMEOUT_S * 1000};
	char url[64];

	up_start(&e->up, script, n);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", e->up.port);
	o.anthropic_url = o.openai_url = url;
	assert_int_equal(llmproxy_tls_new(NULL, &e->tls), 0);
	o.tls = e->tls;
	assert_int_equal(llmproxy_new(&o, &ops, NULL, &e->p), 0);
	assert_int_equal(llmproxy_listen(e->p, "127.0.0.1", 0, &e->port), 0);
}

static void t_stop(struct t_env *e)
{
	llmproxy_free(e->p, true);
	up_stop(&e->up);
	llmproxy_tls_free(e->tls);
}

static int t_connect(struct t_env *e)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(e->port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	t_timeouts(fd);
	return fd;
}

/* One request with a body of n bytes on an unscanned route. */
static void t_send(int fd, size_t n)
{
	char h[256], *body = malloc(n + 1);
	int l = snprintf(h, sizeof(h), "POST /v1/other HTTP/1.1\r\nHost: x\r\n"
			 "x-api-key: k\r\nContent-Length: %zu\r\n\r\n", n);

	assert_non_null(body);
	memset(body, 'a', n);
	assert_int_equal(t_write(fd, h, (size_t)l), 0);
	assert_int_equal(t_write(fd, body, n), 0);
	free(body);
}

/* Is the answer in b whole (a length reached, or chunks ended)? */
static bool t_whole(const char *b, size_t n)
{
	const char *end = strstr(b, "\r\n\r\n");

	if (end == NULL)
		return false;
	if (strcasestr(b, "\r\ncontent-length:"))
		return n >= (size_t)(end + 4 - b) + t_length(b);
	return n >= 5 && memcmp(b + n - 5, "0\r\n\r\n", 5) == 0;
}

/* The status of a whole answer, or -1 when it was cut. */
static int t_answer(int fd)
{
	char b[4096];
	size_t n = 0;

	while (n + 1 < sizeof(b)) {
		ssize_t r = read(fd, b + n, sizeof(b) - 1 - n);
		if (r <= 0)
			return -1;
		n += (size_t)r;
		b[n] = '\0';
		if (t_whole(b, n))
			return (int)strtol(b + 9, NULL, 10);
	}
	return -1;
}

/* A request on fd; the status of its answer (-1: cut). */
static int t_ask(int fd, size_t n)
{
	t_send(fd, n);
	return t_answer(fd);
}

static size_t t_pooled(struct llmproxy *p)
{
	size_t n;

	pthread_mutex_lock(&p->mu);
	n = p->npool;
	pthread_mutex_unlock(&p->mu);
	return n;
}

/* (a) sequential requests share one upstream connection. */
static void test_reuse(void **st)
{
	static const enum up_act s[] = {ACT_OK, ACT_OK, ACT_OK};
	struct t_env e;
	int fd;

	t_start(&e, s, 3);
	fd = t_connect(&e);
	for (int i = 0; i < 3; i++)
		assert_int_equal(t_ask(fd, 100 + (size_t)i * 20000), 200);
	assert_int_equal(up_get(&e.up, &e.up.accepts), 1);
	assert_int_equal(up_get(&e.up, &e.up.answered), 3);
	close(fd);
	/* another client takes the pooled connection too */
	for (int i = 0; i < 100 && t_pooled(e.p) == 0; i++)
		poll(NULL, 0, 10);
	fd = t_connect(&e);
	assert_int_equal(t_ask(fd, 10), 200);
	assert_int_equal(up_get(&e.up, &e.up.accepts), 1);
	close(fd);
	t_stop(&e);
}

/* An answer that starts while the request is still being sent, on a
 * pooled connection, is never followed by a retry. */
static void test_early_answer(void **st)
{
	static const enum up_act s[] = {ACT_OK, ACT_EARLY, ACT_OK};
	struct t_env e;
	int fd, status;

	t_start(&e, s, 3);
	fd = t_connect(&e);
	assert_int_equal(t_ask(fd, 100), 200);
	status = t_ask(fd, 8u << 20);
	assert_true(status == 413 || status == 502);
	assert_int_equal(up_get(&e.up, &e.up.arrived), 2);
	close(fd);
	t_stop(&e);
}

/* Two requests after a gap of gap_ms, each on a new upstream connection
 * (pool_idle_ms: 0 for the default). */
static void t_two_dials(const enum up_act *s, int64_t pool_idle_ms,
			int gap_ms)
{
	struct t_env e;
	int fd;

	t_start(&e, s, 2);
	if (pool_idle_ms > 0)
		e.p->pool_idle_ms = pool_idle_ms;
	fd = t_connect(&e);
	assert_int_equal(t_ask(fd, 100), 200);
	poll(NULL, 0, gap_ms);
	assert_int_equal(t_ask(fd, 100), 200);
	assert_int_equal(up_get(&e.up, &e.up.accepts), 2);
	assert_int_equal(up_get(&e.up, &e.up.answered), 2);
	close(fd);
	t_stop(&e);
}

/* (b) the upstream closed the idle connection: dialled anew, once. */
static void test_idle_closed(void **st)
{
	static const enum up_act s[] = {ACT_IDLE_CLOSE, ACT_OK};

	t_two_dials(s, 0, 0);
}

/* (b) a pooled connection reset on use, before any answer: one retry on
 * a new connection, and the request is answered exactly once. */
static void test_stale_retry(void **st)
{
	static const enum up_act s[] = {ACT_OK, ACT_RESET, ACT_OK, ACT_OK};
	struct t_env e;
	int fd;

	t_start(&e, s, 4);
	fd = t_connect(&e);
	assert_int_equal(t_ask(fd, 100), 200);
	assert_int_equal(t_ask(fd, 200000), 200);
	assert_int_equal(up_get(&e.up, &e.up.accepts), 2);
	assert_int_equal(up_get(&e.up, &e.up.arrived), 3);
	assert_int_equal(up_get(&e.up, &e.up.answered), 2);
	/* the new connection went to the pool in turn */
	assert_int_equal(t_ask(fd, 100), 200);
	assert_int_equal(up_get(&e.up, &e.up.accepts), 2);
	close(fd);
	t_stop(&e);
}

/* (c) answers that end their connection, or may have, are not pooled:
 * each is followed by a request on a new connection. */
static void test_not_pooled(void **st)
{
	static const enum up_act s[] = {ACT_CONN_CLOSE, ACT_OK, ACT_EOF, ACT_OK,
		ACT_HTTP10, ACT_OK, ACT_EXTRA, ACT_OK};
	static const int accepts[] = {1, 2, 2, 3, 3, 4, 4, 5};
	struct t_env e;
	int fd;

	t_start(&e, s, 8);
	fd = t_connect(&e);
	for (size_t i = 0; i < 8; i++) {
		assert_int_equal(t_ask(fd, 100), 200);
		assert_int_equal(up_get(&e.up, &e.up.accepts), accepts[i]);
	}
	assert_int_equal(up_get(&e.up, &e.up.arrived), 8);
	close(fd);
	t_stop(&e);
}

/* (d) an upstream that dies mid-answer: an error to the client, no retry,
 * and the connection is not used again. */
static void test_die_mid_answer(void **st)
{
	static const enum up_act s[] = {ACT_OK, ACT_PART_HEAD, ACT_OK,
		ACT_PART_BODY, ACT_OK};
	struct t_env e;
	int fd;

	t_start(&e, s, 5);
	fd = t_connect(&e);
	assert_int_equal(t_ask(fd, 100), 200);
	assert_int_equal(t_ask(fd, 100), 502);
	assert_int_equal(up_get(&e.up, &e.up.arrived), 2);
	close(fd);
	fd = t_connect(&e);
	assert_int_equal(t_ask(fd, 100), 200);
	assert_int_equal(up_get(&e.up, &e.up.accepts), 2);
	assert_int_equal(t_ask(fd, 100), -1); /* 200, then cut */
	assert_int_equal(up_get(&e.up, &e.up.arrived), 4);
	close(fd);
	fd = t_connect(&e);
	assert_int_equal(t_ask(fd, 100), 200);
	assert_int_equal(up_get(&e.up, &e.up.accepts), 3);
	assert_int_equal(up_get(&e.up, &e.up.arrived), 5);
	close(fd);
	t_stop(&e);
}

/* Idle connections older than pool_idle_ms are closed, not used. */
static void test_idle_expiry(void **st)
{
	static const enum up_act s[] = {ACT_OK, ACT_OK};

	t_two_dials(s, 1, 20);
}

struct t_client {
	struct t_env *e;
	int ok;
};

/* T_ROUNDS requests on one connection (no cmocka asserts off the main
 * thread): how many were answered 200. */
static void *t_client_main(void *arg)
{
	static const char req[] = "GET /v1/x HTTP/1.1\r\nHost: x\r\n"
				  "x-api-key: k\r\n\r\n";
	struct t_client *tc = arg;
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(tc->e->port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto out;
	t_timeouts(fd);
	for (int i = 0; i < T_ROUNDS; i++) {
		if (t_write(fd, req, sizeof(req) - 1) < 0 || t_answer(fd) != 200)
			break;
		tc->ok++;
	}
out:
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* Concurrent clients: a connection serves one request at a time, so every
 * request arrives once and is answered once, and connections are shared. */
static void test_concurrent(void **st)
{
	struct t_client tc[T_CLIENTS];
	pthread_t th[T_CLIENTS];
	struct t_env e;

	t_start(&e, NULL, 0);
	for (int i = 0; i < T_CLIENTS; i++) {
		tc[i] = (struct t_client){&e, 0};
		assert_int_equal(pthread_create(&th[i], NULL, t_client_main,
						&tc[i]), 0);
	}
	for (int i = 0; i < T_CLIENTS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(tc[i].ok, T_ROUNDS);
	}
	assert_int_equal(up_get(&e.up, &e.up.arrived), T_CLIENTS * T_ROUNDS);
	assert_int_equal(up_get(&e.up, &e.up.answered), T_CLIENTS * T_ROUNDS);
	assert_true(up_get(&e.up, &e.up.accepts) < T_CLIENTS * T_ROUNDS / 2);
	t_stop(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_idle_closed),
		cmocka_unit_test(test_stale_retry),
		cmocka_unit_test(test_not_pooled),
		cmocka_unit_test(test_die_mid_answer),
		cmocka_unit_test(test_early_answer),
		cmocka_unit_test(test_idle_expiry),
		cmocka_unit_test(test_concurrent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
