/*
 * The DNS listener of each session: decides every query with the session's
 * network_rules, records a dns_query event, and leaves the rest to src/dns.
 */
#include "daemon/dnsgw.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "audit/audit.h"
#include "common/buf.h"
#include "common/json.h"
#include "common/log.h"
#include "common/str.h"
#include "daemon/daemon.h"
#include "daemon/supv.h"
#include "dns/dns.h"

#define DNSGW_PORT 53            /* where network_rules see DNS first */
#define DNSGW_PORTS_MAX 64       /* other rule ports a name is tried at */
#define DNSGW_FIELDS_MAX 2048    /* the event's fields object */
#define DNSGW_RESOLV_CONF "/etc/resolv.conf"

struct dnsgw {
	struct daemon *d;
	char sid[SESSION_ID_MAX];
	struct dns *dns;
	char addr[64];
};

/* Allowed at some port any network rule names (53 first)? */
static void dnsgw_check(struct session *s, const char *name,
			struct policy_verdict *v)
{
	const struct policy_src *src = s->src;
	struct policy_net_req nr = {.host = name, .port = DNSGW_PORT};
	struct policy_verdict v2;
	size_t tried = 0;

	if (policy_check_net(s->policy, s->ctx, &nr, v) < 0)
		v->effective = POLICY_DENY;
	for (size_t i = 0; i < src->n_net_rules && v->effective != POLICY_ALLOW;
	     i++) {
		for (size_t j = 0; j < src->net_rules[i].nports &&
		     tried < DNSGW_PORTS_MAX; j++, tried++) {
			nr.port = src->net_rules[i].ports[j];
			memset(&v2, 0, sizeof(v2));
			if (nr.port != DNSGW_PORT &&
			    policy_check_net(s->policy, s->ctx, &nr, &v2) == 0 &&
			    v2.effective == POLICY_ALLOW) {
				*v = v2;
				break;
			}
		}
	}
}

static void dnsgw_decide(void *arg, const struct dns_query *q,
			 struct dns_verdict *dv)
{
	struct dnsgw *g = arg;
	struct session *s = session_get(g->d->sessions, g->sid);
	/* Static: the rendered message it points to is read by the event. */
	static __thread struct policy_verdict v;

	memset(&v, 0, sizeof(v));
	dv->allow = false;
	if (s == NULL)
		return;
	dnsgw_check(s, q->name, &v);
	daemon_count_decision(g->d, &v);
	dv->allow = v.effective == POLICY_ALLOW;
	dv->decision = policy_decision_name(v.decision);
	dv->rule = v.rule ? v.rule : "default-deny-network";
	dv->message = v.reason;
}

static int dnsgw_event(void *arg, const struct dns_query *q,
			const struct dns_verdict *v, const char *transport)
{
	struct dnsgw *g = arg;
	struct audit_event ev = {0};
	struct buf b;
	int r;

	buf_init(&b, DNSGW_FIELDS_MAX);
	buf_puts(&b, "{\"name\":");
	json_str(&b, q->name);
	buf_puts(&b, ",\"type\":");
	json_str(&b, q->type);
	buf_puts(&b, ",\"transport\":");
	json_str(&b, transport);
	buf_printf(&b, ",\"answer\":\"%s\"}", v->allow ? "forwarded" :
		   "refused");
	ev.type = "dns_query";
	ev.session_id = g->sid;
	ev.decision = v->decision;
	ev.effective = v->allow ? "allow" : "deny";
	/* An approve rule with no approver: refused, and the event says so. */
	ev.approval_required = !v->allow && v->decision &&
			       strcmp(v->decision, "approve") == 0;
	ev.rule = v->rule;
	ev.message = v->message;
	ev.domain = q->name;
	ev.operation = "dns";
	ev.fields_json = b.data;
	r = daemon_event(g->d, &ev);
	buf_release(&b);
	return r;
}

static const struct dns_ops dnsgw_ops = {dnsgw_decide, dnsgw_event};

/* Listen and upstream addresses from the config; -errno. */
static int dnsgw_opts(const struct config *cfg, const char *listen,
		      struct dns_opts *o)
{
	const char *up = cfg->sandbox.network.dns.upstream;
	int r;

