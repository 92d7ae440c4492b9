/*
 * Per-command resource limits through cgroups.
 *
 * limits_probe() finds out, by creating a throw-away group and writing its
 * control files, which mechanism can enforce each limit on this machine:
 * the cgroup v2 unified tree, a cgroup v1 hierarchy, or nothing (and why).
 * limits_cmd_new() then creates one group per command in every usable
 * hierarchy, below the cgroup this process already sits in, and writes the
 * limits; the spawner moves the command's first process in before it runs
 * (limits_cmd_attach, or clone3(CLONE_INTO_CGROUP) with limits_cmd_cgroup_fd
 * plus limits_cmd_attach for the v1 hierarchies), and can kill everything
 * inside, read usage and remove the groups again. No globals; never prints.
 */
#ifndef AGENTSH_LIMITS_H
#define AGENTSH_LIMITS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy/policy.h"

#define LIMITS_PATH_MAX 4096   /* a cgroup directory path */
#define LIMITS_REASON_MAX 256  /* one "why (not)" explanation */
#define LIMITS_NAME_MAX 256    /* a group name such as agentsh/s1/c42 */
#define LIMITS_NAME_DEPTH 8    /* components in a group name */
#define LIMITS_CPU_PERIOD_US 100000 /* CFS period used for cpu quotas */

/* The limits this module enforces. */
enum limits_kind {
	LIMITS_MEMORY, /* max_memory_mb */
	LIMITS_SWAP,   /* memory_swap_max_mb: swap on top of memory */
	LIMITS_CPU,    /* cpu_quota_percent of one CPU */
	LIMITS_PIDS,   /* pids_max */
	LIMITS_KIND_COUNT
};

enum limits_mech { LIMITS_MECH_NONE, LIMITS_MECH_V1, LIMITS_MECH_V2 };

/* The cgroup v1 hierarchies this module uses. */
enum limits_v1 {
	LIMITS_V1_MEMORY, LIMITS_V1_PIDS, LIMITS_V1_CPU, LIMITS_V1_CPUACCT,
	LIMITS_V1_COUNT
};

/* Whether one thing works: err 0 and what is used, or -errno and why not. */
struct limits_why {
	int err;
	char text[LIMITS_REASON_MAX];
};

struct limits_support {
	enum limits_mech mech; /* v2 when it works, else v1, else none */
	struct limits_why v2, v1;
};

/* What limits_probe found; read-only for callers. */
struct limits_env {
	char v2_base[LIMITS_PATH_MAX]; /* our v2 cgroup; "" when unusable */
	struct limits_why v2_core;     /* create a group and move into it */
	bool v2_kill;                  /* cgroup.kill is present */
	bool v2_clone_into;            /* clone3(CLONE_INTO_CGROUP) worked */
	char v1_base[LIMITS_V1_COUNT][LIMITS_PATH_MAX]; /* "" = unusable */
	struct limits_why v1[LIMITS_V1_COUNT];
	struct limits_support limit[LIMITS_KIND_COUNT];
};

/*
 * Probe this machine. Creates and removes a group named
 * agentsh-probe-<tid> in each hierarchy; enabling a v2 controller in our
 * own cgroup's cgroup.subtree_control is left in place, because the
 * command groups need it and taking it away could strip the limits of a
 * running command. Returns 0 (even when nothing works) or -ENOMEM.
 */
int limits_probe(struct limits_env **out);
void limits_env_free(struct limits_env *env);

const char *limits_kind_name(enum limits_kind k); /* "memory", ... */
const char *limits_mech_name(enum limits_mech m); /* "v2", "v1", "none" */
const char *limits_v1_name(enum limits_v1 h);     /* "memory", ... */

/*
 * Copy in to out, turning every limit this machine cannot enforce into -1,
 * and return the bitmask (1 << enum limits_kind) of the limits dropped.
 * For a daemon that allows running degraded; limits_cmd_new itself refuses
 * limits it cannot enforce. Fields this module does not handle (disk, net,
 * timeouts) are copied unchanged.
 */
unsigned limits_filter(const struct limits_env *env,
		       const struct policy_limits *in,
		       struct policy_limits *out);

struct limits_cmd;

/*
 * Create the groups BASE/name in every usable hierarchy and write the
 * limits of l (fields at -1 are left unlimited). name is one to
 * LIMITS_NAME_DEPTH components of [A-Za-z0-9._-] separated by '/', none
 * "." or ".."; the leaf must not exist yet (-EEXIST). A limit that no
 * mechanism can enforce fails with -EOPNOTSUPP, an out-of-range value
 * with -ERANGE, swap without memory on cgroup v1 with -EINVAL.
 */
int limits_cmd_new(const struct limits_env *env, const char *name,
		   const struct policy_limits *l, struct limits_cmd **out);
