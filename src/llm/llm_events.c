/*
 * The stream events of each dialect: which strings are pieces of which
 * lane, where a lane ends, which events carry whole objects to restore,
 * and where usage is reported. Thinking, signatures and reasoning are
 * never lanes.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "llm/llm_int.h"

#define LLM_EV_IDX_MAX 0xfffffeu      /* an index usable in a lane key */
#define LLM_EV_HI_MASK (~(uint64_t)0xffffff)

struct llm_ufield {
	const char *path;
	size_t off;
};

static const struct llm_ufield llm_u_anthropic[] = {
	{ "input_tokens", offsetof(struct llm_usage, input) },
	{ "output_tokens", offsetof(struct llm_usage, output) },
	{ "cache_read_input_tokens", offsetof(struct llm_usage, cache_read) },
	{ "cache_creation_input_tokens",
	  offsetof(struct llm_usage, cache_creation) },
	{ NULL, 0 },
};

static const struct llm_ufield llm_u_chat[] = {
	{ "prompt_tokens", offsetof(struct llm_usage, input) },
	{ "completion_tokens", offsetof(struct llm_usage, output) },
	{ "prompt_tokens_details.cached_tokens",
	  offsetof(struct llm_usage, cache_read) },
	{ "completion_tokens_details.reasoning_tokens",
	  offsetof(struct llm_usage, reasoning) },
	{ NULL, 0 },
};

static const struct llm_ufield llm_u_responses[] = {
	{ "input_tokens", offsetof(struct llm_usage, input) },
	{ "output_tokens", offsetof(struct llm_usage, output) },
	{ "input_tokens_details.cached_tokens",
	  offsetof(struct llm_usage, cache_read) },
	{ "output_tokens_details.reasoning_tokens",
	  offsetof(struct llm_usage, reasoning) },
	{ NULL, 0 },
};

void llm_st_usage(struct llm_stream *s, const char *d, struct llm_span v)
{
	const struct llm_ufield *f = s->d == LLM_OPENAI_CHAT ? llm_u_chat
		: s->d == LLM_OPENAI_RESPONSES ? llm_u_responses
					       : llm_u_anthropic;
	struct llm_span x;
	uint64_t n;

	if (d[v.s] != '{')
		return;
	/* Each field present replaces the last value: Anthropic's
	 * message_delta counts are cumulative, never summed. */
	for (; f->path != NULL; f++) {
		if (llm_json_get(d, v.e, v, f->path, &x) == 1 &&
		    llm_json_u64(d, x, &n)) {
			memcpy((char *)&s->u + f->off, &n, sizeof(n));
			s->u.known = true;
		}
	}
}

/* The event data as a JSON object: its span, or false. */
static bool llm_ev_root(const char *d, size_t n, struct llm_span *root)
{
	struct llm_json j;

	if (llm_json_validate(d, n, &j) < 0)
		return false;
	root->s = 0;
	while (root->s < n && d[root->s] != '{' && d[root->s] != '[' &&
	       d[root->s] != '"')
		root->s++;
	root->e = n;
	return root->s < n && d[root->s] == '{';
}

/* An integer member of the object at root; def when absent. */
static uint64_t llm_ev_u64(const char *d, struct llm_span root,
			   const char *path, uint64_t def)
{
	struct llm_span v;
	uint64_t x;

	if (llm_json_get(d, root.e, root, path, &v) == 1 &&
	    llm_json_u64(d, v, &x) && x <= LLM_EV_IDX_MAX)
		return x;
	return def;
}

static bool llm_ev_is(const char *d, struct llm_span root, const char *path,
		      const char *lit)
{
	struct llm_span v;

	return llm_json_get(d, root.e, root, path, &v) == 1 &&
	       llm_json_str_is(d, v, lit);
}

/* The string at path is the next piece of a lane. */
static int llm_ev_piece(struct llm_stream *s, const char *d, size_t n,
			struct llm_span root, const char *path, uint64_t key,
			enum llm_lane lane, bool src, bool final)
{
	struct llm_span v;

	if (llm_json_get(d, n, root, path, &v) != 1)
		return 0;
	return llm_st_delta(s, d, n, v, key, lane, src, final);
}

