/*
 * One command's groups: created under our own cgroup in every usable
 * hierarchy (the v2 tree and the v1 memory, pids, cpu, cpuacct ones),
 * limited, attached, killed, measured and removed.
 */
#include "limits/limits_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/str.h"

#define LIMITS_G_V2 0                          /* index of the v2 group */
#define LIMITS_GROUPS (1 + LIMITS_V1_COUNT)    /* v2, then one per v1 */
#define LIMITS_NUM_MAX 64          /* a control value such as "max 100000" */
#define LIMITS_CTRLS_MAX 64        /* "+memory +pids +cpu" */
#define LIMITS_MKDIR_TRIES 3       /* when a parent vanishes under us */
#define LIMITS_PIDS_CEIL (1 << 22) /* PID_MAX_LIMIT: above it means "max" */
#define LIMITS_CPU_MIN_US 1000     /* smallest quota the kernel accepts */
#define LIMITS_CPU_PERCENT_MAX 10000000 /* 100000 CPUs: far above any host */

struct limits_grp {
	int fd;      /* the group directory, -1 when there is none */
	int alias;   /* index of the group sharing this directory, or -1 */
	size_t base_len;             /* length of the base part of path */
	char path[LIMITS_PATH_MAX];  /* BASE/name; "" once removed */
};

struct limits_cmd {
	struct limits_grp g[LIMITS_GROUPS];
	enum limits_mech mech[LIMITS_KIND_COUNT];
	bool v2_kill;
};

/* One to LIMITS_NAME_DEPTH components of [A-Za-z0-9._-], no "." or "..". */
static bool limits_name_ok(const char *name)
{
	size_t len = strlen(name), start = 0;
	int depth = 0;

	if (len == 0 || len >= LIMITS_NAME_MAX)
		return false;
	for (size_t i = 0; i <= len; i++) {
		char ch = name[i];
		size_t cl = i - start;

		if (ch == '/' || ch == '\0') {
			if (cl == 0 || ++depth > LIMITS_NAME_DEPTH ||
			    (cl <= 2 && strncmp(name + start, "..", cl) == 0))
				return false;
			start = i + 1;
		} else if (!(ch >= 'a' && ch <= 'z') && !(ch >= 'A' &&
			   ch <= 'Z') && !(ch >= '0' && ch <= '9') &&
			   ch != '.' && ch != '_' && ch != '-') {
			return false;
		}
	}
	return true;
}

/* The fd of the group for hierarchy index i, following an alias. */
static int limits_gfd(const struct limits_cmd *c, int i)
{
	const struct limits_grp *g = &c->g[i];

	return g->alias >= 0 ? c->g[g->alias].fd : g->fd;
}

/* Make every parent of name below basefd (enabling ctrls), then name. */
static int limits_mkdir_chain(int basefd, const char *name, const char *ctrls)
{
	char part[LIMITS_NAME_MAX], file[LIMITS_NAME_MAX + 32];
	int r = ctrls != NULL ?
		limits_write(basefd, "cgroup.subtree_control", ctrls) : 0;

	str_lcpy(part, name, sizeof(part));
	for (char *s = strchr(part, '/'); r == 0 && s != NULL;
	     s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdirat(basefd, part, 0755) < 0 && errno != EEXIST)
			r = -errno;
		if (r == 0 && ctrls != NULL) {
			r = limits_join(file, sizeof(file), part,
					"cgroup.subtree_control");
			r = r < 0 ? r : limits_write(basefd, file, ctrls);
		}
		*s = '/';
	}
	if (r == 0 && mkdirat(basefd, name, 0755) < 0)
		r = -errno;
	return r;
}

/* rmdir the parents of path (down to base_len) while they are empty. */
static void limits_prune(char *path, size_t base_len)
{
	char *slash;

	while ((slash = strrchr(path, '/')) != NULL &&
	       (size_t)(slash - path) > base_len) {
		*slash = '\0';
		if (rmdir(path) < 0)
			break;
	}
}

