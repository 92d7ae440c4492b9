/*
 * The response transformer: SSE events (or one JSON body) in, the same
 * bytes out except for text whose tokens were restored. Lanes hold back a
 * possible partial token; a carry left when a lane ends goes out as a
 * synthetic copy of the event it was cut from, with only the text
 * replaced.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "llm/llm_int.h"

int llm_stream_new(enum llm_dialect d, bool sse,
		   const struct llm_restore_hooks *h, struct llm_stream **out)
{
	struct llm_stream *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (s == NULL)
		return -ENOMEM;
	s->d = d;
	s->sse = sse;
	if (h != NULL && h->restore != NULL) {
		s->h = *h;
		s->has_h = true;
	}
	llm_sse_init(&s->sp);
	buf_init(&s->body, LLM_BODY_MAX);
	buf_init(&s->dec, LLM_SSE_EVENT_MAX);
	buf_init(&s->emit, LLM_SSE_EVENT_MAX);
	buf_init(&s->edit_bytes, LLM_SSE_EVENT_MAX);
	buf_init(&s->ndata, LLM_SSE_EVENT_MAX);
	*out = s;
	return 0;
}

void llm_stream_free(struct llm_stream *s)
{
	if (s == NULL)
		return;
	if (s->lanes != NULL)
		for (size_t i = 0; i < LLM_LANES_MAX; i++)
			buf_release(&s->lanes[i].tmpl);
	free(s->lanes);
	llm_sse_release(&s->sp);
	buf_release(&s->body);
	buf_release(&s->dec);
	buf_release(&s->emit);
	buf_release(&s->edit_bytes);
	buf_release(&s->ndata);
	free(s);
}

struct llm_carry *llm_st_lane(struct llm_stream *s, uint64_t key,
			      enum llm_lane lane, bool src)
{
	struct llm_carry *fr = NULL;

	if (s->lanes == NULL) {
		s->lanes = calloc(LLM_LANES_MAX, sizeof(*s->lanes));
		if (s->lanes == NULL)
			return NULL;
		for (size_t i = 0; i < LLM_LANES_MAX; i++)
			buf_init(&s->lanes[i].tmpl, LLM_SSE_EVENT_MAX);
	}
	for (size_t i = 0; i < LLM_LANES_MAX; i++) {
		if (s->lanes[i].used && s->lanes[i].key == key)
			return &s->lanes[i];
		if (!s->lanes[i].used && fr == NULL)
			fr = &s->lanes[i];
	}
	if (fr != NULL) {
		fr->used = true;
		fr->key = key;
		fr->lane = lane;
		fr->src = src;
		fr->prev_word = false;
		fr->carry_len = 0;
		buf_reset(&fr->tmpl);
	}
	return fr;
}

/* Record that data bytes v become the JSON string emit[0..n). */
static int llm_st_edit(struct llm_stream *s, struct llm_span v,
		       const char *t, size_t n)
{
	struct llm_edit *e;
	size_t off = s->edit_bytes.len;
	int rc;

	if (s->nedits >= LLM_EDITS_MAX)
		return -E2BIG;
	if ((rc = llm_json_encode(&s->edit_bytes, t, n)) < 0)
		return rc;
	e = &s->edits[s->nedits++];
	*e = (struct llm_edit){ v.s, v.e, off, s->edit_bytes.len - off };
	return 0;
}

int llm_st_delta(struct llm_stream *s, const char *d, size_t n,
		 struct llm_span v, uint64_t key, enum llm_lane lane, bool src,
		 bool final)
{
	struct llm_carry *l;
	int rc;

	if (!s->has_h || d[v.s] != '"')
		return 0; /* nothing to restore: no lane, no hold-back */
	buf_reset(&s->dec);
	buf_reset(&s->emit);
	if ((rc = buf_append(&s->dec, "", 0)) < 0 ||
	    (rc = llm_json_decode(d + v.s, v.e - v.s, &s->dec)) < 0)
		return rc;
	l = llm_st_lane(s, key, lane, src);
	if (l == NULL) /* out of lanes: restore without holding back */
		rc = llm_restore_all(s->has_h ? &s->h : NULL, lane, src,
				     s->dec.data, s->dec.len, &s->emit);
	else
		rc = llm_lane_push(l, s->has_h ? &s->h : NULL, s->dec.data,
				   s->dec.len, final, &s->emit);
	if (rc < 0)
		return rc;
	if (s->emit.len != s->dec.len ||
	    memcmp(s->emit.data ? s->emit.data : "", s->dec.data, s->dec.len))
		rc = llm_st_edit(s, v, s->emit.data ? s->emit.data : "",
				 s->emit.len);
	if (rc == 0 && l != NULL && final)
		l->used = false;
	else if (rc == 0 && l != NULL && l->carry_len > 0)
		rc = s->d == LLM_OPENAI_CHAT ? llm_ev_chat_tmpl(s, l, d, n)
					     : llm_st_tmpl(s, l, d, n, v);
	return rc;
}

