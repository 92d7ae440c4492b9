/* Policy linter: shadowed rules and entries, selector-less rules, duplicate
 * names. Works on the compiled policy so that variables are expanded. */
#include <string.h>

#include "policy/engine_int.h"

#define LINT(p, d, pos, code, ...)                                          \
	diag_add((d), DIAG_WARNING, (p)->src->file, (pos)->line, (pos)->col,   \
		 (code), __VA_ARGS__)

/* --- commands ---------------------------------------------------------- */

static bool entry_covers(const struct cmd_entry *a, const struct cmd_entry *b)
{
	const char *bb;

	if (b->kind == CMD_LIT_BASE || b->kind == CMD_LIT_PATH) {
		bb = b->kind == CMD_LIT_PATH ? strrchr(b->lit, '/') + 1 : b->lit;
		switch (a->kind) {
		case CMD_LIT_BASE:
			return strcmp(a->lit, bb) == 0;
		case CMD_LIT_PATH:
			return strcmp(a->lit, b->lit) == 0;
		case CMD_GLOB_BASE:
			return policy_glob_match(a->glob, bb, strlen(bb));
		case CMD_GLOB_PATH:
			return b->kind == CMD_LIT_PATH &&
			       policy_glob_match(a->glob, b->lit, strlen(b->lit));
		}
	}
	if (a->kind != b->kind || a->glob == NULL)
		return false;
	return policy_glob_covers(a->glob, b->glob);
}

static bool cmd_names_cover(const struct cmd_rule_c *a,
			    const struct cmd_rule_c *b)
{
	if (a->any_command)
		return true;
	if (b->any_command)
		return false;
	for (size_t j = 0; j < b->n; j++) {
		size_t i;
		for (i = 0; i < a->n && !entry_covers(&a->entries[i],
						      &b->entries[j]); i++)
			;
		if (i == a->n)
			return false;
	}
	return true;
}

static bool strv_has(const struct policy_strv *s, const char *x)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], x) == 0)
			return true;
	return false;
}

static bool cmd_covers(const struct cmd_rule_c *a, const struct cmd_rule_c *b)
{
	const struct policy_cmd_rule *as = a->src, *bs = b->src;

	if (as->min_depth > bs->min_depth ||
	    (as->max_depth >= 0 && (bs->max_depth < 0 ||
				    bs->max_depth > as->max_depth)))
		return false;
	if (as->args_patterns.n > 0) {
		if (bs->args_patterns.n == 0)
			return false;
		for (size_t k = 0; k < bs->args_patterns.n; k++)
			if (!strv_has(&as->args_patterns, bs->args_patterns.v[k]))
				return false;
	}
	return cmd_names_cover(a, b);
}

static int lint_cmds(const struct policy *p, struct diag *d)
{
	int n = 0;

	for (size_t j = 0; j < p->src->n_cmd_rules; j++) {
		const struct policy_cmd_rule *b = p->cmd[j].src;
		if (b->commands.n == 0) {
			LINT(p, d, &b->c.pos, "no-selectors",
			     "command_rules '%s' has no 'commands': it matches "
			     "every command", b->c.name);
			n++;
		}
		for (size_t i = 0; i < j; i++) {
			const struct policy_cmd_rule *a = p->cmd[i].src;
			if (!cmd_covers(&p->cmd[i], &p->cmd[j]))
				continue;
			LINT(p, d, &b->c.pos, "shadowed-rule",
			     "command_rules '%s' can never match: every "
			     "command it matches is decided first by '%s' "
			     "(%s, line %d); first match wins, so move it "
			     "above that rule", b->c.name, a->c.name,
			     policy_decision_name(a->c.decision),
			     a->c.pos.line);
			n++;
			break;
		}
	}
	return n;
}

/* --- files ------------------------------------------------------------- */

/* Operations of entry j of rule b decided by earlier rules, and the first
 * such rule whose decision differs from b's (or any, if none differs). */
static uint32_t file_entry_shadow(const struct policy *p, size_t bi,
				  size_t j, size_t *by)
{
	const struct file_rule_c *b = &p->file[bi];
	uint32_t ops = 0;

	*by = SIZE_MAX;
	for (size_t i = 0; i < bi; i++) {
		const struct file_rule_c *a = &p->file[i];
		uint32_t common = a->ops & b->ops & ~ops;
		size_t k;
		if (common == 0)
			continue;
		for (k = 0; k < a->paths.n && !policy_glob_covers(
			     a->paths.g[k], b->paths.g[j]); k++)
			;
		if (k == a->paths.n)
			continue;
		ops |= common;
		if (*by == SIZE_MAX || (a->src->c.decision != b->src->c.decision &&
					p->file[*by].src->c.decision ==
						b->src->c.decision))
			*by = i;
	}
	return ops;
}

