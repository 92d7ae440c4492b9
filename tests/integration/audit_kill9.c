/*
 * The kill -9 proof of the audit store. A child opens the store and
 * emits 100,000 decisions as fast as it can; after each audit_emit()
 * returns it writes the event id to a pipe (that is: the decision was
 * returned to the process it concerns). The parent SIGKILLs the child
 * after a random number of ids, drains the pipe, reopens the store (which
 * replays the journal), waits for it to load, and checks that every id it
 * received is in SQLite exactly once and that nothing was loaded twice.
 * Three rounds, with journal segments of 64 MiB (no rotation), 1 MiB and
 * 64 KiB (the kill also lands while segments are finished and removed).
 * Set AGENTSH_KILL9_SEED to replay a run.
 */
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "audit/audit.h"
#include "common/str.h"

#define K9_EVENTS 100000
#define K9_ROUNDS 3
#define K9_KILL_MIN 1000
#define K9_KILL_MAX 90000
#define K9_ID_LEN 36 /* a UUID as text, the record size on the pipe */
#define K9_PATH_MAX 4096

static const size_t k9_segment[K9_ROUNDS] = {0, 1u << 20, 64u << 10};

struct k9_round {
	char root[K9_PATH_MAX], db[K9_PATH_MAX], jdir[K9_PATH_MAX];
	size_t segment_max;
	char (*ids)[K9_ID_LEN + 1];
	long nids;
};

/* The child: emit until killed, reporting each id after it returns. */
static void k9_child(const struct k9_round *k, int wfd)
{
	struct audit_opts o = {.sqlite_path = k->db, .journal_dir = k->jdir,
			       .segment_max = k->segment_max};
	struct audit *a = NULL;
	char id[AUDIT_ID_MAX], path[64], fields[64], cmd[32];
	struct audit_event ev = {.type = "command_policy",
		.session_id = "kill9", .decision = "allow",
		.effective = "allow", .rule = "allow-all", .path = path,
		.command_id = cmd, .fields_json = fields, .pid = 1234};

	if (audit_open(&o, &a) < 0)
		_exit(2);
	for (long i = 0; i < K9_EVENTS; i++) {
		snprintf(path, sizeof(path), "/workspace/file-%ld", i);
		snprintf(cmd, sizeof(cmd), "cmd-%ld", i);
		snprintf(fields, sizeof(fields), "{\"n\":%ld}", i);
		if (audit_emit(a, &ev, id) < 0)
			_exit(3);
		if (write(wfd, id, K9_ID_LEN) != K9_ID_LEN)
			_exit(4);
	}
	_exit(0); /* also unclean: no audit_close */
}

/* Read ids until EOF; kill the child after kill_at of them. */
static int k9_collect(struct k9_round *k, int rfd, pid_t pid, long kill_at)
{
	char buf[K9_ID_LEN * 256];
	size_t have = 0;
	ssize_t n;
	int status;

	while ((n = read(rfd, buf + have, sizeof(buf) - have)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		have += (size_t)n;
		for (size_t at = 0; have - at >= K9_ID_LEN; at += K9_ID_LEN) {
			memcpy(k->ids[k->nids], buf + at, K9_ID_LEN);
			k->ids[k->nids][K9_ID_LEN] = '\0';
			if (++k->nids == kill_at)
				kill(pid, SIGKILL);
		}
		memmove(buf, buf + have / K9_ID_LEN * K9_ID_LEN,
			have % K9_ID_LEN);
		have %= K9_ID_LEN;
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
		fprintf(stderr, "kill9: the child was not killed (status %d)\n",
			status);
		return -1;
	}
	return 0;
}

/* Every received id must be stored exactly once. */
static int k9_verify(const struct k9_round *k, long *rows)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *one = NULL, *all = NULL;
	long missing = 0;
	int rc = -1;

	if (sqlite3_open_v2(k->db, &db, SQLITE_OPEN_READONLY, NULL) ||
	    sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM events WHERE"
			       " event_id = ?", -1, &one, NULL) ||
	    sqlite3_prepare_v2(db, "SELECT COUNT(*), COUNT(DISTINCT event_id)"
			       " FROM events", -1, &all, NULL))
		goto out;
	for (long i = 0; i < k->nids; i++) {
		sqlite3_bind_text(one, 1, k->ids[i], K9_ID_LEN, SQLITE_STATIC);
		if (sqlite3_step(one) != SQLITE_ROW ||
		    sqlite3_column_int(one, 0) != 1) {
			if (missing++ < 5)
				fprintf(stderr, "kill9: id %s is not stored "
					"once\n", k->ids[i]);
		}
		sqlite3_reset(one);
	}
	if (sqlite3_step(all) != SQLITE_ROW)
		goto out;
	*rows = sqlite3_column_int(all, 0);
	/* The child may have emitted one event it had no time to report. */
	if (missing == 0 && *rows == sqlite3_column_int(all, 1) &&
	    *rows >= k->nids && *rows <= k->nids + 1)
		rc = 0;
	else
		fprintf(stderr, "kill9: %ld missing, %ld rows for %ld ids\n",
			missing, *rows, k->nids);
