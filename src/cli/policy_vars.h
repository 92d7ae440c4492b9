/* Variables for ${VAR} in policies, as the CLI supplies them. */
#ifndef AGENTSH_CLI_POLICY_VARS_H
#define AGENTSH_CLI_POLICY_VARS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define CLI_MAX_VARS 64

struct cli_vars {
	const char *name[CLI_MAX_VARS];
	const char *value[CLI_MAX_VARS]; /* point into argv */
	size_t n;
	char **envp;
	char project_root[PATH_MAX];
	char git_root[PATH_MAX];
	bool placeholders; /* lint: undefined names get a placeholder */
	char placeholder[PATH_MAX];
	char missing[CLI_MAX_VARS][128]; /* copies: names are transient */
	size_t nmissing;
};

/* Add NAME=VALUE from --var; 0 or -EINVAL. */
int cli_vars_add(struct cli_vars *v, char *arg);
/* Detect PROJECT_ROOT/GIT_ROOT for workspace (default: the cwd) using
 * markers (NULL: the built-in list). */
int cli_vars_detect(struct cli_vars *v, const char *workspace,
		    const char *const *markers);
/* policy_var_fn: --var, then PROJECT_ROOT/GIT_ROOT, then the environment. */
const char *cli_vars_lookup(void *arg, const char *name);

#endif
