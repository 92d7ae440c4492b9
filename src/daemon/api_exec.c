/* POST /api/v1/sessions/{id}/exec and /exec/stream. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "audit/audit.h"
#include "common/json.h"
#include "common/proto.h"
#include "common/str.h"
#include "daemon/daemon.h"
#include "daemon/supv.h"
#include "trash/trash.h"
#include "daemon/exec.h"
#include "daemon/llmgw.h"
#include "daemon/netgw.h"
#include "daemon/ident.h"
#include "daemon/precheck.h"
#include "daemon/shells.h"
#include "limits/limits.h"

#define XEXEC_ARGS_MAX 4096   /* argv entries of one command */
#define XEXEC_ENV_MAX 4096    /* variables given in a request */

struct xrun {
	struct daemon *d;
	struct session *s;
	struct http_req *req;
	bool stream, gone;
	char id[48];
	json_object *request;
	char **argv, **env;
	size_t argc;
	struct precheck pc;
	struct exec_run *run;
	struct limits_cmd *cg; /* the command's cgroups, when limits apply */
	pid_t pid;             /* the command's process, once started */
};

static void xrun_free(struct xrun *x)
{
	for (size_t i = 0; x->argv && i < x->argc; i++)
		free(x->argv[i]);
	free(x->argv);
	policy_env_free(x->env);
	json_object_put(x->request);
	precheck_release(&x->pc);
	limits_cmd_free(x->cg);
	free(x);
}

static void xrun_cmd_id(char *out, size_t n)
{
	uint8_t b[8] = {0};

	(void)!getrandom(b, sizeof(b), 0);
	snprintf(out, n, "cmd-%02x%02x%02x%02x%02x%02x%02x%02x", b[0], b[1],
		 b[2], b[3], b[4], b[5], b[6], b[7]);
}

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) &&
			       json_object_is_type(v, json_type_string) ?
		       json_object_get_string(v) : NULL;
}

/* argv = command, then args (strings). */
static int xrun_argv(struct xrun *x)
{
	const char *cmd = jstr(x->request, "command");
	json_object *args = json_object_object_get(x->request, "args");
	size_t n = args && json_object_is_type(args, json_type_array) ?
			   json_object_array_length(args) : 0;

	if (cmd == NULL || *cmd == '\0' || n + 1 > XEXEC_ARGS_MAX)
		return -EINVAL;
	x->argv = calloc(n + 2, sizeof(char *));
	if (x->argv == NULL || (x->argv[0] = strdup(cmd)) == NULL)
		return -ENOMEM;
	x->argc = 1;
	for (size_t i = 0; i < n; i++) {
		const char *a = json_object_get_string(json_object_array_get_idx(args, i));
		if ((x->argv[x->argc] = strdup(a ? a : "")) == NULL)
			return -ENOMEM;
		x->argc++;
	}
	return 0;
}

/* The script of "sh -c SCRIPT" / "bash -c SCRIPT", if that is the form. */
static const char *xrun_script(const struct xrun *x)
{
	const char *b = strrchr(x->argv[0], '/');

	b = b ? b + 1 : x->argv[0];
	if (strcmp(b, "sh") && strcmp(b, "bash") && strcmp(b, "dash"))
		return NULL;
	for (size_t i = 1; i + 1 < x->argc; i++)
		if (x->argv[i][0] == '-' && x->argv[i][1] != '-' &&
		    strchr(x->argv[i], 'c'))
			return x->argv[i + 1];
	return NULL;
}

static int xrun_add(char ***v, size_t *n, const char *k, const char *val)
{
	size_t kl = strlen(k), vl = strlen(val);
	char *s = malloc(kl + vl + 2), **nv;

	if (s == NULL || (nv = realloc(*v, (*n + 2) * sizeof(char *))) == NULL) {
		free(s);
		return -ENOMEM;
	}
	memcpy(s, k, kl);
	s[kl] = '=';
	memcpy(s + kl + 1, val, vl + 1);
	nv[(*n)++] = s;
	nv[*n] = NULL;
	*v = nv;
	return 0;
}

