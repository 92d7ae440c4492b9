/* The LLM proxy's life: listener, accept thread, connection threads. */
#include "llmproxy/llmproxy_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/str.h"
#include "dlp/dlp_tok.h"

#define LLMP_BACKLOG 64 /* pending connections on a listener */

int64_t llmp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void llmp_destroy(struct llmproxy *p)
{
	void (*gone)(void *) = p->ops.gone;
	void *arg = p->arg;

	if (p->lfd >= 0)
		close(p->lfd);
	if (p->wakefd >= 0)
		close(p->wakefd);
	llmp_pool_clear(p);
	dlp_session_free(p->ds);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
	if (gone)
		gone(arg);
}

/* Drop one reference; the last one frees. */
static void llmp_unref(struct llmproxy *p)
{
	bool last;

	pthread_mutex_lock(&p->mu);
	last = --p->refs == 0;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	if (last)
		llmp_destroy(p);
}

static int llmp_init_dlp(struct llmproxy *p)
{
	struct dlp_session_opts so = {0};

	if (p->dlp == LLMPROXY_DLP_OFF)
		return 0;
	if (p->eng == NULL)
		return -EINVAL;
	if (p->dlp != LLMPROXY_DLP_TOKENIZE)
		return 0;
	so.pii = DLP_ACT_TOKENIZE;
	return dlp_session_new(&so, &p->ds);
}

int llmproxy_new(const struct llmproxy_opts *o, const struct llmproxy_ops *ops,
		 void *arg, struct llmproxy **out)
{
	struct llmproxy *p = calloc(1, sizeof(*p));
	int r = -ENOMEM;

	if (p == NULL)
		goto out;
	p->lfd = p->wakefd = -1;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->refs = 1;
	p->ops = *ops;
	p->arg = arg;
	str_lcpy(p->tag, o->tag ? o->tag : "", sizeof(p->tag));
	p->eng = o->eng;
	p->tls = o->tls;
	p->dlp = o->dlp;
	p->idle_ms = o->idle_ms > 0 ? o->idle_ms : LLMPROXY_IDLE_MS;
	p->upstream_ms = o->upstream_ms > 0 ? o->upstream_ms : LLMPROXY_UPSTREAM_MS;
	p->connect_ms = o->connect_ms > 0 ? o->connect_ms : LLMPROXY_CONNECT_MS;
	p->pool_idle_ms = LLMPROXY_POOL_IDLE_MS;
	if ((r = llmp_up_parse(o->anthropic_url, &p->up[LLMP_ANTHROPIC])) < 0 ||
	    (r = llmp_up_parse(o->openai_url, &p->up[LLMP_OPENAI])) < 0 ||
	    (r = o->tls ? 0 : -EINVAL) < 0 ||
	    (r = llmp_init_dlp(p)) < 0)
		goto out;
	p->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->wakefd < 0) {
		r = -errno;
		goto out;
	}
	*out = p;
	p = NULL;
	r = 0;
out:
	if (p) {
		p->ops.gone = NULL; /* the owner never counted this one */
		llmp_destroy(p);
	}
	return r;
}

static void llmp_conn_unlink(struct llmproxy *p, struct llmp_conn *c)
{
	pthread_mutex_lock(&p->mu);
	if (c->prev)
		c->prev->next = c->next;
	else
		p->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	p->nconns--;
	pthread_mutex_unlock(&p->mu);
}

static void *llmp_conn_main(void *arg)
{
	struct llmp_conn *c = arg;
	struct llmproxy *p = c->p;

	llmp_msg_init(&c->req, HTTP_REQUEST);
	buf_init(&c->dec, LLM_BODY_MAX);
	buf_init(&c->rew, LLM_BODY_MAX + LLM_BODY_MAX / 2);
	while (!atomic_load(&p->stop) && llmp_serve_one(c) == 0)
		llmp_msg_reset(&c->req);
	llmp_conn_unlink(p, c);
	llmp_up_close(c);
	close(c->cfd);
	llmp_msg_release(&c->req);
	buf_release(&c->dec);
	buf_release(&c->rew);
	free(c);
	llmp_unref(p);
	return NULL;
}

static void llmp_set_timeout(int fd, int64_t ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* A new client: a thread for it, or 503 when at the cap. */
static void llmp_accept_one(struct llmproxy *p, int fd)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
		"Content-Length: 0\r\nConnection: close\r\n\r\n";
	struct llmp_conn *c = NULL;
	pthread_attr_t at;
	pthread_t th;

	pthread_mutex_lock(&p->mu);
	if (p->nconns < LLMPROXY_CONNS_MAX && (c = calloc(1, sizeof(*c)))) {
		c->p = p;
		c->cfd = fd;
		c->ufd = -1;
		c->next = p->conns;
		if (p->conns)
			p->conns->prev = c;
		p->conns = c;
		p->nconns++;
		p->refs++;
	}
	pthread_mutex_unlock(&p->mu);
	if (c == NULL) {
		(void)!write(fd, busy, sizeof(busy) - 1);
		close(fd);
		return;
	}
	llmp_set_timeout(fd, p->idle_ms);
	/* Answers go out in pieces (head, chunks): no Nagle delay on them. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &at, llmp_conn_main, c) != 0) {
		llmp_conn_unlink(p, c);
		close(fd);
		free(c);
		llmp_unref(p);
	}
	pthread_attr_destroy(&at);
}

static void *llmp_accept_main(void *arg)
{
	struct llmproxy *p = arg;
	struct pollfd pf[2] = {{p->lfd, POLLIN, 0}, {p->wakefd, POLLIN, 0}};

	while (!atomic_load(&p->stop)) {
		int fd;
		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			break;
		if (atomic_load(&p->stop) || pf[1].revents)
			break;
		if (!(pf[0].revents & POLLIN))
			continue;
		fd = accept4(p->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			llmp_accept_one(p, fd);
		else if (errno == EMFILE || errno == ENFILE)
			poll(NULL, 0, 50); /* out of descriptors: back off */
	}
	llmp_unref(p);
	return NULL;
}

