/*
 * Hard negatives of the DLP corpus, and the document templates that put a
 * value in context: plain text, a chat sentence, a JSON string, a JSON
 * document inside a tool_result string (escaped twice), a Markdown block.
 */
#include "dlp_corpus.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define CORPUS_FILLER_LINES 3 /* lines of filler on each side, at most */
#define CORPUS_ALT_MAX 256    /* bytes of one context alternative */

static const char *const d_filler[] = {
	"static int parse_header(struct conn *c, const char *p, size_t n)\n",
	"\tif (rc < 0 && errno != EAGAIN)\n\t\treturn -errno;\n",
	"Sure! Here is the updated function with the error path fixed.\n",
	"The build failed at 12:30 on 2024-05-01; see ticket #4521.\n",
	"Running the tests now: 214 passed, 3 skipped, 0 failed in 12.4s.\n",
	"def load(path):\n    with open(path) as f:\n        return f.read()\n",
	"I think the problem is that the cache is never invalidated.\n",
};

static const char d_hex[] = "0123456789abcdef";
static const char d_b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int n_uuid(uint64_t *rng, struct buf *v)
{
	int rc = 0;

	for (int i = 0; rc == 0 && i < 5; i++) {
		rc = corpus_str(rng, v, d_hex, i == 0 ? 8 : i == 4 ? 12 : 4);
		if (rc == 0 && i < 4)
			rc = buf_putc(v, '-');
	}
	return rc;
}

static int n_sha1(uint64_t *rng, struct buf *v)
{
	return corpus_str(rng, v, d_hex, 40);
}

static int n_sha256(uint64_t *rng, struct buf *v)
{
	return corpus_str(rng, v, d_hex, 64);
}

static int n_epoch_ms(uint64_t *rng, struct buf *v)
{
	return buf_printf(v, "%llu", 1600000000000ULL +
			  corpus_rand(rng) % 200000000000ULL);
}

static int n_epoch_s(uint64_t *rng, struct buf *v)
{
	return buf_printf(v, "ts=%llu", 1600000000ULL +
			  corpus_rand(rng) % 200000000ULL);
}

static int n_u64(uint64_t *rng, struct buf *v)
{
	unsigned long long x = corpus_rand(rng);

	return corpus_pick(rng, 2) ? buf_printf(v, "0x%016llx", x) :
		buf_printf(v, "%lluULL", x);
}

static int n_base64(uint64_t *rng, struct buf *v)
{
	int rc = corpus_str(rng, v, d_b64, 60 + corpus_pick(rng, 200));

	return rc == 0 ? buf_puts(v, "==") : rc;
}

static int n_integrity(uint64_t *rng, struct buf *v)
{
	int rc = buf_puts(v, "\"integrity\": \"sha512-");

	if (rc == 0)
		rc = corpus_str(rng, v, d_b64, 86);
	return rc == 0 ? buf_puts(v, "==\",") : rc;
}

/* A GitHub token with its checksum broken in the last character. */
static int n_bad_github(uint64_t *rng, struct buf *v)
{
	int rc = corpus_github(rng, v);

	if (rc == 0)
		v->data[v->len - 1] = v->data[v->len - 1] == 'a' ? 'b' : 'a';
	return rc;
}

static int n_bad_luhn(uint64_t *rng, struct buf *v)
{
	char d[24];

	corpus_luhn(rng, 16, d);
	d[15] = (char)('0' + (d[15] - '0' + 1) % 10);
	return buf_printf(v, "card %s", d);
}

static int n_bad_ssn(uint64_t *rng, struct buf *v)
{
	unsigned a = 10 + corpus_pick(rng, 89), b = 1000 + corpus_pick(rng, 8999);

	switch (corpus_pick(rng, 5)) {
	case 0:
		return buf_printf(v, "000-%02u-%04u", a, b);
	case 1:
		return buf_printf(v, "666-%02u-%04u", a, b);
	case 2:
		return buf_printf(v, "9%02u-%02u-%04u", a, a, b);
	case 3:
		return buf_printf(v, "%03u-00-%04u", a + 100, b);
	default:
		return buf_printf(v, "%03u-%02u-0000", a + 100, a);
	}
}

