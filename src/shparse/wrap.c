/*
 * Commands that run other commands: wrappers (sudo X, env X, find -exec
 * X ;, ...) are reported with the command they run one level deeper;
 * nested scripts (bash -c '..', eval '..', trap '..') are analysed; what
 * hides its commands (source, eval "$x", bash reading stdin) is noted.
 */
#include "shparse/shparse_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"

#define SHPARSE_N(a) (sizeof(a) / sizeof((a)[0]))
/* Bytes of an unknown option quoted in a reason. */
#define SHPARSE_OPT_QUOTE_MAX 16

enum shparse_wkind {
	SHPARSE_W_PLAIN,   /* options, then the command */
	SHPARSE_W_ENV,     /* options, NAME=VALUE words, then the command */
	SHPARSE_W_TIMEOUT, /* options, a duration, then the command */
	SHPARSE_W_XARGS,   /* options, then the command; more args at run */
};

/*
 * How a wrapper's options are read (getopt with a leading '+': the first
 * operand ends them). Long option lists are written "|name|name|".
 */
struct shparse_wspec {
	const char *name;
	enum shparse_wkind kind;
	const char *argopts;  /* short options taking an argument */
	const char *optargs;  /* short options taking an attached one */
	const char *flags;    /* short options without an argument */
	const char *noexec;   /* short options after which nothing runs */
	const char *shell;    /* short options that start a shell */
	const char *hide;     /* short options hiding the command (env -S) */
	const char *longargs;
	const char *longflags;
	const char *longnoexec;
	const char *longhide;
};

static const struct shparse_wspec shparse_wrappers[] = {
	{.name = "command", .flags = "p", .noexec = "vV"},
	{.name = "builtin"},
	{.name = "exec", .argopts = "a", .flags = "cl"},
	{.name = "nohup", .longnoexec = "|help|version|"},
	{.name = "env", .kind = SHPARSE_W_ENV, .argopts = "uC",
	 .flags = "i0v", .hide = "S", .longargs = "|unset|chdir|",
	 .longflags = "|ignore-environment|null|debug|block-signal|"
		      "default-signal|ignore-signal|",
	 .longnoexec = "|list-signal-handling|help|version|",
	 .longhide = "|split-string|"},
	{.name = "nice", .argopts = "n", .flags = "0123456789",
	 .longargs = "|adjustment|", .longnoexec = "|help|version|"},
	{.name = "timeout", .kind = SHPARSE_W_TIMEOUT, .argopts = "ks",
	 .flags = "v", .longargs = "|signal|kill-after|",
	 .longflags = "|preserve-status|foreground|verbose|",
	 .longnoexec = "|help|version|"},
	{.name = "stdbuf", .argopts = "ioe",
	 .longargs = "|input|output|error|", .longnoexec = "|help|version|"},
	{.name = "setsid", .flags = "cfw", .noexec = "hV",
	 .longflags = "|ctty|fork|wait|", .longnoexec = "|help|version|"},
	{.name = "xargs", .kind = SHPARSE_W_XARGS, .argopts = "aEdILnPs",
	 .optargs = "eil", .flags = "0prtxo",
	 .longargs = "|arg-file|delimiter|max-args|max-procs|max-chars|"
		     "process-slot-var|",
	 .longflags = "|null|interactive|no-run-if-empty|verbose|exit|"
		      "open-tty|eof|replace|max-lines|",
	 .longnoexec = "|show-limits|help|version|"},
	{.name = "sudo", .kind = SHPARSE_W_ENV, .argopts = "aCcDgpRrTtUu",
	 .optargs = "h", .flags = "ABbEHKkNnPS", .noexec = "elVv",
	 .shell = "is",
	 .longargs = "|user|group|close-from|chdir|prompt|role|type|"
		     "command-timeout|other-user|login-class|auth-type|",
	 .longflags = "|askpass|bell|background|preserve-env|set-home|"
		      "remove-timestamp|reset-timestamp|non-interactive|"
		      "preserve-groups|stdin|host|",
	 .longnoexec = "|edit|list|validate|version|help|"},
	{.name = "doas", .argopts = "uC", .flags = "n", .noexec = "L",
	 .shell = "s"},
	{.name = "time", .argopts = "fo", .flags = "apqv", .noexec = "V",
	 .longargs = "|format|output|",
	 .longflags = "|append|portability|verbose|quiet|",
	 .longnoexec = "|help|version|"},
	{.name = "ionice", .argopts = "cn", .flags = "t", .noexec = "pPu",
	 .longargs = "|class|classdata|",
	 .longnoexec = "|pid|pgid|uid|help|version|"},
	{.name = "pkexec", .longargs = "|user|",
	 .longflags = "|disable-internal-agent|keep-cwd|",
	 .longnoexec = "|help|version|"},
	{.name = "chroot", .kind = SHPARSE_W_TIMEOUT,
	 .longargs = "|userspec|groups|", .longflags = "|skip-chdir|",
	 .longnoexec = "|help|version|"},
	{.name = "taskset", .kind = SHPARSE_W_TIMEOUT, .flags = "ac",
	 .noexec = "pV", .longflags = "|all-tasks|cpu-list|",
	 .longnoexec = "|pid|help|version|"},
	{.name = "chrt", .kind = SHPARSE_W_TIMEOUT, .argopts = "TPD",
	 .flags = "abdefiormRv", .noexec = "pmV",
	 .longargs = "|sched-runtime|sched-period|sched-deadline|",
	 .longflags = "|all-tasks|batch|deadline|fifo|idle|other|rr|"
		      "reset-on-fork|verbose|",
	 .longnoexec = "|pid|max|help|version|"},
};

