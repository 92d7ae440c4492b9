#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy/glob.h"

#define FOLD POLICY_GLOB_CASEFOLD
#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct policy_glob *compile_ok(const char *pat, char sep,
				      unsigned flags)
{
	struct policy_glob *g = NULL;
	char err[POLICY_GLOB_ERR_MAX];
	int r = policy_glob_compile(pat, sep, flags, &g, err, sizeof(err));

	if (r != 0 || g == NULL)
		fail_msg("compile \"%s\" failed (%d): %s", pat, r, err);
	return g;
}

static bool match_str(const struct policy_glob *g, const char *s)
{
	return policy_glob_match(g, s, strlen(s));
}

struct mcase {
	const char *pat;
	char sep;
	unsigned flags;
	const char *s;
	bool want;
};

static void run_cases(const struct mcase *v, size_t n)
{
	int bad = 0;

	for (size_t i = 0; i < n; i++) {
		struct policy_glob *g = compile_ok(v[i].pat, v[i].sep,
						   v[i].flags);

		if (match_str(g, v[i].s) != v[i].want) {
			print_error("\"%s\" (sep '%c') vs \"%s\": want %d\n",
				    v[i].pat, v[i].sep ? v[i].sep : '0',
				    v[i].s, v[i].want);
			bad++;
		}
		policy_glob_free(g);
	}
	assert_int_equal(bad, 0);
}

static const struct mcase path_cases[] = {
	{"/x/**", '/', 0, "/x", false},
	{"/x/**", '/', 0, "/x/", true},
	{"/x/**", '/', 0, "/x/a", true},
	{"/x/**", '/', 0, "/x/a/b", true},
	{"/x/**", '/', 0, "/xa/b", false},
	{"/usr/*", '/', 0, "/usr/bin", true},
	{"/usr/*", '/', 0, "/usr/", true},
	{"/usr/*", '/', 0, "/usr/bin/ls", false},
	{"/usr/*", '/', 0, "/usr", false},
	{"**/.env", '/', 0, "/a/b/.env", true},
	{"**/.env", '/', 0, "/.env", true},
	{"**/.env", '/', 0, "a/.env", true},
	{"**/.env", '/', 0, ".env", false},
	{"**/.env", '/', 0, "/a/.envrc", false},
	{"**/.env", '/', 0, "/a/x.env", false},
	{"**", '/', 0, "", true},
	{"**", '/', 0, "/a/b/c", true},
	{"***", '/', 0, "/a/b", true},
	{"/a/***", '/', 0, "/a/b/c", true},
	{"*", '/', 0, "abc", true},
	{"*", '/', 0, "", true},
	{"*", '/', 0, "a/b", false},
	{"", '/', 0, "", true},
	{"", '/', 0, "a", false},
	{"/home/*/.ssh/**", '/', 0, "/home/u/.ssh/id_rsa", true},
	{"/home/*/.ssh/**", '/', 0, "/home/u/x/.ssh/id", false},
	{"/home/*/.ssh/**", '/', 0, "/home//.ssh/k", true},
	{"/a/**/b", '/', 0, "/a/b", false},
	{"/a/**/b", '/', 0, "/a//b", true},
	{"/a/**/b", '/', 0, "/a/x/y/b", true},
	{"/a/**b", '/', 0, "/a/b", true},
	{"/a/**b", '/', 0, "/a/x/yb", true},
	{"a*b*c", '/', 0, "abc", true},
	{"a*b*c", '/', 0, "aXXbYYc", true},
	{"a*b*c", '/', 0, "acb", false},
	{"a*b*c", '/', 0, "ab/c", false},
	{"*.txt", '/', 0, "notes.txt", true},
	{"*.txt", '/', 0, "notes.txt.bak", false},
	{"*.txt", '/', 0, "d/notes.txt", false},
	{"/etc/passwd", '/', 0, "/etc/passwd", true},
	{"/etc/passwd", '/', 0, "/etc/passwd2", false},
	{"/etc/passwd", '/', 0, "/etc/passw", false},
	{"/etc/passwd", '/', 0, "/ETC/passwd", false},
};

