/* The agentsh daemon: state shared by its request handlers. */
#ifndef AGENTSH_DAEMON_H
#define AGENTSH_DAEMON_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "api/http.h"
#include "common/loop.h"
#include "config/config.h"
#include "daemon/session.h"

struct audit;
struct audit_event;
struct limits_env;
struct json_object;
struct supv_listener;
struct supv_pt;

#define DAEMON_API_KEYS_MAX 64

enum daemon_role {
	ROLE_NONE,     /* TCP without credentials: probes and policy tests */
	ROLE_SANDBOX,  /* a process inside a session: its own session only */
	ROLE_OPERATOR, /* everything */
};

struct daemon_metrics {
	uint64_t commands, shim_prepares, events;
	uint64_t decisions[2][7]; /* [denied?][enum policy_decision] */
	uint64_t http_requests;
	uint64_t notifications; /* supervised system calls */
};

struct daemon {
	struct loop *loop;
	struct http_server *http;
	struct config *cfg;
	struct session_mgr *sessions;
	struct audit *audit;
	char **env;          /* the environment we started with (scrubbed) */
	int self_filters;    /* our Seccomp_filters at start */
	uid_t self_uid;
	int64_t start_ms;
	uint16_t http_port;
	struct daemon_metrics m;
	struct {
		char *key, *role;
	} keys[DAEMON_API_KEYS_MAX];
	size_t nkeys;
	int sigfd;
	struct loop_timer *reaper;
	struct limits_env *limits; /* what cgroup limits this machine has */
	bool limits_probed;
	struct supv_listener *listeners;
	size_t nlisteners;
	struct netgw *netgw;  /* the network gateway, NULL when off */
	struct llmgw *llmgw;  /* the LLM gateway, NULL when off */
	struct supv_pt *pt;   /* the ptrace mode's tracer, once needed */
	pthread_mutex_t big;  /* held by the loop while it dispatches, and by
			       * supervisor threads while they decide */
	char trash_dir[256];
};

/* Role of the caller of req; *own is its session for ROLE_SANDBOX. */
enum daemon_role daemon_role(struct daemon *d, struct http_req *req,
			     struct session **own);
/* May the caller act on session s? */
bool daemon_may_use(struct daemon *d, struct http_req *req, struct session *s);

/* {"error": msg} with status. */
void daemon_error(struct http_req *req, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Send a json-c object (consumed). */
void daemon_send_json(struct http_req *req, int status, struct json_object *o);
/* Parse the request body as a JSON object (NULL: already answered 400). */
struct json_object *daemon_body(struct http_req *req);

/* Record an event (and count it); -errno when it could not be recorded. */
int daemon_event(struct daemon *d, const struct audit_event *ev);
/* Account one decision in the metrics. */
void daemon_count_decision(struct daemon *d, const struct policy_verdict *v);

/* Route registration, one file each. */
int daemon_routes_sessions(struct daemon *d);
int daemon_routes_exec(struct daemon *d);
int daemon_routes_shim(struct daemon *d);
int daemon_routes_attach(struct daemon *d);
/* The supervision plan for a top-level shell of session s: the shim pid
 * and the real shell it will exec. */
struct json_object *attach_plan(struct daemon *d, const struct session *s,
				pid_t pid, const char *shell);
/* The plan's "fs" object: the file rules as a Landlock allowlist. */
struct json_object *attach_fs(struct daemon *d, const struct session *s,
			      pid_t pid, const char *shell);
int daemon_routes_misc(struct daemon *d);

/* Session lifecycle with events. */
int daemon_session_create(struct daemon *d, const char *id, const char *ws,
			  const char *policy, struct session **out,
			  struct diag *diag);
void daemon_session_destroy(struct daemon *d, struct session *s,
			    const char *type, const char *why);
/* The Session JSON object. */
struct json_object *daemon_session_json(struct daemon *d, struct session *s);

/* `agentsh server`: run until SIGTERM/SIGINT. */
int daemon_main(int argc, char **argv, char **envp);

#endif
