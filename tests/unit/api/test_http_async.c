/*
 * Unit tests: the HTTP server over time: timeouts against slow clients,
 * deferred responses and disconnects, Server-Sent Events, many idle
 * connections, the connection cap, Unix sockets and peer credentials,
 * graceful shutdown.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/str.h"
#include "http_client.h"
#include "http_testsrv.h"

#define MANY_CONNS 2000

static void test_slowloris(void **state)
{
	static const char req[] = "GET /hello HTTP/1.1\r\nX-Slow: abcdefgh";
	struct ts t;
	struct hc c;
	int64_t t0, dt;
	int closed = 0;

	assert_int_equal(ts_start(&t, NULL), 0); /* header timeout 400 ms */
	assert_int_equal(hc_open_tcp(&c, "127.0.0.1", t.port), 0);
	t0 = hc_now_ms();
	for (size_t i = 0; i < sizeof(req) - 1 && !closed; i++) {
		if (hc_send(&c, req + i, 1) < 0)
			break;
		closed = hc_wait_closed(&c, 100);
	}
	if (!closed)
		closed = hc_wait_closed(&c, 1000);
	dt = hc_now_ms() - t0;
	assert_true(closed);
	assert_true(dt >= 350 && dt < 1500);
	hc_close(&c);
	/* Connected and silent: the same header timeout. */
	assert_int_equal(hc_open_tcp(&c, "127.0.0.1", t.port), 0);
	t0 = hc_now_ms();
	assert_int_equal(hc_wait_closed(&c, 1500), 1);
	assert_true(hc_now_ms() - t0 >= 350);
	hc_close(&c);
	ts_stop(&t);
}

static void test_idle_and_body_timeouts(void **state)
{
	struct ts t;
	struct hc c;
	struct hc_resp r;
	int64_t t0;

	assert_int_equal(ts_start(&t, NULL), 0);
	assert_int_equal(hc_open_tcp(&c, "127.0.0.1", t.port), 0);
	assert_int_equal(hc_sends(&c, "GET /hello HTTP/1.1\r\n\r\n"), 0);
	assert_int_equal(hc_read_resp(&c, &r), 0);
	hc_resp_free(&r);
	t0 = hc_now_ms();
	assert_int_equal(hc_wait_closed(&c, 1500), 1); /* idle: 400 ms */
	assert_true(hc_now_ms() - t0 >= 350);
	hc_close(&c);
	/* A body that stops arriving. */
	assert_int_equal(hc_open_tcp(&c, "127.0.0.1", t.port), 0);
	assert_int_equal(hc_sends(&c, "POST /echo HTTP/1.1\r\n"
				  "Content-Length: 10\r\n\r\nab"), 0);
	t0 = hc_now_ms();
	assert_int_equal(hc_wait_closed(&c, 1500), 1);
	assert_true(hc_now_ms() - t0 >= 350);
	hc_close(&c);
	ts_stop(&t);
}

/* After a response, a slow next request gets the header timeout, not idle. */
static void test_second_request_header_timeout(void **state)
{
	struct http_config cfg;
	struct ts t;
	struct hc c;
	struct hc_resp r;
	int64_t t0, dt;

	ts_config(&cfg);
	cfg.idle_timeout_ms = 3000;
	cfg.header_timeout_ms = 300;
	assert_int_equal(ts_start(&t, &cfg), 0);
	assert_int_equal(hc_open_tcp(&c, "127.0.0.1", t.port), 0);
	assert_int_equal(hc_sends(&c, "GET /hello HTTP/1.1\r\n\r\n"), 0);
	assert_int_equal(hc_read_resp(&c, &r), 0);
	hc_resp_free(&r);
	usleep(500000); /* longer than the header timeout: idle is fine */
	assert_int_equal(hc_sends(&c, "GET /hel"), 0);
	t0 = hc_now_ms();
	assert_int_equal(hc_wait_closed(&c, 2000), 1);
	dt = hc_now_ms() - t0;
	assert_true(dt >= 250 && dt < 1500);
	hc_close(&c);
	ts_stop(&t);
}