static void test_paths(void **state)
{
	(void)state;
	run_cases(path_cases, N(path_cases));
}

static const struct mcase domain_cases[] = {
	{"*.evil.com", '.', 0, "a.evil.com", true},
	{"*.evil.com", '.', 0, "evil.com", false},
	{"*.evil.com", '.', 0, "a.b.evil.com", false},
	{"*.evil.com", '.', 0, ".evil.com", true},
	{"**.evil.com", '.', 0, "a.b.evil.com", true},
	{"**.evil.com", '.', 0, "evil.com", false},
	{"*", '.', 0, "localhost", true},
	{"*", '.', 0, "example.com", false},
	{"*.example.com", '.', FOLD, "WWW.Example.COM", true},
	{"*.Example.COM", '.', FOLD, "www.example.com", true},
	{"*.example.com", '.', 0, "WWW.example.com", true},
	{"*.example.com", '.', 0, "www.EXAMPLE.com", false},
	{"api-?.example.com", '.', 0, "api-1.example.com", true},
	{"api-?.example.com", '.', 0, "api-12.example.com", false},
	{"*", '\0', 0, "a.b/c", true},
	{"*", '\0', 0, "", true},
	{"AWS_*", '\0', 0, "AWS_SECRET_ACCESS_KEY", true},
	{"AWS_*", '\0', 0, "aws_secret", false},
	{"AWS_*", '\0', FOLD, "aws_secret", true},
	{"*_TOKEN", '\0', 0, "GITHUB_TOKEN", true},
	{"*_TOKEN", '\0', 0, "GITHUB_TOKENS", false},
	{"Git", '\0', FOLD, "GIT", true},
	{"git", '\0', 0, "GIT", false},
};

static void test_domains_and_names(void **state)
{
	(void)state;
	run_cases(domain_cases, N(domain_cases));
}

static const struct mcase single_cases[] = {
	{"/tmp/?", '/', 0, "/tmp/a", true},
	{"/tmp/?", '/', 0, "/tmp/ab", false},
	{"/tmp/?", '/', 0, "/tmp/", false},
	{"/tmp/?", '/', 0, "/tmp//", false},
	{"?", '\0', 0, "/", true},
	/* One UTF-8 character, whatever its length. */
	{"/tmp/?", '/', 0, "/tmp/\xc3\xa9", true},
	{"/tmp/??", '/', 0, "/tmp/\xc3\xa9", false},
	{"/tmp/??", '/', 0, "/tmp/\xc3\xa9x", true},
	{"/tmp/?", '/', 0, "/tmp/\xe2\x82\xac", true},
	{"/tmp/?", '/', 0, "/tmp/\xf0\x9f\x98\x80", true},
	{"/tmp/?x", '/', 0, "/tmp/\xf0\x9f\x98\x80x", true},
	{"/tmp/?*", '/', 0, "/tmp/\xc3\xa9", true},
	{"/tmp/\xc3\xa9", '/', 0, "/tmp/\xc3\xa9", true},
	{"/tmp/\xc3\xa9*", '/', 0, "/tmp/\xc3\xa9t\xc3\xa9", true},
	/* A stray continuation byte is not a character of its own. */
	{"/tmp/?", '/', 0, "/tmp/\x80", false},
	{"/tmp/*", '/', 0, "/tmp/\x80\xff", true},
};

static void test_single(void **state)
{
	(void)state;
	run_cases(single_cases, N(single_cases));
}

