/*
 * The proxy on a loop of its own thread, against an origin server and an
 * echo server on 127.0.0.1; names come from a temporary hosts file.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/loop.h"
#include "proxy/proxy.h"

static struct loop *lp;
static struct proxy *px;
static uint16_t pport, oport, eport;
static int stopfd[2];
static pthread_t loop_thr, origin_thr, echo_thr;
static int n_connect, n_close, n_http;
static uint64_t close_up, close_down; /* of the last net_close */
static char hosts[64] = "/tmp/test_proxy_hostsXXXXXX";

static int decide(void *arg, void *cookie, const char *host, uint16_t port,
		  const struct proxy_addr *ips, size_t nips,
		  struct proxy_verdict *v)
{
	assert_ptr_equal(cookie, &pport);
	v->dial = 0;
	v->allow = strcmp(host, "blocked.test") != 0;
	snprintf(v->rule, sizeof(v->rule), "%s", v->allow ? "ok" : "block-test");
	snprintf(v->message, sizeof(v->message), "not for tests");
	return 0;
}

static void event(void *arg, void *cookie, const struct proxy_event *ev)
{
	int *n = strcmp(ev->type, "net_connect") == 0 ? &n_connect :
		 strcmp(ev->type, "net_close") == 0 ? &n_close : &n_http;
	if (n == &n_close) {
		__atomic_store_n(&close_up, ev->bytes_up, __ATOMIC_SEQ_CST);
		__atomic_store_n(&close_down, ev->bytes_down, __ATOMIC_SEQ_CST);
	}
	__atomic_add_fetch(n, 1, __ATOMIC_SEQ_CST);
}

static int listen_any(uint16_t *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t sl = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sl), 0);
	assert_int_equal(listen(fd, 16), 0);
	getsockname(fd, (struct sockaddr *)&a, &sl);
	*port = ntohs(a.sin_port);
	return fd;
}

/* Answers every request head with its own target path as the body. */
static void *origin(void *arg)
{
	int lfd = (int)(intptr_t)arg, fd;
	char b[4096], resp[512], path[256];
	size_t n = 0;
	ssize_t r;

	while ((fd = accept(lfd, NULL, NULL)) >= 0) {
		n = 0;
		while ((r = read(fd, b + n, sizeof(b) - 1 - n)) > 0) {
			char *end;
			n += (size_t)r;
			b[n] = '\0';
			while ((end = strstr(b, "\r\n\r\n")) != NULL) {
				if (sscanf(b, "%*s %255s", path) != 1)
					path[0] = '\0';
				int l = snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK"
					"\r\nContent-Length: %zu\r\n\r\n%s",
					strlen(path), path);
				if (write(fd, resp, (size_t)l) < 0)
					break;
				n -= (size_t)(end + 4 - b);
				memmove(b, end + 4, n + 1);
			}
		}
		close(fd);
	}
	return NULL;
}

static void *echo(void *arg)
{
	int lfd = (int)(intptr_t)arg, fd;
	char b[4096];
	ssize_t r;

	while ((fd = accept(lfd, NULL, NULL)) >= 0) {
		while ((r = read(fd, b, sizeof(b))) > 0)
			if (write(fd, b, (size_t)r) < 0)
				break;
		close(fd);
	}
	return NULL;
}

static void on_stop(struct loop *l, int fd, uint32_t ev, void *arg)
{
	loop_stop(l);
}

static void *run_loop(void *arg)
{
	loop_run(lp);
	return NULL;
}

