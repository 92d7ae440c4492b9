/*
 * The upstream's answer back to the client. A 2xx answer of a known
 * dialect goes through llm_stream (SSE events as soon as they are whole,
 * a JSON body at its end) with tokens restored and usage read, re-framed
 * with chunked encoding; anything else is relayed as it came.
 */
#include "llmproxy/llmproxy_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dlp/dlp_tok.h"

#define LLMP_OUT_MAX (LLM_BODY_MAX + LLM_SSE_EVENT_MAX) /* one flush */
#define LLMP_CT_MAX 256 /* a Content-Type we look at */

struct llmp_resp {
	struct llmp_conn *c;
	struct llmp_msg m;
	enum llm_dialect d;
	struct llm_stream *st;
	struct buf out;
	bool head_only, chunked, sent_head;
	bool extra;                 /* bytes after the answer's end */
	size_t got;                 /* bytes read from upstream */
	int err;
};

static int llmp_restore(void *arg, const char *tok, size_t n,
			enum llm_lane lane, struct buf *out)
{
	struct llmproxy *p = arg;
	int r;

	pthread_mutex_lock(&p->eng->lock);
	r = dlp_session_restore(p->ds, tok, n, (enum dlp_lane)lane, out);
	pthread_mutex_unlock(&p->eng->lock);
	return r;
}

/* Send bytes to the client in the framing chosen for this answer. */
static int llmp_send(struct llmp_resp *rs, const char *p, size_t n)
{
	char sz[24];
	int r;

	if (n == 0 || rs->err)
		return rs->err;
	if (rs->chunked) {
		int l = snprintf(sz, sizeof(sz), "%zx\r\n", n);
		r = llmp_write_all(rs->c->cfd, sz, (size_t)l);
		if (r == 0)
			r = llmp_write_all(rs->c->cfd, p, n);
		if (r == 0)
			r = llmp_write_all(rs->c->cfd, "\r\n", 2);
	} else {
		r = llmp_write_all(rs->c->cfd, p, n);
	}
	if (r < 0)
		rs->err = r;
	return r;
}

/* Start a transformer when the answer is one we understand. */
static void llmp_resp_transform(struct llmp_resp *rs)
{
	struct llmproxy *p = rs->c->p;
	struct llm_restore_hooks h = {llmp_restore, p};
	char ct[LLMP_CT_MAX], ce[LLMP_CT_MAX];
	int status = rs->m.parser.status_code;
	bool sse;

	if (rs->d == LLM_UNKNOWN || rs->head_only || status < 200 ||
	    status > 299)
		return;
	if (llmp_header(&rs->m, "content-encoding", ce, sizeof(ce)) &&
	    strcasecmp(ce, "identity") != 0)
		return; /* not asked for: relayed unread */
	sse = llmp_header(&rs->m, "content-type", ct, sizeof(ct)) &&
	      strncasecmp(ct, "text/event-stream", 17) == 0;
	if (llm_stream_new(rs->d, sse, p->ds ? &h : NULL, &rs->st) < 0)
		rs->st = NULL;
}

static int llmp_resp_head(void *ctx)
{
	struct llmp_resp *rs = ctx;
	struct llmp_msg *m = &rs->m;
	const char *l = m->head.data, *end = l ? l + m->head.len : NULL;
	char cl[32];
	bool has_cl = llmp_header(m, "content-length", cl, sizeof(cl)) != NULL;
	struct buf h;

	llmp_resp_transform(rs);
	buf_init(&h, LLMP_HEAD_MAX + 256);
	buf_printf(&h, "HTTP/1.1 %d %s\r\n", m->parser.status_code,
		   m->reason[0] ? m->reason : "Status");
	while (l && l < end) {
		const char *eol = memchr(l, '\r', (size_t)(end - l));
		if (!llmp_hop_header(l, (size_t)(eol - l)))
			buf_append(&h, l, (size_t)(eol - l) + 2);
		l = eol + 2;
	}
	if (has_cl && (rs->st == NULL || rs->head_only))
		buf_printf(&h, "Content-Length: %s\r\n", cl);
	else if (rs->head_only || m->parser.status_code == 204 ||
		 m->parser.status_code == 304)
		;
	else if (rs->c->client_http10)
		buf_puts(&h, "Connection: close\r\n");
	else
		rs->chunked = true, buf_puts(&h, "Transfer-Encoding: chunked\r\n");
	buf_puts(&h, "\r\n");
	rs->err = llmp_write_all(rs->c->cfd, h.data, h.len);
	rs->sent_head = rs->err == 0;
	buf_release(&h);
	if (rs->err)
		return -1;
	return rs->head_only ? 1 : 0;
}

