/* Subcommands of the agentsh program. Each returns the process exit code. */
#ifndef AGENTSH_CLI_H
#define AGENTSH_CLI_H

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1  /* errors found, or a deny */
#define CLI_EXIT_USAGE 2 /* bad invocation or unreadable input */

int cmd_policy(int argc, char **argv, char **envp);
int cmd_shim(int argc, char **argv, char **envp);
int cmd_exec(int argc, char **argv, char **envp);
int cmd_session(int argc, char **argv, char **envp);
int cmd_proxy(int argc, char **argv, char **envp);
int cmd_events_tail(int argc, char **argv, char **envp);

/* Print text to stdout through a pager-free, plain writer. */
void cli_print_help(const char *text);

#endif
