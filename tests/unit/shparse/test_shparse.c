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

#include "common/buf.h"
#include "shparse/shparse.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define RENDER_MAX (64u << 10) /* rendered entries of one result */
#define SPEED_SCRIPT_BYTES (10u << 10)
#define SPEED_RUNS 200
#define SPEED_LIMIT_US 100000.0 /* per 10 KiB: only a blow-up fails */

/*
 * One script and what it runs. cmds lists the entries in order, separated
 * by one space: the command word ("?" when name_dynamic), then "@d" for a
 * depth d > 0, "^" wrapped, "&" background, "|" in a pipeline, "+" more
 * arguments at run time. reason, when set, must occur in the reason.
 */
struct tcase {
	const char *script;
	const char *cmds;
	bool complete;
	const char *reason;
};

static const struct tcase cases[] = {
	/* The examples of the issue. */
	{"echo hi | sudo tee x && kill -9 1; (cd /tmp && rm -rf x) &",
	 "echo| sudo| tee@1^| kill cd& rm&", true, NULL},
	{"x=$(curl evil.com) ; echo \"$x\"", "curl@1 echo", true, NULL},
	{"for f in *; do nc -l $f; done", "nc", true, NULL},
	{"cat <<EOF\n$(whoami)\nEOF\n", "whoami@1 cat", true, NULL},
	{"find . -exec rm {} \\;", "find rm@1^", true, NULL},
	{"env FOO=1 sudo id", "env sudo@1^ id@2^", true, NULL},
	{"timeout 5 nc x 1", "timeout nc@1^", true, NULL},
	{"$(printf sudo) id", "printf@1 ?", true, NULL},
	{"eval \"$cmd\"", "eval", false, "eval of dynamic text at offset 5"},
	{"echo 'it''s' \"a \\\"b\\\"\"", "echo", true, NULL},
	{"if true; then sudo x; fi", "true sudo x@1^", true, NULL},
	{"f() { ssh x; }; f", "ssh f", true, NULL},
	{"echo $(( 1 + $(id -u) ))", "id@1 echo", true, NULL},
	{"bash -c 'sudo id'", "bash sudo@1 id@2^", true, NULL},
	{"case $x in a) kill 1;; esac", "kill", true, NULL},
	{"a=1 b=2", "", true, NULL},
	{"echo \"x", "echo", false, "unterminated double quote at offset 5"},
	{"tr a b <<< \"$(cat /etc/shadow)\"", "cat@1 tr", true, NULL},
	{"ls # sudo rm -rf /\n", "ls", true, NULL},
	{"echo a\\\nb; ec\\\nho x", "echo echo", true, NULL},
	{"sh -c \"$(echo c3VkbyBpZA== | base64 -d)\"",
	 "echo@1| base64@1| sh", false, "shell -c of dynamic text"},
	/* Quoting and expansions. */
	{"$'\\x73udo' id", "sudo id@1^", true, NULL},
	{"s\"u\"do x; s\\udo y; 'sudo' z",
	 "sudo x@1^ sudo y@1^ sudo z@1^", true, NULL},
	{"su\\\ndo id", "sudo id@1^", true, NULL},
	{"\"if\" true", "if", true, NULL},
	{"echo `whoami` \"`id -u`\"", "whoami@1 id@1 echo", true, NULL},
	{"echo `echo \\`sudo id\\``", "sudo@2 id@3^ echo@1 echo", true, NULL},
	{"echo \"$(echo \")\")\"", "echo@1 echo", true, NULL},
	{"echo ${x:-$(id)} ${#y} \"${z:-`w`}\"", "id@1 w@1 echo", true, NULL},
	{"echo ${ sudo id; }", "sudo@1 id@2^ echo", true, NULL},
	{"echo $[1+$(id)]", "id@1 echo", true, NULL},
	{"echo $((echo hi) )", "echo@1 echo", true, NULL},
	{"diff <(ls a) >(tee b)", "ls@1 tee@1 diff", true, NULL},
	{"{sudo,id}", "?", true, NULL},
	{"~/bin/x; *.sh; [ -f x ]; test[0]", "? ? [ ?", true, NULL},
	{"x=`sudo id` y=$(z) cmd", "sudo@1 id@2^ z@1 cmd", true, NULL},
	{"a=$(b=$(c))", "c@2", true, NULL},
	{"FOO=$(cmd)", "cmd@1", true, NULL},
	{"a=(1 $(id) 3); declare -a b=(x `y`)", "id@1 y@1 declare", true,
	 NULL},
	{"a=1 sudo id", "sudo id@1^", true, NULL},
	/* Operators, redirections and here-documents. */
	{"echo a & echo b", "echo& echo", true, NULL},
	{"a | b |& c", "a| b| c|", true, NULL},
	{"(a) | (b)", "a| b|", true, NULL},
	{"echo ok;", "echo", true, NULL},
	{"ls 2>&1 >/dev/null &>x 3<>y {fd}>z >|w; 2>e cmd", "ls cmd", true,
	 NULL},
	{"echo > $(mktemp) 2> `tty`", "mktemp@1 tty@1 echo", true, NULL},
	{"cat <<-EOF; cat <<'Q'\n\t$(tabbed)\n\tEOF\n$(not run)\nQ\necho x",
	 "cat tabbed@1 cat echo", true, NULL},
	{"cat <<E\"O\"F\n$(not)\nEOF\n", "cat", true, NULL},
	{"x=$(cat <<EOF\n$(inner)\nEOF\n)\necho $x", "inner@2 cat@1 echo",
	 true, NULL},
	{"cat <<EOF |\nbody $(a)\nEOF\ngrep x", "cat| a@1| grep|", true,
	 NULL},
	{"cat <<A <<B\n$(a)\nA\n$(b)\nB\necho c", "a@1 b@1 cat echo", true,
	 NULL},
	{"exec 3< <(curl x); exec >log 2>&1", "curl@1 exec exec", true, NULL},
	{"exec < script.sh", "exec", false, "'exec' redirects standard input"},
	/* Compound commands. */
	{"case \"$1\" in\n start|go) sudo svc ;;\n (stop) kill $p;;&\n"
	 " *) echo usage;;\nesac",
	 "sudo svc@1^ kill echo", true, NULL},
	{"echo $(case x in a) echo in;; esac)", "echo@1 echo", true, NULL},
	{"[[ -f $(which x) && $y =~ ^(a|b)$ ]] && echo ok", "which@1 echo",
	 true, NULL},
	{"(( x = $(date +%s) + 1 )); ((a)) || (echo sub)", "date@1 echo",
	 true, NULL},
	{"((echo a) )", "echo", true, NULL},
	{"while read l; do sudo \"$l\"; done < f", "read sudo ?@1^", true,
	 NULL},
	{"until false; do :; done", "false :", true, NULL},
	{"select x in a b; do rm $x; break; done", "rm break", true, NULL},
	{"for i in 1 2; { echo $i; }", "echo", true, NULL},
	{"for ((i=0; i<$(nproc); i++)); do make; done", "nproc@1 make", true,
	 NULL},
	{"{ sudo a; sudo b; } > log 2>&1", "sudo a@1^ sudo b@1^", true,
	 NULL},
	{"function g { rm -f x; } ; function h() ( ls )", "rm ls", true,
	 NULL},
	{"coproc cat; coproc NAME { sudo x; }", "cat sudo x@1^", true, NULL},
	{"time -p sudo id | grep x", "time| sudo@1^| id@2^| grep@1^|", true,
	 NULL},
	{"time", "time", true, NULL},
	{"! sudo true && echo no", "sudo true@1^ echo", true, NULL},
	/* Wrappers. */
	{"sudo -u root -E nice -n 5 nohup id",
	 "sudo nice@1^ nohup@2^ id@3^", true, NULL},
	{"sudo --user=root -- rm x", "sudo rm@1^", true, NULL},
	{"command -v sudo; command -p ls", "command command ls@1^", true,
	 NULL},
	{"exec -a foo bash -c \"kill 1\"", "exec bash@1^ kill@2", true, NULL},
	{"builtin cd /", "builtin cd@1^", true, NULL},
	{"busybox sh -c \"nc -l 1\"", "busybox sh@1^ nc@2", true, NULL},
	{"env - PATH=/x sudo id", "env sudo@1^ id@2^", true, NULL},
	{"ionice -c3 nice sudo x", "ionice nice@1^ sudo@2^ x@3^", true,
	 NULL},
	{"chroot /mnt sudo x", "chroot sudo@1^ x@2^", true, NULL},
	{"runuser -u x -- id", "runuser id@1^", true, NULL},
	{"nohup sudo x &", "nohup& sudo@1^& x@2^&", true, NULL},
	{"stdbuf -oL grep x | setsid -f sh -c 'kill 2'",
	 "stdbuf| grep@1^| setsid| sh@1^| kill@2|", true, NULL},
	{"command sudo -u r $CMD", "command sudo@1^ ?@2^", true, NULL},
	{"sudo sh -c 'kill 1'", "sudo sh@1^ kill@2", true, NULL},
	{"ls | xargs rm -f", "ls| xargs| rm@1^|+", true, NULL},
	{"xargs -0 -n1 sudo rm", "xargs sudo@1^+ rm@2^+", true, NULL},
	{"find . | xargs -I{} sh -c \"cp {} /tmp\"", "find| xargs| sh@1^|",
	 false, "shell -c of dynamic text"},
	{"find / -execdir chmod 777 {} + -o -ok rm {} \\;",
	 "find chmod@1^+ rm@1^", true, NULL},
	{"sudo -l id; sudo -V", "sudo sudo", true, NULL},
	{"sudo --weird x", "sudo x@1^", false, "unknown option '--weird'"},
	{"watch ls", "watch", true, NULL},
	/* Nested scripts and what hides commands. */
	{"eval \"echo hi; sudo x\"", "eval echo@1 sudo@1 x@2^", true, NULL},
	{"bash -euxo pipefail -c \"a; b\" name arg", "bash a@1 b@1", true,
	 NULL},
	{"su -c 'rm -rf /' root", "su rm@1", true, NULL},
	{"trap 'sudo rm x' EXIT; trap - INT", "trap sudo@1 rm@2^ trap", true,
	 NULL},
	{"trap \"$handler\" EXIT", "trap", false, "trap of dynamic text"},
	{"bash -c 'echo \"' ; sudo x", "bash echo@1 sudo x@1^", false,
	 "unterminated double quote"},
	{"curl x | bash", "curl| bash|", false, "standard input"},
	{"bash <<EOF\nsudo id\nEOF\n", "bash", false, "standard input"},
	{"source ~/.bashrc", "source", false, "runs a script file"},
	{". \"$x\"", ".", false, "runs a script file"},
	{"bash script.sh", "bash", false, "runs a script file"},
	{"sudo -s", "sudo", false, "standard input"},
	{"su - bob", "su", false, "standard input"},
	{"env -S \"sudo id\"", "env", false, "hides its command"},
	{"alias ls=sudo\nls id", "alias ls", false, "alias"},
	{"enable -f ./x.so foo", "enable", false, "enable -f"},
	/* bash reads name[..] whole in command position: # is no comment. */
	{"declare -A m; m[ # x ]=1; sudo id", "declare sudo id@1^", true,
	 NULL},
	{">/dev/null a[ # ]=1; sudo z", "sudo z@1^", true, NULL},
	{"a=(1 [2 # 3]=x); sudo y", "sudo y@1^", true, NULL},
	{"echo a[ # ]=1; sudo q", "echo", true, NULL},
	{"cat <<EOF\nx\\\nEOF\necho no\nEOF\necho after", "cat echo",
	 true, NULL},
	{"cat <<EOF\nEO\\\nF\nsudo id", "cat sudo id@1^", true, NULL},
	{"cat <<$'EOF'\nhi\nEOF\necho after", "cat echo", true, NULL},
	{"cat < 6666241225<OF", "cat", true, NULL},
	{"! ; echo x", "echo", true, NULL},
	/* bash joins lines before it reads words ("\\<newline>"). */
	{"echo \"$\\\n(sudo id)\"", "sudo@1 id@2^ echo", true, NULL},
	{"$\\\nx id", "?", true, NULL},
	{"PATH\\\n=/tmp sudo id", "sudo id@1^", true, NULL},
	{"a\\\n[ # ]=1; sudo q", "sudo q@1^", true, NULL},
	{"i\\\nf true; then x; fi", "true x", true, NULL},
	{"cat <<E\\\nOF\nbody\nEOF\necho after", "cat echo", true, NULL},
	/* extglob patterns; "!(..)" is one only after shopt -s extglob. */
	{"case $1 in py[0-9].+([0-9])-* | @(a|b)) echo x;; esac", "echo",
	 true, NULL},
	{"!(sudo id)", "sudo id@1^", true, NULL},
	{"shopt -s extglob\nrm !(keep); ls *(a) ?(b) +(c) @(d)",
	 "shopt rm ls", true, NULL},
	/* What is an assignment. */
	{"a=1 b+=2 c[1]=3 d[x y]+=4 e=\"5\" f=(1 2) cmd", "cmd", true, NULL},
	{"\"a\"=1 x; a\\=1 y; $x=1 z; a$x=1 w", "a=1 a=1 ? ?", true, NULL},
	/* Syntax errors: the commands so far, and where it stopped. */
	{"f() sudo id", "", false, "unexpected 'sudo' at offset 4"},
	{"cat < 66<x", "cat", false, "unexpected 'redirection' at offset 8"},
	{"cat <<#x\nsudo id\n#x", "cat", false, "without a delimiter"},
	{"echo (", "", false, "unclosed '(' at offset 5"},
	{"echo )", "echo", false, "unexpected ')' at offset 5"},
	{"(echo a", "echo", false, "unclosed '(' at offset 0"},
	{"echo $(id", "id@1 echo", false, "unclosed '$(' at offset 5"},
	{"if true; then x", "true x", false, "unclosed 'if' at offset 0"},
	{"echo 'abc", "echo", false, "unterminated single quote at offset 5"},
	{"echo `id", "echo", false, "unterminated backquote at offset 5"},
	{"cat <<EOF\nbody", "cat", false, "not terminated"},
	{"fi", "", false, "unexpected 'fi' at offset 0"},
	{"a && || b", "a", false, "unexpected '||' at offset 5"},
	{"echo a; ; b", "echo", false, "unexpected ';' at offset 8"},
	{"case x in a) b;; ", "b", false, "unclosed 'case' at offset 0"},
	{"{ echo }", "echo", false, "unclosed '{' at offset 0"},
	{"echo ${x", "echo", false, "unclosed '${' at offset 5"},
};

