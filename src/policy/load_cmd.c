/* Policy loader: command_rules. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/glob.h"
#include "policy/load_int.h"

#define POLICY_MAX_DEPTH_VALUE 1000000

static const char *const cmd_rule_keys[] = {
	"name", "description", "commands", "args_patterns", "decision",
	"message", "timeout", "redirect_to", "env_allow", "env_deny",
	"env_max_bytes", "env_max_keys", "env_block_iteration", "context",
	NULL,
};

static const char *const redirect_keys[] = {
	"command", "args", "args_append", "environment", NULL,
};

static const char *const context_keys[] = {"min_depth", "max_depth", NULL};

static void redirect_free(struct policy_redirect *rd)
{
	if (rd == NULL)
		return;
	free(rd->command);
	policy_strv_free(&rd->args);
	policy_strv_free(&rd->args_append);
	for (size_t i = 0; i < rd->nenv; i++) {
		free(rd->env_keys[i]);
		free(rd->env_vals[i]);
	}
	free(rd->env_keys);
	free(rd->env_vals);
	free(rd);
}

void policy_cmd_rule_free(struct policy_cmd_rule *r)
{
	policy_rule_common_free(&r->c);
	policy_strv_free(&r->commands);
	policy_strv_free(&r->args_patterns);
	free(r->args_legacy_glob);
	r->args_legacy_glob = NULL;
	policy_strv_free(&r->env_allow);
	policy_strv_free(&r->env_deny);
	redirect_free(r->redirect);
	r->redirect = NULL;
}

static int lp_redirect_env(struct policy_lp *lp, const struct ydoc_node *n,
			   const char *where, struct policy_redirect *rd)
{
	if (n == NULL || ydoc_is_null(n))
		return 0;
	if (ydoc_want_map(lp->doc, n, where, lp->d) < 0)
		return -EINVAL;
	rd->env_keys = calloc(n->n + 1, sizeof(char *));
	rd->env_vals = calloc(n->n + 1, sizeof(char *));
	if (rd->env_keys == NULL || rd->env_vals == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n->n; i++) {
		if (ydoc_get_str(lp->doc, n->items[2 * i + 1], where,
				 &rd->env_vals[i], lp->d) < 0)
			return -EINVAL;
		rd->env_keys[i] = strdup(n->items[2 * i]->str);
		if (rd->env_keys[i] == NULL) {
			free(rd->env_vals[i]);
			return -ENOMEM;
		}
		rd->nenv++;
	}
	return 0;
}

/* redirect_to: a mapping {command, args, args_append, environment}, or a
 * plain string naming the replacement command. */
static int lp_redirect(struct policy_lp *lp, const struct ydoc_node *n,
		       const char *where, struct policy_redirect **out)
{
	char w[YDOC_WHERE_MAX];
	struct policy_redirect *rd = calloc(1, sizeof(*rd));
	const struct ydoc_node *c;
	int r = 0;

	if (rd == NULL)
		return -ENOMEM;
	*out = rd;
	snprintf(w, sizeof(w), "%s.redirect_to", where);
	if (n->kind == YDOC_SCALAR)
		return ydoc_get_str(lp->doc, n, w, &rd->command, lp->d);
	if (ydoc_want_map(lp->doc, n, w, lp->d) < 0)
		return -EINVAL;
	ydoc_check_keys(lp->doc, n, redirect_keys, NULL, w, DIAG_ERROR, lp->d);
	c = ydoc_map_get(n, "command");
	if (c == NULL || ydoc_is_null(c)) {
		ydoc_error(lp->doc, n, lp->d, "missing-redirect",
			   "%s: 'command' is required", w);
		return -EINVAL;
	}
	if (ydoc_get_str(lp->doc, c, w, &rd->command, lp->d) < 0 ||
	    policy_lp_strv(lp, ydoc_map_get(n, "args"), w, &rd->args) < 0 ||
	    policy_lp_strv(lp, ydoc_map_get(n, "args_append"), w,
			   &rd->args_append) < 0 ||
	    lp_redirect_env(lp, ydoc_map_get(n, "environment"), w, rd) < 0)
		r = -EINVAL;
	return r;
}

