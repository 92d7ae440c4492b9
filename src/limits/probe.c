/*
 * limits_probe: find out which cgroup mechanism can enforce each limit by
 * doing it: create a throw-away group, move a process in, write the
 * control files, remove the group.
 */
#include "limits/limits_int.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define LIMITS_PROBE_NAME_MAX 64 /* "agentsh-probe-<tid>" */

static const struct limits_ctl_file limits_ctl_files[LIMITS_KIND_COUNT] = {
	[LIMITS_MEMORY] = { "memory", "memory.max", LIMITS_V1_MEMORY,
			    "memory.limit_in_bytes" },
	[LIMITS_SWAP] = { "memory", "memory.swap.max", LIMITS_V1_MEMORY,
			  "memory.memsw.limit_in_bytes" },
	[LIMITS_CPU] = { "cpu", "cpu.max", LIMITS_V1_CPU, "cpu.cfs_quota_us" },
	[LIMITS_PIDS] = { "pids", "pids.max", LIMITS_V1_PIDS, "pids.max" },
};

const struct limits_ctl_file *limits_ctl_file(enum limits_kind k)
{
	return &limits_ctl_files[k];
}

const char *limits_kind_name(enum limits_kind k)
{
	static const char *const names[LIMITS_KIND_COUNT] = {
		"memory", "memory_swap", "cpu", "pids",
	};

	return (unsigned)k < LIMITS_KIND_COUNT ? names[k] : "?";
}

const char *limits_mech_name(enum limits_mech m)
{
	return m == LIMITS_MECH_V2 ? "v2" : m == LIMITS_MECH_V1 ? "v1" : "none";
}

const char *limits_v1_name(enum limits_v1 h)
{
	static const char *const names[LIMITS_V1_COUNT] = {
		"memory", "pids", "cpu", "cpuacct",
	};

	return (unsigned)h < LIMITS_V1_COUNT ? names[h] : "?";
}

/* A value that leaves a limit unlimited, to prove the file is writable. */
static const char *limits_probe_value(const char *file)
{
	if (strcmp(file, "cpu.max") == 0)
		return "max 100000";
	if (strstr(file, "in_bytes") != NULL || strstr(file, "quota") != NULL)
		return "-1";
	return "max";
}

/* Remove a probe group, waiting briefly for an exited child to leave. */
static void limits_probe_rmdir(int basefd, const char *name)
{
	for (int i = 0; i < LIMITS_RMDIR_TRIES; i++) {
		if (unlinkat(basefd, name, AT_REMOVEDIR) == 0 || errno != EBUSY)
			return;
		usleep(LIMITS_RETRY_SLEEP_US);
	}
}

/* Create BASE/agentsh-probe-<tid>; its fd, or -errno with w filled in. */
static int limits_probe_mkdir(int basefd, const char *base, char *name,
			      size_t n, struct limits_why *w)
{
	int fd, r;

	snprintf(name, n, "agentsh-probe-%ld", (long)gettid());
	if (mkdirat(basefd, name, 0755) < 0 && errno != EEXIST) {
		r = -errno;
		limits_why_set(w, r, "cannot create a group in %s: %s", base,
			       limits_err_phrase(r));
		goto out;
	}
	fd = openat(basefd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = fd < 0 ? -errno : fd;
	if (r < 0) {
		limits_why_set(w, r, "cannot open %s/%s: %s", base, name,
			       limits_err_phrase(r));
		limits_probe_rmdir(basefd, name);
		goto out;
	}
	r = limits_move_test(fd);
	if (r < 0) {
		limits_why_set(w, r, "cannot move a process into %s/%s: %s",
			       base, name, limits_err_phrase(r));
		close(fd);
		limits_probe_rmdir(basefd, name);
		goto out;
	}
	limits_why_set(w, 0, "%s (group created, process moved in)", base);
	r = fd;
out:
	return r;
}

/* Open base and make the probe group in it; group fd or -errno. */
static int limits_probe_open(const char *ctrl, char *base, size_t bn,
			     int *basefd, char *name, size_t nn,
			     struct limits_why *w)
{
	const char *what = ctrl != NULL ? ctrl : "cgroup2";
	struct limits_mount m;
	int r = limits_find_mount(ctrl, &m);

	if (r < 0) {
		limits_why_set(w, r, "no %s hierarchy is mounted", what);
		goto out;
	}
	r = limits_own_base(ctrl, base, bn);
	if (r < 0) {
		limits_why_set(w, r, "our own %s cgroup is not visible under "
			       "%s", what, m.dir);
		goto out;
	}
	*basefd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*basefd < 0) {
		r = -errno;
		limits_why_set(w, r, "cannot open %s: %s", base,
			       limits_err_phrase(r));
		goto out;
	}
	r = limits_probe_mkdir(*basefd, base, name, nn, w);
	if (r < 0) {
		close(*basefd);
		*basefd = -1;
	}
out:
	if (r < 0)
		base[0] = '\0';
	return r;
}

