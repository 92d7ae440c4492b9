/* `agentsh detect`: what this machine can enforce, found by probing. */
#ifndef AGENTSH_CLI_CMD_DETECT_H
#define AGENTSH_CLI_CMD_DETECT_H

#include <stdbool.h>
#include <stdio.h>

#include "common/buf.h"
#include "config/config.h"
#include "limits/limits.h"
#include "secmode/secmode.h"

#define DETECT_PROT_DOMAINS 6 /* file command network env limits isolation */

/* The modes part of detect (cmd_detect_modes.c). */
struct detect_modes {
	struct secmode_probe probe;
	const char *cfgfile;                /* --config, or NULL: defaults */
	enum config_security_mode mode, min; /* from the configuration */
	enum config_security_mode selected;  /* what mode selects here */
};
int detect_modes_json(const struct detect_modes *dm,
		      const struct limits_env *env, struct buf *b);
void detect_modes_text(const struct detect_modes *dm,
		       const struct limits_env *env, FILE *out);

/*
 * argv[0] is "detect". Returns the exit status: 0 the probes ran (whatever
 * they found), 1 a probe could not run, 2 usage.
 */
int cmd_detect(int argc, char **argv, char **envp);
/* The same, writing to the given streams (used by the tests). */
int cmd_detect_run(int argc, char **argv, char **envp, FILE *out, FILE *err);

#endif