static const struct mcase class_cases[] = {
	{"[abc]", '/', 0, "b", true},
	{"[abc]", '/', 0, "d", false},
	{"[abc]", '/', 0, "", false},
	{"[abc]", '/', 0, "ab", false},
	{"[a-c]x", '/', 0, "bx", true},
	{"[a-c]x", '/', 0, "dx", false},
	{"[a-cx-z]", '/', 0, "y", true},
	{"[a-cx-z]", '/', 0, "m", false},
	{"[0-9a-f]", '/', 0, "7", true},
	{"[!abc]", '/', 0, "d", true},
	{"[!abc]", '/', 0, "a", false},
	{"[^abc]", '/', 0, "d", true},
	{"[^abc]", '/', 0, "c", false},
	{"[!a-z]", '/', 0, "Q", true},
	{"[!a]", '/', 0, "\xc3\xa9", true},
	{"[!a]", '/', 0, "\xc3\xa9\xc3\xa9", false},
	/* A class never matches the separator. */
	{"/[/]", '/', 0, "//", false},
	{"/a[!b]c", '/', 0, "/a/c", false},
	{"/a[!b]c", '/', 0, "/axc", true},
	{"[!.]", '.', 0, ".", false},
	{"[./]", '\0', 0, "/", true},
	{"[-a]", '/', 0, "-", true},
	{"[a-]", '/', 0, "-", true},
	{"[a-]", '/', 0, "b", false},
	{"[\\]]", '/', 0, "]", true},
	{"[\\!a]", '/', 0, "!", true},
	{"[!!]", '/', 0, "!", false},
	{"[*?]", '/', 0, "*", true},
	{"[*?]", '/', 0, "x", false},
	{"[a-c]", '/', FOLD, "B", true},
	{"[A-C]", '/', FOLD, "b", true},
	{"[!a]", '/', FOLD, "A", false},
	{"[abc]", '/', 0, "B", false},
	{"a]", '/', 0, "a]", true},
};

static void test_classes(void **state)
{
	(void)state;
	run_cases(class_cases, N(class_cases));
}

static const struct mcase alt_cases[] = {
	{"/{usr,opt}/bin", '/', 0, "/usr/bin", true},
	{"/{usr,opt}/bin", '/', 0, "/opt/bin", true},
	{"/{usr,opt}/bin", '/', 0, "/var/bin", false},
	{"{a,b{c,d}}", '/', 0, "a", true},
	{"{a,b{c,d}}", '/', 0, "bd", true},
	{"{a,b{c,d}}", '/', 0, "b", false},
	{"{*.txt,*.md}", '/', 0, "x.md", true},
	{"{*.txt,*.md}", '/', 0, "a/x.md", false},
	{"{/etc/**,/root/**}", '/', 0, "/root/.ssh/k", true},
	{"{/etc/**,/root/**}", '/', 0, "/home/x", false},
	{"{,x}y", '/', 0, "y", true},
	{"{,x}y", '/', 0, "xy", true},
	{"{}", '/', 0, "", true},
	{"{a}", '/', 0, "a", true},
	{"{[,]x,y}", '/', 0, ",x", true},
	{"{[,]x,y}", '/', 0, "y", true},
	{"{a\\,b,c}", '/', 0, "a,b", true},
	{"{a\\,b,c}", '/', 0, "a", false},
	{"{a\\}b,c}", '/', 0, "a}b", true},
	{"a,b", '/', 0, "a,b", true},
	{"a}", '/', 0, "a}", true},
	{"{**,x}", '/', 0, "/any/thing", true},
	{"{A,b}*", '/', FOLD, "Bx", true},
	{"{a,b}{c,d}{e,f}{g,h}{i,j}{k,l}", '/', 0, "bcfgjk", true},
	{"{a,b}{c,d}{e,f}{g,h}{i,j}{k,l}", '/', 0, "bcfgjj", false},
};

static void test_alternatives(void **state)
{
	(void)state;
	run_cases(alt_cases, N(alt_cases));
}

static const struct mcase escape_cases[] = {
	{"\\*", '/', 0, "*", true},
	{"\\*", '/', 0, "a", false},
	{"a\\?b", '/', 0, "a?b", true},
	{"a\\?b", '/', 0, "axb", false},
	{"\\[x]", '/', 0, "[x]", true},
	{"\\{a,b\\}", '/', 0, "{a,b}", true},
	{"\\\\", '/', 0, "\\", true},
	{"\\a", '/', 0, "a", true},
	{"/a\\/b", '/', 0, "/a/b", true},
};

