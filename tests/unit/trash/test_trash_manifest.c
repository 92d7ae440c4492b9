/* The manifest writer and its reader: round trips and strict refusals. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/str.h"
#include "trash/trash.h"

#define T_TOKEN "0123456789abcdef0123456789abcdef"
#define T_SHA "16f2dee2a5fa0724cb329e663cb6ee066a7a89040012cd4720749c2f35dab85a"
#define T_MAX (1u << 20)

static void t_entry(struct trash_entry *e, const char *path)
{
	static const unsigned char bin[] = { 0, 1, 0xff, '"', '\\', 'A' };

	memset(e, 0, sizeof(*e));
	str_lcpy(e->token, T_TOKEN, sizeof(e->token));
	str_lcpy(e->session, "sess-1", sizeof(e->session));
	str_lcpy(e->path, path, sizeof(e->path));
	e->type = TRASH_FILE;
	e->size = 13;
	str_lcpy(e->sha256, T_SHA, sizeof(e->sha256));
	e->mode = 04751;
	e->uid = 1234;
	e->gid = 4294967294u;
	e->mtime_ns = -5;
	e->time_ns = 1700000000123456789LL;
	str_lcpy(e->command, "rm -rf \"x\" \x01\ttab \xe2\x82\xac", sizeof(e->command));
	e->pid = 42;
	e->n_xattrs = 2;
	e->xattrs[0].name = strdup("user.a");
	e->xattrs[0].value = malloc(sizeof(bin));
	memcpy(e->xattrs[0].value, bin, sizeof(bin));
	e->xattrs[0].len = sizeof(bin);
	e->xattrs[1].name = strdup("security.empty");
	e->xattrs[1].value = malloc(1);
	e->xattrs[1].len = 0;
}

static void t_roundtrip(const char *path)
{
	struct trash_entry a, b;
	struct buf out;

	t_entry(&a, path);
	buf_init(&out, T_MAX);
	assert_int_equal(trash_entry_json(&out, &a, true), 0);
	assert_int_equal(trash_manifest_parse(out.data, out.len, &b), 0);
	assert_string_equal(b.token, a.token);
	assert_string_equal(b.session, a.session);
	assert_memory_equal(b.path, a.path, strlen(a.path) + 1);
	assert_int_equal(b.type, a.type);
	assert_int_equal(b.size, a.size);
	assert_string_equal(b.sha256, a.sha256);
	assert_int_equal(b.mode, a.mode);
	assert_int_equal(b.uid, a.uid);
	assert_int_equal(b.gid, a.gid);
	assert_int_equal(b.mtime_ns, a.mtime_ns);
	assert_int_equal(b.time_ns, a.time_ns);
	assert_string_equal(b.command, a.command);
	assert_int_equal(b.pid, a.pid);
	assert_int_equal(b.n_xattrs, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_string_equal(b.xattrs[i].name, a.xattrs[i].name);
		assert_int_equal(b.xattrs[i].len, a.xattrs[i].len);
		assert_memory_equal(b.xattrs[i].value, a.xattrs[i].value,
				    a.xattrs[i].len);
	}
	trash_entry_release(&a);
	trash_entry_release(&b);
	buf_release(&out);
}

static void test_roundtrip(void **state)
{
	t_roundtrip("/srv/a file.txt");
	t_roundtrip("/w/new\nline\x7f/\xe2\x82\xac");
	/* Not UTF-8: only path_b64 keeps the exact bytes. */
	t_roundtrip("/w/\xff\xfe/latin1-\xe9");
}

#define T_HEAD "{\"version\":1,\"token\":\"" T_TOKEN "\",\"session\":\"s\"," \
	"\"path\":\"/p\",\"mode\":\"0644\",\"uid\":0,\"gid\":0,"         \
	"\"mtime_ns\":1,\"time_ns\":2,"

static int t_parse(const char *text)
{
	struct trash_entry e;
	int rc = trash_manifest_parse(text, strlen(text), &e);

	trash_entry_release(&e);
	return rc;
}

static void test_accepts(void **state)
{
	struct trash_entry e;
	const char *t = T_HEAD "\"type\":\"dir\",\"future\":{\"a\":[1,2.5e3,"
			"true,null,\"x\"]},\"command\":\"\\ud83d\\ude00\"}";

	assert_int_equal(t_parse(T_HEAD "\"type\":\"symlink\"}"), 0);
	assert_int_equal(trash_manifest_parse(t, strlen(t), &e), 0);
	assert_int_equal(e.type, TRASH_DIR);
	assert_string_equal(e.command, "\xf0\x9f\x98\x80");
	trash_entry_release(&e);
}

static void test_refuses(void **state)
{
	static const char *const bad[] = {
		"",
		"{}",
		T_HEAD "\"type\":\"file\"}",              /* no sha256 */
		T_HEAD "\"type\":\"fifo\"}",
		T_HEAD "\"type\":\"dir\"} x",             /* trailing bytes */
		T_HEAD "\"type\":\"dir\",\"type\":\"dir\"}",
		T_HEAD "\"type\":\"dir\",\"uid\":1}",     /* duplicate */
		T_HEAD "\"type\":\"dir\",\"pid\":-1}",
		T_HEAD "\"type\":\"dir\",\"size\":99999999999999999999}",
		T_HEAD "\"type\":\"dir\",\"size\":01}",
		T_HEAD "\"type\":\"dir\",\"command\":\"\\u0000\"}",
		T_HEAD "\"type\":\"dir\",\"command\":\"\\ud800\"}",
		T_HEAD "\"type\":\"dir\",\"command\":\"a\nb\"}",
		T_HEAD "\"type\":\"dir\",\"path_b64\":\"L3AAeA==\"}", /* NUL */
		T_HEAD "\"type\":\"dir\",\"path_b64\":\"cmVs\"}",     /* "rel" */
		T_HEAD "\"type\":\"dir\",\"xattrs\":[{\"name\":\"u\"}]}",
		T_HEAD "\"type\":\"dir\",\"xattrs\":[{\"name\":\"u\","
		"\"value\":\"a=b=\"}]}",
		T_HEAD "\"type\":\"dir\",\"x\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]"
		"]]]]]]}",
		"{\"version\":2,\"token\":\"" T_TOKEN "\"}",
		T_HEAD "\"type\":\"dir\"",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("case %zu\n", i);
		assert_int_equal(t_parse(bad[i]), -EINVAL);
	}
	assert_int_equal(t_parse("{\"version\":1,\"token\":\"" T_TOKEN
				 "\",\"session\":\"..\",\"path\":\"/p\","
				 "\"type\":\"dir\",\"mode\":\"0644\",\"uid\":0,"
				 "\"gid\":0,\"mtime_ns\":1,\"time_ns\":2}"),
			 -EINVAL);
	assert_int_equal(t_parse(T_HEAD "\"type\":\"dir\",\"mode\":\"0644\"}"),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_accepts),
		cmocka_unit_test(test_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