/* Shells whose -c argument is a script. */
static const char *const shparse_shells[] = {
	"sh", "bash", "dash", "zsh", "ksh", "ksh93", "mksh", "pdksh", "ash",
	"rbash", "yash", "posh",
};

/* Where the options of a wrapper end, and what they said. */
struct shparse_walk {
	size_t i;    /* the first word after the options */
	bool noexec; /* an option after which no command runs */
	bool hidden; /* an option that hides the command */
	bool shell;  /* an option that starts a shell */
};

static bool shparse_has(const char *set, char ch)
{
	return set != NULL && ch != '\0' && strchr(set, ch) != NULL;
}

/* name (n bytes) is one of the "|a|b|" list. */
static bool shparse_in(const char *list, const char *name, size_t n)
{
	const char *p = list, *q;

	if (list == NULL || n == 0)
		return false;
	while (*p == '|' && (q = strchr(p + 1, '|')) != NULL) {
		if ((size_t)(q - p - 1) == n && memcmp(p + 1, name, n) == 0)
			return true;
		p = q;
	}
	return false;
}

static const char *shparse_basename(const char *s)
{
	const char *slash = strrchr(s, '/');

	return slash != NULL && slash[1] != '\0' ? slash + 1 : s;
}

static void shparse_unknown(struct shparse_ctx *c,
			    const struct shparse_wspec *sp, const char *opt,
			    size_t n, size_t off)
{
	char q[SHPARSE_OPT_QUOTE_MAX * 4 + 4];

	log_escape(opt, n < SHPARSE_OPT_QUOTE_MAX ? n : SHPARSE_OPT_QUOTE_MAX,
		   q, sizeof(q));
	shparse_note(c->st, "unknown option '%s' of '%s' at offset %zu", q,
		     sp->name, off);
}

/* One word of short options (after the '-'). */
static void shparse_short(struct shparse_ctx *c, const struct shparse_wspec *sp,
			  const char *a, size_t off, struct shparse_walk *ws)
{
	for (const char *p = a; *p != '\0'; p++) {
		if (shparse_has(sp->argopts, *p)) {
			if (p[1] == '\0')
				ws->i++;
			return;
		}
		if (shparse_has(sp->optargs, *p))
			return;
		if (shparse_has(sp->hide, *p)) {
			ws->hidden = true;
			return;
		}
		if (shparse_has(sp->noexec, *p))
			ws->noexec = true;
		else if (shparse_has(sp->shell, *p))
			ws->shell = true;
		else if (!shparse_has(sp->flags, *p))
			shparse_unknown(c, sp, a - 1, strlen(a) + 1, off);
	}
}

/* One long option (after the "--"). */
static void shparse_long(struct shparse_ctx *c, const struct shparse_wspec *sp,
			 const char *a, size_t off, struct shparse_walk *ws)
{
	const char *eq = strchr(a, '=');
	size_t n = eq != NULL ? (size_t)(eq - a) : strlen(a);

	if (shparse_in(sp->longhide, a, n))
		ws->hidden = true;
	else if (shparse_in(sp->longnoexec, a, n))
		ws->noexec = true;
	else if (shparse_in(sp->longargs, a, n))
		ws->i += eq == NULL;
	else if (!shparse_in(sp->longflags, a, n))
		shparse_unknown(c, sp, a - 2, n + 2, off);
}