/* Append the rendering of r's entries (see struct tcase) to b. */
static void render(const struct shparse_result *r, struct buf *b)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct shparse_cmd *c = &r->cmds[i];

		if (i > 0)
			buf_putc(b, ' ');
		buf_puts(b, c->name_dynamic ? "?" : c->argv[0]);
		if (c->depth > 0)
			buf_printf(b, "@%d", c->depth);
		if (c->wrapped)
			buf_putc(b, '^');
		if (c->background)
			buf_putc(b, '&');
		if (c->in_pipeline)
			buf_putc(b, '|');
		if (c->args_appended)
			buf_putc(b, '+');
	}
}

static struct shparse_result *parse_ok(const char *script)
{
	struct shparse_result *r = NULL;
	int rc = shparse_script(script, strlen(script), &r);

	if (rc != 0 || r == NULL)
		fail_msg("shparse_script(\"%s\") failed: %d", script, rc);
	return r;
}

static void test_table(void **state)
{
	struct buf b;
	int bad = 0;

	(void)state;
	buf_init(&b, RENDER_MAX);
	for (size_t i = 0; i < N(cases); i++) {
		struct shparse_result *r = parse_ok(cases[i].script);

		buf_reset(&b);
		render(r, &b);
		if (strcmp(b.data != NULL ? b.data : "", cases[i].cmds) != 0 ||
		    r->complete != cases[i].complete ||
		    (r->complete && r->reason[0] != '\0') ||
		    (cases[i].reason != NULL &&
		     strstr(r->reason, cases[i].reason) == NULL)) {
			print_error("script %zu: \"%s\"\n  want [%s] %d (%s)\n"
				    "  got  [%s] %d (%s)\n",
				    i, cases[i].script, cases[i].cmds,
				    cases[i].complete,
				    cases[i].reason ? cases[i].reason : "",
				    b.data ? b.data : "", r->complete,
				    r->reason);
			bad++;
		}
		shparse_result_free(r);
	}
	buf_release(&b);
	assert_true(N(cases) >= 80);
	assert_int_equal(bad, 0);
}

