/* Words: quoting, expansions and the substitutions nested in them. */
#include "shparse/shparse_int.h"

#include <stdint.h>
#include <string.h>

/* Glob and brace state while scanning the unquoted parts of a word. */
struct shparse_wscan {
	struct shparse_word *w;
	bool bracket;   /* an unquoted [ was seen */
	size_t brace;   /* unquoted { not closed yet */
	bool brace_sep; /* an unquoted , or .. inside braces */
	size_t ext_at;  /* just after an unquoted ?*+@! (extglob), or 0 */
};

static int shparse_dollar(struct shparse_ctx *c, struct shparse_word *w,
			  bool in_dq);
static int shparse_dquote(struct shparse_ctx *c, struct shparse_word *w);
static int shparse_backquote(struct shparse_ctx *c, struct shparse_word *w,
			     bool in_dq);

void shparse_word_init(struct shparse_word *w, size_t start)
{
	memset(w, 0, sizeof(*w));
	buf_init(&w->val, SHPARSE_MAX_WORD_LEN);
	w->start = start;
	w->end = start;
}

int shparse_put(struct shparse_ctx *c, struct shparse_word *w, const char *p,
		size_t n)
{
	int r = buf_append(&w->val, p, n);

	if (r == -E2BIG)
		return shparse_fail(c, w->start, "word too long");
	return r;
}

static int shparse_putc(struct shparse_ctx *c, struct shparse_word *w,
			char ch)
{
	return shparse_put(c, w, &ch, 1);
}

/* Advance by n bytes, not past the end of the region. */
static void shparse_skip(struct shparse_ctx *c, size_t n)
{
	c->pos = c->end - c->pos < n ? c->end : c->pos + n;
}

static bool shparse_is_meta(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == ';' ||
	       ch == '&' || ch == '|' || ch == '(' || ch == ')' ||
	       ch == '<' || ch == '>';
}

/* Position after the quoted string that starts at p. */
static size_t shparse_skip_quoted(const struct shparse_ctx *c, size_t p)
{
	char q = c->s[p++];

	while (p < c->end && c->s[p] != q)
		p += (q == '"' && c->s[p] == '\\') ? 2 : 1;
	return p + 1;
}

/*
 * The end (just past the closer) of arithmetic text starting at p, inside
 * one open bracket; SIZE_MAX when it does not close as arithmetic (with
 * dbl, "$((a) b)" is a command substitution holding a subshell).
 */
size_t shparse_arith_end(const struct shparse_ctx *c, size_t p, char open,
			 char close, bool dbl)
{
	size_t d = 0;

	while (p < c->end) {
		char ch = c->s[p];

		if (ch == '\\') {
			p += 2;
		} else if (ch == '\'' || ch == '"') {
			p = shparse_skip_quoted(c, p);
		} else if (ch == open) {
			d++;
			p++;
		} else if (ch != close) {
			p++;
		} else if (d > 0) {
			d--;
			p++;
		} else if (!dbl) {
			return p + 1;
		} else if (shparse_char(c, p + 1) == close) {
			return p + 2;
		} else {
			return SIZE_MAX;
		}
	}
	return SIZE_MAX;
}

/* A backslash outside quotes: quotes the next byte or joins lines. */
static int shparse_backslash(struct shparse_ctx *c, struct shparse_word *w)
{
	char nx = shparse_char(c, c->pos + 1);

	if (c->pos + 1 >= c->end) {
		c->pos++;
		w->quoted = true;
		return shparse_putc(c, w, '\\');
	}
	c->pos += 2;
	if (nx == '\n')
		return 0;
	w->quoted = true;
	return shparse_putc(c, w, nx);
}

static int shparse_squote(struct shparse_ctx *c, struct shparse_word *w)
{
	size_t open = c->pos;
	const char *q = memchr(c->s + open + 1, '\'', c->end - open - 1);

	if (q == NULL)
		return shparse_fail(c, open, "unterminated single quote");
	w->quoted = true;
	c->pos = (size_t)(q - c->s) + 1;
	return shparse_put(c, w, c->s + open + 1, c->pos - open - 2);
}

