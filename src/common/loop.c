#include "common/loop.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define LOOP_TIMER_FIRING SIZE_MAX /* heap index of a timer being run */

struct loop_fd {
	loop_fd_cb cb;
	void *arg;
	uint32_t gen;  /* tells one registration from a later one on the fd */
	bool used;
};

struct loop_timer {
	int64_t when;
	uint64_t seq;  /* ties on `when` fire in the order they were added */
	size_t idx;    /* position in the heap */
	loop_timer_cb cb;
	void *arg;
};

struct loop_deferred {
	loop_defer_cb fn;
	void *arg;
};

struct loop {
	int epfd;
	struct loop_fd *fds;  /* indexed by descriptor number */
	size_t fds_cap;
	size_t fds_used;
	uint32_t gen;
	struct loop_timer **heap;
	size_t nheap, heap_cap;
	uint64_t seq;
	struct loop_deferred *defer;
	size_t ndefer, defer_cap;
	int64_t now;
	bool stop;
	void (*lock)(void *arg), (*unlock)(void *arg);
	void *lock_arg;
};

static int64_t loop_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct loop *loop_new(void)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	l->now = loop_clock_ms();
	return l;
}

static void loop_run_deferred(struct loop *l);

void loop_free(struct loop *l)
{
	if (l == NULL)
		return;
	loop_run_deferred(l);
	for (size_t i = 0; i < l->nheap; i++)
		free(l->heap[i]);
	free(l->heap);
	free(l->defer);
	free(l->fds);
	close(l->epfd);
	free(l);
}

/* Grow the descriptor table so that index fd exists. */
static int loop_fds_reserve(struct loop *l, int fd)
{
	size_t ncap = l->fds_cap ? l->fds_cap : 64;
	struct loop_fd *p;

	if ((size_t)fd < l->fds_cap)
		return 0;
	while (ncap <= (size_t)fd)
		ncap *= 2;
	p = realloc(l->fds, ncap * sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	memset(p + l->fds_cap, 0, (ncap - l->fds_cap) * sizeof(*p));
	l->fds = p;
	l->fds_cap = ncap;
	return 0;
}

static struct epoll_event loop_ev(struct loop *l, int fd, uint32_t events)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.u64 = ((uint64_t)l->fds[fd].gen << 32) | (uint32_t)fd;
	return ev;
}

int loop_add_fd(struct loop *l, int fd, uint32_t epoll_events, loop_fd_cb cb,
		void *arg)
{
	struct epoll_event ev;
	int r;

	if (fd < 0 || cb == NULL)
		return -EINVAL;
	r = loop_fds_reserve(l, fd);
	if (r < 0)
		return r;
	if (l->fds[fd].used)
		return -EEXIST;
	l->fds[fd].gen = ++l->gen;
	ev = loop_ev(l, fd, epoll_events);
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	l->fds[fd].cb = cb;
	l->fds[fd].arg = arg;
	l->fds[fd].used = true;
	l->fds_used++;
	return 0;
}

int loop_mod_fd(struct loop *l, int fd, uint32_t epoll_events)
{
	struct epoll_event ev;

	if (fd < 0 || (size_t)fd >= l->fds_cap || !l->fds[fd].used)
		return -ENOENT;
	ev = loop_ev(l, fd, epoll_events);
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return -errno;
	return 0;
}

int loop_del_fd(struct loop *l, int fd)
{
	int r = 0;

	if (fd < 0 || (size_t)fd >= l->fds_cap || !l->fds[fd].used)
		return -ENOENT;
	if (epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL) < 0)
		r = -errno;
	l->fds[fd].used = false;
	l->fds[fd].cb = NULL;
	l->fds[fd].arg = NULL;
	l->fds_used--;
	return r;
}

static bool loop_timer_less(const struct loop_timer *a,
			    const struct loop_timer *b)
{
	return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static void loop_heap_set(struct loop *l, size_t i, struct loop_timer *t)
{
	l->heap[i] = t;
	t->idx = i;
}

static void loop_heap_up(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (!loop_timer_less(t, l->heap[p]))
			break;
		loop_heap_set(l, i, l->heap[p]);
		i = p;
	}
	loop_heap_set(l, i, t);
}

static void loop_heap_down(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= l->nheap)
			break;
		if (c + 1 < l->nheap &&
		    loop_timer_less(l->heap[c + 1], l->heap[c]))
			c++;
		if (!loop_timer_less(l->heap[c], t))
			break;
		loop_heap_set(l, i, l->heap[c]);
		i = c;
	}
	loop_heap_set(l, i, t);
}

