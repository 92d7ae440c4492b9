/*
 * Queries over the events table on a read-only connection, with the
 * original's filters (session, command, types, decision, path/domain/text
 * LIKE, since/until, limit/offset, order). Every value is bound, never
 * spliced into the SQL.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "audit/audit_int.h"

#define AUDIT_SQL_MAX 4096              /* the generated statement */
#define AUDIT_LIKE_MAX (16u << 10)      /* one LIKE pattern, escaped */
#define AUDIT_QUERY_BUSY_MS 2000

/* Columns in the order audit_query_fill reads them. */
static const char audit_query_cols[] =
	"SELECT event_id, ts_unix_ns, session_id, command_id, type, pid,"
	" policy_decision, effective_decision, policy_rule, path, domain,"
	" remote, operation, payload_json FROM events WHERE 1=1";

/* "x" matches as a substring; a value with '%' is a LIKE pattern. */
static int audit_query_like(struct buf *b, const char *v)
{
	int r = 0;

	buf_reset(b);
	if (strchr(v, '%') != NULL)
		return buf_puts(b, v);
	r = buf_putc(b, '%');
	for (const char *p = v; r == 0 && *p; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			r = buf_putc(b, '\\');
		if (r == 0)
			r = buf_putc(b, *p);
	}
	return r < 0 ? r : buf_putc(b, '%');
}

/* Bind the next parameter as text (copied by SQLite). */
static int audit_query_bind(sqlite3_stmt *st, int *idx, const char *s,
			    size_t n)
{
	return audit_db_errno(sqlite3_bind_text(st, ++*idx, s, (int)n,
						SQLITE_TRANSIENT));
}

static int audit_query_bind_str(sqlite3_stmt *st, int *idx, const char *s)
{
	return audit_query_bind(st, idx, s, strlen(s));
}

/* " AND type IN (?,?,...)" for each non-empty name of the list. */
static int audit_query_types_sql(struct buf *sql, const char *types)
{
	size_t n = 0;
	int r = 0;

	for (const char *p = types; *p; p += *p == ',') {
		size_t len = strcspn(p, ",");

		n += len > 0;
		p += len;
	}
	if (n == 0)
		return 0;
	if (n > AUDIT_QUERY_TYPES_MAX)
		return -E2BIG;
	r = buf_puts(sql, " AND type IN (?");
	for (size_t i = 1; r == 0 && i < n; i++)
		r = buf_puts(sql, ",?");
	return r < 0 ? r : buf_putc(sql, ')');
}

static int audit_query_types_bind(sqlite3_stmt *st, int *idx,
				  const char *types)
{
	int r = 0;

	for (const char *p = types; r == 0 && *p; p += *p == ',') {
		size_t len = strcspn(p, ",");

		if (len > 0)
			r = audit_query_bind(st, idx, p, len);
		p += len;
	}
	return r;
}

static int audit_query_sql(struct buf *sql, const struct audit_query *q)
{
	int r = buf_puts(sql, audit_query_cols);

	if (r == 0 && q->session_id)
		r = buf_puts(sql, " AND session_id = ?");
	if (r == 0 && q->command_id)
		r = buf_puts(sql, " AND command_id = ?");
	if (r == 0 && q->types)
		r = audit_query_types_sql(sql, q->types);
	if (r == 0 && q->decision)
		r = buf_puts(sql, " AND (policy_decision = ?"
			     " OR effective_decision = ?)");
	if (r == 0 && q->path_like)
		r = buf_puts(sql, " AND path LIKE ? ESCAPE '\\'");
	if (r == 0 && q->domain_like)
		r = buf_puts(sql, " AND domain LIKE ? ESCAPE '\\'");
	if (r == 0 && q->text_like)
		r = buf_puts(sql, " AND payload_json LIKE ? ESCAPE '\\'");
	if (r == 0 && q->since_ns)
		r = buf_puts(sql, " AND ts_unix_ns >= ?");
	if (r == 0 && q->until_ns)
		r = buf_puts(sql, " AND ts_unix_ns <= ?");
	if (r == 0)
		r = buf_puts(sql, q->desc ?
			     " ORDER BY ts_unix_ns DESC, event_id DESC" :
			     " ORDER BY ts_unix_ns ASC, event_id ASC");
	return r < 0 ? r : buf_puts(sql, " LIMIT ? OFFSET ?");
}

