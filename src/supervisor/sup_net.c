/*
 * Sockets: connect() and addressed sends. The supervisor takes a duplicate
 * of the target's socket (pidfd_getfd), reads the address once, decides,
 * and connects or sends on the duplicate itself. A blocking connect that
 * is still in progress is answered with CONTINUE: the kernel then only
 * waits for the connection already started and ignores the address the
 * target passes again (see sup_net_connect). Unix sockets are the
 * exception (see sup_net_connect_on).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/str.h"
#include "supervisor/sup_int.h"

#define SUP_IOV_MAX 64      /* iovecs of one emulated send */
#define SUP_CMSG_MAX 512    /* control bytes of one emulated send */
#define SUP_MMSG_MAX 64     /* messages of one emulated sendmmsg */

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL /* linux/pidfd.h, Linux 6.9 */
#endif

/* The target's socket fd, duplicated into this process; fd or -errno. A
 * notification from a thread other than the leader names the thread,
 * which pidfd_open takes only with PIDFD_THREAD. */
int sup_take_fd(pid_t pid, int fd)
{
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0), dup;

	if (pfd < 0 && (errno == ENOENT || errno == EINVAL))
		pfd = (int)syscall(SYS_pidfd_open, pid, PIDFD_THREAD);
	if (pfd < 0)
		return -errno;
	dup = (int)syscall(SYS_pidfd_getfd, pfd, fd, 0);
	if (dup < 0)
		dup = -errno;
	close(pfd);
	return dup;
}

static int sup_sockopt(int fd, int opt)
{
	int v = -1;
	socklen_t l = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, opt, &v, &l) < 0)
		return -errno;
	return v;
}

/* An AF_UNIX name: "@name" for abstract ones, else resolved like a path. */
static int sup_net_unix_name(struct sup_req *q, struct sup_net_req *r,
			     const struct sockaddr_un *su, socklen_t len,
			     char *upath, size_t n)
{
	char raw[sizeof(su->sun_path) + 1];
	size_t l = len - offsetof(struct sockaddr_un, sun_path);

	if (l > sizeof(su->sun_path))
		l = sizeof(su->sun_path);
	memcpy(raw, su->sun_path, l);
	raw[l] = '\0';
	r->unix_path = upath;
	if (l > 0 && raw[0] == '\0') {
		/* Abstract names are bytes, not a string: keep what is printable. */
		raw[0] = '@';
		for (size_t i = 1; i < l; i++)
			if (raw[i] == '\0')
				raw[i] = '?';
		return str_lcpy(upath, raw, n) < n ? 0 : -ENAMETOOLONG;
	}
	return sup_resolve(q->pid, AT_FDCWD, raw, upath, n);
}

/* Fill r from a socket address; -EAFNOSUPPORT for other families. */
static int sup_net_req_fill(struct sup_req *q, struct sup_net_req *r,
			    const struct sockaddr_storage *ss, socklen_t len,
			    char *upath, size_t n)
{
	const struct sockaddr_in *s4 = (const void *)ss;
	const struct sockaddr_in6 *s6 = (const void *)ss;
	const struct sockaddr_un *su = (const void *)ss;

	r->family = ss->ss_family;
	if (r->family == AF_INET && len >= sizeof(*s4)) {
		memcpy(r->addr, &s4->sin_addr, 4);
		r->port = ntohs(s4->sin_port);
		return 0;
	}
	if (r->family == AF_INET6 && len >= sizeof(*s6)) {
		memcpy(r->addr, &s6->sin6_addr, 16);
		r->port = ntohs(s6->sin6_port);
		return 0;
	}
	if (r->family != AF_UNIX || len <= offsetof(struct sockaddr_un, sun_path))
		return -EAFNOSUPPORT;
	return sup_net_unix_name(q, r, su, len, upath, n);
}

/*
 * An address of another family than the socket's fails in the kernel, but
 * only if the target does not swap it first: refuse it here instead.
 */
static bool sup_net_family_clash(int dup, int family)
{
	int dom = sup_sockopt(dup, SO_DOMAIN);

	if (dom == AF_UNIX)
		return family != AF_UNIX;
	return family != AF_INET && family != AF_INET6;
}

static bool sup_net_decide(struct sup_req *q, const struct sup_net_req *r)
{
	return q->ops->net && q->ops->net(q->arg, q->pid, r);
}