static void test_escapes(void **state)
{
	(void)state;
	run_cases(escape_cases, N(escape_cases));
}

/* Subjects are byte strings: NUL bytes and lengths are honoured. */
static void test_embedded_nul(void **state)
{
	struct policy_glob *g = compile_ok("a*b", '/', 0);

	(void)state;
	assert_true(policy_glob_match(g, "a\0b", 3));
	assert_false(policy_glob_match(g, "a\0b", 2));
	policy_glob_free(g);
	g = compile_ok("abc", '/', 0);
	assert_false(policy_glob_match(g, "abc\0", 4));
	assert_true(policy_glob_match(g, "abcdef", 3));
	policy_glob_free(g);
	g = compile_ok("**", '/', 0);
	assert_true(policy_glob_match(g, NULL, 0));
	policy_glob_free(g);
}

struct ecase {
	const char *pat;
	char sep;
	const char *msg;
};

static const struct ecase error_cases[] = {
	{"/a/b/c[abc", '/', "unclosed '[' at offset 6"},
	{"[", '/', "unclosed '[' at offset 0"},
	{"[a-", '/', "unclosed '[' at offset 0"},
	{"abc\\", '/', "trailing backslash at offset 3"},
	{"\\", '/', "trailing backslash at offset 0"},
	{"[a\\", '/', "trailing backslash at offset 2"},
	{"{a,b", '/', "unclosed '{' at offset 0"},
	{"x{a,{b}", '/', "unclosed '{' at offset 1"},
	{"[]", '/', "empty character class at offset 0"},
	{"a[!]", '/', "empty character class at offset 1"},
	{"[z-a]", '/', "invalid range 'z-a' at offset 0"},
	{"[\xc3\xa9]", '/', "non-ASCII byte in character class at offset 1"},
	{"{a,b}{c,d}{e,f}{g,h}{i,j}{k,l}{m,n}", '/',
	 "'{...}' groups expand to more than 64 alternatives"},
	{"{a,b,c,d,e,f,g,h}{a,b,c,d,e,f,g,h,i}", '/',
	 "'{...}' groups expand to more than 64 alternatives"},
	{"x", (char)0xc0, "separator must be an ASCII character"},
};

static void test_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(error_cases); i++) {
		struct policy_glob *g = (struct policy_glob *)(uintptr_t)1;
		char err[POLICY_GLOB_ERR_MAX];
		int r = policy_glob_compile(error_cases[i].pat,
					    error_cases[i].sep, 0, &g, err,
					    sizeof(err));

		assert_int_equal(r, -EINVAL);
		assert_null(g);
		assert_string_equal(err, error_cases[i].msg);
	}
}

static void test_error_edge_cases(void **state)
{
	struct policy_glob *g = NULL;
	char big[POLICY_GLOB_MAX_PATTERN + 2];
	char err[8];

	(void)state;
	assert_int_equal(policy_glob_compile(NULL, '/', 0, &g, NULL, 0),
			 -EINVAL);
	/* err may be NULL, and a short err is truncated, not overflowed. */
	assert_int_equal(policy_glob_compile("[", '/', 0, &g, NULL, 0),
			 -EINVAL);
	assert_int_equal(policy_glob_compile("[", '/', 0, &g, err,
					     sizeof(err)), -EINVAL);
	assert_string_equal(err, "unclose");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(policy_glob_compile(big, '/', 0, &g, NULL, 0),
			 -EINVAL);
	big[POLICY_GLOB_MAX_PATTERN] = '\0';
	g = compile_ok(big, '/', 0);
	assert_true(policy_glob_is_literal(g));
	assert_true(policy_glob_match(g, big, POLICY_GLOB_MAX_PATTERN));
	policy_glob_free(g);
	policy_glob_free(NULL);
}

