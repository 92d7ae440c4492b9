/* Project and git root detection for ${PROJECT_ROOT} and ${GIT_ROOT}. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/str.h"
#include "policy/policy.h"

const char *const policy_default_markers[] = {
	".git", "go.mod", "package.json", "Cargo.toml", "pyproject.toml", NULL,
};

static bool has_marker(const char *dir, const char *marker)
{
	char path[PATH_MAX];
	struct stat st;
	size_t l = str_lcpy(path, dir, sizeof(path));

	if (l + 1 + strlen(marker) >= sizeof(path))
		return false;
	if (l > 1)
		path[l++] = '/';
	str_lcpy(path + l, marker, sizeof(path) - l);
	return lstat(path, &st) == 0;
}

/* Cut dir at its last '/'; false at the root. */
static bool parent_dir(char *dir)
{
	char *s = strrchr(dir, '/');

	if (s == NULL || (s == dir && dir[1] == '\0'))
		return false;
	if (s == dir)
		s[1] = '\0';
	else
		*s = '\0';
	return true;
}

/*
 * Walk up from the workspace: the nearest directory holding any marker is
 * PROJECT_ROOT, the nearest holding .git is GIT_ROOT. (The original let a
 * language marker above the git root override PROJECT_ROOT; we do not.)
 * Defaults: PROJECT_ROOT = workspace, GIT_ROOT = PROJECT_ROOT.
 */
int policy_detect_roots(const char *workspace, const char *const *markers,
			char *project_root, char *git_root, size_t n)
{
	char dir[PATH_MAX];
	bool have_git = false, have_proj = false;

	if (realpath(workspace, dir) == NULL)
		return -errno;
	if (str_lcpy(project_root, dir, n) >= n || strlen(dir) >= n)
		return -ENAMETOOLONG;
	if (markers == NULL)
		markers = policy_default_markers;
	do {
		if (!have_git && has_marker(dir, ".git")) {
			have_git = true;
			str_lcpy(git_root, dir, n);
		}
		for (size_t i = 0; markers[i] && !have_proj; i++) {
			if (has_marker(dir, markers[i])) {
				have_proj = true;
				str_lcpy(project_root, dir, n);
			}
		}
	} while (!(have_proj && have_git) && parent_dir(dir));
	if (!have_git)
		str_lcpy(git_root, project_root, n);
	return 0;
}
