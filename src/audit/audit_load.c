/*
 * The loader thread: reads the journal from where SQLite says it stopped
 * and inserts its lines in batches, each transaction also moving the
 * segment's cursor, so a line is either loaded and behind the cursor or
 * neither. A segment the writer has left is removed only after a durable
 * commit marks it done. Replayed segments (left by an earlier process)
 * come first, then the ones this process writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit_int.h"

#define AUDIT_RETRY_MS 200 /* pause after a failed pass */

/* The segment being loaded and the open transaction's counts. */
struct audit_lseg {
	uint64_t seq;
	uint64_t off;       /* next byte to read */
	uint64_t committed; /* the cursor stored in SQLite */
	bool txn;
	bool skip;          /* inside an over-long line */
	uint64_t rows, ins, dups, bad;
};

/* Publish progress to audit_sync and audit_stats (takes mu). */
static void audit_load_publish(struct audit *a, uint64_t seq, uint64_t off,
			       const struct audit_lseg *l)
{
	pthread_mutex_lock(&a->mu);
	a->ld_seq = seq;
	a->ld_off = off;
	a->st.loaded += l->ins;
	a->st.duplicates += l->dups;
	a->st.bad_lines += l->bad;
	a->st.batches++;
	pthread_cond_broadcast(&a->done);
	pthread_mutex_unlock(&a->mu);
}

/* Commit the open transaction with the cursor at l->off. */
static int audit_load_commit(struct audit *a, struct audit_lseg *l)
{
	int r;

	if (!l->txn)
		return 0;
	r = audit_db_cursor_set(a->db, l->seq, l->off, false);
	if (r == 0)
		r = audit_db_commit(a->db);
	if (r < 0)
		return r;
	l->txn = false;
	l->committed = l->off;
	audit_load_publish(a, l->seq, l->off, l);
	l->rows = l->ins = l->dups = l->bad = 0;
	return 0;
}