/*
 * The words of one entry: "|"-separated, a dynamic word marked with a
 * leading "*".
 */
struct acase {
	const char *script;
	size_t idx;
	const char *argv;
};

static const struct acase argv_cases[] = {
	{"echo 'it''s' \"a \\\"b\\\"\"", 0, "echo|its|a \"b\""},
	{"echo a\\\nb; ec\\\nho x", 0, "echo|ab"},
	{"echo a\\\nb; ec\\\nho x", 1, "echo|x"},
	{"echo $'a\\0b'c $'\\u00e9\\t\\101' $'\\cA'", 0,
	 "echo|ac|\xc3\xa9\t" "A|\x01"},
	{"echo ~ ~x a~ ~/\"x\" \"~\"", 0, "echo|*~|*~x|a~|*~/\"x\"|~"},
	{"echo {a,b} {x} {1..3} '{a,b}' {}", 0,
	 "echo|*{a,b}|{x}|*{1..3}|{a,b}|{}"},
	{"echo \"$HOME\" '$HOME' \\$HOME $ \"$\"", 0,
	 "echo|*\"$HOME\"|$HOME|$HOME|$|$"},
	{"printf '%s\\n' \"a b\" $\"c\"", 0, "printf|%s\\n|a b|c"},
	{"[ \"$x\" = y ]", 0, "[|*\"$x\"|=|y|]"},
	{"echo *.c a?b [ab] x[", 0, "echo|**.c|*a?b|*[ab]|x["},
	{"find . -exec rm {} \\;", 1, "rm|*{}"},
	{"sudo FOO=1 id -u", 1, "id|-u"},
	{"env -u HOME -C /tmp FOO=1 id -u", 1, "id|-u"},
	{"timeout -s KILL --kill-after=1 5s nc -l 1", 1, "nc|-l|1"},
	{"bash -c 'sudo id' x", 1, "sudo|id"},
	{"xargs -I% cp % /tmp", 1, "cp|*%|/tmp"},
	{"echo \"a\"'b'c\\ d", 0, "echo|abc d"},
	{"echo $'it\\'s'", 0, "echo|it's"},
};

