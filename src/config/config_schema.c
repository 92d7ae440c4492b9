/*
 * The config schema, part 1: the top level, server, auth, logging, audit
 * and sessions. Every key, its type, bounds and default lives here once;
 * loading, validation, dumping and freeing are driven by these tables.
 */
#include <stddef.h>

#include "config/config_internal.h"

#define C struct config

static const struct config_enum_val config_en_auth[] = {
	{"none", CONFIG_AUTH_NONE, false},
	{"api_key", CONFIG_AUTH_API_KEY, false},
	{"oidc", CONFIG_AUTH_OIDC, false},
	{"hybrid", CONFIG_AUTH_HYBRID, false},
	{NULL, 0, false},
};

static const struct config_enum_val config_en_level[] = {
	{"debug", CONFIG_LOG_DEBUG, false},
	{"info", CONFIG_LOG_INFO, false},
	{"warn", CONFIG_LOG_WARN, false},
	{"warning", CONFIG_LOG_WARN, true},
	{"error", CONFIG_LOG_ERROR, false},
	{NULL, 0, false},
};

static const struct config_enum_val config_en_logfmt[] = {
	{"text", CONFIG_LOGFMT_TEXT, false},
	{"json", CONFIG_LOGFMT_JSON, false},
	{NULL, 0, false},
};

/* "json" is accepted: the audit file is always one JSON object a line. */
static const struct config_enum_val config_en_auditfmt[] = {
	{"jsonl", CONFIG_AUDITFMT_JSONL, false},
	{"json", CONFIG_AUDITFMT_JSONL, true},
	{NULL, 0, false},
};

static const struct config_enum_val config_en_hmac[] = {
	{"hmac-sha256", CONFIG_HMAC_SHA256, false},
	{"hmac-sha512", CONFIG_HMAC_SHA512, false},
	{NULL, 0, false},
};

static const struct config_enum_val config_en_keysrc[] = {
	{"file", CONFIG_KEYSRC_FILE, false},
	{"env", CONFIG_KEYSRC_ENV, false},
	{"aws_kms", CONFIG_KEYSRC_AWS_KMS, false},
	{"azure_keyvault", CONFIG_KEYSRC_AZURE_KEYVAULT, false},
	{"hashicorp_vault", CONFIG_KEYSRC_HASHICORP_VAULT, false},
	{"gcp_kms", CONFIG_KEYSRC_GCP_KMS, false},
	{NULL, 0, false},
};

/* server */

static const struct ydoc_alias config_sug_http[] = {
	{"address", "addr"}, {"listen", "addr"}, {"listen_addr", "addr"},
	{NULL, NULL},
};

static const struct config_field config_f_http[] = {
	CONFIG_FS(C, "addr", server.http.addr, "127.0.0.1:18080",
		  CONFIG_F_REQUIRED | CONFIG_F_ADDR),
	CONFIG_FD(C, "read_timeout", server.http.read_timeout, CONFIG_SEC(30)),
	CONFIG_FD(C, "write_timeout", server.http.write_timeout,
		  CONFIG_MIN(5)),
	CONFIG_FZ(C, "max_request_size", server.http.max_request_size,
		  CONFIG_MB(10)),
	CONFIG_FEND,
};
static const struct config_section config_sec_http = {
	config_f_http, config_sug_http, NULL, NULL,
};

static const struct config_field config_f_grpc[] = {
	CONFIG_FB(C, "enabled", server.grpc.enabled, false),
	CONFIG_FS(C, "addr", server.grpc.addr, "127.0.0.1:9090",
		  CONFIG_F_REQUIRED | CONFIG_F_ADDR),
	CONFIG_FEND,
};
static const struct config_section config_sec_grpc = {
	config_f_grpc, config_sug_http, NULL, NULL,
};

static const struct config_field config_f_usock[] = {
	CONFIG_FB(C, "enabled", server.unix_socket.enabled, false),
	CONFIG_FS(C, "path", server.unix_socket.path,
		  "/run/agentsh/agentsh.sock", CONFIG_F_REQUIRED),
	{.key = "permissions", .kind = CONFIG_K_MODE,
	 .off = offsetof(C, server.unix_socket.permissions), .def_i = 0666},
	CONFIG_FEND,
};
static const struct config_section config_sec_usock = {
	config_f_usock, NULL, NULL, NULL,
};

