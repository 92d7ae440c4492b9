/*
 * The "fs" part of the supervision plan: the session's file rules as the
 * Landlock allowlist the shim applies when no supervisor decides each open
 * (modes ptrace and landlock). From policy_fs_plan(): per class (read,
 * write) the granted hierarchies, each with the earlier denials inside it
 * to carve out, and what Landlock cannot express. Plus what the shell
 * needs to start at all: the shim that runs it, the real shell, the shim's
 * configuration and the daemon's socket.
 */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/proto.h"
#include "common/str.h"
#include "daemon/daemon.h"

#define ATTACH_FS_EXCEPT_MAX 64 /* denials carved out of one grant */
#define ATTACH_FS_SHIM_CONF "/etc/agentsh/shim.conf"

static const char *const attach_fs_class[] = {"read", "write"};

/* Names that resolve per process (through /proc/self): the daemon's or the
 * shim's resolution would grant its own files to every descendant. */
static const char *const attach_fs_per_process[] = {
	"/proc/self", "/proc/thread-self", "/dev/fd", "/dev/stdin",
	"/dev/stdout", "/dev/stderr", NULL,
};

/* path resolved: realpath, else its directory's realpath and its name,
 * else as written. */
static void attach_fs_resolve(const char *path, char *out)
{
	char dir[PATH_MAX], real[PATH_MAX];
	const char *base = strrchr(path, '/');

	if (realpath(path, out) != NULL)
		return;
	str_lcpy(out, path, PATH_MAX);
	if (base == NULL || base == path || (size_t)(base - path) >= PATH_MAX)
		return;
	memcpy(dir, path, (size_t)(base - path));
	dir[base - path] = '\0';
	if (realpath(dir, real) != NULL)
		snprintf(out, PATH_MAX, "%s%s", real, base);
}

/* Whether a and b are the same path or one lies beneath the other. */
static bool attach_fs_nested(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), l = la < lb ? la : lb;

	if (strcmp(a, "/") == 0 || strcmp(b, "/") == 0)
		return true;
	return strncmp(a, b, l) == 0 && (la == lb ||
					  (la < lb ? b[la] : a[lb]) == '/');
}

/* Whether denial d can touch grant g, as written or resolved. */
static bool attach_fs_related(const char *d, const char *g)
{
	char rd[PATH_MAX], rg[PATH_MAX];

	if (attach_fs_nested(d, g))
		return true;
	attach_fs_resolve(d, rd);
	attach_fs_resolve(g, rg);
	return attach_fs_nested(rd, rg);
}

/* Why the grant of item g cannot be given, or NULL. */
static const char *attach_fs_refuse(const struct policy_fs_item *g)
{
	char real[PATH_MAX];
	struct stat st;
	bool per = false;

	for (size_t i = 0; attach_fs_per_process[i] != NULL; i++)
		per |= attach_fs_nested(g->path, attach_fs_per_process[i]) &&
		       strlen(g->path) >= strlen(attach_fs_per_process[i]);
	attach_fs_resolve(g->path, real);
	if (per || (strncmp(real, "/proc/", 6) == 0 && real[6] >= '0' &&
		    real[6] <= '9'))
		return "a per-process path: one Landlock rule cannot name it "
		       "for every process";
	if (!g->tree && stat(g->path, &st) == 0 && S_ISDIR(st.st_mode))
		return "a directory named alone: Landlock would grant "
		       "everything beneath it too";
	return NULL;
}

static void attach_fs_note(json_object *a, const struct policy_fs_item *it,
			   const char *why)
{
	json_object *o = json_object_new_object();
	const char *cls = it->cls == (POLICY_FS_READ | POLICY_FS_WRITE) ?
		"read,write" : it->cls == POLICY_FS_READ ? "read" : "write";

	json_object_object_add(o, "rule", json_object_new_string(it->rule));
	json_object_object_add(o, "pattern", json_object_new_string(
				       it->pattern));
	json_object_object_add(o, "class", json_object_new_string(cls));
	json_object_object_add(o, "why", json_object_new_string(why));
	json_object_array_add(a, o);
}

