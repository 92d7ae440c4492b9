/*
 * libFuzzer target: arbitrary bytes as what a client sends the forward
 * proxy on one connection, through its request path (llhttp under the
 * proxy's limits, target parsing, the rewritten head, the body up to the
 * end of each request, the next request), fed in input-dependent chunks.
 */
#include <stdint.h>
#include <string.h>

#include "proxy/proxy_req.h"

#define FZ_CHUNK_MOD 61 /* feed sizes 1..61 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_req r;
	struct buf head;
	size_t off = 0, chunk = size % FZ_CHUNK_MOD + 1;
	int rc = 0;

	proxy_req_init(&r);
	buf_init(&head, PROXY_HEAD_MAX * 2);
	while (off < size && rc >= 0) {
		size_t n = size - off < chunk ? size - off : chunk, used = 0;
		rc = proxy_req_feed(&r, (const char *)data + off, n, &used);
		if (used > n)
			__builtin_trap();
		off += used;
		if (rc == PROXY_REQ_HEAD) {
			if (r.host[0] == '\0' || r.port == 0 ||
			    (!r.connect && (r.path == NULL || r.path[0] != '/')))
				__builtin_trap();
			buf_reset(&head);
			proxy_req_head(&r, &head);
			if (r.connect)
				break; /* the rest is tunnel bytes */
		} else if (rc == PROXY_REQ_END) {
			proxy_req_next(&r);
		}
	}
	buf_release(&head);
	proxy_req_release(&r);
	return 0;
}