static const struct config_field config_f_tls[] = {
	CONFIG_FB(C, "enabled", server.tls.enabled, false),
	CONFIG_FS(C, "cert_file", server.tls.cert_file, NULL, 0),
	CONFIG_FS(C, "key_file", server.tls.key_file, NULL, 0),
	CONFIG_FS(C, "ca_file", server.tls.ca_file, NULL, 0),
	CONFIG_FEND,
};
static const struct config_section config_sec_tls = {
	config_f_tls, NULL, NULL, NULL,
};

static const struct config_field config_f_server[] = {
	CONFIG_FSEC("http", config_sec_http),
	CONFIG_FSEC("grpc", config_sec_grpc),
	CONFIG_FSEC("unix_socket", config_sec_usock),
	CONFIG_FSEC("tls", config_sec_tls),
	CONFIG_FEND,
};
static const struct config_section config_sec_server = {
	config_f_server, NULL, NULL, NULL,
};

/* auth */

static const struct config_field config_f_apikey[] = {
	CONFIG_FS(C, "keys_file", auth.api_key.keys_file, NULL, 0),
	CONFIG_FS(C, "header_name", auth.api_key.header_name, "X-API-Key",
		  CONFIG_F_REQUIRED),
	CONFIG_FEND,
};
static const struct config_section config_sec_apikey = {
	config_f_apikey, NULL, NULL, NULL,
};

static const struct config_field config_f_claims[] = {
	CONFIG_FS(C, "operator_id", auth.oidc.claim_mappings.operator_id,
		  "sub", 0),
	CONFIG_FS(C, "groups", auth.oidc.claim_mappings.groups, "groups", 0),
	CONFIG_FEND,
};
static const struct config_section config_sec_claims = {
	config_f_claims, NULL, NULL, NULL,
};

static const struct config_field config_f_oidc[] = {
	CONFIG_FS(C, "issuer", auth.oidc.issuer, NULL, CONFIG_F_URL),
	CONFIG_FS(C, "client_id", auth.oidc.client_id, NULL, 0),
	CONFIG_FS(C, "client_secret", auth.oidc.client_secret, NULL,
		  CONFIG_F_SECRET),
	CONFIG_FS(C, "audience", auth.oidc.audience, NULL, 0),
	CONFIG_FD(C, "jwks_cache_ttl", auth.oidc.jwks_cache_ttl,
		  CONFIG_HOUR(1)),
	CONFIG_FSEC("claim_mappings", config_sec_claims),
	CONFIG_FL(C, "allowed_groups", auth.oidc.allowed_groups, NULL),
	CONFIG_FM(C, "group_policy_map", auth.oidc.group_policy_map, NULL, 0),
	CONFIG_FM(C, "group_role_map", auth.oidc.group_role_map, NULL, 0),
	CONFIG_FEND,
};
static const struct config_section config_sec_oidc = {
	config_f_oidc, NULL, NULL, NULL,
};

static const struct ydoc_alias config_sug_auth[] = {
	{"mode", "type"}, {"apikey", "api_key"}, {NULL, NULL},
};

static const struct config_field config_f_auth[] = {
	CONFIG_FE(C, "type", auth.type, config_en_auth, CONFIG_AUTH_NONE),
	CONFIG_FSEC("api_key", config_sec_apikey),
	CONFIG_FSEC("oidc", config_sec_oidc),
	CONFIG_FEND,
};
static const struct config_section config_sec_auth = {
	config_f_auth, config_sug_auth, NULL, NULL,
};

/* logging */

static const struct config_field config_f_logrot[] = {
	CONFIG_FI(C, "max_size_mb", logging.rotation.max_size_mb, 0, 1000000,
		  100),
	CONFIG_FI(C, "max_age_days", logging.rotation.max_age_days, 0, 36500,
		  30),
	CONFIG_FI(C, "max_backups", logging.rotation.max_backups, 0, 100000,
		  5),
	CONFIG_FB(C, "compress", logging.rotation.compress, false),
	CONFIG_FEND,
};
static const struct config_section config_sec_logrot = {
	config_f_logrot, NULL, NULL, NULL,
};

static const struct ydoc_alias config_sug_logging[] = {
	{"file", "output"}, {"path", "output"}, {NULL, NULL},
};

static const struct config_field config_f_logging[] = {
	CONFIG_FE(C, "level", logging.level, config_en_level, CONFIG_LOG_INFO),
	CONFIG_FE(C, "format", logging.format, config_en_logfmt,
		  CONFIG_LOGFMT_TEXT),
	CONFIG_FS(C, "output", logging.output, "stderr", CONFIG_F_REQUIRED),
	CONFIG_FSEC("rotation", config_sec_logrot),
	CONFIG_FEND,
};
static const struct config_section config_sec_logging = {
	config_f_logging, config_sug_logging, NULL, NULL,
};

