/* Which LLM API a request is, from its method and path. */
#include <string.h>

#include "llm/llm.h"

struct llm_route_ent {
	const char *path;
	enum llm_dialect d;
};

static const struct llm_route_ent llm_routes[] = {
	{ "/v1/messages", LLM_ANTHROPIC_MESSAGES },
	{ "/v1/messages/count_tokens", LLM_ANTHROPIC_COUNT_TOKENS },
	{ "/v1/chat/completions", LLM_OPENAI_CHAT },
	{ "/v1/responses", LLM_OPENAI_RESPONSES },
	{ "/backend-api/codex/responses", LLM_OPENAI_RESPONSES },
};

enum llm_dialect llm_route(const char *method, const char *path)
{
	size_t n;

	if (method == NULL || path == NULL || strcmp(method, "POST") != 0)
		return LLM_UNKNOWN;
	n = strcspn(path, "?#");
	for (size_t i = 0; i < sizeof(llm_routes) / sizeof(llm_routes[0]); i++)
		if (strlen(llm_routes[i].path) == n &&
		    memcmp(llm_routes[i].path, path, n) == 0)
			return llm_routes[i].d;
	return LLM_UNKNOWN;
}

const char *llm_dialect_name(enum llm_dialect d)
{
	switch (d) {
	case LLM_ANTHROPIC_MESSAGES:
		return "anthropic-messages";
	case LLM_ANTHROPIC_COUNT_TOKENS:
		return "anthropic-count-tokens";
	case LLM_OPENAI_CHAT:
		return "openai-chat";
	case LLM_OPENAI_RESPONSES:
		return "openai-responses";
	default:
		return "unknown";
	}
}
