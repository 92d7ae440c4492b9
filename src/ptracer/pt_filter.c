/* The tracee's BPF program: exec goes to the tracer, the rest is allowed. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ptracer/ptracer.h"

#define PT_X32_BIT 0x40000000u

#define PT_LD(field) \
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
#define PT_RET(v) BPF_STMT(BPF_RET | BPF_K, (v))

/* Foreign ABIs (i386 via int 0x80, x32) are killed: one syscall table. */
static const struct sock_filter ptracer_prog[] = {
	PT_LD(arch),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
	PT_RET(SECCOMP_RET_KILL_PROCESS),
	PT_LD(nr),
	BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, PT_X32_BIT, 0, 1),
	PT_RET(SECCOMP_RET_KILL_PROCESS),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_execve, 1, 0),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_execveat, 0, 1),
	PT_RET(SECCOMP_RET_TRACE | (PTRACER_SECCOMP_DATA & SECCOMP_RET_DATA)),
	PT_RET(SECCOMP_RET_ALLOW),
};

int ptracer_filter_build(struct ptracer_filter *f)
{
	size_t n = sizeof(ptracer_prog) / sizeof(ptracer_prog[0]);

	if (n > PTRACER_FILTER_MAX)
		return -ENOSPC;
	memcpy(f->insn, ptracer_prog, sizeof(ptracer_prog));
	f->prog.len = (unsigned short)n;
	f->prog.filter = f->insn;
	return 0;
}

int ptracer_install(const struct sock_fprog *prog)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) < 0)
		return -errno;
	return 0;
}
