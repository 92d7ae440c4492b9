/*
 * Unit tests: the HTTP server's request handling, driven with raw sockets
 * (routing, parameters, queries, keep-alive, pipelining, chunked bodies,
 * every limit, malformed requests) and with curl when it is installed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_client.h"
#include "http_testsrv.h"

static struct ts srv;

static int group_setup(void **state)
{
	return ts_start(&srv, NULL) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	ts_stop(&srv);
	return 0;
}

/* One request on a fresh connection; the response must be `status`. */
static void get_expect(const char *req, int status, const char *body)
{
	struct hc_resp r;

	assert_int_equal(hc_get(srv.port, req, &r), 0);
	assert_int_equal(r.status, status);
	if (body != NULL)
		assert_string_equal(r.body, body);
	hc_resp_free(&r);
}

static void test_routing(void **state)
{
	struct hc_resp r;
	char allow[64];

	get_expect("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n", 200, "hello\n");
	get_expect("POST /api/v1/sessions/abc%20d/exec HTTP/1.1\r\n"
		   "Content-Length: 0\r\n\r\n", 200,
		   "exec=abc d path=/api/v1/sessions/abc d/exec");
	/* A literal segment beats a parameter at the same place. */
	get_expect("GET /api/v1/sessions/search HTTP/1.1\r\n\r\n", 200,
		   "search=- path=/api/v1/sessions/search");
	get_expect("GET /api/v1/sessions/s1 HTTP/1.1\r\n\r\n", 200,
		   "get=s1 path=/api/v1/sessions/s1");
	/* An encoded slash stays inside its segment. */
	get_expect("GET /api/v1/sessions/a%2Fb HTTP/1.1\r\n\r\n", 200,
		   "get=a/b path=/api/v1/sessions/a/b");
	get_expect("GET /nope HTTP/1.1\r\n\r\n", 404, "Not Found\n");
	get_expect("GET /hello/ HTTP/1.1\r\n\r\n", 404, NULL);
	/* A parameter never matches an empty segment. */
	get_expect("POST /api/v1/sessions//exec HTTP/1.1\r\n\r\n", 404, NULL);
	assert_int_equal(hc_get(srv.port, "DELETE /hello HTTP/1.1\r\n\r\n",
				&r), 0);
	assert_int_equal(r.status, 405);
	assert_int_equal(hc_header(&r, "Allow", allow, sizeof(allow)), 0);
	assert_string_equal(allow, "GET, HEAD");
	hc_resp_free(&r);
	/* Dot segments, NUL and broken escapes are refused. */
	get_expect("GET /a/../hello HTTP/1.1\r\n\r\n", 400, NULL);
	get_expect("GET /./hello HTTP/1.1\r\n\r\n", 400, NULL);
	get_expect("GET /hel%00lo HTTP/1.1\r\n\r\n", 400, NULL);
	get_expect("GET /hel%zzlo HTTP/1.1\r\n\r\n", 400, NULL);
	get_expect("GET /hello% HTTP/1.1\r\n\r\n", 400, NULL);
	get_expect("GET http://x/hello HTTP/1.1\r\n\r\n", 400, NULL);
	get_expect("GET /hello#frag HTTP/1.1\r\n\r\n", 200, "hello\n");
}

static void never(struct http_req *req, void *arg)
{
	fail();
}

static void test_route_register(void **state)
{
	struct loop *l = loop_new();
	struct http_server *s = http_server_new(l, NULL);
	http_handler h = never;

	assert_int_equal(http_route(s, "GET", "/a/{id}", h, NULL), 0);
	assert_int_equal(http_route(s, "GET", "/a/{other}", h, NULL), -EEXIST);
	assert_int_equal(http_route(s, "POST", "/a/{other}", h, NULL), 0);
	assert_int_equal(http_route(s, "GET", "a", h, NULL), -EINVAL);
	assert_int_equal(http_route(s, "GET", "/a/{x}/{x}", h, NULL), -EINVAL);
	assert_int_equal(http_route(s, "GET", "/a/{}", h, NULL), -EINVAL);
	assert_int_equal(http_route(s, "GET", "/a/b{x}", h, NULL), -EINVAL);
	assert_int_equal(http_route(s, "GET", "/a/%41", h, NULL), -EINVAL);
	assert_int_equal(http_route(s, "GET", "/a/..", h, NULL), -EINVAL);
	assert_int_equal(http_route(s, "get", "/b", h, NULL), -EINVAL);
	assert_int_equal(http_route(s, "GET", "/b", NULL, NULL), -EINVAL);
	http_server_free(s);
	loop_free(l);
}

