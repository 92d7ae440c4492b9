/* agentsh exec, agentsh session ..., agentsh events tail: clients of the
 * daemon's API over its Unix socket. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/proto.h"
#include "common/str.h"
#include "common/uhttp.h"
#include "config/config.h"

#define CLIENT_STDIN_MAX (16u << 20) /* stdin forwarded by agentsh exec */


/* The daemon's socket: $AGENTSH_SOCKET, else the config's, else default. */
static void client_socket(char **envp, char *out, size_t n)
{
	struct config *cfg = NULL;
	char path[PATH_MAX];
	struct diag d;

	for (size_t i = 0; envp && envp[i]; i++)
		if (strncmp(envp[i], "AGENTSH_SOCKET=", 15) == 0 && envp[i][15]) {
			str_lcpy(out, envp[i] + 15, n);
			return;
		}
	str_lcpy(out, AGENTSH_DEFAULT_SOCKET, n);
	diag_init(&d);
	if (config_find_path(envp, path, sizeof(path)) == 0 &&
	    config_load_file(path, envp, &cfg, &d) == 0 &&
	    cfg->server.unix_socket.path)
		str_lcpy(out, cfg->server.unix_socket.path, n);
	config_free(cfg);
	diag_release(&d);
}

/* One request; the parsed JSON answer (NULL for an empty body). */
static int client_call(char **envp, const char *method, const char *path,
		       json_object *body, json_object **out, int *status)
{
	char sock[PATH_MAX], *raw = NULL;
	const char *b = body ? json_object_to_json_string_ext(
				       body, JSON_C_TO_STRING_PLAIN) : "";
	size_t rawlen;
	int fd, r;

	client_socket(envp, sock, sizeof(sock));
	fd = uhttp_connect(sock);
	if (fd < 0) {
		fprintf(stderr, "agentsh: cannot reach the daemon at %s: %s "
			"(start it with `agentsh server`)\n", sock, strerror(-fd));
		return fd;
	}
	r = uhttp_request(fd, method, path, b, strlen(b), &raw, &rawlen, status);
	if (r < 0) {
		fprintf(stderr, "agentsh: %s %s: %s\n", method, path, strerror(-r));
		return r;
	}
	*out = rawlen ? json_tokener_parse(raw) : NULL;
	free(raw);
	return 0;
}

static const char *client_err(json_object *o)
{
	json_object *e;

	return o && json_object_object_get_ex(o, "error", &e) ?
		       json_object_get_string(e) : "unexpected answer";
}

static const char exec_help[] =
"NAME\n"
"    agentsh exec - run a command in a session, under its policy\n"
"\n"
"SYNOPSIS\n"
"    agentsh exec [--json] [--timeout D] [--workspace DIR] [--policy NAME]\n"
"                 SESSION -- COMMAND [ARGS...]\n"
"\n"
"DESCRIPTION\n"
"    Asks the daemon to run COMMAND in SESSION: the command (and the\n"
"    commands of an `sh -c` script) is checked against the session's\n"
"    policy, the environment is this process's environment filtered by\n"
"    env_policy, the working directory is the current one, and stdin is\n"
"    forwarded when it is not a terminal. A session that does not exist is\n"
"    created for DIR (default: the current directory) with policy NAME\n"
"    (default: policies.default). Output is printed as it was produced\n"
"    (stdout, then stderr); --json prints the whole ExecResponse.\n"
"\n"
"    --timeout D lowers the policy's command_timeout (500ms, 30s, 5m).\n"
"\n"
"EXIT STATUS\n"
"    The command's exit status; 126 denied by policy; 124 timed out;\n"
"    127 not found; 2 invalid request (limits, working directory); 1 the\n"
"    daemon could not be reached.\n";

struct exec_opts {
	bool json;
	const char *timeout, *workspace, *policy, *sid;
	char **cmd;
	int ncmd;
};

