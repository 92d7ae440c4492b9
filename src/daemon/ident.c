#include "daemon/ident.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"

int ident_seccomp_filters(pid_t pid)
{
	char path[64], line[256];
	FILE *fp;
	int64_t v = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fp = fopen(path, "re");
	if (fp == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp)) {
		if (strncmp(line, "Seccomp_filters:", 16) != 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		if (str_to_i64(line + 16 + strspn(line + 16, " \t"), 0, 1 << 20,
			       &v) < 0)
			v = -1;
		break;
	}
	fclose(fp);
	return (int)v;
}

bool ident_is_sandboxed(pid_t pid, int daemon_filters)
{
	int n = ident_seccomp_filters(pid);

	return n < 0 || daemon_filters < 0 || n > daemon_filters;
}

char **ident_env_save_and_scrub(char **envp)
{
	size_t n = 0;
	char **copy;

	while (envp && envp[n])
		n++;
	copy = calloc(n + 1, sizeof(*copy));
	if (copy == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		copy[i] = strdup(envp[i]);
		if (copy[i] == NULL) {
			while (i-- > 0)
				free(copy[i]);
			free(copy);
			return NULL;
		}
	}
	/* The kernel shows /proc/<pid>/environ from these very bytes. */
	for (size_t i = 0; i < n; i++)
		memset(envp[i], 0, strlen(envp[i]));
	envp[0] = NULL;
	return copy;
}

const char *ident_env_get(char *const *env, const char *name)
{
	size_t l = strlen(name);

	for (size_t i = 0; env && env[i]; i++)
		if (strncmp(env[i], name, l) == 0 && env[i][l] == '=')
			return env[i] + l + 1;
	return NULL;
}
