/*
 * The seccomp user-notification supervisor: a filter that kills foreign
 * system call ABIs, refuses a fixed set of dangerous calls, answers the
 * session marker probe and sends exec and open calls to a listener, and a
 * handler that decides those calls with caller-supplied hooks.
 *
 * Opens are emulated: the supervisor reads the path once, decides on that
 * copy, opens it itself and injects the descriptor (ADDFD), so a target
 * that rewrites its path buffer after the check gains nothing. Exec cannot
 * be emulated and is answered with CONTINUE (see sup_handle.c).
 */
#ifndef AGENTSH_SUPERVISOR_H
#define AGENTSH_SUPERVISOR_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SUP_FILTER_MAX 256     /* BPF instructions in the filter */
#define SUP_PATH_MAX 4096      /* a path read from the target (with NUL) */
#define SUP_ARGV_MAX 256       /* argv entries passed to the exec hook */
#define SUP_ARGBUF_MAX 32768   /* bytes of argv strings read per exec */
#define SUP_NOTIF_BUF 1024     /* room for the kernel's notification */
#define SUP_SEND_MAX 65536     /* bytes of one emulated datagram send */
#define SUP_GROUPS_MAX 256     /* supplementary groups taken from a target */
#define SUP_SHEBANG_MAX 256    /* bytes of a script's first line read */

struct sup_filter {
	struct sock_filter insn[SUP_FILTER_MAX];
	struct sock_fprog prog; /* points into insn */
};

struct sup_exec_req {
	const char *path;        /* as the target gave it */
	const char *abs;         /* resolved against cwd or dirfd */
	const char *real;        /* the file it leads to (links followed) */
	const char *interp;      /* "#!" interpreter of a script, or NULL */
	bool anonymous;          /* a memfd or deleted file: no path at all */
	uint64_t dev, ino;       /* the file that was checked */
	uint64_t idev, iino;     /* its interpreter's, or 0 */
	const char *const *argv; /* argv[0] .. argv[argc-1] */
	size_t argc;
	bool argv_truncated;     /* more than SUP_ARGV_MAX/SUP_ARGBUF_MAX */
};

struct sup_open_req {
	const char *path; /* absolute, lexically normalised */
	int flags;        /* the target's open flags */
	mode_t mode;      /* meaningful with O_CREAT or O_TMPFILE only */
};

/* Path operations other than open and exec, all emulated. */
enum sup_op {
	SUP_OP_UNLINK, SUP_OP_RMDIR, SUP_OP_RENAME, SUP_OP_MKDIR, SUP_OP_LINK,
	SUP_OP_SYMLINK, SUP_OP_CHMOD, SUP_OP_TRUNCATE, SUP_OP_COUNT
};

/* SUP_ABSORB: the call succeeds and does nothing (signals only). */
enum sup_verdict { SUP_DENY, SUP_ALLOW, SUP_SOFT_DELETE, SUP_ABSORB };

struct sup_file_req {
	enum sup_op op;
	const char *path;  /* absolute, normalised: the object acted on */
	const char *path2; /* RENAME/LINK: the new name; SYMLINK: the link's
			    * text (not a path the kernel resolves now) */
	mode_t mode;       /* MKDIR, CHMOD */
};

/* A connect() or an addressed send: the destination the kernel would use. */
struct sup_net_req {
	int family;        /* AF_INET, AF_INET6 or AF_UNIX */
	int type;          /* SOCK_STREAM, SOCK_DGRAM, ... */
	bool is_connect;   /* else a send with an address */
	unsigned char addr[16]; /* network byte order (4 or 16 bytes used) */
	uint16_t port;     /* host byte order */
	const char *unix_path; /* AF_UNIX: absolute, normalised (or "@name") */
};

/* A signal to another process (kill, tkill, tgkill, pidfd_send_signal). */
struct sup_kill_req {
	pid_t target; /* a thread group id; <= 0 for process groups */
	int sig;
};

/*
 * Hooks, called on the thread that calls sup_handle. Anything but an
 * explicit allow is EACCES. A hook missing is a deny.
 */
struct sup_ops {
	bool (*exec)(void *arg, pid_t pid, const struct sup_exec_req *r);
	bool (*open)(void *arg, pid_t pid, const struct sup_open_req *r);
	enum sup_verdict (*file)(void *arg, pid_t pid,
				 const struct sup_file_req *r);
	/* Move dirfd/name (which is r->path) away instead of deleting it;
	 * 0 or -errno (then the call fails with that errno). */
	int (*soft_delete)(void *arg, pid_t pid, int dirfd, const char *name,
			   const struct sup_file_req *r);
	bool (*net)(void *arg, pid_t pid, const struct sup_net_req *r);
	enum sup_verdict (*kill)(void *arg, pid_t pid,
				 const struct sup_kill_req *r);
	/* Optional: called first for every notification; false refuses it
	 * (e.g. a process found running what it was not allowed to exec). */
	bool (*pre)(void *arg, pid_t pid);
	/* Optional: held around the decision and the emulation of each
	 * notification (a daemon's lock over the state the hooks use). */
	void (*lock)(void *arg);
	void (*unlock)(void *arg);
};

/* Fill f (and f->prog) with the filter; 0 or -ENOSPC. */
int sup_filter_build(struct sup_filter *f);
/* The same, but read-only open()/openat() pass in the kernel: for a
 * process whose reads a Landlock allowlist governs. */
int sup_filter_build_fast_reads(struct sup_filter *f);
/* The same without user notification (no listener): the in-kernel part
 * only, for the modes used when user-notify is unavailable. */
int sup_filter_build_plain(struct sup_filter *f);
/* Install prog without a listener (sets no_new_privs); 0 or -errno. */
int sup_install_plain(const struct sock_fprog *prog);

/*
 * Set no_new_privs and install prog in the calling thread's process with
 * a new listener; the listener fd or -errno.
 */
int sup_install(const struct sock_fprog *prog);

/*
 * Handle one pending notification without blocking. 0 when one was
 * handled (or its target died meanwhile), -EAGAIN when none is pending,
 * -EPIPE when no task uses the filter any more, other -errno when the
 * listener fails. Any error while deciding a call denies it.
 */
int sup_handle(int listener, const struct sup_ops *ops, void *arg);
/* The same, waiting in the kernel for the next notification (a thread
 * that serves one listener). */
int sup_handle_wait(int listener, const struct sup_ops *ops, void *arg);

/*
 * Ask the kernel to wake the target synchronously when a notification is
 * answered (the supervisor and the target then hand the CPU to each other,
 * kernel 6.6+); 0, or -errno where unsupported (nothing changes).
 */
int sup_listener_fast(int listener);

/* Lexically normalise path (absolute, or relative to the absolute base);
 * 0, -ENAMETOOLONG or -EINVAL. */
int sup_path_join(const char *base, const char *path, char *out, size_t n);

#endif
