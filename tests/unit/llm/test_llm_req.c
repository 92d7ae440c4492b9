/* llm requests: routes, the field policy per dialect on golden fixtures
 * (only scannable strings change; images, documents, thinking, signatures
 * and encrypted content stay byte-identical), strict JSON, limits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm/llm.h"
#include "t_llm.h"

/* The test scan hook: "MARKER" becomes "[GONE]"; paths are recorded. */
struct t_scan {
	struct buf paths;
	int fail; /* return this instead when nonzero */
};

static int t_scan_hook(void *arg, const char *jpath, const char *s, size_t n,
		       struct buf *out)
{
	struct t_scan *t = arg;
	const char *m;
	size_t at = 0;
	int changed = 0;

	assert_int_equal(buf_printf(&t->paths, "%s\n", jpath), 0);
	if (t->fail != 0)
		return t->fail;
	while ((m = memmem(s + at, n - at, "MARKER", 6)) != NULL) {
		assert_int_equal(buf_append(out, s + at, (size_t)(m - s) - at), 0);
		assert_int_equal(buf_puts(out, "[GONE]"), 0);
		at = (size_t)(m - s) + 6;
		changed = 1;
	}
	if (changed)
		assert_int_equal(buf_append(out, s + at, n - at), 0);
	return changed;
}

static int t_rewrite(enum llm_dialect d, const char *body, size_t n,
		     struct t_scan *t, struct buf *out, bool *changed,
		     struct diag *dg)
{
	struct llm_scan_hooks h = { .scan = t_scan_hook, .arg = t };

	return llm_request_rewrite(d, body, n, &h, out, changed, dg);
}

static void test_route(void **state)
{
	(void)state;
	assert_int_equal(llm_route("POST", "/v1/messages"), LLM_ANTHROPIC_MESSAGES);
	assert_int_equal(llm_route("POST", "/v1/messages?beta=true"),
			 LLM_ANTHROPIC_MESSAGES);
	assert_int_equal(llm_route("POST", "/v1/messages/count_tokens"),
			 LLM_ANTHROPIC_COUNT_TOKENS);
	assert_int_equal(llm_route("POST", "/v1/chat/completions"), LLM_OPENAI_CHAT);
	assert_int_equal(llm_route("POST", "/v1/responses"), LLM_OPENAI_RESPONSES);
	assert_int_equal(llm_route("POST", "/backend-api/codex/responses?x=1"),
			 LLM_OPENAI_RESPONSES);
	assert_int_equal(llm_route("GET", "/v1/messages"), LLM_UNKNOWN);
	assert_int_equal(llm_route("POST", "/v1/messages/"), LLM_UNKNOWN);
	assert_int_equal(llm_route("POST", "/v1/models"), LLM_UNKNOWN);
	assert_int_equal(llm_route(NULL, "/v1/messages"), LLM_UNKNOWN);
	assert_string_equal(llm_dialect_name(LLM_OPENAI_CHAT), "openai-chat");
	assert_string_equal(llm_dialect_name(LLM_UNKNOWN), "unknown");
}

/* Opaque values of the fixtures that must come out byte-identical. */
static const char *const t_opaque[] = {
	"claude-MARKER-4", "user-MARKER", "iVBORw0KGgoMARKERAAAANSUhEUg==",
	"JVBERi0xLjMKMARKER", "I should not see MARKER here",
	"EqQBCkgMARKERsig==", "EmwKAhgBEgyMARKER", "toolu_MARKER", "/9j/MARKER",
	"EqgfMARKER", "\"MARKER title\"", "\"properties\": {\"MARKER\"",
	"gpt-MARKER", "data:image/png;base64,iVBORMARKER", "UklGMARKER",
	"call_MARKER", "run_MARKER", "gpt-5-MARKER", "resp_MARKER",
	"data:image/png;base64,MARKER", "JVBERiMARKER", "summary MARKER",
	"gAAAAMARKER", "fc_MARKER", "MARKER.pdf", "\"name\": \"MARKER\"",
};

/* A second pass finds nothing left to change: the same bytes back. */
static void t_second_pass(enum llm_dialect d, const struct buf *first)
{
	struct t_scan t;
	struct buf out;
	bool changed = true;

	buf_init(&t.paths, 1 << 20);
	t.fail = 0;
	buf_init(&out, 1 << 20);
	assert_int_equal(t_rewrite(d, first->data, first->len, &t, &out,
				   &changed, NULL), 0);
	assert_false(changed);
	assert_int_equal(out.len, first->len);
	assert_memory_equal(out.data, first->data, first->len);
	buf_release(&out);
	buf_release(&t.paths);
}

