/* The grammar: lists, pipelines and simple commands. */
#include "shparse/shparse_int.h"

#include <string.h>

static int shparse_andor(struct shparse_ctx *c);

/* The stop bit of each reserved word that ends a list. */
static const unsigned shparse_kw_stop[SHPARSE_KW_COUNT] = {
	[SHPARSE_KW_RBRACE] = SHPARSE_ST_RBRACE,
	[SHPARSE_KW_THEN] = SHPARSE_ST_THEN,
	[SHPARSE_KW_ELIF] = SHPARSE_ST_ELIF,
	[SHPARSE_KW_ELSE] = SHPARSE_ST_ELSE, [SHPARSE_KW_FI] = SHPARSE_ST_FI,
	[SHPARSE_KW_DO] = SHPARSE_ST_DO, [SHPARSE_KW_DONE] = SHPARSE_ST_DONE,
	[SHPARSE_KW_ESAC] = SHPARSE_ST_ESAC,
};

static unsigned shparse_stop_word(const struct shparse_tok *t)
{
	return t->kind == SHPARSE_TK_WORD ? shparse_kw_stop[t->kw] : 0;
}

bool shparse_at_stop(const struct shparse_tok *t, unsigned stop)
{
	switch (t->kind) {
	case SHPARSE_TK_EOF:
		return true;
	case SHPARSE_TK_RPAREN:
		return (stop & SHPARSE_ST_RPAREN) != 0;
	case SHPARSE_TK_DSEMI:
		return (stop & SHPARSE_ST_DSEMI) != 0;
	case SHPARSE_TK_WORD:
		return (stop & shparse_stop_word(t)) != 0;
	default:
		return false;
	}
}

int shparse_newlines(struct shparse_ctx *c)
{
	struct shparse_tok *t;
	int r;

	while ((r = shparse_peek(c, &t)) == 0 &&
	       t->kind == SHPARSE_TK_NEWLINE)
		shparse_consume(c);
	return r;
}

/* Consume the peeked token; its offset. */
size_t shparse_open(struct shparse_ctx *c)
{
	size_t off = c->peek.off;

	shparse_consume(c);
	return off;
}

/* Flag the entries recorded since from. */
static void shparse_mark(struct shparse_ctx *c, size_t from, bool bg)
{
	struct shparse_result *res = c->st->res;

	for (size_t i = from; i < res->n; i++) {
		if (bg)
			res->cmds[i].background = true;
		else
			res->cmds[i].in_pipeline = true;
	}
}

/* A list ending at a token of stop, or at the end of the text. */
int shparse_list(struct shparse_ctx *c, unsigned stop)
{
	struct shparse_tok *t;
	size_t start;
	int r;

	for (;;) {
		r = shparse_newlines(c);
		if (r == 0)
			r = shparse_peek(c, &t);
		if (r < 0)
			return r;
		if (shparse_at_stop(t, stop))
			return 0;
		start = c->st->res->n;
		r = shparse_andor(c);
		if (r == 0)
			r = shparse_peek(c, &t);
		if (r < 0)
			return r;
		if (t->kind == SHPARSE_TK_AMP)
			shparse_mark(c, start, true);
		if (t->kind == SHPARSE_TK_SEMI || t->kind == SHPARSE_TK_AMP ||
		    t->kind == SHPARSE_TK_NEWLINE)
			shparse_consume(c);
		else if (shparse_at_stop(t, stop))
			return 0;
		else
			return shparse_unexpected(c, t);
	}
}

/* A list, then its closing token. */
int shparse_list_to(struct shparse_ctx *c, unsigned stop,
		    enum shparse_tk kind, enum shparse_kw kw,
		    const char *opener, size_t open)
{
	int r = shparse_list(c, stop);

	if (r == 0)
		r = shparse_expect(c, kind, kw, opener, open);
	return r;
}

/* A list ended by the reserved word kw. */
int shparse_list_kw(struct shparse_ctx *c, enum shparse_kw kw,
		    const char *opener, size_t open)
{
	return shparse_list_to(c, shparse_kw_stop[kw], SHPARSE_TK_WORD, kw,
			       opener, open);
}

int shparse_expect_kw(struct shparse_ctx *c, enum shparse_kw kw,
		      const char *opener, size_t open)
{
	return shparse_expect(c, SHPARSE_TK_WORD, kw, opener, open);
}