/* Does clone3(CLONE_INTO_CGROUP) put a child into the group of dirfd? */
static bool limits_probe_clone3(int dirfd)
{
	struct clone_args a;
	long pid;
	int st;

	memset(&a, 0, sizeof(a));
	a.flags = CLONE_INTO_CGROUP;
	a.exit_signal = SIGCHLD;
	a.cgroup = (uint64_t)dirfd;
	pid = syscall(SYS_clone3, &a, sizeof(a));
	if (pid == 0)
		syscall(SYS_exit_group, 0);
	if (pid < 0)
		return false;
	while (waitpid((pid_t)pid, &st, 0) < 0 && errno == EINTR)
		;
	return true;
}

/* Enable ctrl for our subtree, then write its limit file in the group. */
static void limits_probe_v2_limit(struct limits_env *env, int basefd,
				  int fd, enum limits_kind k)
{
	const struct limits_ctl_file *f = limits_ctl_file(k);
	struct limits_why *w = &env->limit[k].v2;
	char plus[LIMITS_PROBE_NAME_MAX];
	int r;

	snprintf(plus, sizeof(plus), "+%s", f->v2_ctrl);
	r = limits_write(basefd, "cgroup.subtree_control", plus);
	if (r < 0) {
		limits_why_set(w, r, "cgroup v2: cannot enable the %s "
			       "controller in %s/cgroup.subtree_control: %s%s",
			       f->v2_ctrl, env->v2_base, limits_err_phrase(r),
			       r == -ENOENT ? "; it is bound to a v1 hierarchy"
			       " or not built" : r == -EBUSY ? "; our cgroup "
			       "holds processes (no internal processes)" : "");
		return;
	}
	r = limits_write(fd, f->v2_file, limits_probe_value(f->v2_file));
	if (r < 0)
		limits_why_set(w, r, "cgroup v2: cannot write %s: %s",
			       f->v2_file, limits_err_phrase(r));
	else
		limits_why_set(w, 0, "cgroup v2: %s in %s", f->v2_file,
			       env->v2_base);
}

static void limits_probe_v2(struct limits_env *env)
{
	char name[LIMITS_PROBE_NAME_MAX];
	int basefd = -1, fd;

	fd = limits_probe_open(NULL, env->v2_base, sizeof(env->v2_base),
			       &basefd, name, sizeof(name), &env->v2_core);
	if (fd < 0) {
		for (int k = 0; k < LIMITS_KIND_COUNT; k++)
			limits_why_set(&env->limit[k].v2, fd, "cgroup v2: %s",
				       env->v2_core.text);
		return;
	}
	/* Writing 1 to cgroup.kill of an empty group does nothing else. */
	env->v2_kill = limits_write(fd, "cgroup.kill", "1") == 0;
	env->v2_clone_into = limits_probe_clone3(fd);
	for (int k = 0; k < LIMITS_KIND_COUNT; k++)
		limits_probe_v2_limit(env, basefd, fd, (enum limits_kind)k);
	close(fd);
	limits_probe_rmdir(basefd, name);
	close(basefd);
}