/* context: [direct], [nested], [direct, nested] or {min_depth, max_depth}. */
static int lp_context(struct policy_lp *lp, const struct ydoc_node *n,
		      const char *where, struct policy_cmd_rule *cr)
{
	char w[YDOC_WHERE_MAX];
	const struct ydoc_node *v;
	int64_t x;
	bool direct = false, nested = false;

	snprintf(w, sizeof(w), "%s.context", where);
	if (n->kind == YDOC_MAP) {
		ydoc_check_keys(lp->doc, n, context_keys, NULL, w, DIAG_ERROR,
				lp->d);
		if ((v = ydoc_map_get(n, "min_depth"))) {
			if (ydoc_get_i64(lp->doc, v, w, 0,
					 POLICY_MAX_DEPTH_VALUE, &x, lp->d) < 0)
				return -EINVAL;
			cr->min_depth = (int)x;
		}
		if ((v = ydoc_map_get(n, "max_depth"))) {
			if (ydoc_get_i64(lp->doc, v, w, 0,
					 POLICY_MAX_DEPTH_VALUE, &x, lp->d) < 0)
				return -EINVAL;
			cr->max_depth = (int)x;
		}
		if (cr->max_depth >= 0 && cr->max_depth < cr->min_depth) {
			ydoc_error(lp->doc, n, lp->d, "bad-context",
				   "%s: max_depth is below min_depth", w);
			return -EINVAL;
		}
		return 0;
	}
	if (n->kind == YDOC_SCALAR && !ydoc_is_null(n)) {
		direct = strcmp(n->str, "direct") == 0;
		nested = strcmp(n->str, "nested") == 0;
		if (!direct && !nested)
			goto bad;
	} else if (n->kind == YDOC_SEQ) {
		for (size_t i = 0; i < n->n; i++) {
			v = n->items[i];
			if (v->kind == YDOC_SCALAR && strcmp(v->str, "direct") == 0)
				direct = true;
			else if (v->kind == YDOC_SCALAR &&
				 strcmp(v->str, "nested") == 0)
				nested = true;
			else
				goto bad;
		}
	}
	if (direct == nested) /* both, or an empty list: every depth */
		return 0;
	cr->min_depth = direct ? 0 : 1;
	cr->max_depth = direct ? 0 : -1;
	return 0;
bad:
	ydoc_error(lp->doc, n, lp->d, "bad-context",
		   "%s: expected [direct], [nested], [direct, nested] or "
		   "{min_depth: N, max_depth: M}", w);
	return -EINVAL;
}

static int lp_cmd_env(struct policy_lp *lp, const struct ydoc_node *rn,
		      const char *where, struct policy_cmd_rule *cr)
{
	char w[YDOC_WHERE_MAX];
	const struct ydoc_node *n;
	bool b;
	int r = 0;

	snprintf(w, sizeof(w), "%s.env_allow", where);
	if ((n = ydoc_map_get(rn, "env_allow"))) {
		cr->has_env_allow = true;
		if (policy_lp_strv(lp, n, w, &cr->env_allow) < 0)
			r = -EINVAL;
	}
	snprintf(w, sizeof(w), "%s.env_deny", where);
	if ((n = ydoc_map_get(rn, "env_deny"))) {
		cr->has_env_deny = true;
		if (policy_lp_strv(lp, n, w, &cr->env_deny) < 0)
			r = -EINVAL;
	}
	snprintf(w, sizeof(w), "%s.env_max_bytes", where);
	if ((n = ydoc_map_get(rn, "env_max_bytes")) &&
	    ydoc_get_i64(lp->doc, n, w, 0, INT32_MAX, &cr->env_max_bytes,
			 lp->d) < 0)
		r = -EINVAL;
	snprintf(w, sizeof(w), "%s.env_max_keys", where);
	if ((n = ydoc_map_get(rn, "env_max_keys")) &&
	    ydoc_get_i64(lp->doc, n, w, 0, INT32_MAX, &cr->env_max_keys,
			 lp->d) < 0)
		r = -EINVAL;
	snprintf(w, sizeof(w), "%s.env_block_iteration", where);
	if ((n = ydoc_map_get(rn, "env_block_iteration"))) {
		if (ydoc_get_bool(lp->doc, n, w, &b, lp->d) < 0)
			r = -EINVAL;
		else
			cr->env_block_iteration = b;
	}
	return r;
}

/*
 * An args pattern is a regular expression (agentsh >= 0.7.10). One that is
 * not a valid regex but is a glob ("*-r*", as policies for older versions
 * say) is kept as a glob matched against each argument, with a warning.
 */
static int lp_args_pattern(struct policy_lp *lp, const struct ydoc_node *n,
			   const char *where, bool *legacy)
{
	struct diag tmp;
	struct policy_glob *g = NULL;
	char err[160];
	int r;

	diag_init(&tmp);
	r = policy_lp_check_regex(&(struct policy_lp){lp->doc, &tmp, 0}, n,
				  where);
	if (r == 0 || strpbrk(n->str, "*?") == NULL ||
	    policy_glob_compile(n->str, '\0', 0, &g, err, sizeof(err)) < 0) {
		if (r < 0)
			policy_lp_check_regex(lp, n, where);
		diag_release(&tmp);
		return r;
	}
	policy_glob_free(g);
	diag_release(&tmp);
	*legacy = true;
	ydoc_warn(lp->doc, n, lp->d, "legacy-args-glob",
		  "%s: '%s' is not a valid regular expression; it is used as "
		  "a glob matched against each argument, as before agentsh "
		  "0.7.10 (write a regex such as '-r' to silence this)", where,
		  n->str);
	return 0;
}

