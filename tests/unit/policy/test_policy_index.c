/* Property test: the indexed engine decides exactly like a linear scan of
 * every rule, over generated policies and requests. */
#include "helpers.h"
#include "genpolicy.h"

#define N_REQUESTS 20000

static void check_policy(size_t nrules, uint64_t seed)
{
	struct buf y;
	struct tp t;
	uint64_t s = seed;
	size_t diffs = 0;

	buf_init(&y, 16u << 20);
	assert_int_equal(gen_policy_yaml(&y, nrules, seed), 0);
	if (tp_load(&t, y.data, false) != 0) {
		diag_print(&t.d, stderr);
		fail();
	}
	for (size_t i = 0; i < N_REQUESTS; i++) {
		struct gen_req q;
		struct policy_verdict a, b;

		gen_request(&q, nrules, &s);
		policy_set_linear(t.p, false);
		assert_int_equal(gen_decide(t.p, t.ctx, &q, &a), 0);
		policy_set_linear(t.p, true);
		assert_int_equal(gen_decide(t.p, t.ctx, &q, &b), 0);
		if (a.rule_index != b.rule_index || strcmp(a.rule, b.rule) != 0 ||
		    a.effective != b.effective) {
			if (diffs++ < 5)
				fprintf(stderr, "differs: kind %d path %s host %s: "
					"index %s, linear %s\n", q.kind, q.path,
					q.host, a.rule, b.rule);
		}
	}
	assert_int_equal(diffs, 0);
	tp_free(&t);
	buf_release(&y);
}

static void test_index_equals_linear(void **state)
{
	(void)state;
	check_policy(50, 7);
	check_policy(1000, 42);
	check_policy(3000, 1234567);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index_equals_linear),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
