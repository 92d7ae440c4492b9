/* The seccomp supervisor against a real child process. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/proto.h"
#include "supervisor/supervisor.h"
#include "harness.h"

#define T_DIR_MAX 128
#define T_RACE_OPENS 5000
#define T_ALLOWED "ALLOWED-CONTENT"
#define T_SECRET "SECRET-CONTENT!"

struct t_env {
	char dir[T_DIR_MAX];
	char allowed[T_DIR_MAX + 16]; /* dir/allow.txt */
	char denied[T_DIR_MAX + 16];  /* dir/deny_.txt, same length */
	char canary[T_DIR_MAX + 16];
	int opens_allowed, opens_denied, execs_denied;
	int result_fd; /* child -> parent, race numbers */
};

struct t_race {
	int opened, eacces, other, leaked;
};

static bool t_open_ok(void *arg, pid_t pid, const struct sup_open_req *r)
{
	struct t_env *e = arg;
	bool ok = !strstr(r->path, "deny_") && !strstr(r->path, "canary");

	if (ok)
		e->opens_allowed++;
	else
		e->opens_denied++;
	return ok;
}

static bool t_exec_ok(void *arg, pid_t pid, const struct sup_exec_req *r)
{
	struct t_env *e = arg;

	if (strcmp(r->abs, "/bin/false") == 0 ||
	    strcmp(r->abs, "/usr/bin/false") == 0) {
		if (r->argc == 2 && strcmp(r->argv[0], "false") == 0 &&
		    strcmp(r->argv[1], "--x") == 0 && !r->argv_truncated)
			e->execs_denied++;
		return false;
	}
	return true;
}

static const struct sup_ops t_ops = {.exec = t_exec_ok, .open = t_open_ok};

static void t_write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int t_setup(void **state)
{
	struct t_env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	snprintf(e->dir, sizeof(e->dir), "/tmp/sup_test.XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	snprintf(e->allowed, sizeof(e->allowed), "%s/allow.txt", e->dir);
	snprintf(e->denied, sizeof(e->denied), "%s/deny_.txt", e->dir);
	snprintf(e->canary, sizeof(e->canary), "%s/canary", e->dir);
	t_write_file(e->allowed, T_ALLOWED);
	t_write_file(e->denied, T_SECRET);
	t_write_file(e->canary, T_SECRET);
	e->result_fd = -1;
	*state = e;
	return 0;
}

static int t_teardown(void **state)
{
	struct t_env *e = *state;

	unlink(e->allowed);
	unlink(e->denied);
	unlink(e->canary);
	rmdir(e->dir);
	free(e);
	return 0;
}

typedef int (*t_child_fn)(struct t_env *e);

static int t_run(struct t_env *e, t_child_fn fn)
{
	return th_run(&t_ops, e, (th_child_fn)(void (*)(void))fn, e);
}

/* 0 when fd holds want; closes fd. */
static int t_check_fd(int fd, const char *want)
{
	char buf[64] = {0};
	ssize_t r = read(fd, buf, sizeof(buf) - 1);

	close(fd);
	return r == (ssize_t)strlen(want) && strcmp(buf, want) == 0 ? 0 : 1;
}

static int c_open_allowed(struct t_env *e)
{
	int fd, dfd;

	fd = open(e->allowed, O_RDONLY);
	if (fd < 0 || t_check_fd(fd, T_ALLOWED))
		return 10;
	if (chdir(e->dir) < 0)
		return 11;
	fd = openat(AT_FDCWD, "./x/../allow.txt", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || t_check_fd(fd, T_ALLOWED))
		return 12;
	dfd = open("/tmp", O_RDONLY | O_DIRECTORY);
	if (dfd < 0)
		return 13;
	fd = openat(dfd, e->allowed + strlen("/tmp/"), O_RDONLY);
	if (fd < 0 || t_check_fd(fd, T_ALLOWED))
		return 14;
	fd = open("no-such-file", O_RDONLY);
	if (fd >= 0 || errno != ENOENT)
		return 15;
	return 0;
}

static void test_open_allowed(void **state)
{
	struct t_env *e = *state;

	assert_int_equal(t_run(e, c_open_allowed), 0);
	assert_true(e->opens_allowed >= 4);
}

static int c_open_denied(struct t_env *e)
{
	char buf[64];
	int fd;

	fd = open(e->denied, O_RDONLY);
	if (fd >= 0 || errno != EACCES)
		return 20;
	if (chdir(e->dir) < 0)
		return 21;
	fd = openat(AT_FDCWD, "sub/../canary", O_RDONLY);
	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf)) > 0)
			return 22; /* the canary was read */
		return 23;
	}
	return errno == EACCES ? 0 : 24;
}

