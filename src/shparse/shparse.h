/*
 * Static analysis of a shell script (POSIX sh plus common bash) before it
 * runs: every simple command it would start, with its words, so that a
 * denied command can be refused before any part of the script executes.
 *
 * Reported: each simple command (builtins too), including those inside
 * $(..), `..`, <(..), ${ ..; }, here-document and here-string expansions,
 * arithmetic, [[ ]], function bodies (where defined), static nested
 * scripts (bash -c '..', eval '..', trap '..' ..), the command a wrapper
 * runs (sudo X, env X, xargs X, find -exec X ;, ...) and the reserved word
 * "time" as a command of its own. Assignment-only commands and function
 * definitions are not commands; what their words substitute is.
 *
 * The analyser never refuses a script. What it cannot see (eval of dynamic
 * text, a sourced file, an unterminated quote, a limit reached, ...) makes
 * the result incomplete with a reason; the commands found so far are kept.
 * A command word whose value is only known at run time is reported with
 * name_dynamic instead. It reads no files, runs nothing, has no globals.
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
	/*
	 * The command word's value is unknown until it runs (arg_dynamic[0]):
	 * which command this is cannot be decided here.
	 */
	bool name_dynamic;
	/*
	 * Run by a wrapper: the closest earlier entry at depth - 1 (sudo X,
	 * env X, xargs X, find -exec X ;, the pipeline after "time", ...).
	 */
	bool wrapped;
	/*
	 * More arguments are added when it runs (xargs X, find -exec X {} +):
	 * argv holds only the static ones.
	 */
	bool args_appended;
	/*
	 * 0 = top level; +1 inside each $(..), `..`, <(..), >(..), nested
	 * script (bash -c '..', eval '..', trap '..') and wrapper.
	 */
	int depth;
	bool background;  /* in (or inside) an and-or list followed by & */
	bool in_pipeline; /* in (or inside) a pipeline of 2 or more commands */
	size_t offset;    /* byte offset of the command word in the script */
};

struct shparse_result {
	struct shparse_cmd *cmds; /* in the order their parsing finished */
	size_t n;
	bool complete; /* false if anything could not be analysed */
	/*
	 * Why not complete, else "": where the analysis stopped (if it did),
	 * then what it could not see, "; "-separated, truncated.
	 */
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
