/* Unit tests: common helpers and the YAML tree. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "common/buf.h"
#include "common/diag.h"
#include "common/json.h"
#include "common/log.h"
#include "common/str.h"
#include "ydoc/ydoc.h"

static void test_duration(void **state)
{
	static const struct {
		const char *in;
		int64_t ms;
	} ok[] = {
		{"0", 0}, {"500ms", 500}, {"30s", 30000}, {"5m", 300000},
		{"1h", 3600000}, {"7d", 604800000}, {"1h30m", 5400000},
		{"2w", 1209600000}, {"1500us", 1}, {"90s", 90000},
	};
	static const char *const bad[] = {
		"", "7", "d", "5 m", "-1s", "1x", "1.5h", "s5", "99999999999999999999d",
	};
	int64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(str_duration_ms(ok[i].in, &v), 0);
		assert_int_equal(v, ok[i].ms);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_true(str_duration_ms(bad[i], &v) < 0);
}

static void test_size(void **state)
{
	int64_t v;

	(void)state;
	assert_int_equal(str_size_bytes("10MB", &v), 0);
	assert_int_equal(v, 10000000);
	assert_int_equal(str_size_bytes("5GB", &v), 0);
	assert_int_equal(v, 5000000000LL);
	assert_int_equal(str_size_bytes("1GiB", &v), 0);
	assert_int_equal(v, 1073741824LL);
	assert_int_equal(str_size_bytes("512", &v), 0);
	assert_int_equal(v, 512);
	assert_true(str_size_bytes("10XB", &v) < 0);
	assert_true(str_size_bytes("MB", &v) < 0);
}

static void test_to_i64(void **state)
{
	int64_t v;

	(void)state;
	assert_int_equal(str_to_i64("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(str_to_i64("101", 0, 100, &v), -ERANGE);
	assert_int_equal(str_to_i64("4x", 0, 100, &v), -EINVAL);
	assert_int_equal(str_to_i64(" 4", 0, 100, &v), -EINVAL);
	assert_int_equal(str_to_i64("", 0, 100, &v), -EINVAL);
}

static void test_buf_bound(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_puts(&b, "12345678"), 0);
	assert_int_equal(buf_putc(&b, 'x'), -E2BIG);
	assert_int_equal(b.len, 8);
	assert_string_equal(b.data, "12345678");
	buf_release(&b);
	buf_init(&b, 100);
	assert_int_equal(buf_printf(&b, "%d-%s", 7, "x"), 0);
	assert_string_equal(b.data, "7-x");
	buf_release(&b);
}

static void test_json_escape(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 1024);
	json_str(&b, "a\"b\\c\n\x01\xff\xc3\xa9");
	assert_string_equal(b.data, "\"a\\\"b\\\\c\\n\\u0001\\ufffd\xc3\xa9\"");
	buf_release(&b);
}

static void test_log_escape(void **state)
{
	char out[32];

	(void)state;
	log_escape("a\nb\x1b[31m\\", 9, out, sizeof(out));
	assert_string_equal(out, "a\\x0ab\\x1b[31m\\x5c");
	log_escape("0123456789012345678901234567890123456789", 40, out, 16);
	assert_true(strlen(out) < 16);
	assert_non_null(strstr(out, "..."));
}

static void test_edit_distance(void **state)
{
	(void)state;
	assert_int_equal(str_edit_distance("env_rules", "env_policy"), 5);
	assert_int_equal(str_edit_distance("comands", "commands"), 1);
	assert_int_equal(str_edit_distance("", "abc"), 3);
}

static struct ydoc *parse(const char *y, struct diag *d)
{
	struct ydoc *doc = NULL;

	ydoc_parse(y, strlen(y), "t.yaml", &doc, d);
	return doc;
}

static void test_ydoc_positions(void **state)
{
	struct diag d;
	struct ydoc *doc;
	const struct ydoc_node *root, *n;

	(void)state;
	diag_init(&d);
	doc = parse("a: 1\nlist:\n  - x\n  -   \"y\"\n", &d);
	assert_non_null(doc);
	root = ydoc_root(doc);
	n = ydoc_map_get(root, "list");
	assert_int_equal(n->kind, YDOC_SEQ);
	assert_int_equal(n->n, 2);
	assert_int_equal(n->items[1]->line, 4);
	assert_int_equal(n->items[1]->col, 7);
	assert_true(n->items[1]->quoted);
	ydoc_free(doc);
	diag_release(&d);
}

static void test_ydoc_errors(void **state)
{
	static const struct {
		const char *yaml;
		const char *code;
		int line, col;
	} cases[] = {
		{"a: 1\na: 2\n", "duplicate-key", 2, 1},
		{"a: [1, 2\n", "yaml-syntax", 2, 1},
		{"a: *nope\n", "yaml-alias", 1, 4},
		{"---\na: 1\n---\nb: 2\n", "yaml-multi-doc", 3, 1},
		{"? [a]\n: 1\n", "yaml-complex-key", 1, 3},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct diag d;
		struct ydoc *doc;

		diag_init(&d);
		doc = parse(cases[i].yaml, &d);
		assert_null(doc);
		assert_true(d.n >= 1);
		assert_string_equal(d.v[0].code, cases[i].code);
		assert_int_equal(d.v[0].line, cases[i].line);
		assert_int_equal(d.v[0].col, cases[i].col);
		diag_release(&d);
	}
}

static void test_ydoc_alias_bomb(void **state)
{
	struct diag d;
	struct ydoc *doc;
	char y[2048];
	size_t o = 0;

	(void)state;
	o += (size_t)snprintf(y + o, sizeof(y) - o,
			      "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
	for (int i = 1; i < 12; i++)
		o += (size_t)snprintf(y + o, sizeof(y) - o,
				      "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, "
				      "*a%d, *a%d, *a%d, *a%d, *a%d]\n",
				      i, i, i - 1, i - 1, i - 1, i - 1, i - 1,
				      i - 1, i - 1, i - 1, i - 1, i - 1);
	diag_init(&d);
	doc = parse(y, &d);
	assert_null(doc);
	assert_string_equal(d.v[0].code, "yaml-too-large");
	diag_release(&d);
}

static void test_ydoc_unknown_key_hint(void **state)
{
	static const char *const known[] = {"commands", "decision", NULL};
	static const struct ydoc_alias aliases[] = {{"action", "decision"},
						    {NULL, NULL}};
	struct diag d;
	struct ydoc *doc;

	(void)state;
	diag_init(&d);
	doc = parse("comands: [a]\naction: deny\nzzz: 1\n", &d);
	assert_int_equal(ydoc_check_keys(doc, ydoc_root(doc), known, aliases,
					 "rule", DIAG_ERROR, &d), 3);
	assert_non_null(strstr(d.v[0].msg, "did you mean 'commands'"));
	assert_non_null(strstr(d.v[1].msg, "did you mean 'decision'"));
	assert_null(strstr(d.v[2].msg, "did you mean"));
	assert_int_equal(d.v[2].line, 3);
	ydoc_free(doc);
	diag_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_to_i64),
		cmocka_unit_test(test_buf_bound),
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_log_escape),
		cmocka_unit_test(test_edit_distance),
		cmocka_unit_test(test_ydoc_positions),
		cmocka_unit_test(test_ydoc_errors),
		cmocka_unit_test(test_ydoc_alias_bomb),
		cmocka_unit_test(test_ydoc_unknown_key_hint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
