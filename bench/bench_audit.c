/*
 * Audit store throughput: 1,000,000 decisions emitted as fast as one
 * thread can (each one rendered and appended to the journal with one
 * write() before audit_emit returns), then audit_sync until all of them
 * are committed to SQLite; the run fails unless every event was loaded
 * exactly once. Two baselines run in the same process:
 *   - the ratio that makes the point: the same rows inserted straight into
 *     the same SQLite schema, one transaction per event (what "write the
 *     audit row before returning the decision" costs without the journal);
 *   - for scale: the same rendered line written with one write() each to
 *     /dev/null (the floor for anything that makes a syscall per event).
 * Usage: bench_audit [EVENTS] [DIR]   (DIR defaults to $TMPDIR or /tmp)
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "audit/audit_int.h"
#include "common/str.h"

#define BA_EVENTS 1000000
#define BA_SQLITE_EVENTS 50000 /* the per-transaction baseline is slow */
#define BA_PATH_MAX 4096

struct ba_lat {
	uint32_t *ns; /* one latency per event */
	size_t n;
};

static double ba_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t ba_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int ba_u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* p50 / p99 / p99.9 in microseconds. */
static void ba_pct(struct ba_lat *l, double out[3])
{
	static const double q[3] = {0.50, 0.99, 0.999};

	qsort(l->ns, l->n, sizeof(*l->ns), ba_u32_cmp);
	for (int i = 0; i < 3; i++)
		out[i] = l->ns[(size_t)(q[i] * (double)(l->n - 1))] / 1e3;
}

/* A realistic decision: a file write under the workspace. */
static void ba_event(struct audit_event *ev, long i, char *path, char *cmd,
		     char *fields)
{
	snprintf(path, 128, "/workspace/src/module_%ld/file_%ld.c", i % 97, i);
	snprintf(cmd, 32, "cmd-%ld", i / 50);
	snprintf(fields, 64, "{\"bytes\":%ld,\"blocked\":false}", i % 4096);
	*ev = (struct audit_event){.type = "file_write",
		.session_id = "session-0b5e7c2a", .command_id = cmd,
		.pid = 4242, .decision = "allow", .effective = "allow",
		.rule = "allow-workspace-writes", .path = path,
		.operation = "write", .fields_json = fields};
}

/* The store under test; returns 0 when every event was loaded once. */
static int ba_audit(const char *dir, long n, struct ba_lat *lat,
		    double *emit_s, double *total_s)
{
	char db[BA_PATH_MAX], jdir[BA_PATH_MAX];
	char path[128], cmd[32], fields[64];
	struct audit_opts o = {.sqlite_path = db, .journal_dir = jdir};
	struct audit *a = NULL;
	struct audit_event ev;
	struct audit_stats st;
	double t0;
	int r;

	snprintf(db, sizeof(db), "%s/events.db", dir);
	snprintf(jdir, sizeof(jdir), "%s/journal", dir);
	if ((r = audit_open(&o, &a)) < 0)
		return r;
	t0 = ba_now();
	for (long i = 0; i < n && r == 0; i++) {
		uint64_t s;

		ba_event(&ev, i, path, cmd, fields);
		s = ba_ns();
		r = audit_emit(a, &ev, NULL);
		lat->ns[lat->n++] = (uint32_t)(ba_ns() - s);
	}
	*emit_s = ba_now() - t0;
	if (r == 0)
		r = audit_sync(a, -1);
	*total_s = ba_now() - t0;
	audit_stats(a, &st);
	audit_close(a);
	if (r == 0 && (st.loaded != (uint64_t)n || st.duplicates != 0))
		r = -EIO;
	printf("  journal -> SQLite: %llu loaded in %llu batches, %llu "
	       "duplicates, %llu bad lines\n", (unsigned long long)st.loaded,
	       (unsigned long long)st.batches,
	       (unsigned long long)st.duplicates,
	       (unsigned long long)st.bad_lines);
	return r;
}

