/*
 * Checking, at a process's first supervised call after an allowed exec,
 * that it runs the program that was decided (see struct supv_pending).
 * A process found running something else is killed and the event
 * recorded: the window is what it can do without a supervised call.
 */
#include "daemon/supv.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "audit/audit.h"
#include "daemon/daemon.h"

static int supv_exe_ids(pid_t pid, uint64_t *dev, uint64_t *ino)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	if (stat(path, &st) < 0)
		return -errno;
	*dev = (uint64_t)st.st_dev;
	*ino = (uint64_t)st.st_ino;
	return 0;
}

/* Drop entries whose process is gone; 0 when there is room. */
static int supv_pending_compact(struct supv_listener *l)
{
	uint64_t start;
	size_t k = 0;

	for (size_t i = 0; i < l->npending; i++)
		if (supv_stat(l->pending[i].pid, NULL, &start) == 0 &&
		    start == l->pending[i].start)
			l->pending[k++] = l->pending[i];
	l->npending = k;
	return k < SUPV_PENDING_MAX ? 0 : -ENOSPC;
}

int supv_expect_exec(struct supv_listener *l, pid_t pid,
		     const struct sup_exec_req *r)
{
	struct supv_pending p = {.pid = pid, .dev = r->dev, .ino = r->ino,
				 .idev = r->idev, .iino = r->iino};
	size_t i;

	if (supv_stat(pid, NULL, &p.start) < 0)
		return -ESRCH;
	supv_exe_ids(pid, &p.pdev, &p.pino);
	for (i = 0; i < l->npending; i++)
		if (l->pending[i].pid == pid)
			break;
	if (i == l->npending) {
		if (l->npending == SUPV_PENDING_MAX &&
		    supv_pending_compact(l) < 0)
			return -ENOSPC;
		i = l->npending++;
	}
	l->pending[i] = p;
	return 0;
}

static void supv_race_event(struct supv_listener *l, pid_t pid)
{
	struct audit_event ev = {0};

	ev.type = "command_policy";
	ev.session_id = l->sid;
	ev.pid = (int)pid;
	ev.decision = ev.effective = "deny";
	ev.rule = "exec-race";
	ev.operation = "supervisor_exec";
	ev.message = "the process runs another program than the one its exec "
		     "was allowed for (its path was changed during the check); "
		     "killed";
	daemon_event(l->d, &ev);
}

bool supv_pre(void *arg, pid_t pid)
{
	struct supv_listener *l = arg;
	struct supv_pending *p = NULL;
	uint64_t start, dev = 0, ino = 0;

	for (size_t i = 0; i < l->npending; i++)
		if (l->pending[i].pid == pid)
			p = &l->pending[i];
	if (p == NULL)
		return true;
	if (supv_stat(pid, NULL, &start) < 0 || start != p->start ||
	    supv_exe_ids(pid, &dev, &ino) < 0)
		return false;
	if ((dev == p->dev && ino == p->ino) ||
	    (p->iino && dev == p->idev && ino == p->iino) ||
	    (dev == p->pdev && ino == p->pino)) {
		*p = l->pending[--l->npending];
		return true;
	}
	kill(pid, SIGKILL);
	supv_race_event(l, pid);
	*p = l->pending[--l->npending];
	return false;
}
