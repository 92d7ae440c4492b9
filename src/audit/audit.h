/*
 * The audit store: the only writer of the SQLite event log.
 *
 * audit_emit() renders an event as one JSON line (the original's shape and
 * type names) and appends it to a journal segment with ONE write() on an
 * O_APPEND descriptor before it returns: once it has returned, the event
 * survives a SIGKILL of the process. A background thread reads the journal
 * and loads it into SQLite (WAL) in batches, recording in the same
 * transaction how far each segment has been loaded; audit_open() resumes
 * from there, so an unclean stop loses nothing and loads nothing twice.
 * No fsync and no SQLite call happen on the emit path.
 */
#ifndef AGENTSH_AUDIT_H
#define AGENTSH_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define AUDIT_ID_MAX 48            /* an event id with its NUL (36 used) */
#define AUDIT_EVENT_MAX (64u << 10) /* one rendered event, newline included */
#define AUDIT_TIME_MAX 40          /* an RFC 3339 timestamp with its NUL */

struct audit;

struct audit_opts {
	const char *sqlite_path;  /* required */
	const char *journal_dir;  /* NULL: "<sqlite_path>.audit-journal" */
	const char *jsonl_path;   /* NULL: no JSONL copy (audit.output) */
	size_t batch_max;         /* rows per transaction; 0: 1000 */
	int flush_ms;             /* longest wait before loading; 0: 50 */
	size_t segment_max;       /* journal segment size; 0: 64 MiB */
};

/* All strings are borrowed for the call; NULL means absent. */
struct audit_event {
	const char *type;          /* required, e.g. "file_open" */
	const char *session_id, *command_id;
	int pid;                   /* 0: absent */
	/* The "policy" object. */
	const char *decision, *effective, *rule, *message;
	bool approval_required;
	const char *approval_mode, *approval_id;
	const char *path, *domain, *remote, *operation;
	const char *fields_json;   /* a JSON object for "fields", or NULL */
};

/*
 * Open (creating directories and the database as needed) and start the
 * loader, which first replays what the journal holds beyond what SQLite
 * has. -EBUSY when another process has the same journal open.
 */
int audit_open(const struct audit_opts *o, struct audit **out);

/*
 * Assign an id (UUIDv7: unique and time-ordered) and a timestamp, render
 * the event, append it to the journal with one write(), call the listener
 * and wake the loader when a batch is ready. Thread-safe. Over-long
 * strings are truncated (and "truncated": true added), never dropped.
 * id_out may be NULL. Returns 0 or a negative errno (-EINVAL without a
 * type; -EIO/-ENOSPC when the journal cannot be written).
 */
int audit_emit(struct audit *a, const struct audit_event *ev,
	       char id_out[AUDIT_ID_MAX]);

/*
 * Live fan-out (SSE tails): fn is called from audit_emit, after the write,
 * with the JSON text (no newline). Emitters on different threads may call
 * it concurrently and out of id order. After audit_set_listener returns,
 * the previous listener is no longer running nor called. fn must not emit.
 */
typedef void (*audit_listener_fn)(void *arg, const char *json, size_t len,
				  const struct audit_event *ev);
void audit_set_listener(struct audit *a, audit_listener_fn fn, void *arg);

/*
 * Wait until everything emitted so far (and all replayed journal data) is
 * committed to SQLite. timeout_ms < 0 waits forever. 0, -ETIMEDOUT, or the
 * loader's last error when it is failing.
 */
int audit_sync(struct audit *a, int timeout_ms);

/* Load what remains, stop the loader and free everything; NULL is fine. */
void audit_close(struct audit *a);

struct audit_stats {
	uint64_t emitted;   /* events emitted through this handle */
	uint64_t loaded;    /* rows inserted, replayed ones included */
	uint64_t batches;   /* committed transactions */
	uint64_t duplicates; /* journal lines whose id was already stored */
	uint64_t bad_lines; /* journal lines that could not be parsed */
	uint64_t jsonl_errors; /* failed writes to the JSONL copy */
	int last_error;     /* the loader's last error, 0 when healthy */
};
void audit_stats(struct audit *a, struct audit_stats *st);

/* One stored event as the queries return it; strings may be NULL. */
struct audit_row {
	const char *id, *type, *session_id, *command_id;
	int64_t ts_ns;
	int64_t pid;        /* 0: absent */
	const char *decision, *effective, *rule;
	const char *path, *domain, *remote, *operation;
	const char *json;   /* the whole event */
	size_t json_len;
};

/*
 * Filters for a query; NULL / 0 mean "any". decision matches the policy
 * or the effective decision. *_like: a value containing '%' is an SQL LIKE
 * pattern ('\' escapes); otherwise it matches as a substring. limit <= 0
 * means no limit.
 */
struct audit_query {
	const char *session_id, *command_id;
	const char *types;  /* comma-separated */
	const char *decision;
	const char *path_like, *domain_like, *text_like;
	int64_t since_ns, until_ns; /* inclusive bounds; 0: open */
	int limit, offset;
	bool desc;          /* newest first */
};

#define AUDIT_QUERY_TYPES_MAX 64 /* names in audit_query.types */

/*
 * Run q on a read-only connection (no daemon needed). row is called per
 * event; a non-zero return stops the query. Returns the number of rows
 * passed to row, -ENOENT when there is no database, or a negative errno.
 */
int audit_query_run(const char *sqlite_path, const struct audit_query *q,
		    int (*row)(void *arg, const struct audit_row *r),
		    void *arg);

/* Format Unix nanoseconds as "2026-01-17T10:00:00.123456789Z". */
void audit_time_format(int64_t ns, char out[AUDIT_TIME_MAX]);
/* Parse RFC 3339 (fraction optional, Z or +hh:mm); 0 or -EINVAL. */
int audit_time_parse(const char *s, size_t len, int64_t *ns);

/*
 * Look up a member of an event by a dotted path ("fields.command",
 * "policy.approval.mode"). A string is unescaped into out (returns 1);
 * another value is copied as JSON text (returns 2); 0 when absent,
 * -EINVAL when json is not valid.
 */
int audit_json_get(const char *json, size_t len, const char *dotted,
		   struct buf *out);

#endif
