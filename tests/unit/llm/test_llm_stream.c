/* llm responses: SSE and JSON fixtures per dialect with tokens split
 * across deltas, restored per lane, never in thinking or reasoning; the
 * same output and usage whatever the split of the byte stream. The
 * providers cannot be reached from here: the fixtures are recorded-style
 * streams written for these tests. json-c checks every emitted event. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "llm/llm.h"
#include "t_llm.h"

#define T_OUT_MAX (1u << 24)

struct t_case {
	const char *name;
	enum llm_dialect d;
	struct llm_usage u;
};

static const struct t_case t_sse[] = {
	{ "resp_anthropic.sse", LLM_ANTHROPIC_MESSAGES,
	  { .input = 25, .output = 89, .cache_read = 2000,
	    .cache_creation = 100, .known = true } },
	{ "resp_openai_chat.sse", LLM_OPENAI_CHAT,
	  { .input = 50, .output = 20, .cache_read = 32, .reasoning = 5,
	    .known = true } },
	{ "resp_openai_responses.sse", LLM_OPENAI_RESPONSES,
	  { .input = 300, .output = 40, .cache_read = 128, .reasoning = 16,
	    .known = true } },
};

static const struct t_case t_json[] = {
	{ "resp_anthropic.json", LLM_ANTHROPIC_MESSAGES,
	  { .input = 10, .output = 30, .cache_read = 7, .known = true } },
	{ "resp_openai_chat.json", LLM_OPENAI_CHAT,
	  { .input = 11, .output = 22, .cache_read = 4, .reasoning = 3,
	    .known = true } },
	{ "resp_openai_responses.json", LLM_OPENAI_RESPONSES,
	  { .input = 100, .output = 20, .cache_read = 50, .reasoning = 8,
	    .known = true } },
};

/* Transform p[0..n) fed in pieces of the sizes step(i) gives. */
static void t_run(enum llm_dialect d, bool sse, const char *p, size_t n,
		  const size_t *cuts, size_t ncuts, struct buf *out,
		  struct llm_usage *u)
{
	struct llm_restore_hooks h = { .restore = t_llm_restore };
	struct llm_stream *s;
	size_t at = 0;

	buf_init(out, T_OUT_MAX);
	assert_int_equal(llm_stream_new(d, sse, &h, &s), 0);
	for (size_t i = 0; i <= ncuts; i++) {
		size_t to = i < ncuts ? cuts[i] : n;

		assert_int_equal(llm_stream_feed(s, p + at, to - at, out), 0);
		at = to;
	}
	assert_int_equal(llm_stream_finish(s, out), 0);
	llm_stream_usage(s, u);
	llm_stream_free(s);
}

static void t_usage_eq(const struct llm_usage *a, const struct llm_usage *b)
{
	assert_int_equal(a->input, b->input);
	assert_int_equal(a->output, b->output);
	assert_int_equal(a->cache_read, b->cache_read);
	assert_int_equal(a->cache_creation, b->cache_creation);
	assert_int_equal(a->reasoning, b->reasoning);
	assert_int_equal(a->known, b->known);
}

/* Text of lanes collected from the emitted events. */
struct t_lanes {
	struct buf text, tool, done;
	size_t events;
};

static const char *t_str(struct json_object *o, const char *const *path)
{
	for (; *path != NULL && o != NULL; path++)
		if (!json_object_object_get_ex(o, *path, &o))
			return NULL;
	return o != NULL && json_object_is_type(o, json_type_string)
		       ? json_object_get_string(o) : NULL;
}

static void t_lane_event(enum llm_dialect d, struct json_object *o,
			 struct t_lanes *l)
{
	static const char *const at[] = { "delta", "text", NULL };
	static const char *const aj[] = { "delta", "partial_json", NULL };
	static const char *const rd[] = { "delta", NULL };
	static const char *const rt[] = { "text", NULL };
	const char *type = t_str(o, (const char *const[]){ "type", NULL });
	struct json_object *ch, *c0, *tc;
	const char *v;

