/* Server lifecycle: configuration, listeners, accepting, shutdown. */
#include "api/http_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static const char http_busy_resp[] =
	"HTTP/1.1 503 Service Unavailable\r\n"
	"Content-Type: text/plain; charset=utf-8\r\n"
	"Content-Length: 20\r\n"
	"Connection: close\r\n\r\n"
	"Service Unavailable\n";

void http_config_defaults(struct http_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->body_max = HTTP_BODY_MAX_DEFAULT;
	cfg->max_conns = HTTP_MAX_CONNS_DEFAULT;
	cfg->sse_out_max = HTTP_SSE_OUT_MAX_DEFAULT;
	cfg->header_timeout_ms = HTTP_HEADER_TIMEOUT_MS;
	cfg->body_timeout_ms = HTTP_BODY_TIMEOUT_MS;
	cfg->idle_timeout_ms = HTTP_IDLE_TIMEOUT_MS;
	cfg->write_timeout_ms = HTTP_WRITE_TIMEOUT_MS;
	cfg->linger_ms = HTTP_LINGER_MS;
}

struct http_server *http_server_new(struct loop *l,
				    const struct http_config *cfg)
{
	struct http_server *srv = calloc(1, sizeof(*srv));

	if (srv == NULL)
		return NULL;
	srv->loop = l;
	if (cfg != NULL)
		srv->cfg = *cfg;
	else
		http_config_defaults(&srv->cfg);
	http_parse_settings(&srv->settings);
	return srv;
}

static void http_listener_close(struct http_server *srv,
				struct http_listener *ls)
{
	struct stat st;

	loop_del_fd(srv->loop, ls->fd);
	close(ls->fd);
	/* Remove the socket file only if nobody has replaced it since. */
	if (ls->path != NULL && lstat(ls->path, &st) == 0 &&
	    st.st_dev == ls->dev && st.st_ino == ls->ino)
		unlink(ls->path);
	free(ls->path);
	free(ls);
}

static void http_listeners_close(struct http_server *srv)
{
	while (srv->listeners != NULL) {
		struct http_listener *ls = srv->listeners;

		srv->listeners = ls->next;
		http_listener_close(srv, ls);
	}
	loop_timer_cancel(srv->loop, srv->accept_retry);
	srv->accept_retry = NULL;
}

void http_server_free(struct http_server *srv)
{
	if (srv == NULL)
		return;
	http_listeners_close(srv);
	loop_timer_cancel(srv->loop, srv->grace);
	srv->grace = NULL;
	srv->done = NULL;
	if (srv->done_tok != NULL)
		srv->done_tok->srv = NULL;
	while (srv->conns != NULL)
		http_conn_close(srv->conns, true);
	for (size_t i = 0; i < srv->nroutes; i++)
		http_route_free(srv->routes[i]);
	free(srv);
}

/* Turn a connection away when full: a best-effort 503, then close. */
static void http_reject_busy(int fd)
{
	ssize_t w = send(fd, http_busy_resp, sizeof(http_busy_resp) - 1,
			 MSG_NOSIGNAL | MSG_DONTWAIT);

	(void)w;
	shutdown(fd, SHUT_WR);
	close(fd);
}

static void http_accept_resume(struct loop *l, void *arg)
{
	struct http_server *srv = arg;

	srv->accept_retry = NULL;
	for (struct http_listener *ls = srv->listeners; ls; ls = ls->next) {
		if (ls->paused && loop_mod_fd(l, ls->fd, EPOLLIN) == 0)
			ls->paused = false;
	}
}

/* Out of descriptors: stop accepting for a while instead of spinning. */
static void http_accept_pause(struct http_server *srv, struct http_listener *ls)
{
	if (loop_mod_fd(srv->loop, ls->fd, 0) == 0)
		ls->paused = true;
	if (srv->accept_retry == NULL)
		srv->accept_retry = loop_timer_add(srv->loop,
						   HTTP_ACCEPT_RETRY_MS,
						   http_accept_resume, srv);
}

static void http_on_accept(struct loop *l, int lfd, uint32_t events, void *arg)
{
	struct http_listener *ls = arg;
	struct http_server *srv = ls->srv;
	enum http_peer_kind kind = ls->path ? HTTP_PEER_UNIX : HTTP_PEER_TCP;

	for (int i = 0; i < HTTP_ACCEPT_BATCH; i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				http_accept_pause(srv, ls);
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break;
		}
		if (srv->nconns >= srv->cfg.max_conns) {
			http_reject_busy(fd);
			continue;
		}
		if (http_conn_new(srv, fd, kind) < 0)
			close(fd);
	}
}

