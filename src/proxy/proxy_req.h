/*
 * One proxy request head parsed with llhttp under named limits, its target
 * (absolute URI or CONNECT authority) split out, and the head rewritten
 * to origin form for the upstream. The same parser then follows the body
 * (chunked or sized) so that keep-alive knows where a request ends.
 */
#ifndef AGENTSH_PROXY_REQ_H
#define AGENTSH_PROXY_REQ_H

#include <llhttp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "proxy/proxy.h"

#define PROXY_HEAD_MAX 16384    /* bytes of headers of one request */
#define PROXY_HEADERS_MAX 100   /* header fields of one request */
#define PROXY_LINE_MAX 8192     /* request target or one header line */
#define PROXY_METHOD_MAX 24     /* a method name */

enum {
	PROXY_REQ_MORE = 0, /* everything consumed, want more */
	PROXY_REQ_HEAD = 1, /* head complete (and parser paused) */
	PROXY_REQ_END = 2,  /* message complete (and parser paused) */
};

struct proxy_req {
	llhttp_t parser;
	llhttp_settings_t settings;
	struct buf url;
	struct buf hdrs;       /* "Name: value\r\n" lines kept for upstream */
	size_t line_start;     /* offset of the current header line in hdrs */
	size_t nheaders;
	int hstate;            /* 0 none, 1 in field, 2 in value */
	bool has_host;
	int err;               /* a limit hit in a callback: -E2BIG */
	int status;            /* HTTP status for an error answer */
	int pending;           /* what paused the parser: PROXY_REQ_* */
	char method[PROXY_METHOD_MAX];
	bool connect;
	char host[PROXY_HOST_MAX];
	uint16_t port;
	const char *path;      /* origin-form target inside url */
};

void proxy_req_init(struct proxy_req *r);
void proxy_req_release(struct proxy_req *r);
/* Start the next request on the same connection. */
void proxy_req_next(struct proxy_req *r);
/*
 * Feed bytes; *used says how many were consumed. Returns PROXY_REQ_* or
 * -EINVAL/-E2BIG (r->status then holds the status to answer with).
 */
int proxy_req_feed(struct proxy_req *r, const char *p, size_t n,
		   size_t *used);
/* The head for the upstream: origin-form request line and kept headers. */
int proxy_req_head(const struct proxy_req *r, struct buf *out);

#endif
