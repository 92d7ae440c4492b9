/* DLP sessions: token grammar and derivation, determinism, collisions,
 * the map bound, restore lanes, fingerprints and zeroing. The HMAC of the
 * expected tokens is computed here with OpenSSL's one-shot HMAC(). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "dlp/dlp_int.h"
#include "dlp/dlp_tok_int.h"
#include "t_dlp.h"

#define T_B32 "abcdefghijklmnopqrstuvwxyz234567"

static const uint8_t t_key[DLP_KEY_LEN] = "0123456789abcdef0123456789abcde";

static const struct dlp_custom t_cu[] = {
	{ "ticket", "api_key", "TKT-[0-9]{6}" },
	{ "code", "3ds-code", "CODE:[0-9]{4}" },
};

/* One engine for all tests: building one is slow under ASan. */
static int t_setup(void **state)
{
	*state = t_dlp_engine(t_cu, 2, false);
	return 0;
}

static int t_teardown(void **state)
{
	dlp_engine_free(*state);
	return 0;
}

static struct dlp_session *t_session(enum dlp_action pii, size_t max,
				     bool tool)
{
	struct dlp_session_opts o = {
		.pii = pii, .max_tokens = max, .restore_tool_input = tool,
	};
	struct dlp_session *s = NULL;

	assert_int_equal(dlp_session_new(&o, &s), 0);
	assert_non_null(s);
	return s;
}

static char *t_apply(struct dlp_engine *e, struct dlp_session *s,
		     const char *in)
{
	return t_dlp_apply(e, s, in, strlen(in));
}

/* Independent check of the grammar: DLP_<TYPE>_<10 x [a-z2-7]>. */
static void t_assert_token(const char *t, size_t n, const char *type)
{
	size_t tl = strlen(type);

	assert_int_equal(n, 4 + tl + 1 + 10);
	assert_memory_equal(t, "DLP_", 4);
	assert_memory_equal(t + 4, type, tl);
	assert_int_equal(t[4 + tl], '_');
	for (size_t i = 4 + tl + 1; i < n; i++)
		assert_non_null(memchr(T_B32, t[i], 32));
}

/* Token of v as the header documents it: HMAC, base32 of 50 bits. */
static void t_expect_token(const char *type, const char *v, uint32_t ctr,
			   unsigned bits, char *out)
{
	unsigned char in[256], md[32];
	unsigned mdlen = 0;
	size_t tl = strlen(type), vl = strlen(v), n = 0;

	memcpy(in, type, tl);
	in[tl] = 0;
	memcpy(in + tl + 1, v, vl);
	n = tl + 1 + vl;
	if (ctr > 0) {
		for (int i = 3; i >= 0; i--)
			in[n++] = (unsigned char)(ctr >> (8 * i));
	}
	assert_non_null(HMAC(EVP_sha256(), t_key, DLP_KEY_LEN, in, n, md,
			     &mdlen));
	n = (size_t)snprintf(out, DLP_TOKEN_MAX + 1, "DLP_%s_", type);
	for (unsigned i = 0; i < 10; i++) {
		unsigned x = 0;

		for (unsigned b = i * 5; b < i * 5 + 5; b++)
			x = x << 1 | (b < bits ? (md[b / 8] >> (7 - b % 8)) & 1 :
				      0);
		out[n++] = T_B32[x];
	}
	out[n] = '\0';
}

static void test_token_grammar(void **state)
{
	struct dlp_engine *e = *state;
	struct dlp_session *s = t_session(DLP_ACT_TOKENIZE, 0, false);
	char *out = t_apply(e, s, "a jane.doe@acme-corp.io b 4539148803436467 "
			    "c TKT-123456 d CODE:1234 e");
	const char *p = out;
	static const char *const types[] = {
		"EMAIL", "CREDIT_CARD", "API_KEY", "X3DS_CODE",
	};

	for (size_t i = 0; i < 4; i++) {
		const char *t = strstr(p, "DLP_");
		size_t n = strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789_");

		assert_non_null(t);
		t_assert_token(t, n, types[i]);
		assert_true(n <= DLP_TOKEN_MAX);
		p = t + n;
	}
	assert_null(strstr(out, "acme"));
	assert_null(strstr(out, "4539"));
	assert_null(strstr(out, "1234"));
	assert_int_equal(dlp_session_tokens(s), 4);
	free(out);
	dlp_session_free(s);
}

