#include "daemon/session.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/str.h"


struct session_mgr {
	struct session_mgr_opts o;
	struct session **v;
	size_t n, cap;
};

struct session_mgr *session_mgr_new(const struct session_mgr_opts *o)
{
	struct session_mgr *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->o = *o;
	if (m->o.max_sessions == 0)
		m->o.max_sessions = 100;
	return m;
}

static void session_free(struct session *s)
{
	if (s == NULL)
		return;
	policy_ctx_free(s->ctx);
	policy_free(s->policy);
	policy_src_free(s->src);
	for (size_t i = 0; s->env[i]; i++)
		free(s->env[i]);
	if (s->netns_fd >= 0)
		close(s->netns_fd);
	free(s);
}

void session_mgr_free(struct session_mgr *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++)
		session_free(m->v[i]);
	free(m->v);
	free(m);
}

bool session_id_valid(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	if (n == 0 || n >= SESSION_ID_MAX || !isalnum((unsigned char)id[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)id[i]) && id[i] != '_' && id[i] != '-')
			return false;
	return true;
}

static bool policy_name_valid(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > 200)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return false;
	return true;
}

/* "session-" + a random UUID (version 4). */
static int session_gen_id(char *out, size_t n)
{
	uint8_t b[16];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return -EIO;
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, n, "session-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
		 b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

struct session *session_get(struct session_mgr *m, const char *id)
{
	for (size_t i = 0; id && i < m->n; i++)
		if (strcmp(m->v[i]->id, id) == 0)
			return m->v[i];
	return NULL;
}

size_t session_count(const struct session_mgr *m)
{
	return m->n;
}

struct session *session_at(struct session_mgr *m, size_t i)
{
	return i < m->n ? m->v[i] : NULL;
}

struct var_ctx {
	const struct session *s;
	const struct session_mgr *m;
};

/* ${VAR}: the session's roots first, then the daemon's saved environment. */
static const char *session_var(void *arg, const char *name)
{
	const struct var_ctx *vc = arg;

	if (strcmp(name, "PROJECT_ROOT") == 0)
		return vc->s->project_root;
	if (strcmp(name, "GIT_ROOT") == 0)
		return vc->s->git_root;
	if (vc->m->o.env_lookup)
		return vc->m->o.env_lookup(vc->m->o.env_arg, name);
	return NULL;
}

static bool policy_allowed(const struct session_mgr *m, const char *name)
{
	if (m->o.allowed_policies == NULL || m->o.allowed_policies[0] == NULL)
		return true;
	for (size_t i = 0; m->o.allowed_policies[i]; i++)
		if (strcmp(m->o.allowed_policies[i], name) == 0)
			return true;
	return false;
}

/* <dir>/<name>.yaml, .yml, then <name> itself. */
static int policy_file(const struct session_mgr *m, const char *name, char *out,
		       size_t n)
{
	static const char *const ext[] = {".yaml", ".yml", ""};
	struct stat st;

	for (size_t i = 0; i < 3; i++) {
		snprintf(out, n, "%s/%s%s", m->o.policies_dir, name, ext[i]);
		if (stat(out, &st) == 0 && S_ISREG(st.st_mode))
			return 0;
	}
	return -ENOENT;
}

static int session_load_policy(struct session_mgr *m, struct session *s,
			       struct diag *d)
{
	struct var_ctx vc = {s, m};
	struct policy_compile_opts co = {session_var, &vc, m->o.approvals_enabled};
	char path[PATH_MAX];
	int r;

	if (!policy_name_valid(s->policy_name) ||
	    !policy_allowed(m, s->policy_name)) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, "policy-not-allowed",
			 "policy '%s' is not a valid or allowed policy name",
			 s->policy_name);
		return -EPERM;
	}
	if (policy_file(m, s->policy_name, path, sizeof(path)) < 0) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, "policy-not-found",
			 "policy '%s' not found in %s", s->policy_name,
			 m->o.policies_dir);
		return -ENOENT;
	}
	r = policy_src_load_file(path, &s->src, d);
	if (r == 0)
		r = policy_compile(s->src, &co, &s->policy, d);
	if (r == 0 && (s->ctx = policy_ctx_new()) == NULL)
		r = -ENOMEM;
	return r;
}

static int64_t min_timeout(int64_t a, int64_t b)
{
	if (a <= 0)
		return b > 0 ? b : 0;
	if (b <= 0)
		return a;
	return a < b ? a : b;
}

