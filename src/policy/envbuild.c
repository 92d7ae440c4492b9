/* Building a command's environment from env_policy (semantics doc §9). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/engine_int.h"

#define ENV_MAX_VARS 65536 /* entries considered in one environment */

/* A rule's own limits replace the policy's; -1 means "not given". */
static void env_limits(const struct policy *p, const struct policy_cmd_rule *rule,
		       struct policy_env_outcome *o)
{
	o->max_keys = p->src->env.max_keys;
	o->max_bytes = p->src->env.max_bytes;
	o->block_iteration = p->src->env.block_iteration;
	if (rule == NULL)
		return;
	if (rule->env_max_keys >= 0)
		o->max_keys = rule->env_max_keys;
	if (rule->env_max_bytes >= 0)
		o->max_bytes = rule->env_max_bytes;
	if (rule->env_block_iteration >= 0)
		o->block_iteration = rule->env_block_iteration;
}

int policy_env_select(const struct policy *p, const struct policy_cmd_rule *rule,
		      const struct policy_env_var *vars, size_t n, bool *keep,
		      struct policy_env_outcome *o)
{
	char name[POLICY_NAME_MAX];
	struct policy_verdict v;

	memset(o, 0, sizeof(*o));
	env_limits(p, rule, o);
	if (n > ENV_MAX_VARS)
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		size_t nl = vars[i].name_len;
		keep[i] = false;
		if (nl == 0 || nl >= sizeof(name) || vars[i].value_len == 0) {
			o->denied++;
			continue;
		}
		memcpy(name, vars[i].name, nl);
		name[nl] = '\0';
		policy_check_env(p, name, rule, &v);
		keep[i] = v.effective == POLICY_ALLOW;
		if (!keep[i]) {
			o->denied++;
			continue;
		}
		o->kept++;
		o->bytes += nl + 1 + vars[i].value_len + 1;
	}
	if (o->max_keys >= 0 && o->kept > (size_t)o->max_keys)
		o->error = "too many environment variables for env_policy "
			   "max_keys";
	else if (o->max_bytes >= 0 && o->bytes > (size_t)o->max_bytes)
		o->error = "environment larger than env_policy max_bytes";
	return 0;
}

void policy_env_free(char **env)
{
	for (size_t i = 0; env && env[i]; i++)
		free(env[i]);
	free(env);
}

static int env_copy_kept(char *const *envp, const bool *keep, size_t n,
			 char *const *inject, char ***out)
{
	size_t ni = 0, o = 0;
	char **env;

	while (inject && inject[ni])
		ni++;
	env = calloc(n + ni + 1, sizeof(*env));
	if (env == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (keep[i] && (env[o++] = strdup(envp[i])) == NULL)
			goto nomem;
	for (size_t i = 0; i < ni; i++)
		if ((env[o++] = strdup(inject[i])) == NULL)
			goto nomem;
	*out = env;
	return 0;
nomem:
	policy_env_free(env);
	return -ENOMEM;
}

int policy_env_build(const struct policy *p, const struct policy_cmd_rule *rule,
		     char *const *envp, char *const *inject, char ***out_env,
		     struct policy_env_outcome *o)
{
	struct policy_env_var *vars = NULL;
	bool *keep = NULL;
	size_t n = 0;
	int r = -ENOMEM;

	*out_env = NULL;
	while (envp && envp[n])
		n++;
	vars = calloc(n + 1, sizeof(*vars));
	keep = calloc(n + 1, sizeof(*keep));
	if (vars == NULL || keep == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(envp[i], '=');
		vars[i].name = envp[i];
		vars[i].name_len = eq ? (size_t)(eq - envp[i]) : 0;
		vars[i].value_len = eq ? strlen(eq + 1) : 0;
	}
	r = policy_env_select(p, rule, vars, n, keep, o);
	if (r == 0)
		r = env_copy_kept(envp, keep, n, inject, out_env);
out:
	free(vars);
	free(keep);
	return r;
}
