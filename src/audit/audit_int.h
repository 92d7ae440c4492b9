/* Internals of the audit store, shared by its files (not a public API). */
#ifndef AGENTSH_AUDIT_INT_H
#define AGENTSH_AUDIT_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit/audit.h"
#include "common/buf.h"

#define AUDIT_PATH_MAX 4096          /* a file name we build */
#define AUDIT_JSON_DEPTH 32          /* nesting accepted in event JSON */
#define AUDIT_READ_CHUNK (1u << 20)  /* bytes the loader reads at once */
#define AUDIT_SCRATCH_MAX (2 * AUDIT_EVENT_MAX + 64) /* unescaped columns */
#define AUDIT_BATCH_DEFAULT 1000
#define AUDIT_FLUSH_MS_DEFAULT 50
#define AUDIT_SEGMENT_DEFAULT (64u << 20)
#define AUDIT_SEGMENT_MIN 4096
#define AUDIT_REPLAY_MAX 65536       /* journal segments replayed at open */

/* Per-field limits (input bytes); see audit_render.c for the budget. */
#define AUDIT_NAME_MAX 128           /* ids, type, decisions, operation */
#define AUDIT_RULE_MAX 256
#define AUDIT_HOST_MAX 256           /* domain, remote */
#define AUDIT_MESSAGE_MAX 1024
#define AUDIT_PATHFIELD_MAX 4096
#define AUDIT_FIELDS_MAX (16u << 10) /* the "fields" object */
#define AUDIT_FIELDS_KEEP 2048       /* of an invalid "fields", kept quoted */

/* The SQLite side, used by the loader thread only. */
struct audit_db;

/* A segment to replay at open and where its loading stopped. */
struct audit_seg {
	uint64_t seq;
	uint64_t off;
};

struct audit {
	char *db_path, *dir, *jsonl_path;
	size_t batch_max, segment_max;
	int flush_ms;
	int lock_fd;
	_Atomic uint64_t id_clock;   /* (ms << 12) | counter of the last id */
	uint64_t id_seed;            /* random, from getrandom() at open */

	/* Shared state: everything up to the listener is under mu. */
	pthread_mutex_t mu;
	pthread_cond_t wake;         /* the loader waits here */
	pthread_cond_t done;         /* audit_sync waits here */
	int wr_fd;                   /* current segment, O_APPEND */
	uint64_t wr_seq, wr_off;     /* its number and the bytes written */
	uint64_t emitted, emitted_seen; /* seen: counted at the last wake */
	bool ld_idle;                /* waiting with nothing to load */
	bool stop;
	unsigned sync_waiters;
	uint64_t ld_seq, ld_off;     /* everything before this is loaded */
	struct audit_stats st;       /* loader counters (not emitted) */
	uint64_t pass_gen;           /* loader passes completed */

	pthread_rwlock_t ls_lock;
	audit_listener_fn ls_fn;
	void *ls_arg;

	pthread_t thr;
	bool thr_started;

	/* Loader private. */
	struct audit_db *db;
	int jsonl_fd;
	struct audit_seg *replay;    /* sorted, loaded before wr segments */
	size_t nreplay;
	size_t rp_next;              /* the next replay segment */
	uint64_t first_wr_seq;       /* the first segment this process wrote */
	uint64_t cur_seq, cur_off;   /* the writer segment being loaded */
	int rd_fd;                   /* open on segment rd_seq, or -1 */
	uint64_t rd_seq;
	char *rbuf;                  /* AUDIT_READ_CHUNK bytes */
	struct buf scratch;
};

/* audit_json.c: a strict JSON scanner for event lines. */
int audit_json_check_object(const char *s, size_t n);
int audit_json_minify(struct buf *b, const char *s, size_t n);
/*
 * Parse one journal line into r: strings point into scratch (its max must
 * be at least 2 * n + 16), r->json is the line itself. 0 or -EINVAL.
 */
int audit_jline_parse(const char *s, size_t n, struct audit_row *r,
		      struct buf *scratch);

/* audit_render.c: one event as JSON, without the newline. */
int audit_render(struct buf *b, const struct audit_event *ev,
		 const char *id, int64_t ts_ns);
void audit_id_make(struct audit *a, int64_t ts_ns, char id[AUDIT_ID_MAX]);

/* audit_journal.c: segment files and the directory lock. */
int audit_jnl_mkdirs(const char *path, bool with_last);
int audit_jnl_lock(const char *dir, int *fd);
int audit_jnl_path(const char *dir, uint64_t seq, char out[AUDIT_PATH_MAX]);
int audit_jnl_list(const char *dir, uint64_t **seqs, size_t *n);
int audit_jnl_create(const char *dir, uint64_t seq, int *fd);
int audit_jnl_prepare(struct audit *a);

/* audit_db.c */
int audit_db_open(const char *path, struct audit_db **out);
void audit_db_close(struct audit_db *d);
int audit_db_begin(struct audit_db *d, bool durable);
int audit_db_commit(struct audit_db *d);
void audit_db_rollback(struct audit_db *d);
/* 1 inserted, 0 the id was already stored, or a negative errno. */
int audit_db_insert(struct audit_db *d, const struct audit_row *r);
int audit_db_cursor_set(struct audit_db *d, uint64_t seq, uint64_t off,
			bool done);
int audit_db_cursor_delete(struct audit_db *d, uint64_t seq);
/* Call fn for every cursor row; fn's non-zero return is passed on. */
int audit_db_cursors(struct audit_db *d,
		     int (*fn)(void *arg, uint64_t seq, uint64_t off,
			       bool done),
		     void *arg);
int audit_db_errno(int sqlite_rc);

/* audit_load.c */
void *audit_load_main(void *arg);

#endif
