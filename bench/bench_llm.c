/*
 * LLM wire formats: the JSON walk of llm_request_rewrite over a generated
 * 560 KB Anthropic Messages body (text, tool calls and results, a base64
 * image, thinking with signatures) with a scan hook that changes nothing,
 * against memcpy of the same bytes in the same run; then the response
 * transformer over a generated SSE stream of text deltas with tokens.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "llm/llm.h"

#define BENCH_BODY (560u * 1024)
#define BENCH_ROUNDS 300
#define BENCH_SSE (4u << 20)

static double bench_clock(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double bench_now(void)
{
	return bench_clock(CLOCK_MONOTONIC);
}

static const char *const bench_text[] = {
	"Could you refactor the login handler so it uses the new store? ",
	"Sure! Here is the updated function with the error path fixed.\\n",
	"static int parse(struct conn *c, const char *p, size_t n)\\n{\\n",
	"\\tif (rc < 0 \\u0026\\u0026 errno != EAGAIN)\\n\\t\\treturn -errno;\\n",
	"Running the tests now: 214 passed, 3 skipped, 0 failed in 12.4s. ",
	"The diff touches 4 files (+120, -37) and keeps the API \\\"stable\\\". ",
};

/* One message of a generated conversation, by turn number. */
static int bench_msg(struct buf *b, unsigned i)
{
	int rc;

	if (i % 4 == 1)
		return buf_printf(b, ",{\"role\":\"assistant\",\"content\":["
			"{\"type\":\"thinking\",\"thinking\":\"%s%s\","
			"\"signature\":\"EqQBCkgIARABGAIiQL7a1b2c3d4e5f6\"},"
			"{\"type\":\"text\",\"text\":\"%s\"},"
			"{\"type\":\"tool_use\",\"id\":\"toolu_%u\",\"name\":"
			"\"bash\",\"input\":{\"command\":\"make -C build %u\"}}]}",
			bench_text[i % 6], bench_text[(i + 1) % 6],
			bench_text[(i + 2) % 6], i, i);
	if (i % 4 == 2) {
		rc = buf_printf(b, ",{\"role\":\"user\",\"content\":[{\"type\":"
				"\"tool_result\",\"tool_use_id\":\"toolu_%u\","
				"\"content\":\"", i - 1);
		for (unsigned k = 0; rc == 0 && k < 12; k++)
			rc = buf_puts(b, bench_text[(i + k) % 6]);
		return rc < 0 ? rc : buf_puts(b, "\"}]}");
	}
	return buf_printf(b, ",{\"role\":\"%s\",\"content\":\"%s%s\"}",
			  i % 4 == 3 ? "assistant" : "user", bench_text[i % 6],
			  bench_text[(i + 3) % 6]);
}

static int bench_body(struct buf *b)
{
	unsigned i = 1;
	int rc;

	rc = buf_puts(b, "{\"model\":\"claude-x\",\"max_tokens\":8192,\"system\":"
		      "[{\"type\":\"text\",\"text\":\"You are a coding agent.\"}],"
		      "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
		      "\"image\",\"source\":{\"type\":\"base64\",\"media_type\":"
		      "\"image/png\",\"data\":\"");
	for (unsigned k = 0; rc == 0 && k < 100 * 1024 / 64; k++)
		rc = buf_puts(b, "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9Q");
	if (rc == 0)
		rc = buf_puts(b, "\"}},{\"type\":\"text\",\"text\":\"What is this?\"}]}");
	while (rc == 0 && b->len < BENCH_BODY - 1024)
		rc = bench_msg(b, i++);
	return rc < 0 ? rc : buf_puts(b, "]}");
}

static int bench_scan(void *arg, const char *jpath, const char *s, size_t n,
		      struct buf *out)
{
	size_t *bytes = arg;

	(void)jpath, (void)s, (void)out;
	*bytes += n;
	return 0;
}