static int lp_cmd_patterns(struct policy_lp *lp, const struct ydoc_node *rn,
			   const char *where, struct policy_cmd_rule *cr)
{
	const struct ydoc_node *seq;
	char w[YDOC_WHERE_MAX];
	int r = 0;

	seq = ydoc_map_get(rn, "commands");
	for (size_t i = 0; seq && seq->kind == YDOC_SEQ && i < seq->n; i++) {
		snprintf(w, sizeof(w), "%s.commands[%zu]", where, i);
		if (seq->items[i]->kind == YDOC_SCALAR &&
		    policy_lp_check_glob(lp, seq->items[i], w, '/',
					 POLICY_GLOB_CASEFOLD) < 0)
			r = -EINVAL;
	}
	seq = ydoc_map_get(rn, "args_patterns");
	for (size_t i = 0; seq && seq->kind == YDOC_SEQ && i < seq->n; i++) {
		snprintf(w, sizeof(w), "%s.args_patterns[%zu]", where, i);
		if (seq->items[i]->kind == YDOC_SCALAR &&
		    lp_args_pattern(lp, seq->items[i], w, &cr->args_legacy_glob[i]) < 0)
			r = -EINVAL;
	}
	return r;
}

static int lp_cmd_rule(struct policy_lp *lp, const struct ydoc_node *rn,
		       size_t idx, struct policy_cmd_rule *cr)
{
	char where[YDOC_WHERE_MAX], w[YDOC_WHERE_MAX];
	const struct ydoc_node *n;
	unsigned allowed = POLICY_DEC_BIT(POLICY_ALLOW) |
		POLICY_DEC_BIT(POLICY_DENY) | POLICY_DEC_BIT(POLICY_APPROVE) |
		POLICY_DEC_BIT(POLICY_REDIRECT) | POLICY_DEC_BIT(POLICY_AUDIT);
	int r;

	memset(cr, 0, sizeof(*cr));
	cr->env_max_bytes = cr->env_max_keys = -1;
	cr->env_block_iteration = -1;
	cr->max_depth = -1;
	r = policy_lp_common(lp, rn, "command_rules", idx, allowed, &cr->c,
			     where, sizeof(where));
	ydoc_check_keys(lp->doc, rn, cmd_rule_keys, policy_key_aliases, where,
			DIAG_ERROR, lp->d);
	snprintf(w, sizeof(w), "%s.commands", where);
	if (policy_lp_strv(lp, ydoc_map_get(rn, "commands"), w,
			   &cr->commands) < 0)
		r = -EINVAL;
	snprintf(w, sizeof(w), "%s.args_patterns", where);
	if (policy_lp_strv(lp, ydoc_map_get(rn, "args_patterns"), w,
			   &cr->args_patterns) < 0 ||
	    (cr->args_legacy_glob = calloc(cr->args_patterns.n + 1,
					   sizeof(bool))) == NULL ||
	    lp_cmd_patterns(lp, rn, where, cr) < 0)
		r = -EINVAL;
	if ((n = ydoc_map_get(rn, "redirect_to")) && !ydoc_is_null(n) &&
	    lp_redirect(lp, n, where, &cr->redirect) < 0)
		r = -EINVAL;
	if ((n = ydoc_map_get(rn, "context")) && lp_context(lp, n, where, cr) < 0)
		r = -EINVAL;
	if (lp_cmd_env(lp, rn, where, cr) < 0)
		r = -EINVAL;
	if (r == 0 && cr->c.decision == POLICY_REDIRECT && !cr->redirect) {
		ydoc_error(lp->doc, rn, lp->d, "missing-redirect",
			   "%s: decision redirect needs 'redirect_to'", where);
		r = -EINVAL;
	} else if (r == 0 && cr->redirect && cr->c.decision != POLICY_REDIRECT) {
		ydoc_warn(lp->doc, ydoc_map_get(rn, "redirect_to"), lp->d,
			  "unused-redirect", "%s: 'redirect_to' has no effect "
			  "unless decision is redirect", where);
	}
	return r;
}

int policy_lp_cmd_rules(struct policy_lp *lp, const struct ydoc_node *seq,
			struct policy_src *src)
{
	int r = 0;

	if (ydoc_want_seq(lp->doc, seq, "command_rules", lp->d) < 0)
		return -EINVAL;
	src->cmd_rules = calloc(seq->n ? seq->n : 1, sizeof(*src->cmd_rules));
	if (src->cmd_rules == NULL)
		return -ENOMEM;
	src->n_cmd_rules = seq->n;
	for (size_t i = 0; i < seq->n; i++) {
		char w[64];
		snprintf(w, sizeof(w), "command_rules[%zu]", i);
		if (ydoc_want_map(lp->doc, seq->items[i], w, lp->d) < 0 ||
		    lp_cmd_rule(lp, seq->items[i], i, &src->cmd_rules[i]) < 0)
			r = -EINVAL;
	}
	return r;
}
