/*
 * Landlock rulesets against the real kernel. Each test forks a child that
 * applies a ruleset and tries things; the child sends its results (errno
 * values, 0 for success) to the parent through a pipe, and the parent
 * asserts them. Tests skip when the kernel's ABI lacks the feature.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <ftw.h>

#include <cmocka.h>

#include "child.h"

#include "landlock/landlock.h"
#include "landlock/landlock_int.h"

#define T_TRUE "/bin/true"  /* the binary the trees copy */
#define T_EXEC_FAILED 100   /* exit code base for a failed execve */
#define T_USRBIN_DENY 10    /* files denied in the /usr/bin case */
#define T_USRBIN_RUNS 3     /* timed runs of the /usr/bin case */
#define T_BIG_ENTRIES 3000  /* files in the synthetic big directory */
#define T_USRBIN_MAX_US 5000000 /* a generous bound on one build+apply */

static void t_copy(const char *src, const char *dst)
{
	char buf[65536];
	ssize_t k;
	int in = open(src, O_RDONLY | O_CLOEXEC);
	int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);

	assert_true(in >= 0 && out >= 0);
	while ((k = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)k), k);
	close(in);
	close(out);
}

/* Exec path in a grandchild; 0 when it ran and exited 0, else the errno. */
static int t_exec(const char *path)
{
	int st = 0;
	pid_t pid = fork();

	if (pid == 0) {
		char arg0[T_PATH_MAX];
		char *argv[] = {arg0, NULL};

		snprintf(arg0, sizeof(arg0), "%s", path);
		execv(path, argv);
		_exit(T_EXEC_FAILED + (errno < 100 ? errno : 99));
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st) >= T_EXEC_FAILED ?
		WEXITSTATUS(st) - T_EXEC_FAILED : WEXITSTATUS(st);
}

/* Copy T_TRUE to path in the restricted child, then run it. */
static int t_copy_exec(const char *path)
{
	t_copy(T_TRUE, path);
	return t_exec(path);
}

/* errno of a syscall result: 0 when r >= 0. */
static int t_err(long r)
{
	return r < 0 ? errno : 0;
}

static void t_skip_below(int abi)
{
	int have = landlock_abi();

	if (have < abi) {
		print_message("landlock ABI %d < %d: skipped\n", have, abi);
		skip();
	}
}

/* A temp tree: bin/{ok,denied,denied2,hl}, other/ok2, link, alias, ro, rw. */
static int t_setup(void **state)
{
	static const char *const dirs[] = {"bin", "other", "ro", "rw", "out"};
	static const char *const bins[] = {"bin/ok", "bin/denied",
					   "bin/denied2", "other/ok2"};
	struct t_tree *t = calloc(1, sizeof(*t));
	char a[T_PATH_MAX], b[T_PATH_MAX];

	assert_non_null(t);
	snprintf(t->dir, sizeof(t->dir), "/tmp/ll_test.XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		t_path(t, a, dirs[i]);
		assert_int_equal(mkdir(a, 0755), 0);
	}
	for (size_t i = 0; i < sizeof(bins) / sizeof(bins[0]); i++) {
		t_path(t, a, bins[i]);
		t_copy(T_TRUE, a);
	}
	t_path(t, a, "bin/denied");
	t_path(t, b, "bin/hl");
	assert_int_equal(link(a, b), 0);
	t_path(t, b, "link");
	assert_int_equal(symlink("bin/denied", b), 0);
	t_path(t, b, "alias");
	assert_int_equal(symlink("bin/denied2", b), 0);
	t_path(t, a, "ro/f");
	t_copy(T_TRUE, a);
	t_path(t, a, "out/f");
	t_copy(T_TRUE, a);
	*state = t;
	return 0;
}

static void t_count_skip(void *arg, const char *path, int err)
{
	(*(int *)arg)++;
}

