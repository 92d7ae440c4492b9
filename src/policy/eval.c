/* Decisions: first matching rule wins, per rule list; nothing allocated. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "policy/engine_int.h"

#define NO_RULE UINT32_MAX

struct policy_ctx *policy_ctx_new(void)
{
	struct policy_ctx *ctx = calloc(1, sizeof(*ctx));

	if (ctx == NULL)
		return NULL;
	ctx->md = pcre2_match_data_create(1, NULL);
	ctx->mctx = pcre2_match_context_create(NULL);
	ctx->args = malloc(POLICY_ARGS_MAX + 1);
	if (ctx->md == NULL || ctx->mctx == NULL || ctx->args == NULL) {
		policy_ctx_free(ctx);
		return NULL;
	}
	pcre2_set_match_limit(ctx->mctx, POLICY_REGEX_MATCH_LIMIT);
	pcre2_set_depth_limit(ctx->mctx, POLICY_REGEX_DEPTH_LIMIT);
	return ctx;
}

void policy_ctx_free(struct policy_ctx *ctx)
{
	if (ctx == NULL)
		return;
	pcre2_match_data_free(ctx->md);
	pcre2_match_context_free(ctx->mctx);
	free(ctx->args);
	free(ctx);
}

/* Fill in effective from decision: approve without an approver is deny. */
static void verdict_finish(const struct policy *p, struct policy_verdict *v)
{
	switch (v->decision) {
	case POLICY_DENY:
		v->effective = POLICY_DENY;
		break;
	case POLICY_APPROVE:
		v->approval_required = !p->approvals_enabled;
		v->effective = p->approvals_enabled ? POLICY_APPROVE : POLICY_DENY;
		if (!p->approvals_enabled)
			v->reason = "approval required but no approver is "
				    "configured; denied";
		break;
	default:
		v->effective = POLICY_ALLOW;
		break;
	}
}

static void verdict_rule(struct policy_verdict *v, enum policy_kind kind,
			 const struct policy_rule_common *c, uint32_t idx)
{
	memset(v, 0, sizeof(*v));
	v->kind = kind;
	v->decision = c->decision;
	v->rule = c->name;
	v->rule_index = (int)idx;
	v->message = c->message;
	v->description = c->description;
	v->timeout_ms = c->timeout_ms;
}

static void verdict_default(struct policy_verdict *v, enum policy_kind kind,
			    const char *rule)
{
	memset(v, 0, sizeof(*v));
	v->kind = kind;
	v->decision = POLICY_DENY;
	v->effective = POLICY_DENY;
	v->rule = rule;
	v->rule_index = -1;
	v->timeout_ms = -1;
	v->reason = "no rule matched";
}

int policy_path_normalize(const char *path, const char *cwd, char *out,
			  size_t n)
{
	size_t o = 0;
	const char *s;
	int pass;

	if (path == NULL || n < 2)
		return -EINVAL;
	if (path[0] != '/' && (cwd == NULL || cwd[0] != '/'))
		return -EINVAL;
	out[o++] = '/';
	/* Pass 0 walks cwd (for relative paths), pass 1 the path itself. */
	for (pass = path[0] == '/' ? 1 : 0; pass < 2; pass++) {
		s = pass == 0 ? cwd : path;
		while (*s) {
			const char *e;
			size_t l;
			while (*s == '/')
				s++;
			e = s;
			while (*e && *e != '/')
				e++;
			l = (size_t)(e - s);
			if (l == 0 || (l == 1 && s[0] == '.')) {
				s = e;
				continue;
			}
			if (l == 2 && s[0] == '.' && s[1] == '.') {
				while (o > 1 && out[o - 1] != '/')
					o--;
				if (o > 1)
					o--;
				s = e;
				continue;
			}
			if (o + l + 2 > n)
				return -ENAMETOOLONG;
			if (out[o - 1] != '/')
				out[o++] = '/';
			memcpy(out + o, s, l);
			o += l;
			s = e;
		}
	}
	if (o > 1 && out[o - 1] == '/')
		o--;
	out[o] = '\0';
	return 0;
}

/* Scan one sorted candidate list for a rule before best that matches. */
typedef bool (*rule_match_fn)(const struct policy *p, uint32_t idx, void *arg);

static uint32_t scan(const struct policy *p, struct policy_idx_list l,
		     uint32_t best, rule_match_fn fn, void *arg)
{
	for (size_t i = 0; i < l.n && l.v[i] < best; i++) {
		if (fn(p, l.v[i], arg))
			return l.v[i];
	}
	return best;
}

