/* Tokens: blanks, comments, operators, words and here-document bodies. */
#include "shparse/shparse_int.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

#define SHPARSE_N(a) (sizeof(a) / sizeof((a)[0]))

/* Operators, the longer before the shorter of the same start. */
static const struct {
	const char *text;
	unsigned char len;
	unsigned char kind;
} shparse_ops[] = {
	{";;&", 3, SHPARSE_TK_DSEMI}, {";;", 2, SHPARSE_TK_DSEMI},
	{";&", 2, SHPARSE_TK_DSEMI}, {";", 1, SHPARSE_TK_SEMI},
	{"&&", 2, SHPARSE_TK_AND}, {"&>>", 3, SHPARSE_TK_REDIR},
	{"&>", 2, SHPARSE_TK_REDIR}, {"&", 1, SHPARSE_TK_AMP},
	{"||", 2, SHPARSE_TK_OR}, {"|&", 2, SHPARSE_TK_PIPEAMP},
	{"|", 1, SHPARSE_TK_PIPE}, {"((", 2, SHPARSE_TK_DLPAREN},
	{"(", 1, SHPARSE_TK_LPAREN}, {")", 1, SHPARSE_TK_RPAREN},
	{"<<<", 3, SHPARSE_TK_REDIR}, {"<<-", 3, SHPARSE_TK_HEREDOC},
	{"<<", 2, SHPARSE_TK_HEREDOC}, {"<>", 2, SHPARSE_TK_REDIR},
	{"<&", 2, SHPARSE_TK_REDIR}, {"<", 1, SHPARSE_TK_REDIR},
	{">>", 2, SHPARSE_TK_REDIR}, {">|", 2, SHPARSE_TK_REDIR},
	{">&", 2, SHPARSE_TK_REDIR}, {">", 1, SHPARSE_TK_REDIR},
};

static const char *const shparse_tk_names[] = {
	[SHPARSE_TK_EOF] = "end of script", [SHPARSE_TK_WORD] = "word",
	[SHPARSE_TK_NEWLINE] = "newline", [SHPARSE_TK_SEMI] = ";",
	[SHPARSE_TK_AMP] = "&", [SHPARSE_TK_AND] = "&&",
	[SHPARSE_TK_OR] = "||", [SHPARSE_TK_PIPE] = "|",
	[SHPARSE_TK_PIPEAMP] = "|&", [SHPARSE_TK_LPAREN] = "(",
	[SHPARSE_TK_DLPAREN] = "((", [SHPARSE_TK_RPAREN] = ")",
	[SHPARSE_TK_DSEMI] = ";;", [SHPARSE_TK_REDIR] = "redirection",
	[SHPARSE_TK_HEREDOC] = "<<",
};

#define SHPARSE_KW_LEN_MAX 8 /* the longest reserved word, "function" */

/* Reserved words, in the order of enum shparse_kw. */
static const char *const shparse_kws[SHPARSE_KW_COUNT] = {
	"", "!", "[[", "]]", "{", "}", "case", "coproc", "do", "done", "elif",
	"else", "esac", "fi", "for", "function", "if", "in", "select", "then",
	"time", "until", "while", "-p",
};

static int shparse_lex(struct shparse_ctx *c, struct shparse_tok *t);

/* The reserved word that the unquoted word raw (n bytes) would be. */
static enum shparse_kw shparse_keyword(const char *raw, size_t n)
{
	if (n == 0 || n > SHPARSE_KW_LEN_MAX)
		return SHPARSE_KW_NONE;
	for (int i = 1; i < SHPARSE_KW_COUNT; i++)
		if (shparse_kws[i][0] == raw[0] &&
		    strlen(shparse_kws[i]) == n &&
		    memcmp(shparse_kws[i], raw, n) == 0)
			return (enum shparse_kw)i;
	return SHPARSE_KW_NONE;
}

/* Skip blanks, line continuations, NUL bytes and (if asked) a comment. */
static void shparse_skip_blanks(struct shparse_ctx *c, bool comments)
{
	const char *nl;

	while (c->pos < c->end) {
		char ch = c->s[c->pos];

		if (ch == ' ' || ch == '\t' || ch == '\0') {
			c->pos++;
		} else if (ch == '\\' && shparse_char(c, c->pos + 1) == '\n') {
			c->pos += 2;
		} else if (ch == '#' && comments) {
			nl = memchr(c->s + c->pos, '\n', c->end - c->pos);
			c->pos = nl != NULL ? (size_t)(nl - c->s) : c->end;
		} else {
			break;
		}
	}
}

static bool shparse_delim_end(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == ';' ||
	       ch == '&' || ch == '|' || ch == '(' || ch == ')' ||
	       ch == '<' || ch == '>';
}

