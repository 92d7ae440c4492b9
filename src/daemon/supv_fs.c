/*
 * File decisions for the supervisor: opens and path changes by file_rules,
 * soft-delete into the trash, and the paths protected whatever the policy
 * says (other processes' environ and memory, the daemon's own files).
 */
#include "daemon/supv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "common/str.h"
#include "daemon/daemon.h"
#include "trash/trash.h"

/* Entries of another process that expose its secrets or its view. */
static const char *const supv_proc_private[] = {
	"environ", "mem", "root", "cwd", "fd", "map_files", "pagemap",
	"syscall", "auxv", "stack", NULL,
};

static bool supv_under(const char *path, const char *dir)
{
	size_t l;

	if (dir == NULL || dir[0] != '/')
		return false;
	l = strlen(dir);
	while (l > 1 && dir[l - 1] == '/')
		l--;
	return strncmp(path, dir, l) == 0 && (path[l] == '/' || path[l] == '\0');
}

/* The thread group of a thread id. */
static pid_t supv_tgid(pid_t tid)
{
	char path[64], buf[1024], *p;
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return tid;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[r > 0 ? r : 0] = '\0';
	p = strstr(buf, "\nTgid:");
	return p ? (pid_t)strtol(p + 6, NULL, 10) : tid;
}

/* /proc/<n>/<leaf>... of a process other than pid's own, or the daemon's. */
static bool supv_proc_protected(pid_t pid, const char *path)
{
	const char *p = path + 6, *leaf;
	char *end;
	long n;

	if (strncmp(path, "/proc/", 6) != 0 || *p < '0' || *p > '9')
		return false;
	n = strtol(p, &end, 10);
	if (*end != '/' && *end != '\0')
		return false;
	if (n == (long)getpid())
		return true;
	if (*end == '\0' || n == (long)supv_tgid(pid) || n == (long)pid)
		return false;
	leaf = end + 1;
	if (strncmp(leaf, "task/", 5) == 0 && (leaf = strchr(leaf + 5, '/')))
		leaf++;
	for (size_t i = 0; leaf && supv_proc_private[i]; i++)
		if (strncmp(leaf, supv_proc_private[i],
			    strlen(supv_proc_private[i])) == 0)
			return true;
	return false;
}

/* The daemon's state: never readable or writable from a session. */
static bool supv_daemon_private(struct daemon *d, const char *path)
{
	const struct config *c = d->cfg;
	char db_dir[PATH_MAX];
	char *slash;

	str_lcpy(db_dir, c->audit.storage.sqlite_path ?
		 c->audit.storage.sqlite_path : "", sizeof(db_dir));
	slash = strrchr(db_dir, '/');
	if (slash)
		*slash = '\0';
	return supv_under(path, db_dir) || supv_under(path, c->sessions.base_dir) ||
	       supv_under(path, c->auth.api_key.keys_file) ||
	       supv_under(path, d->trash_dir) || supv_under(path, "/var/lib/agentsh") ||
	       supv_under(path, "/var/log/agentsh");
}

static bool supv_protected(struct supv_listener *l, pid_t pid,
			   const char *path, bool write)
{
	char exe[PATH_MAX];
	ssize_t n;

	if (supv_proc_protected(pid, path) || supv_daemon_private(l->d, path))
		return true;
	if (!write)
		return false;
	if (supv_under(path, "/etc/agentsh") ||
	    supv_under(path, l->d->cfg->policies.dir) ||
	    (l->shim_exe[0] && supv_under(path, l->shim_exe)))
		return true;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	return n > 0 && supv_under(path, exe);
}

static void supv_file_event(struct supv_listener *l, pid_t pid,
			    enum policy_file_op op, const char *path,
			    const struct policy_verdict *v)
{
	struct audit_event ev = {0};

	supv_verdict_event(&ev, l, pid, "file", v);
	ev.path = path;
	ev.operation = policy_file_op_name(op);
	daemon_count_decision(l->d, v);
	daemon_event(l->d, &ev);
}

/* The policy speaks of a process's own entries as /proc/self/...; the
 * supervisor has made them /proc/<pid>/... (the caller's own). */
