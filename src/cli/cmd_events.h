/* `agentsh events query` and `agentsh report`: read the audit database. */
#ifndef AGENTSH_CLI_CMD_EVENTS_H
#define AGENTSH_CLI_CMD_EVENTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CMD_EVENTS_DB_DEFAULT "/var/lib/agentsh/events.db"
#define CMD_EVENTS_PATH_MAX 4096
#define CMD_EVENTS_FIELD_MAX 512 /* bytes of one printed field, escaped */

/*
 * argv[0] is "events", argv[1] the subcommand ("query"). Returns the exit
 * status: 0 ok, 1 the database cannot be read, 2 usage.
 */
int cmd_events(int argc, char **argv, char **envp);
int cmd_events_run(int argc, char **argv, char **envp, FILE *out,
		   FILE *err);

/* argv[0] is "report", argv[1] the session id or "latest". */
int cmd_report(int argc, char **argv, char **envp);
int cmd_report_run(int argc, char **argv, char **envp, FILE *out,
		   FILE *err);

/*
 * The database to read: opt when given, else $AGENTSH_DATA_DIR/events.db
 * from envp, else CMD_EVENTS_DB_DEFAULT. 0 or -ENAMETOOLONG.
 */
int cmd_events_db_path(char **envp, const char *opt,
		       char out[CMD_EVENTS_PATH_MAX]);
/* "1h", "30m", "7d" (that long ago) or RFC 3339; 0 or -EINVAL. */
int cmd_events_time(const char *s, int64_t now_ns, int64_t *ns);
/* Untrusted text for a terminal: control bytes escaped, length bounded. */
void cmd_events_escape(const char *s, char out[CMD_EVENTS_FIELD_MAX]);

#endif
