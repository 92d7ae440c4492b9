/*
 * `agentsh trash list|restore|purge`: what the supervisor soft-deleted,
 * read straight from the trash directory (no daemon needed).
 */
#include "cli/cmd_trash.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/buf.h"
#include "common/json.h"
#include "common/log.h"
#include "common/str.h"
#include "trash/trash.h"

#define TRASH_CLI_OUT_MAX (1u << 20) /* bytes of one entry's output */
#define TRASH_CLI_FIELD_MAX 1024     /* an escaped path or command */

static const char trash_help[] =
"NAME\n"
"    agentsh trash - list, restore and purge soft-deleted files\n"
"\n"
"SYNOPSIS\n"
"    agentsh trash list [--session S] [--json] [--dir ROOT]\n"
"    agentsh trash restore TOKEN [--dest PATH] [--force] [--json]\n"
"                        [--dir ROOT]\n"
"    agentsh trash purge (--ttl DURATION | --quota SIZE)... [--session S]\n"
"                        [--json] [--dir ROOT]\n"
"    agentsh trash --help\n"
"\n"
"DESCRIPTION\n"
"    When a policy rule's decision is soft_delete, agentsh does not delete\n"
"    the file, symlink or directory an agent removes (or renames away): it\n"
"    moves it into ROOT/SESSION/TOKEN.data, out of the agent's reach, and\n"
"    records where it was, its size, SHA-256, mode, owner, mtime, extended\n"
"    attributes, and which command and process removed it and when, in\n"
"    ROOT/SESSION/TOKEN.json. The agent sees a successful deletion.\n"
"\n"
"    list prints the entries, oldest first: token, deletion time (UTC),\n"
"    type, size in bytes, session and original path. Text from the agent\n"
"    is printed with control characters escaped as \\xNN.\n"
"\n"
"    restore puts entry TOKEN back at its original path (or PATH). It\n"
"    first checks that the data is still what was deleted (type, and the\n"
"    SHA-256 of a file); if not, nothing changes. It refuses to replace\n"
"    an existing file unless --force. Mode, owner, mtime and extended\n"
"    attributes are restored; the entry leaves the trash.\n"
"\n"
"    purge removes the entries deleted more than DURATION ago, then the\n"
"    oldest ones until the rest total at most SIZE bytes, plus leftovers\n"
"    of deletions interrupted more than an hour ago.\n"
"\n"
"OPTIONS\n"
"    --dir ROOT      The trash directory (default " TRASH_ROOT_DEFAULT ").\n"
"    --session S     Only the entries of session S.\n"
"    --json          list: {\"entries\":[{token, session, path, type, size,\n"
"                    sha256 (files), mode, uid, gid, mtime_ns, time,\n"
"                    time_ns, command, pid, xattrs (names)}],\n"
"                    \"unreadable\": N}; restore: {\"token\",\"path\"};\n"
"                    purge: {\"removed\",\"removed_bytes\",\"kept\",\n"
"                    \"kept_bytes\",\"orphans\"}.\n"
"    --dest PATH     Restore to PATH instead of the original path.\n"
"    --force         Replace an existing file, symlink or empty directory\n"
"                    at the destination.\n"
"    --ttl DURATION  Age limit: 90s, 30m, 12h, 7d, 1h30m (more than 0).\n"
"    --quota SIZE    Size limit: 500MB, 5GB, 512KiB, 100 (more than 0).\n"
"    -h, --help      Show this page.\n"
"\n"
"EXIT STATUS\n"
"    0 done (list: even when empty), 1 failed (unknown token, existing\n"
"    destination, data changed since the deletion, I/O error), 2 usage\n"
"    error.\n"
"\n"
"EXAMPLES\n"
"    agentsh trash list --session s1\n"
"    agentsh trash restore 3f0c9a1e5b7d4c2a8e6f1b3d5a7c9e0f\n"
"    agentsh trash restore 3f0c9a1e5b7d4c2a8e6f1b3d5a7c9e0f --dest /tmp/x\n"
"    agentsh trash purge --ttl 7d --quota 5GB\n"
"\n"
"SEE ALSO\n"
"    docs/TRASH.md\n";

