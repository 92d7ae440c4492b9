/* Deciding a command line, and every command of a script, before it runs. */
#ifndef AGENTSH_DAEMON_PRECHECK_H
#define AGENTSH_DAEMON_PRECHECK_H

#include "daemon/daemon.h"
#include "shparse/shparse.h"

#define PRECHECK_NO_REDIRECT ((size_t)-1)

struct precheck {
	struct daemon *d;
	struct session *s;
	pid_t pid;
	const char *operation;     /* "shim_precheck" or "exec_precheck" */
	const char *command_id;    /* may be NULL */
	struct policy_verdict v;   /* the last decision */
	char msg[POLICY_MESSAGE_MAX];
	char denied_cmd[256];      /* the command that was denied */
	/* For a script of one plain top-level command with a redirect. */
	struct shparse_result *res;
	size_t redirect;
};

/* Decide one command line and record it; true when it may run. */
bool precheck_cmd(struct precheck *pc, const char *path, char *const *argv,
		  size_t argc, int depth);
/*
 * Decide every command of script whose name is known (first deny stops).
 * A redirect is allowed only for a script that is one top-level command
 * (pc->redirect then names it); otherwise it is a deny.
 */
bool precheck_script(struct precheck *pc, const char *script, int depth);
/* "agentsh: denied by rule R: message\n" for the last decision. */
void precheck_deny_line(const struct precheck *pc, char *out, size_t n);
void precheck_release(struct precheck *pc);

#endif
