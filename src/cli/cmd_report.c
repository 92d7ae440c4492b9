/*
 * `agentsh report SID|latest [--db PATH]`: a markdown summary of one
 * session from the audit database: commands run, blocked operations with
 * their rules, approvals, soft-deletes, network hosts and event counts.
 */
#include "cli/cmd_events.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "common/buf.h"

enum { CMD_REP_OK = 0, CMD_REP_FAIL = 1, CMD_REP_USAGE = 2 };

#define CMD_REP_LIST_MAX 50      /* rows printed per section */
#define CMD_REP_KEYS_MAX 4096    /* distinct hosts, types, command ids */
#define CMD_REP_CELLS 5          /* text cells of one row */

static const char cmd_report_help[] =
"NAME\n"
"    agentsh report - summarise one agentsh session in markdown\n"
"\n"
"SYNOPSIS\n"
"    agentsh report SESSION_ID|latest [--db PATH]\n"
"    agentsh report --help\n"
"\n"
"DESCRIPTION\n"
"    Reads the audit database directly (no daemon needed) and prints a\n"
"    markdown report of the session: an overview, then the commands run\n"
"    (with their decision and exit code), the blocked operations with\n"
"    the rule that blocked each, the approvals requested and how they\n"
"    were resolved (or that they were only recorded, in shadow mode),\n"
"    the files soft-deleted with their trash tokens, the network hosts\n"
"    contacted with connection and block counts, and the number of\n"
"    events of each type. Each list shows at most 50 rows and says how\n"
"    many more there were. \"latest\" is the session of the newest event.\n"
"\n"
"    An operation is blocked when its effective decision is deny, when\n"
"    it carries fields.blocked = true, or when its type ends in\n"
"    \"_blocked\". Text from the agent is shown with control characters\n"
"    escaped and markdown table syntax neutralised.\n"
"\n"
"OPTIONS\n"
"    --db PATH   The database (also --db-path). Default:\n"
"                $AGENTSH_DATA_DIR/events.db, else\n"
"                " CMD_EVENTS_DB_DEFAULT ".\n"
"    --help      Show this text.\n"
"\n"
"EXIT STATUS\n"
"    0 report printed, 1 no such session or the database cannot be\n"
"    read, 2 usage error.\n"
"\n"
"EXAMPLES\n"
"    agentsh report latest\n"
"    agentsh report session-1234 --db ./data/events.db > report.md\n"
"\n"
"SEE ALSO\n"
"    agentsh events --help\n";

/* One row of a section; cells are escaped copies. */
struct cmd_rep_item {
	int64_t ts;
	char *cell[CMD_REP_CELLS];
};

struct cmd_rep_list {
	struct cmd_rep_item v[CMD_REP_LIST_MAX];
	size_t n;
	uint64_t total;
};

/* A counter per key, sorted by key; item links a key to a list row. */
struct cmd_rep_key {
	char *key;
	uint64_t n, blocked;
	long item;
};

struct cmd_rep_keys {
	struct cmd_rep_key *v;
	size_t n, cap;
	uint64_t other; /* events whose key did not fit */
};

struct cmd_rep {
	uint64_t events, blocked_total;
	int64_t first, last;
	struct cmd_rep_list cmds, blocked, approvals, deletes;
	struct cmd_rep_keys cmd_ids, approval_ids, hosts, types;
	struct buf tmp;
	bool oom;
};

/* Find or insert key; NULL when the table is full (counted as other). */
static struct cmd_rep_key *cmd_rep_key(struct cmd_rep *rp,
				       struct cmd_rep_keys *k, const char *key)
{
	size_t lo = 0, hi = k->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(k->v[mid].key, key);

		if (c == 0)
			return &k->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (k->n == CMD_REP_KEYS_MAX) {
		k->other++;
		return NULL;
	}
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 32;
		struct cmd_rep_key *nv = realloc(k->v, cap * sizeof(*nv));

		if (nv == NULL)
			goto oom;
		k->v = nv;
		k->cap = cap;
	}
	memmove(&k->v[lo + 1], &k->v[lo], (k->n - lo) * sizeof(*k->v));
	k->v[lo] = (struct cmd_rep_key){strdup(key), 0, 0, -1};
	k->n++;
	if (k->v[lo].key != NULL)
		return &k->v[lo];
	memmove(&k->v[lo], &k->v[lo + 1], (--k->n - lo) * sizeof(*k->v));