/* Write each v1 limit file carried by hierarchy h in the probe group. */
static void limits_probe_v1_files(struct limits_env *env, enum limits_v1 h,
				  int fd)
{
	for (int k = 0; k < LIMITS_KIND_COUNT; k++) {
		const struct limits_ctl_file *f = limits_ctl_file(k);
		struct limits_why *w = &env->limit[k].v1;
		int r;

		if (f->v1 != h)
			continue;
		r = limits_write(fd, f->v1_file,
				 limits_probe_value(f->v1_file));
		if (r < 0)
			limits_why_set(w, r, "cgroup v1: cannot write %s: %s%s",
				       f->v1_file, limits_err_phrase(r),
				       k == LIMITS_SWAP && r == -ENOENT ?
				       " (swap accounting is off)" : "");
		else
			limits_why_set(w, 0, "cgroup v1: %s in %s", f->v1_file,
				       env->v1_base[h]);
	}
}

static void limits_probe_v1(struct limits_env *env, enum limits_v1 h)
{
	struct limits_why *w = &env->v1[h];
	char name[LIMITS_PROBE_NAME_MAX];
	int basefd = -1, fd;
	int64_t v;

	fd = limits_probe_open(limits_v1_name(h), env->v1_base[h],
			       sizeof(env->v1_base[h]), &basefd, name,
			       sizeof(name), w);
	for (int k = 0; fd < 0 && k < LIMITS_KIND_COUNT; k++) {
		if (limits_ctl_file(k)->v1 == h)
			limits_why_set(&env->limit[k].v1, fd, "cgroup v1: %s",
				       w->text);
	}
	if (fd < 0)
		return;
	limits_probe_v1_files(env, h, fd);
	if (h == LIMITS_V1_CPUACCT &&
	    limits_read_i64(fd, "cpuacct.usage", &v) < 0) {
		limits_why_set(w, -ENOENT, "cannot read cpuacct.usage");
		env->v1_base[h][0] = '\0';
	}
	close(fd);
	limits_probe_rmdir(basefd, name);
	close(basefd);
}

/* Pick v2 where it works, else v1, else none, per limit. */
static void limits_probe_choose(struct limits_env *env)
{
	for (int k = 0; k < LIMITS_KIND_COUNT; k++) {
		struct limits_support *s = &env->limit[k];

		s->mech = s->v2.err == 0 ? LIMITS_MECH_V2 :
			  s->v1.err == 0 ? LIMITS_MECH_V1 : LIMITS_MECH_NONE;
	}
	/* Swap is set in the memory controller's group: same version. */
	if (env->limit[LIMITS_SWAP].mech != env->limit[LIMITS_MEMORY].mech) {
		struct limits_support *s = &env->limit[LIMITS_SWAP];
		enum limits_mech m = env->limit[LIMITS_MEMORY].mech;
		struct limits_why *w = m == LIMITS_MECH_V2 ? &s->v2 : &s->v1;

		s->mech = w->err == 0 ? m : LIMITS_MECH_NONE;
	}
}

int limits_probe(struct limits_env **out)
{
	struct limits_env *env = calloc(1, sizeof(*env));
	int r = 0;

	*out = NULL;
	if (env == NULL) {
		r = -ENOMEM;
		goto out;
	}
	limits_probe_v2(env);
	for (int h = 0; h < LIMITS_V1_COUNT; h++)
		limits_probe_v1(env, (enum limits_v1)h);
	limits_probe_choose(env);
	*out = env;
out:
	return r;
}

void limits_env_free(struct limits_env *env)
{
	free(env);
}