/* $( list ), <( list ), ${ list; }: commands one level deeper. */
int shparse_nested(struct shparse_ctx *c, enum shparse_tk close,
		   enum shparse_kw kw, const char *opener, size_t open)
{
	unsigned stop = kw != SHPARSE_KW_NONE ? SHPARSE_ST_RBRACE :
						SHPARSE_ST_RPAREN;
	bool casepat = c->casepat;
	int array = c->array;
	int r = shparse_nest_enter(c->st, shparse_off(c, open));

	if (r < 0)
		return r;
	c->depth++;
	c->arg_pos = false;
	c->casepat = false;
	c->redir_pending = false;
	c->array = 0;
	r = shparse_list_to(c, stop, close, kw, opener, open);
	c->casepat = casepat;
	c->array = array;
	c->depth--;
	shparse_nest_leave(c->st);
	return r;
}

/* Move the peeked word into w. */
static int shparse_take_word(struct shparse_ctx *c, struct shparse_words *w)
{
	struct shparse_tok *t = &c->peek;
	size_t off = shparse_off(c, t->w.start);
	bool dyn = t->w.dynamic;
	char *s = buf_steal(&t->w.val);

	shparse_consume(c);
	if (s == NULL)
		return -ENOMEM;
	return shparse_words_push(c, w, s, dyn, off);
}

/* A redirection operator (peeked) and its target word. */
static int shparse_redir(struct shparse_ctx *c)
{
	struct shparse_tok *t;
	bool heredoc = c->peek.kind == SHPARSE_TK_HEREDOC;
	int r;

	shparse_consume(c);
	if (heredoc)
		return 0;
	r = shparse_peek(c, &t);
	if (r < 0)
		return r;
	if (t->kind != SHPARSE_TK_WORD)
		return shparse_unexpected(c, t);
	shparse_consume(c);
	return 0;
}

static int shparse_redirs(struct shparse_ctx *c)
{
	struct shparse_tok *t;
	int r;

	while ((r = shparse_peek(c, &t)) == 0 &&
	       (t->kind == SHPARSE_TK_REDIR || t->kind == SHPARSE_TK_HEREDOC))
		r = shparse_redir(c);
	return r;
}

/* "name ( )" after the first word: a function definition. */
static int shparse_funcdef(struct shparse_ctx *c, struct shparse_words *w)
{
	size_t open = shparse_open(c);
	int r;

	shparse_words_release(w);
	r = shparse_expect(c, SHPARSE_TK_RPAREN, SHPARSE_KW_NONE, "(", open);
	if (r == 0)
		r = shparse_body(c, open);
	return r;
}

/*
 * "exec <file" makes a shell that reads its script from standard input
 * continue with other text.
 */
static void shparse_exec_stdin(struct shparse_ctx *c,
			       const struct shparse_words *w, bool redir_in)
{
	if (redir_in && w->n == 1 && !w->dyn[0] && strcmp(w->v[0], "exec") == 0)
		shparse_note(c->st, "'exec' redirects standard input at offset "
			     "%zu", w->off[0]);
}

/*
 * Assignments, words and redirections. On a syntax error the words read
 * so far are still reported.
 */
static int shparse_simple(struct shparse_ctx *c)
{
	struct shparse_words w;
	struct shparse_tok *t;
	bool assigned = false, redir_in = false;
	int r;

	memset(&w, 0, sizeof(w));
	for (;;) {
		r = shparse_peek(c, &t);
		if (r < 0)
			break;
		if (t->kind == SHPARSE_TK_REDIR ||
		    t->kind == SHPARSE_TK_HEREDOC) {
			redir_in = redir_in || (c->s[t->off] == '<' &&
						(t->fd == SHPARSE_FD_NONE ||
						 t->fd == 0));
			r = shparse_redir(c);
		} else if (t->kind == SHPARSE_TK_LPAREN && w.n == 1 &&
			   !assigned) {
			return shparse_funcdef(c, &w);
		} else if (t->kind != SHPARSE_TK_WORD) {
			break;
		} else if (w.n == 0 && t->w.assign > 0) {
			assigned = true;
			shparse_consume(c);
		} else {
			r = shparse_take_word(c, &w);
		}
		if (r < 0)
			break;
	}
	if (w.n == 0)
		return r;
	shparse_exec_stdin(c, &w, redir_in);
	return shparse_worst(r, shparse_emit(c, &w, c->depth, 0));
}

