/* The config schema, part 2: the sandbox section. */
#include <stddef.h>

#include "config/config_internal.h"

#define C struct config

static const struct config_enum_val config_en_fuse[] = {
	{"monitor", CONFIG_FUSE_MONITOR, false},
	{"soft_block", CONFIG_FUSE_SOFT_BLOCK, false},
	{"soft_delete", CONFIG_FUSE_SOFT_DELETE, false},
	{"strict", CONFIG_FUSE_STRICT, false},
	{NULL, 0, false},
};

static const struct config_enum_val config_en_intercept[] = {
	{"all", CONFIG_INTERCEPT_ALL, false},
	{"tcp_only", CONFIG_INTERCEPT_TCP_ONLY, false},
	{"monitor", CONFIG_INTERCEPT_MONITOR, false},
	{NULL, 0, false},
};

static const struct config_enum_val config_en_seccomp[] = {
	{"enforce", CONFIG_SECCOMP_ENFORCE, false},
	{"audit", CONFIG_SECCOMP_AUDIT, false},
	{"disabled", CONFIG_SECCOMP_DISABLED, false},
	{NULL, 0, false},
};

static const struct config_enum_val config_en_unix[] = {
	{"enforce", CONFIG_UNIX_ENFORCE, false},
	{"audit", CONFIG_UNIX_AUDIT, false},
	{NULL, 0, false},
};

static const struct config_enum_val config_en_defact[] = {
	{"allow", CONFIG_ACT_ALLOW, false},
	{"block", CONFIG_ACT_BLOCK, false},
	{NULL, 0, false},
};

static const struct config_enum_val config_en_onblock[] = {
	{"errno", CONFIG_ONBLOCK_ERRNO, false},
	{"kill", CONFIG_ONBLOCK_KILL, false},
	{"log", CONFIG_ONBLOCK_LOG, false},
	{"log_and_kill", CONFIG_ONBLOCK_LOG_AND_KILL, false},
	{NULL, 0, false},
};

static const struct config_enum_val config_en_fail[] = {
	{"fail_closed", CONFIG_FAIL_CLOSED, false},
	{"fail_open", CONFIG_FAIL_OPEN, false},
	{NULL, 0, false},
};

static const struct config_field config_f_limits[] = {
	CONFIG_FI(C, "max_memory_mb", sandbox.limits.max_memory_mb, 0,
		  1 << 30, 2048),
	CONFIG_FI(C, "max_cpu_percent", sandbox.limits.max_cpu_percent, 0,
		  100000, 50),
	CONFIG_FI(C, "max_processes", sandbox.limits.max_processes, 0,
		  10000000, 100),
	CONFIG_FI(C, "max_disk_io_mbps", sandbox.limits.max_disk_io_mbps, 0,
		  1000000, 100),
	CONFIG_FI(C, "max_network_mbps", sandbox.limits.max_network_mbps, 0,
		  1000000, 50),
	CONFIG_FEND,
};
static const struct config_section config_sec_limits = {
	config_f_limits, NULL, NULL, NULL,
};

static const struct config_field config_f_fuseaudit[] = {
	CONFIG_FB(C, "enabled", sandbox.fuse.audit.enabled, true),
	CONFIG_FE(C, "mode", sandbox.fuse.audit.mode, config_en_fuse,
		  CONFIG_FUSE_MONITOR),
	CONFIG_FS(C, "trash_path", sandbox.fuse.audit.trash_path,
		  ".agentsh_trash", CONFIG_F_REQUIRED),
	CONFIG_FD(C, "ttl", sandbox.fuse.audit.ttl, CONFIG_DAY(7)),
	CONFIG_FZ(C, "quota", sandbox.fuse.audit.quota, CONFIG_MB(5000)),
	CONFIG_FB(C, "strict_on_audit_failure",
		  sandbox.fuse.audit.strict_on_audit_failure, false),
	CONFIG_FI(C, "max_event_queue", sandbox.fuse.audit.max_event_queue, 1,
		  10000000, 1024),
	CONFIG_FZ(C, "hash_small_files_under",
		  sandbox.fuse.audit.hash_small_files_under, CONFIG_MB(1)),
	CONFIG_FEND,
};
static const struct config_section config_sec_fuseaudit = {
	config_f_fuseaudit, NULL, NULL, NULL,
};

