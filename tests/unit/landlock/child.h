/* Running a Landlock test in a child that restricts itself. */
#ifndef AGENTSH_TEST_LANDLOCK_CHILD_H
#define AGENTSH_TEST_LANDLOCK_CHILD_H

#define T_RES_MAX 16 /* results one child reports */

/* What a child did: res[i] is 0 or an errno value (-1000: not set). */
typedef void (*t_child_fn)(void *arg, int *res);

/* Run fn(arg, res) in a child; its T_RES_MAX results land in res. A
 * child that fails to report fails the test. */
void t_run(t_child_fn fn, void *arg, int *res);

#endif
