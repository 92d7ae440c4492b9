/* Internal interfaces of the shell script analyser. */
#ifndef AGENTSH_SHPARSE_SHPARSE_INT_H
#define AGENTSH_SHPARSE_SHPARSE_INT_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "shparse/shparse.h"

/* Internal status: the analysis stopped and the reason is recorded. */
#define SHPARSE_STOP (-EBADMSG)
/* Longest word; a word never outgrows the script that holds it. */
#define SHPARSE_MAX_WORD_LEN SHPARSE_MAX_SCRIPT
/* Bytes of an offending token quoted in a reason. */
#define SHPARSE_TOKEN_QUOTE_MAX 16

enum shparse_tk {
	SHPARSE_TK_EOF, SHPARSE_TK_WORD, SHPARSE_TK_NEWLINE,
	SHPARSE_TK_SEMI, SHPARSE_TK_AMP, SHPARSE_TK_AND, SHPARSE_TK_OR,
	SHPARSE_TK_PIPE, SHPARSE_TK_PIPEAMP, SHPARSE_TK_LPAREN,
	SHPARSE_TK_DLPAREN, SHPARSE_TK_RPAREN, SHPARSE_TK_DSEMI,
	SHPARSE_TK_REDIR, SHPARSE_TK_HEREDOC
};

/* Where a list may end, as a bit set (EOF always ends a list). */
enum shparse_stop {
	SHPARSE_ST_RPAREN = 1u << 0, SHPARSE_ST_RBRACE = 1u << 1,
	SHPARSE_ST_THEN = 1u << 2, SHPARSE_ST_ELIF = 1u << 3,
	SHPARSE_ST_ELSE = 1u << 4, SHPARSE_ST_FI = 1u << 5,
	SHPARSE_ST_DO = 1u << 6, SHPARSE_ST_DONE = 1u << 7,
	SHPARSE_ST_ESAC = 1u << 8, SHPARSE_ST_DSEMI = 1u << 9
};

/* Reserved words (and "-p" after time), as unquoted words. */
enum shparse_kw {
	SHPARSE_KW_NONE, SHPARSE_KW_BANG, SHPARSE_KW_DLBRACK,
	SHPARSE_KW_DRBRACK, SHPARSE_KW_LBRACE, SHPARSE_KW_RBRACE,
	SHPARSE_KW_CASE, SHPARSE_KW_COPROC, SHPARSE_KW_DO, SHPARSE_KW_DONE,
	SHPARSE_KW_ELIF, SHPARSE_KW_ELSE, SHPARSE_KW_ESAC, SHPARSE_KW_FI,
	SHPARSE_KW_FOR, SHPARSE_KW_FUNCTION, SHPARSE_KW_IF, SHPARSE_KW_IN,
	SHPARSE_KW_SELECT, SHPARSE_KW_THEN, SHPARSE_KW_TIME, SHPARSE_KW_UNTIL,
	SHPARSE_KW_WHILE, SHPARSE_KW_DASH_P, SHPARSE_KW_COUNT
};

struct shparse_word {
	struct buf val;     /* after quote removal; raw text when dynamic */
	size_t start, end;  /* the raw text is s[start, end) */
	bool dynamic;
	bool quoted;        /* has a quoted or escaped part */
	bool expanded;      /* has a $, ` or <( part (a subscript is not) */
	bool eq_seen;       /* an unquoted "=" was read */
	size_t assign;      /* an assignment: val length up to its "=" */
};

/* The descriptor before a redirection operator ("2>", "{fd}>"). */
#define SHPARSE_FD_NONE (-1)
#define SHPARSE_FD_NAMED (-2)

struct shparse_tok {
	enum shparse_tk kind;
	size_t off;             /* where the token starts */
	int fd;                 /* redirections: SHPARSE_FD_* or the number */
	enum shparse_kw kw;     /* words: the reserved word it would be */
	struct shparse_word w;  /* SHPARSE_TK_WORD only */
};

/* A here-document whose body starts after the next newline. */
struct shparse_heredoc {
	char *delim;
	size_t len;
	bool quoted;     /* no expansions in the body */
	bool strip_tabs; /* <<- */
	size_t off;
};

/* State shared by the script and every nested script. */
struct shparse_state {
	struct shparse_result *res;
	size_t cap;          /* allocated entries of res->cmds */
	size_t total_words, total_bytes;
	int nest;            /* current nesting, for SHPARSE_MAX_DEPTH */
	bool stopped;        /* the current text stopped; reason recorded */
	bool extglob;        /* "shopt -s extglob" was seen */
	bool full;           /* a limit on the whole result was reached */
};

/* The words of one simple command being collected. */
struct shparse_words {
	char **v;   /* room for a NULL after the last */
	bool *dyn;
	size_t *off;
	size_t n, cap;
};