static int audit_query_bind_like(sqlite3_stmt *st, int *idx, struct buf *b,
				 const char *v)
{
	int r;

	if (v == NULL)
		return 0;
	r = audit_query_like(b, v);
	return r < 0 ? r : audit_query_bind(st, idx, b->data, b->len);
}

/* Bind in the order audit_query_sql wrote the placeholders. */
static int audit_query_binds(sqlite3_stmt *st, const struct audit_query *q)
{
	struct buf like;
	int idx = 0, r = 0;

	buf_init(&like, AUDIT_LIKE_MAX);
	if (q->session_id)
		r = audit_query_bind_str(st, &idx, q->session_id);
	if (r == 0 && q->command_id)
		r = audit_query_bind_str(st, &idx, q->command_id);
	if (r == 0 && q->types)
		r = audit_query_types_bind(st, &idx, q->types);
	for (int i = 0; r == 0 && q->decision && i < 2; i++)
		r = audit_query_bind_str(st, &idx, q->decision);
	if (r == 0)
		r = audit_query_bind_like(st, &idx, &like, q->path_like);
	if (r == 0)
		r = audit_query_bind_like(st, &idx, &like, q->domain_like);
	if (r == 0)
		r = audit_query_bind_like(st, &idx, &like, q->text_like);
	buf_release(&like);
	if (r == 0 && q->since_ns)
		sqlite3_bind_int64(st, ++idx, q->since_ns);
	if (r == 0 && q->until_ns)
		sqlite3_bind_int64(st, ++idx, q->until_ns);
	if (r == 0) {
		sqlite3_bind_int64(st, ++idx, q->limit > 0 ? q->limit : -1);
		sqlite3_bind_int64(st, ++idx, q->offset > 0 ? q->offset : 0);
	}
	return r;
}

static const char *audit_query_text(sqlite3_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(st, col);
}

static void audit_query_fill(sqlite3_stmt *st, struct audit_row *r)
{
	r->id = audit_query_text(st, 0);
	r->ts_ns = sqlite3_column_int64(st, 1);
	r->session_id = audit_query_text(st, 2);
	r->command_id = audit_query_text(st, 3);
	r->type = audit_query_text(st, 4);
	r->pid = sqlite3_column_int64(st, 5);
	r->decision = audit_query_text(st, 6);
	r->effective = audit_query_text(st, 7);
	r->rule = audit_query_text(st, 8);
	r->path = audit_query_text(st, 9);
	r->domain = audit_query_text(st, 10);
	r->remote = audit_query_text(st, 11);
	r->operation = audit_query_text(st, 12);
	r->json = audit_query_text(st, 13);
	r->json_len = (size_t)sqlite3_column_bytes(st, 13);
	if (r->json == NULL)
		r->json = "";
}

static int audit_query_rows(sqlite3_stmt *st,
			    int (*row)(void *arg, const struct audit_row *r),
			    void *arg)
{
	struct audit_row r;
	int rc, count = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		audit_query_fill(st, &r);
		count++;
		if (row(arg, &r) != 0)
			return count;
	}
	return rc == SQLITE_DONE ? count : audit_db_errno(rc);
}

int audit_query_run(const char *sqlite_path, const struct audit_query *q,
		    int (*row)(void *arg, const struct audit_row *r),
		    void *arg)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	struct buf sql;
	int r;

	buf_init(&sql, AUDIT_SQL_MAX);
	if (sqlite_path == NULL || q == NULL || row == NULL) {
		r = -EINVAL;
		goto out;
	}
	if (access(sqlite_path, F_OK) < 0) {
		r = -errno;
		goto out;
	}
	r = audit_db_errno(sqlite3_open_v2(sqlite_path, &db,
					   SQLITE_OPEN_READONLY, NULL));
	if (r < 0)
		goto out;
	sqlite3_busy_timeout(db, AUDIT_QUERY_BUSY_MS);
	r = audit_query_sql(&sql, q);
	if (r == 0)
		r = audit_db_errno(sqlite3_prepare_v2(db, sql.data, -1, &st,
						      NULL));
	if (r == 0)
		r = audit_query_binds(st, q);
	if (r == 0)
		r = audit_query_rows(st, row, arg);
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	buf_release(&sql);
	return r;
}