/* A quoted part of a here-document delimiter. */
static int shparse_delim_quoted(struct shparse_ctx *c, struct buf *d, char q)
{
	size_t open = c->pos++;
	int r;

	while (c->pos < c->end && c->s[c->pos] != q) {
		char ch = c->s[c->pos++];
		char nx = shparse_char(c, c->pos);

		if (q == '"' && ch == '\\' &&
		    (nx == '"' || nx == '\\' || nx == '$' || nx == '`')) {
			ch = nx;
			c->pos++;
		}
		r = buf_putc(d, ch);
		if (r < 0)
			return r;
	}
	if (c->pos >= c->end)
		return shparse_fail(c, open, "unterminated quote");
	c->pos++;
	return 0;
}

/* Read a here-document delimiter: quotes are removed, nothing expanded. */
static int shparse_delim(struct shparse_ctx *c, struct buf *d, bool *quoted)
{
	int r = 0;

	while (r == 0 && c->pos < c->end) {
		char ch = c->s[c->pos];

		if (ch == '$' && (shparse_char(c, c->pos + 1) == '\'' ||
				  shparse_char(c, c->pos + 1) == '"')) {
			c->pos++; /* $'EOF' and $"EOF" are EOF quoted */
		} else if (ch == '\'' || ch == '"') {
			*quoted = true;
			r = shparse_delim_quoted(c, d, ch);
		} else if (ch == '\\' && shparse_char(c, c->pos + 1) == '\n') {
			c->pos += 2; /* a line continuation */
		} else if (ch == '\\') {
			*quoted = true;
			c->pos++;
			if (c->pos < c->end)
				r = buf_putc(d, c->s[c->pos++]);
		} else if (shparse_delim_end(ch)) {
			break;
		} else {
			r = buf_putc(d, ch);
			c->pos++;
		}
	}
	return r;
}

/* After << or <<-: register a here-document read at the next newline. */
static int shparse_heredoc_open(struct shparse_ctx *c, size_t op, bool strip)
{
	struct shparse_heredoc *h;
	struct buf d;
	bool quoted = false;
	int r;

	if (c->nhd >= SHPARSE_MAX_HEREDOCS)
		return shparse_fail(c, op, "more than %d here-documents",
				    SHPARSE_MAX_HEREDOCS);
	h = realloc(c->hd, (c->nhd + 1) * sizeof(*c->hd));
	if (h == NULL)
		return -ENOMEM;
	c->hd = h;
	shparse_skip_blanks(c, false);
	/* As in bash, "#" there starts a comment, not a delimiter. */
	if (shparse_char(c, c->pos) == '#')
		return shparse_fail(c, op, "here-document without a delimiter");
	buf_init(&d, SHPARSE_MAX_WORD_LEN);
	r = shparse_delim(c, &d, &quoted);
	if (r == 0 && d.len == 0 && !quoted)
		r = shparse_fail(c, op, "here-document without a delimiter");
	if (r == 0) {
		h = &c->hd[c->nhd];
		h->len = d.len;
		h->delim = buf_steal(&d);
		h->quoted = quoted;
		h->strip_tabs = strip;
		h->off = op;
		if (h->delim == NULL)
			r = -ENOMEM;
		else
			c->nhd++;
	}
	buf_release(&d);
	return r;
}

/* The line s[line, lend) ends with a backslash that joins the next. */
static bool shparse_continued(const struct shparse_ctx *c, size_t line,
			      size_t lend)
{
	size_t n = 0;

	while (lend - n > line && c->s[lend - n - 1] == '\\')
		n++;
	return n % 2 == 1;
}

/* The (logical) line p[0, n) is the delimiter of h. */
static bool shparse_is_delim(const struct shparse_heredoc *h, const char *p,
			     size_t n)
{
	while (h->strip_tabs && n > 0 && *p == '\t') {
		p++;
		n--;
	}
	return n == h->len && memcmp(p, h->delim, n) == 0;
}

/*
 * Skip one body up to its delimiter line; scan it unless quoted. In an
 * unquoted body, as in bash, backslash-newline joins lines first.
 */
static int shparse_heredoc_body(struct shparse_ctx *c,
				const struct shparse_heredoc *h, struct buf *lg)
{
	size_t start = c->pos, line = c->pos, lend;
	const char *nl;
	bool cont, match;
	int r;

	while (c->pos < c->end) {
		line = c->pos;
		nl = memchr(c->s + line, '\n', c->end - line);
		lend = nl != NULL ? (size_t)(nl - c->s) : c->end;
		c->pos = nl != NULL ? lend + 1 : lend;
		cont = !h->quoted && nl != NULL &&
		       shparse_continued(c, line, lend);
		if (!cont && lg->len == 0) {
			match = shparse_is_delim(h, c->s + line, lend - line);
		} else {
			r = buf_append(lg, c->s + line, lend - line - cont);
			if (r < 0)
				return r;
			if (cont)
				continue;
			match = shparse_is_delim(h, lg->data, lg->len);
			buf_reset(lg);
		}
		if (match && h->quoted)
			return 0;
		if (match)
			return shparse_scan_body(c, start, line, true);
	}
	shparse_note(c->st, "here-document at offset %zu is not terminated",
		     shparse_off(c, h->off));
	return h->quoted ? 0 : shparse_scan_body(c, start, c->end, true);
}

