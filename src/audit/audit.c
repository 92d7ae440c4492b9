/*
 * The audit store's handle: open (with replay), emit (the decision path:
 * render, one write(), no fsync, no SQLite), sync, stats and close.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit_int.h"
#include "common/str.h"

#define AUDIT_RENDER_INIT 2048 /* first allocation for one event */

static void audit_free(struct audit *a)
{
	if (a->wr_fd >= 0)
		close(a->wr_fd);
	if (a->rd_fd >= 0)
		close(a->rd_fd);
	if (a->jsonl_fd >= 0)
		close(a->jsonl_fd);
	if (a->lock_fd >= 0)
		close(a->lock_fd);
	audit_db_close(a->db);
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->wake);
	pthread_cond_destroy(&a->done);
	pthread_rwlock_destroy(&a->ls_lock);
	buf_release(&a->scratch);
	free(a->rbuf);
	free(a->replay);
	free(a->db_path);
	free(a->dir);
	free(a->jsonl_path);
	free(a);
}

void audit_close(struct audit *a)
{
	if (a == NULL)
		return;
	if (a->thr_started) {
		pthread_mutex_lock(&a->mu);
		a->stop = true;
		pthread_cond_signal(&a->wake);
		pthread_mutex_unlock(&a->mu);
		pthread_join(a->thr, NULL);
	}
	audit_free(a);
}

/* Allocate the handle with every descriptor closed and locks ready. */
static struct audit *audit_alloc(void)
{
	struct audit *a = calloc(1, sizeof(*a));
	pthread_condattr_t ca;
	pthread_rwlockattr_t ra;

	if (a == NULL)
		return NULL;
	a->wr_fd = a->rd_fd = a->jsonl_fd = a->lock_fd = -1;
	pthread_mutex_init(&a->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&a->wake, &ca);
	pthread_cond_init(&a->done, &ca);
	pthread_condattr_destroy(&ca);
	/* Writers first, so that set_listener is not starved by emitters. */
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(&ra,
		PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&a->ls_lock, &ra);
	pthread_rwlockattr_destroy(&ra);
	buf_init(&a->scratch, AUDIT_SCRATCH_MAX);
	return a;
}

static int audit_opts_copy(struct audit *a, const struct audit_opts *o)
{
	a->db_path = strdup(o->sqlite_path);
	if (o->journal_dir != NULL) {
		a->dir = strdup(o->journal_dir);
	} else if (a->db_path != NULL &&
		   asprintf(&a->dir, "%s.audit-journal", o->sqlite_path) < 0) {
		a->dir = NULL;
	}
	if (o->jsonl_path != NULL)
		a->jsonl_path = strdup(o->jsonl_path);
	if (a->db_path == NULL || a->dir == NULL ||
	    (o->jsonl_path != NULL && a->jsonl_path == NULL))
		return -ENOMEM;
	if (strlen(a->dir) + 32 >= AUDIT_PATH_MAX ||
	    strlen(a->db_path) >= AUDIT_PATH_MAX)
		return -ENAMETOOLONG;
	a->batch_max = o->batch_max ? o->batch_max : AUDIT_BATCH_DEFAULT;
	a->flush_ms = o->flush_ms > 0 ? o->flush_ms : AUDIT_FLUSH_MS_DEFAULT;
	a->segment_max = o->segment_max ? o->segment_max :
					  AUDIT_SEGMENT_DEFAULT;
	if (a->segment_max < AUDIT_SEGMENT_MIN)
		a->segment_max = AUDIT_SEGMENT_MIN;
	a->rbuf = malloc(AUDIT_READ_CHUNK);
	return a->rbuf ? 0 : -ENOMEM;
}

/* Directories, lock, database, replay plan, first segment, JSONL file. */
static int audit_open_files(struct audit *a)
{
	int r = audit_jnl_mkdirs(a->db_path, false);

	if (r == 0)
		r = audit_jnl_mkdirs(a->dir, true);
	if (r == 0 && a->jsonl_path != NULL)
		r = audit_jnl_mkdirs(a->jsonl_path, false);
	if (r == 0)
		r = audit_jnl_lock(a->dir, &a->lock_fd);
	if (r == 0)
		r = audit_db_open(a->db_path, &a->db);
	if (r == 0)
		r = audit_jnl_prepare(a);
	if (r == 0)
		r = audit_jnl_create(a->dir, a->first_wr_seq, &a->wr_fd);
	if (r < 0 || a->jsonl_path == NULL)
		return r;
	a->jsonl_fd = open(a->jsonl_path, O_WRONLY | O_APPEND | O_CREAT |
			   O_CLOEXEC | O_NOFOLLOW, 0600);
	return a->jsonl_fd < 0 ? -errno : 0;
}