static int n_reserved_email(uint64_t *rng, struct buf *v)
{
	static const char *const d[] = { "example.com", "example.org",
					 "example.net", "mail.example.com",
					 "host.test", "x.invalid", "a.localhost",
					 "corp.example" };

	return buf_printf(v, "user%u@%s", corpus_pick(rng, 1000),
			  d[corpus_pick(rng, 8)]);
}

static int n_bare_numbers(uint64_t *rng, struct buf *v)
{
	return buf_printf(v, "order %u%05u, id %u%06u",
			  100 + corpus_pick(rng, 800), corpus_pick(rng, 99999),
			  2000 + corpus_pick(rng, 7000),
			  corpus_pick(rng, 999999));
}

/*
 * Output of an earlier pass: tokens and markers carry the TYPE or display
 * of a rule (ones of no rule are scanned like any text).
 */
static int n_marker(uint64_t *rng, struct buf *v)
{
	int rc = buf_puts(v, corpus_pick(rng, 2) ? "token = DLP_SECRET_" :
			  "password: DLP_EMAIL_");

	if (rc == 0)
		rc = corpus_str(rng, v, "abcdefghijklmnopqrstuvwxyz234567", 10);
	return rc == 0 ? buf_puts(v, " and [REDACTED:EMAIL]") : rc;
}

static int n_placeholder(uint64_t *rng, struct buf *v)
{
	static const char *const p[] = {
		"api_key = \"<YOUR_API_KEY>\"", "password=${DB_PASSWORD}",
		"OPENAI_API_KEY=sk-proj-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
		"aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
		"token: \"{{ secrets.GITHUB_TOKEN }}\"",
		"password = \"dummy-password-123\"",
		"client_secret=bP88Q~xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
		"postgres://user:password@localhost/db",
	};

	return buf_puts(v, p[corpus_pick(rng, 8)]);
}

static int n_version(uint64_t *rng, struct buf *v)
{
	return buf_printf(v, "v%u.%u.%u on 10.%u.%u.%u at 2024-05-%02uT12:%02u:00Z",
			  corpus_pick(rng, 9), corpus_pick(rng, 40),
			  corpus_pick(rng, 200), corpus_pick(rng, 255),
			  corpus_pick(rng, 255), corpus_pick(rng, 255),
			  1 + corpus_pick(rng, 28), corpus_pick(rng, 60));
}

static const struct corpus_neg d_negs[] = {
	{ "uuid", n_uuid }, { "sha1", n_sha1 }, { "sha256", n_sha256 },
	{ "epoch-ms", n_epoch_ms }, { "epoch-s", n_epoch_s },
	{ "u64-constant", n_u64 }, { "base64-blob", n_base64 },
	{ "lockfile-integrity", n_integrity },
	{ "github-bad-checksum", n_bad_github }, { "card-bad-luhn", n_bad_luhn },
	{ "ssn-ssa-invalid", n_bad_ssn }, { "email-reserved", n_reserved_email },
	{ "numbers-no-context", n_bare_numbers }, { "dlp-markers", n_marker },
	{ "placeholders", n_placeholder }, { "versions-ips-dates", n_version },
};

const struct corpus_neg *corpus_negs(size_t *n)
{
	*n = sizeof(d_negs) / sizeof(d_negs[0]);
	return d_negs;
}

size_t corpus_templates(void)
{
	return 5;
}

/* s[0..n) as the inside of a JSON string. */
static int d_esc(struct buf *b, const char *s, size_t n)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < n; i++) {
		char c = s[i];

		if (c == '"' || c == '\\')
			rc = buf_putc(b, '\\');
		if (rc == 0)
			rc = c == '\n' ? buf_puts(b, "\\n") : buf_putc(b, c);
	}
	return rc;
}

