/* The embedded LLM proxy wired to sessions: start, stop, events, status. */
#include "daemon/llmgw.h"
#include "daemon/netns.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "audit/audit.h"
#include "common/json.h"
#include "common/log.h"
#include "common/str.h"
#include "daemon/daemon.h"
#include "daemon/ident.h"
#include "daemon/session.h"
#include "dlp/dlp.h"
#include "dlpcfg/dlpcfg.h"
#include "llmproxy/llmproxy.h"

#define LLMGW_HOST "127.0.0.1" /* where every session's proxy listens */
#define LLMGW_FIELDS_MAX 65536 /* one event's fields */
#define LLMGW_BUILD_NICE 10     /* priority of the rule compile thread */
#define LLMGW_DRAIN_MS 10000   /* at shutdown, wait this long for threads */

struct llmgw_sess {
	char sid[SESSION_ID_MAX];
	uint16_t port;
	struct llmproxy *proxy;
	struct llmgw_sess *next;
};

struct llmgw {
	struct llmproxy_engine eng; /* built by builder, shared by proxies */
	pthread_t builder;
	struct llmproxy_tls *tls;   /* shared by the proxies */
	bool building;
	enum llmproxy_dlp dlp;
	struct llmgw_sess *list;
	atomic_int live; /* proxies whose threads may still use the engine */
};

static struct llmgw_sess *llmgw_find(struct daemon *d, const char *sid)
{
	struct llmgw_sess *e = d->llmgw ? d->llmgw->list : NULL;

	while (e && strcmp(e->sid, sid) != 0)
		e = e->next;
	return e;
}

/* The engine from dlp.* as `agentsh dlp scan --config` builds it. */
static int llmgw_engine(const struct config *c, struct dlp_engine **e)
{
	struct diag dg;
	int r;

	diag_init(&dg);
	r = dlpcfg_engine(c, e, &dg);
	diag_print(&dg, stderr);
	diag_release(&dg);
	return r;
}

/* Compiling the rules takes 0.4 s (seconds under ASan): off the start
 * path; a request that needs the engine waits for it. */
static void *llmgw_build(void *arg)
{
	struct daemon *d = arg;
	struct llmgw *g = d->llmgw;
	struct dlp_engine *e = NULL;
	int r;

	/* Linux nice is per thread: let decisions and requests go first. */
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), LLMGW_BUILD_NICE) < 0)
		log_msg(LOG_LVL_DEBUG, "llm proxy: cannot lower the compile's "
			"priority");
	r = llmgw_engine(d->cfg, &e);

	if (r < 0)
		log_msg(LOG_LVL_ERROR, "llm proxy: DLP engine: %s "
			"(requests that need scanning are refused)", strerror(-r));
	pthread_mutex_lock(&g->eng.lock);
	g->eng.engine = e;
	g->eng.ready = true;
	pthread_cond_broadcast(&g->eng.cv);
	pthread_mutex_unlock(&g->eng.lock);
	return NULL;
}

int llmgw_open(struct daemon *d)
{
	struct llmgw *g;

	if (d->cfg->proxy.mode != CONFIG_PROXY_EMBEDDED)
		return 0;
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return -ENOMEM;
	pthread_mutex_init(&g->eng.lock, NULL);
	pthread_cond_init(&g->eng.cv, NULL);
	g->dlp = d->cfg->dlp.mode == CONFIG_DLP_DISABLED ? LLMPROXY_DLP_OFF :
		 d->cfg->dlp.mode == CONFIG_DLP_TOKENIZE ? LLMPROXY_DLP_TOKENIZE :
		 LLMPROXY_DLP_REDACT;
	/* The daemon scrubs its environment: pass the operator's CA on. */
	if (llmproxy_tls_new(ident_env_get(d->env, "SSL_CERT_FILE"),
			     &g->tls) < 0) {
		free(g);
		return -ENOMEM;
	}
	d->llmgw = g;
	if (g->dlp != LLMPROXY_DLP_OFF)
		g->building = pthread_create(&g->builder, NULL, llmgw_build,
					     d) == 0;
	if (g->dlp != LLMPROXY_DLP_OFF && !g->building)
		llmgw_build(d); /* no thread: build it here */
	return 0;
}