static const char *supv_policy_path(pid_t pid, const char *path, char *buf,
				    size_t n)
{
	char pre[32];
	pid_t ids[2] = {pid, supv_tgid(pid)};
	size_t l;

	for (int i = 0; i < 2; i++) {
		l = (size_t)snprintf(pre, sizeof(pre), "/proc/%d", (int)ids[i]);
		if (strncmp(path, pre, l) == 0 &&
		    (path[l] == '/' || path[l] == '\0')) {
			snprintf(buf, n, "/proc/self%s", path + l);
			return buf;
		}
	}
	return path;
}

/* The protected set first, then file_rules; denials and audits are
 * recorded. The verdict's decision stays as the rule said. */
static bool supv_file_check(struct supv_listener *l, pid_t pid,
			    enum policy_file_op op, const char *path,
			    struct policy_verdict *v)
{
	struct policy_file_req fr = {op, path, NULL};
	struct session *s = supv_session(l);
	bool write = op != POLICY_OP_READ && op != POLICY_OP_EXEC;
	char self[PATH_MAX];

	memset(v, 0, sizeof(*v));
	if (s == NULL || supv_protected(l, pid, path, write)) {
		v->decision = v->effective = POLICY_DENY;
		v->kind = POLICY_KIND_FILE;
		v->rule = s ? "agentsh-protected" : "session-ended";
		v->rule_index = -1;
		v->reason = s ? "agentsh protects this path whatever the "
			  "policy says" : "the session has ended";
		supv_file_event(l, pid, op, path, v);
		return false;
	}
	if (strncmp(path, "/proc/", 6) == 0)
		fr.path = supv_policy_path(pid, path, self, sizeof(self));
	if (policy_check_file(s->policy, s->ctx, &fr, v) < 0)
		v->effective = POLICY_DENY;
	/* Reads no rule speaks of are allowed, as the original does since
	 * 0.16.9: a system's libraries are not the policy's business. */
	if (v->rule_index < 0 && op == POLICY_OP_READ &&
	    strcmp(v->rule, "default-deny-files") == 0) {
		v->decision = v->effective = POLICY_ALLOW;
		v->rule = "default-allow-reads";
	}
	if (v->effective == POLICY_DENY || v->decision == POLICY_AUDIT ||
	    v->decision == POLICY_SOFT_DELETE)
		supv_file_event(l, pid, op, path, v);
	return v->effective != POLICY_DENY;
}

bool supv_on_open(void *arg, pid_t pid, const struct sup_open_req *r)
{
	struct policy_verdict v;
	enum policy_file_op op = POLICY_OP_READ;

	if (r->flags & O_CREAT)
		op = POLICY_OP_CREATE;
	else if ((r->flags & O_ACCMODE) != O_RDONLY || (r->flags & O_TRUNC))
		op = POLICY_OP_WRITE;
	return supv_file_check(arg, pid, op, r->path, &v);
}

static const enum policy_file_op supv_ops_map[SUP_OP_COUNT] = {
	[SUP_OP_UNLINK] = POLICY_OP_DELETE, [SUP_OP_RMDIR] = POLICY_OP_RMDIR,
	[SUP_OP_RENAME] = POLICY_OP_RENAME, [SUP_OP_MKDIR] = POLICY_OP_MKDIR,
	[SUP_OP_LINK] = POLICY_OP_LINK, [SUP_OP_SYMLINK] = POLICY_OP_SYMLINK,
	[SUP_OP_CHMOD] = POLICY_OP_CHMOD, [SUP_OP_TRUNCATE] = POLICY_OP_TRUNCATE,
};

/*
 * A rename out of a soft-delete tree would take the object beyond the
 * trash's reach (mv x /tmp/ && rm /tmp/x): it is refused; inside the
 * tree, or into it, it is an ordinary rename.
 */
