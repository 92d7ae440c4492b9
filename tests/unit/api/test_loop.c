/* Unit tests: the epoll event loop (timers, descriptors, deferred calls). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/loop.h"

#define TL_LOG_MAX 2048

struct tl_log {
	int v[TL_LOG_MAX];
	size_t n;
	struct loop *l;
};

struct tl_tag {
	struct tl_log *log;
	int id;
};

static void tl_push(struct tl_log *g, int id)
{
	if (g->n < TL_LOG_MAX)
		g->v[g->n++] = id;
}

static void tl_timer_cb(struct loop *l, void *arg)
{
	struct tl_tag *t = arg;

	tl_push(t->log, t->id);
}

static void test_timer_order(void **state)
{
	struct loop *l = loop_new();
	struct tl_log g = {.n = 0};
	struct tl_tag t[5] = {
		{&g, 30}, {&g, 10}, {&g, 20}, {&g, 11}, {&g, 99},
	};
	struct loop_timer *cancel;

	(void)state;
	assert_non_null(l);
	assert_non_null(loop_timer_add(l, 30, tl_timer_cb, &t[0]));
	assert_non_null(loop_timer_add(l, 10, tl_timer_cb, &t[1]));
	assert_non_null(loop_timer_add(l, 20, tl_timer_cb, &t[2]));
	/* Same deadline as t[1]: fires after it, in the order added. */
	assert_non_null(loop_timer_add(l, 10, tl_timer_cb, &t[3]));
	cancel = loop_timer_add(l, 15, tl_timer_cb, &t[4]);
	assert_non_null(cancel);
	loop_timer_cancel(l, cancel);
	loop_timer_cancel(l, NULL);
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(g.n, 4);
	assert_int_equal(g.v[0], 10);
	assert_int_equal(g.v[1], 11);
	assert_int_equal(g.v[2], 20);
	assert_int_equal(g.v[3], 30);
	loop_free(l);
}

static void test_timer_elapsed(void **state)
{
	struct loop *l = loop_new();
	struct tl_log g = {.n = 0};
	struct tl_tag t = {&g, 1};
	int64_t t0;

	(void)state;
	t0 = loop_now_ms(l);
	assert_non_null(loop_timer_add(l, 50, tl_timer_cb, &t));
	assert_int_equal(loop_run(l), 0);
	assert_true(loop_now_ms(l) - t0 >= 50);
	assert_true(loop_now_ms(l) - t0 < 1000);
	assert_int_equal(g.n, 1);
	loop_free(l);
}

/* A heap under churn: random deadlines and cancels still fire sorted. */
static void tl_sorted_cb(struct loop *l, void *arg)
{
	struct tl_tag *t = arg;

	tl_push(t->log, t->id);
}

static void test_timer_heap(void **state)
{
	enum { N = 600 };
	struct loop *l = loop_new();
	struct tl_log g = {.n = 0};
	struct tl_tag *tags = calloc(N, sizeof(*tags));
	struct loop_timer *tm[N];
	size_t fired_expected = 0;

	(void)state;
	srand(7);
	for (int i = 0; i < N; i++) {
		tags[i].log = &g;
		tags[i].id = rand() % 40;
		tm[i] = loop_timer_add(l, tags[i].id, tl_sorted_cb, &tags[i]);
		assert_non_null(tm[i]);
	}
	for (int i = 0; i < N; i++) {
		if (i % 3 == 0)
			loop_timer_cancel(l, tm[i]);
		else
			fired_expected++;
	}
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(g.n, fired_expected);
	for (size_t i = 1; i < g.n; i++)
		assert_true(g.v[i - 1] <= g.v[i]);
	free(tags);
	loop_free(l);
}

struct tl_chain {
	struct tl_log *log;
	int left;
};

/* A zero-delay timer re-added from its own callback must not starve. */
static void tl_chain_cb(struct loop *l, void *arg)
{
	struct tl_chain *c = arg;

	tl_push(c->log, c->left);
	if (--c->left > 0)
		assert_non_null(loop_timer_add(l, 0, tl_chain_cb, c));
}

static void test_timer_chain(void **state)
{
	struct loop *l = loop_new();
	struct tl_log g = {.n = 0};
	struct tl_chain c = {&g, 100};

	(void)state;
	assert_non_null(loop_timer_add(l, 0, tl_chain_cb, &c));
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(g.n, 100);
	loop_free(l);
}

static void tl_defer_cb(void *arg)
{
	struct tl_tag *t = arg;

	tl_push(t->log, t->id);
}

struct tl_pair {
	struct tl_log *log;
	int rd[2], wr[2];
	int hits[2];
	struct tl_tag tag;
};

