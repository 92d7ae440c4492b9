/*
 * Tests for src/limits: probing, and real enforcement on this machine
 * (pids, memory, cpu), killing a whole tree, cleanup, and `agentsh detect`.
 * Enforcement tests skip, saying why, only when the probe reports the
 * mechanism unavailable (or we are not root); when the probe says a limit
 * works, the test fails unless the kernel really enforces it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/cmd_detect.h"
#include "limits/limits.h"

#define T_NAME_MAX 128      /* a test group name */
#define T_TEXT_MAX 8192     /* a control file or a captured output */
#define T_FORKS 20          /* forks tried under pids.max */
#define T_PIDS_MAX 5        /* the pids limit tested */
#define T_MEM_LIMIT_MB 16   /* the memory limit tested */
#define T_MEM_ALLOC_MB 64   /* what the child tries to use */
#define T_CPU_PERCENT 20    /* the cpu quota tested */
#define T_SPIN_MS 600       /* wall time the cpu test spins */
#define T_TREE_KIDS 3       /* grandchildren in the kill test */

struct t_state {
	struct limits_env *env;
	int seq;
};

static const enum limits_v1 t_v1_of[LIMITS_KIND_COUNT] = {
	LIMITS_V1_MEMORY, LIMITS_V1_MEMORY, LIMITS_V1_CPU, LIMITS_V1_PIDS,
};

static void t_unlimited(struct policy_limits *l)
{
	memset(l, 0xff, sizeof(*l)); /* every int64_t field becomes -1 */
}

static void t_name(struct t_state *s, char *out, size_t n)
{
	snprintf(out, n, "agentsh-test-%d/s1/c%d", (int)getpid(), ++s->seq);
}

/* Skip (printing why) unless root; returns when the test may go on. */
#define T_NEED_ROOT() do { \
	if (geteuid() != 0) { \
		print_message("SKIP: not root, cannot create cgroups\n"); \
		skip(); \
	} \
} while (0)

#define T_NEED(s, k) do { \
	T_NEED_ROOT(); \
	if ((s)->env->limit[k].mech == LIMITS_MECH_NONE) { \
		print_message("SKIP: probe says %s limits are unavailable: " \
			      "%s; %s\n", limits_kind_name(k), \
			      (s)->env->limit[k].v2.text, \
			      (s)->env->limit[k].v1.text); \
		skip(); \
	} \
} while (0)

/* Does any hierarchy take command groups (v2 core or some v1)? */
static bool t_any_group(const struct limits_env *env)
{
	bool any = env->v2_base[0] != '\0';

	for (int h = 0; h < LIMITS_V1_COUNT; h++)
		any |= env->v1_base[h][0] != '\0';
	return any;
}

#define T_NEED_GROUP(s) do { \
	T_NEED_ROOT(); \
	if (!t_any_group((s)->env)) { \
		print_message("SKIP: no cgroup hierarchy usable: %s; %s\n", \
			      (s)->env->v2_core.text, \
			      (s)->env->v1[LIMITS_V1_PIDS].text); \
		skip(); \
	} \
} while (0)

