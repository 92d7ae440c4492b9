/*
 * Test helper: install a seccomp user-notify filter, keep its listener open,
 * and run a command under it. Inside, installing another user-notify filter
 * fails with EBUSY, as in a Daytona (Sysbox) sandbox whose runtime holds
 * the one listener a task's filter chain may have.
 *   hold_listener COMMAND [ARGS...]
 */
#include <errno.h>
#include <signal.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile pid_t hold_child;

static void hold_forward(int sig)
{
	if (hold_child > 0)
		kill(hold_child, sig);
}

int main(int argc, char **argv)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_acct, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {4, f};
	long fd;
	pid_t pid;
	int st = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: hold_listener COMMAND [ARGS...]\n");
		return 2;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    (fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			  SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog)) < 0) {
		perror("hold_listener: seccomp");
		return 2;
	}
	pid = fork();
	if (pid == 0) {
		close((int)fd);
		/* Die with the holder, as the runtime's processes would. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	/* Pass termination on, so that stopping the holder stops the command. */
	signal(SIGTERM, hold_forward);
	signal(SIGINT, hold_forward);
	hold_child = pid;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	close((int)fd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