/* A backslash inside "..." or an unquoted here-document body. */
static int shparse_dq_backslash(struct shparse_ctx *c, struct shparse_word *w,
				bool heredoc)
{
	char nx = shparse_char(c, c->pos + 1);

	if (c->pos + 1 < c->end &&
	    (nx == '$' || nx == '`' || nx == '\\' || nx == '\n' ||
	     (nx == '"' && !heredoc))) {
		c->pos += 2;
		return nx == '\n' ? 0 : shparse_putc(c, w, nx);
	}
	c->pos++;
	return shparse_putc(c, w, '\\');
}

/* One unit inside "..." (or a here-document body or arithmetic). */
static int shparse_dq_char(struct shparse_ctx *c, struct shparse_word *w,
			   char ch, bool heredoc)
{
	switch (ch) {
	case '$':
		return shparse_dollar(c, w, true);
	case '`':
		return shparse_backquote(c, w, true);
	case '\\':
		return shparse_dq_backslash(c, w, heredoc);
	default:
		break;
	}
	c->pos++;
	return shparse_putc(c, w, ch);
}

static int shparse_dquote(struct shparse_ctx *c, struct shparse_word *w)
{
	size_t open = c->pos++;
	int r = 0;

	w->quoted = true;
	while (r == 0) {
		if (c->pos >= c->end)
			return shparse_fail(c, open,
					    "unterminated double quote");
		if (c->s[c->pos] == '"') {
			c->pos++;
			return 0;
		}
		r = shparse_dq_char(c, w, c->s[c->pos], false);
	}
	return r;
}

/*
 * Scan s[start, end) as a here-document body or arithmetic text, for the
 * substitutions in it. With sandbox, a syntax error in it is recorded but
 * does not end the analysis (bash parses it only when it runs).
 */
int shparse_scan_body(struct shparse_ctx *c, size_t start, size_t end,
		      bool sandbox)
{
	struct shparse_word w;
	size_t pos = c->pos, lim = c->end;
	bool was = c->st->stopped;
	int r = shparse_nest_enter(c->st, shparse_off(c, start));

	if (r < 0)
		return r;
	shparse_word_init(&w, start);
	c->pos = start;
	c->end = end;
	while (r == 0 && c->pos < c->end)
		r = shparse_dq_char(c, &w, c->s[c->pos], true);
	buf_release(&w.val);
	shparse_nest_leave(c->st);
	if (c->have_peek)
		shparse_consume(c);
	c->pos = pos;
	c->end = lim;
	if (r == SHPARSE_STOP && sandbox && !was && !c->st->full) {
		c->st->stopped = false;
		r = 0;
	}
	return r;
}

/* $(( .. )) or $[ .. ]: only the substitutions inside run. */
static int shparse_arith(struct shparse_ctx *c, struct shparse_word *w,
			 size_t body, size_t e, size_t closer)
{
	int r;

	w->dynamic = true;
	w->expanded = true;
	r = shparse_scan_body(c, body, e - closer, false);
	c->pos = e;
	return r;
}

static int shparse_dollar_paren(struct shparse_ctx *c, struct shparse_word *w)
{
	size_t open = c->pos, e;

	w->dynamic = true;
	w->expanded = true;
	if (shparse_char(c, open + 2) == '(') {
		e = shparse_arith_end(c, open + 3, '(', ')', true);
		if (e != SIZE_MAX)
			return shparse_arith(c, w, open + 3, e, 2);
	}
	c->pos = open + 2;
	return shparse_nested(c, SHPARSE_TK_RPAREN, SHPARSE_KW_NONE, "$(",
			      open);
}

static int shparse_dollar_bracket(struct shparse_ctx *c,
				  struct shparse_word *w)
{
	size_t open = c->pos;
	size_t e = shparse_arith_end(c, open + 2, '[', ']', false);

	if (e == SIZE_MAX)
		return shparse_fail(c, open, "unclosed '$['");
	return shparse_arith(c, w, open + 2, e, 1);
}

static int shparse_param_char(struct shparse_ctx *c, struct shparse_word *w,
			      char ch, bool in_dq)
{
	switch (ch) {
	case '\\':
		shparse_skip(c, 2);
		return 0;
	case '\'':
		if (!in_dq)
			return shparse_squote(c, w);
		break;
	case '"':
		return shparse_dquote(c, w);
	case '$':
		return shparse_dollar(c, w, in_dq);
	case '`':
		return shparse_backquote(c, w, in_dq);
	default:
		break;
	}
	c->pos++;
	return 0;
}