static void t_child_exec_deny(void *arg, int *res)
{
	const struct t_tree *t = arg;
	char p[6][T_PATH_MAX];
	const char *deny[3] = {p[0], p[1], p[2]};
	struct landlock_rs *rs = landlock_rs_new(LANDLOCK_WANT_EXEC_DENY, NULL);
	int skipped = 0;

	t_path(t, p[0], "bin/denied");
	t_path(t, p[1], "alias");
	t_path(t, p[2], "bin/missing");
	res[0] = landlock_rs_deny_exec(rs, deny, 3, t_count_skip, &skipped);
	res[1] = landlock_rs_apply(rs);
	res[2] = skipped;
	landlock_rs_free(rs);
	t_path(t, p[3], "bin/ok");
	res[3] = t_exec(p[3]);
	res[4] = t_exec(p[0]);
	t_path(t, p[4], "link");
	res[5] = t_exec(p[4]);
	res[6] = t_exec(p[1]);
	t_path(t, p[4], "bin/denied2");
	res[7] = t_exec(p[4]);
	t_path(t, p[4], "bin/hl");
	res[8] = t_exec(p[4]);
	t_path(t, p[4], "other/ok2");
	res[9] = t_exec(p[4]);
	res[10] = t_exec(T_TRUE);
	t_path(t, p[5], "bin/new");
	res[11] = t_copy_exec(p[5]);
	t_path(t, p[5], "other/new");
	res[12] = t_copy_exec(p[5]);
}

/* ok runs; denied, its symlink, its hard link, the alias' target fail. */
static void t_exec_deny_tree(void **state)
{
	struct t_tree *t = *state;
	char p[T_PATH_MAX];
	int res[T_RES_MAX];

	t_skip_below(1);
	t_path(t, p, "bin/denied");
	assert_int_equal(t_exec(p), 0); /* unrestricted it runs */
	t_run(t_child_exec_deny, t, res);
	assert_int_equal(res[0], 1); /* bin/missing */
	assert_int_equal(res[1], 0);
	assert_int_equal(res[2], 1);
	assert_int_equal(res[3], 0);
	assert_int_equal(res[4], EACCES);
	assert_int_equal(res[5], EACCES); /* symlink to denied */
	assert_int_equal(res[6], EACCES); /* alias, denied by its name */
	assert_int_equal(res[7], EACCES); /* ... and its target */
	assert_int_equal(res[8], EACCES); /* hard link: same inode */
	assert_int_equal(res[9], 0);
	assert_int_equal(res[10], 0);
	assert_int_equal(res[11], EACCES); /* new file in a split dir */
	assert_int_equal(res[12], 0);
}

/* Pick up to T_USRBIN_DENY harmless binaries of /usr/bin to deny. */
static size_t t_usrbin_pick(char names[][T_PATH_MAX])
{
	static const char *const cand[] = {
		"false", "yes", "tty", "nproc", "logname", "printenv", "arch",
		"whoami", "hostid", "users", "pinky", "tsort", "factor",
		"expand", "unexpand", "fold", "nl", "tac", "rev",
	};
	size_t n = 0;
	struct stat sb;

	for (size_t i = 0; i < sizeof(cand) / sizeof(cand[0]) &&
			   n < T_USRBIN_DENY; i++) {
		snprintf(names[n], T_PATH_MAX, "%s/%s",
			 n % 2 ? "/usr/bin" : "/bin", cand[i]);
		if (stat(names[n], &sb) == 0 && S_ISREG(sb.st_mode))
			n++;
	}
	return n;
}

static long t_us(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000000L +
	       (b->tv_nsec - a->tv_nsec) / 1000;
}

/* Build and apply an exec-deny ruleset of the n paths of deny: res[0] and
 * res[1] what adding them and applying gave, res[2] the microseconds both
 * took, res[3] the ruleset's rules. */
static void t_timed_deny(const char **deny, size_t n, int *res)
{
	struct timespec a, b;
	struct landlock_status st;
	struct landlock_rs *rs;

	clock_gettime(CLOCK_MONOTONIC, &a);
	rs = landlock_rs_new(LANDLOCK_WANT_EXEC_DENY, NULL);
	res[0] = landlock_rs_deny_exec(rs, deny, n, NULL, NULL);
	res[1] = landlock_rs_apply(rs);
	clock_gettime(CLOCK_MONOTONIC, &b);
	landlock_rs_status(rs, &st);
	landlock_rs_free(rs);
	res[2] = (int)t_us(&a, &b);
	res[3] = (int)st.rules;
}

