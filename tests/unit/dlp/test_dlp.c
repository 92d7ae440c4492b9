/* DLP engine: detectors, hard negatives, overlaps, redaction, and the
 * Hyperscan path against the portable path on a generated corpus. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlp/dlp.h"
#include "t_dlp.h"

#define T_MAX 4096 /* findings kept by one test scan */

struct t_found {
	struct dlp_finding f[T_MAX];
	size_t n;
};

static int t_collect(const struct dlp_finding *f, void *arg)
{
	struct t_found *t = arg;

	if (t->n < T_MAX)
		t->f[t->n++] = *f;
	return 0;
}

static struct dlp_engine *t_engine(bool portable)
{
	return t_dlp_engine(NULL, 0, portable);
}

static int t_setup(void **state)
{
	struct dlp_engine **v = calloc(2, sizeof(*v));

	v[0] = t_engine(false);
	v[1] = t_engine(true);
	*state = v;
	return 0;
}

static int t_teardown(void **state)
{
	struct dlp_engine **v = *state;

	dlp_engine_free(v[0]);
	dlp_engine_free(v[1]);
	free(v);
	return 0;
}

static struct t_found *t_scan(struct dlp_engine *e, const char *s, size_t n)
{
	static struct t_found t; /* test code: one result at a time */

	t.n = 0;
	assert_int_equal(dlp_scan(e, s, n, t_collect, &t), 0);
	return &t;
}

static char *t_redact(struct dlp_engine *e, const char *s)
{
	struct buf b;

	buf_init(&b, 1 << 20);
	assert_int_equal(dlp_redact(e, s, strlen(s), &b, NULL), 0);
	return buf_steal(&b);
}

struct t_pos {
	const char *text;
	const char *rule;
	const char *value; /* the exact span expected */
};

