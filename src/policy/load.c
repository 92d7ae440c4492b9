/* Policy loader: YAML → struct policy_src, strictly validated. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/glob.h"
#include "policy/load_int.h"

static const char *const top_keys[] = {
	"version", "name", "description", "file_rules", "network_rules",
	"command_rules", "unix_socket_rules", "registry_rules", "signal_rules",
	"resource_limits", "env_policy", "audit", NULL,
};

static const char *const file_rule_keys[] = {
	"name", "description", "paths", "operations", "decision", "message",
	"timeout", "redirect_to", "preserve_tree", NULL,
};

static const char *const net_rule_keys[] = {
	"name", "description", "domains", "ports", "cidrs", "decision",
	"message", "timeout", NULL,
};

static const char *const file_op_names[POLICY_FILE_OP_COUNT] = {
	"read", "write", "open", "create", "delete", "rename", "mkdir",
	"rmdir", "chmod", "stat", "list", "readlink", "link", "symlink",
	"chown", "truncate", "access", "mknod", "modify", "exec",
};

const char *policy_file_op_name(enum policy_file_op op)
{
	return (size_t)op < POLICY_FILE_OP_COUNT ? file_op_names[op] : "?";
}

int policy_file_op_parse(const char *s, enum policy_file_op *out)
{
	for (size_t i = 0; i < POLICY_FILE_OP_COUNT; i++) {
		if (strcmp(s, file_op_names[i]) == 0) {
			*out = (enum policy_file_op)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* Operation list → bitmask; "*" or an empty list means every operation. */
static int lp_file_ops(struct policy_lp *lp, const struct ydoc_node *n,
		       const char *where, struct policy_file_rule *fr)
{
	struct policy_strv ops;
	int r = policy_lp_strv(lp, n, where, &ops);

	if (r < 0)
		return r;
	fr->ops_all = ops.n == 0;
	for (size_t i = 0; i < ops.n; i++) {
		enum policy_file_op op;
		if (strcmp(ops.v[i], "*") == 0) {
			fr->ops_all = true;
		} else if (policy_file_op_parse(ops.v[i], &op) == 0) {
			fr->ops |= 1u << op;
		} else {
			diag_add(lp->d, DIAG_ERROR, ydoc_file(lp->doc),
				 ops.pos[i].line, ops.pos[i].col, "bad-operation",
				 "%s.operations[%zu]: unknown file operation "
				 "'%s' (expected *, read, write, open, create, "
				 "delete, rename, mkdir, rmdir, chmod, stat, "
				 "list, readlink, link, symlink, chown, "
				 "truncate, access, mknod, modify, exec)",
				 where, i, ops.v[i]);
			r = -EINVAL;
		}
	}
	if (fr->ops_all)
		fr->ops = (1u << POLICY_FILE_OP_COUNT) - 1;
	policy_strv_free(&ops);
	return r;
}

static int lp_globs(struct policy_lp *lp, const struct ydoc_node *seq,
		    const char *where, const char *field, char sep,
		    unsigned flags)
{
	char w[YDOC_WHERE_MAX];
	int r = 0;

	for (size_t i = 0; seq && seq->kind == YDOC_SEQ && i < seq->n; i++) {
		snprintf(w, sizeof(w), "%s.%s[%zu]", where, field, i);
		if (policy_lp_check_glob(lp, seq->items[i], w, sep, flags) < 0)
			r = -EINVAL;
	}
	return r;
}

static void file_rule_free(struct policy_file_rule *fr)
{
	policy_rule_common_free(&fr->c);
	policy_strv_free(&fr->paths);
	free(fr->redirect_to);
}

