/*
 * Server configuration (/etc/agentsh/config.yaml): the typed, validated
 * result of built-in defaults, the YAML file, ${VAR} expansion inside
 * scalar values, and AGENTSH_* environment overrides, in that order.
 *
 * Ownership: a struct config owns every string, list and map inside it;
 * config_free() releases all of it. Optional strings are NULL when unset
 * (an empty string in the file also means unset). String lists are NULL
 * (empty) or NULL-terminated. Durations are int64 milliseconds, sizes int64
 * bytes. A loaded config is never modified afterwards.
 */
#ifndef AGENTSH_CONFIG_H
#define AGENTSH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/diag.h"

struct pcre2_real_code_8; /* pcre2_code with PCRE2_CODE_UNIT_WIDTH 8 */

#define CONFIG_PATH_MAX 4096

/* A string-to-string map in file order; keys are unique. */
struct config_strmap {
	size_t n;
	char **keys;
	char **vals;
};

/* Size/age based rotation of a log file. */
struct config_rotation {
	int64_t max_size_mb;
	int64_t max_age_days;
	int64_t max_backups;
	bool compress;
};

enum config_platform_mode {
	CONFIG_PLATFORM_AUTO, CONFIG_PLATFORM_LINUX, CONFIG_PLATFORM_DARWIN,
	CONFIG_PLATFORM_DARWIN_LIMA, CONFIG_PLATFORM_WINDOWS,
	CONFIG_PLATFORM_WINDOWS_WSL2,
};
enum config_auth_type {
	CONFIG_AUTH_NONE, CONFIG_AUTH_API_KEY, CONFIG_AUTH_OIDC,
	CONFIG_AUTH_HYBRID,
};
enum config_log_level {
	CONFIG_LOG_DEBUG, CONFIG_LOG_INFO, CONFIG_LOG_WARN, CONFIG_LOG_ERROR,
};
enum config_log_format { CONFIG_LOGFMT_TEXT, CONFIG_LOGFMT_JSON };
enum config_audit_format { CONFIG_AUDITFMT_JSONL };
enum config_hmac { CONFIG_HMAC_SHA256, CONFIG_HMAC_SHA512 };
enum config_key_source {
	CONFIG_KEYSRC_FILE, CONFIG_KEYSRC_ENV, CONFIG_KEYSRC_AWS_KMS,
	CONFIG_KEYSRC_AZURE_KEYVAULT, CONFIG_KEYSRC_HASHICORP_VAULT,
	CONFIG_KEYSRC_GCP_KMS,
};
enum config_fuse_mode {
	CONFIG_FUSE_MONITOR, CONFIG_FUSE_SOFT_BLOCK, CONFIG_FUSE_SOFT_DELETE,
	CONFIG_FUSE_STRICT,
};
enum config_intercept {
	CONFIG_INTERCEPT_ALL, CONFIG_INTERCEPT_TCP_ONLY,
	CONFIG_INTERCEPT_MONITOR,
};
enum config_seccomp_mode {
	CONFIG_SECCOMP_ENFORCE, CONFIG_SECCOMP_AUDIT, CONFIG_SECCOMP_DISABLED,
};
enum config_unix_action { CONFIG_UNIX_ENFORCE, CONFIG_UNIX_AUDIT };
enum config_default_action { CONFIG_ACT_ALLOW, CONFIG_ACT_BLOCK };
enum config_on_block {
	CONFIG_ONBLOCK_ERRNO, CONFIG_ONBLOCK_KILL, CONFIG_ONBLOCK_LOG,
	CONFIG_ONBLOCK_LOG_AND_KILL,
};
enum config_fail_mode { CONFIG_FAIL_CLOSED, CONFIG_FAIL_OPEN };
/* Ordered by strength: a larger value is a stronger mode (auto is 0). */
enum config_security_mode {
	CONFIG_SECMODE_AUTO, CONFIG_SECMODE_MINIMAL,
	CONFIG_SECMODE_LANDLOCK_ONLY, CONFIG_SECMODE_LANDLOCK,
	CONFIG_SECMODE_PTRACE, CONFIG_SECMODE_FULL,
};
/* security.minimum_mode: CONFIG_SECMODE_AUTO here means "no minimum". */
enum config_approval_mode {
	CONFIG_APPROVAL_LOCAL_TTY, CONFIG_APPROVAL_API, CONFIG_APPROVAL_TOTP,
	CONFIG_APPROVAL_WEBAUTHN,
};
enum config_user_verification {
	CONFIG_UV_PREFERRED, CONFIG_UV_REQUIRED, CONFIG_UV_DISCOURAGED,
};
enum config_proxy_mode { CONFIG_PROXY_EMBEDDED, CONFIG_PROXY_DISABLED };
enum config_dlp_mode {
	CONFIG_DLP_REDACT, CONFIG_DLP_TOKENIZE, CONFIG_DLP_DISABLED,
};
enum config_eviction { CONFIG_EVICT_OLDEST_FIRST, CONFIG_EVICT_LARGEST_FIRST };

