/* libFuzzer target: arbitrary bytes as the first bytes of a tunnel, read
 * for the ClientHello's server name, whole and at every shorter length. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "proxy/proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[PROXY_HOST_MAX];
	int r = proxy_tls_sni(data, size, out, sizeof(out));

	if (r == 1 && (strlen(out) == 0 || strlen(out) >= sizeof(out)))
		__builtin_trap();
	if (r != 0 && r != 1 && r != -ENOENT && r != -EINVAL)
		__builtin_trap();
	/* A prefix of a complete hello is "need more" or the same verdict. */
	if (r != 0 && size > 0 && proxy_tls_sni(data, size - 1, out,
						sizeof(out)) == 1 && r != 1)
		__builtin_trap();
	return 0;
}
