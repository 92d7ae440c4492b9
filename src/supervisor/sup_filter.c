/* The supervisor's BPF program and its installation. */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/proto.h"
#include "supervisor/supervisor.h"
#include "supervisor/sup_int.h"

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
	/* Other processes' descriptors and memory. */
	__NR_pidfd_getfd, __NR_process_madvise,
	/* The new mount API, namespaces of others, machine state. */
	__NR_open_tree, __NR_move_mount, __NR_fsopen, __NR_fsconfig,
	__NR_fsmount, __NR_fspick, __NR_mount_setattr, __NR_setns,
	__NR_acct, __NR_swapon, __NR_swapoff, __NR_reboot, __NR_iopl,
	__NR_ioperm, __NR_quotactl, __NR_syslog, __NR_vhangup,
};

/* Decided by the supervisor. creat() is an open too. */
static const unsigned int sup_notified[] = {
	__NR_execve, __NR_execveat, __NR_open, __NR_openat, __NR_openat2,
	__NR_creat, __NR_unlink, __NR_unlinkat, __NR_rmdir, __NR_rename,
	__NR_renameat, __NR_renameat2, __NR_mkdir, __NR_mkdirat, __NR_link,
	__NR_linkat, __NR_symlink, __NR_symlinkat, __NR_chmod, __NR_fchmodat,
	SUP_NR_FCHMODAT2, __NR_truncate, __NR_connect, __NR_sendmsg,
	__NR_sendmmsg, __NR_kill, __NR_tkill, __NR_tgkill,
	__NR_pidfd_send_signal, __NR_rt_sigqueueinfo, __NR_rt_tgsigqueueinfo,
};

#define SUP_AF_PACKET 17
#define SUP_TCP_FASTOPEN_CONNECT 30
#define SUP_PERSONALITY_QUERY 0xffffffffu

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

static int sup_filter_build_mode(struct sup_filter *f, bool notify,
				 bool fast_reads);

#define SUP_ARG_LO(i) (offsetof(struct seccomp_data, args[i]))
#define SUP_ARG_HI(i) (offsetof(struct seccomp_data, args[i]) + 4)

/* if (nr == k) { body } — body emitted by fn; falls through otherwise. */
static void sup_put_nr_block(struct sup_emit *e, unsigned int nr,
			     void (*fn)(struct sup_emit *e))
{
	size_t at = e->n;

	sup_put(e, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr,
						 0, 0));
	fn(e);
	/* The body always returns: jump over it when nr differs. */
	if (at < e->cap)
		e->v[at].jf = (unsigned char)(e->n - at - 1);
	sup_put_ld(e, offsetof(struct seccomp_data, nr));
}

/* Raw IP and packet sockets: EPERM; with udp_too, datagram IP sockets as
 * well (no supervisor decides their sends in the plain mode). */
static void sup_body_socket_mode(struct sup_emit *e, bool udp_too)
{
	unsigned int eperm = SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA);

	sup_put_ld(e, SUP_ARG_LO(0));
	sup_put_match(e, SUP_AF_PACKET, eperm);
	sup_put(e, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						 AF_INET, 1, 0));
	sup_put(e, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						 AF_INET6, 0, udp_too ? 6 : 4));
	sup_put_ld(e, SUP_ARG_LO(1));
	sup_put(e, (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xf));
	sup_put_match(e, SOCK_RAW, eperm);
	if (udp_too)
		sup_put_match(e, SOCK_DGRAM, eperm);
	sup_put_ret(e, SECCOMP_RET_ALLOW);
}

static void sup_body_socket(struct sup_emit *e)
{
	sup_body_socket_mode(e, false);
}

static void sup_body_socket_plain(struct sup_emit *e)
{
	sup_body_socket_mode(e, true);
}

/* TCP_FASTOPEN_CONNECT would let a send connect to its own address. */
static void sup_body_setsockopt(struct sup_emit *e)
{
	unsigned int eperm = SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA);

	sup_put_ld(e, SUP_ARG_LO(1));
	sup_put(e, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						 IPPROTO_TCP, 0, 3));
	sup_put_ld(e, SUP_ARG_LO(2));
	sup_put_match(e, SUP_TCP_FASTOPEN_CONNECT, eperm);
	sup_put_ret(e, SECCOMP_RET_ALLOW);
}