/* Read the options of entry cmd as sp describes them. */
static struct shparse_walk shparse_walk(struct shparse_ctx *c,
					const struct shparse_cmd *cmd,
					const struct shparse_wspec *sp)
{
	struct shparse_walk ws = {1, false, false, false};
	const char *a;
	size_t off;

	while (ws.i < cmd->argc && !ws.hidden) {
		a = cmd->argv[ws.i];
		/* "env -" is "env -i". */
		if (strcmp(a, "-") == 0 && strcmp(sp->name, "env") == 0) {
			ws.i++;
			continue;
		}
		if (cmd->arg_dynamic[ws.i] || a[0] != '-' || a[1] == '\0')
			break;
		ws.i++;
		if (strcmp(a, "--") == 0)
			break;
		off = cmd->arg_offset[ws.i - 1];
		if (a[1] == '-')
			shparse_long(c, sp, a + 2, off, &ws);
		else
			shparse_short(c, sp, a + 1, off, &ws);
	}
	if (ws.i > cmd->argc)
		ws.i = cmd->argc;
	while (sp->kind == SHPARSE_W_ENV && ws.i < cmd->argc &&
	       !cmd->arg_dynamic[ws.i] && cmd->argv[ws.i][0] != '=' &&
	       strchr(cmd->argv[ws.i], '=') != NULL)
		ws.i++;
	if (sp->kind == SHPARSE_W_TIMEOUT && ws.i < cmd->argc)
		ws.i++;
	return ws;
}

/* The replace string of xargs (-I R, -i[R], --replace[=R]), or NULL. */
static const char *shparse_xargs_rep(const struct shparse_cmd *cmd,
				     size_t end)
{
	const char *rep = NULL, *a, *p;

	for (size_t i = 1; i < end; i++) {
		a = cmd->argv[i];
		if (strncmp(a, "--replace", 9) == 0 &&
		    (a[9] == '\0' || a[9] == '='))
			rep = a[9] == '=' ? a + 10 : "{}";
		if (a[0] != '-' || a[1] == '-')
			continue;
		for (p = a + 1; *p != '\0'; p++) {
			if (*p == 'i') {
				rep = p[1] != '\0' ? p + 1 : "{}";
				break;
			}
			if (*p == 'I' && p[1] != '\0') {
				rep = p + 1;
				break;
			}
			if (*p == 'I') {
				rep = i + 1 < end ? cmd->argv[++i] : NULL;
				break;
			}
			if (strchr("el", *p) != NULL)
				break;
			if (strchr("aEdLnPs", *p) != NULL) {
				i += p[1] == '\0';
				break;
			}
		}
	}
	return rep;
}

/*
 * Report words [from, end) of entry idx as the command it runs, one level
 * deeper; words holding rep (a replace string) are dynamic.
 */
static int shparse_emit_from(struct shparse_ctx *c, size_t idx, size_t from,
			     size_t end, const char *rep, unsigned flags)
{
	const struct shparse_cmd *cmd = &c->st->res->cmds[idx];
	struct shparse_words w;
	int depth = cmd->depth + 1, r = 0;
	char *s;

	if (cmd->args_appended)
		flags |= SHPARSE_EMIT_APPENDED;
	memset(&w, 0, sizeof(w));
	for (size_t i = from; r == 0 && i < end; i++) {
		s = strdup(cmd->argv[i]);
		if (s == NULL)
			r = -ENOMEM;
		else
			r = shparse_words_push(c, &w, s,
					       cmd->arg_dynamic[i] ||
						       (rep != NULL &&
							strstr(s, rep) != NULL),
					       cmd->arg_offset[i]);
	}
	if (r == 0)
		r = shparse_nest_enter(c->st, cmd->arg_offset[from]);
	if (r < 0) {
		shparse_words_release(&w);
		return r;
	}
	r = shparse_emit(c, &w, depth, flags | SHPARSE_EMIT_WRAPPED);
	shparse_nest_leave(c->st);
	return r;
}

