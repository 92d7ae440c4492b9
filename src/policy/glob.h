/*
 * Path and domain globs with gobwas/glob semantics: "*" stops at the
 * separator, "**" crosses it, "?" and classes match one character, "{a,b}"
 * alternates and "\x" escapes. Compiled once into a bit-parallel NFA, so
 * matching is linear in the subject and never allocates.
 */
#ifndef AGENTSH_POLICY_GLOB_H
#define AGENTSH_POLICY_GLOB_H

#include <stdbool.h>
#include <stddef.h>

#define POLICY_GLOB_MAX_PATTERN 4096     /* bytes of pattern */
#define POLICY_GLOB_MAX_ALTERNATIVES 64  /* expansions of {a,b} groups */
#define POLICY_GLOB_MAX_STATES 16384     /* NFA states, all alternatives */
#define POLICY_GLOB_ERR_MAX 128          /* a comfortable size for err */

/* ASCII case-insensitive (domains, command basenames). */
enum { POLICY_GLOB_CASEFOLD = 1u };

struct policy_glob;

/*
 * Compile pattern with separator sep ('/' for paths, '.' for domains, '\0'
 * for none, e.g. env var names); sep must be ASCII. On a syntax error returns
 * -EINVAL and writes a message such as "unclosed '[' at offset 7" (0-based
 * byte offset) into err (may be NULL); -ENOMEM when out of memory.
 */
int policy_glob_compile(const char *pattern, char sep, unsigned flags,
			struct policy_glob **out, char *err, size_t errlen);
/* Match len bytes of s (NUL bytes allowed) against the whole pattern. */
bool policy_glob_match(const struct policy_glob *g, const char *s, size_t len);
/* The source text. */
const char *policy_glob_pattern(const struct policy_glob *g);
/* No metacharacters (escapes resolved): matching is string equality. */
bool policy_glob_is_literal(const struct policy_glob *g);
/*
 * The literal text (escapes resolved) every match must start with; for
 * literal globs the whole text; with alternatives, their common prefix.
 * With CASEFOLD the text is ASCII lower-case and matches start with it
 * case-insensitively. Returns its length, sets *prefix (owned by g).
 */
size_t policy_glob_prefix(const struct policy_glob *g, const char **prefix);
/* Matches every string (e.g. "**", or "*" when sep == 0). */
bool policy_glob_matches_all(const struct policy_glob *g);
/*
 * True only if every string b matches is also matched by a; false when
 * unsure. Knows: a matches all; identical patterns; b literal and matched
 * by a; a of the form "<literal>**" (or "<literal>*" with sep 0) and b's
 * literal prefix starting with a's literal.
 */
bool policy_glob_covers(const struct policy_glob *a,
			const struct policy_glob *b);
void policy_glob_free(struct policy_glob *g);
/*
 * Append s to the NUL-terminated string in out (size outsz) with every glob
 * metacharacter ("*?[]{},\") backslash-escaped, so that a substituted value
 * is matched literally. Returns 0, or -E2BIG with out left unchanged.
 */
int policy_glob_escape(const char *s, char *out, size_t outsz);

#endif