/* Start the loader with every signal blocked: it never handles them. */
static int audit_start(struct audit *a)
{
	sigset_t all, old;
	int r;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = -pthread_create(&a->thr, NULL, audit_load_main, a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	a->thr_started = r == 0;
	return r;
}

int audit_open(const struct audit_opts *o, struct audit **out)
{
	struct audit *a = NULL;
	int r;

	*out = NULL;
	if (o == NULL || o->sqlite_path == NULL || o->sqlite_path[0] == '\0')
		return -EINVAL;
	a = audit_alloc();
	if (a == NULL)
		return -ENOMEM;
	r = audit_opts_copy(a, o);
	if (r == 0)
		r = audit_open_files(a);
	if (r < 0)
		goto out;
	if (getrandom(&a->id_seed, sizeof(a->id_seed), 0) !=
	    (ssize_t)sizeof(a->id_seed)) {
		r = -errno;
		goto out;
	}
	a->wr_seq = a->cur_seq = a->first_wr_seq;
	a->ld_seq = a->nreplay ? a->replay[0].seq : a->first_wr_seq;
	a->ld_off = a->nreplay ? a->replay[0].off : 0;
	r = audit_start(a);
out:
	if (r < 0) {
		audit_close(a);
		return r;
	}
	*out = a;
	return 0;
}

/* Open a new segment (under mu); the loader finishes the old one. */
static int audit_rotate(struct audit *a)
{
	int fd, r = audit_jnl_create(a->dir, a->wr_seq + 1, &fd);

	if (r < 0)
		return r;
	if (a->wr_fd >= 0)
		close(a->wr_fd);
	a->wr_fd = fd;
	a->wr_seq++;
	a->wr_off = 0;
	return 0;
}

/*
 * Append one line with one write() (under mu). A short or failed write
 * may leave part of a line behind; the segment is then abandoned so that
 * no later line is glued to the torn one.
 */
static int audit_append(struct audit *a, const char *p, size_t n)
{
	ssize_t w;
	int r = 0;

	if (a->wr_fd < 0 || (a->wr_off > 0 && a->wr_off + n > a->segment_max))
		r = audit_rotate(a);
	if (r < 0)
		return r;
	do {
		w = write(a->wr_fd, p, n);
	} while (w < 0 && errno == EINTR);
	if (w == (ssize_t)n) {
		a->wr_off += n;
		a->emitted++;
		if (a->ld_idle) {
			a->ld_idle = false;
			pthread_cond_signal(&a->wake);
		} else if (a->emitted - a->emitted_seen == a->batch_max) {
			pthread_cond_signal(&a->wake);
		}
		return 0;
	}
	r = w < 0 ? -errno : -EIO;
	if (w != 0) {
		close(a->wr_fd);
		a->wr_fd = -1;
	}
	return r;
}

/* A render buffer that starts large enough for most events. */
static int audit_buf_start(struct buf *b)
{
	buf_init(b, AUDIT_EVENT_MAX);
	b->data = malloc(AUDIT_RENDER_INIT);
	if (b->data == NULL)
		return -ENOMEM;
	b->data[0] = '\0';
	b->cap = AUDIT_RENDER_INIT;
	return 0;
}

static void audit_notify(struct audit *a, const char *json, size_t len,
			 const struct audit_event *ev)
{
	pthread_rwlock_rdlock(&a->ls_lock);
	if (a->ls_fn != NULL)
		a->ls_fn(a->ls_arg, json, len, ev);
	pthread_rwlock_unlock(&a->ls_lock);
}

int audit_emit(struct audit *a, const struct audit_event *ev,
	       char id_out[AUDIT_ID_MAX])
{
	char id[AUDIT_ID_MAX];
	struct timespec now;
	struct buf b;
	int64_t ns;
	int r;

	if (a == NULL || ev == NULL || ev->type == NULL || ev->type[0] == '\0')
		return -EINVAL;
	clock_gettime(CLOCK_REALTIME, &now);
	ns = (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec;
	audit_id_make(a, ns, id);
	r = audit_buf_start(&b);
	if (r == 0)
		r = audit_render(&b, ev, id, ns);
	if (r == 0)
		r = buf_putc(&b, '\n');
	if (r < 0)
		goto out;
	pthread_mutex_lock(&a->mu);
	r = audit_append(a, b.data, b.len);
	pthread_mutex_unlock(&a->mu);
	if (r < 0)
		goto out;
	audit_notify(a, b.data, b.len - 1, ev);
	if (id_out != NULL)
		str_lcpy(id_out, id, AUDIT_ID_MAX);
out:
	buf_release(&b);
	return r;
}

void audit_set_listener(struct audit *a, audit_listener_fn fn, void *arg)
{
	pthread_rwlock_wrlock(&a->ls_lock);
	a->ls_fn = fn;
	a->ls_arg = arg;
	pthread_rwlock_unlock(&a->ls_lock);
}

int audit_sync(struct audit *a, int timeout_ms)
{
	uint64_t tseq, toff, gen;
	struct timespec dl;
	int r = 0, w;

	pthread_mutex_lock(&a->mu);
	tseq = a->wr_seq;
	toff = a->wr_off;
	gen = a->pass_gen;
	a->sync_waiters++;
	pthread_cond_signal(&a->wake);
	if (timeout_ms >= 0) {
		clock_gettime(CLOCK_MONOTONIC, &dl);
		dl.tv_sec += timeout_ms / 1000;
		dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (dl.tv_nsec >= 1000000000L) {
			dl.tv_sec++;
			dl.tv_nsec -= 1000000000L;
		}
	}
	while (a->ld_seq < tseq || (a->ld_seq == tseq && a->ld_off < toff)) {
		/* Report a failure of a pass that started after this call. */
		if (a->pass_gen > gen + 1 && a->st.last_error < 0) {
			r = a->st.last_error;
			break;
		}
		w = timeout_ms < 0 ? pthread_cond_wait(&a->done, &a->mu) :
			pthread_cond_timedwait(&a->done, &a->mu, &dl);
		if (w == ETIMEDOUT) {
			r = a->st.last_error < 0 ? a->st.last_error :
						   -ETIMEDOUT;
			break;
		}
	}
	a->sync_waiters--;
	pthread_mutex_unlock(&a->mu);
	return r;
}

void audit_stats(struct audit *a, struct audit_stats *st)
{
	pthread_mutex_lock(&a->mu);
	*st = a->st;
	st->emitted = a->emitted;
	pthread_mutex_unlock(&a->mu);
}