static const struct t_pos t_positives[] = {
	{ "mail jane.doe@acme-corp.io.", "email", "jane.doe@acme-corp.io" },
	{ "to: <bob+x@mail.uni-heidelberg.de>", "email",
	  "bob+x@mail.uni-heidelberg.de" },
	{ "call (415) 867-5309 now", "phone-nanp", "(415) 867-5309" },
	{ "call +1 415-867-5309", "phone-nanp", "+1 415-867-5309" },
	{ "uk +442071838750 ok", "phone-e164", "+442071838750" },
	{ "visa 4539148803436467 x", "credit-card", "4539148803436467" },
	{ "mc 5555-5555-5555-4444", "credit-card", "5555-5555-5555-4444" },
	{ "amex 3782 822463 10005", "credit-card", "3782 822463 10005" },
	{ "ssn: 536-22-8714", "ssn", "536-22-8714" },
	{ "k=gh" "p_Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y3gm1IL", "github-token",
	  "gh" "p_Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y3gm1IL" },
	{ "NPM_TOKEN=np" "m_Eeeby3abP3E2Zs8IQ9Y7aJZqhB6bae2dTjzx", "npm-token",
	  "np" "m_Eeeby3abP3E2Zs8IQ9Y7aJZqhB6bae2dTjzx" },
	{ "key: AK" "IAQH5AV2RICPHKQDLM\n", "aws-access-key-id",
	  "AK" "IAQH5AV2RICPHKQDLM" },
	{ "AWS_SECRET_ACCESS_KEY=\"ddQbvMYi2W412OyVvDt+odRThPHpi6G19WtK7Ama\"",
	  "aws-secret-key", "ddQbvMYi2W412OyVvDt+odRThPHpi6G19WtK7Ama" },
	{ "g AI" "zaVb5wNKYv0XkgfV4dRjN0gmAyZPV0BXBIp5o", "google-api-key",
	  "AI" "zaVb5wNKYv0XkgfV4dRjN0gmAyZPV0BXBIp5o" },
	{ "STRIPE=sk" "_live_rSZ3e1eYhFVG0Tp4lxWvY5gX;", "stripe-key",
	  "sk" "_live_rSZ3e1eYhFVG0Tp4lxWvY5gX" },
	{ "gl" "pat-GsXpJ_fBZ7Ns9Y2BXAS8", "gitlab-token",
	  "gl" "pat-GsXpJ_fBZ7Ns9Y2BXAS8" },
	{ "sk-" "CH2n6WSZ1mvw4SKdWcWCiHSWYpUWyFiXuuyxGxZvyCrS8Q7P",
	  "openai-legacy-key",
	  "sk-" "CH2n6WSZ1mvw4SKdWcWCiHSWYpUWyFiXuuyxGxZvyCrS8Q7P" },
	{ "DATABASE_URL=postgres://app:" "Tr0ub4dor3x@db.internal/app",
	  /* the email rule overlaps the password: one merged span */
	  "url-password", "Tr0ub4dor3x@db.internal" },
	{ "git clone https://bot:" "Tr0ub4dor3x@github.com/o/r.git",
	  "url-password", "Tr0ub4dor3x@github.com" },
	{ "Authorization: Bearer ey" "JhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0."
	  "abcdefghijklmnop", "jwt", "ey" "JhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0"
	  "In0.abcdefghijklmnop" },
	{ "client_secret=b0c8Q~cY4xn" "jHsdZ3Y1QDRmfyJPy-Wl93lb.P-6F\n",
	  "azure-ad-client-secret", "b0c8Q~cY4xn" "jHsdZ3Y1QDRmfyJPy-Wl93lb.P-6F" },
	{ "AccountName=a;AccountKey=" "igT+0hzromVAy3I5CE7r8ymuCQ0AbaJOOKkel"
	  "Duv1ZNFE27bemvB7KuIFW1MOlKE2YsaeDio/m+7UmE6dQR4lJ==;x",
	  "azure-storage-key", "igT+0hzromVAy3I5CE7r8ymuCQ0AbaJOOKkel"
	  "Duv1ZNFE27bemvB7KuIFW1MOlKE2YsaeDio/m+7UmE6dQR4lJ==" },
	{ "password = pypi-" "AgEIcHlwaS5vcmcfPRzesrc98XD5YbMa3C2o_33rK99ne"
	  "hpdLQ5yvq3I2H87EZyOl2ff8Z2ucn1\n", "pypi-token", "pypi-"
	  "AgEIcHlwaS5vcmcfPRzesrc98XD5YbMa3C2o_33rK99nehpdLQ5yvq3I2H87EZyOl2ff"
	  "8Z2ucn1" },
	{ "key SK" "fa2f4d5b1bc6670a71ba5f7afb3f5b19.", "twilio-api-key",
	  "SK" "fa2f4d5b1bc6670a71ba5f7afb3f5b19" },
	{ "SG" ".fJKOin1o_lb0c3pWyUxHQA.IQaKbKHQ2w4FW5GLCIanL6lhJ5xwEWVkAvpBSZ"
	  "JnSBZ\n", "sendgrid-api-key", "SG" ".fJKOin1o_lb0c3pWyUxHQA.IQaKbKHQ2"
	  "w4FW5GLCIanL6lhJ5xwEWVkAvpBSZJnSBZ" },
	{ "login --token hf" "_TspCblSsIYpynoWugfVtySyinzrYNqACgJ",
	  "huggingface-token", "hf" "_TspCblSsIYpynoWugfVtySyinzrYNqACgJ" },
	{ "X: dapi" "ac28d76gcc671h7af3734da10d4g2ega", "databricks-token",
	  "dapi" "ac28d76gcc671h7af3734da10d4g2ega" },
	{ "t=shp" "at_c43059f2713e18924a244ee1fa97beb0", "shopify-token",
	  "shp" "at_c43059f2713e18924a244ee1fa97beb0" },
	{ "telegram " "6557138495:" "Awd1nj1D_Dm5k5UikQe_66Yb1k8vtaD5W78",
	  "telegram-bot-token", "6557138495:" "Awd1nj1D_Dm5k5UikQe_66Yb1k8vta"
	  "D5W78" },
	{ "MAILGUN_KEY=key-" "7ec084f48565a31c1e146fb27399ff85",
	  "mailgun-api-key", "key-" "7ec084f48565a31c1e146fb27399ff85" },
	{ "{\"client_secret\": \"aJGJnWmx" "NCEvIaLrRF13\"}", "generic-secret",
	  "aJGJnWmx" "NCEvIaLrRF13" },
	{ "SSN: 5362" "28714 on file", "ssn-context", "5362" "28714" },
	{ "phone: 415" "8675309.", "phone-context", "415" "8675309" },
	{ "call me at (415) " "867-5309.", "phone-nanp", "(415) " "867-5309" },
	{ "line\\ngh" "p_Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y3gm1IL", "github-token",
	  "gh" "p_Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y3gm1IL" },
	{ "card 4539 1488 0343 6467 123 x", "credit-card",
	  "4539 1488 0343 6467 123" },
	{ "x\n-----" "BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq9\n"
	  "-----" "END RSA PRIVATE KEY-----\n", "private-key",
	  "-----" "BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq9\n"
	  "-----" "END RSA PRIVATE KEY-----" },
};

