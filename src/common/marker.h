/*
 * The session marker: a seccomp filter every sandboxed process carries (see
 * common/proto.h). The supervisor issue grows it into the real filter.
 */
#ifndef AGENTSH_COMMON_MARKER_H
#define AGENTSH_COMMON_MARKER_H

#include <stdbool.h>

/* Does this process already carry the marker? */
bool marker_present(void);
/* Set no_new_privs and install the marker filter; 0 or -errno. */
int marker_install(void);

#endif
