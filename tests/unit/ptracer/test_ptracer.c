/*
 * The ptrace exec supervisor against real process trees. Each workload
 * runs in a grandchild T (via an intermediate I that is a subreaper and
 * reports T's status as its exit code), so that T is traced by this
 * process's tracer thread without being its child.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/str.h"
#include "ptracer/ptracer.h"

#define T_REC_MAX 512
#define T_NAME_MAX 128
#define T_COOKIE 0xC00C1Eu
#define T_WAIT_MS 5000

struct t_rec {
	char abs[T_NAME_MAX];
	char argv0[T_NAME_MAX];
	int depth;
	pid_t pid;
	bool allowed, by_fd, unlinked, truncated;
	size_t argc;
	uint64_t cookie;
};

struct t_ctx {
	pthread_mutex_t mu;
	struct t_rec rec[T_REC_MAX];
	int nrec, ndenied_hook;
	int deny_min_depth;       /* deny "/id" from this depth on */
	const char *kill_suffix;  /* SIGKILL the tracee at this exec */
	struct ptracer *pt;
	int go[2];  /* parent -> T: attached */
	int hold[2]; /* parent -> T: used by the detach test */
};

static bool t_exec(void *arg, const struct ptracer_exec *e)
{
	struct t_ctx *c = arg;
	bool allow = !(str_has_suffix(e->abs, "/id") &&
		       e->depth >= c->deny_min_depth) && !e->unlinked;
	struct t_rec *r;

	if (c->kill_suffix && str_has_suffix(e->abs, c->kill_suffix))
		kill(e->pid, SIGKILL);
	pthread_mutex_lock(&c->mu);
	if (c->nrec < T_REC_MAX) {
		r = &c->rec[c->nrec++];
		str_lcpy(r->abs, e->abs, sizeof(r->abs));
		str_lcpy(r->argv0, e->argc ? e->argv[0] : "", sizeof(r->argv0));
		r->depth = e->depth;
		r->pid = e->pid;
		r->allowed = allow;
		r->by_fd = e->by_fd;
		r->unlinked = e->unlinked;
		r->cookie = e->cookie;
		r->argc = e->argc;
		r->truncated = e->argv_truncated;
	}
	pthread_mutex_unlock(&c->mu);
	return allow;
}

static void t_denied(void *arg, const struct ptracer_exec *e)
{
	struct t_ctx *c = arg;

	pthread_mutex_lock(&c->mu);
	c->ndenied_hook++;
	pthread_mutex_unlock(&c->mu);
}

static const struct ptracer_ops t_ops = {t_exec, t_denied, NULL};

static int t_setup(void **state)
{
	struct t_ctx *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	pthread_mutex_init(&c->mu, NULL);
	c->pt = ptracer_new(&t_ops, c);
	assert_non_null(c->pt);
	*state = c;
	return 0;
}

static int t_teardown(void **state)
{
	struct t_ctx *c = *state;

	ptracer_free(c->pt, PTRACER_FREE_KILL);
	pthread_mutex_destroy(&c->mu);
	free(c);
	return 0;
}

typedef int (*t_fn)(struct t_ctx *c, const char *arg);

/* T: install the filter, wait until attached, run fn. */
static _Noreturn void t_tracee(struct t_ctx *c, t_fn fn, const char *arg)
{
	struct ptracer_filter f;
	char b;

	close(c->go[1]);
	if (ptracer_filter_build(&f) < 0 || ptracer_install(&f.prog) < 0)
		_exit(90);
	if (read(c->go[0], &b, 1) != 1)
		_exit(91);
	close(c->go[0]);
	_exit(fn(c, arg));
}

/* I: a subreaper that reports T's status as 0..255 (128 + signal). */
static _Noreturn void t_middle(struct t_ctx *c, t_fn fn, const char *arg,
			       int pfd)
{
	pid_t t;
	int st, code;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	t = fork();
	if (t < 0)
		_exit(92);
	if (t == 0)
		t_tracee(c, fn, arg);
	if (write(pfd, &t, sizeof(t)) != sizeof(t))
		_exit(93);
	close(pfd);
	while (waitpid(t, &st, 0) < 0)
		if (errno != EINTR)
			_exit(94);
	code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	_exit(code);
}

