/*
 * Emulating an allowed open: the supervisor opens the path it checked and
 * the target receives the descriptor (ADDFD with SEND answers the call in
 * one step). The object actually opened is checked again by its real path,
 * so a symbolic link cannot lead from an allowed name to a denied file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/str.h"
#include "supervisor/supervisor.h"
#include "supervisor/sup_int.h"

/* openat2 from dirfd; fd or -errno. */
static int sup_open_at(int dirfd, const char *path, const struct open_how *h)
{
	long fd = syscall(SYS_openat2, dirfd, path, h, sizeof(*h));

	return fd < 0 ? -errno : (int)fd;
}

int sup_open_root(const struct sup_req *q, const char *path,
			 const struct open_how *h)
{
	char root[SUP_PROC_PATH_MAX];
	int rfd, fd;

	snprintf(root, sizeof(root), "/proc/%d/root", (int)q->pid);
	rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		return -errno;
	fd = sup_open_at(rfd, path, h);
	close(rfd);
	return fd;
}

int sup_link_path(const char *link, const char *name, char *out,
			 size_t n)
{
	char real[SUP_PATH_MAX];
	ssize_t r;

	r = readlink(link, real, sizeof(real) - 1);
	if (r < 0)
		return -errno;
	if ((size_t)r == sizeof(real) - 1)
		return -ENAMETOOLONG;
	real[r] = '\0';
	if (real[0] != '/')
		return -ENOENT;
	return sup_path_join(real, name ? name : "", out, n);
}

int sup_real_path(const struct sup_req *q, int fd, const char *name,
		  char *out, size_t n)
{
	char link[SUP_PROC_PATH_MAX], real[SUP_PATH_MAX], root[SUP_PATH_MAX];
	size_t rl;
	int ret;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ret = sup_link_path(link, name, real, sizeof(real));
	if (ret < 0)
		return ret;
	snprintf(link, sizeof(link), "/proc/%d/root", (int)q->pid);
	ret = sup_link_path(link, NULL, root, sizeof(root));
	if (ret < 0)
		return ret;
	rl = strlen(root);
	if (strcmp(root, "/") == 0)
		return str_lcpy(out, real, n) < n ? 0 : -ENAMETOOLONG;
	if (strncmp(real, root, rl) != 0 || (real[rl] != '/' && real[rl] != '\0'))
		return -EACCES;
	return str_lcpy(out, real[rl] ? real + rl : "/", n) < n ?
		       0 : -ENAMETOOLONG;
}

/* Ask the hook again when what fd (plus "/name") really is differs from
 * the path checked. */
static int sup_recheck(const struct sup_req *q, const struct sup_open_req *r,
		       int fd, const char *name)
{
	struct sup_open_req again = *r;
	char real[SUP_PATH_MAX];
	int ret = sup_real_path(q, fd, name, real, sizeof(real));

	if (ret < 0)
		return ret;
	if (strcmp(real, q->abs) == 0)
		return 0;
	again.path = real;
	return q->ops->open(q->arg, q->pid, &again) ? 0 : -EACCES;
}

/*
 * O_CREAT: open the parent, check where it really is, then create the
 * last component without following a link there (a dangling link would
 * create its target unchecked). An existing link is opened without
 * O_CREAT and checked after the open like any other.
 */
static int sup_open_create(const struct sup_req *q,
			   const struct sup_open_req *r,
			   const struct open_how *h)
{
	struct open_how ph = {O_PATH | O_DIRECTORY | O_CLOEXEC, 0, h->resolve};
	struct open_how ch = *h;
	char parent[SUP_PATH_MAX];
	const char *name;
	int pfd, fd;

	str_lcpy(parent, q->abs, sizeof(parent));
	name = strrchr(q->abs, '/') + 1;
	if (!*name)
		return sup_open_root(q, q->abs, h);
	parent[name - q->abs] = '\0';
	pfd = sup_open_root(q, parent, &ph);
	if (pfd < 0)
		return pfd;
	fd = sup_recheck(q, r, pfd, name);
	if (fd < 0)
		goto out;
	ch.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH;
	fd = sup_open_at(pfd, name, &ch);
	if (fd == -ELOOP && (h->flags & O_EXCL))
		fd = -EEXIST;
	else if (fd == -ELOOP) {
		ch = *h;
		ch.flags &= ~(uint64_t)O_CREAT;
		ch.mode = 0;
		fd = sup_open_root(q, q->abs, &ch);
	}
out:
	close(pfd);
	return fd;
}

