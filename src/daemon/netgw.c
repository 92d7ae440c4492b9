/* The forward proxy wired to sessions: listeners, decisions and events. */
#include "daemon/netgw.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "common/json.h"
#include "common/log.h"
#include "common/str.h"
#include "daemon/daemon.h"
#include "daemon/ident.h"
#include "daemon/session.h"
#include "proxy/proxy.h"

/* Where the address classes below are refused unless a rule names them. */
#define NETGW_SPECIAL (POLICY_IP_LOOPBACK | POLICY_IP_PRIVATE | \
	POLICY_IP_LINKLOCAL | POLICY_IP_METADATA | POLICY_IP_CGNAT | \
	POLICY_IP_MULTICAST | POLICY_IP_UNSPECIFIED | POLICY_IP_ULA)
#define NETGW_HOST_MAX 64 /* the listen address's host part */

struct netgw_sess {
	char sid[SESSION_ID_MAX];
	uint16_t port;
	struct netgw_sess *next;
};

struct netgw {
	struct proxy *proxy;
	char host[NETGW_HOST_MAX];
	struct netgw_sess *list;
};

static struct netgw_sess *netgw_find(struct daemon *d, const char *sid)
{
	struct netgw_sess *e = d->netgw ? d->netgw->list : NULL;

	while (e && strcmp(e->sid, sid) != 0)
		e = e->next;
	return e;
}

/* Was ip allowed by a rule that names addresses (a CIDR containing it)? */
static bool netgw_explicit(struct session *s, const char *host, uint16_t port,
			   const struct policy_ip *ip, const char *iptext)
{
	const struct policy_src *src = policy_source(s->policy);
	struct policy_net_req nr = {host, port, ip, 1};
	struct policy_verdict v = {0};

	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1)
			nr.host = iptext;
		if (policy_check_net(s->policy, s->ctx, &nr, &v) == 0 &&
		    v.effective == POLICY_ALLOW && v.rule_index >= 0 &&
		    (size_t)v.rule_index < src->n_net_rules &&
		    src->net_rules[v.rule_index].cidrs.n > 0)
			return true;
	}
	return false;
}

static bool netgw_special(const struct policy_ip *ip)
{
	struct policy_ip v4;

	if (policy_ip_class(ip) & NETGW_SPECIAL)
		return true;
	return policy_ip_embedded_v4(ip, &v4) &&
	       (policy_ip_class(&v4) & NETGW_SPECIAL);
}

/* The first address the rules allow on its own; -1 (with why) if none. */
static int netgw_pick(struct session *s, const char *host, uint16_t port,
		      const struct policy_ip *ips, char txt[][POLICY_IP_FORMAT_MAX],
		      size_t n, bool *special)
{
	struct policy_verdict v = {0};

	for (size_t i = 0; i < n; i++) {
		struct policy_net_req nr = {host, port, &ips[i], 1};
		if (policy_check_net(s->policy, s->ctx, &nr, &v) < 0 ||
		    v.effective != POLICY_ALLOW)
			continue;
		if (netgw_special(&ips[i]) &&
		    !netgw_explicit(s, host, port, &ips[i], txt[i])) {
			*special = true;
			continue;
		}
		return (int)i;
	}
	return -1;
}

static void netgw_render(const struct policy_verdict *pv, const char *host,
			 uint16_t port, const char *ip, struct proxy_verdict *v)
{
	struct policy_render_args a = {0};
	char ps[8], msg[POLICY_MESSAGE_MAX];

	snprintf(ps, sizeof(ps), "%u", (unsigned)port);
	a.domain = host;
	a.remote_addr = ip;
	a.port = ps;
	a.operation = "connect";
	if (policy_render_message(pv, &a, msg, sizeof(msg)) < 0)
		msg[0] = '\0';
	str_lcpy(v->message, msg, sizeof(v->message));
	/* No approver exists: an approve rule is a deny that says so, its
	 * own message after the reason. */
	v->approval = pv->approval_required;
	if (pv->approval_required && pv->message && pv->reason)
		snprintf(v->message, sizeof(v->message), "%s (%s)", pv->reason,
			 msg);
	str_lcpy(v->rule, pv->rule ? pv->rule : "default-deny-network",
		 sizeof(v->rule));
}