static int d_filler_put(uint64_t *rng, struct buf *b)
{
	unsigned k = corpus_pick(rng, CORPUS_FILLER_LINES + 1);
	int rc = 0;

	for (unsigned i = 0; rc == 0 && i < k; i++)
		rc = buf_puts(b, d_filler[corpus_pick(rng, sizeof(d_filler) /
						      sizeof(d_filler[0]))]);
	return rc;
}

/* Append s[0..n) escaped as a JSON string level times (0, 1 or 2). */
static int d_put(struct buf *doc, const char *s, size_t n, int level)
{
	struct buf t;
	int rc;

	if (level == 0)
		return buf_append(doc, s, n);
	if (level == 1)
		return d_esc(doc, s, n);
	buf_init(&t, 4 * n + 16);
	rc = d_esc(&t, s, n);
	if (rc == 0)
		rc = d_esc(doc, t.data ? t.data : "", t.len);
	buf_release(&t);
	return rc;
}

/* Alternative number k of a '|'-list into before and after ('^'). */
static void d_alt(const char *list, unsigned k, char *before, char *after)
{
	const char *p = list;
	size_t n, bn;
	const char *caret;

	for (unsigned i = 0; i < k && strchr(p, '|') != NULL; i++)
		p = strchr(p, '|') + 1;
	n = strcspn(p, "|");
	if (n >= CORPUS_ALT_MAX)
		n = CORPUS_ALT_MAX - 1;
	caret = memchr(p, '^', n);
	bn = caret != NULL ? (size_t)(caret - p) : n;
	memcpy(before, p, bn);
	before[bn] = '\0';
	after[0] = '\0';
	if (caret != NULL) {
		memcpy(after, caret + 1, n - bn - 1);
		after[n - bn - 1] = '\0';
	}
}

static unsigned d_nalts(const char *list)
{
	unsigned k = 1;

	for (const char *p = list; *p != '\0'; p++)
		k += *p == '|';
	return k;
}

static const char *const d_open[] = {
	"", "Here it is: ",
	"{\"role\":\"user\",\"content\":\"",
	("{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_01\",\"content\":\""
	 "{\\\"output\\\": \\\""),
	"```\n",
};
static const char *const d_close[] = {
	" \n", ". Thanks!\n", "\\n\"}", "\\\"}\"}\n", "\n```\n",
};

int corpus_doc(uint64_t *rng, size_t t, const char *context,
	       const struct buf *v, struct buf *doc, size_t *s, size_t *e)
{
	char before[CORPUS_ALT_MAX], after[CORPUS_ALT_MAX];
	int level = t == 2 ? 1 : t == 3 ? 2 : 0;
	struct buf f;
	int rc;

	if (t >= corpus_templates())
		return -EINVAL;
	d_alt(context, corpus_pick(rng, d_nalts(context)), before, after);
	buf_init(&f, 1 << 16);
	rc = d_filler_put(rng, &f);
	if (rc == 0 && t != 2)
		rc = buf_append(doc, f.data ? f.data : "", f.len);
	if (rc == 0)
		rc = buf_puts(doc, d_open[t]);
	if (rc == 0 && t == 2)
		rc = d_put(doc, f.data ? f.data : "", f.len, level);
	if (rc == 0)
		rc = d_put(doc, before, strlen(before), level);
	*s = doc->len;
	if (rc == 0)
		rc = d_put(doc, v->data, v->len, level);
	*e = doc->len;
	if (rc == 0)
		rc = d_put(doc, after, strlen(after), level);
	if (rc == 0)
		rc = buf_puts(doc, d_close[t]);
	buf_reset(&f);
	if (rc == 0)
		rc = d_filler_put(rng, &f);
	if (rc == 0 && t != 2 && t != 3)
		rc = buf_append(doc, f.data ? f.data : "", f.len);
	buf_release(&f);
	return rc;
}
