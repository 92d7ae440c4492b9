/*
 * TEMPORARY pass-through stand-ins for llm/llm.h and dlp/dlp_tok.h, built
 * only while those implementations are not in the tree (meson checks):
 * routes are recognised, bodies and answers pass unchanged, nothing is
 * scanned or restored. Deleted once the llm and dlp_tok branches land.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dlp/dlp_tok.h"
#include "llm/llm.h"

#ifdef LLMP_STUB_LLM
enum llm_dialect llm_route(const char *method, const char *path)
{
	size_t n = strcspn(path, "?");

	if (strcmp(method, "POST") != 0)
		return LLM_UNKNOWN;
	if (n == 12 && strncmp(path, "/v1/messages", n) == 0)
		return LLM_ANTHROPIC_MESSAGES;
	if (n == 25 && strncmp(path, "/v1/messages/count_tokens", n) == 0)
		return LLM_ANTHROPIC_COUNT_TOKENS;
	if (n == 20 && strncmp(path, "/v1/chat/completions", n) == 0)
		return LLM_OPENAI_CHAT;
	if (n == 13 && strncmp(path, "/v1/responses", n) == 0)
		return LLM_OPENAI_RESPONSES;
	return LLM_UNKNOWN;
}

const char *llm_dialect_name(enum llm_dialect d)
{
	static const char *const n[] = {"unknown", "anthropic_messages",
		"anthropic_count_tokens", "openai_chat", "openai_responses"};

	return (unsigned)d < 5 ? n[d] : "unknown";
}

int llm_request_rewrite(enum llm_dialect d, const char *body, size_t len,
			const struct llm_scan_hooks *h, struct buf *out,
			bool *changed, struct diag *dg)
{
	*changed = false;
	return buf_append(out, body, len);
}

struct llm_stream {
	int unused;
};

int llm_stream_new(enum llm_dialect d, bool sse,
		   const struct llm_restore_hooks *h, struct llm_stream **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void llm_stream_free(struct llm_stream *s)
{
	free(s);
}

int llm_stream_feed(struct llm_stream *s, const char *p, size_t n,
		    struct buf *out)
{
	return buf_append(out, p, n);
}

int llm_stream_finish(struct llm_stream *s, struct buf *out)
{
	return 0;
}

void llm_stream_usage(const struct llm_stream *s, struct llm_usage *u)
{
	memset(u, 0, sizeof(*u));
}
#endif

#ifdef LLMP_STUB_DLP
struct dlp_session {
	int unused;
};

int dlp_session_new(const struct dlp_session_opts *o, struct dlp_session **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void dlp_session_free(struct dlp_session *s)
{
	free(s);
}

size_t dlp_session_tokens(const struct dlp_session *s)
{
	return 0;
}

int dlp_apply(struct dlp_engine *e, struct dlp_session *s, const char *text,
	      size_t len, struct buf *out, dlp_applied_cb cb, void *arg,
	      struct dlp_stats *st)
{
	return dlp_redact(e, text, len, out, st);
}

int dlp_session_restore(struct dlp_session *s, const char *tok, size_t n,
			enum dlp_lane lane, struct buf *out)
{
	return -ENOENT;
}
#endif
