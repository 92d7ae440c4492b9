/*
 * One request on a client connection: read it, pick the provider and the
 * dialect, scan and rewrite the body, forward it, relay the answer.
 *
 * A body on a scanned route that cannot be decoded or parsed, or is too
 * large, is refused (never forwarded unscanned). With DLP on, a request
 * with a body on a route we do not understand is refused too; requests
 * without a body (GET /v1/models and the like) pass unchanged.
 */
#include "llmproxy/llmproxy_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/json.h"
#include "common/str.h"

#define LLMP_HDRVAL_MAX 256  /* a header value we look at */

/* What one request turned into; filled as it goes. */
struct llmp_job {
	enum llm_dialect d;
	enum llmp_provider prov;
	char method[16];
	const char *fwd;        /* the body to forward */
	size_t fwd_len;
	bool changed, keep_alive, head_only;
	struct llmp_scan sc;
	struct llmproxy_event ev;
	char path[LLMP_LINE_MAX + 1];
};

int llmp_answer_error(struct llmp_conn *c, int status, const char *msg)
{
	struct buf b, h;
	int r;

	buf_init(&b, 4096);
	buf_puts(&b, "{\"type\":\"error\",\"error\":{\"type\":\"agentsh_llm_proxy\","
		 "\"message\":");
	json_str(&b, msg);
	buf_puts(&b, "}}");
	buf_init(&h, 512);
	buf_printf(&h, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
		   "Content-Length: %zu\r\nConnection: close\r\n\r\n", status,
		   status >= 500 ? "Bad Gateway" : "Refused", b.len);
	r = llmp_write_all(c->cfd, h.data, h.len);
	if (r == 0)
		r = llmp_write_all(c->cfd, b.data, b.len);
	buf_release(&h);
	buf_release(&b);
	return r;
}

/* Feed buffered client bytes to the parser; 1 when the request is whole,
 * 0 when more bytes are needed, <0 on a parse error. */
static int llmp_parse_some(struct llmp_conn *c)
{
	struct llmp_msg *m = &c->req;
	const char *s = c->in + c->in_off;
	size_t n = c->in_len - c->in_off;
	enum llhttp_errno e = llhttp_execute(&m->parser, s, n);

	if (e == HPE_PAUSED) {
		c->in_off += (size_t)(llhttp_get_error_pos(&m->parser) - s);
		return 1;
	}
	c->in_off = c->in_len;
	return e == HPE_OK ? 0 : -EINVAL;
}

/* Read one whole request; 0, or <0 with the connection to be closed
 * (an answer already sent where one was due). */
static int llmp_read_request(struct llmp_conn *c)
{
	char ex[LLMP_HDRVAL_MAX];
	bool sent100 = false, any = false;
	int r;

	for (;;) {
		if (c->in_off < c->in_len) {
			any = true;
			r = llmp_parse_some(c);
			if (c->req.err) {
				llmp_answer_error(c, c->req.status, "request "
						  "refused: too large or malformed");
				return -EINVAL;
			}
			if (r < 0) {
				llmp_answer_error(c, 400, "malformed HTTP request");
				return r;
			}
			if (r == 1)
				return 0;
		}
		if (c->req.headers_done && !sent100 &&
		    llmp_header(&c->req, "expect", ex, sizeof(ex)) &&
		    strcasecmp(ex, "100-continue") == 0) {
			sent100 = true;
			llmp_write_all(c->cfd, "HTTP/1.1 100 Continue\r\n\r\n", 25);
		}
		ssize_t got = read(c->cfd, c->in, sizeof(c->in));
		if (got <= 0) {
			if (got < 0 && any && errno == EAGAIN)
				llmp_answer_error(c, 408, "request timed out");
			return -EPIPE;
		}
		c->in_off = 0;
		c->in_len = (size_t)got;
	}
}

/* The provider: by the original's header rule, else by the route. */
static int llmp_pick(struct llmp_conn *c, struct llmp_job *j)
{
	char v[LLMP_HDRVAL_MAX];

	if (llmp_header(&c->req, "x-api-key", v, sizeof(v)) ||
	    llmp_header(&c->req, "anthropic-version", v, sizeof(v)))
		j->prov = LLMP_ANTHROPIC;
	else if (llmp_header(&c->req, "authorization", v, sizeof(v)))
		j->prov = LLMP_OPENAI;
	else if (j->d == LLM_ANTHROPIC_MESSAGES ||
		 j->d == LLM_ANTHROPIC_COUNT_TOKENS)
		j->prov = LLMP_ANTHROPIC;
	else if (j->d != LLM_UNKNOWN)
		j->prov = LLMP_OPENAI;
	else
		return -ENOENT;
	return 0;
}