int llm_st_tmpl(struct llm_stream *s, struct llm_carry *l, const char *d,
		size_t n, struct llm_span v)
{
	size_t from;
	int rc = 0;

	buf_reset(&l->tmpl);
	if (s->ev->type[0] != '\0')
		rc = buf_printf(&l->tmpl, "event: %s\n", s->ev->type);
	if (rc < 0 || (rc = buf_puts(&l->tmpl, "data: ")) < 0)
		return rc;
	from = l->tmpl.len;
	if ((rc = buf_append(&l->tmpl, d, v.s)) < 0)
		return rc;
	l->tmpl_cut = l->tmpl.len;
	if ((rc = buf_append(&l->tmpl, d + v.e, n - v.e)) < 0 ||
	    (rc = buf_puts(&l->tmpl, "\n\n")) < 0)
		return rc;
	/* JSON whitespace only: keep the data on one line. */
	for (size_t i = from; i + 2 < l->tmpl.len; i++)
		if (l->tmpl.data[i] == '\n' || l->tmpl.data[i] == '\r')
			l->tmpl.data[i] = ' ';
	return 0;
}

/* Send lane l's carry (restored if it is a whole token now). */
static int llm_st_flush_one(struct llm_stream *s, struct llm_carry *l)
{
	int rc = 0;

	l->used = false;
	if (l->carry_len == 0 || l->tmpl.len == 0)
		return 0;
	buf_reset(&s->emit);
	if ((rc = llm_lane_push(l, s->has_h ? &s->h : NULL, "", 0, true,
				&s->emit)) < 0 ||
	    (rc = buf_append(s->out, l->tmpl.data, l->tmpl_cut)) < 0 ||
	    (rc = llm_json_encode(s->out, s->emit.data ? s->emit.data : "",
				  s->emit.len)) < 0)
		return rc;
	return buf_append(s->out, l->tmpl.data + l->tmpl_cut,
			  l->tmpl.len - l->tmpl_cut);
}

int llm_st_flush(struct llm_stream *s, uint64_t mask, uint64_t val)
{
	int rc;

	if (s->lanes == NULL)
		return 0;
	for (size_t i = 0; i < LLM_LANES_MAX; i++)
		if (s->lanes[i].used && (s->lanes[i].key & mask) == val &&
		    (rc = llm_st_flush_one(s, &s->lanes[i])) < 0)
			return rc;
	return 0;
}

int llm_st_restore_cb(void *arg, enum llm_act act, const char *jpath,
		      const char *str, size_t n, struct buf *out)
{
	struct llm_stream *s = arg;
	int rc;

	(void)jpath;
	if (!s->has_h)
		return 0;
	rc = llm_restore_all(&s->h,
			     act == LLM_ACT_TEXT ? LLM_LANE_TEXT
						 : LLM_LANE_TOOL_INPUT,
			     act == LLM_ACT_SRC, str, n, out);
	if (rc < 0)
		return rc;
	return out->len != n || (n > 0 && memcmp(out->data, str, n) != 0);
}

int llm_st_walk(struct llm_stream *s, const char *d, size_t n,
		enum llm_kind k)
{
	struct llm_walk_res r;
	int rc;

	buf_reset(&s->ndata);
	rc = llm_walk(d, n, k, "", llm_st_restore_cb, s, &s->ndata, &r);
	if (rc == -EINVAL)
		return 0; /* not ours to judge: forwarded as it is */
	if (rc == 0 && r.changed)
		s->walked = true;
	return rc;
}

