/* Internals shared by the supervisor's files. */
#ifndef AGENTSH_SUPERVISOR_INT_H
#define AGENTSH_SUPERVISOR_INT_H

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

int sup_respond(const struct sup_req *q, int error, unsigned int flags);
/* Answer EACCES. */
int sup_deny(const struct sup_req *q);
/* Decide an open of q->abs, perform it and inject the descriptor. */
int sup_emulate_open(struct sup_req *q, int flags, mode_t mode,
		     uint64_t resolve);

#endif