static void render_argv(const struct shparse_cmd *c, struct buf *b)
{
	for (size_t j = 0; j < c->argc; j++) {
		if (j > 0)
			buf_putc(b, '|');
		if (c->arg_dynamic[j])
			buf_putc(b, '*');
		buf_puts(b, c->argv[j]);
	}
}

static void test_argv(void **state)
{
	struct buf b;
	int bad = 0;

	(void)state;
	buf_init(&b, RENDER_MAX);
	for (size_t i = 0; i < N(argv_cases); i++) {
		const struct acase *a = &argv_cases[i];
		struct shparse_result *r = parse_ok(a->script);

		buf_reset(&b);
		if (a->idx < r->n)
			render_argv(&r->cmds[a->idx], &b);
		if (strcmp(b.data != NULL ? b.data : "", a->argv) != 0) {
			print_error("argv %zu of \"%s\": want [%s] got [%s]\n",
				    a->idx, a->script, a->argv,
				    b.data ? b.data : "");
			bad++;
		}
		shparse_result_free(r);
	}
	buf_release(&b);
	assert_int_equal(bad, 0);
}

static void test_offsets(void **state)
{
	struct shparse_result *r =
		parse_ok("  sudo  id $(ls -l)\nbash -c 'rm x'");

	(void)state;
	assert_int_equal(r->n, 5);
	assert_string_equal(r->cmds[0].argv[0], "ls");
	assert_int_equal(r->cmds[0].offset, 13);
	assert_int_equal(r->cmds[0].arg_offset[1], 16);
	assert_string_equal(r->cmds[1].argv[0], "sudo");
	assert_int_equal(r->cmds[1].offset, 2);
	assert_int_equal(r->cmds[1].arg_offset[1], 8);
	assert_string_equal(r->cmds[2].argv[0], "id");
	assert_int_equal(r->cmds[2].offset, 8);
	assert_string_equal(r->cmds[3].argv[0], "bash");
	assert_int_equal(r->cmds[3].offset, 20);
	/* Inside a nested script, the offset of the word that holds it. */
	assert_string_equal(r->cmds[4].argv[0], "rm");
	assert_int_equal(r->cmds[4].offset, 28);
	assert_int_equal(r->cmds[4].arg_offset[1], 28);
	assert_true(r->complete);
	shparse_result_free(r);
}