/* Read BASE/name/file of the group enforcing limit k. */
static int t_read(const struct limits_env *env, enum limits_kind k,
		  const char *name, const char *file, char *buf, size_t n)
{
	char path[LIMITS_PATH_MAX + T_NAME_MAX + 64];
	const char *base = env->limit[k].mech == LIMITS_MECH_V2 ?
			   env->v2_base : env->v1_base[t_v1_of[k]];
	FILE *fp;
	size_t got;

	snprintf(path, sizeof(path), "%s/%s/%s", base, name, file);
	fp = fopen(path, "re");
	if (fp == NULL)
		return -errno;
	got = fread(buf, 1, n - 1, fp);
	buf[got] = '\0';
	fclose(fp);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* Fork a child held on a gate, attach it, release it into body. */
static pid_t t_spawn(struct limits_cmd *c, void (*body)(void *), void *arg)
{
	struct limits_gate g;
	pid_t pid;

	assert_int_equal(limits_gate_open(&g), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (limits_gate_wait(&g) < 0)
			_exit(99);
		body(arg);
		_exit(0);
	}
	assert_int_equal(limits_cmd_attach(c, pid), 0);
	assert_int_equal(limits_gate_release(&g), 0);
	return pid;
}

static int t_wait(pid_t pid)
{
	int st = 0;

	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return st;
}

/* Reap every child left (grandchildren come to us as subreaper). */
static int t_reap_all(void)
{
	int n = 0, st;

	while (waitpid(-1, &st, 0) > 0) {
		if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
			n++;
	}
	return n;
}

/* True when nothing named agentsh-test-<pid> or agentsh-probe-* is left. */
static int t_leftovers(const struct limits_env *env)
{
	char path[LIMITS_PATH_MAX + T_NAME_MAX];
	struct stat sb;
	int n = 0;

	for (int h = -1; h < LIMITS_V1_COUNT; h++) {
		const char *base = h < 0 ? env->v2_base : env->v1_base[h];

		if (base[0] == '\0')
			continue;
		snprintf(path, sizeof(path), "%s/agentsh-test-%d", base,
			 (int)getpid());
		n += stat(path, &sb) == 0;
		snprintf(path, sizeof(path), "%s/agentsh-probe-%d", base,
			 (int)gettid());
		n += stat(path, &sb) == 0;
	}
	return n;
}

static int t_setup(void **state)
{
	struct t_state *s = calloc(1, sizeof(*s));

	if (s == NULL || limits_probe(&s->env) != 0)
		return -1;
	/* Orphaned grandchildren are re-parented to us, so we can reap them. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	*state = s;
	return 0;
}

static int t_teardown(void **state)
{
	struct t_state *s = *state;

	limits_env_free(s->env);
	free(s);
	return 0;
}

static void test_probe_consistent(void **state)
{
	struct t_state *s = *state;
	const struct limits_env *e = s->env;
	struct limits_env *again = NULL;

	for (int k = 0; k < LIMITS_KIND_COUNT; k++) {
		const struct limits_support *l = &e->limit[k];

		assert_true(l->v2.text[0] != '\0' && l->v1.text[0] != '\0');
		print_message("%-12s %-4s v2: %s\n%17s v1: %s\n",
			      limits_kind_name(k), limits_mech_name(l->mech),
			      l->v2.text, "", l->v1.text);
		if (l->mech == LIMITS_MECH_V2)
			assert_true(l->v2.err == 0 && e->v2_core.err == 0 &&
				    e->v2_base[0] != '\0');
		if (l->mech == LIMITS_MECH_V1)
			assert_true(l->v1.err == 0 && e->v1[t_v1_of[k]].err ==
				    0 && e->v1_base[t_v1_of[k]][0] != '\0');
		if (l->mech == LIMITS_MECH_NONE && k != LIMITS_SWAP)
			assert_true(l->v2.err < 0 && l->v1.err < 0);
	}
	if (e->limit[LIMITS_SWAP].mech != LIMITS_MECH_NONE)
		assert_int_equal(e->limit[LIMITS_SWAP].mech,
				 e->limit[LIMITS_MEMORY].mech);
	assert_true(e->v2_core.err == 0 || e->v2_base[0] == '\0');
	assert_false(e->v2_kill && e->v2_base[0] == '\0');
	assert_int_equal(limits_probe(&again), 0);
	for (int k = 0; k < LIMITS_KIND_COUNT; k++)
		assert_int_equal(again->limit[k].mech, e->limit[k].mech);
	limits_env_free(again);
	assert_int_equal(t_leftovers(e), 0);
}

static void test_filter(void **state)
{
	struct limits_env *e = calloc(1, sizeof(*e));
	struct policy_limits in, out;

	assert_non_null(e);
	t_unlimited(&in);
	in.memory_swap_max_mb = 10;
	in.pids_max = 7;
	in.cpu_quota_percent = 50;
	in.disk_read_bps_max = 99;
	e->limit[LIMITS_SWAP].mech = LIMITS_MECH_V1;
	e->limit[LIMITS_PIDS].mech = LIMITS_MECH_V2;
	assert_int_equal(limits_filter(e, &in, &out),
			 1u << LIMITS_SWAP | 1u << LIMITS_CPU);
	assert_true(out.memory_swap_max_mb == -1 && out.cpu_quota_percent ==
		    -1 && out.pids_max == 7 && out.disk_read_bps_max == 99);
	e->limit[LIMITS_SWAP].mech = LIMITS_MECH_V2;
	assert_int_equal(limits_filter(e, &in, &out), 1u << LIMITS_CPU);
	limits_env_free(e);
	limits_env_free(NULL);
	limits_cmd_free(NULL);
}

static void test_bad_names(void **state)
{
	static const char *const bad[] = {
		"", "/a", "a/", "a//b", "a/../b", ".", "..", "a/./b", "a b",
		"a\nb", "x/../../etc", "a/b/c/d/e/f/g/h/i",
	};
	struct t_state *s = *state;
	struct policy_limits l;
	struct limits_cmd *c = (struct limits_cmd *)&l;

	t_unlimited(&l);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(limits_cmd_new(s->env, bad[i], &l, &c),
				 -EINVAL);
		assert_null(c);
	}
}

/* Child: fork until refused, report (count, errno), then wait. */
static void t_forker(void *arg)
{
	int *fds = arg, res[2] = { 0, 0 };

	for (int i = 0; i < T_FORKS; i++) {
		pid_t p = fork();

		if (p == 0) {
			for (;;)
				pause();
		}
		if (p < 0) {
			res[1] = errno;
			break;
		}
		res[0]++;
	}
	if (write(fds[1], res, sizeof(res)) != (ssize_t)sizeof(res))
		_exit(98);
	for (;;)
		pause();
}

static void test_pids_limit(void **state)
{
	struct t_state *s = *state;
	char name[T_NAME_MAX], text[T_TEXT_MAX];
	struct limits_cmd *c = NULL;
	struct limits_stats st;
	struct policy_limits l;
	int fds[2], res[2];
	pid_t pid;

	T_NEED(s, LIMITS_PIDS);
	t_unlimited(&l);
	l.pids_max = T_PIDS_MAX;
	t_name(s, name, sizeof(name));
	assert_int_equal(limits_cmd_new(s->env, name, &l, &c), 0);
	assert_int_equal(t_read(s->env, LIMITS_PIDS, name, "pids.max", text,
				sizeof(text)), 0);
	assert_string_equal(text, "5");
	assert_int_equal(pipe(fds), 0);
	pid = t_spawn(c, t_forker, fds);
	assert_int_equal(read(fds[0], res, sizeof(res)), (ssize_t)sizeof(res));
	print_message("pids.max=%d: %d forks succeeded, then errno %d\n",
		      T_PIDS_MAX, res[0], res[1]);
	/* The child itself is one of the T_PIDS_MAX processes. */
	assert_int_equal(res[1], EAGAIN);
	assert_in_range(res[0], 1, T_PIDS_MAX - 1);
	assert_int_equal(limits_cmd_stats(c, &st), 0);
	assert_true(st.pids_max_hits >= 1);
	assert_int_equal(limits_cmd_kill(c), 0);
	assert_true(WIFSIGNALED(t_wait(pid)));
	t_reap_all();
	close(fds[0]);
	close(fds[1]);
	limits_cmd_free(c);
	assert_int_equal(t_leftovers(s->env), 0);
}

/* Child: use T_MEM_ALLOC_MB of memory, touching every page. */
static void t_hog(void *arg)
{
	size_t n = (size_t)T_MEM_ALLOC_MB << 20;
	char *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		_exit(97);
	for (size_t i = 0; i < n; i += 4096)
		p[i] = 1;
	_exit(0);
}

static void test_memory_limit(void **state)
{
	struct t_state *s = *state;
	char name[T_NAME_MAX], text[T_TEXT_MAX];
	struct limits_cmd *c = NULL;
	struct limits_stats st;
	struct policy_limits l;
	int wst;

	T_NEED(s, LIMITS_MEMORY);
	t_unlimited(&l);
	l.max_memory_mb = T_MEM_LIMIT_MB;
	/* Without a swap bound the hog could swap instead of dying. */
	if (s->env->limit[LIMITS_SWAP].mech != LIMITS_MECH_NONE)
		l.memory_swap_max_mb = 0;
	t_name(s, name, sizeof(name));
	assert_int_equal(limits_cmd_new(s->env, name, &l, &c), 0);
	assert_int_equal(t_read(s->env, LIMITS_MEMORY, name,
				s->env->limit[LIMITS_MEMORY].mech ==
				LIMITS_MECH_V2 ? "memory.max" :
				"memory.limit_in_bytes", text, sizeof(text)),
			 0);
	assert_string_equal(text, "16777216");
	wst = t_wait(t_spawn(c, t_hog, NULL));
	assert_int_equal(limits_cmd_stats(c, &st), 0);
	print_message("hog: status 0x%x, oom_kills %lld, peak %lld bytes\n",
		      wst, (long long)st.oom_kills,
		      (long long)st.memory_peak_bytes);
	assert_true(WIFSIGNALED(wst) && WTERMSIG(wst) == SIGKILL);
	assert_true(st.oom_killed && st.oom_kills >= 1);
	if (st.memory_peak_bytes >= 0)
		assert_in_range(st.memory_peak_bytes, 1,
				(int64_t)(T_MEM_LIMIT_MB + 1) << 20);
	limits_cmd_free(c);
	assert_int_equal(t_leftovers(s->env), 0);
}

static int64_t t_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void t_spin(void *arg)
{
	int64_t end = t_now_ms() + T_SPIN_MS;
	volatile unsigned x = 0;

	while (t_now_ms() < end)
		x++;
}

static void test_cpu_limit(void **state)
{
	struct t_state *s = *state;
	char name[T_NAME_MAX], text[T_TEXT_MAX];
	bool v2 = s->env->limit[LIMITS_CPU].mech == LIMITS_MECH_V2;
	struct limits_cmd *c = NULL;
	struct limits_stats st;
	struct policy_limits l;

	T_NEED(s, LIMITS_CPU);
	t_unlimited(&l);
	l.cpu_quota_percent = T_CPU_PERCENT;
	t_name(s, name, sizeof(name));
	assert_int_equal(limits_cmd_new(s->env, name, &l, &c), 0);
	assert_int_equal(t_read(s->env, LIMITS_CPU, name, v2 ? "cpu.max" :
				"cpu.cfs_quota_us", text, sizeof(text)), 0);
	assert_string_equal(text, v2 ? "20000 100000" : "20000");
	t_wait(t_spawn(c, t_spin, NULL));
	assert_int_equal(limits_cmd_stats(c, &st), 0);
	print_message("spun %d ms at %d%%: used %lld us of CPU\n", T_SPIN_MS,
		      T_CPU_PERCENT, (long long)st.cpu_usage_usec);
	assert_true(st.cpu_usage_usec > 0);
	/* 20% of 600 ms is 120 ms; one extra period of slack. */
	assert_true(st.cpu_usage_usec <= (T_SPIN_MS * T_CPU_PERCENT / 100 +
					  100) * 1000);
	limits_cmd_free(c);
}

static void test_limit_values(void **state)
{
	struct t_state *s = *state;
	struct limits_env *e = s->env, copy;
	char name[T_NAME_MAX], text[T_TEXT_MAX];
	struct limits_cmd *c = NULL;
	struct policy_limits l;

	T_NEED(s, LIMITS_SWAP);
	t_unlimited(&l);
	l.max_memory_mb = 100;
	l.memory_swap_max_mb = 50;
	l.pids_max = 1LL << 40;
	if (e->limit[LIMITS_PIDS].mech == LIMITS_MECH_NONE)
		l.pids_max = -1;
	t_name(s, name, sizeof(name));
	assert_int_equal(limits_cmd_new(e, name, &l, &c), 0);
	assert_int_equal(t_read(e, LIMITS_SWAP, name,
				e->limit[LIMITS_SWAP].mech == LIMITS_MECH_V2 ?
				"memory.swap.max" :
				"memory.memsw.limit_in_bytes", text,
				sizeof(text)), 0);
	/* v2 bounds swap alone, v1 memory plus swap. */
	assert_string_equal(text, e->limit[LIMITS_SWAP].mech ==
			    LIMITS_MECH_V2 ? "52428800" : "157286400");
	if (l.pids_max > 0) {
		t_read(e, LIMITS_PIDS, name, "pids.max", text, sizeof(text));
		assert_string_equal(text, "max");
	}
	limits_cmd_free(c);
	l.max_memory_mb = INT64_MAX / 2;
	t_name(s, name, sizeof(name));
	assert_int_equal(limits_cmd_new(e, name, &l, &c), -ERANGE);
	copy = *e;
	copy.limit[LIMITS_MEMORY].mech = LIMITS_MECH_NONE;
	l.max_memory_mb = 10;
	assert_int_equal(limits_cmd_new(&copy, name, &l, &c), -EOPNOTSUPP);
	assert_int_equal(t_leftovers(e), 0);
}

/* Child: ignore SIGTERM, start grandchildren (one escapes via setsid). */
static void t_tree(void *arg)
{
	int *fds = arg;
	pid_t kids[T_TREE_KIDS + 1];

	signal(SIGTERM, SIG_IGN);
	for (int i = 0; i < T_TREE_KIDS; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			if (i == 0 && (setsid() < 0 || fork() != 0))
				_exit(0); /* the grandchild's child lives on */
			for (;;)
				pause();
		}
	}
	kids[T_TREE_KIDS] = getpid();
	if (write(fds[1], kids, sizeof(kids)) != (ssize_t)sizeof(kids))
		_exit(98);
	for (;;)
		pause();
}

static void t_kill_tree(struct t_state *s, const struct limits_env *env)
{
	char name[T_NAME_MAX];
	struct limits_cmd *c = NULL;
	struct policy_limits l;
	pid_t kids[T_TREE_KIDS + 1];
	int fds[2], n = 0;
	pid_t pid;

	t_unlimited(&l);
	t_name(s, name, sizeof(name));
	assert_int_equal(limits_cmd_new(env, name, &l, &c), 0);
	assert_int_equal(pipe(fds), 0);
	pid = t_spawn(c, t_tree, fds);
	assert_int_equal(read(fds[0], kids, sizeof(kids)),
			 (ssize_t)sizeof(kids));
	kill(pid, SIGTERM);
	usleep(50000);
	assert_int_equal(limits_cmd_count(c, &n), 0);
	assert_int_equal(n, T_TREE_KIDS + 1); /* child, 2 kids, 1 escapee */
	assert_int_equal(limits_cmd_kill(c), 0);
	assert_int_equal(limits_cmd_count(c, &n), 0);
	assert_int_equal(n, 0);
	n = t_wait(pid);
	assert_true(WIFSIGNALED(n) && WTERMSIG(n) == SIGKILL);
	assert_int_equal(t_reap_all(), T_TREE_KIDS);
	close(fds[0]);
	close(fds[1]);
	assert_int_equal(limits_cmd_remove(c), 0);
	limits_cmd_free(c);
	assert_int_equal(t_leftovers(env), 0);
}

static void test_kill_tree(void **state)
{
	struct t_state *s = *state;
	struct limits_env copy = *s->env;

	T_NEED_GROUP(s);
	t_kill_tree(s, s->env);
	/* And the cgroup.procs loop used where cgroup.kill is missing. */
	copy.v2_kill = false;
	t_kill_tree(s, &copy);
}

static void test_remove_busy(void **state)
{
	struct t_state *s = *state;
	char name[T_NAME_MAX];
	struct limits_cmd *c = NULL;
	struct policy_limits l;
	int fds[2];
	pid_t pid;

	T_NEED_GROUP(s);
	t_unlimited(&l);
	t_name(s, name, sizeof(name));
	assert_int_equal(limits_cmd_new(s->env, name, &l, &c), 0);
	assert_int_equal(limits_cmd_new(s->env, name, &l,
					&(struct limits_cmd *){NULL}), -EEXIST);
	assert_int_equal(pipe(fds), 0);
	pid = t_spawn(c, t_tree, fds);
	assert_int_equal(limits_cmd_remove(c), -EBUSY);
	limits_cmd_free(c); /* kills what is left, then removes */
	assert_true(WIFSIGNALED(t_wait(pid)));
	t_reap_all();
	close(fds[0]);
	close(fds[1]);
	assert_int_equal(t_leftovers(s->env), 0);
}

static void test_clone_into(void **state)
{
	struct t_state *s = *state;
	char name[T_NAME_MAX];
	struct limits_cmd *c = NULL;
	struct policy_limits l;
	struct clone_args a;
	long pid;

	T_NEED_ROOT();
	if (!s->env->v2_clone_into) {
		print_message("SKIP: clone3(CLONE_INTO_CGROUP) unavailable: "
			      "%s\n", s->env->v2_core.text);
		skip();
	}
	t_unlimited(&l);
	t_name(s, name, sizeof(name));
	assert_int_equal(limits_cmd_new(s->env, name, &l, &c), 0);
	memset(&a, 0, sizeof(a));
	a.flags = CLONE_INTO_CGROUP;
	a.exit_signal = SIGCHLD;
	a.cgroup = (uint64_t)limits_cmd_cgroup_fd(c);
	pid = syscall(SYS_clone3, &a, sizeof(a));
	if (pid == 0) {
		/* Raw syscalls only: libc did not see this fork. */
		char buf[T_TEXT_MAX] = "";
		int fd = open("/proc/self/cgroup", O_RDONLY);
		ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

		syscall(SYS_exit_group, n > 0 && memmem(buf, (size_t)n, name,
				strlen(name)) != NULL ? 0 : 1);
	}
	assert_true(pid > 0);
	assert_int_equal(t_wait((pid_t)pid), 0);
	limits_cmd_free(c);
	assert_int_equal(t_leftovers(s->env), 0);
}

static void t_nothing(void *arg)
{
}

static void test_gate(void **state)
{
	struct limits_gate g;
	pid_t pid;
	int st;

	assert_int_equal(limits_gate_open(&g), 0);
	pid = fork();
	if (pid == 0)
		_exit(limits_gate_wait(&g) == -ECANCELED ? 7 : 8);
	limits_gate_close(&g); /* the parent gives up */
	st = t_wait(pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 7);
	assert_int_equal(limits_gate_open(&g), 0);
	pid = fork();
	if (pid == 0)
		_exit(limits_gate_wait(&g) == 0 ? 7 : 8);
	assert_int_equal(limits_gate_release(&g), 0);
	st = t_wait(pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 7);
	limits_gate_close(&g);
	(void)t_nothing;
}

static void test_kill_pgid(void **state)
{
	pid_t pid;
	int st;

	assert_int_equal(limits_kill_tree(0), -EINVAL);
	assert_int_equal(limits_kill_tree(1), -EINVAL);
	assert_int_equal(limits_kill_tree(-7), -EINVAL);
	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		if (fork() == 0)
			setpgid(0, getpgid(0));
		for (;;)
			pause();
	}
	setpgid(pid, pid);
	usleep(20000);
	assert_int_equal(limits_kill_tree(pid), 0);
	st = t_wait(pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	t_reap_all();
}

/* Run agentsh detect with args; the exit status, output in out. */
static int t_detect(char **argv, int argc, char *out, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	FILE *err = fopen("/dev/null", "we");
	char *envp[] = { NULL };
	int r;

	assert_non_null(fp);
	assert_non_null(err);
	r = cmd_detect_run(argc, argv, envp, fp, err);
	fclose(fp);
	fclose(err);
	snprintf(out, n, "%s", buf != NULL ? buf : "");
	free(buf);
	return r;
}

static void test_detect_cli(void **state)
{
	struct t_state *s = *state;
	char *json[] = { "detect", "--json", NULL };
	char *text[] = { "detect", NULL };
	char *help[] = { "detect", "--help", NULL };
	char *bad[] = { "detect", "--bogus", NULL };
	static char out[1 << 16];
	char want[T_NAME_MAX];

	assert_int_equal(t_detect(json, 2, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "{\"domains\":[{\"name\":"
			       "\"resource_limits\",\"available\":"));
	assert_non_null(strstr(out, "\"name\":\"process_tree\""));
	for (int k = 0; k < LIMITS_KIND_COUNT; k++) {
		snprintf(want, sizeof(want), "\"%s\":{\"mechanism\":\"%s\"",
			 limits_kind_name(k),
			 limits_mech_name(s->env->limit[k].mech));
		assert_non_null(strstr(out, want));
	}
	assert_int_equal(t_detect(text, 1, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "score: resource_limits "));
	assert_int_equal(t_detect(help, 2, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "SYNOPSIS"));
	assert_int_equal(t_detect(bad, 2, out, sizeof(out)), 2);
	assert_int_equal(t_leftovers(s->env), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_consistent),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_gate),
		cmocka_unit_test(test_kill_pgid),
		cmocka_unit_test(test_pids_limit),
		cmocka_unit_test(test_memory_limit),
		cmocka_unit_test(test_cpu_limit),
		cmocka_unit_test(test_limit_values),
		cmocka_unit_test(test_kill_tree),
		cmocka_unit_test(test_remove_busy),
		cmocka_unit_test(test_clone_into),
		cmocka_unit_test(test_detect_cli),
	};

	return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