/* Start fn under tracing; I's pid, T's pid in *tp. */
static pid_t t_spawn(struct t_ctx *c, t_fn fn, const char *arg, pid_t *tp)
{
	int p[2];
	pid_t i;

	assert_int_equal(pipe2(c->go, O_CLOEXEC), 0);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	i = fork();
	assert_true(i >= 0);
	if (i == 0) {
		close(p[0]);
		t_middle(c, fn, arg, p[1]);
	}
	close(p[1]);
	close(c->go[0]);
	assert_int_equal(read(p[0], tp, sizeof(*tp)), sizeof(*tp));
	close(p[0]);
	assert_int_equal(ptracer_attach(c->pt, *tp, T_COOKIE), 0);
	assert_int_equal(write(c->go[1], "g", 1), 1);
	close(c->go[1]);
	return i;
}

static int t_finish(pid_t i)
{
	int st;

	assert_int_equal(waitpid(i, &st, 0), i);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static int t_sh(struct t_ctx *c, const char *script)
{
	execl("/bin/sh", "sh", "-c", script, (char *)NULL);
	return 95;
}

static int t_run_sh(struct t_ctx *c, const char *script)
{
	pid_t tp;

	return t_finish(t_spawn(c, t_sh, script, &tp));
}

/* A copy of the first record of an exec of abs at depth (any depth when
 * negative; abs NULL: the first unlinked one); fails the test if none. */
static struct t_rec t_get(struct t_ctx *c, const char *abs, int depth)
{
	struct t_rec r = {.depth = -100};
	bool found = false;
	int i;

	pthread_mutex_lock(&c->mu);
	for (i = 0; i < c->nrec && !found; i++) {
		if (abs ? strcmp(c->rec[i].abs, abs) != 0 : !c->rec[i].unlinked)
			continue;
		if (depth < 0 || c->rec[i].depth == depth) {
			r = c->rec[i];
			found = true;
		}
	}
	pthread_mutex_unlock(&c->mu);
	if (!found)
		fail_msg("no exec of %s at depth %d", abs ? abs : "(unlinked)",
			 depth);
	return r;
}

static int t_count(struct t_ctx *c, const char *abs, int depth)
{
	int i, n = 0;

	pthread_mutex_lock(&c->mu);
	for (i = 0; i < c->nrec; i++)
		n += strcmp(c->rec[i].abs, abs) == 0 &&
		     c->rec[i].depth == depth && c->rec[i].allowed;
	pthread_mutex_unlock(&c->mu);
	return n;
}

static void t_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Wait (bounded) until the tracer's table is empty. */
static void t_wait_empty(struct t_ctx *c)
{
	struct ptracer_stats s;
	int ms;

	for (ms = 0; ms < T_WAIT_MS; ms += 5) {
		ptracer_get_stats(c->pt, &s);
		if (s.tracees == 0)
			return;
		t_sleep_ms(5);
	}
	fail_msg("tracees left in the table: %llu",
		 (unsigned long long)s.tracees);
}

static int t_no_tracer(struct t_ctx *c, const char *arg)
{
	struct ptracer_filter f;

	if (ptracer_filter_build(&f) < 0 || ptracer_install(&f.prog) < 0)
		return 90;
	execl("/bin/true", "true", (char *)NULL);
	return errno == ENOSYS ? 42 : 43;
}

/* Without a tracer the filter makes every exec fail: closed. */
static void test_filter_without_tracer(void **state)
{
	struct ptracer_filter f;
	pid_t p;

	assert_int_equal(ptracer_filter_build(&f), 0);
	assert_true(f.prog.len > 6 && f.prog.len <= PTRACER_FILTER_MAX);
	p = fork();
	assert_true(p >= 0);
	if (p == 0)
		_exit(t_no_tracer(*state, NULL));
	assert_int_equal(t_finish(p), 42);
}

static void test_shell_denied(void **state)
{
	struct t_ctx *c = *state;
	struct t_rec r;
	struct ptracer_stats s;

	assert_int_equal(t_run_sh(c, "/bin/true || exit 3; /usr/bin/id"), 126);
	r = t_get(c, "/bin/sh", 0);
	assert_true(r.allowed);
	assert_int_equal(r.cookie, T_COOKIE);
	r = t_get(c, "/bin/true", 1);
	assert_true(r.allowed);
	assert_string_equal(r.argv0, "/bin/true");
	r = t_get(c, "/usr/bin/id", 1);
	assert_false(r.allowed);
	assert_int_equal(c->ndenied_hook, 1);
	t_wait_empty(c);
	ptracer_get_stats(c->pt, &s);
	assert_int_equal(s.denied, 1);
	assert_int_equal(s.errors, 0);
}

static int t_direct(struct t_ctx *c, const char *arg)
{
	char *const argv[] = {"id", "-u", NULL};

	execv("/usr/bin/id", argv);
	if (errno != EACCES)
		return 43;
	/* The tracee runs on and may still exec what is allowed. */
	execl("/bin/sh", "sh", "-c", "exit 42", (char *)NULL);
	return 44;
}

/* A denied execve returns -1/EACCES to the caller itself. */
static void test_direct_eacces(void **state)
{
	struct t_ctx *c = *state;
	struct t_rec r;
	pid_t tp;

	assert_int_equal(t_finish(t_spawn(c, t_direct, NULL, &tp)), 42);
	r = t_get(c, "/usr/bin/id", 0);
	assert_false(r.allowed);
	assert_int_equal(r.pid, tp);
	t_get(c, "/bin/sh", 0);
}

/* Depth: the shell's id is 1 (allowed here), python's execv'd id is 2. */
static void test_nested_depth(void **state)
{
	struct t_ctx *c = *state;
	struct t_rec r;

	c->deny_min_depth = 2;
	assert_int_equal(t_run_sh(c, "/usr/bin/id >/dev/null || exit 3; "
			 "/usr/bin/python3 -c 'import os; "
			 "os.execv(\"/usr/bin/id\", [\"id\"])' 2>/dev/null; "
			 "exit $?"), 1);
	r = t_get(c, "/usr/bin/python3", 1);
	assert_true(r.allowed);
	r = t_get(c, "/usr/bin/id", 1);
	assert_true(r.allowed);
	r = t_get(c, "/usr/bin/id", 2);
	assert_false(r.allowed);
	assert_string_equal(r.argv0, "id");
}

/* A thread other than the leader execs: the pid changes under us. */
static void test_exec_from_thread(void **state)
{
	struct t_ctx *c = *state;
	struct ptracer_stats s;

	assert_int_equal(t_run_sh(c, "/usr/bin/python3 -c 'import os, "
			 "threading; t = threading.Thread(target=lambda: "
			 "os.execv(\"/bin/sh\", [\"sh\", \"-c\", \"exit 5\"])); "
			 "t.start(); t.join()'"), 5);
	t_get(c, "/bin/sh", 2);
	t_wait_empty(c);
	ptracer_get_stats(c->pt, &s);
	assert_int_equal(s.errors, 0);
}

static int t_fd_execs(struct t_ctx *c, const char *arg)
{
	char *const argv[] = {"x", NULL};
	char buf[4096];
	int dir, fd, mfd, src;
	ssize_t n;

	dir = open("/usr/bin", O_PATH | O_DIRECTORY | O_CLOEXEC);
	fd = open("/usr/bin/id", O_RDONLY | O_CLOEXEC);
	mfd = (int)syscall(SYS_memfd_create, "payload", 0);
	src = open("/bin/true", O_RDONLY | O_CLOEXEC);
	if (dir < 0 || fd < 0 || mfd < 0 || src < 0)
		return 40;
	while ((n = read(src, buf, sizeof(buf))) > 0)
		if (write(mfd, buf, (size_t)n) != n)
			return 41;
	if (syscall(SYS_execveat, dir, "id", argv, environ, 0) == 0 ||
	    errno != EACCES)
		return 43;
	if (syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH) == 0 ||
	    errno != EACCES)
		return 44;
	if (syscall(SYS_execveat, mfd, "", argv, environ, AT_EMPTY_PATH) ==
	    0 || errno != EACCES)
		return 45;
	if (chdir("/usr/bin") < 0)
		return 46;
	execl("./id", "id", (char *)NULL);
	return errno == EACCES ? 42 : 47;
}

