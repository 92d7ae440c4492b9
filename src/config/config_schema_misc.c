/*
 * The config schema, part 3: security modes, Landlock, policies, mount
 * profiles, approvals, probes, development, the LLM proxy, DLP, LLM
 * storage and platform.
 */
#include <stddef.h>

#include "config/config_internal.h"

#define C struct config

/* Names from the upstream security-modes document (v0.8+). */
static const struct config_enum_val config_en_secmode[] = {
	{"auto", CONFIG_SECMODE_AUTO, false},
	{"full", CONFIG_SECMODE_FULL, false},
	{"ptrace", CONFIG_SECMODE_PTRACE, false},
	{"landlock", CONFIG_SECMODE_LANDLOCK, false},
	{"landlock-only", CONFIG_SECMODE_LANDLOCK_ONLY, false},
	{"minimal", CONFIG_SECMODE_MINIMAL, false},
	{NULL, 0, false},
};

static const struct config_enum_val config_en_minmode[] = {
	{"none", CONFIG_SECMODE_AUTO, false},
	{"full", CONFIG_SECMODE_FULL, false},
	{"ptrace", CONFIG_SECMODE_PTRACE, false},
	{"landlock", CONFIG_SECMODE_LANDLOCK, false},
	{"landlock-only", CONFIG_SECMODE_LANDLOCK_ONLY, false},
	{"minimal", CONFIG_SECMODE_MINIMAL, false},
	{NULL, 0, false},
};

/* "async"/"sync" (shipped in packaged configs) are reported separately. */
static const struct config_enum_val config_en_approval[] = {
	{"local_tty", CONFIG_APPROVAL_LOCAL_TTY, false},
	{"api", CONFIG_APPROVAL_API, false},
	{"totp", CONFIG_APPROVAL_TOTP, false},
	{"webauthn", CONFIG_APPROVAL_WEBAUTHN, false},
	{"async", CONFIG_APPROVAL_API, true},
	{"sync", CONFIG_APPROVAL_API, true},
	{NULL, 0, false},
};

static const struct config_enum_val config_en_uv[] = {
	{"preferred", CONFIG_UV_PREFERRED, false},
	{"required", CONFIG_UV_REQUIRED, false},
	{"discouraged", CONFIG_UV_DISCOURAGED, false},
	{NULL, 0, false},
};

static const struct config_enum_val config_en_proxy[] = {
	{"embedded", CONFIG_PROXY_EMBEDDED, false},
	{"disabled", CONFIG_PROXY_DISABLED, false},
	{NULL, 0, false},
};

static const struct config_enum_val config_en_dlp[] = {
	{"redact", CONFIG_DLP_REDACT, false},
	{"tokenize", CONFIG_DLP_TOKENIZE, false},
	{"disabled", CONFIG_DLP_DISABLED, false},
	{NULL, 0, false},
};

static const struct config_enum_val config_en_evict[] = {
	{"oldest_first", CONFIG_EVICT_OLDEST_FIRST, false},
	{"largest_first", CONFIG_EVICT_LARGEST_FIRST, false},
	{NULL, 0, false},
};

static const struct config_enum_val config_en_platform[] = {
	{"auto", CONFIG_PLATFORM_AUTO, false},
	{"linux", CONFIG_PLATFORM_LINUX, false},
	{"darwin", CONFIG_PLATFORM_DARWIN, false},
	{"darwin-lima", CONFIG_PLATFORM_DARWIN_LIMA, false},
	{"windows", CONFIG_PLATFORM_WINDOWS, false},
	{"windows-wsl2", CONFIG_PLATFORM_WINDOWS_WSL2, false},
	{NULL, 0, false},
};

const char *config_security_mode_name(enum config_security_mode m)
{
	return config_enum_str(config_en_secmode, (int)m);
}

static const struct config_field config_f_security[] = {
	CONFIG_FE(C, "mode", security.mode, config_en_secmode,
		  CONFIG_SECMODE_AUTO),
	CONFIG_FB(C, "strict", security.strict, false),
	CONFIG_FE(C, "minimum_mode", security.minimum_mode, config_en_minmode,
		  CONFIG_SECMODE_AUTO),
	CONFIG_FB(C, "warn_degraded", security.warn_degraded, true),
	CONFIG_FEND,
};
const struct config_section config_sec_security = {
	config_f_security, NULL, NULL, NULL,
};