	memset(o, 0, sizeof(*o));
	r = dns_addr_parse(listen, 0, &o->listen, &o->listen_len);
	if (r < 0)
		return r;
	if (up && up[0])
		return dns_addr_parse(up, DNSGW_PORT, &o->upstream,
				      &o->upstream_len);
	return dns_resolv_conf(DNSGW_RESOLV_CONF, &o->upstream,
			       &o->upstream_len);
}

/* The next loopback address (127.a.b.c + 1), for a fixed port in use. */
static bool dnsgw_next_addr(struct dns_opts *o)
{
	struct sockaddr_in *a = (struct sockaddr_in *)&o->listen;
	uint32_t ip;

	if (a->sin_family != AF_INET || a->sin_port == 0)
		return false;
	ip = ntohl(a->sin_addr.s_addr) + 1;
	if ((ip >> 24) != 127)
		return false;
	a->sin_addr.s_addr = htonl(ip);
	return true;
}

/* Bind; a fixed address:port taken by another session's listener moves
 * to the next loopback address. */
static int dnsgw_bind(struct daemon *d, struct dnsgw *g, struct dns_opts *o)
{
	int r = -EADDRINUSE;

	for (int i = 0; i < DNS_BIND_TRIES && r == -EADDRINUSE; i++) {
		r = dns_new(d->loop, o, &dnsgw_ops, g, &g->dns);
		if (r == -EADDRINUSE && !dnsgw_next_addr(o))
			break;
	}
	return r;
}

void dnsgw_session_start(struct daemon *d, struct session *s,
			 const char *listen)
{
	const struct config *cfg = d->cfg;
	struct dns_opts o;
	struct dnsgw *g;
	socklen_t len;
	int r;

	if (!cfg->sandbox.network.enabled || !cfg->sandbox.network.dns.enabled)
		return;
	if (listen == NULL)
		listen = cfg->sandbox.network.dns.listen;
	r = dnsgw_opts(cfg, listen, &o);
	g = r == 0 ? calloc(1, sizeof(*g)) : NULL;
	if (g == NULL) {
		log_msg(LOG_LVL_WARN, "dns: session %s: no listener (no "
			"upstream or bad address: %s)", s->id,
			strerror(r < 0 ? -r : ENOMEM));
		return;
	}
	g->d = d;
	str_lcpy(g->sid, s->id, sizeof(g->sid));
	r = dnsgw_bind(d, g, &o);
	if (r < 0) {
		log_msg(LOG_LVL_WARN, "dns: session %s: cannot listen on %s: "
			"%s", s->id, listen,
			strerror(-r));
		free(g);
		return;
	}
	dns_addr_str(dns_local(g->dns, &len), g->addr, sizeof(g->addr));
	s->dns = g;
}

void dnsgw_session_stop(struct session *s)
{
	if (s->dns == NULL)
		return;
	dns_free(s->dns->dns);
	free(s->dns);
	s->dns = NULL;
}

bool dnsgw_is_self(const struct session *s, const struct sup_net_req *r)
{
	socklen_t len;
	const struct sockaddr *a;

	if (s->dns == NULL ||
	    (r->type != SOCK_DGRAM && r->type != SOCK_STREAM))
		return false;
	a = dns_local(s->dns->dns, &len);
	if (a->sa_family == AF_INET && r->family == AF_INET) {
		const struct sockaddr_in *a4 = (const struct sockaddr_in *)a;
		return ntohs(a4->sin_port) == r->port &&
		       memcmp(&a4->sin_addr, r->addr, 4) == 0;
	}
	if (a->sa_family == AF_INET6 && r->family == AF_INET6) {
		const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)a;
		return ntohs(a6->sin6_port) == r->port &&
		       memcmp(&a6->sin6_addr, r->addr, 16) == 0;
	}
	return false;
}

void dnsgw_json(const struct session *s, struct json_object *o)
{
	if (s->dns)
		json_object_object_add(o, "dns",
				       json_object_new_string(s->dns->addr));
}
