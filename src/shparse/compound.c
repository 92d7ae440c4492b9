/*
 * Compound commands: ( ), { }, (( )), [[ ]], if, while, until, for,
 * select, case, function bodies and coproc.
 */
#include "shparse/shparse_int.h"

#include <stdint.h>

/* Unless the list after "(" or "{" is empty, which bash refuses. */
static int shparse_not_empty(struct shparse_ctx *c, unsigned stop)
{
	struct shparse_tok *t;
	int r = shparse_newlines(c);

	if (r == 0)
		r = shparse_peek(c, &t);
	if (r == 0 && t->kind != SHPARSE_TK_EOF && shparse_at_stop(t, stop))
		r = shparse_unexpected(c, t);
	return r;
}

static int shparse_subshell(struct shparse_ctx *c)
{
	size_t open = shparse_open(c);
	int r = shparse_not_empty(c, SHPARSE_ST_RPAREN);

	if (r < 0)
		return r;
	return shparse_list_to(c, SHPARSE_ST_RPAREN, SHPARSE_TK_RPAREN,
			       SHPARSE_KW_NONE, "(", open);
}

/* "(( .. ))", or two subshells when it does not close as arithmetic. */
static int shparse_dparen(struct shparse_ctx *c)
{
	size_t open = shparse_open(c);
	size_t e = shparse_arith_end(c, open + 2, '(', ')', true);
	int r;

	if (e == SIZE_MAX) {
		c->pos = open + 1;
		return shparse_list_to(c, SHPARSE_ST_RPAREN, SHPARSE_TK_RPAREN,
				       SHPARSE_KW_NONE, "(", open);
	}
	r = shparse_scan_body(c, open + 2, e - 2, false);
	c->pos = e;
	return r;
}

static int shparse_group(struct shparse_ctx *c)
{
	size_t open = shparse_open(c);
	int r = shparse_not_empty(c, SHPARSE_ST_RBRACE);

	if (r < 0)
		return r;
	return shparse_list_kw(c, SHPARSE_KW_RBRACE, "{", open);
}

static int shparse_if(struct shparse_ctx *c)
{
	size_t open = shparse_open(c);
	unsigned stop = SHPARSE_ST_ELIF | SHPARSE_ST_ELSE | SHPARSE_ST_FI;
	struct shparse_tok *t;
	int r = shparse_list_kw(c, SHPARSE_KW_THEN, "if", open);

	while (r == 0) {
		r = shparse_list(c, stop);
		if (r == 0)
			r = shparse_peek(c, &t);
		if (r < 0)
			return r;
		if (shparse_tok_is(t, SHPARSE_KW_ELIF)) {
			shparse_consume(c);
			r = shparse_list_kw(c, SHPARSE_KW_THEN, "if", open);
			continue;
		}
		if (shparse_tok_is(t, SHPARSE_KW_ELSE)) {
			shparse_consume(c);
			r = shparse_list(c, SHPARSE_ST_FI);
		}
		break;
	}
	if (r == 0)
		r = shparse_expect_kw(c, SHPARSE_KW_FI, "if", open);
	return r;
}

static int shparse_while(struct shparse_ctx *c)
{
	bool w = shparse_tok_is(&c->peek, SHPARSE_KW_WHILE);
	const char *name = w ? "while" : "until";
	size_t open = shparse_open(c);
	int r = shparse_list_kw(c, SHPARSE_KW_DO, name, open);

	if (r == 0)
		r = shparse_list_kw(c, SHPARSE_KW_DONE, name, open);
	return r;
}

/* "for ((init; cond; step))". */
static int shparse_for_arith(struct shparse_ctx *c)
{
	size_t open = c->peek.off;
	size_t e = shparse_arith_end(c, open + 2, '(', ')', true);
	int r;

	if (e == SIZE_MAX)
		return shparse_fail(c, open, "unclosed '(('");
	shparse_consume(c);
	r = shparse_scan_body(c, open + 2, e - 2, false);
	c->pos = e;
	return r;
}

