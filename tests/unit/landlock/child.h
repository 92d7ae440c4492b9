/* Running a Landlock test in a child that restricts itself, in a temp tree. */
#ifndef AGENTSH_TEST_LANDLOCK_CHILD_H
#define AGENTSH_TEST_LANDLOCK_CHILD_H

#define T_RES_MAX 16 /* results one child reports */
#define T_PATH_MAX 256

/* A temp directory tree (each test's setup says what it holds). */
struct t_tree {
	char dir[T_PATH_MAX];
};

/* What a child did: res[i] is 0 or an errno value (-1000: not set). */
typedef void (*t_child_fn)(void *arg, int *res);

/* Run fn(arg, res) in a child; its T_RES_MAX results land in res. A
 * child that fails to report fails the test. */
void t_run(t_child_fn fn, void *arg, int *res);

/* out (T_PATH_MAX bytes) = the tree's directory / rel. */
void t_path(const struct t_tree *t, char *out, const char *rel);

/* cmocka teardown: remove the tree *state and free it. */
int t_teardown(void **state);

#endif