static int llmp_resp_body(void *ctx, const char *p, size_t n)
{
	struct llmp_resp *rs = ctx;

	if (rs->st == NULL)
		return llmp_send(rs, p, n) < 0 ? -1 : 0;
	buf_reset(&rs->out);
	if (llm_stream_feed(rs->st, p, n, &rs->out) < 0) {
		rs->err = -EPROTO;
		return -1;
	}
	return llmp_send(rs, rs->out.data, rs->out.len) < 0 ? -1 : 0;
}

/* Read from upstream until the answer is whole; 0 or <0, -ESTALE when a
 * pooled connection ended or was reset before the first byte. */
static int llmp_resp_pump(struct llmp_resp *rs)
{
	char buf[LLMP_READ];
	enum llhttp_errno e = HPE_OK;

	while (!rs->m.complete) {
		ssize_t n = llmp_up_read(rs->c, buf, sizeof(buf));
		if (n <= 0 && rs->got == 0 && rs->c->ureused && llmp_up_stale(n))
			return -ESTALE;
		if (n < 0)
			return (int)n;
		if (n == 0) {
			e = llhttp_finish(&rs->m.parser);
			if (e != HPE_OK && e != HPE_PAUSED)
				return -EPIPE;
			return rs->m.complete ? 0 : -EPIPE;
		}
		rs->got += (size_t)n;
		e = llhttp_execute(&rs->m.parser, buf, (size_t)n);
		if (rs->err)
			return rs->err;
		if (e != HPE_OK && e != HPE_PAUSED)
			return -EPROTO;
		rs->extra = rs->m.complete &&
			    llhttp_get_error_pos(&rs->m.parser) != buf + n;
	}
	return 0;
}

/* May the connection carry the next request? Only after a final HTTP/1.1
 * answer that kept it open and was read exactly to its end. */
static bool llmp_resp_reusable(const struct llmp_resp *rs)
{
	const llhttp_t *h = &rs->m.parser;
	SSL *ssl = rs->c->ussl;

	return rs->m.complete && rs->m.keep_alive && !rs->extra &&
	       h->status_code >= 200 && h->http_major == 1 &&
	       h->http_minor >= 1 && (ssl == NULL || !SSL_has_pending(ssl));
}

/* The end of a transformed or chunked answer. */
static int llmp_resp_end(struct llmp_resp *rs)
{
	if (rs->st) {
		buf_reset(&rs->out);
		if (llm_stream_finish(rs->st, &rs->out) < 0)
			return -EPROTO;
		if (llmp_send(rs, rs->out.data, rs->out.len) < 0)
			return rs->err;
	}
	if (rs->chunked)
		return llmp_write_all(rs->c->cfd, "0\r\n\r\n", 5);
	return 0;
}

int llmp_relay_response(struct llmp_conn *c, enum llm_dialect d,
			bool head_only, struct llm_usage *u, bool *usage_known)
{
	struct llmp_resp rs = {.c = c, .d = d, .head_only = head_only};
	int r;

	llmp_msg_init(&rs.m, HTTP_RESPONSE);
	rs.m.head_cb = llmp_resp_head;
	rs.m.body_cb = llmp_resp_body;
	rs.m.ctx = &rs;
	buf_init(&rs.out, LLMP_OUT_MAX);
	r = llmp_resp_pump(&rs);
	if (r == 0 && rs.m.complete)
		r = llmp_resp_end(&rs);
	else if (r == 0)
		r = -EPIPE;
	c->ukeep = r == 0 && llmp_resp_reusable(&rs);
	if (rs.st) {
		llm_stream_usage(rs.st, u);
		*usage_known = r == 0 && u->known;
	}
	llm_stream_free(rs.st);
	buf_release(&rs.out);
	llmp_msg_release(&rs.m);
	/* A stale pooled connection is retried by the caller: no answer yet. */
	if (r < 0 && r != -ESTALE && !rs.sent_head)
		llmp_answer_error(c, 502, "upstream answer cut or malformed");
	return r < 0 ? r : rs.m.parser.status_code;
}