/* dlp.custom_patterns[]: regex is compiled with PCRE2 at load. */
struct config_dlp_pattern {
	char *name;
	char *display; /* marker text; defaults to name */
	char *regex;   /* never ${VAR}-expanded: '$' is regex syntax */
	struct pcre2_real_code_8 *code; /* compiled, UTF + invalid-UTF safe */
};

struct config_mount {
	char *path;
	char *policy;
};

/* mount_profiles.<name> */
struct config_mount_profile {
	char *name; /* must stay first: the map key */
	char *base_policy;
	struct config_mount *mounts;
	size_t n_mounts;
};

/* sandbox.network.rate_limits.per_domain.<domain> */
struct config_rate_limit {
	char *name; /* must stay first: the domain */
	int64_t rpm;
	int64_t burst;
};

struct config_server {
	struct {
		char *addr; /* host:port, default 127.0.0.1:18080 */
		int64_t read_timeout, write_timeout;
		int64_t max_request_size;
	} http;
	struct {
		bool enabled;
		char *addr;
	} grpc;
	struct {
		bool enabled;
		char *path;
		int64_t permissions; /* octal mode bits, default 0660 */
	} unix_socket;
	struct {
		bool enabled;
		char *cert_file, *key_file, *ca_file;
	} tls;
};

struct config_auth {
	enum config_auth_type type;
	struct {
		char *keys_file;
		char *header_name;
	} api_key;
	struct {
		char *issuer, *client_id, *client_secret, *audience;
		int64_t jwks_cache_ttl;
		struct {
			char *operator_id, *groups;
		} claim_mappings;
		char **allowed_groups;
		struct config_strmap group_policy_map, group_role_map;
	} oidc;
};

struct config_audit {
	bool enabled;
	char *output; /* JSONL file; NULL disables the JSONL sink */
	enum config_audit_format format;
	struct config_rotation rotation;
	struct {
		char *sqlite_path;
	} storage;
	struct {
		int64_t max_age_days; /* 0 keeps events forever */
	} retention;
	struct {
		char *url;
		int64_t batch_size, flush_interval, timeout;
		struct config_strmap headers; /* secret: never printed */
	} webhook;
	struct {
		bool enabled;
		enum config_hmac algorithm;
		enum config_key_source key_source;
		char *key_file, *key_env;
	} integrity;
	struct {
		bool enabled;
		enum config_key_source key_source;
		char *key_file, *key_env;
	} encryption;
};

struct config_sessions {
	char *base_dir;
	int64_t max_sessions;
	int64_t default_timeout, default_idle_timeout; /* 0: no limit */
	int64_t cleanup_interval;
	struct {
		bool enabled;
		char *storage_dir;
		int64_t max_per_session, max_size_mb;
		struct {
			bool enabled;
			char **triggers;
		} auto_checkpoint;
		struct {
			int64_t max_age, cleanup_interval;
		} retention;
	} checkpoints;
};

