/* Internals of the limits module: cgroupfs file access and discovery. */
#ifndef AGENTSH_LIMITS_INT_H
#define AGENTSH_LIMITS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "limits/limits.h"

#define LIMITS_LINE_MAX 8192     /* one line of mountinfo or /proc/PID/cgroup */
#define LIMITS_VALUE_MAX 4096    /* one control file read whole */
#define LIMITS_MAX_FIELDS 64     /* fields of one mountinfo line */
#define LIMITS_RMDIR_TRIES 100   /* rmdir attempts while a group is busy */
#define LIMITS_RETRY_SLEEP_US 5000 /* pause between such attempts */
#define LIMITS_KILL_ROUNDS 400   /* kill/check rounds before -ETIMEDOUT */

struct limits_mount {
	char dir[LIMITS_PATH_MAX];  /* where it is mounted */
	char root[LIMITS_PATH_MAX]; /* which cgroup is the mount's root */
	bool ro;
};

/* The control file that sets one limit in each cgroup version. */
struct limits_ctl_file {
	const char *v2_ctrl; /* controller enabled in cgroup.subtree_control */
	const char *v2_file;
	enum limits_v1 v1;   /* hierarchy carrying the v1 file */
	const char *v1_file;
};

const struct limits_ctl_file *limits_ctl_file(enum limits_kind k);

/* The value of limit k in l (-1 when not given). */
int64_t limits_value(const struct policy_limits *l, enum limits_kind k);

/* Fork a child held on a gate, move it into dirfd's group, let it exit. */
int limits_move_test(int dirfd);

/* Record in w that something works (err 0) or why not (err < 0). */
void limits_why_set(struct limits_why *w, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A short phrase for an errno value from a cgroupfs operation. */
const char *limits_err_phrase(int err);

/* Write val to dir/file in one write(); 0 or -errno. */
int limits_write(int dirfd, const char *file, const char *val);
/* Read dir/file whole into buf (size n, NUL-terminated); length or -errno. */
int limits_read(int dirfd, const char *file, char *buf, size_t n);
/* Read a file holding one integer ("max" gives INT64_MAX). */
int limits_read_i64(int dirfd, const char *file, int64_t *out);
/* Read the value of "key N" in a flat-keyed file such as memory.events. */
int limits_read_key(int dirfd, const char *file, const char *key,
		    int64_t *out);
/* Call fn for every pid in dir/cgroup.procs; count of pids or -errno. */
int limits_procs_each(int dirfd, int (*fn)(pid_t pid, void *arg), void *arg);

/* Find the cgroup2 mount (ctrl NULL) or the v1 one carrying ctrl. */
int limits_find_mount(const char *ctrl, struct limits_mount *m);
/* Our own cgroup directory in that hierarchy, into base (size n). */
int limits_own_base(const char *ctrl, char *base, size_t n);
/* Join a and b with '/' into out (size n); -ENAMETOOLONG when too long. */
int limits_join(char *out, size_t n, const char *a, const char *b);

#endif