/* O_TRUNC is applied only once the file is known to be allowed. */
static int sup_truncate(int fd, int flags)
{
	struct stat st;

	if ((flags & O_ACCMODE) == O_RDONLY)
		return 0;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISREG(st.st_mode) && ftruncate(fd, 0) < 0)
		return -errno;
	return 0;
}

static int sup_inject(const struct sup_req *q, int fd, int flags)
{
	struct seccomp_notif_addfd a = {0};

	a.id = q->n->id;
	a.flags = SECCOMP_ADDFD_FLAG_SEND;
	a.srcfd = (__u32)fd;
	a.newfd_flags = (flags & O_CLOEXEC) ? O_CLOEXEC : 0;
	if (ioctl(q->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &a) >= 0)
		return 0;
	if (errno == ENOENT)
		return 0; /* the target is gone */
	return sup_respond(q, -errno, 0);
}

static int sup_open_as(struct sup_req *q, const struct sup_open_req *r,
		       const struct open_how *h, int flags)
{
	struct sup_creds c;
	int fd = sup_creds_enter(q->pid, &c);

	if (fd < 0)
		return fd;
	if (flags & O_CREAT)
		fd = sup_open_create(q, r, h);
	else
		fd = sup_open_root(q, q->abs, h);
	sup_creds_leave(&c);
	return fd;
}

int sup_emulate_open(struct sup_req *q, int flags, mode_t mode,
		     uint64_t resolve)
{
	struct sup_open_req r = {.path = q->abs, .flags = flags};
	struct open_how h = {0};
	int fd, ret;

	if (flags & (O_CREAT | __O_TMPFILE))
		r.mode = mode & 07777;
	if (!q->ops->open || !q->ops->open(q->arg, q->pid, &r))
		return sup_deny(q);
	h.flags = (uint64_t)(unsigned int)((flags & ~O_TRUNC) | O_CLOEXEC);
	h.mode = r.mode;
	h.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS |
		    (resolve & SUP_RESOLVE_KEEP);
	fd = sup_open_as(q, &r, &h, flags);
	if (fd < 0)
		return sup_respond(q, fd, 0);
	ret = sup_recheck(q, &r, fd, NULL) < 0 ? -EACCES : 0;
	if (ret == 0 && (flags & O_TRUNC))
		ret = sup_truncate(fd, flags);
	if (ret == 0)
		ret = sup_inject(q, fd, flags);
	else
		ret = sup_respond(q, ret, 0);
	close(fd);
	return ret;
}

/* "/proc/<pid>/fd/N" of the caller itself: N, or -1. */
static int sup_own_fd_num(const struct sup_req *q)
{
	char pre[SUP_PROC_PATH_MAX], *end;
	size_t l = (size_t)snprintf(pre, sizeof(pre), "/proc/%d/fd/",
				    (int)q->pid);
	long v;

	if (strncmp(q->abs, pre, l) != 0)
		return -1;
	errno = 0;
	v = strtol(q->abs + l, &end, 10);
	if (errno || *end || end == q->abs + l || v < 0 || v > INT32_MAX)
		return -1;
	return (int)v;
}

/*
 * Re-opening one of the caller's own descriptors (/dev/stdin, /dev/fd/N,
 * bash's <(...)): the object is the descriptor's, decided by its real
 * path when it has one (pipes and sockets have none and are the caller's
 * already), and opened again through our duplicate of it.
 */
int sup_open_own_fd(struct sup_req *q, int flags)
{
	struct sup_open_req r = {.flags = flags};
	char real[SUP_PATH_MAX], self[SUP_PROC_PATH_MAX];
	struct sup_creds c;
	int n = sup_own_fd_num(q), dup, fd, ret;

	if (n < 0)
		return 1; /* not one: the caller goes on as usual */
	dup = sup_take_fd(q->pid, n);
	if (dup < 0)
		return sup_respond(q, -ENOENT, 0);
	ret = sup_real_path(q, dup, NULL, real, sizeof(real));
	r.path = real;
	if (ret == 0 && !strstr(real, " (deleted)") &&
	    (!q->ops->open || !q->ops->open(q->arg, q->pid, &r))) {
		close(dup);
		return sup_deny(q);
	}
	snprintf(self, sizeof(self), "/proc/self/fd/%d", dup);
	ret = sup_creds_enter(q->pid, &c);
	fd = ret < 0 ? ret : open(self, (flags & ~(O_CREAT | O_EXCL)) | O_CLOEXEC);
	if (ret == 0 && fd < 0)
		fd = -errno;
	if (ret == 0)
		sup_creds_leave(&c);
	close(dup);
	if (fd < 0)
		return sup_respond(q, fd, 0);
	ret = sup_inject(q, fd, flags);
	close(fd);
	return ret;
}
