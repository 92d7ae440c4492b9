/*
 * POST /api/v1/shim/prepare: the shim asks, before it execs the real shell,
 * whether the shell and every command its script names may run, which of
 * its environment variables may pass, and what to add. Only over the Unix
 * socket, whose peer credentials say who is asking.
 */
#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "common/proto.h"
#include "common/log.h"
#include "common/str.h"
#include "daemon/daemon.h"
#include "daemon/llmgw.h"
#include "daemon/netgw.h"
#include "daemon/netns.h"
#include "daemon/ident.h"
#include "daemon/precheck.h"
#include "daemon/shells.h"
#include "daemon/supv.h"

#define SHIM_ENV_MAX 65536 /* variables in one request */

struct prep {
	struct daemon *d;
	struct session *s;
	json_object *req, *resp;
	const char *shell;
	int depth;       /* of the shell: 0 direct, deeper inside a session */
	int cmd_depth;   /* of its script's top-level commands */
	bool inside;     /* started inside a session (already supervised) */
	pid_t pid;
};

/* Session id for a workspace: readable and stable. */
static void prep_ws_id(const char *ws, char *out, size_t n)
{
	const char *base = strrchr(ws, '/');
	uint64_t h = 1469598103934665603ull;
	char clean[40];
	size_t k = 0;

	for (const char *p = ws; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	base = base && base[1] ? base + 1 : "root";
	for (; *base && k < sizeof(clean) - 1; base++)
		clean[k++] = (char)(isalnum((unsigned char)*base) || *base == '-' ?
				    *base : '_');
	clean[k] = '\0';
	snprintf(out, n, "ws-%s-%016llx", clean, (unsigned long long)h);
}

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) &&
			       json_object_is_type(v, json_type_string) ?
		       json_object_get_string(v) : NULL;
}

/* The session this shell belongs to: its ancestors' if it is sandboxed,
 * else the one for its workspace (created on first use). */
static int prep_session(struct prep *p, struct http_req *req)
{
	const struct http_peer *peer = http_req_peer(req);
	const char *cwd = jstr(p->req, "cwd");
	char proj[PATH_MAX], git[PATH_MAX], id[SESSION_ID_MAX];
	struct diag diag;
	int r;

	p->pid = peer->pid;
	if (ident_is_sandboxed(peer->pid, p->d->self_filters)) {
		/* A shell some command started: its commands are one deeper. */
		p->inside = true;
		p->depth = supv_depth_of(p->d, peer->pid);
		if (p->depth < 0)
			p->depth = 1; /* not supervised: at least nested */
		p->cmd_depth = p->depth + 1;
		p->s = session_for_pid(p->d->sessions, peer->pid);
		return p->s ? 0 : -ESRCH;
	}
	/* An unsandboxed caller may name its session (AGENTSH_SESSION_ID). */
	if (jstr(p->req, "session_id") &&
	    (p->s = session_get(p->d->sessions, jstr(p->req, "session_id"))))
		return 0;
	if (cwd == NULL || policy_detect_roots(cwd,
			(const char *const *)p->d->cfg->policies.project_markers,
			proj, git, sizeof(proj)) < 0)
		str_lcpy(proj, "/", sizeof(proj));
	prep_ws_id(proj, id, sizeof(id));
	p->s = session_get(p->d->sessions, id);
	if (p->s)
		return 0;
	diag_init(&diag);
	r = daemon_session_create(p->d, id, proj, NULL, &p->s, &diag);
	diag_release(&diag);
	return r;
}

/* Single-quote s for sh into b. */
static void sh_quote(struct buf *b, const char *s)
{
	buf_putc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			buf_puts(b, "'\\''");
		else
			buf_putc(b, *s);
	}
	buf_putc(b, '\'');
}