static int session_setup(struct session_mgr *m, struct session *s,
			 const char *workspace, struct diag *d)
{
	const struct policy_limits *l;
	int r;

	if (realpath(workspace ? workspace : "/", s->workspace) == NULL) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, "bad-workspace",
			 "workspace '%s': %s", workspace, strerror(errno));
		return -EINVAL;
	}
	str_lcpy(s->project_root, s->workspace, sizeof(s->project_root));
	str_lcpy(s->git_root, s->workspace, sizeof(s->git_root));
	if (m->o.detect_project_root)
		policy_detect_roots(s->workspace, m->o.project_markers,
				    s->project_root, s->git_root,
				    sizeof(s->project_root));
	str_lcpy(s->cwd, s->workspace, sizeof(s->cwd));
	r = session_load_policy(m, s, d);
	if (r < 0)
		return r;
	l = &policy_source(s->policy)->limits;
	s->timeout_ms = min_timeout(l->session_timeout_ms, m->o.default_timeout_ms);
	s->idle_timeout_ms = min_timeout(l->idle_timeout_ms,
					 m->o.default_idle_timeout_ms);
	return 0;
}

static int session_insert(struct session_mgr *m, struct session *s)
{
	if (m->n == m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 8;
		struct session **nv = realloc(m->v, ncap * sizeof(*nv));
		if (nv == NULL)
			return -ENOMEM;
		m->v = nv;
		m->cap = ncap;
	}
	m->v[m->n++] = s;
	return 0;
}

int session_create(struct session_mgr *m, const char *id, const char *workspace,
		   const char *policy, int64_t now_ms, struct session **out,
		   struct diag *d)
{
	struct session *s;
	int r;

	*out = NULL;
	if (id && !session_id_valid(id)) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, "bad-session-id",
			 "invalid session id (want [A-Za-z0-9][A-Za-z0-9_-]{0,127})");
		return -EINVAL;
	}
	if (id && session_get(m, id))
		return -EEXIST;
	if (m->n >= m->o.max_sessions) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, "too-many-sessions",
			 "the limit of %zu sessions is reached", m->o.max_sessions);
		return -EMFILE;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->netns_fd = -1;
	r = id ? (str_lcpy(s->id, id, sizeof(s->id)), 0) :
		 session_gen_id(s->id, sizeof(s->id));
	str_lcpy(s->policy_name, policy && *policy ? policy : m->o.default_policy,
		 sizeof(s->policy_name));
	if (r == 0)
		r = session_setup(m, s, workspace, d);
	if (r == 0)
		r = session_insert(m, s);
	if (r < 0) {
		session_free(s);
		return r;
	}
	s->created_ms = s->last_used_ms = now_ms;
	*out = s;
	return 0;
}

int session_destroy(struct session_mgr *m, const char *id)
{
	for (size_t i = 0; i < m->n; i++) {
		if (strcmp(m->v[i]->id, id) != 0)
			continue;
		session_free(m->v[i]);
		m->v[i] = m->v[--m->n];
		return 0;
	}
	return -ENOENT;
}

void session_add_root(struct session *s, pid_t pid)
{
	for (size_t i = 0; i < s->nroots; i++)
		if (s->roots[i] == pid)
			return;
	if (s->nroots == SESSION_MAX_ROOTS) /* forget the oldest */
		memmove(s->roots, s->roots + 1, --s->nroots * sizeof(pid_t));
	s->roots[s->nroots++] = pid;
}

static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *fp;
	long pp = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fp = fopen(path, "re");
	if (fp == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), fp) && (p = strrchr(buf, ')')) &&
	    sscanf(p + 1, " %*c %ld", &pp) != 1)
		pp = -1;
	fclose(fp);
	return (pid_t)pp;
}

struct session *session_for_pid(struct session_mgr *m, pid_t pid)
{
	for (int depth = 0; pid > 1 && depth < SESSION_ANCESTRY_MAX; depth++) {
		for (size_t i = 0; i < m->n; i++)
			for (size_t k = 0; k < m->v[i]->nroots; k++)
				if (m->v[i]->roots[k] == pid)
					return m->v[i];
		pid = parent_of(pid);
	}
	return NULL;
}

struct session *session_next_expired(struct session_mgr *m, int64_t now_ms,
				     const char **why)
{
	for (size_t i = 0; i < m->n; i++) {
		struct session *s = m->v[i];
		if (s->busy)
			continue;
		if (s->timeout_ms > 0 && now_ms - s->created_ms > s->timeout_ms) {
			*why = "session_timeout";
			return s;
		}
		if (s->idle_timeout_ms > 0 &&
		    now_ms - s->last_used_ms > s->idle_timeout_ms) {
			*why = "idle_timeout";
			return s;
		}
	}
	return NULL;
}
