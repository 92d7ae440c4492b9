/* libFuzzer target: bytes → policy loader → compiler → linter → decisions. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *fuzz_lookup(void *arg, const char *name)
{
	(void)arg;
	(void)name;
	return "/workspace/proj";
}

static void fuzz_decide(const struct policy *p)
{
	static const char *const argv[] = {"git", "push", "--force", "origin"};
	struct policy_exec_req er = {"/usr/bin/git", argv, 4, 1};
	struct policy_file_req fr = {POLICY_OP_READ, "/workspace/proj/a/../.env", NULL};
	struct policy_ip ip;
	struct policy_net_req nr = {"a.evil.com", 443, &ip, 1};
	struct policy_verdict v;
	struct policy_ctx *ctx = policy_ctx_new();
	char msg[POLICY_MESSAGE_MAX];
	struct policy_render_args ra = {"/p", "read", "git", "push", "h", "1.2.3.4", "443"};

	if (ctx == NULL)
		return;
	policy_ip_parse("169.254.169.254", &ip);
	policy_check_exec(p, ctx, &er, &v);
	policy_render_message(&v, &ra, msg, sizeof(msg));
	policy_check_file(p, ctx, &fr, &v);
	policy_render_message(&v, &ra, msg, sizeof(msg));
	policy_check_net(p, ctx, &nr, &v);
	policy_render_message(&v, &ra, msg, sizeof(msg));
	policy_check_env(p, "AWS_SECRET_ACCESS_KEY", NULL, &v);
	policy_ctx_free(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_compile_opts co = {fuzz_lookup, NULL, false};
	struct policy_src *src = NULL;
	struct policy *p = NULL;
	struct diag d;

	diag_init(&d);
	if (policy_src_load_buffer((const char *)data, size, "fuzz.yaml", &src,
				   &d) == 0 &&
	    policy_compile(src, &co, &p, &d) == 0) {
		policy_lint(p, &d);
		fuzz_decide(p);
	}
	policy_free(p);
	policy_src_free(src);
	diag_release(&d);
	return 0;
}