/* Baseline: render, then INSERT in a transaction of its own. */
static int ba_sqlite(const char *dir, long n, struct ba_lat *lat,
		     double *secs)
{
	char db[BA_PATH_MAX], id[AUDIT_ID_MAX], path[128], cmd[32];
	char fields[64];
	struct audit_db *d = NULL;
	struct audit_event ev;
	struct audit_row row;
	struct buf b;
	double t0;
	int r;

	snprintf(db, sizeof(db), "%s/direct.db", dir);
	if ((r = audit_db_open(db, &d)) < 0)
		return r;
	buf_init(&b, AUDIT_EVENT_MAX);
	t0 = ba_now();
	for (long i = 0; i < n && r == 0; i++) {
		uint64_t s = ba_ns();

		ba_event(&ev, i, path, cmd, fields);
		snprintf(id, sizeof(id), "direct-%ld", i);
		buf_reset(&b);
		r = audit_render(&b, &ev, id, (int64_t)s);
		row = (struct audit_row){.id = id, .type = ev.type,
			.session_id = ev.session_id, .command_id = cmd,
			.ts_ns = (int64_t)s, .pid = ev.pid,
			.decision = ev.decision, .effective = ev.effective,
			.rule = ev.rule, .path = path,
			.operation = ev.operation, .json = b.data,
			.json_len = b.len};
		if (r == 0)
			r = audit_db_begin(d, false);
		if (r == 0 && audit_db_insert(d, &row) != 1)
			r = -EIO;
		if (r == 0)
			r = audit_db_commit(d);
		lat->ns[lat->n++] = (uint32_t)(ba_ns() - s);
	}
	*secs = ba_now() - t0;
	buf_release(&b);
	audit_db_close(d);
	return r;
}

/* Floor: the same line, one write() each, to /dev/null. */
static double ba_devnull(long n)
{
	char path[128], cmd[32], fields[64];
	struct audit_event ev;
	struct buf b;
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	double t0;

	buf_init(&b, AUDIT_EVENT_MAX);
	ba_event(&ev, 1, path, cmd, fields);
	audit_render(&b, &ev, "01234567-89ab-7def-8123-456789abcdef", 1);
	buf_putc(&b, '\n');
	t0 = ba_now();
	for (long i = 0; i < n; i++)
		if (write(fd, b.data, b.len) != (ssize_t)b.len)
			break;
	t0 = ba_now() - t0;
	close(fd);
	buf_release(&b);
	return t0;
}

static int ba_rm(const char *p, const struct stat *st, int flag,
		 struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

int main(int argc, char **argv)
{
	int64_t n = BA_EVENTS;
	const char *tmp = getenv("TMPDIR");
	char dir[BA_PATH_MAX];
	struct ba_lat la = {0}, ls = {0};
	double emit_s = 0, total_s = 0, sql_s = 0, null_s, pa[3], ps[3];
	long ns;
	int r;

	if (argc > 1 && str_to_i64(argv[1], 1000, 100000000, &n) < 0) {
		fprintf(stderr, "usage: bench_audit [EVENTS] [DIR]\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s/bench-audit-XXXXXX",
		 argc > 2 ? argv[2] : tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		return 2;
	ns = n < BA_SQLITE_EVENTS ? (long)n : BA_SQLITE_EVENTS;
	la.ns = calloc((size_t)n, sizeof(*la.ns));
	ls.ns = calloc((size_t)ns, sizeof(*ls.ns));
	if (la.ns == NULL || ls.ns == NULL)
		return 2;
	printf("audit events, one emitting thread (%lld events, in %s)\n",
	       (long long)n, dir);
	r = ba_audit(dir, (long)n, &la, &emit_s, &total_s);
	if (r == 0)
		r = ba_sqlite(dir, ns, &ls, &sql_s);
	null_s = ba_devnull((long)n);
	nftw(dir, ba_rm, 16, FTW_DEPTH | FTW_PHYS);
	if (r < 0) {
		printf("  ERROR: %s\n", strerror(-r));
		return 1;
	}
	ba_pct(&la, pa);
	ba_pct(&ls, ps);
	printf("%-34s %10.0f/s   emit p50 %.2f us  p99 %.2f us  "
	       "p99.9 %.2f us\n",
	       "audit_emit (journal, one write)", (double)n / emit_s,
	       pa[0], pa[1], pa[2]);
	printf("%-34s %10.0f/s   (emit + load, no loss)\n",
	       "sustained into SQLite", (double)n / total_s);
	printf("%-34s %10.0f/s   p50 %.2f us  p99 %.2f us  p99.9 %.2f us\n",
	       "baseline: SQLite txn per event", (double)ns / sql_s,
	       ps[0], ps[1], ps[2]);
	printf("%-34s %10.0f/s\n", "floor: write() to /dev/null",
	       (double)n / null_s);
	printf("ratio: sustained %.2fx, decision-path p50 %.1fx faster than "
	       "a transaction per event\n",
	       ((double)n / total_s) / ((double)ns / sql_s), ps[0] / pa[0]);
	free(la.ns);
	free(ls.ns);
	return 0;
}