struct config_network {
	bool enabled;
	enum config_intercept intercept_mode;
	char *proxy_listen_addr;
	int64_t proxy_port, dns_port;
	struct {
		bool enabled;
		char *listen;   /* per-session listener: "addr:port" */
		char *upstream; /* NULL: resolv.conf's first nameserver */
	} dns;
	struct {
		bool enabled;
		char *ca_cert, *ca_key;
	} tls_inspection;
	struct {
		bool enabled;
		int64_t global_rpm, global_burst;
		struct config_rate_limit *per_domain;
		size_t n_per_domain;
	} rate_limits;
	struct {
		bool enabled;
		char *subnet_base; /* IPv4 CIDR */
	} transparent;
	struct {
		bool enabled, required, resolve_rdns, enforce;
		bool enforce_without_dns;
		int64_t map_allow_entries, map_deny_entries;
		int64_t map_lpm_entries, map_lpm_deny_entries;
		int64_t dns_refresh_seconds, dns_max_ttl_seconds;
	} ebpf;
};

struct config_seccomp {
	bool enabled;
	enum config_seccomp_mode mode;
	struct {
		bool enabled;
		enum config_unix_action action;
	} unix_socket;
	struct {
		enum config_default_action default_action;
		char **block, **allow;
		enum config_on_block on_block;
	} syscalls;
	struct {
		bool enabled;
		int64_t max_argc, max_argv_bytes;
		enum config_fail_mode on_truncated;
	} execve;
	struct {
		bool enabled, enforce_without_fuse, intercept_metadata;
		bool write_only_opens;
	} file_monitor;
	struct {
		bool enabled;
	} signal_filter;
	char **blocked_socket_families;
};

struct config_sandbox {
	bool enabled, allow_degraded;
	struct {
		int64_t max_memory_mb, max_cpu_percent, max_processes;
		int64_t max_disk_io_mbps, max_network_mbps;
	} limits;
	struct {
		bool enabled, deferred;
		char *deferred_marker_file, *mount_base_dir;
		struct {
			bool enabled;
			enum config_fuse_mode mode;
			char *trash_path; /* relative: under the workspace */
			int64_t ttl, quota;
			bool strict_on_audit_failure;
			int64_t max_event_queue, hash_small_files_under;
		} audit;
	} fuse;
	struct config_network network;
	struct {
		bool enabled;
		char *base_path;
	} cgroups;
	struct {
		bool enabled;
		char *wrapper_bin;
	} unix_sockets;
	struct config_seccomp seccomp;
	struct {
		bool enabled;
		struct {
			bool execve, file, network, signal;
		} trace;
		enum config_fail_mode on_attach_failure;
	} ptrace;
	struct config_strmap env_inject;
};

struct config_policies {
	char *dir;
	char *default_name; /* key "default" (legacy alias "default_policy") */
	char **allowed;
	char *manifest_path;
	struct {
		char **allow, **deny;
		int64_t max_bytes, max_keys; /* 0: no limit */
		bool block_iteration;
	} env_policy; /* legacy alias "env_rules" */
	char *env_shim_path;
	int64_t reload_interval; /* 0: never */
	bool detect_project_root;
	char **project_markers;
};

struct config_dlp {
	enum config_dlp_mode mode;
	struct {
		bool email, phone, credit_card, ssn, api_keys;
	} patterns;
	struct config_dlp_pattern *custom_patterns;
	size_t n_custom_patterns;
	char **rule_files; /* gitleaks-style TOML rule files, absolute paths */
};