static void t_fixture(const char *name, enum llm_dialect d)
{
	char in[256], out_name[256], paths_name[256];
	struct t_scan t;
	struct buf out;
	struct diag dg;
	bool changed;
	size_t n;
	char *body;

	snprintf(in, sizeof(in), "req_%s.json", name);
	snprintf(out_name, sizeof(out_name), "req_%s.out.json", name);
	snprintf(paths_name, sizeof(paths_name), "req_%s.paths", name);
	body = t_llm_fixture(in, &n);
	buf_init(&t.paths, 1 << 20);
	t.fail = 0;
	buf_init(&out, 1 << 20);
	diag_init(&dg);
	assert_int_equal(t_rewrite(d, body, n, &t, &out, &changed, &dg), 0);
	assert_true(changed);
	t_llm_golden(out_name, out.data, out.len);
	t_llm_golden(paths_name, t.paths.data, t.paths.len);
	for (size_t i = 0; i < sizeof(t_opaque) / sizeof(t_opaque[0]); i++)
		if (strstr(body, t_opaque[i]) != NULL &&
		    strstr(out.data, t_opaque[i]) == NULL)
			fail_msg("%s: opaque %s changed", name, t_opaque[i]);
	t_second_pass(d, &out);
	diag_release(&dg);
	buf_release(&t.paths);
	buf_release(&out);
	free(body);
}

static void test_fixture_anthropic(void **state)
{
	(void)state;
	t_fixture("anthropic_messages", LLM_ANTHROPIC_MESSAGES);
	t_fixture("anthropic_count_tokens", LLM_ANTHROPIC_COUNT_TOKENS);
}

static void test_fixture_openai(void **state)
{
	(void)state;
	t_fixture("openai_chat", LLM_OPENAI_CHAT);
	t_fixture("openai_responses", LLM_OPENAI_RESPONSES);
}

/* body of dialect d comes out as want (changed when they differ); the
 * scanned paths are paths when not NULL. */
static void t_expect(enum llm_dialect d, const char *body, const char *want,
		     const char *paths)
{
	struct t_scan t = { .fail = 0 };
	struct buf out;
	bool changed;

	buf_init(&t.paths, 4096);
	buf_init(&out, 4096);
	assert_int_equal(t_rewrite(d, body, strlen(body), &t, &out, &changed,
				   NULL), 0);
	assert_int_equal(changed, strcmp(body, want) != 0);
	assert_string_equal(out.data, want);
	if (paths != NULL)
		assert_string_equal(t.paths.data ? t.paths.data : "", paths);
	buf_release(&out);
	buf_release(&t.paths);
}

/* Responses input as a plain string, a scalar body, and empty containers. */
static void test_shapes(void **state)
{
	static const char unk[] = "{\"messages\":[{\"content\":\"MARKER\"}]}";

	(void)state;
	t_expect(LLM_OPENAI_RESPONSES, "{\"input\":\"a MARKER\",\"instructions\":7}",
		 "{\"input\":\"a [GONE]\",\"instructions\":7}", "input\n");
	t_expect(LLM_OPENAI_CHAT, " [ ] ", " [ ] ", "");
	t_expect(LLM_OPENAI_CHAT, "\"MARKER\"", "\"MARKER\"", "");
	t_expect(LLM_UNKNOWN, unk, unk, "");
	/* Keys are never scanned; an escaped key still matches the table. */
	t_expect(LLM_OPENAI_CHAT,
		 "{\"messages\":[{\"MARKER\":1,\"c\\u006fntent\":\"MARKER\"}]}",
		 "{\"messages\":[{\"MARKER\":1,\"c\\u006fntent\":\"[GONE]\"}]}",
		 "messages[0].c\\u006fntent\n");
	/* A "type" escaped past its table's length still names the block. */
	t_expect(LLM_ANTHROPIC_MESSAGES,
		 "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
		 "\"\\u0074\\u006f\\u006f\\u006c\\u005f\\u0072\\u0065\\u0073\\u0075\\u006c\\u0074\",\"content\":\"MARKER\"}]}]}",
		 "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
		 "\"\\u0074\\u006f\\u006f\\u006c\\u005f\\u0072\\u0065\\u0073\\u0075\\u006c\\u0074\",\"content\":\"[GONE]\"}]}]}",
		 "messages[0].content[0].content\n");
}

/* A changed string is re-encoded with only the escapes JSON needs; a
 * lone surrogate goes back out as the same escape. */
static void test_reencode(void **state)
{
	(void)state;
	t_expect(LLM_OPENAI_CHAT,
		 "{\"messages\":[{\"role\":\"user\",\"content\":"
		 "\"MARKER \\u00e9\\/\\t\\u0001\\ud800x\\ud83d\\ude00\"}]}",
		 "{\"messages\":[{\"role\":\"user\",\"content\":"
		 "\"[GONE] \xc3\xa9/\\t\\u0001\\ud800x\xf0\x9f\x98\x80\"}]}",
		 NULL);
}

struct t_bad {
	const char *body;
	size_t off;
};

