/*
 * Putting the shell under supervision before it runs. Landlock first (the
 * exec deny list, signal and abstract-socket scopes), then the strongest
 * seccomp mode that works here (the weaker two add the policy's file
 * allowlist as a second Landlock ruleset, shim_fs.c):
 *
 *   full    a user-notify filter whose listener goes to the daemon;
 *   ptrace  (user-notify taken, EBUSY) a plain filter and the daemon's
 *           tracer deciding every exec;
 *   landlock  the plain filter and Landlock alone.
 *
 * Filters apply per thread unless synchronised: the listener is sent by a
 * thread started before the filter exists, because the main thread's own
 * sendmsg would wait on the very listener it is sending.
 */
#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/proto.h"
#include "common/uhttp.h"
#include "landlock/landlock.h"
#include "ptracer/ptracer.h"
#include "shim/shim.h"
#include "supervisor/supervisor.h"

struct shim_att {
	int sock;       /* connected to the daemon before any filter */
	int go[2];      /* main -> sender: the listener is ready */
	int lfd;
	const char *mode;
	int status;     /* HTTP status, or -errno */
	char *body;
};

static int shim_attach_send(struct shim_att *a)
{
	char req[128];
	size_t len = 0;
	int st = 0, r;

	snprintf(req, sizeof(req), "{\"pid\":%d,\"mode\":\"%s\"}", (int)getpid(),
		 a->mode);
	r = uhttp_request_fd(a->sock, "POST", AGENTSH_ATTACH_PATH, req,
			     strlen(req), a->lfd, &a->body, &len, &st);
	a->sock = -1; /* consumed */
	return r < 0 ? r : st;
}

static void *shim_sender(void *arg)
{
	struct shim_att *a = arg;
	char c;

	if (read(a->go[0], &c, 1) != 1) {
		a->status = -EPIPE;
		return NULL;
	}
	a->status = shim_attach_send(a);
	return NULL;
}

/* Install the user-notify filter and hand its listener over; 0, -EBUSY
 * (taken: fall back) or another -errno / HTTP status (fatal). fast_reads:
 * read-only opens stay in the kernel (Landlock's allowlist decides). */
static int shim_full(struct shim_att *a, bool fast_reads)
{
	struct sup_filter f;
	pthread_t th;
	char go = 'g';
	int r;

	if (pipe(a->go) < 0 || pthread_create(&th, NULL, shim_sender, a) != 0)
		return -errno;
	r = fast_reads ? sup_filter_build_fast_reads(&f) : sup_filter_build(&f);
	a->lfd = r < 0 ? r : sup_install(&f.prog);
	r = a->lfd < 0 ? a->lfd : 0;
	if (r == 0 && write(a->go[1], &go, 1) != 1)
		r = -EPIPE;
	close(a->go[1]); /* on failure the sender sees EOF and stops */
	pthread_join(th, NULL);
	close(a->go[0]);
	if (a->lfd >= 0)
		close(a->lfd); /* the daemon holds its own copy now */
	if (r == 0)
		r = a->status == 200 ? 0 : (a->status < 0 ? a->status : -EPERM);
	return r;
}

/* The exec deny list and the scopes; the Landlock ABI or -errno. */
static int shim_landlock(json_object *plan)
{
	const char *paths[LANDLOCK_DENY_MAX];
	struct landlock_rs *rs;
	unsigned want = LANDLOCK_WANT_SCOPE_SIGNAL | LANDLOCK_WANT_SCOPE_UNIX;
	size_t n = shim_deny_list(plan, paths);
	int abi, r;

	if (n)
		want |= LANDLOCK_WANT_EXEC_DENY;
	rs = landlock_rs_new(want, &abi);
	if (rs == NULL)
		return -ENOMEM;
	r = n ? landlock_rs_deny_exec(rs, paths, n, NULL, NULL) : 0;
	if (r >= 0)
		r = landlock_rs_apply(rs);
	landlock_rs_free(rs);
	return r < 0 ? r : abi;
}

/* Without user-notify: the plain filter, and the tracer if allowed. */
static int shim_fallback(struct shim_att *a, bool ptrace_ok, bool landlock)
{
	struct ptracer_filter pf;
	struct sup_filter f;
	int r = sup_filter_build_plain(&f);

	if (r == 0)
		r = sup_install_plain(&f.prog);
	/* Without Landlock nothing decides files: say so, and let the daemon
	 * hold it against security.minimum_mode. */
	a->mode = landlock ? "landlock" : "minimal";
	if (r == 0 && ptrace_ok && ptracer_filter_build(&pf) == 0 &&
	    ptracer_install(&pf.prog) == 0)
		a->mode = "ptrace";
	if (r < 0)
		return r;
	a->lfd = -1;
	r = shim_attach_send(a);
	return r == 200 ? 0 : (r < 0 ? r : -EPERM);
}

const char *shim_supervise(const struct shim_conf *c, json_object *plan,
			   char *err, size_t errlen)
{
	struct shim_att a = {.lfd = -1, .mode = "full"};
	json_object *m, *m2;
	bool full, fast;
	int r, ll;

	full = json_object_object_get_ex(plan, "mode", &m) &&
	       strcmp(json_object_get_string(m), "full") == 0;
	a.sock = uhttp_connect(c->socket);
	if (a.sock < 0) {
		snprintf(err, errlen, "cannot reach the daemon to attach: %s",
			 strerror(-a.sock));
		return NULL;
	}
	ll = shim_landlock(plan);
	fast = full && json_object_object_get_ex(plan, "fast_reads", &m2) &&
	       json_object_get_boolean(m2);
	/* Fast reads need the file allowlist before any read passes. */
	r = fast ? shim_landlock_fs(plan, false) : 0;
	if (r == 0)
		r = full ? shim_full(&a, fast) : -EBUSY;

	/* No supervisor for opens and connects: the file allowlist, and TCP
	 * only to the gateway (no ports yet); failing that, nothing runs. */
	if (r == -EBUSY) {
		a.mode = "landlock";
		r = shim_landlock_fs(plan, ll >= 4);
		if (r == 0)
			r = shim_fallback(&a, full || strcmp(
				json_object_get_string(m), "ptrace") == 0, ll > 0);
	}
	if (a.sock >= 0)
		close(a.sock);
	free(a.body);
	if (r < 0) {
		snprintf(err, errlen, "cannot put the shell under supervision "
			 "(%s mode): %s", a.mode, r == -EPERM ?
			 "the daemon refused it (security.minimum_mode?)" :
			 strerror(-r));
		return NULL;
	}
	return a.mode;
}
