/* The LLM proxy's parsers: provider URLs, body decoding, request heads. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include <cmocka.h>

#include "llmproxy/llmproxy_int.h"

static void test_upstream_urls(void **st)
{
	struct llmp_upstream u;

	assert_int_equal(llmp_up_parse("https://api.example.com", &u), 0);
	assert_true(u.tls);
	assert_string_equal(u.host, "api.example.com");
	assert_string_equal(u.port, "443");
	assert_string_equal(u.prefix, "");
	assert_int_equal(llmp_up_parse("https://gw.example.com:8443/a/b/?x", &u), 0);
	assert_string_equal(u.port, "8443");
	assert_string_equal(u.prefix, "/a/b");
	assert_int_equal(llmp_up_parse("https://[::1]:9/", &u), 0);
	assert_string_equal(u.host, "::1");
	assert_int_equal(llmp_up_parse("http://127.0.0.1:8080", &u), 0);
	assert_false(u.tls);
	/* plain HTTP only to loopback */
	assert_int_equal(llmp_up_parse("http://api.example.com", &u), -EPERM);
	assert_int_equal(llmp_up_parse("ftp://x", &u), -EINVAL);
	assert_int_equal(llmp_up_parse("https://x:0", &u), -EINVAL);
	assert_int_equal(llmp_up_parse("https://x:70000", &u), -EINVAL);
	assert_int_equal(llmp_up_parse("https://:443", &u), -EINVAL);
	assert_int_equal(llmp_up_parse("https://[::1", &u), -EINVAL);
	assert_int_equal(llmp_up_parse(NULL, &u), -EINVAL);
}

static void test_gzip_and_limits(void **st)
{
	static const char text[] = "{\"messages\":[{\"content\":\"hello\"}]}";
	unsigned char z[256];
	uLongf zl = sizeof(z);
	struct buf out;

	buf_init(&out, LLM_BODY_MAX);
	/* zlib wrapper ("deflate" as RFC 9110 means it) */
	assert_int_equal(compress(z, &zl, (const Bytef *)text, sizeof(text) - 1),
			 Z_OK);
	assert_int_equal(llmp_body_decode("deflate", (char *)z, zl, &out), 0);
	assert_memory_equal(out.data, text, sizeof(text) - 1);
	buf_release(&out);
	/* truncated, trailing garbage, unknown, stacked */
	assert_int_equal(llmp_body_decode("deflate", (char *)z, zl - 3, &out),
			 -EINVAL);
	buf_release(&out);
	assert_int_equal(llmp_body_decode("gzip", "\x1f\x8bxx", 4, &out), -EINVAL);
	buf_release(&out);
	assert_int_equal(llmp_body_decode("br", "x", 1, &out), -EPROTONOSUPPORT);
	buf_release(&out);
	assert_int_equal(llmp_body_decode("gzip, zstd", "x", 1, &out),
			 -EPROTONOSUPPORT);
	buf_release(&out);
	assert_int_equal(llmp_body_decode(NULL, text, 5, &out), 0);
	assert_int_equal(out.len, 5);
	buf_release(&out);
}

/* A zstd bomb: 65 MiB of zeros in a few KB stop at the cap. */
static void test_zstd_cap(void **st)
{
	size_t n = LLM_BODY_MAX + (1u << 20), cap = ZSTD_compressBound(n);
	char *zeros = calloc(1, n), *z = malloc(cap);
	size_t zl = ZSTD_compress(z, cap, zeros, n, 3);
	struct buf out;

	buf_init(&out, LLM_BODY_MAX);

	assert_false(ZSTD_isError(zl));
	assert_int_equal(llmp_body_decode("zstd", z, zl, &out), -E2BIG);
	buf_release(&out);
	zl = ZSTD_compress(z, cap, zeros, 1000, 3);
	assert_int_equal(llmp_body_decode("ZSTD", z, zl, &out), 0);
	assert_int_equal(out.len, 1000);
	buf_release(&out);
	assert_int_equal(llmp_body_decode("zstd", z, zl - 1, &out), -EINVAL);
	buf_release(&out);
	free(zeros);
	free(z);
}

static void test_request_head(void **st)
{
	static const char req[] = "POST /v1/messages?beta=true HTTP/1.1\r\n"
		"Host: 127.0.0.1\r\nX-Api-Key:  k1 \r\nConnection: keep-alive\r\n"
		"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
		"GET /v1/models HTTP/1.1\r\n\r\n";
	struct llmp_msg m;
	char v[16];

	llmp_msg_init(&m, HTTP_REQUEST);
	assert_int_equal(llhttp_execute(&m.parser, req, sizeof(req) - 1),
			 HPE_PAUSED);
	assert_true(m.complete);
	assert_string_equal(m.url.data, "/v1/messages?beta=true");
	assert_string_equal(llmp_header(&m, "x-api-key", v, sizeof(v)), "k1");
	assert_null(llmp_header(&m, "authorization", v, sizeof(v)));
	assert_memory_equal(m.body.data, "hello", 5);
	assert_true(llmp_hop_header("Connection: x", 13));
	assert_true(llmp_hop_header("transfer-encoding: x", 20));
	assert_false(llmp_hop_header("x-api-key: k", 12));
	assert_false(llmp_hop_header("Hostile: x", 10));
	llmp_msg_reset(&m);
	assert_null(llmp_header(&m, "x-api-key", v, sizeof(v)));
	llmp_msg_release(&m);
	/* a header name with a space is refused */
	llmp_msg_init(&m, HTTP_REQUEST);
	llhttp_execute(&m.parser, "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 31);
	assert_int_equal(m.status, 400);
	llmp_msg_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_upstream_urls),
		cmocka_unit_test(test_gzip_and_limits),
		cmocka_unit_test(test_zstd_cap),
		cmocka_unit_test(test_request_head),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
