/* libFuzzer target: arbitrary bytes as the first bytes of a transparent
 * connection, read for a TLS server name or an HTTP Host header. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "proxy/proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[PROXY_HOST_MAX];
	bool http;

	for (int eof = 0; eof < 2; eof++) {
		int r = proxy_sniff_name(data, size, eof, out, sizeof(out), &http);
		if (r != 0 && r != 1 && r != -ENOENT)
			__builtin_trap();
		if (eof && r == 0)
			__builtin_trap(); /* at EOF there is no "more" */
		/* A name is one a policy can match: no dots only, no controls. */
		if (r == 1 && (strlen(out) == 0 || strlen(out) >= sizeof(out) ||
			       strspn(out, "abcdefghijklmnopqrstuvwxyz"
				      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
			       != strlen(out)))
			__builtin_trap();
	}
	return 0;
}
