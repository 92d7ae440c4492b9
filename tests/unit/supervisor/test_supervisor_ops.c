/* Path changes, sockets, signals and identities under the supervisor. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "supervisor/supervisor.h"

#define T_DIR_MAX 128
#define T_PATH_MAX 256

struct o_env {
	char dir[T_DIR_MAX];
	char trash[T_PATH_MAX];
	uint16_t port_ok, port_no; /* TCP listeners: allowed, denied */
	uint16_t uport_ok, uport_no; /* UDP receivers */
	pid_t parent;
	int soft_deletes;
};

/* Anything naming "deny_" is refused; "soft_" deletes go to the trash. */
static enum sup_verdict o_file(void *arg, pid_t pid, const struct sup_file_req *r)
{
	if (strstr(r->path, "deny_") ||
	    (r->op != SUP_OP_SYMLINK && r->path2 && strstr(r->path2, "deny_")))
		return SUP_DENY;
	if (strstr(r->path, "soft_") &&
	    (r->op == SUP_OP_UNLINK || r->op == SUP_OP_RMDIR))
		return SUP_SOFT_DELETE;
	return SUP_ALLOW;
}

static bool o_open(void *arg, pid_t pid, const struct sup_open_req *r)
{
	return strstr(r->path, "deny_") == NULL;
}

static int o_soft(void *arg, pid_t pid, int dirfd, const char *name,
		  const struct sup_file_req *r)
{
	struct o_env *e = arg;

	e->soft_deletes++;
	return renameat(dirfd, name, AT_FDCWD, e->trash) < 0 ? -errno : 0;
}

static bool o_net(void *arg, pid_t pid, const struct sup_net_req *r)
{
	struct o_env *e = arg;

	return r->family == AF_INET && r->port != e->port_no &&
	       r->port != e->uport_no;
}

static enum sup_verdict o_kill(void *arg, pid_t pid,
			       const struct sup_kill_req *r)
{
	struct o_env *e = arg;

	if (r->sig == SIGUSR1)
		return SUP_ABSORB;
	return r->target != e->parent ? SUP_ALLOW : SUP_DENY;
}

static const struct sup_ops o_ops = {
	.open = o_open, .file = o_file, .soft_delete = o_soft,
	.net = o_net, .kill = o_kill,
};

static void o_path(char *out, const struct o_env *e, const char *name)
{
	snprintf(out, T_PATH_MAX, "%s/%s", e->dir, name);
}

static void o_touch(const struct o_env *e, const char *name, mode_t mode)
{
	char p[T_PATH_MAX];
	int fd;

	o_path(p, e, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "data", 4), 4);
	close(fd);
	chmod(p, mode);
}

static bool o_exists(const struct o_env *e, const char *name)
{
	char p[T_PATH_MAX];

	o_path(p, e, name);
	return access(p, F_OK) == 0;
}

