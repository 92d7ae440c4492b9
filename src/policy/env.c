/* Environment-variable decisions (semantics doc §9): deny wins. */
#include <string.h>

#include "policy/engine_int.h"

static int glob_find(struct policy_glob *const *v, const char *name,
		     size_t len)
{
	for (int i = 0; v && v[i]; i++) {
		if (policy_glob_match(v[i], name, len))
			return i;
	}
	return -1;
}

static void env_verdict(struct policy_verdict *v, enum policy_decision d,
			const char *rule, int idx, const char *reason)
{
	memset(v, 0, sizeof(*v));
	v->kind = POLICY_KIND_ENV;
	v->decision = d;
	v->effective = d;
	v->rule = rule;
	v->rule_index = idx;
	v->reason = reason;
	v->timeout_ms = -1;
}

int policy_check_env(const struct policy *p, const char *name,
		     const struct policy_cmd_rule *rule,
		     struct policy_verdict *v)
{
	struct policy_glob *const *deny = p->env_deny, *const *allow = p->env_allow;
	const char *owner = "env_policy";
	size_t len = name ? strlen(name) : 0;
	int i;

	if (len == 0 || memchr(name, '=', len) != NULL) {
		env_verdict(v, POLICY_DENY, "invalid-env-name", -1,
			    "empty name or a name containing '='");
		return 0;
	}
	/* A command rule's env_allow / env_deny replace the policy's lists. */
	if (rule && rule >= p->src->cmd_rules &&
	    rule < p->src->cmd_rules + p->src->n_cmd_rules) {
		size_t k = (size_t)(rule - p->src->cmd_rules);
		owner = rule->c.name;
		if (rule->has_env_deny)
			deny = p->cmd[k].env_deny;
		if (rule->has_env_allow)
			allow = p->cmd[k].env_allow;
	}
	if ((i = glob_find(deny, name, len)) >= 0) {
		env_verdict(v, POLICY_DENY, owner, i,
			    "the name matches an env deny pattern");
		return 0;
	}
	if (allow && allow[0]) {
		i = glob_find(allow, name, len);
		env_verdict(v, i >= 0 ? POLICY_ALLOW : POLICY_DENY, owner, i,
			    i >= 0 ? "the name matches an env allow pattern" :
				     "the name is not in the env allow list");
		return 0;
	}
	if ((i = glob_find(p->env_builtin, name, len)) >= 0) {
		env_verdict(v, POLICY_DENY, "builtin-secret-env", i,
			    "the name is on the built-in list of secrets and "
			    "loader variables");
		return 0;
	}
	env_verdict(v, POLICY_ALLOW, "default-allow-env", -1,
		    "no allow list and no deny pattern matched");
	return 0;
}
