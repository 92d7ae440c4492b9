/* The DNS listener: sockets, the UDP side and the decision of each query. */
#include "dns/dns_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define DNS_RCODE_FORMERR 1
#define DNS_RCODE_NOTIMP 4

void dns_reply(struct dns *s, struct dns_tconn *c, const struct sockaddr *peer,
	       socklen_t peer_len, const uint8_t *msg, size_t len)
{
	if (c) {
		dns_tcp_send(c, msg, len);
		return;
	}
	/* A datagram the client cannot take is lost like any other. */
	(void)sendto(s->ufd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL, peer,
		     peer_len);
}

/* Answer the query in wire with rcode. */
static void dns_reply_error(struct dns *s, const uint8_t *wire, size_t len,
			    unsigned rcode, struct dns_tconn *c,
			    const struct sockaddr *peer, socklen_t peer_len)
{
	uint8_t out[DNS_UDP_MAX];
	int n = dns_msg_error(wire, len, rcode, out, sizeof(out));

	if (n > 0)
		dns_reply(s, c, peer, peer_len, out, (size_t)n);
	else if (c)
		dns_tcp_close(c); /* nothing sensible to say: hang up */
}

void dns_handle(struct dns *s, const uint8_t *wire, size_t len,
		struct dns_tconn *c, const struct sockaddr *peer,
		socklen_t peer_len)
{
	struct dns_query q;
	struct dns_verdict v;
	int r = dns_msg_parse(wire, len, &q);

	s->st.queries++;
	if (r < 0) {
		s->st.malformed++;
		dns_reply_error(s, wire, len, r == -EOPNOTSUPP ?
				DNS_RCODE_NOTIMP : DNS_RCODE_FORMERR, c, peer,
				peer_len);
		return;
	}
	memset(&v, 0, sizeof(v));
	if (dns_name_plain(q.name)) {
		s->ops.decide(s->arg, &q, &v);
	} else {
		v.decision = "deny";
		v.rule = "invalid-dns-name";
	}
	if (s->ops.event(s->arg, &q, &v, c ? "tcp" : "udp") < 0)
		v.allow = false; /* unrecorded: not allowed */
	if (!v.allow) {
		s->st.refused++;
		dns_reply_error(s, wire, len, DNS_RCODE_REFUSED, c, peer,
				peer_len);
		return;
	}
	if (s->npend >= s->o.max_inflight ||
	    dns_up_start(s, wire, len, &q, c, peer, peer_len) < 0) {
		s->st.dropped++;
		s->st.servfail++;
		dns_reply_error(s, wire, len, DNS_RCODE_SERVFAIL, c, peer,
				peer_len);
		return;
	}
	s->st.forwarded++;
}

static void dns_on_udp(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct dns *s = arg;
	uint8_t buf[DNS_UDP_MAX];
	struct sockaddr_storage peer;
	socklen_t plen;
	ssize_t n;

	(void)l;
	(void)events;
	/* A bounded batch, so one busy client cannot hold the loop. */
	for (int i = 0; i < 64; i++) {
		plen = sizeof(peer);
		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC,
			     (struct sockaddr *)&peer, &plen);
		if (n < 0)
			return;
		if ((size_t)n > sizeof(buf)) {
			s->st.malformed++;
			continue;
		}
		dns_handle(s, buf, (size_t)n, NULL, (struct sockaddr *)&peer,
			   plen);
	}
}

/* Bind one socket of type on addr; -errno. */
static int dns_bind(const struct sockaddr *addr, socklen_t len, int type)
{
	int one = 1;
	int fd = socket(addr->sa_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC,
			0);

	if (fd < 0)
		return -errno;
	if (type == SOCK_STREAM)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				 sizeof(one));
	if (bind(fd, addr, len) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 64) < 0)) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

static uint16_t dns_get_port(const struct sockaddr_storage *ss)
{
	return ntohs(ss->ss_family == AF_INET ?
		     ((const struct sockaddr_in *)ss)->sin_port :
		     ((const struct sockaddr_in6 *)ss)->sin6_port);
}

/* UDP and TCP on one port: an ephemeral UDP port may be taken for TCP. */
static int dns_bind_both(struct dns *s)
{
	bool any = dns_get_port(&s->o.listen) == 0;
	int r = -EADDRINUSE;

	for (int i = 0; i < DNS_BIND_TRIES && r == -EADDRINUSE; i++) {
		s->local = s->o.listen;
		s->local_len = s->o.listen_len;
		r = dns_bind((struct sockaddr *)&s->local, s->local_len,
			     SOCK_DGRAM);
		if (r < 0)
			return r;
		s->ufd = r;
		if (getsockname(s->ufd, (struct sockaddr *)&s->local,
				&s->local_len) < 0)
			return -errno;
		r = dns_bind((struct sockaddr *)&s->local, s->local_len,
			     SOCK_STREAM);
		if (r >= 0) {
			s->tfd = r;
			return 0;
		}
		close(s->ufd);
		s->ufd = -1;
		if (!any)
			break;
	}
	return r;
}

static void dns_defaults(struct dns *s)
{
	if (s->o.timeout_ms <= 0)
		s->o.timeout_ms = DNS_UP_TIMEOUT_MS;
	if (s->o.tries <= 0)
		s->o.tries = DNS_UP_TRIES;
	if (s->o.max_inflight == 0 || s->o.max_inflight > DNS_INFLIGHT_MAX)
		s->o.max_inflight = DNS_INFLIGHT_MAX;
}

int dns_new(struct loop *l, const struct dns_opts *o,
	    const struct dns_ops *ops, void *arg, struct dns **out)
{
	struct dns *s = calloc(1, sizeof(*s));
	int r = -ENOMEM;

	*out = NULL;
	if (s == NULL)
		goto out;
	s->loop = l;
	s->o = *o;
	s->ops = *ops;
	s->arg = arg;
	s->ufd = s->tfd = -1;
	dns_defaults(s);
	r = dns_bind_both(s);
	if (r < 0)
		goto out;
	r = -ELOOP; /* forwarding to ourselves would never end */
	if (s->o.upstream_len == s->local_len &&
	    memcmp(&s->o.upstream, &s->local, s->local_len) == 0)
		goto out;
	r = loop_add_fd(l, s->ufd, EPOLLIN, dns_on_udp, s);
	if (r < 0)
		goto out;
	r = dns_tcp_accept_start(s);
	if (r < 0)
		goto out;
	*out = s;
	s = NULL;
out:
	dns_free(s);
	return r;
}

void dns_free(struct dns *s)
{
	if (s == NULL)
		return;
	while (s->conns)
		dns_tcp_close(s->conns);
	while (s->pend)
		dns_pend_free(s->pend);
	if (s->ufd >= 0) {
		loop_del_fd(s->loop, s->ufd);
		close(s->ufd);
	}
	if (s->tfd >= 0) {
		loop_del_fd(s->loop, s->tfd);
		close(s->tfd);
	}
	free(s);
}

const struct sockaddr *dns_local(const struct dns *s, socklen_t *len)
{
	*len = s->local_len;
	return (const struct sockaddr *)&s->local;
}

void dns_get_stats(const struct dns *s, struct dns_stats *st)
{
	*st = s->st;
}
