/* /api/v1/sessions and /api/v1/policy/test. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "common/json.h"
#include "common/log.h"
#include "common/str.h"
#include "daemon/daemon.h"
#include "daemon/dnsgw.h"
#include "daemon/llmgw.h"
#include "daemon/netgw.h"
#include "daemon/netns.h"
#include "daemon/supv.h"

static void session_event(struct daemon *d, struct session *s,
			  const char *type, const char *why)
{
	struct audit_event ev = {0};
	char fields[PATH_MAX + 400];
	struct buf b;

	buf_init(&b, sizeof(fields));
	buf_puts(&b, "{\"workspace\":");
	json_str(&b, s->workspace);
	buf_puts(&b, ",\"policy\":");
	json_str(&b, s->policy_name);
	if (why) {
		buf_puts(&b, ",\"reason\":");
		json_str(&b, why);
	}
	buf_putc(&b, '}');
	ev.type = type;
	ev.session_id = s->id;
	ev.fields_json = b.data;
	daemon_event(d, &ev);
	buf_release(&b);
}

/* Transparent mode when configured; 1 when it is on, 0 when not (after
 * a transparent_net_failed event: the plain gateway is used instead). */
static int session_net_transparent(struct daemon *d, struct session *s)
{
	char why[512];

	if (!d->cfg->sandbox.network.enabled ||
	    !d->cfg->sandbox.network.transparent.enabled)
		return 0;
	if (netns_session_start(d, s, why, sizeof(why)) == 0) {
		session_event(d, s, "transparent_net_ready", NULL);
		return 1;
	}
	log_msg(LOG_LVL_WARN, "session %s: transparent network mode failed: "
		"%s; using the proxy variables only", s->id, why);
	session_event(d, s, "transparent_net_failed", why);
	return 0;
}

int daemon_session_create(struct daemon *d, const char *id, const char *ws,
			  const char *policy, struct session **out,
			  struct diag *diag)
{
	int r = session_create(d->sessions, id, ws, policy,
			       loop_now_ms(d->loop), out, diag);
	int tr = r == 0 ? session_net_transparent(d, *out) : 0;

	if (r == 0 && tr == 0 && (r = netgw_session_start(d, *out)) < 0) {
		session_destroy(d->sessions, (*out)->id);
		*out = NULL;
	}
	if (r == 0) {
		if (tr == 0)
			dnsgw_session_start(d, *out, NULL);
		llmgw_session_start(d, *out);
		session_event(d, *out, "session_created", NULL);
	}
	return r;
}

void daemon_session_destroy(struct daemon *d, struct session *s,
			    const char *type, const char *why)
{
	char id[SESSION_ID_MAX];

	session_event(d, s, type, why);
	str_lcpy(id, s->id, sizeof(id));
	supv_pt_session_gone(d, id);
	dnsgw_session_stop(s);
	netgw_session_stop(d, id);
	llmgw_session_stop(d, id);
	netns_session_stop(s);
	session_destroy(d->sessions, id);
}

json_object *daemon_session_json(struct daemon *d, struct session *s)
{
	json_object *o = json_object_new_object();
	char net[NETGW_ENV_N][NETGW_ENV_LEN];

	json_object_object_add(o, "id", json_object_new_string(s->id));
	if (netgw_env(d, s->id, net) > 0) /* HTTP_PROXY=<url> first */
		json_object_object_add(o, "proxy_url", json_object_new_string(
					       strchr(net[0], '=') + 1));
	json_object_object_add(o, "transparent",
			       json_object_new_boolean(s->netns_fd >= 0));
	json_object_object_add(o, "state", json_object_new_string(
				       s->busy ? "busy" : "ready"));
	json_object_object_add(o, "created_at_ms", json_object_new_int64(s->created_ms));
	json_object_object_add(o, "workspace", json_object_new_string(s->workspace));
	json_object_object_add(o, "policy", json_object_new_string(s->policy_name));
	json_object_object_add(o, "cwd", json_object_new_string(s->cwd));
	json_object_object_add(o, "project_root",
			       json_object_new_string(s->project_root));
	json_object_object_add(o, "git_root", json_object_new_string(s->git_root));
	json_object_object_add(o, "commands", json_object_new_int64((int64_t)s->commands));
	json_object_object_add(o, "denied", json_object_new_int64((int64_t)s->denied));
	dnsgw_json(s, o);
	return o;
}

static const char *jget(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) &&
			       json_object_is_type(v, json_type_string) ?
		       json_object_get_string(v) : NULL;
}

static void sessions_create(struct http_req *req, void *arg)
{
	struct daemon *d = arg;
	struct session *own, *s = NULL;
	json_object *body;
	struct diag diag;
	int r;

	if (daemon_role(d, req, &own) != ROLE_OPERATOR) {
		daemon_error(req, 403, "creating sessions and choosing policies "
			     "needs an operator identity");
		return;
	}
	if ((body = daemon_body(req)) == NULL)
		return;
	diag_init(&diag);
	r = daemon_session_create(d, jget(body, "id"), jget(body, "workspace"),
				  jget(body, "policy"), &s, &diag);
	if (r == 0)
		daemon_send_json(req, 201, daemon_session_json(d, s));
	else if (r == -EEXIST)
		daemon_error(req, 409, "session %s already exists", jget(body, "id"));
	else
		daemon_error(req, r == -EPERM ? 403 : 400, "%s",
			     diag.n ? diag.v[0].msg : strerror(-r));
	diag_release(&diag);
	json_object_put(body);
}

