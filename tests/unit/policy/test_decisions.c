/* Table-driven decisions over the shipped Daytona policies
 * (tests/data/decisions/daytona.txt). */
#include <ctype.h>
#include <errno.h>

#include "helpers.h"

#define LINE_MAX_LEN 1024
#define MAX_FIELDS 6

struct loaded {
	const char *ver;
	struct tp t;
};

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int split(char *line, char **f)
{
	int n = 0;
	char *save = NULL;

	for (char *s = strtok_r(line, "|", &save); s && n < MAX_FIELDS;
	     s = strtok_r(NULL, "|", &save))
		f[n++] = trim(s);
	return n;
}

static struct policy_verdict run_connect(struct tp *t, char *subj)
{
	struct policy_ip ips[4];
	size_t nips = 0;
	char *ipspec = strstr(subj, " ip="), *colon;
	struct policy_verdict v;
	long port;

	if (ipspec) {
		char *save = NULL;
		*ipspec = '\0';
		for (char *s = strtok_r(ipspec + 4, ",", &save); s && nips < 4;
		     s = strtok_r(NULL, ",", &save))
			assert_int_equal(policy_ip_parse(s, &ips[nips++]), 0);
	}
	colon = strrchr(subj, ':');
	assert_non_null(colon);
	*colon = '\0';
	port = strtol(colon + 1, NULL, 10);
	struct policy_net_req r = {subj, (uint16_t)port, ips, nips};
	assert_int_equal(policy_check_net(t->p, t->ctx, &r, &v), 0);
	return v;
}

static struct policy_verdict run_one(struct tp *t, const char *op, char *subj)
{
	enum policy_file_op fop;
	struct policy_verdict v;
	int depth = 0;

	if (strcmp(op, "exec") == 0) {
		if (strncmp(subj, "depth=", 6) == 0) {
			depth = (int)strtol(subj + 6, &subj, 10);
			subj = trim(subj);
		}
		return tp_exec(t, subj, depth);
	}
	if (strcmp(op, "connect") == 0)
		return run_connect(t, subj);
	if (strcmp(op, "env") == 0) {
		assert_int_equal(policy_check_env(t->p, subj, NULL, &v), 0);
		return v;
	}
	if (strcmp(op, "exec-file") == 0)
		op = "exec";
	assert_int_equal(policy_file_op_parse(op, &fop), 0);
	return tp_file(t, fop, subj);
}

static void load_version(struct loaded *l, const char *ver)
{
	static char yaml[1 << 16];

	tp_read_compat(ver, yaml, sizeof(yaml));
	l->ver = ver;
	assert_int_equal(tp_load(&l->t, yaml, false), 0);
}

static void test_decision_table(void **state)
{
	char path[512], line[LINE_MAX_LEN], *f[MAX_FIELDS];
	struct loaded pol[2];
	int lineno = 0, checked = 0, failed = 0;
	FILE *fp;

	(void)state;
	load_version(&pol[0], "0.7.2");
	load_version(&pol[1], "0.7.10");
	snprintf(path, sizeof(path), "%s/decisions/daytona.txt",
		 getenv("AGENTSH_TEST_DATA"));
	fp = fopen(path, "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp)) {
		struct policy_verdict v;
		struct loaded *l;

		lineno++;
		if (line[0] == '#' || trim(line)[0] == '\0')
			continue;
		assert_int_equal(split(line, f), 6);
		l = strcmp(f[0], "0.7.2") == 0 ? &pol[0] : &pol[1];
		v = run_one(&l->t, f[1], f[2]);
		checked++;
		if (strcmp(policy_decision_name(v.decision), f[3]) != 0 ||
		    strcmp(policy_decision_name(v.effective), f[4]) != 0 ||
		    strcmp(v.rule, f[5]) != 0) {
			fprintf(stderr, "daytona.txt:%d: %s %s: got %s/%s/%s, "
				"want %s/%s/%s\n", lineno, f[1], f[2],
				policy_decision_name(v.decision),
				policy_decision_name(v.effective), v.rule, f[3],
				f[4], f[5]);
			failed++;
		}
	}
	fclose(fp);
	tp_free(&pol[0].t);
	tp_free(&pol[1].t);
	fprintf(stderr, "decision table: %d checked, %d failed\n", checked,
		failed);
	assert_true(checked >= 150);
	assert_int_equal(failed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decision_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
