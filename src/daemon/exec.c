#include "daemon/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/loop.h"

struct exec_run {
	struct loop *loop;
	pid_t pid;
	int pidfd, outfd, errfd, infd;
	int failfd; /* the child's exec errno arrives here before it exits */
	const char *in_data;
	size_t in_len, in_off;
	struct loop_timer *timeout, *drain;
	struct exec_result res;
	bool exited, done;
	int64_t start_ms;
	exec_done_fn done_cb;
	exec_chunk_fn chunk_cb;
	void *arg;
};

static int64_t exec_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void exec_close_fd(struct exec_run *r, int *fd)
{
	if (*fd < 0)
		return;
	loop_del_fd(r->loop, *fd);
	close(*fd);
	*fd = -1;
}

static void exec_free(void *arg)
{
	struct exec_run *r = arg;

	buf_release(&r->res.out);
	buf_release(&r->res.err);
	free(r);
}

/* Deliver the result once everything is closed; frees the run. */
static void exec_finish(struct exec_run *r)
{
	if (r->done || !r->exited || r->outfd >= 0 || r->errfd >= 0)
		return;
	r->done = true;
	exec_close_fd(r, &r->infd);
	exec_close_fd(r, &r->pidfd);
	if (r->timeout)
		loop_timer_cancel(r->loop, r->timeout);
	if (r->drain)
		loop_timer_cancel(r->loop, r->drain);
	r->res.duration_ms = exec_now_ms() - r->start_ms;
	r->done_cb(r, &r->res, r->arg);
	/* Events of this iteration may still name r: free it afterwards. */
	loop_defer(r->loop, exec_free, r);
}

static void exec_on_output(struct loop *l, int fd, uint32_t ev, void *arg)
{
	struct exec_run *r = arg;
	int stream = fd == r->outfd ? 1 : 2;
	struct buf *b = stream == 1 ? &r->res.out : &r->res.err;
	uint64_t *total = stream == 1 ? &r->res.out_total : &r->res.err_total;
	char chunk[16384];
	ssize_t n = read(fd, chunk, sizeof(chunk));

	(void)l;
	(void)ev;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		exec_close_fd(r, stream == 1 ? &r->outfd : &r->errfd);
		exec_finish(r);
		return;
	}
	*total += (uint64_t)n;
	if (b->len < b->max)
		buf_append(b, chunk, (size_t)n < b->max - b->len ?
			   (size_t)n : b->max - b->len);
	if (r->chunk_cb)
		r->chunk_cb(r->arg, stream, chunk, (size_t)n);
}

static void exec_on_stdin(struct loop *l, int fd, uint32_t ev, void *arg)
{
	struct exec_run *r = arg;
	ssize_t n = write(fd, r->in_data + r->in_off, r->in_len - r->in_off);

	(void)l;
	if (n > 0)
		r->in_off += (size_t)n;
	if ((n < 0 && errno != EAGAIN && errno != EINTR) ||
	    r->in_off >= r->in_len || (ev & (EPOLLERR | EPOLLHUP)))
		exec_close_fd(r, &r->infd);
}

/* Output still open after exit belongs to background children: stop. */
static void exec_on_drain(struct loop *l, void *arg)
{
	struct exec_run *r = arg;

	(void)l;
	r->drain = NULL;
	exec_close_fd(r, &r->outfd);
	exec_close_fd(r, &r->errfd);
	exec_finish(r);
}

/* The errno the child wrote when its exec failed (nothing: it ran). */
static void exec_read_fail(struct exec_run *r)
{
	int err = 0;

	if (r->failfd < 0)
		return;
	if (read(r->failfd, &err, sizeof(err)) == (ssize_t)sizeof(err) &&
	    r->res.start_errno == 0)
		r->res.start_errno = err;
	close(r->failfd);
	r->failfd = -1;
}

static void exec_on_exit(struct loop *l, int fd, uint32_t ev, void *arg)
{
	struct exec_run *r = arg;
	int status = 0;

	(void)fd;
	(void)ev;
	if (wait4(r->pid, &status, WNOHANG, &r->res.ru) <= 0)
		return;
	r->exited = true;
	exec_read_fail(r);
	exec_close_fd(r, &r->pidfd);
	if (r->res.timed_out) {
		r->res.exit_code = 124;
	} else if (r->res.start_errno) {
		r->res.exit_code = r->res.start_errno == ENOENT ? 127 : 126;
	} else if (WIFSIGNALED(status)) {
		r->res.term_signal = WTERMSIG(status);
		r->res.exit_code = 128 + WTERMSIG(status);
	} else {
		r->res.exit_code = WEXITSTATUS(status);
	}
	if (r->outfd >= 0 || r->errfd >= 0)
		r->drain = loop_timer_add(l, EXEC_DRAIN_MS, exec_on_drain, r);
	exec_finish(r);
}