static void test_open_denied(void **state)
{
	struct t_env *e = *state;

	assert_int_equal(t_run(e, c_open_denied), 0);
	assert_int_equal(e->opens_denied, 2);
}

static int c_exec(struct t_env *e)
{
	char *const f_argv[] = {(char *)"false", (char *)"--x", NULL};
	char *const t_argv[] = {(char *)"true", NULL};
	char *const envp[] = {NULL};

	execve("/bin/false", f_argv, envp);
	if (errno != EACCES)
		return 30;
	execve("/bin/true", t_argv, envp);
	return 31;
}

static void test_exec(void **state)
{
	struct t_env *e = *state;

	assert_int_equal(t_run(e, c_exec), 0);
	assert_int_equal(e->execs_denied, 1);
}

static int c_deny_and_probe(struct t_env *e)
{
	static const long denied[] = {__NR_io_uring_setup, __NR_bpf,
				      __NR_mount, __NR_userfaultfd,
				      __NR_open_by_handle_at};
	size_t i;
	pid_t pid;
	int st;

	if (ptrace(PTRACE_TRACEME, 0, 0, 0) != -1 || errno != EPERM)
		return 40;
	for (i = 0; i < sizeof(denied) / sizeof(denied[0]); i++)
		if (syscall(denied[i], 0, 0, 0, 0, 0) != -1 || errno != EPERM)
			return 42;
	/* An x32 system call kills the process. */
	pid = fork();
	if (pid == 0) {
		syscall(__NR_getpid | 0x40000000);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFSIGNALED(st) ||
	    WTERMSIG(st) != SIGSYS)
		return 43;
	if (prctl(AGENTSH_PROBE_OPTION, 0, 0, 0, 0) != -1 ||
	    errno != AGENTSH_PROBE_ERRNO)
		return 41;
	return 0;
}

static void test_deny_and_probe(void **state)
{
	assert_int_equal(t_run(*state, c_deny_and_probe), 0);
}

struct t_flip {
	struct t_env *e;
	char path[T_DIR_MAX + 16];
	atomic_bool stop;
};

static void *t_flipper(void *arg)
{
	struct t_flip *f = arg;
	size_t n = strlen(f->e->allowed) + 1;

	while (!atomic_load(&f->stop)) {
		memcpy(f->path, f->e->denied, n);
		memcpy(f->path, f->e->allowed, n);
	}
	return NULL;
}