/* ${..}; "${ list; }" and "${| list; }" (bash 5.3) run a list. */
static int shparse_param(struct shparse_ctx *c, struct shparse_word *w,
			 bool in_dq)
{
	size_t open = c->pos;
	char n2 = shparse_char(c, open + 2);
	int r;

	w->dynamic = true;
	w->expanded = true;
	if (n2 == ' ' || n2 == '\t' || n2 == '\n' || n2 == '|') {
		c->pos = open + (n2 == '|' ? 3 : 2);
		return shparse_nested(c, SHPARSE_TK_WORD, SHPARSE_KW_RBRACE,
				      "${", open);
	}
	r = shparse_nest_enter(c->st, shparse_off(c, open));
	if (r < 0)
		return r;
	c->pos = open + 2;
	while (r == 0) {
		if (c->pos >= c->end) {
			r = shparse_fail(c, open, "unclosed '${'");
		} else if (c->s[c->pos] == '}') {
			c->pos++;
			break;
		} else {
			r = shparse_param_char(c, w, c->s[c->pos], in_dq);
		}
	}
	shparse_nest_leave(c->st);
	return r;
}

static int shparse_dollar(struct shparse_ctx *c, struct shparse_word *w,
			  bool in_dq)
{
	char n1;
	size_t n;

	/* bash joins lines first: "$\<newline>(cmd)" is "$(cmd)". */
	while (shparse_char(c, c->pos + 1) == '\\' &&
	       shparse_char(c, c->pos + 2) == '\n')
		c->pos += 2;
	n1 = shparse_char(c, c->pos + 1);

	switch (n1) {
	case '(':
		return shparse_dollar_paren(c, w);
	case '{':
		return shparse_param(c, w, in_dq);
	case '[':
		return shparse_dollar_bracket(c, w);
	case '\'':
		if (!in_dq)
			return shparse_ansi(c, w);
		break;
	case '"':
		if (in_dq)
			break;
		c->pos++;
		return shparse_dquote(c, w);
	case '@': case '*': case '#': case '?': case '-': case '$': case '!':
		w->dynamic = true;
		w->expanded = true;
		c->pos += 2;
		return 0;
	default:
		break;
	}
	n = shparse_name_len(c->s + c->pos + 1, c->end - c->pos - 1);
	if (n > 0 || (n1 >= '0' && n1 <= '9')) {
		w->dynamic = true;
		w->expanded = true;
		c->pos += 1 + (n > 0 ? n : 1);
		return 0;
	}
	c->pos++;
	return shparse_putc(c, w, '$');
}

/* Inside backquotes a backslash quotes only $ ` \ (and " inside "..."). */
static bool shparse_bq_escaped(char nx, bool in_dq)
{
	return nx == '$' || nx == '`' || nx == '\\' || (in_dq && nx == '"');
}

/* `..`: the body, unescaped, is a script of its own one level deeper. */
static int shparse_backquote(struct shparse_ctx *c, struct shparse_word *w,
			     bool in_dq)
{
	size_t open = c->pos, p;
	struct buf b;
	int r = 0;

	w->dynamic = true;
	w->expanded = true;
	buf_init(&b, SHPARSE_MAX_WORD_LEN);
	for (p = open + 1; r == 0 && p < c->end && c->s[p] != '`'; p++) {
		char ch = c->s[p];

		if (ch == '\\' && p + 1 < c->end &&
		    shparse_bq_escaped(c->s[p + 1], in_dq))
			ch = c->s[++p];
		r = buf_putc(&b, ch);
	}
	if (r == 0 && p >= c->end)
		r = shparse_fail(c, open, "unterminated backquote");
	if (r == 0) {
		c->pos = p + 1;
		r = shparse_text(c->st, b.data != NULL ? b.data : "", b.len,
				 shparse_off(c, open + 1), c->off_fixed,
				 c->depth + 1);
	}
	buf_release(&b);
	return r;
}

