/*
 * Unit tests for the pieces of the audit store that need no files: the
 * journal line parser, the JSON helpers, timestamps and the renderer.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "audit/audit_int.h"

static int tj_parse(const char *line, struct audit_row *r, struct buf *sc)
{
	buf_init(sc, AUDIT_SCRATCH_MAX);
	return audit_jline_parse(line, strlen(line), r, sc);
}

static void test_jline_ok(void **state)
{
	static const char line[] =
		" {\"id\":\"e1\","
		"\"timestamp\":\"2026-01-17T10:00:00.000000001Z\","
		"\"type\":\"net_connect\",\"session_id\":\"s\\u00e9\","
		"\"command_id\":\"c\",\"pid\":77,\"policy\":{\"decision\":"
		"\"deny\",\"effective_decision\":\"deny\",\"rule\":\"r\\\"1\","
		"\"approval\":{\"required\":false}},\"domain\":\"x.io\","
		"\"remote\":\"1.2.3.4:443\",\"operation\":\"connect\","
		"\"fields\":{\"a\":[1,2.5e3,-0,true,null,"
		"{\"b\":\"\\ud83d\\ude00\"}]},"
		"\"path\":\"/p\"} \r";
	struct audit_row r;
	struct buf sc;

	(void)state;
	assert_int_equal(tj_parse(line, &r, &sc), 0);
	assert_string_equal(r.id, "e1");
	assert_int_equal(r.ts_ns, 1768644000000000001LL);
	assert_string_equal(r.type, "net_connect");
	assert_string_equal(r.session_id, "s\xc3\xa9");
	assert_string_equal(r.command_id, "c");
	assert_int_equal(r.pid, 77);
	assert_string_equal(r.decision, "deny");
	assert_string_equal(r.effective, "deny");
	assert_string_equal(r.rule, "r\"1");
	assert_string_equal(r.domain, "x.io");
	assert_string_equal(r.remote, "1.2.3.4:443");
	assert_string_equal(r.operation, "connect");
	assert_string_equal(r.path, "/p");
	assert_ptr_equal(r.json, line);
	buf_release(&sc);
}

/* An event line up to its last member (no closing brace). */
#define TJ_HEAD "{\"id\":\"a\",\"type\":\"t\"," \
		"\"timestamp\":\"2026-01-01T00:00:00Z\""
#define TJ_TS(t) "{\"id\":\"a\",\"type\":\"t\",\"timestamp\":\"" t "\"}"
#define TJ_ID(i) "{\"id\":" i ",\"type\":\"t\"," \
		 "\"timestamp\":\"2026-01-01T00:00:00Z\"}"

static void test_jline_bad(void **state)
{
	static const char *const bad[] = {
		"", "{}", "[]", "null", "{\"id\":\"a\"}",
		/* missing or unusable id, type or timestamp */
		TJ_ID("\"\""), TJ_ID("1"), TJ_TS("yesterday"),
		TJ_TS("2026-02-30T00:00:00Z"),
		/* broken JSON */
		TJ_HEAD, TJ_HEAD "}x", TJ_HEAD ",}",
		TJ_ID("\"a\x01\""), TJ_ID("\"a\xff\""), TJ_ID("\"a\\x\""),
		TJ_HEAD ",\"f\":01}", TJ_HEAD ",\"f\":1.}",
		TJ_HEAD ",\"f\":tru}",
	};
	struct audit_row r;
	struct buf sc;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(tj_parse(bad[i], &r, &sc), -EINVAL);
		buf_release(&sc);
	}
}

/* Nesting is bounded: deep arrays are refused, not recursed into. */
static void test_jline_depth(void **state)
{
	const char *head = "{\"id\":\"a\",\"type\":\"t\","
			   "\"timestamp\":\"2026-01-01T00:00:00Z\",\"f\":";
	size_t hl = strlen(head), depth = 100000;
	char *s = malloc(hl + 2 * depth + 2);
	struct audit_row r;
	struct buf sc;

	(void)state;
	memcpy(s, head, hl);
	memset(s + hl, '[', depth);
	memset(s + hl + depth, ']', depth);
	memcpy(s + hl + 2 * depth, "}", 2);
	assert_int_equal(tj_parse(s, &r, &sc), -EINVAL);
	buf_release(&sc);
	/* 30 levels (under AUDIT_JSON_DEPTH) are fine. */
	memset(s + hl, '[', 30);
	memset(s + hl + 30, ']', 30);
	memcpy(s + hl + 60, "}", 2);
	assert_int_equal(tj_parse(s, &r, &sc), 0);
	buf_release(&sc);
	free(s);
}

/* \u0000 and lone surrogates cannot cut or corrupt a column. */
static void test_jline_unicode(void **state)
{
	static const char line[] =
		"{\"id\":\"a\\u0000b\",\"type\":\"\\ud800x\",\"timestamp\":"
		"\"2026-01-01T00:00:00Z\",\"path\":\"\\u00e9\\u20ac\\/\"}";
	struct audit_row r;
	struct buf sc;

	(void)state;
	assert_int_equal(tj_parse(line, &r, &sc), 0);
	assert_string_equal(r.id, "a\xef\xbf\xbd" "b");
	assert_string_equal(r.type, "\xef\xbf\xbdx");
	assert_string_equal(r.path, "\xc3\xa9\xe2\x82\xac/");
	buf_release(&sc);
}

