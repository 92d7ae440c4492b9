/* Policy compiler: command rules and environment-variable patterns. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "policy/engine_int.h"

/* Denied when env_policy has no allow list (semantics doc §9). */
const char *const policy_builtin_secret_env[] = {
	"AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN",
	"AWS_PROFILE", "GOOGLE_APPLICATION_CREDENTIALS", "GCP_SERVICE_ACCOUNT",
	"AZURE_CLIENT_SECRET", "AZURE_CLIENT_ID", "AZURE_TENANT_ID",
	"AZURE_SUBSCRIPTION_ID", "SSH_AUTH_SOCK", "SSH_AGENT_PID",
	"DOCKER_HOST", "DOCKER_TLS_VERIFY", "KUBECONFIG", "GITHUB_TOKEN",
	"GH_TOKEN", "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "LD_DEBUG",
	"LD_DEBUG_OUTPUT", "LD_DYNAMIC_WEAK", "LD_HWCAP_MASK", "LD_ORIGIN_PATH",
	"LD_PROFILE", "LD_PROFILE_OUTPUT", "LD_SHOW_AUXV",
	"LD_TRACE_LOADED_OBJECTS", "DYLD_*", "PYTHONPATH", "PYTHONSTARTUP",
	"PYTHONHOME", "PYTHONUSERBASE", "RUBYLIB", "RUBYOPT", "PERL5LIB",
	"PERL5OPT", "PERLLIB", "NODE_PATH", "NODE_OPTIONS", "BASH_ENV", "ENV",
	"SHELLOPTS", "BASHOPTS", "CDPATH", "GLOBIGNORE", "MAILPATH",
	"PROMPT_COMMAND", "GIT_ASKPASS", "SSH_ASKPASS", "GIT_SSH_COMMAND",
	NULL,
};

void policy_glob_array_free(struct policy_glob **v)
{
	for (size_t i = 0; v && v[i]; i++)
		policy_glob_free(v[i]);
	free(v);
}

/* Env patterns: globs over the whole name, case-sensitive, no separator. */
int policy_cc_env(struct policy_cc *cc, const struct policy_strv *in,
		  struct policy_glob ***out)
{
	struct policy_glob **v = calloc(in->n + 1, sizeof(*v));
	char err[160];

	*out = v;
	if (v == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < in->n; i++) {
		if (policy_glob_compile(in->v[i], '\0', 0, &v[i], err,
					sizeof(err)) < 0) {
			diag_add(cc->d, DIAG_ERROR, cc->src->file,
				 in->pos ? in->pos[i].line : 0,
				 in->pos ? in->pos[i].col : 0, "bad-glob",
				 "invalid environment pattern '%s': %s",
				 in->v[i], err);
			return -EINVAL;
		}
	}
	return 0;
}

void policy_cmd_c_free(struct cmd_rule_c *c)
{
	for (size_t i = 0; c->entries && i < c->n; i++) {
		free(c->entries[i].lit);
		policy_glob_free(c->entries[i].glob);
	}
	free(c->entries);
	for (size_t i = 0; c->re && i < c->nre; i++) {
		pcre2_code_free(c->re[i]);
		policy_glob_free(c->arg_glob[i]);
	}
	free(c->re);
	free(c->arg_glob);
	policy_glob_array_free(c->env_allow);
	policy_glob_array_free(c->env_deny);
	memset(c, 0, sizeof(*c));
}

static int cmd_entry_compile(struct policy_cc *cc, const char *text,
			     const struct policy_pos *pos, struct cmd_entry *e,
			     bool *any)
{
	char err[160];
	bool has_slash = strchr(text, '/') != NULL;
	int r;

	r = policy_glob_compile(text, '/', POLICY_GLOB_CASEFOLD, &e->glob, err,
				sizeof(err));
	if (r < 0) {
		diag_add(cc->d, DIAG_ERROR, cc->src->file, pos->line, pos->col,
			 "bad-glob", "invalid command pattern '%s': %s", text,
			 err);
		return r;
	}
	if (!policy_glob_is_literal(e->glob)) {
		e->kind = has_slash ? CMD_GLOB_PATH : CMD_GLOB_BASE;
		if (!has_slash && (strcmp(text, "*") == 0 ||
				   strcmp(text, "**") == 0 ||
				   policy_glob_matches_all(e->glob)))
			*any = true;
		return 0;
	}
	e->kind = has_slash ? CMD_LIT_PATH : CMD_LIT_BASE;
	e->lit = strdup(text);
	if (e->lit == NULL)
		return -ENOMEM;
	str_lower(e->lit, e->lit, strlen(e->lit));
	policy_glob_free(e->glob);
	e->glob = NULL;
	return 0;
}

