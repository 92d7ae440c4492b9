/*
 * Listeners handed over by shims (SCM_RIGHTS on POST /api/v1/shim/attach)
 * are served on the daemon's loop. When the daemon exits or drops a
 * listener, every call its processes make that the filter sends to it
 * fails (ENOSYS): nothing they do afterwards is decided as allowed.
 */
#include "daemon/supv.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "audit/audit.h"
#include "common/log.h"
#include "common/str.h"
#include "daemon/daemon.h"
#include "daemon/exec.h"
#include "ptracer/ptracer.h"

static void supv_lock(void *arg);
static void supv_unlock(void *arg);

static const struct sup_ops supv_ops = {
	.exec = supv_on_exec,
	.open = supv_on_open,
	.file = supv_on_file,
	.soft_delete = supv_on_soft_delete,
	.net = supv_on_net,
	.kill = supv_on_kill,
	.pre = supv_pre,
	.lock = supv_lock,
	.unlock = supv_unlock,
};

int supv_stat(pid_t pid, pid_t *ppid, uint64_t *start)
{
	char path[64], buf[1024], *p, *end;
	ssize_t r;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return -EIO;
	buf[r] = '\0';
	p = strrchr(buf, ')');
	if (p == NULL)
		return -EIO;
	/* Fields after the name: 3 state, 4 ppid, ... 22 starttime. */
	for (field = 3, p += 2; field < 22 && p; field++) {
		if (field == 4 && ppid)
			*ppid = (pid_t)strtol(p, &end, 10);
		p = strchr(p, ' ');
		p = p ? p + 1 : NULL;
	}
	if (p == NULL)
		return -EIO;
	if (start)
		*start = strtoull(p, &end, 10);
	return 0;
}

bool supv_in_tree(struct supv_listener *l, pid_t pid)
{
	pid_t pp = 0;

	for (int i = 0; i < SESSION_ANCESTRY_MAX && pid > 1; i++) {
		if (pid == l->root)
			return true;
		if (supv_stat(pid, &pp, NULL) < 0)
			return false;
		pid = pp;
	}
	return false;
}

struct session *supv_session(struct supv_listener *l)
{
	return session_get(l->d->sessions, l->sid);
}

void supv_tell(pid_t pid, const char *line)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/fd/2", (int)pid);
	fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return;
	(void)!write(fd, line, strlen(line));
	close(fd);
}

static void supv_event(struct supv_listener *l, const char *type,
		       const char *msg)
{
	struct audit_event ev = {0};

	ev.type = type;
	ev.session_id = l->sid;
	ev.pid = (int)l->root;
	ev.message = msg;
	daemon_event(l->d, &ev);
}

void supv_verdict_event(struct audit_event *ev, struct supv_listener *l,
			pid_t pid, const char *type,
			const struct policy_verdict *v)
{
	ev->type = type;
	ev->session_id = l->sid;
	ev->pid = (int)pid;
	ev->decision = policy_decision_name(v->decision);
	ev->effective = policy_decision_name(v->effective);
	ev->rule = v->rule;
	ev->message = v->reason;
}

static void supv_lock(void *arg)
{
	struct supv_listener *l = arg;

	pthread_mutex_lock(&l->d->big);
}

static void supv_unlock(void *arg)
{
	struct supv_listener *l = arg;

	pthread_mutex_unlock(&l->d->big);
}

/* Interrupts a thread blocked in the listener's RECV (EINTR). */
static void supv_wake_handler(int sig)
{
	(void)sig;
}

/*
 * One thread per listener waits in the kernel for the next notification:
 * measured here, a thread blocked in RECV answers a call several times
 * faster than an epoll loop does (bench_supervisor). Decisions run under
 * the daemon's lock, which the event loop holds while it dispatches.
 */
static void *supv_thread(void *arg)
{
	struct supv_listener *l = arg;
	sigset_t wake;
	int r = 0;

	sigemptyset(&wake);
	sigaddset(&wake, SUPV_WAKE_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &wake, NULL);
	while (!atomic_load(&l->stop)) {
		r = sup_handle_wait(l->fd, &supv_ops, l);
		if (r == 0) {
			atomic_fetch_add(&l->notifications, 1);
			continue;
		}
		if (r != -EINTR && r != -ENOENT)
			break;
	}
	atomic_store(&l->failed, r != 0 && r != -EINTR && r != -ENOENT);
	atomic_store(&l->exited, true);
	return NULL;
}

static void supv_unlink(struct supv_listener *l)
{
	struct daemon *d = l->d;

	if (l->prev)
		l->prev->next = l->next;
	else
		d->listeners = l->next;
	if (l->next)
		l->next->prev = l->prev;
	l->prev = l->next = NULL;
	d->nlisteners--;
}

/* Under the lock: the thread has exited; release everything. */
static void supv_reap(struct supv_listener *l, const char *why)
{
	pthread_join(l->th, NULL);
	l->d->m.notifications += atomic_load(&l->notifications);
	if (why || atomic_load(&l->failed))
		supv_event(l, "supervisor_detached", atomic_load(&l->failed) ?
			   "listener failed; its processes can no longer make "
			   "supervised calls" : why);
	close(l->fd);
	free(l);
}