static int http_listener_add(struct http_server *srv, int fd,
			     const char *path, dev_t dev, ino_t ino)
{
	struct http_listener *ls = calloc(1, sizeof(*ls));
	int r = -ENOMEM;

	if (ls == NULL)
		goto out;
	ls->srv = srv;
	ls->fd = fd;
	ls->dev = dev;
	ls->ino = ino;
	if (path != NULL && (ls->path = strdup(path)) == NULL)
		goto out;
	r = loop_add_fd(srv->loop, fd, EPOLLIN, http_on_accept, ls);
	if (r < 0)
		goto out;
	ls->next = srv->listeners;
	srv->listeners = ls;
	ls = NULL;
out:
	if (ls != NULL) {
		free(ls->path);
		free(ls);
	}
	return r;
}

int http_listen_tcp(struct http_server *srv, const char *hostport,
		    uint16_t *bound_port)
{
	int fd = -1, r;

	if (srv->shutting_down)
		return -ESHUTDOWN;
	r = http_listen_open_tcp(hostport, &fd, bound_port);
	if (r < 0)
		return r;
	r = http_listener_add(srv, fd, NULL, 0, 0);
	if (r < 0)
		close(fd);
	return r;
}

int http_listen_unix(struct http_server *srv, const char *path, mode_t mode)
{
	dev_t dev = 0;
	ino_t ino = 0;
	int fd = -1, r;

	if (srv->shutting_down)
		return -ESHUTDOWN;
	r = http_listen_open_unix(path, mode, &fd, &dev, &ino);
	if (r < 0)
		return r;
	r = http_listener_add(srv, fd, path, dev, ino);
	if (r < 0) {
		close(fd);
		unlink(path);
	}
	return r;
}

int http_server_adopt(struct http_server *srv, int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	enum http_peer_kind kind;
	int fl;

	if (srv->shutting_down)
		return -ESHUTDOWN;
	if (srv->nconns >= srv->cfg.max_conns)
		return -EBUSY;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return -errno;
	kind = ss.ss_family == AF_UNIX ? HTTP_PEER_UNIX : HTTP_PEER_TCP;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return http_conn_new(srv, fd, kind);
}

unsigned http_server_conn_count(const struct http_server *srv)
{
	return srv->nconns;
}

/* The deferred "shutdown done" call; srv is NULL if freed meanwhile. */
static void http_server_done_run(void *arg)
{
	struct http_done_token *tok = arg;
	struct http_server *srv = tok->srv;
	http_done_cb done;

	free(tok);
	if (srv == NULL)
		return;
	srv->done_tok = NULL;
	done = srv->done;
	srv->done = NULL;
	if (done != NULL && srv->nconns == 0)
		done(srv, srv->done_arg);
}

static void http_server_done_schedule(struct http_server *srv)
{
	struct http_done_token *tok;

	loop_timer_cancel(srv->loop, srv->grace);
	srv->grace = NULL;
	if (srv->done == NULL || srv->done_tok != NULL)
		return;
	tok = calloc(1, sizeof(*tok));
	if (tok == NULL)
		return;
	tok->srv = srv;
	if (loop_defer(srv->loop, http_server_done_run, tok) < 0) {
		free(tok);
		return;
	}
	srv->done_tok = tok;
}

/* A connection closed: report the end of a shutdown from the loop. */
void http_server_conn_gone(struct http_server *srv)
{
	if (srv->shutting_down && srv->nconns == 0)
		http_server_done_schedule(srv);
}

static void http_server_grace_over(struct loop *l, void *arg)
{
	struct http_server *srv = arg;

	srv->grace = NULL;
	while (srv->conns != NULL)
		http_conn_close(srv->conns, false);
}

void http_server_shutdown(struct http_server *srv, int64_t grace_ms,
			  http_done_cb done, void *arg)
{
	struct http_conn *c, *next;

	srv->shutting_down = true;
	srv->done = done;
	srv->done_arg = arg;
	http_listeners_close(srv);
	for (c = srv->conns; c != NULL; c = next) {
		next = c->next;
		if (c->state == HTTP_CS_IDLE)
			http_conn_close(c, false);
		else
			c->close_after = true;
	}
	if (srv->conns != NULL && srv->grace == NULL)
		srv->grace = loop_timer_add(srv->loop, grace_ms,
					    http_server_grace_over, srv);
	if (srv->nconns == 0)
		http_server_done_schedule(srv);
}