/* 64 distinct alternatives of ~300 tokens exceed the state budget. */
static void test_too_complex(void **state)
{
	char pat[512], err[POLICY_GLOB_ERR_MAX];
	struct policy_glob *g = NULL;
	size_t n = 0;

	(void)state;
	n += (size_t)snprintf(pat, sizeof(pat), "{a,b}{a,b}{a,b}{a,b}{a,b}"
			      "{a,b}");
	memset(pat + n, '?', 300);
	pat[n + 300] = '\0';
	assert_int_equal(policy_glob_compile(pat, '/', 0, &g, err,
					     sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "too complex"));
	assert_null(g);
}

/* Deep nesting and many groups neither overflow the stack nor explode. */
static void test_deep_groups(void **state)
{
	static char pat[POLICY_GLOB_MAX_PATTERN + 1];
	struct policy_glob *g = NULL;
	size_t depth = 2000, n = 0;

	(void)state;
	for (size_t i = 0; i < depth; i++)
		pat[n++] = '{';
	pat[n++] = 'a';
	for (size_t i = 0; i < depth; i++)
		pat[n++] = '}';
	pat[n] = '\0';
	g = compile_ok(pat, '/', 0);
	assert_true(match_str(g, "a"));
	assert_true(policy_glob_is_literal(g));
	policy_glob_free(g);
	for (n = 0; n + 5 < POLICY_GLOB_MAX_PATTERN; n += 5)
		memcpy(pat + n, "{a,b}", 5);
	pat[n] = '\0';
	assert_int_equal(policy_glob_compile(pat, '/', 0, &g, NULL, 0),
			 -EINVAL);
	/* Six groups of two: exactly 64 alternatives. */
	g = compile_ok("{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}", '/', 0);
	assert_true(match_str(g, "abbaba"));
	policy_glob_free(g);
}

struct lcase {
	const char *pat;
	char sep;
	unsigned flags;
	bool literal;
	const char *prefix;
};

static const struct lcase literal_cases[] = {
	{"/etc/passwd", '/', 0, true, "/etc/passwd"},
	{"/etc/pass\\*", '/', 0, true, "/etc/pass*"},
	{"/usr/**", '/', 0, false, "/usr/"},
	{"/usr/*", '/', 0, false, "/usr/"},
	{"/usr/*/bin", '/', 0, false, "/usr/"},
	{"{/usr,/usr/local}/bin", '/', 0, false, "/usr/"},
	{"{/usr,/opt}/bin", '/', 0, false, "/"},
	{"{/etc,/root}/**", '/', 0, false, "/"},
	{"**/.env", '/', 0, false, ""},
	{"Foo.COM", '.', FOLD, true, "foo.com"},
	{"Foo*", '.', FOLD, false, "foo"},
	{"[a]bc", '/', 0, true, "abc"},
	{"[aA]bc", '/', 0, false, ""},
	{"{a,a}", '/', 0, true, "a"},
	{"{a}b", '/', 0, true, "ab"},
	{"", '/', 0, true, ""},
	{"/a/?", '/', 0, false, "/a/"},
	{"/a/[xy]", '/', 0, false, "/a/"},
	{"/tmp/\xc3\xa9", '/', 0, true, "/tmp/\xc3\xa9"},
};

static void test_literal_and_prefix(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(literal_cases); i++) {
		const struct lcase *c = &literal_cases[i];
		struct policy_glob *g = compile_ok(c->pat, c->sep, c->flags);
		const char *p = NULL;
		size_t n = policy_glob_prefix(g, &p);

		assert_string_equal(policy_glob_pattern(g), c->pat);
		if (policy_glob_is_literal(g) != c->literal)
			fail_msg("is_literal(\"%s\") != %d", c->pat,
				 c->literal);
		assert_int_equal(n, strlen(c->prefix));
		assert_memory_equal(p, c->prefix, n);
		assert_int_equal(p[n], '\0');
		policy_glob_free(g);
	}
}