static const struct config_field config_f_llnet[] = {
	CONFIG_FB(C, "allow_connect_tcp", landlock.network.allow_connect_tcp,
		  true),
	CONFIG_FB(C, "allow_bind_tcp", landlock.network.allow_bind_tcp, true),
	{.key = "bind_ports", .kind = CONFIG_K_INTLIST,
	 .off = offsetof(C, landlock.network.bind_ports),
	 .count_off = offsetof(C, landlock.network.n_bind_ports),
	 .min = 0, .max = 65535},
	CONFIG_FEND,
};
static const struct config_section config_sec_llnet = {
	config_f_llnet, NULL, NULL, NULL,
};

static const struct config_field config_f_landlock[] = {
	CONFIG_FB(C, "enabled", landlock.enabled, false),
	CONFIG_FL(C, "allow_execute", landlock.allow_execute, NULL),
	CONFIG_FL(C, "allow_read", landlock.allow_read, NULL),
	CONFIG_FL(C, "allow_write", landlock.allow_write, NULL),
	CONFIG_FL(C, "deny_paths", landlock.deny_paths, NULL),
	CONFIG_FSEC("network", config_sec_llnet),
	CONFIG_FEND,
};
const struct config_section config_sec_landlock = {
	config_f_landlock, NULL, NULL, NULL,
};

static const struct config_field config_f_envpol[] = {
	CONFIG_FL(C, "allow", policies.env_policy.allow, NULL),
	CONFIG_FL(C, "deny", policies.env_policy.deny, NULL),
	CONFIG_FI(C, "max_bytes", policies.env_policy.max_bytes, 0, 1 << 30, 0),
	CONFIG_FI(C, "max_keys", policies.env_policy.max_keys, 0, 1000000, 0),
	CONFIG_FB(C, "block_iteration", policies.env_policy.block_iteration,
		  false),
	CONFIG_FEND,
};
static const struct config_section config_sec_envpol = {
	config_f_envpol, NULL, NULL, NULL,
};

static const char *const config_def_markers[] = {
	".git", "go.mod", "package.json", "Cargo.toml", "pyproject.toml", NULL,
};

static const struct config_field config_f_policies[] = {
	CONFIG_FS(C, "dir", policies.dir, "/etc/agentsh/policies",
		  CONFIG_F_REQUIRED),
	CONFIG_FS(C, "default", policies.default_name, "default",
		  CONFIG_F_REQUIRED | CONFIG_F_POLICY),
	CONFIG_FALIAS("default_policy", "default"),
	{.key = "allowed", .kind = CONFIG_K_LIST, .flags = CONFIG_F_POLICY,
	 .off = offsetof(C, policies.allowed)},
	CONFIG_FS(C, "manifest_path", policies.manifest_path, NULL, 0),
	CONFIG_FSEC("env_policy", config_sec_envpol),
	CONFIG_FALIAS("env_rules", "env_policy"),
	CONFIG_FS(C, "env_shim_path", policies.env_shim_path, NULL, 0),
	CONFIG_FD(C, "reload_interval", policies.reload_interval, 0),
	CONFIG_FB(C, "detect_project_root", policies.detect_project_root,
		  true),
	CONFIG_FL(C, "project_markers", policies.project_markers,
		  config_def_markers),
	CONFIG_FEND,
};
const struct config_section config_sec_policies = {
	config_f_policies, NULL, NULL, NULL,
};

#define M struct config_mount
static const struct config_field config_f_mount[] = {
	CONFIG_FS(M, "path", path, NULL, CONFIG_F_REQUIRED),
	CONFIG_FS(M, "policy", policy, NULL,
		  CONFIG_F_REQUIRED | CONFIG_F_POLICY),
	CONFIG_FEND,
};
#undef M
static const struct config_section config_sec_mount = {
	config_f_mount, NULL, config_check_mount, NULL,
};

