/* Internals of the DNS listener shared by its files. */
#ifndef AGENTSH_DNS_INT_H
#define AGENTSH_DNS_INT_H

#include "dns/dns.h"

struct dns_tconn;

/* One allowed query on its way to upstream and back. */
struct dns_pend {
	struct dns *s;
	struct dns_pend *prev, *next;
	struct dns_tconn *conn;           /* NULL: a UDP client */
	struct sockaddr_storage peer;     /* the UDP client */
	socklen_t peer_len;
	struct dns_query q;
	uint16_t up_id;                   /* random id sent upstream */
	int fd;                           /* upstream socket */
	bool up_tcp;
	int tries;
	struct loop_timer *timer;
	uint8_t *msg;                     /* 2-byte length + query (up_id) */
	size_t len;                       /* query length, without prefix */
	size_t wpos;                      /* TCP: bytes of prefix+query sent */
	uint8_t *ans;                     /* TCP: 2-byte length + answer */
	size_t apos;
};

/* A client TCP connection: one query at a time. */
struct dns_tconn {
	struct dns *s;
	struct dns_tconn *prev, *next;
	int fd;
	struct dns_pend *pend;
	struct loop_timer *idle;
	size_t inlen, outlen, outpos;
	uint8_t in[2 + DNS_MSG_MAX];
	uint8_t out[2 + DNS_MSG_MAX];
};

struct dns {
	struct loop *loop;
	struct dns_opts o;
	struct dns_ops ops;
	void *arg;
	int ufd, tfd;
	struct sockaddr_storage local;
	socklen_t local_len;
	struct dns_pend *pend;
	size_t npend;
	struct dns_tconn *conns;
	size_t nconns;
	struct dns_stats st;
};

/* A query from a client (c NULL: UDP from peer): decide, refuse or forward. */
void dns_handle(struct dns *s, const uint8_t *wire, size_t len,
		struct dns_tconn *c, const struct sockaddr *peer,
		socklen_t peer_len);
/* Send msg to the client of a query. */
void dns_reply(struct dns *s, struct dns_tconn *c, const struct sockaddr *peer,
	       socklen_t peer_len, const uint8_t *msg, size_t len);

/* Forward an allowed query upstream (UDP, or TCP for a TCP client). */
int dns_up_start(struct dns *s, const uint8_t *wire, size_t len,
		 const struct dns_query *q, struct dns_tconn *c,
		 const struct sockaddr *peer, socklen_t peer_len);
/* Drop a pending query (its client went away, or shutdown). */
void dns_pend_free(struct dns_pend *p);

int dns_tcp_accept_start(struct dns *s);
void dns_tcp_send(struct dns_tconn *c, const uint8_t *msg, size_t len);
/* Watch c for what it waits for next (a query, or its answer sent). */
void dns_tcp_watch(struct dns_tconn *c);
void dns_tcp_close(struct dns_tconn *c);

#endif