static int lp_file_rule(struct policy_lp *lp, const struct ydoc_node *rn,
			size_t idx, struct policy_file_rule *fr)
{
	char where[YDOC_WHERE_MAX], w[YDOC_WHERE_MAX];
	const struct ydoc_node *n;
	unsigned allowed = POLICY_DEC_BIT(POLICY_ALLOW) |
		POLICY_DEC_BIT(POLICY_DENY) | POLICY_DEC_BIT(POLICY_APPROVE) |
		POLICY_DEC_BIT(POLICY_REDIRECT) | POLICY_DEC_BIT(POLICY_AUDIT) |
		POLICY_DEC_BIT(POLICY_SOFT_DELETE);
	int r;

	memset(fr, 0, sizeof(*fr));
	r = policy_lp_common(lp, rn, "file_rules", idx, allowed, &fr->c, where,
			     sizeof(where));
	ydoc_check_keys(lp->doc, rn, file_rule_keys, policy_key_aliases, where,
			DIAG_ERROR, lp->d);
	snprintf(w, sizeof(w), "%s.paths", where);
	n = ydoc_map_get(rn, "paths");
	if (policy_lp_strv(lp, n, w, &fr->paths) < 0 ||
	    lp_globs(lp, n, where, "paths", '/', 0) < 0)
		r = -EINVAL;
	snprintf(w, sizeof(w), "%s.operations", where);
	if (lp_file_ops(lp, ydoc_map_get(rn, "operations"), w, fr) < 0)
		r = -EINVAL;
	if ((n = ydoc_map_get(rn, "redirect_to")) &&
	    ydoc_get_str(lp->doc, n, where, &fr->redirect_to, lp->d) < 0)
		r = -EINVAL;
	if ((n = ydoc_map_get(rn, "preserve_tree")) &&
	    ydoc_get_bool(lp->doc, n, where, &fr->preserve_tree, lp->d) < 0)
		r = -EINVAL;
	if (r == 0 && fr->c.decision == POLICY_REDIRECT && !fr->redirect_to) {
		ydoc_error(lp->doc, rn, lp->d, "missing-redirect",
			   "%s: decision redirect needs 'redirect_to'", where);
		r = -EINVAL;
	}
	return r;
}

static int lp_file_rules(struct policy_lp *lp, const struct ydoc_node *seq,
			 struct policy_src *src)
{
	int r = 0;

	if (ydoc_want_seq(lp->doc, seq, "file_rules", lp->d) < 0)
		return -EINVAL;
	src->file_rules = calloc(seq->n ? seq->n : 1, sizeof(*src->file_rules));
	if (src->file_rules == NULL)
		return -ENOMEM;
	src->n_file_rules = seq->n;
	for (size_t i = 0; i < seq->n; i++) {
		char w[64];
		snprintf(w, sizeof(w), "file_rules[%zu]", i);
		if (ydoc_want_map(lp->doc, seq->items[i], w, lp->d) < 0 ||
		    lp_file_rule(lp, seq->items[i], i, &src->file_rules[i]) < 0)
			r = -EINVAL;
	}
	return r;
}

static int lp_ports(struct policy_lp *lp, const struct ydoc_node *n,
		    const char *where, struct policy_net_rule *nr)
{
	char w[YDOC_WHERE_MAX];
	int r = 0;

	if (n == NULL || ydoc_is_null(n))
		return 0;
	if (ydoc_want_seq(lp->doc, n, where, lp->d) < 0)
		return -EINVAL;
	nr->ports_pos.line = n->line;
	nr->ports_pos.col = n->col;
	nr->ports = calloc(n->n ? n->n : 1, sizeof(*nr->ports));
	if (nr->ports == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n->n; i++) {
		int64_t v;
		snprintf(w, sizeof(w), "%s[%zu]", where, i);
		if (ydoc_get_i64(lp->doc, n->items[i], w, 1, 65535, &v,
				 lp->d) < 0)
			r = -EINVAL;
		else
			nr->ports[nr->nports++] = (uint16_t)v;
	}
	return r;
}

static int lp_cidrs(struct policy_lp *lp, const struct ydoc_node *seq,
		    const char *where)
{
	char err[160];
	int r = 0;

	for (size_t i = 0; seq && seq->kind == YDOC_SEQ && i < seq->n; i++) {
		const struct ydoc_node *n = seq->items[i];
		struct policy_cidr c;
		bool host_bits = false;

		if (n->kind != YDOC_SCALAR)
			continue;
		if (policy_cidr_parse(n->str, &c, &host_bits, err,
				      sizeof(err)) < 0) {
			ydoc_error(lp->doc, n, lp->d, "bad-cidr",
				   "%s.cidrs[%zu]: invalid CIDR '%s': %s",
				   where, i, n->str, err);
			r = -EINVAL;
		} else if (host_bits) {
			ydoc_warn(lp->doc, n, lp->d, "cidr-host-bits",
				  "%s.cidrs[%zu]: '%s' has host bits set after "
				  "the prefix; they are ignored", where, i,
				  n->str);
		}
	}
	return r;
}

