/* dlp_apply: one rewrite per text, existing tokens and markers left alone,
 * idempotence, adjacent findings without partial leaks, the callback and
 * the round trip through dlp_session_restore on generated text. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlp/dlp_tok.h"
#include "t_dlp.h"

#define T_OUT_MAX (4u << 20)
#define T_WORD "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
	"0123456789_"

static const struct dlp_custom t_custom[] = {
	{ "ticket", "TICKET", "T[0-9]{4}" },
	{ "tenletters", "LOWER10", "[a-z]{10}" },
	{ "long", "BLOB", "Z{20,}" },
};

/* One engine for all tests: building one is slow under ASan. */
static int t_setup(void **state)
{
	*state = t_dlp_engine(t_custom, 3, false);
	return 0;
}

static int t_teardown(void **state)
{
	dlp_engine_free(*state);
	return 0;
}

static struct dlp_session *t_session(enum dlp_action pii)
{
	struct dlp_session_opts o = { .pii = pii };
	struct dlp_session *s = NULL;

	assert_int_equal(dlp_session_new(&o, &s), 0);
	return s;
}

/* apply(apply(x)) == apply(x); returns apply(x). */
static char *t_idem(struct dlp_engine *e, struct dlp_session *s,
		    const char *in)
{
	char *once = t_dlp_apply(e, s, in, strlen(in));
	char *twice = t_dlp_apply(e, s, once, strlen(once));

	if (strcmp(once, twice) != 0)
		fail_msg("not idempotent:\n in: %s\n 1:  %s\n 2:  %s", in,
			 once, twice);
	free(twice);
	return once;
}

/* Every whole-word token of out restored, text lane. */
static char *t_restore(struct dlp_session *s, const char *out)
{
	struct buf b;
	size_t i = 0, n = strlen(out);

	buf_init(&b, T_OUT_MAX);
	while (i < n) {
		size_t w = strspn(out + i, T_WORD);

		if (w == 0) {
			assert_int_equal(buf_putc(&b, out[i++]), 0);
			continue;
		}
		if (strncmp(out + i, "DLP_", 4) != 0 ||
		    dlp_session_restore(s, out + i, w, DLP_LANE_TEXT, &b) != 0)
			assert_int_equal(buf_append(&b, out + i, w), 0);
		i += w;
	}
	if (b.data == NULL)
		assert_int_equal(buf_puts(&b, ""), 0);
	return buf_steal(&b);
}

static void test_modes(void **state)
{
	struct dlp_engine *e = *state;
	struct dlp_session *r = t_session(DLP_ACT_REDACT);
	struct dlp_session *t = t_session(DLP_ACT_TOKENIZE);
	const char *in = "mail jane.doe@acme-corp.io, ssn 536-22-8714, key "
			 "gh" "p_Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y3gm1IL.";
	const char *want = "mail [REDACTED:EMAIL], ssn [REDACTED:SSN], key "
			   "[REDACTED:GITHUB_TOKEN].";
	char *a = t_idem(e, NULL, in), *b = t_idem(e, r, in);
	char *c = t_idem(e, t, in), *d;

	assert_string_equal(a, want);
	assert_string_equal(b, want);
	assert_memory_equal(c, "mail DLP_EMAIL_", 15);
	assert_non_null(strstr(c, ", ssn DLP_SSN_"));
	assert_non_null(strstr(c, ", key [REDACTED:GITHUB_TOKEN]."));
	d = t_restore(t, c);
	assert_string_equal(d, "mail jane.doe@acme-corp.io, ssn 536-22-8714, "
			    "key [REDACTED:GITHUB_TOKEN].");
	free(a);
	free(b);
	free(c);
	free(d);
	dlp_session_free(r);
	dlp_session_free(t);
}