static void sessions_list(struct http_req *req, void *arg)
{
	struct daemon *d = arg;
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < session_count(d->sessions); i++) {
		struct session *s = session_at(d->sessions, i);
		if (daemon_may_use(d, req, s))
			json_object_array_add(a, daemon_session_json(d, s));
	}
	daemon_send_json(req, 200, a);
}

/* The session named in the path, if the caller may use it (else answered). */
static struct session *path_session(struct daemon *d, struct http_req *req)
{
	struct session *s = session_get(d->sessions, http_req_param(req, "id"));

	if (s == NULL || !daemon_may_use(d, req, s)) {
		daemon_error(req, 404, "session not found");
		return NULL;
	}
	return s;
}

static void sessions_get(struct http_req *req, void *arg)
{
	struct daemon *d = arg;
	struct session *s = path_session(d, req);

	if (s)
		daemon_send_json(req, 200, daemon_session_json(d, s));
}

static void sessions_proxy(struct http_req *req, void *arg)
{
	struct daemon *d = arg;
	struct session *s = path_session(d, req);

	if (s)
		daemon_send_json(req, 200, llmgw_json(d, s->id));
}

static void sessions_delete(struct http_req *req, void *arg)
{
	struct daemon *d = arg;
	struct session *own, *s;

	if (daemon_role(d, req, &own) != ROLE_OPERATOR) {
		daemon_error(req, 403, "destroying sessions needs an operator "
			     "identity");
		return;
	}
	if ((s = path_session(d, req)) == NULL)
		return;
	daemon_session_destroy(d, s, "session_destroyed", "api");
	http_resp_send(req, 204, NULL, NULL, 0);
}

#define PTEST_WORDS_MAX 64 /* words of a command in policy/test */

/* One decision on behalf of the API: file, network or command. */
static void ptest_decide(struct session *s, const char *op, char *target,
			 struct policy_verdict *v)
{
	enum policy_file_op fop;

	if (strcmp(op, "exec") == 0 || strcmp(op, "command") == 0) {
		char *argv[PTEST_WORDS_MAX], *save = NULL;
		size_t argc = 0;
		for (char *w = strtok_r(target, " ", &save);
		     w && argc < PTEST_WORDS_MAX; w = strtok_r(NULL, " ", &save))
			argv[argc++] = w;
		struct policy_exec_req r = {argc ? argv[0] : "",
					    (const char *const *)argv, argc, 0};
		policy_check_exec(s->policy, s->ctx, &r, v);
	} else if (strcmp(op, "connect") == 0 || strncmp(op, "net_", 4) == 0) {
		char *colon = strrchr(target, ':');
		long port = 443;
		if (colon && strchr(colon, ']') == NULL) {
			*colon = '\0';
			port = strtol(colon + 1, NULL, 10);
		}
		struct policy_net_req r = {target, (uint16_t)port, NULL, 0};
		policy_check_net(s->policy, s->ctx, &r, v);
	} else {
		if (strncmp(op, "file_", 5) == 0)
			op += 5;
		if (policy_file_op_parse(op, &fop) < 0)
			fop = POLICY_OP_READ;
		struct policy_file_req r = {fop, target, s->cwd};
		policy_check_file(s->policy, s->ctx, &r, v);
	}
}

static void policy_test(struct http_req *req, void *arg)
{
	struct daemon *d = arg;
	json_object *body, *o;
	const char *sid, *op, *path;
	struct session *s;
	struct policy_verdict v;
	char target[4096], msg[POLICY_MESSAGE_MAX];

	if ((body = daemon_body(req)) == NULL)
		return;
	sid = jget(body, "session_id");
	op = jget(body, "operation");
	path = jget(body, "path");
	s = sid ? session_get(d->sessions, sid) : NULL;
	if (s == NULL || !daemon_may_use(d, req, s) || op == NULL || path == NULL) {
		daemon_error(req, 400, "want {session_id, operation, path} for a "
			     "session you may use");
		json_object_put(body);
		return;
	}
	str_lcpy(target, path, sizeof(target));
	ptest_decide(s, op, target, &v);
	policy_render_message(&v, NULL, msg, sizeof(msg));
	o = json_object_new_object();
	json_object_object_add(o, "decision", json_object_new_string(
				       policy_decision_name(v.effective)));
	json_object_object_add(o, "policy_decision", json_object_new_string(
				       policy_decision_name(v.decision)));
	json_object_object_add(o, "rule", json_object_new_string(v.rule));
	json_object_object_add(o, "message", json_object_new_string(msg));
	json_object_object_add(o, "reason", v.reason ?
			       json_object_new_string(v.reason) : NULL);
	json_object_put(body);
	daemon_send_json(req, 200, o);
}

int daemon_routes_sessions(struct daemon *d)
{
	int r = http_route(d->http, "POST", "/api/v1/sessions", sessions_create, d);

	if (r == 0)
		r = http_route(d->http, "GET", "/api/v1/sessions", sessions_list, d);
	if (r == 0)
		r = http_route(d->http, "GET", "/api/v1/sessions/{id}", sessions_get, d);
	if (r == 0)
		r = http_route(d->http, "GET", "/api/v1/sessions/{id}/proxy",
			       sessions_proxy, d);
	if (r == 0)
		r = http_route(d->http, "DELETE", "/api/v1/sessions/{id}",
			       sessions_delete, d);
	if (r == 0)
		r = http_route(d->http, "POST", "/api/v1/policy/test", policy_test, d);
	return r;
}