oom:
	rp->oom = true;
	return NULL;
}

static void cmd_rep_keys_free(struct cmd_rep_keys *k)
{
	for (size_t i = 0; i < k->n; i++)
		free(k->v[i].key);
	free(k->v);
}

/* Set a cell to an escaped copy of s (NULL: "-"). */
static void cmd_rep_set(struct cmd_rep *rp, struct cmd_rep_item *it, int i,
			const char *s)
{
	char esc[CMD_EVENTS_FIELD_MAX];

	cmd_events_escape(s && *s ? s : "-", esc);
	free(it->cell[i]);
	it->cell[i] = strdup(esc);
	rp->oom |= it->cell[i] == NULL;
}

/* Count a row; the new item, or NULL when the list is full. */
static struct cmd_rep_item *cmd_rep_add(struct cmd_rep_list *l, int64_t ts)
{
	struct cmd_rep_item *it;

	l->total++;
	if (l->n == CMD_REP_LIST_MAX)
		return NULL;
	it = &l->v[l->n++];
	it->ts = ts;
	return it;
}

static void cmd_rep_list_free(struct cmd_rep_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		for (int c = 0; c < CMD_REP_CELLS; c++)
			free(l->v[i].cell[c]);
}

/* A member of the event as text in rp->tmp; NULL when absent. */
static const char *cmd_rep_get(struct cmd_rep *rp, const struct audit_row *r,
			       const char *key)
{
	buf_reset(&rp->tmp);
	if (audit_json_get(r->json, r->json_len, key, &rp->tmp) <= 0)
		return NULL;
	return rp->tmp.data ? rp->tmp.data : "";
}

static const char *cmd_rep_or(const char *a, const char *b)
{
	return a != NULL ? a : b;
}

static bool cmd_rep_is(const char *s, const char *v)
{
	return s != NULL && strcmp(s, v) == 0;
}

static bool cmd_rep_blocked(struct cmd_rep *rp, const struct audit_row *r)
{
	size_t n = strlen(r->type);

	return cmd_rep_is(r->effective, "deny") ||
	       (n > 8 && strcmp(r->type + n - 8, "_blocked") == 0) ||
	       cmd_rep_is(cmd_rep_get(rp, r, "fields.blocked"), "true");
}

static const char *cmd_rep_target(const struct audit_row *r)
{
	if (r->path != NULL)
		return r->path;
	if (r->domain != NULL)
		return r->domain;
	return r->remote ? r->remote : r->operation;
}

/* command_*: one row per command id: id, command, decision, exit. */
static void cmd_rep_command(struct cmd_rep *rp, const struct audit_row *r)
{
	const char *cid = r->command_id ? r->command_id : r->id, *s;
	struct cmd_rep_key *k = cmd_rep_key(rp, &rp->cmd_ids, cid);
	struct cmd_rep_item *it;

	if (k == NULL)
		return;
	if (k->n++ == 0)
		k->item = cmd_rep_add(&rp->cmds, r->ts_ns) ?
			  (long)rp->cmds.n - 1 : -1;
	if (k->item < 0)
		return;
	it = &rp->cmds.v[k->item];
	if (it->cell[0] == NULL)
		cmd_rep_set(rp, it, 0, cid);
	if (it->cell[1] == NULL || strcmp(it->cell[1], "-") == 0) {
		s = cmd_rep_get(rp, r, "fields.command");
		cmd_rep_set(rp, it, 1, s ? s : cmd_rep_target(r));
	}
	if (strcmp(r->type, "command_policy") == 0 || it->cell[2] == NULL)
		cmd_rep_set(rp, it, 2, r->effective ? r->effective :
				       r->decision);
	if (strcmp(r->type, "command_finished") == 0 || it->cell[3] == NULL)
		cmd_rep_set(rp, it, 3, cmd_rep_get(rp, r, "fields.exit_code"));
}

/* Blocked: time, type, rule, target, message. */
static void cmd_rep_block(struct cmd_rep *rp, const struct audit_row *r)
{
	struct cmd_rep_item *it = cmd_rep_add(&rp->blocked, r->ts_ns);

	rp->blocked_total++;
	if (it == NULL)
		return;
	cmd_rep_set(rp, it, 0, r->type);
	cmd_rep_set(rp, it, 1, r->rule);
	cmd_rep_set(rp, it, 2, cmd_rep_or(cmd_rep_target(r), cmd_rep_get(rp,
					  r, "fields.command")));
	cmd_rep_set(rp, it, 3, cmd_rep_get(rp, r, "policy.message"));
}

