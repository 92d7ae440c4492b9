#include "cli/policy_vars.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/str.h"
#include "policy/policy.h"

int cli_vars_add(struct cli_vars *v, char *arg)
{
	char *eq = strchr(arg, '=');

	if (eq == NULL || eq == arg || v->n >= CLI_MAX_VARS)
		return -EINVAL;
	*eq = '\0';
	v->name[v->n] = arg;
	v->value[v->n] = eq + 1;
	v->n++;
	return 0;
}

int cli_vars_detect(struct cli_vars *v, const char *workspace,
		    const char *const *markers)
{
	return policy_detect_roots(workspace ? workspace : ".", markers,
				   v->project_root, v->git_root,
				   sizeof(v->project_root));
}

static const char *env_get(char **envp, const char *name)
{
	size_t l = strlen(name);

	for (size_t i = 0; envp && envp[i]; i++)
		if (strncmp(envp[i], name, l) == 0 && envp[i][l] == '=')
			return envp[i] + l + 1;
	return NULL;
}

const char *cli_vars_lookup(void *arg, const char *name)
{
	struct cli_vars *v = arg;
	const char *s;

	for (size_t i = v->n; i-- > 0;)
		if (strcmp(v->name[i], name) == 0)
			return v->value[i];
	if (strcmp(name, "PROJECT_ROOT") == 0 && v->project_root[0])
		return v->project_root;
	if (strcmp(name, "GIT_ROOT") == 0 && v->git_root[0])
		return v->git_root;
	s = env_get(v->envp, name);
	if ((s == NULL || *s == '\0') && v->placeholders) {
		size_t k;
		for (k = 0; k < v->nmissing && strcmp(v->missing[k], name); k++)
			;
		if (k == v->nmissing && k < CLI_MAX_VARS)
			snprintf(v->missing[v->nmissing++],
				 sizeof(v->missing[0]), "%s", name);
		snprintf(v->placeholder, sizeof(v->placeholder),
			 "/undefined-%s", name);
		return v->placeholder;
	}
	return s;
}