static void exec_on_timeout(struct loop *l, void *arg)
{
	struct exec_run *r = arg;

	(void)l;
	r->timeout = NULL;
	r->res.timed_out = true;
	exec_kill(r);
}

void exec_kill(struct exec_run *r)
{
	if (r != NULL && !r->exited && r->pid > 0) {
		kill(-r->pid, SIGKILL);
		kill(r->pid, SIGKILL);
	}
}

pid_t exec_pid(const struct exec_run *r)
{
	return r->pid;
}

struct exec_fds {
	int in[2], out[2], err[2], sync[2], fail[2], sup[2];
};

static void exec_close_pair(int p[2])
{
	for (int i = 0; i < 2; i++)
		if (p[i] >= 0)
			close(p[i]);
	p[0] = p[1] = -1;
}

/* In the child: install supervision, tell the parent, wait until it has
 * taken over (a second go byte); 0 or -1. */
static int exec_child_supervise(const struct exec_req *rq, struct exec_fds *f)
{
	int fd = rq->child_supervise();
	char go;

	if (fd < 0 && fd != EXEC_SUPERVISE_TRACED)
		return -1;
	if (write(f->sup[1], &fd, sizeof(fd)) != (ssize_t)sizeof(fd) ||
	    read(f->sync[0], &go, 1) != 1)
		return -1;
	if (fd >= 0)
		close(fd);
	return 0;
}

/* In the child: wire the pipes, wait for the go byte, exec. Never returns. */
static void exec_child(const struct exec_req *rq, struct exec_fds *f)
{
	extern char **environ;
	sigset_t all;
	char go;
	int err;

	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	setpgid(0, 0);
	if (dup2(f->in[0], 0) < 0 || dup2(f->out[1], 1) < 0 ||
	    dup2(f->err[1], 2) < 0 || read(f->sync[0], &go, 1) != 1)
		_exit(126);
	if (rq->cwd && chdir(rq->cwd) < 0) {
		err = errno;
		(void)!write(f->fail[1], &err, sizeof(err));
		_exit(126);
	}
	if ((rq->join_netns && setns(rq->netns_fd, CLONE_NEWNET) < 0) ||
	    (rq->child_setup && rq->child_setup() != 0) ||
	    (rq->child_supervise && exec_child_supervise(rq, f) < 0)) {
		err = EPERM;
		(void)!write(f->fail[1], &err, sizeof(err));
		_exit(126);
	}
	environ = (char **)(uintptr_t)rq->envp;
	execvp(rq->argv[0], rq->argv);
	err = errno;
	(void)!write(f->fail[1], &err, sizeof(err));
	_exit(127);
}

static int exec_pipes(const struct exec_req *rq, struct exec_fds *f)
{
	int *pairs[] = {f->in, f->out, f->err, f->sync, f->fail, f->sup};

	for (size_t i = 0; i < 6; i++)
		pairs[i][0] = pairs[i][1] = -1;
	for (size_t i = 0; i < 6; i++)
		if (pipe2(pairs[i], O_CLOEXEC) < 0)
			return -errno;
	if (rq->stdin_data == NULL) {
		close(f->in[1]); /* the child reads EOF at once */
		f->in[1] = -1;
	}
	return 0;
}

/* In the parent: take the child's listener and hand it to on_supervise. */
static int exec_take_supervision(const struct exec_req *rq, pid_t pid,
				 struct exec_fds *f)
{
	int num = -1, fd = -1, pfd, r;

	close(f->sup[1]);
	f->sup[1] = -1;
	if (read(f->sup[0], &num, sizeof(num)) != (ssize_t)sizeof(num))
		return -EPERM; /* the child failed before it could tell */
	if (num >= 0) {
		pfd = (int)syscall(SYS_pidfd_open, pid, 0);
		fd = pfd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, pfd, num, 0);
		if (pfd >= 0)
			close(pfd);
		if (fd < 0)
			return -EPERM;
	}
	r = rq->on_supervise(rq->attach_arg, pid, fd);
	return r < 0 ? r : 0;
}

/* In the parent: attach, release the child. Whether its exec worked is
 * read once it exits (its exec may wait on our own supervisor). */