/* Copy loaded lines to the JSONL file; its failures do not stop SQLite. */
static void audit_load_jsonl(struct audit *a, const char *p, size_t n)
{
	while (a->jsonl_fd >= 0 && n > 0) {
		ssize_t w = write(a->jsonl_fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			pthread_mutex_lock(&a->mu);
			a->st.jsonl_errors++;
			pthread_mutex_unlock(&a->mu);
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

/* One line (without its newline) into the open transaction. */
static int audit_load_line(struct audit *a, struct audit_lseg *l,
			   const char *s, size_t n)
{
	struct audit_row row;
	int r;

	if (n == 0)
		return 0;
	if (!l->txn) {
		if ((r = audit_db_begin(a->db, false)) < 0)
			return r;
		l->txn = true;
	}
	if (n > AUDIT_EVENT_MAX ||
	    audit_jline_parse(s, n, &row, &a->scratch) < 0) {
		l->bad++;
		return 0;
	}
	r = audit_db_insert(a->db, &row);
	if (r < 0)
		return r;
	l->rows++;
	if (r == 1)
		l->ins++;
	else
		l->dups++;
	return 0;
}

/*
 * Load the complete lines of p[0..n), read at file offset l->off, and
 * commit every batch_max rows. Returns the bytes consumed (they end at a
 * newline) or a negative errno; l->off moves past them.
 */
static long audit_load_lines(struct audit *a, struct audit_lseg *l,
			     const char *p, size_t n)
{
	uint64_t base = l->off;
	size_t pos = 0, span;
	const char *nl;
	int r;

	if (l->skip) {
		nl = memchr(p, '\n', n);
		pos = nl ? (size_t)(nl - p) + 1 : n;
		l->skip = nl == NULL;
	}
	span = pos;
	while (pos < n && (nl = memchr(p + pos, '\n', n - pos)) != NULL) {
		size_t len = (size_t)(nl - (p + pos));

		if ((r = audit_load_line(a, l, p + pos, len)) < 0)
			return r;
		pos += len + 1;
		if (l->rows >= a->batch_max) {
			audit_load_jsonl(a, p + span, pos - span);
			span = pos;
			l->off = base + pos;
			if ((r = audit_load_commit(a, l)) < 0)
				return r;
		}
	}
	audit_load_jsonl(a, p + span, pos - span);
	l->off = base + pos;
	return (long)pos;
}

/*
 * Load from l->off up to limit (UINT64_MAX: to the end of the file).
 * *torn is set when the file ends inside a line.
 */
static int audit_load_range(struct audit *a, struct audit_lseg *l,
			    uint64_t limit, bool *torn)
{
	for (;;) {
		size_t want = AUDIT_READ_CHUNK;
		ssize_t n;
		long used;

		if (limit != UINT64_MAX && limit - l->off < want)
			want = (size_t)(limit - l->off);
		if (want == 0)
			return 0;
		n = pread(a->rd_fd, a->rbuf, want, (off_t)l->off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : 0;
		used = audit_load_lines(a, l, a->rbuf, (size_t)n);
		if (used < 0)
			return (int)used;
		if (used == 0 && (size_t)n == AUDIT_READ_CHUNK) {
			/* A line longer than a chunk: not ours; skip it. */
			l->bad++;
			l->skip = true;
			l->off += (uint64_t)n;
		} else if ((size_t)used < (size_t)n && (size_t)n < want) {
			*torn = true; /* the file ends inside a line */
			return 0;
		} else if ((size_t)used < (size_t)n && n < AUDIT_READ_CHUNK) {
			return 0; /* the limit is inside a line: wait */
		}
	}
}

/* Open the segment for reading unless it is already open. */
static int audit_load_open(struct audit *a, uint64_t seq)
{
	char p[AUDIT_PATH_MAX];
	int r;

	if (a->rd_fd >= 0 && a->rd_seq == seq)
		return 0;
	if (a->rd_fd >= 0)
		close(a->rd_fd);
	a->rd_fd = -1;
	if ((r = audit_jnl_path(a->dir, seq, p)) < 0)
		return r;
	a->rd_fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (a->rd_fd < 0)
		return -errno;
	a->rd_seq = seq;
	return 0;
}

/* Mark a fully read segment done (durably), then remove its file. */
static int audit_load_finish(struct audit *a, struct audit_lseg *l,
			     bool torn)
{
	char p[AUDIT_PATH_MAX];
	int r = audit_load_commit(a, l);

	if (r == 0)
		r = audit_db_begin(a->db, true);
	if (r == 0)
		r = audit_db_cursor_set(a->db, l->seq, l->off, true);
	if (r == 0)
		r = audit_db_commit(a->db);
	if (r < 0) {
		audit_db_rollback(a->db);
		return r;
	}
	if (a->rd_fd >= 0)
		close(a->rd_fd);
	a->rd_fd = -1;
	/* Should this fail, the next audit_open sees "done" and cleans up. */
	if (audit_jnl_path(a->dir, l->seq, p) == 0 &&
	    (unlink(p) == 0 || errno == ENOENT))
		audit_db_cursor_delete(a->db, l->seq);
	l->bad = torn;
	audit_load_publish(a, l->seq + 1, 0, l);
	return 0;
}

/* Load segment seq from *off to limit; finish it when asked to. */
static int audit_load_seg(struct audit *a, uint64_t seq, uint64_t *off,
			  uint64_t limit, bool finish)
{
	struct audit_lseg l = {seq, *off, *off, false, false, 0, 0, 0, 0};
	bool torn = false;
	int r = audit_load_open(a, seq);

	if (r == -ENOENT && finish)
		return audit_load_finish(a, &l, false);
	if (r == 0)
		r = audit_load_range(a, &l, limit, &torn);
	if (r == 0)
		r = audit_load_commit(a, &l);
	if (r == 0 && finish)
		r = audit_load_finish(a, &l, torn);
	if (r < 0 && l.txn)
		audit_db_rollback(a->db);
	*off = l.committed;
	return r;
}

/* Load everything up to the writer's position (tseq, toff). */
static int audit_load_pass(struct audit *a, uint64_t tseq, uint64_t toff,
			   bool final)
{
	int r = 0;

	while (r == 0 && a->rp_next < a->nreplay) {
		struct audit_seg *s = &a->replay[a->rp_next];

		r = audit_load_seg(a, s->seq, &s->off, UINT64_MAX, true);
		if (r == 0)
			a->rp_next++;
	}
	while (r == 0 && a->cur_seq < tseq) {
		r = audit_load_seg(a, a->cur_seq, &a->cur_off, UINT64_MAX,
				   true);
		if (r == 0) {
			a->cur_seq++;
			a->cur_off = 0;
		}
	}
	if (r == 0)
		r = audit_load_seg(a, tseq, &a->cur_off, toff, final);
	return r;
}

static void audit_load_deadline(struct timespec *dl, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, dl);
	dl->tv_sec += ms / 1000;
	dl->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (dl->tv_nsec >= 1000000000L) {
		dl->tv_sec++;
		dl->tv_nsec -= 1000000000L;
	}
}

/* True when something written is not loaded yet (under mu). */
static bool audit_load_pending(const struct audit *a)
{
	return a->ld_seq < a->wr_seq ||
	       (a->ld_seq == a->wr_seq && a->ld_off < a->wr_off);
}

/*
 * Under mu: sleep while there is nothing to load, then let a batch build
 * up for at most flush_ms (an emitter wakes us early when batch_max events
 * are waiting, audit_sync and audit_close at once).
 */
static void audit_load_wait(struct audit *a)
{
	struct timespec dl;
	bool timed = false;

	while (!a->stop && a->sync_waiters == 0) {
		bool pending = audit_load_pending(a);

		if (pending && a->emitted - a->emitted_seen >= a->batch_max)
			return;
		if (!pending) {
			a->ld_idle = true;
			pthread_cond_wait(&a->wake, &a->mu);
			a->ld_idle = false;
			timed = false;
			continue;
		}
		if (!timed)
			audit_load_deadline(&dl, a->flush_ms);
		timed = true;
		if (pthread_cond_timedwait(&a->wake, &a->mu, &dl) == ETIMEDOUT)
			return;
	}
}

/* Under mu: after a failed pass, wait before trying again. */
static void audit_load_backoff(struct audit *a)
{
	struct timespec dl;

	audit_load_deadline(&dl, AUDIT_RETRY_MS);
	while (!a->stop &&
	       pthread_cond_timedwait(&a->wake, &a->mu, &dl) != ETIMEDOUT)
		;
}

void *audit_load_main(void *arg)
{
	struct audit *a = arg;
	uint64_t tseq, toff;
	bool first = true, stop;
	int r;

	pthread_mutex_lock(&a->mu);
	for (;;) {
		if (!first)
			audit_load_wait(a);
		first = false;
		stop = a->stop;
		tseq = a->wr_seq;
		toff = a->wr_off;
		a->emitted_seen = a->emitted;
		pthread_mutex_unlock(&a->mu);
		r = audit_load_pass(a, tseq, toff, stop);
		pthread_mutex_lock(&a->mu);
		a->st.last_error = r;
		a->pass_gen++;
		pthread_cond_broadcast(&a->done);
		if (stop)
			break;
		if (r < 0)
			audit_load_backoff(a);
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}