/* After "for name": an optional "in words" ended by ; or a newline. */
static int shparse_for_in(struct shparse_ctx *c)
{
	struct shparse_tok *t;
	int r = shparse_newlines(c);

	if (r == 0)
		r = shparse_peek(c, &t);
	if (r < 0)
		return r;
	if (t->kind == SHPARSE_TK_SEMI) {
		shparse_consume(c);
		return 0;
	}
	if (!shparse_tok_is(t, SHPARSE_KW_IN))
		return 0;
	shparse_consume(c);
	while ((r = shparse_peek(c, &t)) == 0 && t->kind == SHPARSE_TK_WORD)
		shparse_consume(c);
	if (r < 0)
		return r;
	if (t->kind != SHPARSE_TK_SEMI && t->kind != SHPARSE_TK_NEWLINE)
		return shparse_unexpected(c, t);
	shparse_consume(c);
	return 0;
}

/* The body of for and select: "do list done" or "{ list }". */
static int shparse_do(struct shparse_ctx *c, size_t open)
{
	struct shparse_tok *t;
	int r = shparse_peek(c, &t);

	if (r == 0 && t->kind == SHPARSE_TK_SEMI)
		shparse_consume(c);
	if (r == 0)
		r = shparse_newlines(c);
	if (r == 0)
		r = shparse_peek(c, &t);
	if (r < 0)
		return r;
	if (shparse_tok_is(t, SHPARSE_KW_LBRACE)) {
		shparse_consume(c);
		return shparse_list_kw(c, SHPARSE_KW_RBRACE, "{", open);
	}
	r = shparse_expect_kw(c, SHPARSE_KW_DO, "for", open);
	if (r == 0)
		r = shparse_list_kw(c, SHPARSE_KW_DONE, "for", open);
	return r;
}

static int shparse_for(struct shparse_ctx *c)
{
	size_t open = shparse_open(c);
	struct shparse_tok *t;
	int r = shparse_peek(c, &t);

	if (r < 0)
		return r;
	if (t->kind == SHPARSE_TK_DLPAREN) {
		r = shparse_for_arith(c);
	} else if (t->kind == SHPARSE_TK_WORD) {
		shparse_consume(c);
		r = shparse_for_in(c);
	} else {
		return shparse_unexpected(c, t);
	}
	if (r == 0)
		r = shparse_do(c, open);
	return r;
}

/* "[(] pattern [| pattern]... ) list [;; or ;& or ;;&]". */
static int shparse_case_item(struct shparse_ctx *c)
{
	struct shparse_tok *t;
	int r = shparse_peek(c, &t);

	if (r == 0 && t->kind == SHPARSE_TK_LPAREN) {
		shparse_consume(c);
		r = shparse_peek(c, &t);
	}
	while (r == 0) {
		if (t->kind != SHPARSE_TK_WORD)
			return shparse_unexpected(c, t);
		shparse_consume(c);
		r = shparse_peek(c, &t);
		if (r < 0 || t->kind == SHPARSE_TK_RPAREN)
			break;
		if (t->kind != SHPARSE_TK_PIPE)
			return shparse_unexpected(c, t);
		shparse_consume(c);
		r = shparse_peek(c, &t);
	}
	if (r < 0)
		return r;
	shparse_consume(c);
	c->casepat = false;
	r = shparse_list(c, SHPARSE_ST_DSEMI | SHPARSE_ST_ESAC);
	if (r == 0)
		r = shparse_peek(c, &t);
	if (r == 0 && t->kind == SHPARSE_TK_DSEMI)
		shparse_consume(c);
	return r;
}

static int shparse_case(struct shparse_ctx *c)
{
	size_t open = shparse_open(c);
	struct shparse_tok *t;
	int r = shparse_peek(c, &t);

	if (r < 0)
		return r;
	if (t->kind != SHPARSE_TK_WORD)
		return shparse_unexpected(c, t);
	shparse_consume(c);
	r = shparse_newlines(c);
	if (r == 0)
		r = shparse_expect_kw(c, SHPARSE_KW_IN, "case", open);
	for (;;) {
		c->casepat = true;
		if (r == 0)
			r = shparse_newlines(c);
		if (r == 0)
			r = shparse_peek(c, &t);
		if (r < 0)
			break;
		if (shparse_tok_is(t, SHPARSE_KW_ESAC)) {
			shparse_consume(c);
			break;
		}
		if (t->kind == SHPARSE_TK_EOF) {
			r = shparse_fail(c, open, "unclosed 'case'");
			break;
		}
		r = shparse_case_item(c);
	}
	c->casepat = false;
	return r;
}

