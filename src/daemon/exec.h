/* Running a command for the exec API: spawn, capture, time out, report. */
#ifndef AGENTSH_DAEMON_EXEC_H
#define AGENTSH_DAEMON_EXEC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "common/buf.h"

#define EXEC_OUTPUT_MAX (1u << 20) /* bytes kept per stream (1 MiB) */
#define EXEC_DRAIN_MS 200          /* output read after the command exits */

struct loop;
struct exec_run;

struct exec_req {
	char *const *argv;
	const char *cwd;
	char *const *envp;
	const char *stdin_data; /* NULL: /dev/null */
	size_t stdin_len;
	int64_t timeout_ms;     /* 0: none */
	/* Called in the parent after fork, before the child may exec: put the
	 * child into its cgroup here. Non-zero return: the child is killed. */
	int (*attach)(void *arg, pid_t pid);
	void *attach_arg;
	/* Called in the child just before exec (e.g. to install filters);
	 * non-zero return: the child exits 126 without running anything. */
	int (*child_setup)(void);
	/* Supervision: called in the child after child_setup, it returns the
	 * seccomp listener it installed (>= 0), EXEC_SUPERVISE_TRACED when it
	 * fell back to a filter the daemon's tracer serves, or -errno (the
	 * child exits 126). The parent then takes the listener (pidfd_getfd)
	 * and calls on_supervise(attach_arg, pid, fd or -1) before the child
	 * may exec; non-zero return: the child is killed. */
	int (*child_supervise)(void);
	/* Transparent mode: the child joins this network namespace first
	 * (before any filter, which would refuse setns); when join_netns. */
	bool join_netns;
	int netns_fd;
	int (*on_supervise)(void *arg, pid_t pid, int fd);
};

#define EXEC_SUPERVISE_TRACED (-1000)

struct exec_result {
	int exit_code;        /* 124 timeout, 126/127 could not run */
	int term_signal;      /* 0 unless killed by a signal */
	bool timed_out;
	int start_errno;      /* non-zero: exec failed with this errno */
	struct buf out, err;  /* kept output, bounded by EXEC_OUTPUT_MAX */
	uint64_t out_total, err_total;
	int64_t duration_ms;
	struct rusage ru;
};

typedef void (*exec_done_fn)(struct exec_run *run, struct exec_result *res,
			     void *arg);
/* Live output (stream 1 = stdout, 2 = stderr), for SSE; may be NULL. */
typedef void (*exec_chunk_fn)(void *arg, int stream, const char *data,
			      size_t len);

int exec_start(struct loop *l, const struct exec_req *rq, exec_done_fn done,
	       exec_chunk_fn chunk, void *arg, struct exec_run **out);
/* Kill the command's process group (the result still arrives via done). */
void exec_kill(struct exec_run *r);
pid_t exec_pid(const struct exec_run *r);

#endif
