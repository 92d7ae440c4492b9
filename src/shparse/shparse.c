/* Entry point, result building, reasons and limits of the analyser. */
#include "shparse/shparse_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"

#define SHPARSE_CMDS_FIRST 64 /* entries allocated at first */

size_t shparse_off(const struct shparse_ctx *c, size_t pos)
{
	return c->off_fixed ? c->off_base : c->off_base + pos;
}

/* Add msg to the reason (first when first), unless it is there already. */
static void shparse_reason(struct shparse_result *r, const char *msg,
			   bool first)
{
	char old[SHPARSE_REASON_MAX];
	size_t used = strlen(r->reason);

	r->complete = false;
	if (strstr(r->reason, msg) != NULL)
		return;
	if (used == 0) {
		str_lcpy(r->reason, msg, sizeof(r->reason));
	} else if (first) {
		str_lcpy(old, r->reason, sizeof(old));
		snprintf(r->reason, sizeof(r->reason), "%s; %s", msg, old);
	} else if (used + 2 < sizeof(r->reason)) {
		snprintf(r->reason + used, sizeof(r->reason) - used, "; %s",
			 msg);
	}
}

void shparse_note(struct shparse_state *st, const char *fmt, ...)
{
	char msg[SHPARSE_REASON_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	shparse_reason(st->res, msg, false);
}

/* Stop the current text; where it stopped leads the reason. */
__attribute__((format(printf, 3, 0)))
static int shparse_vfail(struct shparse_state *st, size_t off,
			 const char *fmt, va_list ap)
{
	char msg[SHPARSE_REASON_MAX], full[SHPARSE_REASON_MAX];

	if (!st->stopped) {
		vsnprintf(msg, sizeof(msg), fmt, ap);
		snprintf(full, sizeof(full), "%s at offset %zu", msg, off);
		shparse_reason(st->res, full, true);
		st->stopped = true;
	}
	return SHPARSE_STOP;
}

int shparse_fail_at(struct shparse_state *st, size_t off, const char *fmt,
		    ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = shparse_vfail(st, off, fmt, ap);
	va_end(ap);
	return r;
}

int shparse_fail(struct shparse_ctx *c, size_t pos, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = shparse_vfail(c->st, shparse_off(c, pos), fmt, ap);
	va_end(ap);
	return r;
}

int shparse_nest_enter(struct shparse_state *st, size_t off)
{
	if (st->nest >= SHPARSE_MAX_DEPTH)
		return shparse_fail_at(st, off, "nesting deeper than %d",
				       SHPARSE_MAX_DEPTH);
	st->nest++;
	return 0;
}

void shparse_nest_leave(struct shparse_state *st)
{
	st->nest--;
}

/* The more serious of two results: out of memory beats a stop. */
int shparse_worst(int a, int b)
{
	if (a == -ENOMEM || b == -ENOMEM)
		return -ENOMEM;
	return a < 0 ? a : b;
}

void shparse_words_release(struct shparse_words *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->v[i]);
	free(w->v);
	free(w->dyn);
	free(w->off);
	memset(w, 0, sizeof(*w));
}

