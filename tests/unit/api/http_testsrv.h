/*
 * The server the HTTP tests talk to: a loop in its own thread with a fixed
 * set of routes, listening on 127.0.0.1:0 and on a Unix socket in a
 * temporary directory. Handlers count what happened in ts_stats.
 */
#ifndef AGENTSH_TESTS_HTTP_TESTSRV_H
#define AGENTSH_TESTS_HTTP_TESTSRV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "api/http.h"
#include "common/loop.h"

struct ts {
	struct loop *l;
	struct http_server *srv;
	pthread_t th;
	int evfd;           /* written by ts_stop: the loop stops */
	uint16_t port;
	char dir[64];
	char sock[128];
	int running;
};

struct ts_stats {
	atomic_int aborts;       /* on_abort of /hold */
	atomic_int holds_done;   /* /hold timers that fired */
	atomic_int hold_rc;      /* what the late http_resp_send returned */
	atomic_int flood_rc;     /* what stopped /flood */
	atomic_int flood_sent;
	atomic_int sse_aborts;   /* on_abort of /ssehold */
	atomic_int shutdown_done;
	atomic_int hdr_rc;       /* http_resp_header on a CR/LF value */
};

extern struct ts_stats ts_stats;

/* Start with cfg (NULL: defaults shortened for tests). 0 or -errno. */
int ts_start(struct ts *t, const struct http_config *cfg);
/* The same, with the TCP listener on hostport. */
int ts_start_at(struct ts *t, const struct http_config *cfg,
		const char *hostport);
void ts_stop(struct ts *t);
/* Test defaults: short timeouts so that the suite stays fast. */
void ts_config(struct http_config *cfg);
/* Poll until *v >= want or ms passes; returns the last value. */
int ts_wait(atomic_int *v, int want, int ms);
/* Ask the server (over one extra connection) for its connection count. */
int ts_count(struct ts *t);

#endif
