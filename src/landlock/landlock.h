/*
 * Landlock rulesets for agentsh, built and applied in the calling process.
 *
 * A builder: landlock_rs_new() probes the kernel's Landlock ABI and creates
 * a ruleset handling the wanted features that this ABI can enforce; the add
 * functions grant rights; landlock_rs_apply() sets no_new_privs (when not
 * yet set) and restricts the calling process (all its threads must be
 * created later: call it single-threaded, just before exec).
 *
 * Features degrade by ABI: filesystem rights from ABI 1 (REFER 2, TRUNCATE
 * 3, IOCTL_DEV 5), TCP ports from ABI 4, scopes from ABI 6. A feature the
 * kernel cannot enforce is left out and the builder still works;
 * landlock_rs_status() says what is really enforced, so callers can report
 * it honestly. When Landlock is missing or disabled the builder is inert:
 * adds do nothing and apply only sets no_new_privs.
 *
 * Only syscalls; no globals; never prints.
 */
#ifndef AGENTSH_LANDLOCK_H
#define AGENTSH_LANDLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LANDLOCK_DENY_MAX 64       /* paths in one exec deny list */
#define LANDLOCK_DEPTH_MAX 32      /* components of a denied path */
#define LANDLOCK_RULES_MAX 65536   /* rules in one ruleset */
#define LANDLOCK_STATUS_TEXT_MAX 512 /* landlock_status_format output */

/* Features asked of landlock_rs_new(). */
enum landlock_want {
	/* Execute everywhere except the paths of landlock_rs_deny_exec(). */
	LANDLOCK_WANT_EXEC_DENY = 1u << 0,
	/* Every filesystem right the ABI knows, granted by allow_paths. */
	LANDLOCK_WANT_FS = 1u << 1,
	LANDLOCK_WANT_TCP_CONNECT = 1u << 2, /* connect only to allowed ports */
	LANDLOCK_WANT_TCP_BIND = 1u << 3,    /* bind only to allowed ports */
	LANDLOCK_WANT_SCOPE_SIGNAL = 1u << 4, /* no signals out of the domain */
	LANDLOCK_WANT_SCOPE_UNIX = 1u << 5,  /* no abstract unix out of it */
};

/* Rights granted by landlock_rs_allow_paths(). */
#define LANDLOCK_READ (1u << 0)  /* read files, list directories */
#define LANDLOCK_WRITE (1u << 1) /* write, create, remove, rename, truncate */
#define LANDLOCK_EXEC (1u << 2)  /* execute files */

/* Ports of landlock_rs_allow_tcp(). */
#define LANDLOCK_TCP_CONNECT (1u << 0)
#define LANDLOCK_TCP_BIND (1u << 1)

/* What a builder enforces; read-only for callers. */
struct landlock_status {
	int abi;         /* probed ABI version, or -errno when unavailable */
	unsigned want;   /* landlock_want bits asked for */
	unsigned have;   /* those the kernel enforces (fully or in part) */
	uint64_t fs;     /* handled LANDLOCK_ACCESS_FS_* rights */
	uint64_t net;    /* handled LANDLOCK_ACCESS_NET_* rights */
	uint64_t scoped; /* LANDLOCK_SCOPE_* bits */
	size_t rules;    /* rules added so far */
	bool applied;    /* landlock_rs_apply() restricted this process */
};

struct landlock_rs;

/* Called for each path an add function skips, with why (-errno). */
typedef void (*landlock_skip_fn)(void *arg, const char *path, int err);

/* The Landlock ABI version (>= 1), or -EOPNOTSUPP / -ENOSYS. */
int landlock_abi(void);
/* The kernel's errata bitmask (ABI 7 kernels), or -errno. */
int landlock_errata(void);

/*
 * A builder for the wanted features (enum landlock_want bits). *abi_out
 * (may be NULL) gets landlock_abi(). NULL only when out of memory or the
 * kernel refuses the ruleset (errno set); an unusable Landlock gives an
 * inert builder, not NULL.
 */
struct landlock_rs *landlock_rs_new(unsigned want, int *abi_out);
void landlock_rs_free(struct landlock_rs *rs);

/*
 * Grant access (LANDLOCK_READ|WRITE|EXEC) beneath each absolute path,
 * limited to what the ruleset handles; files get only file rights. With
 * LANDLOCK_WANT_EXEC_DENY, execute is left to the deny list. Paths that do
 * not exist or cannot be opened are skipped and passed to skip (may be
 * NULL). The number of skipped paths, or -errno.
 */
int landlock_rs_allow_paths(struct landlock_rs *rs, const char *const *paths,
			    size_t n, unsigned access, landlock_skip_fn skip,
			    void *arg);

/*
 * The exec deny list (LANDLOCK_WANT_EXEC_DENY; once per builder): grant
 * execute on every hierarchy except the given absolute paths, both as
 * named (directory part resolved) and resolved with realpath. Directories
 * on the way to a denied path are split into one rule per entry, so a file
 * created there later is not executable either. Denied paths that do not
 * exist are passed to skip (their directory is still split). The number
 * of skipped paths, or -E2BIG (more than LANDLOCK_DENY_MAX paths, too deep,
 * more than LANDLOCK_RULES_MAX rules), -EALREADY, or another -errno; after
 * an error apply grants no execute at all (fail closed).
 * Limits (Landlock's, measured): execute is checked by execve only, so
 * "/lib64/ld-linux-x86-64.so.2 DENIED" still runs a denied (non-setuid)
 * binary, as does a copy of it made elsewhere; the policy check in the
 * daemon stays the primary decision.
 */
int landlock_rs_deny_exec(struct landlock_rs *rs, const char *const *paths,
			  size_t n, landlock_skip_fn skip, void *arg);

/*
 * Grant access (LANDLOCK_READ|WRITE|EXEC, as allow_paths) beneath the
 * hierarchy root except beneath the denied absolute paths, which are
 * resolved as landlock_rs_deny_exec() resolves them; denied paths outside
 * the hierarchy are ignored, and one that is the hierarchy or above it
 * leaves nothing to grant. The carve-out is done as for the deny list:
 * directories on the way to a denied path are split into one rule per
 * entry (several thousand rules for a big directory, LANDLOCK_RULES_MAX at
 * most). The number of skipped paths (a missing root counts one), or
 * -E2BIG (more than LANDLOCK_DENY_MAX denied, too deep, too many rules)
 * or another -errno; on error part of the hierarchy may be granted, so
 * the caller must not apply the ruleset.
 */
int landlock_rs_allow_except(struct landlock_rs *rs, const char *root,
			     unsigned access, const char *const *denied,
			     size_t n, landlock_skip_fn skip, void *arg);

/*
 * Allow TCP connect and/or bind (LANDLOCK_TCP_*) to the given ports. A
 * right the ruleset does not handle is ignored. 0 or -errno.
 */
int landlock_rs_allow_tcp(struct landlock_rs *rs, unsigned access,
			  const uint16_t *ports, size_t n);

/*
 * Set no_new_privs when not set and restrict this process (and what it
 * execs) to the ruleset. 0, or -errno with Landlock not applied.
 */
int landlock_rs_apply(struct landlock_rs *rs);

/* What rs enforces (or will, once applied). */
void landlock_rs_status(const struct landlock_rs *rs,
			struct landlock_status *out);

/*
 * One line such as "abi 7: fs=execute,read_file net=connect_tcp
 * scope=signal" into buf (size n, NUL-terminated); the length it needed.
 */
size_t landlock_status_format(const struct landlock_status *st, char *buf,
			      size_t n);

#endif