/* Room for one more word and the terminating NULL. */
static int shparse_words_grow(struct shparse_words *w)
{
	size_t ncap = w->cap ? w->cap * 2 : 8;
	char **v;
	bool *dyn;
	size_t *off;

	if (w->n + 2 <= w->cap)
		return 0;
	v = realloc(w->v, ncap * sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	w->v = v;
	dyn = realloc(w->dyn, ncap * sizeof(*dyn));
	if (dyn == NULL)
		return -ENOMEM;
	w->dyn = dyn;
	off = realloc(w->off, ncap * sizeof(*off));
	if (off == NULL)
		return -ENOMEM;
	w->off = off;
	w->cap = ncap;
	return 0;
}

/* Append s (owned from now on, even on failure). */
int shparse_words_push(struct shparse_ctx *c, struct shparse_words *w,
		       char *s, bool dyn, size_t off)
{
	int r = 0;

	if (w->n >= SHPARSE_MAX_WORDS)
		r = shparse_fail_at(c->st, off, "more than %d words",
				    SHPARSE_MAX_WORDS);
	else
		r = shparse_words_grow(w);
	if (r < 0) {
		free(s);
		return r;
	}
	w->v[w->n] = s;
	w->dyn[w->n] = dyn;
	w->off[w->n] = off;
	w->n++;
	w->v[w->n] = NULL;
	return 0;
}

/* Check the limits on the whole result and make room for one entry. */
static int shparse_reserve(struct shparse_state *st,
			   const struct shparse_words *w)
{
	struct shparse_result *res = st->res;
	struct shparse_cmd *v;
	size_t bytes = 0, ncap;

	for (size_t i = 0; i < w->n; i++)
		bytes += strlen(w->v[i]);
	if (res->n >= SHPARSE_MAX_COMMANDS) {
		st->full = true;
		return shparse_fail_at(st, w->off[0], "more than %d commands",
				       SHPARSE_MAX_COMMANDS);
	}
	if (st->total_words + w->n > SHPARSE_MAX_TOTAL_WORDS ||
	    st->total_bytes + bytes > SHPARSE_MAX_TOTAL_BYTES) {
		st->full = true;
		return shparse_fail_at(st, w->off[0], "too many words");
	}
	st->total_words += w->n;
	st->total_bytes += bytes;
	if (res->n < st->cap)
		return 0;
	ncap = st->cap ? st->cap * 2 : SHPARSE_CMDS_FIRST;
	if (ncap > SHPARSE_MAX_COMMANDS)
		ncap = SHPARSE_MAX_COMMANDS;
	v = realloc(res->cmds, ncap * sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	res->cmds = v;
	st->cap = ncap;
	return 0;
}

/*
 * Record the command in w (taken over and emptied, w->n > 0), then the
 * commands it runs as arguments or nested scripts.
 */
int shparse_emit(struct shparse_ctx *c, struct shparse_words *w, int depth,
		 unsigned flags)
{
	struct shparse_result *res = c->st->res;
	struct shparse_cmd *cmd;
	int r = shparse_reserve(c->st, w);

	if (r < 0) {
		shparse_words_release(w);
		return r;
	}
	cmd = &res->cmds[res->n++];
	memset(cmd, 0, sizeof(*cmd));
	cmd->argv = w->v;
	cmd->argc = w->n;
	cmd->arg_dynamic = w->dyn;
	cmd->arg_offset = w->off;
	cmd->name_dynamic = w->dyn[0];
	cmd->wrapped = (flags & SHPARSE_EMIT_WRAPPED) != 0;
	cmd->args_appended = (flags & SHPARSE_EMIT_APPENDED) != 0;
	cmd->depth = depth;
	cmd->offset = w->off[0];
	memset(w, 0, sizeof(*w));
	return shparse_wrap(c, res->n - 1);
}

/* Length of the shell name ([A-Za-z_][A-Za-z0-9_]*) that starts s. */
size_t shparse_name_len(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && (s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') ||
			 (s[i] >= 'A' && s[i] <= 'Z') ||
			 (i > 0 && s[i] >= '0' && s[i] <= '9')))
		i++;
	return i;
}

/*
 * Analyse one text: the script, a backquote body or a nested script. A
 * syntax error inside it ends only this text (bash parses these at run
 * time too); a limit on the whole result ends everything.
 */
int shparse_text(struct shparse_state *st, const char *s, size_t len,
		 size_t off, bool fixed, int depth)
{
	struct shparse_ctx c;
	struct shparse_tok *t;
	bool was = st->stopped;
	int r;

	memset(&c, 0, sizeof(c));
	c.st = st;
	c.s = s;
	c.end = len;
	c.off_base = off;
	c.off_fixed = fixed;
	c.depth = depth;
	r = shparse_nest_enter(st, off);
	if (r == 0) {
		r = shparse_list(&c, 0);
		if (r == 0)
			r = shparse_peek(&c, &t);
		if (r == 0 && t->kind != SHPARSE_TK_EOF)
			r = shparse_unexpected(&c, t);
		if (r == 0 && c.nhd > 0)
			shparse_note(st, "here-document at offset %zu has "
				     "no body", shparse_off(&c, c.hd[0].off));
		shparse_nest_leave(st);
	}
	shparse_ctx_release(&c);
	if (r == SHPARSE_STOP && !st->full && !was) {
		st->stopped = false;
		r = 0;
	}
	return r;
}

/* Bytes to analyse: all, or up to the last newline within the limit. */
static size_t shparse_clip(struct shparse_state *st, const char *script,
			   size_t len)
{
	const char *nl;
	size_t keep;

	if (len <= SHPARSE_MAX_SCRIPT)
		return len;
	nl = memrchr(script, '\n', SHPARSE_MAX_SCRIPT);
	keep = nl != NULL ? (size_t)(nl - script) + 1 : 0;
	shparse_note(st, "script of %zu bytes: analysed the first %zu", len,
		     keep);
	return keep;
}

int shparse_script(const char *script, size_t len,
		   struct shparse_result **out)
{
	struct shparse_state st;
	struct shparse_result *res;
	const char *nul;
	int r;

	if (out == NULL || (script == NULL && len > 0))
		return -EINVAL;
	*out = NULL;
	res = calloc(1, sizeof(*res));
	if (res == NULL)
		return -ENOMEM;
	res->complete = true;
	memset(&st, 0, sizeof(st));
	st.res = res;
	if (script == NULL)
		script = "";
	len = shparse_clip(&st, script, len);
	nul = memchr(script, '\0', len);
	if (nul != NULL)
		shparse_note(&st, "NUL byte at offset %zu",
			     (size_t)(nul - script));
	r = shparse_text(&st, script, len, 0, false, 0);
	if (r == SHPARSE_STOP)
		r = 0;
	if (r < 0) {
		shparse_result_free(res);
		return r;
	}
	*out = res;
	return 0;
}

void shparse_result_free(struct shparse_result *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++) {
		struct shparse_cmd *cmd = &r->cmds[i];

		for (size_t j = 0; j < cmd->argc; j++)
			free(cmd->argv[j]);
		free(cmd->argv);
		free(cmd->arg_dynamic);
		free(cmd->arg_offset);
	}
	free(r->cmds);
	free(r);
}