/* Base variables from our own start, the session's, the request's; then
 * env_policy; then the gateway's own variables. */
static int xrun_env(struct xrun *x, const struct policy_cmd_rule *rule,
		    struct policy_env_outcome *o)
{
	static const char *const base[] = {"PATH", "LANG", "LC_ALL", "LC_CTYPE",
					   "TERM", "HOME", NULL};
	json_object *env = json_object_object_get(x->request, "env");
	char **in = NULL, *inject[3 + NETGW_ENV_N + LLMGW_ENV_N] = {NULL};
	char sid[SESSION_ID_MAX + 32], cid[80];
	char net[NETGW_ENV_N + LLMGW_ENV_N][NETGW_ENV_LEN];
	size_t nnet = netgw_env(x->d, x->s->id, net);
	size_t n = 0;
	int r = 0;

	for (size_t i = 0; base[i] && r == 0; i++) {
		const char *v = ident_env_get(x->d->env, base[i]);
		if (v || strcmp(base[i], "PATH") == 0)
			r = xrun_add(&in, &n, base[i], v ? v : "/usr/local/bin:/usr/bin:/bin");
	}
	for (size_t i = 0; x->s->env[i] && r == 0; i++) {
		char *eq = strchr(x->s->env[i], '=');
		*eq = '\0';
		r = xrun_add(&in, &n, x->s->env[i], eq + 1);
		*eq = '=';
	}
	if (env && json_object_is_type(env, json_type_object)) {
		json_object_object_foreach(env, k, v) {
			if (r == 0 && n < XEXEC_ENV_MAX)
				r = xrun_add(&in, &n, k, json_object_get_string(v));
		}
	}
	snprintf(sid, sizeof(sid), "AGENTSH_SESSION_ID=%s", x->s->id);
	snprintf(cid, sizeof(cid), "AGENTSH_COMMAND_ID=%s", x->id);
	nnet += llmgw_env(x->d, x->s->id, net + nnet);
	inject[0] = sid;
	inject[1] = cid;
	for (size_t i = 0; i < nnet; i++)
		inject[2 + i] = net[i];
	if (r == 0)
		r = policy_env_build(x->s->policy, rule, in, inject, &x->env, o);
	policy_env_free(in);
	return r;
}

static void xrun_event(struct xrun *x, const char *type, const char *fields);

/* Run in the child before exec: the same marker the shim installs. */
static int xrun_attach(void *arg, pid_t pid)
{
	struct xrun *x = arg;

	session_add_root(x->s, pid);
	return x->cg ? limits_cmd_attach(x->cg, pid) : 0;
}

/* The command's listener (or, without user-notify, the tracer). */
static int xrun_supervise(void *arg, pid_t pid, int fd)
{
	struct xrun *x = arg;

	if (fd >= 0)
		return supv_attach(x->d, x->s, pid, fd);
	return supv_pt_attach(x->d, x->s, pid);
}

/* Cgroups for the policy's memory, cpu and pids limits, where the machine
 * has them (agentsh detect says which). */
static void xrun_limits(struct xrun *x)
{
	const struct policy_limits *l = &policy_source(x->s->policy)->limits;

	x->cg = daemon_cgroup(x->d, x->s, x->id);
	if (x->cg == NULL && (l->max_memory_mb >= 0 || l->pids_max >= 0 ||
			      l->cpu_quota_percent >= 0))
		xrun_event(x, "resource_limit_unavailable", NULL);
}

static void jkey(struct buf *b, const char *k, bool first)
{
	json_key(b, k, first);
}

static void jstrn(struct buf *b, const char *k, const char *v, size_t n)
{
	jkey(b, k, false);
	if (v)
		json_strn(b, v, n);
	else
		buf_puts(b, "null");
}