static int shparse_wrapper(struct shparse_ctx *c, size_t idx,
			   const struct shparse_wspec *sp)
{
	const struct shparse_cmd *cmd = &c->st->res->cmds[idx];
	struct shparse_walk ws = shparse_walk(c, cmd, sp);
	const char *rep = NULL;

	if (ws.hidden) {
		shparse_note(c->st, "'%s' hides its command at offset %zu",
			     sp->name, cmd->offset);
		return 0;
	}
	if (ws.noexec)
		return 0;
	if (ws.i >= cmd->argc) {
		if (ws.shell)
			shparse_note(c->st, "'%s' starts a shell reading "
				     "standard input at offset %zu",
				     sp->name, cmd->offset);
		return 0;
	}
	if (sp->kind == SHPARSE_W_XARGS)
		rep = shparse_xargs_rep(cmd, ws.i);
	return shparse_emit_from(c, idx, ws.i, cmd->argc, rep,
				 sp->kind == SHPARSE_W_XARGS && rep == NULL ?
					 SHPARSE_EMIT_APPENDED : 0);
}

/* find ... -exec X ... ; (or {} +), -execdir, -ok, -okdir. */
static bool shparse_find_end(const struct shparse_cmd *cmd, size_t i,
			     size_t start, bool *plus)
{
	if (cmd->arg_dynamic[i])
		return false;
	if (strcmp(cmd->argv[i], ";") == 0)
		return true;
	*plus = strcmp(cmd->argv[i], "+") == 0 && i > start &&
		strcmp(cmd->argv[i - 1], "{}") == 0;
	return *plus;
}

static int shparse_find(struct shparse_ctx *c, size_t idx)
{
	const struct shparse_cmd *cmd;
	size_t i = 1, j;
	bool plus;
	int r = 0;

	while (r == 0 && i < c->st->res->cmds[idx].argc) {
		cmd = &c->st->res->cmds[idx];
		if (cmd->arg_dynamic[i] ||
		    !shparse_in("|-exec|-execdir|-ok|-okdir|", cmd->argv[i],
				strlen(cmd->argv[i]))) {
			i++;
			continue;
		}
		j = ++i;
		plus = false;
		while (i < cmd->argc && !shparse_find_end(cmd, i, j, &plus))
			i++;
		if (i > j)
			r = shparse_emit_from(c, idx, j, i, "{}",
					      plus ? SHPARSE_EMIT_APPENDED : 0);
		i++;
	}
	return r;
}

/*
 * Analyse text (word i of entry idx, or the part of it at text) as a
 * script run one level deeper.
 */
static int shparse_run_text(struct shparse_ctx *c, size_t idx, size_t i,
			    const char *text, const char *what)
{
	const struct shparse_cmd *cmd = &c->st->res->cmds[idx];

	if (i >= cmd->argc) {
		if (cmd->args_appended)
			shparse_note(c->st, "%s of run-time text at offset %zu",
				     what, cmd->offset);
		return 0;
	}
	if (cmd->arg_dynamic[i]) {
		shparse_note(c->st, "%s of dynamic text at offset %zu", what,
			     cmd->arg_offset[i]);
		return 0;
	}
	if (text == NULL)
		text = cmd->argv[i];
	return shparse_text(c->st, text, strlen(text), cmd->arg_offset[i], true,
			    cmd->depth + 1);
}

/* sh -c 'script' [name [args]]; without -c the script is not visible. */
static int shparse_shell(struct shparse_ctx *c, size_t idx)
{
	const struct shparse_cmd *cmd = &c->st->res->cmds[idx];
	const char *name = shparse_basename(cmd->argv[0]), *a;
	bool cmdmode = false, stdinmode = false;
	size_t i = 1;

	while (i < cmd->argc && !cmd->arg_dynamic[i]) {
		a = cmd->argv[i];
		if ((a[0] != '-' && a[0] != '+') || a[1] == '\0' ||
		    strcmp(a, "--") == 0) {
			i += a[0] == '-';
			break;
		}
		i++;
		if (a[0] == '-' && a[1] == '-') {
			if (shparse_in("|version|help|", a + 2, strlen(a + 2)))
				return 0;
			i += shparse_in("|rcfile|init-file|", a + 2,
					strlen(a + 2));
			continue;
		}
		for (const char *p = a + 1; *p != '\0'; p++) {
			cmdmode = cmdmode || (*p == 'c' && a[0] == '-');
			stdinmode = stdinmode || (*p == 's' && a[0] == '-');
			i += *p == 'o' || *p == 'O';
		}
	}
	if (cmdmode)
		return shparse_run_text(c, idx, i, NULL, "shell -c");
	if (i < cmd->argc && cmd->arg_dynamic[i])
		shparse_note(c->st, "'%s' with dynamic arguments at offset %zu",
			     name, cmd->offset);
	else if (stdinmode || i >= cmd->argc)
		shparse_note(c->st, "'%s' reads commands from standard input "
			     "at offset %zu", name, cmd->offset);
	else
		shparse_note(c->st, "'%s' runs a script file at offset %zu",
			     name, cmd->offset);
	return 0;
}