static enum sup_verdict supv_rename(struct supv_listener *l, pid_t pid,
				    const struct sup_file_req *r)
{
	struct policy_verdict vs, vd, vo;

	if (!supv_file_check(l, pid, POLICY_OP_RENAME, r->path, &vs) ||
	    !supv_file_check(l, pid, POLICY_OP_RENAME, r->path2, &vd))
		return SUP_DENY;
	if (vs.decision != POLICY_SOFT_DELETE &&
	    !supv_file_check(l, pid, POLICY_OP_DELETE, r->path, &vs))
		return SUP_DENY;
	if (vs.decision != POLICY_SOFT_DELETE)
		return SUP_ALLOW;
	if (supv_file_check(l, pid, POLICY_OP_DELETE, r->path2, &vo) &&
	    vo.decision == POLICY_SOFT_DELETE)
		return SUP_ALLOW;
	supv_tell(pid, "agentsh: moving a file out of a soft-delete protected "
		  "tree is refused; copy it instead\n");
	return SUP_DENY;
}

enum sup_verdict supv_on_file(void *arg, pid_t pid,
			      const struct sup_file_req *r)
{
	struct supv_listener *l = arg;
	struct policy_verdict v;

	if (r->op >= SUP_OP_COUNT)
		return SUP_DENY;
	if (r->op == SUP_OP_RENAME)
		return supv_rename(l, pid, r);
	if (r->op == SUP_OP_LINK &&
	    !supv_file_check(l, pid, POLICY_OP_READ, r->path, &v))
		return SUP_DENY;
	if (!supv_file_check(l, pid, supv_ops_map[r->op],
			     r->op == SUP_OP_LINK ? r->path2 : r->path, &v))
		return SUP_DENY;
	if (v.decision == POLICY_SOFT_DELETE &&
	    (r->op == SUP_OP_UNLINK || r->op == SUP_OP_RMDIR))
		return SUP_SOFT_DELETE;
	return SUP_ALLOW;
}

static bool supv_trash_default(const struct daemon *d)
{
	return strcmp(d->trash_dir, TRASH_ROOT_DEFAULT) == 0;
}

/* Kept so the exec API's answer can name the restore commands. */
static void supv_soft_log(struct supv_listener *l, const char *path,
			  const char *token)
{
	struct session *s = supv_session(l);
	struct session_soft *e;

	if (s == NULL)
		return;
	e = &s->soft[s->nsoft++ % SESSION_SOFT_LOG_MAX];
	e->root = l->root;
	str_lcpy(e->token, token, sizeof(e->token));
	str_lcpy(e->path, path, sizeof(e->path));
}

int supv_on_soft_delete(void *arg, pid_t pid, int dirfd, const char *name,
			const struct sup_file_req *r)
{
	struct supv_listener *l = arg;
	struct trash_info info = {.pid = pid};
	struct audit_event ev = {0};
	char token[TRASH_TOKEN_SIZE], cmd[256], line[PATH_MAX + 200];
	char link[64], fields[TRASH_TOKEN_SIZE + 32];
	ssize_t n;
	int ret;

	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	n = readlink(link, cmd, sizeof(cmd) - 1);
	cmd[n > 0 ? n : 0] = '\0';
	info.command = cmd;
	ret = trash_put(l->d->trash_dir, l->sid, dirfd, name, r->path, &info,
			token, sizeof(token));
	ev.type = "soft_delete";
	ev.session_id = l->sid;
	ev.pid = (int)pid;
	ev.path = r->path;
	ev.decision = ev.effective = ret == 0 ? "soft_delete" : "deny";
	ev.operation = "delete";
	ev.message = ret == 0 ? NULL : strerror(-ret);
	snprintf(fields, sizeof(fields), "{\"token\":\"%s\"}",
		 ret == 0 ? token : "");
	ev.fields_json = fields;
	if (daemon_event(l->d, &ev) < 0 && ret == 0)
		return 0; /* moved already; the manifest records it */
	if (ret < 0)
		return ret;
	supv_soft_log(l, r->path, token);
	snprintf(line, sizeof(line), "agentsh: soft-deleted %s; restore with: "
		 "agentsh trash restore %s%s%s\n", r->path, token,
		 supv_trash_default(l->d) ? "" : " --dir ",
		 supv_trash_default(l->d) ? "" : l->d->trash_dir);
	supv_tell(pid, line);
	return 0;
}
