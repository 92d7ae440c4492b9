/*
 * The LLM proxy's parsers: an HTTP request as llhttp hands it to our
 * callbacks (heads and bodies, pipelined), header lookups, request body
 * decoding (gzip, deflate, zstd with the cap) and provider URLs.
 */
#include <stdint.h>
#include <string.h>

#include "llmproxy/llmproxy_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_msg(const char *p, size_t n)
{
	struct llmp_msg m;
	char v[64];

	llmp_msg_init(&m, HTTP_REQUEST);
	while (n > 0) {
		enum llhttp_errno e = llhttp_execute(&m.parser, p, n);
		size_t used;
		if (e != HPE_PAUSED)
			break;
		used = (size_t)(llhttp_get_error_pos(&m.parser) - p);
		llmp_header(&m, "content-encoding", v, sizeof(v));
		llmp_header(&m, "x-api-key", v, sizeof(v));
		llmp_msg_reset(&m);
		if (used == 0)
			break;
		p += used;
		n -= used;
	}
	llmp_msg_release(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const enc[] = {"gzip", "deflate", "zstd", "identity"};
	struct llmp_upstream u;
	struct buf out;
	char url[LLMPROXY_URL_MAX];
	size_t ul;

	if (size < 1)
		return 0;
	fuzz_msg((const char *)data + 1, size - 1);
	buf_init(&out, LLM_BODY_MAX);
	llmp_body_decode(enc[data[0] & 3], (const char *)data + 1, size - 1, &out);
	buf_release(&out);
	ul = size - 1 < sizeof(url) - 1 ? size - 1 : sizeof(url) - 1;
	memcpy(url, data + 1, ul);
	url[ul] = '\0';
	llmp_up_parse(url, &u);
	return 0;
}
