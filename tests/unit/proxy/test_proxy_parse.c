/* The proxy's request head parser and ClientHello reader. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "proxy/proxy_req.h"

static int feed_all(struct proxy_req *r, const char *s, size_t *used)
{
	return proxy_req_feed(r, s, strlen(s), used);
}

static void test_absolute_uri(void **st)
{
	struct proxy_req r;
	struct buf b;
	size_t used;
	const char *req = "GET http://Example.com:8080/a/b?x=1 HTTP/1.1\r\n"
			  "Host: example.com:8080\r\nProxy-Connection: keep-alive\r\n"
			  "Proxy-Authorization: Basic x\r\nAccept: */*\r\n\r\n";

	proxy_req_init(&r);
	assert_int_equal(feed_all(&r, req, &used), PROXY_REQ_HEAD);
	assert_int_equal(used, strlen(req));
	assert_string_equal(r.host, "Example.com");
	assert_int_equal(r.port, 8080);
	assert_string_equal(r.path, "/a/b?x=1");
	assert_false(r.connect);
	buf_init(&b, 65536);
	assert_int_equal(proxy_req_head(&r, &b), 0);
	assert_string_equal(b.data, "GET /a/b?x=1 HTTP/1.1\r\nHost: "
			    "example.com:8080\r\nAccept: */*\r\n\r\n");
	buf_release(&b);
	/* Message end and the next request on the same connection. */
	assert_int_equal(proxy_req_feed(&r, "", 0, &used), PROXY_REQ_END);
	proxy_req_release(&r);
}

static void test_connect_and_bad(void **st)
{
	struct proxy_req r;
	size_t used;

	proxy_req_init(&r);
	assert_int_equal(feed_all(&r, "CONNECT [::1]:443 HTTP/1.1\r\n\r\n\x16",
				  &used), PROXY_REQ_HEAD);
	assert_true(r.connect);
	assert_string_equal(r.host, "::1");
	assert_int_equal(r.port, 443);
	proxy_req_release(&r);
	static const char *bad[] = {
		"GET https://x/ HTTP/1.1\r\n\r\n",
		"GET /relative HTTP/1.1\r\n\r\n",
		"GET http://u@x/ HTTP/1.1\r\n\r\n",
		"CONNECT x HTTP/1.1\r\n\r\n",
		"CONNECT x:99999 HTTP/1.1\r\n\r\n",
		"GARBAGE\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		proxy_req_init(&r);
		assert_true(feed_all(&r, bad[i], &used) < 0);
		assert_true(r.status >= 400);
		proxy_req_release(&r);
	}
}

static void test_limits(void **st)
{
	struct proxy_req r;
	struct buf b;
	size_t used;
	int ret = 0;

	buf_init(&b, 1 << 20);
	buf_puts(&b, "GET http://x/ HTTP/1.1\r\n");
	for (int i = 0; i < PROXY_HEADERS_MAX + 1; i++)
		buf_printf(&b, "X-%d: y\r\n", i);
	proxy_req_init(&r);
	assert_int_equal(proxy_req_feed(&r, b.data, b.len, &used), -E2BIG);
	assert_int_equal(r.status, 431);
	proxy_req_release(&r);
	buf_reset(&b);
	buf_puts(&b, "GET http://x/ HTTP/1.1\r\nX-Long: ");
	for (int i = 0; i < PROXY_LINE_MAX; i++)
		buf_putc(&b, 'a');
	proxy_req_init(&r);
	/* Fed in small pieces, as a slow client would. */
	for (size_t off = 0; off < b.len && ret == 0; off += 100)
		ret = proxy_req_feed(&r, b.data + off, b.len - off < 100 ?
				     b.len - off : 100, &used);
	assert_int_equal(ret, -E2BIG);
	proxy_req_release(&r);
	buf_release(&b);
}