struct exec_q {
	struct policy_ctx *ctx;
	const struct policy_exec_req *r;
	const char *base, *path; /* lower-cased */
	size_t baselen, pathlen;
	size_t reallen; /* baselen without a ".real" suffix, else baselen */
	int err;        /* an argument pattern could not be evaluated ... */
	uint32_t err_idx; /* ... for this rule */
};

/* Join argv[1..] with single spaces, once per decision. */
static int args_join(struct exec_q *q)
{
	struct policy_ctx *ctx = q->ctx;
	size_t o = 0;

	if (ctx->args_ready)
		return 0;
	for (size_t i = 1; i < q->r->argc; i++) {
		const char *a = q->r->argv[i] ? q->r->argv[i] : "";
		size_t l = strlen(a);
		if (o + l + 1 > POLICY_ARGS_MAX)
			return -E2BIG;
		if (i > 1)
			ctx->args[o++] = ' ';
		memcpy(ctx->args + o, a, l);
		o += l;
	}
	ctx->args[o] = '\0';
	ctx->args_len = o;
	ctx->args_ready = true;
	return 0;
}

static bool cmd_names_match(const struct cmd_rule_c *c, const struct exec_q *q)
{
	if (c->any_command)
		return true;
	for (size_t i = 0; i < c->n; i++) {
		const struct cmd_entry *e = &c->entries[i];
		switch (e->kind) {
		case CMD_LIT_BASE:
			if (strcmp(e->lit, q->base) == 0 ||
			    (strlen(e->lit) == q->reallen &&
			     memcmp(e->lit, q->base, q->reallen) == 0))
				return true;
			break;
		case CMD_LIT_PATH:
			if (strcmp(e->lit, q->path) == 0)
				return true;
			break;
		case CMD_GLOB_BASE:
			if (policy_glob_match(e->glob, q->base, q->baselen) ||
			    policy_glob_match(e->glob, q->base, q->reallen))
				return true;
			break;
		case CMD_GLOB_PATH:
			if (policy_glob_match(e->glob, q->path, q->pathlen))
				return true;
			break;
		}
	}
	return false;
}

/* A pre-0.7.10 glob pattern: true when any single argument matches. */
static bool legacy_args_match(const struct policy_glob *g,
			      const struct policy_exec_req *r)
{
	for (size_t i = 1; i < r->argc; i++) {
		const char *a = r->argv[i] ? r->argv[i] : "";
		if (policy_glob_match(g, a, strlen(a)))
			return true;
	}
	return false;
}

static bool cmd_match(const struct policy *p, uint32_t idx, void *arg)
{
	const struct cmd_rule_c *c = &p->cmd[idx];
	struct exec_q *q = arg;
	int d = q->r->depth;

	if (d < c->src->min_depth || (c->src->max_depth >= 0 &&
				      d > c->src->max_depth))
		return false;
	if (!cmd_names_match(c, q))
		return false;
	if (c->nre == 0)
		return true;
	if (args_join(q) < 0) {
		q->err = -E2BIG;
		q->err_idx = idx;
		return true;
	}
	for (size_t i = 0; i < c->nre; i++) {
		int rc;
		if (c->arg_glob[i] != NULL) {
			if (legacy_args_match(c->arg_glob[i], q->r))
				return true;
			continue;
		}
		rc = pcre2_match(c->re[i], (PCRE2_SPTR)q->ctx->args,
				     q->ctx->args_len, 0, 0, q->ctx->md,
				     q->ctx->mctx);
		if (rc >= 0)
			return true;
		if (rc != PCRE2_ERROR_NOMATCH) {
			q->err = rc;
			q->err_idx = idx;
			return true;
		}
	}
	return false;
}