/* A client that never reads a large response is dropped. */
static void test_write_timeout(void **state)
{
	struct http_config cfg;
	struct ts t;
	struct hc c;

	ts_config(&cfg);
	cfg.write_timeout_ms = 300;
	assert_int_equal(ts_start(&t, &cfg), 0);
	assert_int_equal(hc_open_tcp(&c, "127.0.0.1", t.port), 0);
	assert_int_equal(hc_sends(&c, "GET /big HTTP/1.1\r\n\r\n"), 0);
	usleep(100000);
	assert_int_equal(ts_count(&t), 1);
	usleep(700000);
	assert_int_equal(ts_count(&t), 0);
	hc_close(&c);
	ts_stop(&t);
}

static void test_deferred(void **state)
{
	struct ts t;
	struct hc c;
	struct hc_resp r;

	assert_int_equal(ts_start(&t, NULL), 0);
	assert_int_equal(hc_get(t.port, "GET /hold?ms=30 HTTP/1.1\r\n\r\n", &r),
			 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "late\n");
	hc_resp_free(&r);
	assert_int_equal(ts_wait(&ts_stats.holds_done, 1, 1000), 1);
	assert_int_equal(atomic_load(&ts_stats.hold_rc), 0);
	/* Pipelined behind a held request: waits its turn. */
	assert_int_equal(hc_open_tcp(&c, "127.0.0.1", t.port), 0);
	assert_int_equal(hc_sends(&c, "GET /hold?ms=50 HTTP/1.1\r\n\r\n"
				  "GET /hello HTTP/1.1\r\n\r\n"), 0);
	assert_int_equal(hc_read_resp(&c, &r), 0);
	assert_string_equal(r.body, "late\n");
	hc_resp_free(&r);
	assert_int_equal(hc_read_resp(&c, &r), 0);
	assert_string_equal(r.body, "hello\n");
	hc_resp_free(&r);
	hc_close(&c);
	/* The client leaves; on_abort runs; the late answer is a no-op. */
	assert_int_equal(hc_open_tcp(&c, "127.0.0.1", t.port), 0);
	assert_int_equal(hc_sends(&c, "GET /hold?ms=300 HTTP/1.1\r\n\r\n"), 0);
	usleep(50000);
	hc_close(&c);
	assert_int_equal(ts_wait(&ts_stats.aborts, 1, 1000), 1);
	assert_int_equal(ts_wait(&ts_stats.holds_done, 3, 1000), 3);
	assert_int_equal(atomic_load(&ts_stats.hold_rc), -EPIPE);
	assert_int_equal(ts_count(&t), 0);
	/* The same over the Unix socket. */
	assert_int_equal(hc_open_unix(&c, t.sock), 0);
	assert_int_equal(hc_sends(&c, "GET /hold?ms=300 HTTP/1.1\r\n\r\n"), 0);
	usleep(50000);
	hc_close(&c);
	assert_int_equal(ts_wait(&ts_stats.aborts, 2, 1000), 2);
	assert_int_equal(ts_wait(&ts_stats.holds_done, 4, 1000), 4);
	assert_int_equal(atomic_load(&ts_stats.hold_rc), -EPIPE);
	ts_stop(&t);
}

