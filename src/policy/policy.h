/*
 * The policy engine: load a YAML policy (strictly: every error names
 * file:line:col, the rule and the field), compile it once per session with
 * that session's variables, and answer "allow, deny, approve, redirect,
 * audit or soft_delete, and why" for commands, files, network and
 * environment variables. Pure: no sockets, no globals; deciding allocates
 * nothing.
 */
#ifndef AGENTSH_POLICY_H
#define AGENTSH_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/diag.h"
#include "policy/ipaddr.h"

#define POLICY_NAME_MAX 256          /* rule names */
#define POLICY_PATH_MAX 4096         /* a path after normalisation */
#define POLICY_HOST_MAX 256          /* a domain name (253 + slack) */
#define POLICY_ARGS_MAX (2u << 20)   /* joined arguments (ARG_MAX) */
#define POLICY_MAX_IPS 64            /* addresses per network request */
#define POLICY_REGEX_MATCH_LIMIT 200000 /* PCRE2 match limit per regex */
#define POLICY_REGEX_DEPTH_LIMIT 10000  /* PCRE2 depth limit per regex */
#define POLICY_MESSAGE_MAX 2048      /* a rendered message */

enum policy_decision {
	POLICY_ALLOW,
	POLICY_DENY,
	POLICY_APPROVE,
	POLICY_REDIRECT,
	POLICY_AUDIT,
	POLICY_SOFT_DELETE,
	POLICY_ABSORB, /* signal rules only */
};

enum policy_file_op {
	POLICY_OP_READ, POLICY_OP_WRITE, POLICY_OP_OPEN, POLICY_OP_CREATE,
	POLICY_OP_DELETE, POLICY_OP_RENAME, POLICY_OP_MKDIR, POLICY_OP_RMDIR,
	POLICY_OP_CHMOD, POLICY_OP_STAT, POLICY_OP_LIST, POLICY_OP_READLINK,
	POLICY_OP_LINK, POLICY_OP_SYMLINK, POLICY_OP_CHOWN, POLICY_OP_TRUNCATE,
	POLICY_OP_ACCESS, POLICY_OP_MKNOD, POLICY_OP_MODIFY, POLICY_OP_EXEC,
	POLICY_FILE_OP_COUNT
};

enum policy_unix_op {
	POLICY_UNIX_CONNECT, POLICY_UNIX_BIND, POLICY_UNIX_LISTEN,
	POLICY_UNIX_SENDTO, POLICY_UNIX_OP_COUNT
};

/* Which rule list a verdict or a lint finding refers to. */
enum policy_kind {
	POLICY_KIND_FILE, POLICY_KIND_NETWORK, POLICY_KIND_COMMAND,
	POLICY_KIND_UNIX, POLICY_KIND_SIGNAL, POLICY_KIND_ENV
};

struct policy_pos {
	int line, col;
};

/* A list of strings from the YAML file, each with its position. */
struct policy_strv {
	char **v;
	struct policy_pos *pos;
	size_t n;
};

struct policy_rule_common {
	char *name;
	char *description;
	enum policy_decision decision;
	char *message;      /* template, may be NULL */
	int64_t timeout_ms; /* -1 when not given */
	struct policy_pos pos;          /* the rule's mapping */
	struct policy_pos decision_pos; /* the decision value */
};

struct policy_file_rule {
	struct policy_rule_common c;
	struct policy_strv paths;
	uint32_t ops; /* bit per enum policy_file_op; all bits for "*" or none */
	bool ops_all;
	char *redirect_to;
	bool preserve_tree;
};

struct policy_net_rule {
	struct policy_rule_common c;
	struct policy_strv domains;
	uint16_t *ports;
	size_t nports;
	struct policy_pos ports_pos;
	struct policy_strv cidrs;
};

struct policy_redirect {
	char *command;
	struct policy_strv args;
	struct policy_strv args_append;
	char **env_keys, **env_vals;
	size_t nenv;
};

struct policy_cmd_rule {
	struct policy_rule_common c;
	struct policy_strv commands;
	struct policy_strv args_patterns;
	/* Per pattern: not a valid regex but a glob, as written for agentsh
	 * before 0.7.10; matched against each argument on its own. */
	bool *args_legacy_glob;
	struct policy_redirect *redirect; /* NULL unless redirect_to given */
	struct policy_strv env_allow, env_deny;
	bool has_env_allow, has_env_deny;
	int64_t env_max_bytes, env_max_keys; /* -1 when not given */
	int env_block_iteration;             /* -1 when not given */
	int min_depth, max_depth;            /* max_depth -1 = unbounded */
};

struct policy_unix_rule {
	struct policy_rule_common c;
	struct policy_strv paths;
	uint32_t ops; /* bit per enum policy_unix_op */
};