/* guidance: what an agent needs to steer after a deny. */
static void xrun_guidance(struct buf *b, const struct precheck *pc, bool blocked,
			  int exit_code)
{
	jkey(b, "guidance", false);
	buf_printf(b, "{\"status\":\"%s\",\"blocked\":%s,\"retryable\":false",
		   blocked ? "blocked" : exit_code ? "failed" : "ok",
		   blocked ? "true" : "false");
	if (blocked) {
		jstrn(b, "reason", pc->msg, strlen(pc->msg));
		jstrn(b, "policy_rule", pc->v.rule, strlen(pc->v.rule));
		jstrn(b, "blocked_operation", "exec", 4);
		jstrn(b, "blocked_target", pc->denied_cmd, strlen(pc->denied_cmd));
	}
	buf_puts(b, ",\"substitutions\":[],\"suggestions\":[]}");
}

/* events: the decisions this command caused, bucketed as the original. */
static void xrun_events(struct buf *b, const struct precheck *pc, bool blocked)
{
	jkey(b, "events", false);
	buf_puts(b, "{\"file_operations\":[],\"network_operations\":[],"
		 "\"blocked_operations\":[");
	if (blocked) {
		buf_puts(b, "{\"type\":\"command_policy\"");
		jstrn(b, "path", pc->denied_cmd, strlen(pc->denied_cmd));
		buf_printf(b, ",\"policy\":{\"decision\":\"%s\",\"effective_decision\":"
			   "\"%s\"", policy_decision_name(pc->v.decision),
			   policy_decision_name(pc->v.effective));
		jstrn(b, "rule", pc->v.rule, strlen(pc->v.rule));
		jstrn(b, "message", pc->msg, strlen(pc->msg));
		buf_puts(b, "}}");
	}
	buf_printf(b, "],\"other\":[],\"file_operations_count\":0,"
		   "\"network_operations_count\":0,\"blocked_operations_count\":%d,"
		   "\"other_count\":0,\"truncated\":false}", blocked ? 1 : 0);
}

static void xrun_result(struct buf *b, const struct exec_result *res,
			const struct precheck *pc, const char *err_code,
			const char *err_msg)
{
	jkey(b, "result", false);
	buf_printf(b, "{\"exit_code\":%d", res ? res->exit_code : 126);
	jstrn(b, "stdout", res && res->out.data ? res->out.data : "",
	      res ? res->out.len : 0);
	jstrn(b, "stderr", !res ? err_msg : res->err.data ? res->err.data : "",
	      res ? res->err.len : strlen(err_msg));
	buf_printf(b, ",\"stdout_truncated\":%s,\"stderr_truncated\":%s,"
		   "\"stdout_total_bytes\":%llu,\"stderr_total_bytes\":%llu,"
		   "\"duration_ms\":%lld",
		   res && res->out_total > res->out.len ? "true" : "false",
		   res && res->err_total > res->err.len ? "true" : "false",
		   res ? (unsigned long long)res->out_total : 0ull,
		   res ? (unsigned long long)res->err_total :
			 (unsigned long long)strlen(err_msg),
		   res ? (long long)res->duration_ms : 0ll);
	if (err_code) {
		buf_printf(b, ",\"error\":{\"code\":\"%s\"", err_code);
		jstrn(b, "message", err_msg, strlen(err_msg));
		if (pc && pc->v.rule)
			jstrn(b, "policy_rule", pc->v.rule, strlen(pc->v.rule));
		buf_puts(b, "}");
	}
	buf_putc(b, '}');
}

