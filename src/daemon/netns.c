/*
 * Transparent network mode (sandbox.network.transparent.enabled): each
 * session gets a network namespace of its own with only a loopback
 * device, whose default routes point at it, and nftables rules that
 * redirect all TCP to a transparent listener of the proxy and DNS (UDP
 * and TCP 53) to the session's DNS listener, and drop everything else.
 * The listeners are sockets of that namespace (made while the loop
 * thread is inside it) served by the daemon's loop; what they dial is
 * dialed from the daemon's own namespace. Session processes join it
 * before any filter exists (the shim, the exec API's child); the seccomp
 * filter then refuses setns, so they cannot leave.
 */
#include "daemon/netns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <net/if.h>
#include <net/route.h>
#include <nftables/libnftables.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"
#include "common/str.h"
#include "daemon/daemon.h"
#include "daemon/dnsgw.h"
#include "daemon/netgw.h"
#include "daemon/session.h"

#define NETNS_RULES_MAX 2048 /* the nftables ruleset text */
#define NETNS_DNS_LISTEN "127.0.0.1:53"

bool netns_have_cap(void)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct c[2];

	if (syscall(SYS_capget, &h, c) < 0)
		return false;
	return (c[0].effective & (1u << CAP_NET_ADMIN)) &&
	       (c[0].effective & (1u << CAP_SYS_ADMIN));
}

/*
 * One address of sandbox.network.transparent.subnet_base (its first host)
 * on the loopback device as lo:1: glibc's getaddrinfo (AI_ADDRCONFIG)
 * asks for IPv4 names only where a non-loopback IPv4 address exists.
 * Nothing is ever sent to it from outside: the namespace has no link.
 */
static int netns_addr(int fd, const char *subnet)
{
	struct ifreq ifr = {0};
	struct sockaddr_in *a = (struct sockaddr_in *)&ifr.ifr_addr;
	char base[INET_ADDRSTRLEN];
	size_t n = subnet ? strcspn(subnet, "/") : 0;

	if (n == 0 || n >= sizeof(base))
		subnet = "10.250.0.0", n = 10;
	memcpy(base, subnet, n);
	base[n] = '\0';
	a->sin_family = AF_INET;
	if (inet_pton(AF_INET, base, &a->sin_addr) != 1)
		return -EINVAL;
	a->sin_addr.s_addr = htonl(ntohl(a->sin_addr.s_addr) + 1);
	memcpy(ifr.ifr_name, "lo:1", 5);
	if (ioctl(fd, SIOCSIFADDR, &ifr) < 0)
		return -errno;
	a->sin_addr.s_addr = htonl(0xffffffffu);
	return ioctl(fd, SIOCSIFNETMASK, &ifr) < 0 ? -errno : 0;
}

/* The loopback device up, and default routes through it (IPv6 when the
 * namespace has it), so that any destination reaches the nat hook. */
static int netns_links(const char *subnet)
{
	struct ifreq ifr = {0};
	struct rtentry rt = {0};
	struct in6_rtmsg rt6 = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), fd6, r = 0;

	if (fd < 0)
		return -errno;
	memcpy(ifr.ifr_name, "lo", 3);
	((struct sockaddr_in *)&rt.rt_dst)->sin_family = AF_INET;
	((struct sockaddr_in *)&rt.rt_genmask)->sin_family = AF_INET;
	rt.rt_flags = RTF_UP;
	rt.rt_dev = (char *)(uintptr_t)"lo";
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 ||
	    (ifr.ifr_flags |= IFF_UP, ioctl(fd, SIOCSIFFLAGS, &ifr)) < 0 ||
	    ioctl(fd, SIOCADDRT, &rt) < 0)
		r = -errno;
	if (r == 0)
		r = netns_addr(fd, subnet);
	close(fd);
	fd6 = r == 0 ? socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0) : -1;
	if (fd6 >= 0) {
		rt6.rtmsg_ifindex = (int)if_nametoindex("lo");
		rt6.rtmsg_flags = RTF_UP;
		rt6.rtmsg_metric = 1;
		if (ioctl(fd6, SIOCADDRT, &rt6) < 0)
			log_msg(LOG_LVL_DEBUG, "netns: no IPv6 default route: %s",
				strerror(errno));
		close(fd6);
	}
	return r;
}

/* The ruleset: redirect, and a default drop for what is left; the
 * proxy, transparent, LLM proxy and DNS listeners are let through. */
