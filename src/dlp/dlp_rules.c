/*
 * The built-in rules. Each has an example that must be found and a negative
 * example that must not; dlp_engine_new() checks both. Example values are
 * split into concatenated literals so that scanning this file finds
 * nothing. Regexes are PCRE2 in byte mode; Hyperscan compiles them in
 * prefilter mode (lookaround is dropped there, PCRE2 applies it).
 */
#include "dlp/dlp_int.h"

/* Token boundaries: not inside a longer identifier or base64 run. */
#define DLP_B "(?<![A-Za-z0-9_+/-])"
#define DLP_E "(?![A-Za-z0-9_+/=-])"

static const struct dlp_rule_def dlp_defs[] = {
{ "email", "EMAIL", DLP_FAM_EMAIL,
  "(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@"
  "(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.){1,8}"
  "[A-Za-z]{2,24}(?![A-Za-z0-9-])",
  0, 1, DLP_V_EMAIL, "mail jane.doe" "@acme-corp.io now",
  "see user" "@example.com", "@[A-Za-z0-9]" },
{ "phone-nanp", "PHONE", DLP_FAM_PHONE,
  "(?<![\\w.+/:-])(?:\\+?1[-. ])?(?:\\(\\d{3}\\) ?|\\d{3}[-. ])"
  "\\d{3}[-. ]\\d{4}(?![\\w.:-])",
  0, 1, DLP_V_PHONE, "call (415) " "867-5309 today",
  "id 123-" "456-7890", NULL },
{ "phone-e164", "PHONE", DLP_FAM_PHONE,
  "(?<![\\w+])\\+[1-9]\\d{9,14}(?![\\w.])",
  0, 1, DLP_V_E164, "tel: +44" "2071838750", "tel: +1" "1234567890", NULL },
{ "credit-card", "CREDIT_CARD", DLP_FAM_CARD,
  "(?<![\\w.+-])(?:\\d{13,19}|\\d{4}(?: \\d{4}){2} \\d{1,7}|"
  "\\d{4}(?:-\\d{4}){2}-\\d{1,7}|\\d{4}[ -]\\d{6}[ -]\\d{4,5})"
  "(?![\\w.-])",
  0, 2, DLP_V_CARD, "card 4539 " "1488 0343 6467",
  "card 4539 " "1488 0343 6468", NULL },
{ "ssn", "SSN", DLP_FAM_SSN,
  "(?<![\\w.-])\\d{3}-\\d{2}-\\d{4}(?![\\w.-])",
  0, 2, DLP_V_SSN, "ssn 536-" "22-8714", "ssn 000-" "22-8714", NULL },
{ "anthropic-api-key", "ANTHROPIC_API_KEY", DLP_FAM_KEY,
  DLP_B "sk-ant-(?:api|admin)\\d\\d-[A-Za-z0-9_-]{93}AA" DLP_E,
  0, 3, DLP_V_SECRET,
  "sk-" "ant-api03-OlC87Q_sexwkcVNVAc_hva9FrLhJ-r59ehi_w8BYy87dvani2xj"
  "LE_7RaGVoo_ALvpZHtZrjmTJAMJTT1-NXa0IrleG6wAA",
  "sk-" "ant-api03-OlC87Q_sexwkcVNVAc_hva9FrLhJ-r59ehi_w8BYy87dvani2xj"
  "LE_7RaGVoo_ALvpZHtZrjmTJAMJTT1-NXa0IrleG6wBB", NULL },
{ "openai-api-key", "OPENAI_API_KEY", DLP_FAM_KEY,
  DLP_B "sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,250}" DLP_E,
  0, 3, DLP_V_SECRET,
  "sk-" "proj-oopoDzp7O8QuKEh6D0JCk39QmJWikyFE-xzzdAIDhXzK2QkI3cBXkLjSg"
  "SOUpTP_j33ZyXOiviT3BlbkFJkASDTyPhQz0ziAFnPzMtgBoxpAKLG3JxIyiJG21D",
  "sk-" "proj-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
  NULL },
{ "openai-legacy-key", "OPENAI_API_KEY", DLP_FAM_KEY,
  DLP_B "sk-[A-Za-z0-9]{48}" DLP_E,
  0, 3, DLP_V_SECRET,
  "sk-" "CH2n6WSZ1mvw4SKdWcWCiHSWYpUWyFiXuuyxGxZvyCrS8Q7P",
  "sk-" "CH2n6WSZ1mvw4SKdWcWCiHSWYpUWyFiXuuyxGxZvyCrS8Q7", NULL },
{ "github-token", "GITHUB_TOKEN", DLP_FAM_KEY,
  DLP_B "gh[pousr]_[A-Za-z0-9]{36}" DLP_E,
  0, 3, DLP_V_CRC32, "gh" "p_Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y3gm1IL",
  "gh" "p_Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y3gm1IM", NULL },
{ "github-pat", "GITHUB_TOKEN", DLP_FAM_KEY,
  DLP_B "github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}" DLP_E,
  0, 3, DLP_V_SECRET,
  "github" "_pat_11SK4gFR4DgJo7vn9yjfgN_9Gu8zTEly6PuVAgrEAjRWPLQCMK5kN1LZ"
  "TSj1OLXdIWz47woEu65GH2vnBH",
  "github" "_pat_11SK4gFR4DgJo7vn9yjfgN_9Gu8zTEly6PuVAgrEAjRWPLQCMK5kN1LZ"
  "TSj1OLXdIWz47woEu65GH2vnB", NULL },
{ "gitlab-token", "GITLAB_TOKEN", DLP_FAM_KEY,
  DLP_B "glpat-[A-Za-z0-9_-]{20}(?:[A-Za-z0-9_.-]{0,60}[A-Za-z0-9_-])?"
  DLP_E,
  0, 3, DLP_V_SECRET, "gl" "pat-GsXpJ_fBZ7Ns9Y2BXAS8", "gl" "pat-short", NULL },
{ "aws-access-key-id", "AWS_ACCESS_KEY", DLP_FAM_KEY,
  "(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z2-7]{16}(?![A-Za-z0-9])",
  0, 3, DLP_V_SECRET, "AK" "IAQH5AV2RICPHKQDLM", "AK" "IAIOSFODNN7EXAMPLE",
  NULL },
{ "aws-secret-key", "AWS_SECRET_KEY", DLP_FAM_KEY,
  "(?i:aws_?secret_?(?:access_?)?key|secret_?access_?key)[\"']?\\s{0,4}"
  "[:=]\\s{0,4}[\"']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
  1, 3, DLP_V_SECRET,
  "aws_secret_access_key = " "ddQbvMYi2W412OyVvDt+odRThPHpi6G19WtK7Ama",
  "aws_secret_access_key = " "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", NULL },
{ "google-api-key", "GOOGLE_API_KEY", DLP_FAM_KEY,
  DLP_B "AIza[0-9A-Za-z_-]{35}" DLP_E,
  0, 3, DLP_V_SECRET, "AI" "zaVb5wNKYv0XkgfV4dRjN0gmAyZPV0BXBIp5o",
  "AI" "zaSyXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", NULL },
{ "slack-token", "SLACK_TOKEN", DLP_FAM_KEY,
  DLP_B "xox[baprs]-[0-9]{8,14}-[0-9A-Za-z-]{8,160}" DLP_E,
  0, 3, DLP_V_SECRET,
  "xo" "xb-044319829657-249208682889-rqp1qhbpvjhzifE5128eNz6O",
  "xo" "xb-your-token-here", NULL },
{ "stripe-key", "STRIPE_KEY", DLP_FAM_KEY,
  DLP_B "(?:sk|rk)_live_[0-9A-Za-z]{24,99}" DLP_E,
  0, 3, DLP_V_SECRET, "sk" "_live_rSZ3e1eYhFVG0Tp4lxWvY5gX",
  "sk" "_live_0000000000000000000000000", NULL },
{ "npm-token", "NPM_TOKEN", DLP_FAM_KEY,
  DLP_B "npm_[A-Za-z0-9]{36}" DLP_E,
  0, 3, DLP_V_CRC32, "np" "m_Eeeby3abP3E2Zs8IQ9Y7aJZqhB6bae2dTjzx",
  "np" "m_Eeeby3abP3E2Zs8IQ9Y7aJZqhB6bae2dTjzy", NULL },
{ "jwt", "JWT", DLP_FAM_KEY,
  DLP_B "eyJ[A-Za-z0-9_-]{8,2048}\\.eyJ[A-Za-z0-9_-]{8,8192}\\."
  "[A-Za-z0-9_-]{8,2048}" DLP_E,
  0, 3, DLP_V_JWT,
  "ey" "JhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibm"
  "FtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMe"
  "Jf36POk6yJV_adQssw5c",
  "ey" "Jmb28iOiJiYXIifQ.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4f",
  NULL },
{ "private-key", "PRIVATE_KEY", DLP_FAM_KEY,
  "-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY-----[\\s\\S]{16,16384}?"
  "-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY-----",
  0, 3, DLP_V_PEM,
  "-----" "BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcw\n"
  "-----" "END PRIVATE KEY-----",
  "-----" "BEGIN PRIVATE KEY-----\n...\n...............\n"
  "-----" "END PRIVATE KEY-----", NULL },
{ "url-password", "PASSWORD", DLP_FAM_KEY,
  "(?i)\\b[a-z][a-z0-9+.-]{1,19}://[^\\s:/?#@\"'<>]{1,128}:"
  "([^\\s:/?#@\"'<>]{1,128})@[A-Za-z0-9.-]{1,253}",
  1, 3, DLP_V_URLPASS, "postgres://app:" "Tr0ub4dor3x" "@db.internal/app",
  "postgres://app:" "${DB_PASSWORD}@db.internal/app", NULL },
};

const struct dlp_rule_def *dlp_rule_defs(size_t *n)
{
	*n = sizeof(dlp_defs) / sizeof(dlp_defs[0]);
	return dlp_defs;
}
