/* agentsh server: start, serve, stop. */
#include "daemon/daemon.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "common/log.h"
#include "common/proto.h"
#include "common/str.h"
#include "daemon/llmgw.h"
#include "daemon/netgw.h"
#include "daemon/ident.h"
#include "daemon/supv.h"
#include "trash/trash.h"
#include "daemon/shells.h"
#include "limits/limits.h"
#include "secmode/secmode.h"
#include "ydoc/ydoc.h"

#define DAEMON_SHUTDOWN_GRACE_MS 2000

static int64_t daemon_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void daemon_error(struct http_req *req, int status, const char *fmt, ...)
{
	char msg[1024];
	json_object *o = json_object_new_object();
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "error", json_object_new_string(msg));
	daemon_send_json(req, status, o);
}

void daemon_send_json(struct http_req *req, int status, json_object *o)
{
	size_t len;
	const char *s = json_object_to_json_string_length(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);

	http_resp_send(req, status, "application/json", s, len);
	json_object_put(o);
}

json_object *daemon_body(struct http_req *req)
{
	size_t len = 0;
	const char *b = http_req_body(req, &len);
	json_object *o = len ? json_tokener_parse(b) : json_object_new_object();

	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		daemon_error(req, 400, "the request body must be a JSON object");
		return NULL;
	}
	return o;
}

int daemon_event(struct daemon *d, const struct audit_event *ev)
{
	int r = d->audit ? audit_emit(d->audit, ev, NULL) : 0;

	d->m.events++;
	if (r < 0)
		log_msg(LOG_LVL_ERROR, "audit: cannot record a %s event: %s",
			ev->type, strerror(-r));
	return r;
}

void daemon_count_decision(struct daemon *d, const struct policy_verdict *v)
{
	if ((unsigned)v->decision < 7)
		d->m.decisions[v->effective != POLICY_ALLOW][v->decision]++;
}

/* Compare without leaking, through timing, how much of a key matched. */
static bool daemon_key_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = (unsigned char)(la != lb);

	for (size_t i = 0; i < la; i++)
		diff |= (unsigned char)(a[i] ^ b[i < lb ? i : 0]);
	return diff == 0;
}

static bool daemon_key_ok(struct daemon *d, struct http_req *req,
			  const char **role)
{
	const char *hdr = d->cfg->auth.api_key.header_name;
	const char *k = http_req_header(req, hdr ? hdr : "X-API-Key");

	for (size_t i = 0; k && i < d->nkeys; i++) {
		if (daemon_key_eq(d->keys[i].key, k)) {
			*role = d->keys[i].role;
			return true;
		}
	}
	return false;
}

enum daemon_role daemon_role(struct daemon *d, struct http_req *req,
			     struct session **own)
{
	const struct http_peer *p = http_req_peer(req);
	const char *role = NULL;

	*own = NULL;
	if (p->kind == HTTP_PEER_UNIX && p->pid > 0) {
		if (ident_is_sandboxed(p->pid, d->self_filters)) {
			*own = session_for_pid(d->sessions, p->pid);
			return ROLE_SANDBOX;
		}
		if (p->uid == 0 || p->uid == d->self_uid)
			return ROLE_OPERATOR;
	}
	if (daemon_key_ok(d, req, &role))
		return role && strcmp(role, "agent") == 0 ? ROLE_SANDBOX :
							   ROLE_OPERATOR;
	return ROLE_NONE;
}

bool daemon_may_use(struct daemon *d, struct http_req *req, struct session *s)
{
	struct session *own;
	enum daemon_role r = daemon_role(d, req, &own);

	return r == ROLE_OPERATOR || (r == ROLE_SANDBOX && own == s && s);
}

static const char *daemon_env_lookup(void *arg, const char *name)
{
	struct daemon *d = arg;
	const char *v = ident_env_get(d->env, name);

	return v && *v ? v : NULL;
}