/* Options of every subcommand; `allowed` says which this one takes. */
struct trash_cli {
	const char *sub, *dir, *session, *dest, *token;
	bool json, force, has_ttl, has_quota;
	int64_t ttl_ms, quota;
};

enum {
	TC_DIR = 1, TC_SESSION = 2, TC_JSON = 4, TC_DEST = 8, TC_FORCE = 16,
	TC_TTL = 32, TC_QUOTA = 64, TC_TOKEN = 128,
};

static int trash_cli_usage(const char *sub, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int trash_cli_usage(const char *sub, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "agentsh trash%s%s: ", sub ? " " : "", sub ? sub : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'agentsh trash --help'.\n", stderr);
	return CLI_EXIT_USAGE;
}

/* One option with a value. */
static int trash_cli_value(struct trash_cli *o, const char *name,
			   const char *v, unsigned allowed)
{
	if (strcmp(name, "--dir") == 0 && (allowed & TC_DIR))
		o->dir = v;
	else if (strcmp(name, "--session") == 0 && (allowed & TC_SESSION))
		o->session = v;
	else if (strcmp(name, "--dest") == 0 && (allowed & TC_DEST))
		o->dest = v;
	else if (strcmp(name, "--ttl") == 0 && (allowed & TC_TTL))
		o->has_ttl = true;
	else if (strcmp(name, "--quota") == 0 && (allowed & TC_QUOTA))
		o->has_quota = true;
	else
		return trash_cli_usage(o->sub, "unknown option '%s'", name);
	if (strcmp(name, "--ttl") == 0 &&
	    (str_duration_ms(v, &o->ttl_ms) < 0 || o->ttl_ms <= 0))
		return trash_cli_usage(o->sub, "--ttl wants a duration more "
				       "than 0 such as 7d or 12h, not '%s'", v);
	if (strcmp(name, "--quota") == 0 &&
	    (str_size_bytes(v, &o->quota) < 0 || o->quota <= 0))
		return trash_cli_usage(o->sub, "--quota wants a size more "
				       "than 0 such as 5GB, not '%s'", v);
	if (strcmp(name, "--session") == 0 && !trash_session_valid(v))
		return trash_cli_usage(o->sub, "bad session id '%s' (letters, "
				       "digits, '.', '_', '-'; at most %d)",
				       v, TRASH_SESSION_MAX);
	return 0;
}

/* A flag, or the positional TOKEN. */
static int trash_cli_flag(struct trash_cli *o, const char *a,
			  unsigned allowed)
{
	if (strcmp(a, "--json") == 0 && (allowed & TC_JSON))
		o->json = true;
	else if (strcmp(a, "--force") == 0 && (allowed & TC_FORCE))
		o->force = true;
	else if (a[0] != '-' && (allowed & TC_TOKEN) && o->token == NULL)
		o->token = a;
	else if (a[0] == '-')
		return trash_cli_usage(o->sub, "unknown option '%s'", a);
	else
		return trash_cli_usage(o->sub, "unexpected argument '%s'", a);
	return 0;
}

/* argv[1..] as "--opt VALUE", "--opt=VALUE", flags and TOKEN. */
static int trash_cli_parse(int argc, char **argv, unsigned allowed,
			   struct trash_cli *o)
{
	static const char *const valued[] = {
		"--dir", "--session", "--dest", "--ttl", "--quota",
	};
	int rc = 0;

	memset(o, 0, sizeof(*o));
	o->sub = argv[0];
	o->dir = TRASH_ROOT_DEFAULT;
	for (int i = 1; rc == 0 && i < argc; i++) {
		const char *a = argv[i], *eq = strchr(a, '=');
		char name[16];
		bool takes = false;

		for (size_t k = 0; k < sizeof(valued) / sizeof(valued[0]); k++)
			if (strcmp(a, valued[k]) == 0)
				takes = true;
		if (strncmp(a, "--", 2) == 0 && eq != NULL &&
		    (size_t)(eq - a) < sizeof(name)) {
			memcpy(name, a, (size_t)(eq - a));
			name[eq - a] = '\0';
			rc = trash_cli_value(o, name, eq + 1, allowed);
		} else if (takes && i + 1 >= argc) {
			rc = trash_cli_usage(o->sub, "%s needs a value", a);
		} else if (takes) {
			rc = trash_cli_value(o, a, argv[++i], allowed);
		} else {
			rc = trash_cli_flag(o, a, allowed);
		}
	}
	return rc;
}

/* Why the trash directory could not be used, in words. */
static const char *trash_cli_why(int rc)
{
	if (rc == -EPERM)
		return "not owned by this user, or writable by others";
	return strerror(-rc);
}

struct trash_cli_list {
	bool json;
	size_t n;
	struct buf out;
};

static int trash_cli_list_one(const struct trash_entry *e, void *arg)
{
	struct trash_cli_list *l = arg;
	char when[TRASH_TIME_MAX], path[TRASH_CLI_FIELD_MAX];
	int rc = 0;

	buf_reset(&l->out);
	if (l->json) {
		rc = buf_puts(&l->out, l->n ? "," : "");
		if (rc == 0)
			rc = trash_entry_json(&l->out, e, false);
		if (rc == 0)
			fwrite(l->out.data, 1, l->out.len, stdout);
	} else {
		trash_time_format(e->time_ns, when);
		log_escape(e->path, strlen(e->path), path, sizeof(path));
		printf("%s  %s  %-7s %12llu  %s  %s\n", e->token, when,
		       trash_type_name(e->type), (unsigned long long)e->size,
		       e->session, path);
	}
	l->n++;
	return rc;
}

static int trash_cli_list(int argc, char **argv)
{
	struct trash_cli o;
	struct trash_cli_list l = { 0 };
	size_t bad = 0;
	int rc;

	if ((rc = trash_cli_parse(argc, argv, TC_DIR | TC_SESSION | TC_JSON,
				  &o)) != 0)
		return rc;
	l.json = o.json;
	buf_init(&l.out, TRASH_CLI_OUT_MAX);
	if (o.json)
		fputs("{\"entries\":[", stdout);
	rc = trash_list(o.dir, o.session, trash_cli_list_one, &l, &bad);
	if (rc == -ENOENT)
		rc = 0; /* nothing was ever deleted */
	if (o.json)
		printf("],\"unreadable\":%zu}\n", bad);
	buf_release(&l.out);
	if (bad > 0)
		fprintf(stderr, "agentsh trash list: %zu unreadable manifest%s "
			"in %s\n", bad, bad == 1 ? "" : "s", o.dir);
	if (rc < 0) {
		fprintf(stderr, "agentsh trash list: %s: %s\n", o.dir,
			trash_cli_why(rc));
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

/* The restore failure rc for entry token going to path, in words. */
static void trash_cli_restore_error(const struct trash_cli *o,
				    const char *path, int rc)
{
	char p[TRASH_CLI_FIELD_MAX];

	log_escape(path, strlen(path), p, sizeof(p));
	fprintf(stderr, "agentsh trash restore: %s: ", o->token);
	if (rc == -EEXIST)
		fprintf(stderr, "%s exists (--force replaces it)\n", p);
	else if (rc == -EBADMSG)
		fputs("the data no longer matches its manifest (type or "
		      "SHA-256); nothing changed\n", stderr);
	else if (rc == -ENODATA)
		fputs("the data of this entry is missing\n", stderr);
	else
		fprintf(stderr, "cannot restore to %s: %s\n", p, strerror(-rc));
}

static int trash_cli_restore(int argc, char **argv)
{
	struct trash_entry e;
	struct trash_cli o;
	const char *dest;
	struct buf b;
	int rc;

	if ((rc = trash_cli_parse(argc, argv, TC_DIR | TC_DEST | TC_FORCE |
				  TC_JSON | TC_TOKEN, &o)) != 0)
		return rc;
	if (o.token == NULL)
		return trash_cli_usage(o.sub, "which TOKEN? (see agentsh "
				       "trash list)");
	if (!trash_token_valid(o.token))
		return trash_cli_usage(o.sub, "bad token '%s' (%d lower-case "
				       "hex digits)", o.token, TRASH_TOKEN_HEX);
	if ((rc = trash_get(o.dir, o.token, &e)) < 0) {
		fprintf(stderr, "agentsh trash restore: %s: %s%s\n", o.token,
			rc == -ENOENT ? "no such entry in " : "", rc == -ENOENT ?
			o.dir : trash_cli_why(rc));
		return CLI_EXIT_FAIL;
	}
	dest = o.dest ? o.dest : e.path;
	rc = trash_restore(o.dir, o.token, o.dest, o.force);
	if (rc < 0) {
		trash_cli_restore_error(&o, dest, rc);
	} else if (o.json) {
		buf_init(&b, TRASH_CLI_OUT_MAX);
		if (json_key(&b, "token", 1) == 0 && json_str(&b, o.token) == 0 &&
		    json_key(&b, "path", 0) == 0 && json_str(&b, dest) == 0)
			printf("{%s}\n", b.data);
		buf_release(&b);
	} else {
		char p[TRASH_CLI_FIELD_MAX];

		log_escape(dest, strlen(dest), p, sizeof(p));
		printf("restored %s to %s\n", o.token, p);
	}
	trash_entry_release(&e);
	return rc < 0 ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

static int trash_cli_purge(int argc, char **argv)
{
	struct trash_purge_stats st;
	struct trash_cli o;
	int rc;

	if ((rc = trash_cli_parse(argc, argv, TC_DIR | TC_SESSION | TC_JSON |
				  TC_TTL | TC_QUOTA, &o)) != 0)
		return rc;
	if (!o.has_ttl && !o.has_quota)
		return trash_cli_usage(o.sub, "say what to purge: --ttl, "
				       "--quota or both");
	rc = trash_purge(o.dir, o.session, o.has_ttl ? o.ttl_ms : 0,
			 o.has_quota ? (uint64_t)o.quota : 0, 0, &st);
	if (rc == -ENOENT)
		rc = 0; /* nothing was ever deleted */
	if (rc < 0) {
		fprintf(stderr, "agentsh trash purge: %s: %s\n", o.dir,
			trash_cli_why(rc));
		return CLI_EXIT_FAIL;
	}
	if (o.json)
		printf("{\"removed\":%zu,\"removed_bytes\":%llu,\"kept\":%zu,"
		       "\"kept_bytes\":%llu,\"orphans\":%zu}\n", st.removed,
		       (unsigned long long)st.removed_bytes, st.kept,
		       (unsigned long long)st.kept_bytes, st.orphans);
	else
		printf("removed %zu entr%s (%llu bytes), kept %zu (%llu bytes)"
		       "%s\n", st.removed, st.removed == 1 ? "y" : "ies",
		       (unsigned long long)st.removed_bytes, st.kept,
		       (unsigned long long)st.kept_bytes,
		       st.orphans ? ", and leftovers of interrupted deletions" :
		       "");
	return CLI_EXIT_OK;
}

int cmd_trash(int argc, char **argv, char **envp)
{
	const char *sub = argc > 1 ? argv[1] : NULL;

	if (sub == NULL || strcmp(sub, "--help") == 0 ||
	    strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
		cli_print_help(trash_help);
		return sub == NULL ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			cli_print_help(trash_help);
			return CLI_EXIT_OK;
		}
	if (strcmp(sub, "list") == 0)
		return trash_cli_list(argc - 1, argv + 1);
	if (strcmp(sub, "restore") == 0)
		return trash_cli_restore(argc - 1, argv + 1);
	if (strcmp(sub, "purge") == 0)
		return trash_cli_purge(argc - 1, argv + 1);
	return trash_cli_usage(NULL, "unknown subcommand '%s'", sub);
}