/* execveat with a dirfd, with AT_EMPTY_PATH, of a memfd; relative paths. */
static void test_execveat_forms(void **state)
{
	struct t_ctx *c = *state;
	struct t_rec r;
	pid_t tp;
	int i, n = 0;

	assert_int_equal(t_finish(t_spawn(c, t_fd_execs, NULL, &tp)), 42);
	pthread_mutex_lock(&c->mu);
	for (i = 0; i < c->nrec; i++)
		n += strcmp(c->rec[i].abs, "/usr/bin/id") == 0 &&
		     !c->rec[i].allowed;
	pthread_mutex_unlock(&c->mu);
	assert_int_equal(n, 3); /* dirfd, AT_EMPTY_PATH, "./id" from cwd */
	r = t_get(c, NULL, -1);
	assert_true(r.by_fd);
	assert_false(r.allowed);
	assert_non_null(strstr(r.abs, "memfd:payload"));
}

static void test_fork_bomb(void **state)
{
	struct t_ctx *c = *state;
	struct ptracer_stats s;

	assert_int_equal(t_run_sh(c, "i=0; while [ $i -lt 50 ]; do "
			 "/bin/true & i=$((i + 1)); done; wait; exit 4"), 4);
	assert_int_equal(t_count(c, "/bin/true", 1), 50);
	t_wait_empty(c);
	ptracer_get_stats(c->pt, &s);
	assert_true(s.attached >= 51);
	assert_int_equal(s.errors, 0);
}

