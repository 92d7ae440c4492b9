/*
 * A small single-threaded event loop: epoll for file descriptors, a binary
 * heap of one-shot timers, and deferred calls run at the end of each
 * iteration (so that objects can be freed once nobody is on the stack).
 */
#ifndef AGENTSH_COMMON_LOOP_H
#define AGENTSH_COMMON_LOOP_H

#include <stdint.h>

#define LOOP_MAX_EVENTS 256 /* epoll events taken per iteration */

struct loop;
struct loop_timer;

typedef void (*loop_fd_cb)(struct loop *l, int fd, uint32_t events,
			   void *arg);
typedef void (*loop_timer_cb)(struct loop *l, void *arg);
typedef void (*loop_defer_cb)(void *arg);

/* NULL when out of memory or file descriptors. */
struct loop *loop_new(void);
/*
 * Free the loop: deferred calls still pending are run first (they are
 * usually frees), pending timers are dropped without being run. Registered
 * descriptors are not closed (their owners close them).
 */
void loop_free(struct loop *l);

/*
 * Watch fd for epoll_events (EPOLLIN, EPOLLOUT, EPOLLRDHUP, ...; level
 * triggered). EPOLLHUP and EPOLLERR are always reported. Once loop_del_fd
 * returns, cb is never called again for that registration, even for events
 * already collected in the current iteration. 0 or -errno.
 */
int loop_add_fd(struct loop *l, int fd, uint32_t epoll_events, loop_fd_cb cb,
		void *arg);
int loop_mod_fd(struct loop *l, int fd, uint32_t epoll_events);
int loop_del_fd(struct loop *l, int fd);

/*
 * One-shot timer firing after after_ms (>= 0) from loop_now_ms(). The timer
 * is freed after its callback returns: forget the pointer there. NULL when
 * out of memory.
 */
struct loop_timer *loop_timer_add(struct loop *l, int64_t after_ms,
				  loop_timer_cb cb, void *arg);
/* Cancel and free a pending timer; NULL and a firing timer are no-ops. */
void loop_timer_cancel(struct loop *l, struct loop_timer *t);

/*
 * Run until loop_stop() or until nothing is left to wait for (no
 * descriptors, timers or deferred calls). 0 or -errno from epoll.
 */
int loop_run(struct loop *l);
/*
 * Callbacks run with lock held: loop_run releases it only while it waits.
 * The caller of loop_run holds it on entry and on return. Other threads
 * that share the callbacks' state take the same lock.
 */
void loop_set_lock(struct loop *l, void (*lock)(void *arg),
		   void (*unlock)(void *arg), void *arg);
/* Make loop_run return at the end of the current iteration. */
void loop_stop(struct loop *l);
/* CLOCK_MONOTONIC in milliseconds, read once per iteration. */
int64_t loop_now_ms(struct loop *l);

/*
 * Call fn(arg) once at the end of the current iteration, after every event
 * and timer of this iteration (calls added meanwhile also run). 0 or -ENOMEM.
 */
int loop_defer(struct loop *l, loop_defer_cb fn, void *arg);

#endif
