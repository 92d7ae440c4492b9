/*
 * Section hooks named in the schema: DLP pattern compilation, approvals,
 * audit keys, network, mounts, platform and development switches. They run
 * after environment overrides, once every value is final.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <errno.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>

#include "common/str.h"
#include "config/config_internal.h"

#define CONFIG_REGEX_MAX 4096 /* bytes of one custom pattern */

void config_pattern_release(void *obj)
{
	struct config_dlp_pattern *p = obj;

	pcre2_code_free(p->code);
	p->code = NULL;
}

/* Compile with PCRE2; a bad regex is an error naming pattern and offset. */
static void config_compile(struct config_ctx *c, const struct ydoc_node *n,
			   struct config_dlp_pattern *p, const char *where)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off = 0;
	int err = 0;

	if (strlen(p->regex) > CONFIG_REGEX_MAX) {
		config_report(c, n, NULL, DIAG_ERROR, "bad-regex",
			      "%s.regex: custom pattern '%s' is longer than %d "
			      "bytes", where, p->name, CONFIG_REGEX_MAX);
		return;
	}
	pcre2_code_free(p->code);
	p->code = pcre2_compile((PCRE2_SPTR)p->regex, PCRE2_ZERO_TERMINATED,
				PCRE2_UTF | PCRE2_MATCH_INVALID_UTF |
					PCRE2_NEVER_BACKSLASH_C,
				&err, &off, NULL);
	if (p->code != NULL)
		return;
	if (pcre2_get_error_message(err, msg, sizeof(msg)) < 0)
		str_lcpy((char *)msg, "unknown error", sizeof(msg));
	config_report(c, n, NULL, DIAG_ERROR, "bad-regex",
		      "%s.regex: invalid regular expression in custom pattern "
		      "'%s' at offset %zu: %s", where, p->name, (size_t)off,
		      (const char *)msg);
}

int config_check_pattern(struct config_ctx *c, const struct ydoc_node *map,
			 void *obj, const char *where)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
				 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
	struct config_dlp_pattern *p = obj;

	if (p->name == NULL || p->regex == NULL)
		return 0; /* reported as empty */
	if (strspn(p->name, ok) != strlen(p->name))
		config_report(c, ydoc_map_get(map, "name"), NULL, DIAG_WARNING,
			      "odd-name", "%s.name '%s' should use only "
			      "letters, digits, '_', '.' and '-'", where,
			      p->name);
	if (p->display == NULL && (p->display = strdup(p->name)) == NULL)
		return -ENOMEM;
	for (const char *s = p->display; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == ']') {
			config_report(c, ydoc_map_get(map, "display"), NULL,
				      DIAG_ERROR, "bad-display",
				      "%s.display must not contain ']' or "
				      "control characters", where);
			break;
		}
	}
	config_compile(c, ydoc_map_get(map, "regex"), p, where);
	return 0;
}

/* The node of dlp.custom_patterns[i].name, if the file has one. */
static const struct ydoc_node *config_name_node(const struct ydoc_node *seq,
						size_t i)
{
	if (seq == NULL || seq->kind != YDOC_SEQ || i >= seq->n)
		return NULL;
	return ydoc_map_get(seq->items[i], "name");
}

static void config_check_dups(struct config_ctx *c,
			      const struct config_dlp *dlp,
			      const struct ydoc_node *seq)
{
	static const char *const builtin[] = {
		"email", "phone", "credit_card", "ssn", "api_key", NULL,
	};

	for (size_t i = 0; i < dlp->n_custom_patterns; i++) {
		const char *name = dlp->custom_patterns[i].name;
		const struct ydoc_node *n = config_name_node(seq, i);

		for (size_t j = 0; name != NULL && j < i; j++) {
			const char *o = dlp->custom_patterns[j].name;
			const struct ydoc_node *on = config_name_node(seq, j);

			if (o == NULL || strcmp(o, name) != 0)
				continue;
			config_report(c, n, NULL, DIAG_ERROR, "duplicate-name",
				      "duplicate custom pattern name '%s' in "
				      "dlp.custom_patterns[%zu] (first used by "
				      "dlp.custom_patterns[%zu], line %d)",
				      name, i, j, on ? on->line : 0);
			break;
		}
		for (size_t j = 0; name != NULL && builtin[j]; j++) {
			if (strcmp(builtin[j], name) != 0)
				continue;
			config_report(c, n, NULL, DIAG_WARNING,
				      "shadowed-name", "custom pattern name "
				      "'%s' is also a built-in pattern name; "
				      "reports cannot tell them apart", name);
		}
	}
}