static void test_type_mapping(void **state)
{
	char t[DLP_TYPE_MAX + 1];

	assert_int_equal(dlp_tok_type("EMAIL", t), 5);
	assert_string_equal(t, "EMAIL");
	dlp_tok_type("credit card#2", t);
	assert_string_equal(t, "CREDIT_CARD_2");
	dlp_tok_type("_x", t);
	assert_string_equal(t, "X_X");
	assert_int_equal(dlp_tok_type("a-very-long-display-name-that-goes-on"
				      "-and-on", t), DLP_TYPE_MAX);
	assert_string_equal(t, "A_VERY_LONG_DISPLAY_NAME_THAT_GO");
	assert_true(dlp_tok_grammar("DLP_EMAIL_abcdefgh27", 20, NULL));
	assert_false(dlp_tok_grammar("DLP_EMAIL_abcdefgh28", 20, NULL));
	assert_false(dlp_tok_grammar("DLP_EMAIL_abcdefghi", 19, NULL));
	assert_false(dlp_tok_grammar("DLP_email_abcdefgh27", 20, NULL));
	assert_false(dlp_tok_grammar("DLP__X_abcdefgh27", 17, NULL));
}

/* The tail is the documented HMAC: what the llm module relies on. */
static void test_token_derivation(void **state)
{
	struct dlp_engine *e = *state;
	struct dlp_session *s = NULL;
	struct dlp_session_opts o = { .pii = DLP_ACT_TOKENIZE };
	char want[DLP_TOKEN_MAX + 1], *out;

	assert_int_equal(dlp_session_new_keyed(&o, t_key, DLP_TAIL_BITS, &s),
			 0);
	out = t_apply(e, s, "x jane.doe@acme-corp.io y");
	t_expect_token("EMAIL", "jane.doe@acme-corp.io", 0, 50, want);
	assert_memory_equal(out + 2, want, strlen(want));
	assert_string_equal(out + 2 + strlen(want), " y");
	free(out);
	dlp_session_free(s);
}

static void test_determinism(void **state)
{
	struct dlp_engine *e = *state;
	struct dlp_session *s = t_session(DLP_ACT_TOKENIZE, 0, false);
	struct dlp_session *s2 = t_session(DLP_ACT_TOKENIZE, 0, false);
	char *a = t_apply(e, s, "jane.doe@acme-corp.io and "
			  "jane.doe@acme-corp.io and bob@acme-corp.io");
	char *b = t_apply(e, s, "again: jane.doe@acme-corp.io");
	char *c = t_apply(e, s2, "again: jane.doe@acme-corp.io");
	char tok[DLP_TOKEN_MAX + 1];

	/* same value, same token; another value, another token */
	assert_int_equal(sscanf(a, "%47s", tok), 1);
	assert_int_equal(strncmp(a + strlen(tok), " and ", 5), 0);
	assert_memory_equal(a + strlen(tok) + 5, tok, strlen(tok));
	assert_null(strstr(a + 2 * strlen(tok) + 10, tok));
	assert_int_equal(dlp_session_tokens(s), 2);
	assert_string_equal(b + 7, tok);
	/* another session: another token for the same value */
	assert_string_not_equal(c + 7, tok);
	t_assert_token(c + 7, strlen(c + 7), "EMAIL");
	free(a);
	free(b);
	free(c);
	dlp_session_free(s);
	dlp_session_free(s2);
}