static void t_one_positive(struct dlp_engine *e, const struct t_pos *p)
{
	struct t_found *t = t_scan(e, p->text, strlen(p->text));
	const char *v;

	if (t->n != 1)
		fail_msg("'%s': %zu findings", p->text, t->n);
	if (t->f[0].end - t->f[0].start != strlen(p->value))
		fail_msg("'%s': %zu-%zu", p->text, t->f[0].start, t->f[0].end);
	assert_string_equal(t->f[0].rule, p->rule);
	v = strstr(p->text, p->value);
	assert_non_null(v);
	assert_int_equal(t->f[0].start, (size_t)(v - p->text));
	assert_int_equal(t->f[0].end, (size_t)(v - p->text) + strlen(p->value));
}

static void test_positives(void **state)
{
	struct dlp_engine **v = *state;

	for (size_t i = 0; i < sizeof(t_positives) / sizeof(t_positives[0]);
	     i++) {
		t_one_positive(v[0], &t_positives[i]);
		t_one_positive(v[1], &t_positives[i]);
	}
}

static const char *const t_negatives[] = {
	"id 550e8400-e29b-41d4-a716-446655440000",
	"commit 3f2a9c1d7e5b4a6f8c0d2e4f6a8b0c1d2e3f4a5b",
	"sha256 e3b0c44298fc1c149afbf4c8996fb924"
	"27ae41e4649b934ca495991b7852b855",
	"at 2024-05-01T12:30:00Z and 2024-05-01 12:30:00.123456",
	"\"integrity\": \"sha512-q3ZkZ8v9b4kM2Jp0XcVn7YwRt5LsUeHfGaBdCiJoAKIA2"
	"sk-proj-0123456789abcdefghijklmnopqrstuvwxyzABCD+/Zm9vYmFy==\"",
	"blob aGVsbG8gd29ybGQgdGhpcyBpcyBhIGJhc2U2NCBibG9iIDQ1Mzk0MTQ4ODAzNDM2"
	"NDY3IGZvciB0ZXN0aW5nIHB1cnBvc2Vz",
	"gh" "p_Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y3gm1IM",
	"gh" "p_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	"card 4539 1488 0343 6468",
	"card 1234567812345678",
	"ssn 000-22-8714, 666-22-8714, 912-22-8714, 536-00-8714, 536-22-0000",
	"version 1.234.567 and 10.0.0.1 and 192.168.100.200",
	"ts 1700000000000 pid 4294967295",
	"user@example.com, git@github.com:org/repo.git, a@b.test",
	"AK" "IAIOSFODNN7EXAMPLE",
	"aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	"sk-" "ant-api03-your-key-here",
	"ANTHROPIC_API_KEY=sk-" "ant-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	"postgres://user:" "${DB_PASSWORD}@localhost/db and "
	"http://u:password@h",
	"phone 555-0100 and 123-456-7890 and (415) 555-0123",
	"call 0000000000 or +10000000000",
	"ey" "Jmb28iOiJiYXIifQ.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4f",
	"-----" "BEGIN PRIVATE KEY-----\n...\n-----" "END PRIVATE KEY-----",
	"hex 0x7fffffffffffffff 18446744073709551615",
	"id 5362" "28714 and order 415" "8675309",
	"token = DLP_SECRET_" "abcdefgh23 and password: [REDACTED:SECRET]",
	"cache key-" "7ec084f48565a31c1e146fb27399ff85",
	"bob@mail.example.com, eve@corp.example",
	"api_key = \"<YOUR_API_KEY>\", secret=${API_SECRET}",
	"password = \"hunter2hunter2\" token: self.token_value",
	"syscall(2147483647), recall 415" "8675309, hotel 415" "8675309",
};

static void test_negatives(void **state)
{
	struct dlp_engine **v = *state;

	for (size_t i = 0; i < sizeof(t_negatives) / sizeof(t_negatives[0]);
	     i++) {
		for (int k = 0; k < 2; k++) {
			struct t_found *t = t_scan(v[k], t_negatives[i],
						   strlen(t_negatives[i]));

			if (t->n != 0)
				fail_msg("'%s': found %s at %zu-%zu",
					 t_negatives[i], t->f[0].rule,
					 t->f[0].start, t->f[0].end);
		}
	}
}

