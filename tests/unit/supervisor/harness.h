/* Running a function in a child under the supervisor's filter. */
#ifndef AGENTSH_TEST_SUP_HARNESS_H
#define AGENTSH_TEST_SUP_HARNESS_H

#include <sys/types.h>

#include "supervisor/supervisor.h"

typedef int (*th_child_fn)(void *arg);

/* Fork; the child installs the filter and returns fn(arg) as its exit
 * status; the parent serves it with ops until it exits and returns that
 * status (128 + signal when killed). A failure to set up fails the test. */
int th_run(const struct sup_ops *ops, void *ops_arg, th_child_fn fn,
	   void *arg);
/* Start the child only: its listener (the caller serves or closes it). */
int th_start(th_child_fn fn, void *arg, pid_t *pid);
/* The same with the child made to run as uid/gid (and no groups). */
int th_run_as(const struct sup_ops *ops, void *ops_arg, th_child_fn fn,
	      void *arg, uid_t uid, gid_t gid);

#endif