/* Move process pid (all its threads) into every group of the command. */
int limits_cmd_attach(struct limits_cmd *c, pid_t pid);
/*
 * The v2 group directory (O_RDONLY|O_DIRECTORY, owned by c) for
 * clone3(CLONE_INTO_CGROUP), or -ENOENT without a v2 group. It covers only
 * the v2 limits: limits_cmd_attach is still needed for the v1 ones.
 */
int limits_cmd_cgroup_fd(const struct limits_cmd *c);
/*
 * SIGKILL every process in the groups (cgroup.kill on v2, else cgroup.procs
 * until empty) and wait until none is left; -ETIMEDOUT if some remain.
 * Processes that died but are not yet reaped do not count.
 */
int limits_cmd_kill(struct limits_cmd *c);
/* Number of live processes in the command's groups (0 = empty). */
int limits_cmd_count(const struct limits_cmd *c, int *n);

struct limits_stats {
	int64_t memory_peak_bytes; /* -1 when unknown */
	int64_t cpu_usage_usec;    /* user + system; -1 when unknown */
	int64_t oom_kills;         /* -1 when unknown */
	int64_t pids_max_hits;     /* forks refused by pids.max; -1 unknown */
	bool oom_killed;           /* oom_kills > 0 */
};

int limits_cmd_stats(const struct limits_cmd *c, struct limits_stats *st);
/*
 * Remove the groups and the parents this command created when they are
 * empty, retrying briefly; -EBUSY while processes remain inside.
 */
int limits_cmd_remove(struct limits_cmd *c);
/* limits_cmd_remove, but -EBUSY at once while processes are inside. */
int limits_cmd_remove_idle(struct limits_cmd *c);
/* Remove (killing whatever is still inside first) and free; NULL is ok. */
void limits_cmd_free(struct limits_cmd *c);

/*
 * Place an already running process in its groups off the caller's thread.
 * Moving a running task between cgroups can wait for an RCU grace period
 * in the kernel (cgroup_threadgroup_rwsem taken for writing: about 7-15 ms
 * unless cgroup2 is mounted with favordynmods), so a daemon hands the
 * work to a worker thread and answers at once. Jobs run one at a time in
 * the order submitted; when one is done the worker's fd (an eventfd)
 * becomes readable and limits_worker_done hands it back.
 */
enum limits_job_op {
	LIMITS_JOB_PLACE,  /* create name with lim, move pid and descendants */
	LIMITS_JOB_KILL,   /* limits_cmd_kill(cmd) */
	LIMITS_JOB_REMOVE, /* remove cmd if empty; then freed and set NULL */
};

struct limits_job {
	enum limits_job_op op;
	const struct limits_env *env;  /* PLACE: outlives the job */
	char name[LIMITS_NAME_MAX];    /* PLACE */
	struct policy_limits lim;      /* PLACE */
	pid_t pid;                     /* PLACE */
	int pidfd;                     /* PLACE: pid's pidfd or -1; closed */
	struct limits_cmd *cmd;        /* PLACE: out; KILL, REMOVE: in/out */
	int result;                    /* 0 or -errno */
	void *arg;                     /* the caller's */
	struct limits_job *next;       /* used by the worker */
};

struct limits_worker;

int limits_worker_new(struct limits_worker **out);
/* Readable (level-triggered) while finished jobs wait to be taken. */
int limits_worker_fd(const struct limits_worker *w);
/* Queue a job allocated with malloc; the worker owns it until done. */
int limits_worker_submit(struct limits_worker *w, struct limits_job *job);
/* The finished jobs, oldest first, linked by next; NULL when none. */
struct limits_job *limits_worker_done(struct limits_worker *w);
/* Run what is queued, then stop the thread; done jobs stay to be taken. */
void limits_worker_stop(struct limits_worker *w);
/* Stop, then free the worker and every job not taken (and their cmds). */
void limits_worker_free(struct limits_worker *w);

/*
 * Move pid into the command's groups, then every descendant it has by then
 * (children it forked before the move would stay outside), repeating
 * while new ones appear. -ESRCH when pidfd (if >= 0) shows that pid has
 * already exited: its orphans can no longer be found.
 */
int limits_cmd_place(struct limits_cmd *c, pid_t pid, int pidfd);

/* SIGKILL the process group pgid; -EINVAL for pgid <= 1, else 0/-errno. */
int limits_kill_tree(pid_t pgid);

/*
 * Hold a forked child until its limits apply: the parent opens the gate,
 * forks; the child calls limits_gate_wait (async-signal-safe) and runs
 * only when it returns 0; the parent attaches the child, then calls
 * limits_gate_release, or limits_gate_close to make the child give up.
 */
struct limits_gate {
	int rfd, wfd; /* -1 when closed */
};

int limits_gate_open(struct limits_gate *g);
/* In the child: 0 when released, -ECANCELED when the parent gave up. */
int limits_gate_wait(struct limits_gate *g);
/* In the parent: let the child run. */
int limits_gate_release(struct limits_gate *g);
void limits_gate_close(struct limits_gate *g);

#endif