static json_object *exec_body(const struct exec_opts *o, char **envp)
{
	json_object *b = json_object_new_object(), *a = json_object_new_array();
	json_object *env = json_object_new_object();
	char cwd[PATH_MAX];

	json_object_object_add(b, "command", json_object_new_string(o->cmd[0]));
	for (int i = 1; i < o->ncmd; i++)
		json_object_array_add(a, json_object_new_string(o->cmd[i]));
	json_object_object_add(b, "args", a);
	if (o->timeout)
		json_object_object_add(b, "timeout", json_object_new_string(o->timeout));
	if (getcwd(cwd, sizeof(cwd)))
		json_object_object_add(b, "working_dir", json_object_new_string(cwd));
	for (size_t i = 0; envp && envp[i]; i++) {
		char key[256], *eq = strchr(envp[i], '=');
		size_t kl = eq ? (size_t)(eq - envp[i]) : 0;
		if (kl == 0 || kl >= sizeof(key))
			continue;
		memcpy(key, envp[i], kl);
		key[kl] = '\0';
		json_object_object_add(env, key, json_object_new_string(eq + 1));
	}
	json_object_object_add(b, "env", env);
	if (!isatty(0)) {
		char *in = malloc(CLIENT_STDIN_MAX + 1);
		size_t got = 0;
		ssize_t n;
		while (in && got < CLIENT_STDIN_MAX &&
		       (n = read(0, in + got, CLIENT_STDIN_MAX - got)) > 0)
			got += (size_t)n;
		if (in && got)
			json_object_object_add(b, "stdin",
					       json_object_new_string_len(in, (int)got));
		free(in);
	}
	return b;
}