static int cmd_regex_compile(struct policy_cc *cc, struct cmd_rule_c *c)
{
	const struct policy_strv *ap = &c->src->args_patterns;
	int errcode;
	PCRE2_SIZE off;

	c->re = calloc(ap->n + 1, sizeof(*c->re));
	c->arg_glob = calloc(ap->n + 1, sizeof(*c->arg_glob));
	if (c->re == NULL || c->arg_glob == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < ap->n; i++) {
		char err[160];
		c->nre = i + 1;
		if (c->src->args_legacy_glob && c->src->args_legacy_glob[i]) {
			if (policy_glob_compile(ap->v[i], '\0', 0, &c->arg_glob[i],
						err, sizeof(err)) < 0)
				return -EINVAL;
			continue;
		}
		c->re[i] = pcre2_compile((PCRE2_SPTR)ap->v[i],
					 PCRE2_ZERO_TERMINATED, 0, &errcode,
					 &off, NULL);
		if (c->re[i] == NULL) {
			diag_add(cc->d, DIAG_ERROR, cc->src->file,
				 ap->pos[i].line, ap->pos[i].col, "bad-regex",
				 "invalid regular expression '%s'", ap->v[i]);
			return -EINVAL;
		}
		/* JIT is an optimisation; the interpreter is the fallback. */
		(void)pcre2_jit_compile(c->re[i], PCRE2_JIT_COMPLETE);
	}
	return 0;
}

static int cmd_rule_compile(struct policy_cc *cc, struct cmd_rule_c *c,
			    struct policy_index_builder *b, uint32_t idx)
{
	const struct policy_strv *cmds = &c->src->commands;
	bool generic = cmds->n == 0;
	int r = 0;

	c->any_command = cmds->n == 0;
	c->entries = calloc(cmds->n + 1, sizeof(*c->entries));
	if (c->entries == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < cmds->n && r == 0; i++) {
		struct cmd_entry *e = &c->entries[i];
		r = cmd_entry_compile(cc, cmds->v[i], &cmds->pos[i], e,
				      &c->any_command);
		c->n = i + 1;
		if (r == 0 && e->lit)
			r = policy_index_builder_add(b, e->lit, strlen(e->lit),
						     idx);
		else if (r == 0)
			generic = true;
	}
	if (r == 0)
		r = cmd_regex_compile(cc, c);
	if (r == 0)
		r = policy_cc_env(cc, &c->src->env_allow, &c->env_allow);
	if (r == 0)
		r = policy_cc_env(cc, &c->src->env_deny, &c->env_deny);
	if (r == 0 && generic)
		r = -EAGAIN; /* tells the caller to add idx to the generic list */
	return r;
}

int policy_cc_cmd(struct policy_cc *cc, struct policy *p)
{
	struct policy_index_builder *b = policy_index_builder_new();
	size_t n = cc->src->n_cmd_rules;
	int r = b ? 0 : -ENOMEM;

	p->cmd = calloc(n + 1, sizeof(*p->cmd));
	p->cmd_ix.generic = calloc(n + 1, sizeof(uint32_t));
	if (p->cmd == NULL || p->cmd_ix.generic == NULL)
		r = -ENOMEM;
	for (size_t i = 0; i < n && r == 0; i++) {
		p->cmd[i].src = &cc->src->cmd_rules[i];
		r = cmd_rule_compile(cc, &p->cmd[i], b, (uint32_t)i);
		if (r == -EAGAIN) {
			p->cmd_ix.generic[p->cmd_ix.ngeneric++] = (uint32_t)i;
			r = 0;
		}
	}
	if (r < 0) {
		policy_index_builder_free(b);
		return r;
	}
	return policy_index_build(b, &p->cmd_ix.ix);
}