/* argv past PTRACER_ARGV_MAX entries is cut and says so. */
static void test_argv_bounded(void **state)
{
	struct t_ctx *c = *state;
	struct t_rec r;

	assert_int_equal(t_run_sh(c, "/bin/echo $(/usr/bin/seq 300) "
			 ">/dev/null; /bin/echo a b >/dev/null"), 0);
	r = t_get(c, "/bin/echo", 1);
	assert_int_equal(r.argc, PTRACER_ARGV_MAX);
	assert_true(r.truncated);
	assert_string_equal(r.argv0, "/bin/echo");
	pthread_mutex_lock(&c->mu);
	r = c->rec[c->nrec - 1];
	pthread_mutex_unlock(&c->mu);
	assert_string_equal(r.abs, "/bin/echo");
	assert_int_equal(r.argc, 3);
	assert_false(r.truncated);
}

/* A signal is delivered as sent (the trap runs). */
static void test_signal_reinjected(void **state)
{
	assert_int_equal(t_run_sh(*state, "trap 'exit 9' USR1; kill -USR1 $$; "
				  "exit 1"), 9);
}

static char t_proc_state(pid_t pid)
{
	char name[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(name, sizeof(name), "/proc/%d/stat", (int)pid);
	fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

/* A group stop holds until SIGCONT, as it would untraced. */
static void test_group_stop(void **state)
{
	struct t_ctx *c = *state;
	pid_t i, tp;
	int ms, st;
	char s = '?';

	i = t_spawn(c, t_sh, "kill -STOP $$; exit 7", &tp);
	for (ms = 0; ms < T_WAIT_MS && s != 't' && s != 'T'; ms += 5) {
		t_sleep_ms(5);
		s = t_proc_state(tp);
	}
	assert_true(s == 't' || s == 'T');
	t_sleep_ms(200);
	s = t_proc_state(tp);
	assert_true(s == 't' || s == 'T');
	assert_int_equal(waitpid(i, &st, WNOHANG), 0);
	assert_int_equal(kill(tp, SIGCONT), 0);
	assert_int_equal(t_finish(i), 7);
}

static int t_block(struct t_ctx *c, const char *arg)
{
	char b;

	/* Blocks in read(2) until killed. */
	return read(c->hold[0], &b, 1) == 1 ? 3 : 4;
}

/* A tracee killed in the middle of a syscall leaves the table. */
static void test_killed_mid_syscall(void **state)
{
	struct t_ctx *c = *state;
	pid_t i, tp;

	assert_int_equal(pipe2(c->hold, O_CLOEXEC), 0);
	i = t_spawn(c, t_block, NULL, &tp);
	t_sleep_ms(50);
	assert_int_equal(kill(tp, SIGKILL), 0);
	assert_int_equal(t_finish(i), 128 + SIGKILL);
	close(c->hold[0]);
	close(c->hold[1]);
	t_wait_empty(c);
}

/* A tracee that dies while stopped at its exec (killed in the hook). */
static void test_killed_mid_stop(void **state)
{
	struct t_ctx *c = *state;
	struct ptracer_stats s;

	c->kill_suffix = "/sleep";
	assert_int_equal(t_run_sh(c, "/bin/sleep 5; exit $?"), 128 + SIGKILL);
	t_get(c, "/bin/sleep", 1);
	t_wait_empty(c);
	ptracer_get_stats(c->pt, &s);
	assert_int_equal(s.errors, 0);
}

/* Freed with tracees running: EXITKILL and SIGKILL end all of them. */
static void test_free_kills(void **state)
{
	struct t_ctx *c = *state;
	struct t_rec r;
	pid_t i, tp;
	int ms;

	i = t_spawn(c, t_sh, "/bin/sleep 30 & /bin/sleep 30; exit 0", &tp);
	for (ms = 0; ms < T_WAIT_MS && t_count(c, "/bin/sleep", 1) < 2;
	     ms += 5)
		t_sleep_ms(5);
	assert_int_equal(t_count(c, "/bin/sleep", 1), 2);
	r = t_get(c, "/bin/sleep", 1);
	ptracer_free(c->pt, PTRACER_FREE_KILL);
	c->pt = NULL;
	assert_int_equal(t_finish(i), 128 + SIGKILL);
	/* I reaped every orphan, so a killed sleep is gone entirely. */
	assert_int_equal(kill(r.pid, 0), -1);
	assert_int_equal(errno, ESRCH);
}

static int t_after_detach(struct t_ctx *c, const char *arg)
{
	char b;

	if (read(c->hold[0], &b, 1) != 1)
		return 3;
	execl("/bin/true", "true", (char *)NULL);
	return errno == ENOSYS ? 5 : 6;
}

/* Detached tracees run on, and their execs fail closed (ENOSYS). */
static void test_free_detaches(void **state)
{
	struct t_ctx *c = *state;
	pid_t i, tp;

	assert_int_equal(pipe2(c->hold, O_CLOEXEC), 0);
	i = t_spawn(c, t_after_detach, NULL, &tp);
	ptracer_free(c->pt, PTRACER_FREE_DETACH);
	c->pt = NULL;
	assert_int_equal(write(c->hold[1], "x", 1), 1);
	assert_int_equal(t_finish(i), 5);
	close(c->hold[0]);
	close(c->hold[1]);
}

static void test_attach_errors(void **state)
{
	struct t_ctx *c = *state;
	pid_t i, tp;

	assert_int_equal(ptracer_attach(c->pt, 0, 1), -EINVAL);
	assert_int_equal(pipe2(c->hold, O_CLOEXEC), 0);
	i = t_spawn(c, t_block, NULL, &tp);
	assert_int_equal(ptracer_attach(c->pt, tp, 2), -EEXIST);
	assert_int_equal(kill(tp, SIGKILL), 0);
	assert_int_equal(t_finish(i), 128 + SIGKILL);
	t_wait_empty(c);
	assert_int_equal(ptracer_attach(c->pt, tp, 3), -ESRCH);
	close(c->hold[0]);
	close(c->hold[1]);
	ptracer_free(NULL, PTRACER_FREE_KILL);
}

#define T_CASE(f) cmocka_unit_test_setup_teardown(f, t_setup, t_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T_CASE(test_filter_without_tracer),
		T_CASE(test_shell_denied),
		T_CASE(test_direct_eacces),
		T_CASE(test_nested_depth),
		T_CASE(test_exec_from_thread),
		T_CASE(test_execveat_forms),
		T_CASE(test_fork_bomb),
		T_CASE(test_argv_bounded),
		T_CASE(test_signal_reinjected),
		T_CASE(test_group_stop),
		T_CASE(test_killed_mid_syscall),
		T_CASE(test_killed_mid_stop),
		T_CASE(test_free_kills),
		T_CASE(test_free_detaches),
		T_CASE(test_attach_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