static int setup(void **st)
{
	struct proxy_ops ops = {decide, event};
	struct proxy_opts o = {.header_timeout_ms = 400, .hosts_file = hosts};
	int fd = mkstemp(hosts);
	const char *map = "127.0.0.1 origin.test blocked.test\n";
	int ofd = listen_any(&oport), efd = listen_any(&eport);

	assert_int_equal(write(fd, map, strlen(map)), (ssize_t)strlen(map));
	close(fd);
	pthread_create(&origin_thr, NULL, origin, (void *)(intptr_t)ofd);
	pthread_create(&echo_thr, NULL, echo, (void *)(intptr_t)efd);
	pthread_detach(origin_thr);
	pthread_detach(echo_thr);
	lp = loop_new();
	px = proxy_new(lp, &ops, NULL, &o);
	assert_non_null(px);
	assert_int_equal(proxy_listen(px, "127.0.0.1:0", &pport, &pport), 0);
	assert_int_equal(pipe(stopfd), 0);
	loop_add_fd(lp, stopfd[0], EPOLLIN, on_stop, NULL);
	pthread_create(&loop_thr, NULL, run_loop, NULL);
	return 0;
}

static int teardown(void **st)
{
	assert_int_equal(write(stopfd[1], "x", 1), 1);
	pthread_join(loop_thr, NULL);
	proxy_free(px);
	loop_del_fd(lp, stopfd[0]);
	loop_free(lp);
	unlink(hosts);
	return 0;
}