/* Approvals: kind, target, rule, outcome (and shadow approvals). */
static void cmd_rep_approval(struct cmd_rep *rp, const struct audit_row *r)
{
	const char *aid = cmd_rep_get(rp, r, "fields.approval_id");
	struct cmd_rep_key *k = aid ? cmd_rep_key(rp, &rp->approval_ids, aid) :
				      NULL;
	struct cmd_rep_item *it;

	if (strcmp(r->type, "approval_resolved") == 0) {
		if (k == NULL || k->item < 0)
			return;
		it = &rp->approvals.v[k->item];
		cmd_rep_set(rp, it, 3, cmd_rep_is(cmd_rep_get(rp, r,
			"fields.approved"), "true") ? "approved" : "denied");
		cmd_rep_set(rp, it, 4, cmd_rep_get(rp, r, "fields.reason"));
		return;
	}
	it = cmd_rep_add(&rp->approvals, r->ts_ns);
	if (it == NULL)
		return;
	if (k != NULL)
		k->item = (long)rp->approvals.n - 1;
	cmd_rep_set(rp, it, 0, cmd_rep_or(cmd_rep_get(rp, r, "fields.kind"),
					  r->type));
	cmd_rep_set(rp, it, 1, cmd_rep_or(cmd_rep_get(rp, r, "fields.target"),
					  cmd_rep_target(r)));
	cmd_rep_set(rp, it, 2, r->rule ? r->rule :
			       cmd_rep_get(rp, r, "fields.rule"));
	cmd_rep_set(rp, it, 3, strcmp(r->type, "approval_requested") == 0 ?
			       "pending" : "shadow: allowed, not asked");
	cmd_rep_set(rp, it, 4, NULL);
}

static void cmd_rep_host(struct cmd_rep *rp, const struct audit_row *r,
			 bool blocked)
{
	struct cmd_rep_key *k;

	if (r->domain == NULL && r->remote == NULL)
		return;
	k = cmd_rep_key(rp, &rp->hosts, r->domain ? r->domain : r->remote);
	if (k != NULL) {
		k->n++;
		k->blocked += blocked;
	}
}

static int cmd_rep_row(void *arg, const struct audit_row *r)
{
	struct cmd_rep *rp = arg;
	bool blocked = cmd_rep_blocked(rp, r);
	struct cmd_rep_key *k = cmd_rep_key(rp, &rp->types, r->type);
	struct cmd_rep_item *it;

	if (rp->events++ == 0)
		rp->first = r->ts_ns;
	rp->last = r->ts_ns;
	if (k != NULL) {
		k->n++;
		k->blocked += blocked;
	}
	if (strncmp(r->type, "command_", 8) == 0)
		cmd_rep_command(rp, r);
	if (blocked)
		cmd_rep_block(rp, r);
	if (strncmp(r->type, "approval_", 9) == 0 ||
	    cmd_rep_is(cmd_rep_get(rp, r, "policy.approval.mode"), "shadow"))
		cmd_rep_approval(rp, r);
	if (strcmp(r->type, "file_soft_deleted") == 0 &&
	    (it = cmd_rep_add(&rp->deletes, r->ts_ns)) != NULL) {
		cmd_rep_set(rp, it, 0, r->path);
		cmd_rep_set(rp, it, 1, cmd_rep_get(rp, r,
						   "fields.trash_token"));
	}
	cmd_rep_host(rp, r, blocked);
	return rp->oom ? 1 : 0;
}

/* Text with the markdown syntax that could break a table escaped. */
static void cmd_rep_md(FILE *out, const char *s)
{
	for (; s != NULL && *s; s++) {
		if (*s == '|' || *s == '`' || *s == '*' || *s == '_' ||
		    *s == '[' || *s == ']')
			fputc('\\', out);
		if (*s == '<')
			fputs("&lt;", out);
		else if (*s == '>')
			fputs("&gt;", out);
		else
			fputc(*s, out);
	}
}

static void cmd_rep_cell(FILE *out, const char *s)
{
	fputc(' ', out);
	cmd_rep_md(out, s);
	fputs(" |", out);
}

static void cmd_rep_time(FILE *out, int64_t ns)
{
	char ts[AUDIT_TIME_MAX];

	audit_time_format(ns, ts);
	memcpy(ts + 19, "Z", 2);
	fprintf(out, "| %s |", ts);
}

