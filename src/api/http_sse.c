/*
 * Server-Sent Events: a 200 text/event-stream response without a length,
 * ended by closing the connection. Unsent bytes per connection are bounded
 * by sse_out_max: a client that reads too slowly is disconnected.
 */
#include "api/http_int.h"

#include <errno.h>
#include <string.h>

/* Per event: its name line, and "data: " plus "\n" per line of data. */
#define HTTP_SSE_EVENT_MAX 256

int http_sse_start(struct http_req *req)
{
	struct http_conn *c = req->conn;
	struct iovec iov;
	struct buf h;
	int r;

	if (req->finished || req->sse)
		return -EINVAL;
	req->held = true;
	req->sse = true;
	if (req->aborted || c->state == HTTP_CS_CLOSED)
		return -EPIPE;
	buf_init(&h, HTTP_RESP_EXTRA_MAX + 512);
	r = buf_puts(&h, "HTTP/1.1 200 OK\r\n"
		     "Content-Type: text/event-stream\r\n"
		     "Cache-Control: no-cache\r\n");
	if (r == 0 && req->extra.len > 0)
		r = buf_append(&h, req->extra.data, req->extra.len);
	if (r == 0)
		r = buf_puts(&h, "Connection: close\r\n\r\n");
	c->close_after = true;
	if (r == 0) {
		iov.iov_base = h.data;
		iov.iov_len = h.len;
		r = http_conn_write(c, &iov, 1, c->srv->cfg.sse_out_max);
	}
	buf_release(&h);
	if (r < 0 && c->state != HTTP_CS_CLOSED)
		http_conn_close(c, false);
	return r < 0 ? -EPIPE : 0;
}

/* Append "data: line\n" for each line of data (CRLF, CR or LF ends one). */
static int http_sse_data(struct buf *b, const char *d, size_t len)
{
	size_t i = 0;
	int r = 0;

	do {
		size_t s = i;

		while (i < len && d[i] != '\n' && d[i] != '\r')
			i++;
		r = buf_puts(b, "data: ");
		if (r == 0)
			r = buf_append(b, d + s, i - s);
		if (r == 0)
			r = buf_putc(b, '\n');
		if (i < len && d[i] == '\r' && i + 1 < len && d[i + 1] == '\n')
			i++;
		/* A line end as the last byte leaves one more (empty) line. */
		if (i < len)
			i++;
		else
			break;
	} while (r == 0);
	return r;
}

/* Checks shared by the send calls; 1 means "drop silently" (HEAD). */
static int http_sse_check(const struct http_req *req)
{
	if (!req->sse || req->finished)
		return -EINVAL;
	if (req->aborted || req->conn->state == HTTP_CS_CLOSED)
		return -EPIPE;
	return req->head ? 1 : 0;
}

/* Queue b on the stream or disconnect a reader that is too slow. */
static int http_sse_push(struct http_req *req, struct buf *b)
{
	struct http_conn *c = req->conn;
	struct iovec iov;
	int r;

	iov.iov_base = b->data;
	iov.iov_len = b->len;
	r = http_conn_write(c, &iov, 1, c->srv->cfg.sse_out_max);
	if (r == -ENOBUFS || r == -ENOMEM)
		http_conn_close(c, false);
	return r == -ENOMEM ? -ENOBUFS : r;
}

int http_sse_send(struct http_req *req, const char *event, const void *data,
		  size_t len)
{
	struct buf b;
	int r = http_sse_check(req);

	if (r != 0)
		return r < 0 ? r : 0;
	if (event != NULL && (event[0] == '\0' || strpbrk(event, "\r\n") ||
			      strlen(event) > HTTP_SSE_EVENT_MAX))
		return -EINVAL;
	buf_init(&b, req->conn->srv->cfg.sse_out_max + HTTP_SSE_EVENT_MAX);
	if (event != NULL)
		r = buf_printf(&b, "event: %s\n", event);
	if (r == 0)
		r = http_sse_data(&b, data, len);
	if (r == 0)
		r = buf_putc(&b, '\n');
	if (r == -E2BIG) {
		r = -EMSGSIZE; /* one event larger than the bound: caller's */
	} else if (r == 0) {
		r = http_sse_push(req, &b);
	}
	buf_release(&b);
	return r;
}

int http_sse_comment(struct http_req *req, const char *text)
{
	struct buf b;
	int r = http_sse_check(req);

	if (r != 0)
		return r < 0 ? r : 0;
	if (strpbrk(text, "\r\n") != NULL)
		return -EINVAL;
	buf_init(&b, req->conn->srv->cfg.sse_out_max);
	r = buf_printf(&b, ": %s\n\n", text);
	if (r == 0)
		r = http_sse_push(req, &b);
	buf_release(&b);
	return r;
}

void http_sse_end(struct http_req *req)
{
	struct http_conn *c = req->conn;

	if (!req->sse || req->finished)
		return;
	req->finished = true;
	if (c->req == req)
		c->req = NULL;
	http_conn_resp_queued(c);
	http_req_unref(req);
}