#define P struct config_mount_profile
static const struct config_field config_f_profile[] = {
	CONFIG_FS(P, "base_policy", base_policy, NULL, CONFIG_F_POLICY),
	{.key = "mounts", .kind = CONFIG_K_ITEMS, .off = offsetof(P, mounts),
	 .count_off = offsetof(P, n_mounts),
	 .item_size = sizeof(struct config_mount), .sub = &config_sec_mount},
	CONFIG_FEND,
};
#undef P
const struct config_section config_sec_mount_profile = {
	config_f_profile, NULL, NULL, NULL,
};

static const struct config_field config_f_webauthn[] = {
	CONFIG_FS(C, "rp_id", approvals.webauthn.rp_id, NULL, 0),
	CONFIG_FS(C, "rp_name", approvals.webauthn.rp_name, "agentsh", 0),
	CONFIG_FL(C, "rp_origins", approvals.webauthn.rp_origins, NULL),
	CONFIG_FE(C, "user_verification", approvals.webauthn.user_verification,
		  config_en_uv, CONFIG_UV_PREFERRED),
	CONFIG_FEND,
};
static const struct config_section config_sec_webauthn = {
	config_f_webauthn, NULL, NULL, NULL,
};

static const struct config_field config_f_approvals[] = {
	CONFIG_FB(C, "enabled", approvals.enabled, false),
	CONFIG_FE(C, "mode", approvals.mode, config_en_approval,
		  CONFIG_APPROVAL_LOCAL_TTY),
	CONFIG_FD(C, "timeout", approvals.timeout, CONFIG_MIN(5)),
	CONFIG_FSEC("webauthn", config_sec_webauthn),
	CONFIG_FEND,
};
const struct config_section config_sec_approvals = {
	config_f_approvals, NULL, config_check_approvals, NULL,
};

static const struct config_field config_f_metrics[] = {
	CONFIG_FB(C, "enabled", metrics.enabled, false),
	CONFIG_FS(C, "path", metrics.path, "/metrics",
		  CONFIG_F_REQUIRED | CONFIG_F_HTTPPATH),
	CONFIG_FEND,
};
const struct config_section config_sec_metrics = {
	config_f_metrics, NULL, NULL, NULL,
};

static const struct config_field config_f_health[] = {
	CONFIG_FS(C, "path", health.path, "/health",
		  CONFIG_F_REQUIRED | CONFIG_F_HTTPPATH),
	CONFIG_FS(C, "readiness_path", health.readiness_path, "/ready",
		  CONFIG_F_REQUIRED | CONFIG_F_HTTPPATH),
	CONFIG_FEND,
};
const struct config_section config_sec_health = {
	config_f_health, NULL, NULL, NULL,
};

static const struct config_field config_f_pprof[] = {
	CONFIG_FB(C, "enabled", development.pprof.enabled, false),
	CONFIG_FS(C, "addr", development.pprof.addr, "localhost:6060",
		  CONFIG_F_REQUIRED | CONFIG_F_ADDR),
	CONFIG_FEND,
};
static const struct config_section config_sec_pprof = {
	config_f_pprof, NULL, NULL, NULL,
};

static const struct config_field config_f_dev[] = {
	CONFIG_FB(C, "debug", development.debug, false),
	CONFIG_FB(C, "disable_auth", development.disable_auth, false),
	CONFIG_FB(C, "disable_policy", development.disable_policy, false),
	CONFIG_FB(C, "verbose_errors", development.verbose_errors, false),
	CONFIG_FSEC("pprof", config_sec_pprof),
	CONFIG_FEND,
};
const struct config_section config_sec_development = {
	config_f_dev, NULL, config_check_development, NULL,
};

static const char *const config_def_providers[] = {
	"anthropic", "https://api.anthropic.com",
	"openai", "https://api.openai.com",
	NULL,
};

