/*
 * ptrace-based exec supervision, the fallback for hosts where seccomp
 * user-notify is taken (installing a listener fails with EBUSY).
 *
 * The traced process installs ptracer_filter_build()'s filter (execve and
 * execveat return SECCOMP_RET_TRACE; foreign ABIs are killed), sets
 * no_new_privs (ptracer_install does both) and asks the host to call
 * ptracer_attach() for it. From then on one dedicated tracer thread owns
 * every ptrace request for it and all its descendants (forks, vforks and
 * threads are attached automatically and inherit the cookie). Every exec
 * stops at syscall entry; the thread reads the path and argv from the
 * tracee's memory and asks ops->exec. A denied exec is skipped by the
 * kernel and returns -EACCES to the tracee. Without a tracer (never
 * attached, detached, or the host died) the filter makes exec fail with
 * ENOSYS, and PTRACE_O_EXITKILL kills every tracee when the tracer thread
 * ends: both fail closed.
 *
 * Exec is decided on the path and argv as read; a second thread of the
 * tracee can rewrite them before the kernel reads them again, so pair this
 * with Landlock execute rights for binaries that must never run.
 *
 * Host requirements: the tracer thread waits with waitpid(-1, __WALL |
 * __WNOTHREAD), so no other thread of the host may wait for "any child"
 * with __WALL or on ptrace children, or it would steal tracee stops; wait
 * for specific pids or pidfds. A tracee that is a direct child of the host
 * process is reaped by the tracer thread (its status goes to ops->exited).
 * With Yama ptrace_scope 1 the tracee must allow the host first
 * (PR_SET_PTRACER).
 */
#ifndef AGENTSH_PTRACER_H
#define AGENTSH_PTRACER_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PTRACER_FILTER_MAX 16      /* BPF instructions in the filter */
#define PTRACER_PATH_MAX 4096      /* a path read from a tracee (with NUL) */
#define PTRACER_ARGV_MAX 256       /* argv entries passed to ops->exec */
#define PTRACER_ARGBUF_MAX 32768   /* bytes of argv strings read per exec */
#define PTRACER_TRACEES_MAX 4096   /* tasks traced at once, all sessions */
/* SECCOMP_RET_DATA of our filter's RET_TRACE; other values are denied. */
#define PTRACER_SECCOMP_DATA 0x4147u

struct ptracer_filter {
	struct sock_filter insn[PTRACER_FILTER_MAX];
	struct sock_fprog prog; /* points into insn */
};

/*
 * One exec attempt. depth counts exec'd program generations: every task
 * carries the depth of the image it runs, the session root starts at -1
 * (the shim, which has not exec'd yet), fork and clone inherit it, and an
 * exec is decided at that depth + 1 (it becomes the task's depth once the
 * exec succeeds). So 0 is the root shell itself, 1 a command the shell
 * runs (forked, or exec'd in place with `exec cmd`), 2 and more what such
 * a command runs or execs (python's os.execv, a nested shell's commands).
 */
struct ptracer_exec {
	uint64_t cookie;         /* from ptracer_attach, inherited */
	pid_t pid;               /* the task (thread id) calling exec */
	int depth;
	const char *path;        /* as the tracee gave it ("" with AT_EMPTY_PATH) */
	const char *abs;         /* resolved against cwd or dirfd, normalised */
	const char *const *argv; /* argv[0] .. argv[argc-1] */
	size_t argc;
	bool argv_truncated;     /* more than PTRACER_ARGV_MAX/ARGBUF_MAX */
	bool by_fd;              /* execveat(fd, "", AT_EMPTY_PATH) */
	bool unlinked;           /* the file has no name left (memfd, deleted) */
};

/*
 * Hooks, all called on the tracer thread while the tracee is stopped; they
 * must not call ptracer_attach or ptracer_free. exec returns true to
 * allow; anything else (and any error reading the tracee) is EACCES.
 * denied (optional) runs after a denial, before the tracee resumes, e.g.
 * to write a message to /proc/<pid>/fd/2. exited (optional) reports a
 * tracee's wait status when it leaves the table.
 */
struct ptracer_ops {
	bool (*exec)(void *arg, const struct ptracer_exec *e);
	void (*denied)(void *arg, const struct ptracer_exec *e);
	void (*exited)(void *arg, uint64_t cookie, pid_t pid, int status);
};

struct ptracer_stats {
	uint64_t tracees; /* in the table now */
	uint64_t attached; /* ever, roots and auto-attached */
	uint64_t execs;   /* exec stops decided */
	uint64_t denied;
	uint64_t errors;  /* internal errors (each one denied or killed) */
};

enum ptracer_free_mode {
	PTRACER_FREE_KILL,   /* SIGKILL every tracee */
	PTRACER_FREE_DETACH, /* let them run on (their execs then fail) */
};

struct ptracer;

/* Fill f with the filter (arch check, exec to RET_TRACE); 0 or -ENOSPC. */
int ptracer_filter_build(struct ptracer_filter *f);
/* Set no_new_privs and install prog in the calling process; 0 or -errno. */
int ptracer_install(const struct sock_fprog *prog);

/*
 * Start the tracer thread; NULL with errno set on failure. ops and arg
 * must outlive the ptracer.
 */
struct ptracer *ptracer_new(const struct ptracer_ops *ops, void *arg);
/*
 * Seize pid on the tracer thread; returns once it is traced (0) or not
 * (-errno: -ESRCH, -EPERM, -ENOSPC when the table is full, -ESHUTDOWN).
 */
int ptracer_attach(struct ptracer *t, pid_t pid, uint64_t cookie);
void ptracer_get_stats(struct ptracer *t, struct ptracer_stats *out);
/* Stop the thread (killing or detaching tracees) and free; NULL is fine. */
void ptracer_free(struct ptracer *t, enum ptracer_free_mode mode);

#endif