static int o_setup(void **state)
{
	struct o_env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	snprintf(e->dir, sizeof(e->dir), "/tmp/sup_ops.XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	chmod(e->dir, 0755);
	snprintf(e->trash, sizeof(e->trash), "%s/.trashed", e->dir);
	e->parent = getpid();
	*state = e;
	return 0;
}

static int o_teardown(void **state)
{
	struct o_env *e = *state;
	char cmd[T_PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
	assert_int_equal(system(cmd), 0);
	free(e);
	return 0;
}

/* unlink, rename, mkdir (umask), symlink, chmod through a link, truncate. */
static int c_paths(void *arg)
{
	struct o_env *e = arg;
	struct stat st;

	if (chdir(e->dir) < 0)
		return 1;
	if (unlink("plain") < 0 || access("plain", F_OK) == 0)
		return 10;
	if (unlink("deny_keep") == 0 || errno != EACCES)
		return 11;
	if (unlink("soft_file") < 0 || access("soft_file", F_OK) == 0)
		return 12;
	if (rename("ren_src", "ren_dst") < 0 || access("ren_dst", F_OK) < 0)
		return 13;
	if (rename("ren_dst", "deny_dst") == 0 || errno != EACCES)
		return 14;
	umask(027);
	if (mkdir("newdir", 0777) < 0 || stat("newdir", &st) < 0 ||
	    (st.st_mode & 0777) != 0750)
		return 15;
	if (symlink("deny_keep", "alias") < 0)
		return 16;
	if (chmod("alias", 0600) == 0 || errno != EACCES)
		return 17; /* the link leads to a denied file */
	if (truncate("ren_dst", 1) < 0 || stat("ren_dst", &st) < 0 ||
	    st.st_size != 1)
		return 18;
	if (rmdir("newdir") < 0)
		return 19;
	return 0;
}

static void test_paths(void **state)
{
	struct o_env *e = *state;

	o_touch(e, "plain", 0644);
	o_touch(e, "deny_keep", 0644);
	o_touch(e, "soft_file", 0644);
	o_touch(e, "ren_src", 0644);
	assert_int_equal(th_run(&o_ops, e, c_paths, e), 0);
	assert_int_equal(e->soft_deletes, 1);
	assert_true(access(e->trash, F_OK) == 0);
	assert_true(o_exists(e, "deny_keep"));
	assert_true(!o_exists(e, "soft_file"));
}

/* As nobody: the supervisor acts with the target's identity, so a file
 * only root may read stays closed although the hook allows it. */
static int c_identity(void *arg)
{
	struct o_env *e = arg;
	char p[T_PATH_MAX];
	int fd;

	o_path(p, e, "rootonly");
	fd = open(p, O_RDONLY);
	if (fd >= 0 || errno != EACCES)
		return 20;
	if (unlink(p) == 0 || errno != EACCES)
		return 21;
	o_path(p, e, "nobody_new");
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	if (fd >= 0 || errno != EACCES) /* the directory is root's */
		return 22;
	return 0;
}

static void test_identity(void **state)
{
	struct o_env *e = *state;

	o_touch(e, "rootonly", 0600);
	assert_int_equal(th_run_as(&o_ops, e, c_identity, e, 65534, 65534), 0);
	assert_true(o_exists(e, "rootonly"));
}

/* /proc/self names the target, not the supervisor that opens it. */
static int c_proc_self(void *arg)
{
	char buf[4096], want[64];
	int fd = open("/proc/self/status", O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return 30;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 31;
	buf[n] = '\0';
	snprintf(want, sizeof(want), "\nPid:\t%d\n", (int)getpid());
	return strstr(buf, want) ? 0 : 32;
}

static void test_proc_self(void **state)
{
	assert_int_equal(th_run(&o_ops, *state, c_proc_self, NULL), 0);
}

/* Refused in the kernel whatever the hooks say. */
static int c_kernel_denials(void *arg)
{
	struct iovec l = {arg, 1}, r = {arg, 1};

	if (socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) >= 0 || errno != EPERM)
		return 40;
	if (socket(AF_PACKET, SOCK_RAW, 0) >= 0 || errno != EPERM)
		return 41;
	if (ptrace(PTRACE_TRACEME, 0, 0, 0) == 0 || errno != EPERM)
		return 42;
	if (process_vm_readv(getppid(), &l, 1, &r, 1, 0) >= 0 ||
	    errno != EPERM)
		return 43;
	if (personality(ADDR_NO_RANDOMIZE) != -1 || errno != EPERM)
		return 44;
	if (personality(0xffffffff) == -1)
		return 45;
	if (mknod("/tmp/sup_ops_blk", S_IFBLK | 0600, makedev(7, 0)) == 0 ||
	    errno != EPERM)
		return 46;
	if (mknod("/tmp/sup_ops_chr", S_IFCHR | 0600, makedev(1, 3)) == 0 ||
	    errno != EPERM)
		return 47;
	return 0;
}

static void test_kernel_denials(void **state)
{
	assert_int_equal(th_run(&o_ops, *state, c_kernel_denials, *state), 0);
}

static int o_listen(int type, uint16_t *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	if (type == SOCK_STREAM)
		assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static struct sockaddr_in o_addr(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static int c_net(void *arg)
{
	struct o_env *e = arg;
	struct sockaddr_in ok = o_addr(e->port_ok), no = o_addr(e->port_no);
	struct sockaddr_in uok = o_addr(e->uport_ok), uno = o_addr(e->uport_no);
	char m1[] = "one", m2[] = "two";
	struct iovec v[2] = {{m1, 3}, {m2, 3}};
	struct mmsghdr mm[2] = {{.msg_hdr = {.msg_iov = &v[0], .msg_iovlen = 1}},
				{.msg_hdr = {.msg_iov = &v[1], .msg_iovlen = 1}}};
	int t = socket(AF_INET, SOCK_STREAM, 0), u = socket(AF_INET, SOCK_DGRAM, 0);

	if (connect(t, (struct sockaddr *)&ok, sizeof(ok)) < 0 ||
	    write(t, "hi", 2) != 2)
		return 50;
	close(t);
	t = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(t, (struct sockaddr *)&no, sizeof(no)) == 0 || errno != EACCES)
		return 51;
	if (sendto(u, "x", 1, 0, (struct sockaddr *)&uno, sizeof(uno)) >= 0 ||
	    errno != EACCES)
		return 52;
	if (sendto(u, "dgram", 5, 0, (struct sockaddr *)&uok, sizeof(uok)) != 5)
		return 53;
	if (connect(u, (struct sockaddr *)&uok, sizeof(uok)) < 0 ||
	    sendmmsg(u, mm, 2, 0) != 2 || mm[1].msg_len != 3)
		return 54;
	return 0;
}

static void test_net(void **state)
{
	struct o_env *e = *state;
	int lok = o_listen(SOCK_STREAM, &e->port_ok);
	int lno = o_listen(SOCK_STREAM, &e->port_no);
	int uok = o_listen(SOCK_DGRAM, &e->uport_ok);
	int uno = o_listen(SOCK_DGRAM, &e->uport_no);
	char buf[16];
	int c;

	assert_int_equal(th_run(&o_ops, e, c_net, e), 0);
	c = accept(lok, NULL, NULL);
	assert_true(c >= 0);
	assert_int_equal(read(c, buf, sizeof(buf)), 2);
	close(c);
	/* The canaries: no connection, no datagram. */
	assert_true(accept(lno, NULL, NULL) < 0 && errno == EAGAIN);
	assert_true(recv(uno, buf, sizeof(buf), 0) < 0 && errno == EAGAIN);
	assert_int_equal(recv(uok, buf, sizeof(buf), 0), 5);
	assert_int_equal(recv(uok, buf, sizeof(buf), 0), 3);
	assert_int_equal(recv(uok, buf, sizeof(buf), 0), 3);
	close(lok);
	close(lno);
	close(uok);
	close(uno);
}

static int c_signals(void *arg)
{
	struct o_env *e = arg;
	pid_t kid = fork();
	int st;

	if (kid == 0) {
		pause();
		_exit(0);
	}
	if (kill(e->parent, 0) == 0 || errno != EPERM)
		return 60;
	/* Absorbed: succeeds, and the child (default: killed) lives on. */
	if (kill(kid, SIGUSR1) < 0)
		return 62;
	nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
	if (waitpid(kid, &st, WNOHANG) != 0)
		return 63;
	if (kill(kid, SIGTERM) < 0 || waitpid(kid, &st, 0) != kid ||
	    !WIFSIGNALED(st))
		return 61;
	return 0;
}

static void test_signals(void **state)
{
	assert_int_equal(th_run(&o_ops, *state, c_signals, *state), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_paths, o_setup, o_teardown),
		cmocka_unit_test_setup_teardown(test_identity, o_setup, o_teardown),
		cmocka_unit_test_setup_teardown(test_proc_self, o_setup, o_teardown),
		cmocka_unit_test_setup_teardown(test_kernel_denials, o_setup,
						o_teardown),
		cmocka_unit_test_setup_teardown(test_net, o_setup, o_teardown),
		cmocka_unit_test_setup_teardown(test_signals, o_setup, o_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