static int netgw_decide(void *arg, void *cookie, const char *host,
			uint16_t port, const struct proxy_addr *ips,
			size_t nips, struct proxy_verdict *v)
{
	struct daemon *d = arg;
	struct netgw_sess *e = cookie;
	struct session *s = session_get(d->sessions, e->sid);
	struct policy_ip pip[PROXY_MAX_IPS];
	char txt[PROXY_MAX_IPS][POLICY_IP_FORMAT_MAX];
	struct policy_net_req nr = {host, port, pip, nips};
	struct policy_verdict pv = {0};
	bool special = false;

	if (s == NULL || nips > PROXY_MAX_IPS)
		return -ENOENT;
	for (size_t i = 0; i < nips; i++) {
		inet_ntop(ips[i].family, ips[i].a, txt[i], sizeof(txt[i]));
		if (policy_ip_parse(txt[i], &pip[i]) < 0)
			return -EINVAL;
	}
	if (policy_check_net(s->policy, s->ctx, &nr, &pv) < 0)
		return -EINVAL;
	daemon_count_decision(d, &pv);
	netgw_render(&pv, host, port, txt[0], v);
	if (pv.effective != POLICY_ALLOW)
		return 0;
	v->dial = netgw_pick(s, host, port, pip, txt, nips, &special);
	v->allow = v->dial >= 0;
	if (!v->allow && special) {
		str_lcpy(v->rule, "deny-private-address", sizeof(v->rule));
		snprintf(v->message, sizeof(v->message), "%s resolves to a "
			 "private, loopback, link-local or metadata address "
			 "and no rule allows that address explicitly", host);
	}
	return 0;
}

static void netgw_event(void *arg, void *cookie, const struct proxy_event *pe)
{
	struct daemon *d = arg;
	struct netgw_sess *e = cookie;
	struct audit_event ev = {0};
	char remote[POLICY_IP_FORMAT_MAX + 16];
	struct buf b;

	buf_init(&b, PROXY_HOST_MAX + POLICY_PATH_MAX + 256);
	buf_printf(&b, "{\"port\":%u", (unsigned)pe->port);
	if (pe->method) {
		buf_puts(&b, ",\"method\":");
		json_str(&b, pe->method);
		buf_puts(&b, ",\"path\":");
		json_str(&b, pe->path ? pe->path : "");
	}
	if (pe->transparent)
		buf_puts(&b, ",\"transparent\":true");
	if (strcmp(pe->type, "net_close") == 0)
		buf_printf(&b, ",\"bytes_sent\":%llu,\"bytes_received\":%llu",
			   (unsigned long long)pe->bytes_up,
			   (unsigned long long)pe->bytes_down);
	buf_putc(&b, '}');
	snprintf(remote, sizeof(remote), strchr(pe->ip ? pe->ip : "", ':') ?
		 "[%s]:%u" : "%s:%u", pe->ip ? pe->ip : "", (unsigned)pe->port);
	ev.type = pe->type;
	ev.session_id = e->sid;
	ev.domain = pe->host;
	ev.remote = pe->ip ? remote : NULL;
	ev.rule = pe->rule;
	ev.decision = ev.effective = pe->decision;
	ev.message = pe->message;
	if (pe->approval) {
		ev.decision = "approve";
		ev.approval_required = true;
	}
	ev.operation = pe->type + 4;
	ev.fields_json = b.data;
	daemon_event(d, &ev);
	buf_release(&b);
}

static int netgw_host(struct netgw *g, const char *addr)
{
	const char *colon = addr ? strrchr(addr, ':') : NULL;
	size_t n = colon ? (size_t)(colon - addr) : 0;

	if (n == 0)
		addr = "127.0.0.1", n = 9;
	if (n >= sizeof(g->host))
		return -EINVAL;
	memcpy(g->host, addr, n);
	g->host[n] = '\0';
	return 0;
}