/* sendto without an address is write(); with one it is decided. */
static void sup_body_sendto(struct sup_emit *e)
{
	sup_put_ld(e, SUP_ARG_LO(4));
	sup_put(e, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0,
						 0, 2));
	sup_put_ld(e, SUP_ARG_HI(4));
	sup_put(e, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0,
						 1, 0));
	sup_put_ret(e, SECCOMP_RET_USER_NOTIF);
	sup_put_ret(e, SECCOMP_RET_ALLOW);
}

/* mknod of block and character devices: EPERM (a device node would
 * reach a disk past every file rule). FIFOs and sockets are fine. */
static void sup_body_mknod(struct sup_emit *e, unsigned int arg)
{
	unsigned int eperm = SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA);

	sup_put_ld(e, SUP_ARG_LO(arg));
	sup_put(e, (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K,
						 S_IFMT));
	sup_put_match(e, S_IFBLK, eperm);
	sup_put_match(e, S_IFCHR, eperm);
	sup_put_ret(e, SECCOMP_RET_ALLOW);
}

static void sup_body_mknod1(struct sup_emit *e)
{
	sup_body_mknod(e, 1);
}

static void sup_body_mknodat(struct sup_emit *e)
{
	sup_body_mknod(e, 2);
}

/* personality(): queries and PER_LINUX only. */
static void sup_body_personality(struct sup_emit *e)
{
	unsigned int eperm = SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA);

	sup_put_ld(e, SUP_ARG_LO(0));
	sup_put(e, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0,
						 2, 0));
	sup_put(e, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						 SUP_PERSONALITY_QUERY, 1, 0));
	sup_put_ret(e, eperm);
	sup_put_ret(e, SECCOMP_RET_ALLOW);
}

int sup_filter_build(struct sup_filter *f)
{
	return sup_filter_build_mode(f, true, false);
}

int sup_filter_build_fast_reads(struct sup_filter *f)
{
	return sup_filter_build_mode(f, true, true);
}

int sup_filter_build_plain(struct sup_filter *f)
{
	return sup_filter_build_mode(f, false, false);
}

/* Flags of an open that only reads: no write access, create, truncate or
 * temporary file. */
#define SUP_OPEN_WRITING (O_ACCMODE | O_CREAT | O_TRUNC | __O_TMPFILE)

/* Read-only open()/openat(): allowed here (Landlock decides them); others
 * go to the supervisor. flags is argument arg. */
static void sup_body_open_fast(struct sup_emit *e, unsigned int arg)
{
	sup_put_ld(e, SUP_ARG_LO(arg));
	sup_put(e, (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K,
						 SUP_OPEN_WRITING));
	sup_put(e, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0,
						 0, 1));
	sup_put_ret(e, SECCOMP_RET_ALLOW);
	sup_put_ret(e, SECCOMP_RET_USER_NOTIF);
}

static void sup_body_open_fast1(struct sup_emit *e)
{
	sup_body_open_fast(e, 1);
}

static void sup_body_openat_fast(struct sup_emit *e)
{
	sup_body_open_fast(e, 2);
}

static int sup_filter_build_mode(struct sup_filter *f, bool notify,
				 bool fast_reads)
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
	if (fast_reads) {
		sup_put_nr_block(&e, __NR_open, sup_body_open_fast1);
		sup_put_nr_block(&e, __NR_openat, sup_body_openat_fast);
	}
	for (i = 0; notify && i < SUP_NELEM(sup_notified); i++)
		sup_put_match(&e, sup_notified[i], SECCOMP_RET_USER_NOTIF);
	sup_put_nr_block(&e, __NR_socket, notify ? sup_body_socket :
					       sup_body_socket_plain);
	sup_put_nr_block(&e, __NR_setsockopt, sup_body_setsockopt);
	if (notify)
		sup_put_nr_block(&e, __NR_sendto, sup_body_sendto);
	sup_put_nr_block(&e, __NR_personality, sup_body_personality);
	sup_put_nr_block(&e, __NR_mknod, sup_body_mknod1);
	sup_put_nr_block(&e, __NR_mknodat, sup_body_mknodat);
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

int sup_install_plain(const struct sock_fprog *prog)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) < 0)
		return -errno;
	return 0;
}
