/* Receiving and answering one seccomp notification. */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "supervisor/supervisor.h"
#include "supervisor/sup_int.h"

/* A buffer the kernel's notification fits in, whatever its version. */
union sup_notif_buf {
	struct seccomp_notif n;
	unsigned char raw[SUP_NOTIF_BUF];
};

/* Answer q's notification with error, val and flags (the other fields 0). */
static int sup_send(const struct sup_req *q, int error, int64_t val,
		    unsigned int flags)
{
	union {
		struct seccomp_notif_resp r;
		unsigned char raw[SUP_NOTIF_BUF];
	} u;

	memset(&u, 0, sizeof(u));
	u.r.id = q->n->id;
	u.r.error = error;
	u.r.val = val;
	u.r.flags = flags;
	if (ioctl(q->listener, SECCOMP_IOCTL_NOTIF_SEND, &u.r) < 0)
		return -errno;
	return 0;
}

int sup_respond(const struct sup_req *q, int error, unsigned int flags)
{
	return sup_send(q, error, 0, flags);
}

int sup_respond_val(const struct sup_req *q, int64_t val)
{
	return sup_send(q, 0, val, 0);
}

int sup_deny(const struct sup_req *q)
{
	return sup_respond(q, -EACCES, 0);
}

/* Is the notification still pending (so what we read was its memory)? */
bool sup_valid(const struct sup_req *q)
{
	__u64 id = q->n->id;

	return ioctl(q->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

/* Read argv into buf; the strings stay in buf, pointers in argv. */
static int sup_read_argv(const struct sup_req *q, uint64_t uargv,
			 const char **argv, char *buf, struct sup_exec_req *r)
{
	size_t used = 0;
	uint64_t p;
	int ret;

	r->argc = 0;
	for (; uargv && r->argc < SUP_ARGV_MAX; uargv += sizeof(p)) {
		ret = sup_mem_read(q->pid, uargv, &p, sizeof(p));
		if (ret < 0)
			return ret;
		if (!p)
			return 0;
		if (used >= SUP_ARGBUF_MAX - 1)
			break;
		ret = sup_mem_str(q->pid, p, buf + used,
				  SUP_ARGBUF_MAX - used);
		if (ret == -ENAMETOOLONG) {
			r->argv_truncated = true;
			argv[r->argc++] = buf + used;
			return 0;
		}
		if (ret < 0)
			return ret;
		argv[r->argc++] = buf + used;
		used += strlen(buf + used) + 1;
	}
	r->argv_truncated = uargv != 0;
	return 0;
}

/* The "#!" line's interpreter, if fd is a script we may read. */
static void sup_shebang(int fd, char *interp, size_t n)
{
	char line[SUP_SHEBANG_MAX];
	ssize_t r = pread(fd, line, sizeof(line) - 1, 0);
	size_t i = 2, j = 0;

	interp[0] = '\0';
	if (r < 3 || line[0] != '#' || line[1] != '!')
		return;
	line[r] = '\0';
	while (line[i] == ' ' || line[i] == '\t')
		i++;
	while (line[i] && line[i] != ' ' && line[i] != '\t' &&
	       line[i] != '\n' && j + 1 < n)
		interp[j++] = line[i++];
	interp[j] = '\0';
}

/*
 * The target's own descriptor when the program is one: execveat with
 * AT_EMPTY_PATH and "", or "/proc/<its pid>/fd/N" (fexecve); else -1.
 */
static int sup_exec_fd(const struct sup_req *q, int dirfd, int flags)
{
	char pre[SUP_PROC_PATH_MAX], *end;
	size_t l;
	long fd;

	if ((flags & AT_EMPTY_PATH) && q->path[0] == '\0')
		return sup_take_fd(q->pid, dirfd);
	l = (size_t)snprintf(pre, sizeof(pre), "/proc/%d/fd/", (int)q->pid);
	if (strncmp(q->abs, pre, l) != 0)
		return -1;
	errno = 0;
	fd = strtol(q->abs + l, &end, 10);
	if (errno || *end || end == q->abs + l || fd < 0 || fd > INT32_MAX)
		return -1;
	return sup_take_fd(q->pid, (int)fd);
}

static void sup_exec_ids(int fd, uint64_t *dev, uint64_t *ino)
{
	struct stat st;

	*dev = *ino = 0;
	if (fd >= 0 && fstat(fd, &st) == 0) {
		*dev = (uint64_t)st.st_dev;
		*ino = (uint64_t)st.st_ino;
	}
}

/* Follow abs (or own, the target's descriptor) to the file, as the
 * target; its real path and "#!" line. Consumes own. */
static int sup_exec_target(struct sup_req *q, struct sup_exec_req *r, int own,
			   char *real, char *interp)
{
	struct open_how h = {O_PATH | O_CLOEXEC, 0,
			     RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	struct sup_creds c;
	int fd = own, rfd = -1, ret = sup_creds_enter(q->pid, &c);

	if (ret < 0) {
		if (own >= 0)
			close(own);
		return ret;
	}
	if (fd < 0)
		fd = sup_open_root(q, q->abs, &h);
	h.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK;
	if (own < 0 && fd >= 0)
		rfd = sup_open_root(q, q->abs, &h);
	sup_creds_leave(&c);
	if (fd < 0)
		return fd;
	sup_exec_ids(fd, &r->dev, &r->ino);
	ret = sup_real_path(q, fd, NULL, real, SUP_PATH_MAX);
	if (ret == 0 && strstr(real, " (deleted)"))
		r->anonymous = true;
	else if (ret == 0)
		r->real = real;
	else if (ret == -ENOENT)
		r->anonymous = true, ret = 0; /* "memfd:..", not a path */
	if (rfd >= 0) {
		sup_shebang(rfd, interp, SUP_SHEBANG_MAX);
		r->interp = interp[0] == '/' ? interp : NULL;
		close(rfd);
	}
	if (r->interp) {
		h.flags = O_PATH | O_CLOEXEC;
		rfd = sup_open_root(q, r->interp, &h);
		sup_exec_ids(rfd, &r->idev, &r->iino);
		if (rfd >= 0)
			close(rfd);
	}
	close(fd);
	return ret;
}

/*
 * execve cannot be emulated: the supervisor cannot replace the target's
 * image, so an allowed exec is answered with CONTINUE and the kernel reads
 * the path again. A second thread of the target can swap the path between
 * our read and the kernel's, so this decision is not a boundary against a
 * hostile multithreaded target; Landlock exec rights are (design notes §3).
 */
static int sup_do_exec(struct sup_req *q, int dirfd, uint64_t upath,
		       uint64_t uargv, int flags)
{
	static const char *const empty_argv[] = {NULL};
	const char *argv[SUP_ARGV_MAX + 1];
	char buf[SUP_ARGBUF_MAX], real[SUP_PATH_MAX], interp[SUP_SHEBANG_MAX];
	struct sup_exec_req r = {.path = q->path, .abs = q->abs,
				 .argv = empty_argv};
	int ret;

	ret = sup_mem_str(q->pid, upath, q->path, sizeof(q->path));
	if (ret == 0)
		ret = sup_resolve(q->pid, dirfd, q->path, q->abs,
				  sizeof(q->abs));
	if (ret == 0)
		ret = sup_exec_target(q, &r, sup_exec_fd(q, dirfd, flags),
				      real, interp);
	if (ret == -ENOENT || ret == -ENOTDIR || ret == -ELOOP)
		return sup_respond(q, ret, 0); /* the kernel would say the same */
	if (ret == 0)
		ret = sup_read_argv(q, uargv, argv, buf, &r);
	if (ret < 0 || !sup_valid(q))
		goto out;
	argv[r.argc] = NULL;
	r.argv = argv;
	if (q->ops->exec && q->ops->exec(q->arg, q->pid, &r))
		return sup_respond(q, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
out:
	return sup_deny(q);
}

/* Never CONTINUE an open: the kernel would read the path again. */
static int sup_do_open(struct sup_req *q, int dirfd, uint64_t upath,
		       int flags, mode_t mode, uint64_t uhow)
{
	struct open_how how = {0};
	int ret;

	ret = sup_mem_str(q->pid, upath, q->path, sizeof(q->path));
	if (ret == 0 && uhow)
		ret = sup_mem_read(q->pid, uhow, &how, sizeof(how));
	if (ret == 0 && uhow) {
		flags = (int)how.flags;
		mode = (mode_t)how.mode;
		if (how.resolve & SUP_RESOLVE_REFUSE)
			ret = -EXDEV;
	}
	if (ret == 0)
		ret = sup_resolve(q->pid, dirfd, q->path, q->abs,
				  sizeof(q->abs));
	if (ret < 0 || !sup_valid(q))
		return sup_deny(q);
	ret = sup_open_own_fd(q, flags);
	if (ret != 1)
		return ret;
	return sup_emulate_open(q, flags, mode, how.resolve);
}

static int sup_dispatch(struct sup_req *q)
{
	const __u64 *a = q->n->data.args;

	switch (q->n->data.nr) {
	case __NR_execve:
		return sup_do_exec(q, AT_FDCWD, a[0], a[1], 0);
	case __NR_execveat:
		return sup_do_exec(q, (int)a[0], a[1], a[2], (int)a[4]);
	case __NR_open:
		return sup_do_open(q, AT_FDCWD, a[0], (int)a[1],
				   (mode_t)a[2], 0);
	case __NR_creat:
		return sup_do_open(q, AT_FDCWD, a[0],
				   O_CREAT | O_WRONLY | O_TRUNC,
				   (mode_t)a[1], 0);
	case __NR_openat:
		return sup_do_open(q, (int)a[0], a[1], (int)a[2],
				   (mode_t)a[3], 0);
	case __NR_openat2:
		if (a[3] < sizeof(struct open_how) || !a[2])
			return sup_deny(q);
		return sup_do_open(q, (int)a[0], a[1], 0, 0, a[2]);
	case __NR_connect: case __NR_sendto: case __NR_sendmsg:
	case __NR_sendmmsg:
		return sup_do_net(q);
	case __NR_kill: case __NR_tkill: case __NR_tgkill:
	case __NR_pidfd_send_signal: case __NR_rt_sigqueueinfo:
	case __NR_rt_tgsigqueueinfo:
		return sup_do_kill(q);
	default:
		return sup_do_file(q);
	}
}

int sup_handle(int listener, const struct sup_ops *ops, void *arg)
{
	struct pollfd p = {.fd = listener, .events = POLLIN};

	if (poll(&p, 1, 0) < 0)
		return -errno;
	if (!(p.revents & POLLIN))
		return (p.revents & (POLLHUP | POLLERR)) ? -EPIPE : -EAGAIN;
	return sup_handle_wait(listener, ops, arg);
}

int sup_handle_wait(int listener, const struct sup_ops *ops, void *arg)
{
	struct seccomp_notif_sizes sz = {0};
	union sup_notif_buf nb;
	struct sup_req q;
	int ret;

	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) < 0)
		return -errno;
	if (sz.seccomp_notif > sizeof(nb) ||
	    sz.seccomp_notif_resp > SUP_NOTIF_BUF)
		return -EOVERFLOW;
	memset(&nb, 0, sizeof(nb));
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &nb.n) < 0) {
		ret = -errno;
		/* Gone before we took it, or someone else took it. */
		return (ret == -ENOENT || ret == -EINTR) ? 0 : ret;
	}
	q.listener = listener;
	q.ops = ops;
	q.arg = arg;
	q.n = &nb.n;
	q.pid = (pid_t)nb.n.pid;
	q.path[0] = q.abs[0] = '\0';
	if (ops->lock)
		ops->lock(arg);
	if (ops->pre && !ops->pre(arg, q.pid))
		ret = sup_deny(&q);
	else
		ret = sup_dispatch(&q);
	if (ops->unlock)
		ops->unlock(arg);
	return ret == -ENOENT ? 0 : ret;
}

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

int sup_listener_fast(int listener)
{
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS,
		  SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) < 0)
		return -errno;
	return 0;
}