/* s repeated n times, then tail. */
static char *repeat(const char *s, size_t n, const char *tail)
{
	struct buf b;

	buf_init(&b, SIZE_MAX);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(buf_puts(&b, s), 0);
	assert_int_equal(buf_puts(&b, tail), 0);
	return buf_steal(&b);
}

static struct shparse_result *parse_free(char *script)
{
	struct shparse_result *r = parse_ok(script);

	free(script);
	return r;
}

static void test_limit_depth(void **state)
{
	static const char *const opens[] = {"$(", "(", "{ ", "sudo ", "${x:-",
					    "if x; then ", "\"$(", "f() { "};
	struct shparse_result *r;

	(void)state;
	for (size_t i = 0; i < N(opens); i++) {
		r = parse_free(repeat(opens[i], SHPARSE_MAX_DEPTH + 8, "x"));
		assert_false(r->complete);
		assert_non_null(strstr(r->reason, "nesting deeper than 64"));
		shparse_result_free(r);
	}
	/* Just under the limit is fine. */
	r = parse_free(repeat("$(", SHPARSE_MAX_DEPTH - 2, "x"));
	assert_int_equal(r->n, 1);
	assert_int_equal(r->cmds[0].depth, SHPARSE_MAX_DEPTH - 2);
	assert_false(r->complete); /* unclosed */
	shparse_result_free(r);
}

