/*
 * Config lifecycle and entry points: defaults, loading a file or buffer
 * (parse, apply, override, validate), discovery, and small accessors.
 */
#include "config/config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "common/str.h"
#include "config/config_internal.h"
#include "ydoc/ydoc.h"

const char *config_getenv(char **envp, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; envp != NULL && envp[i] != NULL; i++) {
		if (strncmp(envp[i], name, n) == 0 && envp[i][n] == '=')
			return envp[i] + n + 1;
	}
	return NULL;
}

void *config_at(void *base, size_t off)
{
	return (char *)base + off;
}

const void *config_cat(const void *base, size_t off)
{
	return (const char *)base + off;
}

void config_report(struct config_ctx *c, const struct ydoc_node *n,
		   const void *ptr, enum diag_severity sev, const char *code,
		   const char *fmt, ...)
{
	char msg[DIAG_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (size_t i = 0; ptr != NULL && i < c->nenv; i++) {
		if (c->env[i].ptr == ptr) {
			diag_add(c->d, sev, NULL, 0, 0, code,
				 "%s (from environment variable %s)", msg,
				 c->env[i].var);
			return;
		}
	}
	diag_add(c->d, sev, c->doc ? ydoc_file(c->doc) : NULL,
		 n ? n->line : 0, n ? n->col : 0, code, "%s", msg);
}

int config_enum_parse(const struct config_enum_val *en, const char *s,
		      int *out)
{
	for (size_t i = 0; en[i].name != NULL; i++) {
		if (strcasecmp(en[i].name, s) == 0) {
			*out = en[i].val;
			return 0;
		}
	}
	return -EINVAL;
}

const char *config_enum_str(const struct config_enum_val *en, int v)
{
	for (size_t i = 0; en[i].name != NULL; i++) {
		if (en[i].val == v && !en[i].hidden)
			return en[i].name;
	}
	return "?";
}

int config_enum_expect(const struct config_enum_val *en, char *out, size_t n)
{
	size_t len = 0;

	if (n == 0)
		return -EINVAL;
	out[0] = '\0';
	for (size_t i = 0; en[i].name != NULL; i++) {
		int w;

		if (en[i].hidden)
			continue;
		w = snprintf(out + len, n - len, "%s%s", len ? ", " : "",
			     en[i].name);
		if (w < 0 || (size_t)w >= n - len)
			return -ENAMETOOLONG;
		len += (size_t)w;
	}
	return 0;
}

struct config *config_new_default(void)
{
	struct config *cfg = calloc(1, sizeof(*cfg));

	if (cfg == NULL)
		return NULL;
	if (config_defaults(&config_sec_root, cfg) < 0) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

void config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	config_release(&config_sec_root, cfg);
	free(cfg);
}

/* Defaults, then the document (may be NULL), env overrides, validation. */
static int config_run(const struct ydoc *doc, char **envp,
		      struct config **out, struct diag *d)
{
	struct config_ctx c;
	const struct ydoc_node *root = doc ? ydoc_root(doc) : NULL;
	size_t errors = d->errors;
	int r = -ENOMEM;

	memset(&c, 0, sizeof(c));
	c.doc = doc;
	c.d = d;
	c.envp = envp;
	c.cfg = config_new_default();
	if (c.cfg == NULL)
		goto out;
	r = config_load_section(&c, root, &config_sec_root, c.cfg, "");
	if (r == 0)
		r = config_apply_env(&c);
	if (r == 0)
		r = config_validate_section(&c, root, &config_sec_root, c.cfg,
					    "");
	if (r == 0 && d->errors > errors)
		r = -EINVAL;
out:
	if (r < 0) {
		config_free(c.cfg);
		return r;
	}
	*out = c.cfg;
	return 0;
}

/* Warn when anyone may rewrite the file that configures the gateway. */
static void config_check_perms(const char *path, struct diag *d)
{
	struct stat st;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return;
	if (st.st_mode & S_IWOTH)
		diag_add(d, DIAG_WARNING, path, 0, 0, "insecure-permissions",
			 "config file is writable by every user (mode %04o); "
			 "anyone could weaken the gateway",
			 (unsigned)(st.st_mode & 07777));
}

/* Load the file path (its permissions checked too) or, when path is NULL,
 * the len bytes of data named name. */
static int config_load(const char *path, const char *data, size_t len,
		       const char *name, char **envp, struct config **out,
		       struct diag *d)
{
	struct ydoc *doc = NULL;
	struct diag local;
	int r;

	*out = NULL;
	diag_init(&local);
	if (d == NULL)
		d = &local;
	if (path != NULL)
		r = ydoc_parse_file(path, &doc, d);
	else
		r = ydoc_parse(data, len, name ? name : "<config>", &doc, d);
	if (r == 0) {
		if (path != NULL)
			config_check_perms(path, d);
		r = config_run(doc, envp, out, d);
	}
	ydoc_free(doc);
	diag_release(&local);
	return r;
}

int config_load_file(const char *path, char **envp, struct config **out,
		     struct diag *d)
{
	return config_load(path, NULL, 0, NULL, envp, out, d);
}

int config_load_buffer(const char *data, size_t len, const char *name,
		       char **envp, struct config **out, struct diag *d)
{
	return config_load(NULL, data, len, name, envp, out, d);
}

int config_load_defaults(char **envp, struct config **out, struct diag *d)
{
	struct diag local;
	int r;

	*out = NULL;
	diag_init(&local);
	r = config_run(NULL, envp, out, d ? d : &local);
	diag_release(&local);
	return r;
}

/* Copy the candidate to out if it names a regular file. */
static int config_try_path(const char *cand, char *out, size_t n)
{
	struct stat st;

	if (stat(cand, &st) != 0 || !S_ISREG(st.st_mode))
		return -ENOENT;
	if (str_lcpy(out, cand, n) >= n)
		return -ENAMETOOLONG;
	return 0;
}

/* Try dir/agentsh/config.yaml then .yml; -ENOENT when neither exists. */
static int config_try_dir(const char *dir, const char *sub, char *out,
			  size_t n)
{
	static const char *const names[] = {"config.yaml", "config.yml"};
	char cand[CONFIG_PATH_MAX];

	for (size_t i = 0; i < 2; i++) {
		int w = snprintf(cand, sizeof(cand), "%s%s/agentsh/%s", dir,
				 sub, names[i]);
		int r;

		if (w < 0 || (size_t)w >= sizeof(cand))
			return -ENAMETOOLONG;
		r = config_try_path(cand, out, n);
		if (r != -ENOENT)
			return r;
	}
	return -ENOENT;
}

int config_find_path(char **envp, char *out, size_t n)
{
	const char *v = config_getenv(envp, "AGENTSH_CONFIG");
	const char *home = config_getenv(envp, "HOME");
	int r = -ENOENT;

	if (v != NULL && *v != '\0')
		return str_lcpy(out, v, n) >= n ? -ENAMETOOLONG : 0;
	v = config_getenv(envp, "XDG_CONFIG_HOME");
	if (v != NULL && *v == '/')
		r = config_try_dir(v, "", out, n);
	else if (home != NULL && *home == '/')
		r = config_try_dir(home, "/.config", out, n);
	if (r != -ENOENT)
		return r;
	return config_try_dir("/etc", "", out, n);
}

const char *config_provider_url(const struct config *cfg, const char *name)
{
	const struct config_strmap *m = &cfg->proxy.providers;

	for (size_t i = 0; i < m->n; i++) {
		if (strcmp(m->keys[i], name) == 0)
			return m->vals[i];
	}
	return NULL;
}

bool config_auth_disabled(const struct config *cfg)
{
	return cfg->auth.type == CONFIG_AUTH_NONE ||
	       cfg->development.disable_auth;
}