/* Invalid JSON: -EINVAL, the diag names the offset, nothing is output. */
static void test_invalid(void **state)
{
	static const struct t_bad bad[] = {
		{ "", 0 }, { " ", 1 }, { "{", 1 }, { "{\"a\" 1}", 5 },
		{ "{\"a\":1,}", 7 }, { "[1,]", 3 }, { "[01]", 2 },
		{ "[1.]", 3 }, { "[1e]", 3 }, { "[-]", 2 }, { "[+1]", 1 },
		{ "[tru]", 1 }, { "[nul]", 1 }, { "{} x", 3 }, { "{}{}", 2 },
		{ "[\"a\\x\"]", 3 }, { "[\"\\u12g4\"]", 2 }, { "[\"a\tb\"]", 3 },
		{ "[\"abc", 5 }, { "[\"\xff\"]", 2 }, { "[\"\xc3\"]", 2 },
		{ "[\"\xed\xa0\x80\"]", 2 }, { "{'a':1}", 1 }, { "\xef\xbb\xbf{}", 0 },
		{ "[1 2]", 3 }, { "{\"a\":1 \"b\":2}", 7 }, { "[NaN]", 1 },
	};
	struct t_scan t = { .fail = 0 };
	char want[64];
	struct buf out;
	struct diag dg;
	bool changed;

	(void)state;
	buf_init(&t.paths, 4096);
	buf_init(&out, 4096);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		diag_init(&dg);
		assert_int_equal(t_rewrite(LLM_ANTHROPIC_MESSAGES, bad[i].body,
					   strlen(bad[i].body), &t, &out,
					   &changed, &dg), -EINVAL);
		assert_int_equal(out.len, 0);
		assert_int_equal(dg.errors, 1);
		snprintf(want, sizeof(want), "at byte %zu", bad[i].off);
		if (strstr(dg.v[0].msg, want) == NULL)
			fail_msg("case %zu: %s (want %s)", i, dg.v[0].msg, want);
		diag_release(&dg);
	}
	buf_release(&out);
	buf_release(&t.paths);
}

/* A control byte, an escape or a non-ASCII byte at every place of the
 * words the lexer steps over eight bytes at a time. */
static void test_word_edges(void **state)
{
	static const char *const mid[] = { "\x01", "\\n", "\xc3\xa9", "\x7f" };
	struct t_scan t = { .fail = 0 };
	struct buf body, out;
	bool changed;

	(void)state;
	buf_init(&t.paths, 4096);
	buf_init(&body, 4096);
	buf_init(&out, 4096);
	for (size_t m = 0; m < 4; m++) {
		for (size_t pos = 0; pos < 24; pos++) {
			buf_reset(&body);
			buf_reset(&out);
			buf_puts(&body, "[\"");
			for (size_t i = 0; i < pos; i++)
				buf_putc(&body, 'a');
			buf_puts(&body, mid[m]);
			buf_puts(&body, "bbbbbbbbbbb\"]");
			assert_int_equal(t_rewrite(LLM_OPENAI_CHAT, body.data,
						   body.len, &t, &out, &changed,
						   NULL), m == 0 ? -EINVAL : 0);
		}
	}
	buf_release(&body);
	buf_release(&out);
	buf_release(&t.paths);
}

/* Past the limits: nesting, body size, output bound; hook errors. */
static void test_limits(void **state)
{
	struct t_scan t = { .fail = 0 };
	struct buf out;
	struct diag dg;
	bool changed;
	char *deep = malloc(2 * (LLM_JSON_DEPTH_MAX + 1) + 1), *big;
	size_t n = 0;

	(void)state;
	assert_non_null(deep);
	for (int i = 0; i <= LLM_JSON_DEPTH_MAX; i++)
		deep[n++] = '[';
	for (int i = 0; i <= LLM_JSON_DEPTH_MAX; i++)
		deep[n++] = ']';
	buf_init(&t.paths, 4096);
	buf_init(&out, 4096);
	diag_init(&dg);
	assert_int_equal(t_rewrite(LLM_OPENAI_CHAT, deep, n, &t, &out, &changed,
				   &dg), -E2BIG);
	assert_int_equal(dg.errors, 1);
	/* One level less is fine. */
	assert_int_equal(t_rewrite(LLM_OPENAI_CHAT, deep + 1, n - 2, &t, &out,
				   &changed, NULL), 0);
	free(deep);
	big = malloc(LLM_BODY_MAX + 1u);
	assert_non_null(big);
	memset(big, ' ', LLM_BODY_MAX + 1u);
	buf_reset(&out);
	assert_int_equal(t_rewrite(LLM_OPENAI_CHAT, big, LLM_BODY_MAX + 1u, &t,
				   &out, &changed, &dg), -E2BIG);
	free(big);
	/* The caller's output bound. */
	out.max = 8;
	buf_reset(&out);
	assert_int_equal(t_rewrite(LLM_OPENAI_CHAT, "{\"model\":\"long name\"}",
				   21, &t, &out, &changed, NULL), -E2BIG);
	out.max = 4096;
	t.fail = -EIO;
	assert_int_equal(t_rewrite(LLM_OPENAI_CHAT,
				   "{\"messages\":[{\"content\":\"x\"}]}", 30, &t,
				   &out, &changed, NULL), -EIO);
	diag_release(&dg);
	buf_release(&out);
	buf_release(&t.paths);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route),
		cmocka_unit_test(test_fixture_anthropic),
		cmocka_unit_test(test_fixture_openai),
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_reencode),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_word_edges),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