/* One section: a heading, a table of ncells columns, and a footer. */
static void cmd_rep_table(FILE *out, const char *title, const char *head,
			  const struct cmd_rep_list *l, int ncells)
{
	fprintf(out, "\n## %s (%llu)\n\n", title,
		(unsigned long long)l->total);
	if (l->total == 0) {
		fputs("None.\n", out);
		return;
	}
	fprintf(out, "| Time (UTC) |%s\n|---", head);
	for (int c = 0; c < ncells; c++)
		fputs("|---", out);
	fputs("|\n", out);
	for (size_t i = 0; i < l->n; i++) {
		cmd_rep_time(out, l->v[i].ts);
		for (int c = 0; c < ncells; c++)
			cmd_rep_cell(out, l->v[i].cell[c]);
		fputc('\n', out);
	}
	if (l->total > l->n)
		fprintf(out, "\n... and %llu more (see `agentsh events "
			"query`).\n", (unsigned long long)(l->total - l->n));
}

/* Counts per key, largest first. */
static int cmd_rep_by_count(const void *x, const void *y)
{
	const struct cmd_rep_key *a = x, *b = y;

	if (a->n != b->n)
		return a->n < b->n ? 1 : -1;
	return strcmp(a->key, b->key);
}

static void cmd_rep_counts(FILE *out, const char *title, const char *col,
			   struct cmd_rep_keys *k)
{
	char esc[CMD_EVENTS_FIELD_MAX];

	fprintf(out, "\n## %s (%zu)\n\n", title, k->n);
	if (k->n == 0) {
		fputs("None.\n", out);
		return;
	}
	qsort(k->v, k->n, sizeof(*k->v), cmd_rep_by_count);
	fprintf(out, "| %s | Events | Blocked |\n|---|---|---|\n", col);
	for (size_t i = 0; i < k->n && i < CMD_REP_LIST_MAX; i++) {
		cmd_events_escape(k->v[i].key, esc);
		fputs("|", out);
		cmd_rep_cell(out, esc);
		fprintf(out, " %llu | %llu |\n", (unsigned long long)k->v[i].n,
			(unsigned long long)k->v[i].blocked);
	}
	if (k->n > CMD_REP_LIST_MAX || k->other > 0)
		fprintf(out, "\n... and %zu more.\n", k->n > CMD_REP_LIST_MAX ?
			k->n - CMD_REP_LIST_MAX : 0);
}

static void cmd_rep_print(FILE *out, const char *sid, struct cmd_rep *rp)
{
	char esc[CMD_EVENTS_FIELD_MAX], t0[AUDIT_TIME_MAX], t1[AUDIT_TIME_MAX];

	cmd_events_escape(sid, esc);
	audit_time_format(rp->first, t0);
	audit_time_format(rp->last, t1);
	fputs("# agentsh session report: ", out);
	cmd_rep_md(out, esc);
	fprintf(out, "\n\n- Events: %llu, from %.19sZ to %.19sZ (%.1f s)\n"
		"- Commands: %llu\n- Blocked operations: %llu\n"
		"- Approvals: %llu\n- Soft-deleted files: %llu\n"
		"- Network hosts: %zu\n",
		(unsigned long long)rp->events, t0, t1,
		(double)(rp->last - rp->first) / 1e9,
		(unsigned long long)rp->cmds.total,
		(unsigned long long)rp->blocked_total,
		(unsigned long long)rp->approvals.total,
		(unsigned long long)rp->deletes.total, rp->hosts.n);
	cmd_rep_table(out, "Commands run",
		      " Command id | Command | Decision | Exit |",
		      &rp->cmds, 4);
	cmd_rep_table(out, "Blocked operations",
		      " Type | Rule | Target | Message |", &rp->blocked, 4);
	cmd_rep_table(out, "Approvals",
		      " Kind | Target | Rule | Outcome | Reason |",
		      &rp->approvals, 5);
	cmd_rep_table(out, "Soft-deleted files", " Path | Trash token |",
		      &rp->deletes, 2);
	cmd_rep_counts(out, "Network hosts contacted", "Host", &rp->hosts);
	cmd_rep_counts(out, "Events by type", "Type", &rp->types);
}

