/*
 * Field policy tables: for each node kind, what its strings are (scan,
 * JSON inside a string, or left alone) and the kind of each member and
 * element. A place no rule names is structural or opaque and is copied
 * verbatim: images and documents (base64 source.data, image_url),
 * thinking, signature, redacted_thinking.data, encrypted_content,
 * reasoning items, ids, names and model names.
 */
#include <string.h>

#include "llm/llm_int.h"

struct llm_kinddef {
	unsigned char str;  /* enum llm_act of a string value */
	unsigned char elem; /* enum llm_kind of array elements */
	bool typed;         /* members depend on the object's "type" */
};

static const struct llm_kinddef llm_kinds[LLM_K_COUNT] = {
	[LLM_K_TEXT] = { LLM_ACT_TEXT, LLM_K_SKIP, false },
	[LLM_K_ALL] = { LLM_ACT_TOOL, LLM_K_ALL, false },
	[LLM_K_EMBED] = { LLM_ACT_EMBED, LLM_K_SKIP, false },
	[LLM_K_SRC] = { LLM_ACT_SRC, LLM_K_SKIP, false },
	[LLM_K_AMSGS] = { LLM_ACT_NONE, LLM_K_AMSG, false },
	[LLM_K_ACONTENT] = { LLM_ACT_TEXT, LLM_K_ABLOCK, false },
	[LLM_K_ABLOCK] = { LLM_ACT_NONE, LLM_K_SKIP, true },
	[LLM_K_ADOCSRC] = { LLM_ACT_NONE, LLM_K_SKIP, true },
	[LLM_K_CMSGS] = { LLM_ACT_NONE, LLM_K_CMSG, false },
	[LLM_K_CCONTENT] = { LLM_ACT_TEXT, LLM_K_CPART, false },
	[LLM_K_CPART] = { LLM_ACT_NONE, LLM_K_SKIP, true },
	[LLM_K_CCALLS] = { LLM_ACT_NONE, LLM_K_CCALL, false },
	[LLM_K_RINPUT] = { LLM_ACT_TEXT, LLM_K_RITEM, false },
	[LLM_K_RITEM] = { LLM_ACT_NONE, LLM_K_SKIP, true },
	[LLM_K_RCONTENT] = { LLM_ACT_TEXT, LLM_K_RPART, false },
	[LLM_K_RPART] = { LLM_ACT_NONE, LLM_K_SKIP, true },
	[LLM_K_XABLOCKS] = { LLM_ACT_NONE, LLM_K_XABLOCK, false },
	[LLM_K_XABLOCK] = { LLM_ACT_NONE, LLM_K_SKIP, true },
	[LLM_K_XCCHOICES] = { LLM_ACT_NONE, LLM_K_XCCHOICE, false },
	[LLM_K_XCCALLS] = { LLM_ACT_NONE, LLM_K_XCCALL, false },
	[LLM_K_XRITEMS] = { LLM_ACT_NONE, LLM_K_XRITEM, false },
	[LLM_K_XRITEM] = { LLM_ACT_NONE, LLM_K_SKIP, true },
	[LLM_K_XRPARTS] = { LLM_ACT_NONE, LLM_K_XRPART, false },
	[LLM_K_XRPART] = { LLM_ACT_NONE, LLM_K_SKIP, true },
	[LLM_K_XRTOOL] = { LLM_ACT_TOOL, LLM_K_SKIP, false },
};

struct llm_rule {
	unsigned char kind;
	const char *type; /* NULL: any; "": no "type" member */
	const char *key;  /* NULL: any key */
	unsigned char child;
};

