/*
 * llhttp callbacks: collect the URL, headers and body of one request into
 * bounded buffers, enforce the limits, and stop the parser at the end of
 * each request so that requests on a connection are handled one at a time.
 */
#include "api/http_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/str.h"

enum { HTTP_HS_NONE, HTTP_HS_FIELD, HTTP_HS_VALUE };

static const char http_continue[] = "HTTP/1.1 100 Continue\r\n\r\n";

static struct http_req *http_req_new(struct http_conn *c)
{
	struct http_req *req = calloc(1, sizeof(*req));

	if (req == NULL)
		return NULL;
	req->conn = c;
	c->refs++;
	req->refs = 1;
	buf_init(&req->raw, HTTP_RAW_MAX);
	buf_init(&req->body, c->srv->cfg.body_max);
	buf_init(&req->extra, HTTP_RESP_EXTRA_MAX);
	req->path = "";
	req->query_raw = "";
	return req;
}

void http_req_ref(struct http_req *req)
{
	req->refs++;
}

void http_req_unref(struct http_req *req)
{
	struct http_conn *c;

	if (req == NULL || --req->refs > 0)
		return;
	c = req->conn;
	buf_release(&req->raw);
	buf_release(&req->body);
	buf_release(&req->extra);
	free(req->decoded);
	free(req->qbuf);
	free(req->q);
	free(req);
	http_conn_unref(c);
}

int http_parse_status(llhttp_errno_t e)
{
	switch (e) {
	case HPE_INVALID_METHOD:
		return 501;
	case HPE_INVALID_VERSION:
		return 505;
	default:
		return 400;
	}
}

/* Record a limit hit inside a callback; the parser then stops with -1. */
static int http_parse_fail(struct http_conn *c, int status)
{
	if (c->err_status == 0)
		c->err_status = status;
	return -1;
}

static int http_on_message_begin(llhttp_t *p)
{
	struct http_conn *c = p->data;

	c->err_status = 0;
	if (c->req != NULL)
		return http_parse_fail(c, 500);
	c->req = http_req_new(c);
	if (c->req == NULL)
		return http_parse_fail(c, 503);
	c->state = HTTP_CS_READING;
	/* The first request's header timeout has run since accept. */
	if (!c->first && http_conn_arm(c, c->srv->cfg.header_timeout_ms) < 0)
		return http_parse_fail(c, 503);
	c->first = false;
	return 0;
}

static int http_on_url(llhttp_t *p, const char *at, size_t len)
{
	struct http_conn *c = p->data;
	struct http_req *req = c->req;

	if (len > HTTP_URL_MAX - req->url_len)
		return http_parse_fail(c, 414);
	req->url_len += len;
	if (buf_append(&req->raw, at, len) < 0)
		return http_parse_fail(c, 503);
	return 0;
}

static int http_on_url_complete(llhttp_t *p)
{
	struct http_conn *c = p->data;

	if (buf_putc(&c->req->raw, '\0') < 0)
		return http_parse_fail(c, 503);
	return 0;
}

/* Count header bytes (trailers too); store them unless they are trailers. */
static int http_hdr_take(struct http_conn *c, const char *at, size_t len)
{
	struct http_req *req = c->req;

	if (len > HTTP_HEADER_BYTES_MAX - req->hdr_bytes)
		return http_parse_fail(c, 431);
	req->hdr_bytes += len;
	if (req->headers_done)
		return 0;
	if (buf_append(&req->raw, at, len) < 0)
		return http_parse_fail(c, 503);
	return 0;
}

static int http_on_header_field(llhttp_t *p, const char *at, size_t len)
{
	struct http_conn *c = p->data;
	struct http_req *req = c->req;

	if (req->hdr_state != HTTP_HS_FIELD) {
		if (req->hdr_lines >= HTTP_HEADER_COUNT_MAX)
			return http_parse_fail(c, 431);
		req->hdr_lines++;
		req->hdr_state = HTTP_HS_FIELD;
		if (!req->headers_done)
			req->hdr[req->nhdr].name = (uint32_t)req->raw.len;
	}
	return http_hdr_take(c, at, len);
}

static int http_on_header_field_complete(llhttp_t *p)
{
	struct http_conn *c = p->data;

	return http_hdr_take(c, "", c->req->headers_done ? 0 : 1);
}

static int http_on_header_value(llhttp_t *p, const char *at, size_t len)
{
	struct http_conn *c = p->data;
	struct http_req *req = c->req;

	if (req->hdr_state != HTTP_HS_VALUE) {
		req->hdr_state = HTTP_HS_VALUE;
		if (!req->headers_done)
			req->hdr[req->nhdr].value = (uint32_t)req->raw.len;
	}
	return http_hdr_take(c, at, len);
}

static int http_on_header_value_complete(llhttp_t *p)
{
	struct http_conn *c = p->data;
	struct http_req *req = c->req;
	int r;

	/* An empty value may come without any on_header_value call. */
	if (req->hdr_state != HTTP_HS_VALUE && !req->headers_done)
		req->hdr[req->nhdr].value = (uint32_t)req->raw.len;
	req->hdr_state = HTTP_HS_NONE;
	r = http_hdr_take(c, "", req->headers_done ? 0 : 1);
	if (r == 0 && !req->headers_done)
		req->nhdr++;
	return r;
}

/*
 * Expect: 100-continue gets its interim answer, queued for the next write
 * event (writing here could close the connection under the parser);
 * any other expectation is 417.
 */
static int http_expect(struct http_conn *c, bool has_body)
{
	const char *ex = http_req_header(c->req, "Expect");

	if (ex == NULL)
		return 0;
	if (strcasecmp(ex, "100-continue") != 0)
		return http_parse_fail(c, 417);
	if (!has_body || c->req->http10)
		return 0;
	if (buf_append(&c->out, http_continue, sizeof(http_continue) - 1) < 0)
		return http_parse_fail(c, 503);
	http_conn_update(c);
	return 0;
}

