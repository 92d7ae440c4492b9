/* Probes, metrics and event queries. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "common/str.h"
#include "daemon/daemon.h"
#include "daemon/supv.h"

#define TAIL_MAX 64 /* concurrent SSE event tails */

struct tail {
	struct http_req *req;
	char session[SESSION_ID_MAX];
	bool used;
};

/* The daemon has one loop thread; tails live as long as the daemon. */
struct tails {
	struct daemon *d;
	struct tail t[TAIL_MAX];
};

static void health(struct http_req *req, void *arg)
{
	(void)arg;
	http_resp_send(req, 200, "text/plain", "ok\n", 3);
}

static void ready(struct http_req *req, void *arg)
{
	(void)arg;
	http_resp_send(req, 200, "text/plain", "ready\n", 6);
}

static void metrics(struct http_req *req, void *arg)
{
	static const char *const dec[] = {"allow", "deny", "approve", "redirect",
					  "audit", "soft_delete", "absorb"};
	struct daemon *d = arg;
	struct buf b;

	buf_init(&b, 1u << 20);
	buf_printf(&b, "# TYPE agentsh_up gauge\nagentsh_up 1\n"
		   "# TYPE agentsh_sessions_active gauge\n"
		   "agentsh_sessions_active %zu\n"
		   "# TYPE agentsh_commands_total counter\n"
		   "agentsh_commands_total %llu\n"
		   "# TYPE agentsh_shim_prepares_total counter\n"
		   "agentsh_shim_prepares_total %llu\n"
		   "# TYPE agentsh_events_total counter\n"
		   "agentsh_events_total %llu\n"
		   "# TYPE agentsh_supervisor_notifications_total counter\n"
		   "agentsh_supervisor_notifications_total %llu\n"
		   "# TYPE agentsh_supervisor_listeners gauge\n"
		   "agentsh_supervisor_listeners %zu\n"
		   "# TYPE agentsh_decisions_total counter\n",
		   session_count(d->sessions), (unsigned long long)d->m.commands,
		   (unsigned long long)d->m.shim_prepares,
		   (unsigned long long)d->m.events,
		   (unsigned long long)supv_notifications(d), d->nlisteners);
	for (int blocked = 0; blocked < 2; blocked++)
		for (int k = 0; k < 7; k++)
			buf_printf(&b, "agentsh_decisions_total{decision=\"%s\","
				   "result=\"%s\"} %llu\n", dec[k],
				   blocked ? "denied" : "allowed",
				   (unsigned long long)d->m.decisions[blocked][k]);
	http_resp_send(req, 200, "text/plain; version=0.0.4", b.data, b.len);
	buf_release(&b);
}

struct qout {
	struct buf b;
	int n;
};

static int search_row(void *arg, const struct audit_row *r)
{
	struct qout *q = arg;

	if (q->n++)
		buf_putc(&q->b, ',');
	return buf_append(&q->b, r->json, r->json_len) < 0;
}

