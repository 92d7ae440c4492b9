/* Policy compiler: expand variables, compile patterns, build indexes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "policy/engine_int.h"

/* Append the value of one ${NAME} or ${NAME:-fallback} at *sp to out. */
static int expand_one(struct policy_cc *cc, const char **sp, char *out,
		      size_t *o, size_t n, const char *where,
		      const struct policy_pos *pos)
{
	const char *s = *sp + 2, *end = strchr(s, '}');
	const char *dash = strstr(s, ":-");
	char name[128], fb[POLICY_GLOB_MAX_PATTERN];
	const char *val = NULL;
	size_t nl;

	if (end == NULL)
		return -EINVAL;
	nl = (dash && dash < end ? (size_t)(dash - s) : (size_t)(end - s));
	if (nl == 0 || nl >= sizeof(name))
		return -EINVAL;
	memcpy(name, s, nl);
	name[nl] = '\0';
	if (cc->opts && cc->opts->lookup)
		val = cc->opts->lookup(cc->opts->lookup_arg, name);
	if (val != NULL && *val == '\0')
		val = NULL;
	if (val == NULL && dash && dash < end) {
		size_t fl = (size_t)(end - dash - 2);
		if (fl >= sizeof(fb))
			return -E2BIG;
		memcpy(fb, dash + 2, fl);
		fb[fl] = '\0';
		val = fb;
	}
	if (val == NULL) {
		diag_add(cc->d, DIAG_ERROR, cc->src->file, pos->line, pos->col,
			 "undefined-variable", "%s: undefined variable ${%s} "
			 "(define it, or write ${%s:-fallback})", where, name,
			 name);
		return -ENOENT;
	}
	out[*o] = '\0'; /* policy_glob_escape appends to a C string */
	if (policy_glob_escape(val, out + *o, n - *o) < 0)
		return -E2BIG;
	*o += strlen(out + *o);
	*sp = end + 1;
	return 0;
}

/* Expand variables in a pattern; values are escaped so they match literally. */
static int expand_vars(struct policy_cc *cc, const char *in, char sep,
		       char *out, size_t n, const char *where,
		       const struct policy_pos *pos)
{
	size_t o = 0;
	int r;

	while (*in) {
		if (in[0] == '$' && in[1] == '{') {
			r = expand_one(cc, &in, out, &o, n, where, pos);
			if (r < 0)
				return r;
			continue;
		}
		/* A path pattern never needs "//": a variable ending in '/'
		 * followed by "/\*\*" must still match normalised paths. */
		if (sep == '/' && *in == '/' && o > 0 && out[o - 1] == '/' &&
		    (o < 2 || out[o - 2] != '\\')) {
			in++;
			continue;
		}
		if (o + 1 >= n)
			return -E2BIG;
		out[o++] = *in++;
	}
	out[o] = '\0';
	return 0;
}

void policy_glob_list_free(struct glob_list *gl)
{
	for (size_t i = 0; i < gl->n; i++) {
		policy_glob_free(gl->g[i]);
		free(gl->text[i]);
	}
	free(gl->g);
	free(gl->text);
	memset(gl, 0, sizeof(*gl));
}

int policy_cc_globs(struct policy_cc *cc, const struct policy_strv *in,
		    const char *where, char sep, unsigned flags, bool expand,
		    struct glob_list *out)
{
	char buf[POLICY_GLOB_MAX_PATTERN + 1], err[160], w[256];
	int r = 0;

	memset(out, 0, sizeof(*out));
	out->g = calloc(in->n + 1, sizeof(*out->g));
	out->text = calloc(in->n + 1, sizeof(*out->text));
	if (out->g == NULL || out->text == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < in->n && r == 0; i++) {
		snprintf(w, sizeof(w), "%s[%zu]", where, i);
		if (expand)
			r = expand_vars(cc, in->v[i], sep, buf, sizeof(buf), w,
					&in->pos[i]);
		else
			str_lcpy(buf, in->v[i], sizeof(buf));
		if (r == -E2BIG)
			diag_add(cc->d, DIAG_ERROR, cc->src->file, in->pos[i].line,
				 in->pos[i].col, "bad-glob",
				 "%s: pattern too long after expansion", w);
		if (r < 0)
			break;
		if (flags & POLICY_GLOB_CASEFOLD)
			str_lower(buf, buf, strlen(buf));
		r = policy_glob_compile(buf, sep, flags, &out->g[i], err,
					sizeof(err));
		if (r < 0) {
			diag_add(cc->d, DIAG_ERROR, cc->src->file, in->pos[i].line,
				 in->pos[i].col, "bad-glob",
				 "%s: invalid pattern '%s' after expansion: %s",
				 w, buf, err);
			break;
		}
		out->text[i] = strdup(buf);
		out->n = i + 1;
		if (out->text[i] == NULL)
			r = -ENOMEM;
	}
	return r;
}

static int generic_add(struct rule_index *ri, uint32_t rule)
{
	uint32_t *v = realloc(ri->generic, (ri->ngeneric + 1) * sizeof(*v));

	if (v == NULL)
		return -ENOMEM;
	v[ri->ngeneric++] = rule;
	ri->generic = v;
	return 0;
}

