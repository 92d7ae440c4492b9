/* `agentsh trash`: list, restore and purge soft-deleted files. */
#ifndef AGENTSH_CLI_CMD_TRASH_H
#define AGENTSH_CLI_CMD_TRASH_H

/* argv[0] is "trash". Returns 0 done, 1 failed, 2 usage error. */
int cmd_trash(int argc, char **argv, char **envp);

#endif
