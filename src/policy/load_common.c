/* Policy loader helpers shared by every rule list. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "policy/glob.h"
#include "policy/load_int.h"

const struct ydoc_alias policy_key_aliases[] = {
	{"env_rules", "env_policy"},
	{"env", "env_policy"},
	{"file", "file_rules"},
	{"files", "file_rules"},
	{"network", "network_rules"},
	{"commands_rules", "command_rules"},
	{"limits", "resource_limits"},
	{"action", "decision"},
	{"effect", "decision"},
	{"path", "paths"},
	{"operation", "operations"},
	{"ops", "operations"},
	{"domain", "domains"},
	{"hosts", "domains"},
	{"port", "ports"},
	{"cidr", "cidrs"},
	{"command", "commands"},
	{"args", "args_patterns"},
	{"arguments", "args_patterns"},
	{"signal", "signals"},
	{NULL, NULL},
};

static const char *const decision_names[] = {
	"allow", "deny", "approve", "redirect", "audit", "soft_delete", "absorb",
};

const char *policy_decision_name(enum policy_decision d)
{
	if ((size_t)d < sizeof(decision_names) / sizeof(decision_names[0]))
		return decision_names[d];
	return "invalid";
}

void policy_lp_where(char *out, size_t n, const char *list, size_t idx,
		     const char *name)
{
	if (name && *name)
		snprintf(out, n, "%s[%zu] '%s'", list, idx, name);
	else
		snprintf(out, n, "%s[%zu]", list, idx);
}

const struct ydoc_node *policy_lp_key(const struct ydoc_node *map,
				      const char *key)
{
	for (size_t i = 0; map && map->kind == YDOC_MAP && i < map->n; i++) {
		if (strcmp(map->items[2 * i]->str, key) == 0)
			return map->items[2 * i];
	}
	return map;
}

void policy_strv_free(struct policy_strv *s)
{
	for (size_t i = 0; s->v && i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	free(s->pos);
	memset(s, 0, sizeof(*s));
}

int policy_lp_strv(struct policy_lp *lp, const struct ydoc_node *node,
		   const char *where, struct policy_strv *out)
{
	char **v = NULL;
	size_t n = 0;
	int r;

	memset(out, 0, sizeof(*out));
	if (node == NULL)
		return 0;
	r = ydoc_get_strlist(lp->doc, node, where, &v, &n, lp->d);
	if (r < 0)
		return r;
	out->v = v;
	out->n = n;
	out->pos = calloc(n ? n : 1, sizeof(*out->pos));
	if (out->pos == NULL) {
		policy_strv_free(out);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		out->pos[i].line = node->items[i]->line;
		out->pos[i].col = node->items[i]->col;
	}
	return 0;
}

int policy_lp_decision(struct policy_lp *lp, const struct ydoc_node *n,
		       const char *where, unsigned allowed,
		       enum policy_decision *out)
{
	char list[160] = "";
	size_t ln = 0;

	if (n == NULL || n->kind != YDOC_SCALAR || ydoc_is_null(n)) {
		ydoc_error(lp->doc, n, lp->d, "missing-decision",
			   "%s: 'decision' is required", where);
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(decision_names) / sizeof(*decision_names); i++) {
		if (strcmp(n->str, decision_names[i]) == 0) {
			if (allowed & POLICY_DEC_BIT(i)) {
				*out = (enum policy_decision)i;
				return 0;
			}
			break;
		}
	}
	for (size_t i = 0; i < sizeof(decision_names) / sizeof(*decision_names); i++) {
		if ((allowed & POLICY_DEC_BIT(i)) && ln < sizeof(list))
			ln += (size_t)snprintf(list + ln, sizeof(list) - ln,
					       "%s%s", ln ? ", " : "",
					       decision_names[i]);
	}
	ydoc_error(lp->doc, n, lp->d, "bad-decision",
		   "%s: decision '%s' is not valid here (expected one of: %s)",
		   where, n->str, list);
	return -EINVAL;
}

static const char *const common_keys_missing_name = "every rule needs a "
	"'name': verdicts and audit events cite it";

int policy_lp_common(struct policy_lp *lp, const struct ydoc_node *rule,
		     const char *list, size_t idx, unsigned allowed_decisions,
		     struct policy_rule_common *c, char *where, size_t wn)
{
	const struct ydoc_node *n;
	int r = 0;

	memset(c, 0, sizeof(*c));
	c->timeout_ms = -1;
	c->pos.line = rule->line;
	c->pos.col = rule->col;
	n = ydoc_map_get(rule, "name");
	policy_lp_where(where, wn, list, idx,
			n && n->kind == YDOC_SCALAR ? n->str : NULL);
	if (n == NULL || ydoc_is_null(n)) {
		ydoc_error(lp->doc, rule, lp->d, "missing-name", "%s: %s",
			   where, common_keys_missing_name);
		r = -EINVAL;
	} else if (ydoc_get_str(lp->doc, n, where, &c->name, lp->d) < 0) {
		r = -EINVAL;
	} else if (strlen(c->name) >= POLICY_NAME_MAX) {
		ydoc_error(lp->doc, n, lp->d, "bad-name", "%s: name is too long",
			   where);
		r = -EINVAL;
	}
	if ((n = ydoc_map_get(rule, "description")) &&
	    ydoc_get_str(lp->doc, n, where, &c->description, lp->d) < 0)
		r = -EINVAL;
	if ((n = ydoc_map_get(rule, "message")) &&
	    ydoc_get_str(lp->doc, n, where, &c->message, lp->d) < 0)
		r = -EINVAL;
	if ((n = ydoc_map_get(rule, "timeout")) &&
	    ydoc_get_duration(lp->doc, n, where, &c->timeout_ms, lp->d) < 0)
		r = -EINVAL;
	n = ydoc_map_get(rule, "decision");
	if (n == NULL) {
		ydoc_error(lp->doc, rule, lp->d, "missing-decision",
			   "%s: 'decision' is required", where);
		return -EINVAL;
	}
	c->decision_pos.line = n->line;
	c->decision_pos.col = n->col;
	if (policy_lp_decision(lp, n, where, allowed_decisions,
			       &c->decision) < 0)
		r = -EINVAL;
	return r;
}

void policy_rule_common_free(struct policy_rule_common *c)
{
	free(c->name);
	free(c->description);
	free(c->message);
	memset(c, 0, sizeof(*c));
}

/* Copy s into out with every ${...} replaced by "x", for syntax checks. */
static int mask_vars(const char *s, char *out, size_t n)
{
	size_t o = 0;

	while (*s) {
		if (s[0] == '$' && s[1] == '{') {
			const char *e = strchr(s, '}');
			if (e == NULL)
				return -EINVAL;
			s = e + 1;
			if (o + 1 >= n)
				return -E2BIG;
			out[o++] = 'x';
			continue;
		}
		if (o + 1 >= n)
			return -E2BIG;
		out[o++] = *s++;
	}
	out[o] = '\0';
	return 0;
}

