/* HTTP/1.1 messages parsed by llhttp into bounded buffers. */
#include "llmproxy/llmproxy_int.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "common/str.h"

static int llmp_msg_fail(struct llmp_msg *m, int err, int status)
{
	if (m->err == 0) {
		m->err = err;
		m->status = status;
	}
	return -1;
}

static int llmp_on_url(llhttp_t *h, const char *at, size_t n)
{
	struct llmp_msg *m = h->data;

	if (m->url.len + n > LLMP_LINE_MAX || buf_append(&m->url, at, n) < 0)
		return llmp_msg_fail(m, -E2BIG, 414);
	return 0;
}

static int llmp_on_status(llhttp_t *h, const char *at, size_t n)
{
	struct llmp_msg *m = h->data;
	size_t have = strlen(m->reason);

	if (have + n < sizeof(m->reason)) {
		memcpy(m->reason + have, at, n);
		m->reason[have + n] = '\0';
	}
	return 0;
}

static void llmp_end_line(struct llmp_msg *m)
{
	if (m->hstate != 0)
		buf_puts(&m->head, "\r\n");
	m->hstate = 0;
}

static int llmp_put(struct llmp_msg *m, const char *at, size_t n)
{
	if (m->head.len - m->line_start + n > LLMP_LINE_MAX ||
	    m->head.len + n + 4 > LLMP_HEAD_MAX ||
	    buf_append(&m->head, at, n) < 0)
		return llmp_msg_fail(m, -E2BIG, 431);
	return 0;
}

static int llmp_on_field(llhttp_t *h, const char *at, size_t n)
{
	struct llmp_msg *m = h->data;

	for (size_t i = 0; i < n; i++)
		if (!str_http_tchar((unsigned char)at[i]))
			return llmp_msg_fail(m, -EINVAL, 400);
	if (m->hstate == 2)
		llmp_end_line(m);
	if (m->hstate == 0) {
		if (++m->nheaders > LLMP_HEADERS_MAX)
			return llmp_msg_fail(m, -E2BIG, 431);
		m->line_start = m->head.len;
		m->hstate = 1;
	}
	return llmp_put(m, at, n);
}

static int llmp_on_value(llhttp_t *h, const char *at, size_t n)
{
	struct llmp_msg *m = h->data;

	if (m->hstate == 1) {
		if (llmp_put(m, ": ", 2) < 0)
			return -1;
		m->hstate = 2;
	}
	for (size_t i = 0; i < n; i++)
		if (at[i] == '\r' || at[i] == '\n' || at[i] == '\0')
			return llmp_msg_fail(m, -EINVAL, 400);
	return llmp_put(m, at, n);
}

static int llmp_on_headers_complete(llhttp_t *h)
{
	struct llmp_msg *m = h->data;

	llmp_end_line(m);
	m->headers_done = true;
	/* 1 tells llhttp the message has no body (a HEAD's answer). */
	return m->head_cb ? m->head_cb(m->ctx) : 0;
}

static int llmp_on_body(llhttp_t *h, const char *at, size_t n)
{
	struct llmp_msg *m = h->data;

	if (m->body_cb)
		return m->body_cb(m->ctx, at, n);
	if (m->body.len + n > LLMP_RAW_MAX || buf_append(&m->body, at, n) < 0)
		return llmp_msg_fail(m, -E2BIG, 413);
	return 0;
}

static int llmp_on_complete(llhttp_t *h)
{
	struct llmp_msg *m = h->data;

	m->complete = true;
	/* Read here: llhttp clears its flags once the message is done. */
	m->keep_alive = llhttp_should_keep_alive(h) != 0;
	return HPE_PAUSED;
}

void llmp_msg_init(struct llmp_msg *m, llhttp_type_t type)
{
	memset(m, 0, sizeof(*m));
	llhttp_settings_init(&m->settings);
	m->settings.on_url = llmp_on_url;
	m->settings.on_status = llmp_on_status;
	m->settings.on_header_field = llmp_on_field;
	m->settings.on_header_value = llmp_on_value;
	m->settings.on_headers_complete = llmp_on_headers_complete;
	m->settings.on_body = llmp_on_body;
	m->settings.on_message_complete = llmp_on_complete;
	llhttp_init(&m->parser, type, &m->settings);
	m->parser.data = m;
	buf_init(&m->url, LLMP_LINE_MAX + 1);
	buf_init(&m->head, LLMP_HEAD_MAX);
	buf_init(&m->body, LLMP_RAW_MAX);
}

/* Ready for the next message on the same connection. */
void llmp_msg_reset(struct llmp_msg *m)
{
	buf_reset(&m->url);
	buf_reset(&m->head);
	buf_reset(&m->body);
	m->reason[0] = '\0';
	m->line_start = m->nheaders = 0;
	m->hstate = m->err = m->status = 0;
	m->headers_done = m->complete = m->keep_alive = false;
	llhttp_resume(&m->parser);
}

void llmp_msg_release(struct llmp_msg *m)
{
	buf_release(&m->url);
	buf_release(&m->head);
	buf_release(&m->body);
}

const char *llmp_header(const struct llmp_msg *m, const char *name,
			char *out, size_t outlen)
{
	size_t nl = strlen(name);
	const char *l = m->head.data, *end = l ? l + m->head.len : NULL;

	while (l && l < end) {
		const char *eol = memchr(l, '\r', (size_t)(end - l));
		if (eol == NULL)
			break;
		if ((size_t)(eol - l) > nl + 1 && l[nl] == ':' &&
		    strncasecmp(l, name, nl) == 0) {
			const char *v = l + nl + 1;
			size_t vl;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			vl = (size_t)(eol - v);
			while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
				vl--;
			if (vl >= outlen)
				vl = outlen - 1;
			memcpy(out, v, vl);
			out[vl] = '\0';
			return out;
		}
		l = eol + 2;
	}
	return NULL;
}

/* Hop-by-hop headers (RFC 9110 7.6.1) plus the framing we redo, and the
 * original's consumed headers; never forwarded either way. */
bool llmp_hop_header(const char *line, size_t n)
{
	static const char *const hop[] = {"connection", "keep-alive",
		"proxy-connection", "proxy-authorization", "proxy-authenticate",
		"te", "trailer", "transfer-encoding", "upgrade", "host",
		"content-length", "accept-encoding", "expect", "x-session-id",
		"x-llm-dialect", "x-forwarded-host", NULL};

	for (size_t i = 0; hop[i]; i++) {
		size_t hl = strlen(hop[i]);
		if (n > hl && line[hl] == ':' && strncasecmp(line, hop[i], hl) == 0)
			return true;
	}
	return false;
}