int netgw_open(struct daemon *d)
{
	static const struct proxy_ops ops = {netgw_decide, netgw_event};
	struct proxy_opts o = {0};
	struct netgw *g;

	if (!d->cfg->sandbox.network.enabled)
		return 0;
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return -ENOMEM;
	if (netgw_host(g, d->cfg->sandbox.network.proxy_listen_addr) < 0) {
		free(g);
		return -EINVAL;
	}
	/* Tests map names without DNS: a hosts file read before the system
	 * resolver. */
	o.hosts_file = ident_env_get(d->env, "AGENTSH_NET_HOSTS_FILE");
	g->proxy = proxy_new(d->loop, &ops, d, &o);
	if (g->proxy == NULL) {
		free(g);
		return -ENOMEM;
	}
	d->netgw = g;
	return 0;
}

void netgw_close(struct daemon *d)
{
	struct netgw *g = d->netgw;

	if (g == NULL)
		return;
	proxy_free(g->proxy);
	while (g->list) {
		struct netgw_sess *n = g->list->next;
		free(g->list);
		g->list = n;
	}
	free(g);
	d->netgw = NULL;
}

int netgw_session_start(struct daemon *d, struct session *s)
{
	struct netgw *g = d->netgw;
	struct netgw_sess *e;
	char addr[NETGW_HOST_MAX + 8];
	int r;

	if (g == NULL)
		return 0;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	str_lcpy(e->sid, s->id, sizeof(e->sid));
	snprintf(addr, sizeof(addr), strchr(g->host, ':') ? "[%s]:0" : "%s:0",
		 g->host);
	r = proxy_listen(g->proxy, addr, e, &e->port);
	if (r < 0) {
		log_msg(LOG_LVL_ERROR, "proxy for session %s: %s", s->id,
			strerror(-r));
		free(e);
		return r;
	}
	e->next = g->list;
	g->list = e;
	return 0;
}

int netgw_session_transparent(struct daemon *d, struct session *s,
			      uint16_t port)
{
	struct netgw_sess *e = netgw_find(d, s->id);
	char addr[32];
	int r;

	if (e == NULL)
		return -ENOENT;
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", (unsigned)port);
	r = proxy_listen_transparent(d->netgw->proxy, addr, e, NULL);
	if (r < 0)
		return r;
	/* IPv6 only where the namespace has it. */
	snprintf(addr, sizeof(addr), "[::1]:%u", (unsigned)port);
	if (proxy_listen_transparent(d->netgw->proxy, addr, e, NULL) < 0)
		log_msg(LOG_LVL_DEBUG, "proxy: session %s: no IPv6 transparent "
			"listener", s->id);
	return 0;
}

void netgw_session_stop(struct daemon *d, const char *sid)
{
	struct netgw_sess **pp = d->netgw ? &d->netgw->list : NULL, *e;

	while (pp && *pp && strcmp((*pp)->sid, sid) != 0)
		pp = &(*pp)->next;
	if (pp == NULL || (e = *pp) == NULL)
		return;
	*pp = e->next;
	proxy_unlisten(d->netgw->proxy, e);
	free(e);
}

uint16_t netgw_port(struct daemon *d, const char *sid)
{
	struct netgw_sess *e = netgw_find(d, sid);

	return e ? e->port : 0;
}

size_t netgw_env(struct daemon *d, const char *sid,
		 char out[NETGW_ENV_N][NETGW_ENV_LEN])
{
	static const char *const names[] = {"HTTP_PROXY", "HTTPS_PROXY",
		"ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"};
	struct netgw_sess *e = netgw_find(d, sid);
	const char *h = d->netgw ? d->netgw->host : "";
	bool v6 = strchr(h, ':') != NULL;

	if (e == NULL)
		return 0;
	if (strcmp(h, "0.0.0.0") == 0 || strcmp(h, "::") == 0)
		h = v6 ? "::1" : "127.0.0.1";
	for (size_t i = 0; i < 6; i++)
		snprintf(out[i], NETGW_ENV_LEN, v6 ? "%s=http://[%s]:%u" :
			 "%s=http://%s:%u", names[i], h, (unsigned)e->port);
	snprintf(out[6], NETGW_ENV_LEN, "NO_PROXY=localhost,127.0.0.1");
	return NETGW_ENV_N;
}