	if (d == LLM_ANTHROPIC_MESSAGES) {
		if ((v = t_str(o, at)) != NULL)
			buf_puts(&l->text, v);
		if ((v = t_str(o, aj)) != NULL)
			buf_puts(&l->tool, v);
	} else if (d == LLM_OPENAI_RESPONSES && type != NULL) {
		if (strcmp(type, "response.output_text.delta") == 0)
			buf_puts(&l->text, t_str(o, rd));
		if (strcmp(type, "response.function_call_arguments.delta") == 0)
			buf_puts(&l->tool, t_str(o, rd));
		if (strcmp(type, "response.output_text.done") == 0)
			buf_puts(&l->done, t_str(o, rt));
	} else if (d == LLM_OPENAI_CHAT &&
		   json_object_object_get_ex(o, "choices", &ch) &&
		   json_object_array_length(ch) > 0) {
		c0 = json_object_array_get_idx(ch, 0);
		if ((v = t_str(c0, (const char *const[]){ "delta", "content",
							  NULL })) != NULL)
			buf_puts(&l->text, v);
		if (json_object_object_get_ex(c0, "delta", &tc) &&
		    json_object_object_get_ex(tc, "tool_calls", &tc) &&
		    (v = t_str(json_object_array_get_idx(tc, 0),
			       (const char *const[]){ "function", "arguments",
						      NULL })) != NULL)
			buf_puts(&l->tool, v);
	}
}

/* Split LF-framed SSE output into events; each data must be JSON. */
static void t_lanes(enum llm_dialect d, const char *p, struct t_lanes *l)
{
	struct buf data;
	const char *e, *line, *nl;

	buf_init(&l->text, T_OUT_MAX);
	buf_init(&l->tool, T_OUT_MAX);
	buf_init(&l->done, T_OUT_MAX);
	buf_init(&data, T_OUT_MAX);
	l->events = 0;
	for (; (e = strstr(p, "\n\n")) != NULL; p = e + 2) {
		buf_reset(&data);
		for (line = p; line < e + 1; line = nl + 1) {
			nl = strchr(line, '\n');
			if (strncmp(line, "data: ", 6) == 0) {
				if (data.len > 0)
					buf_putc(&data, '\n');
				buf_append(&data, line + 6, (size_t)(nl - line - 6));
			}
		}
		if (data.len == 0 || strcmp(data.data, "[DONE]") == 0)
			continue;
		struct json_object *o = json_tokener_parse(data.data);

		if (o == NULL)
			fail_msg("emitted event is not JSON: %s", data.data);
		t_lane_event(d, o, l);
		json_object_put(o);
		l->events++;
	}
	buf_release(&data);
}

static void t_lanes_free(struct t_lanes *l)
{
	buf_release(&l->text);
	buf_release(&l->tool);
	buf_release(&l->done);
}

static void t_json_field(const char *json, const char *key, const char *want)
{
	struct json_object *o = json_tokener_parse(json), *v;

	if (o == NULL)
		fail_msg("tool input is not JSON: %s", json);
	assert_true(json_object_object_get_ex(o, key, &v));
	assert_string_equal(json_object_get_string(v), want);
	json_object_put(o);
}

