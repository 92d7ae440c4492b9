/*
 * Listeners handed over by shims (SCM_RIGHTS on POST /api/v1/shim/attach)
 * are served on the daemon's loop. When the daemon exits or drops a
 * listener, every call its processes make that the filter sends to it
 * fails (ENOSYS): nothing they do afterwards is decided as allowed.
 */
#include "daemon/supv.h"

#include <errno.h>
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

static const struct sup_ops supv_ops = {
	.exec = supv_on_exec,
	.open = supv_on_open,
	.file = supv_on_file,
	.soft_delete = supv_on_soft_delete,
	.net = supv_on_net,
	.kill = supv_on_kill,
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

static void supv_drop(struct supv_listener *l, const char *why)
{
	struct daemon *d = l->d;

	loop_del_fd(d->loop, l->fd);
	close(l->fd);
	if (l->prev)
		l->prev->next = l->next;
	else
		d->listeners = l->next;
	if (l->next)
		l->next->prev = l->prev;
	d->nlisteners--;
	if (why)
		supv_event(l, "supervisor_detached", why);
	free(l);
}

static void supv_on_ready(struct loop *lp, int fd, uint32_t events, void *arg)
{
	struct supv_listener *l = arg;
	int r = 0;

	for (int i = 0; i < SUPV_BATCH; i++) {
		r = sup_handle(fd, &supv_ops, l);
		if (r < 0)
			break;
		l->notifications++;
		l->d->m.notifications++;
	}
	if (r == -EAGAIN || r == 0)
		return;
	if (r == -EPIPE) {
		supv_drop(l, "the shell and all its processes exited");
		return;
	}
	log_msg(LOG_LVL_ERROR, "supervisor listener of session %s failed: %s",
		l->sid, strerror(-r));
	supv_drop(l, "listener failed; its processes can no longer make "
		  "supervised calls");
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
	fcntl(fd, F_SETFL, O_NONBLOCK);
	r = loop_add_fd(d->loop, fd, EPOLLIN, supv_on_ready, l);
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

void supv_free_all(struct daemon *d)
{
	while (d->listeners)
		supv_drop(d->listeners, NULL);
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