/* Index key of a path glob: its literal prefix up to the last '/'. */
static size_t file_key(const struct policy_glob *g, const char **key)
{
	size_t n = policy_glob_prefix(g, key);

	while (n > 0 && (*key)[n - 1] != '/')
		n--;
	return n;
}

static int build_file_index(struct policy *p, size_t nrules)
{
	struct policy_index_builder *b = policy_index_builder_new();
	int r = b ? 0 : -ENOMEM;

	for (size_t i = 0; i < nrules && r == 0; i++) {
		const struct glob_list *gl = &p->file[i].paths;
		bool generic = false;
		for (size_t j = 0; j < gl->n && r == 0; j++) {
			const char *k;
			size_t kl = file_key(gl->g[j], &k);
			if (kl == 0)
				generic = true;
			else
				r = policy_index_builder_add(b, k, kl, (uint32_t)i);
		}
		if (r == 0 && generic)
			r = generic_add(&p->file_ix, (uint32_t)i);
	}
	if (r < 0) {
		policy_index_builder_free(b);
		return r;
	}
	return policy_index_build(b, &p->file_ix.ix);
}

static int compile_files(struct policy_cc *cc, struct policy *p)
{
	const struct policy_src *src = cc->src;
	char w[256];
	int r = 0;

	p->file = calloc(src->n_file_rules + 1, sizeof(*p->file));
	if (p->file == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < src->n_file_rules && r == 0; i++) {
		const struct policy_file_rule *fr = &src->file_rules[i];
		snprintf(w, sizeof(w), "file_rules[%zu] '%s'.paths", i, fr->c.name);
		p->file[i].src = fr;
		p->file[i].ops = fr->ops;
		r = policy_cc_globs(cc, &fr->paths, w, '/', 0, true,
				    &p->file[i].paths);
	}
	if (r == 0)
		r = build_file_index(p, src->n_file_rules);
	return r;
}

/* Domain key: a literal name, or ".suffix" for "*.suffix" patterns. */
static size_t domain_key(const struct glob_list *gl, size_t j,
			 const char **key)
{
	const char *t = gl->text[j];

	if (policy_glob_is_literal(gl->g[j])) {
		*key = t;
		return strlen(t);
	}
	if (t[0] == '*' && t[1] == '.' && strpbrk(t + 2, "*?[{\\") == NULL) {
		*key = t + 1;
		return strlen(t + 1);
	}
	return 0;
}

static int cidr_key(const struct policy_cidr *c, uint8_t key[17])
{
	memcpy(key, c->base.b, 16);
	key[16] = c->bits;
	return 17;
}

static int index_net_rule(struct policy *p, struct policy_index_builder *db,
			  struct policy_index_builder *cb, uint32_t i)
{
	const struct net_rule_c *nc = &p->net[i];
	uint8_t key[17];
	int r = 0;

	if (nc->domains.n > 0) {
		bool generic = false;
		for (size_t j = 0; j < nc->domains.n && r == 0; j++) {
			const char *k;
			size_t kl = domain_key(&nc->domains, j, &k);
			if (kl == 0)
				generic = true;
			else
				r = policy_index_builder_add(db, k, kl, i);
		}
		return r == 0 && generic ? generic_add(&p->dom_ix, i) : r;
	}
	if (nc->ncidrs > 0) {
		for (size_t j = 0; j < nc->ncidrs && r == 0; j++) {
			uint8_t bits = nc->cidrs[j].bits;
			size_t k;
			for (k = 0; k < p->n_cidr_lens && p->cidr_lens[k] != bits; k++)
				;
			if (k == p->n_cidr_lens)
				p->cidr_lens[p->n_cidr_lens++] = bits;
			r = policy_index_builder_add(cb, key,
						     (size_t)cidr_key(&nc->cidrs[j], key),
						     i);
		}
		return r;
	}
	return generic_add(&p->dom_ix, i);
}

static int compile_net_rule(struct policy_cc *cc, struct policy *p, size_t i)
{
	const struct policy_net_rule *nr = &cc->src->net_rules[i];
	struct net_rule_c *nc = &p->net[i];
	char w[256], err[160];
	int r;

	nc->src = nr;
	snprintf(w, sizeof(w), "network_rules[%zu] '%s'.domains", i, nr->c.name);
	r = policy_cc_globs(cc, &nr->domains, w, '.', POLICY_GLOB_CASEFOLD,
			    true, &nc->domains);
	/* A trailing dot names the same host: "example.com." */
	for (size_t j = 0; r == 0 && j < nc->domains.n; j++) {
		size_t l = strlen(nc->domains.text[j]);
		if (l > 1 && nc->domains.text[j][l - 1] == '.')
			nc->domains.text[j][l - 1] = '\0';
	}
	nc->cidrs = calloc(nr->cidrs.n + 1, sizeof(*nc->cidrs));
	if (r == 0 && nc->cidrs == NULL)
		r = -ENOMEM;
	for (size_t j = 0; r == 0 && j < nr->cidrs.n; j++) {
		r = policy_cidr_parse(nr->cidrs.v[j], &nc->cidrs[j], NULL, err,
				      sizeof(err));
		nc->ncidrs = j + 1;
	}
	return r;
}