static const char *basename_of(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/* Lower-cased full path and basename of the executable, in ctx buffers. */
static int exec_names(struct policy_ctx *ctx, const char *exe,
		      struct exec_q *q)
{
	size_t l;

	if (exe[0] == '/') {
		if (policy_path_normalize(exe, NULL, ctx->path, sizeof(ctx->path)) < 0)
			return -ENAMETOOLONG;
	} else if (str_lcpy(ctx->path, exe, sizeof(ctx->path)) >= sizeof(ctx->path)) {
		return -ENAMETOOLONG;
	}
	l = strlen(ctx->path);
	str_lower(ctx->lower, ctx->path, l + 1);
	q->path = ctx->lower;
	q->pathlen = l;
	q->base = basename_of(ctx->lower);
	q->baselen = strlen(q->base);
	q->reallen = q->baselen;
	/* "bash.real" (a shim's renamed shell) is judged as "bash" too. */
	if (q->baselen > 5 && str_has_suffix(q->base, ".real"))
		q->reallen = q->baselen - 5;
	return 0;
}

int policy_check_exec(const struct policy *p, struct policy_ctx *ctx,
		      const struct policy_exec_req *r, struct policy_verdict *v)
{
	struct exec_q q = {ctx, r, NULL, NULL, 0, 0, 0, 0, NO_RULE};
	const char *exe = r->path ? r->path : (r->argc ? r->argv[0] : NULL);
	uint32_t best = NO_RULE;

	ctx->args_ready = false;
	if (exe == NULL || *exe == '\0' || exec_names(ctx, exe, &q) < 0) {
		verdict_default(v, POLICY_KIND_COMMAND, "invalid-command");
		v->reason = "the command name is empty or too long";
		return 0;
	}
	if (p->linear) {
		best = scan(p, (struct policy_idx_list){p->all,
							p->src->n_cmd_rules},
			    best, cmd_match, &q);
		goto decided;
	}
	best = scan(p, policy_index_get(p->cmd_ix.ix, q.base, q.baselen), best,
		    cmd_match, &q);
	if (q.reallen != q.baselen)
		best = scan(p, policy_index_get(p->cmd_ix.ix, q.base, q.reallen),
			    best, cmd_match, &q);
	if (q.path != q.base)
		best = scan(p, policy_index_get(p->cmd_ix.ix, q.path, q.pathlen),
			    best, cmd_match, &q);
	best = scan(p, (struct policy_idx_list){p->cmd_ix.generic,
						p->cmd_ix.ngeneric},
		    best, cmd_match, &q);
decided:
	if (best == NO_RULE) {
		verdict_default(v, POLICY_KIND_COMMAND, "default-deny-commands");
		return 0;
	}
	verdict_rule(v, POLICY_KIND_COMMAND, &p->cmd[best].src->c, best);
	v->cmd_rule = p->cmd[best].src;
	if (q.err != 0 && q.err_idx == best) {
		v->decision = POLICY_DENY;
		v->reason = "the arguments could not be checked against "
			    "args_patterns (too long or over the match "
			    "limit); denied";
	}
	verdict_finish(p, v);
	return 0;
}

struct file_q {
	const char *path;
	size_t len;
	uint32_t opbit;
};

static bool globs_match(const struct glob_list *gl, const char *s, size_t n)
{
	for (size_t i = 0; i < gl->n; i++) {
		if (policy_glob_match(gl->g[i], s, n))
			return true;
	}
	return false;
}

static bool file_match(const struct policy *p, uint32_t idx, void *arg)
{
	const struct file_q *q = arg;

	return (p->file[idx].ops & q->opbit) &&
	       globs_match(&p->file[idx].paths, q->path, q->len);
}

int policy_check_file(const struct policy *p, struct policy_ctx *ctx,
		      const struct policy_file_req *r, struct policy_verdict *v)
{
	struct file_q q;
	uint32_t best = NO_RULE;

	if ((unsigned)r->op >= POLICY_FILE_OP_COUNT ||
	    policy_path_normalize(r->path, r->cwd, ctx->path,
				  sizeof(ctx->path)) < 0) {
		verdict_default(v, POLICY_KIND_FILE, "invalid-path");
		v->reason = "the path is not absolute, has no cwd, or is too "
			    "long";
		return 0;
	}
	q.path = ctx->path;
	q.len = strlen(ctx->path);
	q.opbit = 1u << r->op;
	if (p->linear) {
		best = scan(p, (struct policy_idx_list){p->all,
							p->src->n_file_rules},
			    best, file_match, &q);
		goto decided;
	}
	/* Every directory prefix of the path, "/" first, is an index key. */
	for (size_t i = 0; i < q.len; i++) {
		if (ctx->path[i] == '/')
			best = scan(p, policy_index_get(p->file_ix.ix, ctx->path,
							i + 1),
				    best, file_match, &q);
	}
	best = scan(p, (struct policy_idx_list){p->file_ix.generic,
						p->file_ix.ngeneric},
		    best, file_match, &q);
decided:
	if (best == NO_RULE) {
		verdict_default(v, POLICY_KIND_FILE, "default-deny-files");
		return 0;
	}
	verdict_rule(v, POLICY_KIND_FILE, &p->file[best].src->c, best);
	v->file_rule = p->file[best].src;
	verdict_finish(p, v);
	return 0;
}

struct net_q {
	const char *host;
	size_t hostlen;
	uint16_t port;
	struct policy_ip ips[2 * POLICY_MAX_IPS + 2];
	size_t nips;
};

static bool net_match(const struct policy *p, uint32_t idx, void *arg)
{
	const struct net_rule_c *nc = &p->net[idx];
	const struct net_q *q = arg;
	bool ok;

	if (nc->src->nports > 0) {
		ok = false;
		for (size_t i = 0; i < nc->src->nports && !ok; i++)
			ok = nc->src->ports[i] == q->port;
		if (!ok)
			return false;
	}
	if (nc->domains.n > 0 && !globs_match(&nc->domains, q->host, q->hostlen))
		return false;
	if (nc->ncidrs == 0)
		return true;
	for (size_t i = 0; i < nc->ncidrs; i++) {
		for (size_t j = 0; j < q->nips; j++)
			if (policy_cidr_contains(&nc->cidrs[i], &q->ips[j]))
				return true;
	}
	return false;
}

/* Addresses to test: the given ones, the host if it is a literal, and
 * the IPv4 address embedded in any of them (NAT64, 6to4, Teredo). */
static int net_addrs(const struct policy_net_req *r, struct net_q *q)
{
	struct policy_ip lit, v4;
	size_t n = 0;

	if (r->nips > POLICY_MAX_IPS)
		return -E2BIG;
	for (size_t i = 0; i < r->nips; i++)
		q->ips[n++] = r->ips[i];
	if (policy_ip_parse(r->host, &lit) == 0)
		q->ips[n++] = lit;
	for (size_t i = 0, m = n; i < m; i++) {
		if (policy_ip_embedded_v4(&q->ips[i], &v4))
			q->ips[n++] = v4;
	}
	q->nips = n;
	return 0;
}

static uint32_t net_scan_cidrs(const struct policy *p, struct net_q *q,
			       uint32_t best)
{
	uint8_t key[17];

	for (size_t i = 0; i < q->nips; i++) {
		for (size_t k = 0; k < p->n_cidr_lens; k++) {
			uint8_t bits = p->cidr_lens[k];
			for (size_t b = 0; b < 16; b++) {
				int keep = (int)bits - (int)(b * 8);
				uint8_t m = keep >= 8 ? 0xff :
					    keep <= 0 ? 0 :
					    (uint8_t)(0xff << (8 - keep));
				key[b] = q->ips[i].b[b] & m;
			}
			key[16] = bits;
			best = scan(p, policy_index_get(p->cidr_ix.ix, key, 17),
				    best, net_match, q);
		}
	}
	return best;
}

int policy_check_net(const struct policy *p, struct policy_ctx *ctx,
		     const struct policy_net_req *r, struct policy_verdict *v)
{
	struct net_q q;
	uint32_t best = NO_RULE;
	size_t l = r->host ? strlen(r->host) : 0;

	if (l > 1 && r->host[l - 1] == '.')
		l--; /* "example.com." is example.com */
	if (l == 0 || l > POLICY_HOST_MAX || net_addrs(r, &q) < 0) {
		verdict_default(v, POLICY_KIND_NETWORK, "invalid-host");
		v->reason = "the host is empty, too long, or has too many "
			    "addresses";
		return 0;
	}
	str_lower(ctx->host, r->host, l);
	ctx->host[l] = '\0';
	q.host = ctx->host;
	q.hostlen = l;
	q.port = r->port;
	if (p->linear) {
		best = scan(p, (struct policy_idx_list){p->all,
							p->src->n_net_rules},
			    best, net_match, &q);
		goto decided;
	}
	best = scan(p, policy_index_get(p->dom_ix.ix, q.host, l), best,
		    net_match, &q);
	for (size_t i = 0; i < l; i++) {
		if (q.host[i] == '.')
			best = scan(p, policy_index_get(p->dom_ix.ix, q.host + i,
							l - i),
				    best, net_match, &q);
	}
	best = net_scan_cidrs(p, &q, best);
	best = scan(p, (struct policy_idx_list){p->dom_ix.generic,
						p->dom_ix.ngeneric},
		    best, net_match, &q);
decided:
	if (best == NO_RULE) {
		verdict_default(v, POLICY_KIND_NETWORK, "default-deny-network");
		return 0;
	}
	verdict_rule(v, POLICY_KIND_NETWORK, &p->net[best].src->c, best);
	verdict_finish(p, v);
	return 0;
}