struct config {
	struct {
		enum config_platform_mode mode;
		struct {
			bool enabled;
			char **order;
		} fallback;
		struct config_strmap mount_points;
	} platform;
	struct config_server server;
	struct config_auth auth;
	struct {
		enum config_log_level level;
		enum config_log_format format;
		char *output; /* stderr, stdout or a file path */
		struct config_rotation rotation;
	} logging;
	struct config_audit audit;
	struct config_sessions sessions;
	struct config_sandbox sandbox;
	struct {
		enum config_security_mode mode, minimum_mode;
		bool strict, warn_degraded;
	} security;
	struct {
		bool enabled;
		char **allow_execute, **allow_read, **allow_write;
		char **deny_paths;
		struct {
			bool allow_connect_tcp, allow_bind_tcp;
			int64_t *bind_ports;
			size_t n_bind_ports;
		} network;
	} landlock;
	struct config_policies policies;
	struct config_mount_profile *mount_profiles;
	size_t n_mount_profiles;
	struct {
		bool enabled;
		enum config_approval_mode mode;
		int64_t timeout;
		struct {
			char *rp_id, *rp_name;
			char **rp_origins;
			enum config_user_verification user_verification;
		} webauthn;
	} approvals;
	struct {
		bool enabled;
		char *path;
	} metrics;
	struct {
		char *path, *readiness_path;
	} health;
	struct {
		bool debug, disable_auth, disable_policy, verbose_errors;
		struct {
			bool enabled;
			char *addr;
		} pprof;
	} development;
	struct {
		enum config_proxy_mode mode;
		int64_t port; /* 0: pick a free port */
		struct config_strmap providers; /* anthropic, openai, extras */
	} proxy;
	struct config_dlp dlp;
	struct {
		bool store_bodies;
		struct {
			int64_t max_age_days, max_size_mb;
			enum config_eviction eviction;
		} retention;
	} llm_storage;
};

/* Built-in defaults, before any file or environment; NULL on ENOMEM. */
struct config *config_new_default(void);
void config_free(struct config *cfg);

/*
 * Load a config file: defaults, then the file (unknown keys are warnings,
 * wrong types/values errors), ${VAR} expansion from envp, then AGENTSH_*
 * overrides from envp, then validation. envp may be NULL (no environment).
 * On any error (or warning when d->warnings_as_errors) *out stays NULL and
 * -EINVAL is returned; every problem is in d with file:line:col.
 */
int config_load_file(const char *path, char **envp, struct config **out,
		     struct diag *d);
/* The same for bytes in memory; name is used as the file name in d. */
int config_load_buffer(const char *data, size_t len, const char *name,
		       char **envp, struct config **out, struct diag *d);
/* Defaults plus environment overrides, validated (no file at all). */
int config_load_defaults(char **envp, struct config **out, struct diag *d);

/*
 * Find the config file: $AGENTSH_CONFIG, then
 * ${XDG_CONFIG_HOME:-$HOME/.config}/agentsh/config.yaml|yml, then
 * /etc/agentsh/config.yaml|yml. 0 with the path in out, -ENOENT if none
 * exists, -ENAMETOOLONG if a candidate does not fit in n.
 */
int config_find_path(char **envp, char *out, size_t n);

/*
 * Render the config (secrets as "(set)"). The YAML form is a loadable
 * config file ('$' in values written as "$$"); the JSON form holds the raw
 * values. Durations and sizes are strings such as "5m" and "10MB".
 */
int config_dump_yaml(const struct config *cfg, struct buf *out);
int config_dump_json(const struct config *cfg, struct buf *out);

/* URL of an LLM provider (anthropic, openai, or an extra name), or NULL. */
const char *config_provider_url(const struct config *cfg, const char *name);
/* True when requests are not authenticated (auth none or disable_auth). */
bool config_auth_disabled(const struct config *cfg);
/* Canonical name of a security mode ("full", "landlock-only", ...). */
const char *config_security_mode_name(enum config_security_mode m);

/* Split "host:port" / "[v6]:port"; host may be empty. 0 or -EINVAL. */
int config_addr_split(const char *addr, char *host, size_t hostsz,
		      int *port);
/* True for 127.0.0.0/8, ::1 and "localhost" listen addresses. */
bool config_addr_is_loopback(const char *addr);

#endif