/* Re-sent history: tokens and markers pass, a fake marker does not. */
static void test_existing_tokens(void **state)
{
	struct dlp_engine *e = *state;
	struct dlp_session *t = t_session(DLP_ACT_TOKENIZE);
	char *a;

	/* "abcdefghij" is a LOWER10 finding, but not inside a token */
	a = t_idem(e, t, "was DLP_EMAIL_abcdefghij, [REDACTED:SSN] and "
		   "[REDACTED:TICKET]; now abcdefghij");
	assert_memory_equal(a, "was DLP_EMAIL_abcdefghij, [REDACTED:SSN] and "
			    "[REDACTED:TICKET]; now DLP_LOWER10_", 61);
	free(a);
	/* unknown TYPE: not protected, its tail is scanned */
	a = t_idem(e, t, "DLP_NOPE_abcdefghij");
	assert_string_equal(a, "DLP_NOPE_[REDACTED:LOWER10]");
	free(a);
	/* a marker of no rule hides nothing */
	a = t_idem(e, NULL, "[REDACTED:jane.doe@acme-corp.io] "
		   "[REDACTED:T1234]");
	assert_string_equal(a, "[REDACTED:[REDACTED:EMAIL]] "
			    "[REDACTED:[REDACTED:TICKET]]");
	free(a);
	/* not a whole word: DLP_EMAIL_abcdefghijk is no token */
	a = t_idem(e, t, "DLP_EMAIL_abcdefghijk");
	assert_string_equal(a, "DLP_EMAIL_[REDACTED:LOWER10]k");
	free(a);
	/* a token must start a word: zDLP_... is none */
	a = t_idem(e, t, "zDLP_EMAIL_abcdefghij");
	assert_string_equal(a, "zDLP_EMAIL_[REDACTED:LOWER10]");
	free(a);
	dlp_session_free(t);
}

/* No ticket digits outside tokens (whose tails may hold 2-7). */
static void t_no_digits(const char *a)
{
	for (size_t i = 0; a[i] != '\0'; i++) {
		size_t w = strspn(a + i, T_WORD);

		if (w == 0)
			w = 1;
		if (strncmp(a + i, "DLP_", 4) != 0)
			for (size_t k = i; k < i + w; k++)
				assert_true(a[k] < '0' || a[k] > '9');
		i += w - 1;
	}
}

/* Adjacent findings: a token next to a word byte would not be a token. */
static void test_adjacent(void **state)
{
	struct dlp_engine *e = *state;
	struct dlp_session *t = t_session(DLP_ACT_TOKENIZE);
	char *a = t_idem(e, t, "T1234T5678T9012"), *b;

	/* token, then a marker (after a word byte), then a token again */
	t_no_digits(a);
	assert_memory_equal(a, "DLP_TICKET_", 11);
	assert_memory_equal(a + 21, "[REDACTED:TICKET]DLP_TICKET_", 28);
	assert_int_equal(strlen(a), 21 + 17 + 21);
	b = t_restore(t, a);
	assert_string_equal(b, "T1234[REDACTED:TICKET]T9012");
	free(a);
	free(b);
	a = t_idem(e, t, "xT1234 T5678y (T9012)");
	assert_string_equal(a + strlen(a) - 1, ")");
	t_no_digits(a);
	b = t_restore(t, a);
	assert_string_equal(b, "x[REDACTED:TICKET] [REDACTED:TICKET]y "
			    "(T9012)");
	free(a);
	free(b);
	dlp_session_free(t);
}

/* A value over the limit is redacted, not kept in the map. */
static void test_long_value(void **state)
{
	struct dlp_engine *e = *state;
	struct dlp_session *t = t_session(DLP_ACT_TOKENIZE);
	char *in = malloc(2101), *a;

	memset(in, 'Z', 2100);
	in[2100] = '\0';
	a = t_idem(e, t, in);
	assert_string_equal(a, "[REDACTED:BLOB]");
	assert_int_equal(dlp_session_tokens(t), 0);
	free(a);
	in[25] = ' ';
	in[26] = '\0';
	a = t_idem(e, t, in);
	assert_memory_equal(a, "DLP_BLOB_", 9);
	free(a);
	free(in);
	dlp_session_free(t);
}