static void test_matches_all(void **state)
{
	static const struct {
		const char *pat;
		char sep;
		bool want;
	} v[] = {
		{"**", '/', true},   {"*", '\0', true},   {"*", '/', false},
		{"{**,a}", '/', true}, {"***", '/', true}, {"/**", '/', false},
		{"?*", '\0', false}, {"", '/', false},    {"*", '.', false},
		{"{a,**}", '.', true},
	};

	(void)state;
	for (size_t i = 0; i < N(v); i++) {
		struct policy_glob *g = compile_ok(v[i].pat, v[i].sep, 0);

		if (policy_glob_matches_all(g) != v[i].want)
			fail_msg("matches_all(\"%s\") != %d", v[i].pat,
				 v[i].want);
		if (v[i].want)
			assert_true(match_str(g, "x/y.z"));
		policy_glob_free(g);
	}
}

struct ccase {
	const char *a;
	char asep;
	unsigned aflags;
	const char *b;
	char bsep;
	unsigned bflags;
	bool want;
};

static const struct ccase cover_cases[] = {
	{"**", '/', 0, "/etc/**", '/', 0, true},
	{"*", '\0', 0, "AWS_*", '\0', 0, true},
	{"/usr/**", '/', 0, "/usr/bin/*", '/', 0, true},
	{"/usr/**", '/', 0, "/usr/**", '/', 0, true},
	{"/usr/**", '/', 0, "/usr/", '/', 0, true},
	{"/usr/**", '/', 0, "/usr/local/{bin,lib}/*", '/', 0, true},
	{"/usr/**", '/', 0, "/usr", '/', 0, false},
	{"/usr/**", '/', 0, "/usrx/**", '/', 0, false},
	{"/usr/**", '/', 0, "/**", '/', 0, false},
	{"/usr/**", '/', 0, "**", '/', 0, false},
	{"/usr/*", '/', 0, "/usr/bin", '/', 0, true},
	{"/usr/*", '/', 0, "/usr/bin/ls", '/', 0, false},
	{"/usr/*", '/', 0, "/usr/**", '/', 0, false},
	{"/usr/bin", '/', 0, "/usr/bin", '/', 0, true},
	{"/usr/bin", '/', 0, "/usr/bin/ls", '/', 0, false},
	{"env_*", '\0', 0, "env_a*", '\0', 0, true},
	{"env_*", '\0', 0, "env_a?", '\0', 0, true},
	{"env_*", '\0', 0, "en*", '\0', 0, false},
	{"*.com", '.', 0, "a.com", '.', 0, true},
	{"*.com", '.', 0, "a.b.com", '.', 0, false},
	{"x*", '.', 0, "x*", '/', 0, false},
	{"*.example.com", '.', FOLD, "WWW.example.com", '.', 0, true},
	{"*.example.com", '.', FOLD, "*.example.com", '.', FOLD, true},
	{"*.example.com", '.', FOLD, "*.example.com", '.', 0, true},
	{"*.example.com", '.', 0, "*.example.com", '.', FOLD, false},
	{"www.example.com", '.', 0, "www.example.com", '.', FOLD, false},
	{"/usr/**", '/', 0, "/USR/x", '/', 0, false},
	{"/usr/**", '/', FOLD, "/USR/x*", '/', 0, true},
	{"/usr/**", '/', 0, "/usr/x*", '/', FOLD, false},
};

static void test_covers(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(cover_cases); i++) {
		const struct ccase *c = &cover_cases[i];
		struct policy_glob *a = compile_ok(c->a, c->asep, c->aflags);
		struct policy_glob *b = compile_ok(c->b, c->bsep, c->bflags);

		if (policy_glob_covers(a, b) != c->want)
			fail_msg("covers(\"%s\", \"%s\") != %d", c->a, c->b,
				 c->want);
		policy_glob_free(a);
		policy_glob_free(b);
	}
}