/* What each dialect's fixture must give once restored. */
static void t_check_lanes(enum llm_dialect d, const struct buf *out)
{
	struct t_lanes l;

	t_lanes(d, out->data, &l);
	assert_true(l.events > 5);
	if (d == LLM_ANTHROPIC_MESSAGES) {
		assert_string_equal(l.text.data,
			"Mail alice@example.com, SSN 078-05-1120, key "
			"DLP_API_KEY_zzzzzzzzzz and xDLP_EMAIL_abcdefgh23 "
			"\xc3\xa9t\xc3\xa9 \"q\"\n. End DLP_NAME_qqqq");
		t_json_field(l.tool.data, "to", "alice@example.com");
		t_json_field(l.tool.data, "who",
			     "Bob \"the\" Builder\\\nDLP_SSN_k3m7x2qa7b");
		assert_non_null(strstr(out->data, "\"thinking\":\"The user "
				       "DLP_EMAIL_abcdefgh23 wants DLP_EM\""));
		assert_non_null(strstr(out->data, "EqQBDLP_EMAIL_abcdefgh23"));
	} else if (d == LLM_OPENAI_CHAT) {
		assert_string_equal(l.text.data,
				    "Hi alice@example.com! Call 078-05-1120");
		t_json_field(l.tool.data, "to", "alice@example.com");
		t_json_field(l.tool.data, "who", "Bob \"the\" Builder\\");
	} else {
		assert_string_equal(l.text.data,
				    "Send to alice@example.com now, 078-05-1120");
		assert_string_equal(l.done.data, l.text.data);
		t_json_field(l.tool.data, "to", "alice@example.com");
		assert_non_null(strstr(out->data, "\"think DLP_EMAIL_abcdefgh23\""));
		assert_non_null(strstr(out->data, "gAAAADLP_EMAIL_abcdefgh23"));
		assert_null(strstr(out->data, "\"Send to DLP_"));
	}
	t_lanes_free(&l);
}

static void test_sse_golden(void **state)
{
	char gold[128];
	struct llm_usage u;
	struct buf out;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(t_sse) / sizeof(t_sse[0]); i++) {
		char *p = t_llm_fixture(t_sse[i].name, &n);

		t_run(t_sse[i].d, true, p, n, NULL, 0, &out, &u);
		snprintf(gold, sizeof(gold), "%s.out", t_sse[i].name);
		t_llm_golden(gold, out.data, out.len);
		t_usage_eq(&u, &t_sse[i].u);
		t_check_lanes(t_sse[i].d, &out);
		buf_release(&out);
		free(p);
	}
}

/* p[0..n) split at every offset, into 1-byte feeds and at random cuts
 * gives the same bytes and usage as one feed. */
static void t_split_all(enum llm_dialect d, const char *p, size_t n)
{
	struct llm_usage u0, u;
	struct buf o0, o;
	size_t cuts[64], *ones = malloc(n * sizeof(*ones));

	assert_non_null(ones);
	t_run(d, true, p, n, NULL, 0, &o0, &u0);
	for (size_t k = 0; k <= n; k++) {
		t_run(d, true, p, n, &k, 1, &o, &u);
		if (o.len != o0.len || memcmp(o.data, o0.data, o.len) != 0)
			fail_msg("split at %zu differs", k);
		t_usage_eq(&u, &u0);
		buf_release(&o);
	}
	for (size_t k = 0; k < n; k++)
		ones[k] = k + 1;
	t_run(d, true, p, n, ones, n - 1, &o, &u);
	assert_memory_equal(o.data, o0.data, o0.len);
	assert_int_equal(o.len, o0.len);
	buf_release(&o);
	srand(7);
	for (int r = 0; r < 200; r++) {
		size_t nc = (size_t)rand() % 64, last = 0;

		for (size_t c = 0; c < nc; c++)
			cuts[c] = last = last + (size_t)rand() % (n - last + 1);
		t_run(d, true, p, n, cuts, nc, &o, &u);
		assert_int_equal(o.len, o0.len);
		assert_memory_equal(o.data, o0.data, o0.len);
		buf_release(&o);
	}
	buf_release(&o0);
	free(ones);
}

static void test_sse_split(void **state)
{
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(t_sse) / sizeof(t_sse[0]); i++) {
		char *p = t_llm_fixture(t_sse[i].name, &n);

		t_split_all(t_sse[i].d, p, n);
		free(p);
	}
}