/* "function name [()] body". */
static int shparse_function(struct shparse_ctx *c)
{
	size_t open = shparse_open(c), paren;
	struct shparse_tok *t;
	int r = shparse_peek(c, &t);

	if (r < 0)
		return r;
	if (t->kind != SHPARSE_TK_WORD)
		return shparse_unexpected(c, t);
	shparse_consume(c);
	r = shparse_peek(c, &t);
	if (r == 0 && t->kind == SHPARSE_TK_LPAREN) {
		paren = shparse_open(c);
		r = shparse_expect(c, SHPARSE_TK_RPAREN, SHPARSE_KW_NONE, "(",
				   paren);
	}
	if (r == 0)
		r = shparse_body(c, open);
	return r;
}

/* "[[ .. ]]": only the substitutions in its words run. */
static int shparse_cond(struct shparse_ctx *c)
{
	size_t open = shparse_open(c);
	struct shparse_tok *t;
	bool end;
	int r;

	for (;;) {
		r = shparse_peek(c, &t);
		if (r < 0)
			return r;
		if (t->kind == SHPARSE_TK_EOF)
			return shparse_fail(c, open, "unclosed '[['");
		end = shparse_tok_is(t, SHPARSE_KW_DRBRACK);
		shparse_consume(c);
		if (end)
			return 0;
	}
}

static int shparse_coproc(struct shparse_ctx *c);

/* The function that reads the compound command t starts, or NULL. */
shparse_fn shparse_compound(const struct shparse_tok *t)
{
	if (t->kind == SHPARSE_TK_LPAREN)
		return shparse_subshell;
	if (t->kind == SHPARSE_TK_DLPAREN)
		return shparse_dparen;
	if (t->kind != SHPARSE_TK_WORD)
		return NULL;
	switch (t->kw) {
	case SHPARSE_KW_IF:
		return shparse_if;
	case SHPARSE_KW_WHILE:
	case SHPARSE_KW_UNTIL:
		return shparse_while;
	case SHPARSE_KW_FOR:
	case SHPARSE_KW_SELECT:
		return shparse_for;
	case SHPARSE_KW_CASE:
		return shparse_case;
	case SHPARSE_KW_FUNCTION:
		return shparse_function;
	case SHPARSE_KW_LBRACE:
		return shparse_group;
	case SHPARSE_KW_DLBRACK:
		return shparse_cond;
	case SHPARSE_KW_COPROC:
		return shparse_coproc;
	default:
		return NULL;
	}
}

/* "coproc [NAME] command"; NAME only before a compound command. */
static int shparse_coproc(struct shparse_ctx *c)
{
	struct shparse_tok *t;
	size_t p;
	int r;

	shparse_open(c);
	r = shparse_peek(c, &t);
	if (r < 0)
		return r;
	p = c->pos;
	while (p < c->end && (c->s[p] == ' ' || c->s[p] == '\t'))
		p++;
	if (t->kind == SHPARSE_TK_WORD && shparse_compound(t) == NULL &&
	    (shparse_char(c, p) == '(' ||
	     (shparse_char(c, p) == '{' && (shparse_char(c, p + 1) == ' ' ||
					    shparse_char(c, p + 1) == '\n'))))
		shparse_consume(c);
	return shparse_command(c);
}

/* A function body: optional newlines, then a compound command. */
int shparse_body(struct shparse_ctx *c, size_t open)
{
	struct shparse_tok *t;
	int r = shparse_nest_enter(c->st, shparse_off(c, open));

	if (r < 0)
		return r;
	r = shparse_newlines(c);
	if (r == 0)
		r = shparse_peek(c, &t);
	if (r == 0 && shparse_compound(t) == NULL)
		r = shparse_unexpected(c, t);
	if (r == 0)
		r = shparse_command(c);
	shparse_nest_leave(c->st);
	return r;
}
