/* The supervisor's BPF program and its installation. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/proto.h"
#include "supervisor/supervisor.h"

#define SUP_X32_BIT 0x40000000u

/* Refused with EPERM: tracing, foreign memory, kernel state, mounts. */
static const unsigned int sup_denied[] = {
	__NR_ptrace, __NR_process_vm_readv, __NR_process_vm_writev,
	__NR_io_uring_setup, __NR_io_uring_enter, __NR_io_uring_register,
	__NR_kexec_load, __NR_kexec_file_load, __NR_init_module,
	__NR_finit_module, __NR_delete_module, __NR_mount, __NR_umount2,
	__NR_pivot_root, __NR_bpf, __NR_userfaultfd, __NR_perf_event_open,
	__NR_keyctl, __NR_add_key, __NR_request_key,
	/* Opens that would bypass the notified ones. */
	__NR_open_by_handle_at,
};

/* Decided by the supervisor. creat() is an open too. */
static const unsigned int sup_notified[] = {
	__NR_execve, __NR_execveat, __NR_open, __NR_openat, __NR_openat2,
	__NR_creat,
};

#define SUP_NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct sup_emit {
	struct sock_filter *v;
	size_t n, cap;
};

static void sup_put(struct sup_emit *e, struct sock_filter ins)
{
	if (e->n < e->cap)
		e->v[e->n] = ins;
	e->n++;
}

static void sup_put_ld(struct sup_emit *e, size_t off)
{
	sup_put(e, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						(unsigned int)off));
}

static void sup_put_ret(struct sup_emit *e, unsigned int ret)
{
	sup_put(e, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, ret));
}

/* if (A == k) return ret; */
static void sup_put_match(struct sup_emit *e, unsigned int k, unsigned int ret)
{
	sup_put(e, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, k,
						 0, 1));
	sup_put_ret(e, ret);
}

int sup_filter_build(struct sup_filter *f)
{
	struct sup_emit e = {f->insn, 0, SUP_FILTER_MAX};
	unsigned int eperm = SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA);
	size_t i;

	/* Only native x86-64 system calls; x32 and others are killed. */
	sup_put_ld(&e, offsetof(struct seccomp_data, arch));
	sup_put(&e, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						  AUDIT_ARCH_X86_64, 1, 0));
	sup_put_ret(&e, SECCOMP_RET_KILL_PROCESS);
	sup_put_ld(&e, offsetof(struct seccomp_data, nr));
	sup_put(&e, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K,
						  SUP_X32_BIT, 0, 1));
	sup_put_ret(&e, SECCOMP_RET_KILL_PROCESS);
	for (i = 0; i < SUP_NELEM(sup_denied); i++)
		sup_put_match(&e, sup_denied[i], eperm);
	for (i = 0; i < SUP_NELEM(sup_notified); i++)
		sup_put_match(&e, sup_notified[i], SECCOMP_RET_USER_NOTIF);
	/* The session marker probe, as common/marker.c answers it. */
	sup_put(&e, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						  __NR_prctl, 0, 3));
	sup_put_ld(&e, offsetof(struct seccomp_data, args[0]));
	sup_put_match(&e, AGENTSH_PROBE_OPTION,
		      SECCOMP_RET_ERRNO |
		      (AGENTSH_PROBE_ERRNO & SECCOMP_RET_DATA));
	sup_put_ret(&e, SECCOMP_RET_ALLOW);
	if (e.n > e.cap)
		return -ENOSPC;
	f->prog.len = (unsigned short)e.n;
	f->prog.filter = f->insn;
	return 0;
}

int sup_install(const struct sock_fprog *prog)
{
	long fd;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		     SECCOMP_FILTER_FLAG_NEW_LISTENER, prog);
	if (fd < 0)
		return -errno;
	return (int)fd;
}