static void supv_on_reap_timer(struct loop *lp, void *arg)
{
	struct supv_listener *l = arg;

	l->reap = NULL;
	if (!atomic_load(&l->exited)) {
		pthread_kill(l->th, SUPV_WAKE_SIGNAL);
		l->reap = loop_timer_add(lp, SUPV_REAP_MS, supv_on_reap_timer, l);
		return;
	}
	supv_unlink(l);
	supv_reap(l, "the shell and all its processes exited");
}

/* Every process under the filter is gone (the listener hangs up); the
 * listener stays listed until its thread is reaped. */
static void supv_on_hup(struct loop *lp, int fd, uint32_t events, void *arg)
{
	struct supv_listener *l = arg;

	if (!(events & (EPOLLHUP | EPOLLERR)) || l->hup)
		return;
	l->hup = true;
	loop_del_fd(lp, fd);
	atomic_store(&l->stop, true);
	pthread_kill(l->th, SUPV_WAKE_SIGNAL);
	l->reap = loop_timer_add(lp, 0, supv_on_reap_timer, l);
}

static int supv_start_thread(struct supv_listener *l)
{
	static bool handler_set;
	struct sigaction sa = {.sa_handler = supv_wake_handler};
	pthread_attr_t at;
	sigset_t all, old;
	int r;

	if (!handler_set) {
		sigemptyset(&sa.sa_mask); /* no SA_RESTART: RECV returns EINTR */
		sigaction(SUPV_WAKE_SIGNAL, &sa, NULL);
		handler_set = true;
	}
	pthread_attr_init(&at);
	pthread_attr_setstacksize(&at, SUPV_STACK_BYTES);
	/* The thread starts with every signal blocked, then opens its own. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&l->th, &at, supv_thread, l);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&at);
	return -r;
}

int supv_attach(struct daemon *d, struct session *s, pid_t root, int fd)
{
	struct supv_listener *l;
	char link[64];
	ssize_t n;
	int r;

	if (d->nlisteners >= SUPV_LISTENERS_MAX) {
		close(fd);
		return -EMFILE;
	}
	l = calloc(1, sizeof(*l));
	if (l == NULL) {
		close(fd);
		return -ENOMEM;
	}
	l->d = d;
	l->fd = fd;
	l->root = root;
	str_lcpy(l->sid, s->id, sizeof(l->sid));
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)root);
	n = readlink(link, l->shim_exe, sizeof(l->shim_exe) - 1);
	l->shim_exe[n > 0 ? n : 0] = '\0';
	r = loop_add_fd(d->loop, fd, 0, supv_on_hup, l);
	if (r == 0 && (r = supv_start_thread(l)) < 0)
		loop_del_fd(d->loop, fd);
	if (r < 0) {
		close(fd);
		free(l);
		return r;
	}
	l->next = d->listeners;
	if (l->next)
		l->next->prev = l;
	d->listeners = l;
	d->nlisteners++;
	return 0;
}

/* At shutdown, with the lock held: stop and join every thread. */
void supv_free_all(struct daemon *d)
{
	struct supv_listener *l;

	if (d->listeners == NULL)
		return;
	for (l = d->listeners; l; l = l->next)
		atomic_store(&l->stop, true);
	pthread_mutex_unlock(&d->big);
	for (l = d->listeners; l; l = l->next)
		for (int i = 0; i < SUPV_STOP_TRIES && !atomic_load(&l->exited);
		     i++) {
			pthread_kill(l->th, SUPV_WAKE_SIGNAL);
			usleep(SUPV_REAP_MS * 1000);
		}
	pthread_mutex_lock(&d->big);
	while ((l = d->listeners) != NULL) {
		if (!l->hup)
			loop_del_fd(d->loop, l->fd);
		if (l->reap)
			loop_timer_cancel(d->loop, l->reap);
		supv_unlink(l);
		if (atomic_load(&l->exited))
			supv_reap(l, NULL);
		/* else: stuck in the kernel; the fd dies with the process */
	}
}

int supv_depth_of(struct daemon *d, pid_t pid)
{
	uint64_t start;

	if (supv_stat(pid, NULL, &start) < 0)
		return -1;
	for (struct supv_listener *l = d->listeners; l; l = l->next)
		for (size_t i = 0; i < l->nprocs; i++)
			if (l->procs[i].pid == pid && l->procs[i].start == start)
				return l->procs[i].depth;
	return -1;
}

int supv_child_install(void)
{
	struct ptracer_filter pf;
	struct sup_filter f;
	int fd = sup_filter_build(&f);

	if (fd == 0)
		fd = sup_install(&f.prog);
	if (fd != -EBUSY)
		return fd;
	/* user-notify is taken: the in-kernel part, and the tracer. */
	if (sup_filter_build_plain(&f) < 0 || sup_install_plain(&f.prog) < 0 ||
	    ptracer_filter_build(&pf) < 0 || ptracer_install(&pf.prog) < 0)
		return -EPERM;
	return EXEC_SUPERVISE_TRACED;
}

uint64_t supv_notifications(struct daemon *d)
{
	uint64_t n = d->m.notifications;

	for (struct supv_listener *l = d->listeners; l; l = l->next)
		n += atomic_load(&l->notifications);
	return n;
}