int policy_lp_check_vars(struct policy_lp *lp, const struct ydoc_node *n,
			 const char *where)
{
	const char *s = n->str;

	while ((s = strstr(s, "${")) != NULL) {
		const char *e = strchr(s, '}');
		const char *p = s + 2;

		if (e == NULL) {
			ydoc_error(lp->doc, n, lp->d, "bad-variable",
				   "%s: '${' without a closing '}' in '%s'",
				   where, n->str);
			return -EINVAL;
		}
		if (!(*p == '_' || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= 'a' && *p <= 'z'))) {
			ydoc_error(lp->doc, n, lp->d, "bad-variable",
				   "%s: bad variable name in '%s' (use ${NAME} "
				   "or ${NAME:-fallback})", where, n->str);
			return -EINVAL;
		}
		s = e + 1;
	}
	return 0;
}

int policy_lp_check_glob(struct policy_lp *lp, const struct ydoc_node *n,
			 const char *where, char sep, unsigned flags)
{
	char masked[POLICY_GLOB_MAX_PATTERN + 1];
	char err[160];
	struct policy_glob *g = NULL;

	if (policy_lp_check_vars(lp, n, where) < 0)
		return -EINVAL;
	if (mask_vars(n->str, masked, sizeof(masked)) < 0) {
		ydoc_error(lp->doc, n, lp->d, "bad-glob",
			   "%s: pattern is too long", where);
		return -EINVAL;
	}
	if (policy_glob_compile(masked, sep, flags, &g, err, sizeof(err)) < 0) {
		ydoc_error(lp->doc, n, lp->d, "bad-glob",
			   "%s: invalid pattern '%s': %s", where, n->str, err);
		return -EINVAL;
	}
	policy_glob_free(g);
	return 0;
}

int policy_lp_check_regex(struct policy_lp *lp, const struct ydoc_node *n,
			  const char *where)
{
	pcre2_code *re;
	int errcode;
	PCRE2_SIZE off;
	PCRE2_UCHAR msg[160];

	re = pcre2_compile((PCRE2_SPTR)n->str, n->len, 0, &errcode,
			   &off, NULL);
	if (re != NULL) {
		pcre2_code_free(re);
		return 0;
	}
	pcre2_get_error_message(errcode, msg, sizeof(msg));
	diag_add(lp->d, DIAG_ERROR, ydoc_file(lp->doc), n->line,
		 n->col + (n->quoted ? 1 : 0) + (int)off, "bad-regex",
		 "%s: invalid regular expression '%s' at offset %zu: %s",
		 where, n->str, (size_t)off, (const char *)msg);
	return -EINVAL;
}
