/*
 * Idle upstream connections kept for the next request (HTTP/1.1
 * keep-alive). A connection is in the pool or owned by one request,
 * never both; the pool is guarded by the proxy's mutex. Entries are
 * keyed by scheme, host and port (the TLS settings are the proxy's own),
 * bounded per upstream and in all, and dropped after pool_idle_ms.
 */
#include "llmproxy/llmproxy_int.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

static bool llmp_up_same(const struct llmp_upstream *a,
			 const struct llmp_upstream *b)
{
	return a->tls == b->tls && strcmp(a->host, b->host) == 0 &&
	       strcmp(a->port, b->port) == 0;
}

static void llmp_idle_close(struct llmp_idle *e)
{
	SSL_free(e->ssl);
	close(e->fd);
}

/* Take entry i out of the pool, keeping the others in order. */
static struct llmp_idle llmp_pool_remove(struct llmproxy *p, size_t i)
{
	struct llmp_idle e = p->pool[i];

	memmove(&p->pool[i], &p->pool[i + 1],
		(p->npool - i - 1) * sizeof(p->pool[0]));
	p->npool--;
	return e;
}

/* The newest idle connection to u, closing expired ones; false: none. */
static bool llmp_pool_pop(struct llmproxy *p, const struct llmp_upstream *u,
			  struct llmp_idle *out)
{
	int64_t now = llmp_now_ms();
	bool found = false;

	pthread_mutex_lock(&p->mu);
	for (size_t i = p->npool; i-- > 0;) {
		if (now - p->pool[i].since_ms > p->pool_idle_ms) {
			struct llmp_idle e = llmp_pool_remove(p, i);
			llmp_idle_close(&e);
		} else if (!found && !atomic_load(&p->stop) &&
			   llmp_up_same(p->pool[i].u, u)) {
			*out = llmp_pool_remove(p, i);
			found = true;
		}
	}
	pthread_mutex_unlock(&p->mu);
	return found;
}

/* Idle means silent: bytes or an end waiting to be read (the upstream
 * closed it, or sent what it should not have) rule a connection out. */
static bool llmp_idle_alive(const struct llmp_idle *e)
{
	struct pollfd pf = {.fd = e->fd, .events = POLLIN};

	if (e->ssl && SSL_has_pending(e->ssl))
		return false;
	return poll(&pf, 1, 0) == 0;
}

int llmp_pool_take(struct llmproxy *p, const struct llmp_upstream *u,
		   int *fd, SSL **ssl)
{
	struct llmp_idle e = {.fd = -1};

	while (llmp_pool_pop(p, u, &e)) {
		if (llmp_idle_alive(&e)) {
			*fd = e.fd;
			*ssl = e.ssl;
			return 0;
		}
		llmp_idle_close(&e);
	}
	return -ENOENT;
}

/* Room for one more to u: the oldest to u goes at the per-upstream
 * limit, else the oldest of all when full; the one evicted, if any. */
static bool llmp_pool_room(struct llmproxy *p, const struct llmp_upstream *u,
			   struct llmp_idle *old)
{
	size_t same = 0, first = 0;

	for (size_t i = 0; i < p->npool; i++)
		if (llmp_up_same(p->pool[i].u, u) && same++ == 0)
			first = i;
	if (same >= LLMPROXY_POOL_PER_UPSTREAM)
		*old = llmp_pool_remove(p, first);
	else if (p->npool == LLMPROXY_POOL_MAX)
		*old = llmp_pool_remove(p, 0);
	else
		return false;
	return true;
}

void llmp_pool_put(struct llmp_conn *c)
{
	struct llmproxy *p = c->p;
	struct llmp_idle e = {c->uup, c->ufd, c->ussl, llmp_now_ms()};
	struct llmp_idle old = {.fd = -1};
	bool evicted = false;

	if (c->ufd < 0)
		return;
	pthread_mutex_lock(&p->mu);
	if (atomic_load(&p->stop)) {
		old = e; /* a proxy being freed keeps nothing */
		evicted = true;
	} else {
		evicted = llmp_pool_room(p, c->uup, &old);
		p->pool[p->npool++] = e;
	}
	c->ufd = -1;
	c->ussl = NULL;
	pthread_mutex_unlock(&p->mu);
	if (evicted)
		llmp_idle_close(&old);
}

void llmp_pool_clear(struct llmproxy *p)
{
	pthread_mutex_lock(&p->mu);
	while (p->npool > 0) {
		struct llmp_idle e = llmp_pool_remove(p, p->npool - 1);
		llmp_idle_close(&e);
	}
	pthread_mutex_unlock(&p->mu);
}
