/*
 * Unit tests for the audit store: JSON shape, SQL columns and indexes,
 * query filters, batch loading, replay after an unclean stop, duplicate-
 * free replay, rotation, the JSONL copy, the listener and concurrency.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "helpers.h"

/* The last line the listener saw. */
struct ta_seen {
	char json[AUDIT_EVENT_MAX];
	size_t len;
	int calls;
};

static void ta_listen(void *arg, const char *json, size_t len,
		      const struct audit_event *ev)
{
	struct ta_seen *s = arg;

	(void)ev;
	assert_true(len < sizeof(s->json));
	memcpy(s->json, json, len);
	s->json[len] = '\0';
	s->len = len;
	s->calls++;
}

/* audit_json_get into a fresh string (NULL when absent). */
static char *ta_get(const char *json, const char *key)
{
	struct buf b;
	int r;

	buf_init(&b, AUDIT_EVENT_MAX);
	r = audit_json_get(json, strlen(json), key, &b);
	assert_true(r >= 0);
	if (r == 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_steal(&b);
}

static void ta_expect(const char *json, const char *key, const char *want)
{
	char *got = ta_get(json, key);

	if (want == NULL) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static const struct audit_event ta_full = {
	.type = "file_write", .session_id = "session-1", .command_id = "cmd-7",
	.pid = 4242, .decision = "approve", .effective = "allow",
	.rule = "ask-writes", .message = "writes need approval",
	.approval_required = true, .approval_mode = "shadow",
	.path = "/workspace/a.txt", .operation = "write",
	.fields_json = "{ \"bytes\": 12,\n \"blocked\": false }",
};

static void test_json_shape(void **state)
{
	struct ta_dir t;
	struct audit_opts o;
	struct audit *a = NULL;
	struct ta_seen *seen = calloc(1, sizeof(*seen));
	char id[AUDIT_ID_MAX], prefix[128];
	int64_t ns;
	char *ts;

	(void)state;
	ta_dir_make(&t);
	o = ta_opts(&t);
	assert_int_equal(audit_open(&o, &a), 0);
	audit_set_listener(a, ta_listen, seen);
	assert_int_equal(audit_emit(a, &ta_full, id), 0);
	assert_int_equal(seen->calls, 1);
	/* UUIDv7: 8-4-4-4-12, version 7, RFC 9562 variant. */
	assert_int_equal(strlen(id), 36);
	assert_int_equal(id[14], '7');
	assert_non_null(strchr("89ab", id[19]));
	snprintf(prefix, sizeof(prefix), "{\"id\":\"%s\",\"timestamp\":\"", id);
	assert_memory_equal(seen->json, prefix, strlen(prefix));
	assert_null(strchr(seen->json, '\n'));
	ts = ta_get(seen->json, "timestamp");
	assert_int_equal(strlen(ts), 30);
	assert_int_equal(audit_time_parse(ts, strlen(ts), &ns), 0);
	free(ts);
	ta_expect(seen->json, "type", "file_write");
	ta_expect(seen->json, "session_id", "session-1");
	ta_expect(seen->json, "command_id", "cmd-7");
	ta_expect(seen->json, "pid", "4242");
	ta_expect(seen->json, "policy.decision", "approve");
	ta_expect(seen->json, "policy.effective_decision", "allow");
	ta_expect(seen->json, "policy.rule", "ask-writes");
	ta_expect(seen->json, "policy.message", "writes need approval");
	ta_expect(seen->json, "policy.approval.required", "true");
	ta_expect(seen->json, "policy.approval.mode", "shadow");
	ta_expect(seen->json, "path", "/workspace/a.txt");
	ta_expect(seen->json, "operation", "write");
	ta_expect(seen->json, "domain", NULL);
	ta_expect(seen->json, "truncated", NULL);
	/* "fields" is kept as an object, minified onto the one line. */
	ta_expect(seen->json, "fields", "{\"bytes\":12,\"blocked\":false}");
	ta_expect(seen->json, "fields.bytes", "12");
	audit_close(a);
	ta_dir_remove(&t);
	free(seen);
}

/* A minimal event: exactly {id, timestamp, type, session_id}. */
static void test_json_minimal(void **state)
{
	struct ta_dir t;
	struct audit_opts o;
	struct audit *a = NULL;
	struct ta_seen *seen = calloc(1, sizeof(*seen));
	struct audit_event ev = {.type = "session_created"};
	char id[AUDIT_ID_MAX], want[256], *ts;

	(void)state;
	ta_dir_make(&t);
	o = ta_opts(&t);
	assert_int_equal(audit_open(&o, &a), 0);
	audit_set_listener(a, ta_listen, seen);
	assert_int_equal(audit_emit(a, &ev, id), 0);
	ts = ta_get(seen->json, "timestamp");
	snprintf(want, sizeof(want),
		 "{\"id\":\"%s\",\"timestamp\":\"%s\",\"type\":"
		 "\"session_created\",\"session_id\":\"\"}", id, ts);
	assert_string_equal(seen->json, want);
	free(ts);
	ev.type = NULL;
	assert_int_equal(audit_emit(a, &ev, id), -EINVAL);
	audit_set_listener(a, NULL, NULL);
	ev.type = "x";
	assert_int_equal(audit_emit(a, &ev, NULL), 0);
	assert_int_equal(seen->calls, 1);
	audit_close(a);
	ta_dir_remove(&t);
	free(seen);
}

/* Untrusted text: escaped, never raw; limits cut fields, not events. */
static void test_json_untrusted(void **state)
{
	struct ta_dir t;
	struct audit_opts o;
	struct audit *a = NULL;
	struct ta_seen *seen = calloc(1, sizeof(*seen));
	struct audit_event ev = {.type = "file_open"};
	char *path = malloc(10001), *got;

	(void)state;
	ta_dir_make(&t);
	o = ta_opts(&t);
	assert_int_equal(audit_open(&o, &a), 0);
	audit_set_listener(a, ta_listen, seen);
	ev.path = "a\"b\\c\nd\x01\xff\xc3";
	ev.fields_json = "{\"x\": \"unterminated";
	assert_int_equal(audit_emit(a, &ev, NULL), 0);
	assert_null(strchr(seen->json, '\n'));
	ta_expect(seen->json, "path", "a\"b\\c\nd\x01\xef\xbf\xbd\xef\xbf\xbd");
	ta_expect(seen->json, "fields.error", "not a valid JSON object");
	ta_expect(seen->json, "fields.raw", "{\"x\": \"unterminated");
	/* 9999 bytes then a 2-byte character across the 4096 limit. */
	memset(path, 'p', 10000);
	memcpy(path + 4095, "\xc3\xa9", 2);
	path[10000] = '\0';
	ev.path = path;
	ev.fields_json = NULL;
	assert_int_equal(audit_emit(a, &ev, NULL), 0);
	got = ta_get(seen->json, "path");
	assert_int_equal(strlen(got), 4095);
	free(got);
	ta_expect(seen->json, "truncated", "true");
	/* Worst case: every field at its limit, all control bytes. */
	memset(path, '\x01', 10000);
	ev = (struct audit_event){"t", path, path, 1, path, path, path, path,
		true, path, path, path, path, path, path, NULL};
	assert_int_equal(audit_emit(a, &ev, NULL), 0);
	assert_true(seen->len < AUDIT_EVENT_MAX);
	audit_close(a);
	ta_dir_remove(&t);
	free(path);
	free(seen);
}

/* The original's table, columns and indexes, in WAL mode. */
static void test_sql_columns(void **state)
{
	struct ta_dir t;
	struct audit_opts o;
	struct audit *a = NULL;
	sqlite3 *db;
	sqlite3_stmt *st;
	char id[AUDIT_ID_MAX];
	static const char *const idx[] = {
		"idx_events_session_ts", "idx_events_command_ts",
		"idx_events_type_ts", "idx_events_path", "idx_events_domain",
	};

	(void)state;
	ta_dir_make(&t);
	o = ta_opts(&t);
	assert_int_equal(audit_open(&o, &a), 0);
	assert_int_equal(audit_emit(a, &ta_full, id), 0);
	assert_int_equal(audit_sync(a, 5000), 0);
	assert_int_equal(sqlite3_open(t.db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
		"SELECT event_id, ts_unix_ns, session_id, command_id, type,"
		" pid, policy_decision, effective_decision, policy_rule, path,"
		" domain,"
		" remote, operation, payload_json, integrity_json FROM events",
		-1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal(sqlite3_column_text(st, 0), id);
	assert_true(sqlite3_column_int64(st, 1) > 1700000000000000000LL);
	assert_string_equal(sqlite3_column_text(st, 2), "session-1");
	assert_string_equal(sqlite3_column_text(st, 3), "cmd-7");
	assert_string_equal(sqlite3_column_text(st, 4), "file_write");
	assert_int_equal(sqlite3_column_int(st, 5), 4242);
	assert_string_equal(sqlite3_column_text(st, 6), "approve");
	assert_string_equal(sqlite3_column_text(st, 7), "allow");
	assert_string_equal(sqlite3_column_text(st, 8), "ask-writes");
	assert_string_equal(sqlite3_column_text(st, 9), "/workspace/a.txt");
	assert_int_equal(sqlite3_column_type(st, 10), SQLITE_NULL);
	assert_int_equal(sqlite3_column_type(st, 11), SQLITE_NULL);
	assert_string_equal(sqlite3_column_text(st, 12), "write");
	assert_memory_equal(sqlite3_column_text(st, 13), "{\"id\":\"", 7);
	assert_int_equal(sqlite3_column_type(st, 14), SQLITE_NULL);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++) {
		sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE"
				   " type = 'index' AND name = ?", -1, &st,
				   NULL);
		sqlite3_bind_text(st, 1, idx[i], -1, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		sqlite3_finalize(st);
	}
	sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal(sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(db);
	audit_close(a);
	ta_dir_remove(&t);
}

/* Emit one event with the given fields; returns its id in id. */
static void ta_emit(struct audit *a, const char *type, const char *sid,
		    const char *dec, const char *path, const char *dom)
{
	struct audit_event ev = {.type = type, .session_id = sid,
		.command_id = "c1", .effective = dec, .decision = dec,
		.path = path, .domain = dom};

	assert_int_equal(audit_emit(a, &ev, NULL), 0);
}

struct ta_ids {
	char v[16][AUDIT_ID_MAX];
	char types[16][32];
	int n;
};

static int ta_ids_cb(void *arg, const struct audit_row *r)
{
	struct ta_ids *x = arg;

	if (x->n < 16) {
		snprintf(x->v[x->n], AUDIT_ID_MAX, "%s", r->id);
		snprintf(x->types[x->n], 32, "%s", r->type);
	}
	x->n++;
	return 0;
}

static void test_query_filters(void **state)
{
	struct ta_dir t;
	struct audit_opts o;
	struct audit *a = NULL;
	struct audit_query q = {0};
	struct ta_ids ids = {0};
	int64_t mid;
	struct timespec now;

	(void)state;
	ta_dir_make(&t);
	o = ta_opts(&t);
	assert_int_equal(audit_open(&o, &a), 0);
	ta_emit(a, "file_open", "s1", "allow", "/w/src/main.c", NULL);
	ta_emit(a, "file_delete", "s1", "deny", "/w/.git/config", NULL);
	ta_emit(a, "net_connect", "s1", "allow", NULL, "api.github.com");
	clock_gettime(CLOCK_REALTIME, &now);
	mid = (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec;
	ta_emit(a, "net_connect", "s2", "deny", NULL, "evil.example");
	ta_emit(a, "command_policy", "s2", "approve", "/w/a_b", NULL);
	assert_int_equal(audit_sync(a, 5000), 0);
	assert_int_equal(ta_count(t.db, NULL), 5);
	q.session_id = "s1";
	assert_int_equal(ta_count(t.db, &q), 3);
	q = (struct audit_query){.types = "net_connect,,file_delete"};
	assert_int_equal(ta_count(t.db, &q), 3);
	q = (struct audit_query){.decision = "deny"};
	assert_int_equal(ta_count(t.db, &q), 2);
	q = (struct audit_query){.path_like = ".git"};
	assert_int_equal(ta_count(t.db, &q), 1);
	/* Substring matching treats '_' literally; '%' makes a pattern. */
	q = (struct audit_query){.path_like = "a_b"};
	assert_int_equal(ta_count(t.db, &q), 1);
	q = (struct audit_query){.path_like = "/w/%.c"};
	assert_int_equal(ta_count(t.db, &q), 1);
	q = (struct audit_query){.domain_like = "github"};
	assert_int_equal(ta_count(t.db, &q), 1);
	q = (struct audit_query){.text_like = "evil"};
	assert_int_equal(ta_count(t.db, &q), 1);
	q = (struct audit_query){.since_ns = mid};
	assert_int_equal(ta_count(t.db, &q), 2);
	q = (struct audit_query){.until_ns = mid};
	assert_int_equal(ta_count(t.db, &q), 3);
	q = (struct audit_query){.command_id = "c1", .limit = 2, .offset = 1};
	assert_int_equal(audit_query_run(t.db, &q, ta_ids_cb, &ids), 2);
	assert_string_equal(ids.types[0], "file_delete");
	ids.n = 0;
	q = (struct audit_query){.desc = true, .limit = 1};
	assert_int_equal(audit_query_run(t.db, &q, ta_ids_cb, &ids), 1);
	assert_string_equal(ids.types[0], "command_policy");
	q = (struct audit_query){.session_id = "nope"};
	assert_int_equal(ta_count(t.db, &q), 0);
	assert_int_equal(ta_count("/nonexistent/x.db", NULL), -ENOENT);
	audit_close(a);
	ta_dir_remove(&t);
}

/* Batches of batch_max rows, and loading without audit_sync. */
static void test_batch_loading(void **state)
{
	struct ta_dir t;
	struct audit_opts o;
	struct audit *a = NULL;
	struct audit_stats st;
	int n = 0;

	(void)state;
	ta_dir_make(&t);
	o = ta_opts(&t);
	o.batch_max = 10;
	o.flush_ms = 20;
	assert_int_equal(audit_open(&o, &a), 0);
	for (int i = 0; i < 105; i++)
		ta_emit(a, "file_read", "s", "allow", "/x", NULL);
	for (int i = 0; i < 500 && n < 105; i++) {
		usleep(10000);
		n = ta_count(t.db, NULL);
	}
	assert_int_equal(n, 105);
	audit_stats(a, &st);
	assert_int_equal(st.emitted, 105);
	assert_int_equal(st.loaded, 105);
	assert_true(st.batches >= 11);
	assert_int_equal(st.duplicates, 0);
	assert_int_equal(st.bad_lines, 0);
	audit_close(a);
	ta_dir_remove(&t);
}

/* A child emits and dies without audit_close; all of it is replayed. */
static void test_replay_unclean(void **state)
{
	struct ta_dir t;
	struct audit_opts o;
	struct audit *a = NULL;
	struct audit_stats st;
	int status;
	pid_t pid;

	(void)state;
	ta_dir_make(&t);
	o = ta_opts(&t);
	o.batch_max = 50;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (audit_open(&o, &a) < 0)
			_exit(2);
		for (int i = 0; i < 1000; i++)
			ta_emit(a, "file_read", "s", "allow", "/x", NULL);
		audit_sync(a, 5000); /* part loaded, then more not */
		for (int i = 0; i < 777; i++)
			ta_emit(a, "file_read", "s", "allow", "/y", NULL);
		raise(SIGKILL);
		_exit(3);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(audit_open(&o, &a), 0);
	assert_int_equal(audit_sync(a, 10000), 0);
	assert_int_equal(ta_count(t.db, NULL), 1777);
	audit_stats(a, &st);
	assert_int_equal(st.duplicates, 0); /* the cursor was exact */
	assert_true(st.loaded <= 777);
	audit_close(a);
	assert_int_equal(ta_segments(t.jdir), 0);
	ta_dir_remove(&t);
}

/* Hand-written journal lines, a corrupt one and a torn tail. */
static void test_replay_raw_lines(void **state)
{
	struct ta_dir t;
	struct audit_opts o;
	struct audit *a = NULL;
	struct audit_stats st;
	char p[TA_PATH_MAX];
	static const char lines[] =
		"{\"id\":\"raw-1\",\"timestamp\":\"2026-01-17T10:00:00Z\","
		"\"type\":\"file_open\",\"session_id\":\"r\",\"path\":\"/a\"}\n"
		"this is not json\n"
		"\n"
		"{\"id\":\"raw-2\","
		"\"timestamp\":\"2026-01-17T11:00:00.5+01:00\","
		"\"type\":\"net_connect\",\"session_id\":\"r\","
		"\"policy\":{\"decision\":\"deny\",\"rule\":\"r1\"}}\n"
		"{\"id\":\"raw-3\",\"timestamp\":\"2026-01-17T10:0";
	FILE *f;
	struct audit_query q = {.decision = "deny"};

	(void)state;
	ta_dir_make(&t);
	o = ta_opts(&t);
	assert_int_equal(audit_open(&o, &a), 0); /* creates the layout */
	audit_close(a);
	snprintf(p, sizeof(p), "%s/seg-%016x.jsonl", t.jdir, 7);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(lines, f);
	fclose(f);
	assert_int_equal(audit_open(&o, &a), 0);
	assert_int_equal(audit_sync(a, 5000), 0);
	audit_stats(a, &st);
	assert_int_equal(st.loaded, 2);
	assert_int_equal(st.bad_lines, 2);
	assert_int_equal(ta_count(t.db, NULL), 2);
	assert_int_equal(ta_count(t.db, &q), 1);
	assert_int_equal(ta_segments(t.jdir), 1); /* seg 7 gone, seg 8 live */
	audit_close(a);
	ta_dir_remove(&t);
}

/* Lines whose ids are already stored are ignored, never duplicated. */
static void test_replay_no_duplicates(void **state)
{
	struct ta_dir t;
	struct audit_opts o;
	struct audit *a = NULL;
	struct audit_stats st;
	struct ta_seen *seen = calloc(1, sizeof(*seen));
	char p[TA_PATH_MAX];
	FILE *f;

	(void)state;
	ta_dir_make(&t);
	o = ta_opts(&t);
	assert_int_equal(audit_open(&o, &a), 0);
	audit_set_listener(a, ta_listen, seen);
	for (int i = 0; i < 20; i++)
		ta_emit(a, "file_read", "s", "allow", "/x", NULL);
	audit_close(a);
	/* The same line twice more, as a second segment would hold it. */
	snprintf(p, sizeof(p), "%s/seg-%016x.jsonl", t.jdir, 100);
	f = fopen(p, "w");
	assert_non_null(f);
	fprintf(f, "%s\n%s\n", seen->json, seen->json);
	fclose(f);
	assert_int_equal(audit_open(&o, &a), 0);
	assert_int_equal(audit_sync(a, 5000), 0);
	audit_stats(a, &st);
	assert_int_equal(st.loaded, 0);
	assert_int_equal(st.duplicates, 2);
	assert_int_equal(ta_count(t.db, NULL), 20);
	audit_close(a);
	ta_dir_remove(&t);
	free(seen);
}

/* Small segments rotate; loaded ones are removed; close leaves none. */
static void test_rotation(void **state)
{
	struct ta_dir t;
	struct audit_opts o;
	struct audit *a = NULL;
	struct audit_stats st;
	sqlite3 *db;
	sqlite3_stmt *stmt;

	(void)state;
	ta_dir_make(&t);
	o = ta_opts(&t);
	o.segment_max = 4096;
	o.batch_max = 7;
	assert_int_equal(audit_open(&o, &a), 0);
	for (int i = 0; i < 300; i++)
		ta_emit(a, "file_read", "s", "allow", "/a/longer/path", NULL);
	assert_int_equal(audit_sync(a, 10000), 0);
	assert_int_equal(ta_segments(t.jdir), 1);
	assert_int_equal(ta_count(t.db, NULL), 300);
	audit_stats(a, &st);
	assert_int_equal(st.duplicates, 0);
	assert_int_equal(sqlite3_open(t.db, &db), SQLITE_OK);
	sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM audit_journal", -1,
			   &stmt, NULL);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(stmt, 0), 1);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	audit_close(a);
	assert_int_equal(ta_segments(t.jdir), 0);
	assert_int_equal(ta_count(t.db, NULL), 300);
	ta_dir_remove(&t);
}

/* audit.output: the same lines, one per event. */
static void test_jsonl_copy(void **state)
{
	struct ta_dir t;
	struct audit_opts o;
	struct audit *a = NULL;
	char p[TA_PATH_MAX], line[4096];
	FILE *f;
	int n = 0;

	(void)state;
	ta_dir_make(&t);
	snprintf(p, sizeof(p), "%s/log/audit.jsonl", t.root);
	o = ta_opts(&t);
	o.jsonl_path = p;
	assert_int_equal(audit_open(&o, &a), 0);
	for (int i = 0; i < 50; i++)
		ta_emit(a, "dns_query", "s", "allow", NULL, "example.com");
	audit_close(a);
	f = fopen(p, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		assert_non_null(strstr(line, "\"type\":\"dns_query\""));
		n++;
	}
	fclose(f);
	assert_int_equal(n, 50);
	ta_dir_remove(&t);
}

struct ta_thr {
	struct audit *a;
	char last[AUDIT_ID_MAX];
	int bad_order;
};

static void *ta_emitter(void *arg)
{
	struct ta_thr *x = arg;
	struct audit_event ev = {.type = "file_stat", .session_id = "t"};
	char id[AUDIT_ID_MAX];

	for (int i = 0; i < 5000; i++) {
		if (audit_emit(x->a, &ev, id) < 0)
			abort();
		if (strcmp(id, x->last) <= 0)
			x->bad_order++;
		memcpy(x->last, id, sizeof(id));
	}
	return NULL;
}

/* Four emitters at once: ids unique and increasing per thread. */
static void test_concurrent_emit(void **state)
{
	struct ta_dir t;
	struct audit_opts o;
	struct audit *a = NULL, *b = NULL;
	struct ta_thr x[4];
	pthread_t th[4];
	struct audit_stats st;

	(void)state;
	ta_dir_make(&t);
	o = ta_opts(&t);
	assert_int_equal(audit_open(&o, &a), 0);
	assert_int_equal(audit_open(&o, &b), -EBUSY);
	for (int i = 0; i < 4; i++) {
		x[i] = (struct ta_thr){.a = a};
		pthread_create(&th[i], NULL, ta_emitter, &x[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(x[i].bad_order, 0);
	}
	assert_int_equal(audit_sync(a, 20000), 0);
	/* Unique ids: none was ignored as already stored. */
	assert_int_equal(ta_count(t.db, NULL), 20000);
	audit_stats(a, &st);
	assert_int_equal(st.loaded, 20000);
	assert_int_equal(st.duplicates, 0);
	audit_close(a);
	ta_dir_remove(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_shape),
		cmocka_unit_test(test_json_minimal),
		cmocka_unit_test(test_json_untrusted),
		cmocka_unit_test(test_sql_columns),
		cmocka_unit_test(test_query_filters),
		cmocka_unit_test(test_batch_loading),
		cmocka_unit_test(test_replay_unclean),
		cmocka_unit_test(test_replay_raw_lines),
		cmocka_unit_test(test_replay_no_duplicates),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_jsonl_copy),
		cmocka_unit_test(test_concurrent_emit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