/* Create BASE/name for group g; 0 or -errno. */
static int limits_grp_make(struct limits_grp *g, const char *base,
			   const char *name, const char *ctrls)
{
	int basefd, r = limits_join(g->path, sizeof(g->path), base, name);
	bool made = false;

	if (r < 0)
		goto out;
	g->base_len = strlen(base);
	basefd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (basefd < 0) {
		r = -errno;
		goto out;
	}
	/* A concurrent remove may take away a parent we just made. */
	for (int i = 0; i < LIMITS_MKDIR_TRIES; i++) {
		r = limits_mkdir_chain(basefd, name, ctrls);
		if (r != -ENOENT)
			break;
	}
	made = r == 0;
	if (made) {
		g->fd = openat(basefd, name, O_RDONLY | O_DIRECTORY |
			       O_CLOEXEC);
		r = g->fd < 0 ? -errno : 0;
	}
	close(basefd);
	/* A leaf we did not make is not ours; parents we made may go. */
	if (!made && r != -EEXIST)
		limits_prune(g->path, g->base_len);
out:
	/* Keep path when the leaf exists: limits_cmd_remove must take it. */
	if (r < 0 && !made)
		g->path[0] = '\0';
	return r;
}

/* "+memory +pids +cpu": the v2 controllers our limits use. */
static void limits_v2_ctrls(const struct limits_env *env, char *out,
			    size_t n)
{
	size_t len = 0;

	out[0] = '\0';
	for (int k = 0; k < LIMITS_KIND_COUNT; k++) {
		const char *ctrl = limits_ctl_file(k)->v2_ctrl;

		if (env->limit[k].mech != LIMITS_MECH_V2 ||
		    strstr(out, ctrl) != NULL)
			continue;
		snprintf(out + len, n - len, "%s+%s", len ? " " : "", ctrl);
		len = strlen(out);
	}
}

/* Is v1 hierarchy h used for this command (a limit or usage figures)? */
static bool limits_v1_wanted(const struct limits_env *env, int h)
{
	if (env->v1_base[h][0] == '\0')
		return false;
	if (h == LIMITS_V1_CPUACCT)
		return env->v2_base[0] == '\0';
	for (int k = 0; k < LIMITS_KIND_COUNT; k++) {
		if ((int)limits_ctl_file(k)->v1 == h &&
		    env->limit[k].mech == LIMITS_MECH_V1)
			return true;
	}
	return false;
}

/* Create every group the command needs; on error some may exist. */
static int limits_cmd_make(struct limits_cmd *c, const struct limits_env *env,
			   const char *name)
{
	char ctrls[LIMITS_CTRLS_MAX];
	int r = 0;

	limits_v2_ctrls(env, ctrls, sizeof(ctrls));
	if (env->v2_base[0] != '\0')
		r = limits_grp_make(&c->g[LIMITS_G_V2], env->v2_base, name,
				    ctrls[0] != '\0' ? ctrls : NULL);
	for (int h = 0; r == 0 && h < LIMITS_V1_COUNT; h++) {
		struct limits_grp *g = &c->g[1 + h];

		if (!limits_v1_wanted(env, h))
			continue;
		/* Co-mounted hierarchies (cpu,cpuacct) share one directory. */
		for (int j = 0; j < h && g->alias < 0; j++) {
			if (c->g[1 + j].fd >= 0 &&
			    strcmp(env->v1_base[j], env->v1_base[h]) == 0)
				g->alias = 1 + j;
		}
		if (g->alias < 0)
			r = limits_grp_make(g, env->v1_base[h], name, NULL);
	}
	return r;
}

/* Text to write for limit k with value v under mechanism m. */
static int limits_text(enum limits_kind k, enum limits_mech m, int64_t v,
		       const struct policy_limits *l, char *out, size_t n)
{
	const int64_t mib = 1 << 20;
	int64_t q;
	int r = 0;

	if ((k == LIMITS_MEMORY || k == LIMITS_SWAP) &&
	    v > INT64_MAX / mib / 2) {
		r = -ERANGE;
	} else if (k == LIMITS_MEMORY) {
		snprintf(out, n, "%" PRId64, v * mib);
	} else if (k == LIMITS_SWAP && m == LIMITS_MECH_V2) {
		snprintf(out, n, "%" PRId64, v * mib);
	} else if (k == LIMITS_SWAP) {
		/* v1 bounds memory+swap together (memory was checked first). */
		if (l->max_memory_mb < 0)
			r = -EINVAL;
		else
			snprintf(out, n, "%" PRId64,
				 (v + l->max_memory_mb) * mib);
	} else if (k == LIMITS_CPU && v > LIMITS_CPU_PERCENT_MAX) {
		r = -ERANGE;
	} else if (k == LIMITS_CPU) {
		q = v * (LIMITS_CPU_PERIOD_US / 100);
		q = q < LIMITS_CPU_MIN_US ? LIMITS_CPU_MIN_US : q;
		if (m == LIMITS_MECH_V2)
			snprintf(out, n, "%" PRId64 " %d", q,
				 LIMITS_CPU_PERIOD_US);
		else
			snprintf(out, n, "%" PRId64, q);
	} else if (v >= LIMITS_PIDS_CEIL) {
		snprintf(out, n, "max");
	} else {
		snprintf(out, n, "%" PRId64, v);
	}
	return r;
}

