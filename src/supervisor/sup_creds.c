/*
 * Emulated calls run with the target's filesystem identity: fsuid, fsgid
 * and supplementary groups are per-thread in the kernel (the raw system
 * calls, not glibc's process-wide wrappers), and a root daemon with a
 * non-zero fsuid loses CAP_DAC_OVERRIDE and friends until it switches back.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "supervisor/sup_int.h"

#define SUP_STATUS_MAX 4096 /* bytes of /proc/<pid>/status read */

/* The numbers after "Key:" (at most max); count or -EINVAL. */
static int sup_status_nums(const char *st, const char *key, int base,
			   unsigned long *v, int max)
{
	const char *p = strstr(st, key);
	char *end;
	int n = 0;

	if (p == NULL)
		return -EINVAL;
	p += strlen(key);
	while (n < max) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p < '0' || *p > '9')
			break;
		errno = 0;
		v[n] = strtoul(p, &end, base);
		if (errno || end == p)
			return -EINVAL;
		n++;
		p = end;
	}
	return n;
}

static int sup_creds_read(pid_t pid, struct sup_creds *c)
{
	char path[SUP_PROC_PATH_MAX], st[SUP_STATUS_MAX];
	unsigned long v[SUP_GROUPS_MAX];
	ssize_t r;
	int fd, n;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = read(fd, st, sizeof(st) - 1);
	close(fd);
	if (r <= 0)
		return -EIO;
	st[r] = '\0';
	if (sup_status_nums(st, "\nUmask:", 8, v, 1) != 1)
		return -EINVAL;
	c->umask = (mode_t)v[0] & 0777;
	if (sup_status_nums(st, "\nUid:", 10, v, 4) != 4)
		return -EINVAL;
	c->fsuid = (uid_t)v[3];
	if (sup_status_nums(st, "\nGid:", 10, v, 4) != 4)
		return -EINVAL;
	c->fsgid = (gid_t)v[3];
	n = sup_status_nums(st, "\nGroups:", 10, v, SUP_GROUPS_MAX);
	c->ngroups = n < 0 ? 0 : n;
	for (int i = 0; i < c->ngroups; i++)
		c->groups[i] = (gid_t)v[i];
	return 0;
}

int sup_creds_enter(pid_t pid, struct sup_creds *c)
{
	int ret = sup_creds_read(pid, c);

	c->switched = false;
	if (ret < 0)
		return ret;
	c->old_umask = umask(c->umask);
	if (c->fsuid == geteuid() && c->fsgid == getegid())
		return 0;
	c->nown = getgroups(SUP_GROUPS_MAX, c->own);
	if (c->nown < 0)
		c->nown = 0;
	c->switched = true;
	if (syscall(SYS_setgroups, (size_t)c->ngroups, c->groups) < 0 ||
	    (syscall(SYS_setfsgid, c->fsgid),
	     syscall(SYS_setfsgid, (gid_t)-1) != (long)c->fsgid) ||
	    (syscall(SYS_setfsuid, c->fsuid),
	     syscall(SYS_setfsuid, (uid_t)-1) != (long)c->fsuid)) {
		ret = -EPERM;
		sup_creds_leave(c);
	}
	return ret;
}

void sup_creds_leave(struct sup_creds *c)
{
	umask(c->old_umask);
	if (!c->switched)
		return;
	syscall(SYS_setfsuid, geteuid());
	syscall(SYS_setfsgid, getegid());
	syscall(SYS_setgroups, (size_t)c->nown, c->own);
	c->switched = false;
}