static void t_child_usrbin(void *arg, int *res)
{
	char names[T_USRBIN_DENY][T_PATH_MAX];
	const char *deny[T_USRBIN_DENY];
	size_t n = t_usrbin_pick(names);

	for (size_t i = 0; i < n; i++)
		deny[i] = names[i];
	t_timed_deny(deny, n, res);
	res[4] = (int)n;
	res[5] = t_exec("/usr/bin/true");
	res[6] = t_exec("/bin/false");
	res[7] = t_exec("/usr/bin/false");
	res[8] = t_exec(names[n - 1]);
}

static size_t t_count_entries(const char *path)
{
	size_t n = 0;
	DIR *d = opendir(path);

	assert_non_null(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n - 2;
}

/* errno of open(path, flags), closing what it opened. */
static int t_open(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC, 0644);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static void t_child_big(void *arg, int *res)
{
	const struct t_tree *t = arg;
	char p[T_USRBIN_DENY][T_PATH_MAX], ok[T_PATH_MAX];
	const char *deny[T_USRBIN_DENY];

	for (int i = 0; i < T_USRBIN_DENY; i++) {
		snprintf(ok, sizeof(ok), "big/f%04d", i * 97);
		t_path(t, p[i], ok);
		deny[i] = p[i];
	}
	t_timed_deny(deny, T_USRBIN_DENY, res);
	t_path(t, ok, "big/f0001");
	res[4] = t_exec(ok);
	res[5] = t_exec(p[3]);
}

/* A directory of T_BIG_ENTRIES files with 10 denied: works, and fast. */
static void t_exec_deny_big(void **state)
{
	struct t_tree *t = *state;
	char p[T_PATH_MAX], name[32];
	int res[T_RES_MAX];

	t_skip_below(1);
	t_path(t, p, "big");
	assert_int_equal(mkdir(p, 0755), 0);
	for (int i = 0; i < T_BIG_ENTRIES; i++) {
		snprintf(name, sizeof(name), "big/f%04d", i);
		t_path(t, p, name);
		if (i == 1 || i == 3 * 97)
			t_copy(T_TRUE, p);
		else
			assert_int_equal(t_open(p, O_WRONLY | O_CREAT), 0);
	}
	t_run(t_child_big, t, res);
	assert_int_equal(res[0], 0);
	assert_int_equal(res[1], 0);
	assert_int_equal(res[4], 0);
	assert_int_equal(res[5], EACCES);
	assert_true(res[2] > 0 && res[2] < T_USRBIN_MAX_US);
	print_message("%d entries, %d denied: build+apply %d.%03d ms, "
		      "%d rules\n", T_BIG_ENTRIES, T_USRBIN_DENY,
		      res[2] / 1000, res[2] % 1000, res[3]);
}

/* ~10 denied files in /usr/bin (2000+ entries): works and is fast. */
static void t_exec_deny_usrbin(void **state)
{
	char names[T_USRBIN_DENY][T_PATH_MAX];
	int res[T_RES_MAX];

	t_skip_below(1);
	if (t_usrbin_pick(names) < 5 || t_exec("/usr/bin/false") != 1)
		skip();
	for (int run = 0; run < T_USRBIN_RUNS; run++) {
		t_run(t_child_usrbin, NULL, res);
		assert_int_equal(res[0], 0);
		assert_int_equal(res[1], 0);
		assert_int_equal(res[5], 0);
		assert_int_equal(res[6], EACCES);
		assert_int_equal(res[7], EACCES);
		assert_int_equal(res[8], EACCES);
		assert_true(res[2] > 0 && res[2] < T_USRBIN_MAX_US);
		print_message("/usr/bin (%zu entries), %d denied: build+apply "
			      "%d.%03d ms, %d rules\n",
			      t_count_entries("/usr/bin"), res[4],
			      res[2] / 1000, res[2] % 1000, res[3]);
	}
}

static void t_child_allow(void *arg, int *res)
{
	const struct t_tree *t = arg;
	char p[4][T_PATH_MAX];
	const char *ro[2] = {p[0], p[2]};
	const char *rw[2] = {p[1], "/dev/null"};
	struct landlock_rs *rs = landlock_rs_new(LANDLOCK_WANT_FS, NULL);
	int skipped = 0;

	t_path(t, p[0], "ro");
	t_path(t, p[1], "rw");
	t_path(t, p[2], "no/such/dir");
	res[0] = landlock_rs_allow_paths(rs, ro, 2, LANDLOCK_READ,
					 t_count_skip, &skipped);
	res[1] = landlock_rs_allow_paths(rs, rw, 2,
					 LANDLOCK_READ | LANDLOCK_WRITE, NULL,
					 NULL);
	res[2] = landlock_rs_apply(rs) + skipped;
	landlock_rs_free(rs);
	t_path(t, p[0], "ro/f");
	res[3] = t_open(p[0], O_RDONLY);
	t_path(t, p[2], "out/f");
	res[4] = t_open(p[2], O_RDONLY);
	res[5] = t_open(p[2], O_WRONLY);
	res[6] = t_err(unlink(p[2]));
	t_path(t, p[3], "ro/new");
	res[7] = t_open(p[3], O_WRONLY | O_CREAT);
	t_path(t, p[1], "rw/new");
	res[8] = t_open(p[1], O_WRONLY | O_CREAT);
	t_path(t, p[3], "rw/d");
	res[9] = t_err(mkdir(p[3], 0755));
	res[10] = t_open("/dev/null", O_WRONLY);
	res[11] = t_err(truncate(p[0], 0));
	t_path(t, p[3], "out/moved");
	res[12] = t_err(rename(p[1], p[3]));
	res[13] = t_err(unlink(p[1]));
}

/* The file allowlist: read where allowed, write only where allowed. */
static void t_allowlist(void **state)
{
	struct t_tree *t = *state;
	int res[T_RES_MAX];

	t_skip_below(1);
	t_run(t_child_allow, t, res);
	assert_int_equal(res[0], 1); /* the missing dir, not an error */
	assert_int_equal(res[1], 0);
	assert_int_equal(res[2], 1);
	assert_int_equal(res[3], 0);
	assert_int_equal(res[4], EACCES);
	assert_int_equal(res[5], EACCES);
	assert_int_equal(res[6], EACCES);
	assert_int_equal(res[7], EACCES);
	assert_int_equal(res[8], 0);
	assert_int_equal(res[9], 0);
	assert_int_equal(res[10], 0); /* a file rule on /dev/null */
	if (landlock_abi() >= 3)
		assert_int_equal(res[11], EACCES);
	assert_true(res[12] == EACCES || res[12] == EXDEV);
	assert_int_equal(res[13], 0);
}

static void t_child_both(void *arg, int *res)
{
	const struct t_tree *t = arg;
	char p[3][T_PATH_MAX];
	const char *root[1] = {"/"}, *rw[1] = {p[1]}, *deny[1] = {p[0]};
	struct landlock_rs *rs = landlock_rs_new(
		LANDLOCK_WANT_FS | LANDLOCK_WANT_EXEC_DENY, NULL);

	t_path(t, p[0], "bin/denied");
	t_path(t, p[1], "rw");
	res[0] = landlock_rs_allow_paths(rs, root, 1,
					 LANDLOCK_READ | LANDLOCK_EXEC, NULL,
					 NULL);
	res[1] = landlock_rs_allow_paths(rs, rw, 1, LANDLOCK_WRITE, NULL,
					 NULL);
	res[2] = landlock_rs_deny_exec(rs, deny, 1, NULL, NULL);
	res[3] = landlock_rs_apply(rs);
	landlock_rs_free(rs);
	t_path(t, p[2], "bin/ok");
	res[4] = t_exec(p[2]);
	res[5] = t_exec(p[0]);
	t_path(t, p[2], "rw/both");
	res[6] = t_open(p[2], O_WRONLY | O_CREAT);
	t_path(t, p[2], "out/both");
	res[7] = t_open(p[2], O_WRONLY | O_CREAT);
}

/* Allowlist and deny list together: EXEC on "/" does not undo the deny. */
static void t_allow_and_deny(void **state)
{
	int res[T_RES_MAX];

	t_skip_below(1);
	t_run(t_child_both, *state, res);
	for (int i = 0; i < 4; i++)
		assert_int_equal(res[i], 0);
	assert_int_equal(res[4], 0);
	assert_int_equal(res[5], EACCES);
	assert_int_equal(res[6], 0);
	assert_int_equal(res[7], EACCES);
}

struct t_ports {
	uint16_t ok, other;
	int abi; /* 0: the real one */
};

static int t_tcp(uint16_t port, bool do_bind)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), e;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	e = do_bind ? t_err(bind(fd, (struct sockaddr *)&sa, sizeof(sa))) :
		      t_err(connect(fd, (struct sockaddr *)&sa, sizeof(sa)));
	close(fd);
	return e;
}