/*
 * Just after a newline: the bodies of the pending here-documents. The
 * list is taken first, since a body may open here-documents of its own.
 */
static int shparse_heredoc_bodies(struct shparse_ctx *c)
{
	struct shparse_heredoc *hd = c->hd;
	size_t n = c->nhd, i;
	struct buf lg;
	int r = 0;

	if (n == 0)
		return 0;
	c->hd = NULL;
	c->nhd = 0;
	buf_init(&lg, SHPARSE_MAX_WORD_LEN);
	for (i = 0; i < n && r == 0; i++) {
		buf_reset(&lg);
		r = shparse_heredoc_body(c, &hd[i], &lg);
	}
	buf_release(&lg);
	for (i = 0; i < n; i++)
		free(hd[i].delim);
	free(hd);
	return r;
}

/*
 * A word of digits or {name} right before < or > names the descriptor of
 * a redirection: SHPARSE_FD_NONE when w is an ordinary word.
 */
static int shparse_io_number(const struct shparse_ctx *c,
			     const struct shparse_word *w)
{
	const char *raw = w->val.data;
	size_t n = w->val.len, i;
	char nx = shparse_char(c, c->pos);
	int fd = 0;

	if (n == 0 || w->quoted || w->dynamic || (nx != '<' && nx != '>') ||
	    shparse_char(c, c->pos + 1) == '(')
		return SHPARSE_FD_NONE;
	if (raw[0] == '{' && raw[n - 1] == '}' && n > 2)
		return shparse_name_len(raw + 1, n - 2) == n - 2 ?
			       SHPARSE_FD_NAMED : SHPARSE_FD_NONE;
	for (i = 0; i < n; i++) {
		if (raw[i] < '0' || raw[i] > '9')
			return SHPARSE_FD_NONE;
		/* bash takes a number too big for an int as a word. */
		if (fd > (INT_MAX - (raw[i] - '0')) / 10)
			return SHPARSE_FD_NONE;
		fd = fd * 10 + (raw[i] - '0');
	}
	return fd;
}

static int shparse_lex_word(struct shparse_ctx *c, struct shparse_tok *t,
			    bool cmdpos)
{
	int r, fd;

	t->kind = SHPARSE_TK_WORD;
	shparse_word_init(&t->w, c->pos);
	r = shparse_word(c, &t->w, cmdpos);
	if (r < 0)
		return r;
	fd = shparse_io_number(c, &t->w);
	if (fd == SHPARSE_FD_NONE) {
		if (!t->w.quoted && !t->w.dynamic)
			t->kw = shparse_keyword(t->w.val.data, t->w.val.len);
		return 0;
	}
	buf_release(&t->w.val);
	r = shparse_lex(c, t);
	t->fd = fd;
	return r;
}

static int shparse_lex_tok(struct shparse_ctx *c, struct shparse_tok *t,
			   bool cmdpos)
{
	char ch;

	shparse_skip_blanks(c, true);
	t->off = c->pos;
	t->kind = SHPARSE_TK_EOF;
	t->fd = SHPARSE_FD_NONE;
	if (c->pos >= c->end)
		return 0;
	ch = c->s[c->pos];
	if (ch == '\n') {
		c->pos++;
		t->kind = SHPARSE_TK_NEWLINE;
		return shparse_heredoc_bodies(c);
	}
	if (!shparse_delim_end(ch) ||
	    ((ch == '<' || ch == '>') && shparse_char(c, c->pos + 1) == '('))
		return shparse_lex_word(c, t, cmdpos);
	for (size_t i = 0; i < SHPARSE_N(shparse_ops); i++) {
		size_t n = shparse_ops[i].len;

		if (shparse_ops[i].text[0] != ch || c->end - c->pos < n ||
		    memcmp(c->s + c->pos, shparse_ops[i].text, n) != 0)
			continue;
		c->pos += n;
		t->kind = shparse_ops[i].kind;
		if (t->kind == SHPARSE_TK_HEREDOC)
			return shparse_heredoc_open(c, t->off, n == 3);
		return 0;
	}
	return shparse_lex_word(c, t, cmdpos);
}