void llmgw_close(struct daemon *d)
{
	struct llmgw *g = d->llmgw;

	if (g == NULL)
		return;
	pthread_mutex_unlock(&d->big); /* their last events wait for it */
	if (g->building)
		pthread_join(g->builder, NULL);
	while (g->list) {
		struct llmgw_sess *n = g->list->next;
		llmproxy_free(g->list->proxy, true);
		free(g->list);
		g->list = n;
	}
	/* Proxies of sessions ended earlier may still be finishing. */
	for (int i = 0; i < LLMGW_DRAIN_MS && atomic_load(&g->live) > 0; i++)
		usleep(1000);
	pthread_mutex_lock(&d->big);
	if (atomic_load(&g->live) > 0)
		return; /* a thread is stuck: leak rather than pull the engine */
	dlp_engine_free(g->eng.engine);
	llmproxy_tls_free(g->tls);
	pthread_cond_destroy(&g->eng.cv);
	pthread_mutex_destroy(&g->eng.lock);
	free(g);
	d->llmgw = NULL;
}

static void llmgw_lock(void *arg)
{
	struct daemon *d = arg;

	pthread_mutex_lock(&d->big);
}

static void llmgw_unlock(void *arg)
{
	struct daemon *d = arg;

	pthread_mutex_unlock(&d->big);
}

static void llmgw_gone(void *arg)
{
	struct daemon *d = arg;

	atomic_fetch_sub(&d->llmgw->live, 1);
}

static void llmgw_usage_json(struct buf *b, const struct llmproxy_event *ev)
{
	const struct llm_usage *u = &ev->usage;

	buf_printf(b, ",\"usage_known\":%s", ev->usage_known ? "true" : "false");
	if (ev->usage_known)
		buf_printf(b, ",\"usage\":{\"input_tokens\":%llu,\"output_tokens\":"
			   "%llu,\"cache_read_tokens\":%llu,\"cache_creation_"
			   "tokens\":%llu,\"reasoning_tokens\":%llu}",
			   (unsigned long long)u->input,
			   (unsigned long long)u->output,
			   (unsigned long long)u->cache_read,
			   (unsigned long long)u->cache_creation,
			   (unsigned long long)u->reasoning);
	buf_printf(b, ",\"duration_ms\":%lld", (long long)ev->duration_ms);
}

/* Rules, types, paths and counts: never a value. */
static void llmgw_red_json(struct buf *b, const struct llmproxy_event *ev)
{
	buf_printf(b, ",\"body_bytes\":%zu,\"forwarded_bytes\":%zu,\"changed\":"
		   "%s,\"refused\":%s,\"redactions\":[", ev->body_bytes,
		   ev->forwarded_bytes, ev->changed ? "true" : "false",
		   ev->refused ? "true" : "false");
	for (size_t i = 0; i < ev->nred; i++) {
		buf_puts(b, i ? ",{\"rule\":" : "{\"rule\":");
		json_str(b, ev->red[i].rule);
		buf_puts(b, ",\"type\":");
		json_str(b, ev->red[i].display);
		buf_puts(b, ",\"path\":");
		json_str(b, ev->red[i].path);
		buf_printf(b, ",\"count\":%u}", ev->red[i].count);
	}
	buf_printf(b, "],\"redactions_left_off\":%zu", ev->nred_more);
}

/* Called by a proxy thread with the daemon's lock held. */
static void llmgw_event(void *arg, const struct llmproxy_event *pe)
{
	struct daemon *d = arg;
	struct audit_event ev = {0};
	struct buf b;

	buf_init(&b, LLMGW_FIELDS_MAX);
	buf_puts(&b, "{\"dialect\":");
	json_str(&b, pe->dialect);
	buf_puts(&b, ",\"method\":");
	json_str(&b, pe->method);
	if (pe->status)
		buf_printf(&b, ",\"status\":%d", pe->status);
	if (pe->error) {
		buf_puts(&b, ",\"error\":");
		json_str(&b, pe->error);
	}
	if (strcmp(pe->type, "llm_request") == 0)
		llmgw_red_json(&b, pe);
	else
		llmgw_usage_json(&b, pe);
	buf_putc(&b, '}');
	ev.type = pe->type;
	ev.session_id = pe->tag;
	ev.path = pe->path;
	ev.operation = pe->type + 4;
	ev.decision = ev.effective = pe->refused ? "deny" : "allow";
	ev.fields_json = b.data;
	daemon_event(d, &ev);
	buf_release(&b);
}