/* One tail bit: two tails per TYPE, so a second value often collides. */
static void test_collision(void **state)
{
	struct dlp_session_opts o = { .pii = DLP_ACT_TOKENIZE };
	struct dlp_session *s = NULL;
	char t1[DLP_TOKEN_MAX], t2[DLP_TOKEN_MAX], want[DLP_TOKEN_MAX + 1];
	char v[32];
	size_t n1, n2;
	int i;
	struct buf b;

	assert_int_equal(dlp_session_new_keyed(&o, t_key, 1, &s), 0);
	assert_int_equal(dlp_session_token(s, "EMAIL", 5, "a@b.io", 6, t1,
					   &n1), 0);
	t_expect_token("EMAIL", "a@b.io", 0, 1, want);
	assert_memory_equal(t1, want, n1);
	/* find a value whose first derivation is the same token */
	for (i = 0; i < 64; i++) {
		snprintf(v, sizeof(v), "v%d@b.io", i);
		t_expect_token("EMAIL", v, 0, 1, want);
		if (memcmp(want, t1, n1) == 0)
			break;
	}
	assert_true(i < 64);
	assert_int_equal(dlp_session_token(s, "EMAIL", 5, v, strlen(v), t2,
					   &n2), 0);
	assert_int_equal(n1, n2);
	assert_memory_not_equal(t1, t2, n1);
	/* both restore to their own value; asking again gives the same */
	buf_init(&b, 256);
	assert_int_equal(dlp_session_restore(s, t2, n2, DLP_LANE_TEXT, &b), 0);
	assert_string_equal(b.data, v);
	buf_reset(&b);
	assert_int_equal(dlp_session_restore(s, t1, n1, DLP_LANE_TEXT, &b), 0);
	assert_string_equal(b.data, "a@b.io");
	assert_int_equal(dlp_session_token(s, "EMAIL", 5, v, strlen(v), t1,
					   &n1), 0);
	assert_memory_equal(t1, t2, n2);
	/* both tails taken: a third value cannot get a token */
	assert_int_equal(dlp_session_token(s, "EMAIL", 5, "c@b.io", 6, t1,
					   &n1), -ENOSPC);
	assert_int_equal(dlp_session_tokens(s), 2);
	buf_release(&b);
	dlp_session_free(s);
}

static void test_bound(void **state)
{
	struct dlp_engine *e = *state;
	struct dlp_session *s = t_session(DLP_ACT_TOKENIZE, 3, false);
	char *out;
	int rc;

	out = t_apply(e, s, "a@acme-corp.io b@acme-corp.io c@acme-corp.io");
	free(out);
	assert_int_equal(dlp_session_tokens(s), 3);
	out = t_dlp_apply_rc(e, s, "d@acme-corp.io", 14, &rc);
	assert_int_equal(rc, -ENOSPC);
	free(out);
	/* known values still work, secrets need no room */
	out = t_apply(e, s, "b@acme-corp.io key gh"
		      "p_Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y3gm1IL");
	assert_non_null(strstr(out, " key [REDACTED:GITHUB_TOKEN]"));
	assert_memory_equal(out, "DLP_EMAIL_", 10);
	free(out);
	assert_int_equal(dlp_session_tokens(s), 3);
	dlp_session_free(s);
}

/* The token at the start of out (a whole word). */
static size_t t_tok_len(const char *out)
{
	return strspn(out, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "abcdefghijklmnopqrstuvwxyz0123456789_");
}

static void test_restore_lanes(void **state)
{
	struct dlp_engine *e = *state;
	struct dlp_session *s = t_session(DLP_ACT_TOKENIZE, 0, false);
	struct dlp_session *st = t_session(DLP_ACT_TOKENIZE, 0, true);
	char *o1 = t_apply(e, s, "536-22-8714");
	char *o2 = t_apply(e, st, "536-22-8714");
	struct buf b;

	buf_init(&b, 256);
	assert_int_equal(dlp_session_restore(s, o1, t_tok_len(o1),
					     DLP_LANE_TEXT, &b), 0);
	assert_string_equal(b.data, "536-22-8714");
	buf_reset(&b);
	assert_int_equal(dlp_session_restore(s, o1, t_tok_len(o1),
					     DLP_LANE_TOOL_INPUT, &b), -EPERM);
	assert_int_equal(b.len, 0);
	assert_int_equal(dlp_session_restore(st, o2, t_tok_len(o2),
					     DLP_LANE_TOOL_INPUT, &b), 0);
	assert_string_equal(b.data, "536-22-8714");
	buf_reset(&b);
	/* another session's token, a made-up one, a prefix: unknown */
	assert_int_equal(dlp_session_restore(s, o2, t_tok_len(o2),
					     DLP_LANE_TEXT, &b), -ENOENT);
	assert_int_equal(dlp_session_restore(s, "DLP_SSN_aaaaaaaaaa", 18,
					     DLP_LANE_TEXT, &b), -ENOENT);
	assert_int_equal(dlp_session_restore(s, o1, t_tok_len(o1) - 1,
					     DLP_LANE_TEXT, &b), -ENOENT);
	assert_int_equal(dlp_session_restore(NULL, o1, t_tok_len(o1),
					     DLP_LANE_TEXT, &b), -ENOENT);
	assert_int_equal(b.len, 0);
	buf_release(&b);
	free(o1);
	free(o2);
	dlp_session_free(s);
	dlp_session_free(st);
}

