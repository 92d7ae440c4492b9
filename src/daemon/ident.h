/*
 * Who is asking: the daemon tells sandboxed processes from operators by the
 * seccomp filters a process carries, which no process can shed.
 */
#ifndef AGENTSH_DAEMON_IDENT_H
#define AGENTSH_DAEMON_IDENT_H

#include <stdbool.h>
#include <sys/types.h>

/* Seccomp_filters of a process from /proc/<pid>/status; -1 if unknown. */
int ident_seccomp_filters(pid_t pid);
/*
 * True when pid carries more seccomp filters than the daemon did when it
 * started (every sandboxed process gets one from the shim), or when its
 * filter count cannot be read: unknown counts as sandboxed (fail closed).
 */
bool ident_is_sandboxed(pid_t pid, int daemon_filters);

/* Copy the environment for later ${VAR} lookups, then overwrite the
 * original strings so /proc/<daemon>/environ shows nothing. */
char **ident_env_save_and_scrub(char **envp);
const char *ident_env_get(char *const *env, const char *name);

#endif