/* The fixture with every LF replaced by eol. */
static char *t_eol(const char *p, size_t n, const char *eol, size_t *on)
{
	struct buf b;

	buf_init(&b, T_OUT_MAX);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(p[i] == '\n' ? buf_puts(&b, eol)
					      : buf_putc(&b, p[i]), 0);
	*on = b.len;
	return buf_steal(&b);
}

static size_t t_count(const char *h, const char *needle)
{
	size_t c = 0;

	for (; (h = strstr(h, needle)) != NULL; h++)
		c++;
	return c;
}

/* CRLF and CR line ends: the same restoring, split-invariant. */
static void test_sse_line_ends(void **state)
{
	static const char *const eols[] = { "\r\n", "\r" };
	struct llm_usage u0, u;
	struct buf o0, o;
	size_t n, vn;

	(void)state;
	for (size_t i = 0; i < sizeof(t_sse) / sizeof(t_sse[0]); i++) {
		char *p = t_llm_fixture(t_sse[i].name, &n);

		t_run(t_sse[i].d, true, p, n, NULL, 0, &o0, &u0);
		for (size_t e = 0; e < 2; e++) {
			char *v = t_eol(p, n, eols[e], &vn);

			t_split_all(t_sse[i].d, v, vn);
			t_run(t_sse[i].d, true, v, vn, NULL, 0, &o, &u);
			t_usage_eq(&u, &u0);
			assert_int_equal(t_count(o.data, "alice@example.com"),
					 t_count(o0.data, "alice@example.com"));
			assert_int_equal(t_count(o.data, "078-05-1120"),
					 t_count(o0.data, "078-05-1120"));
			buf_release(&o);
			free(v);
		}
		buf_release(&o0);
		free(p);
	}
}

static void test_json_golden(void **state)
{
	char gold[128];
	struct llm_usage u;
	struct buf out;
	size_t n, cut;

	(void)state;
	for (size_t i = 0; i < sizeof(t_json) / sizeof(t_json[0]); i++) {
		char *p = t_llm_fixture(t_json[i].name, &n);

		cut = n / 3;
		t_run(t_json[i].d, false, p, n, &cut, 1, &out, &u);
		snprintf(gold, sizeof(gold), "%s.out", t_json[i].name);
		t_llm_golden(gold, out.data, out.len);
		t_usage_eq(&u, &t_json[i].u);
		assert_non_null(strstr(out.data, "alice@example.com"));
		buf_release(&out);
		free(p);
	}
}

/* Without a restore hook every byte goes through unchanged. */
static void test_no_hook(void **state)
{
	struct llm_stream *s;
	struct buf out;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(t_sse) / sizeof(t_sse[0]); i++) {
		char *p = t_llm_fixture(t_sse[i].name, &n);

		buf_init(&out, T_OUT_MAX);
		assert_int_equal(llm_stream_new(t_sse[i].d, true, NULL, &s), 0);
		assert_int_equal(llm_stream_feed(s, p, n, &out), 0);
		assert_int_equal(llm_stream_finish(s, &out), 0);
		assert_int_equal(out.len, n);
		assert_memory_equal(out.data, p, n);
		llm_stream_free(s);
		buf_release(&out);
		free(p);
	}
	llm_stream_free(NULL);
}

/* Any word of the token grammar restores to "<word>". */
static int t_any(void *arg, const char *tok, size_t n, enum llm_lane lane,
		 struct buf *out)
{
	(void)arg, (void)lane;
	return buf_printf(out, "<%.*s>", (int)n, tok);
}

/* The token grammar, whole words only, the same whether the text comes
 * in one delta or one byte per delta. */