static int c_race(struct t_env *e)
{
	struct t_flip f = {.e = e};
	struct t_race r = {0};
	char buf[64];
	pthread_t th;
	ssize_t n;
	int i, fd;

	memcpy(f.path, e->allowed, strlen(e->allowed) + 1);
	atomic_init(&f.stop, false);
	if (pthread_create(&th, NULL, t_flipper, &f) != 0)
		return 50;
	for (i = 0; i < T_RACE_OPENS; i++) {
		fd = open(f.path, O_RDONLY);
		if (fd < 0) {
			/* ENOENT: the supervisor read a half-flipped path. */
			if (errno == EACCES)
				r.eacces++;
			else
				r.other++;
			continue;
		}
		r.opened++;
		n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		if (strcmp(buf, T_SECRET) == 0)
			r.leaked++;
		close(fd);
	}
	atomic_store(&f.stop, true);
	pthread_join(th, NULL);
	if (write(e->result_fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		return 51;
	return 0;
}

static void test_race(void **state)
{
	struct t_env *e = *state;
	struct t_race r = {0};
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	e->result_fd = p[1];
	assert_int_equal(t_run(e, c_race), 0);
	close(p[1]);
	assert_int_equal(read(p[0], &r, sizeof(r)), (ssize_t)sizeof(r));
	close(p[0]);
	print_message("race: %d opens: %d opened, %d EACCES (policy denied "
		      "%d), %d other errors (torn paths), %d leaked\n",
		      T_RACE_OPENS, r.opened, r.eacces, e->opens_denied,
		      r.other, r.leaked);
	assert_int_equal(r.leaked, 0);
	assert_int_equal(r.opened + r.eacces + r.other, T_RACE_OPENS);
	assert_int_equal(r.eacces, e->opens_denied);
	assert_true(r.opened > 0);
}

static int c_closed(struct t_env *e)
{
	struct timespec ts = {0, 50 * 1000 * 1000};
	char *const argv[] = {(char *)"true", NULL};
	int fd;

	nanosleep(&ts, NULL); /* let the parent close the listener */
	fd = open(e->allowed, O_RDONLY);
	if (fd >= 0 || errno != ENOSYS)
		return 60;
	execve("/bin/true", argv, argv + 1);
	return errno == ENOSYS ? 0 : 61;
}

static void test_fail_closed(void **state)
{
	struct t_env *e = *state;
	pid_t pid;
	int st, lfd = th_start((th_child_fn)(void (*)(void))c_closed, e, &pid);

	close(lfd);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

#define T_NAME_MAX (T_DIR_MAX + 16)

static int c_links(struct t_env *e)
{
	char p[T_NAME_MAX];
	struct stat st;
	int fd;

	snprintf(p, sizeof(p), "%s/link", e->dir);
	fd = open(p, O_RDONLY);
	if (fd >= 0 || errno != EACCES)
		return 70; /* the link led to the denied file */
	fd = open(p, O_WRONLY | O_TRUNC);
	if (fd >= 0 || errno != EACCES)
		return 71;
	snprintf(p, sizeof(p), "%s/dangle", e->dir);
	fd = open(p, O_WRONLY | O_CREAT, 0600);
	if (fd >= 0)
		return 72; /* created through a dangling link */
	snprintf(p, sizeof(p), "%s/new.txt", e->dir);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || write(fd, "x", 1) != 1)
		return 73;
	close(fd);
	fd = open(e->allowed, O_WRONLY | O_TRUNC);
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size != 0)
		return 74;
	close(fd);
	return 0;
}

static void test_links_create_trunc(void **state)
{
	struct t_env *e = *state;
	char link[T_NAME_MAX], dangle[T_NAME_MAX], target[T_NAME_MAX];
	char created[T_NAME_MAX], buf[64] = {0};
	struct stat st;
	int fd;

	snprintf(link, sizeof(link), "%s/link", e->dir);
	snprintf(dangle, sizeof(dangle), "%s/dangle", e->dir);
	snprintf(target, sizeof(target), "%s/deny_new", e->dir);
	snprintf(created, sizeof(created), "%s/new.txt", e->dir);
	assert_int_equal(symlink(e->denied, link), 0);
	assert_int_equal(symlink(target, dangle), 0);
	assert_int_equal(t_run(e, c_links), 0);
	assert_int_equal(lstat(target, &st), -1);
	assert_int_equal(stat(created, &st), 0);
	assert_int_equal(st.st_size, 1);
	fd = open(e->denied, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf) - 1),
			 (ssize_t)strlen(T_SECRET));
	close(fd);
	unlink(link);
	unlink(dangle);
	unlink(created);
}

static void test_path_join(void **state)
{
	char out[16];

	assert_int_equal(sup_path_join("/a/b", "../c/./d//", out,
				       sizeof(out)), 0);
	assert_string_equal(out, "/a/c/d");
	assert_int_equal(sup_path_join(NULL, "/../..", out, sizeof(out)), 0);
	assert_string_equal(out, "/");
	assert_int_equal(sup_path_join(NULL, "x", out, sizeof(out)), -EINVAL);
	assert_int_equal(sup_path_join("/", "0123456789abcdef", out,
				       sizeof(out)), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_join),
		cmocka_unit_test_setup_teardown(test_open_allowed, t_setup,
						t_teardown),
		cmocka_unit_test_setup_teardown(test_open_denied, t_setup,
						t_teardown),
		cmocka_unit_test_setup_teardown(test_exec, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_deny_and_probe, t_setup,
						t_teardown),
		cmocka_unit_test_setup_teardown(test_race, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_fail_closed, t_setup,
						t_teardown),
		cmocka_unit_test_setup_teardown(test_links_create_trunc,
						t_setup, t_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