/* Write limit k; v1 CPU also needs the period set first. */
static int limits_set_one(struct limits_cmd *c, const struct policy_limits *l,
			  enum limits_kind k)
{
	const struct limits_ctl_file *f = limits_ctl_file(k);
	enum limits_mech m = c->mech[k];
	char text[LIMITS_NUM_MAX], period[LIMITS_NUM_MAX];
	int fd = m == LIMITS_MECH_V2 ? limits_gfd(c, LIMITS_G_V2) :
		 limits_gfd(c, 1 + f->v1);
	int r;

	if (m == LIMITS_MECH_NONE || fd < 0) {
		r = -EOPNOTSUPP;
		goto out;
	}
	r = limits_text(k, m, limits_value(l, k), l, text, sizeof(text));
	if (r < 0)
		goto out;
	if (k == LIMITS_CPU && m == LIMITS_MECH_V1) {
		snprintf(period, sizeof(period), "%d", LIMITS_CPU_PERIOD_US);
		r = limits_write(fd, "cpu.cfs_period_us", period);
		if (r < 0)
			goto out;
	}
	r = limits_write(fd, m == LIMITS_MECH_V2 ? f->v2_file : f->v1_file,
			 text);
out:
	return r;
}

int limits_cmd_new(const struct limits_env *env, const char *name,
		   const struct policy_limits *l, struct limits_cmd **out)
{
	struct limits_cmd *c = NULL;
	int r = 0;

	*out = NULL;
	if (!limits_name_ok(name)) {
		r = -EINVAL;
		goto out;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		r = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < LIMITS_GROUPS; i++)
		c->g[i].fd = c->g[i].alias = -1;
	for (int k = 0; k < LIMITS_KIND_COUNT; k++)
		c->mech[k] = env->limit[k].mech;
	c->v2_kill = env->v2_kill;
	r = limits_cmd_make(c, env, name);
	/* Memory before swap: v1 wants memsw >= the memory limit. */
	for (int k = 0; r == 0 && k < LIMITS_KIND_COUNT; k++) {
		if (limits_value(l, k) >= 0)
			r = limits_set_one(c, l, k);
	}
	if (r == 0)
		*out = c;
out:
	if (r < 0)
		limits_cmd_free(c);
	return r;
}

int limits_cmd_attach(struct limits_cmd *c, pid_t pid)
{
	char num[LIMITS_NUM_MAX];
	int r = 0;

	/* Moving ourselves in would let limits_cmd_kill kill the daemon. */
	if (pid <= 0 || pid == getpid()) {
		r = -EINVAL;
		goto out;
	}
	snprintf(num, sizeof(num), "%d", (int)pid);
	for (int i = 0; r == 0 && i < LIMITS_GROUPS; i++) {
		if (c->g[i].fd >= 0)
			r = limits_write(c->g[i].fd, "cgroup.procs", num);
	}
out:
	return r;
}

int limits_cmd_cgroup_fd(const struct limits_cmd *c)
{
	return c->g[LIMITS_G_V2].fd >= 0 ? c->g[LIMITS_G_V2].fd : -ENOENT;
}

/* cgroup.procs walker: SIGKILL one pid, never ourselves or init. */
static int limits_kill_one(pid_t pid, void *arg)
{
	if (pid > 1 && pid != getpid())
		kill(pid, SIGKILL);
	return 0;
}

/* Count (and with fn, signal) the processes; the largest group's count. */
static int limits_walk(const struct limits_cmd *c,
		       int (*fn)(pid_t pid, void *arg), int *n)
{
	int r = 0, m;

	*n = 0;
	for (int i = 0; i < LIMITS_GROUPS; i++) {
		if (c->g[i].fd < 0)
			continue;
		m = limits_procs_each(c->g[i].fd, fn, NULL);
		if (m < 0) {
			r = m;
			break;
		}
		*n = m > *n ? m : *n;
	}
	return r;
}