static int exec_release(const struct exec_req *rq, pid_t pid,
			struct exec_fds *f, int *start_errno)
{
	char go[2] = {'g', 'g'};

	close(f->in[0]);
	close(f->out[1]);
	close(f->err[1]);
	close(f->fail[1]);
	f->in[0] = f->out[1] = f->err[1] = f->fail[1] = -1;
	if (rq->attach && rq->attach(rq->attach_arg, pid) < 0) {
		kill(pid, SIGKILL);
		*start_errno = EPERM;
	}
	if (write(f->sync[1], go, 1) != 1)
		kill(pid, SIGKILL);
	if (rq->child_supervise && *start_errno == 0 &&
	    exec_take_supervision(rq, pid, f) < 0) {
		kill(pid, SIGKILL);
		*start_errno = EPERM;
	}
	if (rq->child_supervise && write(f->sync[1], go + 1, 1) != 1)
		kill(pid, SIGKILL);
	exec_close_pair(f->sync);
	exec_close_pair(f->sup);
	return 0;
}

static int exec_watch(struct exec_run *r, struct exec_fds *f)
{
	int r1;

	r->outfd = f->out[0];
	r->errfd = f->err[0];
	r->infd = f->in[1];
	fcntl(r->outfd, F_SETFL, O_NONBLOCK);
	fcntl(r->errfd, F_SETFL, O_NONBLOCK);
	r->pidfd = (int)syscall(SYS_pidfd_open, r->pid, 0);
	if (r->pidfd < 0)
		return -errno;
	r1 = loop_add_fd(r->loop, r->pidfd, EPOLLIN, exec_on_exit, r);
	if (r1 == 0)
		r1 = loop_add_fd(r->loop, r->outfd, EPOLLIN, exec_on_output, r);
	if (r1 == 0)
		r1 = loop_add_fd(r->loop, r->errfd, EPOLLIN, exec_on_output, r);
	if (r1 == 0 && r->infd >= 0) {
		fcntl(r->infd, F_SETFL, O_NONBLOCK);
		r1 = loop_add_fd(r->loop, r->infd, EPOLLOUT, exec_on_stdin, r);
	}
	if (r1 < 0) { /* unregister what was registered; f no longer owns */
		exec_close_fd(r, &r->pidfd);
		exec_close_fd(r, &r->outfd);
		exec_close_fd(r, &r->errfd);
		exec_close_fd(r, &r->infd);
	}
	f->out[0] = f->err[0] = f->in[1] = -1;
	return r1;
}

int exec_start(struct loop *l, const struct exec_req *rq, exec_done_fn done,
	       exec_chunk_fn chunk, void *arg, struct exec_run **out)
{
	struct exec_run *r = calloc(1, sizeof(*r));
	struct exec_fds f;
	int rc;

	*out = NULL;
	if (r == NULL)
		return -ENOMEM;
	r->loop = l;
	r->pidfd = r->outfd = r->errfd = r->infd = r->failfd = -1;
	r->done_cb = done;
	r->chunk_cb = chunk;
	r->arg = arg;
	r->in_data = rq->stdin_data;
	r->in_len = rq->stdin_len;
	buf_init(&r->res.out, EXEC_OUTPUT_MAX);
	buf_init(&r->res.err, EXEC_OUTPUT_MAX);
	r->start_ms = exec_now_ms();
	rc = exec_pipes(rq, &f);
	if (rc == 0 && (r->pid = fork()) < 0)
		rc = -errno;
	if (rc == 0 && r->pid == 0)
		exec_child(rq, &f);
	if (rc == 0)
		rc = exec_release(rq, r->pid, &f, &r->res.start_errno);
	if (rc == 0)
		rc = exec_watch(r, &f);
	if (rc == 0) {
		r->failfd = f.fail[0]; /* read at exit */
		f.fail[0] = -1;
		fcntl(r->failfd, F_SETFL, O_NONBLOCK);
	}
	if (rc < 0) {
		/* Nothing is registered that could call back: undo by hand. */
		exec_kill(r);
		if (r->pid > 0)
			waitpid(r->pid, NULL, 0);
		exec_close_pair(f.in);
		exec_close_pair(f.out);
		exec_close_pair(f.err);
		exec_close_pair(f.sync);
		exec_close_pair(f.fail);
		exec_close_pair(f.sup);
		free(r);
		return rc;
	}
	if (rq->timeout_ms > 0)
		r->timeout = loop_timer_add(l, rq->timeout_ms, exec_on_timeout, r);
	*out = r;
	return 0;
}