static void llmgw_started(struct daemon *d, struct session *s, int err,
			  uint16_t port)
{
	struct audit_event ev = {0};
	struct buf b;

	buf_init(&b, 512);
	if (err == 0)
		buf_printf(&b, "{\"address\":\"%s:%u\",\"requested_port\":%lld}",
			   LLMGW_HOST, (unsigned)port,
			   (long long)d->cfg->proxy.port);
	else
		buf_printf(&b, "{\"error\":\"%s\"}", strerror(-err));
	ev.type = err == 0 ? "llm_proxy_started" : "llm_proxy_failed";
	ev.session_id = s->id;
	ev.fields_json = b.data;
	daemon_event(d, &ev);
	buf_release(&b);
}

/*
 * A fixed proxy.port serves the first session that gets it; while it is
 * taken, the others listen on an ephemeral port (their events say so). A
 * transparent session's proxy listens inside its namespace, on the port
 * its nftables rules let through.
 */
static int llmgw_listen(struct daemon *d, struct session *s,
			struct llmproxy *p, uint16_t *port)
{
	int r;

	if (s->netns_fd >= 0)
		return llmproxy_listen_ns(p, s->netns_fd, LLMGW_HOST,
					  NETNS_LLM_PORT, port);
	r = llmproxy_listen(p, LLMGW_HOST, (uint16_t)d->cfg->proxy.port, port);
	if (r == -EADDRINUSE && d->cfg->proxy.port != 0)
		r = llmproxy_listen(p, LLMGW_HOST, 0, port);
	return r;
}

void llmgw_session_start(struct daemon *d, struct session *s)
{
	static const struct llmproxy_ops ops = {llmgw_lock, llmgw_unlock,
						llmgw_event, llmgw_gone};
	struct llmgw *g = d->llmgw;
	struct llmproxy_opts o = {0};
	struct llmgw_sess *e;
	int r = -ENOMEM;

	if (g == NULL)
		return;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		goto out;
	str_lcpy(e->sid, s->id, sizeof(e->sid));
	o.anthropic_url = config_provider_url(d->cfg, "anthropic");
	o.openai_url = config_provider_url(d->cfg, "openai");
	o.eng = g->dlp == LLMPROXY_DLP_OFF ? NULL : &g->eng;
	o.dlp = g->dlp;
	o.tag = s->id;
	o.tls = g->tls;
	r = llmproxy_new(&o, &ops, d, &e->proxy);
	if (r == 0)
		atomic_fetch_add(&g->live, 1);
	if (r == 0)
		r = llmgw_listen(d, s, e->proxy, &e->port);
out:
	llmgw_started(d, s, r, e ? e->port : 0);
	if (r < 0) {
		log_msg(LOG_LVL_ERROR, "llm proxy for session %s: %s", s->id,
			strerror(-r));
		if (e)
			llmproxy_free(e->proxy, false);
		free(e);
		return;
	}
	e->next = g->list;
	g->list = e;
}

void llmgw_session_stop(struct daemon *d, const char *sid)
{
	struct llmgw_sess **pp = d->llmgw ? &d->llmgw->list : NULL, *e;

	while (pp && *pp && strcmp((*pp)->sid, sid) != 0)
		pp = &(*pp)->next;
	if (pp == NULL || (e = *pp) == NULL)
		return;
	*pp = e->next;
	llmproxy_free(e->proxy, false); /* its threads end on their own */
	free(e);
}

uint16_t llmgw_port(struct daemon *d, const char *sid)
{
	struct llmgw_sess *e = llmgw_find(d, sid);

	return e ? e->port : 0;
}