enum policy_signal_target {
	POLICY_SIG_ANY, POLICY_SIG_SELF, POLICY_SIG_CHILDREN,
	POLICY_SIG_DESCENDANTS, POLICY_SIG_SIBLINGS, POLICY_SIG_SESSION,
	POLICY_SIG_PARENT, POLICY_SIG_EXTERNAL, POLICY_SIG_SYSTEM,
	POLICY_SIG_USER, POLICY_SIG_PROCESS, POLICY_SIG_PID_RANGE
};

struct policy_signal_rule {
	struct policy_rule_common c;
	struct policy_strv signals;
	uint64_t sigmask; /* bit n-1 = signal n (1..64) */
	enum policy_signal_target target;
	char *target_pattern;
	int64_t target_min, target_max;
	enum policy_decision fallback;
	bool has_fallback;
	int redirect_signal; /* 0 when none */
};

struct policy_limits {
	int64_t max_memory_mb, memory_swap_max_mb, cpu_quota_percent;
	int64_t disk_read_bps_max, disk_write_bps_max, net_bandwidth_mbps;
	int64_t pids_max;
	int64_t command_timeout_ms, session_timeout_ms, idle_timeout_ms;
}; /* every field -1 when not given */

struct policy_env {
	struct policy_strv allow, deny;
	int64_t max_bytes, max_keys; /* -1 when not given */
	bool block_iteration;
	bool present;
};

struct policy_audit {
	bool log_allowed, log_denied, log_approved;
	bool include_stdout, include_stderr, include_file_content;
	int64_t retention_days;
};

/* A parsed, validated policy as written: nothing expanded yet. */
struct policy_src {
	char *file;
	int64_t version;
	char *name;
	char *description;
	struct policy_file_rule *file_rules;
	size_t n_file_rules;
	struct policy_net_rule *net_rules;
	size_t n_net_rules;
	struct policy_cmd_rule *cmd_rules;
	size_t n_cmd_rules;
	struct policy_unix_rule *unix_rules;
	size_t n_unix_rules;
	struct policy_signal_rule *signal_rules;
	size_t n_signal_rules;
	struct policy_limits limits;
	struct policy_env env;
	struct policy_audit audit;
};

/* Parse a policy; on any error nothing is returned and d says why. */
int policy_src_load_file(const char *path, struct policy_src **out,
			 struct diag *d);
int policy_src_load_buffer(const char *data, size_t len, const char *name,
			   struct policy_src **out, struct diag *d);
void policy_src_free(struct policy_src *src);

/* Variable lookup for ${VAR}: returns the value or NULL when undefined. */
typedef const char *(*policy_var_fn)(void *arg, const char *name);

struct policy_compile_opts {
	policy_var_fn lookup; /* session variables, then the environment */
	void *lookup_arg;
	bool approvals_enabled; /* else approve is an effective deny */
};

struct policy;

/* Expand variables and build the matching structures. */
int policy_compile(const struct policy_src *src,
		   const struct policy_compile_opts *opts, struct policy **out,
		   struct diag *d);
void policy_free(struct policy *p);
const struct policy_src *policy_source(const struct policy *p);

/* Tests and benchmarks: decide by scanning every rule (no indexes). The
 * answers must be identical; only the speed differs. */
void policy_set_linear(struct policy *p, bool linear);

/* Per-thread scratch space for decisions (regex match data, buffers). */
struct policy_ctx;
struct policy_ctx *policy_ctx_new(void);
void policy_ctx_free(struct policy_ctx *ctx);

struct policy_verdict {
	enum policy_decision decision;  /* what the matching rule says */
	enum policy_decision effective; /* POLICY_ALLOW, _DENY or _APPROVE */
	enum policy_kind kind;
	const char *rule;     /* rule name or a reserved default-deny name */
	int rule_index;       /* index in its list; -1 for reserved names */
	const char *message;  /* the rule's message template, or NULL */
	const char *description; /* the rule's description, or NULL */
	const char *reason;   /* engine's own explanation, or NULL */
	int64_t timeout_ms;   /* approval timeout of the rule, -1 if none */
	bool approval_required; /* decision approve and no approver */
	const struct policy_cmd_rule *cmd_rule; /* for redirect_to and env_* */
	const struct policy_file_rule *file_rule;
};

struct policy_exec_req {
	const char *path;          /* executable as given: name or path */
	const char *const *argv;   /* argv[0] .. argv[argc-1] */
	size_t argc;
	int depth;                 /* 0 = direct, >= 1 = nested */
};

struct policy_file_req {
	enum policy_file_op op;
	const char *path; /* absolute, or relative to cwd */
	const char *cwd;  /* may be NULL when path is absolute */
};

struct policy_net_req {
	const char *host; /* name or IP literal as the client asked */
	uint16_t port;
	const struct policy_ip *ips; /* resolved addresses, may be none */
	size_t nips;
};

int policy_check_exec(const struct policy *p, struct policy_ctx *ctx,
		      const struct policy_exec_req *r, struct policy_verdict *v);
int policy_check_file(const struct policy *p, struct policy_ctx *ctx,
		      const struct policy_file_req *r, struct policy_verdict *v);