/* audit */

static const struct config_field config_f_auditrot[] = {
	CONFIG_FI(C, "max_size_mb", audit.rotation.max_size_mb, 0, 1000000,
		  500),
	CONFIG_FI(C, "max_age_days", audit.rotation.max_age_days, 0, 36500,
		  0),
	CONFIG_FI(C, "max_backups", audit.rotation.max_backups, 0, 100000, 10),
	CONFIG_FB(C, "compress", audit.rotation.compress, false),
	CONFIG_FEND,
};
static const struct config_section config_sec_auditrot = {
	config_f_auditrot, NULL, NULL, NULL,
};

static const struct config_field config_f_storage[] = {
	CONFIG_FS(C, "sqlite_path", audit.storage.sqlite_path,
		  "/var/lib/agentsh/events.db", CONFIG_F_REQUIRED),
	CONFIG_FEND,
};
static const struct config_section config_sec_storage = {
	config_f_storage, NULL, NULL, NULL,
};

static const struct config_field config_f_retention[] = {
	CONFIG_FI(C, "max_age_days", audit.retention.max_age_days, 0, 36500,
		  0),
	CONFIG_FEND,
};
static const struct config_section config_sec_retention = {
	config_f_retention, NULL, NULL, NULL,
};

static const struct config_field config_f_webhook[] = {
	CONFIG_FS(C, "url", audit.webhook.url, NULL,
		  CONFIG_F_URL | CONFIG_F_HIDEPATH),
	CONFIG_FI(C, "batch_size", audit.webhook.batch_size, 1, 100000, 100),
	CONFIG_FD(C, "flush_interval", audit.webhook.flush_interval,
		  CONFIG_SEC(10)),
	CONFIG_FD(C, "timeout", audit.webhook.timeout, CONFIG_SEC(5)),
	CONFIG_FM(C, "headers", audit.webhook.headers, NULL, CONFIG_F_SECRET),
	CONFIG_FEND,
};
static const struct config_section config_sec_webhook = {
	config_f_webhook, NULL, NULL, NULL,
};

static const struct config_field config_f_integrity[] = {
	CONFIG_FB(C, "enabled", audit.integrity.enabled, false),
	CONFIG_FE(C, "algorithm", audit.integrity.algorithm, config_en_hmac,
		  CONFIG_HMAC_SHA256),
	CONFIG_FE(C, "key_source", audit.integrity.key_source,
		  config_en_keysrc, CONFIG_KEYSRC_FILE),
	CONFIG_FS(C, "key_file", audit.integrity.key_file, NULL, 0),
	CONFIG_FS(C, "key_env", audit.integrity.key_env, NULL, 0),
	CONFIG_FEND,
};
static const struct config_section config_sec_integrity = {
	config_f_integrity, NULL, NULL, NULL,
};

static const struct config_field config_f_encryption[] = {
	CONFIG_FB(C, "enabled", audit.encryption.enabled, false),
	CONFIG_FE(C, "key_source", audit.encryption.key_source,
		  config_en_keysrc, CONFIG_KEYSRC_FILE),
	CONFIG_FS(C, "key_file", audit.encryption.key_file, NULL, 0),
	CONFIG_FS(C, "key_env", audit.encryption.key_env, NULL, 0),
	CONFIG_FEND,
};
static const struct config_section config_sec_encryption = {
	config_f_encryption, NULL, NULL, NULL,
};

static const struct config_field config_f_audit[] = {
	CONFIG_FB(C, "enabled", audit.enabled, true),
	CONFIG_FS(C, "output", audit.output, NULL, 0),
	CONFIG_FE(C, "format", audit.format, config_en_auditfmt,
		  CONFIG_AUDITFMT_JSONL),
	CONFIG_FSEC("rotation", config_sec_auditrot),
	CONFIG_FSEC("storage", config_sec_storage),
	CONFIG_FSEC("retention", config_sec_retention),
	CONFIG_FSEC("webhook", config_sec_webhook),
	CONFIG_FSEC("integrity", config_sec_integrity),
	CONFIG_FSEC("encryption", config_sec_encryption),
	CONFIG_FEND,
};
static const struct config_section config_sec_audit = {
	config_f_audit, NULL, config_check_audit, NULL,
};

