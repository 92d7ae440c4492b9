/*
 * The LLM gateway in the daemon: one embedded LLM proxy per session
 * (proxy.mode: embedded), its DLP engine built from dlp.*, its events,
 * its status, and the base URLs sandboxed processes are given.
 */
#ifndef AGENTSH_DAEMON_LLMGW_H
#define AGENTSH_DAEMON_LLMGW_H

#include <stddef.h>
#include <stdint.h>

#define LLMGW_ENV_N 2      /* variables llmgw_env writes */
#define LLMGW_ENV_LEN 96   /* bytes of one of them */

struct daemon;
struct session;
struct json_object;

/* Build the DLP engine when the proxy is on; 0 or -errno. */
int llmgw_open(struct daemon *d);
/* With the daemon's lock held: stop every proxy (waits for them). */
void llmgw_close(struct daemon *d);
/* Start s's proxy; a failure is an llm_proxy_failed event, not fatal. */
void llmgw_session_start(struct daemon *d, struct session *s);
void llmgw_session_stop(struct daemon *d, const char *sid);
/* The port of the session's proxy, 0 when it has none. */
uint16_t llmgw_port(struct daemon *d, const char *sid);
/* ANTHROPIC_BASE_URL=... and OPENAI_BASE_URL=... into out (0 if none). */
size_t llmgw_env(struct daemon *d, const char *sid,
		 char out[LLMGW_ENV_N][LLMGW_ENV_LEN]);
/* GET /api/v1/sessions/{id}/proxy. */
struct json_object *llmgw_json(struct daemon *d, const char *sid);

#endif