/* What the command soft-deleted, and how to get it back. */
static void xrun_soft_deleted(struct buf *b, const struct xrun *x)
{
	size_t n = x->s->nsoft, from = n > SESSION_SOFT_LOG_MAX ?
					    n - SESSION_SOFT_LOG_MAX : 0;
	bool first = true;
	char cmd[sizeof(x->d->trash_dir) + 96];
	bool dflt = strcmp(x->d->trash_dir, TRASH_ROOT_DEFAULT) == 0;

	for (size_t i = from; i < n; i++) {
		const struct session_soft *e = &x->s->soft[i % SESSION_SOFT_LOG_MAX];
		if (x->pid <= 0 || e->root != x->pid)
			continue;
		buf_puts(b, first ? ",\"soft_deleted\":[{" : ",{");
		first = false;
		jkey(b, "path", true);
		json_strn(b, e->path, strlen(e->path));
		jstrn(b, "token", e->token, strlen(e->token));
		snprintf(cmd, sizeof(cmd), "agentsh trash restore %s%s%s",
			 e->token, dflt ? "" : " --dir ", dflt ? "" : x->d->trash_dir);
		jstrn(b, "restore", cmd, strlen(cmd));
		buf_putc(b, '}');
	}
	if (!first)
		buf_putc(b, ']');
}

static void xrun_respond(struct xrun *x, int status,
			 const struct exec_result *res, const char *err_code,
			 const char *err_msg)
{
	struct buf b;
	const char *req = json_object_to_json_string_ext(x->request,
							 JSON_C_TO_STRING_PLAIN);
	bool blocked = err_code && strcmp(err_code, "E_POLICY_DENIED") == 0;
	int code = res ? res->exit_code : status == 403 ? 126 : 2;

	buf_init(&b, HTTP_RESP_MAX / 2);
	buf_puts(&b, "{\"command_id\":");
	json_str(&b, x->id);
	jstrn(&b, "session_id", x->s->id, strlen(x->s->id));
	jkey(&b, "request", false);
	buf_puts(&b, req);
	xrun_result(&b, res, &x->pc, err_code, err_msg ? err_msg : "");
	xrun_events(&b, &x->pc, blocked);
	if (res) {
		struct limits_stats ls = {.memory_peak_bytes = -1};
		if (x->cg)
			limits_cmd_stats(x->cg, &ls);
		buf_printf(&b, ",\"resources\":{\"cpu_user_ms\":%ld,"
			   "\"cpu_system_ms\":%ld,\"memory_peak_kb\":%ld,"
			   "\"oom_killed\":%s}",
			   res->ru.ru_utime.tv_sec * 1000 + res->ru.ru_utime.tv_usec / 1000,
			   res->ru.ru_stime.tv_sec * 1000 + res->ru.ru_stime.tv_usec / 1000,
			   ls.memory_peak_bytes >= 0 ? (long)(ls.memory_peak_bytes / 1024) :
						       res->ru.ru_maxrss,
			   ls.oom_killed ? "true" : "false");
	}
	xrun_soft_deleted(&b, x);
	xrun_guidance(&b, &x->pc, blocked, code);
	buf_putc(&b, '}');
	http_resp_json(x->req, status, &b);
	buf_release(&b);
}

static void xrun_event(struct xrun *x, const char *type, const char *fields)
{
	struct audit_event ev = {0};

	ev.type = type;
	ev.session_id = x->s->id;
	ev.command_id = x->id;
	ev.path = x->argv[0];
	ev.fields_json = fields;
	daemon_event(x->d, &ev);
}

static void xrun_done(struct exec_run *run, struct exec_result *res, void *arg)
{
	struct xrun *x = arg;
	char fields[160], done[200];

	(void)run;
	snprintf(fields, sizeof(fields), "{\"exit_code\":%d,\"duration_ms\":%lld,"
		 "\"timed_out\":%s}", res->exit_code, (long long)res->duration_ms,
		 res->timed_out ? "true" : "false");
	xrun_event(x, "command_finished", fields);
	x->s->busy = false;
	x->s->last_used_ms = loop_now_ms(x->d->loop);
	if (x->gone) {
		/* The client left; the request still has to be finished. */
		if (x->stream)
			http_sse_end(x->req);
		else
			http_resp_send(x->req, 499, NULL, NULL, 0);
	} else if (x->stream) {
		snprintf(done, sizeof(done), "{\"command_id\":\"%s\",\"exit_code\":%d,"
			 "\"duration_ms\":%lld}", x->id, res->exit_code,
			 (long long)res->duration_ms);
		http_sse_send(x->req, "done", done, strlen(done));
		http_sse_end(x->req);
	} else {
		xrun_respond(x, 200, res, res->timed_out ? "E_COMMAND_TIMEOUT" :
			     res->start_errno ? "E_COMMAND_FAILED" : NULL,
			     res->timed_out ? "command timed out" :
			     res->start_errno ? strerror(res->start_errno) : NULL);
	}
	xrun_free(x);
}

