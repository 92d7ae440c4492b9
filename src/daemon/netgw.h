/*
 * The network gateway in the daemon: one forward proxy listener per
 * session on loopback, its decisions from the session's network_rules, its
 * events, and the proxy variables sandboxed processes are given.
 */
#ifndef AGENTSH_DAEMON_NETGW_H
#define AGENTSH_DAEMON_NETGW_H

#include <stddef.h>
#include <stdint.h>

#define NETGW_ENV_N 7      /* variables netgw_env writes */
#define NETGW_ENV_LEN 96   /* bytes of one of them */

struct daemon;
struct session;

/* Start the proxy when sandbox.network.enabled; 0 or -errno. */
int netgw_open(struct daemon *d);
void netgw_close(struct daemon *d);
/* A listener for s (a no-op when the gateway is off); 0 or -errno. */
int netgw_session_start(struct daemon *d, struct session *s);
void netgw_session_stop(struct daemon *d, const char *sid);
/* Transparent listeners for s (after netgw_session_start, inside its
 * network namespace) on 127.0.0.1:port and [::1]:port; 0 or -errno. */
int netgw_session_transparent(struct daemon *d, struct session *s,
			      uint16_t port);
/* The port of the session's proxy, 0 when it has none. */
uint16_t netgw_port(struct daemon *d, const char *sid);
/* HTTP_PROXY=... and the rest into out; the number written (0 if off). */
size_t netgw_env(struct daemon *d, const char *sid,
		 char out[NETGW_ENV_N][NETGW_ENV_LEN]);

#endif
