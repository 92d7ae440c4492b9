/*
 * The embedded LLM reverse proxy: one loopback listener per session that
 * an agent's SDK talks to (ANTHROPIC_BASE_URL / OPENAI_BASE_URL). Request
 * bodies of the known routes are scanned and rewritten (llm/llm.h with
 * dlp/dlp_tok.h), forwarded over verified TLS to the configured provider,
 * and the answers are streamed back with tokens restored and usage counted.
 *
 * Concurrency: an accept thread and one thread per connection, blocking
 * sockets with timeouts; at most LLMPROXY_CONNS_MAX connections. Events
 * reach the owner through ops->event, called with ops->lock held.
 * Upstream connections are kept alive: an answer read to its end leaves
 * its connection in a small pool (LLMPROXY_POOL_*) for the next request.
 */
#ifndef AGENTSH_LLMPROXY_LLMPROXY_H
#define AGENTSH_LLMPROXY_LLMPROXY_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llm/llm.h"

#define LLMPROXY_CONNS_MAX 64          /* client connections of one proxy */
#define LLMPROXY_URL_MAX 512           /* a provider URL */
#define LLMPROXY_REDACTIONS_MAX 64     /* distinct (rule, path) in an event */
#define LLMPROXY_IDLE_MS 120000        /* client silent between requests */
#define LLMPROXY_UPSTREAM_MS 600000    /* upstream silent (slow models) */
#define LLMPROXY_CONNECT_MS 10000      /* upstream dial + TLS handshake */
#define LLMPROXY_TAG_MAX 80            /* the owner's name for a proxy */
#define LLMPROXY_POOL_MAX 16           /* idle upstream connections kept */
#define LLMPROXY_POOL_PER_UPSTREAM 8   /* of those, to one upstream */
#define LLMPROXY_POOL_IDLE_MS 30000    /* an idle upstream connection's life */

struct dlp_engine;
struct llmproxy;

/*
 * A DLP engine shared by the proxies of a daemon, published by its owner
 * once built (compiling takes long: it is done off the start path). A
 * scan waits for ready; ready with engine NULL means it failed, and
 * requests that need scanning are refused.
 */
struct llmproxy_engine {
	pthread_mutex_t lock;          /* held around every use of engine */
	pthread_cond_t cv;             /* signalled when ready is set */
	struct dlp_engine *engine;
	bool ready;
};

/* One aggregated redaction: never the value. */
struct llmproxy_redaction {
	const char *rule, *display, *path;
	unsigned count;
};

struct llmproxy_event {
	const char *type;              /* llm_request, llm_response */
	const char *tag;               /* llmproxy_opts.tag (a session id) */
	const char *dialect, *method, *path;
	const char *error;             /* why a request was refused */
	int status;                    /* answer sent to the client */
	const struct llmproxy_redaction *red;
	size_t nred, nred_more;        /* listed, and left off the list */
	size_t body_bytes, forwarded_bytes;
	bool changed, refused, usage_known;
	bool metered;                  /* a route that reports usage */
	struct llm_usage usage;
	int64_t duration_ms;
};

struct llmproxy_ops {
	void (*lock)(void *arg);       /* the owner's lock around event */
	void (*unlock)(void *arg);
	void (*event)(void *arg, const struct llmproxy_event *ev);
	/* Optional: the proxy's memory and threads are gone (no lock). */
	void (*gone)(void *arg);
};

enum llmproxy_dlp {
	LLMPROXY_DLP_OFF,      /* forward bodies unscanned */
	LLMPROXY_DLP_REDACT,   /* [REDACTED:<DISPLAY>] */
	LLMPROXY_DLP_TOKENIZE, /* PII tokens, restored in answers */
};

struct llmproxy_opts {
	const char *anthropic_url, *openai_url; /* scheme://host[:port][/p] */
	struct llmproxy_engine *eng;   /* shared; NULL with LLMPROXY_DLP_OFF */
	enum llmproxy_dlp dlp;
	struct llmproxy_tls *tls;      /* shared upstream TLS settings */
	const char *tag;               /* copied; handed back in events */
	int64_t idle_ms, upstream_ms, connect_ms; /* 0: the defaults above */
};

struct llmproxy_stats {
	uint64_t requests, redacted, refused, failed, usage_unknown;
	struct llm_usage usage;
	size_t tokens;                 /* tokens in the session's map */
};

/*
 * Upstream TLS settings shared by the proxies of a daemon: the system
 * trust store plus ca_file (NULL: none). Loading the store is slow, so it
 * happens at the first TLS connection, once. Free after the proxies.
 */
struct llmproxy_tls;
int llmproxy_tls_new(const char *ca_file, struct llmproxy_tls **out);
void llmproxy_tls_free(struct llmproxy_tls *t);

/*
 * A proxy (not yet listening). -EINVAL for a provider URL that cannot be
 * parsed, -EPERM for plain http:// to a host that is not loopback,
 * -ENOMEM, -EIO (TLS or randomness).
 */
int llmproxy_new(const struct llmproxy_opts *o, const struct llmproxy_ops *ops,
		 void *arg, struct llmproxy **out);
/* Listen on host:port (port 0: ephemeral) and start accepting. */
int llmproxy_listen(struct llmproxy *p, const char *host, uint16_t port,
		    uint16_t *port_out);
/*
 * The same with the listening socket in the network namespace netns_fd
 * (a transparent session's; -1: the caller's), while the accept and
 * connection threads, and so the upstream connections, stay in the
 * caller's.
 */
int llmproxy_listen_ns(struct llmproxy *p, int netns_fd, const char *host,
		       uint16_t port, uint16_t *port_out);
/*
 * Stop accepting, cut every connection, then free once the last thread is
 * gone: wait makes the call block until then (call it without ops' lock),
 * else the last thread frees. After return, no event is delivered (the
 * owner's lock, held by the caller when !wait, orders this). NULL: no-op.
 */
void llmproxy_free(struct llmproxy *p, bool wait);
void llmproxy_stats(struct llmproxy *p, struct llmproxy_stats *st);

#endif