/* mkdir -p for the directories we own. */
static int daemon_mkdirs(const char *path, mode_t mode)
{
	char dir[PATH_MAX];
	struct stat st;

	if (str_lcpy(dir, path, sizeof(dir)) >= sizeof(dir))
		return -ENAMETOOLONG;
	for (char *s = dir + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		mkdir(dir, mode);
		*s = '/';
	}
	if (mkdir(dir, mode) < 0 && (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)))
		return -errno;
	return 0;
}

static int daemon_parent_dir(const char *file, mode_t mode)
{
	char dir[PATH_MAX];
	char *slash;

	str_lcpy(dir, file, sizeof(dir));
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	return daemon_mkdirs(dir, mode);
}

static int daemon_open_audit(struct daemon *d)
{
	const struct config *c = d->cfg;
	struct audit_opts ao = {0};
	int r;

	if (!c->audit.enabled)
		return 0;
	ao.sqlite_path = c->audit.storage.sqlite_path;
	ao.jsonl_path = c->audit.output;
	r = daemon_parent_dir(ao.sqlite_path, 0700);
	if (r == 0 && ao.jsonl_path)
		r = daemon_parent_dir(ao.jsonl_path, 0755);
	if (r == 0)
		r = audit_open(&ao, &d->audit);
	if (r < 0)
		log_msg(LOG_LVL_ERROR, "audit store %s: %s", ao.sqlite_path,
			strerror(-r));
	return r;
}

/* auth.api_key.keys_file: a YAML list of {id, key, description, role};
 * an empty role is admin, as in the original. */
static int daemon_load_keys(struct daemon *d)
{
	const char *path = d->cfg->auth.api_key.keys_file;
	const struct ydoc_node *root;
	struct ydoc *doc = NULL;
	struct diag diag;
	int r;

	if (d->cfg->auth.type == CONFIG_AUTH_NONE || path == NULL)
		return 0;
	diag_init(&diag);
	r = ydoc_parse_file(path, &doc, &diag);
	root = doc ? ydoc_root(doc) : NULL;
	if (r == 0 && (root == NULL || root->kind != YDOC_SEQ))
		r = -EINVAL;
	for (size_t i = 0; r == 0 && i < root->n && d->nkeys < DAEMON_API_KEYS_MAX; i++) {
		const struct ydoc_node *k = ydoc_map_get(root->items[i], "key");
		const struct ydoc_node *role = ydoc_map_get(root->items[i], "role");
		if (k == NULL || k->kind != YDOC_SCALAR || k->len < 16)
			continue; /* short keys are guessable: not accepted */
		d->keys[d->nkeys].key = strdup(k->str);
		d->keys[d->nkeys].role = strdup(role && role->kind == YDOC_SCALAR &&
						role->len ? role->str : "admin");
		d->nkeys++;
	}
	diag_print(&diag, stderr);
	diag_release(&diag);
	ydoc_free(doc);
	if (r < 0)
		log_msg(LOG_LVL_ERROR, "api keys %s: unreadable or not a list", path);
	return r;
}

static int daemon_open_sessions(struct daemon *d)
{
	const struct config *c = d->cfg;
	struct session_mgr_opts o = {0};

	o.policies_dir = c->policies.dir;
	o.default_policy = c->policies.default_name;
	o.allowed_policies = (const char *const *)c->policies.allowed;
	o.project_markers = (const char *const *)c->policies.project_markers;
	o.detect_project_root = c->policies.detect_project_root;
	o.approvals_enabled = false; /* no approver exists yet: approve = deny */
	o.max_sessions = (size_t)c->sessions.max_sessions;
	o.default_timeout_ms = c->sessions.default_timeout;
	o.default_idle_timeout_ms = c->sessions.default_idle_timeout;
	o.env_lookup = daemon_env_lookup;
	o.env_arg = d;
	d->sessions = session_mgr_new(&o);
	return d->sessions ? 0 : -ENOMEM;
}