static int exec_parse(struct exec_opts *o, int argc, char **argv)
{
	static const struct option lopts[] = {
		{"json", no_argument, NULL, 'j'},
		{"timeout", required_argument, NULL, 't'},
		{"workspace", required_argument, NULL, 'w'},
		{"policy", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+", lopts, NULL)) != -1) {
		switch (c) {
		case 'j': o->json = true; break;
		case 't': o->timeout = optarg; break;
		case 'w': o->workspace = optarg; break;
		case 'p': o->policy = optarg; break;
		case 'h': return 1;
		default: return -1;
		}
	}
	if (optind < argc && strcmp(argv[optind], "--") != 0)
		o->sid = argv[optind++];
	if (optind < argc && strcmp(argv[optind], "--") == 0)
		optind++;
	o->cmd = argv + optind;
	o->ncmd = argc - optind;
	return o->sid && o->ncmd > 0 ? 0 : -1;
}

static int exec_create(const struct exec_opts *o, char **envp)
{
	json_object *b = json_object_new_object(), *resp = NULL;
	char cwd[PATH_MAX];
	int st = 0, r;

	json_object_object_add(b, "id", json_object_new_string(o->sid));
	json_object_object_add(b, "workspace", json_object_new_string(
		o->workspace ? o->workspace : getcwd(cwd, sizeof(cwd)) ? cwd : "/"));
	if (o->policy)
		json_object_object_add(b, "policy", json_object_new_string(o->policy));
	r = client_call(envp, "POST", "/api/v1/sessions", b, &resp, &st);
	if (r == 0 && st != 201 && st != 409) {
		fprintf(stderr, "agentsh: cannot create session %s: %s\n", o->sid,
			client_err(resp));
		r = -EPERM;
	}
	json_object_put(b);
	json_object_put(resp);
	return r;
}

static int exec_print(const struct exec_opts *o, json_object *resp, int st)
{
	json_object *res, *v;

	if (o->json) {
		puts(json_object_to_json_string_ext(resp, JSON_C_TO_STRING_PLAIN));
	} else if (json_object_object_get_ex(resp, "result", &res)) {
		if (json_object_object_get_ex(res, "stdout", &v))
			fputs(json_object_get_string(v), stdout);
		fflush(stdout);
		if (json_object_object_get_ex(res, "stderr", &v))
			fputs(json_object_get_string(v), stderr);
	} else {
		fprintf(stderr, "agentsh: %s\n", client_err(resp));
		return st == 404 ? 1 : 2;
	}
	if (json_object_object_get_ex(resp, "result", &res) &&
	    json_object_object_get_ex(res, "exit_code", &v))
		return json_object_get_int(v);
	return 1;
}

int cmd_exec(int argc, char **argv, char **envp)
{
	struct exec_opts o = {0};
	char path[512];
	json_object *body, *resp = NULL;
	int st = 0, r = exec_parse(&o, argc, argv);

	if (r != 0) {
		fputs(exec_help, r > 0 ? stdout : stderr);
		return r > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "/api/v1/sessions/%s/exec", o.sid);
	body = exec_body(&o, envp);
	r = client_call(envp, "POST", path, body, &resp, &st);
	if (r == 0 && st == 404) {
		json_object_put(resp);
		resp = NULL;
		r = exec_create(&o, envp);
		if (r == 0)
			r = client_call(envp, "POST", path, body, &resp, &st);
	}
	json_object_put(body);
	if (r < 0)
		return CLI_EXIT_FAIL;
	r = exec_print(&o, resp, st);
	json_object_put(resp);
	return r;
}

static const char session_help[] =
"NAME\n"
"    agentsh session - create, list and destroy sessions\n"
"\n"
"SYNOPSIS\n"
"    agentsh session create [--id ID] [--workspace DIR] [--policy NAME] [--json]\n"
"    agentsh session list [--json]\n"
"    agentsh session destroy ID\n"
"\n"
"DESCRIPTION\n"
"    A session is a workspace with its own compiled policy. Creating and\n"
"    destroying sessions needs an operator identity (see docs/GATEWAY.md):\n"
"    from inside a sandbox these fail with 403.\n"
"\n"
"EXIT STATUS\n"
"    0 success, 1 failure, 2 usage error.\n";

static void session_print(json_object *s)
{
	json_object *v;
	const char *keys[] = {"id", "state", "policy", "workspace"};

	for (size_t i = 0; i < 4; i++)
		printf("%s%s", i ? "\t" : "",
		       json_object_object_get_ex(s, keys[i], &v) ?
			       json_object_get_string(v) : "-");
	putchar('\n');
}

static int session_create_cmd(int argc, char **argv, char **envp, bool json)
{
	json_object *b = json_object_new_object(), *resp = NULL;
	char cwd[PATH_MAX];
	int st = 0, r;

	json_object_object_add(b, "workspace", json_object_new_string(
				       getcwd(cwd, sizeof(cwd)) ? cwd : "/"));
	for (int i = 2; i + 1 < argc; i += 2) {
		const char *k = strcmp(argv[i], "--id") == 0 ? "id" :
				strcmp(argv[i], "--workspace") == 0 ? "workspace" :
				strcmp(argv[i], "--policy") == 0 ? "policy" : NULL;
		if (k)
			json_object_object_add(b, k, json_object_new_string(argv[i + 1]));
	}
	r = client_call(envp, "POST", "/api/v1/sessions", b, &resp, &st);
	json_object_put(b);
	if (r == 0 && st == 201) {
		if (json)
			puts(json_object_to_json_string(resp));
		else
			session_print(resp);
	} else if (r == 0) {
		fprintf(stderr, "agentsh: %s\n", client_err(resp));
		r = -1;
	}
	json_object_put(resp);
	return r < 0 ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

int cmd_session(int argc, char **argv, char **envp)
{
	const char *sub = argc > 1 ? argv[1] : "";
	bool json = argc > 2 && strcmp(argv[argc - 1], "--json") == 0;
	json_object *resp = NULL;
	char path[512];
	int st = 0, r;

	if (strcmp(sub, "create") == 0)
		return session_create_cmd(argc - (json ? 1 : 0), argv, envp, json);
	if (strcmp(sub, "list") == 0) {
		r = client_call(envp, "GET", "/api/v1/sessions", NULL, &resp, &st);
		if (r == 0 && json)
			puts(json_object_to_json_string(resp));
		for (size_t i = 0; r == 0 && !json && resp &&
		     i < json_object_array_length(resp); i++)
			session_print(json_object_array_get_idx(resp, i));
		json_object_put(resp);
		return r < 0 || st != 200 ? CLI_EXIT_FAIL : CLI_EXIT_OK;
	}
	if (strcmp(sub, "destroy") == 0 && argc == 3) {
		snprintf(path, sizeof(path), "/api/v1/sessions/%s", argv[2]);
		r = client_call(envp, "DELETE", path, NULL, &resp, &st);
		if (r == 0 && st != 204)
			fprintf(stderr, "agentsh: %s\n", client_err(resp));
		json_object_put(resp);
		return r < 0 || st != 204 ? CLI_EXIT_FAIL : CLI_EXIT_OK;
	}
	fputs(session_help, strcmp(sub, "--help") == 0 ? stdout : stderr);
	return strcmp(sub, "--help") == 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}

/* Print each SSE data line as one JSON line. */
static int tail_chunk(void *arg, const char *data, size_t n)
{
	(void)arg;
	for (size_t i = 0; i < n; i++) {
		if (n - i > 6 && strncmp(data + i, "data: ", 6) == 0) {
			const char *e = memchr(data + i, '\n', n - i);
			size_t l = e ? (size_t)(e - data - i) : n - i;
			printf("%.*s\n", (int)(l - 6), data + i + 6);
			fflush(stdout);
			i += l;
		}
	}
	return 0;
}

int cmd_events_tail(int argc, char **argv, char **envp)
{
	char sock[PATH_MAX], path[512];
	int fd, st = 0;

	if (argc != 3 || strcmp(argv[2], "--help") == 0) {
		fputs("usage: agentsh events tail SESSION\n"
		      "    Print the session's events as they happen, one JSON\n"
		      "    object per line, until interrupted.\n",
		      argc == 3 ? stdout : stderr);
		return argc == 3 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	}
	client_socket(envp, sock, sizeof(sock));
	if ((fd = uhttp_connect(sock)) < 0) {
		fprintf(stderr, "agentsh: cannot reach the daemon at %s\n", sock);
		return CLI_EXIT_FAIL;
	}
	snprintf(path, sizeof(path), "/api/v1/sessions/%s/events", argv[2]);
	if (uhttp_stream(fd, "GET", path, "", 0, &st, tail_chunk, NULL) < 0 ||
	    st != 200) {
		fprintf(stderr, "agentsh: events tail: HTTP %d\n", st);
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

static const char proxy_help[] =
"NAME\n"
"    agentsh proxy - the embedded LLM proxy of a session\n"
"\n"
"SYNOPSIS\n"
"    agentsh proxy status [SID] [--json]\n"
"\n"
"DESCRIPTION\n"
"    Prints the state of the session's LLM proxy (address, DLP mode and\n"
"    patterns) and what went through it: requests, requests with\n"
"    redactions or refused, and the tokens the provider reported (input,\n"
"    output, cache read and creation, reasoning). SID defaults to\n"
"    $AGENTSH_SESSION_ID. See docs/LLM_PROXY.md.\n"
"\n"
"EXIT STATUS\n"
"    0 success, 1 failure (no such session, daemon unreachable), 2 usage.\n";

/* key: value per line; arrays joined with commas. */
static void proxy_print(json_object *o)
{
	json_object_object_foreach(o, k, v) {
		if (json_object_is_type(v, json_type_array)) {
			printf("%s:", k);
			for (size_t i = 0; i < json_object_array_length(v); i++)
				printf("%s%s", i ? "," : " ", json_object_get_string(
					       json_object_array_get_idx(v, i)));
			putchar('\n');
		} else {
			printf("%s: %s\n", k, json_object_get_string(v));
		}
	}
}

int cmd_proxy(int argc, char **argv, char **envp)
{
	bool json = argc > 2 && strcmp(argv[argc - 1], "--json") == 0;
	int n = argc - (json ? 1 : 0), st = 0, r;
	const char *sid = n == 3 ? argv[2] : NULL;
	json_object *resp = NULL;
	char path[512];

	if (n < 2 || n > 3 || strcmp(argv[1], "status") != 0) {
		bool help = argc > 1 && strcmp(argv[1], "--help") == 0;
		fputs(proxy_help, help ? stdout : stderr);
		return help ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	}
	for (size_t i = 0; sid == NULL && envp && envp[i]; i++)
		if (strncmp(envp[i], "AGENTSH_SESSION_ID=", 19) == 0)
			sid = envp[i] + 19;
	if (sid == NULL || sid[0] == '\0') {
		fputs("agentsh: proxy status: no SID and no $AGENTSH_SESSION_ID\n",
		      stderr);
		return CLI_EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "/api/v1/sessions/%s/proxy", sid);
	r = client_call(envp, "GET", path, NULL, &resp, &st);
	if (r == 0 && st == 200 && json)
		puts(json_object_to_json_string_ext(resp, JSON_C_TO_STRING_PLAIN));
	else if (r == 0 && st == 200)
		proxy_print(resp);
	else if (r == 0)
		fprintf(stderr, "agentsh: %s\n", client_err(resp));
	json_object_put(resp);
	return r < 0 || st != 200 ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
