/*
 * Transparent network mode: a network namespace per session whose TCP
 * goes to the proxy and whose DNS goes to the session's DNS listener
 * (nftables), everything else dropped (docs/GATEWAY.md).
 */
#ifndef AGENTSH_DAEMON_NETNS_H
#define AGENTSH_DAEMON_NETNS_H

#include <stdbool.h>
#include <stddef.h>

#define NETNS_TPROXY_PORT 15001 /* the transparent listener, in the netns */
#define NETNS_LLM_PORT 15002    /* the session's LLM proxy, in the netns */

struct daemon;
struct session;

/* Has the daemon CAP_NET_ADMIN and CAP_SYS_ADMIN (new namespaces)? */
bool netns_have_cap(void);
/*
 * Create s's namespace with its proxy, transparent and DNS listeners
 * inside and the rules loaded; 0, or -errno with why filled in and
 * nothing left behind (the caller falls back to the plain gateway).
 */
int netns_session_start(struct daemon *d, struct session *s, char *why,
			size_t n);
void netns_session_stop(struct session *s);
/* Send s's namespace descriptor on the Unix socket chan (SCM_RIGHTS). */
int netns_send(const struct session *s, int chan);

#endif