static void t_child_tcp(void *arg, int *res)
{
	const struct t_ports *tp = arg;
	unsigned want = LANDLOCK_WANT_TCP_CONNECT | LANDLOCK_WANT_TCP_BIND;
	struct landlock_rs *rs = tp->abi ? landlock_rs_new_abi(want, tp->abi) :
					   landlock_rs_new(want, NULL);
	struct landlock_status st;

	res[0] = landlock_rs_allow_tcp(rs, LANDLOCK_TCP_CONNECT, &tp->ok, 1);
	res[1] = landlock_rs_apply(rs);
	landlock_rs_status(rs, &st);
	landlock_rs_free(rs);
	res[2] = t_tcp(tp->ok, false);
	res[3] = t_tcp(tp->other, false);
	res[4] = t_tcp(0, true);
	res[5] = (int)st.have;
}

static uint16_t t_listen(int *fd)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(*fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(*fd, 8), 0);
	assert_int_equal(getsockname(*fd, (struct sockaddr *)&sa, &len), 0);
	return ntohs(sa.sin_port);
}

/* Connect only to the allowed port, bind to none; ABI 3 enforces neither. */
static void t_tcp_ports(void **state)
{
	struct t_ports tp = {0};
	int a, b, res[T_RES_MAX];

	t_skip_below(4);
	tp.ok = t_listen(&a);
	tp.other = t_listen(&b);
	t_run(t_child_tcp, &tp, res);
	assert_int_equal(res[0], 0);
	assert_int_equal(res[1], 0);
	assert_int_equal(res[2], 0);
	assert_int_equal(res[3], EACCES);
	assert_int_equal(res[4], EACCES);
	tp.abi = 3;
	t_run(t_child_tcp, &tp, res);
	assert_int_equal(res[3], 0); /* degraded: not enforced ... */
	assert_int_equal(res[4], 0);
	assert_int_equal(res[5], 0); /* ... and said so */
	close(a);
	close(b);
}

