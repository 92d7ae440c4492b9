/*
 * The built-in rules. Each has an example that must be found and a negative
 * example that must not; dlp_engine_new() checks both. Example values are
 * split into concatenated literals so that scanning this file finds
 * nothing. Regexes are PCRE2 in byte mode; Hyperscan compiles them in
 * prefilter mode (lookaround is dropped there, PCRE2 applies it).
 */
#include "dlp/dlp_int.h"

/* Token boundaries: not inside a longer identifier or base64 run. */
/* ...or right after a JSON-escaped newline or tab (\n, \r, \t). */
#define DLP_B "(?:(?<![A-Za-z0-9_+/-])|(?<=\\\\[nrt]))"
/* Before a number: no word or number character, or an escaped newline. */
#define DLP_NB(cls) "(?:(?<![" cls "])|(?<=\\\\[nrt]))"
#define DLP_E "(?![A-Za-z0-9_+/=-])"
/* No context words and no entropy gate (designated, so the rest is 0). */
#define DLP_PLAIN , .context = NULL

static const struct dlp_rule_def dlp_defs[] = {
{ "email", "EMAIL", DLP_FAM_EMAIL,
  "(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@"
  "(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.){1,8}"
  "[A-Za-z]{2,24}(?![A-Za-z0-9-])",
  0, 1, DLP_V_EMAIL, "mail jane.doe" "@acme-corp.io now",
  "see user" "@example.com", "[A-Za-z0-9._%+-]@[A-Za-z0-9]",
  .hs_back = 66, .need = "@" },
{ "phone-nanp", "PHONE", DLP_FAM_PHONE,
  DLP_NB("\\w.+/:-") "(?:\\+?1[-. ])?(?:\\(\\d{3}\\) ?|\\d{3}[-. ])"
  "\\d{3}[-. ]\\d{4}(?![\\w:-]|\\.\\w)",
  0, 1, DLP_V_PHONE, "call (415) " "867-5309 today",
  "id 123-" "456-7890", NULL DLP_PLAIN },
{ "phone-e164", "PHONE", DLP_FAM_PHONE,
  DLP_NB("\\w+") "\\+[1-9]\\d{9,14}(?![\\w]|\\.\\w)",
  0, 1, DLP_V_E164, "tel: +44" "2071838750", "tel: +1" "1234567890", NULL DLP_PLAIN },
{ "credit-card", "CREDIT_CARD", DLP_FAM_CARD,
  DLP_NB("\\w.+-") "(?:\\d{13,19}|\\d{4}(?: \\d{4}){2,3} \\d{1,4}|"
  "\\d{4}(?:-\\d{4}){2,3}-\\d{1,4}|\\d{4}[ -]\\d{6}[ -]\\d{4,5})"
  "(?![\\w-]|\\.\\w)",
  0, 2, DLP_V_CARD, "card 4539 " "1488 0343 6467",
  "card 4539 " "1488 0343 6468", NULL DLP_PLAIN },
{ "ssn", "SSN", DLP_FAM_SSN,
  DLP_NB("\\w.-") "\\d{3}-\\d{2}-\\d{4}(?![\\w-]|\\.\\w)",
  0, 2, DLP_V_SSN, "ssn 536-" "22-8714", "ssn 000-" "22-8714", NULL DLP_PLAIN },
{ "anthropic-api-key", "ANTHROPIC_API_KEY", DLP_FAM_KEY,
  DLP_B "sk-ant-(?:api|admin)\\d\\d-[A-Za-z0-9_-]{93}AA" DLP_E,
  0, 3, DLP_V_SECRET,
  "sk-" "ant-api03-OlC87Q_sexwkcVNVAc_hva9FrLhJ-r59ehi_w8BYy87dvani2xj"
  "LE_7RaGVoo_ALvpZHtZrjmTJAMJTT1-NXa0IrleG6wAA",
  "sk-" "ant-api03-OlC87Q_sexwkcVNVAc_hva9FrLhJ-r59ehi_w8BYy87dvani2xj"
  "LE_7RaGVoo_ALvpZHtZrjmTJAMJTT1-NXa0IrleG6wBB", NULL DLP_PLAIN },
{ "openai-api-key", "OPENAI_API_KEY", DLP_FAM_KEY,
  DLP_B "sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,250}" DLP_E,
  0, 3, DLP_V_SECRET,
  "sk-" "proj-oopoDzp7O8QuKEh6D0JCk39QmJWikyFE-xzzdAIDhXzK2QkI3cBXkLjSg"
  "SOUpTP_j33ZyXOiviT3BlbkFJkASDTyPhQz0ziAFnPzMtgBoxpAKLG3JxIyiJG21D",
  "sk-" "proj-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
  NULL DLP_PLAIN },
{ "openai-legacy-key", "OPENAI_API_KEY", DLP_FAM_KEY,
  DLP_B "sk-[A-Za-z0-9]{48}" DLP_E,
  0, 3, DLP_V_SECRET,
  "sk-" "CH2n6WSZ1mvw4SKdWcWCiHSWYpUWyFiXuuyxGxZvyCrS8Q7P",
  "sk-" "CH2n6WSZ1mvw4SKdWcWCiHSWYpUWyFiXuuyxGxZvyCrS8Q7", NULL DLP_PLAIN },
{ "github-token", "GITHUB_TOKEN", DLP_FAM_KEY,
  DLP_B "gh[pousr]_[A-Za-z0-9]{36}" DLP_E,
  0, 3, DLP_V_CRC32, "gh" "p_Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y3gm1IL",
  "gh" "p_Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y3gm1IM", NULL DLP_PLAIN },
{ "github-pat", "GITHUB_TOKEN", DLP_FAM_KEY,
  DLP_B "github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}" DLP_E,
  0, 3, DLP_V_SECRET,
  "github" "_pat_11SK4gFR4DgJo7vn9yjfgN_9Gu8zTEly6PuVAgrEAjRWPLQCMK5kN1LZ"
  "TSj1OLXdIWz47woEu65GH2vnBH",
  "github" "_pat_11SK4gFR4DgJo7vn9yjfgN_9Gu8zTEly6PuVAgrEAjRWPLQCMK5kN1LZ"
  "TSj1OLXdIWz47woEu65GH2vnB", NULL DLP_PLAIN },
{ "gitlab-token", "GITLAB_TOKEN", DLP_FAM_KEY,
  DLP_B "glpat-[A-Za-z0-9_-]{20}(?:[A-Za-z0-9_.-]{0,60}[A-Za-z0-9_-])?"
  DLP_E,
  0, 3, DLP_V_SECRET, "gl" "pat-GsXpJ_fBZ7Ns9Y2BXAS8", "gl" "pat-short", NULL DLP_PLAIN },
{ "aws-access-key-id", "AWS_ACCESS_KEY", DLP_FAM_KEY,
  DLP_NB("A-Za-z0-9") "(?:AKIA|ASIA)[A-Z2-7]{16}(?![A-Za-z0-9])",
  0, 3, DLP_V_SECRET, "AK" "IAQH5AV2RICPHKQDLM", "AK" "IAIOSFODNN7EXAMPLE",
  NULL DLP_PLAIN },
{ "aws-secret-key", "AWS_SECRET_KEY", DLP_FAM_KEY,
  "(?i:aws_?secret_?(?:access_?)?key|secret_?access_?key)"
  "(?:\\\\{0,3}[\"'])?\\s{0,4}[:=]\\s{0,4}(?:\\\\{0,3}[\"'])?"
  "([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
  1, 3, DLP_V_SECRET,
  "aws_secret_access_key = " "ddQbvMYi2W412OyVvDt+odRThPHpi6G19WtK7Ama",
  "aws_secret_access_key = " "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", NULL DLP_PLAIN },
{ "google-api-key", "GOOGLE_API_KEY", DLP_FAM_KEY,
  DLP_B "AIza[0-9A-Za-z_-]{35}" DLP_E,
  0, 3, DLP_V_SECRET, "AI" "zaVb5wNKYv0XkgfV4dRjN0gmAyZPV0BXBIp5o",
  "AI" "zaSyXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", NULL DLP_PLAIN },
{ "slack-token", "SLACK_TOKEN", DLP_FAM_KEY,
  DLP_B "xox[baprs]-[0-9]{8,14}-[0-9A-Za-z-]{8,160}" DLP_E,
  0, 3, DLP_V_SECRET,
  "xo" "xb-044319829657-249208682889-rqp1qhbpvjhzifE5128eNz6O",
  "xo" "xb-your-token-here", NULL DLP_PLAIN },
{ "stripe-key", "STRIPE_KEY", DLP_FAM_KEY,
  DLP_B "(?:sk|rk)_live_[0-9A-Za-z]{24,99}" DLP_E,
  0, 3, DLP_V_SECRET, "sk" "_live_rSZ3e1eYhFVG0Tp4lxWvY5gX",
  "sk" "_live_0000000000000000000000000", NULL DLP_PLAIN },
{ "npm-token", "NPM_TOKEN", DLP_FAM_KEY,
  DLP_B "npm_[A-Za-z0-9]{36}" DLP_E,
  0, 3, DLP_V_CRC32, "np" "m_Eeeby3abP3E2Zs8IQ9Y7aJZqhB6bae2dTjzx",
  "np" "m_Eeeby3abP3E2Zs8IQ9Y7aJZqhB6bae2dTjzy", NULL DLP_PLAIN },
{ "jwt", "JWT", DLP_FAM_KEY,
  DLP_B "eyJ[A-Za-z0-9_-]{8,2048}\\.eyJ[A-Za-z0-9_-]{8,8192}\\."
  "[A-Za-z0-9_-]{8,2048}" DLP_E,
  0, 3, DLP_V_JWT,
  "ey" "JhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibm"
  "FtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMe"
  "Jf36POk6yJV_adQssw5c",
  "ey" "Jmb28iOiJiYXIifQ.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4f",
  NULL DLP_PLAIN },
{ "private-key", "PRIVATE_KEY", DLP_FAM_KEY,
  "-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY-----[\\s\\S]{16,16384}?"
  "-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY-----",
  0, 3, DLP_V_PEM,
  "-----" "BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcw\n"
  "-----" "END PRIVATE KEY-----",
  "-----" "BEGIN PRIVATE KEY-----\n...\n...............\n"
  "-----" "END PRIVATE KEY-----", NULL DLP_PLAIN },
{ "url-password", "PASSWORD", DLP_FAM_KEY,
  "(?i)\\b[a-z][a-z0-9+.-]{1,19}://[^\\s:/?#@\"'<>]{1,128}:"
  "([^\\s:/?#@\"'<>]{1,128})@[A-Za-z0-9.-]{1,253}",
  1, 3, DLP_V_URLPASS, "postgres://app:" "Tr0ub4dor3x" "@db.internal/app",
  "postgres://app:" "${DB_PASSWORD}@db.internal/app", NULL,
  .need = "://" },
/* Formats below follow gitleaks' rules (MIT), entropy gates included. */
{ "azure-ad-client-secret", "AZURE_CLIENT_SECRET", DLP_FAM_KEY,
  "(?<![A-Za-z0-9_~.+/-])[A-Za-z0-9_~.]{3}\\dQ~[A-Za-z0-9_~.-]{31,34}"
  "(?![A-Za-z0-9_~.-])",
  0, 3, DLP_V_SECRET, "client_secret=b0c8Q~cY4xn" "jHsdZ3Y1QDRmfyJPy-Wl93lb.P-6F",
  "client_secret=" "bP88Q~xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", NULL,
  .entropy = 3 },
{ "azure-storage-key", "AZURE_STORAGE_KEY", DLP_FAM_KEY,
  "(?i:AccountKey|SharedAccessKey|azure_?storage_?(?:account_?)?key)"
  "[\"']?\\s{0,4}[:=]\\s{0,4}[\"']?([A-Za-z0-9+/]{40,100}={0,2})"
  "(?![A-Za-z0-9+/=])",
  1, 3, DLP_V_SECRET, "AccountName=acme;AccountKey=" "igT+0hzromVAy3I5CE7r8"
  "ymuCQ0AbaJOOKkelDuv1ZNFE27bemvB7KuIFW1MOlKE2YsaeDio/m+7UmE6dQR4lJ==",
  "AccountKey=" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==", NULL,
  .entropy = 4 },
{ "gcp-service-account-key", "GCP_SERVICE_ACCOUNT_KEY", DLP_FAM_KEY,
  "\"private_key\"\\s{0,4}:\\s{0,4}\"(-----" "BEGIN PRIVATE KEY-----"
  "[^\"]{64,8192}?-----" "END PRIVATE KEY-----(?:\\\\n)?)\"",
  1, 4, DLP_V_PEM,
  "{\"type\": \"service_account\", \"private_key\": \"-----" "BEGIN PRIVATE"
  " KEY-----\\nPtYgjmUhBel31iEl2hpChYgCfrL1spNxnyVmihA/2O76UMFxFkM/R5Kjp1v"
  "Rt+1f\\n-----" "END PRIVATE KEY-----\\n\"}",
  "{\"type\": \"authorized_user\", \"private_key\": \"-----" "BEGIN PRIVATE"
  " KEY-----\\nPtYgjmUhBel31iEl2hpChYgCfrL1spNxnyVmihA/2O76UMFxFkM/R5Kjp1v"
  "Rt+1f\\n-----" "END PRIVATE KEY-----\\n\"}", NULL,
  .context = "service_account", .ctx_window = 512 },
{ "pypi-token", "PYPI_TOKEN", DLP_FAM_KEY,
  DLP_B "pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,1000}" DLP_E,
  0, 3, DLP_V_SECRET, "pypi-" "AgEIcHlwaS5vcmcfPRzesrc98XD5YbMa3C2o_33rK99ne"
  "hpdLQ5yvq3I2H87EZyOl2ff8Z2ucn1", "pypi-" "AgEIcHlwaS5vcmcshort", NULL,
  .entropy = 3 },
{ "twilio-api-key", "TWILIO_API_KEY", DLP_FAM_KEY,
  DLP_B "SK[0-9a-fA-F]{32}" DLP_E,
  0, 3, DLP_V_SECRET, "TWILIO=" "SK" "fa2f4d5b1bc6670a71ba5f7afb3f5b19",
  "TWILIO=" "SK" "00000000000000000000000000000000", NULL, .entropy = 3 },
{ "sendgrid-api-key", "SENDGRID_API_KEY", DLP_FAM_KEY,
  DLP_B "SG\\.[A-Za-z0-9=_.-]{66}" DLP_E,
  0, 3, DLP_V_SECRET, "SG" ".fJKOin1o_lb0c3pWyUxHQA.IQaKbKHQ2w4FW5GLCIanL6lhJ5"
  "xwEWVkAvpBSZJnSBZ", "SG" ".xxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxx"
  "xxxxxxxxxxxxxxxxxxxx", NULL DLP_PLAIN },
{ "huggingface-token", "HUGGINGFACE_TOKEN", DLP_FAM_KEY,
  DLP_B "(?:hf_|api_org_)[A-Za-z]{34}" DLP_E,
  0, 3, DLP_V_SECRET, "HF_TOKEN=" "hf" "_TspCblSsIYpynoWugfVtySyinzrYNqACgJ",
  "HF_TOKEN=" "hf" "_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", NULL,
  .entropy = 2 },
{ "databricks-token", "DATABRICKS_TOKEN", DLP_FAM_KEY,
  DLP_B "dapi[a-h0-9]{32}(?:-\\d)?" DLP_E,
  0, 3, DLP_V_SECRET, "token " "dapi" "ac28d76gcc671h7af3734da10d4g2ega",
  "token " "dapi" "ac28d76gcc671h7af3734da10d4g2eg", NULL, .entropy = 3 },
{ "shopify-token", "SHOPIFY_TOKEN", DLP_FAM_KEY,
  DLP_B "shp(?:ss|at|ca|pa)_[a-fA-F0-9]{32}" DLP_E,
  0, 3, DLP_V_SECRET, "shp" "at_c43059f2713e18924a244ee1fa97beb0",
  "shp" "at_c43059f2713e18924a244ee1fa97beb", NULL, .entropy = 2 },
{ "digitalocean-token", "DIGITALOCEAN_TOKEN", DLP_FAM_KEY,
  DLP_B "do[opr]_v1_[a-f0-9]{64}" DLP_E,
  0, 3, DLP_V_SECRET, "do" "p_v1_b3c329641aa9e1f946e37340cc493abd5d93dd18bae"
  "013db961f92d373ad1c5b", "do" "p_v1_0000000000000000000000000000000000000"
  "000000000000000000000000000", NULL, .entropy = 3 },
{ "slack-webhook", "SLACK_WEBHOOK", DLP_FAM_KEY,
  "(?:https?://)?hooks\\.slack\\.com/(?:services|workflows|triggers)/"
  "[A-Za-z0-9+/]{43,56}",
  0, 3, DLP_V_SECRET, "https://hooks" ".slack.com/services/TXDA4DZ9B/B0ZIC19Z"
  "CBS/ueUTWlrEUUEOg88SAtuGbKGH", "https://hooks" ".slack.com/services/T000"
  "/B000/XXXX", NULL DLP_PLAIN },
{ "discord-bot-token", "DISCORD_TOKEN", DLP_FAM_KEY,
  DLP_B "[MNO][A-Za-z0-9_-]{23,25}\\.[A-Za-z0-9_-]{6}\\.[A-Za-z0-9_-]{27}"
  DLP_E,
  0, 3, DLP_V_SECRET, "bot.run('" "OhHXshd2ee-AWk3c9p8RngDt_T.Ka6DAx.gtM6a2BI"
  "XgAXfNQT8yBkjhwdkkz')", "bot.run('" "OhHXshd2ee-AWk3c9p8RngDt_T.Ka6DAx"
  ".gtM6a2BIXgAXfNQT8yBkjhwdkk')", NULL, .entropy = 3 },
{ "discord-webhook", "DISCORD_WEBHOOK", DLP_FAM_KEY,
  "https://(?:(?:canary|ptb)\\.)?discord(?:app)?\\.com/api(?:/v\\d{1,2})?"
  "/webhooks/\\d{17,20}/[A-Za-z0-9_-]{60,80}(?![A-Za-z0-9_-])",
  0, 3, DLP_V_SECRET, "https://discord" ".com/api/webhooks/50687890051195799"
  "42/pqVvT9dgL7q9vo_TzsjlcvmD4fbah2JUf7BbqfQq-e2KfUFba424HnTUJ5pW4UOma0pq",
  "https://discord" ".com/api/webhooks/000000000000000000/XXXXXXXXXXXXXXXX"
  "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", NULL DLP_PLAIN },
{ "telegram-bot-token", "TELEGRAM_BOT_TOKEN", DLP_FAM_KEY,
  "(?:(?<=bot)|(?<![\\w:-]))\\d{5,16}:A[A-Za-z0-9_-]{34}(?![\\w-])",
  0, 3, DLP_V_SECRET, "TELEGRAM_TOKEN=" "6557138495:" "Awd1nj1D_Dm5k5UikQe_66"
  "Yb1k8vtaD5W78", "TELEGRAM_TOKEN=" "6557:" "Awd1nj1D_Dm5k5UikQe_66Yb1k8vta"
  "D5W78", NULL, .entropy = 3, .need = ":A" },
{ "mailgun-api-key", "MAILGUN_API_KEY", DLP_FAM_KEY,
  DLP_B "key-[a-f0-9]{32}" DLP_E,
  0, 3, DLP_V_SECRET, "MAILGUN_API_KEY=" "key-" "7ec084f48565a31c1e146fb27399"
  "ff85", "cache " "key-" "7ec084f48565a31c1e146fb27399ff85", NULL,
  .context = "mailgun", .ctx_window = 64, .entropy = 3 },
/* gitleaks' generic-api-key, narrowed: names, assignment, entropy 3.5. */
{ "generic-secret", "SECRET", DLP_FAM_KEY,
  "(?i:passw(?:or)?d|pwd|secret|token|api[_-]?key|access[_-]?key|"
  "auth[_-]?key|private[_-]?key|credentials?)[A-Za-z0-9_.-]{0,20}"
  "(?:\\\\{0,3}[\"'])?[ \\t]{0,4}(?::=|=>|=|:)[ \\t]{0,4}"
  "(?:\\\\{0,3}[\"'`])?([A-Za-z0-9_.~+/=!@#%^*?-]{8,128})"
  "(?=\\\\{0,3}[\"'`]|[\\s;,)]|\\\\[nrt]|$)",
  1, 2, DLP_V_GENERIC, "DB_PASSWORD=" "aJGJnWmxNCEvIaLrRF13\n",
  "password=" "aaaabbbb1111\n", NULL, .entropy = 3.5 },
/* Weak PII: only with a context word shortly before (Presidio). */
{ "ssn-context", "SSN", DLP_FAM_SSN,
  DLP_NB("\\w.+-") "(?:\\d{9}|\\d{3} \\d{2} \\d{4}|\\d{3}\\.\\d{2}\\.\\d{4})"
  "(?![\\w-]|\\.\\w)",
  0, 2, DLP_V_SSN, "SSN: 5362" "28714", "id: 5362" "28714",
  "(?:^|[^\\w.+-]|\\\\[nrt])(?:\\d{9}|\\d{3} \\d{2} \\d{4}|\\d{3}\\.\\d{2}\\.\\d{4})",
  .context = "ssn|social security|social sec|ss#|ssns|taxpayer",
  .ctx_window = 48 },
{ "phone-context", "PHONE", DLP_FAM_PHONE,
  DLP_NB("\\w.+/:-") "(?:\\+?1)?\\d{10}(?![\\w:-]|\\.\\w)",
  0, 1, DLP_V_PHONE, "phone: 415" "8675309", "id: 415" "8675309",
  "(?:^|[^\\w.+/:-]|\\\\[nrt])(?:\\+?1)?\\d{10}",
  .context = "phone|tel|telephone|call|mobile|cell|fax|sms|whatsapp|"
	     "contact", .ctx_window = 48 },
};

const struct dlp_rule_def *dlp_rule_defs(size_t *n)
{
	*n = sizeof(dlp_defs) / sizeof(dlp_defs[0]);
	return dlp_defs;
}