static void test_query(void **state)
{
	get_expect("GET /q?limit=10&name=a%20b+c&flag HTTP/1.1\r\n\r\n", 200,
		   "limit=10|name=a b c|flag=|raw=limit=10&name=a%20b+c&flag");
	/* A malformed pair is skipped; the first of a repeated name wins. */
	get_expect("GET /q?name=%zz&limit=1&limit=2&name=ok HTTP/1.1\r\n\r\n",
		   200, "limit=1|name=ok|flag=-|raw=name=%zz&limit=1&limit=2"
		   "&name=ok");
	get_expect("GET /q HTTP/1.1\r\n\r\n", 200,
		   "limit=-|name=-|flag=-|raw=");
	get_expect("GET /q?name=%00 HTTP/1.1\r\n\r\n", 200,
		   "limit=-|name=-|flag=-|raw=name=%00");
}

static void test_headers(void **state)
{
	struct hc_resp r;
	char v[64];

	assert_int_equal(hc_get(srv.port, "POST /echo HTTP/1.1\r\n"
				"x-TEST: secret value\r\n"
				"Content-Length: 3\r\n\r\nabc", &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "abc");
	assert_int_equal(hc_header(&r, "X-Echo", v, sizeof(v)), 0);
	assert_string_equal(v, "secret value");
	hc_resp_free(&r);
	/* Response headers: injection and reserved names are refused. */
	get_expect("GET /hdr HTTP/1.1\r\n\r\n", 200, "0 -22 -22 -22");
}

static void test_head(void **state)
{
	struct hc c;
	struct hc_resp r;
	char v[32];

	assert_int_equal(hc_open_tcp(&c, "127.0.0.1", srv.port), 0);
	c.head = 1;
	assert_int_equal(hc_sends(&c, "HEAD /hello HTTP/1.1\r\n\r\n"), 0);
	assert_int_equal(hc_read_resp(&c, &r), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(hc_header(&r, "Content-Length", v, sizeof(v)), 0);
	assert_string_equal(v, "6");
	hc_resp_free(&r);
	/* No body was sent: the next response starts right away. */
	c.head = 0;
	assert_int_equal(hc_sends(&c, "GET /hello HTTP/1.1\r\n\r\n"), 0);
	assert_int_equal(hc_read_resp(&c, &r), 0);
	assert_string_equal(r.body, "hello\n");
	hc_resp_free(&r);
	hc_close(&c);
}

static void test_keepalive_pipelining(void **state)
{
	struct hc c;
	struct hc_resp r;
	char v[32];

	assert_int_equal(hc_open_tcp(&c, "127.0.0.1", srv.port), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(hc_sends(&c, "GET /hello HTTP/1.1\r\n\r\n"),
				 0);
		assert_int_equal(hc_read_resp(&c, &r), 0);
		assert_int_equal(r.status, 200);
		assert_int_equal(hc_header(&r, "Connection", v, sizeof(v)), -1);
		hc_resp_free(&r);
	}
	/* Three requests in one write: answered in order, one at a time. */
	assert_int_equal(hc_sends(&c, "GET /hello HTTP/1.1\r\n\r\n"
				  "POST /echo HTTP/1.1\r\nContent-Length: 2\r\n"
				  "\r\nhiGET /q?limit=3 HTTP/1.1\r\n"
				  "Connection: close\r\n\r\n"), 0);
	assert_int_equal(hc_read_resp(&c, &r), 0);
	assert_string_equal(r.body, "hello\n");
	hc_resp_free(&r);
	assert_int_equal(hc_read_resp(&c, &r), 0);
	assert_string_equal(r.body, "hi");
	hc_resp_free(&r);
	assert_int_equal(hc_read_resp(&c, &r), 0);
	assert_string_equal(r.body, "limit=3|name=-|flag=-|raw=limit=3");
	assert_int_equal(hc_header(&r, "Connection", v, sizeof(v)), 0);
	assert_string_equal(v, "close");
	hc_resp_free(&r);
	assert_int_equal(hc_wait_closed(&c, 1000), 1);
	hc_close(&c);
}

/* More pipelined requests than one read takes; answered in order. */
static void test_pipeline_many(void **state)
{
	enum { N = 1000 };
	static const char one[] = "GET /q?limit=%04d HTTP/1.1\r\n\r\n";
	char *all = malloc(N * sizeof(one));
	struct hc c;
	struct hc_resp r;
	size_t n = 0;
	char want[64];

	for (int i = 0; i < N; i++)
		n += (size_t)snprintf(all + n, N * sizeof(one) - n, one, i);
	assert_true(n > 16 * 1024);
	assert_int_equal(hc_open_tcp(&c, "127.0.0.1", srv.port), 0);
	assert_int_equal(hc_send(&c, all, n), 0);
	for (int i = 0; i < N; i++) {
		assert_int_equal(hc_read_resp(&c, &r), 0);
		snprintf(want, sizeof(want), "limit=%04d|name=-|flag=-|"
			 "raw=limit=%04d", i, i);
		assert_string_equal(r.body, want);
		hc_resp_free(&r);
	}
	hc_close(&c);
	free(all);
}

/* One byte per write: every parser span is split across reads. */
static void test_byte_by_byte(void **state)
{
	static const char req[] = "POST /echo?x=1 HTTP/1.1\r\nHost: h\r\n"
		"X-Test: split\r\nTransfer-Encoding: chunked\r\n\r\n"
		"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
	struct hc c;
	struct hc_resp r;
	char v[32];

	assert_int_equal(hc_open_tcp(&c, "127.0.0.1", srv.port), 0);
	for (size_t i = 0; i < sizeof(req) - 1; i++) {
		assert_int_equal(hc_send(&c, req + i, 1), 0);
		usleep(200);
	}
	assert_int_equal(hc_read_resp(&c, &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "abcde");
	assert_int_equal(hc_header(&r, "X-Echo", v, sizeof(v)), 0);
	assert_string_equal(v, "split");
	hc_resp_free(&r);
	hc_close(&c);
}

static void test_http10(void **state)
{
	struct hc c;
	struct hc_resp r;
	char v[32];

	assert_int_equal(hc_open_tcp(&c, "127.0.0.1", srv.port), 0);
	assert_int_equal(hc_sends(&c, "GET /hello HTTP/1.0\r\n"
				  "Connection: keep-alive\r\n\r\n"), 0);
	assert_int_equal(hc_read_resp(&c, &r), 0);
	assert_int_equal(hc_header(&r, "Connection", v, sizeof(v)), 0);
	assert_string_equal(v, "keep-alive");
	hc_resp_free(&r);
	assert_int_equal(hc_sends(&c, "GET /hello HTTP/1.0\r\n\r\n"), 0);
	assert_int_equal(hc_read_resp(&c, &r), 0);
	assert_int_equal(r.status, 200);
	hc_resp_free(&r);
	assert_int_equal(hc_wait_closed(&c, 1000), 1);
	hc_close(&c);
}

static void test_chunked(void **state)
{
	get_expect("POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
		   "4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nX-Trailer: t\r\n\r\n",
		   200, "Wikipedia");
	/* Too large in total, though every chunk is small: 413. */
	{
		char req[8192];
		size_t n = (size_t)snprintf(req, sizeof(req), "POST /echo "
			"HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");

		for (int i = 0; i < 5; i++) {
			n += (size_t)snprintf(req + n, sizeof(req) - n,
					      "400\r\n");
			memset(req + n, 'a', 1024);
			n += 1024;
			n += (size_t)snprintf(req + n, sizeof(req) - n, "\r\n");
		}
		assert_true(n < sizeof(req) - 8);
		snprintf(req + n, sizeof(req) - n, "0\r\n\r\n");
		get_expect(req, 413, NULL);
	}
	/* Content-Length together with chunked is refused (smuggling). */
	get_expect("POST /echo HTTP/1.1\r\nContent-Length: 3\r\n"
		   "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, NULL);
}

/* A request line or header block of a given size. */
static char *big_request(size_t url_len, size_t nhdr, size_t hdr_len)
{
	size_t cap = url_len + nhdr * (hdr_len + 16) + 64, n;
	char *s = malloc(cap);

	n = (size_t)snprintf(s, cap, "GET /");
	memset(s + n, 'u', url_len - 1);
	n += url_len - 1;
	n += (size_t)snprintf(s + n, cap - n, " HTTP/1.1\r\n");
	for (size_t i = 0; i < nhdr; i++) {
		n += (size_t)snprintf(s + n, cap - n, "X-%zu: ", i);
		memset(s + n, 'v', hdr_len);
		n += hdr_len;
		n += (size_t)snprintf(s + n, cap - n, "\r\n");
	}
	snprintf(s + n, cap - n, "\r\n");
	return s;
}

static void test_limits(void **state)
{
	char *s;

	s = big_request(HTTP_URL_MAX + 1, 0, 0);
	get_expect(s, 414, "URI Too Long\n");
	free(s);
	s = big_request(HTTP_URL_MAX, 0, 0); /* at the limit: routed */
	get_expect(s, 404, NULL);
	free(s);
	s = big_request(10, 40, 1024); /* 40 KiB of headers */
	get_expect(s, 431, NULL);
	free(s);
	s = big_request(10, HTTP_HEADER_COUNT_MAX + 1, 1);
	get_expect(s, 431, NULL);
	free(s);
	s = big_request(10, HTTP_HEADER_COUNT_MAX, 1);
	get_expect(s, 404, NULL);
	free(s);
	/* body_max is 4096 in the test server. */
	get_expect("POST /echo HTTP/1.1\r\nContent-Length: 4097\r\n\r\n", 413,
		   "Content Too Large\n");
	get_expect("GET /hello HTTP/1.1\r\nExpect: magic\r\n\r\n", 417, NULL);
}

/* The body keeps coming after the 413: the answer still arrives. */
static void test_413_body_in_flight(void **state)
{
	enum { BODY = 256 * 1024 };
	struct hc c;
	struct hc_resp r;
	char *body = malloc(BODY);
	char head[128];

	memset(body, 'b', BODY);
	snprintf(head, sizeof(head), "POST /echo HTTP/1.1\r\n"
		 "Content-Length: %d\r\n\r\n", BODY);
	assert_int_equal(hc_open_tcp(&c, "127.0.0.1", srv.port), 0);
	assert_int_equal(hc_sends(&c, head), 0);
	hc_send(&c, body, BODY); /* may fail once the server has closed */
	assert_int_equal(hc_read_resp(&c, &r), 0);
	assert_int_equal(r.status, 413);
	hc_resp_free(&r);
	hc_close(&c);
	free(body);
}

static void test_expect_continue(void **state)
{
	struct hc c;
	struct hc_resp r;
	char interim[64];
	ssize_t n;

	assert_int_equal(hc_open_tcp(&c, "127.0.0.1", srv.port), 0);
	assert_int_equal(hc_sends(&c, "POST /echo HTTP/1.1\r\nContent-Length: 5"
				  "\r\nExpect: 100-continue\r\n\r\n"), 0);
	n = recv(c.fd, interim, sizeof(interim) - 1, 0);
	assert_true(n > 0);
	interim[n] = '\0';
	assert_string_equal(interim, "HTTP/1.1 100 Continue\r\n\r\n");
	assert_int_equal(hc_sends(&c, "hello"), 0);
	assert_int_equal(hc_read_resp(&c, &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "hello");
	hc_resp_free(&r);
	/* Too large: 413 at once, no 100, and the body is never read. */
	assert_int_equal(hc_sends(&c, "POST /echo HTTP/1.1\r\nContent-Length: "
				  "999999\r\nExpect: 100-continue\r\n\r\n"), 0);
	assert_int_equal(hc_read_resp(&c, &r), 0);
	assert_int_equal(r.status, 413);
	hc_resp_free(&r);
	hc_close(&c);
}

static void test_bad_requests(void **state)
{
	get_expect("HELLO\r\n\r\n", 501, NULL);
	get_expect("GET / HTTP/9.9\r\n\r\n", 505, NULL);
	get_expect("GET / HTTP/1.1\r\nBad Header\r\n\r\n", 400, NULL);
	get_expect("POST /echo HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
		   400, NULL);
	get_expect("POST /echo HTTP/1.1\r\nContent-Length: 1\r\n"
		   "Content-Length: 2\r\n\r\nab", 400, NULL);
	get_expect("GET /noresp HTTP/1.1\r\n\r\n", 500, NULL);
}

static void test_big_response(void **state)
{
	struct hc_resp r;

	assert_int_equal(hc_get(srv.port, "GET /big HTTP/1.1\r\n\r\n", &r), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 4 * 1024 * 1024);
	for (size_t i = 0; i < r.body_len; i += 4093)
		assert_int_equal(r.body[i], 'a' + i % 26);
	hc_resp_free(&r);
}

/* Run a fixed curl command line; its stdout in out. */
static int run_curl(const char *cmd, char *out, size_t outsz)
{
	FILE *p = popen(cmd, "r");
	size_t n;

	if (p == NULL)
		return -1;
	n = fread(out, 1, outsz - 1, p);
	out[n] = '\0';
	return pclose(p);
}

static void test_curl(void **state)
{
	char cmd[512], out[4096];

	if (access("/usr/bin/curl", X_OK) != 0)
		skip();
	snprintf(cmd, sizeof(cmd), "/usr/bin/curl -sS "
		 "http://127.0.0.1:%u/hello http://127.0.0.1:%u/q?name=a+b",
		 srv.port, srv.port);
	assert_int_equal(run_curl(cmd, out, sizeof(out)), 0);
	assert_string_equal(out, "hello\nlimit=-|name=a b|flag=-|raw=name=a+b");
	snprintf(cmd, sizeof(cmd), "printf abcdef | /usr/bin/curl -sS -H "
		 "'Transfer-Encoding: chunked' -H 'Expect: 100-continue' "
		 "--data-binary @- http://127.0.0.1:%u/echo", srv.port);
	assert_int_equal(run_curl(cmd, out, sizeof(out)), 0);
	assert_string_equal(out, "abcdef");
	snprintf(cmd, sizeof(cmd), "/usr/bin/curl -sS --unix-socket %s "
		 "http://x/api/v1/sessions/u1", srv.sock);
	assert_int_equal(run_curl(cmd, out, sizeof(out)), 0);
	assert_string_equal(out, "get=u1 path=/api/v1/sessions/u1");
	snprintf(cmd, sizeof(cmd), "/usr/bin/curl -sSN "
		 "http://127.0.0.1:%u/sse", srv.port);
	assert_int_equal(run_curl(cmd, out, sizeof(out)), 0);
	assert_string_equal(out, "event: one\ndata: 1\n\ndata: a\ndata: b\n"
			    "data: c\n\n: ping\n\nevent: end\ndata: \n\n");
	snprintf(cmd, sizeof(cmd), "/usr/bin/curl -s -o /dev/null -w "
		 "'%%{http_code}' -X PUT http://127.0.0.1:%u/hello", srv.port);
	assert_int_equal(run_curl(cmd, out, sizeof(out)), 0);
	assert_string_equal(out, "405");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routing),
		cmocka_unit_test(test_route_register),
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_head),
		cmocka_unit_test(test_keepalive_pipelining),
		cmocka_unit_test(test_pipeline_many),
		cmocka_unit_test(test_byte_by_byte),
		cmocka_unit_test(test_http10),
		cmocka_unit_test(test_chunked),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_413_body_in_flight),
		cmocka_unit_test(test_expect_continue),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_big_response),
		cmocka_unit_test(test_curl),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
