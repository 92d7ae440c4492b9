/*
 * Policy decision throughput, one core: the shipped Daytona v0.7.10 policy
 * and a generated 1,000-rule policy, mixed operations. The baseline in the
 * same run is the same engine scanning every rule in order (no indexes);
 * both must give identical answers. Allocation during the timed loops is
 * counted by wrapping malloc and must be zero.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "genpolicy.h"

void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t m);
void *__libc_realloc(void *p, size_t n);

static int counting;
static unsigned long allocs;

void *malloc(size_t n)
{
	allocs += counting;
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t m)
{
	allocs += counting;
	return __libc_calloc(n, m);
}

void *realloc(void *p, size_t n)
{
	allocs += counting;
	return __libc_realloc(p, n);
}

#define SHIPPED_TARGET 1000000.0
#define GENERATED_TARGET 200000.0
#define N_MIX 4096

static const char *lookup(void *arg, const char *name)
{
	(void)arg;
	if (strcmp(name, "HOME") == 0)
		return "/home/daytona";
	return strcmp(name, "PROJECT_ROOT") == 0 || strcmp(name, "GIT_ROOT") == 0 ?
		       "/workspace/proj" : NULL;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Realistic requests against the shipped policy. */
static void shipped_mix(struct gen_req *mix, size_t n, uint64_t *s)
{
	static const char *const cmds[] = {
		"ls", "git", "cat", "sudo", "curl", "npm", "rm", "python3",
		"/usr/bin/make", "kill", "tar", "node", "grep", "ssh", "sed",
	};
	static const char *const files[] = {
		"/workspace/proj/src/main.c", "/workspace/proj/.env", "/etc/passwd",
		"/usr/lib/x86_64-linux-gnu/libc.so.6", "/tmp/build/x.o",
		"/home/daytona/.ssh/id_ed25519", "/proc/1/environ",
		"/root/.npm/_cacache/index", "/srv/data/x",
	};
	static const char *const hosts[] = {
		"github.com", "registry.npm.example", "evil.com", "example.org",
		"api.github.com", "pypi.org", "x.y.z.example.net", "localhost",
	};

	for (size_t i = 0; i < n; i++) {
		uint64_t x = gen_rand(s);
		struct gen_req *q = &mix[i];
		memset(q, 0, sizeof(*q));
		q->kind = (int)(x % 3);
		if (q->kind == GEN_EXEC) {
			snprintf(q->path, sizeof(q->path), "%s", cmds[(x >> 8) % 15]);
			snprintf(q->args[1], sizeof(q->args[1]), "%s",
				 (x >> 16) % 2 ? "-rf" : "status");
			q->argv[0] = q->path;
			q->argv[1] = q->args[1];
			q->argc = 2;
		} else if (q->kind == GEN_FILE) {
			snprintf(q->path, sizeof(q->path), "%s", files[(x >> 8) % 9]);
			q->op = (enum policy_file_op)((x >> 16) % 6);
		} else {
			snprintf(q->host, sizeof(q->host), "%s", hosts[(x >> 8) % 8]);
			q->port = (x >> 16) % 2 ? 443 : 80;
		}
	}
}

/* Decisions per second over the mix; *rules collects a checksum. */
static double run(const struct policy *p, struct policy_ctx *ctx,
		  struct gen_req *mix, size_t iters, unsigned long *sum)
{
	struct policy_verdict v;
	double t0 = now();

	counting = 1;
	for (size_t i = 0; i < iters; i++) {
		gen_decide(p, ctx, &mix[i % N_MIX], &v);
		*sum += (unsigned long)(v.rule_index + 1) * (i % 7 + 1);
	}
	counting = 0;
	return (double)iters / (now() - t0);
}

static struct policy *load(const char *yaml, size_t len, const char *name,
			   struct policy_src **src)
{
	struct policy_compile_opts co = {lookup, NULL, false};
	struct policy *p = NULL;
	struct diag d;

	diag_init(&d);
	if (policy_src_load_buffer(yaml, len, name, src, &d) < 0 ||
	    policy_compile(*src, &co, &p, &d) < 0) {
		diag_print(&d, stderr);
		exit(2);
	}
	diag_release(&d);
	return p;
}

static int bench(const char *label, struct policy *p, struct gen_req *mix,
		 size_t iters, double target)
{
	struct policy_ctx *ctx = policy_ctx_new();
	unsigned long s1 = 0, s2 = 0, a1, a2;
	double fast, slow;

	run(p, ctx, mix, N_MIX, &s1); /* warm caches and JIT */
	s1 = 0;
	allocs = 0;
	fast = run(p, ctx, mix, iters, &s1);
	a1 = allocs;
	policy_set_linear(p, true);
	allocs = 0;
	slow = run(p, ctx, mix, iters / 4, &s2);
	a2 = allocs;
	policy_set_linear(p, false);
	s1 = 0;
	run(p, ctx, mix, iters / 4, &s1);
	policy_ctx_free(ctx);
	printf("%-34s %12.0f/s   linear scan %12.0f/s   ratio %5.2fx   "
	       "allocations %lu/%lu   target %.0f/s: %s\n", label, fast, slow,
	       fast / slow, a1, a2, target, fast >= target ? "met" : "MISSED");
	if (s1 != s2) {
		printf("  ERROR: indexed and linear decisions differ\n");
		return 1;
	}
	return fast >= target && a1 == 0 && a2 == 0 ? 0 : 1;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "r");
	char *b = malloc(1 << 20);

	if (fp == NULL || b == NULL) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(2);
	}
	*len = fread(b, 1, (1 << 20) - 1, fp);
	b[*len] = '\0';
	fclose(fp);
	return b;
}

int main(int argc, char **argv)
{
	static struct gen_req mix[N_MIX];
	struct policy_src *src1 = NULL, *src2 = NULL;
	struct policy *p1, *p2;
	struct buf y;
	size_t len, iters = argc > 2 ? strtoul(argv[2], NULL, 10) : 3000000;
	char *yaml;
	uint64_t s = 99;
	int bad = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_policy SHIPPED.yaml [ITERATIONS]\n");
		return 2;
	}
	/* The counter must see allocations, or "0" would prove nothing. */
	counting = 1;
	policy_ctx_free(policy_ctx_new());
	counting = 0;
	if (allocs == 0) {
		fprintf(stderr, "malloc wrapper is not active\n");
		return 2;
	}
	printf("policy decisions per second, one core (%zu per run)\n", iters);
	yaml = read_file(argv[1], &len);
	p1 = load(yaml, len, argv[1], &src1);
	shipped_mix(mix, N_MIX, &s);
	bad |= bench("shipped v0.7.10 policy", p1, mix, iters, SHIPPED_TARGET);
	buf_init(&y, 16u << 20);
	gen_policy_yaml(&y, 1000, 42);
	p2 = load(y.data, y.len, "generated-1000", &src2);
	for (size_t i = 0; i < N_MIX; i++)
		gen_request(&mix[i], 1000, &s);
	bad |= bench("generated 1,000-rule policy", p2, mix, iters,
		     GENERATED_TARGET);
	policy_free(p1);
	policy_free(p2);
	policy_src_free(src1);
	policy_src_free(src2);
	buf_release(&y);
	free(yaml);
	return bad;
}
