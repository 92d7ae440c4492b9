/* policy_fs_plan: the file rules as a Landlock allowlist can hold them. */
#include "helpers.h"

/* The index of the item of kind for path (and tree), or -1. */
static int t_find(const struct policy_fs_plan *fp, enum policy_fs_kind kind,
		  const char *path, bool tree)
{
	for (size_t i = 0; i < fp->n; i++)
		if (fp->v[i].kind == kind && fp->v[i].tree == tree &&
		    strcmp(fp->v[i].path, path) == 0)
			return (int)i;
	return -1;
}

static const char t_yaml[] =
	"version: 1\nname: t\nfile_rules:\n"
	"  - name: no-secret\n    paths: [\"${PROJECT_ROOT}/secret/**\","
	" \"/usr/bin/sudo\"]\n    operations: [\"*\"]\n    decision: deny\n"
	"  - name: ask-env\n    paths: [\"**/.env\"]\n    operations: [read]\n"
	"    decision: approve\n"
	"  - name: ws-read\n    paths: [\"${PROJECT_ROOT}\", "
	"\"${PROJECT_ROOT}/**\"]\n    operations: [read, list]\n"
	"    decision: allow\n"
	"  - name: ws-write\n    paths: [\"${PROJECT_ROOT}/**\"]\n"
	"    operations: [write, create]\n    decision: allow\n"
	"  - name: ws-del\n    paths: [\"${PROJECT_ROOT}/**\"]\n"
	"    operations: [delete]\n    decision: soft_delete\n"
	"  - name: usr\n    paths: [\"/usr/**\", \"/etc/hosts\", "
	"\"/opt/*.conf\"]\n    operations: [read]\n    decision: allow\n"
	"  - name: stat-only\n    paths: [\"/srv/**\"]\n"
	"    operations: [stat]\n    decision: allow\n"
	"  - name: late-glob\n    paths: [\"/usr/**/*.key\"]\n"
	"    operations: [read]\n    decision: deny\n"
	"  - name: rest\n    paths: [\"**\"]\n    operations: [\"*\"]\n"
	"    decision: deny\n";

static void t_plan(void **state)
{
	struct policy_fs_plan *fp = NULL;
	struct tp t;
	int i;

	assert_int_equal(tp_load(&t, t_yaml, true), 0);
	assert_int_equal(policy_fs_plan(t.p, &fp), 0);
	i = t_find(fp, POLICY_FS_DENY, "/workspace/proj/secret", true);
	assert_true(i >= 0);
	assert_int_equal(fp->v[i].cls, POLICY_FS_READ | POLICY_FS_WRITE);
	assert_string_equal(fp->v[i].rule, "no-secret");
	assert_true(t_find(fp, POLICY_FS_DENY, "/usr/bin/sudo", false) > i);
	/* The non-path approval precedes grants it meets: reported. */
	i = t_find(fp, POLICY_FS_UNENFORCED, "", false);
	assert_true(i >= 0);
	assert_int_equal(fp->v[i].cls, POLICY_FS_READ);
	assert_string_equal(fp->v[i].pattern, "**/.env");
	/* The workspace: read and write, the exact path merged in. */
	i = t_find(fp, POLICY_FS_GRANT, "/workspace/proj", true);
	assert_true(i >= 0);
	assert_int_equal(fp->v[i].cls, POLICY_FS_READ);
	assert_int_equal(t_find(fp, POLICY_FS_GRANT, "/workspace/proj", false),
			 -1);
	i = t_find(fp, POLICY_FS_GRANT, "/workspace/proj", true);
	for (i = i + 1; i < (int)fp->n; i++)
		if (fp->v[i].kind == POLICY_FS_GRANT &&
		    fp->v[i].cls == POLICY_FS_WRITE)
			break;
	assert_true(i < (int)fp->n);
	assert_string_equal(fp->v[i].path, "/workspace/proj");
	/* soft_delete: allowed, reported as not recoverable. */
	i = t_find(fp, POLICY_FS_UNENFORCED, "/workspace/proj", true);
	assert_true(i >= 0);
	assert_non_null(strstr(fp->v[i].why, "soft_delete"));
	assert_true(t_find(fp, POLICY_FS_GRANT, "/usr", true) >= 0);
	assert_true(t_find(fp, POLICY_FS_GRANT, "/etc/hosts", false) >= 0);
	assert_true(t_find(fp, POLICY_FS_UNGRANTED, "/opt/", false) >= 0);
	/* An allow without read or write grants nothing. */
	assert_int_equal(t_find(fp, POLICY_FS_GRANT, "/srv", true), -1);
	/* A glob denial after every grant it meets changes nothing. */
	assert_int_equal(t_find(fp, POLICY_FS_UNENFORCED, "/usr/", false), -1);
	/* "**" denies everything later: a deny of the root. */
	i = t_find(fp, POLICY_FS_DENY, "/", true);
	assert_int_equal(i, (int)fp->n - 1);
	policy_fs_plan_free(fp);
	policy_fs_plan_free(NULL);
	tp_free(&t);
}

/* The shipped default policy gives a usable allowlist. */
static void t_default_policy(void **state)
{
	char path[512], *buf = calloc(1, 1u << 20);
	struct policy_fs_plan *fp = NULL;
	size_t got;
	FILE *f;
	struct tp t;
	int i;

	assert_non_null(buf);
	snprintf(path, sizeof(path), "%s/default.yaml",
		 getenv("AGENTSH_TEST_POLICIES"));
	assert_non_null(f = fopen(path, "r"));
	got = fread(buf, 1, (1u << 20) - 1, f);
	fclose(f);
	buf[got] = '\0';
	assert_int_equal(tp_load(&t, buf, true), 0);
	assert_int_equal(policy_fs_plan(t.p, &fp), 0);
	for (size_t k = 0; k < 5; k++) {
		static const char *const ro[] = {"/usr", "/lib", "/bin",
						 "/workspace/proj", "/tmp"};
		i = t_find(fp, POLICY_FS_GRANT, ro[k], true);
		assert_true(i >= 0);
		assert_true(fp->v[i].cls & POLICY_FS_READ);
	}
	i = t_find(fp, POLICY_FS_GRANT, "/tmp", true);
	assert_int_equal(fp->v[i].cls, POLICY_FS_READ | POLICY_FS_WRITE);
	assert_true(t_find(fp, POLICY_FS_GRANT, "/etc/hosts", false) >= 0);
	assert_true(t_find(fp, POLICY_FS_GRANT, "/dev/null", false) >= 0);
	assert_true(t_find(fp, POLICY_FS_DENY, "/usr/bin/sudo", false) >= 0);
	assert_true(t_find(fp, POLICY_FS_DENY, "/home/daytona/.ssh",
			   true) >= 0);
	assert_true(t_find(fp, POLICY_FS_UNENFORCED, "", false) >= 0);
	policy_fs_plan_free(fp);
	tp_free(&t);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_plan),
		cmocka_unit_test(t_default_policy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