static void llmp_refuse_status(int r, int *status, const char **why)
{
	switch (r) {
	case -EPROTONOSUPPORT:
		*status = 415, *why = "unknown Content-Encoding";
		break;
	case -E2BIG:
		*status = 413, *why = "body too large to scan";
		break;
	case -EINVAL:
		*status = 400, *why = "body is not valid JSON for this route";
		break;
	case -ENOSPC:
		*status = 503, *why = "token map of the session is full";
		break;
	case -EIO:
		*status = 503, *why = "the DLP engine is not available";
		break;
	default:
		*status = 500, *why = "body could not be scanned";
	}
}

/* Decode and rewrite a scanned body; 0 or <0 with ev.status/error set. */
static int llmp_scan_body(struct llmp_conn *c, struct llmp_job *j)
{
	char enc[LLMP_HDRVAL_MAX];
	const char *e = llmp_header(&c->req, "content-encoding", enc, sizeof(enc));
	const char *src = c->req.body.data;
	size_t n = c->req.body.len;
	int r = 0;

	/* Identity bodies are scanned where they are (no copy). */
	if (e && e[0] && strcasecmp(e, "identity") != 0) {
		r = llmp_body_decode(e, src, n, &c->dec);
		src = c->dec.data ? c->dec.data : "";
		n = c->dec.len;
	} else if (n > LLM_BODY_MAX) {
		r = -E2BIG;
	}
	if (r == 0)
		r = llmp_body_rewrite(c->p, j->d, src, n, &c->rew, &j->changed,
				      &j->sc);
	if (r < 0) {
		llmp_refuse_status(r, &j->ev.status, &j->ev.error);
		return r;
	}
	if (j->changed) {
		j->fwd = c->rew.data;
		j->fwd_len = c->rew.len;
	}
	return 0;
}

/* Decide what to forward; <0 with the refusal in j->ev. */
static int llmp_prepare(struct llmp_conn *c, struct llmp_job *j)
{
	j->fwd = c->req.body.data ? c->req.body.data : "";
	j->fwd_len = c->req.body.len;
	if (llmp_pick(c, j) < 0) {
		j->ev.status = 400;
		j->ev.error = "unknown LLM dialect (no x-api-key, "
			      "anthropic-version or Authorization header)";
		return -ENOENT;
	}
	if (c->p->dlp == LLMPROXY_DLP_OFF || c->req.body.len == 0)
		return 0;
	if (j->d == LLM_UNKNOWN) {
		j->ev.status = 403;
		j->ev.error = "request body on a route the DLP does not "
			      "understand";
		return -EPERM;
	}
	return llmp_scan_body(c, j);
}

static void llmp_host_header(const struct llmp_upstream *u, struct buf *b)
{
	bool v6 = strchr(u->host, ':') != NULL;
	bool dflt = strcmp(u->port, u->tls ? "443" : "80") == 0;

	buf_printf(b, v6 ? "Host: [%s]" : "Host: %s", u->host);
	if (!dflt)
		buf_printf(b, ":%s", u->port);
	buf_puts(b, "\r\n");
}

/* The upstream request head. */
static int llmp_up_head(struct llmp_conn *c, struct llmp_job *j,
			struct buf *h)
{
	const struct llmp_upstream *u = &c->p->up[j->prov];
	const char *l = c->req.head.data, *end = l ? l + c->req.head.len : NULL;

	buf_init(h, LLMP_HEAD_MAX + LLMP_LINE_MAX + 1024);
	buf_printf(h, "%s %s%s HTTP/1.1\r\n", j->method, u->prefix,
		   c->req.url.data ? c->req.url.data : "/");
	llmp_host_header(u, h);
	while (l && l < end) {
		const char *eol = memchr(l, '\r', (size_t)(end - l));
		size_t n = (size_t)(eol - l);
		bool ce = n > 17 && strncasecmp(l, "content-encoding:", 17) == 0;
		if (!llmp_hop_header(l, n) && !(ce && j->changed))
			buf_append(h, l, n + 2);
		l = eol + 2;
	}
	if (j->fwd_len > 0 || c->req.parser.flags & F_CONTENT_LENGTH ||
	    c->req.parser.flags & F_CHUNKED)
		buf_printf(h, "Content-Length: %zu\r\n", j->fwd_len);
	/* HTTP/1.1 without Connection: close keeps the connection for reuse. */
	return buf_puts(h, "Accept-Encoding: identity\r\n\r\n");
}

/* Open a connection (pooled unless fresh) and send head h and the body. */
static int llmp_send(struct llmp_conn *c, struct llmp_job *j,
		     const struct buf *h, bool fresh)
{
	int r = llmp_up_open(c, &c->p->up[j->prov], fresh);

	if (r < 0) {
		j->ev.status = 502;
		j->ev.error = r == -EKEYREJECTED ? "upstream certificate "
			"verification failed" : "upstream unreachable";
		return r;
	}
	r = llmp_up_write(c, h->data, h->len);
	if (r == 0 && j->fwd_len)
		r = llmp_up_write(c, j->fwd, j->fwd_len);
	if (r < 0) {
		j->ev.status = 502;
		j->ev.error = "upstream closed while sending the request";
	}
	return r;
}

