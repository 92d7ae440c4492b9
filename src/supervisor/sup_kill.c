/* Signals to other processes: decided on the target pid, then continued
 * (the arguments are values, so there is nothing to race). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "supervisor/sup_int.h"

#define SUP_FDINFO_MAX 1024 /* bytes of /proc/<pid>/fdinfo/<fd> read */

/* The pid a target's pidfd refers to, from its fdinfo; pid or -errno. */
static pid_t sup_pidfd_pid(pid_t pid, int fd)
{
	char path[SUP_PROC_PATH_MAX], buf[SUP_FDINFO_MAX], *p, *end;
	ssize_t r;
	long v;
	int f;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fd);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -EBADF;
	r = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (r <= 0)
		return -EBADF;
	buf[r] = '\0';
	p = strstr(buf, "\nPid:");
	if (p == NULL)
		return -EBADF; /* not a pidfd */
	errno = 0;
	v = strtol(p + 5, &end, 10);
	if (errno || end == p + 5 || v <= 0)
		return -ESRCH; /* the process is gone (-1) */
	return (pid_t)v;
}

int sup_do_kill(struct sup_req *q)
{
	const __u64 *a = q->n->data.args;
	struct sup_kill_req r = {0};

	switch (q->n->data.nr) {
	case __NR_kill:
	case __NR_tkill:
	case __NR_rt_sigqueueinfo:
		r.target = (pid_t)a[0];
		r.sig = (int)a[1];
		break;
	case __NR_tgkill:
	case __NR_rt_tgsigqueueinfo:
		r.target = (pid_t)a[1];
		r.sig = (int)a[2];
		break;
	case __NR_pidfd_send_signal:
		r.target = sup_pidfd_pid(q->pid, (int)a[0]);
		r.sig = (int)a[1];
		if (r.target < 0)
			return sup_respond(q, r.target, 0);
		break;
	default:
		return sup_deny(q);
	}
	switch (q->ops->kill ? q->ops->kill(q->arg, q->pid, &r) : SUP_DENY) {
	case SUP_ALLOW:
		return sup_respond(q, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
	case SUP_ABSORB:
		return sup_respond(q, 0, 0);
	default:
		return sup_respond(q, -EPERM, 0);
	}
}
