/*
 * Running handlers and answering them: whole responses, deferred ones,
 * Server-Sent Events, and telling a handler that its client went away.
 */
#include "api/http_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HTTP_RESP_HEAD_MAX (HTTP_RESP_EXTRA_MAX + 512) /* status + headers */

static const struct {
	int code;
	const char *text;
} http_statuses[] = {
	{100, "Continue"}, {200, "OK"}, {201, "Created"}, {202, "Accepted"},
	{204, "No Content"}, {206, "Partial Content"},
	{301, "Moved Permanently"}, {302, "Found"}, {304, "Not Modified"},
	{400, "Bad Request"}, {401, "Unauthorized"}, {403, "Forbidden"},
	{404, "Not Found"}, {405, "Method Not Allowed"},
	{408, "Request Timeout"}, {409, "Conflict"}, {410, "Gone"},
	{411, "Length Required"}, {413, "Content Too Large"},
	{414, "URI Too Long"}, {415, "Unsupported Media Type"},
	{417, "Expectation Failed"}, {422, "Unprocessable Content"},
	{429, "Too Many Requests"},
	{431, "Request Header Fields Too Large"},
	{500, "Internal Server Error"}, {501, "Not Implemented"},
	{502, "Bad Gateway"}, {503, "Service Unavailable"},
	{504, "Gateway Timeout"}, {505, "HTTP Version Not Supported"},
};

const char *http_status_text(int status)
{
	for (size_t i = 0; i < sizeof(http_statuses) / sizeof(http_statuses[0]);
	     i++) {
		if (http_statuses[i].code == status)
			return http_statuses[i].text;
	}
	return "Unknown";
}

/* Answer a connection-level error (no handler ran) and close after. */
int http_resp_error(struct http_conn *c, int status)
{
	char head[256], body[HTTP_ERROR_BODY_MAX];
	struct iovec iov[2];
	int hn, bn, r;

	bn = snprintf(body, sizeof(body), "%s\n", http_status_text(status));
	hn = snprintf(head, sizeof(head),
		      "HTTP/1.1 %d %s\r\n"
		      "Content-Type: text/plain; charset=utf-8\r\n"
		      "Content-Length: %d\r\n"
		      "Connection: close\r\n\r\n",
		      status, http_status_text(status), bn);
	if (hn < 0 || (size_t)hn >= sizeof(head) || bn < 0 ||
	    (size_t)bn >= sizeof(body))
		return -EINVAL;
	iov[0].iov_base = head;
	iov[0].iov_len = (size_t)hn;
	iov[1].iov_base = body;
	iov[1].iov_len = (size_t)bn;
	c->close_after = true;
	r = http_conn_write(c, iov, 2, HTTP_RESP_MAX);
	if (r == -EPIPE)
		return 0;
	if (r == 0)
		http_conn_resp_queued(c);
	return r;
}

static void http_req_abort_fire(struct http_req *req)
{
	if (req->finished || req->abort_delivered || req->on_abort == NULL)
		return;
	req->abort_delivered = true;
	req->on_abort(req, req->abort_arg);
}

static void http_req_abort_deferred(void *arg)
{
	struct http_req *req = arg;

	http_req_abort_fire(req);
	http_req_unref(req);
}

/* Tell the owner (now, or from the loop) that the client is gone. */
static void http_req_abort_schedule(struct http_req *req, bool sync)
{
	http_req_ref(req);
	if (sync || loop_defer(req->conn->loop, http_req_abort_deferred,
			       req) < 0) {
		http_req_abort_fire(req);
		http_req_unref(req);
	}
}

void http_req_abort(struct http_req *req, bool sync)
{
	req->aborted = true;
	if (!req->finished && req->on_abort != NULL)
		http_req_abort_schedule(req, sync);
}

void http_req_on_abort(struct http_req *req, http_abort_cb cb, void *arg)
{
	req->on_abort = cb;
	req->abort_arg = arg;
	/* Registered after the disconnect: still deliver it, from the loop. */
	if (cb != NULL && req->aborted && !req->finished &&
	    !req->abort_delivered)
		http_req_abort_schedule(req, false);
}

int http_req_aborted(const struct http_req *req)
{
	return req->aborted;
}

void http_req_hold(struct http_req *req)
{
	req->held = true;
}