static int http_on_headers_complete(llhttp_t *p)
{
	struct http_conn *c = p->data;
	struct http_req *req = c->req;
	bool has_body = (p->flags & F_CHUNKED) ||
			((p->flags & F_CONTENT_LENGTH) &&
			 p->content_length > 0);

	req->headers_done = true;
	str_lcpy(req->method, llhttp_method_name(p->method),
		 sizeof(req->method));
	req->http10 = p->http_major == 1 && p->http_minor == 0;
	if ((p->flags & F_CONTENT_LENGTH) &&
	    p->content_length > c->srv->cfg.body_max)
		return http_parse_fail(c, 413);
	if (http_expect(c, has_body) < 0)
		return -1;
	if (has_body) {
		if (http_conn_arm(c, c->srv->cfg.body_timeout_ms) < 0)
			return http_parse_fail(c, 503);
	} else {
		http_conn_disarm(c);
	}
	return 0;
}

static int http_on_body(llhttp_t *p, const char *at, size_t len)
{
	struct http_conn *c = p->data;
	int r = buf_append(&c->req->body, at, len);

	if (r == -E2BIG)
		return http_parse_fail(c, 413);
	if (r < 0)
		return http_parse_fail(c, 503);
	return 0;
}

static int http_on_message_complete(llhttp_t *p)
{
	struct http_conn *c = p->data;

	/* After an upgrade or CONNECT the bytes are not HTTP: close after. */
	c->req->keep_alive = llhttp_should_keep_alive(p) && !p->upgrade;
	c->state = HTTP_CS_DISPATCH;
	http_conn_disarm(c);
	return HPE_PAUSED;
}

void http_parse_settings(llhttp_settings_t *s)
{
	llhttp_settings_init(s);
	s->on_message_begin = http_on_message_begin;
	s->on_url = http_on_url;
	s->on_url_complete = http_on_url_complete;
	s->on_header_field = http_on_header_field;
	s->on_header_field_complete = http_on_header_field_complete;
	s->on_header_value = http_on_header_value;
	s->on_header_value_complete = http_on_header_value_complete;
	s->on_headers_complete = http_on_headers_complete;
	s->on_body = http_on_body;
	s->on_message_complete = http_on_message_complete;
}

/* Decode the path and split it into segments; -EINVAL answers 400. */
static int http_req_split_path(struct http_req *req, const char *raw,
			       size_t plen)
{
	char *out;
	size_t dl;
	const char *s = raw + 1, *end = raw + plen;

	req->decoded = malloc(2 * (plen + 1));
	if (req->decoded == NULL)
		return -ENOMEM;
	if (http_pct_decode(raw, plen, req->decoded, false, &dl) < 0)
		return -EINVAL;
	req->path = req->decoded;
	out = req->decoded + dl + 1;
	for (;;) {
		const char *e = memchr(s, '/', (size_t)(end - s));
		size_t sl = (size_t)((e ? e : end) - s);

		if (req->nseg == HTTP_ROUTE_SEGS_MAX) {
			req->nseg++; /* too many for any route: 404 */
			break;
		}
		if (http_pct_decode(s, sl, out, false, &dl) < 0)
			return -EINVAL;
		if (strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
			return -EINVAL;
		req->seg[req->nseg++] = out;
		out += dl + 1;
		if (e == NULL)
			break;
		s = e + 1;
	}
	return 0;
}

int http_req_prepare(struct http_req *req)
{
	char *url = req->raw.data;
	size_t ulen = req->url_len;
	char *q, *h;

	if (url == NULL || ulen == 0 || url[0] != '/')
		return -EINVAL;
	h = memchr(url, '#', ulen);
	if (h != NULL) {
		*h = '\0';
		ulen = (size_t)(h - url);
	}
	q = memchr(url, '?', ulen);
	if (q != NULL) {
		*q = '\0';
		req->query_raw = q + 1;
		ulen = (size_t)(q - url);
	}
	return http_req_split_path(req, url, ulen);
}

const char *http_req_method(const struct http_req *req)
{
	return req->method;
}

const char *http_req_path(const struct http_req *req)
{
	return req->path;
}

const char *http_req_query_raw(const struct http_req *req)
{
	return req->query_raw;
}

const char *http_req_param(const struct http_req *req, const char *name)
{
	for (size_t i = 0; i < req->nparam; i++) {
		if (strcmp(req->param[i].name, name) == 0)
			return req->param[i].value;
	}
	return NULL;
}

const char *http_req_header(const struct http_req *req, const char *name)
{
	for (size_t i = 0; i < req->nhdr; i++) {
		if (strcasecmp(req->raw.data + req->hdr[i].name, name) == 0)
			return req->raw.data + req->hdr[i].value;
	}
	return NULL;
}

size_t http_req_header_count(const struct http_req *req)
{
	return req->nhdr;
}

int http_req_header_at(const struct http_req *req, size_t i,
		       const char **name, const char **value)
{
	if (i >= req->nhdr)
		return -ENOENT;
	*name = req->raw.data + req->hdr[i].name;
	*value = req->raw.data + req->hdr[i].value;
	return 0;
}

const char *http_req_body(const struct http_req *req, size_t *len)
{
	if (len != NULL)
		*len = req->body.len;
	return req->body.data != NULL ? req->body.data : "";
}

const struct http_peer *http_req_peer(const struct http_req *req)
{
	return &req->conn->peer;
}

int http_req_take_fd(struct http_req *req)
{
	int fd = req->conn->passed_fd;

	req->conn->passed_fd = -1;
	return fd;
}
