/* The request head parser: llhttp callbacks into bounded buffers. */
#include "proxy/proxy_req.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "common/str.h"

static int proxy_req_fail(struct proxy_req *r, int err, int status)
{
	if (r->err == 0) {
		r->err = err;
		r->status = status;
	}
	return -1;
}

static int proxy_req_on_url(llhttp_t *p, const char *at, size_t n)
{
	struct proxy_req *r = p->data;

	if (r->url.len + n > PROXY_LINE_MAX ||
	    buf_append(&r->url, at, n) < 0)
		return proxy_req_fail(r, -E2BIG, 414);
	return 0;
}

/* A finished header line: drop hop-by-hop proxy headers. */
static void proxy_req_end_line(struct proxy_req *r)
{
	const char *l;

	if (r->hstate == 0 || r->hdrs.data == NULL)
		return;
	l = r->hdrs.data + r->line_start;
	if (strncasecmp(l, "proxy-", 6) == 0) {
		r->hdrs.len = r->line_start;
		r->hdrs.data[r->hdrs.len] = '\0';
	} else {
		if (strncasecmp(l, "host:", 5) == 0)
			r->has_host = true;
		buf_puts(&r->hdrs, "\r\n");
	}
	r->hstate = 0;
}

static int proxy_req_put(struct proxy_req *r, const char *at, size_t n)
{
	if (r->hdrs.len - r->line_start + n > PROXY_LINE_MAX)
		return proxy_req_fail(r, -E2BIG, 431);
	if (r->hdrs.len + n + 4 > PROXY_HEAD_MAX ||
	    buf_append(&r->hdrs, at, n) < 0)
		return proxy_req_fail(r, -E2BIG, 431);
	return 0;
}

static int proxy_req_on_field(llhttp_t *p, const char *at, size_t n)
{
	struct proxy_req *r = p->data;

	for (size_t i = 0; i < n; i++)
		if (!str_http_tchar((unsigned char)at[i]))
			return proxy_req_fail(r, -EINVAL, 400);

	if (r->hstate == 2)
		proxy_req_end_line(r);
	if (r->hstate == 0) {
		if (++r->nheaders > PROXY_HEADERS_MAX)
			return proxy_req_fail(r, -E2BIG, 431);
		r->line_start = r->hdrs.len;
		r->hstate = 1;
	}
	return proxy_req_put(r, at, n);
}

static int proxy_req_on_value(llhttp_t *p, const char *at, size_t n)
{
	struct proxy_req *r = p->data;

	if (r->hstate == 1) {
		if (proxy_req_put(r, ": ", 2) < 0)
			return -1;
		r->hstate = 2;
	}
	return proxy_req_put(r, at, n);
}

/* "host:port", "[v6]:port" or "host" (port then def; 0 = required). */
static int proxy_req_authority(struct proxy_req *r, const char *a, size_t n,
			       uint16_t def)
{
	const char *h = a, *colon;
	size_t hl;
	int64_t port = def;

	if (n == 0 || memchr(a, '@', n) != NULL)
		return -EINVAL;
	if (a[0] == '[') {
		const char *e = memchr(a, ']', n);
		if (e == NULL)
			return -EINVAL;
		h = a + 1;
		hl = (size_t)(e - h);
		colon = e + 1 < a + n ? e + 1 : NULL;
		if (colon && *colon != ':')
			return -EINVAL;
	} else {
		colon = memchr(a, ':', n);
		hl = colon ? (size_t)(colon - a) : n;
	}
	if (colon) {
		char num[8];
		size_t nl = (size_t)(a + n - colon - 1);
		if (nl == 0 || nl >= sizeof(num))
			return -EINVAL;
		memcpy(num, colon + 1, nl);
		num[nl] = '\0';
		if (str_to_i64(num, 1, 65535, &port) < 0)
			return -EINVAL;
	}
	if (hl == 0 || hl >= sizeof(r->host) || port == 0 || port > 65535)
		return -EINVAL;
	memcpy(r->host, h, hl);
	r->host[hl] = '\0';
	r->port = (uint16_t)port;
	return 0;
}