/* redirect_to: command, then its args, the original args, args_append. */
static void prep_redirect(struct prep *p, const struct policy_verdict *v,
			  const struct shparse_cmd *c)
{
	const struct policy_redirect *rd = v->cmd_rule->redirect;
	json_object *argv = json_object_new_array(), *in;
	struct buf b;

	buf_init(&b, 1u << 20);
	sh_quote(&b, rd->command);
	for (size_t i = 0; i < rd->args.n; i++) {
		buf_putc(&b, ' ');
		sh_quote(&b, rd->args.v[i]);
	}
	for (size_t i = 1; i < c->argc; i++) {
		buf_putc(&b, ' ');
		sh_quote(&b, c->argv[i]);
	}
	for (size_t i = 0; i < rd->args_append.n; i++) {
		buf_putc(&b, ' ');
		sh_quote(&b, rd->args_append.v[i]);
	}
	in = json_object_object_get(p->req, "argv");
	json_object_array_add(argv, json_object_new_string(
		json_object_get_string(json_object_array_get_idx(in, 0))));
	json_object_array_add(argv, json_object_new_string("-c"));
	json_object_array_add(argv, json_object_new_string(b.data ? b.data : ""));
	json_object_object_add(p->resp, "argv", argv);
	buf_release(&b);
}

/* The network and LLM gateways' variables, added to what is injected; the
 * caller's own values of them are not kept (the first one would win). */
static void prep_env_net(struct prep *p, json_object *inj,
			 const struct policy_env_var *vars, size_t nv, bool *keep)
{
	char net[NETGW_ENV_N + LLMGW_ENV_N][NETGW_ENV_LEN];
	size_t n = netgw_env(p->d, p->s->id, net);

	n += llmgw_env(p->d, p->s->id, net + n);
	for (size_t i = 0; i < n; i++) {
		size_t kl = (size_t)(strchr(net[i], '=') - net[i]);
		for (size_t j = 0; j < nv; j++)
			if (vars[j].name_len == kl &&
			    memcmp(vars[j].name, net[i], kl) == 0)
				keep[j] = false;
		json_object_array_add(inj, json_object_new_string(net[i]));
	}
}

/* Which variables pass: indices into the shim's environment. */
static bool prep_env(struct prep *p, const struct policy_cmd_rule *rule)
{
	json_object *env = json_object_object_get(p->req, "env");
	size_t n = env && json_object_is_type(env, json_type_array) ?
			   json_object_array_length(env) : 0;
	struct policy_env_var *vars = calloc(n + 1, sizeof(*vars));
	bool *keep = calloc(n + 1, sizeof(*keep));
	struct policy_env_outcome o;
	json_object *k = json_object_new_array(), *inj = json_object_new_array();
	char sid[SESSION_ID_MAX + 32];
	bool ok = vars && keep && n <= SHIM_ENV_MAX;

	for (size_t i = 0; ok && i < n; i++) {
		json_object *e = json_object_array_get_idx(env, i);
		const char *name = jstr(e, "n");
		vars[i].name = name ? name : "";
		vars[i].name_len = strlen(vars[i].name);
		vars[i].value_len = (size_t)json_object_get_int64(
			json_object_object_get(e, "l"));
	}
	if (ok && policy_env_select(p->s->policy, rule, vars, n, keep, &o) == 0 &&
	    o.error == NULL) {
		prep_env_net(p, inj, vars, n, keep);
		for (size_t i = 0; i < n; i++)
			if (keep[i])
				json_object_array_add(k, json_object_new_int64((int64_t)i));
	} else {
		char line[256];
		snprintf(line, sizeof(line), "agentsh: %s\n",
			 ok ? o.error : "the environment is too large to check");
		json_object_object_add(p->resp, "stderr", json_object_new_string(line));
		json_object_object_add(p->resp, "exit_code", json_object_new_int(2));
		ok = false;
	}
	snprintf(sid, sizeof(sid), "AGENTSH_SESSION_ID=%s", p->s->id);
	json_object_array_add(inj, json_object_new_string(sid));
	json_object_object_add(p->resp, "keep", k);
	json_object_object_add(p->resp, "inject", inj);
	free(vars);
	free(keep);
	return ok && n <= SHIM_ENV_MAX;
}

/* A top-level shell: the policy's cgroup limits, and for a script (not an
 * interactive or streaming shell) the command timeout. */
static void prep_track(struct prep *p)
{
	json_object *v;
	bool script = jstr(p->req, "script") != NULL;
	bool interactive = json_object_object_get_ex(p->req, "interactive", &v) &&
			   json_object_get_boolean(v);
	bool complete = !json_object_object_get_ex(p->req, "script_complete", &v) ||
			json_object_get_boolean(v);
	int64_t t = policy_source(p->s->policy)->limits.command_timeout_ms;

	if (!script || interactive || !complete)
		t = 0;
	if (shells_track(p->d, p->s, p->pid, t) < 0)
		log_msg(LOG_LVL_WARN, "cannot track shell %d", (int)p->pid);
}

