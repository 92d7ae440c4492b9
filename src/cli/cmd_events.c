/*
 * `agentsh events query [filters] [--json]`: read the audit database
 * directly (no daemon needed), one line or one JSON object per event.
 */
#include "cli/cmd_events.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "common/log.h"
#include "common/str.h"

enum { CMD_EV_OK = 0, CMD_EV_FAIL = 1, CMD_EV_USAGE = 2 };

#define CMD_EV_LIMIT_DEFAULT 200
#define CMD_EV_TARGET_MAX 1024 /* the assembled target column */

static const char cmd_events_help[] =
"NAME\n"
"    agentsh events - query the audit log of agentsh\n"
"\n"
"SYNOPSIS\n"
"    agentsh events query [--db PATH] [--session S] [--command C]\n"
"                         [--type T1,T2...] [--decision D]\n"
"                         [--since WHEN] [--until WHEN]\n"
"                         [--path-like P] [--domain-like P] [--text-like P]\n"
"                         [--limit N] [--offset N] [--order asc|desc]\n"
"                         [--json]\n"
"    agentsh events tail SESSION_ID\n"
"    agentsh events --help\n"
"\n"
"DESCRIPTION\n"
"    Every decision agentsh makes (commands, file operations, network\n"
"    connections, approvals, soft-deletes, ...) is recorded as an event.\n"
"    The daemon appends each event to a journal before the decision takes\n"
"    effect and loads the journal into an SQLite database in batches, so\n"
"    the newest events (the last 50 ms or so) may not be visible yet.\n"
"\n"
"    `events query` reads that database directly, without the daemon,\n"
"    and prints the matching events, newest first unless --order asc.\n"
"    Each line shows: time (UTC), type, effective decision, rule and\n"
"    target (the path, the host and address, or the operation). Text\n"
"    from the agent is printed with control characters escaped as \\xNN.\n"
"\n"
"    `events tail SESSION_ID` asks the running daemon (over its Unix\n"
"    socket) for the session's events as they happen and prints each as\n"
"    one JSON object per line until interrupted.\n"
"\n"
"OPTIONS\n"
"    --db PATH          The database (also --db-path). Default:\n"
"                       $AGENTSH_DATA_DIR/events.db, else\n"
"                       " CMD_EVENTS_DB_DEFAULT ".\n"
"    --session S        Events of session S only.\n"
"    --command C        Events of command id C only.\n"
"    --type T1,T2       Events of these types only, e.g.\n"
"                       file_delete,net_connect,command_policy.\n"
"    --decision D       Events whose policy decision or effective\n"
"                       decision is D (allow, deny, approve, redirect,\n"
"                       soft_delete, ...).\n"
"    --since WHEN       Events at or after WHEN: a duration meaning that\n"
"                       long ago (90s, 5m, 1h, 1h30m, 7d) or an RFC 3339\n"
"                       time (2026-01-17T10:00:00Z, ...+01:00).\n"
"    --until WHEN       Events at or before WHEN (same forms).\n"
"    --path-like P      Events whose path contains P. A P that contains\n"
"                       '%' is an SQL LIKE pattern instead ('%' any text,\n"
"                       '_' one character, '\\' escapes), e.g.\n"
"                       '%/secrets/%'.\n"
"    --domain-like P    The same for the domain.\n"
"    --text-like P      The same for the whole event JSON.\n"
"    --limit N          At most N events (default 200; 0: no limit).\n"
"    --offset N         Skip the first N matching events.\n"
"    --order asc|desc   Oldest or newest first (default desc).\n"
"    --json             One JSON object per line, exactly as recorded:\n"
"                       {id, timestamp, type, session_id, command_id,\n"
"                        pid, policy: {decision, effective_decision,\n"
"                        rule, message, approval}, path, domain, remote,\n"
"                        operation, fields}.\n"
"    --direct-db        Accepted for compatibility; queries are always\n"
"                       direct.\n"
"    --help             Show this text.\n"
"\n"
"ENVIRONMENT\n"
"    AGENTSH_DATA_DIR   The data directory holding events.db.\n"
"\n"
"EXIT STATUS\n"
"    0 the query ran (even with no match), 1 the database cannot be\n"
"    read, 2 usage error.\n"
"\n"
"EXAMPLES\n"
"    agentsh events query --session s1 --decision deny --since 1h\n"
"    agentsh events query --type net_connect --domain-like github --json\n"
"    agentsh events query --path-like '%/.ssh/%' --order asc --limit 0\n"
"\n"
"SEE ALSO\n"
"    agentsh report --help\n";

struct cmd_ev_opts {
	const char *db;
	struct audit_query q;
	bool json, help;
};