/* A parser over one buffer (the script, a backquote body, bash -c text). */
struct shparse_ctx {
	struct shparse_state *st;
	const char *s;
	size_t pos, end;      /* end shrinks while scanning a sub-region */
	size_t off_base;      /* script offset of s[0] */
	bool off_fixed;       /* every offset is off_base (nested text) */
	int depth;            /* depth given to the commands found here */
	bool have_peek;
	struct shparse_tok peek;
	struct shparse_heredoc *hd; /* pending here-documents */
	size_t nhd;
	/*
	 * Where the next word stands, as bash's lexer tracks it: only in
	 * command position may it be an assignment, where "name[" starts a
	 * subscript read up to its "]", blanks and all.
	 */
	bool arg_pos;       /* not in command position */
	bool casepat;       /* reading case patterns */
	bool redir_pending; /* the next word is a redirection target */
	bool redir_saved;   /* command position before that redirection */
	int array;          /* inside name=( .. ): "[" at a word start too */
};

/* Flags of shparse_emit(). */
#define SHPARSE_EMIT_WRAPPED 1u  /* an argument of the previous command */
#define SHPARSE_EMIT_APPENDED 2u /* more arguments come at run time */

/* The byte at p, or NUL past the end of the current region. */
static inline char shparse_char(const struct shparse_ctx *c, size_t p)
{
	return p < c->end ? c->s[p] : '\0';
}

/* shparse.c */
size_t shparse_off(const struct shparse_ctx *c, size_t pos);
void shparse_note(struct shparse_state *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int shparse_fail_at(struct shparse_state *st, size_t off, const char *fmt,
		    ...) __attribute__((format(printf, 3, 4)));
int shparse_fail(struct shparse_ctx *c, size_t pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int shparse_nest_enter(struct shparse_state *st, size_t off);
void shparse_nest_leave(struct shparse_state *st);
int shparse_worst(int a, int b);
int shparse_words_push(struct shparse_ctx *c, struct shparse_words *w,
		       char *s, bool dyn, size_t off);
void shparse_words_release(struct shparse_words *w);
int shparse_emit(struct shparse_ctx *c, struct shparse_words *w, int depth,
		 unsigned flags);
int shparse_text(struct shparse_state *st, const char *s, size_t len,
		 size_t off, bool fixed, int depth);
size_t shparse_name_len(const char *s, size_t n);

/* lex.c */
void shparse_tok_release(struct shparse_tok *t);
int shparse_peek(struct shparse_ctx *c, struct shparse_tok **out);
void shparse_consume(struct shparse_ctx *c);
bool shparse_tok_is(const struct shparse_tok *t, enum shparse_kw kw);
int shparse_unexpected(struct shparse_ctx *c, const struct shparse_tok *t);
int shparse_expect(struct shparse_ctx *c, enum shparse_tk kind,
		   enum shparse_kw kw, const char *opener, size_t open);
void shparse_ctx_release(struct shparse_ctx *c);

/* word.c */
void shparse_word_init(struct shparse_word *w, size_t start);
int shparse_put(struct shparse_ctx *c, struct shparse_word *w, const char *p,
		size_t n);
int shparse_word(struct shparse_ctx *c, struct shparse_word *w,
		 bool cmdpos);
int shparse_scan_body(struct shparse_ctx *c, size_t start, size_t end,
		      bool sandbox);
size_t shparse_arith_end(const struct shparse_ctx *c, size_t p, char open,
			 char close, bool dbl);

/* ansi.c */
int shparse_ansi(struct shparse_ctx *c, struct shparse_word *w);

/* parse.c */
typedef int (*shparse_fn)(struct shparse_ctx *c);
bool shparse_at_stop(const struct shparse_tok *t, unsigned stop);
int shparse_newlines(struct shparse_ctx *c);
size_t shparse_open(struct shparse_ctx *c);
int shparse_list(struct shparse_ctx *c, unsigned stop);
int shparse_list_to(struct shparse_ctx *c, unsigned stop,
		    enum shparse_tk kind, enum shparse_kw kw,
		    const char *opener, size_t open);
int shparse_list_kw(struct shparse_ctx *c, enum shparse_kw kw,
		    const char *opener, size_t open);
int shparse_expect_kw(struct shparse_ctx *c, enum shparse_kw kw,
		      const char *opener, size_t open);
int shparse_nested(struct shparse_ctx *c, enum shparse_tk close,
		   enum shparse_kw kw, const char *opener, size_t open);
int shparse_command(struct shparse_ctx *c);

/* compound.c */
shparse_fn shparse_compound(const struct shparse_tok *t);
int shparse_body(struct shparse_ctx *c, size_t open);

/* wrap.c */
int shparse_wrap(struct shparse_ctx *c, size_t idx);

#endif