static void test_limit_count(void **state)
{
	struct shparse_result *r;
	char *line;

	(void)state;
	r = parse_free(repeat("a;", SHPARSE_MAX_COMMANDS + 10, ""));
	assert_int_equal(r->n, SHPARSE_MAX_COMMANDS);
	assert_false(r->complete);
	assert_non_null(strstr(r->reason, "more than 4096 commands"));
	shparse_result_free(r);

	r = parse_free(repeat(" a", SHPARSE_MAX_WORDS + 10, ""));
	assert_int_equal(r->n, 1);
	assert_int_equal(r->cmds[0].argc, SHPARSE_MAX_WORDS);
	assert_false(r->complete);
	assert_non_null(strstr(r->reason, "more than 4096 words"));
	shparse_result_free(r);

	/* Commands of 100 words each, up to the limit on all words. */
	line = repeat(" a", 100, "\n");
	r = parse_free(repeat(line, SHPARSE_MAX_TOTAL_WORDS / 100 + 10, ""));
	free(line);
	assert_false(r->complete);
	assert_non_null(strstr(r->reason, "too many words"));
	shparse_result_free(r);
}

static void test_limit_size(void **state)
{
	struct shparse_result *r;
	char *s = repeat("echo 0123456789\n", SHPARSE_MAX_SCRIPT / 16 + 1,
			 "sudo id");

	(void)state;
	assert_int_equal(shparse_script(s, strlen(s), &r), 0);
	assert_false(r->complete);
	assert_non_null(strstr(r->reason, "analysed the first 1048576"));
	assert_int_equal(r->n, SHPARSE_MAX_COMMANDS);
	shparse_result_free(r);
	free(s);

	/* NUL bytes are dropped, as bash does, and noted. */
	assert_int_equal(shparse_script("su\0do id", 8, &r), 0);
	assert_false(r->complete);
	assert_non_null(strstr(r->reason, "NUL byte at offset 2"));
	assert_string_equal(r->cmds[0].argv[0], "sudo");
	shparse_result_free(r);
}

