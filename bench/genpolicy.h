/* A generator of large synthetic policies and matching request mixes, for
 * the policy benchmark and for the index-versus-linear property test. */
#ifndef AGENTSH_BENCH_GENPOLICY_H
#define AGENTSH_BENCH_GENPOLICY_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "policy/policy.h"

#define GEN_ARGV_MAX 8

struct gen_req {
	enum { GEN_EXEC, GEN_FILE, GEN_NET } kind;
	char path[128];           /* exec path or file path */
	char args[GEN_ARGV_MAX][32];
	const char *argv[GEN_ARGV_MAX + 1];
	size_t argc;
	int depth;
	enum policy_file_op op;
	char host[96];
	uint16_t port;
	struct policy_ip ip;
	size_t nips;
};

/* Deterministic xorshift64* generator. */
uint64_t gen_rand(uint64_t *state);
/* Append YAML for a policy with about nrules rules in all. */
int gen_policy_yaml(struct buf *out, size_t nrules, uint64_t seed);
/* Fill req with a request aimed at the generated policy (hits and misses). */
void gen_request(struct gen_req *req, size_t nrules, uint64_t *state);
/* Decide req; returns the verdict. */
int gen_decide(const struct policy *p, struct policy_ctx *ctx,
	       struct gen_req *req, struct policy_verdict *v);

#endif