static void cmd_rep_free(struct cmd_rep *rp)
{
	cmd_rep_list_free(&rp->cmds);
	cmd_rep_list_free(&rp->blocked);
	cmd_rep_list_free(&rp->approvals);
	cmd_rep_list_free(&rp->deletes);
	cmd_rep_keys_free(&rp->cmd_ids);
	cmd_rep_keys_free(&rp->approval_ids);
	cmd_rep_keys_free(&rp->hosts);
	cmd_rep_keys_free(&rp->types);
	buf_release(&rp->tmp);
	free(rp);
}

static int cmd_rep_latest_cb(void *arg, const struct audit_row *r)
{
	if (r->session_id != NULL)
		*(char **)arg = strdup(r->session_id);
	return 1;
}

/* Report a failed query; always CMD_REP_FAIL. */
static int cmd_rep_fail(const char *db, int r, FILE *err)
{
	char esc[CMD_EVENTS_FIELD_MAX];

	cmd_events_escape(db, esc);
	fprintf(err, "agentsh report: cannot read %s: %s\n", esc,
		r == -ENOENT ? "no such database" : strerror(-r));
	return CMD_REP_FAIL;
}

static int cmd_rep_run(const char *db, const char *sid, FILE *out,
		       FILE *err)
{
	struct cmd_rep *rp = calloc(1, sizeof(*rp));
	struct audit_query q = {.session_id = sid};
	char esc[CMD_EVENTS_FIELD_MAX];
	int r;

	if (rp == NULL)
		return cmd_rep_fail(db, -ENOMEM, err);
	buf_init(&rp->tmp, AUDIT_EVENT_MAX);
	r = audit_query_run(db, &q, cmd_rep_row, rp);
	if (r >= 0 && rp->oom)
		r = -ENOMEM;
	if (r > 0)
		cmd_rep_print(out, sid, rp);
	cmd_rep_free(rp);
	if (r < 0)
		return cmd_rep_fail(db, r, err);
	if (r > 0)
		return CMD_REP_OK;
	cmd_events_escape(sid, esc);
	fprintf(err, "agentsh report: no events for session %s\n", esc);
	return CMD_REP_FAIL;
}

/* Split argv into the session and --db; a usage code or CMD_REP_OK. */
static int cmd_rep_args(int argc, char **argv, const char **sid,
			const char **dbopt, bool *help, FILE *err)
{
	*sid = *dbopt = NULL;
	*help = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			*help = true;
		else if ((strcmp(a, "--db") == 0 ||
			  strcmp(a, "--db-path") == 0) && i + 1 < argc)
			*dbopt = argv[++i];
		else if (strncmp(a, "--db=", 5) == 0)
			*dbopt = a + 5;
		else if (strcmp(a, "--direct-db") == 0)
			continue;
		else if (a[0] != '-' && *sid == NULL)
			*sid = a;
		else
			goto bad;
	}
	if (*help || *sid != NULL)
		return CMD_REP_OK;
	fputs("agentsh report: missing SESSION_ID (or \"latest\")\n", err);
	return CMD_REP_USAGE;
bad:
	fputs("agentsh report: bad arguments; try 'agentsh report --help'\n",
	      err);
	return CMD_REP_USAGE;
}

int cmd_report_run(int argc, char **argv, char **envp, FILE *out,
		   FILE *err)
{
	struct audit_query latest_q = {.desc = true, .limit = 1};
	const char *sid, *dbopt;
	char db[CMD_EVENTS_PATH_MAX], *latest = NULL;
	bool help;
	int r = cmd_rep_args(argc, argv, &sid, &dbopt, &help, err);

	if (r != CMD_REP_OK || help) {
		if (help)
			fputs(cmd_report_help, out);
		return r;
	}
	if (cmd_events_db_path(envp, dbopt, db) < 0) {
		fputs("agentsh report: --db: the path is too long\n", err);
		return CMD_REP_USAGE;
	}
	if (strcmp(sid, "latest") != 0)
		return cmd_rep_run(db, sid, out, err);
	/* "latest": the session of the newest event. */
	r = audit_query_run(db, &latest_q, cmd_rep_latest_cb, &latest);
	if (r < 0) {
		r = cmd_rep_fail(db, r, err);
	} else if (latest == NULL) {
		fputs("agentsh report: the database has no events\n", err);
		r = CMD_REP_FAIL;
	} else {
		r = cmd_rep_run(db, latest, out, err);
	}
	free(latest);
	return r;
}

int cmd_report(int argc, char **argv, char **envp)
{
	return cmd_report_run(argc, argv, envp, stdout, stderr);
}