/* Empty and over-long member names: skipped, never mistaken for ours. */
static void test_jline_keys(void **state)
{
	static const char line[] =
		"{\"\":1,\"id\":\"a\",\"type\":\"t\",\"timestamp\":"
		"\"2026-01-01T00:00:00Z\",\"pathpathpathpathpathpathpathpath"
		"pathpathpathpathpathpathpathpathpath\":\"x\",\"policy\":{\"\":"
		"2,\"decisiondecisiondecisiondecisiondecisiondecisiondecision"
		"decision\":\"y\"}}";
	struct audit_row r;
	struct buf sc, b;

	(void)state;
	assert_int_equal(tj_parse(line, &r, &sc), 0);
	assert_null(r.path);
	assert_null(r.decision);
	assert_string_equal(r.type, "t");
	buf_release(&sc);
	buf_init(&b, 64);
	assert_int_equal(audit_json_get(line, strlen(line), "", &b), 2);
	assert_string_equal(b.data, "1");
	buf_release(&b);
}

static void test_json_get(void **state)
{
	static const char j[] = "{\"a\":{\"b\":[1,{\"c\":2}],\"d\":\"x\\ny\"},"
				"\"e\":null}";
	struct buf b;

	(void)state;
	buf_init(&b, 1024);
	assert_int_equal(audit_json_get(j, strlen(j), "a.b", &b), 2);
	assert_string_equal(b.data, "[1,{\"c\":2}]");
	buf_reset(&b);
	assert_int_equal(audit_json_get(j, strlen(j), "a.d", &b), 1);
	assert_string_equal(b.data, "x\ny");
	buf_reset(&b);
	assert_int_equal(audit_json_get(j, strlen(j), "e", &b), 2);
	assert_int_equal(audit_json_get(j, strlen(j), "a.b.c", &b), 0);
	assert_int_equal(audit_json_get(j, strlen(j), "z", &b), 0);
	assert_int_equal(audit_json_get("{\"a\":", 5, "a", &b), -EINVAL);
	buf_release(&b);
}

static void test_json_check_minify(void **state)
{
	static const char obj[] =
		" {\n \"a b\" : [ 1 , \"x\\\" y\" ],\t\"c\":{} }\n";
	struct buf b;

	(void)state;
	assert_int_equal(audit_json_check_object(obj, strlen(obj)), 0);
	assert_int_equal(audit_json_check_object("[1]", 3), -EINVAL);
	assert_int_equal(audit_json_check_object("{} {}", 5), -EINVAL);
	assert_int_equal(audit_json_check_object("{\"a\":1", 6), -EINVAL);
	buf_init(&b, 1024);
	assert_int_equal(audit_json_minify(&b, obj, strlen(obj)), 0);
	assert_string_equal(b.data, "{\"a b\":[1,\"x\\\" y\"],\"c\":{}}");
	buf_release(&b);
}

static void test_time(void **state)
{
	char out[AUDIT_TIME_MAX];
	int64_t ns;

	(void)state;
	audit_time_format(1768644000123456789LL, out);
	assert_string_equal(out, "2026-01-17T10:00:00.123456789Z");
	assert_int_equal(audit_time_parse(out, strlen(out), &ns), 0);
	assert_int_equal(ns, 1768644000123456789LL);
	audit_time_format(-1, out);
	assert_string_equal(out, "1969-12-31T23:59:59.999999999Z");
	assert_int_equal(audit_time_parse("2026-01-17T11:30:00.5+01:30", 27,
					  &ns), 0);
	assert_int_equal(ns, 1768644000500000000LL);
	assert_int_equal(audit_time_parse("2024-02-29T00:00:00Z", 20, &ns), 0);
	assert_int_equal(audit_time_parse("2023-02-29T00:00:00Z", 20, &ns),
			 -EINVAL);
	assert_int_equal(audit_time_parse("2026-01-17T10:00:00", 19, &ns),
			 -EINVAL);
	assert_int_equal(audit_time_parse("2026-01-17T24:00:00Z", 20, &ns),
			 -EINVAL);
	assert_int_equal(audit_time_parse("2026-01-17T10:00:00.Z", 21, &ns),
			 -EINVAL);
	assert_int_equal(audit_time_parse("9999-01-01T00:00:00Z", 20, &ns),
			 -ERANGE);
}

/* Render then parse gives back every column. */
static void test_render_roundtrip(void **state)
{
	struct audit_event ev = {
		.type = "file_rename", .session_id = "s\n1", .command_id = "c",
		.pid = 9, .decision = "deny", .effective = "deny",
		.rule = "no-\"rename\"", .path = "/a\\b", .domain = "d",
		.remote = "r", .operation = "rename",
		.fields_json = "{\"to_path\": \"/b\"}",
	};
	struct audit_row r;
	struct buf b, sc;

	(void)state;
	buf_init(&b, AUDIT_EVENT_MAX);
	buf_init(&sc, AUDIT_SCRATCH_MAX);
	assert_int_equal(audit_render(&b, &ev, "id-1", 123456789), 0);
	assert_int_equal(audit_jline_parse(b.data, b.len, &r, &sc), 0);
	assert_string_equal(r.id, "id-1");
	assert_int_equal(r.ts_ns, 123456789);
	assert_string_equal(r.type, ev.type);
	assert_string_equal(r.session_id, ev.session_id);
	assert_string_equal(r.command_id, ev.command_id);
	assert_int_equal(r.pid, 9);
	assert_string_equal(r.decision, ev.decision);
	assert_string_equal(r.effective, ev.effective);
	assert_string_equal(r.rule, ev.rule);
	assert_string_equal(r.path, ev.path);
	assert_string_equal(r.domain, ev.domain);
	assert_string_equal(r.remote, ev.remote);
	assert_string_equal(r.operation, ev.operation);
	buf_release(&b);
	buf_release(&sc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jline_ok),
		cmocka_unit_test(test_jline_bad),
		cmocka_unit_test(test_jline_depth),
		cmocka_unit_test(test_jline_unicode),
		cmocka_unit_test(test_jline_keys),
		cmocka_unit_test(test_json_get),
		cmocka_unit_test(test_json_check_minify),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_render_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
