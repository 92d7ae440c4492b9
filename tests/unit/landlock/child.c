#include "child.h"

#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

void t_run(t_child_fn fn, void *arg, int *res)
{
	int p[2], st = 0;
	pid_t pid;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int out[T_RES_MAX];

		for (int i = 0; i < T_RES_MAX; i++)
			out[i] = -1000;
		close(p[0]);
		fn(arg, out);
		_exit(write(p[1], out, sizeof(out)) == sizeof(out) ? 0 : 1);
	}
	close(p[1]);
	assert_int_equal(read(p[0], res, sizeof(int) * T_RES_MAX),
			 (ssize_t)(sizeof(int) * T_RES_MAX));
	close(p[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

void t_path(const struct t_tree *t, char *out, const char *rel)
{
	snprintf(out, T_PATH_MAX, "%s/%s", t->dir, rel);
}

static int t_rm(const char *path, const struct stat *sb, int flag,
		struct FTW *ftw)
{
	return remove(path) < 0 ? -1 : 0;
}

int t_teardown(void **state)
{
	struct t_tree *t = *state;

	if (nftw(t->dir, t_rm, 16, FTW_DEPTH | FTW_PHYS) != 0)
		print_message("could not remove %s\n", t->dir);
	free(t);
	return 0;
}