static int shparse_procsub(struct shparse_ctx *c, struct shparse_word *w)
{
	size_t open = c->pos;

	w->dynamic = true;
	w->expanded = true;
	c->pos += 2;
	return shparse_nested(c, SHPARSE_TK_RPAREN, SHPARSE_KW_NONE,
			      c->s[open] == '<' ? "<(" : ">(", open);
}

/* The word so far is "name=" (or +=, [sub]=): "(" opens an array. */
static bool shparse_array_prefix(const struct shparse_word *w)
{
	return w->assign > 0 && w->assign == w->val.len;
}

/*
 * name[..] in command position (or [..] at a word start in an array):
 * bash reads the subscript as part of the word, blanks, # and all.
 */
/*
 * Read a balanced run from the open character at c->pos to its match, as
 * part of the word (dynamic: it is a pattern or a subscript).
 */
static int shparse_balanced(struct shparse_ctx *c, struct shparse_word *w,
			    char open_ch, char close_ch)
{
	size_t open = c->pos, d = 0;
	int r = shparse_nest_enter(c->st, shparse_off(c, open));

	if (r < 0)
		return r;
	w->dynamic = true;
	while (r == 0) {
		char ch = shparse_char(c, c->pos);

		if (c->pos >= c->end) {
			r = shparse_fail(c, open, "unclosed '%c'", open_ch);
		} else if (ch == open_ch || ch == close_ch) {
			c->pos++;
			d = ch == open_ch ? d + 1 : d - 1;
			if (d == 0)
				break;
		} else {
			r = shparse_param_char(c, w, ch, false);
		}
	}
	shparse_nest_leave(c->st);
	return r;
}

static int shparse_subscript(struct shparse_ctx *c, struct shparse_word *w)
{
	size_t len = w->val.len;
	int r = shparse_balanced(c, w, '[', ']');

	/* The value keeps only the name, for the assignment test. */
	w->val.len = len;
	if (w->val.data != NULL)
		w->val.data[len] = '\0';
	return r;
}

/* name=( words ): the words are lexed for the substitutions in them. */
static int shparse_array(struct shparse_ctx *c, struct shparse_word *w)
{
	size_t open = c->pos;
	struct shparse_tok *t;
	int r = shparse_nest_enter(c->st, shparse_off(c, open));

	if (r < 0)
		return r;
	w->dynamic = true;
	c->pos++;
	c->arg_pos = true;
	c->array++;
	while (r == 0) {
		r = shparse_peek(c, &t);
		if (r < 0)
			break;
		if (t->kind == SHPARSE_TK_RPAREN) {
			shparse_consume(c);
			break;
		}
		if (t->kind == SHPARSE_TK_EOF)
			r = shparse_fail(c, open, "unclosed '('");
		else if (t->kind != SHPARSE_TK_WORD &&
			 t->kind != SHPARSE_TK_NEWLINE)
			r = shparse_unexpected(c, t);
		else
			shparse_consume(c);
	}
	c->array--;
	shparse_nest_leave(c->st);
	return r;
}

static void shparse_glob(struct shparse_ctx *c, struct shparse_wscan *ws,
			 char ch)
{
	switch (ch) {
	case '*':
	case '?':
		ws->w->dynamic = true;
		break;
	case '[':
		ws->bracket = true;
		break;
	case ']':
		ws->w->dynamic = ws->w->dynamic || ws->bracket;
		break;
	case '~':
		ws->w->dynamic = ws->w->dynamic || c->pos == ws->w->start;
		break;
	case '{':
		ws->brace++;
		break;
	case ',':
		ws->brace_sep = ws->brace_sep || ws->brace > 0;
		break;
	case '.':
		if (ws->brace > 0 && shparse_char(c, c->pos + 1) == '.')
			ws->brace_sep = true;
		break;
	case '}':
		if (ws->brace > 0 && ws->brace_sep)
			ws->w->dynamic = true;
		if (ws->brace > 0)
			ws->brace--;
		break;
	default:
		break;
	}
}

/*
 * The first unquoted "=": the word is an assignment if all before it is
 * a name (with a subscript, or a "+") that nothing quoted or expanded.
 */