static void test_token_grammar(void **state)
{
	static const char text[] =
		"DLP_ABCDEFGHIJKLMNOPQRSTUVWXYZ012345_abcdefgh23 "
		"DLP_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456_abcdefgh23 "
		"DLP_A_B_2345672345,DLP_a_abcdefgh23 DLP_EMAIL_abcdefgh2 "
		"DLP_EMAIL_abcdefgh234 DLP_EMAIL_abcdefgh18 "
		"-DLP_E_abcdefgh23. _DLP_E_abcdefgh23 DLP_E_abcdefgh23";
	static const char want[] =
		"<DLP_ABCDEFGHIJKLMNOPQRSTUVWXYZ012345_abcdefgh23> "
		"DLP_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456_abcdefgh23 "
		"<DLP_A_B_2345672345>,DLP_a_abcdefgh23 DLP_EMAIL_abcdefgh2 "
		"DLP_EMAIL_abcdefgh234 DLP_EMAIL_abcdefgh18 "
		"-<DLP_E_abcdefgh23>. _DLP_E_abcdefgh23 <DLP_E_abcdefgh23>";
	struct llm_restore_hooks h = { .restore = t_any };
	struct llm_stream *s;
	struct buf in, out;
	struct t_lanes l;

	(void)state;
	for (size_t step = 1; step <= sizeof(text); step += sizeof(text) - 1) {
		buf_init(&in, 1 << 20);
		buf_init(&out, 1 << 20);
		for (size_t i = 0; i < sizeof(text) - 1; i += step)
			assert_int_equal(buf_printf(&in, "data: {\"type\":"
				"\"content_block_delta\",\"index\":0,\"delta\":"
				"{\"type\":\"text_delta\",\"text\":\"%.*s\"}}\n\n",
				(int)step, text + i), 0);
		assert_int_equal(buf_puts(&in, "data: {\"type\":"
					  "\"content_block_stop\",\"index\":0}\n\n"), 0);
		assert_int_equal(llm_stream_new(LLM_ANTHROPIC_MESSAGES, true, &h,
						&s), 0);
		assert_int_equal(llm_stream_feed(s, in.data, in.len, &out), 0);
		assert_int_equal(llm_stream_finish(s, &out), 0);
		llm_stream_free(s);
		t_lanes(LLM_ANTHROPIC_MESSAGES, out.data, &l);
		assert_string_equal(l.text.data, want);
		t_lanes_free(&l);
		buf_release(&in);
		buf_release(&out);
	}
}

/* Chat with two choices whose deltas alternate one byte at a time: each
 * choice is its own lane and both get their tokens restored. */
static void test_lanes_interleaved(void **state)
{
	static const char *const text[2] = {
		"a DLP_EMAIL_abcdefgh23, DLP_SSN_k3m7x2qa7b",
		"DLP_EMAIL_abcdefgh23 DLP_EMAIL_abcdefgh2",
	};
	struct buf in, got[2], out;
	struct llm_usage u;
	struct json_object *o, *ch, *c, *v;
	const char *p, *e;
	size_t i;

	(void)state;
	buf_init(&in, 1 << 20);
	for (i = 0; i < 48; i++)
		for (int k = 0; k < 2; k++)
			if (i < strlen(text[k]))
				assert_int_equal(buf_printf(&in, "data: {\"id\":\"x\","
					"\"choices\":[{\"index\":%d,\"delta\":{\"content\":"
					"\"%c\"},\"finish_reason\":null}]}\n\n", k,
					text[k][i]), 0);
	assert_int_equal(buf_puts(&in, "data: [DONE]\n\n"), 0);
	t_run(LLM_OPENAI_CHAT, true, in.data, in.len, NULL, 0, &out, &u);
	buf_init(&got[0], 4096);
	buf_init(&got[1], 4096);
	for (p = out.data; (e = strstr(p, "\n\n")) != NULL; p = e + 2) {
		if (strncmp(p, "data: {", 7) != 0)
			continue;
		o = json_tokener_parse(p + 6);
		assert_non_null(o);
		assert_true(json_object_object_get_ex(o, "choices", &ch));
		c = json_object_array_get_idx(ch, 0);
		assert_true(json_object_object_get_ex(c, "index", &v));
		i = (size_t)json_object_get_int(v);
		assert_true(json_object_object_get_ex(c, "delta", &v));
		assert_true(json_object_object_get_ex(v, "content", &v));
		buf_puts(&got[i], json_object_get_string(v));
		json_object_put(o);
	}
	assert_string_equal(got[0].data, "a alice@example.com, 078-05-1120");
	assert_string_equal(got[1].data,
			    "alice@example.com DLP_EMAIL_abcdefgh2");
	buf_release(&got[0]);
	buf_release(&got[1]);
	buf_release(&out);
	buf_release(&in);
}

