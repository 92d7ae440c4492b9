/*
 * The SQLite side of the loader: the original's events table and indexes,
 * and audit_journal, which records in the same transaction as each batch
 * how far each journal segment has been loaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <sqlite3.h>

#include "audit/audit_int.h"

#define AUDIT_DB_BUSY_MS 5000 /* wait for a lock held by another writer */

struct audit_db {
	sqlite3 *db;
	sqlite3_stmt *ins, *cur_set, *cur_del, *cur_all;
	bool durable; /* synchronous=FULL is in effect */
};

/*
 * Creating the schema syncs nothing (synchronous=OFF, one transaction): a
 * new database is empty, so a power cut here loses no event, and start-up
 * stays in milliseconds. Loading then runs with synchronous=NORMAL.
 */
static const char audit_db_schema[] =
	"PRAGMA synchronous=OFF;"
	"PRAGMA journal_mode=WAL;"
	"BEGIN;"
	"CREATE TABLE IF NOT EXISTS events("
	" event_id TEXT PRIMARY KEY,"
	" ts_unix_ns INTEGER NOT NULL,"
	" session_id TEXT,"
	" command_id TEXT,"
	" type TEXT NOT NULL,"
	" pid INTEGER,"
	" policy_decision TEXT,"
	" effective_decision TEXT,"
	" policy_rule TEXT,"
	" path TEXT,"
	" domain TEXT,"
	" remote TEXT,"
	" operation TEXT,"
	" payload_json TEXT NOT NULL,"
	" integrity_json TEXT);"
	"CREATE INDEX IF NOT EXISTS idx_events_session_ts"
	" ON events(session_id, ts_unix_ns);"
	"CREATE INDEX IF NOT EXISTS idx_events_command_ts"
	" ON events(command_id, ts_unix_ns);"
	"CREATE INDEX IF NOT EXISTS idx_events_type_ts"
	" ON events(type, ts_unix_ns);"
	"CREATE INDEX IF NOT EXISTS idx_events_path ON events(path);"
	"CREATE INDEX IF NOT EXISTS idx_events_domain ON events(domain);"
	"CREATE TABLE IF NOT EXISTS audit_journal("
	" segment INTEGER PRIMARY KEY,"
	" offset INTEGER NOT NULL,"
	" done INTEGER NOT NULL DEFAULT 0);"
	"COMMIT;"
	"PRAGMA synchronous=NORMAL;";

static const char audit_db_sql_ins[] =
	"INSERT OR IGNORE INTO events(event_id, ts_unix_ns, session_id,"
	" command_id, type, pid, policy_decision, effective_decision,"
	" policy_rule, path, domain, remote, operation, payload_json,"
	" integrity_json) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,NULL)";
static const char audit_db_sql_cur_set[] =
	"INSERT INTO audit_journal(segment, offset, done) VALUES(?,?,?)"
	" ON CONFLICT(segment) DO UPDATE SET offset = excluded.offset,"
	" done = excluded.done";
static const char audit_db_sql_cur_del[] =
	"DELETE FROM audit_journal WHERE segment = ?";
static const char audit_db_sql_cur_all[] =
	"SELECT segment, offset, done FROM audit_journal ORDER BY segment";

int audit_db_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_TOOBIG:
		return -E2BIG;
	default:
		return -EIO;
	}
}

static int audit_db_exec(struct audit_db *d, const char *sql)
{
	return audit_db_errno(sqlite3_exec(d->db, sql, NULL, NULL, NULL));
}

