/*
 * LLM API wire formats: which route a request is, which JSON fields carry
 * text to scan, rewriting request bodies, and transforming responses (JSON
 * or SSE) with tokens restored and usage counted. A pure library: no I/O,
 * no sockets, no globals. Scanning and restoring are the caller's, through
 * hooks, so this module does not depend on the DLP engine.
 *
 * Bytes that are not changed are copied verbatim: key order, whitespace,
 * escapes, images, documents, thinking, signatures and encrypted content
 * stay byte-identical. Only a changed string is re-encoded.
 */
#ifndef AGENTSH_LLM_LLM_H
#define AGENTSH_LLM_LLM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/diag.h"

#define LLM_JSON_DEPTH_MAX 128         /* nesting of one body */
#define LLM_JSON_PATH_MAX 256          /* bytes of a reported JSON path */
#define LLM_BODY_MAX (64u << 20)       /* decoded request body */
#define LLM_SSE_EVENT_MAX (16u << 20)  /* one SSE event */
#define LLM_TOKEN_MAX 48               /* = DLP_TOKEN_MAX (dlp/dlp_tok.h) */

enum llm_dialect {
	LLM_UNKNOWN,
	LLM_ANTHROPIC_MESSAGES,     /* POST /v1/messages */
	LLM_ANTHROPIC_COUNT_TOKENS, /* POST /v1/messages/count_tokens */
	LLM_OPENAI_CHAT,            /* POST /v1/chat/completions */
	LLM_OPENAI_RESPONSES,       /* POST /v1/responses, /backend-api/codex/responses */
};

/* The dialect of method + path (query string ignored); LLM_UNKNOWN else. */
enum llm_dialect llm_route(const char *method, const char *path);
const char *llm_dialect_name(enum llm_dialect d);

struct llm_scan_hooks {
	/*
	 * s[0..n) is a decoded (unescaped UTF-8) scannable string at JSON
	 * path jpath (e.g. "messages[0].content[1].text"), not
	 * NUL-terminated (it may point into the body). Append the
	 * replacement to out and return 1, return 0 if unchanged, <0 to fail
	 * the whole rewrite. Keys in jpath are as written (escapes kept);
	 * strings inside a JSON-encoded tool argument continue the path
	 * ("messages[2].tool_calls[0].function.arguments.cmd"); a path is
	 * cut at LLM_JSON_PATH_MAX - 1 bytes. A lone surrogate escape
	 * arrives as its 3-byte form and is written back as the same
	 * escape; invalid UTF-8 in out becomes U+FFFD. Keys are never
	 * scanned.
	 */
	int (*scan)(void *arg, const char *jpath, const char *s, size_t n,
		    struct buf *out);
	void *arg;
};

/*
 * Rewrite a request body of dialect d into out. *changed tells whether
 * any string changed (if not, out equals body). -EINVAL on a body that is
 * not valid JSON (d gets the byte offset), -E2BIG past the limits, or the
 * hook's error. The caller refuses the request on any error.
 */
int llm_request_rewrite(enum llm_dialect d, const char *body, size_t len,
			const struct llm_scan_hooks *h, struct buf *out,
			bool *changed, struct diag *dg);

/* Where restored text would land (matches dlp_lane's values). */
enum llm_lane { LLM_LANE_TEXT, LLM_LANE_TOOL_INPUT };

struct llm_restore_hooks {
	/*
	 * tok[0..n) is a whole DLP_<TYPE>_<tail> token (see dlp/dlp_tok.h)
	 * in lane: append its value to out and return 0, or return <0 to keep
	 * the token text unchanged. Never called for thinking/reasoning.
	 */
	int (*restore)(void *arg, const char *tok, size_t n, enum llm_lane lane,
		       struct buf *out);
	void *arg;
};

/*
 * Provider semantics are kept, not converted:
 * - Anthropic: input = input_tokens, which EXCLUDES cache_read
 *   (cache_read_input_tokens) and cache_creation
 *   (cache_creation_input_tokens); billed input is the sum of the three.
 *   output = output_tokens (stream: the last message_delta, cumulative).
 * - OpenAI Chat: input = prompt_tokens, which INCLUDES cache_read
 *   (prompt_tokens_details.cached_tokens); output = completion_tokens,
 *   which INCLUDES reasoning (completion_tokens_details.reasoning_tokens).
 * - OpenAI Responses: input = input_tokens INCLUDING cache_read
 *   (input_tokens_details.cached_tokens); output = output_tokens INCLUDING
 *   reasoning (output_tokens_details.reasoning_tokens).
 * known is false until the response reported usage (an interrupted stream
 * has none: count it as unknown, not as 0).
 */
struct llm_usage {
	uint64_t input, output, cache_read, cache_creation, reasoning;
	bool known;
};

struct llm_stream;

/*
 * A response transformer for dialect d; sse selects text/event-stream,
 * else a single JSON body. h may be NULL (no restoring, usage only: the
 * bytes then pass through unchanged).
 *
 * - A JSON body is held until llm_stream_finish (at most LLM_BODY_MAX)
 *   and comes out whole there; a body that is not JSON passes unchanged.
 * - SSE: each complete event goes out when it is complete, byte for byte
 *   unless a text delta in it changed (then its data lines are rewritten,
 *   other lines kept). A lane's text that may be the start of a token is
 *   held back and moved into the lane's next delta; when the lane ends
 *   (content_block_stop, finish_reason, [DONE], *.done, response.completed
 *   or llm_stream_finish) a held-back rest goes out as one extra delta
 *   event, a copy of the event it was cut from (Responses: same
 *   sequence_number) or, for Chat Completions, a chunk with only that
 *   choice.
 * - The response length changes whenever a token is restored: the caller
 *   must not forward the upstream Content-Length.
 * - LLM_ANTHROPIC_COUNT_TOKENS and LLM_UNKNOWN pass through unchanged
 *   (no usage: count_tokens is not consumption).
 * - The body must already be decoded (no Content-Encoding).
 */
int llm_stream_new(enum llm_dialect d, bool sse,
		   const struct llm_restore_hooks *h, struct llm_stream **out);
void llm_stream_free(struct llm_stream *s);
/*
 * Feed response body bytes (transfer coding removed) and append what can
 * be sent now to out. An SSE event is emitted when complete; a token split
 * across text deltas is held back (at most DLP_TOKEN_MAX bytes of one
 * lane). 0 or -errno (-E2BIG past LLM_SSE_EVENT_MAX / LLM_BODY_MAX).
 */
int llm_stream_feed(struct llm_stream *s, const char *p, size_t n,
		    struct buf *out);
/* End of body: append everything still held back. */
int llm_stream_finish(struct llm_stream *s, struct buf *out);
/* Usage seen so far (Anthropic, Chat Completions and Responses fields). */
void llm_stream_usage(const struct llm_stream *s, struct llm_usage *u);

#endif
