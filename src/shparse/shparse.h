/*
 * Static analysis of a shell script (POSIX sh plus common bash) before it
 * runs: every simple command it would start, with its words, so that a
 * denied command can be refused before any part of the script executes.
 *
 * The analyser never refuses a script. What it cannot see (eval of dynamic
 * text, a sourced file, an unterminated quote, a limit reached, ...) makes
 * the result incomplete with a reason; the commands found so far are kept.
 * It reads no files, runs nothing and keeps no global state.
 */
#ifndef AGENTSH_SHPARSE_SHPARSE_H
#define AGENTSH_SHPARSE_SHPARSE_H

#include <stdbool.h>
#include <stddef.h>

#define SHPARSE_MAX_SCRIPT (1u << 20)  /* bytes analysed */
#define SHPARSE_MAX_COMMANDS 4096      /* entries in one result */
#define SHPARSE_MAX_WORDS 4096         /* per command */
#define SHPARSE_MAX_DEPTH 64           /* nesting of $( ), ( ), { }, if, ... */
#define SHPARSE_MAX_TOTAL_WORDS (1u << 18) /* words over all commands */
#define SHPARSE_MAX_TOTAL_BYTES (16u << 20) /* word text over all commands */
#define SHPARSE_MAX_HEREDOCS 64        /* here-documents pending on one line */
#define SHPARSE_REASON_MAX 128         /* why a result is incomplete */

struct shparse_cmd {
	/*
	 * Words after quote removal, NULL-terminated; a word with an
	 * expansion keeps its raw text (e.g. "$HOME/bin", "*.c").
	 */
	char **argv;
	size_t argc;
	/* Per word: contains $VAR, $(..), `..`, a glob, ~ or {a,b}. */
	bool *arg_dynamic;
	/* Per word: byte offset of the word in the script. */
	size_t *arg_offset;
	/* The command word's value is unknown (arg_dynamic[0]). */
	bool name_dynamic;
	/*
	 * The command runs as an argument of the previous entry at
	 * depth - 1 (sudo X, env X, find -exec X, time X, ...).
	 */
	bool wrapped;
	/*
	 * More arguments are added when it runs (xargs X, find -exec X {} +):
	 * argv holds only the static ones.
	 */
	bool args_appended;
	/*
	 * 0 = top level; +1 inside $(..), `..`, <(..), >(..), a nested
	 * script (bash -c '..', eval '..', trap '..') or a wrapper.
	 */
	int depth;
	bool background;  /* part of an and-or list followed by & */
	bool in_pipeline; /* part of a pipeline of two or more commands */
	size_t offset;    /* byte offset of the command word in the script */
};

struct shparse_result {
	struct shparse_cmd *cmds; /* in the order their parsing finished */
	size_t n;
	bool complete; /* false if anything could not be analysed */
	/* Why not complete (first reasons, "; "-separated), else "". */
	char reason[SHPARSE_REASON_MAX];
};

/*
 * Analyse len bytes of script (no terminator needed). On success *out is
 * a result to free with shparse_result_free(), complete or not: bad
 * syntax, unsupported constructs and exceeded limits never fail the call.
 * Offsets inside nested scripts (bash -c '..', eval '..') are those of the
 * word that holds the nested script. Returns 0, -EINVAL (NULL out, or NULL
 * script with len > 0) or -ENOMEM.
 */
int shparse_script(const char *script, size_t len,
		   struct shparse_result **out);
/* Free a result; NULL is allowed. */
void shparse_result_free(struct shparse_result *r);

#endif