static void test_redact(void **state)
{
	struct dlp_engine **v = *state;
	const char *in = "mail jane.doe@acme-corp.io, ssn 536-22-8714, key "
			 "gh" "p_Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y3gm1IL.";
	const char *want = "mail [REDACTED:EMAIL], ssn [REDACTED:SSN], key "
			   "[REDACTED:GITHUB_TOKEN].";

	for (int k = 0; k < 2; k++) {
		char *out = t_redact(v[k], in);

		assert_string_equal(out, want);
		free(out);
		/* a key dressed as a marker of no rule is still found */
		out = t_redact(v[k], "[REDACTED:gh" "p_Ky9Pf34qY6Nb3wWD25RQ4F5"
			       "ZR3qa7y3gm1IL] [REDACTED:EMAIL]");
		assert_string_equal(out, "[REDACTED:[REDACTED:GITHUB_TOKEN]] "
				    "[REDACTED:EMAIL]");
		free(out);
	}
}

static void test_redact_stats_empty(void **state)
{
	struct dlp_engine **v = *state;
	struct dlp_stats st = { 0 };
	struct buf b;

	buf_init(&b, 64);
	assert_int_equal(dlp_redact(v[0], NULL, 0, &b, &st), 0);
	assert_int_equal(b.len, 0);
	assert_int_equal(dlp_redact(v[0], "ssn 536-22-8714", 15, &b, &st), 0);
	assert_string_equal(b.data, "ssn [REDACTED:SSN]");
	assert_int_equal(st.findings, 1);
	assert_int_equal(st.bytes_in, 15);
	buf_reset(&b);
	/* the bound of the output buffer is honoured */
	b.max = 8;
	assert_int_equal(dlp_redact(v[0], "ssn 536-22-8714", 15, &b, NULL),
			 -E2BIG);
	buf_release(&b);
}

static struct dlp_engine *t_custom_engine(bool portable,
					  const struct dlp_custom *c, size_t n,
					  int *rc)
{
	return t_dlp_engine_rc(c, n, portable, rc);
}

/* A custom rule overlapping an email: one merged redaction, no leak. */
static void test_overlap(void **state)
{
	static const struct dlp_custom c[] = {
		{ "tag", "TAG", "corp\\.io#[0-9]+" },
		{ "zone", "ZONE", "zone:[a-z.@-]+" },
	};
	const char *in = "a jane.doe@acme-corp.io#42 b "
			 "zone:jo.e@acme-corp.io c";
	int rc;

	for (int k = 0; k < 2; k++) {
		struct dlp_engine *e = t_custom_engine(k, c, 2, &rc);
		char *out;
		struct t_found *t;

		assert_int_equal(rc, 0);
		out = t_redact(e, in);
		assert_string_equal(out,
				    "a [REDACTED:TAG] b [REDACTED:ZONE] c");
		free(out);
		t = t_scan(e, in, strlen(in));
		assert_int_equal(t->n, 2);
		assert_string_equal(t->f[0].rule, "tag");
		assert_int_equal(t->f[0].start, 2);
		assert_int_equal(t->f[0].end, 26);
		dlp_engine_free(e);
	}
}

static void test_bad_custom(void **state)
{
	static const struct dlp_custom bad[] = { { "b", NULL, "a(b" } };
	static const struct dlp_custom noname[] = { { "", NULL, "ab" } };
	int rc;

	assert_null(t_custom_engine(false, bad, 1, &rc));
	assert_int_equal(rc, -EINVAL);
	assert_null(t_custom_engine(false, noname, 1, &rc));
	assert_int_equal(rc, -EINVAL);
	dlp_engine_free(NULL);
}

static const char *const t_pieces[] = {
	" ", "\n", "-", ".", "@", ":", "/", "+", "_", "=", "\"", "(", ")",
	"415", "867", "5309", "4539", "1488", "0343", "6467", "22", "536",
	"8714", "+44", "2071838750", "1", "2024-05-01", "0x", "ff",
	"jane", "doe", "acme-corp", "io", "com", "sk-", "ghp_", "AKIA",
	"eyJ", "xoxb-", "postgres://", "app", "Tr0ub4dor3x",
	"jane.doe@acme-corp.io", "536-22-8714", "(415) 867-5309",
	"4539 1488 0343 6467", ("gh" "p_Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y3gm1IL"),
	("AK" "IAQH5AV2RICPHKQDLM"), ("postgres://app:" "Tr0ub4dor3x@db.io/x"),
	"abcdefghijklmnopqrstuvwxyz0123456789", "ABCDEFGHIJKLMNOP",
};