/* eval: its arguments joined by spaces are a script. */
static int shparse_eval(struct shparse_ctx *c, size_t idx)
{
	const struct shparse_cmd *cmd = &c->st->res->cmds[idx];
	size_t i = 1;
	struct buf b;
	int r = 0;

	if (i < cmd->argc && !cmd->arg_dynamic[i] &&
	    strcmp(cmd->argv[i], "--") == 0)
		i++;
	if (i >= cmd->argc)
		return 0;
	for (size_t k = i; k < cmd->argc; k++) {
		if (cmd->arg_dynamic[k]) {
			shparse_note(c->st, "eval of dynamic text at offset "
				     "%zu", cmd->arg_offset[k]);
			return 0;
		}
	}
	buf_init(&b, SHPARSE_MAX_TOTAL_BYTES);
	for (size_t k = i; r == 0 && k < cmd->argc; k++) {
		if (k > i)
			r = buf_putc(&b, ' ');
		if (r == 0)
			r = buf_puts(&b, cmd->argv[k]);
	}
	if (r == 0)
		r = shparse_text(c->st, b.data != NULL ? b.data : "", b.len,
				 cmd->arg_offset[i], true, cmd->depth + 1);
	buf_release(&b);
	return r;
}

static int shparse_source(struct shparse_ctx *c, size_t idx)
{
	const struct shparse_cmd *cmd = &c->st->res->cmds[idx];

	if (cmd->argc > 1)
		shparse_note(c->st, "'%s' runs a script file at offset %zu",
			     cmd->argv[0][0] == '.' ? "." : "source",
			     cmd->offset);
	return 0;
}

/* trap [--] action signal...: the action is a script. */
static int shparse_trap(struct shparse_ctx *c, size_t idx)
{
	const struct shparse_cmd *cmd = &c->st->res->cmds[idx];
	size_t i = 1;
	const char *a;

	if (i < cmd->argc && !cmd->arg_dynamic[i] &&
	    strcmp(cmd->argv[i], "--") == 0)
		i++;
	if (cmd->argc < i + 2)
		return 0;
	a = cmd->argv[i];
	if (!cmd->arg_dynamic[i] &&
	    (a[0] == '-' || strspn(a, "0123456789") == strlen(a)))
		return 0;
	return shparse_run_text(c, idx, i, NULL, "trap");
}

/* runuser -u USER [--] COMMAND [ARGS]: the command runs directly. */
static int shparse_runuser(struct shparse_ctx *c, size_t idx, size_t i)
{
	const struct shparse_cmd *cmd = &c->st->res->cmds[idx];

	if (i < cmd->argc && !cmd->arg_dynamic[i] &&
	    strcmp(cmd->argv[i], "--") == 0)
		i++;
	if (i >= cmd->argc)
		return 0;
	return shparse_emit_from(c, idx, i, cmd->argc, NULL, 0);
}

/* su (and runuser) [opts] [-] [user] with -c CMD, --command=CMD, ... */
static int shparse_su(struct shparse_ctx *c, size_t idx)
{
	const struct shparse_cmd *cmd = &c->st->res->cmds[idx];
	bool runuser = strcmp(shparse_basename(cmd->argv[0]), "runuser") == 0;
	const char *a, *p;

	for (size_t i = 1; i < cmd->argc; i++) {
		a = cmd->argv[i];
		if (cmd->arg_dynamic[i] || a[0] != '-')
			continue;
		if (strcmp(a, "-u") == 0 && runuser)
			return shparse_runuser(c, idx, i + 2);
		if (strncmp(a, "--command=", 10) == 0)
			return shparse_run_text(c, idx, i, a + 10, "su -c");
		if (strcmp(a, "--command") == 0 ||
		    strcmp(a, "--session-command") == 0)
			return shparse_run_text(c, idx, i + 1, NULL, "su -c");
		for (p = a + 1; a[1] != '-' && *p != '\0'; p++) {
			if (*p == 'c')
				return p[1] != '\0' ?
					shparse_run_text(c, idx, i, p + 1,
							 "su -c") :
					shparse_run_text(c, idx, i + 1, NULL,
							 "su -c");
			if (strchr("sgGw", *p) != NULL) {
				i += p[1] == '\0';
				break;
			}
		}
	}
	shparse_note(c->st, "'%s' starts a shell reading standard input at "
		     "offset %zu", shparse_basename(cmd->argv[0]), cmd->offset);
	return 0;
}