static int lp_net_rule(struct policy_lp *lp, const struct ydoc_node *rn,
		       size_t idx, struct policy_net_rule *nr)
{
	char where[YDOC_WHERE_MAX], w[YDOC_WHERE_MAX];
	const struct ydoc_node *n;
	unsigned allowed = POLICY_DEC_BIT(POLICY_ALLOW) |
		POLICY_DEC_BIT(POLICY_DENY) | POLICY_DEC_BIT(POLICY_APPROVE) |
		POLICY_DEC_BIT(POLICY_AUDIT);
	int r;

	memset(nr, 0, sizeof(*nr));
	r = policy_lp_common(lp, rn, "network_rules", idx, allowed, &nr->c,
			     where, sizeof(where));
	ydoc_check_keys(lp->doc, rn, net_rule_keys, policy_key_aliases, where,
			DIAG_ERROR, lp->d);
	snprintf(w, sizeof(w), "%s.domains", where);
	n = ydoc_map_get(rn, "domains");
	if (policy_lp_strv(lp, n, w, &nr->domains) < 0 ||
	    lp_globs(lp, n, where, "domains", '.', POLICY_GLOB_CASEFOLD) < 0)
		r = -EINVAL;
	snprintf(w, sizeof(w), "%s.ports", where);
	if (lp_ports(lp, ydoc_map_get(rn, "ports"), w, nr) < 0)
		r = -EINVAL;
	snprintf(w, sizeof(w), "%s.cidrs", where);
	n = ydoc_map_get(rn, "cidrs");
	if (policy_lp_strv(lp, n, w, &nr->cidrs) < 0 ||
	    lp_cidrs(lp, n, where) < 0)
		r = -EINVAL;
	return r;
}

static int lp_net_rules(struct policy_lp *lp, const struct ydoc_node *seq,
			struct policy_src *src)
{
	int r = 0;

	if (ydoc_want_seq(lp->doc, seq, "network_rules", lp->d) < 0)
		return -EINVAL;
	src->net_rules = calloc(seq->n ? seq->n : 1, sizeof(*src->net_rules));
	if (src->net_rules == NULL)
		return -ENOMEM;
	src->n_net_rules = seq->n;
	for (size_t i = 0; i < seq->n; i++) {
		char w[64];
		snprintf(w, sizeof(w), "network_rules[%zu]", i);
		if (ydoc_want_map(lp->doc, seq->items[i], w, lp->d) < 0 ||
		    lp_net_rule(lp, seq->items[i], i, &src->net_rules[i]) < 0)
			r = -EINVAL;
	}
	return r;
}

static int lp_header(struct policy_lp *lp, const struct ydoc_node *root,
		     struct policy_src *src)
{
	const struct ydoc_node *n;
	int r = 0;

	n = ydoc_map_get(root, "version");
	if (n == NULL) {
		ydoc_error(lp->doc, root, lp->d, "missing-version",
			   "policy: 'version' is required (use version: 1)");
		r = -EINVAL;
	} else if (ydoc_get_i64(lp->doc, n, "version", 1, 1000000,
				&src->version, lp->d) < 0) {
		r = -EINVAL;
	}
	n = ydoc_map_get(root, "name");
	if (n == NULL || ydoc_is_null(n)) {
		ydoc_error(lp->doc, n ? n : root, lp->d, "missing-name",
			   "policy: 'name' is required");
		r = -EINVAL;
	} else if (ydoc_get_str(lp->doc, n, "name", &src->name, lp->d) < 0) {
		r = -EINVAL;
	} else if (src->name[0] == '\0') {
		ydoc_error(lp->doc, n, lp->d, "missing-name",
			   "policy: 'name' must not be empty");
		r = -EINVAL;
	}
	n = ydoc_map_get(root, "description");
	if (n && ydoc_get_str(lp->doc, n, "description", &src->description,
			      lp->d) < 0)
		r = -EINVAL;
	return r;
}

/* Each top-level section: its key and its loader. */
static int lp_sections(struct policy_lp *lp, const struct ydoc_node *root,
		       struct policy_src *src)
{
	const struct ydoc_node *n;
	int r = lp_header(lp, root, src);