/* "1h" (that long ago) or an RFC 3339 time; 0 = open, -1 = invalid. */
static int64_t since_arg(const char *s)
{
	int64_t ms, ns;
	struct timespec now;

	if (s == NULL)
		return 0;
	if (str_duration_ms(s, &ms) < 0)
		return audit_time_parse(s, strlen(s), &ns) == 0 ? ns : -1;
	clock_gettime(CLOCK_REALTIME, &now);
	return ((int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000 - ms) * 1000000;
}

static int query_int(struct http_req *req, const char *name, int def)
{
	const char *v = http_req_query(req, name);
	int64_t x;

	return v && str_to_i64(v, 0, 100000, &x) == 0 ? (int)x : def;
}

/* GET /api/v1/events/search and /sessions/{id}/history. */
static void search(struct http_req *req, void *arg)
{
	struct daemon *d = arg;
	struct audit_query q = {0};
	struct session *own, *s;
	enum daemon_role role = daemon_role(d, req, &own);
	struct qout out = {.n = 0};
	const char *sid = http_req_param(req, "id");
	int r;

	q.session_id = sid ? sid : http_req_query(req, "session_id");
	s = q.session_id ? session_get(d->sessions, q.session_id) : NULL;
	if (role != ROLE_OPERATOR && (role != ROLE_SANDBOX || own == NULL ||
				      (q.session_id && s != own))) {
		daemon_error(req, 403, "events of other sessions need an "
			     "operator identity");
		return;
	}
	if (role == ROLE_SANDBOX)
		q.session_id = own->id;
	q.command_id = http_req_query(req, "command_id");
	q.types = http_req_query(req, "type");
	q.decision = http_req_query(req, "decision");
	q.path_like = http_req_query(req, "path_like");
	q.domain_like = http_req_query(req, "domain_like");
	q.text_like = http_req_query(req, "text_like");
	q.since_ns = since_arg(http_req_query(req, "since"));
	q.until_ns = since_arg(http_req_query(req, "until"));
	if (q.since_ns < 0 || q.until_ns < 0) {
		daemon_error(req, 400, "since/until: use a duration (1h) or an "
			     "RFC 3339 time");
		return;
	}
	q.limit = query_int(req, "limit", 200);
	q.offset = query_int(req, "offset", 0);
	q.desc = http_req_query(req, "order") &&
		 strcmp(http_req_query(req, "order"), "desc") == 0;
	if (d->audit)
		audit_sync(d->audit, 2000);
	buf_init(&out.b, HTTP_RESP_MAX / 2);
	buf_putc(&out.b, '[');
	r = d->audit ? audit_query_run(d->cfg->audit.storage.sqlite_path, &q,
				       search_row, &out) : 0;
	buf_putc(&out.b, ']');
	if (r < 0 && r != -ENOENT)
		daemon_error(req, 500, "query failed: %s", strerror(-r));
	else
		http_resp_json(req, 200, &out.b);
	buf_release(&out.b);
}

static void tail_listener(void *arg, const char *json, size_t len,
			  const struct audit_event *ev)
{
	struct tails *ts = arg;

	for (size_t i = 0; i < TAIL_MAX; i++) {
		struct tail *t = &ts->t[i];
		if (!t->used || (ev->session_id == NULL ||
				 strcmp(ev->session_id, t->session) != 0))
			continue;
		if (http_sse_send(t->req, NULL, json, len) < 0) {
			http_sse_end(t->req);
			t->used = false;
		}
	}
}

static void tail_abort(struct http_req *req, void *arg)
{
	struct tail *t = arg;

	if (t->used) {
		t->used = false;
		http_sse_end(req);
	}
}

static void tail(struct http_req *req, void *arg)
{
	struct tails *ts = arg;
	struct session *s = session_get(ts->d->sessions, http_req_param(req, "id"));
	size_t i;

	if (s == NULL || !daemon_may_use(ts->d, req, s)) {
		daemon_error(req, 404, "session not found");
		return;
	}
	for (i = 0; i < TAIL_MAX && ts->t[i].used; i++)
		;
	if (i == TAIL_MAX) {
		daemon_error(req, 503, "too many event tails");
		return;
	}
	ts->t[i].used = true;
	ts->t[i].req = req;
	str_lcpy(ts->t[i].session, s->id, sizeof(ts->t[i].session));
	http_req_on_abort(req, tail_abort, &ts->t[i]);
	http_sse_start(req);
	http_sse_send(req, "ready", "{}", 2);
}

int daemon_routes_misc(struct daemon *d)
{
	static struct tails ts; /* one daemon per process */
	const char *hp = d->cfg->health.path ? d->cfg->health.path : "/health";
	const char *rp = d->cfg->health.readiness_path ?
				 d->cfg->health.readiness_path : "/ready";
	int r;

	ts.d = d;
	if (d->audit)
		audit_set_listener(d->audit, tail_listener, &ts);
	r = http_route(d->http, "GET", hp, health, d);
	if (r == 0)
		r = http_route(d->http, "GET", rp, ready, d);
	if (r == 0)
		r = http_route(d->http, "GET", d->cfg->metrics.path ?
			       d->cfg->metrics.path : "/metrics", metrics, d);
	if (r == 0)
		r = http_route(d->http, "GET", "/api/v1/events/search", search, d);
	if (r == 0)
		r = http_route(d->http, "GET", "/api/v1/sessions/{id}/history",
			       search, d);
	if (r == 0)
		r = http_route(d->http, "GET", "/api/v1/sessions/{id}/events", tail, d);
	return r;
}
