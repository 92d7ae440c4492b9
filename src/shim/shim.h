/* The shell shim: internal interfaces between its files. */
#ifndef AGENTSH_SHIM_H
#define AGENTSH_SHIM_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define SHIM_RESPONSE_MAX (4u << 20) /* bytes of daemon answer */
#define SHIM_SCRIPT_MAX (1u << 20)   /* stdin script read ahead */
#define SHIM_CONNECT_WAIT_MS 3000    /* waiting for an auto-started daemon */

struct shim_conf {
	char socket[PATH_MAX];
	char server[PATH_MAX]; /* agentsh binary for auto-start */
	char config[PATH_MAX];
	char log[PATH_MAX];
	bool autostart;
};

/* Read /etc/agentsh/shim.conf (key=value); missing file: defaults. */
void shim_conf_load(struct shim_conf *c);

/* Connect to the daemon, auto-starting it when allowed; fd or -errno. */
int shim_connect(const struct shim_conf *c, bool may_autostart);


/*
 * For a bare shell reading a non-terminal stdin: read ahead what is there.
 * *complete: EOF was reached (the whole script is in *script); otherwise
 * the rest keeps streaming. Returns 0 or -errno.
 */
int shim_stdin_read(char **script, size_t *len, bool *complete);
/* Make the shell's stdin replay script (and, if !complete, the rest). */
int shim_stdin_replay(const char *script, size_t len, bool complete);

struct json_object;
/*
 * Apply the daemon's supervision plan to this process before it execs the
 * shell: the mode reached ("full", "ptrace", "landlock"), or NULL with err
 * set (then nothing may run).
 */
const char *shim_supervise(const struct shim_conf *c, struct json_object *plan,
			   char *err, size_t errlen);
/* The plan's exec deny list into paths (LANDLOCK_DENY_MAX); the count. */
size_t shim_deny_list(struct json_object *plan, const char **paths);
/*
 * The second Landlock ruleset of the modes without user-notify: the exec
 * deny list, the plan's file allowlist, TCP connect to no port when tcp.
 * 0, or -errno (then the shell must not run).
 */
int shim_landlock_fs(struct json_object *plan, bool tcp);
#endif