int policy_check_net(const struct policy *p, struct policy_ctx *ctx,
		     const struct policy_net_req *r, struct policy_verdict *v);
/* Env var name, optionally under a matching command rule's env_* lists. */
int policy_check_env(const struct policy *p, const char *name,
		     const struct policy_cmd_rule *rule,
		     struct policy_verdict *v);

/* One variable of an environment to filter: its name and value length. */
struct policy_env_var {
	const char *name;
	size_t name_len;
	size_t value_len;
};

struct policy_env_outcome {
	size_t kept, denied;   /* variables kept and removed */
	size_t bytes;          /* sum of len("K=V") + 1 over the kept ones */
	int64_t max_keys, max_bytes; /* the limits that applied, -1 = none */
	bool block_iteration;
	const char *error;     /* non-NULL: a limit is exceeded; do not run */
};

/*
 * Decide which variables of an environment pass env_policy (with the
 * command rule's env_* lists and limits when rule is given): keep[i] says
 * whether vars[i] passes. Empty values are dropped. The limits apply to
 * what is kept; variables the gateway injects afterwards are not counted.
 */
int policy_env_select(const struct policy *p, const struct policy_cmd_rule *rule,
		      const struct policy_env_var *vars, size_t n, bool *keep,
		      struct policy_env_outcome *out);
/* The same for "K=V" strings: returns a new NULL-terminated array holding
 * the kept entries of envp followed by copies of inject (K=V). */
int policy_env_build(const struct policy *p, const struct policy_cmd_rule *rule,
		     char *const *envp, char *const *inject, char ***out_env,
		     struct policy_env_outcome *out);
void policy_env_free(char **env);

/* Values for {{.Path}} {{.Operation}} {{.Command}} {{.Args}} ... */
struct policy_render_args {
	const char *path, *operation, *command, *args;
	const char *domain, *remote_addr, *port;
};
/* Render the verdict's message (or a default one) into buf. */
int policy_render_message(const struct policy_verdict *v,
			  const struct policy_render_args *a, char *buf,
			  size_t n);

/*
 * Report rules and entries that can never decide anything because an
 * earlier rule of the same list already matches everything they match
 * (first match wins), rules without selectors, and duplicate names, as
 * warnings in d. Returns the number of findings.
 */
int policy_lint(const struct policy *p, struct diag *d);

/*
 * The file rules as a Landlock allowlist can hold them, for the modes with
 * no supervisor deciding each open (ptrace, landlock). Two access classes:
 * read (granted by a rule allowing "read", denied by one denying read, open
 * or list) and write (granted by "write"; denied by any modifying op).
 * Allowing means allow, audit or soft_delete. Items follow the rule order
 * (first match wins): a grant must exclude every earlier denial of its
 * class that lies inside it, and is void when an earlier denial covers it.
 */
#define POLICY_FS_READ 1u
#define POLICY_FS_WRITE 2u

enum policy_fs_kind {
	POLICY_FS_GRANT,      /* path (and beneath it when tree) allowed */
	POLICY_FS_DENY,       /* denied: carved out of later grants */
	POLICY_FS_UNENFORCED, /* a denial Landlock cannot express inside a
			       * later grant (stays allowed), or soft_delete */
	POLICY_FS_UNGRANTED,  /* an allow Landlock cannot express (denied) */
};

struct policy_fs_item {
	enum policy_fs_kind kind;
	unsigned cls;     /* POLICY_FS_READ | POLICY_FS_WRITE */
	char *path;       /* the literal path; for glob patterns the literal
			   * text every match starts with */
	bool tree;        /* the path and everything beneath it */
	const char *pattern; /* the expanded pattern (borrowed from p) */
	const char *rule;    /* the rule's name (borrowed from p) */
	const char *why;     /* UNENFORCED, UNGRANTED: a static explanation */
};

struct policy_fs_plan {
	struct policy_fs_item *v;
	size_t n;
};

/* Compute the plan of p (valid while p lives); 0 or -ENOMEM. */
int policy_fs_plan(const struct policy *p, struct policy_fs_plan **out);
void policy_fs_plan_free(struct policy_fs_plan *fp);

/* Names used in YAML and JSON. */
const char *policy_decision_name(enum policy_decision d);
const char *policy_file_op_name(enum policy_file_op op);
int policy_file_op_parse(const char *s, enum policy_file_op *out);
const char *policy_kind_name(enum policy_kind k);

/* Markers for project root detection when the config names none. */
extern const char *const policy_default_markers[];
/* Detect PROJECT_ROOT and GIT_ROOT for a workspace (both buffers n bytes). */
int policy_detect_roots(const char *workspace, const char *const *markers,
			char *project_root, char *git_root, size_t n);

/* Lexically normalise an absolute path ("." "..", "//"); 0 or -errno. */
int policy_path_normalize(const char *path, const char *cwd, char *out,
			  size_t n);

#endif
