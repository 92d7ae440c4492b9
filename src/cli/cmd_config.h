/* `agentsh config check|show`: validate and print the server config. */
#ifndef AGENTSH_CLI_CMD_CONFIG_H
#define AGENTSH_CLI_CMD_CONFIG_H

#include <stdio.h>

/*
 * argv[0] is "config", argv[1] the subcommand. Returns the exit status:
 * 0 ok (warnings allowed), 1 errors, 2 usage.
 */
int cmd_config(int argc, char **argv, char **envp);
/* The same, writing to the given streams (used by the tests). */
int cmd_config_run(int argc, char **argv, char **envp, FILE *out,
		   FILE *err);

#endif