static int cmd_ev_usage(FILE *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int cmd_ev_usage(FILE *err, const char *fmt, ...)
{
	va_list ap;

	fputs("agentsh events: ", err);
	va_start(ap, fmt);
	vfprintf(err, fmt, ap);
	va_end(ap);
	fputs("\nTry 'agentsh events --help'.\n", err);
	return CMD_EV_USAGE;
}

int cmd_events_db_path(char **envp, const char *opt,
		       char out[CMD_EVENTS_PATH_MAX])
{
	static const char key[] = "AGENTSH_DATA_DIR=";
	const char *dir = NULL;
	int n;

	if (opt != NULL)
		return str_lcpy(out, opt, CMD_EVENTS_PATH_MAX) <
		       CMD_EVENTS_PATH_MAX ? 0 : -ENAMETOOLONG;
	for (char **e = envp; e != NULL && *e != NULL; e++) {
		if (strncmp(*e, key, sizeof(key) - 1) == 0 &&
		    (*e)[sizeof(key) - 1] != '\0')
			dir = *e + sizeof(key) - 1;
	}
	n = dir ? snprintf(out, CMD_EVENTS_PATH_MAX, "%s/events.db", dir) :
		  snprintf(out, CMD_EVENTS_PATH_MAX, "%s",
			   CMD_EVENTS_DB_DEFAULT);
	return n < 0 || n >= CMD_EVENTS_PATH_MAX ? -ENAMETOOLONG : 0;
}

int cmd_events_time(const char *s, int64_t now_ns, int64_t *ns)
{
	int64_t ms;

	if (str_duration_ms(s, &ms) == 0) {
		if (ms > INT64_MAX / 1000000)
			return -EINVAL;
		*ns = now_ns - ms * 1000000;
		return 0;
	}
	return audit_time_parse(s, strlen(s), ns) == 0 ? 0 : -EINVAL;
}

void cmd_events_escape(const char *s, char out[CMD_EVENTS_FIELD_MAX])
{
	log_escape(s, strlen(s), out, CMD_EVENTS_FIELD_MAX);
}

static int64_t cmd_ev_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* --limit / --offset: a count in [0, INT32_MAX]. */
static int cmd_ev_count(const char *name, const char *v, int *out,
			FILE *err)
{
	int64_t n;

	if (str_to_i64(v, 0, INT32_MAX, &n) < 0)
		return cmd_ev_usage(err, "%s wants a whole number, not '%s'",
				    name, v);
	*out = (int)n;
	return CMD_EV_OK;
}

/* One option that takes a value. */
static int cmd_ev_value(struct cmd_ev_opts *o, const char *name,
			const char *v, FILE *err)
{
	struct audit_query *q = &o->q;
	static const char *const names[] = {
		"--db", "--db-path", "--session", "--command", "--type",
		"--decision", "--path-like", "--domain-like", "--text-like",
	};
	const char **slots[] = {
		&o->db, &o->db, &q->session_id, &q->command_id, &q->types,
		&q->decision, &q->path_like, &q->domain_like, &q->text_like,
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(name, names[i]) == 0) {
			*slots[i] = v;
			return CMD_EV_OK;
		}
	}
	if (strcmp(name, "--since") == 0 || strcmp(name, "--until") == 0) {
		int64_t *t = name[2] == 's' ? &q->since_ns : &q->until_ns;

		if (cmd_events_time(v, cmd_ev_now(), t) < 0)
			return cmd_ev_usage(err, "%s: '%s' is neither a "
					    "duration (1h) nor an RFC 3339 "
					    "time", name, v);
		return CMD_EV_OK;
	}
	if (strcmp(name, "--limit") == 0)
		return cmd_ev_count(name, v, &q->limit, err);
	if (strcmp(name, "--offset") == 0)
		return cmd_ev_count(name, v, &q->offset, err);
	if (strcmp(name, "--order") == 0 && (strcmp(v, "asc") == 0 ||
					     strcmp(v, "desc") == 0)) {
		q->desc = v[0] == 'd';
		return CMD_EV_OK;
	}
	if (strcmp(name, "--order") == 0)
		return cmd_ev_usage(err, "--order is asc or desc, not '%s'", v);
	return cmd_ev_usage(err, "unknown option '%s'", name);
}

/* Parse argv[first..] ("--opt VALUE" or "--opt=VALUE"). */
static int cmd_ev_parse(int argc, char **argv, int first,
			struct cmd_ev_opts *o, FILE *err)
{
	memset(o, 0, sizeof(*o));
	o->q.limit = CMD_EV_LIMIT_DEFAULT;
	o->q.desc = true;
	for (int i = first; i < argc; i++) {
		char name[32];
		const char *a = argv[i], *eq = strchr(a, '=');
		int r;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			o->help = true;
		} else if (strcmp(a, "--json") == 0) {
			o->json = true;
		} else if (strcmp(a, "--direct-db") == 0) {
			continue;
		} else if (strncmp(a, "--", 2) != 0) {
			return cmd_ev_usage(err, "unexpected argument '%s'", a);
		} else if (eq != NULL) {
			if ((size_t)(eq - a) >= sizeof(name))
				return cmd_ev_usage(err, "unknown option '%s'",
						    a);
			memcpy(name, a, (size_t)(eq - a));
			name[eq - a] = '\0';
			if ((r = cmd_ev_value(o, name, eq + 1, err)) != 0)
				return r;
		} else if (i + 1 >= argc) {
			return cmd_ev_usage(err, "%s needs a value", a);
		} else if ((r = cmd_ev_value(o, a, argv[++i], err)) != 0) {
			return r;
		}
	}
	return CMD_EV_OK;
}

