/* Constants shared by the shim, the CLI and the daemon. */
#ifndef AGENTSH_COMMON_PROTO_H
#define AGENTSH_COMMON_PROTO_H

#define AGENTSH_DEFAULT_SOCKET "/run/agentsh/agentsh.sock"
#define AGENTSH_DEFAULT_CONFIG "/etc/agentsh/config.yaml"
#define AGENTSH_DEFAULT_BIN "/usr/bin/agentsh"
#define AGENTSH_DEFAULT_LOG "/var/log/agentsh/agentsh.log"
#define AGENTSH_SHIM_CONF "/etc/agentsh/shim.conf"

/* The shim prepares every shell through this endpoint (Unix socket only). */
#define AGENTSH_SHIM_PATH "/api/v1/shim/prepare"
#define AGENTSH_ATTACH_PATH "/api/v1/shim/attach"

/*
 * Session marker: every sandboxed process carries a seccomp filter that
 * answers prctl(AGENTSH_PROBE_OPTION) with errno AGENTSH_PROBE_ERRNO. A
 * process cannot remove a filter, so the answer cannot be faked away; an
 * unsandboxed process gets EINVAL from the kernel.
 */
#define AGENTSH_PROBE_OPTION 0x41474e54 /* "AGNT" */
#define AGENTSH_PROBE_ERRNO 4000

/* Exit codes, as the original's. */
#define AGENTSH_EXIT_DENIED 126
#define AGENTSH_EXIT_NOTFOUND 127
#define AGENTSH_EXIT_TIMEOUT 124

#endif