static const struct config_field config_f_fuse[] = {
	CONFIG_FB(C, "enabled", sandbox.fuse.enabled, false),
	CONFIG_FB(C, "deferred", sandbox.fuse.deferred, false),
	CONFIG_FS(C, "deferred_marker_file", sandbox.fuse.deferred_marker_file,
		  NULL, 0),
	CONFIG_FS(C, "mount_base_dir", sandbox.fuse.mount_base_dir, NULL, 0),
	CONFIG_FSEC("audit", config_sec_fuseaudit),
	CONFIG_FEND,
};
static const struct config_section config_sec_fuse = {
	config_f_fuse, NULL, NULL, NULL,
};

static const struct config_field config_f_dns[] = {
	CONFIG_FB(C, "enabled", sandbox.network.dns.enabled, true),
	CONFIG_FS(C, "listen", sandbox.network.dns.listen, "127.0.0.1:0",
		  CONFIG_F_REQUIRED | CONFIG_F_ADDR),
	CONFIG_FS(C, "upstream", sandbox.network.dns.upstream, NULL, 0),
	CONFIG_FEND,
};
static const struct config_section config_sec_dns = {
	config_f_dns, NULL, NULL, NULL,
};

static const struct config_field config_f_tlsi[] = {
	CONFIG_FB(C, "enabled", sandbox.network.tls_inspection.enabled, false),
	CONFIG_FS(C, "ca_cert", sandbox.network.tls_inspection.ca_cert, NULL,
		  0),
	CONFIG_FS(C, "ca_key", sandbox.network.tls_inspection.ca_key, NULL, 0),
	CONFIG_FEND,
};
static const struct config_section config_sec_tlsi = {
	config_f_tlsi, NULL, NULL, NULL,
};

#define R struct config_rate_limit
static const struct config_field config_f_domain[] = {
	CONFIG_FI(R, "rpm", rpm, 0, 1000000000, 0),
	CONFIG_FI(R, "burst", burst, 0, 1000000000, 0),
	CONFIG_FEND,
};
#undef R
static const struct config_section config_sec_domain = {
	config_f_domain, NULL, NULL, NULL,
};

static const struct config_field config_f_rates[] = {
	CONFIG_FB(C, "enabled", sandbox.network.rate_limits.enabled, false),
	CONFIG_FI(C, "global_rpm", sandbox.network.rate_limits.global_rpm, 0,
		  1000000000, 0),
	CONFIG_FI(C, "global_burst", sandbox.network.rate_limits.global_burst,
		  0, 1000000000, 0),
	{.key = "per_domain", .kind = CONFIG_K_NAMED,
	 .off = offsetof(C, sandbox.network.rate_limits.per_domain),
	 .count_off = offsetof(C, sandbox.network.rate_limits.n_per_domain),
	 .item_size = sizeof(struct config_rate_limit),
	 .sub = &config_sec_domain},
	CONFIG_FEND,
};
static const struct config_section config_sec_rates = {
	config_f_rates, NULL, NULL, NULL,
};

static const struct config_field config_f_transp[] = {
	CONFIG_FB(C, "enabled", sandbox.network.transparent.enabled, false),
	CONFIG_FS(C, "subnet_base", sandbox.network.transparent.subnet_base,
		  "10.250.0.0/16", CONFIG_F_REQUIRED),
	CONFIG_FEND,
};
static const struct config_section config_sec_transp = {
	config_f_transp, NULL, NULL, NULL,
};