int limits_cmd_count(const struct limits_cmd *c, int *n)
{
	return limits_walk(c, NULL, n);
}

int limits_cmd_kill(struct limits_cmd *c)
{
	int r = 0, n = 0;

	if (c->v2_kill && c->g[LIMITS_G_V2].fd >= 0)
		r = limits_write(c->g[LIMITS_G_V2].fd, "cgroup.kill", "1");
	/* Without cgroup.kill, or for stragglers: kill what is listed. */
	for (int i = 0; i < LIMITS_KILL_ROUNDS; i++) {
		r = limits_walk(c, limits_kill_one, &n);
		if (r < 0 || n == 0)
			break;
		usleep(LIMITS_RETRY_SLEEP_US);
	}
	if (r == 0 && n > 0)
		r = -ETIMEDOUT;
	return r;
}

/* Read a number that may be missing; -1 when it is. */
static int64_t limits_stat(int fd, const char *file, const char *key)
{
	int64_t v = -1;
	int r = fd < 0 ? -EBADF : key != NULL ?
		limits_read_key(fd, file, key, &v) :
		limits_read_i64(fd, file, &v);

	return r < 0 ? -1 : v;
}

int limits_cmd_stats(const struct limits_cmd *c, struct limits_stats *st)
{
	int v2 = limits_gfd(c, LIMITS_G_V2);
	int mem = limits_gfd(c, 1 + LIMITS_V1_MEMORY);
	int pids = limits_gfd(c, 1 + LIMITS_V1_PIDS);
	int64_t ns;

	if (c->mech[LIMITS_MEMORY] == LIMITS_MECH_V2) {
		st->memory_peak_bytes = limits_stat(v2, "memory.peak", NULL);
		st->oom_kills = limits_stat(v2, "memory.events", "oom_kill");
	} else {
		st->memory_peak_bytes = limits_stat(mem,
			"memory.max_usage_in_bytes", NULL);
		st->oom_kills = limits_stat(mem, "memory.oom_control",
					    "oom_kill");
	}
	st->oom_killed = st->oom_kills > 0;
	st->pids_max_hits = limits_stat(c->mech[LIMITS_PIDS] == LIMITS_MECH_V2 ?
					v2 : pids, "pids.events", "max");
	st->cpu_usage_usec = limits_stat(v2, "cpu.stat", "usage_usec");
	if (st->cpu_usage_usec < 0) {
		ns = limits_stat(limits_gfd(c, 1 + LIMITS_V1_CPUACCT),
				 "cpuacct.usage", NULL);
		st->cpu_usage_usec = ns < 0 ? -1 : ns / 1000;
	}
	return 0;
}

/* rmdir the group, then its parents below the base while they are empty. */
static int limits_grp_remove(struct limits_grp *g)
{
	int r = -EBUSY;

	for (int i = 0; i < LIMITS_RMDIR_TRIES && r == -EBUSY; i++) {
		r = rmdir(g->path) == 0 || errno == ENOENT ? 0 : -errno;
		if (r == -EBUSY)
			usleep(LIMITS_RETRY_SLEEP_US);
	}
	if (r < 0)
		goto out;
	limits_prune(g->path, g->base_len);
	g->path[0] = '\0';
	if (g->fd >= 0)
		close(g->fd);
	g->fd = -1;
out:
	return r;
}

int limits_cmd_remove(struct limits_cmd *c)
{
	int r = 0, e;

	for (int i = 0; i < LIMITS_GROUPS; i++) {
		if (c->g[i].alias >= 0 || c->g[i].path[0] == '\0')
			continue;
		e = limits_grp_remove(&c->g[i]);
		r = r < 0 ? r : e;
	}
	return r;
}

int limits_cmd_remove_idle(struct limits_cmd *c)
{
	int n = 0, r = limits_cmd_count(c, &n);

	if (r == 0 && n > 0)
		r = -EBUSY;
	return r < 0 ? r : limits_cmd_remove(c);
}

void limits_cmd_free(struct limits_cmd *c)
{
	int n = 0;

	if (c == NULL)
		return;
	if (limits_cmd_count(c, &n) == 0 && n > 0)
		limits_cmd_kill(c);
	if (limits_cmd_remove(c) == -EBUSY) {
		limits_cmd_kill(c);
		limits_cmd_remove(c);
	}
	for (int i = 0; i < LIMITS_GROUPS; i++) {
		if (c->g[i].fd >= 0)
			close(c->g[i].fd);
	}
	free(c);
}
