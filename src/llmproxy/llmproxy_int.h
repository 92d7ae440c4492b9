/* The LLM proxy's internals, shared by its files. */
#ifndef AGENTSH_LLMPROXY_INT_H
#define AGENTSH_LLMPROXY_INT_H

#include <llhttp.h>
#include <openssl/ssl.h>
#include <stdatomic.h>

#include "common/buf.h"
#include "llmproxy/llmproxy.h"

#define LLMP_HOST_MAX 256          /* an upstream host name */
#define LLMP_PREFIX_MAX 256        /* an upstream path prefix */
#define LLMP_LINE_MAX 8192         /* request target, one header line */
#define LLMP_HEAD_MAX 65536        /* a whole request or response head */
#define LLMP_HEADERS_MAX 128       /* header lines of a head */
#define LLMP_RAW_MAX (64u << 20)   /* request body as received */
#define LLMP_READ 65536            /* one read from a socket */
#define LLMP_REASON_MAX 64         /* a status line's reason phrase */
#define LLMP_KEEP_MAX (16u << 20)  /* body buffer kept between requests */

enum llmp_provider { LLMP_ANTHROPIC, LLMP_OPENAI, LLMP_PROVIDERS };

/* A provider URL taken apart. */
struct llmp_upstream {
	bool tls;
	char host[LLMP_HOST_MAX];
	char port[8];
	char prefix[LLMP_PREFIX_MAX]; /* "" or "/x/y" without a trailing / */
};

/* An idle upstream connection in a proxy's pool. */
struct llmp_idle {
	const struct llmp_upstream *u; /* where it goes: the pool's key */
	int fd;
	SSL *ssl;                      /* NULL: plain */
	int64_t since_ms;              /* pooled at */
};

struct llmproxy {
	struct llmproxy_ops ops;
	void *arg;
	char tag[LLMPROXY_TAG_MAX];
	struct llmp_upstream up[LLMP_PROVIDERS];
	struct llmproxy_engine *eng;
	enum llmproxy_dlp dlp;
	struct dlp_session *ds;    /* tokenize mode: the token map */
	struct llmproxy_tls *tls;
	int64_t idle_ms, upstream_ms, connect_ms;
	int lfd, wakefd;
	pthread_t acc;
	pthread_mutex_t mu;        /* refs, conns, st, pool */
	pthread_cond_t cv;
	int refs;                  /* owner + accept thread + connections */
	int nconns;
	struct llmp_conn *conns;
	atomic_bool stop;
	struct llmproxy_stats st;
	struct llmp_idle pool[LLMPROXY_POOL_MAX]; /* oldest first */
	size_t npool;
	int64_t pool_idle_ms;
};

/* One HTTP message head and body as parsed by llhttp. */
struct llmp_msg {
	llhttp_t parser;
	llhttp_settings_t settings;
	struct buf url, head, body; /* head: "Name: value\r\n" lines */
	char reason[LLMP_REASON_MAX];
	size_t line_start, nheaders;
	int hstate;                 /* 0 none, 1 in a name, 2 in a value */
	int err, status;            /* err: why it failed; status: to answer */
	bool headers_done, complete;
	bool keep_alive;            /* at completion: the connection may stay */
	/* Responses: called at the end of the head (0, 1: no body, -1) and
	 * with each piece of the body instead of buffering it. */
	int (*head_cb)(void *ctx);
	int (*body_cb)(void *ctx, const char *p, size_t n);
	void *ctx;
};

struct llmp_conn {
	struct llmproxy *p;
	int cfd, ufd;
	SSL *ussl;
	const struct llmp_upstream *uup; /* where ufd goes */
	bool ureused;               /* ufd came from the pool */
	bool ukeep;                 /* ufd's last answer ended cleanly */
	struct llmp_conn *next, *prev;
	char in[LLMP_READ];
	size_t in_off, in_len;
	struct llmp_msg req;
	struct buf dec, rew;        /* decoded and rewritten request body */
	bool client_http10;
	int64_t t0_ms;
};

/* Upstream I/O (plain or TLS) on a connection. */
int llmp_up_parse(const char *url, struct llmp_upstream *u);
/* A pooled connection to u (unless fresh), else a new one. */
int llmp_up_open(struct llmp_conn *c, const struct llmp_upstream *u,
		 bool fresh);
void llmp_up_close(struct llmp_conn *c);
/* Back to the pool when c->ukeep, else closed. */
void llmp_up_release(struct llmp_conn *c);
int llmp_up_write(struct llmp_conn *c, const void *p, size_t n);
ssize_t llmp_up_read(struct llmp_conn *c, void *p, size_t n);
/* A failure (or 0: end) that a connection closed while idle shows. */
bool llmp_up_stale(ssize_t r);
/* Are bytes from upstream (the start of an answer) waiting unread? */
bool llmp_up_answered(struct llmp_conn *c);

/* The idle upstream connections (llmproxy_pool.c). */
int llmp_pool_take(struct llmproxy *p, const struct llmp_upstream *u,
		   int *fd, SSL **ssl);
void llmp_pool_put(struct llmp_conn *c);
void llmp_pool_clear(struct llmproxy *p);

/* Blocking writes to the client; 0 or -errno. */
int llmp_write_all(int fd, const void *p, size_t n);

/* Message parsing (llmproxy_msg.c). */
void llmp_msg_init(struct llmp_msg *m, llhttp_type_t type);
void llmp_msg_reset(struct llmp_msg *m);
void llmp_msg_release(struct llmp_msg *m);
/* Value of header name in m's head (copied into out); NULL if absent. */
const char *llmp_header(const struct llmp_msg *m, const char *name,
			char *out, size_t outlen);
/* Does a header line of name "n" belong to one hop only? */
bool llmp_hop_header(const char *line, size_t n);

/* The request: route, scan, forward, answer (llmproxy_req.c). */
int llmp_serve_one(struct llmp_conn *c);
/* A JSON error answer to the client; 0 or -errno. */
int llmp_answer_error(struct llmp_conn *c, int status, const char *msg);

/* Body decoding and rewriting (llmproxy_body.c). */
struct llmp_scan {
	struct llmproxy *p;
	const char *jpath;
	struct llmproxy_redaction red[LLMPROXY_REDACTIONS_MAX];
	char paths[LLMPROXY_REDACTIONS_MAX][LLM_JSON_PATH_MAX];
	size_t nred, more;
};
int llmp_body_decode(const char *enc, const char *in, size_t n,
		     struct buf *out);
int llmp_body_rewrite(struct llmproxy *p, enum llm_dialect d, const char *b,
		      size_t n, struct buf *out, bool *changed,
		      struct llmp_scan *sc);

/* The response (llmproxy_resp.c): relay, transform, count; the status
 * sent to the client (or <0 when nothing could be sent). */
int llmp_relay_response(struct llmp_conn *c, enum llm_dialect d,
			bool head_only, struct llm_usage *u, bool *usage_known);

/* Account and report (llmproxy.c). */
void llmp_emit(struct llmproxy *p, struct llmproxy_event *ev);
int64_t llmp_now_ms(void);

#endif