#define EB(k, m, d) CONFIG_FB(C, k, sandbox.network.ebpf.m, d)
#define EI(k, m, hi, d) CONFIG_FI(C, k, sandbox.network.ebpf.m, 0, hi, d)
static const struct config_field config_f_ebpf[] = {
	EB("enabled", enabled, false),
	EB("required", required, false),
	EB("resolve_rdns", resolve_rdns, false),
	EB("enforce", enforce, false),
	EB("enforce_without_dns", enforce_without_dns, false),
	EI("map_allow_entries", map_allow_entries, 1 << 24, 4096),
	EI("map_deny_entries", map_deny_entries, 1 << 24, 4096),
	EI("map_lpm_entries", map_lpm_entries, 1 << 24, 4096),
	EI("map_lpm_deny_entries", map_lpm_deny_entries, 1 << 24, 4096),
	EI("dns_refresh_seconds", dns_refresh_seconds, 86400, 600),
	EI("dns_max_ttl_seconds", dns_max_ttl_seconds, 86400, 60),
	CONFIG_FEND,
};
#undef EB
#undef EI
static const struct config_section config_sec_ebpf = {
	config_f_ebpf, NULL, NULL, NULL,
};

static const struct config_field config_f_network[] = {
	CONFIG_FB(C, "enabled", sandbox.network.enabled, true),
	CONFIG_FE(C, "intercept_mode", sandbox.network.intercept_mode,
		  config_en_intercept, CONFIG_INTERCEPT_ALL),
	CONFIG_FS(C, "proxy_listen_addr", sandbox.network.proxy_listen_addr,
		  "127.0.0.1:0", CONFIG_F_REQUIRED | CONFIG_F_ADDR),
	CONFIG_FI(C, "proxy_port", sandbox.network.proxy_port, 0, 65535, 9080),
	CONFIG_FI(C, "dns_port", sandbox.network.dns_port, 0, 65535, 9053),
	CONFIG_FSEC("dns", config_sec_dns),
	CONFIG_FSEC("tls_inspection", config_sec_tlsi),
	CONFIG_FSEC("rate_limits", config_sec_rates),
	CONFIG_FSEC("transparent", config_sec_transp),
	CONFIG_FSEC("ebpf", config_sec_ebpf),
	CONFIG_FEND,
};
static const struct config_section config_sec_network = {
	config_f_network, NULL, config_check_network, NULL,
};

static const struct config_field config_f_cgroups[] = {
	CONFIG_FB(C, "enabled", sandbox.cgroups.enabled, false),
	CONFIG_FS(C, "base_path", sandbox.cgroups.base_path, NULL, 0),
	CONFIG_FEND,
};
static const struct config_section config_sec_cgroups = {
	config_f_cgroups, NULL, NULL, NULL,
};

static const struct config_field config_f_usockets[] = {
	CONFIG_FB(C, "enabled", sandbox.unix_sockets.enabled, true),
	CONFIG_FS(C, "wrapper_bin", sandbox.unix_sockets.wrapper_bin,
		  "agentsh-unixwrap", CONFIG_F_REQUIRED),
	CONFIG_FEND,
};
static const struct config_section config_sec_usockets = {
	config_f_usockets, NULL, NULL, NULL,
};

#define S sandbox.seccomp
static const struct config_field config_f_scunix[] = {
	CONFIG_FB(C, "enabled", S.unix_socket.enabled, true),
	CONFIG_FE(C, "action", S.unix_socket.action, config_en_unix,
		  CONFIG_UNIX_ENFORCE),
	CONFIG_FEND,
};
static const struct config_section config_sec_scunix = {
	config_f_scunix, NULL, NULL, NULL,
};

static const struct config_field config_f_syscalls[] = {
	CONFIG_FE(C, "default_action", S.syscalls.default_action,
		  config_en_defact, CONFIG_ACT_ALLOW),
	CONFIG_FL(C, "block", S.syscalls.block, NULL),
	CONFIG_FL(C, "allow", S.syscalls.allow, NULL),
	CONFIG_FE(C, "on_block", S.syscalls.on_block, config_en_onblock,
		  CONFIG_ONBLOCK_ERRNO),
	CONFIG_FEND,
};
static const struct config_section config_sec_syscalls = {
	config_f_syscalls, NULL, NULL, NULL,
};