struct tl_slot {
	struct tl_pair *p;
	int idx;
};

/* Whichever runs first removes both: the other's event must be dropped. */
static void tl_pair_cb(struct loop *l, int fd, uint32_t ev, void *arg)
{
	struct tl_slot *s = arg;
	struct tl_pair *p = s->p;
	char ch;

	p->hits[s->idx]++;
	assert_int_equal(read(fd, &ch, 1), 1);
	tl_push(p->log, 1);
	assert_int_equal(loop_del_fd(l, p->rd[0]), 0);
	assert_int_equal(loop_del_fd(l, p->rd[1]), 0);
	p->tag.log = p->log;
	p->tag.id = 2;
	assert_int_equal(loop_defer(l, tl_defer_cb, &p->tag), 0);
}

static void test_fd_del_in_batch(void **state)
{
	struct loop *l = loop_new();
	struct tl_log g = {.n = 0};
	struct tl_pair p = {.log = &g};
	struct tl_slot s[2] = {{&p, 0}, {&p, 1}};
	int fds[2];

	(void)state;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pipe(fds), 0);
		p.rd[i] = fds[0];
		p.wr[i] = fds[1];
		assert_int_equal(loop_add_fd(l, p.rd[i], EPOLLIN, tl_pair_cb,
					     &s[i]), 0);
	}
	assert_int_equal(loop_add_fd(l, p.rd[0], EPOLLIN, tl_pair_cb, &s[0]),
			 -EEXIST);
	/* Both readable before the loop looks: one batch holds both. */
	assert_int_equal(write(p.wr[0], "x", 1), 1);
	assert_int_equal(write(p.wr[1], "x", 1), 1);
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(p.hits[0] + p.hits[1], 1);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.v[0], 1);
	assert_int_equal(g.v[1], 2); /* deferred: after the fd event */
	for (int i = 0; i < 2; i++) {
		close(p.rd[i]);
		close(p.wr[i]);
	}
	loop_free(l);
}

static void tl_never(struct loop *l, int fd, uint32_t ev, void *arg)
{
	fail();
}

static void test_fd_errors(void **state)
{
	struct loop *l = loop_new();
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(loop_del_fd(l, p[0]), -ENOENT);
	assert_int_equal(loop_mod_fd(l, p[0], EPOLLIN), -ENOENT);
	assert_int_equal(loop_add_fd(l, -1, EPOLLIN, tl_never, NULL), -EINVAL);
	assert_int_equal(loop_add_fd(l, 100000, EPOLLIN, tl_never, NULL),
			 -EBADF);
	close(p[0]);
	close(p[1]);
	loop_free(l);
}

struct tl_writer {
	int fd;
	int writable;
};

static void tl_writable(struct loop *l, int fd, uint32_t ev, void *arg)
{
	struct tl_writer *w = arg;

	if (ev & EPOLLOUT)
		w->writable++;
	/* Switch interest off, then stop. */
	assert_int_equal(loop_mod_fd(l, fd, 0), 0);
	loop_stop(l);
}

static void test_fd_mod_and_stop(void **state)
{
	struct loop *l = loop_new();
	struct tl_writer w = {0};
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(loop_add_fd(l, p[1], 0, tl_writable, &w), 0);
	assert_int_equal(loop_mod_fd(l, p[1], EPOLLOUT), 0);
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(w.writable, 1);
	assert_int_equal(loop_del_fd(l, p[1]), 0);
	close(p[0]);
	close(p[1]);
	loop_free(l);
}

static int tl_freed;

static void tl_count_free(void *arg)
{
	(void)arg;
	tl_freed++;
}

static void tl_defer_again(void *arg)
{
	struct loop *l = arg;

	tl_freed++;
	assert_int_equal(loop_defer(l, tl_count_free, NULL), 0);
}

static void test_defer(void **state)
{
	struct loop *l = loop_new();

	(void)state;
	tl_freed = 0;
	assert_int_equal(loop_defer(l, tl_defer_again, l), 0);
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(tl_freed, 2);
	/* Pending deferred calls run on loop_free (they are usually frees). */
	assert_int_equal(loop_defer(l, tl_count_free, NULL), 0);
	assert_non_null(loop_timer_add(l, 100000, tl_timer_cb, NULL));
	loop_free(l);
	assert_int_equal(tl_freed, 3);
	loop_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timer_order),
		cmocka_unit_test(test_timer_elapsed),
		cmocka_unit_test(test_timer_heap),
		cmocka_unit_test(test_timer_chain),
		cmocka_unit_test(test_fd_del_in_batch),
		cmocka_unit_test(test_fd_errors),
		cmocka_unit_test(test_fd_mod_and_stop),
		cmocka_unit_test(test_defer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
