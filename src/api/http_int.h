/* Internals of the HTTP server shared by the http_*.c files. */
#ifndef AGENTSH_API_HTTP_INT_H
#define AGENTSH_API_HTTP_INT_H

#include <stdbool.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <llhttp.h>

#include "api/http.h"
#include "common/buf.h"
#include "common/loop.h"

#define HTTP_READ_CHUNK (16 * 1024)   /* bytes taken per read() */
#define HTTP_PASSED_FDS_MAX 4         /* SCM_RIGHTS descriptors per read */
#define HTTP_ACCEPT_BATCH 64          /* accepts per listener wakeup */
#define HTTP_ACCEPT_RETRY_MS 1000     /* pause after EMFILE/ENFILE */
#define HTTP_LINGER_BYTES_MAX (1024 * 1024) /* discarded before a close */
#define HTTP_ERROR_BODY_MAX 128
/* URL, its terminator, header names and values with their terminators. */
#define HTTP_RAW_MAX (HTTP_URL_MAX + 1 + HTTP_HEADER_BYTES_MAX + \
		      2 * HTTP_HEADER_COUNT_MAX)

enum http_conn_state {
	HTTP_CS_IDLE,     /* between requests */
	HTTP_CS_READING,  /* a request is arriving */
	HTTP_CS_DISPATCH, /* a request is complete, its handler not yet run */
	HTTP_CS_HANDLING, /* the handler owns the request (or streams SSE) */
	HTTP_CS_WRITING,  /* the response is queued; flushing it */
	HTTP_CS_LINGER,   /* write side shut; draining input before close */
	HTTP_CS_CLOSED,
};

struct http_route_def {
	char method[HTTP_METHOD_MAX];
	size_t nseg;
	char *seg[HTTP_ROUTE_SEGS_MAX]; /* literal text or parameter name */
	uint32_t param_mask;            /* bit i: segment i is a parameter */
	http_handler fn;
	void *arg;
};

struct http_listener {
	struct http_server *srv;
	struct http_listener *next;
	int fd;
	char *path;       /* Unix socket path, unlinked when still ours */
	dev_t dev;
	ino_t ino;
	bool paused;      /* accept stopped after EMFILE */
};

struct http_conn;

/* Lets a deferred call outlive the server it was queued for. */
struct http_done_token {
	struct http_server *srv;
};

struct http_server {
	struct loop *loop;
	struct http_config cfg;
	llhttp_settings_t settings;
	struct http_listener *listeners;
	struct http_conn *conns;  /* doubly linked, open connections */
	unsigned nconns;
	struct http_route_def *routes[HTTP_ROUTES_MAX];
	size_t nroutes;
	struct loop_timer *accept_retry;
	struct loop_timer *grace;
	bool shutting_down;
	struct http_done_token *done_tok;
	http_done_cb done;
	void *done_arg;
	char rbuf[HTTP_READ_CHUNK]; /* shared: parsed before the next read */
};

struct http_conn {
	struct http_server *srv;   /* NULL once closed */
	struct loop *loop;
	struct http_conn *prev, *next;
	int fd;
	int passed_fd;             /* one descriptor sent with SCM_RIGHTS, or -1 */
	unsigned refs;             /* server's, a request's, deferred work's */
	enum http_conn_state state;
	llhttp_t parser;
	struct http_peer peer;
	struct loop_timer *timer;
	struct buf out;            /* queued output; out_off bytes are sent */
	size_t out_off;
	struct buf pending;        /* received but not yet parsed */
	struct http_req *req;      /* the request being read or handled */
	uint32_t events;           /* current epoll interest */
	int err_status;            /* a limit hit inside a parser callback */
	size_t linger_bytes;
	bool first;                /* no request yet: timer runs from accept */
	bool close_after;          /* close once the output is flushed */
	bool in_run;
	bool run_scheduled;
};

struct http_hdr {
	uint32_t name;  /* offsets into req->raw */
	uint32_t value;
};

struct http_param {
	const char *name;
	const char *value;
};

struct http_req {
	struct http_conn *conn;    /* holds a reference */
	unsigned refs;             /* the owner's, plus temporary ones */
	struct buf raw;            /* URL, then header names and values */
	size_t url_len;
	size_t hdr_bytes;          /* for HTTP_HEADER_BYTES_MAX */
	size_t hdr_lines;          /* for HTTP_HEADER_COUNT_MAX, trailers too */
	struct http_hdr hdr[HTTP_HEADER_COUNT_MAX];
	size_t nhdr;
	int hdr_state;
	bool headers_done;
	struct buf body;
	char method[HTTP_METHOD_MAX];
	char *decoded;             /* path and its segments, %-decoded */
	const char *path;
	const char *query_raw;
	const char *seg[HTTP_ROUTE_SEGS_MAX];
	size_t nseg;               /* HTTP_ROUTE_SEGS_MAX + 1: too many */
	struct http_param param[HTTP_ROUTE_SEGS_MAX];
	size_t nparam;
	char *qbuf;                /* decoded query names and values */
	struct http_param *q;
	size_t nq;
	bool q_parsed;
	struct buf extra;          /* extra response header lines */
	http_abort_cb on_abort;
	void *abort_arg;
	bool dispatched, held, finished, aborted, abort_delivered;
	bool head, sse, keep_alive, http10;
};

/* http_conn.c */
int http_conn_new(struct http_server *srv, int fd, enum http_peer_kind kind);
void http_conn_close(struct http_conn *c, bool sync_abort);
void http_conn_unref(struct http_conn *c);
/*
 * Send iov now as far as the socket takes it and queue the rest. -ENOBUFS
 * when more than unsent_max bytes would wait (nothing queued, but a prefix
 * may be sent: the caller must close), -EPIPE when the peer is gone (the
 * connection is closed), -ENOMEM.
 */
int http_conn_write(struct http_conn *c, const struct iovec *iov, int n,
		    size_t unsent_max);
void http_conn_resp_queued(struct http_conn *c);
void http_conn_update(struct http_conn *c);
int http_conn_arm(struct http_conn *c, int64_t ms);
void http_conn_disarm(struct http_conn *c);
void http_conn_fail(struct http_conn *c, int status);

/* http_parse.c */
void http_parse_settings(llhttp_settings_t *s);
/* The status answering a parser error. */
int http_parse_status(llhttp_errno_t e);
void http_req_ref(struct http_req *req);
void http_req_unref(struct http_req *req);
int http_req_prepare(struct http_req *req);

/* http_route.c */
/* %-decode n bytes into out (n + 1 bytes); -EINVAL on a bad or %00 escape. */
int http_pct_decode(const char *in, size_t n, char *out, bool plus_space,
		    size_t *out_len);
void http_route_free(struct http_route_def *r);
/* 0 and the handler, -ENOENT (404) or -EPERM (405; allow filled). */
int http_route_match(struct http_server *srv, struct http_req *req,
		     const struct http_route_def **out, struct buf *allow);

/* http_resp.c */
void http_req_dispatch(struct http_req *req);
void http_req_abort(struct http_req *req, bool sync);
int http_resp_error(struct http_conn *c, int status);

/* http_listen.c */
int http_listen_open_tcp(const char *hostport, int *fd_out, uint16_t *port);
int http_listen_open_unix(const char *path, mode_t mode, int *fd_out,
			  dev_t *dev, ino_t *ino);
void http_peer_fill(struct http_peer *p, int fd, enum http_peer_kind kind);

/* http_server.c */
void http_server_conn_gone(struct http_server *srv);

#endif