struct t_seen {
	struct dlp_applied a[8];
	size_t n;
	int stop;
};

static int t_cb(const struct dlp_applied *a, void *arg)
{
	struct t_seen *s = arg;

	if (s->n < 8)
		s->a[s->n++] = *a;
	return s->n == 2 ? s->stop : 0;
}

static void test_callback_stats(void **state)
{
	struct dlp_engine *e = *state;
	struct dlp_session *t = t_session(DLP_ACT_TOKENIZE);
	const char *in = "a@acme-corp.io AK" "IAQH5AV2RICPHKQDLM 536-22-8714";
	struct t_seen seen = { .n = 0 };
	struct dlp_stats st = { 0 };
	struct buf b;

	buf_init(&b, 4096);
	assert_int_equal(buf_puts(&b, "prefix:"), 0);
	assert_int_equal(dlp_apply(e, t, in, strlen(in), &b, t_cb, &seen,
				   &st), 0);
	assert_memory_equal(b.data, "prefix:DLP_EMAIL_", 17);
	assert_int_equal(seen.n, 3);
	assert_string_equal(seen.a[0].rule, "email");
	assert_int_equal(seen.a[0].action, DLP_ACT_TOKENIZE);
	assert_int_equal(seen.a[0].start, 0);
	assert_int_equal(seen.a[0].end, 14);
	assert_string_equal(seen.a[1].display, "AWS_ACCESS_KEY");
	assert_int_equal(seen.a[1].action, DLP_ACT_REDACT);
	assert_int_equal(seen.a[2].start, strlen(in) - 11);
	assert_int_equal(st.findings, 3);
	assert_int_equal(st.bytes_in, strlen(in));
	assert_int_equal(st.bytes_out, b.len - 7);
	/* a non-zero callback value stops and is returned */
	seen.n = 0;
	seen.stop = 42;
	assert_int_equal(dlp_apply(e, t, in, strlen(in), &b, t_cb, &seen,
				   NULL), 42);
	assert_int_equal(seen.n, 2);
	/* the output bound is honoured */
	buf_reset(&b);
	b.max = 10;
	assert_int_equal(dlp_apply(e, t, in, strlen(in), &b, NULL, NULL,
				   NULL), -E2BIG);
	buf_release(&b);
	dlp_session_free(t);
}

/* Rebuilds the input from the output, one finding at a time. */
struct t_check {
	struct dlp_session *s;
	const char *in;
	const struct buf *out;
	size_t in_pos, out_pos;
};

static int t_check_one(const struct dlp_applied *a, void *arg)
{
	struct t_check *c = arg;
	const char *o = c->out->data;
	size_t end = c->out->len, beg = end;
	struct buf v;

	if (a->action == DLP_ACT_TOKENIZE) {
		while (beg > c->out_pos && strchr(T_WORD, o[beg - 1]) != NULL)
			beg--;
	} else {
		beg -= strlen("[REDACTED:]") + strlen(a->display);
		assert_memory_equal(o + beg, "[REDACTED:", 10);
	}
	/* the text between findings is copied as it is */
	assert_int_equal(beg - c->out_pos, a->start - c->in_pos);
	assert_memory_equal(o + c->out_pos, c->in + c->in_pos, beg - c->out_pos);
	if (a->action == DLP_ACT_TOKENIZE) {
		buf_init(&v, 4096);
		assert_int_equal(dlp_session_restore(c->s, o + beg, end - beg,
						     DLP_LANE_TEXT, &v), 0);
		assert_int_equal(v.len, a->end - a->start);
		assert_memory_equal(v.data, c->in + a->start, v.len);
		buf_release(&v);
	}
	c->in_pos = a->end;
	c->out_pos = end;
	return 0;
}

