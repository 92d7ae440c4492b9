/*
 * Reader for gitleaks-style TOML rule files: each [[rules]] table becomes
 * one DLP custom pattern (struct dlp_custom). A pure library: no I/O, no
 * globals.
 *
 * TOML subset (strict; anything else is an error at file:line:col, columns
 * in bytes): comments, blank lines, `key = value` with bare or quoted keys
 * (dotted keys are rejected), [table], [a.b] and [[array.of.tables]]
 * headers; values are basic, literal and multi-line strings (all TOML 1.0
 * escapes except \u0000), integers (decimal, 0x, 0o, 0b), floats (with
 * inf/nan), booleans and arrays (nested, multi-line, trailing comma,
 * comments inside). Inline tables and date-times are rejected. The text
 * must be UTF-8 without NUL bytes or a bare CR.
 *
 * gitleaks mapping: `id` (required, [A-Za-z0-9_.-], shorter than
 * DLP_NAME_MAX) is the pattern name; its display is the id upper-cased
 * with '-' and '.' turned into '_'; `regex` is the pattern. A rule with
 * `path` and no `regex` is skipped with a warning; the `path` of a rule
 * with a regex is ignored (the regex applies to all text). `description`,
 * `secretGroup`, `entropy`, `keywords` and `tags` are accepted and ignored:
 * the whole match is redacted, which is the safer side. Allowlists
 * ([rules.allowlist], [[rules.allowlists]], [allowlist], [[allowlists]])
 * and [extend] are parsed and not applied (one warning per rule or table);
 * unknown keys and tables are warnings. The regexes are kept as written
 * (gitleaks uses Go RE2 syntax; dlp_engine_new compiles them as PCRE2 and
 * reports the ones it rejects).
 */
#ifndef AGENTSH_DLP_RULEFILE_H
#define AGENTSH_DLP_RULEFILE_H

#include <stddef.h>

#include "common/diag.h"
#include "dlp/dlp.h"

#define DLP_RULEFILE_MAX (4u << 20)  /* bytes of one rule file */

struct dlp_rulefile;

/*
 * Parse a gitleaks-style TOML text (fname is only used in messages).
 * 0, or -EINVAL with every problem in d as fname:line:col, -E2BIG past the
 * limits (file, line, string, array, nesting, keys or rules), -ENOMEM.
 */
int dlp_rulefile_parse(const char *text, size_t len, const char *fname,
		       struct dlp_rulefile **out, struct diag *d);
size_t dlp_rulefile_count(const struct dlp_rulefile *rf);
/* The rules as custom patterns, owned by rf, in file order. */
const struct dlp_custom *dlp_rulefile_rules(const struct dlp_rulefile *rf);
void dlp_rulefile_free(struct dlp_rulefile *rf); /* NULL-safe */

#endif
