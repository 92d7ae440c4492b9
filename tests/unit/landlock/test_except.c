/*
 * landlock_rs_allow_except against the real kernel: a hierarchy granted
 * except some paths inside it (files and directories, named through a
 * symlink too), in a child that applies the ruleset and reports errno
 * values to the parent through a pipe.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "child.h"

#include "landlock/landlock.h"

static void t_write(const struct t_tree *t, const char *rel)
{
	char p[T_PATH_MAX];
	int fd;

	t_path(t, p, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
}

/* 0 when path opens with flags, else errno. */
static int t_open(const struct t_tree *t, const char *rel, int flags)
{
	char p[T_PATH_MAX];
	int fd;

	t_path(t, p, rel);
	fd = open(p, flags | O_CLOEXEC, 0644);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int t_setup(void **state)
{
	static const char *const dirs[] = {"a", "a/sec", "a/d", "b", "c"};
	static const char *const files[] = {"a/x", "a/sec/k", "a/d/y", "b/z",
					    "b/w", "c/v"};
	struct t_tree *t = calloc(1, sizeof(*t));
	char p[T_PATH_MAX];

	assert_non_null(t);
	snprintf(t->dir, sizeof(t->dir), "/tmp/ll_except.XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		t_path(t, p, dirs[i]);
		assert_int_equal(mkdir(p, 0755), 0);
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		t_write(t, files[i]);
	t_path(t, p, "alias");
	assert_int_equal(symlink("b", p), 0);
	*state = t;
	return 0;
}

static void t_child(void *arg, int *res)
{
	const struct t_tree *t = arg;
	char p[5][T_PATH_MAX];
	const char *deny[4] = {p[1], p[2], p[3], "/no/such/elsewhere"};
	const char *deny_d[1] = {p[4]};
	struct landlock_rs *rs = landlock_rs_new(LANDLOCK_WANT_FS, NULL);

	t_path(t, p[0], "");
	t_path(t, p[1], "a/sec");
	t_path(t, p[2], "alias/z"); /* b/z named through the symlink */
	t_path(t, p[3], "a/d/missing");
	t_path(t, p[4], "a/d");
	res[0] = landlock_rs_allow_except(rs, p[0], LANDLOCK_READ, deny, 4,
					  NULL, NULL);
	/* a/d is denied for writing: its own hierarchy gets nothing. */
	res[1] = landlock_rs_allow_except(rs, p[4], LANDLOCK_WRITE, deny_d, 1,
					  NULL, NULL);
	t_path(t, p[4], "c");
	res[2] = landlock_rs_allow_except(rs, p[4], LANDLOCK_WRITE, deny, 4,
					  NULL, NULL);
	res[3] = landlock_rs_apply(rs);
	landlock_rs_free(rs);
	res[4] = t_open(t, "a/x", O_RDONLY);
	res[5] = t_open(t, "a/sec/k", O_RDONLY);
	res[6] = t_open(t, "b/z", O_RDONLY);
	res[7] = t_open(t, "b/w", O_RDONLY);
	res[8] = t_open(t, "a/d/y", O_RDONLY);
	res[9] = t_open(t, "a/d/new", O_WRONLY | O_CREAT);
	res[10] = t_open(t, "c/new", O_WRONLY | O_CREAT);
	res[11] = t_open(t, "a", O_RDONLY | O_DIRECTORY);
	res[12] = t_open(t, "c", O_RDONLY | O_DIRECTORY);
}

/* Read beneath the tree except a/sec and b/z; write only in c. */
static void t_allow_except(void **state)
{
	int res[T_RES_MAX];

	if (landlock_abi() < 1)
		skip();
	t_run(t_child, *state, res);
	assert_int_equal(res[0], 2); /* the missing ones, not errors */
	assert_int_equal(res[1], 0);
	assert_int_equal(res[2], 2);
	assert_int_equal(res[3], 0);
	assert_int_equal(res[4], 0);
	assert_int_equal(res[5], EACCES);
	assert_int_equal(res[6], EACCES);
	assert_int_equal(res[7], 0);
	assert_int_equal(res[8], 0);
	assert_int_equal(res[9], EACCES);
	assert_int_equal(res[10], 0);
	assert_int_equal(res[11], EACCES); /* on the way: no rule of its own */
	assert_int_equal(res[12], 0);
}

/* Bad arguments are errors, not grants. */
static void t_allow_except_args(void **state)
{
	const char *deny[LANDLOCK_DENY_MAX + 1];
	struct landlock_rs *rs = landlock_rs_new(LANDLOCK_WANT_FS, NULL);

	if (landlock_abi() < 1) {
		landlock_rs_free(rs);
		skip();
	}
	for (size_t i = 0; i <= LANDLOCK_DENY_MAX; i++)
		deny[i] = "/tmp/x";
	assert_int_equal(landlock_rs_allow_except(rs, "/tmp", LANDLOCK_READ,
						  deny, LANDLOCK_DENY_MAX + 1,
						  NULL, NULL), -E2BIG);
	assert_int_equal(landlock_rs_allow_except(rs, "tmp", LANDLOCK_READ,
						  deny, 1, NULL, NULL),
			 -EINVAL);
	assert_int_equal(landlock_rs_allow_except(rs, "/tmp", 1u << 7, deny,
						  1, NULL, NULL), -EINVAL);
	assert_int_equal(landlock_rs_allow_except(rs, "/no/such", LANDLOCK_READ,
						  deny, 1, NULL, NULL), 1);
	landlock_rs_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_allow_except, t_setup,
						t_teardown),
		cmocka_unit_test(t_allow_except_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