struct t_scope {
	pid_t other;      /* the parent's other child */
	char sun_path[64]; /* abstract name, leading NUL */
	socklen_t sun_len;
};

static void t_child_scope(void *arg, int *res)
{
	const struct t_scope *sc = arg;
	struct sockaddr_un su = {.sun_family = AF_UNIX};
	struct landlock_rs *rs = landlock_rs_new(
		LANDLOCK_WANT_SCOPE_SIGNAL | LANDLOCK_WANT_SCOPE_UNIX, NULL);
	int st = 0, fd;
	pid_t own;

	res[0] = landlock_rs_apply(rs);
	landlock_rs_free(rs);
	own = fork();
	if (own == 0) {
		pause();
		_exit(0);
	}
	res[1] = t_err(kill(sc->other, SIGCONT));
	res[2] = t_err(kill(getppid(), SIGCONT));
	res[3] = t_err(kill(own, SIGKILL));
	res[4] = waitpid(own, &st, 0) == own && WIFSIGNALED(st) ? 0 : -1;
	memcpy(su.sun_path, sc->sun_path, sizeof(sc->sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	res[5] = t_err(connect(fd, (struct sockaddr *)&su, sc->sun_len));
	close(fd);
}

/* Signals and abstract unix sockets stay inside the domain. */
static void t_scopes(void **state)
{
	struct t_scope sc = {0};
	struct sockaddr_un su = {.sun_family = AF_UNIX};
	int res[T_RES_MAX], lfd, st;
	int n = snprintf(sc.sun_path + 1, sizeof(sc.sun_path) - 1,
			 "agentsh-ll-test-%d", (int)getpid());

	t_skip_below(6);
	sc.sun_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				 (size_t)n);
	memcpy(su.sun_path, sc.sun_path, sizeof(sc.sun_path));
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&su, sc.sun_len), 0);
	assert_int_equal(listen(lfd, 4), 0);
	sc.other = fork();
	assert_true(sc.other >= 0);
	if (sc.other == 0) {
		pause();
		_exit(0);
	}
	t_run(t_child_scope, &sc, res);
	kill(sc.other, SIGKILL);
	waitpid(sc.other, &st, 0);
	close(lfd);
	assert_int_equal(res[0], 0);
	assert_int_equal(res[1], EPERM);
	assert_int_equal(res[2], EPERM);
	assert_int_equal(res[3], 0);
	assert_int_equal(res[4], 0);
	assert_int_equal(res[5], EPERM);
}

