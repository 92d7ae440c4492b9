/*
 * The daemon's side of the seccomp supervisor: the listeners shims hand
 * over, served on the event loop, and the policy decisions behind every
 * intercepted exec, open, path change, connect and signal.
 */
#ifndef AGENTSH_DAEMON_SUPV_H
#define AGENTSH_DAEMON_SUPV_H

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "daemon/session.h"
#include "supervisor/supervisor.h"

#define SUPV_LISTENERS_MAX 4096 /* shells supervised at once */
#define SUPV_PROCS_MAX 4096     /* command processes remembered per shell */
#define SUPV_PENDING_MAX 256    /* execs awaiting their check, per shell */
#define SUPV_STACK_BYTES (1u << 20) /* a listener thread's stack */
#define SUPV_REAP_MS 5          /* re-wake a stopping listener thread */
#define SUPV_STOP_TRIES 200     /* ... at most this often at shutdown */
#define SUPV_WAKE_SIGNAL SIGUSR2
#define SUPV_TRASH_DIR "/var/lib/agentsh/trash"

struct daemon;
struct audit_event;
struct policy_verdict;

/* A process that exec'd a command, and the depth it was exec'd at. */
struct supv_proc {
	pid_t pid;
	uint64_t start; /* /proc/<pid>/stat starttime: tells reused pids apart */
	int depth;
};

/*
 * An allowed exec is continued, and the kernel reads the path again: a
 * thread racing the buffer could swap in another program. So the program
 * the process turns out to run is checked at its next supervised call.
 */
struct supv_pending {
	pid_t pid;
	uint64_t start;
	uint64_t dev, ino;   /* the file decided */
	uint64_t idev, iino; /* its interpreter */
	uint64_t pdev, pino; /* what ran before (the exec may have failed) */
};

struct supv_listener {
	struct daemon *d;
	char sid[SESSION_ID_MAX];
	int fd;
	pid_t root;                 /* the shim that handed the listener over */
	char shim_exe[PATH_MAX];    /* what the root was running then */
	struct supv_proc procs[SUPV_PROCS_MAX];
	size_t nprocs;
	struct supv_pending pending[SUPV_PENDING_MAX];
	size_t npending;
	pthread_t th;
	atomic_bool stop, exited, failed;
	bool hup;                   /* every process under it is gone */
	struct loop_timer *reap;    /* waiting for the thread to exit */
	atomic_uint_fast64_t notifications;
	struct supv_listener *prev, *next;
};

/* Serve listener fd (now owned) for the shell root of session s; 0 or
 * -errno (fd closed). */
int supv_attach(struct daemon *d, struct session *s, pid_t root, int fd);
/* In a child the daemon starts (exec API): install supervision; the
 * listener fd, EXEC_SUPERVISE_TRACED or -errno (see exec.h). */
int supv_child_install(void);
/* Supervised calls served so far (all listeners, live or gone). */
uint64_t supv_notifications(struct daemon *d);
/* Close every listener: their processes' intercepted calls fail. */
void supv_free_all(struct daemon *d);
/* The ptrace mode (supv_pt.c): seize pid, a shell of session s; 0 or
 * -errno. A session's entry is dropped before the session is freed. */
int supv_pt_attach(struct daemon *d, struct session *s, pid_t pid);
void supv_pt_session_gone(struct daemon *d, const char *sid);
void supv_pt_free(struct daemon *d);
/* The depth a process's current program was exec'd at, or -1 if it was
 * not seen (the session's top-level shell). */
int supv_depth_of(struct daemon *d, pid_t pid);

/* Hooks (supv_exec.c, supv_fs.c, supv_net.c). arg is the listener. */
bool supv_on_exec(void *arg, pid_t pid, const struct sup_exec_req *r);
bool supv_on_open(void *arg, pid_t pid, const struct sup_open_req *r);
enum sup_verdict supv_on_file(void *arg, pid_t pid, const struct sup_file_req *r);
int supv_on_soft_delete(void *arg, pid_t pid, int dirfd, const char *name,
			const struct sup_file_req *r);
bool supv_on_net(void *arg, pid_t pid, const struct sup_net_req *r);
enum sup_verdict supv_on_kill(void *arg, pid_t pid,
			       const struct sup_kill_req *r);

bool supv_pre(void *arg, pid_t pid);
/* Remember what pid's allowed exec must turn out to run; 0 or -errno. */
int supv_expect_exec(struct supv_listener *l, pid_t pid,
		     const struct sup_exec_req *r);

/* Shared by the hook files. */
/* Is dev/ino one of the installed real shells, seen from pid's root? */
bool supv_is_real_shell(pid_t pid, uint64_t dev, uint64_t ino);
struct session *supv_session(struct supv_listener *l);
/* Write "agentsh: ..." to the process's stderr (best effort). */
void supv_tell(pid_t pid, const char *line);
/* Process facts from /proc/<pid>/stat; 0 or -errno. */
int supv_stat(pid_t pid, pid_t *ppid, uint64_t *start);
/* Is pid the root shell or one of its descendants? */
bool supv_in_tree(struct supv_listener *l, pid_t pid);
/* Fill ev's type, session, pid and v's decision, rule and reason (the
 * fields every supervised call's event carries). */
void supv_verdict_event(struct audit_event *ev, struct supv_listener *l,
			pid_t pid, const char *type,
			const struct policy_verdict *v);

#endif