/* Connect the duplicate without blocking; the result as connect() gives. */
static int sup_net_do_connect(int dup, const struct sockaddr *sa,
			      socklen_t len, bool *blocking)
{
	int fl = fcntl(dup, F_GETFL), ret;

	if (fl < 0)
		return -errno;
	*blocking = !(fl & O_NONBLOCK);
	if (*blocking && fcntl(dup, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	ret = connect(dup, sa, len) < 0 ? -errno : 0;
	if (*blocking)
		fcntl(dup, F_SETFL, fl);
	return ret;
}

/* Decide and connect; *cont: answer CONTINUE (a blocking connect in
 * progress: the kernel waits for it and ignores the address). */
static int sup_net_connect_on(struct sup_req *q, int dup,
			      struct sockaddr_storage *ss, socklen_t len,
			      bool *cont)
{
	struct sup_net_req r = {.is_connect = true};
	char upath[SUP_PATH_MAX];
	bool blocking = false;
	int ret;

	r.type = sup_sockopt(dup, SO_TYPE);
	if (ss->ss_family == AF_UNSPEC) /* dissolving an association */
		return connect(dup, (struct sockaddr *)ss, len) < 0 ? -errno : 0;
	ret = sup_net_req_fill(q, &r, ss, len, upath, sizeof(upath));
	if (ret < 0)
		return ret;
	if (sup_net_family_clash(dup, r.family))
		return -EAFNOSUPPORT;
	if (!sup_net_decide(q, &r))
		return -EACCES;
	/*
	 * A Unix connect must be the target's own: the server reads the
	 * connecting process's credentials (SO_PEERCRED), and ours are the
	 * daemon's. So it is decided and continued; a thread racing the
	 * name can reach another Unix socket, never the network.
	 */
	if (r.family == AF_UNIX) {
		*cont = true;
		return 0;
	}
	ret = sup_net_do_connect(dup, (struct sockaddr *)ss, len, &blocking);
	*cont = ret == -EINPROGRESS && blocking;
	return ret;
}

static int sup_net_connect(struct sup_req *q)
{
	const __u64 *a = q->n->data.args;
	struct sockaddr_storage ss;
	socklen_t len = (socklen_t)a[2];
	bool cont = false;
	int dup, dom, ret;

	if (a[2] > sizeof(ss) || a[2] < sizeof(sa_family_t))
		return sup_respond(q, -EINVAL, 0);
	memset(&ss, 0, sizeof(ss));
	ret = sup_mem_read(q->pid, a[1], &ss, len);
	if (ret < 0 || !sup_valid(q))
		return sup_respond(q, ret < 0 ? ret : -EACCES, 0);
	dup = sup_take_fd(q->pid, (int)a[0]);
	if (dup < 0)
		return sup_respond(q, dup == -EBADF ? -EBADF : -ENOTSOCK, 0);
	dom = sup_sockopt(dup, SO_DOMAIN);
	if (dom < 0)
		ret = dom;
	else if (dom != AF_INET && dom != AF_INET6 && dom != AF_UNIX)
		cont = true; /* netlink and the like: no address to redirect */
	else
		ret = sup_net_connect_on(q, dup, &ss, len, &cont);
	close(dup);
	if (cont)
		return sup_respond(q, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
	return sup_respond(q, ret, 0);
}

/* One message to send, copied out of the target. */
struct sup_msg {
	struct sockaddr_storage name;
	struct iovec iov[SUP_IOV_MAX];
	unsigned char data[SUP_SEND_MAX];
	unsigned char ctl[SUP_CMSG_MAX];
	struct msghdr m;
};

/* Copy the target's msghdr (whose name, iovecs and control we read once). */
static int sup_msg_read(struct sup_req *q, const struct msghdr *um,
			struct sup_msg *k)
{
	struct iovec uiov[SUP_IOV_MAX];
	size_t used = 0;
	int ret;

	memset(&k->m, 0, sizeof(k->m));
	if (um->msg_iovlen > SUP_IOV_MAX || um->msg_namelen > sizeof(k->name) ||
	    um->msg_controllen > sizeof(k->ctl))
		return -EMSGSIZE;
	ret = sup_mem_read(q->pid, (uintptr_t)um->msg_iov, uiov,
			   um->msg_iovlen * sizeof(*uiov));
	for (size_t i = 0; ret == 0 && i < um->msg_iovlen; i++) {
		if (uiov[i].iov_len > sizeof(k->data) - used)
			return -EMSGSIZE;
		ret = sup_mem_read(q->pid, (uintptr_t)uiov[i].iov_base,
				   k->data + used, uiov[i].iov_len);
		k->iov[i].iov_base = k->data + used;
		k->iov[i].iov_len = uiov[i].iov_len;
		used += uiov[i].iov_len;
	}
	if (ret == 0 && um->msg_name && um->msg_namelen) {
		ret = sup_mem_read(q->pid, (uintptr_t)um->msg_name, &k->name,
				   um->msg_namelen);
		k->m.msg_name = &k->name;
		k->m.msg_namelen = um->msg_namelen;
	}
	if (ret == 0 && um->msg_control && um->msg_controllen) {
		ret = sup_mem_read(q->pid, (uintptr_t)um->msg_control, k->ctl,
				   um->msg_controllen);
		k->m.msg_control = k->ctl;
		k->m.msg_controllen = um->msg_controllen;
	}
	k->m.msg_iov = k->iov;
	k->m.msg_iovlen = um->msg_iovlen;
	return ret;
}

/* Decide where k goes (its name, else the socket's peer) and send it. */
static ssize_t sup_msg_send(struct sup_req *q, int dup, struct sup_msg *k,
			    int flags)
{
	struct sup_net_req r = {.type = sup_sockopt(dup, SO_TYPE)};
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	char upath[SUP_PATH_MAX];
	int ret;

	if (k->m.msg_name) {
		ret = sup_net_req_fill(q, &r, &k->name, k->m.msg_namelen,
				       upath, sizeof(upath));
		if (ret == 0 && sup_net_family_clash(dup, r.family))
			ret = -EAFNOSUPPORT;
	} else if (getpeername(dup, (struct sockaddr *)&peer, &plen) == 0) {
		ret = sup_net_req_fill(q, &r, &peer, plen, upath, sizeof(upath));
	} else {
		return -EDESTADDRREQ;
	}
	if (ret < 0)
		return ret;
	if (!sup_net_decide(q, &r))
		return -EACCES;
	ret = (int)sendmsg(dup, &k->m, flags | MSG_DONTWAIT);
	return ret < 0 ? -errno : ret;
}

/* How a send on this socket is handled: 1 emulate, 0 continue, -errno. */
static int sup_send_kind(int dup, int flags)
{
	int dom = sup_sockopt(dup, SO_DOMAIN), type = sup_sockopt(dup, SO_TYPE);
	int proto = sup_sockopt(dup, SO_PROTOCOL);

	if (dom < 0 || type < 0 || proto < 0)
		return dom < 0 ? dom : (type < 0 ? type : proto);
	if (dom != AF_INET && dom != AF_INET6)
		return 0; /* Unix, netlink: no route to the network */
	if (type == SOCK_STREAM &&
	    (proto == IPPROTO_TCP || proto == IPPROTO_MPTCP)) {
		/* TCP ignores the address unless asked to connect with it. */
		return (flags & MSG_FASTOPEN) ? -EOPNOTSUPP : 0;
	}
	return 1;
}

/* A Unix send with a name: decided, then continued (see connect). */
static int sup_send_unix(struct sup_req *q, int dup, uint64_t uname,
			 socklen_t len)
{
	struct sup_net_req r = {.type = sup_sockopt(dup, SO_TYPE)};
	struct sockaddr_storage ss;
	char upath[SUP_PATH_MAX];
	int ret;

	if (uname == 0 || sup_sockopt(dup, SO_DOMAIN) != AF_UNIX)
		return 0;
	if (len > sizeof(ss))
		return -EINVAL;
	memset(&ss, 0, sizeof(ss));
	ret = sup_mem_read(q->pid, uname, &ss, len);
	if (ret == 0)
		ret = sup_net_req_fill(q, &r, &ss, len, upath, sizeof(upath));
	if (ret == 0 && !sup_net_decide(q, &r))
		ret = -EACCES;
	return ret;
}

/* sendto(fd, buf, len, flags, addr, alen): the filter sends only those
 * with an address. */
static ssize_t sup_net_sendto(struct sup_req *q, int dup, bool *cont)
{
	const __u64 *a = q->n->data.args;
	struct msghdr um = {0};
	struct iovec iov = {(void *)(uintptr_t)a[1], (size_t)a[2]};
	struct sup_msg *k;
	ssize_t ret = sup_send_kind(dup, (int)a[3]);

	if (ret == 0) {
		*cont = true;
		return sup_send_unix(q, dup, a[4], (socklen_t)a[5]);
	}
	if (ret < 0)
		return ret;
	k = malloc(sizeof(*k));
	if (k == NULL)
		return -ENOMEM;
	/* Read as a one-iovec message; the iovec itself lives here. */
	um.msg_name = (void *)(uintptr_t)a[4];
	um.msg_namelen = (socklen_t)a[5];
	um.msg_iovlen = 1;
	ret = iov.iov_len > sizeof(k->data) ? -EMSGSIZE : 0;
	if (ret == 0)
		ret = sup_mem_read(q->pid, (uintptr_t)iov.iov_base, k->data,
				   iov.iov_len);
	if (ret == 0 && um.msg_name && um.msg_namelen <= sizeof(k->name))
		ret = sup_mem_read(q->pid, a[4], &k->name, um.msg_namelen);
	else if (ret == 0 && um.msg_name)
		ret = -EINVAL;
	memset(&k->m, 0, sizeof(k->m));
	k->iov[0] = (struct iovec){k->data, iov.iov_len};
	k->m.msg_iov = k->iov;
	k->m.msg_iovlen = 1;
	k->m.msg_name = um.msg_name ? &k->name : NULL;
	k->m.msg_namelen = um.msg_namelen;
	if (ret == 0 && sup_valid(q))
		ret = sup_msg_send(q, dup, k, (int)a[3]);
	free(k);
	return ret;
}

/* sendmsg(fd, msg, flags). */
static ssize_t sup_net_sendmsg(struct sup_req *q, int dup, bool *cont)
{
	const __u64 *a = q->n->data.args;
	struct msghdr um;
	struct sup_msg *k;
	ssize_t ret = sup_mem_read(q->pid, a[1], &um, sizeof(um));

	if (ret == 0)
		ret = sup_send_kind(dup, (int)a[2]);
	if (ret == 0) {
		*cont = true;
		return sup_send_unix(q, dup, (uintptr_t)um.msg_name,
				     um.msg_namelen);
	}
	if (ret < 0)
		return ret;
	k = malloc(sizeof(*k));
	if (k == NULL)
		return -ENOMEM;
	ret = sup_msg_read(q, &um, k);
	if (ret == 0 && sup_valid(q))
		ret = sup_msg_send(q, dup, k, (int)a[2]);
	free(k);
	return ret;
}

/* sendmmsg(fd, vec, vlen, flags): each message as sendmsg; the count of
 * those sent, and each msg_len written back. */
static ssize_t sup_net_sendmmsg(struct sup_req *q, int dup, bool *cont)
{
	const __u64 *a = q->n->data.args;
	size_t n = a[2] > SUP_MMSG_MAX ? SUP_MMSG_MAX : (size_t)a[2], i;
	struct mmsghdr um;
	struct sup_msg *k;
	ssize_t ret = sup_send_kind(dup, (int)a[3]), sent;

	if (ret == 0) {
		*cont = true; /* a named Unix datagram here is not decided */
		return 0;
	}
	if (ret < 0)
		return ret;
	k = malloc(sizeof(*k));
	if (k == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		uint64_t at = a[1] + i * sizeof(um);
		unsigned int len;

		ret = sup_mem_read(q->pid, at, &um, sizeof(um));
		if (ret == 0)
			ret = sup_msg_read(q, &um.msg_hdr, k);
		if (ret == 0 && !sup_valid(q))
			ret = -EACCES;
		sent = ret == 0 ? sup_msg_send(q, dup, k, (int)a[3]) : ret;
		if (sent < 0) {
			ret = sent;
			break;
		}
		len = (unsigned int)sent;
		sup_mem_write(q->pid, at + offsetof(struct mmsghdr, msg_len),
			      &len, sizeof(len));
	}
	free(k);
	return i > 0 ? (ssize_t)i : ret;
}

int sup_do_net(struct sup_req *q)
{
	const __u64 *a = q->n->data.args;
	bool cont = false;
	ssize_t ret;
	int dup;

	if (q->n->data.nr == __NR_connect)
		return sup_net_connect(q);
	dup = sup_take_fd(q->pid, (int)a[0]);
	if (dup < 0)
		return sup_respond(q, dup == -EBADF ? -EBADF : -ENOTSOCK, 0);
	switch (q->n->data.nr) {
	case __NR_sendto:
		ret = sup_net_sendto(q, dup, &cont);
		break;
	case __NR_sendmsg:
		ret = sup_net_sendmsg(q, dup, &cont);
		break;
	case __NR_sendmmsg:
		ret = sup_net_sendmmsg(q, dup, &cont);
		break;
	default:
		ret = -EACCES;
	}
	close(dup);
	if (cont && ret == 0)
		return sup_respond(q, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
	if (ret < 0)
		return sup_respond(q, (int)ret, 0);
	return sup_respond_val(q, ret);
}
