/* Tests for `agentsh events query` and `agentsh report` (cmocka). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cli/cmd_events.h"
#include "helpers.h"

static struct ta_dir tc_dir;
static char tc_dbopt[TA_PATH_MAX + 8];

struct tc_out {
	char *out, *err;
	int rc;
};

static void tc_emit(struct audit *a, struct audit_event ev)
{
	if (ev.session_id == NULL)
		ev.session_id = "s1";
	assert_int_equal(audit_emit(a, &ev, NULL), 0);
}

/* One session with something in every section of the report. */
static int tc_setup(void **state)
{
	struct audit_opts o;
	struct audit *a = NULL;

	(void)state;
	ta_dir_make(&tc_dir);
	snprintf(tc_dbopt, sizeof(tc_dbopt), "--db=%s", tc_dir.db);
	o = ta_opts(&tc_dir);
	assert_int_equal(audit_open(&o, &a), 0);
	tc_emit(a, (struct audit_event){.type = "command_policy",
		.command_id = "c1", .decision = "allow", .effective = "allow",
		.rule = "allow-git", .fields_json = "{\"command\":\"git\"}"});
	tc_emit(a, (struct audit_event){.type = "command_finished",
		.command_id = "c1", .fields_json = "{\"exit_code\":0}"});
	tc_emit(a, (struct audit_event){.type = "file_delete",
		.command_id = "c1", .decision = "deny", .effective = "deny",
		.rule = "protect-git", .path = "/w/.git/a|b\x1b[31m",
		.message = "no"});
	tc_emit(a, (struct audit_event){.type = "net_connect",
		.decision = "allow", .effective = "allow",
		.domain = "api.github.com", .remote = "140.82.1.1:443"});
	tc_emit(a, (struct audit_event){.type = "net_connect",
		.decision = "deny", .effective = "deny", .rule = "no-evil",
		.domain = "evil.example"});
	tc_emit(a, (struct audit_event){.type = "approval_requested",
		.rule = "ask-push", .fields_json = "{\"approval_id\":\"ap1\","
		"\"kind\":\"command\",\"target\":\"git push\"}"});
	tc_emit(a, (struct audit_event){.type = "approval_resolved",
		.fields_json = "{\"approval_id\":\"ap1\",\"approved\":false,"
		"\"reason\":\"nope\"}"});
	tc_emit(a, (struct audit_event){.type = "file_write",
		.decision = "approve", .effective = "allow", .rule = "ask",
		.approval_required = true, .approval_mode = "shadow",
		.path = "/w/x"});
	tc_emit(a, (struct audit_event){.type = "file_soft_deleted",
		.path = "/w/old.txt",
		.fields_json = "{\"trash_token\":\"1768644000\"}"});
	tc_emit(a, (struct audit_event){.type = "file_open",
		.session_id = "s2", .path = "/other"});
	audit_close(a);
	return 0;
}

static int tc_teardown(void **state)
{
	(void)state;
	ta_dir_remove(&tc_dir);
	return 0;
}

/* Run one command with the given arguments, capturing its output. */
static struct tc_out tc_run(bool report, char **envp, ...)
{
	char *argv[32];
	int argc = 0;
	struct tc_out r = {0};
	size_t n1, n2;
	FILE *out = open_memstream(&r.out, &n1);
	FILE *err = open_memstream(&r.err, &n2);
	va_list ap;

	va_start(ap, envp);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	r.rc = report ? cmd_report_run(argc, argv, envp, out, err) :
			cmd_events_run(argc, argv, envp, out, err);
	fclose(out);
	fclose(err);
	return r;
}

static void tc_free(struct tc_out *r)
{
	free(r->out);
	free(r->err);
}

static int tc_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_events_help_usage(void **state)
{
	char *noenv[] = {NULL};
	struct tc_out r;

	(void)state;
	r = tc_run(false, noenv, "events", "--help", NULL);
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "SYNOPSIS"));
	tc_free(&r);
	r = tc_run(false, noenv, "events", "query", "--bogus", "x", NULL);
	assert_int_equal(r.rc, 2);
	tc_free(&r);
	r = tc_run(false, noenv, "events", "query", "--since", "soon", NULL);
	assert_int_equal(r.rc, 2);
	tc_free(&r);
	r = tc_run(false, noenv, "events", "query", "--order=up", NULL);
	assert_int_equal(r.rc, 2);
	tc_free(&r);
	r = tc_run(false, noenv, "events", "query", "--limit", "-1", NULL);
	assert_int_equal(r.rc, 2);
	tc_free(&r);
	r = tc_run(false, noenv, "events", "query", "--db", "/nope/x.db",
		   NULL);
	assert_int_equal(r.rc, 1);
	assert_non_null(strstr(r.err, "no such database"));
	tc_free(&r);
}