/* A minimal ClientHello naming host (or none when host is NULL). */
static size_t hello(uint8_t *o, const char *host)
{
	size_t hl = host ? strlen(host) : 0, n = 0, ext = host ? 9 + hl : 0;
	size_t body = 2 + 32 + 1 + 4 + 2 + 2 + ext;

	o[n++] = 0x16; o[n++] = 3; o[n++] = 1;
	o[n++] = (uint8_t)((body + 4) >> 8); o[n++] = (uint8_t)(body + 4);
	o[n++] = 1; o[n++] = 0; o[n++] = (uint8_t)(body >> 8);
	o[n++] = (uint8_t)body;
	o[n++] = 3; o[n++] = 3;
	memset(o + n, 0xab, 32); n += 32;
	o[n++] = 0;                               /* session id */
	o[n++] = 0; o[n++] = 2; o[n++] = 0x13; o[n++] = 1; /* suites */
	o[n++] = 1; o[n++] = 0;                   /* compression */
	o[n++] = (uint8_t)(ext >> 8); o[n++] = (uint8_t)ext;
	if (host) {
		o[n++] = 0; o[n++] = 0;           /* server_name */
		o[n++] = (uint8_t)((hl + 5) >> 8); o[n++] = (uint8_t)(hl + 5);
		o[n++] = (uint8_t)((hl + 3) >> 8); o[n++] = (uint8_t)(hl + 3);
		o[n++] = 0;
		o[n++] = (uint8_t)(hl >> 8); o[n++] = (uint8_t)hl;
		memcpy(o + n, host, hl); n += hl;
	}
	return n;
}

static void test_sni(void **st)
{
	uint8_t h[512];
	char out[PROXY_HOST_MAX];
	size_t n = hello(h, "example.com");

	assert_int_equal(proxy_tls_sni(h, n, out, sizeof(out)), 1);
	assert_string_equal(out, "example.com");
	for (size_t i = 0; i < n; i++)
		assert_int_equal(proxy_tls_sni(h, i, out, sizeof(out)), 0);
	n = hello(h, NULL);
	assert_int_equal(proxy_tls_sni(h, n, out, sizeof(out)), -ENOENT);
	assert_int_equal(proxy_tls_sni((const uint8_t *)"GET / HTTP/1.1", 14,
				       out, sizeof(out)), -EINVAL);
	n = hello(h, "example.com");
	h[n - 12] = 0xff; /* a server_name list longer than its extension */
	assert_int_equal(proxy_tls_sni(h, n, out, sizeof(out)), -EINVAL);
}

/* The name of a transparent connection: Host header, or "no name". */
static void test_sniff(void **st)
{
	static const char get[] = "GET / HTTP/1.1\r\nUser-Agent: x\r\n"
				  "host:  Example.COM:8080 \r\n\r\n";
	static const char bad[] = "GET / HTTP/1.1\r\nHost: a b\r\n\r\n";
	char out[PROXY_HOST_MAX];
	bool http;

	(void)st;
	assert_int_equal(proxy_sniff_name((const uint8_t *)get, sizeof(get) - 1,
					  false, out, sizeof(out), &http), 1);
	assert_string_equal(out, "Example.COM");
	assert_true(http);
	/* Half a head: more is needed, unless the client is done. */
	assert_int_equal(proxy_sniff_name((const uint8_t *)get, 20, false, out,
					  sizeof(out), &http), 0);
	assert_int_equal(proxy_sniff_name((const uint8_t *)get, 20, true, out,
					  sizeof(out), &http), -ENOENT);
	assert_int_equal(proxy_sniff_name((const uint8_t *)bad, sizeof(bad) - 1,
					  false, out, sizeof(out), &http), -ENOENT);
	assert_int_equal(proxy_sniff_name((const uint8_t *)"SSH-2.0-x\r\n", 11,
					  false, out, sizeof(out), &http), -ENOENT);
	assert_false(http);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_absolute_uri),
		cmocka_unit_test(test_connect_and_bad),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_sni),
		cmocka_unit_test(test_sniff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