/* Take the timer at heap index i out of the heap. */
static void loop_heap_remove(struct loop *l, size_t i)
{
	struct loop_timer *last = l->heap[--l->nheap];

	if (i == l->nheap)
		return;
	loop_heap_set(l, i, last);
	loop_heap_down(l, i);
	loop_heap_up(l, last->idx);
}

struct loop_timer *loop_timer_add(struct loop *l, int64_t after_ms,
				  loop_timer_cb cb, void *arg)
{
	struct loop_timer *t;

	if (l->nheap == l->heap_cap) {
		size_t ncap = l->heap_cap ? l->heap_cap * 2 : 16;
		struct loop_timer **p = realloc(l->heap, ncap * sizeof(*p));

		if (p == NULL)
			return NULL;
		l->heap = p;
		l->heap_cap = ncap;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	if (after_ms < 0)
		after_ms = 0;
	t->when = after_ms > INT64_MAX - l->now ? INT64_MAX : l->now + after_ms;
	t->seq = l->seq++;
	t->cb = cb;
	t->arg = arg;
	l->heap[l->nheap++] = t;
	loop_heap_up(l, l->nheap - 1);
	return t;
}

void loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	if (t == NULL || t->idx == LOOP_TIMER_FIRING)
		return;
	loop_heap_remove(l, t->idx);
	free(t);
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}

int64_t loop_now_ms(struct loop *l)
{
	return l->now;
}

int loop_defer(struct loop *l, loop_defer_cb fn, void *arg)
{
	if (l->ndefer == l->defer_cap) {
		size_t ncap = l->defer_cap ? l->defer_cap * 2 : 16;
		struct loop_deferred *p = realloc(l->defer, ncap * sizeof(*p));

		if (p == NULL)
			return -ENOMEM;
		l->defer = p;
		l->defer_cap = ncap;
	}
	l->defer[l->ndefer].fn = fn;
	l->defer[l->ndefer].arg = arg;
	l->ndefer++;
	return 0;
}

/* Milliseconds epoll may sleep: 0 with deferred work, -1 with no timers. */
static int loop_wait_ms(struct loop *l)
{
	int64_t d;

	if (l->ndefer > 0)
		return 0;
	if (l->nheap == 0)
		return -1;
	d = l->heap[0]->when - l->now;
	if (d < 0)
		return 0;
	return d > INT_MAX ? INT_MAX : (int)d;
}

static void loop_dispatch_fds(struct loop *l, struct epoll_event *ev, int n)
{
	for (int i = 0; i < n; i++) {
		int fd = (int)(uint32_t)ev[i].data.u64;
		uint32_t gen = (uint32_t)(ev[i].data.u64 >> 32);
		struct loop_fd *e;

		if ((size_t)fd >= l->fds_cap)
			continue;
		e = &l->fds[fd];
		/* Skip a registration removed earlier in this batch. */
		if (!e->used || e->gen != gen)
			continue;
		e->cb(l, fd, ev[i].events, e->arg);
	}
}

/* Fire the timers due now; ones added meanwhile wait for the next round. */
static void loop_run_timers(struct loop *l)
{
	uint64_t limit = l->seq;

	while (l->nheap > 0) {
		struct loop_timer *t = l->heap[0];

		if (t->when > l->now || t->seq >= limit)
			break;
		loop_heap_remove(l, 0);
		t->idx = LOOP_TIMER_FIRING;
		t->cb(l, t->arg);
		free(t);
	}
}

static void loop_run_deferred(struct loop *l)
{
	for (size_t i = 0; i < l->ndefer; i++) {
		struct loop_deferred d = l->defer[i];

		d.fn(d.arg);
	}
	l->ndefer = 0;
}

int loop_run(struct loop *l)
{
	struct epoll_event ev[LOOP_MAX_EVENTS];

	l->stop = false;
	while (!l->stop) {
		int n;

		if (l->fds_used == 0 && l->nheap == 0 && l->ndefer == 0)
			break;
		if (l->unlock)
			l->unlock(l->lock_arg);
		n = epoll_wait(l->epfd, ev, LOOP_MAX_EVENTS, loop_wait_ms(l));
		if (l->lock)
			l->lock(l->lock_arg);
		if (n < 0 && errno != EINTR)
			return -errno;
		l->now = loop_clock_ms();
		if (n > 0)
			loop_dispatch_fds(l, ev, n);
		loop_run_timers(l);
		loop_run_deferred(l);
	}
	return 0;
}

void loop_set_lock(struct loop *l, void (*lock)(void *arg),
		   void (*unlock)(void *arg), void *arg)
{
	l->lock = lock;
	l->unlock = unlock;
	l->lock_arg = arg;
}
