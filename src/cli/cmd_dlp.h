/* `agentsh dlp`: scan text for secrets and personal data, or benchmark. */
#ifndef AGENTSH_CLI_CMD_DLP_H
#define AGENTSH_CLI_CMD_DLP_H

/*
 * argv[0] is "dlp". Returns the exit status: 0 no findings (scan) or
 * done (bench), 1 findings, 2 usage or unreadable input.
 */
int cmd_dlp(int argc, char **argv, char **envp);

#endif
