/* libFuzzer target: bytes -> llm_request_rewrite with a hook that changes
 * every string (quotes, backslashes, control bytes, invalid UTF-8), then
 * checks: the output is valid JSON, unchanged input comes back identical,
 * and a second pass with a no-op hook changes nothing. The dialect comes
 * from the input length, so whole request bodies are seeds. Input that
 * starts with a quote is also read as one string by both the one-pass
 * llm_json_take_string and skip + llm_json_decode, which must agree. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "llm/llm_int.h"

#define FUZZ_OUT_MAX (1u << 24)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_scan(void *arg, const char *jpath, const char *s, size_t n,
		     struct buf *out)
{
	int *mode = arg;

	if (jpath == NULL || strlen(jpath) >= LLM_JSON_PATH_MAX)
		abort();
	if (*mode == 0 || n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		int rc = s[i] == 'a' ? buf_append(out, "\"\\\n\x01\xc3\xa9\xff", 7)
				     : buf_putc(out, s[i]);

		if (rc < 0)
			return rc;
	}
	return 1;
}

static void fuzz_take(const char *p, size_t size)
{
	struct llm_json a, b;
	struct buf da, db;
	int ra, rb;

	buf_init(&da, FUZZ_OUT_MAX);
	buf_init(&db, FUZZ_OUT_MAX);
	llm_json_init(&a, p, size);
	llm_json_init(&b, p, size);
	ra = llm_json_skip_string(&a);
	rb = llm_json_take_string(&b, &db);
	if (ra != rb || (ra == 0 && (a.pos != b.pos || a.esc != b.esc)))
		abort();
	if (ra == 0 && a.esc) {
		if (llm_json_decode(p, a.pos, &da) != 0 || da.len != db.len ||
		    memcmp(da.data, db.data, da.len) != 0)
			abort();
	}
	buf_release(&da);
	buf_release(&db);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum llm_dialect ds[] = {
		LLM_ANTHROPIC_MESSAGES, LLM_ANTHROPIC_COUNT_TOKENS,
		LLM_OPENAI_CHAT, LLM_OPENAI_RESPONSES,
	};
	enum llm_dialect d = ds[size % 4];
	const char *p = (const char *)data;
	int mode = 1;
	struct llm_scan_hooks h = { .scan = fuzz_scan, .arg = &mode };
	struct llm_json j;
	struct buf out, again;
	struct diag dg;
	bool changed, ch2;
	int rc;

	if (size > 0 && p[0] == '"')
		fuzz_take(p, size);
	buf_init(&out, FUZZ_OUT_MAX);
	buf_init(&again, FUZZ_OUT_MAX);
	diag_init(&dg);
	rc = llm_request_rewrite(d, p, size, &h, &out, &changed, &dg);
	if ((rc == 0) != (llm_json_validate(p, size, &j) == 0) &&
	    rc != -E2BIG)
		abort();
	if (rc == -EINVAL && (dg.errors != 1 || out.len != 0))
		abort();
	if (rc == 0) {
		if (!changed && (out.len != size || memcmp(out.data, p, size)))
			abort();
		if (llm_json_validate(out.data, out.len, &j) != 0)
			abort();
		mode = 0;
		if (llm_request_rewrite(d, out.data, out.len, &h, &again, &ch2,
					NULL) != 0 || ch2 ||
		    again.len != out.len ||
		    memcmp(again.data, out.data, out.len) != 0)
			abort();
	}
	diag_release(&dg);
	buf_release(&out);
	buf_release(&again);
	return 0;
}
