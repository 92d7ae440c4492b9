/*
 * agentsh-shell-shim: installed as /bin/sh and /bin/bash. Asks the daemon
 * about the command it is about to run, builds the environment the policy
 * allows, marks the process as sandboxed, and execs the real shell in
 * place: stdin, stdout, stderr, terminal, cwd and exit status stay the
 * caller's. When the daemon cannot be asked, nothing runs (exit 126).
 */
#include <errno.h>
#include <stdarg.h>
#include <json-c/json.h>
#include <limits.h>
#include <sched.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/marker.h"
#include "common/proto.h"
#include "common/str.h"
#include "common/uhttp.h"
#include "shim/shim.h"

struct shim_run {
	char name[16];          /* "sh" or "bash" */
	char real[PATH_MAX];
	const char *script;     /* -c argument, or NULL */
	char *stdin_script;     /* read ahead from stdin, or NULL */
	size_t stdin_len;
	bool stdin_complete, interactive;
	char **envp;
};

__attribute__((format(printf, 2, 3), noreturn))
static void shim_die(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "agentsh: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static void shim_name(struct shim_run *s, const char *argv0)
{
	const char *b = strrchr(argv0, '/');

	b = b ? b + 1 : argv0;
	while (*b == '-')
		b++;
	str_lcpy(s->name, strncmp(b, "bash", 4) == 0 ? "bash" : "sh",
		 sizeof(s->name));
}

/* <dir of argv0>/NAME.real, then /bin and /usr/bin. */
static int shim_find_real(struct shim_run *s, const char *argv0)
{
	const char *dirs[3] = {NULL, "/bin", "/usr/bin"};
	char own[PATH_MAX];
	const char *slash = strrchr(argv0, '/');

	if (slash && (size_t)(slash - argv0) < sizeof(own)) {
		memcpy(own, argv0, (size_t)(slash - argv0));
		own[slash - argv0] = '\0';
		dirs[0] = own;
	}
	for (size_t i = 0; i < 3; i++) {
		if (dirs[i] == NULL)
			continue;
		snprintf(s->real, sizeof(s->real), "%s/%s.real",
			 *dirs[i] ? dirs[i] : "", s->name);
		if (access(s->real, X_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

/* Options before the script: is there a -c, and which argument is it? */
static void shim_scan_args(struct shim_run *s, int argc, char **argv)
{
	bool c = false;
	int i;

	for (i = 1; i < argc && (argv[i][0] == '-' || argv[i][0] == '+') &&
		    argv[i][1]; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (argv[i][0] == '-' && argv[i][1] != '-' && strchr(argv[i], 'c'))
			c = true;
		if (argv[i][0] == '-' && argv[i][1] != '-' && strchr(argv[i], 'i'))
			s->interactive = true;
		if ((strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "-O") == 0 ||
		     strcmp(argv[i], "+o") == 0 || strcmp(argv[i], "+O") == 0 ||
		     strcmp(argv[i], "--rcfile") == 0 ||
		     strcmp(argv[i], "--init-file") == 0) && i + 1 < argc)
			i++;
	}
	if (c && i < argc)
		s->script = argv[i];
	else if (!c && i >= argc && !s->interactive && !isatty(0) &&
		 shim_stdin_read(&s->stdin_script, &s->stdin_len,
				 &s->stdin_complete) < 0)
		shim_die(126, "cannot read the script on stdin");
}

static json_object *shim_request(const struct shim_run *s, int argc,
				 char **argv)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	json_object *env = json_object_new_array();
	char cwd[PATH_MAX];

	for (int i = 0; i < argc; i++)
		json_object_array_add(a, json_object_new_string(argv[i]));
	json_object_object_add(o, "argv", a);
	json_object_object_add(o, "shell", json_object_new_string(s->real));
	json_object_object_add(o, "cwd", json_object_new_string(
				   getcwd(cwd, sizeof(cwd)) ? cwd : "/"));
	json_object_object_add(o, "pid", json_object_new_int(getpid()));
	json_object_object_add(o, "interactive",
			       json_object_new_boolean(s->interactive || isatty(0)));
	if (s->script)
		json_object_object_add(o, "script", json_object_new_string(s->script));
	else if (s->stdin_script)
		json_object_object_add(o, "script", json_object_new_string_len(
					       s->stdin_script, (int)s->stdin_len));
	/* Honoured only for shells not yet inside a session (see GATEWAY.md). */
	if (getenv("AGENTSH_SESSION_ID"))
		json_object_object_add(o, "session_id", json_object_new_string(
					       getenv("AGENTSH_SESSION_ID")));
	json_object_object_add(o, "script_complete", json_object_new_boolean(
				       s->stdin_script == NULL || s->stdin_complete));
	/* Names and sizes only: values never leave this process. */
	for (size_t i = 0; s->envp && s->envp[i]; i++) {
		const char *eq = strchr(s->envp[i], '=');
		json_object *e = json_object_new_object();
		json_object_object_add(e, "n", json_object_new_string_len(
					       s->envp[i], eq ? (int)(eq - s->envp[i]) : 0));
		json_object_object_add(e, "l", json_object_new_int64(
					       eq ? (int64_t)strlen(eq + 1) : 0));
		json_object_array_add(env, e);
	}
	json_object_object_add(o, "env", env);
	return o;
}

/* The environment: the kept variables, then the gateway's own. */
static char **shim_env(const struct shim_run *s, json_object *resp)
{
	json_object *keep = NULL, *inj = NULL;
	size_t n = 0, nk, ni, cnt = 0;
	char **env;

	while (s->envp && s->envp[n])
		n++;
	json_object_object_get_ex(resp, "keep", &keep);
	json_object_object_get_ex(resp, "inject", &inj);
	nk = keep ? json_object_array_length(keep) : 0;
	ni = inj ? json_object_array_length(inj) : 0;
	env = calloc(nk + ni + 1, sizeof(*env));
	if (env == NULL)
		return NULL;
	for (size_t i = 0; i < nk; i++) {
		int64_t k = json_object_get_int64(json_object_array_get_idx(keep, i));
		if (k >= 0 && (size_t)k < n)
			env[cnt++] = s->envp[k];
	}
	for (size_t i = 0; i < ni; i++)
		env[cnt++] = (char *)(uintptr_t)json_object_get_string(
			json_object_array_get_idx(inj, i));
	return env;
}

/* A top-level shell passes one end of a socketpair with its request: in
 * transparent mode the daemon sends the session's network namespace on
 * it. *chan gets the other end, or -1. */
static int shim_send_ask(int fd, const char *body, char **raw, size_t *rawlen,
			 int *status, int *chan)
{
	int sv[2], r;

	if (chan == NULL ||
	    socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
		return uhttp_request(fd, "POST", AGENTSH_SHIM_PATH, body,
				     strlen(body), raw, rawlen, status);
	r = uhttp_request_fd(fd, "POST", AGENTSH_SHIM_PATH, body, strlen(body),
			     sv[1], raw, rawlen, status);
	close(sv[1]);
	*chan = sv[0];
	return r;
}

/* Join the session's network namespace (before any filter: the seccomp
 * filter refuses setns, so the shell cannot leave it again). */
static void shim_join_netns(int chan)
{
	char one, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&one, 1};
	struct msghdr m = {0};
	struct cmsghdr *h;
	int ns = -1;

	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl;
	m.msg_controllen = sizeof(ctl);
	if (chan >= 0 && recvmsg(chan, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) == 1 &&
	    (h = CMSG_FIRSTHDR(&m)) != NULL && h->cmsg_level == SOL_SOCKET &&
	    h->cmsg_type == SCM_RIGHTS && h->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&ns, CMSG_DATA(h), sizeof(int));
	if (ns < 0)
		shim_die(126, "the session's network namespace did not arrive; "
			 "nothing runs outside it");
	if (setns(ns, CLONE_NEWNET) < 0)
		shim_die(126, "cannot join the session's network namespace: %s "
			 "(transparent mode needs shells started with "
			 "CAP_SYS_ADMIN)", strerror(errno));
	close(ns);
}

static json_object *shim_ask(const struct shim_run *s, int argc, char **argv,
			     bool in_session, int *chan)
{
	struct shim_conf conf;
	json_object *req = shim_request(s, argc, argv), *resp;
	const char *body = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	char *raw = NULL;
	size_t rawlen;
	int fd, status = 0;

	shim_conf_load(&conf);
	fd = shim_connect(&conf, !in_session);
	if (fd < 0)
		shim_die(126, "the policy gateway is not reachable at %s (%s); "
			 "nothing runs without it", conf.socket, strerror(-fd));
	if (shim_send_ask(fd, body, &raw, &rawlen, &status,
			  in_session ? NULL : chan) < 0 || status != 200)
		shim_die(126, "the policy gateway gave no usable answer (HTTP %d)",
			 status);
	json_object_put(req);
	resp = json_tokener_parse(raw);
	free(raw);
	if (resp == NULL)
		shim_die(126, "the policy gateway's answer is not JSON");
	return resp;
}

static bool shim_get_bool(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_get_boolean(v);
}

/* A redirect may replace the command line; otherwise argv stays. */
static char **shim_argv(json_object *resp, char **argv)
{
	json_object *a;
	size_t n;
	char **v;

	if (!json_object_object_get_ex(resp, "argv", &a) ||
	    json_object_get_type(a) != json_type_array ||
	    (n = json_object_array_length(a)) == 0)
		return argv;
	v = calloc(n + 1, sizeof(*v));
	for (size_t i = 0; v && i < n; i++)
		v[i] = (char *)(uintptr_t)json_object_get_string(
			json_object_array_get_idx(a, i));
	return v ? v : argv;
}

/* A top-level shell: supervision as the daemon planned it, or nothing. */
static void shim_enter(const struct shim_run *s, json_object *resp)
{
	struct shim_conf conf;
	json_object *plan;
	char err[512];

	if (!json_object_object_get_ex(resp, "supervise", &plan))
		shim_die(126, "the daemon sent no supervision plan; %s does "
			 "not run", s->real);
	shim_conf_load(&conf);
	if (shim_supervise(&conf, plan, err, sizeof(err)) == NULL)
		shim_die(126, "%s; %s does not run", err, s->real);
}

int main(int argc, char **argv, char **envp)
{
	struct shim_run s = {.envp = envp};
	bool in_session = marker_present();
	json_object *resp, *v;
	char **env;
	int code, chan = -1;

	shim_name(&s, argc > 0 ? argv[0] : "sh");
	if (shim_find_real(&s, argc > 0 ? argv[0] : "sh") < 0)
		shim_die(127, "cannot find the real shell %s.real (is the shim "
			 "installed with agentsh shim install-shell?)", s.name);
	shim_scan_args(&s, argc, argv);
	resp = shim_ask(&s, argc, argv, in_session, &chan);
	if (json_object_object_get_ex(resp, "stderr", &v))
		fputs(json_object_get_string(v), stderr);
	if (!shim_get_bool(resp, "allow")) {
		code = json_object_object_get_ex(resp, "exit_code", &v) ?
			       json_object_get_int(v) : 126;
		exit(code > 0 && code < 256 ? code : 126);
	}
	env = shim_env(&s, resp);
	if (env == NULL)
		shim_die(126, "out of memory");
	if (s.stdin_script && shim_stdin_replay(s.stdin_script, s.stdin_len,
						s.stdin_complete) < 0)
		shim_die(126, "cannot hand the script to %s", s.real);
	if (!in_session && shim_get_bool(resp, "netns"))
		shim_join_netns(chan);
	if (chan >= 0)
		close(chan);
	if (!in_session)
		shim_enter(&s, resp);
	execve(s.real, shim_argv(resp, argv), env);
	shim_die(errno == ENOENT ? 127 : 126, "cannot run %s: %s", s.real,
		 strerror(errno));
	return 126;
}