/* dlp.rule_files are read by the daemon, whose working directory is not
 * the config's: only absolute paths. */
static void config_check_rule_files(struct config_ctx *c,
				    const struct config_dlp *dlp,
				    const struct ydoc_node *seq)
{
	for (size_t i = 0; dlp->rule_files && dlp->rule_files[i]; i++) {
		const struct ydoc_node *n = seq;

		if (seq != NULL && seq->kind == YDOC_SEQ && i < seq->n)
			n = seq->items[i];
		if (dlp->rule_files[i][0] != '/')
			config_report(c, n, NULL, DIAG_ERROR, "dlp-rule-file",
				      "dlp.rule_files[%zu]: \"%s\" is not an "
				      "absolute path", i, dlp->rule_files[i]);
	}
}

int config_check_dlp(struct config_ctx *c, const struct ydoc_node *map,
		     void *obj, const char *where)
{
	const struct config_dlp *dlp = &((struct config *)obj)->dlp;

	config_check_dups(c, dlp, ydoc_map_get(map, "custom_patterns"));
	config_check_rule_files(c, dlp, ydoc_map_get(map, "rule_files"));
	if (dlp->mode != CONFIG_DLP_DISABLED && !dlp->patterns.email &&
	    !dlp->patterns.phone && !dlp->patterns.credit_card &&
	    !dlp->patterns.ssn && !dlp->patterns.api_keys &&
	    dlp->n_custom_patterns == 0)
		config_report(c, ydoc_map_get(map, "patterns"), NULL,
			      DIAG_WARNING, "dlp-empty",
			      "every DLP pattern is disabled, so DLP redacts "
			      "nothing (upstream agentsh re-enabled all five "
			      "built-ins here); use dlp.mode: disabled to say "
			      "so");
	return 0;
}

int config_check_approvals(struct config_ctx *c,
			   const struct ydoc_node *map, void *obj,
			   const char *where)
{
	const struct config *cfg = obj;
	const struct ydoc_node *m = ydoc_map_get(map, "mode");

	if (m != NULL && m->kind == YDOC_SCALAR &&
	    (strcasecmp(m->str, "async") == 0 ||
	     strcasecmp(m->str, "sync") == 0))
		config_report(c, m, NULL, DIAG_WARNING,
			      "unknown-approvals-mode",
			      "unknown approvals mode '%s' (expected one of: "
			      "local_tty, api, totp, webauthn); treated as "
			      "'api'%s", m->str,
			      cfg->approvals.enabled ? "" :
			      "; approvals are disabled (approvals.enabled is "
			      "false), so this has no effect");
	if (cfg->approvals.enabled &&
	    cfg->approvals.mode == CONFIG_APPROVAL_API &&
	    config_auth_disabled(cfg))
		config_report(c, m, NULL, DIAG_ERROR, "approvals-need-auth",
			      "approvals.mode api needs authentication: "
			      "without it nobody may resolve an approval, so "
			      "every request would wait out approvals.timeout "
			      "and be denied");
	if (cfg->approvals.enabled &&
	    cfg->approvals.mode == CONFIG_APPROVAL_WEBAUTHN &&
	    cfg->approvals.webauthn.rp_id == NULL)
		config_report(c, m, NULL, DIAG_ERROR, "missing-key",
			      "approvals.mode webauthn needs "
			      "approvals.webauthn.rp_id");
	return 0;
}

