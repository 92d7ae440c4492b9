/*
 * Path calls other than open and exec: unlink, rmdir, rename, mkdir,
 * link, symlink, chmod, truncate. Each path is read once, resolved, and
 * its parent directory opened inside the target's root; the decision is
 * taken on where that directory really is, and the supervisor performs
 * the call itself on (parent fd, last name) with the target's identity.
 * The kernel never reads the target's path buffer again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/str.h"
#include "supervisor/sup_int.h"

/* One path argument, resolved, with its parent opened. */
struct sup_farg {
	char raw[SUP_PATH_MAX];
	char abs[SUP_PATH_MAX];
	char real[SUP_PATH_MAX]; /* abs with the parent's links resolved */
	const char *name;        /* last component (in abs) */
	int pfd;
};

static int sup_farg_read(struct sup_req *q, struct sup_farg *a, int dirfd,
			 uint64_t upath)
{
	int ret = sup_mem_str(q->pid, upath, a->raw, sizeof(a->raw));

	a->pfd = -1;
	if (ret == 0)
		ret = sup_resolve(q->pid, dirfd, a->raw, a->abs, sizeof(a->abs));
	return ret;
}

/* Open the parent of a->abs; the caller has taken the target's identity. */
static int sup_farg_open(struct sup_req *q, struct sup_farg *a)
{
	struct open_how h = {O_PATH | O_DIRECTORY | O_CLOEXEC, 0,
			     RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	char parent[SUP_PATH_MAX];

	a->name = strrchr(a->abs, '/') + 1;
	if (!*a->name)
		return -EBUSY; /* "/" itself */
	str_lcpy(parent, a->abs, sizeof(parent));
	parent[a->name - a->abs] = '\0';
	a->pfd = sup_open_root(q, parent, &h);
	if (a->pfd < 0)
		return a->pfd;
	return sup_real_path(q, a->pfd, a->name, a->real, sizeof(a->real));
}

static void sup_farg_close(struct sup_farg *a)
{
	if (a->pfd >= 0)
		close(a->pfd);
	a->pfd = -1;
}

/* The stricter of two verdicts. */
static enum sup_verdict sup_worst(enum sup_verdict a, enum sup_verdict b)
{
	if (a == SUP_DENY || b == SUP_DENY)
		return SUP_DENY;
	return a == SUP_SOFT_DELETE ? a : b;
}

/* Decide on the real path and, when it differs, on the path as given. */
static enum sup_verdict sup_fdecide(struct sup_req *q, struct sup_file_req *r,
				    const struct sup_farg *a,
				    const struct sup_farg *b)
{
	enum sup_verdict v;

	if (!q->ops->file)
		return SUP_DENY;
	r->path = a->real;
	r->path2 = b ? b->real : r->path2;
	v = q->ops->file(q->arg, q->pid, r);
	if (v != SUP_DENY && (strcmp(a->real, a->abs) != 0 ||
			      (b && strcmp(b->real, b->abs) != 0))) {
		r->path = a->abs;
		r->path2 = b ? b->abs : r->path2;
		v = sup_worst(v, q->ops->file(q->arg, q->pid, r));
		r->path = a->real;
		r->path2 = b ? b->real : r->path2;
	}
	return v;
}

/* Object-following calls (chmod, truncate) act on what the name leads to. */
static int sup_follow(struct sup_req *q, struct sup_farg *a, int flags,
		      char *real, size_t n)
{
	struct open_how h = {(uint64_t)flags | O_CLOEXEC, 0,
			     RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	int fd = sup_open_root(q, a->abs, &h), ret;

	if (fd < 0)
		return fd;
	ret = sup_real_path(q, fd, NULL, real, n);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	return fd;
}

/* The call itself, on parent fds and names (and a followed object fd). */
static int sup_fperform(const struct sup_file_req *r, struct sup_farg *a,
			struct sup_farg *b, int objfd, unsigned int flags,
			off_t len)
{
	char self[SUP_PROC_PATH_MAX];
	int ret = 0;

	snprintf(self, sizeof(self), "/proc/self/fd/%d", objfd);
	switch (r->op) {
	case SUP_OP_UNLINK:
		ret = unlinkat(a->pfd, a->name, 0);
		break;
	case SUP_OP_RMDIR:
		ret = unlinkat(a->pfd, a->name, AT_REMOVEDIR);
		break;
	case SUP_OP_MKDIR:
		ret = mkdirat(a->pfd, a->name, r->mode);
		break;
	case SUP_OP_RENAME:
		ret = (int)syscall(SYS_renameat2, a->pfd, a->name, b->pfd,
				   b->name, flags);
		break;
	case SUP_OP_LINK:
		ret = objfd >= 0 ? linkat(AT_FDCWD, self, b->pfd, b->name,
					  AT_SYMLINK_FOLLOW) :
				   linkat(a->pfd, a->name, b->pfd, b->name, 0);
		break;
	case SUP_OP_SYMLINK:
		ret = symlinkat(r->path2, a->pfd, a->name);
		break;
	case SUP_OP_CHMOD:
		ret = chmod(self, r->mode);
		break;
	case SUP_OP_TRUNCATE:
		ret = ftruncate(objfd, len);
		break;
	default:
		errno = ENOSYS;
		ret = -1;
	}
	return ret < 0 ? -errno : 0;
}

/* A decoded path call. */
struct sup_fcall {
	enum sup_op op;
	int d1, d2;        /* dirfds (AT_FDCWD for the plain calls) */
	uint64_t p1, p2;   /* path pointers; p2 for RENAME, LINK, SYMLINK */
	mode_t mode;
	unsigned int flags;
	off_t len;
	bool follow;       /* act on what p1 leads to (chmod, truncate, ...) */
};

/* The calls that name two paths: rename, link, symlink. */
static int sup_fcall_parse2(int nr, const __u64 *a, struct sup_fcall *c)
{
	switch (nr) {
	case __NR_rename:
		c->op = SUP_OP_RENAME; c->p1 = a[0]; c->p2 = a[1]; break;
	case __NR_renameat: case __NR_renameat2:
		c->op = SUP_OP_RENAME; c->d1 = (int)a[0]; c->p1 = a[1];
		c->d2 = (int)a[2]; c->p2 = a[3];
		c->flags = nr == __NR_renameat2 ? (unsigned int)a[4] : 0;
		break;
	case __NR_link: c->op = SUP_OP_LINK; c->p1 = a[0]; c->p2 = a[1]; break;
	case __NR_linkat:
		if (a[4] & ~(__u64)AT_SYMLINK_FOLLOW)
			return -EINVAL;
		c->op = SUP_OP_LINK; c->d1 = (int)a[0]; c->p1 = a[1];
		c->d2 = (int)a[2]; c->p2 = a[3];
		c->follow = (a[4] & AT_SYMLINK_FOLLOW) != 0;
		break;
	case __NR_symlink:
		c->op = SUP_OP_SYMLINK; c->p2 = a[0]; c->p1 = a[1]; break;
	case __NR_symlinkat:
		c->op = SUP_OP_SYMLINK; c->p2 = a[0]; c->d1 = (int)a[1];
		c->p1 = a[2];
		break;
	default:
		return -ENOSYS;
	}
	return 0;
}

static int sup_fcall_parse(const struct sup_req *q, struct sup_fcall *c)
{
	const __u64 *a = q->n->data.args;
	int nr = q->n->data.nr;

	memset(c, 0, sizeof(*c));
	c->d1 = c->d2 = AT_FDCWD;
	switch (nr) {
	case __NR_unlink: c->op = SUP_OP_UNLINK; c->p1 = a[0]; break;
	case __NR_rmdir: c->op = SUP_OP_RMDIR; c->p1 = a[0]; break;
	case __NR_unlinkat:
		if (a[2] & ~(__u64)AT_REMOVEDIR)
			return -EINVAL;
		c->op = (a[2] & AT_REMOVEDIR) ? SUP_OP_RMDIR : SUP_OP_UNLINK;
		c->d1 = (int)a[0]; c->p1 = a[1];
		break;
	case __NR_mkdir:
		c->op = SUP_OP_MKDIR; c->p1 = a[0]; c->mode = (mode_t)a[1];
		break;
	case __NR_mkdirat:
		c->op = SUP_OP_MKDIR; c->d1 = (int)a[0]; c->p1 = a[1];
		c->mode = (mode_t)a[2];
		break;
	case __NR_chmod:
		c->op = SUP_OP_CHMOD; c->p1 = a[0]; c->mode = (mode_t)a[1];
		c->follow = true;
		break;
	case SUP_NR_FCHMODAT2:
		if (a[3] != 0)
			return -EOPNOTSUPP; /* AT_SYMLINK_NOFOLLOW and friends */
		__attribute__((fallthrough));
	case __NR_fchmodat:
		c->op = SUP_OP_CHMOD; c->d1 = (int)a[0]; c->p1 = a[1];
		c->mode = (mode_t)a[2]; c->follow = true;
		break;
	case __NR_truncate:
		c->op = SUP_OP_TRUNCATE; c->p1 = a[0]; c->len = (off_t)a[1];
		c->follow = true;
		break;
	default: {
		int r = sup_fcall_parse2(nr, a, c);
		if (r < 0)
			return r;
	}
	}
	c->mode &= 07777;
	return 0;
}

/* Read and resolve the arguments; the symlink text is kept raw. */
static int sup_fcall_read(struct sup_req *q, const struct sup_fcall *c,
			  struct sup_farg *a, struct sup_farg *b)
{
	int ret = sup_farg_read(q, a, c->d1, c->p1);

	b->pfd = -1;
	if (ret == 0 && c->op == SUP_OP_SYMLINK)
		ret = sup_mem_str(q->pid, c->p2, b->raw, sizeof(b->raw));
	else if (ret == 0 && c->p2)
		ret = sup_farg_read(q, b, c->d2, c->p2);
	return ret;
}

/* May the target remove a->name (write and search on the directory)? */
static int sup_may_remove(const struct sup_farg *a)
{
	if (syscall(SYS_faccessat2, a->pfd, "", W_OK | X_OK,
		    AT_EMPTY_PATH | AT_EACCESS) < 0)
		return -errno;
	return 0;
}

/* Under the target's identity: open, decide, act. */
static int sup_fcall_run(struct sup_req *q, const struct sup_fcall *c,
			 struct sup_farg *a, struct sup_farg *b, bool *soft)
{
	struct sup_file_req r = {.op = c->op, .mode = c->mode,
				 .path2 = c->op == SUP_OP_SYMLINK ? b->raw : NULL};
	bool two = c->p2 && c->op != SUP_OP_SYMLINK;
	int objfd = -1, oflags = c->op == SUP_OP_TRUNCATE ? O_WRONLY : O_PATH;
	enum sup_verdict v;
	int ret = sup_farg_open(q, a);

	if (ret == 0 && two)
		ret = sup_farg_open(q, b);
	if (ret == 0 && c->follow)
		ret = objfd = sup_follow(q, a, oflags, a->real, sizeof(a->real));
	if (ret < 0)
		return ret;
	v = sup_fdecide(q, &r, a, two ? b : NULL);
	if (v == SUP_SOFT_DELETE &&
	    (c->op == SUP_OP_UNLINK || c->op == SUP_OP_RMDIR)) {
		*soft = true;
		ret = sup_may_remove(a);
	} else if (v == SUP_DENY) {
		ret = -EACCES;
	} else {
		ret = sup_fperform(&r, a, b, objfd, c->flags, c->len);
	}
	if (objfd >= 0)
		close(objfd);
	return ret;
}

int sup_do_file(struct sup_req *q)
{
	struct sup_farg a, b;
	struct sup_fcall c;
	struct sup_creds cr;
	struct sup_file_req r;
	bool soft = false;
	int ret = sup_fcall_parse(q, &c);

	if (ret == 0)
		ret = sup_fcall_read(q, &c, &a, &b);
	if (ret == 0 && !sup_valid(q))
		ret = -EACCES;
	if (ret == 0)
		ret = sup_creds_enter(q->pid, &cr);
	if (ret < 0)
		return sup_respond(q, ret == -ENOSYS ? -EACCES : ret, 0);
	ret = sup_fcall_run(q, &c, &a, &b, &soft);
	sup_creds_leave(&cr);
	if (ret == 0 && soft) {
		r = (struct sup_file_req){.op = c.op, .path = a.real};
		ret = q->ops->soft_delete ?
			      q->ops->soft_delete(q->arg, q->pid, a.pfd, a.name,
						  &r) : -EACCES;
	}
	sup_farg_close(&a);
	sup_farg_close(&b);
	return sup_respond(q, ret, 0);
}
