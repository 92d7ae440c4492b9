/* `agentsh detect`: what this machine can enforce, found by probing. */
#ifndef AGENTSH_CLI_CMD_DETECT_H
#define AGENTSH_CLI_CMD_DETECT_H

#include <stdio.h>

/*
 * argv[0] is "detect". Returns the exit status: 0 the probes ran (whatever
 * they found), 1 a probe could not run, 2 usage.
 */
int cmd_detect(int argc, char **argv, char **envp);
/* The same, writing to the given streams (used by the tests). */
int cmd_detect_run(int argc, char **argv, char **envp, FILE *out, FILE *err);

#endif
