#include "genpolicy.h"

#include <stdio.h>
#include <string.h>

static const char *const decisions[] = {"allow", "deny", "audit", "approve"};
static const char *const fops[] = {"read", "write", "stat", "delete", "list",
				   "create"};

uint64_t gen_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static int gen_cmd_rules(struct buf *o, size_t n, uint64_t *s)
{
	int r = buf_puts(o, "command_rules:\n");

	for (size_t i = 0; i < n && r == 0; i++) {
		uint64_t x = gen_rand(s);
		r = buf_printf(o, "  - name: cmd-%zu\n    commands: [tool%zu, "
			       "/opt/bin/tool%zu]\n", i, i, i + 1);
		if (r == 0 && x % 3 == 0)
			r = buf_printf(o, "    args_patterns: [\"^--mode%zu\"]\n",
				       i % 7);
		if (r == 0 && x % 11 == 0)
			r = buf_printf(o, "    context: [nested]\n");
		if (r == 0)
			r = buf_printf(o, "    decision: %s\n",
				       decisions[(x >> 8) % 4]);
	}
	if (r == 0)
		r = buf_puts(o, "  - name: cmd-glob\n    commands: [\"gen-*\"]\n"
			     "    decision: audit\n  - name: cmd-rest\n"
			     "    commands: [\"*\"]\n    decision: allow\n");
	return r;
}

static int gen_file_rules(struct buf *o, size_t n, uint64_t *s)
{
	int r = buf_puts(o, "file_rules:\n");

	for (size_t i = 0; i < n && r == 0; i++) {
		uint64_t x = gen_rand(s);
		r = buf_printf(o, "  - name: file-%zu\n    paths: [\"/data/p%zu/**\","
			       " \"/srv/s%zu/*.log\"]\n    operations: [%s, %s]\n"
			       "    decision: %s\n", i, i, i % 50, fops[x % 6],
			       fops[(x >> 4) % 6], decisions[(x >> 8) % 4]);
	}
	if (r == 0)
		r = buf_puts(o, "  - name: file-env\n    paths: [\"**/.env\"]\n"
			     "    decision: approve\n  - name: file-rest\n"
			     "    paths: [\"**\"]\n    decision: deny\n");
	return r;
}

static int gen_net_rules(struct buf *o, size_t n, uint64_t *s)
{
	int r = buf_puts(o, "network_rules:\n");

	for (size_t i = 0; i < n && r == 0; i++) {
		uint64_t x = gen_rand(s);
		if (x % 3 == 0)
			r = buf_printf(o, "  - name: net-%zu\n    cidrs: "
				       "[\"10.%zu.0.0/16\"]\n", i, i % 256);
		else
			r = buf_printf(o, "  - name: net-%zu\n    domains: "
				       "[host%zu.example.com, \"*.svc%zu.example.org\"]\n"
				       "    ports: [443, %zu]\n", i, i, i,
				       1000 + i);
		if (r == 0)
			r = buf_printf(o, "    decision: %s\n",
				       decisions[(x >> 8) % 4]);
	}
	if (r == 0)
		r = buf_puts(o, "  - name: net-https\n    ports: [443]\n"
			     "    decision: approve\n");
	return r;
}

int gen_policy_yaml(struct buf *out, size_t nrules, uint64_t seed)
{
	uint64_t s = seed ? seed : 1;
	size_t nc = nrules * 2 / 5, nf = nrules * 3 / 10;
	size_t nn = nrules - nc - nf;
	int r = buf_puts(out, "version: 1\nname: generated\n");

	if (r == 0)
		r = gen_cmd_rules(out, nc, &s);
	if (r == 0)
		r = gen_file_rules(out, nf, &s);
	if (r == 0)
		r = gen_net_rules(out, nn, &s);
	return r;
}

static void gen_exec(struct gen_req *q, size_t n, uint64_t x)
{
	q->kind = GEN_EXEC;
	if (x % 5 == 0)
		snprintf(q->path, sizeof(q->path), "/opt/bin/tool%zu",
			 (size_t)(x >> 8) % (n + 10));
	else if (x % 7 == 0)
		snprintf(q->path, sizeof(q->path), "gen-%u", (unsigned)(x >> 20) % 9);
	else
		snprintf(q->path, sizeof(q->path), "tool%zu",
			 (size_t)(x >> 8) % (n + 10));
	q->depth = (int)((x >> 60) % 2);
	q->argc = 1 + (x >> 40) % 3;
	for (size_t i = 1; i < q->argc; i++)
		snprintf(q->args[i], sizeof(q->args[i]), "--mode%u",
			 (unsigned)((x >> (44 + i)) % 9));
	q->argv[0] = q->path;
	for (size_t i = 1; i < q->argc; i++)
		q->argv[i] = q->args[i];
}

void gen_request(struct gen_req *q, size_t nrules, uint64_t *s)
{
	uint64_t x = gen_rand(s), y = gen_rand(s);

	memset(q, 0, sizeof(*q));
	switch (x % 3) {
	case 0:
		gen_exec(q, nrules * 2 / 5, y);
		break;
	case 1:
		q->kind = GEN_FILE;
		q->op = (enum policy_file_op)(y % POLICY_OP_LINK);
		if (y % 4 == 0)
			snprintf(q->path, sizeof(q->path), "/srv/s%u/app.log",
				 (unsigned)(y >> 8) % 60);
		else if (y % 9 == 0)
			snprintf(q->path, sizeof(q->path), "/home/u/p/.env");
		else
			snprintf(q->path, sizeof(q->path), "/data/p%u/src/f%u.c",
				 (unsigned)(y >> 8) % (unsigned)(nrules * 3 / 10 + 5),
				 (unsigned)(y >> 32) % 100);
		break;
	default:
		q->kind = GEN_NET;
		q->port = (y >> 50) % 2 ? 443 : (uint16_t)(1000 + (y >> 8) % nrules);
		if (y % 3 == 0) {
			char ip[32];
			snprintf(ip, sizeof(ip), "10.%u.1.2", (unsigned)(y >> 8) % 300 % 256);
			snprintf(q->host, sizeof(q->host), "h%u.internal",
				 (unsigned)(y >> 16) % 100);
			policy_ip_parse(ip, &q->ip);
			q->nips = 1;
		} else if (y % 3 == 1) {
			snprintf(q->host, sizeof(q->host), "host%u.example.com",
				 (unsigned)(y >> 8) % (unsigned)nrules);
		} else {
			snprintf(q->host, sizeof(q->host), "a.svc%u.example.org",
				 (unsigned)(y >> 8) % (unsigned)nrules);
		}
		break;
	}
}

int gen_decide(const struct policy *p, struct policy_ctx *ctx,
	       struct gen_req *q, struct policy_verdict *v)
{
	switch (q->kind) {
	case GEN_EXEC: {
		struct policy_exec_req r = {q->path, q->argv, q->argc, q->depth};
		return policy_check_exec(p, ctx, &r, v);
	}
	case GEN_FILE: {
		struct policy_file_req r = {q->op, q->path, NULL};
		return policy_check_file(p, ctx, &r, v);
	}
	default: {
		struct policy_net_req r = {q->host, q->port, &q->ip, q->nips};
		return policy_check_net(p, ctx, &r, v);
	}
	}
}