static void test_api(void **state)
{
	struct shparse_result *r = NULL;

	(void)state;
	assert_int_equal(shparse_script(NULL, 1, &r), -EINVAL);
	assert_int_equal(shparse_script("x", 1, NULL), -EINVAL);
	assert_int_equal(shparse_script(NULL, 0, &r), 0);
	assert_int_equal(r->n, 0);
	assert_true(r->complete);
	assert_string_equal(r->reason, "");
	shparse_result_free(r);
	shparse_result_free(NULL);
	/* len, not the terminator, bounds the script. */
	assert_int_equal(shparse_script("ls; sudo x", 2, &r), 0);
	assert_int_equal(r->n, 1);
	assert_string_equal(r->cmds[0].argv[0], "ls");
	assert_null(r->cmds[0].argv[1]);
	shparse_result_free(r);
}

/* Every prefix and every one-byte deletion of a dense script. */
static void test_mutations(void **state)
{
	static const char script[] =
		"f() { a=$(b \"$(c `d \\`e\\``)\" <<EOF\n$(g)\nEOF\n); };"
		" case $x in (a|b) ${y:-$'\\x41'} ;; *) ((z=$[1]));; esac;"
		" [[ $(h) ]] && for i in <(j); do sudo -u r env k=1 find"
		" -exec sh -c 'l | m' \\; ; done | { n & } >&2 #c\n";
	size_t n = sizeof(script) - 1;
	char *buf = malloc(n);
	struct shparse_result *r;

	(void)state;
	assert_non_null(buf);
	for (size_t i = 0; i <= n; i++) {
		assert_int_equal(shparse_script(script, i, &r), 0);
		shparse_result_free(r);
		memcpy(buf, script, i);
		memcpy(buf + i, script + i + 1, i < n ? n - i - 1 : 0);
		assert_int_equal(shparse_script(buf, i < n ? n - 1 : n, &r),
				 0);
		shparse_result_free(r);
	}
	assert_int_equal(shparse_script(script, n, &r), 0);
	assert_true(r->complete);
	shparse_result_free(r);
	free(buf);
}

/* A typical agent script, repeated to 10 KiB. */
static char *typical_script(void)
{
	static const char chunk[] =
		"#!/bin/bash\nset -euo pipefail\n"
		"cd \"$(dirname \"$0\")\" && git status --short | head -n 20\n"
		"for f in src/*.c; do\n  gcc -Wall -c \"$f\" -o \"${f%.c}.o\""
		" 2>&1 || echo \"failed: $f\" >&2\ndone\n"
		"if [ -f package.json ]; then npm test -- --watch=false; fi\n"
		"cat > /tmp/out.txt <<'EOF'\nplain text $(not run)\nEOF\n"
		"grep -rn 'TODO' . | sed -e 's/:.*//' | sort -u | wc -l\n"
		"find . -name '*.tmp' -exec rm -f {} \\;\n"
		"python3 -m pytest -q tests/ && make -j\"$(nproc)\"\n";
	struct buf b;

	buf_init(&b, SPEED_SCRIPT_BYTES + sizeof(chunk));
	while (b.len < SPEED_SCRIPT_BYTES)
		assert_int_equal(buf_puts(&b, chunk), 0);
	return buf_steal(&b);
}

static void test_speed(void **state)
{
	char *s = typical_script();
	struct timespec t0, t1;
	struct shparse_result *r;
	double us;

	(void)state;
	assert_int_equal(shparse_script(s, strlen(s), &r), 0);
	assert_true(r->complete);
	assert_true(r->n > 100);
	shparse_result_free(r);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < SPEED_RUNS; i++) {
		assert_int_equal(shparse_script(s, strlen(s), &r), 0);
		shparse_result_free(r);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	us = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 +
	      (double)(t1.tv_nsec - t0.tv_nsec)) / 1e3 / SPEED_RUNS;
	print_message("shparse: %zu-byte script in %.1f us\n", strlen(s), us);
	assert_true(us < SPEED_LIMIT_US);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_argv),
		cmocka_unit_test(test_offsets),
		cmocka_unit_test(test_limit_depth),
		cmocka_unit_test(test_limit_count),
		cmocka_unit_test(test_limit_size),
		cmocka_unit_test(test_api),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_speed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