/* Deny: the shim prints the line and exits with the code. */
static void prep_deny(struct prep *p, const char *line, int code)
{
	json_object_object_add(p->resp, "stderr", json_object_new_string(line));
	json_object_object_add(p->resp, "exit_code", json_object_new_int(code));
}

/* The shell itself, then every command its script names. */
static bool prep_decide(struct prep *p, struct precheck *pc)
{
	json_object *argv = json_object_object_get(p->req, "argv");
	size_t n = json_object_array_length(argv);
	char *args[64], line[POLICY_MESSAGE_MAX + 300];
	bool ok;

	args[0] = (char *)(uintptr_t)p->shell;
	for (size_t i = 1; i < n && i < 63; i++)
		args[i] = (char *)(uintptr_t)json_object_get_string(
			json_object_array_get_idx(argv, i));
	ok = precheck_cmd(pc, p->shell, args, n < 63 ? (n ? n : 1) : 63,
			  p->depth);
	if (ok) {
		const struct policy_cmd_rule *rule = pc->v.cmd_rule;
		ok = precheck_script(pc, jstr(p->req, "script"), p->cmd_depth);
		if (ok && pc->redirect != PRECHECK_NO_REDIRECT)
			prep_redirect(p, &pc->v, &pc->res->cmds[pc->redirect]);
		pc->v.cmd_rule = rule; /* env lists: the shell's rule */
	}
	if (!ok) {
		precheck_deny_line(pc, line, sizeof(line));
		prep_deny(p, line, 126);
		json_object_object_add(p->resp, "rule",
				       json_object_new_string(pc->v.rule));
	}
	return ok;
}

/* Transparent mode: a top-level shell joins the session's network
 * namespace, sent on the channel it passed with the request; no channel,
 * no shell. */
static bool prep_netns(struct prep *p, struct http_req *req)
{
	int chan;

	if (p->s->netns_fd < 0)
		return true;
	chan = http_req_take_fd(req);
	if (chan < 0 || netns_send(p->s, chan) < 0) {
		if (chan >= 0)
			close(chan);
		prep_deny(p, "agentsh: the session's network namespace could "
			  "not be handed to this shell; denied\n", 126);
		return false;
	}
	close(chan);
	json_object_object_add(p->resp, "netns", json_object_new_boolean(1));
	return true;
}

static void shim_prepare(struct http_req *req, void *arg)
{
	struct prep p = {.d = arg};
	struct precheck pc = {.operation = "shim_precheck"};
	bool ok;

	if (http_req_peer(req)->kind != HTTP_PEER_UNIX) {
		daemon_error(req, 403, "the shim endpoint is on the Unix socket only");
		return;
	}
	if ((p.req = daemon_body(req)) == NULL)
		return;
	p.d->m.shim_prepares++;
	p.resp = json_object_new_object();
	p.shell = jstr(p.req, "shell");
	if (p.shell == NULL || !json_object_is_type(json_object_object_get(
				       p.req, "argv"), json_type_array) ||
	    prep_session(&p, req) < 0) {
		prep_deny(&p, "agentsh: this process cannot be attributed to a "
			  "session; denied\n", 126);
		goto out;
	}
	session_add_root(p.s, p.pid);
	p.s->last_used_ms = loop_now_ms(p.d->loop);
	pc.d = p.d;
	pc.s = p.s;
	pc.pid = p.pid;
	ok = prep_decide(&p, &pc) && prep_env(&p, pc.v.cmd_rule);
	precheck_release(&pc);
	if (ok && !p.inside)
		ok = prep_netns(&p, req);
	if (ok && !p.inside) {
		prep_track(&p);
		json_object_object_add(p.resp, "supervise", attach_plan(p.d, p.s,
				       p.pid, p.shell));
	}
	json_object_object_add(p.resp, "allow", json_object_new_boolean(ok));
	json_object_object_add(p.resp, "session_id", json_object_new_string(p.s->id));
out:
	json_object_put(p.req);
	daemon_send_json(req, 200, p.resp);
}

int daemon_routes_shim(struct daemon *d)
{
	return http_route(d->http, "POST", AGENTSH_SHIM_PATH, shim_prepare, d);
}