/* The earlier denials of class c related to grant k, or NULL when more
 * than ATTACH_FS_EXCEPT_MAX. */
static json_object *attach_fs_except(const struct policy_fs_plan *fp,
				     size_t k, unsigned c)
{
	json_object *ex = json_object_new_array();

	for (size_t j = 0; j < k; j++) {
		const struct policy_fs_item *d = &fp->v[j];

		if (d->kind != POLICY_FS_DENY || !(d->cls & c) ||
		    !attach_fs_related(d->path, fp->v[k].path))
			continue;
		if (json_object_array_length(ex) >= ATTACH_FS_EXCEPT_MAX) {
			json_object_put(ex);
			return NULL;
		}
		json_object_array_add(ex, json_object_new_string(d->path));
	}
	return ex;
}

static void attach_fs_entry(json_object *list, const char *path, bool tree,
			    json_object *except)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "path", json_object_new_string(path));
	json_object_object_add(o, "tree", json_object_new_boolean(tree));
	json_object_object_add(o, "except", except ? except :
			       json_object_new_array());
	json_object_array_add(list, o);
}

/* Grant k in each of its classes, or say why not. */
static void attach_fs_grant(const struct policy_fs_plan *fp, size_t k,
			    json_object *cls[2], json_object *ungranted)
{
	const struct policy_fs_item *g = &fp->v[k];
	const char *why = attach_fs_refuse(g);
	json_object *ex;

	if (why != NULL) {
		attach_fs_note(ungranted, g, why);
		return;
	}
	for (unsigned c = 0; c < 2; c++) {
		if (!(g->cls & (1u << c)))
			continue;
		ex = attach_fs_except(fp, k, 1u << c);
		if (ex == NULL)
			attach_fs_note(ungranted, g, "too many denials inside "
				       "it to carve out");
		else
			attach_fs_entry(cls[c], g->path, g->tree, ex);
	}
}

/* What the shell needs to start: read (execute comes from the exec deny
 * list), whatever the policy says. */
static void attach_fs_infra(struct daemon *d, pid_t pid, const char *shell,
			    json_object *read)
{
	char link[64], exe[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	n = readlink(link, exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		attach_fs_entry(read, exe, false, NULL);
	}
	if (shell != NULL && shell[0] == '/')
		attach_fs_entry(read, shell, false, NULL);
	attach_fs_entry(read, ATTACH_FS_SHIM_CONF, false, NULL);
	if (d->cfg->server.unix_socket.path != NULL)
		attach_fs_entry(read, d->cfg->server.unix_socket.path, false,
				NULL);
}

json_object *attach_fs(struct daemon *d, const struct session *s, pid_t pid,
		       const char *shell)
{
	json_object *o = json_object_new_object(), *cls[2];
	json_object *unenf = json_object_new_array();
	json_object *ungr = json_object_new_array();
	struct policy_fs_plan *fp = NULL;

	cls[0] = json_object_new_array();
	cls[1] = json_object_new_array();
	attach_fs_infra(d, pid, shell, cls[0]);
	if (s->policy != NULL && policy_fs_plan(s->policy, &fp) < 0)
		fp = NULL; /* out of memory: nothing granted beyond the shell */
	for (size_t k = 0; fp != NULL && k < fp->n; k++) {
		const struct policy_fs_item *it = &fp->v[k];

		if (it->kind == POLICY_FS_GRANT)
			attach_fs_grant(fp, k, cls, ungr);
		else if (it->kind == POLICY_FS_UNENFORCED)
			attach_fs_note(unenf, it, it->why);
		else if (it->kind == POLICY_FS_UNGRANTED)
			attach_fs_note(ungr, it, it->why);
	}
	policy_fs_plan_free(fp);
	for (unsigned c = 0; c < 2; c++)
		json_object_object_add(o, attach_fs_class[c], cls[c]);
	json_object_object_add(o, "unenforced", unenf);
	json_object_object_add(o, "ungranted", ungr);
	return o;
}