/* A CR ending an event inside a feed does not swallow a LF that starts
 * a later feed (found by fuzz_llm_sse). */
static void test_sse_cr(void **state)
{
	static const char in[] = ": a\r\rdata: 1\n\n";
	size_t cut = 13;
	struct llm_usage u;
	struct buf out;

	(void)state;
	t_run(LLM_ANTHROPIC_MESSAGES, true, in, strlen(in), &cut, 1, &out, &u);
	assert_string_equal(out.data, in);
	buf_release(&out);
}

/* A stream cut before its usage and inside an event: usage unknown, the
 * partial event's bytes still go out, a held-back carry too. */
static void test_interrupted(void **state)
{
	static const char cut[] =
		"data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\","
		"\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,"
		"\"delta\":{\"content\":\"to DLP_EMAIL_abcdefgh23\"},"
		"\"finish_reason\":null}]}\n\ndata: {\"id\":";
	struct llm_usage u;
	struct buf out;
	struct t_lanes l;

	(void)state;
	t_run(LLM_OPENAI_CHAT, true, cut, strlen(cut), NULL, 0, &out, &u);
	assert_false(u.known);
	assert_int_equal(u.input, 0);
	t_lanes(LLM_OPENAI_CHAT, out.data, &l);
	assert_string_equal(l.text.data, "to alice@example.com");
	t_lanes_free(&l);
	assert_non_null(strstr(out.data, "\n\ndata: {\"id\":"));
	assert_true(out.len > 12);
	assert_memory_equal(out.data + out.len - 12, "data: {\"id\":", 12);
	buf_release(&out);
}

/* Past the limits: one SSE event, one JSON body. */
static void test_limits(void **state)
{
	struct llm_stream *s;
	struct buf out;
	char *big = malloc(1u << 20);

	(void)state;
	assert_non_null(big);
	memset(big, 'x', 1u << 20);
	buf_init(&out, T_OUT_MAX);
	assert_int_equal(llm_stream_new(LLM_ANTHROPIC_MESSAGES, true, NULL, &s), 0);
	assert_int_equal(llm_stream_feed(s, "data: ", 6, &out), 0);
	int rc = 0;

	for (size_t i = 0; i <= LLM_SSE_EVENT_MAX >> 20 && rc == 0; i++)
		rc = llm_stream_feed(s, big, 1u << 20, &out);
	assert_int_equal(rc, -E2BIG);
	llm_stream_free(s);
	assert_int_equal(llm_stream_new(LLM_OPENAI_CHAT, false, NULL, &s), 0);
	rc = 0;
	for (size_t i = 0; i <= LLM_BODY_MAX >> 20 && rc == 0; i++)
		rc = llm_stream_feed(s, big, 1u << 20, &out);
	assert_int_equal(rc, -E2BIG);
	llm_stream_free(s);
	buf_release(&out);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sse_golden),
		cmocka_unit_test(test_sse_split),
		cmocka_unit_test(test_sse_line_ends),
		cmocka_unit_test(test_json_golden),
		cmocka_unit_test(test_no_hook),
		cmocka_unit_test(test_token_grammar),
		cmocka_unit_test(test_lanes_interleaved),
		cmocka_unit_test(test_sse_cr),
		cmocka_unit_test(test_interrupted),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