static const struct llm_rule llm_rules[] = {
	{ LLM_K_ALL, NULL, NULL, LLM_K_ALL },
	/* Anthropic Messages and count_tokens requests */
	{ LLM_K_AROOT, NULL, "system", LLM_K_ACONTENT },
	{ LLM_K_AROOT, NULL, "messages", LLM_K_AMSGS },
	{ LLM_K_AMSG, NULL, "content", LLM_K_ACONTENT },
	{ LLM_K_ABLOCK, "text", "text", LLM_K_TEXT },
	{ LLM_K_ABLOCK, "tool_use", "input", LLM_K_ALL },
	{ LLM_K_ABLOCK, "server_tool_use", "input", LLM_K_ALL },
	{ LLM_K_ABLOCK, "tool_result", "content", LLM_K_ACONTENT },
	{ LLM_K_ABLOCK, "search_result", "content", LLM_K_ACONTENT },
	{ LLM_K_ABLOCK, "document", "source", LLM_K_ADOCSRC },
	{ LLM_K_ABLOCK, "document", "context", LLM_K_TEXT },
	{ LLM_K_ADOCSRC, "text", "data", LLM_K_TEXT },
	{ LLM_K_ADOCSRC, "content", "content", LLM_K_ACONTENT },
	/* OpenAI Chat Completions requests */
	{ LLM_K_CROOT, NULL, "messages", LLM_K_CMSGS },
	{ LLM_K_CMSG, NULL, "content", LLM_K_CCONTENT },
	{ LLM_K_CMSG, NULL, "tool_calls", LLM_K_CCALLS },
	{ LLM_K_CMSG, NULL, "function_call", LLM_K_CFUNC },
	{ LLM_K_CPART, "text", "text", LLM_K_TEXT },
	{ LLM_K_CCALL, NULL, "function", LLM_K_CFUNC },
	{ LLM_K_CFUNC, NULL, "arguments", LLM_K_EMBED },
	/* OpenAI Responses requests */
	{ LLM_K_RROOT, NULL, "instructions", LLM_K_TEXT },
	{ LLM_K_RROOT, NULL, "input", LLM_K_RINPUT },
	{ LLM_K_RITEM, "message", "content", LLM_K_RCONTENT },
	{ LLM_K_RITEM, "", "content", LLM_K_RCONTENT },
	{ LLM_K_RITEM, "function_call", "arguments", LLM_K_EMBED },
	{ LLM_K_RITEM, "function_call_output", "output", LLM_K_RCONTENT },
	{ LLM_K_RITEM, "custom_tool_call", "input", LLM_K_TEXT },
	{ LLM_K_RITEM, "custom_tool_call_output", "output", LLM_K_RCONTENT },
	{ LLM_K_RITEM, "local_shell_call", "action", LLM_K_ALL },
	{ LLM_K_RPART, "input_text", "text", LLM_K_TEXT },
	{ LLM_K_RPART, "output_text", "text", LLM_K_TEXT },
	/* Anthropic responses */
	{ LLM_K_XAROOT, NULL, "content", LLM_K_XABLOCKS },
	{ LLM_K_XABLOCK, "text", "text", LLM_K_TEXT },
	{ LLM_K_XABLOCK, "tool_use", "input", LLM_K_ALL },
	/* Chat Completions responses */
	{ LLM_K_XCROOT, NULL, "choices", LLM_K_XCCHOICES },
	{ LLM_K_XCCHOICE, NULL, "message", LLM_K_XCMSG },
	{ LLM_K_XCMSG, NULL, "content", LLM_K_TEXT },
	{ LLM_K_XCMSG, NULL, "tool_calls", LLM_K_XCCALLS },
	{ LLM_K_XCMSG, NULL, "function_call", LLM_K_XCFUNC },
	{ LLM_K_XCCALL, NULL, "function", LLM_K_XCFUNC },
	{ LLM_K_XCFUNC, NULL, "arguments", LLM_K_SRC },
	/* Responses responses and the stream events with whole objects */
	{ LLM_K_XRROOT, NULL, "output", LLM_K_XRITEMS },
	{ LLM_K_XRITEM, "message", "content", LLM_K_XRPARTS },
	{ LLM_K_XRITEM, "function_call", "arguments", LLM_K_SRC },
	{ LLM_K_XRITEM, "custom_tool_call", "input", LLM_K_XRTOOL },
	{ LLM_K_XRPART, "output_text", "text", LLM_K_TEXT },
	{ LLM_K_XRTEXTDONE, NULL, "text", LLM_K_TEXT },
	{ LLM_K_XRPARTDONE, NULL, "part", LLM_K_XRPART },
	{ LLM_K_XRITEMEV, NULL, "item", LLM_K_XRITEM },
	{ LLM_K_XRRESPEV, NULL, "response", LLM_K_XRROOT },
	{ LLM_K_XRARGSDONE, NULL, "arguments", LLM_K_SRC },
	{ LLM_K_XRARGSDONE, NULL, "input", LLM_K_XRTOOL },
};

enum llm_act llm_policy_str(enum llm_kind k)
{
	return (enum llm_act)llm_kinds[k].str;
}

enum llm_kind llm_policy_elem(enum llm_kind k)
{
	return (enum llm_kind)llm_kinds[k].elem;
}

bool llm_policy_typed(enum llm_kind k)
{
	return llm_kinds[k].typed;
}

enum llm_kind llm_policy_member(enum llm_kind k, const char *type,
				const char *key, size_t klen)
{
	const struct llm_rule *r;

	for (size_t i = 0; i < sizeof(llm_rules) / sizeof(llm_rules[0]); i++) {
		r = &llm_rules[i];
		if (r->kind != k)
			continue;
		if (r->type != NULL && strcmp(r->type, type) != 0)
			continue;
		if (r->key == NULL || (strncmp(r->key, key, klen) == 0 &&
				       r->key[klen] == '\0'))
			return (enum llm_kind)r->child;
	}
	return LLM_K_SKIP;
}

enum llm_kind llm_policy_request_root(enum llm_dialect d)
{
	switch (d) {
	case LLM_ANTHROPIC_MESSAGES:
	case LLM_ANTHROPIC_COUNT_TOKENS:
		return LLM_K_AROOT;
	case LLM_OPENAI_CHAT:
		return LLM_K_CROOT;
	case LLM_OPENAI_RESPONSES:
		return LLM_K_RROOT;
	default:
		return LLM_K_SKIP;
	}
}

enum llm_kind llm_policy_response_root(enum llm_dialect d)
{
	switch (d) {
	case LLM_ANTHROPIC_MESSAGES:
		return LLM_K_XAROOT;
	case LLM_OPENAI_CHAT:
		return LLM_K_XCROOT;
	case LLM_OPENAI_RESPONSES:
		return LLM_K_XRROOT;
	default:
		return LLM_K_SKIP;
	}
}