static void t_gen(struct buf *b, size_t size, unsigned seed)
{
	size_t n = sizeof(t_pieces) / sizeof(t_pieces[0]);
	unsigned x = seed;

	while (b->len < size) {
		x = x * 1103515245u + 12345u;
		assert_int_equal(buf_puts(b, t_pieces[(x >> 16) % n]), 0);
	}
}

static size_t t_same_any(struct dlp_engine *hs, struct dlp_engine *port,
			 const struct buf *b)
{
	static struct t_found a, p;

	a.n = p.n = 0;
	assert_int_equal(dlp_scan(hs, b->data, b->len, t_collect, &a), 0);
	assert_int_equal(dlp_scan(port, b->data, b->len, t_collect, &p), 0);
	assert_int_equal(a.n, p.n);
	for (size_t i = 0; i < a.n; i++) {
		assert_string_equal(a.f[i].rule, p.f[i].rule);
		assert_int_equal(a.f[i].start, p.f[i].start);
		assert_int_equal(a.f[i].end, p.f[i].end);
	}
	return a.n;
}

static void t_same(struct dlp_engine *hs, struct dlp_engine *port,
		   const struct buf *b)
{
	assert_true(t_same_any(hs, port, b) > 0);
}

/* Single characters from an alphabet dense in separators and digits. */
static void t_noise(struct buf *b, size_t size, unsigned seed)
{
	static const char abc[] = "0123456789012345-- .@()+:aZ_x\n";
	unsigned x = seed;

	while (b->len < size) {
		x = x * 1103515245u + 12345u;
		assert_int_equal(buf_putc(b, abc[(x >> 16) % (sizeof(abc) - 1)]),
				 0);
	}
}

/* Hyperscan windows and the portable whole-text scan agree exactly. */
static void test_hs_vs_portable(void **state)
{
	struct dlp_engine **v = *state;
	struct buf b;

	if (!dlp_engine_hyperscan(v[0]))
		print_message("hyperscan unavailable: comparing portable\n");
	assert_false(dlp_engine_hyperscan(v[1]));
	buf_init(&b, 4u << 20);
	for (unsigned seed = 1; seed <= 8; seed++) {
		buf_reset(&b);
		t_gen(&b, seed * 4096, seed);
		t_same(v[0], v[1], &b);
	}
	buf_reset(&b);
	t_gen(&b, 400000, 99);
	t_same(v[0], v[1], &b);
	for (unsigned seed = 1; seed <= 4; seed++) {
		buf_reset(&b);
		t_noise(&b, 200000, seed);
		t_same_any(v[0], v[1], &b);
	}
	/* more Hyperscan events than kept: the first/last window path */
	buf_reset(&b);
	for (int i = 0; i < 20000; i++)
		assert_int_equal(buf_puts(&b, i % 997 ? "a@b " :
					  "jane.doe@acme-corp.io "), 0);
	t_same(v[0], v[1], &b);
	buf_release(&b);
}

/*
 * The same with tokens and markers in the text, so the overlap filter's
 * back-scan runs (a text without them skips it), and with and without
 * '@' (the portable path skips the e-mail rule when there is none).
 */
static void test_hs_vs_portable_marked(void **state)
{
	static const char *const lead[] = {
		"[REDACTED:EMAIL] ", ("DLP_SECRET_" "abcdefgh23 "),
		"[REDACTED:NOPE] ", "DLP_",
	};
	struct dlp_engine **v = *state;
	struct buf b;

	buf_init(&b, 1u << 20);
	for (unsigned seed = 1; seed <= 8; seed++) {
		buf_reset(&b);
		assert_int_equal(buf_puts(&b, lead[seed % 4]), 0);
		t_gen(&b, seed * 8192, seed + 100);
		/* a token and a marker right before a value, far from the start */
		assert_int_equal(buf_puts(&b, " DLP_SECRET_" "abcdefgh23"
					  "jane.doe@acme-corp.io [REDACTED:SSN]"
					  "536-22-8714 "), 0);
		t_same(v[0], v[1], &b);
	}
	buf_reset(&b);
	assert_int_equal(buf_puts(&b, "mail jane.doe acme-corp.io, key "
				  "gh" "p_Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y3gm1IL"),
			 0);
	assert_int_equal(t_same_any(v[0], v[1], &b), 1);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_positives),
		cmocka_unit_test(test_negatives),
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_redact_stats_empty),
		cmocka_unit_test(test_overlap),
		cmocka_unit_test(test_bad_custom),
		cmocka_unit_test(test_hs_vs_portable),
		cmocka_unit_test(test_hs_vs_portable_marked),
	};

	return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