static const struct config_field config_f_execve[] = {
	CONFIG_FB(C, "enabled", S.execve.enabled, false),
	CONFIG_FI(C, "max_argc", S.execve.max_argc, 1, 1000000, 4096),
	CONFIG_FI(C, "max_argv_bytes", S.execve.max_argv_bytes, 1, 1 << 30,
		  1 << 20),
	CONFIG_FE(C, "on_truncated", S.execve.on_truncated, config_en_fail,
		  CONFIG_FAIL_CLOSED),
	CONFIG_FEND,
};
static const struct config_section config_sec_execve = {
	config_f_execve, NULL, NULL, NULL,
};

static const struct config_field config_f_filemon[] = {
	CONFIG_FB(C, "enabled", S.file_monitor.enabled, false),
	CONFIG_FB(C, "enforce_without_fuse",
		  S.file_monitor.enforce_without_fuse, false),
	CONFIG_FB(C, "intercept_metadata", S.file_monitor.intercept_metadata,
		  false),
	CONFIG_FB(C, "write_only_opens", S.file_monitor.write_only_opens,
		  false),
	CONFIG_FEND,
};
static const struct config_section config_sec_filemon = {
	config_f_filemon, NULL, NULL, NULL,
};

static const struct config_field config_f_sigfilter[] = {
	CONFIG_FB(C, "enabled", S.signal_filter.enabled, false),
	CONFIG_FEND,
};
static const struct config_section config_sec_sigfilter = {
	config_f_sigfilter, NULL, NULL, NULL,
};

static const struct config_field config_f_seccomp[] = {
	CONFIG_FB(C, "enabled", S.enabled, true),
	CONFIG_FE(C, "mode", S.mode, config_en_seccomp, CONFIG_SECCOMP_ENFORCE),
	CONFIG_FSEC("unix_socket", config_sec_scunix),
	CONFIG_FSEC("syscalls", config_sec_syscalls),
	CONFIG_FSEC("execve", config_sec_execve),
	CONFIG_FSEC("file_monitor", config_sec_filemon),
	CONFIG_FSEC("signal_filter", config_sec_sigfilter),
	CONFIG_FL(C, "blocked_socket_families", S.blocked_socket_families,
		  NULL),
	CONFIG_FEND,
};
#undef S
static const struct config_section config_sec_seccomp = {
	config_f_seccomp, NULL, NULL, NULL,
};

static const struct config_field config_f_trace[] = {
	CONFIG_FB(C, "execve", sandbox.ptrace.trace.execve, true),
	CONFIG_FB(C, "file", sandbox.ptrace.trace.file, true),
	CONFIG_FB(C, "network", sandbox.ptrace.trace.network, true),
	CONFIG_FB(C, "signal", sandbox.ptrace.trace.signal, true),
	CONFIG_FEND,
};
static const struct config_section config_sec_trace = {
	config_f_trace, NULL, NULL, NULL,
};

static const struct config_field config_f_ptrace[] = {
	CONFIG_FB(C, "enabled", sandbox.ptrace.enabled, false),
	CONFIG_FSEC("trace", config_sec_trace),
	CONFIG_FE(C, "on_attach_failure", sandbox.ptrace.on_attach_failure,
		  config_en_fail, CONFIG_FAIL_CLOSED),
	CONFIG_FEND,
};
static const struct config_section config_sec_ptrace = {
	config_f_ptrace, NULL, NULL, NULL,
};

static const struct config_field config_f_sandbox[] = {
	CONFIG_FB(C, "enabled", sandbox.enabled, true),
	CONFIG_FB(C, "allow_degraded", sandbox.allow_degraded, false),
	CONFIG_FSEC("limits", config_sec_limits),
	CONFIG_FSEC("fuse", config_sec_fuse),
	CONFIG_FSEC("network", config_sec_network),
	CONFIG_FSEC("cgroups", config_sec_cgroups),
	CONFIG_FSEC("unix_sockets", config_sec_usockets),
	CONFIG_FSEC("seccomp", config_sec_seccomp),
	CONFIG_FSEC("ptrace", config_sec_ptrace),
	CONFIG_FM(C, "env_inject", sandbox.env_inject, NULL,
		  CONFIG_F_SECRETISH),
	CONFIG_FEND,
};
const struct config_section config_sec_sandbox = {
	config_f_sandbox, NULL, NULL, NULL,
};