static int daemon_listen(struct daemon *d)
{
	const struct config *c = d->cfg;
	const char *sock = c->server.unix_socket.path;
	int r;

	d->http = http_server_new(d->loop, NULL);
	if (d->http == NULL)
		return -ENOMEM;
	/* The Unix socket is how shims reach us; it is always on. */
	r = daemon_parent_dir(sock, 0755);
	if (r == 0)
		r = http_listen_unix(d->http, sock,
				     (mode_t)c->server.unix_socket.permissions);
	if (r < 0) {
		log_msg(LOG_LVL_ERROR, "listen on %s: %s", sock, strerror(-r));
		return r;
	}
	if (c->server.http.addr && *c->server.http.addr &&
	    (r = http_listen_tcp(d->http, c->server.http.addr, &d->http_port)) < 0)
		log_msg(LOG_LVL_ERROR, "listen on %s: %s", c->server.http.addr,
			strerror(-r));
	return r;
}

static void daemon_on_signal(struct loop *l, int fd, uint32_t ev, void *arg)
{
	struct signalfd_siginfo si;
	struct daemon *d = arg;

	(void)ev;
	if (read(fd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return;
	if (si.ssi_signo == SIGHUP)
		return; /* reload: not yet */
	log_msg(LOG_LVL_INFO, "signal %u: stopping", si.ssi_signo);
	http_server_shutdown(d->http, DAEMON_SHUTDOWN_GRACE_MS, NULL, NULL);
	loop_stop(l);
}

static int daemon_signals(struct daemon *d)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	d->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (d->sigfd < 0)
		return -errno;
	return loop_add_fd(d->loop, d->sigfd, EPOLLIN, daemon_on_signal, d);
}

static void daemon_reap(struct loop *l, void *arg)
{
	struct daemon *d = arg;
	struct session *s;
	const char *why;
	int64_t every = d->cfg->sessions.cleanup_interval;

	d->reaper = NULL;
	while ((s = session_next_expired(d->sessions, daemon_now_ms(), &why)))
		daemon_session_destroy(d, s, "session_expired", why);
	shells_sweep(d);
	d->reaper = loop_timer_add(l, every > 0 ? every : 60000, daemon_reap, d);
}

/* sandbox.fuse.audit.trash_path when absolute; the original's default
 * (".agentsh_trash" in the workspace) is writable by the agent, so a
 * relative one is replaced by a root-only directory. */
static void daemon_trash_dir(struct daemon *d)
{
	const char *t = d->cfg->sandbox.fuse.audit.trash_path;

	str_lcpy(d->trash_dir, t && t[0] == '/' ? t : TRASH_ROOT_DEFAULT,
		 sizeof(d->trash_dir));
}

static void daemon_lock(void *arg)
{
	pthread_mutex_lock(&((struct daemon *)arg)->big);
}

static void daemon_unlock(void *arg)
{
	pthread_mutex_unlock(&((struct daemon *)arg)->big);
}

/* The best mode this machine gives our shells, against the minimum. */
static int daemon_check_mode(const struct config *cfg)
{
	enum config_security_mode min = cfg->security.minimum_mode, sel;
	struct secmode_probe p;

	if (min == CONFIG_SECMODE_AUTO)
		return 0;
	secmode_probe(&p);
	sel = secmode_select(&p, cfg->security.mode);
	if (secmode_satisfies(sel, min))
		return 0;
	log_msg(LOG_LVL_ERROR, "security mode %s is the best this machine "
		"gives shells (security.mode %s; seccomp user-notify: %s, "
		"ptrace: %s, landlock: %s), below security.minimum_mode %s: "
		"not starting", config_security_mode_name(sel),
		config_security_mode_name(cfg->security.mode),
		p.notify ? strerror(p.notify) : "ok",
		p.ptrace ? strerror(p.ptrace) : "ok",
		p.landlock ? strerror(p.landlock) : "ok",
		config_security_mode_name(min));
	return -EPERM;
}

static int daemon_start(struct daemon *d, const char *cfgpath, char **envp)
{
	struct diag diag;
	int r;

	diag_init(&diag);
	r = cfgpath ? config_load_file(cfgpath, envp, &d->cfg, &diag) :
		      config_load_defaults(envp, &d->cfg, &diag);
	diag_print(&diag, stderr);
	diag_release(&diag);
	if (r == 0)
		r = daemon_check_mode(d->cfg);
	if (r < 0)
		return r;
	d->env = ident_env_save_and_scrub(envp);
	if (d->env == NULL)
		return -ENOMEM;
	d->self_filters = ident_seccomp_filters(getpid());
	daemon_trash_dir(d);
	d->self_uid = geteuid();
	d->loop = loop_new();
	if (d->loop == NULL)
		return -ENOMEM;
	/* Held from here on, released only while the loop waits. */
	pthread_mutex_init(&d->big, NULL);
	pthread_mutex_lock(&d->big);
	loop_set_lock(d->loop, daemon_lock, daemon_unlock, d);
	r = daemon_load_keys(d);
	if (r == 0)
		r = daemon_open_audit(d);
	if (r == 0)
		r = daemon_open_sessions(d);
	if (r == 0)
		r = netgw_open(d);
	if (r == 0)
		r = llmgw_open(d);
	if (r == 0)
		r = daemon_listen(d);
	if (r == 0)
		r = daemon_routes_misc(d);
	if (r == 0)
		r = daemon_routes_sessions(d);
	if (r == 0)
		r = daemon_routes_exec(d);
	if (r == 0)
		r = daemon_routes_shim(d);
	if (r == 0)
		r = daemon_routes_attach(d);
	if (r == 0)
		r = daemon_signals(d);
	return r;
}

static void daemon_stop(struct daemon *d)
{
	if (d->loop)
		shells_stop(d);
	supv_free_all(d);
	supv_pt_free(d);
	http_server_free(d->http);
	llmgw_close(d);
	while (d->sessions && session_count(d->sessions) > 0)
		daemon_session_destroy(d, session_at(d->sessions, 0),
				       "session_destroyed", "shutdown");
	netgw_close(d);
	session_mgr_free(d->sessions);
	audit_close(d->audit);
	if (d->sigfd > 0)
		close(d->sigfd);
	loop_free(d->loop);
	limits_env_free(d->limits);
	config_free(d->cfg);
	for (size_t i = 0; d->env && d->env[i]; i++)
		free(d->env[i]);
	free(d->env);
	for (size_t i = 0; i < d->nkeys; i++) {
		free(d->keys[i].key);
		free(d->keys[i].role);
	}
}

static const char server_help[] =
"NAME\n"
"    agentsh server - run the agentsh daemon\n"
"\n"
"SYNOPSIS\n"
"    agentsh server [--config FILE]\n"
"\n"
"DESCRIPTION\n"
"    Loads the configuration (FILE, else $AGENTSH_CONFIG, else\n"
"    ~/.config/agentsh/config.yaml, else /etc/agentsh/config.yaml, else the\n"
"    defaults), opens the audit store, and serves the API on\n"
"    server.unix_socket.path (always: shims connect there) and on\n"
"    server.http.addr. It then erases its own environment from memory, so\n"
"    /proc/<pid>/environ shows nothing. SIGTERM or SIGINT stop it.\n"
"\n"
"EXIT STATUS\n"
"    0 after a clean stop, 1 when it cannot start.\n";

int daemon_main(int argc, char **argv, char **envp)
{
	static const struct option lopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char found[PATH_MAX];
	const char *cfgpath = NULL;
	struct daemon d;
	int c, r;

	memset(&d, 0, sizeof(d));
	d.start_ms = daemon_now_ms();
	optind = 1;
	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		if (c == 'c')
			cfgpath = optarg;
		else {
			fputs(server_help, c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
	}
	if (cfgpath == NULL && config_find_path(envp, found, sizeof(found)) == 0)
		cfgpath = found;
	r = daemon_start(&d, cfgpath, envp);
	if (r == 0) {
		log_msg(LOG_LVL_INFO, "ready in %lld ms (pid %d, http port %u)",
			(long long)(daemon_now_ms() - d.start_ms), (int)getpid(),
			d.http_port);
		daemon_reap(d.loop, &d);
		r = loop_run(d.loop);
	}
	daemon_stop(&d);
	return r < 0 ? 1 : 0;
}
