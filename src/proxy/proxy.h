/*
 * The network gateway's forward proxy: CONNECT tunnels and absolute-URI
 * plain HTTP/1.1 requests, served on the caller's event loop. Every name is
 * resolved by the proxy's own resolver, the caller decides on the name and
 * all its addresses, and the proxy dials exactly one address that was
 * decided on (no second lookup). Listeners carry a cookie (a session).
 */
#ifndef AGENTSH_PROXY_PROXY_H
#define AGENTSH_PROXY_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define PROXY_MAX_IPS 16        /* addresses of a name handed to decide */
#define PROXY_HOST_MAX 256      /* a host name */
#define PROXY_RULE_MAX 256      /* a rule name in a verdict */
#define PROXY_MSG_MAX 1024      /* a rendered message in a verdict */

struct loop;
struct proxy;

/* One resolved address (network byte order). */
struct proxy_addr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t a[16];
};

struct proxy_verdict {
	bool allow;
	int dial;                   /* index into ips of the address to dial */
	char rule[PROXY_RULE_MAX];  /* the deciding rule */
	char message[PROXY_MSG_MAX]; /* rendered message for a deny */
	bool approval;              /* an approve rule, denied: no approver */
};

/* What an audit event is about; strings live until the callback returns. */
struct proxy_event {
	const char *type;   /* net_connect, net_close, net_http_request */
	const char *host, *ip, *rule, *decision, *method, *path;
	const char *message;  /* net_connect deny: the rendered message */
	bool approval;        /* net_connect deny of an approve rule */
	uint16_t port;
	uint64_t bytes_up, bytes_down; /* net_close: client->origin, back */
	bool transparent;     /* a redirected connection, not a proxy request */
};

struct proxy_ops {
	/* Decide on host:port and all of its addresses; fill v. Called on
	 * the loop. Return <0 to deny without a rule. */
	int (*decide)(void *arg, void *cookie, const char *host, uint16_t port,
		      const struct proxy_addr *ips, size_t nips,
		      struct proxy_verdict *v);
	void (*event)(void *arg, void *cookie, const struct proxy_event *ev);
};

struct proxy_opts {
	int64_t header_timeout_ms; /* whole request head; 0: default */
	int64_t idle_timeout_ms;   /* no bytes either way; 0: default */
	int64_t connect_timeout_ms; /* dial; 0: default */
	const char *hosts_file;    /* consulted before the system resolver */
};

struct proxy *proxy_new(struct loop *l, const struct proxy_ops *ops,
			void *arg, const struct proxy_opts *o);
/* Close every listener and connection. NULL is a no-op. */
void proxy_free(struct proxy *p);
/* Listen on "host:port" (port 0: ephemeral) for cookie; 0 or -errno. */
int proxy_listen(struct proxy *p, const char *hostport, void *cookie,
		 uint16_t *port_out);
/*
 * A transparent listener: connections nftables redirected here, decided
 * on their original destination (SO_ORIGINAL_DST) and the name their
 * first bytes give (TLS server name or HTTP Host). 0 or -errno.
 */
int proxy_listen_transparent(struct proxy *p, const char *hostport,
			     void *cookie, uint16_t *port_out);
/* Close cookie's listeners and all connections accepted by them. */
void proxy_unlisten(struct proxy *p, void *cookie);

/*
 * The server name of a TLS ClientHello (the first bytes of a tunnel).
 * Returns 1 with the name in out, 0 when more bytes are needed, -ENOENT
 * when the hello has no server name, -EINVAL when it is not a ClientHello.
 */
int proxy_tls_sni(const uint8_t *p, size_t n, char *out, size_t outlen);

/*
 * The name a transparent connection's first bytes give: the TLS server
 * name, or the Host header of an HTTP/1 request head (port dropped).
 * Returns 1 with the name in out, 0 when more bytes are needed (never at
 * eof), -ENOENT when there is no usable name; *http tells an HTTP client.
 */
int proxy_sniff_name(const uint8_t *p, size_t n, bool eof, char *out,
		     size_t outlen, bool *http);

#endif