static int compile_net(struct policy_cc *cc, struct policy *p)
{
	struct policy_index_builder *db = policy_index_builder_new();
	struct policy_index_builder *cb = policy_index_builder_new();
	size_t n = cc->src->n_net_rules;
	int r = db && cb ? 0 : -ENOMEM;

	p->net = calloc(n + 1, sizeof(*p->net));
	if (p->net == NULL)
		r = -ENOMEM;
	for (size_t i = 0; i < n && r == 0; i++) {
		r = compile_net_rule(cc, p, i);
		if (r == 0)
			r = index_net_rule(p, db, cb, (uint32_t)i);
	}
	if (r < 0) {
		policy_index_builder_free(db);
		policy_index_builder_free(cb);
		return r;
	}
	r = policy_index_build(db, &p->dom_ix.ix);
	if (r < 0) {
		policy_index_builder_free(cb);
		return r;
	}
	return policy_index_build(cb, &p->cidr_ix.ix);
}

static int compile_unix(struct policy_cc *cc, struct policy *p)
{
	char w[256];
	int r = 0;

	p->unx = calloc(cc->src->n_unix_rules + 1, sizeof(*p->unx));
	if (p->unx == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < cc->src->n_unix_rules && r == 0; i++) {
		const struct policy_unix_rule *ur = &cc->src->unix_rules[i];
		snprintf(w, sizeof(w), "unix_socket_rules[%zu] '%s'.paths", i,
			 ur->c.name);
		p->unx[i].src = ur;
		r = policy_cc_globs(cc, &ur->paths, w, '/', 0, true,
				    &p->unx[i].paths);
	}
	return r;
}

static void rule_index_free(struct rule_index *ri)
{
	policy_index_free(ri->ix);
	free(ri->generic);
}

void policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; p->cmd && i < p->src->n_cmd_rules; i++)
		policy_cmd_c_free(&p->cmd[i]);
	for (size_t i = 0; p->file && i < p->src->n_file_rules; i++)
		policy_glob_list_free(&p->file[i].paths);
	for (size_t i = 0; p->net && i < p->src->n_net_rules; i++) {
		policy_glob_list_free(&p->net[i].domains);
		free(p->net[i].cidrs);
	}
	for (size_t i = 0; p->unx && i < p->src->n_unix_rules; i++)
		policy_glob_list_free(&p->unx[i].paths);
	free(p->cmd);
	free(p->file);
	free(p->net);
	free(p->unx);
	rule_index_free(&p->cmd_ix);
	rule_index_free(&p->file_ix);
	rule_index_free(&p->dom_ix);
	rule_index_free(&p->cidr_ix);
	policy_glob_array_free(p->env_allow);
	policy_glob_array_free(p->env_deny);
	policy_glob_array_free(p->env_builtin);
	free(p->all);
	policy_src_free(p->owned);
	free(p);
}

static int compile_all(struct policy *p)
{
	size_t n = p->src->n_file_rules;

	if (p->src->n_net_rules > n)
		n = p->src->n_net_rules;
	if (p->src->n_cmd_rules > n)
		n = p->src->n_cmd_rules;
	p->all = calloc(n + 1, sizeof(*p->all));
	if (p->all == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		p->all[i] = (uint32_t)i;
	return 0;
}

void policy_set_linear(struct policy *p, bool linear)
{
	p->linear = linear;
}

const struct policy_src *policy_source(const struct policy *p)
{
	return p->src;
}

int policy_compile(const struct policy_src *src,
		   const struct policy_compile_opts *opts, struct policy **out,
		   struct diag *d)
{
	struct policy_cc cc = {src, opts, d};
	struct policy_strv builtin = {0};
	struct policy *p = calloc(1, sizeof(*p));
	int r = -ENOMEM;

	*out = NULL;
	if (p == NULL)
		return -ENOMEM;
	p->src = src;
	p->approvals_enabled = opts && opts->approvals_enabled;
	for (builtin.n = 0; policy_builtin_secret_env[builtin.n]; builtin.n++)
		;
	builtin.v = (char **)(uintptr_t)policy_builtin_secret_env;
	r = compile_files(&cc, p);
	if (r == 0)
		r = compile_net(&cc, p);
	if (r == 0)
		r = compile_unix(&cc, p);
	if (r == 0)
		r = policy_cc_cmd(&cc, p);
	if (r == 0)
		r = policy_cc_env(&cc, &src->env.allow, &p->env_allow);
	if (r == 0)
		r = policy_cc_env(&cc, &src->env.deny, &p->env_deny);
	if (r == 0)
		r = policy_cc_env(&cc, &builtin, &p->env_builtin);
	p->n_env_builtin = builtin.n;
	if (r == 0)
		r = compile_all(p);
	if (r < 0) {
		if (r == -ENOMEM)
			diag_add(d, DIAG_ERROR, src->file, 0, 0, "no-memory",
				 "out of memory while compiling the policy");
		policy_free(p);
		return r;
	}
	*out = p;
	return 0;
}