static const struct config_field config_f_proxy[] = {
	CONFIG_FE(C, "mode", proxy.mode, config_en_proxy,
		  CONFIG_PROXY_EMBEDDED),
	CONFIG_FI(C, "port", proxy.port, 0, 65535, 0),
	CONFIG_FM(C, "providers", proxy.providers, config_def_providers,
		  CONFIG_F_URL),
	CONFIG_FEND,
};
const struct config_section config_sec_proxy = {
	config_f_proxy, NULL, NULL, NULL,
};

static const struct config_field config_f_dlpflags[] = {
	CONFIG_FB(C, "email", dlp.patterns.email, true),
	CONFIG_FB(C, "phone", dlp.patterns.phone, true),
	CONFIG_FB(C, "credit_card", dlp.patterns.credit_card, true),
	CONFIG_FB(C, "ssn", dlp.patterns.ssn, true),
	CONFIG_FB(C, "api_keys", dlp.patterns.api_keys, true),
	CONFIG_FEND,
};
static const struct config_section config_sec_dlpflags = {
	config_f_dlpflags, NULL, NULL, NULL,
};

#define D struct config_dlp_pattern
static const struct config_field config_f_pattern[] = {
	CONFIG_FS(D, "name", name, NULL, CONFIG_F_REQUIRED),
	CONFIG_FS(D, "display", display, NULL, 0),
	CONFIG_FS(D, "regex", regex, NULL, CONFIG_F_REQUIRED | CONFIG_F_RAW),
	CONFIG_FEND,
};
#undef D
static const struct config_section config_sec_pattern = {
	config_f_pattern, NULL, config_check_pattern, config_pattern_release,
};

static const struct ydoc_alias config_sug_dlp[] = {
	{"custom", "custom_patterns"}, {"builtin", "patterns"}, {NULL, NULL},
};

static const struct config_field config_f_dlp[] = {
	CONFIG_FE(C, "mode", dlp.mode, config_en_dlp, CONFIG_DLP_REDACT),
	CONFIG_FSEC("patterns", config_sec_dlpflags),
	{.key = "custom_patterns", .kind = CONFIG_K_ITEMS,
	 .off = offsetof(C, dlp.custom_patterns),
	 .count_off = offsetof(C, dlp.n_custom_patterns),
	 .item_size = sizeof(struct config_dlp_pattern),
	 .sub = &config_sec_pattern},
	CONFIG_FL(C, "rule_files", dlp.rule_files, NULL),
	CONFIG_FEND,
};
const struct config_section config_sec_dlp = {
	config_f_dlp, config_sug_dlp, config_check_dlp, NULL,
};

static const struct config_field config_f_llmret[] = {
	CONFIG_FI(C, "max_age_days", llm_storage.retention.max_age_days, 0,
		  36500, 30),
	CONFIG_FI(C, "max_size_mb", llm_storage.retention.max_size_mb, 0,
		  100000000, 500),
	CONFIG_FE(C, "eviction", llm_storage.retention.eviction,
		  config_en_evict, CONFIG_EVICT_OLDEST_FIRST),
	CONFIG_FEND,
};
static const struct config_section config_sec_llmret = {
	config_f_llmret, NULL, NULL, NULL,
};

static const struct config_field config_f_llm[] = {
	CONFIG_FB(C, "store_bodies", llm_storage.store_bodies, false),
	CONFIG_FSEC("retention", config_sec_llmret),
	CONFIG_FEND,
};
const struct config_section config_sec_llm_storage = {
	config_f_llm, NULL, NULL, NULL,
};

static const struct config_field config_f_fallback[] = {
	CONFIG_FB(C, "enabled", platform.fallback.enabled, false),
	CONFIG_FL(C, "order", platform.fallback.order, NULL),
	CONFIG_FEND,
};
static const struct config_section config_sec_fallback = {
	config_f_fallback, NULL, NULL, NULL,
};

static const struct config_field config_f_platform[] = {
	CONFIG_FE(C, "mode", platform.mode, config_en_platform,
		  CONFIG_PLATFORM_AUTO),
	CONFIG_FSEC("fallback", config_sec_fallback),
	CONFIG_FM(C, "mount_points", platform.mount_points, NULL, 0),
	CONFIG_FEND,
};
const struct config_section config_sec_platform = {
	config_f_platform, NULL, config_check_platform, NULL,
};
