/* The child cannot send its listener with sendmsg (sendmsg is one of the
 * calls it waits on us for), so it writes the number and the parent takes
 * the descriptor with pidfd_getfd, as a parent may. */
#include "harness.h"

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

static int th_take(int sock, pid_t pid)
{
	int num = -1, pfd, fd;
	char ack = 'A';

	if (read(sock, &num, sizeof(num)) != (ssize_t)sizeof(num))
		return -1;
	pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd < 0)
		return -1;
	fd = (int)syscall(SYS_pidfd_getfd, pfd, num, 0);
	close(pfd);
	if (write(sock, &ack, 1) != 1)
		return -1;
	return fd;
}

static void th_child(int sock, th_child_fn fn, void *arg, uid_t uid,
		     gid_t gid)
{
	struct sup_filter f;
	int lfd;
	char ack;

	if (uid != (uid_t)-1 && (setgroups(0, NULL) < 0 || setgid(gid) < 0 ||
				 setuid(uid) < 0))
		_exit(93);
	if (sup_filter_build(&f) < 0)
		_exit(91);
	lfd = sup_install(&f.prog);
	if (lfd < 0)
		_exit(92);
	if (write(sock, &lfd, sizeof(lfd)) != (ssize_t)sizeof(lfd) ||
	    read(sock, &ack, 1) != 1)
		_exit(90);
	close(lfd);
	close(sock);
	_exit(fn(arg));
}

static int th_serve(const struct sup_ops *ops, void *ops_arg, int lfd,
		    pid_t pid)
{
	struct pollfd p = {.fd = lfd, .events = POLLIN};
	int st = 0, ret;

	for (;;) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
		if (poll(&p, 1, 20) <= 0)
			continue;
		ret = sup_handle(lfd, ops, ops_arg);
		if (ret < 0 && ret != -EAGAIN && ret != -EPIPE)
			fail_msg("sup_handle: %s", strerror(-ret));
	}
	close(lfd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int th_start_as(th_child_fn fn, void *arg, uid_t uid, gid_t gid,
		       pid_t *pid)
{
	int sv[2], lfd;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				    sv), 0);
	*pid = fork();
	assert_true(*pid >= 0);
	if (*pid == 0) {
		close(sv[0]);
		th_child(sv[1], fn, arg, uid, gid);
	}
	close(sv[1]);
	lfd = th_take(sv[0], *pid);
	close(sv[0]);
	assert_true(lfd >= 0);
	return lfd;
}

int th_start(th_child_fn fn, void *arg, pid_t *pid)
{
	return th_start_as(fn, arg, (uid_t)-1, (gid_t)-1, pid);
}

int th_run_as(const struct sup_ops *ops, void *ops_arg, th_child_fn fn,
	      void *arg, uid_t uid, gid_t gid)
{
	pid_t pid;
	int lfd = th_start_as(fn, arg, uid, gid, &pid);

	return th_serve(ops, ops_arg, lfd, pid);
}

int th_run(const struct sup_ops *ops, void *ops_arg, th_child_fn fn, void *arg)
{
	return th_run_as(ops, ops_arg, fn, arg, (uid_t)-1, (gid_t)-1);
}