static void shparse_equals(struct shparse_word *w)
{
	size_t n = w->val.len;

	if (w->eq_seen)
		return;
	w->eq_seen = true;
	if (w->quoted || w->expanded || n == 0)
		return;
	if (w->val.data[n - 1] == '+')
		n--;
	if (n > 0 && shparse_name_len(w->val.data, n) == n)
		w->assign = w->val.len + 1;
}

/* A byte that needs no attention in an unquoted word. */
static bool shparse_plain(char ch)
{
	switch (ch) {
	case '\\': case '\'': case '"': case '$': case '`': case '\0':
	case '*': case '?': case '[': case ']': case '~': case '{': case ',':
	case '.': case '}': case '=':
		return false;
	default:
		return !shparse_is_meta(ch);
	}
}

static int shparse_unquoted(struct shparse_ctx *c, struct shparse_wscan *ws,
			    char ch)
{
	struct shparse_word *w = ws->w;
	size_t p = c->pos, start;

	switch (ch) {
	case '\\':
		return shparse_backslash(c, w);
	case '\'':
		return shparse_squote(c, w);
	case '"':
		return shparse_dquote(c, w);
	case '$':
		return shparse_dollar(c, w, false);
	case '`':
		return shparse_backquote(c, w, false);
	case '\0':
		/* bash drops NUL bytes from its input. */
		c->pos++;
		return 0;
	default:
		break;
	}
	if (!shparse_plain(ch)) {
		if (ch == '=')
			shparse_equals(w);
		shparse_glob(c, ws, ch);
		c->pos++;
		ws->ext_at = ch == '*' || ch == '?' ? c->pos : 0;
		return shparse_putc(c, w, ch);
	}
	while (p < c->end && shparse_plain(c->s[p]))
		p++;
	start = c->pos;
	c->pos = p;
	ch = c->s[p - 1];
	ws->ext_at = ch == '+' || ch == '@' || ch == '!' ? p : 0;
	return shparse_put(c, w, c->s + start, p - start);
}

/*
 * "(" right after an unquoted ?*+@ (or ! once "shopt -s extglob" ran:
 * without it "!(cmd)" is a negated subshell) opens an extglob pattern.
 */
static bool shparse_extglob_at(const struct shparse_ctx *c,
			       const struct shparse_wscan *ws)
{
	return ws->ext_at == c->pos && ws->ext_at > 0 &&
	       (c->s[c->pos - 1] != '!' || c->st->extglob);
}

/* The pattern list of an extglob: part of the word, a glob. */
static int shparse_extglob(struct shparse_ctx *c, struct shparse_word *w)
{
	return shparse_balanced(c, w, '(', ')');
}

/* Whether the "[" at c->pos opens a subscript that bash reads whole. */
static bool shparse_subscript_at(const struct shparse_ctx *c,
				 const struct shparse_word *w, bool cmdpos)
{
	size_t n = w->val.len;

	if (w->quoted || w->expanded || w->eq_seen)
		return false;
	if (n == 0)
		return c->array > 0;
	return cmdpos && shparse_name_len(w->val.data, n) == n;
}

/*
 * Read one word at c->pos (cmdpos: in command position). Its value is
 * kept after quote removal, or as raw text when it has an expansion.
 */
int shparse_word(struct shparse_ctx *c, struct shparse_word *w,
		 bool cmdpos)
{
	struct shparse_wscan ws = {w, false, 0, false, 0};
	int r = 0;

	while (r == 0 && c->pos < c->end) {
		char ch = c->s[c->pos];

		if (ch == '[' && shparse_subscript_at(c, w, cmdpos))
			r = shparse_subscript(c, w);
		else if (ch == '(' && shparse_extglob_at(c, &ws))
			r = shparse_extglob(c, w);
		else if ((ch == '<' || ch == '>') &&
		    shparse_char(c, c->pos + 1) == '(')
			r = shparse_procsub(c, w);
		else if (ch == '(' && shparse_array_prefix(w))
			r = shparse_array(c, w);
		else if (shparse_is_meta(ch))
			break;
		else
			r = shparse_unquoted(c, &ws, ch);
	}
	w->end = c->pos;
	if (r == 0 && w->dynamic) {
		buf_reset(&w->val);
		r = shparse_put(c, w, c->s + w->start, w->end - w->start);
	}
	return r;
}
