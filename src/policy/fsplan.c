/*
 * policy_fs_plan: the part of the file rules a Landlock allowlist can
 * express, for the modes without a supervisor deciding each open. Rules in
 * order; per access class (read, write), an allowing rule grants its
 * prefix-shaped paths (an exact path, a literal directory with "/" "**"
 * appended, or "**"), a denying one denies them, and the caller carves every earlier denial out of each
 * later grant. What Landlock cannot say is reported, never dropped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/engine_int.h"

/* The ops whose denial counts against a class (conservative), and the one
 * op a rule must allow to grant the class (usable). */
#define FS_READ_OPS                                                        \
	((1u << POLICY_OP_READ) | (1u << POLICY_OP_OPEN) |                 \
	 (1u << POLICY_OP_LIST))
#define FS_WRITE_OPS                                                       \
	((1u << POLICY_OP_WRITE) | (1u << POLICY_OP_OPEN) |                \
	 (1u << POLICY_OP_CREATE) | (1u << POLICY_OP_DELETE) |             \
	 (1u << POLICY_OP_RENAME) | (1u << POLICY_OP_MKDIR) |              \
	 (1u << POLICY_OP_RMDIR) | (1u << POLICY_OP_TRUNCATE) |            \
	 (1u << POLICY_OP_MKNOD) | (1u << POLICY_OP_LINK) |                \
	 (1u << POLICY_OP_SYMLINK) | (1u << POLICY_OP_MODIFY))

enum fs_shape { FS_EXACT, FS_TREE, FS_OTHER };

/* Allow, audit and soft_delete let the operation happen. */
static bool fs_allowing(enum policy_decision d)
{
	return d == POLICY_ALLOW || d == POLICY_AUDIT || d == POLICY_SOFT_DELETE;
}

/* The classes rule r grants (allowing) or denies (other decisions). */
static unsigned fs_classes(const struct file_rule_c *r, bool allowing)
{
	unsigned c = 0;

	if (allowing) {
		c |= (r->ops & (1u << POLICY_OP_READ)) ? POLICY_FS_READ : 0;
		c |= (r->ops & (1u << POLICY_OP_WRITE)) ? POLICY_FS_WRITE : 0;
	} else {
		c |= (r->ops & FS_READ_OPS) ? POLICY_FS_READ : 0;
		c |= (r->ops & FS_WRITE_OPS) ? POLICY_FS_WRITE : 0;
	}
	return c;
}

/* The shape of an expanded pattern and its literal path (or, for other
 * shapes, the literal text every match starts with). */
static int fs_shape(const struct policy_glob *g, const char *text,
		    enum fs_shape *shape, char **lit)
{
	size_t tl = strlen(text), n;
	struct policy_glob *head = NULL;
	const char *pre;
	char *h;

	*shape = FS_OTHER;
	if (policy_glob_matches_all(g)) {
		*shape = FS_TREE;
		return (*lit = strdup("/")) ? 0 : -ENOMEM;
	}
	if (policy_glob_is_literal(g) && text[0] == '/')
		*shape = FS_EXACT;
	n = policy_glob_prefix(g, &pre);
	if (*shape == FS_OTHER && tl > 3 && text[0] == '/' &&
	    strcmp(text + tl - 3, "/**") == 0 && (h = strndup(text, tl - 3))) {
		if (policy_glob_compile(h, '/', 0, &head, NULL, 0) == 0 &&
		    policy_glob_is_literal(head)) {
			*shape = FS_TREE;
			n = policy_glob_prefix(head, &pre);
		}
		free(h);
	}
	*lit = strndup(pre, n);
	policy_glob_free(head);
	if (*lit != NULL && *shape != FS_OTHER) /* "/a/" names "/a" */
		while ((n = strlen(*lit)) > 1 && (*lit)[n - 1] == '/')
			(*lit)[n - 1] = '\0';
	return *lit ? 0 : -ENOMEM;
}