static int audit_db_prepare(struct audit_db *d)
{
	int rc = sqlite3_prepare_v2(d->db, audit_db_sql_ins, -1, &d->ins,
				    NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(d->db, audit_db_sql_cur_set, -1,
					&d->cur_set, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(d->db, audit_db_sql_cur_del, -1,
					&d->cur_del, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(d->db, audit_db_sql_cur_all, -1,
					&d->cur_all, NULL);
	return audit_db_errno(rc);
}

int audit_db_open(const char *path, struct audit_db **out)
{
	struct audit_db *d;
	int fd, r;

	*out = NULL;
	/* Create the file ourselves so that it (and -wal, -shm) is 0600. */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	r = audit_db_errno(sqlite3_open_v2(path, &d->db,
					   SQLITE_OPEN_READWRITE |
					   SQLITE_OPEN_NOFOLLOW, NULL));
	if (r < 0)
		goto out;
	sqlite3_busy_timeout(d->db, AUDIT_DB_BUSY_MS);
	r = audit_db_exec(d, audit_db_schema);
	if (r == 0)
		r = audit_db_prepare(d);
out:
	if (r < 0) {
		audit_db_close(d);
		return r;
	}
	*out = d;
	return 0;
}

void audit_db_close(struct audit_db *d)
{
	if (d == NULL)
		return;
	sqlite3_finalize(d->ins);
	sqlite3_finalize(d->cur_set);
	sqlite3_finalize(d->cur_del);
	sqlite3_finalize(d->cur_all);
	sqlite3_close(d->db);
	free(d);
}

/*
 * durable: this transaction marks a segment loaded before the file is
 * removed, so it (and every commit before it, the WAL being sequential)
 * must reach the disk: synchronous=FULL syncs the WAL at this commit.
 */
int audit_db_begin(struct audit_db *d, bool durable)
{
	int r = 0;

	if (durable != d->durable) {
		r = audit_db_exec(d, durable ? "PRAGMA synchronous=FULL" :
					       "PRAGMA synchronous=NORMAL");
		if (r == 0)
			d->durable = durable;
	}
	return r < 0 ? r : audit_db_exec(d, "BEGIN IMMEDIATE");
}

int audit_db_commit(struct audit_db *d)
{
	return audit_db_exec(d, "COMMIT");
}

void audit_db_rollback(struct audit_db *d)
{
	if (!sqlite3_get_autocommit(d->db))
		sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
}

static void audit_db_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s != NULL)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* Run a bound statement that returns no rows, then reset it. */
static int audit_db_step(struct audit_db *d, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	(void)d;
	return rc == SQLITE_DONE ? 0 : audit_db_errno(rc);
}

int audit_db_insert(struct audit_db *d, const struct audit_row *r)
{
	sqlite3_stmt *st = d->ins;
	int rc;

	audit_db_text(st, 1, r->id);
	sqlite3_bind_int64(st, 2, r->ts_ns);
	audit_db_text(st, 3, r->session_id);
	audit_db_text(st, 4, r->command_id);
	audit_db_text(st, 5, r->type);
	if (r->pid != 0)
		sqlite3_bind_int64(st, 6, r->pid);
	else
		sqlite3_bind_null(st, 6);
	audit_db_text(st, 7, r->decision);
	audit_db_text(st, 8, r->effective);
	audit_db_text(st, 9, r->rule);
	audit_db_text(st, 10, r->path);
	audit_db_text(st, 11, r->domain);
	audit_db_text(st, 12, r->remote);
	audit_db_text(st, 13, r->operation);
	sqlite3_bind_text(st, 14, r->json, (int)r->json_len, SQLITE_STATIC);
	rc = audit_db_step(d, st);
	if (rc < 0)
		return rc;
	return sqlite3_changes(d->db) > 0 ? 1 : 0;
}

int audit_db_cursor_set(struct audit_db *d, uint64_t seq, uint64_t off,
			bool done)
{
	sqlite3_bind_int64(d->cur_set, 1, (sqlite3_int64)seq);
	sqlite3_bind_int64(d->cur_set, 2, (sqlite3_int64)off);
	sqlite3_bind_int(d->cur_set, 3, done);
	return audit_db_step(d, d->cur_set);
}

int audit_db_cursor_delete(struct audit_db *d, uint64_t seq)
{
	sqlite3_bind_int64(d->cur_del, 1, (sqlite3_int64)seq);
	return audit_db_step(d, d->cur_del);
}

int audit_db_cursors(struct audit_db *d,
		     int (*fn)(void *arg, uint64_t seq, uint64_t off,
			       bool done),
		     void *arg)
{
	sqlite3_stmt *st = d->cur_all;
	int rc, r = 0;

	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite3_int64 seq = sqlite3_column_int64(st, 0);
		sqlite3_int64 off = sqlite3_column_int64(st, 1);

		if (seq <= 0 || off < 0)
			continue; /* not a row this code wrote */
		r = fn(arg, (uint64_t)seq, (uint64_t)off,
		       sqlite3_column_int(st, 2) != 0);
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = audit_db_errno(rc);
	sqlite3_reset(st);
	return r;
}
