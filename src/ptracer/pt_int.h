/* Internals shared by the ptracer's files. */
#ifndef AGENTSH_PTRACER_INT_H
#define AGENTSH_PTRACER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ptracer/ptracer.h"

#if !defined(__x86_64__)
#error "ptracer: only x86_64 registers are handled"
#endif

#define PT_PROC_PATH_MAX 64 /* "/proc/<pid>/fd/<n>" and the like */

enum pt_state {
	PT_RUNNING, /* known: cookie and depth are set */
	PT_PARKED,  /* new task stopped before its parent's fork event */
};

struct pt_tracee {
	pid_t pid;
	enum pt_state state;
	uint64_t cookie;
	int depth;   /* of the image it runs; -1 before the root's first exec */
	int pending; /* depth of an allowed exec in flight */
	int parked;  /* wait status of a parked task's stop */
};

enum pt_req { PT_REQ_NONE, PT_REQ_ATTACH, PT_REQ_STOP };

/* Buffers for one exec decision; used by the tracer thread only. */
struct pt_scratch {
	char path[PTRACER_PATH_MAX];
	char abs[PTRACER_PATH_MAX];
	char args[PTRACER_ARGBUF_MAX];
	const char *argv[PTRACER_ARGV_MAX + 1];
};

struct ptracer {
	const struct ptracer_ops *ops;
	void *arg;
	pthread_t thread;
	pthread_mutex_t mu; /* guards the request slot */
	pthread_cond_t cv;
	enum pt_req req;
	pid_t req_pid;
	uint64_t req_cookie;
	int req_result;
	bool req_done, stopped;
	enum ptracer_free_mode mode;
	int bell[2];  /* pipe: a byte wakes the tracer thread (pt_bell) */
	pid_t bell_pid;
	atomic_uint_fast64_t st_attached, st_execs, st_denied, st_errors;
	atomic_uint_fast64_t st_tracees;
	struct pt_tracee *tab; /* tab[0..n), unordered */
	size_t n;
	struct pt_scratch s;
};

/* pt_table.c */
struct pt_tracee *pt_find(struct ptracer *t, pid_t pid);
/* Add pid (or return its entry); NULL when the table is full. */
struct pt_tracee *pt_add(struct ptracer *t, pid_t pid);
void pt_remove(struct ptracer *t, struct pt_tracee *e);

/* pt_mem.c: read exactly len bytes at addr of pid; 0 or -errno. */
int pt_mem_read(pid_t pid, uint64_t addr, void *buf, size_t len);
/* Read a NUL-terminated string into buf (size n); its length or -errno
 * (-E2BIG when it does not fit). */
ssize_t pt_mem_str(pid_t pid, uint64_t addr, char *buf, size_t n);
/* The path /proc/<pid>/<what> names (cwd, fd/N) into out; 0 or -errno. */
int pt_proc_link(pid_t pid, const char *what, char *out, size_t n);
/* Lexically normalise rel against the absolute base; 0 or -errno. */
int pt_path_norm(const char *base, const char *rel, char *out, size_t n);

/* pt_exec.c: decide the exec pid is stopped in; resumes nothing. */
void pt_exec_stop(struct ptracer *t, struct pt_tracee *e);

/* pt_wait.c: handle one wait status of a tracee (or unknown pid). */
void pt_wait_event(struct ptracer *t, pid_t pid, int status);
/* Seize pid for cookie as a session root; 0 or -errno. */
int pt_seize(struct ptracer *t, pid_t pid, uint64_t cookie);
/* Kill or detach every tracee and wait until the table is empty. */
void pt_release_all(struct ptracer *t, enum ptracer_free_mode mode);

#endif