static bool http_is_tchar(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || (ch != '\0' &&
	       strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

int http_resp_header(struct http_req *req, const char *name,
		     const char *value)
{
	static const char *const reserved[] = {
		"Content-Length", "Content-Type", "Connection",
		"Transfer-Encoding",
	};

	if (req->finished || name[0] == '\0' || strpbrk(value, "\r\n"))
		return -EINVAL;
	for (const char *p = name; *p != '\0'; p++) {
		if (!http_is_tchar(*p))
			return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		if (strcasecmp(name, reserved[i]) == 0)
			return -EINVAL;
	}
	return buf_printf(&req->extra, "%s: %s\r\n", name, value);
}

/* Status line and headers of a response; closing decided here. */
static int http_resp_head(struct http_req *req, struct buf *h, int status,
			  const char *ctype, size_t len, bool sse)
{
	struct http_conn *c = req->conn;
	bool has_len = status != 204 && status != 304 && !sse;
	int r;

	if (!req->keep_alive || sse || c->srv->shutting_down)
		c->close_after = true;
	r = buf_printf(h, "HTTP/1.1 %d %s\r\n", status,
		       http_status_text(status));
	if (r == 0 && ctype != NULL)
		r = buf_printf(h, "Content-Type: %s\r\n", ctype);
	if (r == 0 && sse)
		r = buf_puts(h, "Cache-Control: no-cache\r\n");
	if (r == 0 && has_len)
		r = buf_printf(h, "Content-Length: %zu\r\n", len);
	if (r == 0 && req->extra.len > 0)
		r = buf_append(h, req->extra.data, req->extra.len);
	if (r == 0 && c->close_after)
		r = buf_puts(h, "Connection: close\r\n");
	else if (r == 0 && req->http10)
		r = buf_puts(h, "Connection: keep-alive\r\n");
	if (r == 0)
		r = buf_puts(h, "\r\n");
	return r;
}

/* Queue the response bytes; 500 instead when they cannot be built. */
static int http_resp_write(struct http_req *req, int status,
			   const char *ctype, const void *body, size_t len)
{
	struct http_conn *c = req->conn;
	bool bodyless = req->head || status == 204 || status == 304;
	struct iovec iov[2];
	struct buf h;
	int r;

	buf_init(&h, HTTP_RESP_HEAD_MAX);
	r = http_resp_head(req, &h, status, ctype, len, false);
	if (r == 0 && len > HTTP_RESP_MAX - h.len)
		r = -E2BIG;
	if (r < 0) {
		buf_release(&h);
		return r;
	}
	iov[0].iov_base = h.data;
	iov[0].iov_len = h.len;
	iov[1].iov_base = (void *)(uintptr_t)body;
	iov[1].iov_len = bodyless ? 0 : len;
	r = http_conn_write(c, iov, 2, HTTP_RESP_MAX);
	buf_release(&h);
	return r;
}

/* Mark req answered and drop the owner's reference. */
static void http_req_finish(struct http_req *req, bool queued)
{
	struct http_conn *c = req->conn;

	req->finished = true;
	if (c->req == req)
		c->req = NULL;
	if (queued)
		http_conn_resp_queued(c);
	http_req_unref(req);
}

int http_resp_send(struct http_req *req, int status, const char *ctype,
		   const void *body, size_t len)
{
	struct http_conn *c = req->conn;
	int r;

	if (req->finished || req->sse)
		return -EINVAL;
	if (req->aborted || c->state == HTTP_CS_CLOSED) {
		http_req_finish(req, false);
		return -EPIPE;
	}
	if (status < 200 || status > 599 || (body == NULL && len > 0)) {
		status = 500;
		ctype = NULL;
		len = 0;
	}
	r = http_resp_write(req, status, ctype, body, len);
	if (r == -E2BIG || r == -ENOMEM) {
		req->extra.len = 0;
		if (http_resp_write(req, 500, NULL, NULL, 0) < 0)
			http_conn_close(c, false);
	} else if (r < 0 && c->state != HTTP_CS_CLOSED) {
		http_conn_close(c, false);
	}
	http_req_finish(req, c->state != HTTP_CS_CLOSED);
	return r;
}

int http_resp_json(struct http_req *req, int status, const struct buf *b)
{
	return http_resp_send(req, status, "application/json", b->data,
			      b->len);
}

/* A short text/plain answer from the server itself (404, 405, 500). */
static void http_resp_plain(struct http_req *req, int status)
{
	const char *text = http_status_text(status);
	char body[HTTP_ERROR_BODY_MAX];
	int n = snprintf(body, sizeof(body), "%s\n", text);

	http_resp_send(req, status, "text/plain; charset=utf-8", body,
		       n > 0 ? (size_t)n : 0);
}

void http_req_dispatch(struct http_req *req)
{
	struct http_conn *c = req->conn;
	const struct http_route_def *r = NULL;
	struct buf allow;
	int rc;

	req->dispatched = true;
	c->state = HTTP_CS_HANDLING;
	http_conn_update(c);
	if (http_req_prepare(req) < 0) {
		req->keep_alive = false;
		http_resp_plain(req, 400);
		return;
	}
	buf_init(&allow, HTTP_RESP_EXTRA_MAX / 2);
	rc = http_route_match(c->srv, req, &r, &allow);
	if (rc == -EPERM) {
		http_resp_header(req, "Allow", allow.data ? allow.data : "");
		http_resp_plain(req, 405);
	} else if (rc < 0) {
		http_resp_plain(req, 404);
	} else {
		http_req_ref(req);
		r->fn(req, r->arg);
		/* A handler that neither answered nor held the request. */
		if (!req->finished && !req->held)
			http_resp_plain(req, 500);
		http_req_unref(req);
	}
	buf_release(&allow);
}
