/*
 * Which supervision modes this machine gives a shell, probed by doing (each
 * primitive used once in a forked child), and which one a configuration
 * selects. Shared by `agentsh detect` and the daemon, which refuses to run
 * below security.minimum_mode. Modes, strongest first:
 *   full      seccomp user-notify: the daemon decides every exec, open,
 *             path change and connect;
 *   ptrace    user-notify taken (EBUSY): a plain seccomp filter, the
 *             daemon's tracer decides execs, Landlock holds the file rules
 *             as allowlists;
 *   landlock  Landlock and the plain filter alone (no ptrace);
 *   landlock-only  Landlock without seccomp;
 *   minimal   neither: only the shim's checks before the shell runs.
 */
#ifndef AGENTSH_SECMODE_H
#define AGENTSH_SECMODE_H

#include <stdbool.h>

#include "config/config.h"

/* What the primitives did: 0 worked, else a positive errno. */
struct secmode_probe {
	int notify;      /* a user-notify filter (EBUSY: listener taken) */
	int seccomp;     /* a plain filter (SECCOMP_RET_TRACE action) */
	int ptrace;      /* PTRACE_SEIZE of a child */
	int landlock;    /* a ruleset enforced */
	int landlock_abi; /* >= 1, or -errno */
};

/* Run every probe (a few forks, about a millisecond). */
void secmode_probe(struct secmode_probe *p);
/* Whether mode m (not AUTO) works here. */
bool secmode_available(const struct secmode_probe *p,
		       enum config_security_mode m);
/* The mode security.mode selects: the strongest available mode not
 * stronger than mode (AUTO: the strongest available). */
enum config_security_mode secmode_select(const struct secmode_probe *p,
					 enum config_security_mode mode);
/* Whether selected satisfies security.minimum_mode min (AUTO: none). */
bool secmode_satisfies(enum config_security_mode selected,
		       enum config_security_mode min);

#endif
