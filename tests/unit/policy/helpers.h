/* Shared helpers for the policy unit tests. */
#ifndef AGENTSH_TEST_POLICY_HELPERS_H
#define AGENTSH_TEST_POLICY_HELPERS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

struct tp {
	struct policy_src *src;
	struct policy *p;
	struct policy_ctx *ctx;
	struct diag d;
};

static inline const char *tp_vars(void *arg, const char *name)
{
	(void)arg;
	if (strcmp(name, "PROJECT_ROOT") == 0 || strcmp(name, "GIT_ROOT") == 0)
		return "/workspace/proj";
	if (strcmp(name, "HOME") == 0)
		return "/home/daytona";
	return NULL;
}

/* Load and compile YAML text; returns 0 or the failing code. */
static inline int tp_load(struct tp *t, const char *yaml, bool approvals)
{
	struct policy_compile_opts co = {tp_vars, NULL, approvals};
	int r;

	memset(t, 0, sizeof(*t));
	diag_init(&t->d);
	r = policy_src_load_buffer(yaml, strlen(yaml), "t.yaml", &t->src, &t->d);
	if (r == 0)
		r = policy_compile(t->src, &co, &t->p, &t->d);
	if (r == 0)
		t->ctx = policy_ctx_new();
	return r;
}

static inline void tp_free(struct tp *t)
{
	policy_ctx_free(t->ctx);
	policy_free(t->p);
	policy_src_free(t->src);
	diag_release(&t->d);
}

/* Exec decision for a space-separated command line. */
static inline struct policy_verdict tp_exec(struct tp *t, const char *line,
					    int depth)
{
	char buf[1024], *argv[64], *save = NULL;
	size_t argc = 0;
	struct policy_verdict v;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *s = strtok_r(buf, " ", &save); s && argc < 64;
	     s = strtok_r(NULL, " ", &save))
		argv[argc++] = s;
	struct policy_exec_req r = {argv[0], (const char *const *)argv, argc,
				    depth};
	assert_int_equal(policy_check_exec(t->p, t->ctx, &r, &v), 0);
	return v;
}

static inline struct policy_verdict tp_file(struct tp *t, enum policy_file_op op,
					    const char *path)
{
	struct policy_file_req r = {op, path, "/workspace/proj"};
	struct policy_verdict v;

	assert_int_equal(policy_check_file(t->p, t->ctx, &r, &v), 0);
	return v;
}

/* Connect decision; ip may be NULL (no resolution). */
static inline struct policy_verdict tp_net(struct tp *t, const char *host,
					   int port, const char *ip)
{
	struct policy_ip a;
	struct policy_net_req r = {host, (uint16_t)port, ip ? &a : NULL, ip ? 1 : 0};
	struct policy_verdict v;

	if (ip)
		assert_int_equal(policy_ip_parse(ip, &a), 0);
	assert_int_equal(policy_check_net(t->p, t->ctx, &r, &v), 0);
	return v;
}

/* Read tests/data/compat/daytona-vVER/default.yaml into buf (size n). */
static inline void tp_read_compat(const char *ver, char *buf, size_t n)
{
	char path[512];
	FILE *fp;
	size_t got;

	snprintf(path, sizeof(path), "%s/compat/daytona-v%s/default.yaml",
		 getenv("AGENTSH_TEST_DATA"), ver);
	fp = fopen(path, "r");
	assert_non_null(fp);
	got = fread(buf, 1, n - 1, fp);
	buf[got] = '\0';
	fclose(fp);
}

/* Index of the first diagnostic with code, or -1. */
static inline int tp_diag_find(const struct diag *d, const char *code)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->v[i].code, code) == 0)
			return (int)i;
	return -1;
}

#endif
