/* Network decisions for the supervisor. */
#include "daemon/supv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "audit/audit.h"
#include "common/str.h"
#include "daemon/llmgw.h"
#include "daemon/netgw.h"
#include "daemon/daemon.h"
#include "daemon/dnsgw.h"

static void supv_net_event(struct supv_listener *l, pid_t pid,
			   const char *remote, struct policy_verdict *v,
			   const char *op)
{
	struct audit_event ev = {0};

	supv_verdict_event(&ev, l, pid, "net", v);
	ev.approval_required = v->approval_required;
	ev.remote = remote;
	ev.operation = op;
	daemon_count_decision(l->d, v);
	if (daemon_event(l->d, &ev) < 0)
		v->effective = POLICY_DENY; /* unrecorded: not allowed */
}

/* The daemon's own TCP listener and the session's proxies (network and
 * LLM) on loopback are always reachable. */
static bool supv_is_self(struct daemon *d, const struct session *s,
			 const struct sup_net_req *r)
{
	static const unsigned char lo6[16] = {[15] = 1};
	uint16_t proxy = netgw_port(d, s->id), llm = llmgw_port(d, s->id);

	if (r->port == 0 || (r->port != d->http_port && r->port != proxy &&
			     r->port != llm))
		return false;
	if (r->family == AF_INET)
		return r->addr[0] == 127;
	return memcmp(r->addr, lo6, 16) == 0;
}

bool supv_on_net(void *arg, pid_t pid, const struct sup_net_req *r)
{
	struct supv_listener *l = arg;
	struct session *s = supv_session(l);
	struct policy_verdict v = {0};
	struct policy_ip ip = {0};
	struct policy_net_req nr = {0};
	char host[INET6_ADDRSTRLEN], remote[INET6_ADDRSTRLEN + 16];
	char line[POLICY_MESSAGE_MAX + 200];

	if (r->family == AF_UNIX)
		return s != NULL; /* unix_socket_rules: see docs/SECURITY.md */
	if (s == NULL)
		return false;
	if (supv_is_self(l->d, s, r) || dnsgw_is_self(s, r))
		return true;
	/* Transparent mode: the session's namespace sends all TCP to the
	 * proxy and all DNS to its listener, which decide and record; the
	 * rest of UDP is dropped there and refused below. */
	if (s->netns_fd >= 0 && (r->family == AF_INET ||
				 r->family == AF_INET6) &&
	    (r->type == SOCK_STREAM || (r->type == SOCK_DGRAM &&
					r->port == 53)))
		return true;
	inet_ntop(r->family, r->addr, host, sizeof(host));
	/* The engine's own form: IPv4 as ::ffff:a.b.c.d with v4 set, and
	 * IPv4-mapped IPv6 normalised to it. */
	if (policy_ip_parse(host, &ip) < 0)
		return false;
	snprintf(remote, sizeof(remote), r->family == AF_INET6 ? "[%s]:%u" :
		 "%s:%u", host, (unsigned)r->port);
	nr.host = host;
	nr.port = r->port;
	nr.ips = &ip;
	nr.nips = 1;
	if (r->type == SOCK_DGRAM && s->dns != NULL) {
		/* With the gateway's DNS listener, UDP goes there or nowhere. */
		v.decision = v.effective = POLICY_DENY;
		v.kind = POLICY_KIND_NETWORK;
		v.rule = "udp-outside-gateway-dns";
		v.rule_index = -1;
		v.reason = "UDP may reach only the session's DNS listener";
	} else if (policy_check_net(s->policy, s->ctx, &nr, &v) < 0) {
		v.effective = POLICY_DENY;
	}
	supv_net_event(l, pid, remote, &v, r->is_connect ? "connect" : "send");
	if (v.effective == POLICY_ALLOW)
		return true;
	snprintf(line, sizeof(line), "agentsh: connection to %s denied by rule "
		 "%s%s%s\n", remote, v.rule ? v.rule : "default-deny",
		 v.reason ? ": " : "", v.reason ? v.reason : "");
	supv_tell(pid, line);
	return false;
}
