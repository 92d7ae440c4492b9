/*
 * HTTP/1.1 server on a struct loop: TCP and Unix listeners, keep-alive with
 * one request at a time per connection, hard limits answered with 4xx,
 * timeouts against slow clients, a router with {param} segments, deferred
 * responses and Server-Sent Events. Request bytes are parsed by llhttp.
 *
 * Single-threaded: call everything from the loop's thread. Nothing here
 * logs: header values (Authorization) never reach a log line.
 */
#ifndef AGENTSH_API_HTTP_H
#define AGENTSH_API_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/buf.h"
#include "common/loop.h"

/* Limits on what a client may send; each is answered with the status shown. */
#define HTTP_URL_MAX (8 * 1024)           /* request target -> 414 */
#define HTTP_HEADER_BYTES_MAX (32 * 1024) /* names + values -> 431 */
#define HTTP_HEADER_COUNT_MAX 100         /* header lines -> 431 */
#define HTTP_BODY_MAX_DEFAULT (10 * 1024 * 1024) /* body bytes -> 413 */

/* Limits on what the server holds or produces. */
#define HTTP_MAX_CONNS_DEFAULT 1024      /* more are answered 503 and closed */
#define HTTP_RESP_MAX (64 * 1024 * 1024) /* one response, headers included */
#define HTTP_RESP_EXTRA_MAX (8 * 1024)   /* extra response header bytes */
#define HTTP_SSE_OUT_MAX_DEFAULT (1024 * 1024) /* unsent SSE bytes per conn */
#define HTTP_ROUTES_MAX 256
#define HTTP_ROUTE_SEGS_MAX 32           /* path segments in a route */
#define HTTP_METHOD_MAX 16               /* method name, with terminator */
#define HTTP_ADDR_MAX 64                 /* peer address text */

/* Default timeouts in milliseconds. */
#define HTTP_HEADER_TIMEOUT_MS 10000 /* first byte (or accept) -> headers end */
#define HTTP_BODY_TIMEOUT_MS 30000   /* headers end -> whole body read */
#define HTTP_IDLE_TIMEOUT_MS 60000   /* keep-alive wait for the next request */
#define HTTP_WRITE_TIMEOUT_MS 30000  /* pending output without progress */
#define HTTP_LINGER_MS 2000          /* draining input before a close */

/* Server settings; a timeout <= 0 disables it (linger: close at once). */
struct http_config {
	size_t body_max;           /* request body bytes */
	unsigned max_conns;        /* open connections */
	size_t sse_out_max;        /* queued SSE bytes before a disconnect */
	int64_t header_timeout_ms;
	int64_t body_timeout_ms;
	int64_t idle_timeout_ms;
	int64_t write_timeout_ms;
	int64_t linger_ms;
};

enum http_peer_kind { HTTP_PEER_TCP, HTTP_PEER_UNIX };

/* Who is on the other end. Valid as long as the request. */
struct http_peer {
	enum http_peer_kind kind;
	uid_t uid;    /* Unix only (SO_PEERCRED); (uid_t)-1 for TCP */
	gid_t gid;    /* Unix only; (gid_t)-1 for TCP */
	pid_t pid;    /* Unix only; -1 for TCP */
	int pidfd;    /* Unix, kernel >= 6.5 (SO_PEERPIDFD), else -1; owned */
	char addr[HTTP_ADDR_MAX]; /* "1.2.3.4:5", "[::1]:5" or "unix" */
};

struct http_server;
struct http_req;

/* A route handler: respond now, or call http_req_hold and respond later. */
typedef void (*http_handler)(struct http_req *req, void *arg);
/* The client went away before a held request was finished. */
typedef void (*http_abort_cb)(struct http_req *req, void *arg);
/* Every connection is gone after http_server_shutdown. */
typedef void (*http_done_cb)(struct http_server *srv, void *arg);

void http_config_defaults(struct http_config *cfg);

/* cfg NULL means the defaults; the config is copied. NULL on ENOMEM. */
struct http_server *http_server_new(struct loop *l,
				    const struct http_config *cfg);
/*
 * Close listeners and connections at once. Held requests get their on_abort
 * callback now and must still be finished (a no-op) by their owner.
 */
void http_server_free(struct http_server *srv);

/*
 * Listen on "host:port", "[v6addr]:port" or ":port" (all addresses); port 0
 * picks one, reported in *bound_port when not NULL. 0 or -errno.
 */
int http_listen_tcp(struct http_server *srv, const char *hostport,
		    uint16_t *bound_port);
/*
 * Listen on a Unix socket path with the given mode. A leftover socket file
 * is replaced only when nothing answers on it (-EADDRINUSE otherwise); a
 * path that is not a socket gives -EEXIST. 0 or -errno.
 */
int http_listen_unix(struct http_server *srv, const char *path, mode_t mode);
/*
 * Serve an already connected socket (socketpair, inherited fd); it is made
 * non-blocking and owned by the server on success. 0, -EBUSY at
 * max_conns, or -errno (the caller keeps fd).
 */