/* Reserved words after which a command may start (bash's list). */
static bool shparse_kw_cmd(enum shparse_kw kw)
{
	switch (kw) {
	case SHPARSE_KW_BANG: case SHPARSE_KW_LBRACE: case SHPARSE_KW_RBRACE:
	case SHPARSE_KW_COPROC: case SHPARSE_KW_DO: case SHPARSE_KW_DONE:
	case SHPARSE_KW_ELIF: case SHPARSE_KW_ELSE: case SHPARSE_KW_ESAC:
	case SHPARSE_KW_FI: case SHPARSE_KW_IF: case SHPARSE_KW_THEN:
	case SHPARSE_KW_TIME: case SHPARSE_KW_UNTIL: case SHPARSE_KW_WHILE:
	case SHPARSE_KW_DASH_P:
		return true;
	default:
		return false;
	}
}

/* Whether the token after t stands in command position. */
static void shparse_track(struct shparse_ctx *c, const struct shparse_tok *t,
			  bool cmdpos, bool target, bool saved)
{
	switch (t->kind) {
	case SHPARSE_TK_EOF:
		break;
	case SHPARSE_TK_WORD:
		c->redir_pending = false;
		if (target)
			c->arg_pos = !saved;
		else if (!cmdpos)
			c->arg_pos = true;
		else
			c->arg_pos = !shparse_kw_cmd(t->kw) &&
				     t->w.assign == 0;
		break;
	case SHPARSE_TK_REDIR:
		c->redir_pending = true;
		c->redir_saved = cmdpos;
		c->arg_pos = true;
		break;
	case SHPARSE_TK_HEREDOC:
		c->arg_pos = !cmdpos;
		break;
	case SHPARSE_TK_DSEMI:
		c->arg_pos = true;
		break;
	default:
		c->redir_pending = false;
		c->arg_pos = false;
		break;
	}
}

static int shparse_lex(struct shparse_ctx *c, struct shparse_tok *t)
{
	bool cmdpos = !c->arg_pos && !c->casepat;
	bool target = c->redir_pending, saved = c->redir_saved;
	int r = shparse_lex_tok(c, t, cmdpos && !target);

	if (r == 0)
		shparse_track(c, t, cmdpos, target, saved);
	return r;
}

void shparse_tok_release(struct shparse_tok *t)
{
	buf_release(&t->w.val);
}

/* The next token, lexed once and kept until shparse_consume(). */
int shparse_peek(struct shparse_ctx *c, struct shparse_tok **out)
{
	struct shparse_tok t;
	int r;

	if (!c->have_peek) {
		if (c->st->stopped)
			return SHPARSE_STOP;
		memset(&t, 0, sizeof(t));
		r = shparse_lex(c, &t);
		if (r < 0) {
			shparse_tok_release(&t);
			return r;
		}
		c->peek = t;
		c->have_peek = true;
	}
	*out = &c->peek;
	return 0;
}

void shparse_consume(struct shparse_ctx *c)
{
	shparse_tok_release(&c->peek);
	c->have_peek = false;
}

/* The token is the unquoted word kw (a reserved word where it stands). */
bool shparse_tok_is(const struct shparse_tok *t, enum shparse_kw kw)
{
	return t->kind == SHPARSE_TK_WORD && t->kw == kw;
}

int shparse_unexpected(struct shparse_ctx *c, const struct shparse_tok *t)
{
	char q[SHPARSE_TOKEN_QUOTE_MAX * 4 + 4];
	size_t n;

	if (t->kind != SHPARSE_TK_WORD)
		return shparse_fail(c, t->off, "unexpected %s%s%s",
				    t->kind > SHPARSE_TK_NEWLINE ? "'" : "",
				    shparse_tk_names[t->kind],
				    t->kind > SHPARSE_TK_NEWLINE ? "'" : "");
	n = t->w.end - t->w.start;
	log_escape(c->s + t->w.start,
		   n < SHPARSE_TOKEN_QUOTE_MAX ? n : SHPARSE_TOKEN_QUOTE_MAX, q,
		   sizeof(q));
	return shparse_fail(c, t->off, "unexpected '%s'", q);
}

/* Consume the closing token (kw, or kind when kw is NULL) of opener. */
int shparse_expect(struct shparse_ctx *c, enum shparse_tk kind,
		   enum shparse_kw kw, const char *opener, size_t open)
{
	struct shparse_tok *t;
	int r = shparse_peek(c, &t);

	if (r < 0)
		return r;
	if (kw != SHPARSE_KW_NONE ? shparse_tok_is(t, kw) : t->kind == kind) {
		shparse_consume(c);
		return 0;
	}
	if (t->kind == SHPARSE_TK_EOF)
		return shparse_fail(c, open, "unclosed '%s'", opener);
	return shparse_unexpected(c, t);
}

void shparse_ctx_release(struct shparse_ctx *c)
{
	if (c->have_peek)
		shparse_consume(c);
	for (size_t i = 0; i < c->nhd; i++)
		free(c->hd[i].delim);
	free(c->hd);
	c->hd = NULL;
	c->nhd = 0;
}