/* The probe, the masks per ABI, the status line, argument errors. */
static void t_abi(void **state)
{
	unsigned all = LANDLOCK_WANT_EXEC_DENY | LANDLOCK_WANT_FS |
		       LANDLOCK_WANT_TCP_CONNECT | LANDLOCK_WANT_TCP_BIND |
		       LANDLOCK_WANT_SCOPE_SIGNAL | LANDLOCK_WANT_SCOPE_UNIX;
	long raw = syscall(__NR_landlock_create_ruleset, NULL, 0,
			   LANDLOCK_CREATE_RULESET_VERSION);
	struct landlock_status st;
	struct landlock_rs *rs;
	char line[LANDLOCK_STATUS_TEXT_MAX], deep[T_PATH_MAX * 2] = "";
	const char *dp[1] = {deep};
	int abi = -1;

	assert_int_equal(landlock_abi(), raw < 0 ? -errno : raw);
	t_skip_below(1);
	rs = landlock_rs_new(all, &abi);
	assert_non_null(rs);
	assert_int_equal(abi, raw);
	landlock_rs_status(rs, &st);
	assert_int_equal(!!(st.fs & LANDLOCK_ACCESS_FS_TRUNCATE), abi >= 3);
	assert_int_equal(!!(st.fs & LANDLOCK_ACCESS_FS_IOCTL_DEV), abi >= 5);
	assert_int_equal(st.net != 0, abi >= 4);
	assert_int_equal(st.scoped != 0, abi >= 6);
	if (abi >= 6)
		assert_int_equal(st.have, all);
	if (abi >= 7)
		assert_true(landlock_errata() >= 0);
	landlock_status_format(&st, line, sizeof(line));
	print_message("%s\n", line);
	assert_non_null(strstr(line, "execute,write_file,read_file"));
	assert_int_equal(landlock_rs_allow_paths(rs, dp, 1, 8, NULL, NULL),
			 -EINVAL);
	for (int i = 0; i < LANDLOCK_DEPTH_MAX + 2; i++)
		memcpy(deep + 2 * i, "/d", 3);
	assert_int_equal(landlock_rs_deny_exec(rs, dp, 1, NULL, NULL), -E2BIG);
	assert_int_equal(landlock_rs_deny_exec(rs, dp, 1, NULL, NULL),
			 -EALREADY);
	landlock_rs_free(rs);

	rs = landlock_rs_new_abi(all, 3);
	landlock_rs_status(rs, &st);
	assert_int_equal(st.net | st.scoped, 0);
	assert_int_equal(st.fs & LANDLOCK_ACCESS_FS_IOCTL_DEV, 0);
	assert_int_equal(st.have, LANDLOCK_WANT_EXEC_DENY | LANDLOCK_WANT_FS);
	landlock_rs_free(rs);
	rs = landlock_rs_new_abi(LANDLOCK_WANT_FS, -EOPNOTSUPP);
	landlock_rs_status(rs, &st);
	assert_int_equal(st.have, 0);
	assert_int_equal(landlock_rs_deny_exec(rs, dp, 1, NULL, NULL), -EINVAL);
	landlock_status_format(&st, line, sizeof(line));
	assert_string_equal(line, "unavailable (-95)");
	landlock_rs_free(rs);
	landlock_rs_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_abi),
		cmocka_unit_test_setup_teardown(t_exec_deny_tree, t_setup,
						t_teardown),
		cmocka_unit_test(t_exec_deny_usrbin),
		cmocka_unit_test_setup_teardown(t_exec_deny_big, t_setup,
						t_teardown),
		cmocka_unit_test_setup_teardown(t_allowlist, t_setup,
						t_teardown),
		cmocka_unit_test_setup_teardown(t_allow_and_deny, t_setup,
						t_teardown),
		cmocka_unit_test(t_tcp_ports),
		cmocka_unit_test(t_scopes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