static void xrun_chunk(void *arg, int stream, const char *data, size_t len)
{
	struct xrun *x = arg;
	struct buf b;

	if (!x->stream || x->gone)
		return;
	buf_init(&b, 2 * len + 256);
	buf_puts(&b, "{\"command_id\":");
	json_str(&b, x->id);
	buf_printf(&b, ",\"stream\":\"%s\",\"data\":", stream == 1 ? "stdout" : "stderr");
	json_strn(&b, data, len);
	buf_putc(&b, '}');
	if (b.data && http_sse_send(x->req, stream == 1 ? "stdout" : "stderr",
				    b.data, b.len) < 0)
		x->gone = true;
	buf_release(&b);
}

static void xrun_abort(struct http_req *req, void *arg)
{
	struct xrun *x = arg;

	(void)req;
	x->gone = true;
	exec_kill(x->run); /* nobody will read the result: stop the work */
}

/* Working directory: relative to the session's cwd; must exist. */
static int xrun_cwd(struct xrun *x, char *out, size_t n)
{
	const char *wd = jstr(x->request, "working_dir");

	if (wd == NULL || *wd == '\0')
		return str_lcpy(out, x->s->cwd, n) < n ? 0 : -ENAMETOOLONG;
	if (policy_path_normalize(wd, x->s->cwd, out, n) < 0)
		return -EINVAL;
	return access(out, X_OK) == 0 ? 0 : -ENOENT;
}

/* The command timeout: the policy's, lowered (never raised) by the request. */
static int64_t xrun_timeout(struct xrun *x)
{
	int64_t pol = policy_source(x->s->policy)->limits.command_timeout_ms;
	const char *t = jstr(x->request, "timeout");
	json_object *tv = json_object_object_get(x->request, "timeout");
	int64_t req = -1;

	if (t)
		str_duration_ms(t, &req);
	else if (tv && json_object_is_type(tv, json_type_int))
		req = json_object_get_int64(tv) * 1000;
	if (pol <= 0)
		pol = 5 * 60 * 1000; /* the original's default */
	return req > 0 && req < pol ? req : pol;
}

static bool xrun_check(struct xrun *x)
{
	x->pc.d = x->d;
	x->pc.s = x->s;
	x->pc.pid = 0;
	x->pc.operation = "exec_precheck";
	x->pc.command_id = x->id;
	if (!precheck_cmd(&x->pc, x->argv[0], x->argv, x->argc, 0))
		return false;
	{
		const struct policy_cmd_rule *rule = x->pc.v.cmd_rule;
		enum policy_decision dec = x->pc.v.decision;
		if (!precheck_script(&x->pc, xrun_script(x), 0))
			return false;
		x->pc.v.cmd_rule = rule;
		x->pc.v.decision = dec;
	}
	return true;
}

/* A redirect of the command itself: its replacement runs instead. */
static int xrun_redirect(struct xrun *x)
{
	const struct policy_redirect *rd;
	char **nv;
	size_t n;

	if (x->pc.v.decision != POLICY_REDIRECT || x->pc.v.cmd_rule == NULL ||
	    (rd = x->pc.v.cmd_rule->redirect) == NULL)
		return 0;
	n = 1 + rd->args.n + (x->argc - 1) + rd->args_append.n;
	nv = calloc(n + 1, sizeof(*nv));
	if (nv == NULL)
		return -ENOMEM;
	n = 0;
	nv[n++] = strdup(rd->command);
	for (size_t i = 0; i < rd->args.n; i++)
		nv[n++] = strdup(rd->args.v[i]);
	for (size_t i = 1; i < x->argc; i++)
		nv[n++] = x->argv[i];
	for (size_t i = 0; i < rd->args_append.n; i++)
		nv[n++] = strdup(rd->args_append.v[i]);
	free(x->argv[0]);
	free(x->argv);
	x->argv = nv;
	x->argc = n;
	return 0;
}

