/* Internals of the landlock module: kernel constants and the builder. */
#ifndef AGENTSH_LANDLOCK_INT_H
#define AGENTSH_LANDLOCK_INT_H

#include <linux/landlock.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "landlock/landlock.h"

/* Upstream values the distribution's uapi header may predate. */
#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#endif
#ifndef LANDLOCK_CREATE_RULESET_ERRATA
#define LANDLOCK_CREATE_RULESET_ERRATA (1U << 1)
#endif
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0)
#endif
#ifndef LANDLOCK_ACCESS_NET_CONNECT_TCP
#define LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1)
#endif
#ifndef LANDLOCK_RULE_NET_PORT
#define LANDLOCK_RULE_NET_PORT 2
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#endif
#ifndef LANDLOCK_SCOPE_SIGNAL
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#endif
#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#endif
#ifndef __NR_landlock_add_rule
#define __NR_landlock_add_rule 445
#endif
#ifndef __NR_landlock_restrict_self
#define __NR_landlock_restrict_self 446
#endif

/* The ABI-1 filesystem rights (EXECUTE .. MAKE_SYM). */
#define LANDLOCK_FS_ABI1 ((1ULL << 13) - 1)
/* Rights the kernel accepts on a rule for a file (not a directory). */
#define LANDLOCK_FS_FILE                                                   \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |      \
	 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |      \
	 LANDLOCK_ACCESS_FS_IOCTL_DEV)

/*
 * The ruleset attribute as of ABI 6. Own copy: older headers lack the net
 * and scope fields; the kernel accepts it whole when unknown tails are 0.
 */
struct landlock_attr_rs {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

/* The LANDLOCK_RULE_NET_PORT attribute (ABI 4). */
struct landlock_attr_port {
	uint64_t allowed_access;
	uint64_t port;
};

struct landlock_rs {
	int fd;   /* the ruleset, -1 when inert */
	bool exec_done; /* landlock_rs_deny_exec() ran */
	struct landlock_status st;
};

/*
 * landlock_rs_new() for an ABI of at most abi (0 gives an inert builder):
 * lets the tests check how features degrade on older kernels.
 */
struct landlock_rs *landlock_rs_new_abi(unsigned want, int abi);

/*
 * Add a path-beneath rule for fd granting access, masked by what rs
 * handles and, for a non-directory, by the file rights; 0 or -errno.
 */
int landlock_rs_add_fd(struct landlock_rs *rs, int fd, bool is_dir,
		       uint64_t access);
/* The same for an absolute path (followed); 0 or -errno. */
int landlock_rs_add_path(struct landlock_rs *rs, const char *path,
			 uint64_t access);
/* LANDLOCK_READ|WRITE|EXEC as the rights rs handles into *fs; -EINVAL on
 * unknown bits. */
int landlock_rs_fs_access(const struct landlock_rs *rs, unsigned access,
			  uint64_t *fs);
/* Whether an error on a path means "skip this path" rather than fail. */
bool landlock_skippable(int err);

#endif
