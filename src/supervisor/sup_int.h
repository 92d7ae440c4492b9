/* Internals shared by the supervisor's files. */
#ifndef AGENTSH_SUPERVISOR_INT_H
#define AGENTSH_SUPERVISOR_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <sys/types.h>

#include "supervisor/supervisor.h"

#define SUP_PROC_PATH_MAX 64 /* "/proc/<pid>/fd/<n>" and the like */

/* Read exactly len bytes at addr of pid; 0 or -errno. */
int sup_mem_read(pid_t pid, uint64_t addr, void *buf, size_t len);
/* Read a NUL-terminated string of at most n - 1 bytes; 0 or -errno
 * (-ENAMETOOLONG when it does not fit). */
int sup_mem_str(pid_t pid, uint64_t addr, char *buf, size_t n);
/* Resolve path as pid sees it from dirfd (AT_FDCWD: its cwd) into an
 * absolute, normalised path; 0 or -errno. */
int sup_resolve(pid_t pid, int dirfd, const char *path, char *out, size_t n);

/* openat2 flags the supervisor passes on from the target. */
#define SUP_RESOLVE_KEEP (RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV)
/* openat2 flags whose meaning is lost once the path is made absolute. */
#define SUP_RESOLVE_REFUSE (RESOLVE_BENEATH | RESOLVE_IN_ROOT)

struct sup_req {
	int listener;
	const struct sup_ops *ops;
	void *arg;
	const struct seccomp_notif *n;
	pid_t pid;
	char path[SUP_PATH_MAX];
	char abs[SUP_PATH_MAX];
};

/* The target's filesystem identity, taken on for one emulated call. */
struct sup_creds {
	uid_t fsuid;
	gid_t fsgid;
	gid_t groups[SUP_GROUPS_MAX];
	int ngroups;
	mode_t umask;
	gid_t own[SUP_GROUPS_MAX]; /* this thread's groups before */
	int nown;
	bool switched;   /* this thread's fsuid/fsgid/groups were changed */
	mode_t old_umask;
};

/* Read pid's credentials and umask and act as it on this thread until
 * sup_creds_leave; 0 or -errno (then nothing is changed). */
int sup_creds_enter(pid_t pid, struct sup_creds *c);
void sup_creds_leave(struct sup_creds *c);

int sup_respond(const struct sup_req *q, int error, unsigned int flags);
/* Answer success with a return value. */
int sup_respond_val(const struct sup_req *q, int64_t val);
/* Write len bytes at addr of pid; 0 or -errno. */
int sup_mem_write(pid_t pid, uint64_t addr, const void *buf, size_t len);
/* The target's descriptor fd, duplicated here; fd or -errno. */
int sup_take_fd(pid_t pid, int fd);

/* fchmodat2(2), newer than the system headers. */
#define SUP_NR_FCHMODAT2 452
/* Answer EACCES. */
int sup_deny(const struct sup_req *q);
/* Decide an open of q->abs, perform it and inject the descriptor. */
int sup_emulate_open(struct sup_req *q, int flags, mode_t mode,
		     uint64_t resolve);
/* abs is one of the caller's own descriptors (/proc/<pid>/fd/N): re-open
 * it and answer (0 or -errno), or 1 when it is not. */
int sup_open_own_fd(struct sup_req *q, int flags);
/* Open path under the target's root; fd or -errno. */
int sup_open_root(const struct sup_req *q, const char *path,
		  const struct open_how *h);
/* Readlink of a /proc link joined with name; 0 or -errno. */
int sup_link_path(const char *link, const char *name, char *out, size_t n);
/* Where fd (plus "/name") really is, as the target sees it; 0 or -errno. */
int sup_real_path(const struct sup_req *q, int fd, const char *name,
		  char *out, size_t n);
/* Is the notification still pending? */
bool sup_valid(const struct sup_req *q);
/* Path calls other than open/exec (sup_files.c), sockets (sup_net.c),
 * signals (sup_kill.c): 0 when answered, -errno when the listener failed. */
int sup_do_file(struct sup_req *q);
int sup_do_net(struct sup_req *q);
int sup_do_kill(struct sup_req *q);

#endif
