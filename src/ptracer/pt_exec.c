/*
 * Deciding an exec at its seccomp stop: read the call's arguments with
 * PTRACE_GET_SYSCALL_INFO, the path and argv from tracee memory, ask
 * ops->exec, and skip a denied call so that it returns -EACCES.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/user.h>

#include "ptracer/pt_int.h"

#define PT_FD_NAME_MAX 24 /* "fd/<int>" */
#define PT_PAGE_PTRS (4096u / sizeof(uint64_t))

/* The file the tracee's fd names: its path, and whether it has no name. */
static int pt_exec_fd(pid_t pid, int fd, struct ptracer_exec *x, char *abs)
{
	char what[PT_FD_NAME_MAX], name[PT_PROC_PATH_MAX];
	struct stat st;
	int ret;

	snprintf(what, sizeof(what), "fd/%d", fd);
	ret = pt_proc_link(pid, what, abs, PTRACER_PATH_MAX);
	if (ret < 0)
		return ret;
	snprintf(name, sizeof(name), "/proc/%d/fd/%d", (int)pid, fd);
	if (stat(name, &st) < 0)
		return -errno;
	x->by_fd = true;
	x->unlinked = st.st_nlink == 0 || abs[0] != '/';
	return 0;
}

/* Make x->path absolute (x->abs) as the tracee sees it from dirfd. */
static int pt_exec_resolve(pid_t pid, int dirfd, int flags,
			   struct ptracer_exec *x, char *abs)
{
	char what[PT_FD_NAME_MAX], base[PTRACER_PATH_MAX];
	int ret;

	x->abs = abs;
	if (x->path[0] == '\0') {
		if (!(flags & AT_EMPTY_PATH) || dirfd < 0)
			return -ENOENT;
		return pt_exec_fd(pid, dirfd, x, abs);
	}
	if (x->path[0] == '/')
		return pt_path_norm(NULL, x->path, abs, PTRACER_PATH_MAX);
	if (dirfd == AT_FDCWD)
		snprintf(what, sizeof(what), "cwd");
	else if (dirfd >= 0)
		snprintf(what, sizeof(what), "fd/%d", dirfd);
	else
		return -EBADF;
	ret = pt_proc_link(pid, what, base, sizeof(base));
	if (ret < 0)
		return ret;
	/* A deleted directory or a non-directory fd: nothing to stand on. */
	if (base[0] != '/')
		return -ENOENT;
	return pt_path_norm(base, x->path, abs, PTRACER_PATH_MAX);
}

/* Copy one argv string to the scratch area: 0, 1 when full, -errno. */
static int pt_exec_arg(pid_t pid, uint64_t p, struct pt_scratch *s,
		       size_t *used, struct ptracer_exec *x)
{
	ssize_t n;

	if (*used >= sizeof(s->args) - 1) {
		x->argv_truncated = true;
		return 1;
	}
	n = pt_mem_str(pid, p, s->args + *used, sizeof(s->args) - *used);
	if (n == -E2BIG) {
		x->argv_truncated = true;
		return 1;
	}
	if (n < 0)
		return (int)n;
	s->argv[x->argc++] = s->args + *used;
	*used += (size_t)n + 1;
	return 0;
}

/* Read argv (an array of pointers ending in NULL) at addr. */
static int pt_exec_argv(pid_t pid, uint64_t addr, struct pt_scratch *s,
			struct ptracer_exec *x)
{
	uint64_t ptr[PT_PAGE_PTRS];
	size_t used = 0, k, chunk;
	int ret = 0;

	x->argv = s->argv;
	/* Linux runs a NULL argv as an empty one. */
	while (addr != 0 && ret == 0) {
		chunk = (4096u - addr % 4096u) / sizeof(uint64_t);
		chunk = chunk ? chunk : 1;
		ret = pt_mem_read(pid, addr, ptr, chunk * sizeof(uint64_t));
		for (k = 0; k < chunk && ret == 0; k++) {
			if (ptr[k] == 0)
				goto out;
			if (x->argc == PTRACER_ARGV_MAX) {
				x->argv_truncated = true;
				goto out;
			}
			ret = pt_exec_arg(pid, ptr[k], s, &used, x);
		}
		addr += chunk * sizeof(uint64_t);
	}
out:
	s->argv[x->argc] = NULL;
	return ret < 0 ? ret : 0;
}

/* Fill x from the stopped call; 0 or -errno (the exec is then denied). */
static int pt_exec_read(struct ptracer *t, pid_t pid, struct ptracer_exec *x)
{
	struct __ptrace_syscall_info si;
	uint64_t *a = si.seccomp.args;
	uint64_t path, argv;
	int dirfd = AT_FDCWD, flags = 0;
	ssize_t n;

	memset(&si, 0, sizeof(si));
	if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof(si), &si) <= 0)
		return -errno;
	if (si.op != PTRACE_SYSCALL_INFO_SECCOMP ||
	    si.arch != AUDIT_ARCH_X86_64 ||
	    si.seccomp.ret_data != PTRACER_SECCOMP_DATA)
		return -EPROTO;
	if (si.seccomp.nr == __NR_execve) {
		path = a[0];
		argv = a[1];
	} else if (si.seccomp.nr == __NR_execveat) {
		dirfd = (int)a[0];
		path = a[1];
		argv = a[2];
		flags = (int)a[4];
	} else {
		return -EPROTO;
	}
	n = pt_mem_str(pid, path, t->s.path, sizeof(t->s.path));
	if (n < 0)
		return (int)n;
	x->path = t->s.path;
	n = pt_exec_resolve(pid, dirfd, flags, x, t->s.abs);
	if (n < 0)
		return (int)n;
	return pt_exec_argv(pid, argv, &t->s, x);
}

/* Skip the call: no syscall number, -EACCES as its result. A tracee that
 * cannot be made to skip it is killed. */
static void pt_exec_deny(struct ptracer *t, pid_t pid)
{
	struct user_regs_struct r;

	if (ptrace(PTRACE_GETREGS, pid, NULL, &r) == 0) {
		r.orig_rax = (unsigned long long)-1;
		r.rax = (unsigned long long)-EACCES;
		if (ptrace(PTRACE_SETREGS, pid, NULL, &r) == 0)
			return;
	}
	if (errno != ESRCH)
		atomic_fetch_add(&t->st_errors, 1);
	kill(pid, SIGKILL);
}

void pt_exec_stop(struct ptracer *t, struct pt_tracee *e)
{
	struct ptracer_exec x;
	bool allow = false;
	int ret;

	memset(&x, 0, sizeof(x));
	x.cookie = e->cookie;
	x.pid = e->pid;
	x.depth = e->depth + 1;
	x.path = x.abs = "";
	x.argv = t->s.argv;
	t->s.argv[0] = NULL;
	e->pending = -1;
	atomic_fetch_add(&t->st_execs, 1);
	ret = pt_exec_read(t, e->pid, &x);
	if (ret == 0)
		allow = t->ops->exec(t->arg, &x);
	else if (ret != -ESRCH)
		atomic_fetch_add(&t->st_errors, 1);
	if (allow) {
		e->pending = x.depth;
		return;
	}
	atomic_fetch_add(&t->st_denied, 1);
	pt_exec_deny(t, e->pid);
	if (t->ops->denied)
		t->ops->denied(t->arg, &x);
}