static void test_escape(void **state)
{
	char out[64] = "";
	char small[8] = "ab";

	(void)state;
	assert_int_equal(policy_glob_escape("/home/a[1]*", out, sizeof(out)),
			 0);
	assert_string_equal(out, "/home/a\\[1\\]\\*");
	/* It appends. */
	assert_int_equal(policy_glob_escape("/{x,y}?\\", out, sizeof(out)), 0);
	assert_string_equal(out, "/home/a\\[1\\]\\*/\\{x\\,y\\}\\?\\\\");
	/* Too long: -E2BIG and out unchanged. */
	assert_int_equal(policy_glob_escape("cdefgh", small, sizeof(small)),
			 -E2BIG);
	assert_string_equal(small, "ab");
	assert_int_equal(policy_glob_escape("cdef*", small, sizeof(small)),
			 -E2BIG);
	assert_string_equal(small, "ab");
	assert_int_equal(policy_glob_escape("cdefg", small, sizeof(small)), 0);
	assert_string_equal(small, "abcdefg");
	small[2] = '\0';
	assert_string_equal(small, "ab");
	assert_int_equal(policy_glob_escape("cde", small, sizeof(small)), 0);
	assert_string_equal(small, "abcde");
	assert_int_equal(policy_glob_escape("", small, sizeof(small)), 0);
}

/* An escaped value is a literal glob matching exactly that value. */
static void test_escape_round_trip(void **state)
{
	static const char *values[] = {
		"/home/we[i]rd", "*", "a?b", "{a,b}", "back\\slash",
		"x]y", "plain", "", "!^-,", "/tmp/**",
	};

	(void)state;
	for (size_t i = 0; i < N(values); i++) {
		char pat[128] = "/pre/", want[128];
		struct policy_glob *g;

		assert_int_equal(policy_glob_escape(values[i], pat,
						    sizeof(pat)), 0);
		g = compile_ok(pat, '/', 0);
		assert_true(policy_glob_is_literal(g));
		snprintf(want, sizeof(want), "/pre/%s", values[i]);
		assert_true(match_str(g, want));
		assert_false(match_str(g, "/pre/x"));
		policy_glob_free(g);
	}
}

static double elapsed_ms(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static void time_one(const char *pat, char sep, const char *s, size_t len)
{
	struct policy_glob *g = compile_ok(pat, sep, 0);
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_false(policy_glob_match(g, s, len));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (elapsed_ms(&t0, &t1) >= 50.0)
		fail_msg("\"%s\" took %.1f ms", pat, elapsed_ms(&t0, &t1));
	policy_glob_free(g);
}

/* Backtracking matchers take exponential time on these; we must not. */
static void test_pathological_is_fast(void **state)
{
	static char s[10001];
	char pat[256];
	size_t n = 0;

	(void)state;
	memset(s, 'a', 10000);
	time_one("*a*a*a*a*a*a*a*a*b", '/', s, 10000);
	time_one("**a**a**a**a**a**a**a**a**b", '/', s, 10000);
	time_one("{*a,**a}*a*a*a*a*a*a*b", '/', s, 10000);
	/* More than 63 states: the multi-word path. */
	for (int i = 0; i < 60; i++) {
		pat[n++] = '*';
		pat[n++] = 'a';
	}
	pat[n++] = 'b';
	pat[n] = '\0';
	time_one(pat, '/', s, 10000);
}

/*
 * Differential test against a naive backtracking matcher on small random
 * patterns, covering both the single-word and the multi-word NFA paths.
 */
enum frag { F_LIT_A, F_LIT_B, F_SEP, F_STAR, F_DSTAR, F_ANY, F_AB,
	    F_NOT_A, F_ALT, F_NFRAG };

static const char *const frag_text[F_NFRAG] = {
	"a", "b", "/", "*", "**", "?", "[ab]", "[!a]", "{a,b/}",
};

static bool ref_match(const int *f, size_t nf, const char *s, size_t n);

static bool ref_lit(const int *f, size_t nf, const char *s, size_t n,
		    const char *lit)
{
	size_t l = strlen(lit);

	return n >= l && memcmp(s, lit, l) == 0 &&
	       ref_match(f + 1, nf - 1, s + l, n - l);
}

static bool ref_match(const int *f, size_t nf, const char *s, size_t n)
{
	if (nf == 0)
		return n == 0;
	switch (f[0]) {
	case F_STAR:
	case F_DSTAR:
		for (size_t k = 0; k <= n; k++) {
			if (ref_match(f + 1, nf - 1, s + k, n - k))
				return true;
			if (k < n && s[k] == '/' && f[0] == F_STAR)
				return false;
		}
		return false;
	case F_ANY:
	case F_AB:
	case F_NOT_A:
		if (n == 0 || s[0] == '/' || (f[0] == F_AB && s[0] != 'a' &&
					      s[0] != 'b') ||
		    (f[0] == F_NOT_A && s[0] == 'a'))
			return false;
		return ref_match(f + 1, nf - 1, s + 1, n - 1);
	case F_ALT:
		return ref_lit(f, nf, s, n, "a") || ref_lit(f, nf, s, n, "b/");
	default:
		return ref_lit(f, nf, s, n, frag_text[f[0]]);
	}
}

static uint32_t rng_state = 12345;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state % n;
}