static int xrun_start(struct xrun *x)
{
	struct exec_req rq = {0};
	struct policy_env_outcome o;
	char cwd[PATH_MAX];
	json_object *in = json_object_object_get(x->request, "stdin");
	int r;

	if (xrun_redirect(x) < 0)
		return -ENOMEM;
	r = xrun_env(x, x->pc.v.cmd_rule, &o);
	if (r == 0 && o.error) {
		xrun_respond(x, 400, NULL, "E_RESOURCE_LIMIT", o.error);
		return 1;
	}
	if (r == 0 && xrun_cwd(x, cwd, sizeof(cwd)) < 0) {
		xrun_respond(x, 400, NULL, "E_INVALID_WORKDIR",
			     "the working directory does not exist");
		return 1;
	}
	if (r < 0)
		return r;
	rq.argv = x->argv;
	rq.cwd = cwd;
	rq.envp = x->env;
	rq.stdin_data = in ? json_object_get_string(in) : NULL;
	rq.stdin_len = in ? strlen(rq.stdin_data) : 0;
	rq.timeout_ms = xrun_timeout(x);
	rq.attach = xrun_attach;
	rq.attach_arg = x;
	rq.child_supervise = supv_child_install;
	rq.join_netns = x->s->netns_fd >= 0;
	rq.netns_fd = x->s->netns_fd;
	rq.on_supervise = xrun_supervise;
	xrun_limits(x);
	r = exec_start(x->d->loop, &rq, xrun_done, xrun_chunk, x, &x->run);
	if (r == 0) {
		x->pid = exec_pid(x->run);
		x->s->commands++;
		x->d->m.commands++;
		xrun_event(x, "command_started", NULL);
	}
	return r;
}

static void exec_handler(struct http_req *req, struct daemon *d, bool stream)
{
	struct xrun *x = calloc(1, sizeof(*x));
	struct session *s = session_get(d->sessions, http_req_param(req, "id"));
	int r;

	if (x == NULL || s == NULL || !daemon_may_use(d, req, s)) {
		free(x);
		daemon_error(req, 404, "session not found");
		return;
	}
	x->d = d;
	x->s = s;
	x->req = req;
	x->stream = stream;
	xrun_cmd_id(x->id, sizeof(x->id));
	if ((x->request = daemon_body(req)) == NULL) {
		free(x);
		return;
	}
	if (xrun_argv(x) < 0) {
		daemon_error(req, 400, "'command' is required");
		xrun_free(x);
		return;
	}
	if (!xrun_check(x)) {
		char line[POLICY_MESSAGE_MAX + 300];
		precheck_deny_line(&x->pc, line, sizeof(line));
		xrun_respond(x, 403, NULL, "E_POLICY_DENIED", line);
		xrun_free(x);
		return;
	}
	r = xrun_start(x);
	if (r != 0) {
		if (r < 0)
			daemon_error(req, 500, "cannot start the command: %s",
				     strerror(-r));
		xrun_free(x);
		return;
	}
	http_req_hold(req);
	http_req_on_abort(req, xrun_abort, x);
	if (stream)
		http_sse_start(req);
}

static void exec_sync(struct http_req *req, void *arg)
{
	exec_handler(req, arg, false);
}

static void exec_stream(struct http_req *req, void *arg)
{
	exec_handler(req, arg, true);
}

int daemon_routes_exec(struct daemon *d)
{
	int r = http_route(d->http, "POST", "/api/v1/sessions/{id}/exec",
			   exec_sync, d);

	if (r == 0)
		r = http_route(d->http, "POST", "/api/v1/sessions/{id}/exec/stream",
			       exec_stream, d);
	return r;
}