static int llmp_bind(const char *host, uint16_t port, uint16_t *port_out)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	socklen_t sl = sizeof(sa);
	int one = 1, r, fd;

	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return -EINVAL;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, LLMP_BACKLOG) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	*port_out = ntohs(sa.sin_port);
	return fd;
}

/*
 * llmp_bind in the network namespace netns_fd, from the calling thread,
 * which then returns to its own: the socket stays in netns_fd while the
 * threads that serve it (and dial upstream) live where the caller does.
 */
static int llmp_bind_in(int netns_fd, const char *host, uint16_t port,
			uint16_t *port_out)
{
	int orig, fd;

	if (netns_fd < 0)
		return llmp_bind(host, port, port_out);
	orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (orig < 0)
		return -errno;
	if (setns(netns_fd, CLONE_NEWNET) < 0) {
		fd = -errno;
		close(orig);
		return fd;
	}
	fd = llmp_bind(host, port, port_out);
	if (setns(orig, CLONE_NEWNET) < 0) {
		log_msg(LOG_LVL_ERROR, "llm proxy: cannot return to the "
			"caller's network namespace: %s", strerror(errno));
		abort();
	}
	close(orig);
	return fd;
}

int llmproxy_listen(struct llmproxy *p, const char *host, uint16_t port,
		    uint16_t *port_out)
{
	return llmproxy_listen_ns(p, -1, host, port, port_out);
}

int llmproxy_listen_ns(struct llmproxy *p, int netns_fd, const char *host,
		       uint16_t port, uint16_t *port_out)
{
	int fd;

	if (p->lfd >= 0)
		return -EALREADY;
	fd = llmp_bind_in(netns_fd, host, port, port_out);
	if (fd < 0)
		return fd;
	p->lfd = fd;
	pthread_mutex_lock(&p->mu);
	p->refs++;
	pthread_mutex_unlock(&p->mu);
	if (pthread_create(&p->acc, NULL, llmp_accept_main, p) != 0) {
		pthread_mutex_lock(&p->mu);
		p->refs--;
		pthread_mutex_unlock(&p->mu);
		return -EAGAIN;
	}
	pthread_detach(p->acc);
	return 0;
}

void llmproxy_free(struct llmproxy *p, bool wait)
{
	uint64_t one = 1;

	if (p == NULL)
		return;
	atomic_store(&p->stop, true);
	(void)!write(p->wakefd, &one, sizeof(one));
	pthread_mutex_lock(&p->mu);
	for (struct llmp_conn *c = p->conns; c; c = c->next) {
		shutdown(c->cfd, SHUT_RDWR);
		if (c->ufd >= 0)
			shutdown(c->ufd, SHUT_RDWR);
	}
	while (wait && p->refs > 1)
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
	llmp_pool_clear(p);
	llmp_unref(p);
}

void llmproxy_stats(struct llmproxy *p, struct llmproxy_stats *st)
{
	pthread_mutex_lock(&p->mu);
	*st = p->st;
	pthread_mutex_unlock(&p->mu);
	st->tokens = 0;
	if (p->ds) {
		pthread_mutex_lock(&p->eng->lock);
		st->tokens = dlp_session_tokens(p->ds);
		pthread_mutex_unlock(&p->eng->lock);
	}
}

static void llmp_usage_add(struct llm_usage *a, const struct llm_usage *b)
{
	a->input += b->input;
	a->output += b->output;
	a->cache_read += b->cache_read;
	a->cache_creation += b->cache_creation;
	a->reasoning += b->reasoning;
}

/* Count the event, then hand it to the owner unless we are stopping. */
void llmp_emit(struct llmproxy *p, struct llmproxy_event *ev)
{
	pthread_mutex_lock(&p->mu);
	if (strcmp(ev->type, "llm_request") == 0) {
		p->st.requests++;
		p->st.redacted += ev->nred > 0;
		p->st.refused += ev->refused;
	} else if (ev->status >= 200 && ev->status < 300) {
		if (ev->usage_known)
			llmp_usage_add(&p->st.usage, &ev->usage);
		else if (ev->metered)
			p->st.usage_unknown++;
	} else {
		p->st.failed++;
	}
	pthread_mutex_unlock(&p->mu);
	ev->tag = p->tag;
	p->ops.lock(p->arg);
	if (!atomic_load(&p->stop))
		p->ops.event(p->arg, ev);
	p->ops.unlock(p->arg);
}
