/* Sessions: one workspace, one compiled policy, used for every decision. */
#ifndef AGENTSH_DAEMON_SESSION_H
#define AGENTSH_DAEMON_SESSION_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/diag.h"
#include "policy/policy.h"

#define SESSION_ID_MAX 129     /* 128 characters + NUL */
#define SESSION_MAX_ROOTS 256  /* shim processes registered per session */
#define SESSION_ENV_MAX 256    /* variables set with PATCH/export */
#define SESSION_SOFT_LOG_MAX 32 /* recent soft deletes kept for answers */
#define SESSION_ANCESTRY_MAX 128 /* parent links followed to find a root */

/* A soft delete, for the answer of the command that made it. */
struct session_soft {
	pid_t root;       /* the supervised shell or command it came from */
	char token[40];
	char path[PATH_MAX];
};

struct session {
	char id[SESSION_ID_MAX];
	char workspace[PATH_MAX];
	char project_root[PATH_MAX];
	char git_root[PATH_MAX];
	char policy_name[256];
	char cwd[PATH_MAX];
	struct policy_src *src;
	struct policy *policy;
	struct policy_ctx *ctx;
	int64_t created_ms, last_used_ms;
	int64_t timeout_ms, idle_timeout_ms; /* 0 = none */
	pid_t roots[SESSION_MAX_ROOTS];      /* shim processes of this session */
	size_t nroots;
	char *env[SESSION_ENV_MAX + 1];      /* K=V set through the API */
	uint64_t commands, denied;
	struct session_soft soft[SESSION_SOFT_LOG_MAX]; /* a ring */
	size_t nsoft;
	bool busy;
	struct dnsgw *dns;                   /* DNS listener (daemon/dnsgw.c) */
	int netns_fd;   /* transparent mode: its network namespace, or -1 */
};

struct session_mgr;

/* Lookup of ${VAR} values outside a session's own variables. */
typedef const char *(*session_env_fn)(void *arg, const char *name);

struct session_mgr_opts {
	const char *policies_dir;
	const char *default_policy;
	const char *const *allowed_policies; /* NULL: any name in the dir */
	const char *const *project_markers;  /* NULL: built-in list */
	bool detect_project_root;
	bool approvals_enabled;
	size_t max_sessions;
	int64_t default_timeout_ms, default_idle_timeout_ms;
	session_env_fn env_lookup;
	void *env_arg;
};

struct session_mgr *session_mgr_new(const struct session_mgr_opts *o);
void session_mgr_free(struct session_mgr *m);

/* Valid ids: ^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$. */
bool session_id_valid(const char *id);
/* Create a session (id NULL: generated). Errors go to d: -EEXIST, -EINVAL,
 * -ENOENT (policy), -EMFILE (too many sessions). */
int session_create(struct session_mgr *m, const char *id, const char *workspace,
		   const char *policy, int64_t now_ms, struct session **out,
		   struct diag *d);
struct session *session_get(struct session_mgr *m, const char *id);
int session_destroy(struct session_mgr *m, const char *id);
size_t session_count(const struct session_mgr *m);
struct session *session_at(struct session_mgr *m, size_t i);
/* Register a shim process as a root of the session's process tree. */
void session_add_root(struct session *s, pid_t pid);
/* The session whose registered root is pid or one of its ancestors. */
struct session *session_for_pid(struct session_mgr *m, pid_t pid);
/* Sessions past their absolute or idle timeout, one per call (NULL: none). */
struct session *session_next_expired(struct session_mgr *m, int64_t now_ms,
				     const char **why);

#endif
