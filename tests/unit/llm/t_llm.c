/* Helpers shared by the llm unit tests. The token map stands in for a
 * DLP session: the llm module only sees the hook. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t_llm.h"

#define T_PATH_MAX 4096

static void t_llm_path(const char *name, char *p)
{
	const char *dir = getenv("AGENTSH_LLM_FIXTURES");

	assert_non_null(dir);
	snprintf(p, T_PATH_MAX, "%s/%s", dir, name);
}

char *t_llm_fixture(const char *name, size_t *n)
{
	char p[T_PATH_MAX];
	FILE *f;
	char *b;
	long l;

	t_llm_path(name, p);
	f = fopen(p, "rb");
	if (f == NULL)
		fail_msg("missing fixture %s", p);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	l = ftell(f);
	assert_true(l >= 0);
	rewind(f);
	b = malloc((size_t)l + 1);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)l, f), (size_t)l);
	fclose(f);
	b[l] = '\0';
	*n = (size_t)l;
	return b;
}

void t_llm_golden(const char *name, const char *got, size_t n)
{
	char p[T_PATH_MAX];
	const char *regen = getenv("LLM_FIXTURES_REGEN");
	size_t wn;
	char *want;
	FILE *f;

	if (regen != NULL && strcmp(regen, "1") == 0) {
		t_llm_path(name, p);
		f = fopen(p, "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(got, 1, n, f), n);
		fclose(f);
		return;
	}
	want = t_llm_fixture(name, &wn);
	if (wn != n || memcmp(want, got, n) != 0)
		fail_msg("%s differs from the output:\n%.*s", name, (int)n, got);
	free(want);
}

struct t_tok {
	const char *tok, *val;
	bool tool; /* restorable into tool input */
};

static const struct t_tok t_toks[] = {
	{ "DLP_EMAIL_abcdefgh23", "alice@example.com", true },
	{ "DLP_SSN_k3m7x2qa7b", "078-05-1120", false },
	{ "DLP_NAME_qqqqqqqqqq", "Bob \"the\" Builder\\", true },
};

int t_llm_restore(void *arg, const char *tok, size_t n, enum llm_lane lane,
		  struct buf *out)
{
	int *calls = arg;

	if (calls != NULL)
		(*calls)++;
	for (size_t i = 0; i < sizeof(t_toks) / sizeof(t_toks[0]); i++) {
		if (strlen(t_toks[i].tok) != n ||
		    memcmp(t_toks[i].tok, tok, n) != 0)
			continue;
		if (lane == LLM_LANE_TOOL_INPUT && !t_toks[i].tool)
			return -EPERM;
		return buf_puts(out, t_toks[i].val);
	}
	return -ENOENT;
}