size_t llmgw_env(struct daemon *d, const char *sid,
		 char out[LLMGW_ENV_N][LLMGW_ENV_LEN])
{
	struct llmgw_sess *e = llmgw_find(d, sid);

	if (e == NULL)
		return 0;
	/* The Anthropic SDK appends /v1/messages; OpenAI's base includes /v1. */
	snprintf(out[0], LLMGW_ENV_LEN, "ANTHROPIC_BASE_URL=http://%s:%u",
		 LLMGW_HOST, (unsigned)e->port);
	snprintf(out[1], LLMGW_ENV_LEN, "OPENAI_BASE_URL=http://%s:%u/v1",
		 LLMGW_HOST, (unsigned)e->port);
	return LLMGW_ENV_N;
}

static void llmgw_names(struct daemon *d, json_object *o)
{
	static const char *const fam[] = {"email", "phone", "credit_card",
					  "ssn", "api_keys"};
	const struct config_dlp *c = &d->cfg->dlp;
	const bool on[] = {c->patterns.email, c->patterns.phone,
			   c->patterns.credit_card, c->patterns.ssn,
			   c->patterns.api_keys};
	json_object *a = json_object_new_array();
	struct llmgw *g = d->llmgw;
	bool dlp = g->dlp != LLMPROXY_DLP_OFF, ready;
	size_t rules;

	pthread_mutex_lock(&g->eng.lock);
	ready = g->eng.ready;
	rules = g->eng.engine ? dlp_engine_rules(g->eng.engine) : 0;
	pthread_mutex_unlock(&g->eng.lock);
	for (size_t i = 0; dlp && i < 5; i++)
		if (on[i])
			json_object_array_add(a, json_object_new_string(fam[i]));
	for (size_t i = 0; dlp && i < c->n_custom_patterns; i++)
		json_object_array_add(a, json_object_new_string(
					      c->custom_patterns[i].name));
	json_object_object_add(o, "dlp_state", json_object_new_string(
		!dlp ? "off" : !ready ? "compiling" : rules ? "ready" : "failed"));
	json_object_object_add(o, "active_patterns",
			       json_object_new_int64((int64_t)rules));
	json_object_object_add(o, "pattern_names", a);
}

static void llmgw_add_u64(json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_int64((int64_t)v));
}

static void llmgw_stats_json(struct llmgw_sess *e, json_object *o)
{
	struct llmproxy_stats st;

	llmproxy_stats(e->proxy, &st);
	llmgw_add_u64(o, "total_requests", st.requests);
	llmgw_add_u64(o, "requests_with_redactions", st.redacted);
	llmgw_add_u64(o, "requests_refused", st.refused);
	llmgw_add_u64(o, "responses_failed", st.failed);
	llmgw_add_u64(o, "responses_without_usage", st.usage_unknown);
	llmgw_add_u64(o, "total_input_tokens", st.usage.input);
	llmgw_add_u64(o, "total_output_tokens", st.usage.output);
	llmgw_add_u64(o, "total_cache_read_tokens", st.usage.cache_read);
	llmgw_add_u64(o, "total_cache_creation_tokens", st.usage.cache_creation);
	llmgw_add_u64(o, "total_reasoning_tokens", st.usage.reasoning);
	llmgw_add_u64(o, "tokens_in_map", st.tokens);
}

json_object *llmgw_json(struct daemon *d, const char *sid)
{
	static const char *const dm[] = {"redact", "tokenize", "disabled"};
	json_object *o = json_object_new_object();
	struct llmgw_sess *e = llmgw_find(d, sid);
	char addr[64];

	json_object_object_add(o, "state", json_object_new_string(
		d->llmgw == NULL ? "disabled" : e ? "running" : "failed"));
	json_object_object_add(o, "mode", json_object_new_string(
		d->cfg->proxy.mode == CONFIG_PROXY_EMBEDDED ? "embedded" :
		"disabled"));
	json_object_object_add(o, "dlp_mode", json_object_new_string(
		dm[d->cfg->dlp.mode < 3 ? d->cfg->dlp.mode : 2]));
	if (d->llmgw)
		llmgw_names(d, o);
	if (e == NULL)
		return o;
	snprintf(addr, sizeof(addr), "%s:%u", LLMGW_HOST, (unsigned)e->port);
	json_object_object_add(o, "address", json_object_new_string(addr));
	llmgw_stats_json(e, o);
	return o;
}