	if ((n = ydoc_map_get(root, "file_rules")) && !ydoc_is_null(n) &&
	    lp_file_rules(lp, n, src) < 0)
		r = -EINVAL;
	if ((n = ydoc_map_get(root, "network_rules")) && !ydoc_is_null(n) &&
	    lp_net_rules(lp, n, src) < 0)
		r = -EINVAL;
	if ((n = ydoc_map_get(root, "command_rules")) && !ydoc_is_null(n) &&
	    policy_lp_cmd_rules(lp, n, src) < 0)
		r = -EINVAL;
	if ((n = ydoc_map_get(root, "unix_socket_rules")) && !ydoc_is_null(n) &&
	    policy_lp_unix_rules(lp, n, src) < 0)
		r = -EINVAL;
	if ((n = ydoc_map_get(root, "signal_rules")) && !ydoc_is_null(n) &&
	    policy_lp_signal_rules(lp, n, src) < 0)
		r = -EINVAL;
	if ((n = ydoc_map_get(root, "registry_rules")) && !ydoc_is_null(n))
		ydoc_warn(lp->doc, policy_lp_key(root, "registry_rules"), lp->d,
			  "ignored-key", "registry_rules apply to Windows "
			  "only and are ignored here");
	if (policy_lp_limits(lp, ydoc_map_get(root, "resource_limits"),
			     &src->limits) < 0)
		r = -EINVAL;
	if (policy_lp_env(lp, ydoc_map_get(root, "env_policy"), &src->env) < 0)
		r = -EINVAL;
	if (policy_lp_audit(lp, ydoc_map_get(root, "audit"), &src->audit) < 0)
		r = -EINVAL;
	return r;
}

void policy_src_free(struct policy_src *src)
{
	if (src == NULL)
		return;
	for (size_t i = 0; i < src->n_file_rules; i++)
		file_rule_free(&src->file_rules[i]);
	for (size_t i = 0; i < src->n_net_rules; i++) {
		policy_rule_common_free(&src->net_rules[i].c);
		policy_strv_free(&src->net_rules[i].domains);
		policy_strv_free(&src->net_rules[i].cidrs);
		free(src->net_rules[i].ports);
	}
	for (size_t i = 0; i < src->n_cmd_rules; i++)
		policy_cmd_rule_free(&src->cmd_rules[i]);
	for (size_t i = 0; i < src->n_unix_rules; i++) {
		policy_rule_common_free(&src->unix_rules[i].c);
		policy_strv_free(&src->unix_rules[i].paths);
	}
	for (size_t i = 0; i < src->n_signal_rules; i++)
		policy_signal_rule_free(&src->signal_rules[i]);
	free(src->file_rules);
	free(src->net_rules);
	free(src->cmd_rules);
	free(src->unix_rules);
	free(src->signal_rules);
	policy_strv_free(&src->env.allow);
	policy_strv_free(&src->env.deny);
	free(src->file);
	free(src->name);
	free(src->description);
	free(src);
}

static int policy_src_from_doc(const struct ydoc *doc, struct diag *d,
			       struct policy_src **out)
{
	struct policy_lp lp = {doc, d, d->errors};
	const struct ydoc_node *root = ydoc_root(doc);
	struct policy_src *src;
	int r;

	*out = NULL;
	if (root == NULL || ydoc_is_null(root)) {
		diag_add(d, DIAG_ERROR, ydoc_file(doc), 1, 1, "empty-policy",
			 "policy file is empty");
		return -EINVAL;
	}
	if (ydoc_want_map(doc, root, "the policy document", d) < 0)
		return -EINVAL;
	src = calloc(1, sizeof(*src));
	if (src == NULL)
		return -ENOMEM;
	src->file = strdup(ydoc_file(doc));
	ydoc_check_keys(doc, root, top_keys, policy_key_aliases, "policy",
			DIAG_ERROR, d);
	r = lp_sections(&lp, root, src);
	if (r == 0 && (src->file == NULL))
		r = -ENOMEM;
	if (r == 0 && d->errors > lp.errors_at_start)
		r = -EINVAL;
	if (r < 0) {
		policy_src_free(src);
		return r;
	}
	*out = src;
	return 0;
}

int policy_src_load_buffer(const char *data, size_t len, const char *name,
			   struct policy_src **out, struct diag *d)
{
	struct ydoc *doc = NULL;
	int r;

	*out = NULL;
	r = ydoc_parse(data, len, name, &doc, d);
	if (r == 0)
		r = policy_src_from_doc(doc, d, out);
	ydoc_free(doc);
	return r;
}

int policy_src_load_file(const char *path, struct policy_src **out,
			 struct diag *d)
{
	struct ydoc *doc = NULL;
	int r;

	*out = NULL;
	r = ydoc_parse_file(path, &doc, d);
	if (r == 0)
		r = policy_src_from_doc(doc, d, out);
	ydoc_free(doc);
	return r;
}