static int lint_file_rule(const struct policy *p, size_t bi, struct diag *d)
{
	const struct file_rule_c *b = &p->file[bi];
	const struct policy_rule_common *bc = &b->src->c;
	size_t shadowed = 0, by = SIZE_MAX;
	int n = 0;

	for (size_t j = 0; j < b->paths.n; j++) {
		size_t who;
		uint32_t ops = file_entry_shadow(p, bi, j, &who);
		const struct policy_rule_common *ac;
		if (ops == 0)
			continue;
		ac = &p->file[who].src->c;
		if (ops == b->ops) {
			shadowed++;
			by = who;
		}
		if (ops == b->ops && b->paths.n == 1)
			continue;
		if (ops != b->ops && ac->decision == bc->decision)
			continue;
		LINT(p, d, &b->src->paths.pos[j], "shadowed-entry",
		     "file_rules '%s': %s '%s' is decided first by '%s' (%s, "
		     "line %d)%s", bc->name,
		     ops == b->ops ? "path" : "some operations on path",
		     b->paths.text[j], ac->name,
		     policy_decision_name(ac->decision), ac->pos.line,
		     ops == b->ops ? "" : "; this rule never sees them");
		n++;
	}
	if (b->paths.n > 0 && shadowed == b->paths.n) {
		LINT(p, d, &bc->pos, "shadowed-rule",
		     "file_rules '%s' can never match: every path and "
		     "operation it covers is decided first by '%s' (line %d); "
		     "first match wins", bc->name, p->file[by].src->c.name,
		     p->file[by].src->c.pos.line);
		n++;
	}
	return n;
}

static int lint_files(const struct policy *p, struct diag *d)
{
	int n = 0;

	for (size_t j = 0; j < p->src->n_file_rules; j++) {
		const struct policy_file_rule *b = p->file[j].src;
		if (b->paths.n == 0) {
			LINT(p, d, &b->c.pos, "no-selectors",
			     "file_rules '%s' has no 'paths': it can never "
			     "match", b->c.name);
			n++;
			continue;
		}
		n += lint_file_rule(p, j, d);
	}
	return n;
}

/* --- network ----------------------------------------------------------- */

static bool ports_cover(const struct policy_net_rule *a,
			const struct policy_net_rule *b)
{
	if (a->nports == 0)
		return true;
	if (b->nports == 0)
		return false;
	for (size_t j = 0; j < b->nports; j++) {
		size_t i;
		for (i = 0; i < a->nports && a->ports[i] != b->ports[j]; i++)
			;
		if (i == a->nports)
			return false;
	}
	return true;
}

static bool domain_covered(const struct net_rule_c *a, const struct glob_list *bl,
			   size_t j)
{
	for (size_t i = 0; i < a->domains.n; i++)
		if (policy_glob_covers(a->domains.g[i], bl->g[j]))
			return true;
	return false;
}

static bool cidr_covered(const struct net_rule_c *a, const struct policy_cidr *c)
{
	for (size_t i = 0; i < a->ncidrs; i++)
		if (policy_cidr_covers(&a->cidrs[i], c))
			return true;
	return false;
}

/* Does a match everything b matches, leaving aside b's cidr entries? */
static bool net_covers_but_cidrs(const struct net_rule_c *a,
				 const struct net_rule_c *b)
{
	if (!ports_cover(a->src, b->src))
		return false;
	if (a->domains.n > 0) {
		if (b->domains.n == 0)
			return false;
		for (size_t j = 0; j < b->domains.n; j++)
			if (!domain_covered(a, &b->domains, j))
				return false;
	}
	return true;
}

#define LINT_MAX_TRACKED 64 /* cidr entries per rule tracked by the linter */