static int llm_st_edit_cmp(const void *a, const void *b)
{
	const struct llm_edit *x = a, *y = b;

	return x->s < y->s ? -1 : x->s > y->s;
}

/* The event data with the recorded edits applied, into s->ndata. */
static int llm_st_apply(struct llm_stream *s, const char *d, size_t n)
{
	size_t at = 0;
	int rc;

	qsort(s->edits, s->nedits, sizeof(s->edits[0]), llm_st_edit_cmp);
	buf_reset(&s->ndata);
	for (size_t i = 0; i < s->nedits; i++) {
		const struct llm_edit *e = &s->edits[i];

		if ((rc = buf_append(&s->ndata, d + at, e->s - at)) < 0 ||
		    (rc = buf_append(&s->ndata, s->edit_bytes.data + e->off,
				     e->len)) < 0)
			return rc;
		at = e->e;
	}
	return buf_append(&s->ndata, d + at, n - at);
}

/* One complete SSE event: the dialect looks at it, then it goes out
 * verbatim or re-encoded. */
static int llm_st_event(void *arg, const struct llm_sse_ev *ev)
{
	struct llm_stream *s = arg;
	int rc = 0;

	if (ev->data == NULL)
		return buf_append(s->out, ev->raw, ev->raw_len);
	s->ev = ev;
	s->nedits = 0;
	s->walked = false;
	buf_reset(&s->edit_bytes);
	if (s->d == LLM_ANTHROPIC_MESSAGES)
		rc = llm_ev_anthropic(s, ev->data, ev->data_len);
	else if (s->d == LLM_OPENAI_CHAT)
		rc = llm_ev_chat(s, ev->data, ev->data_len);
	else if (s->d == LLM_OPENAI_RESPONSES)
		rc = llm_ev_responses(s, ev->data, ev->data_len);
	if (rc < 0)
		return rc;
	if (s->nedits > 0 &&
	    (rc = llm_st_apply(s, ev->data, ev->data_len)) < 0)
		return rc;
	if (s->nedits > 0 || s->walked)
		return llm_sse_reencode(ev, s->ndata.data, s->ndata.len,
					s->out);
	return buf_append(s->out, ev->raw, ev->raw_len);
}

int llm_stream_feed(struct llm_stream *s, const char *p, size_t n,
		    struct buf *out)
{
	bool pass = s->d == LLM_UNKNOWN || s->d == LLM_ANTHROPIC_COUNT_TOKENS;

	if (pass)
		return buf_append(out, p, n);
	if (!s->sse)
		return buf_append(&s->body, p, n);
	s->out = out;
	return llm_sse_feed(&s->sp, p, n, llm_st_event, s, out);
}

/* A whole JSON body: usage, and tokens restored in its text fields. */
static int llm_st_body(struct llm_stream *s, struct buf *out)
{
	const char *b = s->body.data != NULL ? s->body.data : "";
	struct llm_span root = { 0, s->body.len }, u;
	struct llm_json j;
	int rc;

	if (llm_json_validate(b, s->body.len, &j) < 0 || b[0] != '{')
		return buf_append(out, b, s->body.len);
	if (llm_json_get(b, s->body.len, root, "usage", &u) == 1)
		llm_st_usage(s, b, u);
	if ((rc = llm_st_walk(s, b, s->body.len,
			      llm_policy_response_root(s->d))) < 0)
		return rc;
	if (s->walked)
		return buf_append(out, s->ndata.data, s->ndata.len);
	return buf_append(out, b, s->body.len);
}

int llm_stream_finish(struct llm_stream *s, struct buf *out)
{
	int rc;

	if (s->d == LLM_UNKNOWN || s->d == LLM_ANTHROPIC_COUNT_TOKENS)
		return 0;
	if (!s->sse)
		return llm_st_body(s, out);
	s->out = out;
	if ((rc = llm_st_flush(s, 0, 0)) < 0)
		return rc;
	return llm_sse_finish(&s->sp, out);
}

void llm_stream_usage(const struct llm_stream *s, struct llm_usage *u)
{
	*u = s->u;
}