static int netns_rules_text(char *out, size_t n, uint16_t pport,
			    uint16_t tport, bool dns)
{
	int w = snprintf(out, n,
		"table inet agentsh {\n"
		" chain nat_out {\n"
		"  type nat hook output priority -100; policy accept;\n"
		"  ip daddr 127.0.0.1 tcp dport { %u, %u, %u%s } return\n"
		"  ip6 daddr ::1 tcp dport %u return\n"
		"  %s\n"
		"  meta l4proto tcp redirect to :%u\n"
		" }\n"
		" chain out {\n"
		"  type filter hook output priority 0; policy drop;\n"
		"  ct state established,related accept\n"
		"  ip daddr 127.0.0.1 tcp dport { %u, %u, %u%s } accept\n"
		"  ip6 daddr ::1 tcp dport %u accept\n"
		"  %s\n"
		" }\n"
		"}\n",
		pport, tport, NETNS_LLM_PORT, dns ? ", 53" : "", tport,
		dns ? "ip daddr 127.0.0.1 udp dport 53 return\n"
		      "  udp dport 53 redirect to :53\n"
		      "  tcp dport 53 redirect to :53" : "",
		tport, pport, tport, NETNS_LLM_PORT, dns ? ", 53" : "", tport,
		dns ? "ip daddr 127.0.0.1 udp dport 53 accept" : "");

	return w < 0 || (size_t)w >= n ? -E2BIG : 0;
}

/* Load the ruleset into the current namespace with libnftables. */
static int netns_nft(const char *rules, char *why, size_t n)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	const char *err;
	int r;

	if (ctx == NULL)
		return -ENOMEM;
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	r = nft_run_cmd_from_buffer(ctx, rules);
	if (r != 0) {
		err = nft_ctx_get_error_buffer(ctx);
		snprintf(why, n, "nftables: %s", err && *err ? err : "failed");
		r = -EIO;
	}
	nft_ctx_free(ctx);
	return r;
}

/* Inside the new namespace: links, listeners, rules. */
static int netns_fill(struct daemon *d, struct session *s, char *why,
		      size_t n)
{
	char rules[NETNS_RULES_MAX];
	uint16_t pport;
	int r = netns_links(d->cfg->sandbox.network.transparent.subnet_base);

	if (r < 0) {
		snprintf(why, n, "loopback and routes: %s", strerror(-r));
		return r;
	}
	r = netgw_session_start(d, s);
	if (r == 0)
		r = netgw_session_transparent(d, s, NETNS_TPROXY_PORT);
	if (r < 0) {
		snprintf(why, n, "proxy listeners: %s", strerror(-r));
		return r;
	}
	pport = netgw_port(d, s->id);
	if (pport == 0) {
		snprintf(why, n, "sandbox.network.enabled is false: no proxy");
		return -ENOENT;
	}
	dnsgw_session_start(d, s, NETNS_DNS_LISTEN);
	r = netns_rules_text(rules, sizeof(rules), pport, NETNS_TPROXY_PORT,
			     s->dns != NULL);
	if (r == 0)
		r = netns_nft(rules, why, n);
	return r;
}

/* Back to the daemon's own namespace; the loop thread must never stay in
 * a session's. */
static void netns_return(int orig)
{
	if (setns(orig, CLONE_NEWNET) < 0) {
		log_msg(LOG_LVL_ERROR, "netns: cannot return to the daemon's "
			"network namespace: %s", strerror(errno));
		abort();
	}
	close(orig);
}

int netns_session_start(struct daemon *d, struct session *s, char *why,
			size_t n)
{
	int orig, r = 0;

	why[0] = '\0';
	if (!netns_have_cap()) {
		snprintf(why, n, "the daemon lacks CAP_NET_ADMIN or "
			 "CAP_SYS_ADMIN");
		return -EPERM;
	}
	orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (orig < 0 || unshare(CLONE_NEWNET) < 0) {
		r = -errno;
		snprintf(why, n, "new network namespace: %s", strerror(-r));
		if (orig >= 0)
			close(orig);
		return r;
	}
	s->netns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (s->netns_fd < 0) {
		r = -errno;
		snprintf(why, n, "network namespace: %s", strerror(-r));
	}
	if (r == 0)
		r = netns_fill(d, s, why, n);
	netns_return(orig);
	if (r < 0) {
		dnsgw_session_stop(s);
		netgw_session_stop(d, s->id);
		netns_session_stop(s);
	}
	return r;
}

void netns_session_stop(struct session *s)
{
	if (s->netns_fd >= 0)
		close(s->netns_fd);
	s->netns_fd = -1;
}

int netns_send(const struct session *s, int chan)
{
	char one = 'n', ctl[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {&one, 1};
	struct msghdr m = {0};
	struct cmsghdr *h;

	if (s->netns_fd < 0)
		return -ENOENT;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl;
	m.msg_controllen = sizeof(ctl);
	h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &s->netns_fd, sizeof(int));
	return sendmsg(chan, &m, MSG_DONTWAIT | MSG_NOSIGNAL) == 1 ? 0 : -errno;
}