static int llmp_forward(struct llmp_conn *c, struct llmp_job *j, bool fresh)
{
	struct buf h;
	int r = llmp_up_head(c, j, &h);

	if (r < 0) {
		j->ev.status = 502;
		j->ev.error = "upstream request could not be built";
		buf_release(&h);
		return r;
	}
	r = llmp_send(c, j, &h, fresh);
	/* A pooled connection the upstream closed while it was idle, with no
	 * answer started: the request goes once more on a new one. */
	if (r < 0 && c->ureused && llmp_up_stale(r) && !llmp_up_answered(c)) {
		llmp_up_close(c);
		j->ev.status = 0;
		j->ev.error = NULL;
		r = llmp_send(c, j, &h, true);
	}
	buf_release(&h);
	return r;
}

static void llmp_job_init(struct llmp_conn *c, struct llmp_job *j)
{
	const char *url = c->req.url.data ? c->req.url.data : "/";

	memset(j, 0, sizeof(*j));
	str_lcpy(j->method, llhttp_method_name(llhttp_get_method(&c->req.parser)),
		 sizeof(j->method));
	str_lcpy(j->path, url, sizeof(j->path));
	j->path[strcspn(j->path, "?#")] = '\0'; /* queries may hold keys */
	j->d = llm_route(j->method, url);
	j->keep_alive = llhttp_should_keep_alive(&c->req.parser) != 0;
	j->head_only = strcmp(j->method, "HEAD") == 0;
	c->client_http10 = c->req.parser.http_major == 1 &&
			   c->req.parser.http_minor == 0;
	j->ev.type = "llm_request";
	j->ev.dialect = llm_dialect_name(j->d);
	j->ev.method = j->method;
	j->ev.path = j->path;
	j->ev.body_bytes = c->req.body.len;
}

/* Relay the answer; a pooled connection that turns out closed before its
 * first byte gets the request once more on a new one (never twice). */
static int llmp_relay(struct llmp_conn *c, struct llmp_job *j,
		      struct llmproxy_event *re)
{
	int st = llmp_relay_response(c, j->d, j->head_only, &re->usage,
				     &re->usage_known);

	if (st != -ESTALE)
		return st;
	llmp_up_close(c);
	st = llmp_forward(c, j, true);
	if (st < 0) {
		llmp_answer_error(c, j->ev.status, j->ev.error);
		return st;
	}
	return llmp_relay_response(c, j->d, j->head_only, &re->usage,
				   &re->usage_known);
}

/* Forward and relay; the llm_response event. 0 to keep the connection. */
static int llmp_exchange(struct llmp_conn *c, struct llmp_job *j)
{
	struct llmproxy_event re = {0};
	int st;

	re.type = "llm_response";
	re.dialect = j->ev.dialect;
	re.method = j->method;
	re.path = j->path;
	re.metered = j->d != LLM_UNKNOWN && j->d != LLM_ANTHROPIC_COUNT_TOKENS;
	st = llmp_relay(c, j, &re);
	llmp_up_release(c);
	re.status = st < 0 ? 502 : st;
	re.error = st < 0 ? "upstream answer cut or malformed" : NULL;
	re.duration_ms = llmp_now_ms() - c->t0_ms;
	llmp_emit(c->p, &re);
	return st < 0 || !j->keep_alive || c->client_http10 ? -EPIPE : 0;
}

/* Keep a connection's body buffers for its next request (fresh memory
 * costs a page fault per 4 KiB), unless they grew past LLMP_KEEP_MAX. */
static void llmp_conn_trim(struct llmp_conn *c)
{
	struct buf *b[] = {&c->dec, &c->rew, &c->req.body};

	for (size_t i = 0; i < 3; i++) {
		if (b[i]->cap > LLMP_KEEP_MAX)
			buf_release(b[i]);
		else
			buf_reset(b[i]);
	}
}

int llmp_serve_one(struct llmp_conn *c)
{
	struct llmp_job j;
	int r = llmp_read_request(c);

	if (r < 0)
		return r;
	c->t0_ms = llmp_now_ms();
	llmp_job_init(c, &j);
	r = llmp_prepare(c, &j);
	if (r == 0)
		r = llmp_forward(c, &j, false);
	j.ev.changed = j.changed;
	j.ev.refused = r < 0;
	j.ev.red = j.sc.red;
	j.ev.nred = j.sc.nred;
	j.ev.nred_more = j.sc.more;
	j.ev.forwarded_bytes = r < 0 ? 0 : j.fwd_len;
	llmp_emit(c->p, &j.ev);
	if (r < 0) {
		llmp_up_close(c);
		llmp_answer_error(c, j.ev.status, j.ev.error);
	} else {
		r = llmp_exchange(c, &j); /* a retry re-sends j.fwd: trim after */
	}
	llmp_conn_trim(c);
	return r;
}