int llm_ev_anthropic(struct llm_stream *s, const char *d, size_t n)
{
	struct llm_span r, u;
	uint64_t idx;

	if (!llm_ev_root(d, n, &r))
		return 0;
	idx = llm_ev_u64(d, r, "index", 0);
	if (llm_ev_is(d, r, "type", "content_block_delta")) {
		if (llm_ev_is(d, r, "delta.type", "text_delta"))
			return llm_ev_piece(s, d, n, r, "delta.text", idx,
					    LLM_LANE_TEXT, false, false);
		if (llm_ev_is(d, r, "delta.type", "input_json_delta"))
			return llm_ev_piece(s, d, n, r, "delta.partial_json",
					    idx, LLM_LANE_TOOL_INPUT, true,
					    false);
		return 0; /* thinking, signature, citations: untouched */
	}
	if (llm_ev_is(d, r, "type", "content_block_start") &&
	    llm_ev_is(d, r, "content_block.type", "text"))
		return llm_ev_piece(s, d, n, r, "content_block.text", idx,
				    LLM_LANE_TEXT, false, false);
	if (llm_ev_is(d, r, "type", "content_block_stop"))
		return llm_st_flush(s, ~(uint64_t)0, idx);
	if (llm_ev_is(d, r, "type", "message_start") &&
	    llm_json_get(d, n, r, "message.usage", &u) == 1)
		llm_st_usage(s, d, u);
	if (llm_ev_is(d, r, "type", "message_delta") ||
	    llm_ev_is(d, r, "type", "message_stop")) {
		if (llm_json_get(d, n, r, "usage", &u) == 1)
			llm_st_usage(s, d, u);
		return llm_st_flush(s, 0, 0);
	}
	return 0;
}

/* The tool calls of one Chat Completions choice delta. */
static int llm_ev_chat_calls(struct llm_stream *s, const char *d, size_t n,
			     struct llm_span delta, uint64_t ci, bool final)
{
	struct llm_span calls, el;
	size_t it = 0;
	uint64_t j;
	int rc;

	if (llm_json_get(d, n, delta, "tool_calls", &calls) != 1)
		return 0;
	while ((rc = llm_json_next(d, n, calls, &it, &el)) == 1) {
		j = llm_ev_u64(d, el, "index", 0);
		if ((rc = llm_ev_piece(s, d, n, el, "function.arguments",
				       (ci << 24) | (j + 1),
				       LLM_LANE_TOOL_INPUT, true, final)) < 0)
			return rc;
	}
	return rc;
}

/* One element of "choices": content and tool-call lanes. */
static int llm_ev_chat_choice(struct llm_stream *s, const char *d, size_t n,
			      struct llm_span ch)
{
	struct llm_span fr, delta;
	uint64_t ci = llm_ev_u64(d, ch, "index", 0);
	bool final = false;
	int rc;

	if (llm_json_get(d, n, ch, "finish_reason", &fr) == 1)
		final = d[fr.s] == '"';
	if (llm_json_get(d, n, ch, "delta", &delta) == 1 &&
	    d[delta.s] == '{') {
		if ((rc = llm_ev_piece(s, d, n, delta, "content", ci << 24,
				       LLM_LANE_TEXT, false, final)) < 0 ||
		    (rc = llm_ev_chat_calls(s, d, n, delta, ci, final)) < 0)
			return rc;
	}
	return final ? llm_st_flush(s, LLM_EV_HI_MASK, ci << 24) : 0;
}

int llm_ev_chat(struct llm_stream *s, const char *d, size_t n)
{
	struct llm_span r, u, choices, el;
	size_t it = 0;
	int rc = 0;

	if (n == 6 && memcmp(d, "[DONE]", 6) == 0)
		return llm_st_flush(s, 0, 0);
	if (!llm_ev_root(d, n, &r))
		return 0;
	if (llm_json_get(d, n, r, "usage", &u) == 1)
		llm_st_usage(s, d, u);
	if (llm_json_get(d, n, r, "choices", &choices) != 1)
		return 0;
	while ((rc = llm_json_next(d, n, choices, &it, &el)) == 1)
		if ((rc = llm_ev_chat_choice(s, d, n, el)) < 0)
			return rc;
	return rc;
}

/* Raw member key of the chunk at r as `"key":value,` if present. */
static int llm_ev_chat_copy(struct buf *b, const char *d, struct llm_span r,
			    const char *key)
{
	struct llm_span v;

	if (llm_json_get(d, r.e, r, key, &v) != 1)
		return 0;
	return buf_printf(b, "\"%s\":%.*s,", key, (int)(v.e - v.s), d + v.s);
}