/* A string the fragments match, with one byte perhaps changed. */
static size_t gen_subject(const int *f, size_t nf, char *s)
{
	static const char alpha[] = "ab/c";
	size_t n = 0;

	for (size_t i = 0; i < nf; i++) {
		uint32_t k = rnd(4);

		if (f[i] == F_STAR)
			for (; k > 0; k--)
				s[n++] = "abc"[rnd(3)];
		else if (f[i] == F_DSTAR)
			for (; k > 0; k--)
				s[n++] = alpha[rnd(4)];
		else if (f[i] == F_ANY || f[i] == F_AB || f[i] == F_NOT_A)
			s[n++] = 'b';
		else if (f[i] == F_ALT)
			n += (size_t)snprintf(s + n, 4, "%s",
					      k & 1 ? "a" : "b/");
		else
			s[n++] = frag_text[f[i]][0];
	}
	if (n > 0 && rnd(2))
		s[rnd((uint32_t)n)] = alpha[rnd(4)];
	return n;
}

static void test_differential(void **state)
{
	int f[80];
	char pat[400], s[400];

	(void)state;
	for (int iter = 0; iter < 20000; iter++) {
		size_t nf = rnd(iter % 4 == 0 ? 80 : 12), np = 0;
		size_t stars = 0, alts = 0;
		struct policy_glob *g;

		pat[0] = '\0';
		for (size_t i = 0; i < nf; i++) {
			f[i] = (int)rnd(F_NFRAG);
			/* "**" must not come from two "*"; few stars. */
			if ((f[i] == F_STAR || f[i] == F_DSTAR) &&
			    ((i > 0 && f[i - 1] == F_STAR) || ++stars > 4))
				f[i] = F_LIT_A;
			/* At most 2^5 alternatives. */
			if (f[i] == F_ALT && ++alts > 5)
				f[i] = F_LIT_B;
			np += (size_t)snprintf(pat + np, sizeof(pat) - np,
					       "%s", frag_text[f[i]]);
		}
		g = compile_ok(pat, '/', 0);
		for (int j = 0; j < 4; j++) {
			size_t n = gen_subject(f, nf, s);
			bool want = ref_match(f, nf, s, n);

			s[n] = '\0';
			if (policy_glob_match(g, s, n) != want)
				fail_msg("\"%s\" vs \"%s\": want %d", pat, s,
					 want);
		}
		policy_glob_free(g);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_domains_and_names),
		cmocka_unit_test(test_single),
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_alternatives),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_embedded_nul),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_error_edge_cases),
		cmocka_unit_test(test_too_complex),
		cmocka_unit_test(test_deep_groups),
		cmocka_unit_test(test_literal_and_prefix),
		cmocka_unit_test(test_matches_all),
		cmocka_unit_test(test_covers),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_escape_round_trip),
		cmocka_unit_test(test_pathological_is_fast),
		cmocka_unit_test(test_differential),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
