/*
 * The generated DLP corpus (see dlp_corpus.h). Formats follow the public
 * facts the rules cite (gitleaks, Nosey Parker, SSA, NANP, ISO/IEC 7812);
 * every value is random, so nothing here is a real credential.
 */
#include "dlp_corpus.h"

#include <stdio.h>
#include <string.h>

static const char c_b62[] =
	"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
static const char c_b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char c_b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char c_hex[] = "0123456789abcdef";
static const char c_alpha[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";


uint64_t corpus_rand(uint64_t *rng)
{
	uint64_t x = *rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*rng = x;
	return x;
}

static unsigned c_pick(uint64_t *rng, unsigned n)
{
	return (unsigned)(corpus_rand(rng) % n);
}

static int c_str(uint64_t *rng, struct buf *v, const char *abc, size_t n)
{
	size_t k = strlen(abc);
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = buf_putc(v, abc[c_pick(rng, (unsigned)k)]);
	return rc;
}

static unsigned long c_crc32(const char *s, size_t n)
{
	unsigned long c = 0xffffffffUL;

	for (size_t i = 0; i < n; i++) {
		c ^= (unsigned char)s[i];
		for (int b = 0; b < 8; b++)
			c = (c >> 1) ^ (0xedb88320UL & (0UL - (c & 1)));
	}
	return c ^ 0xffffffffUL;
}

/* prefix + 30 base62 + base62(CRC32) in 6 characters (GitHub, npm). */
static int c_crc_token(uint64_t *rng, struct buf *v, const char *prefix)
{
	char tail[7];
	unsigned long c;
	size_t body;
	int rc = buf_puts(v, prefix);

	body = v->len;
	if (rc == 0)
		rc = c_str(rng, v, c_b62, 30);
	if (rc != 0)
		return rc;
	c = c_crc32(v->data + body, 30);
	for (int i = 5; i >= 0; i--) {
		tail[i] = c_b62[c % 62];
		c /= 62;
	}
	tail[6] = '\0';
	return buf_puts(v, tail);
}

static int g_github(uint64_t *rng, struct buf *v)
{
	static const char *const p[] = { "ghp_", "gho_", "ghu_", "ghs_",
					 "ghr_" };

	return c_crc_token(rng, v, p[c_pick(rng, 5)]);
}

static int g_npm(uint64_t *rng, struct buf *v)
{
	return c_crc_token(rng, v, "npm_");
}

/* Card families: IIN range, its digits, and the lengths issued. */
struct c_iin {
	unsigned lo, hi, digits;
	unsigned len[3];
};

static const struct c_iin c_visa[] = { { 4, 4, 1, { 16, 13, 19 } } };
static const struct c_iin c_mc[] = { { 51, 55, 2, { 16, 16, 16 } },
				     { 2221, 2720, 4, { 16, 16, 16 } } };
static const struct c_iin c_amex[] = { { 34, 34, 2, { 15, 15, 15 } },
				       { 37, 37, 2, { 15, 15, 15 } } };
static const struct c_iin c_disc[] = { { 6011, 6011, 4, { 16, 19, 16 } },
				       { 65, 65, 2, { 16, 16, 16 } },
				       { 644, 649, 3, { 16, 16, 16 } } };
static const struct c_iin c_jcb[] = { { 3528, 3589, 4, { 16, 16, 16 } } };
static const struct c_iin c_diners[] = { { 36, 36, 2, { 14, 14, 14 } },
					 { 300, 305, 3, { 14, 14, 14 } } };
static const struct c_iin c_union[] = { { 62, 62, 2, { 16, 17, 19 } } };

/* Digits of a Luhn-valid number of length len with prefix pre. */
static void c_luhn_digits(uint64_t *rng, unsigned pre, unsigned pd,
			  unsigned len, char *d)
{
	unsigned sum = 0;

	for (unsigned i = pd; i > 0; i--) {
		d[i - 1] = (char)('0' + pre % 10);
		pre /= 10;
	}
	for (unsigned i = pd; i + 1 < len; i++)
		d[i] = (char)('0' + c_pick(rng, 10));
	/* payload digits from the right: 1st, 3rd, ... are doubled */
	for (unsigned i = 0; i + 1 < len; i++) {
		unsigned x = (unsigned)(d[len - 2 - i] - '0');

		if (i % 2 == 0) {
			x *= 2;
			if (x > 9)
				x -= 9;
		}
		sum += x;
	}
	d[len - 1] = (char)('0' + (10 - sum % 10) % 10);
	d[len] = '\0';
}

/* One grouping: none, 4s with spaces, 4s with dashes, or 4-6-rest. */
static int c_card_put(uint64_t *rng, struct buf *v, const char *d,
		      unsigned len)
{
	unsigned g = c_pick(rng, (len == 15 || len == 14) ? 4 : 3);
	char sep = g == 2 ? '-' : ' ';
	int rc = 0;

	for (unsigned i = 0; rc == 0 && i < len; i++) {
		bool cut = g == 3 ? (i == 4 || i == 10) :
			   (g > 0 && i > 0 && i % 4 == 0);

		if (cut)
			rc = buf_putc(v, sep);
		if (rc == 0)
			rc = buf_putc(v, d[i]);
	}
	return rc;
}

static int c_card(uint64_t *rng, struct buf *v, const struct c_iin *t,
		  size_t n)
{
	const struct c_iin *f = &t[c_pick(rng, (unsigned)n)];
	unsigned pre = f->lo + c_pick(rng, f->hi - f->lo + 1);
	unsigned len = f->len[c_pick(rng, 3)];
	char d[24];

	c_luhn_digits(rng, pre, f->digits, len, d);
	return c_card_put(rng, v, d, len);
}

#define C_CARD(fn, tab) \
	static int fn(uint64_t *rng, struct buf *v) \
	{ return c_card(rng, v, tab, sizeof(tab) / sizeof(tab[0])); }
C_CARD(g_visa, c_visa)
C_CARD(g_mc, c_mc)
C_CARD(g_amex, c_amex)
C_CARD(g_disc, c_disc)
C_CARD(g_jcb, c_jcb)
C_CARD(g_diners, c_diners)
C_CARD(g_union, c_union)

/* SSA-valid: area 001-899 but 666, group 01-99, serial 0001-9999. */
static void c_ssn_parts(uint64_t *rng, unsigned *a, unsigned *g, unsigned *s)
{
	do
		*a = 1 + c_pick(rng, 899);
	while (*a == 666);
	*g = 1 + c_pick(rng, 99);
	*s = 1 + c_pick(rng, 9999);
}

static int c_ssn(uint64_t *rng, struct buf *v, const char *sep)
{
	unsigned a, g, s;

	c_ssn_parts(rng, &a, &g, &s);
	return buf_printf(v, "%03u%s%02u%s%04u", a, sep, g, sep, s);
}

static int g_ssn_dash(uint64_t *rng, struct buf *v)
{
	return c_ssn(rng, v, "-");
}

static int g_ssn_bare(uint64_t *rng, struct buf *v)
{
	return c_ssn(rng, v, c_pick(rng, 2) ? "" : " ");
}

/* NANP: area and exchange [2-9]XX, neither N11, not 555-01XX. */
static void c_nanp(uint64_t *rng, unsigned *area, unsigned *ex, unsigned *l)
{
	do
		*area = 200 + c_pick(rng, 800);
	while (*area % 100 == 11);
	do
		*ex = 200 + c_pick(rng, 800);
	while (*ex % 100 == 11 || *ex == 555);
	*l = c_pick(rng, 10000);
}

static int g_phone_fmt(uint64_t *rng, struct buf *v)
{
	unsigned a, e, l;

	c_nanp(rng, &a, &e, &l);
	switch (c_pick(rng, 7)) {
	case 0:
		return buf_printf(v, "(%03u) %03u-%04u", a, e, l);
	case 1:
		return buf_printf(v, "%03u-%03u-%04u", a, e, l);
	case 2:
		return buf_printf(v, "%03u.%03u.%04u", a, e, l);
	case 3:
		return buf_printf(v, "%03u %03u %04u", a, e, l);
	case 4:
		return buf_printf(v, "+1 %03u-%03u-%04u", a, e, l);
	case 5:
		return buf_printf(v, "1-%03u-%03u-%04u", a, e, l);
	default:
		return buf_printf(v, "+1%03u%03u%04u", a, e, l);
	}
}

static int g_phone_bare(uint64_t *rng, struct buf *v)
{
	unsigned a, e, l;

	c_nanp(rng, &a, &e, &l);
	return buf_printf(v, "%03u%03u%04u", a, e, l);
}

static int g_phone_intl(uint64_t *rng, struct buf *v)
{
	static const char *const cc[] = { "44", "49", "33", "81", "61", "91" };
	int rc = buf_printf(v, "+%s%u", cc[c_pick(rng, 6)],
			    1 + c_pick(rng, 9));

	return rc == 0 ? c_str(rng, v, "0123456789", 8 + c_pick(rng, 2)) : rc;
}

static int g_email(uint64_t *rng, struct buf *v)
{
	static const char *const tld[] = { "com", "io", "de", "co.uk", "org",
					   "net", "dev", "fr" };
	static const char *const sep[] = { ".", "_", "", "+" };
	int rc = c_str(rng, v, "abcdefghijklmnopqrstuvwxyz", 3 + c_pick(rng, 6));

	if (rc == 0)
		rc = buf_puts(v, sep[c_pick(rng, 4)]);
	if (rc == 0)
		rc = c_str(rng, v, "abcdefghij0123456789", 2 + c_pick(rng, 6));
	if (rc == 0)
		rc = buf_putc(v, '@');
	if (rc == 0)
		rc = c_str(rng, v, "abcdefghijklmnopqrstuvwxyz", 4 + c_pick(rng, 8));
	if (rc == 0 && c_pick(rng, 3) == 0)
		rc = buf_puts(v, "-mail");
	return rc == 0 ? buf_printf(v, ".%s", tld[c_pick(rng, 8)]) : rc;
}

/* A prefix, then n characters of abc, then a suffix. */
static int c_tok(uint64_t *rng, struct buf *v, const char *pre,
		 const char *abc, size_t n, const char *suf)
{
	int rc = buf_puts(v, pre);

	if (rc == 0)
		rc = c_str(rng, v, abc, n);
	return rc == 0 ? buf_puts(v, suf) : rc;
}

static const char c_word[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
static const char c_alnum[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

static int g_anthropic(uint64_t *rng, struct buf *v)
{
	return c_tok(rng, v, c_pick(rng, 4) ? "sk-ant-api03-" :
		     "sk-ant-admin01-", c_word, 93, "AA");
}

static int g_openai(uint64_t *rng, struct buf *v)
{
	static const char *const p[] = { "sk-proj-", "sk-svcacct-",
					 "sk-admin-" };

	return c_tok(rng, v, p[c_pick(rng, 3)], c_word, 120 + c_pick(rng, 60),
		     "");
}

static int g_aws_id(uint64_t *rng, struct buf *v)
{
	return c_tok(rng, v, c_pick(rng, 2) ? "AKIA" : "ASIA",
		     "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16, "");
}

static int g_google(uint64_t *rng, struct buf *v)
{
	return c_tok(rng, v, "AIza", c_word, 35, "");
}

static int g_slack(uint64_t *rng, struct buf *v)
{
	int rc = c_tok(rng, v, "xoxb-", "0123456789", 12, "-");

	if (rc == 0)
		rc = c_tok(rng, v, "", "0123456789", 13, "-");
	return rc == 0 ? c_str(rng, v, c_alnum, 24) : rc;
}

static int g_stripe(uint64_t *rng, struct buf *v)
{
	return c_tok(rng, v, c_pick(rng, 2) ? "sk_live_" : "rk_live_", c_alnum,
		     24 + c_pick(rng, 76), "");
}

static int g_gitlab(uint64_t *rng, struct buf *v)
{
	return c_tok(rng, v, "glpat-", c_word, 20, "");
}

static int c_b64url_enc(struct buf *v, const char *s)
{
	size_t n = strlen(s);
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < n; i += 3) {
		unsigned x = (unsigned)(unsigned char)s[i] << 16;
		size_t k = n - i >= 3 ? 3 : n - i;

		if (k > 1)
			x |= (unsigned)(unsigned char)s[i + 1] << 8;
		if (k > 2)
			x |= (unsigned char)s[i + 2];
		for (size_t j = 0; rc == 0 && j <= k; j++)
			rc = buf_putc(v, c_b64url[(x >> (18 - 6 * j)) & 63]);
	}
	return rc;
}

static int g_jwt(uint64_t *rng, struct buf *v)
{
	char payload[96];
	int rc;

	snprintf(payload, sizeof(payload), "{\"sub\":\"%u\",\"iat\":%u}",
		 (unsigned)c_pick(rng, 1000000000), 1700000000u +
		 c_pick(rng, 1000000));
	rc = c_b64url_enc(v, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}");
	if (rc == 0)
		rc = buf_putc(v, '.');
	if (rc == 0)
		rc = c_b64url_enc(v, payload);
	return rc == 0 ? c_tok(rng, v, ".", c_b64url, 43, "") : rc;
}

/* PEM body lines joined by nl ("\n", or "\\n" inside JSON). */
static int c_pem(uint64_t *rng, struct buf *v, const char *type,
		 const char *nl)
{
	int rc = buf_printf(v, "-----BEGIN %sPRIVATE KEY-----", type);

	for (int i = 0; rc == 0 && i < 6; i++) {
		rc = buf_puts(v, nl);
		if (rc == 0)
			rc = c_str(rng, v, c_b64, 64);
	}
	if (rc == 0)
		rc = buf_printf(v, "%s-----END %sPRIVATE KEY-----", nl, type);
	return rc;
}

static int g_pem(uint64_t *rng, struct buf *v)
{
	static const char *const t[] = { "", "RSA ", "EC ", "OPENSSH " };

	return c_pem(rng, v, t[c_pick(rng, 4)], "\n");
}

static int g_gcp_sa(uint64_t *rng, struct buf *v)
{
	int rc = c_pem(rng, v, "", "\\n");

	return rc == 0 ? buf_puts(v, "\\n") : rc;
}

static int g_url_pw(uint64_t *rng, struct buf *v)
{
	return c_str(rng, v, c_alnum, 10 + c_pick(rng, 12));
}

static int g_azure_ad(uint64_t *rng, struct buf *v)
{
	int rc = c_str(rng, v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123_~.", 3);

	if (rc == 0)
		rc = c_tok(rng, v, "", "0123456789", 1, "Q~");
	return rc == 0 ? c_str(rng, v, c_word, 31 + c_pick(rng, 4)) : rc;
}

static int g_azure_storage(uint64_t *rng, struct buf *v)
{
	return c_tok(rng, v, "", c_b64, 86, "==");
}

static int g_pypi(uint64_t *rng, struct buf *v)
{
	return c_tok(rng, v, "pypi-AgEIcHlwaS5vcmc", c_word,
		     60 + c_pick(rng, 120), "");
}

static int g_twilio(uint64_t *rng, struct buf *v)
{
	return c_tok(rng, v, "SK", c_hex, 32, "");
}

static int g_sendgrid(uint64_t *rng, struct buf *v)
{
	int rc = c_tok(rng, v, "SG.", c_word, 22, ".");

	return rc == 0 ? c_str(rng, v, c_word, 43) : rc;
}

static int g_hf(uint64_t *rng, struct buf *v)
{
	return c_tok(rng, v, c_pick(rng, 4) ? "hf_" : "api_org_", c_alpha, 34,
		     "");
}

static int g_databricks(uint64_t *rng, struct buf *v)
{
	return c_tok(rng, v, "dapi", "abcdefgh0123456789", 32, "");
}

static int g_shopify(uint64_t *rng, struct buf *v)
{
	static const char *const p[] = { "shpat_", "shpss_", "shpca_",
					 "shppa_" };

	return c_tok(rng, v, p[c_pick(rng, 4)], c_hex, 32, "");
}

static int g_do(uint64_t *rng, struct buf *v)
{
	static const char *const p[] = { "dop_v1_", "doo_v1_", "dor_v1_" };

	return c_tok(rng, v, p[c_pick(rng, 3)], c_hex, 64, "");
}

static int g_slack_hook(uint64_t *rng, struct buf *v)
{
	int rc = c_tok(rng, v, "https://hooks.slack.com/services/T",
		       "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 8, "/B");

	if (rc == 0)
		rc = c_tok(rng, v, "", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
			   10, "/");
	return rc == 0 ? c_str(rng, v, c_alnum, 24) : rc;
}

static int g_discord(uint64_t *rng, struct buf *v)
{
	int rc = c_tok(rng, v, c_pick(rng, 2) ? "M" : "N", c_word, 23, ".");

	if (rc == 0)
		rc = c_tok(rng, v, "", c_word, 6, ".");
	return rc == 0 ? c_str(rng, v, c_word, 27) : rc;
}

static int g_discord_hook(uint64_t *rng, struct buf *v)
{
	int rc = c_tok(rng, v, "https://discord.com/api/webhooks/1",
		       "0123456789", 18, "/");

	return rc == 0 ? c_str(rng, v, c_word, 68) : rc;
}

static int g_telegram(uint64_t *rng, struct buf *v)
{
	int rc = c_tok(rng, v, "", "123456789", 1, "");

	if (rc == 0)
		rc = c_tok(rng, v, "", "0123456789", 8 + c_pick(rng, 2), ":A");
	return rc == 0 ? c_str(rng, v, c_word, 34) : rc;
}

static int g_mailgun(uint64_t *rng, struct buf *v)
{
	return c_tok(rng, v, "key-", c_hex, 32, "");
}

static int g_generic(uint64_t *rng, struct buf *v)
{
	int rc = c_str(rng, v, c_alnum, 15 + c_pick(rng, 16));

	return rc == 0 ? c_tok(rng, v, "", "0123456789", 1, "") : rc;
}

static int g_aws_secret(uint64_t *rng, struct buf *v)
{
	return c_str(rng, v, c_b64, 40);
}

#define C_PII(n, grp, fn, ctx) { n, grp, true, fn, ctx, false }
#define C_KEY(n, fn, ctx) { n, "secret", false, fn, ctx, false }

static const struct corpus_kind c_kinds[] = {
	{ "github-token", "checksum", false, g_github, "|token: |GH_TOKEN=",
	  false },
	{ "npm-token", "checksum", false, g_npm, "|//registry/:_authToken=",
	  false },
	C_KEY("anthropic-api-key", g_anthropic, "|ANTHROPIC_API_KEY="),
	C_KEY("openai-api-key", g_openai, "|OPENAI_API_KEY="),
	C_KEY("aws-access-key-id", g_aws_id, "|aws_access_key_id = "),
	C_KEY("aws-secret-key", g_aws_secret, "aws_secret_access_key = |"
	      "AWS_SECRET_ACCESS_KEY=\"^\""),
	C_KEY("google-api-key", g_google, "|key="),
	C_KEY("slack-token", g_slack, "|SLACK_BOT_TOKEN="),
	C_KEY("stripe-key", g_stripe, "|stripe.api_key = '^'"),
	C_KEY("gitlab-token", g_gitlab, "|GITLAB_TOKEN="),
	C_KEY("jwt", g_jwt, "Authorization: Bearer |token="),
	C_KEY("private-key", g_pem, "|key:\n"),
	{ "gcp-service-account-key", "secret", false, g_gcp_sa,
	  "{\"type\": \"service_account\", \"project_id\": \"demo-1\", "
	  "\"private_key\": \"^\", \"client_email\": \"sa@demo-1\"}", true },
	C_KEY("url-password", g_url_pw, "postgres://app:^@db.internal/app|"
	      "https://bot:^@git.acme-corp.io/o/r.git"),
	C_KEY("azure-ad-client-secret", g_azure_ad, "client_secret=|"
	      "\"clientSecret\": \"^\""),
	C_KEY("azure-storage-key", g_azure_storage, "DefaultEndpointsProtocol"
	      "=https;AccountName=acme;AccountKey=^;EndpointSuffix=core"),
	C_KEY("pypi-token", g_pypi, "|password = "),
	C_KEY("twilio-api-key", g_twilio, "|TWILIO_API_KEY="),
	C_KEY("sendgrid-api-key", g_sendgrid, "|SENDGRID_API_KEY="),
	C_KEY("huggingface-token", g_hf, "|HF_TOKEN="),
	C_KEY("databricks-token", g_databricks, "|DATABRICKS_TOKEN="),
	C_KEY("shopify-token", g_shopify, "|X-Shopify-Access-Token: "),
	C_KEY("digitalocean-token", g_do, "|DO_TOKEN="),
	C_KEY("slack-webhook", g_slack_hook, "|url: "),
	C_KEY("discord-bot-token", g_discord, "|client.run(\"^\")"),
	C_KEY("discord-webhook", g_discord_hook, "|WEBHOOK="),
	C_KEY("telegram-bot-token", g_telegram, "TELEGRAM_BOT_TOKEN=|"
	      "https://api.telegram.org/bot^/getMe"),
	C_KEY("mailgun-api-key", g_mailgun, "MAILGUN_API_KEY=|mailgun key "),
	{ "generic-secret", "generic", false, g_generic,
	  "password = \"^\"|DB_PASSWORD=|\"client_secret\": \"^\"|"
	  "api_key: |auth_token='^'|SECRET_KEY = \"^\"", false },
	C_PII("card-visa", "card", g_visa, "|card: |Visa "),
	C_PII("card-mastercard", "card", g_mc, "|card: "),
	C_PII("card-amex", "card", g_amex, "|amex "),
	C_PII("card-discover", "card", g_disc, "|card number "),
	C_PII("card-jcb", "card", g_jcb, "|"),
	C_PII("card-diners", "card", g_diners, "|cc "),
	C_PII("card-unionpay", "card", g_union, "|"),
	C_PII("ssn-formatted", "ssn", g_ssn_dash, "|SSN |ssn: "),
	C_PII("ssn-bare-context", "ssn-context", g_ssn_bare,
	      "SSN: |social security number |my ssn is "),
	C_PII("email", "email", g_email, "|mail |contact: "),
	C_PII("phone-nanp", "phone", g_phone_fmt, "call me at |phone: |"
	      "tel |"),
	C_PII("phone-bare-context", "phone", g_phone_bare, "phone: |tel |"
	      "mobile: |call "),
	C_PII("phone-e164", "phone", g_phone_intl, "phone |call |"),
};

const struct corpus_kind *corpus_kinds(size_t *n)
{
	*n = sizeof(c_kinds) / sizeof(c_kinds[0]);
	return c_kinds;
}

/* For dlp_corpus_neg.c: the same generators, exported. */
unsigned corpus_pick(uint64_t *rng, unsigned n)
{
	return c_pick(rng, n);
}

int corpus_str(uint64_t *rng, struct buf *v, const char *abc, size_t n)
{
	return c_str(rng, v, abc, n);
}

int corpus_github(uint64_t *rng, struct buf *v)
{
	return g_github(rng, v);
}

void corpus_luhn(uint64_t *rng, unsigned len, char *d)
{
	c_luhn_digits(rng, 4, 1, len, d);
}