/* busybox APPLET args: the applet is the command. */
static int shparse_busybox(struct shparse_ctx *c, size_t idx)
{
	const struct shparse_cmd *cmd = &c->st->res->cmds[idx];

	if (cmd->argc < 2 || cmd->arg_dynamic[1] || cmd->argv[1][0] == '-')
		return 0;
	return shparse_emit_from(c, idx, 1, cmd->argc, NULL, 0);
}

/* enable -f loads a builtin; hash -p maps a name to another program. */
static int shparse_loader(struct shparse_ctx *c, size_t idx)
{
	const struct shparse_cmd *cmd = &c->st->res->cmds[idx];
	const char *name = shparse_basename(cmd->argv[0]);
	const char *opt = strcmp(name, "enable") == 0 ? "f" : "p";

	for (size_t i = 1; i < cmd->argc; i++) {
		const char *a = cmd->argv[i];

		if (cmd->arg_dynamic[i] ||
		    (a[0] == '-' && a[1] != '-' && strpbrk(a, opt) != NULL)) {
			shparse_note(c->st, "'%s -%s' at offset %zu", name, opt,
				     cmd->offset);
			return 0;
		}
	}
	return 0;
}

/*
 * Aliases change what later command words mean; "shopt -s extglob"
 * changes how later lines are read.
 */
static int shparse_alias(struct shparse_ctx *c, size_t idx)
{
	const struct shparse_cmd *cmd = &c->st->res->cmds[idx];
	bool on = strcmp(shparse_basename(cmd->argv[0]), "alias") == 0;
	bool set = false, s = false;

	for (size_t i = 1; i < cmd->argc; i++) {
		const char *a = cmd->argv[i];

		if (on && strchr(a, '=') != NULL)
			set = true;
		s = s || strcmp(a, "-s") == 0;
		if (!on && strcmp(a, "expand_aliases") == 0)
			set = true;
		if (!on && strcmp(a, "extglob") == 0 && s)
			c->st->extglob = true;
	}
	if (set)
		shparse_note(c->st, "'%s' changes aliases at offset %zu",
			     on ? "alias" : "shopt", cmd->offset);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct shparse_ctx *c, size_t idx);
} shparse_specials[] = {
	{"find", shparse_find}, {"eval", shparse_eval},
	{"source", shparse_source}, {".", shparse_source},
	{"trap", shparse_trap}, {"su", shparse_su},
	{"busybox", shparse_busybox}, {"alias", shparse_alias},
	{"shopt", shparse_alias}, {"enable", shparse_loader},
	{"hash", shparse_loader}, {"runuser", shparse_su},
};

/* name is s (the first bytes compared first, as most names differ). */
static bool shparse_is(const char *name, const char *s)
{
	return name[0] == s[0] && strcmp(name, s) == 0;
}

/* Entry idx was just recorded: report what it runs in turn. */
int shparse_wrap(struct shparse_ctx *c, size_t idx)
{
	const struct shparse_cmd *cmd = &c->st->res->cmds[idx];
	const char *name;

	if (cmd->name_dynamic)
		return 0;
	name = shparse_basename(cmd->argv[0]);
	for (size_t i = 0; i < SHPARSE_N(shparse_wrappers); i++)
		if (shparse_is(name, shparse_wrappers[i].name))
			return shparse_wrapper(c, idx, &shparse_wrappers[i]);
	for (size_t i = 0; i < SHPARSE_N(shparse_specials); i++)
		if (shparse_is(name, shparse_specials[i].name))
			return shparse_specials[i].fn(c, idx);
	for (size_t i = 0; i < SHPARSE_N(shparse_shells); i++)
		if (shparse_is(name, shparse_shells[i]))
			return shparse_shell(c, idx);
	return 0;
}