static int bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int bench_walk(const struct buf *body)
{
	static double lat[BENCH_ROUNDS];
	size_t scanned = 0;
	struct llm_scan_hooks h = { .scan = bench_scan, .arg = &scanned };
	struct buf out;
	double t0, walk = 0, copy = 0, cpu = 0, c0;
	bool changed;
	char *dst = malloc(body->len);

	buf_init(&out, LLM_BODY_MAX);
	if (dst == NULL)
		return -ENOMEM;
	for (int r = 0; r < BENCH_ROUNDS; r++) {
		buf_reset(&out);
		c0 = bench_clock(CLOCK_THREAD_CPUTIME_ID);
		t0 = bench_now();
		if (llm_request_rewrite(LLM_ANTHROPIC_MESSAGES, body->data,
					body->len, &h, &out, &changed, NULL) < 0 ||
		    changed)
			return -EINVAL;
		lat[r] = bench_now() - t0;
		cpu += bench_clock(CLOCK_THREAD_CPUTIME_ID) - c0;
		walk += lat[r];
		t0 = bench_now();
		memcpy(dst, body->data, body->len);
		__asm__ __volatile__("" : : "r"(dst) : "memory");
		copy += bench_now() - t0;
	}
	qsort(lat, BENCH_ROUNDS, sizeof(lat[0]), bench_cmp);
	/* Also per CPU-second and of the median round: robust on a shared
	 * machine. */
	printf("llm json walk: %zu KB Anthropic body, %zu KB scannable text: "
	       "%.0f MB/s (%.0f per CPU-second, %.0f median round; p50 %.3f ms, "
	       "p99 %.3f ms); memcpy %.0f MB/s; walk/memcpy time %.1fx\n",
	       body->len / 1024, scanned / BENCH_ROUNDS / 1024,
	       body->len * (double)BENCH_ROUNDS / walk / 1e6,
	       body->len * (double)BENCH_ROUNDS / cpu / 1e6,
	       body->len / lat[BENCH_ROUNDS / 2] / 1e6,
	       lat[BENCH_ROUNDS / 2] * 1e3, lat[BENCH_ROUNDS * 99 / 100] * 1e3,
	       body->len * (double)BENCH_ROUNDS / copy / 1e6, walk / copy);
	buf_release(&out);
	free(dst);
	return 0;
}

static int bench_restore(void *arg, const char *tok, size_t n,
			 enum llm_lane lane, struct buf *out)
{
	(void)arg, (void)tok, (void)n, (void)lane;
	return buf_puts(out, "alice@example.com");
}

/* An SSE stream of text deltas, every fifth word a token. */
static int bench_stream(void)
{
	struct llm_restore_hooks h = { .restore = bench_restore };
	struct llm_stream *s;
	struct buf in, out;
	double t0, secs, c0;
	int rc = 0;

	buf_init(&in, 2 * BENCH_SSE);
	buf_init(&out, 4 * BENCH_SSE);
	for (unsigned i = 0; rc == 0 && in.len < BENCH_SSE; i++)
		rc = buf_printf(&in, "event: content_block_delta\ndata: {\"type\":"
				"\"content_block_delta\",\"index\":0,\"delta\":"
				"{\"type\":\"text_delta\",\"text\":\"word %s\"}}\n\n",
				i % 5 ? "and more" : "DLP_EMAIL_abcdefgh23 ok");
	if (rc < 0 || (rc = llm_stream_new(LLM_ANTHROPIC_MESSAGES, true, &h,
					   &s)) < 0)
		return rc;
	c0 = bench_clock(CLOCK_THREAD_CPUTIME_ID);
	t0 = bench_now();
	for (size_t at = 0; rc == 0 && at < in.len; at += 16384)
		rc = llm_stream_feed(s, in.data + at,
				     in.len - at < 16384 ? in.len - at : 16384,
				     &out);
	if (rc == 0)
		rc = llm_stream_finish(s, &out);
	secs = bench_now() - t0;
	c0 = bench_clock(CLOCK_THREAD_CPUTIME_ID) - c0;
	llm_stream_free(s);
	printf("llm sse restore: %zu KB of text deltas in 16 KB reads: "
	       "%.0f MB/s (%.0f per CPU-second)\n", in.len / 1024,
	       in.len / secs / 1e6, in.len / c0 / 1e6);
	buf_release(&in);
	buf_release(&out);
	return rc;
}

int main(void)
{
	struct buf body;
	int rc;

	buf_init(&body, 2 * BENCH_BODY);
	if ((rc = bench_body(&body)) < 0 || (rc = bench_walk(&body)) < 0 ||
	    (rc = bench_stream()) < 0) {
		fprintf(stderr, "bench_llm: failed (%d)\n", rc);
		return 1;
	}
	buf_release(&body);
	return 0;
}
