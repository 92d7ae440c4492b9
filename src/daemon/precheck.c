#include "daemon/precheck.h"

#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "common/str.h"

/* Record the decision; one that cannot be recorded does not stand. */
static void precheck_event(struct precheck *pc, const char *cmd, int depth)
{
	const struct policy_verdict *v = &pc->v;
	struct audit_event ev = {0};
	char fields[64];

	snprintf(fields, sizeof(fields), "{\"depth\":%d}", depth);
	ev.type = v->decision == POLICY_REDIRECT ? "command_redirected" :
						   "command_policy";
	ev.session_id = pc->s->id;
	ev.command_id = pc->command_id;
	ev.pid = pc->pid;
	ev.decision = policy_decision_name(v->decision);
	ev.effective = policy_decision_name(v->effective);
	ev.rule = v->rule;
	ev.message = pc->msg;
	ev.approval_required = v->approval_required;
	ev.path = cmd;
	ev.operation = pc->operation;
	ev.fields_json = fields;
	daemon_count_decision(pc->d, v);
	if (daemon_event(pc->d, &ev) < 0 && pc->v.effective != POLICY_DENY) {
		pc->v.effective = POLICY_DENY;
		pc->v.rule = "audit-unavailable";
		str_lcpy(pc->msg, "the decision could not be recorded in the "
			 "audit log; denied", sizeof(pc->msg));
	}
}

bool precheck_cmd(struct precheck *pc, const char *path, char *const *argv,
		  size_t argc, int depth)
{
	struct policy_exec_req er = {path, (const char *const *)argv, argc, depth};
	struct policy_render_args ra = {.command = path};
	char args[1024];
	size_t o = 0;

	args[0] = '\0';
	for (size_t i = 1; i < argc && o < sizeof(args) - 1; i++)
		o += (size_t)snprintf(args + o, sizeof(args) - o, "%s%s",
				      i > 1 ? " " : "", argv[i]);
	ra.args = args;
	policy_check_exec(pc->s->policy, pc->s->ctx, &er, &pc->v);
	policy_render_message(&pc->v, &ra, pc->msg, sizeof(pc->msg));
	precheck_event(pc, path, depth);
	if (pc->v.effective == POLICY_ALLOW)
		return true;
	str_lcpy(pc->denied_cmd, path, sizeof(pc->denied_cmd));
	pc->s->denied++;
	return false;
}

bool precheck_script(struct precheck *pc, const char *script, int depth)
{
	struct shparse_result *res = NULL;

	pc->redirect = PRECHECK_NO_REDIRECT;
	if (script == NULL)
		return true;
	/* An internal error is a deny, never a silent allow. */
	if (shparse_script(script, strlen(script), &res) < 0) {
		memset(&pc->v, 0, sizeof(pc->v));
		pc->v.decision = pc->v.effective = POLICY_DENY;
		pc->v.rule = "script-analysis-failed";
		pc->v.rule_index = -1;
		str_lcpy(pc->msg, "the script could not be analysed (out of "
			 "memory); denied", sizeof(pc->msg));
		str_lcpy(pc->denied_cmd, "(script)", sizeof(pc->denied_cmd));
		return false;
	}
	pc->res = res;
	for (size_t i = 0; i < res->n; i++) {
		const struct shparse_cmd *c = &res->cmds[i];
		if (c->name_dynamic || c->argc == 0)
			continue;
		if (!precheck_cmd(pc, c->argv[0], c->argv, c->argc,
				  depth + c->depth))
			return false;
		if (pc->v.decision != POLICY_REDIRECT)
			continue;
		if (res->n == 1 && res->complete && c->depth == 0) {
			pc->redirect = i;
			continue;
		}
		pc->v.effective = POLICY_DENY;
		snprintf(pc->msg, sizeof(pc->msg), "%s must be run as its "
			 "replacement '%s' (policy redirect), on its own",
			 c->argv[0], pc->v.cmd_rule->redirect->command);
		str_lcpy(pc->denied_cmd, c->argv[0], sizeof(pc->denied_cmd));
		return false;
	}
	return true;
}

void precheck_deny_line(const struct precheck *pc, char *out, size_t n)
{
	snprintf(out, n, "agentsh: denied by rule %s: %s\n", pc->v.rule, pc->msg);
}

void precheck_release(struct precheck *pc)
{
	shparse_result_free(pc->res);
	pc->res = NULL;
}