static void test_sse(void **state)
{
	struct ts t;
	struct hc c;
	char *all = NULL, *body;
	ssize_t n;

	assert_int_equal(ts_start(&t, NULL), 0);
	assert_int_equal(hc_open_tcp(&c, "127.0.0.1", t.port), 0);
	assert_int_equal(hc_sends(&c, "GET /sse HTTP/1.1\r\n\r\n"), 0);
	n = hc_read_all(&c, &all);
	assert_true(n > 0);
	assert_non_null(strstr(all, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(all, "\r\nContent-Type: text/event-stream\r\n"));
	assert_null(strstr(all, "Content-Length"));
	body = strstr(all, "\r\n\r\n");
	assert_non_null(body);
	assert_string_equal(body + 4, "event: one\ndata: 1\n\n"
			    "data: a\ndata: b\ndata: c\n\n: ping\n\n"
			    "event: end\ndata: \n\n");
	free(all);
	hc_close(&c);
	ts_stop(&t);
}

static void test_sse_slow_reader(void **state)
{
	struct ts t;
	struct hc c;
	char *all = NULL;

	assert_int_equal(ts_start(&t, NULL), 0); /* sse_out_max 64 KiB */
	assert_int_equal(hc_open_tcp(&c, "127.0.0.1", t.port), 0);
	assert_int_equal(hc_sends(&c, "GET /flood HTTP/1.1\r\n\r\n"), 0);
	assert_true(ts_wait(&ts_stats.flood_sent, 1, 2000) >= 1);
	assert_int_equal(atomic_load(&ts_stats.flood_rc), -ENOBUFS);
	/* Stopped after what the socket and the 64 KiB bound could take. */
	assert_true(atomic_load(&ts_stats.flood_sent) < 100000);
	hc_read_all(&c, &all);
	free(all);
	hc_close(&c);
	ts_stop(&t);
}

static void test_sse_abort(void **state)
{
	struct ts t;
	struct hc c;
	char buf[512];
	size_t got = 0;

	assert_int_equal(ts_start(&t, NULL), 0);
	assert_int_equal(hc_open_tcp(&c, "127.0.0.1", t.port), 0);
	assert_int_equal(hc_sends(&c, "GET /ssehold HTTP/1.1\r\n\r\n"), 0);
	while (got < sizeof(buf) - 1) {
		ssize_t n = recv(c.fd, buf + got, sizeof(buf) - 1 - got, 0);

		assert_true(n > 0);
		got += (size_t)n;
		buf[got] = '\0';
		if (strstr(buf, "event: ready\ndata: {}\n\n") != NULL)
			break;
	}
	hc_close(&c);
	assert_int_equal(ts_wait(&ts_stats.sse_aborts, 1, 1000), 1);
	ts_stop(&t);
}

static void raise_nofile(rlim_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Wait until the server reports n open connections (besides the probe). */
static int wait_count(struct ts *t, int n, int ms)
{
	int64_t end = hc_now_ms() + ms;
	int cur;

	while ((cur = ts_count(t)) != n && hc_now_ms() < end)
		usleep(5000);
	return cur;
}

static void test_many_idle(void **state)
{
	struct http_config cfg;
	struct ts t;
	struct hc *c = calloc(MANY_CONNS, sizeof(*c));
	struct mallinfo2 m0, m1;
	struct rlimit rl;
	long per;

	raise_nofile(2 * MANY_CONNS + 256);
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 ||
	    rl.rlim_cur < 2 * MANY_CONNS + 64) {
		free(c);
		skip();
	}
	ts_config(&cfg);
	cfg.max_conns = MANY_CONNS + 16;
	cfg.header_timeout_ms = 30000;
	assert_int_equal(ts_start(&t, &cfg), 0);
	assert_int_equal(wait_count(&t, 0, 1000), 0);
	m0 = mallinfo2();
	for (int i = 0; i < MANY_CONNS; i++)
		assert_int_equal(hc_open_tcp(&c[i], "127.0.0.1", t.port), 0);
	assert_int_equal(wait_count(&t, MANY_CONNS, 10000), MANY_CONNS);
	m1 = mallinfo2();
	per = ((long)m1.uordblks - (long)m0.uordblks) / MANY_CONNS;
	print_message("[ info ] heap per idle connection: %ld bytes "
		      "(%d connections)\n", per, MANY_CONNS);
	/* Under ASan mallinfo2 is not meaningful: then it reads 0. */
	if (m1.uordblks != 0)
		assert_true(per < 2048);
	for (int i = 0; i < MANY_CONNS; i++)
		hc_close(&c[i]);
	assert_int_equal(wait_count(&t, 0, 5000), 0);
	free(c);
	ts_stop(&t);
}

static void test_max_conns(void **state)
{
	struct http_config cfg;
	struct ts t;
	struct hc c[3], extra;
	struct hc_resp r;

	ts_config(&cfg);
	cfg.max_conns = 3;
	assert_int_equal(ts_start(&t, &cfg), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(hc_open_tcp(&c[i], "127.0.0.1", t.port), 0);
	assert_int_equal(wait_count(&t, 2, 1000), 2);
	assert_int_equal(hc_open_tcp(&c[2], "127.0.0.1", t.port), 0);
	usleep(20000);
	assert_int_equal(hc_open_tcp(&extra, "127.0.0.1", t.port), 0);
	assert_int_equal(hc_read_resp(&extra, &r), 0);
	assert_int_equal(r.status, 503);
	hc_resp_free(&r);
	hc_close(&extra);
	hc_close(&c[2]);
	assert_int_equal(wait_count(&t, 2, 1000), 2);
	hc_close(&c[0]);
	hc_close(&c[1]);
	ts_stop(&t);
}

static bool kernel_has_peerpidfd(void)
{
	struct utsname u;
	long major, minor;
	char *end;

	if (uname(&u) < 0)
		return false;
	major = strtol(u.release, &end, 10);
	minor = *end == '.' ? strtol(end + 1, NULL, 10) : 0;
	return major > 6 || (major == 6 && minor >= 5);
}

static void test_peer(void **state)
{
	struct ts t;
	struct hc c;
	struct hc_resp r;
	struct stat st;
	char want[256];

	assert_int_equal(ts_start(&t, NULL), 0);
	assert_int_equal(stat(t.sock, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(hc_open_unix(&c, t.sock), 0);
	assert_int_equal(hc_sends(&c, "GET /peer HTTP/1.1\r\n\r\n"), 0);
	assert_int_equal(hc_read_resp(&c, &r), 0);
	snprintf(want, sizeof(want), "kind=1 uid=%ld gid=%ld pid=%ld pidfd=%d "
		 "addr=unix", (long)getuid(), (long)getgid(), (long)getpid(),
		 kernel_has_peerpidfd() ? 1 : 0);
	assert_string_equal(r.body, want);
	hc_resp_free(&r);
	hc_close(&c);
	assert_int_equal(hc_get(t.port, "GET /peer HTTP/1.1\r\n\r\n", &r), 0);
	assert_true(strncmp(r.body, "kind=0 uid=-1 gid=-1 pid=-1 pidfd=0 "
			    "addr=127.0.0.1:", 36) == 0);
	hc_resp_free(&r);
	ts_stop(&t);
}

/* Leave a socket file behind with nobody listening on it. */
static void make_stale_socket(const char *path)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	str_lcpy(sa.sun_path, path, sizeof(sa.sun_path));
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
}

static void test_unix_listen(void **state)
{
	struct ts t;
	struct loop *l = loop_new();
	struct http_server *s = http_server_new(l, NULL);
	char path[256], longp[200];
	int fd;

	assert_int_equal(ts_start(&t, NULL), 0);
	/* Someone answers on the path: refuse to take it over. */
	assert_int_equal(http_listen_unix(s, t.sock, 0600), -EADDRINUSE);
	snprintf(path, sizeof(path), "%s/stale.sock", t.dir);
	make_stale_socket(path);
	assert_int_equal(http_listen_unix(s, path, 0660), 0);
	snprintf(longp, sizeof(longp), "%s/file", t.dir);
	fd = open(longp, O_CREAT | O_WRONLY, 0600);
	close(fd);
	assert_int_equal(http_listen_unix(s, longp, 0600), -EEXIST);
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	assert_int_equal(http_listen_unix(s, longp, 0600), -ENAMETOOLONG);
	assert_int_equal(http_listen_tcp(s, "nonsense", NULL), -EINVAL);
	assert_int_equal(http_listen_tcp(s, "127.0.0.1:99999", NULL), -EINVAL);
	http_server_free(s); /* removes the socket file it created */
	assert_int_equal(access(path, F_OK), -1);
	snprintf(longp, sizeof(longp), "%s/file", t.dir);
	unlink(longp);
	loop_free(l);
	ts_stop(&t);
}

static void test_shutdown(void **state)
{
	struct ts t;
	struct hc idle, held;
	struct hc_resp r;
	char v[32];

	assert_int_equal(ts_start(&t, NULL), 0);
	assert_int_equal(hc_open_tcp(&idle, "127.0.0.1", t.port), 0);
	assert_int_equal(hc_sends(&idle, "GET /hello HTTP/1.1\r\n\r\n"), 0);
	assert_int_equal(hc_read_resp(&idle, &r), 0);
	hc_resp_free(&r);
	assert_int_equal(hc_open_tcp(&held, "127.0.0.1", t.port), 0);
	assert_int_equal(hc_sends(&held, "GET /hold?ms=150 HTTP/1.1\r\n\r\n"),
			 0);
	usleep(20000);
	assert_int_equal(hc_get(t.port, "POST /shutdown HTTP/1.1\r\n"
				"Content-Length: 0\r\n\r\n", &r), 0);
	assert_int_equal(r.status, 200);
	hc_resp_free(&r);
	assert_int_equal(hc_wait_closed(&idle, 1000), 1);
	/* The request in flight still gets its answer, then a close. */
	assert_int_equal(hc_read_resp(&held, &r), 0);
	assert_string_equal(r.body, "late\n");
	assert_int_equal(hc_header(&r, "Connection", v, sizeof(v)), 0);
	assert_string_equal(v, "close");
	hc_resp_free(&r);
	assert_int_equal(ts_wait(&ts_stats.shutdown_done, 1, 2000), 1);
	assert_true(hc_open_tcp(&idle, "127.0.0.1", t.port) < 0 ||
		    hc_wait_closed(&idle, 500));
	hc_close(&idle);
	hc_close(&held);
	ts_stop(&t);
}

static int held_aborts;

static void h_forever_abort(struct http_req *req, void *arg)
{
	held_aborts++;
	assert_int_equal(http_resp_send(req, 200, NULL, NULL, 0), -EPIPE);
}

static void h_forever(struct http_req *req, void *arg)
{
	http_req_hold(req);
	http_req_on_abort(req, h_forever_abort, NULL);
}

static void stop_cb(struct loop *l, void *arg)
{
	loop_stop(l);
}

/* Adopted socketpair, single thread; the server is freed mid-request. */
static void test_adopt_and_free_held(void **state)
{
	struct loop *l = loop_new();
	struct http_server *s = http_server_new(l, NULL);
	int sv[2];

	held_aborts = 0;
	assert_int_equal(http_route(s, "GET", "/forever", h_forever, NULL), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(http_server_adopt(s, sv[0]), 0);
	assert_int_equal(send(sv[1], "GET /forever HTTP/1.1\r\n\r\n", 25, 0),
			 25);
	assert_non_null(loop_timer_add(l, 50, stop_cb, NULL));
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(http_server_conn_count(s), 1);
	http_server_free(s); /* on_abort runs now and finishes the request */
	assert_int_equal(held_aborts, 1);
	loop_free(l);
	close(sv[1]);
}

static void test_ipv6(void **state)
{
	struct ts t;
	struct hc c;
	struct hc_resp r;

	if (ts_start_at(&t, NULL, "[::1]:0") < 0) {
		ts_stop(&t);
		skip();
	}
	assert_int_equal(hc_open_tcp(&c, "::1", t.port), 0);
	assert_int_equal(hc_sends(&c, "GET /peer HTTP/1.1\r\n\r\n"), 0);
	assert_int_equal(hc_read_resp(&c, &r), 0);
	assert_non_null(strstr(r.body, "addr=[::1]:"));
	hc_resp_free(&r);
	hc_close(&c);
	ts_stop(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slowloris),
		cmocka_unit_test(test_idle_and_body_timeouts),
		cmocka_unit_test(test_second_request_header_timeout),
		cmocka_unit_test(test_write_timeout),
		cmocka_unit_test(test_deferred),
		cmocka_unit_test(test_sse),
		cmocka_unit_test(test_sse_slow_reader),
		cmocka_unit_test(test_sse_abort),
		cmocka_unit_test(test_many_idle),
		cmocka_unit_test(test_max_conns),
		cmocka_unit_test(test_peer),
		cmocka_unit_test(test_unix_listen),
		cmocka_unit_test(test_shutdown),
		cmocka_unit_test(test_adopt_and_free_held),
		cmocka_unit_test(test_ipv6),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
