/* secmode: probe the supervision primitives in children; select a mode. */
#include "secmode/secmode.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#endif

/* Run fn in a forked child; its exit code, or EIO when it did not exit. */
static int secmode_in_child(int (*fn)(void))
{
	int st = 0;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn());
	if (pid < 0)
		return errno;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return EIO;
	return WIFEXITED(st) ? WEXITSTATUS(st) : EIO;
}

/* Install a filter sending getppid to action; 0 or errno. */
static int secmode_filter(unsigned action, unsigned flags)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, action),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {4, f};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return errno;
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog) >= 0 ?
		0 : errno;
}

static int secmode_notify_child(void)
{
	return secmode_filter(SECCOMP_RET_USER_NOTIF,
			      SECCOMP_FILTER_FLAG_NEW_LISTENER);
}

static int secmode_seccomp_child(void)
{
	return secmode_filter(SECCOMP_RET_TRACE, 0);
}

static int secmode_landlock_child(void)
{
	struct landlock_ruleset_attr a = {
		.handled_access_fs = LANDLOCK_ACCESS_FS_MAKE_FIFO};
	long fd = syscall(SYS_landlock_create_ruleset, &a, sizeof(a), 0);

	if (fd < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return errno;
	return syscall(SYS_landlock_restrict_self, fd, 0) == 0 ? 0 : errno;
}

static int secmode_ptrace_child(void)
{
	pid_t c = fork();
	int r;

	if (c == 0) {
		pause();
		_exit(0);
	}
	if (c < 0)
		return errno;
	r = ptrace(PTRACE_SEIZE, c, 0, 0) == 0 ? 0 : errno;
	if (r == 0)
		ptrace(PTRACE_DETACH, c, 0, 0);
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);
	return r;
}

void secmode_probe(struct secmode_probe *p)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
			   LANDLOCK_CREATE_RULESET_VERSION);

	p->landlock_abi = abi < 0 ? -errno : (int)abi;
	p->notify = secmode_in_child(secmode_notify_child);
	p->seccomp = secmode_in_child(secmode_seccomp_child);
	p->ptrace = secmode_in_child(secmode_ptrace_child);
	p->landlock = secmode_in_child(secmode_landlock_child);
}

bool secmode_available(const struct secmode_probe *p,
		       enum config_security_mode m)
{
	switch (m) {
	case CONFIG_SECMODE_FULL:
		return p->notify == 0;
	case CONFIG_SECMODE_PTRACE:
		return p->seccomp == 0 && p->ptrace == 0;
	case CONFIG_SECMODE_LANDLOCK:
		return p->seccomp == 0 && p->landlock == 0;
	case CONFIG_SECMODE_LANDLOCK_ONLY:
		return p->landlock == 0;
	case CONFIG_SECMODE_MINIMAL:
		return true;
	default:
		return false;
	}
}

enum config_security_mode secmode_select(const struct secmode_probe *p,
					 enum config_security_mode mode)
{
	int top = mode == CONFIG_SECMODE_AUTO ? CONFIG_SECMODE_FULL : (int)mode;

	for (int m = top; m > CONFIG_SECMODE_MINIMAL; m--)
		if (secmode_available(p, (enum config_security_mode)m))
			return (enum config_security_mode)m;
	return CONFIG_SECMODE_MINIMAL;
}

bool secmode_satisfies(enum config_security_mode selected,
		       enum config_security_mode min)
{
	return min == CONFIG_SECMODE_AUTO || selected >= min;
}