static void config_check_key(struct config_ctx *c,
			     const struct ydoc_node *map, const char *name,
			     bool enabled, enum config_key_source src,
			     const char *file, const char *env)
{
	const struct ydoc_node *n = ydoc_map_get(map, name);
	const struct ydoc_node *ks = ydoc_map_get(n, "key_source");

	if (!enabled)
		return;
	if (src != CONFIG_KEYSRC_FILE && src != CONFIG_KEYSRC_ENV)
		config_report(c, ks ? ks : n, NULL, DIAG_ERROR, "unsupported",
			      "audit.%s.key_source: only 'file' and 'env' are "
			      "supported by this build", name);
	else if (src == CONFIG_KEYSRC_FILE && file == NULL)
		config_report(c, n, NULL, DIAG_ERROR, "missing-key",
			      "audit.%s is enabled with key_source file but "
			      "has no key_file", name);
	else if (src == CONFIG_KEYSRC_ENV && env == NULL)
		config_report(c, n, NULL, DIAG_ERROR, "missing-key",
			      "audit.%s is enabled with key_source env but "
			      "has no key_env", name);
}

int config_check_audit(struct config_ctx *c, const struct ydoc_node *map,
		       void *obj, const char *where)
{
	const struct config_audit *a = &((struct config *)obj)->audit;

	config_check_key(c, map, "integrity", a->integrity.enabled,
			 a->integrity.key_source, a->integrity.key_file,
			 a->integrity.key_env);
	config_check_key(c, map, "encryption", a->encryption.enabled,
			 a->encryption.key_source, a->encryption.key_file,
			 a->encryption.key_env);
	return 0;
}

/* An IPv4 CIDR such as 10.250.0.0/16. */
static bool config_cidr4_ok(const char *s)
{
	char ip[INET_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	struct in_addr a;
	int64_t bits;

	if (slash == NULL || (size_t)(slash - s) >= sizeof(ip) ||
	    strspn(slash + 1, "0123456789") != strlen(slash + 1) ||
	    str_to_i64(slash + 1, 0, 32, &bits) < 0)
		return false;
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	return inet_pton(AF_INET, ip, &a) == 1;
}

int config_check_network(struct config_ctx *c, const struct ydoc_node *map,
			 void *obj, const char *where)
{
	const struct config *cfg = obj;
	const struct config_network *n = &cfg->sandbox.network;
	const char *key = "transparent.subnet_base";

	if (n->transparent.subnet_base != NULL &&
	    !config_cidr4_ok(n->transparent.subnet_base))
		config_report(c, config_path_node(map, key), NULL, DIAG_ERROR,
			      "bad-cidr",
			      "%s.transparent.subnet_base: invalid IPv4 CIDR "
			      "'%s' (expected a.b.c.d/n)", where,
			      n->transparent.subnet_base);
	return 0;
}

int config_check_mount(struct config_ctx *c, const struct ydoc_node *map,
		       void *obj, const char *where)
{
	const struct config_mount *m = obj;

	if (m->path != NULL && m->path[0] != '/')
		config_report(c, ydoc_map_get(map, "path"), NULL, DIAG_ERROR,
			      "bad-path", "%s.path must be an absolute path",
			      where);
	return 0;
}

int config_check_platform(struct config_ctx *c,
			  const struct ydoc_node *map, void *obj,
			  const char *where)
{
	const struct config *cfg = obj;

	if (cfg->platform.mode != CONFIG_PLATFORM_AUTO &&
	    cfg->platform.mode != CONFIG_PLATFORM_LINUX)
		config_report(c, ydoc_map_get(map, "mode"), &cfg->platform.mode,
			      DIAG_WARNING, "other-platform",
			      "platform.mode names another operating system; "
			      "this implementation runs on Linux only (auto "
			      "or linux)");
	return 0;
}

int config_check_development(struct config_ctx *c,
			     const struct ydoc_node *map, void *obj,
			     const char *where)
{
	const struct config *cfg = obj;

	if (cfg->development.disable_policy)
		config_report(c, ydoc_map_get(map, "disable_policy"), NULL,
			      DIAG_WARNING, "policy-disabled",
			      "development.disable_policy is true: commands "
			      "are not checked against any policy");
	if (cfg->development.disable_auth &&
	    cfg->auth.type != CONFIG_AUTH_NONE)
		config_report(c, ydoc_map_get(map, "disable_auth"), NULL,
			      DIAG_WARNING, "auth-disabled",
			      "development.disable_auth is true: auth.type is "
			      "not enforced");
	if (cfg->development.pprof.enabled)
		config_report(c, config_path_node(map, "pprof.enabled"), NULL,
			      DIAG_WARNING, "unsupported",
			      "development.pprof is a Go profiler endpoint and "
			      "is not supported here; ignored");
	return 0;
}
