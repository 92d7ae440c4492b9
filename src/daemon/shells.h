/* Limits and timeouts for shells the shim runs in place. */
#ifndef AGENTSH_DAEMON_SHELLS_H
#define AGENTSH_DAEMON_SHELLS_H

#include "daemon/daemon.h"

struct limits_cmd;

/* Put pid (a top-level shell) in a cgroup with the policy's limits and
 * kill it after timeout_ms (0: never). 0 or -errno. */
int shells_track(struct daemon *d, struct session *s, pid_t pid,
		 int64_t timeout_ms);
/* Remove the groups of exited shells whose background jobs have ended. */
void shells_sweep(struct daemon *d);
/* At daemon stop: remove empty groups, forget every tracker. */
void shells_stop(struct daemon *d);
/* What cgroups this machine has (probed on first use), or NULL. */
struct limits_env *daemon_limits(struct daemon *d);
/* A cgroup with the session's policy limits; NULL when none applies. */
struct limits_cmd *daemon_cgroup(struct daemon *d, struct session *s,
				 const char *leaf);

#endif
