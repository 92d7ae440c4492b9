/* agentsh: the command-line entry point. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_config.h"
#include "cli/cmd_detect.h"
#include "cli/cmd_dlp.h"
#include "cli/cmd_events.h"
#include "cli/cmd_trash.h"
#include "daemon/daemon.h"

static const char main_help[] =
"NAME\n"
"    agentsh - policy-enforced execution gateway for AI coding agents\n"
"\n"
"SYNOPSIS\n"
"    agentsh COMMAND [ARGS...]\n"
"    agentsh COMMAND --help\n"
"\n"
"COMMANDS\n"
"    server [--config FILE]  Run the daemon (the shim starts it when needed).\n"
"    exec SID -- CMD ARGS    Run a command in a session, under its policy.\n"
"    session create|list|destroy   Manage sessions.\n"
"    events query|tail       Search the audit log, or follow a session's.\n"
"    proxy status [SID]      The session's LLM proxy: state, DLP, usage.\n"
"    report SID              A markdown summary of a session.\n"
"    policy check FILE...    Validate policies and report unreachable rules.\n"
"    policy test ...         Ask a policy for one decision (exec, connect,\n"
"                            file operation or environment variable).\n"
"    config check FILE...    Validate a server configuration file.\n"
"    config show [FILE]      Print the resolved server configuration.\n"
"    shim install-shell ...  Put the shell shim in front of sh and bash.\n"
"    shim uninstall-shell    Restore the real shells.\n"
"    shim status             Say whether the shim is installed.\n"
"    detect [--json]         Report what this machine can enforce.\n"
"    dlp scan|bench ...      Redact secrets and personal data in text.\n"
"    trash list|restore|purge   Soft-deleted files: list, put back, purge.\n"
"    version                 Print the version.\n"
"\n"
"EXIT STATUS\n"
"    0 success, 1 errors found or the decision was a deny, 2 usage error.\n"
"\n"
"SEE ALSO\n"
"    docs/POLICY.md (policy and configuration reference),\n"
"    docs/ARCHITECTURE.md.\n";

void cli_print_help(const char *text)
{
	fputs(text, stdout);
}

int main(int argc, char **argv, char **envp)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (cmd == NULL || strcmp(cmd, "--help") == 0 ||
	    strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		cli_print_help(main_help);
		return cmd == NULL ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("agentsh %s\n", AGENTSH_VERSION);
		return CLI_EXIT_OK;
	}
	if (strcmp(cmd, "policy") == 0)
		return cmd_policy(argc - 1, argv + 1, envp);
	if (strcmp(cmd, "config") == 0)
		return cmd_config(argc - 1, argv + 1, envp);
	if (strcmp(cmd, "exec") == 0)
		return cmd_exec(argc - 1, argv + 1, envp);
	if (strcmp(cmd, "session") == 0)
		return cmd_session(argc - 1, argv + 1, envp);
	if (strcmp(cmd, "events") == 0 && argc > 2 && strcmp(argv[2], "tail") == 0)
		return cmd_events_tail(argc - 1, argv + 1, envp);
	if (strcmp(cmd, "events") == 0)
		return cmd_events(argc - 1, argv + 1, envp);
	if (strcmp(cmd, "report") == 0)
		return cmd_report(argc - 1, argv + 1, envp);
	if (strcmp(cmd, "proxy") == 0)
		return cmd_proxy(argc - 1, argv + 1, envp);
	if (strcmp(cmd, "dlp") == 0)
		return cmd_dlp(argc - 1, argv + 1, envp);
	if (strcmp(cmd, "trash") == 0)
		return cmd_trash(argc - 1, argv + 1, envp);
	if (strcmp(cmd, "detect") == 0)
		return cmd_detect(argc - 1, argv + 1, envp);
	if (strcmp(cmd, "server") == 0)
		return daemon_main(argc - 1, argv + 1, envp);
	if (strcmp(cmd, "shim") == 0)
		return cmd_shim(argc - 1, argv + 1, envp);
	fprintf(stderr, "agentsh: unknown command '%s' (see agentsh --help)\n",
		cmd);
	return CLI_EXIT_USAGE;
}