int llm_ev_chat_tmpl(struct llm_stream *s, struct llm_carry *l,
		     const char *d, size_t n)
{
	uint64_t ci = l->key >> 24, j = l->key & 0xffffff;
	struct llm_span r;
	int rc;

	buf_reset(&l->tmpl);
	if (!llm_ev_root(d, n, &r))
		return -EINVAL;
	if ((rc = buf_puts(&l->tmpl, "data: {")) < 0 ||
	    (rc = llm_ev_chat_copy(&l->tmpl, d, r, "id")) < 0 ||
	    (rc = llm_ev_chat_copy(&l->tmpl, d, r, "object")) < 0 ||
	    (rc = llm_ev_chat_copy(&l->tmpl, d, r, "created")) < 0 ||
	    (rc = llm_ev_chat_copy(&l->tmpl, d, r, "model")) < 0)
		return rc;
	if (j == 0)
		rc = buf_printf(&l->tmpl, "\"choices\":[{\"index\":%llu,"
				"\"delta\":{\"content\":",
				(unsigned long long)ci);
	else
		rc = buf_printf(&l->tmpl, "\"choices\":[{\"index\":%llu,"
				"\"delta\":{\"tool_calls\":[{\"index\":%llu,"
				"\"function\":{\"arguments\":",
				(unsigned long long)ci,
				(unsigned long long)(j - 1));
	if (rc < 0)
		return rc;
	l->tmpl_cut = l->tmpl.len;
	rc = buf_puts(&l->tmpl, j == 0 ? "},\"finish_reason\":null}]}\n\n"
				       : "}}]},\"finish_reason\":null}]}\n\n");
	/* JSON whitespace only: keep the data on one line. */
	for (size_t i = 0; rc == 0 && i + 2 < l->tmpl.len; i++)
		if (l->tmpl.data[i] == '\n' || l->tmpl.data[i] == '\r')
			l->tmpl.data[i] = ' ';
	return rc;
}

/* Responses: the lane key of output_index/content_index. */
static uint64_t llm_ev_rkey(const char *d, struct llm_span r, bool tool)
{
	uint64_t o = llm_ev_u64(d, r, "output_index", 0);

	return (o << 24) | (tool ? 0xffffff : llm_ev_u64(d, r,
							 "content_index", 0));
}

/* Responses events that end lanes and carry whole objects. */
static int llm_ev_responses_done(struct llm_stream *s, const char *d,
				 size_t n, struct llm_span r)
{
	struct llm_span u;
	int rc;

	if (llm_ev_is(d, r, "type", "response.output_text.done"))
		return (rc = llm_st_flush(s, ~(uint64_t)0,
					  llm_ev_rkey(d, r, false))) < 0
			       ? rc : llm_st_walk(s, d, n, LLM_K_XRTEXTDONE);
	if (llm_ev_is(d, r, "type", "response.function_call_arguments.done") ||
	    llm_ev_is(d, r, "type", "response.custom_tool_call_input.done"))
		return (rc = llm_st_flush(s, ~(uint64_t)0,
					  llm_ev_rkey(d, r, true))) < 0
			       ? rc : llm_st_walk(s, d, n, LLM_K_XRARGSDONE);
	if (llm_ev_is(d, r, "type", "response.content_part.done") ||
	    llm_ev_is(d, r, "type", "response.content_part.added"))
		return llm_st_walk(s, d, n, LLM_K_XRPARTDONE);
	if (llm_ev_is(d, r, "type", "response.output_item.done") ||
	    llm_ev_is(d, r, "type", "response.output_item.added"))
		return (rc = llm_st_flush(s, LLM_EV_HI_MASK,
					  llm_ev_rkey(d, r, false) &
						  LLM_EV_HI_MASK)) < 0
			       ? rc : llm_st_walk(s, d, n, LLM_K_XRITEMEV);
	if (llm_ev_is(d, r, "type", "response.completed") ||
	    llm_ev_is(d, r, "type", "response.incomplete") ||
	    llm_ev_is(d, r, "type", "response.failed")) {
		if (llm_json_get(d, n, r, "response.usage", &u) == 1)
			llm_st_usage(s, d, u);
		if ((rc = llm_st_flush(s, 0, 0)) < 0)
			return rc;
		return llm_st_walk(s, d, n, LLM_K_XRRESPEV);
	}
	return 0;
}

int llm_ev_responses(struct llm_stream *s, const char *d, size_t n)
{
	struct llm_span r;

	if (!llm_ev_root(d, n, &r))
		return 0;
	if (llm_ev_is(d, r, "type", "response.output_text.delta"))
		return llm_ev_piece(s, d, n, r, "delta",
				    llm_ev_rkey(d, r, false), LLM_LANE_TEXT,
				    false, false);
	if (llm_ev_is(d, r, "type", "response.function_call_arguments.delta"))
		return llm_ev_piece(s, d, n, r, "delta",
				    llm_ev_rkey(d, r, true),
				    LLM_LANE_TOOL_INPUT, true, false);
	if (llm_ev_is(d, r, "type", "response.custom_tool_call_input.delta"))
		return llm_ev_piece(s, d, n, r, "delta",
				    llm_ev_rkey(d, r, true),
				    LLM_LANE_TOOL_INPUT, false, false);
	return llm_ev_responses_done(s, d, n, r);
}
