/*
 * AGENTSH_* environment overrides, applied after the file. An empty
 * variable is ignored; an invalid value is an error naming the variable.
 * Overridden fields are remembered so that later validation messages name
 * the variable instead of a line in the file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "config/config_internal.h"

struct config_env_var {
	const char *var;
	const char *path;
};

static const struct config_env_var config_env_vars[] = {
	{"AGENTSH_PLATFORM_MODE", "platform.mode"},
	{"AGENTSH_HTTP_ADDR", "server.http.addr"},
	{"AGENTSH_GRPC_ADDR", "server.grpc.addr"},
	{"AGENTSH_LOG_LEVEL", "logging.level"},
	{"AGENTSH_PROXY_MODE", "proxy.mode"},
	{"AGENTSH_DLP_MODE", "dlp.mode"},
	{"AGENTSH_PROXY_PORT", "proxy.port"},
	{NULL, NULL},
};

/* The field at a dotted path of nested sections below the root. */
static const struct config_field *config_field_path(const char *path)
{
	const struct config_section *sec = &config_sec_root;
	const struct config_field *f = NULL;
	char seg[64];

	while (*path != '\0') {
		size_t l = strcspn(path, ".");

		if (l >= sizeof(seg) || (f && f->kind != CONFIG_K_SECTION))
			return NULL;
		if (f != NULL)
			sec = f->sub;
		memcpy(seg, path, l);
		seg[l] = '\0';
		f = config_field_by_key(sec, seg);
		if (f == NULL)
			return NULL;
		path += l + (path[l] == '.');
	}
	return f;
}

static void config_remember(struct config_ctx *c, const void *ptr,
			    const char *var)
{
	if (c->nenv < CONFIG_ENV_MAX) {
		c->env[c->nenv].ptr = ptr;
		c->env[c->nenv++].var = var;
	}
}

static int config_env_set(struct config_ctx *c, const struct config_env_var *e,
			  const char *v)
{
	const struct config_field *f = config_field_path(e->path);
	void *p = f ? config_at(c->cfg, f->off) : NULL;
	char exp[512];
	int64_t i;
	char *s;
	int x;

	if (f == NULL)
		return -EINVAL;
	if (f->kind == CONFIG_K_STR) {
		if ((s = strdup(v)) == NULL)
			return -ENOMEM;
		free(*(char **)p);
		*(char **)p = s;
	} else if (f->kind == CONFIG_K_ENUM) {
		if (config_enum_parse(f->en, v, &x) < 0) {
			config_enum_expect(f->en, exp, sizeof(exp));
			diag_add(c->d, DIAG_ERROR, NULL, 0, 0, "bad-env",
				 "environment variable %s: unknown value '%s' "
				 "for %s (expected one of: %s)", e->var, v,
				 e->path, exp);
			return 0;
		}
		*(int *)p = x;
	} else if (str_to_i64(v, f->min, f->max, &i) == 0) {
		*(int64_t *)p = i;
	} else {
		diag_add(c->d, DIAG_ERROR, NULL, 0, 0, "bad-env",
			 "environment variable %s: '%s' is not a whole number "
			 "from %lld to %lld (for %s)", e->var, v,
			 (long long)f->min, (long long)f->max, e->path);
		return 0;
	}
	config_remember(c, p, e->var);
	return 0;
}

/* Replace *dst with the first len bytes of dir followed by suffix. */
static int config_join(char **dst, const char *dir, size_t len,
		       const char *suffix)
{
	size_t n = len + strlen(suffix) + 1;
	char *s = malloc(n);

	if (s == NULL)
		return -ENOMEM;
	snprintf(s, n, "%.*s%s", (int)len, dir, suffix);
	free(*dst);
	*dst = s;
	return 0;
}

/* AGENTSH_DATA_DIR: <dir>/sessions and <dir>/events.db. */
static int config_env_data_dir(struct config_ctx *c, const char *dir)
{
	struct config *cfg = c->cfg;
	size_t len = strlen(dir);
	int r;

	while (len > 0 && dir[len - 1] == '/')
		len--;
	if (len > CONFIG_PATH_MAX) {
		diag_add(c->d, DIAG_ERROR, NULL, 0, 0, "bad-env",
			 "environment variable AGENTSH_DATA_DIR is longer "
			 "than %d bytes", CONFIG_PATH_MAX);
		return 0;
	}
	r = config_join(&cfg->sessions.base_dir, dir, len, "/sessions");
	if (r == 0)
		r = config_join(&cfg->audit.storage.sqlite_path, dir, len,
				"/events.db");
	if (r < 0)
		return r;
	config_remember(c, &cfg->sessions.base_dir, "AGENTSH_DATA_DIR");
	config_remember(c, &cfg->audit.storage.sqlite_path,
			"AGENTSH_DATA_DIR");
	return 0;
}

int config_apply_env(struct config_ctx *c)
{
	const char *v;
	int r = 0;

	for (size_t i = 0; r == 0 && config_env_vars[i].var != NULL; i++) {
		v = config_getenv(c->envp, config_env_vars[i].var);
		if (v != NULL && *v != '\0')
			r = config_env_set(c, &config_env_vars[i], v);
	}
	v = config_getenv(c->envp, "AGENTSH_DATA_DIR");
	if (r == 0 && v != NULL && *v != '\0')
		r = config_env_data_dir(c, v);
	return r;
}