static int lint_net_rule(const struct policy *p, size_t bi, struct diag *d)
{
	const struct net_rule_c *b = &p->net[bi];
	const struct policy_rule_common *bc = &b->src->c;
	size_t nc = b->ncidrs < LINT_MAX_TRACKED ? b->ncidrs : LINT_MAX_TRACKED;
	uint64_t done = 0, all = nc ? (nc == 64 ? ~0ull : (1ull << nc) - 1) : 0;
	int n = 0;

	for (size_t i = 0; i < bi; i++) {
		const struct net_rule_c *a = &p->net[i];
		const struct policy_rule_common *ac = &a->src->c;
		uint64_t now = 0;
		if (!net_covers_but_cidrs(a, b))
			continue;
		for (size_t j = 0; j < nc; j++)
			if (a->ncidrs == 0 || cidr_covered(a, &b->cidrs[j]))
				now |= 1ull << j;
		if ((a->ncidrs == 0 && b->ncidrs == 0) ||
		    (nc > 0 && (done | now) == all && done == 0)) {
			LINT(p, d, &bc->pos, "shadowed-rule",
			     "network_rules '%s' can never match: every "
			     "connection it matches is decided first by '%s' "
			     "(%s, line %d); first match wins", bc->name,
			     ac->name, policy_decision_name(ac->decision),
			     ac->pos.line);
			return n + 1;
		}
		for (size_t j = 0; j < nc; j++) {
			if (!(now & ~done & (1ull << j)))
				continue;
			LINT(p, d, &b->src->cidrs.pos[j], "shadowed-entry",
			     "network_rules '%s': cidr '%s' is already decided "
			     "by '%s' (%s, line %d)", bc->name,
			     b->src->cidrs.v[j], ac->name,
			     policy_decision_name(ac->decision), ac->pos.line);
			n++;
		}
		done |= now;
	}
	return n;
}

static int lint_nets(const struct policy *p, struct diag *d)
{
	int n = 0;

	for (size_t j = 0; j < p->src->n_net_rules; j++) {
		const struct net_rule_c *b = &p->net[j];
		if (b->domains.n == 0 && b->ncidrs == 0 && b->src->nports == 0) {
			LINT(p, d, &b->src->c.pos, "no-selectors",
			     "network_rules '%s' has no domains, cidrs or "
			     "ports: it matches every connection",
			     b->src->c.name);
			n++;
		}
		for (size_t k = 0; k < b->domains.n; k++) {
			if (strcmp(b->domains.text[k], "*") != 0)
				continue;
			LINT(p, d, &b->src->domains.pos[k], "single-label-star",
			     "network_rules '%s': domain '*' matches only names "
			     "without a dot (like 'localhost'), not every host; "
			     "use '**' for every host", b->src->c.name);
			n++;
		}
		n += lint_net_rule(p, j, d);
	}
	return n;
}

/* --- names ------------------------------------------------------------- */

static int lint_dup_names(const struct policy *p, enum policy_kind kind,
			  struct diag *d)
{
	const struct policy_src *s = p->src;
	size_t cnt = kind == POLICY_KIND_FILE ? s->n_file_rules :
		     kind == POLICY_KIND_NETWORK ? s->n_net_rules :
						   s->n_cmd_rules;
	int n = 0;

	for (size_t j = 0; j < cnt; j++) {
		const struct policy_rule_common *b =
			kind == POLICY_KIND_FILE ? &s->file_rules[j].c :
			kind == POLICY_KIND_NETWORK ? &s->net_rules[j].c :
						      &s->cmd_rules[j].c;
		for (size_t i = 0; i < j; i++) {
			const struct policy_rule_common *a =
				kind == POLICY_KIND_FILE ? &s->file_rules[i].c :
				kind == POLICY_KIND_NETWORK ? &s->net_rules[i].c :
							      &s->cmd_rules[i].c;
			if (strcmp(a->name, b->name) != 0)
				continue;
			LINT(p, d, &b->pos, "duplicate-name",
			     "%s rule name '%s' is also used at line %d; "
			     "verdicts and audit events cite rules by name",
			     policy_kind_name(kind), b->name, a->pos.line);
			n++;
			break;
		}
	}
	return n;
}

int policy_lint(const struct policy *p, struct diag *d)
{
	int n = lint_files(p, d) + lint_nets(p, d) + lint_cmds(p, d);

	n += lint_dup_names(p, POLICY_KIND_FILE, d);
	n += lint_dup_names(p, POLICY_KIND_NETWORK, d);
	n += lint_dup_names(p, POLICY_KIND_COMMAND, d);
	return n;
}
