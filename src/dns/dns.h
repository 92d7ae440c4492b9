/*
 * The DNS listener of the network gateway: UDP and TCP on one loopback
 * address, each query decided by the caller (network_rules at port 53),
 * denied ones answered REFUSED without any upstream traffic, allowed ones
 * forwarded to one upstream server and the answer relayed back. Runs on
 * the daemon's event loop and never blocks.
 */
#ifndef AGENTSH_DNS_H
#define AGENTSH_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/loop.h"

#define DNS_MSG_MAX 65535       /* a DNS message (TCP length prefix bound) */
#define DNS_UDP_MAX 4096        /* UDP datagram taken from clients/upstream */
#define DNS_NAME_MAX 1024       /* a query name as text (\DDD escapes), NUL */
#define DNS_INFLIGHT_MAX 256    /* queries waiting for upstream, per listener */
#define DNS_TCP_CONNS_MAX 32    /* client TCP connections, per listener */
#define DNS_UP_TIMEOUT_MS 1000  /* one upstream try (UDP) */
#define DNS_UP_TRIES 3          /* UDP sends before SERVFAIL */
#define DNS_TCP_TIMEOUT_MS 5000 /* upstream TCP exchange, and idle clients */
#define DNS_BIND_TRIES 16       /* ports tried to get UDP and TCP on one */

#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_REFUSED 5

/* The one question of a query. */
struct dns_query {
	uint16_t id, qtype, qclass;
	char name[DNS_NAME_MAX]; /* lower-case, no final dot; "." is root */
	char type[16];           /* "A", "AAAA", "TYPE65280", ... */
};

/*
 * Parse a client query: a QUERY with exactly one question and no answer
 * records. 0, -EINVAL (malformed) or -EOPNOTSUPP (other opcodes, several
 * questions, a response).
 */
int dns_msg_parse(const uint8_t *wire, size_t len, struct dns_query *q);
/*
 * An error answer (rcode) to the query in wire: same id and question, QR
 * and RA set. Length written to out, or -errno (-EINVAL when wire carries
 * no header).
 */
int dns_msg_error(const uint8_t *wire, size_t len, unsigned rcode,
		  uint8_t *out, size_t cap);
/*
 * Only letters, digits, '-', '_' and dots between labels? Names with other
 * bytes (ldns writes them as \. or \DDD) are refused: a label holding a
 * dot would read as a name under an allowed domain while it is not.
 */
bool dns_name_plain(const char *name);
/* Is wire a response with id whose single question is q's? */
bool dns_msg_answers(const uint8_t *wire, size_t len, uint16_t id,
		     const struct dns_query *q);

/* "1.2.3.4", "1.2.3.4:53", "[::1]:5353", "::1": 0 or -EINVAL. */
int dns_addr_parse(const char *text, uint16_t default_port,
		   struct sockaddr_storage *ss, socklen_t *len);
/* The first nameserver of a resolv.conf file: 0, -ENOENT, -errno. */
int dns_resolv_conf(const char *path, struct sockaddr_storage *ss,
		    socklen_t *len);
/* "addr:port" or "[addr]:port". */
void dns_addr_str(const struct sockaddr *sa, char *out, size_t n);

/* What the caller decided about one query. */
struct dns_verdict {
	bool allow;
	const char *decision, *rule, *message; /* for the event; may be NULL */
};

struct dns_ops {
	/* Decide q (never blocks); v is zeroed before. */
	void (*decide)(void *arg, const struct dns_query *q,
		       struct dns_verdict *v);
	/* Record the query and its decision; transport is "udp" or "tcp".
	 * A negative errno (not recorded) refuses the query. */
	int (*event)(void *arg, const struct dns_query *q,
		      const struct dns_verdict *v, const char *transport);
};

struct dns_opts {
	struct sockaddr_storage listen, upstream;
	socklen_t listen_len, upstream_len;
	int timeout_ms;     /* 0: DNS_UP_TIMEOUT_MS */
	int tries;          /* 0: DNS_UP_TRIES */
	size_t max_inflight; /* 0: DNS_INFLIGHT_MAX */
};

struct dns_stats {
	uint64_t queries, refused, forwarded, answered, servfail;
	uint64_t malformed, dropped, mismatched;
};

struct dns;

/* Bind UDP and TCP (same port; port 0: ephemeral) and start serving;
 * -ELOOP when the upstream is the listener's own address. */
int dns_new(struct loop *l, const struct dns_opts *o,
	    const struct dns_ops *ops, void *arg, struct dns **out);
/* Stop serving; pending queries are dropped. NULL is fine. */
void dns_free(struct dns *s);
/* The bound address (UDP and TCP share it). */
const struct sockaddr *dns_local(const struct dns *s, socklen_t *len);
void dns_get_stats(const struct dns *s, struct dns_stats *st);

#endif
