/* libFuzzer target: bytes -> the response transformer. The stream fed in
 * pseudo-random chunk sizes (1 byte up) must give exactly the bytes and
 * usage of one feed. Dialect and SSE/JSON mode come from the length. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "llm/llm.h"

#define FUZZ_OUT_MAX (1u << 26)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Tokens ending in 'a' restore to a value needing escapes; 'b' may not be
 * restored into tool input; others are unknown. */
static int fuzz_restore(void *arg, const char *tok, size_t n,
			enum llm_lane lane, struct buf *out)
{
	(void)arg;
	if (tok[n - 1] == 'a')
		return buf_puts(out, "v\"\\\n\xc3\xa9");
	if (tok[n - 1] == 'b' && lane == LLM_LANE_TEXT)
		return buf_puts(out, "plain");
	return -ENOENT;
}

static int fuzz_run(enum llm_dialect d, bool sse, const char *p, size_t n,
		    uint32_t seed, struct buf *out, struct llm_usage *u)
{
	struct llm_restore_hooks h = { .restore = fuzz_restore };
	struct llm_stream *s;
	size_t at = 0, k;
	int rc = 0;

	if (llm_stream_new(d, sse, &h, &s) < 0)
		abort();
	while (rc == 0 && at < n) {
		k = n - at;
		if (seed != 0) {
			seed = seed * 1103515245u + 12345u;
			k = 1 + (seed >> 16) % 97;
			if (k > n - at)
				k = n - at;
		}
		rc = llm_stream_feed(s, p + at, k, out);
		at += k;
	}
	if (rc == 0)
		rc = llm_stream_finish(s, out);
	llm_stream_usage(s, u);
	llm_stream_free(s);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum llm_dialect ds[] = {
		LLM_ANTHROPIC_MESSAGES, LLM_OPENAI_CHAT, LLM_OPENAI_RESPONSES,
	};
	enum llm_dialect d = ds[size % 3];
	bool sse = size % 5 != 0;
	struct llm_usage u1, u2;
	struct buf o1, o2;
	uint32_t seed = 1;
	int r1, r2;

	for (size_t i = 0; i < size && i < 16; i++)
		seed = seed * 31 + data[i];
	buf_init(&o1, FUZZ_OUT_MAX);
	buf_init(&o2, FUZZ_OUT_MAX);
	r1 = fuzz_run(d, sse, (const char *)data, size, 0, &o1, &u1);
	r2 = fuzz_run(d, sse, (const char *)data, size, seed | 1, &o2, &u2);
	if (r1 != r2 || (r1 == 0 && (o1.len != o2.len ||
				     memcmp(o1.data, o2.data, o1.len) != 0 ||
				     memcmp(&u1, &u2, sizeof(u1)) != 0)))
		abort();
	buf_release(&o1);
	buf_release(&o2);
	return 0;
}