/* "host (address)", the path, the operation, fields.command, or "-". */
static void cmd_ev_target(const struct audit_row *r,
			  char out[CMD_EV_TARGET_MAX])
{
	struct buf b;

	if (r->path != NULL)
		snprintf(out, CMD_EV_TARGET_MAX, "%s", r->path);
	else if (r->domain != NULL && r->remote != NULL)
		snprintf(out, CMD_EV_TARGET_MAX, "%s (%s)", r->domain,
			 r->remote);
	else if (r->domain != NULL || r->remote != NULL)
		snprintf(out, CMD_EV_TARGET_MAX, "%s",
			 r->domain ? r->domain : r->remote);
	else if (r->operation != NULL)
		snprintf(out, CMD_EV_TARGET_MAX, "%s", r->operation);
	else
		snprintf(out, CMD_EV_TARGET_MAX, "-");
	if (r->path || r->domain || r->remote || r->operation)
		return;
	buf_init(&b, AUDIT_EVENT_MAX);
	if (audit_json_get(r->json, r->json_len, "fields.command", &b) == 1)
		snprintf(out, CMD_EV_TARGET_MAX, "%s", b.data);
	buf_release(&b);
}

static int cmd_ev_print(void *arg, const struct audit_row *r)
{
	FILE *out = arg;
	char ts[AUDIT_TIME_MAX], target[CMD_EV_TARGET_MAX];
	char type[CMD_EVENTS_FIELD_MAX], dec[CMD_EVENTS_FIELD_MAX];
	char rule[CMD_EVENTS_FIELD_MAX], tgt[CMD_EVENTS_FIELD_MAX];

	audit_time_format(r->ts_ns, ts);
	memcpy(ts + 23, "Z", 2); /* milliseconds are enough here */
	cmd_ev_target(r, target);
	cmd_events_escape(r->type ? r->type : "-", type);
	cmd_events_escape(r->effective ? r->effective :
			  r->decision ? r->decision : "-", dec);
	cmd_events_escape(r->rule ? r->rule : "-", rule);
	cmd_events_escape(target, tgt);
	fprintf(out, "%s  %-20s %-8s %-20s %s\n", ts, type, dec, rule, tgt);
	return 0;
}

static int cmd_ev_print_json(void *arg, const struct audit_row *r)
{
	FILE *out = arg;

	fwrite(r->json, 1, r->json_len, out);
	fputc('\n', out);
	return 0;
}

static int cmd_ev_query(int argc, char **argv, char **envp, FILE *out,
			FILE *err)
{
	struct cmd_ev_opts o;
	char db[CMD_EVENTS_PATH_MAX];
	int r = cmd_ev_parse(argc, argv, 2, &o, err);

	if (r != CMD_EV_OK)
		return r;
	if (o.help) {
		fputs(cmd_events_help, out);
		return CMD_EV_OK;
	}
	if (cmd_events_db_path(envp, o.db, db) < 0)
		return cmd_ev_usage(err, "--db: the path is too long");
	r = audit_query_run(db, &o.q, o.json ? cmd_ev_print_json :
			    cmd_ev_print, out);
	if (r < 0) {
		char esc[CMD_EVENTS_FIELD_MAX];

		cmd_events_escape(db, esc);
		fprintf(err, "agentsh events: cannot read %s: %s\n", esc,
			r == -ENOENT ? "no such database" : strerror(-r));
		return CMD_EV_FAIL;
	}
	return CMD_EV_OK;
}

int cmd_events_run(int argc, char **argv, char **envp, FILE *out,
		   FILE *err)
{
	const char *sub = argc > 1 ? argv[1] : NULL;

	if (sub == NULL)
		return cmd_ev_usage(err, "missing subcommand (query)");
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 ||
	    strcmp(sub, "help") == 0) {
		fputs(cmd_events_help, out);
		return CMD_EV_OK;
	}
	if (strcmp(sub, "query") == 0)
		return cmd_ev_query(argc, argv, envp, out, err);
	/* main() sends "events tail" to the daemon client (cmd_client.c). */
	return cmd_ev_usage(err, "unknown subcommand '%s' (query or tail)",
			    sub);
}

int cmd_events(int argc, char **argv, char **envp)
{
	return cmd_events_run(argc, argv, envp, stdout, stderr);
}