static void test_events_query(void **state)
{
	char *noenv[] = {NULL};
	struct tc_out r;

	(void)state;
	r = tc_run(false, noenv, "events", "query", tc_dbopt, NULL);
	assert_int_equal(r.rc, 0);
	assert_int_equal(tc_lines(r.out), 10);
	/* Newest first by default; the terminal escape is neutralised. */
	assert_non_null(strstr(r.out, "file_open"));
	assert_true(strstr(r.out, "file_open") <
		    strstr(r.out, "command_policy"));
	assert_null(strchr(r.out, '\x1b'));
	assert_non_null(strstr(r.out, "a|b\\x1b[31m"));
	tc_free(&r);
	r = tc_run(false, noenv, "events", "query", tc_dbopt, "--session",
		   "s1", "--decision", "deny", "--order", "asc", NULL);
	assert_int_equal(tc_lines(r.out), 2);
	assert_true(strstr(r.out, "protect-git") < strstr(r.out, "no-evil"));
	tc_free(&r);
	r = tc_run(false, noenv, "events", "query", tc_dbopt, "--json",
		   "--type", "net_connect", "--domain-like", "github", NULL);
	assert_int_equal(tc_lines(r.out), 1);
	assert_memory_equal(r.out, "{\"id\":\"", 7);
	tc_free(&r);
	r = tc_run(false, noenv, "events", "query", tc_dbopt, "--since", "1h",
		   "--until", "2099-01-01T00:00:00Z", "--limit", "3", NULL);
	assert_int_equal(tc_lines(r.out), 3);
	tc_free(&r);
	r = tc_run(false, noenv, "events", "query", tc_dbopt, "--until",
		   "2000-01-01T00:00:00Z", NULL);
	assert_int_equal(r.rc, 0);
	assert_int_equal(tc_lines(r.out), 0);
	tc_free(&r);
}

/* Without --db: $AGENTSH_DATA_DIR/events.db. */
static void test_events_data_dir(void **state)
{
	char env[TA_PATH_MAX + 32], *envp[] = {env, NULL};
	char path[CMD_EVENTS_PATH_MAX];
	struct tc_out r;

	(void)state;
	snprintf(env, sizeof(env), "AGENTSH_DATA_DIR=%s/data", tc_dir.root);
	r = tc_run(false, envp, "events", "query", "--text-like", "%old.txt%",
		   NULL);
	assert_int_equal(r.rc, 0);
	assert_int_equal(tc_lines(r.out), 1);
	tc_free(&r);
	assert_int_equal(cmd_events_db_path((char *[]){NULL}, NULL, path), 0);
	assert_string_equal(path, CMD_EVENTS_DB_DEFAULT);
}

static void test_report(void **state)
{
	char *noenv[] = {NULL};
	struct tc_out r;

	(void)state;
	r = tc_run(true, noenv, "report", "s1", tc_dbopt, NULL);
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "# agentsh session report: s1"));
	assert_non_null(strstr(r.out, "- Events: 9,"));
	assert_non_null(strstr(r.out, "## Commands run (1)"));
	assert_non_null(strstr(r.out, "| c1 | git | allow | 0 |"));
	assert_non_null(strstr(r.out, "## Blocked operations (2)"));
	assert_non_null(strstr(r.out, "protect-git"));
	/* Markdown table syntax in agent text is escaped. */
	assert_non_null(strstr(r.out, "a\\|b"));
	assert_non_null(strstr(r.out, "## Approvals (2)"));
	assert_non_null(strstr(r.out, "| denied | nope |"));
	assert_non_null(strstr(r.out, "shadow: allowed, not asked"));
	assert_non_null(strstr(r.out, "## Soft-deleted files (1)"));
	assert_non_null(strstr(r.out, "1768644000"));
	assert_non_null(strstr(r.out, "## Network hosts contacted (2)"));
	assert_non_null(strstr(r.out, "| evil.example | 1 | 1 |"));
	assert_non_null(strstr(r.out, "| net\\_connect | 2 | 1 |"));
	assert_null(strstr(r.out, "/other"));
	tc_free(&r);
	r = tc_run(true, noenv, "report", "latest", tc_dbopt, NULL);
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "report: s2"));
	tc_free(&r);
	r = tc_run(true, noenv, "report", "nobody", tc_dbopt, NULL);
	assert_int_equal(r.rc, 1);
	assert_non_null(strstr(r.err, "no events for session"));
	tc_free(&r);
	r = tc_run(true, noenv, "report", NULL);
	assert_int_equal(r.rc, 2);
	tc_free(&r);
	r = tc_run(true, noenv, "report", "--help", NULL);
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "SYNOPSIS"));
	tc_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events_help_usage),
		cmocka_unit_test(test_events_query),
		cmocka_unit_test(test_events_data_dir),
		cmocka_unit_test(test_report),
	};

	return cmocka_run_group_tests(tests, tc_setup, tc_teardown);
}
