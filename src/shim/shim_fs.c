/*
 * Landlock for the modes without a supervisor deciding each open (ptrace,
 * landlock): one more ruleset on top of the first, handling every
 * filesystem right. Execute still comes from the exec deny list alone
 * (everywhere except the denied binaries, see landlock.h), reading and
 * writing from the plan's "fs" allowlist, each grant with the policy's
 * earlier denials inside it carved out.
 */
#include <errno.h>
#include <json-c/json.h>
#include <string.h>

#include "landlock/landlock.h"
#include "shim/shim.h"

size_t shim_deny_list(json_object *plan, const char **paths)
{
	json_object *deny = NULL;
	size_t n = 0;

	if (json_object_object_get_ex(plan, "deny_exec", &deny))
		n = json_object_array_length(deny);
	if (n > LANDLOCK_DENY_MAX)
		n = LANDLOCK_DENY_MAX;
	for (size_t i = 0; i < n; i++)
		paths[i] = json_object_get_string(json_object_array_get_idx(deny, i));
	return n;
}

/* Grant one plan entry {"path", "tree", "except"}; skipped count or -errno. */
static int shim_fs_entry(struct landlock_rs *rs, json_object *e,
			 unsigned access)
{
	const char *ex[LANDLOCK_DENY_MAX];
	json_object *p = NULL, *x = NULL;
	size_t n = 0;

	if (!json_object_object_get_ex(e, "path", &p) ||
	    !json_object_is_type(p, json_type_string))
		return -EINVAL;
	if (json_object_object_get_ex(e, "except", &x) &&
	    json_object_is_type(x, json_type_array))
		n = json_object_array_length(x);
	if (n > LANDLOCK_DENY_MAX)
		return -E2BIG; /* granting without them would over-grant */
	for (size_t i = 0; i < n; i++) {
		ex[i] = json_object_get_string(json_object_array_get_idx(x, i));
		if (ex[i] == NULL)
			return -EINVAL;
	}
	return landlock_rs_allow_except(rs, json_object_get_string(p), access,
					ex, n, NULL, NULL);
}

/* Every entry of the class list name; 0 or -errno. */
static int shim_fs_class(struct landlock_rs *rs, json_object *fs,
			 const char *name, unsigned access)
{
	json_object *list = NULL;
	int r = 0;

	if (!json_object_object_get_ex(fs, name, &list) ||
	    !json_object_is_type(list, json_type_array))
		return -EINVAL;
	for (size_t i = 0; r >= 0 && i < json_object_array_length(list); i++)
		r = shim_fs_entry(rs, json_object_array_get_idx(list, i),
				  access);
	return r < 0 ? r : 0;
}

int shim_landlock_fs(json_object *plan, bool tcp)
{
	const char *paths[LANDLOCK_DENY_MAX];
	json_object *fs = NULL;
	unsigned want = LANDLOCK_WANT_EXEC_DENY;
	struct landlock_rs *rs;
	size_t n = shim_deny_list(plan, paths);
	int r;

	if (json_object_object_get_ex(plan, "fs", &fs))
		want |= LANDLOCK_WANT_FS;
	if (tcp)
		want |= LANDLOCK_WANT_TCP_CONNECT;
	rs = landlock_rs_new(want, NULL);
	if (rs == NULL)
		return -ENOMEM;
	r = landlock_rs_deny_exec(rs, paths, n, NULL, NULL);
	if (r >= 0 && fs != NULL)
		r = shim_fs_class(rs, fs, "read", LANDLOCK_READ);
	if (r >= 0 && fs != NULL)
		r = shim_fs_class(rs, fs, "write", LANDLOCK_WRITE);
	if (r >= 0)
		r = landlock_rs_apply(rs);
	landlock_rs_free(rs);
	return r < 0 ? r : 0;
}
