#include "child.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
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