/* "time [-p]" before a pipeline is reported as a command of its own. */
static int shparse_time(struct shparse_ctx *c)
{
	struct shparse_words w;
	struct shparse_tok *t;
	int r;

	memset(&w, 0, sizeof(w));
	r = shparse_take_word(c, &w);
	if (r == 0)
		r = shparse_peek(c, &t);
	if (r == 0 && shparse_tok_is(t, SHPARSE_KW_DASH_P))
		r = shparse_take_word(c, &w);
	if (r < 0) {
		shparse_words_release(&w);
		return r;
	}
	return shparse_emit(c, &w, c->depth, 0);
}

/* "!" and "time" before a pipeline; *timed, *bang: which were seen. */
static int shparse_prefix(struct shparse_ctx *c, bool *timed, bool *bang)
{
	struct shparse_tok *t;
	int r;

	for (;;) {
		r = shparse_peek(c, &t);
		if (r < 0)
			return r;
		if (shparse_tok_is(t, SHPARSE_KW_BANG)) {
			shparse_consume(c);
			*bang = true;
			continue;
		}
		if (*timed || !shparse_tok_is(t, SHPARSE_KW_TIME))
			return 0;
		r = shparse_time(c);
		if (r < 0)
			return r;
		*timed = true;
	}
}

/* "time" or "!" may stand alone before these (as in bash). */
static bool shparse_ends_empty(const struct shparse_tok *t)
{
	return t->kind == SHPARSE_TK_EOF || t->kind == SHPARSE_TK_NEWLINE ||
	       t->kind == SHPARSE_TK_SEMI;
}

/* Commands under "time" run one level deeper, as its arguments. */
static void shparse_untime(struct shparse_ctx *c, size_t from)
{
	struct shparse_result *res = c->st->res;

	for (size_t i = from; i < res->n; i++)
		if (res->cmds[i].depth == c->depth)
			res->cmds[i].wrapped = true;
	c->depth--;
}

static int shparse_pipeline(struct shparse_ctx *c)
{
	struct shparse_tok *t = NULL;
	size_t start = c->st->res->n, count = 0, inner;
	bool timed = false, bang = false;
	int r = shparse_prefix(c, &timed, &bang);

	inner = c->st->res->n;
	if (r == 0 && timed)
		r = shparse_nest_enter(c->st, shparse_off(c, c->pos));
	if (r < 0)
		return r;
	if (timed)
		c->depth++;
	/* "time" and "!" may stand alone. */
	if (r == 0 && (timed || bang))
		r = shparse_peek(c, &t);
	while (r == 0 && (t == NULL || !shparse_ends_empty(t))) {
		r = shparse_command(c);
		count++;
		if (r == 0)
			r = shparse_peek(c, &t);
		if (r < 0 || (t->kind != SHPARSE_TK_PIPE &&
			      t->kind != SHPARSE_TK_PIPEAMP))
			break;
		shparse_consume(c);
		r = shparse_newlines(c);
		t = NULL;
	}
	if (timed) {
		shparse_untime(c, inner);
		shparse_nest_leave(c->st);
	}
	if (count > 1)
		shparse_mark(c, start, false);
	return r;
}

static int shparse_andor(struct shparse_ctx *c)
{
	struct shparse_tok *t;
	int r;

	for (;;) {
		r = shparse_pipeline(c);
		if (r == 0)
			r = shparse_peek(c, &t);
		if (r < 0)
			return r;
		if (t->kind != SHPARSE_TK_AND && t->kind != SHPARSE_TK_OR)
			return 0;
		shparse_consume(c);
		r = shparse_newlines(c);
		if (r < 0)
			return r;
	}
}

int shparse_command(struct shparse_ctx *c)
{
	shparse_fn fn;
	struct shparse_tok *t;
	int r = shparse_peek(c, &t);

	if (r < 0)
		return r;
	fn = shparse_compound(t);
	if (fn == NULL && (shparse_stop_word(t) != 0 ||
			   shparse_tok_is(t, SHPARSE_KW_DRBRACK) ||
			   (t->kind != SHPARSE_TK_WORD &&
			    t->kind != SHPARSE_TK_REDIR &&
			    t->kind != SHPARSE_TK_HEREDOC)))
		return shparse_unexpected(c, t);
	if (fn == NULL)
		return shparse_simple(c);
	r = shparse_nest_enter(c->st, shparse_off(c, t->off));
	if (r < 0)
		return r;
	r = fn(c);
	shparse_nest_leave(c->st);
	if (r == 0)
		r = shparse_redirs(c);
	return r;
}