/* Secrets are redacted in every mode and never become tokens. */
static void test_secrets_redacted(void **state)
{
	struct dlp_engine *e = *state;
	struct dlp_session *s = t_session(DLP_ACT_TOKENIZE, 0, true);
	char *out = t_apply(e, s, "k=gh" "p_Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y3gm1IL"
			    " AK" "IAQH5AV2RICPHKQDLM");

	assert_string_equal(out, "k=[REDACTED:GITHUB_TOKEN] "
			    "[REDACTED:AWS_ACCESS_KEY]");
	assert_int_equal(dlp_session_tokens(s), 0);
	free(out);
	dlp_session_free(s);
}

static void test_fingerprint(void **state)
{
	static const char *const v[] = {
		"jane.doe@acme-corp.io", "4539148803436467", "536-22-8714",
		"0123456789abcdef",
	};
	struct dlp_session *s = t_session(DLP_ACT_TOKENIZE, 0, false);
	struct dlp_session *s2 = t_session(DLP_ACT_TOKENIZE, 0, false);
	char a[17], b[17], c[17], d[17];

	for (size_t i = 0; i < 4; i++) {
		dlp_session_fingerprint(s, v[i], strlen(v[i]), a);
		dlp_session_fingerprint(s, v[i], strlen(v[i]), b);
		dlp_session_fingerprint(s2, v[i], strlen(v[i]), c);
		assert_int_equal(strlen(a), 16);
		assert_int_equal(strspn(a, "0123456789abcdef"), 16);
		assert_string_equal(a, b);
		assert_string_not_equal(a, c);
		assert_null(strstr(a, v[i]));
		assert_null(strstr(v[i], a));
		if (i > 0)
			assert_string_not_equal(a, d);
		memcpy(d, a, sizeof(d));
	}
	dlp_session_fingerprint(NULL, "x", 1, a);
	assert_string_equal(a, "0000000000000000");
	dlp_session_free(s);
	dlp_session_free(s2);
}

/* What dlp_session_free does first: key and values zeroed in place. */
static void test_wipe(void **state)
{
	static const uint8_t zero[DLP_KEY_LEN];
	struct dlp_engine *e = *state;
	struct dlp_session *s = t_session(DLP_ACT_TOKENIZE, 0, false);
	char *out = t_apply(e, s, "jane.doe@acme-corp.io 536-22-8714");
	size_t seen = 0;

	assert_memory_not_equal(s->key, zero, DLP_KEY_LEN);
	dlp_session_wipe(s);
	assert_memory_equal(s->key, zero, DLP_KEY_LEN);
	for (size_t i = 0; i < s->cap; i++) {
		const struct dlp_tok_ent *t = s->slot[i];

		if (t == NULL)
			continue;
		seen++;
		for (size_t k = 0; k < t->vlen; k++)
			assert_int_equal(t->val[k], 0);
		for (size_t k = 0; k < DLP_TOKEN_MAX; k++)
			assert_int_equal(t->tok[k], 0);
	}
	assert_int_equal(seen, 2);
	free(out);
	dlp_session_free(s);
	dlp_session_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_grammar),
		cmocka_unit_test(test_type_mapping),
		cmocka_unit_test(test_token_derivation),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_collision),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_restore_lanes),
		cmocka_unit_test(test_secrets_redacted),
		cmocka_unit_test(test_fingerprint),
		cmocka_unit_test(test_wipe),
	};

	return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
