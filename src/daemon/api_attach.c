/*
 * The supervision plan a top-level shim receives with its prepare answer,
 * and POST /api/v1/shim/attach, where the shim hands over the seccomp
 * listener it installed on itself (SCM_RIGHTS on the Unix socket) or
 * reports the weaker mode it fell back to. Below security.minimum_mode
 * the shell does not run.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit.h"
#include "common/proto.h"
#include "common/str.h"
#include "daemon/daemon.h"
#include "daemon/supv.h"

#define ATTACH_DENY_EXEC_MAX 64 /* paths in the Landlock exec deny list */

static const char *const attach_path_dirs[] = {
	"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin",
	"/bin", NULL,
};

/* The rule that decides every use of name, whatever its arguments and
 * depth, is r itself: no earlier rule names it or matches all. */
static bool attach_first_for(const struct policy_src *src, size_t k,
			     const char *name)
{
	for (size_t i = 0; i < k; i++) {
		const struct policy_cmd_rule *r = &src->cmd_rules[i];
		for (size_t j = 0; j < r->commands.n; j++) {
			const char *c = r->commands.v[j], *b = strrchr(c, '/');
			if (strcmp(c, "*") == 0 || strcmp(b ? b + 1 : c, name) == 0)
				return false;
		}
	}
	return true;
}

static void attach_add_paths(json_object *a, const char *cmd)
{
	char p[PATH_MAX];
	struct stat st;

	if (cmd[0] == '/') {
		json_object_array_add(a, json_object_new_string(cmd));
		return;
	}
	for (size_t i = 0; attach_path_dirs[i]; i++) {
		snprintf(p, sizeof(p), "%s/%s", attach_path_dirs[i], cmd);
		if (stat(p, &st) == 0 && json_object_array_length(a) <
		    ATTACH_DENY_EXEC_MAX)
			json_object_array_add(a, json_object_new_string(p));
	}
}

/* Binaries denied at every depth with any arguments: also denied by
 * Landlock, so racing the exec path buffer gains nothing. */
static json_object *attach_deny_exec(const struct session *s)
{
	const struct policy_src *src = s->src;
	json_object *a = json_object_new_array();

	for (size_t k = 0; src && k < src->n_cmd_rules; k++) {
		const struct policy_cmd_rule *r = &src->cmd_rules[k];
		if (r->c.decision != POLICY_DENY || r->args_patterns.n ||
		    r->min_depth > 0 || r->max_depth >= 0)
			continue;
		for (size_t j = 0; j < r->commands.n; j++) {
			const char *c = r->commands.v[j], *b = strrchr(c, '/');
			if (strchr(c, '*') || strchr(c, '?') || strchr(c, '[') ||
			    !attach_first_for(src, k, b ? b + 1 : c))
				continue;
			attach_add_paths(a, c);
		}
	}
	return a;
}

json_object *attach_plan(struct daemon *d, const struct session *s,
			 pid_t pid, const char *shell)
{
	enum config_security_mode m = d->cfg->security.mode;
	json_object *o = json_object_new_object();

	if (m == CONFIG_SECMODE_AUTO)
		m = CONFIG_SECMODE_FULL;
	json_object_object_add(o, "mode", json_object_new_string(
				       config_security_mode_name(m)));
	json_object_object_add(o, "deny_exec", attach_deny_exec(s));
	json_object_object_add(o, "fs", attach_fs(d, s, pid, shell));
	/* sandbox.seccomp.file_monitor.write_only_opens: read-only opens are
	 * left to the kernel and Landlock's allowlist (docs/SECURITY.md). */
	json_object_object_add(o, "fast_reads", json_object_new_boolean(
		d->cfg->sandbox.seccomp.file_monitor.write_only_opens));
	return o;
}

static int attach_mode(const char *name)
{
	for (int m = CONFIG_SECMODE_MINIMAL; m <= CONFIG_SECMODE_FULL; m++)
		if (name && strcmp(name, config_security_mode_name(
					   (enum config_security_mode)m)) == 0)
			return m;
	return -1;
}

/* Is fd a seccomp notification listener? */
static bool attach_is_listener(int fd)
{
	char link[64], what[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, what, sizeof(what) - 1);
	if (n <= 0)
		return false;
	what[n] = '\0';
	return strcmp(what, "anon_inode:seccomp notify") == 0;
}

static void attach_event(struct daemon *d, struct session *s, pid_t pid,
			 const char *mode, const char *msg)
{
	struct audit_event ev = {0};
	char fields[64];

	snprintf(fields, sizeof(fields), "{\"mode\":\"%s\"}", mode);
	ev.type = "supervisor_attached";
	ev.session_id = s->id;
	ev.pid = (int)pid;
	ev.message = msg;
	ev.fields_json = fields;
	daemon_event(d, &ev);
}

/* Attach the mode the shim reached; 0, or an HTTP status with *why. */
static int attach_do(struct daemon *d, struct http_req *req, struct session *s,
		     pid_t pid, int mode, const char **why)
{
	enum config_security_mode min = d->cfg->security.minimum_mode;
	int fd = http_req_take_fd(req), r;

	if (min != CONFIG_SECMODE_AUTO && mode < (int)min) {
		*why = "below security.minimum_mode; the shell may not run";
		r = 403;
	} else if (mode == CONFIG_SECMODE_PTRACE) {
		r = supv_pt_attach(d, s, pid) < 0 ? 503 : 0;
		*why = "the daemon's tracer could not seize the shell";
	} else if (mode != CONFIG_SECMODE_FULL) {
		r = 0;
	} else if (fd < 0 || !attach_is_listener(fd)) {
		*why = "mode full needs the seccomp listener passed with "
		       "SCM_RIGHTS";
		r = 400;
	} else {
		r = supv_attach(d, s, pid, fd) < 0 ? 503 : 0;
		fd = -1;
		*why = "the daemon cannot serve another supervised shell";
	}
	if (fd >= 0)
		close(fd);
	return r;
}

static void shim_attach(struct http_req *req, void *arg)
{
	struct daemon *d = arg;
	const struct http_peer *peer = http_req_peer(req);
	json_object *body, *v, *o;
	const char *why = NULL, *mname;
	struct session *s;
	int mode, st;

	if (peer->kind != HTTP_PEER_UNIX) {
		daemon_error(req, 403, "the shim endpoint is on the Unix socket only");
		return;
	}
	if ((body = daemon_body(req)) == NULL)
		return;
	mname = json_object_object_get_ex(body, "mode", &v) ?
			json_object_get_string(v) : NULL;
	mode = attach_mode(mname);
	s = session_for_pid(d->sessions, peer->pid);
	if (s == NULL || mode < 0 ||
	    !json_object_object_get_ex(body, "pid", &v) ||
	    json_object_get_int(v) != (int)peer->pid) {
		json_object_put(body);
		daemon_error(req, 400, "attach must come from a shim that "
			     "prepared, naming its own pid and a known mode");
		return;
	}
	json_object_put(body); /* mname is freed with it: use the mode */
	mname = config_security_mode_name((enum config_security_mode)mode);
	st = attach_do(d, req, s, peer->pid, mode, &why);
	attach_event(d, s, peer->pid, mname, st ? why : NULL);
	if (st) {
		daemon_error(req, st, "%s", why);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "mode", json_object_new_string(mname));
	daemon_send_json(req, 200, o);
}

int daemon_routes_attach(struct daemon *d)
{
	return http_route(d->http, "POST", AGENTSH_ATTACH_PATH, shim_attach, d);
}