int http_server_adopt(struct http_server *srv, int fd);

/*
 * Add a route. pattern is "/a/{name}/b": literal segments and whole-segment
 * parameters, which never match an empty segment. When several routes
 * match, the one with a literal at the first differing segment wins. GET
 * routes also answer HEAD (without the body). 0, -EINVAL (bad pattern or
 * method), -EEXIST or -ENOSPC.
 */
int http_route(struct http_server *srv, const char *method,
	       const char *pattern, http_handler fn, void *arg);

/*
 * Stop accepting, close idle connections, let requests in flight finish
 * (then close their connections); after grace_ms drop what is left. done,
 * if not NULL, is called from the loop once no connection remains.
 */
void http_server_shutdown(struct http_server *srv, int64_t grace_ms,
			  http_done_cb done, void *arg);
/* Open connections (for tests and metrics). */
unsigned http_server_conn_count(const struct http_server *srv);

/* Request accessors: strings are NUL-terminated and live as the request. */
const char *http_req_method(const struct http_req *req);
/* The %-decoded path, without the query. */
const char *http_req_path(const struct http_req *req);
/* The raw query after '?', or "" when there is none. */
const char *http_req_query_raw(const struct http_req *req);
/* First query value of name, %-decoded with '+' as space; NULL if absent. */
const char *http_req_query(struct http_req *req, const char *name);
/* A {name} route parameter, %-decoded; NULL if the route has none. */
const char *http_req_param(const struct http_req *req, const char *name);
/* First header of that name (case-insensitive), or NULL. */
const char *http_req_header(const struct http_req *req, const char *name);
size_t http_req_header_count(const struct http_req *req);
/* The i-th header as received; 0 or -ENOENT. */
int http_req_header_at(const struct http_req *req, size_t i,
		       const char **name, const char **value);
/* The body (NUL-terminated copy; "" when empty); *len may be NULL. */
const char *http_req_body(const struct http_req *req, size_t *len);
const struct http_peer *http_req_peer(const struct http_req *req);
/* The descriptor the peer passed with SCM_RIGHTS on this connection (the
 * caller owns it now), or -1. */
int http_req_take_fd(struct http_req *req);

/*
 * Keep the request after the handler returns. The caller then owns it and
 * must finish it exactly once with http_resp_send/http_resp_json, or
 * http_sse_end after http_sse_start, even after on_abort (then a no-op).
 * While a request is held, a client that closes or half-closes its
 * connection (shutdown(SHUT_WR) included) aborts it.
 */
void http_req_hold(struct http_req *req);
/*
 * cb runs once if the client goes away before the request is finished:
 * from the loop, never from inside an http_ call; registered after the
 * disconnect, it still runs (from the loop). The request stays valid.
 */
void http_req_on_abort(struct http_req *req, http_abort_cb cb, void *arg);
/* True once the client is gone: sends are then no-ops. */
int http_req_aborted(const struct http_req *req);

/*
 * Add a response header before the response is sent. The name must be a
 * token and the value free of CR/LF (-EINVAL); -E2BIG past
 * HTTP_RESP_EXTRA_MAX. Content-Type/Length and Connection are the server's.
 */
int http_resp_header(struct http_req *req, const char *name,
		     const char *value);
/*
 * Send the whole response and finish the request (released; do not touch it
 * afterwards). content_type may be NULL, body NULL when len is 0; a status
 * outside 200..599 sends 500. 0, -EPIPE when the client is gone, -E2BIG
 * past HTTP_RESP_MAX (a 500 goes out instead), -EINVAL on a stream (use
 * http_sse_end; nothing is released).
 */
int http_resp_send(struct http_req *req, int status, const char *content_type,
		   const void *body, size_t len);
/* http_resp_send with application/json and the buffer's bytes. */
int http_resp_json(struct http_req *req, int status, const struct buf *b);

/*
 * Start an event stream: 200, text/event-stream, no length; the connection
 * closes after http_sse_end. Implies http_req_hold. 0 or -EPIPE.
 */
int http_sse_start(struct http_req *req);
/*
 * Queue one event; event may be NULL; data is split at line ends into
 * data: lines. -EINVAL (event with CR/LF), -EPIPE (client gone), -ENOBUFS
 * (client too slow: more than sse_out_max unsent; it is disconnected),
 * -EMSGSIZE (this one event is larger than sse_out_max; nothing sent).
 */
int http_sse_send(struct http_req *req, const char *event, const void *data,
		  size_t len);
/* Queue a ": text" comment line (a keep-alive); same errors as above. */
int http_sse_comment(struct http_req *req, const char *text);
/* Finish the stream and release the request. */
void http_sse_end(struct http_req *req);

/* The reason phrase for a status ("Not Found"), "Unknown" otherwise. */
const char *http_status_text(int status);

#endif