static int fs_push(struct policy_fs_plan *fp, const struct policy_fs_item *it)
{
	struct policy_fs_item *v;

	if (fp->n % 64 == 0) {
		v = realloc(fp->v, (fp->n + 64) * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		fp->v = v;
	}
	fp->v[fp->n++] = *it;
	return 0;
}

/* soft_delete: the deletes it allows happen, but cannot be recovered. */
static int fs_soft_note(struct policy_fs_plan *fp, struct policy_fs_item it)
{
	it.kind = POLICY_FS_UNENFORCED;
	it.cls = POLICY_FS_WRITE;
	it.why = "soft_delete: deletes are plain, not recoverable";
	return fs_push(fp, &it);
}

/* The items of one pattern of rule r. */
static int fs_pattern(struct policy_fs_plan *fp, const struct file_rule_c *r,
		      size_t i)
{
	const struct policy_rule_common *c = &r->src->c;
	bool allowing = fs_allowing(c->decision);
	bool soft = c->decision == POLICY_SOFT_DELETE;
	struct policy_fs_item it = {.rule = c->name};
	enum fs_shape shape;
	int ret;

	it.cls = fs_classes(r, allowing);
	if (it.cls == 0 && !soft)
		return 0;
	ret = fs_shape(r->paths.g[i], r->paths.text[i], &shape, &it.path);
	if (ret < 0)
		return ret;
	it.tree = shape == FS_TREE;
	it.kind = allowing ? POLICY_FS_GRANT : POLICY_FS_DENY;
	it.pattern = r->paths.text[i];
	if (shape == FS_OTHER) {
		it.kind = allowing ? POLICY_FS_UNGRANTED : POLICY_FS_UNENFORCED;
		it.why = allowing ? "not a path or <path>/**: Landlock cannot "
			 "grant it, so it is denied" : "not a path or "
			 "<path>/**: Landlock cannot deny it inside a granted "
			 "hierarchy, so it stays allowed there";
	}
	if (it.cls != 0) {
		ret = fs_push(fp, &it);
		if (ret == 0 && soft && (it.path = strdup(it.path)) == NULL)
			ret = -ENOMEM;
	}
	if (ret == 0 && soft)
		ret = fs_soft_note(fp, it);
	if (ret < 0 && soft)
		free(it.path); /* the note's own copy */
	return ret;
}

/* Whether a path and a literal prefix (of a glob) can meet. */
static bool fs_meets(const char *path, const char *prefix)
{
	size_t pl = strlen(path), fl = strlen(prefix);

	if (strcmp(path, "/") == 0)
		return true;
	if (fl <= pl)
		return strncmp(path, prefix, fl) == 0;
	return strncmp(prefix, path, pl) == 0 && prefix[pl] == '/';
}

/* Keep a non-path denial only when a later grant of its class meets it;
 * drop an exact grant when the same path is granted as a tree. */
static bool fs_keep(const struct policy_fs_plan *fp, size_t k)
{
	const struct policy_fs_item *a = &fp->v[k];

	if (a->kind == POLICY_FS_UNENFORCED && a->why[0] == 's')
		return true; /* soft_delete */
	for (size_t j = 0; j < fp->n; j++) {
		const struct policy_fs_item *b = &fp->v[j];

		if (b->kind != POLICY_FS_GRANT || (b->cls & a->cls) == 0)
			continue;
		if (a->kind == POLICY_FS_GRANT && !a->tree && b->tree &&
		    (b->cls & a->cls) == a->cls && strcmp(a->path, b->path) == 0)
			return false;
		if (a->kind == POLICY_FS_UNENFORCED && j > k &&
		    fs_meets(b->path, a->path))
			return true;
	}
	return a->kind != POLICY_FS_UNENFORCED;
}

void policy_fs_plan_free(struct policy_fs_plan *fp)
{
	if (fp == NULL)
		return;
	for (size_t i = 0; i < fp->n; i++)
		free(fp->v[i].path);
	free(fp->v);
	free(fp);
}

/* Drop what fs_keep says is noise, keeping the order. */
static int fs_prune(struct policy_fs_plan *fp)
{
	bool *keep = calloc(fp->n + 1, sizeof(*keep));
	size_t n = 0;

	if (keep == NULL)
		return -ENOMEM;
	for (size_t k = 0; k < fp->n; k++)
		keep[k] = fs_keep(fp, k);
	for (size_t k = 0; k < fp->n; k++) {
		if (keep[k])
			fp->v[n++] = fp->v[k];
		else
			free(fp->v[k].path);
	}
	fp->n = n;
	free(keep);
	return 0;
}

int policy_fs_plan(const struct policy *p, struct policy_fs_plan **out)
{
	struct policy_fs_plan *fp = calloc(1, sizeof(*fp));
	int r = fp ? 0 : -ENOMEM;

	for (size_t k = 0; r == 0 && k < p->src->n_file_rules; k++)
		for (size_t i = 0; r == 0 && i < p->file[k].paths.n; i++)
			r = fs_pattern(fp, &p->file[k], i);
	if (r == 0)
		r = fs_prune(fp);
	if (r < 0) {
		policy_fs_plan_free(fp);
		fp = NULL;
	}
	*out = fp;
	return r;
}