static const char *const t_parts[] = {
	"jane.doe@acme-corp.io", "bob+x@mail.uni-heidelberg.de",
	"(415) 867-5309", "+442071838750", "4539148803436467",
	"5555-5555-5555-4444", "536-22-8714", "T1234", "abcdefghij",
	"gh" "p_Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y3gm1IL", "AK" "IAQH5AV2RICPHKQDLM",
	" ", ", ", "\n", "x", "_", "(", ")", ".", "-", "@", "DLP_EMAIL_",
	"[REDACTED:", "]", "SSN", "DLP_", "TICKET", "ZZZZZZZZZZZZZZZZZZZZZZ",
};

/* Random texts of values and glue: idempotent, and the output is the
 * input with each finding replaced, PII tokens restoring to it. */
static void test_generated(void **state)
{
	struct dlp_engine *e = *state;
	struct dlp_session *t = t_session(DLP_ACT_TOKENIZE);
	const size_t np = sizeof(t_parts) / sizeof(t_parts[0]);
	unsigned x = 7;
	char in[512];
	struct buf b;

	buf_init(&b, T_OUT_MAX);
	for (int round = 0; round < 2000; round++) {
		struct t_check c = { .s = t, .in = in, .out = &b };
		size_t n = 0;

		for (int k = 0; k < 12; k++) {
			const char *p;

			x = x * 1103515245u + 12345u;
			p = t_parts[(x >> 16) % np];
			if (n + strlen(p) < sizeof(in))
				n += (size_t)snprintf(in + n, sizeof(in) - n,
						      "%s", p);
		}
		free(t_idem(e, t, in));
		buf_reset(&b);
		assert_int_equal(dlp_apply(e, t, in, n, &b, t_check_one, &c,
					   NULL), 0);
		assert_int_equal(b.len - c.out_pos, n - c.in_pos);
		assert_memory_equal(b.data + c.out_pos, in + c.in_pos,
				    n - c.in_pos);
	}
	buf_release(&b);
	dlp_session_free(t);
}

/* dlp_apply_lazy appends exactly what dlp_apply does when something was
 * found and nothing otherwise, after what out already held. */
static void test_lazy(void **state)
{
	struct dlp_engine *e = *state;
	struct dlp_session *t = t_session(DLP_ACT_TOKENIZE);
	const size_t np = sizeof(t_parts) / sizeof(t_parts[0]);
	unsigned x = 11, unchanged = 0;
	char in[512];
	struct buf a, l;
	bool changed;

	buf_init(&a, T_OUT_MAX);
	buf_init(&l, T_OUT_MAX);
	for (int round = 0; round < 1000; round++) {
		size_t n = 0;

		for (int k = 0; k < 1 + round % 6; k++) {
			x = x * 1103515245u + 12345u;
			n += (size_t)snprintf(in + n, sizeof(in) - n, "%s",
					      t_parts[(x >> 16) % np]);
		}
		buf_reset(&a);
		buf_reset(&l);
		assert_int_equal(buf_puts(&l, "held:"), 0);
		assert_int_equal(dlp_apply(e, t, in, n, &a, NULL, NULL, NULL), 0);
		assert_int_equal(dlp_apply_lazy(e, t, in, n, &l, NULL, NULL,
						NULL, &changed), 0);
		if (!changed) {
			unchanged++;
			assert_int_equal(l.len, 5);
			assert_int_equal(a.len, n);
			assert_memory_equal(a.data, in, n);
			continue;
		}
		assert_int_equal(l.len, 5 + a.len);
		assert_memory_equal(l.data + 5, a.data, a.len);
	}
	assert_true(unchanged > 50 && unchanged < 950); /* both kinds seen */
	buf_release(&a);
	buf_release(&l);
	dlp_session_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_existing_tokens),
		cmocka_unit_test(test_adjacent),
		cmocka_unit_test(test_long_value),
		cmocka_unit_test(test_callback_stats),
		cmocka_unit_test(test_generated),
		cmocka_unit_test(test_lazy),
	};

	return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