static int proxy_req_target(struct proxy_req *r)
{
	const char *u = r->url.data ? r->url.data : "";
	const char *auth, *slash;

	if (r->connect)
		return proxy_req_authority(r, u, strlen(u), 0);
	if (strncasecmp(u, "http://", 7) != 0)
		return -EINVAL;
	auth = u + 7;
	slash = strchr(auth, '/');
	r->path = slash ? slash : "/";
	if (slash == NULL && strchr(auth, '?') != NULL)
		return -EINVAL;
	return proxy_req_authority(r, auth, slash ? (size_t)(slash - auth) :
				   strlen(auth), 80);
}

static int proxy_req_on_headers(llhttp_t *p)
{
	struct proxy_req *r = p->data;

	proxy_req_end_line(r);
	str_lcpy(r->method, llhttp_method_name((llhttp_method_t)p->method),
		 sizeof(r->method));
	r->connect = p->method == HTTP_CONNECT;
	if (proxy_req_target(r) < 0)
		return proxy_req_fail(r, -EINVAL, 400);
	r->pending = PROXY_REQ_HEAD;
	return HPE_PAUSED;
}

static int proxy_req_on_complete(llhttp_t *p)
{
	struct proxy_req *r = p->data;

	r->pending = PROXY_REQ_END;
	return HPE_PAUSED;
}

void proxy_req_init(struct proxy_req *r)
{
	memset(r, 0, sizeof(*r));
	llhttp_settings_init(&r->settings);
	r->settings.on_url = proxy_req_on_url;
	r->settings.on_header_field = proxy_req_on_field;
	r->settings.on_header_value = proxy_req_on_value;
	r->settings.on_headers_complete = proxy_req_on_headers;
	r->settings.on_message_complete = proxy_req_on_complete;
	llhttp_init(&r->parser, HTTP_REQUEST, &r->settings);
	r->parser.data = r;
	buf_init(&r->url, PROXY_LINE_MAX + 1);
	buf_init(&r->hdrs, PROXY_HEAD_MAX + 1);
}

void proxy_req_release(struct proxy_req *r)
{
	buf_release(&r->url);
	buf_release(&r->hdrs);
}

void proxy_req_next(struct proxy_req *r)
{
	buf_reset(&r->url);
	buf_reset(&r->hdrs);
	r->line_start = r->nheaders = 0;
	r->hstate = 0;
	r->has_host = r->connect = false;
	r->host[0] = r->method[0] = '\0';
	r->path = NULL;
	r->port = 0;
	r->pending = PROXY_REQ_MORE;
	llhttp_resume(&r->parser);
}

int proxy_req_feed(struct proxy_req *r, const char *p, size_t n,
		   size_t *used)
{
	llhttp_errno_t e;

	if (llhttp_get_errno(&r->parser) == HPE_PAUSED)
		llhttp_resume(&r->parser);
	e = llhttp_execute(&r->parser, p, n);
	*used = n;
	if (e == HPE_OK)
		return PROXY_REQ_MORE;
	if (e == HPE_PAUSED || e == HPE_PAUSED_UPGRADE) {
		int k = r->pending;
		*used = (size_t)(llhttp_get_error_pos(&r->parser) - p);
		r->pending = PROXY_REQ_MORE;
		return k;
	}
	if (r->err == 0) {
		r->err = -EINVAL;
		r->status = e == HPE_INVALID_METHOD ? 501 : 400;
	}
	return r->err;
}

int proxy_req_head(const struct proxy_req *r, struct buf *out)
{
	int e = buf_printf(out, "%s %s HTTP/%d.%d\r\n", r->method, r->path,
			   r->parser.http_major, r->parser.http_minor);

	if (e == 0 && !r->has_host)
		e = buf_printf(out, "Host: %s:%u\r\n", r->host,
			       (unsigned)r->port);
	if (e == 0 && r->hdrs.len > 0)
		e = buf_append(out, r->hdrs.data, r->hdrs.len);
	return e == 0 ? buf_puts(out, "\r\n") : e;
}