/* sessions */

static const struct config_field config_f_autocp[] = {
	CONFIG_FB(C, "enabled", sessions.checkpoints.auto_checkpoint.enabled,
		  false),
	CONFIG_FL(C, "triggers", sessions.checkpoints.auto_checkpoint.triggers,
		  NULL),
	CONFIG_FEND,
};
static const struct config_section config_sec_autocp = {
	config_f_autocp, NULL, NULL, NULL,
};

static const struct config_field config_f_cpret[] = {
	CONFIG_FD(C, "max_age", sessions.checkpoints.retention.max_age,
		  CONFIG_DAY(7)),
	CONFIG_FD(C, "cleanup_interval",
		  sessions.checkpoints.retention.cleanup_interval,
		  CONFIG_HOUR(1)),
	CONFIG_FEND,
};
static const struct config_section config_sec_cpret = {
	config_f_cpret, NULL, NULL, NULL,
};

static const struct config_field config_f_checkpoints[] = {
	CONFIG_FB(C, "enabled", sessions.checkpoints.enabled, false),
	CONFIG_FS(C, "storage_dir", sessions.checkpoints.storage_dir, NULL, 0),
	CONFIG_FI(C, "max_per_session", sessions.checkpoints.max_per_session,
		  0, 1000000, 10),
	CONFIG_FI(C, "max_size_mb", sessions.checkpoints.max_size_mb, 0,
		  100000000, 100),
	CONFIG_FSEC("auto_checkpoint", config_sec_autocp),
	CONFIG_FSEC("retention", config_sec_cpret),
	CONFIG_FEND,
};
static const struct config_section config_sec_checkpoints = {
	config_f_checkpoints, NULL, NULL, NULL,
};

static const struct config_field config_f_sessions[] = {
	CONFIG_FS(C, "base_dir", sessions.base_dir,
		  "/var/lib/agentsh/sessions", CONFIG_F_REQUIRED),
	CONFIG_FI(C, "max_sessions", sessions.max_sessions, 1, 1000000, 100),
	CONFIG_FD(C, "default_timeout", sessions.default_timeout, 0),
	CONFIG_FD(C, "default_idle_timeout", sessions.default_idle_timeout,
		  CONFIG_MIN(30)),
	CONFIG_FD(C, "cleanup_interval", sessions.cleanup_interval,
		  CONFIG_MIN(1)),
	CONFIG_FSEC("checkpoints", config_sec_checkpoints),
	CONFIG_FEND,
};
static const struct config_section config_sec_sessions = {
	config_f_sessions, NULL, NULL, NULL,
};

/* top level */

static const struct ydoc_alias config_sug_root[] = {
	{"approval", "approvals"}, {"policy", "policies"},
	{"session", "sessions"}, {"log", "logging"}, {"llm_proxy", "proxy"},
	{NULL, NULL},
};

static const struct config_field config_f_root[] = {
	CONFIG_FSEC("platform", config_sec_platform),
	CONFIG_FSEC("server", config_sec_server),
	CONFIG_FSEC("auth", config_sec_auth),
	CONFIG_FSEC("logging", config_sec_logging),
	CONFIG_FSEC("audit", config_sec_audit),
	CONFIG_FSEC("sessions", config_sec_sessions),
	CONFIG_FSEC("sandbox", config_sec_sandbox),
	CONFIG_FSEC("security", config_sec_security),
	CONFIG_FSEC("landlock", config_sec_landlock),
	CONFIG_FSEC("policies", config_sec_policies),
	{.key = "mount_profiles", .kind = CONFIG_K_NAMED,
	 .off = offsetof(C, mount_profiles),
	 .count_off = offsetof(C, n_mount_profiles),
	 .item_size = sizeof(struct config_mount_profile),
	 .sub = &config_sec_mount_profile},
	CONFIG_FSEC("approvals", config_sec_approvals),
	CONFIG_FSEC("metrics", config_sec_metrics),
	CONFIG_FSEC("health", config_sec_health),
	CONFIG_FSEC("development", config_sec_development),
	CONFIG_FSEC("proxy", config_sec_proxy),
	CONFIG_FSEC("dlp", config_sec_dlp),
	CONFIG_FSEC("llm_storage", config_sec_llm_storage),
	CONFIG_FEND,
};
const struct config_section config_sec_root = {
	config_f_root, config_sug_root, config_check_root, NULL,
};