static int client(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(pport)};
	struct timeval tv = {.tv_sec = 5};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void say(int fd, const char *s)
{
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* Read until want appears (true) or the peer closes or times out. */
static bool hear(int fd, const char *want, char *b, size_t cap)
{
	size_t n = 0;
	ssize_t r;

	b[0] = '\0';
	while (strstr(b, want) == NULL && n + 1 < cap &&
	       (r = read(fd, b + n, cap - 1 - n)) > 0) {
		n += (size_t)r;
		b[n] = '\0';
	}
	return strstr(b, want) != NULL;
}

static void test_plain_keepalive(void **st)
{
	char req[256], b[4096];
	int fd = client();

	for (int i = 0; i < 2; i++) {
		snprintf(req, sizeof(req), "GET http://origin.test:%u/hello%d "
			 "HTTP/1.1\r\nProxy-Connection: keep-alive\r\n\r\n",
			 (unsigned)oport, i);
		say(fd, req);
		snprintf(req, sizeof(req), "/hello%d", i);
		assert_true(hear(fd, req, b, sizeof(b)));
		assert_non_null(strstr(b, "200 OK"));
	}
	close(fd);
	assert_int_equal(__atomic_load_n(&n_connect, __ATOMIC_SEQ_CST), 1);
	assert_true(__atomic_load_n(&n_http, __ATOMIC_SEQ_CST) >= 2);
}

/* A chunked body reaches the origin as sent (the test origin answers its
 * chunk lines as if they were a request), then the connection is reused. */
static void test_chunked_body(void **st)
{
	char req[256], b[4096];
	int fd = client(), before = __atomic_load_n(&n_connect, __ATOMIC_SEQ_CST);

	snprintf(req, sizeof(req), "POST http://origin.test:%u/post HTTP/1.1\r\n"
		 "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		 (unsigned)oport);
	say(fd, req);
	assert_true(hear(fd, "hello", b, sizeof(b)));
	assert_non_null(strstr(b, "/post"));
	snprintf(req, sizeof(req), "GET http://origin.test:%u/after HTTP/1.1"
		 "\r\n\r\n", (unsigned)oport);
	say(fd, req);
	assert_true(hear(fd, "/after", b, sizeof(b)));
	close(fd);
	assert_int_equal(__atomic_load_n(&n_connect, __ATOMIC_SEQ_CST),
			 before + 1);
}

static void test_denied(void **st)
{
	char b[4096];
	int fd = client();

	say(fd, "GET http://blocked.test/ HTTP/1.1\r\n\r\n");
	assert_true(hear(fd, "not for tests", b, sizeof(b)));
	assert_non_null(strstr(b, "HTTP/1.1 403 Forbidden"));
	assert_non_null(strstr(b, "blocked by agentsh"));
	assert_non_null(strstr(b, "block-test"));
	close(fd);
	fd = client();
	say(fd, "GET http://nowhere.invalid/ HTTP/1.1\r\n\r\n");
	assert_true(hear(fd, "502", b, sizeof(b)));
	close(fd);
}

static void test_tunnel(void **st)
{
	char req[256], b[4096];
	int fd = client();

	snprintf(req, sizeof(req), "CONNECT origin.test:%u HTTP/1.1\r\n\r\n",
		 (unsigned)eport);
	say(fd, req);
	assert_true(hear(fd, "\r\n\r\n", b, sizeof(b)));
	assert_non_null(strstr(b, "200 Connection established"));
	say(fd, "ping through the tunnel");
	assert_true(hear(fd, "ping through the tunnel", b, sizeof(b)));
	close(fd);
}

#define BULK_BYTES (4 << 20) /* through an established tunnel and back */

static unsigned char bulk_byte(size_t i)
{
	return (unsigned char)(i * 7 + i / 4099);
}

static void *bulk_writer(void *arg)
{
	int fd = (int)(intptr_t)arg;
	unsigned char b[8192];

	for (size_t off = 0; off < BULK_BYTES; off += sizeof(b)) {
		for (size_t i = 0; i < sizeof(b); i++)
			b[i] = bulk_byte(off + i);
		if (write(fd, b, sizeof(b)) != (ssize_t)sizeof(b))
			break;
	}
	shutdown(fd, SHUT_WR);
	return NULL;
}

/* Megabytes both ways arrive intact and in order; net_close counts them. */
static void test_tunnel_bulk(void **st)
{
	char req[256], b[65536];
	int fd = client();
	size_t got = 0, bad = 0;
	pthread_t w;
	ssize_t r;

	snprintf(req, sizeof(req), "CONNECT origin.test:%u HTTP/1.1\r\n\r\n",
		 (unsigned)eport);
	say(fd, req);
	assert_true(hear(fd, "\r\n\r\n", b, sizeof(b)));
	say(fd, "hello");
	assert_true(hear(fd, "hello", b, sizeof(b)));
	pthread_create(&w, NULL, bulk_writer, (void *)(intptr_t)fd);
	while ((r = read(fd, b, sizeof(b))) > 0) {
		for (ssize_t i = 0; i < r; i++)
			bad += (unsigned char)b[i] != bulk_byte(got + (size_t)i);
		got += (size_t)r;
	}
	pthread_join(w, NULL);
	close(fd);
	assert_int_equal(got, BULK_BYTES);
	assert_int_equal(bad, 0);
	assert_int_equal(__atomic_load_n(&close_up, __ATOMIC_SEQ_CST),
			 BULK_BYTES + 5);
	assert_int_equal(__atomic_load_n(&close_down, __ATOMIC_SEQ_CST),
			 BULK_BYTES + 5);
}

static void test_slowloris(void **st)
{
	char req[256], b[4096];
	int slow = client(), fd;

	say(slow, "GET http://origin.test/ HTTP/1.1\r\nX-Slow: ");
	for (int i = 0; i < 3; i++) {
		usleep(300 * 1000);
		if (write(slow, "a", 1) < 0)
			break;
	}
	fd = client();
	snprintf(req, sizeof(req), "GET http://origin.test:%u/fast HTTP/1.1"
		 "\r\n\r\n", (unsigned)oport);
	say(fd, req);
	assert_true(hear(fd, "/fast", b, sizeof(b)));
	close(fd);
	/* Cut off: the proxy closed it without an answer. */
	assert_false(hear(slow, "HTTP/1.1", b, sizeof(b)));
	close(slow);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_keepalive),
		cmocka_unit_test(test_chunked_body),
		cmocka_unit_test(test_denied),
		cmocka_unit_test(test_tunnel),
		cmocka_unit_test(test_tunnel_bulk),
		cmocka_unit_test(test_slowloris),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