out:
	sqlite3_finalize(one);
	sqlite3_finalize(all);
	sqlite3_close(db);
	return rc;
}

static int k9_rm(const char *p, const struct stat *st, int flag,
		 struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

/* Reopen (replay), load, and check. */
static int k9_reopen(struct k9_round *k, struct audit_stats *st)
{
	struct audit_opts o = {.sqlite_path = k->db, .journal_dir = k->jdir};
	struct audit *a = NULL;
	int r = audit_open(&o, &a);

	if (r == 0)
		r = audit_sync(a, 120000);
	if (r == 0)
		audit_stats(a, st);
	audit_close(a);
	return r;
}

static int k9_round(struct k9_round *k, long kill_at)
{
	struct audit_stats st = {0};
	int fds[2], r;
	long rows = 0;
	pid_t pid;

	snprintf(k->root, sizeof(k->root), "/tmp/agentsh-kill9-XXXXXX");
	if (mkdtemp(k->root) == NULL || pipe(fds) < 0)
		return -1;
	snprintf(k->db, sizeof(k->db), "%s/events.db", k->root);
	snprintf(k->jdir, sizeof(k->jdir), "%s/journal", k->root);
	k->nids = 0;
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		k9_child(k, fds[1]);
	}
	close(fds[1]);
	r = pid < 0 ? -1 : k9_collect(k, fds[0], pid, kill_at);
	close(fds[0]);
	if (r == 0 && (r = k9_reopen(k, &st)) != 0)
		fprintf(stderr, "kill9: reopen failed: %s\n", strerror(-r));
	if (r == 0 && st.duplicates != 0) {
		fprintf(stderr, "kill9: %llu lines were loaded twice\n",
			(unsigned long long)st.duplicates);
		r = -1;
	}
	if (r == 0)
		r = k9_verify(k, &rows);
	printf("%s - segments of %zu KiB, kill after %ld ids: %ld ids "
	       "received, %ld rows, %llu replayed from the journal after the "
	       "kill, %llu bad lines\n", r == 0 ? "ok" : "not ok",
	       (k->segment_max ? k->segment_max : 64u << 20) >> 10, kill_at,
	       k->nids, rows,
	       (unsigned long long)st.loaded,
	       (unsigned long long)st.bad_lines);
	nftw(k->root, k9_rm, 16, FTW_DEPTH | FTW_PHYS);
	return r;
}

int main(void)
{
	struct k9_round k;
	const char *env = getenv("AGENTSH_KILL9_SEED");
	int64_t seed = 0;
	int failed = 0;

	if (env == NULL || str_to_i64(env, 0, INT64_MAX, &seed) < 0) {
		if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
			return 1;
		seed &= INT64_MAX;
	}
	srandom((unsigned)seed);
	printf("1..%d\n# AGENTSH_KILL9_SEED=%lld\n", K9_ROUNDS,
	       (long long)seed);
	k.ids = calloc(K9_EVENTS, sizeof(*k.ids));
	if (k.ids == NULL)
		return 1;
	for (int i = 0; i < K9_ROUNDS; i++) {
		long kill_at = K9_KILL_MIN +
			       random() % (K9_KILL_MAX - K9_KILL_MIN + 1);

		k.segment_max = k9_segment[i];
		failed += k9_round(&k, kill_at) != 0;
	}
	free(k.ids);
	return failed ? 1 : 0;
}
