/* Internal to the policy loader: shared parsing state and helpers. */
#ifndef AGENTSH_POLICY_LOAD_INT_H
#define AGENTSH_POLICY_LOAD_INT_H

#include "policy/policy.h"
#include "ydoc/ydoc.h"

struct policy_lp {
	const struct ydoc *doc;
	struct diag *d;
	size_t errors_at_start;
};

/* Which decisions a rule list accepts, as a bitmask over enum values. */
#define POLICY_DEC_BIT(x) (1u << (x))

/* "command_rules[3] 'block-git'" for messages. */
void policy_lp_where(char *out, size_t n, const char *list, size_t idx,
		     const char *name);
int policy_lp_strv(struct policy_lp *lp, const struct ydoc_node *node,
		   const char *where, struct policy_strv *out);
void policy_strv_free(struct policy_strv *s);
int policy_lp_common(struct policy_lp *lp, const struct ydoc_node *rule,
		     const char *list, size_t idx, unsigned allowed_decisions,
		     struct policy_rule_common *c, char *where, size_t wn);
void policy_rule_common_free(struct policy_rule_common *c);
int policy_lp_decision(struct policy_lp *lp, const struct ydoc_node *n,
		       const char *where, unsigned allowed,
		       enum policy_decision *out);
/* Check ${VAR} syntax in a pattern; reports at node. */
int policy_lp_check_vars(struct policy_lp *lp, const struct ydoc_node *n,
			 const char *where);
/* Check that s compiles as a glob with separator sep (variables masked). */
int policy_lp_check_glob(struct policy_lp *lp, const struct ydoc_node *n,
			 const char *where, char sep, unsigned flags);
int policy_lp_check_regex(struct policy_lp *lp, const struct ydoc_node *n,
			  const char *where);

int policy_lp_cmd_rules(struct policy_lp *lp, const struct ydoc_node *seq,
			struct policy_src *src);
int policy_lp_unix_rules(struct policy_lp *lp, const struct ydoc_node *seq,
			 struct policy_src *src);
int policy_lp_signal_rules(struct policy_lp *lp, const struct ydoc_node *seq,
			   struct policy_src *src);
int policy_lp_limits(struct policy_lp *lp, const struct ydoc_node *map,
		     struct policy_limits *out);
int policy_lp_env(struct policy_lp *lp, const struct ydoc_node *map,
		  struct policy_env *out);
int policy_lp_audit(struct policy_lp *lp, const struct ydoc_node *map,
		    struct policy_audit *out);
void policy_cmd_rule_free(struct policy_cmd_rule *r);
void policy_signal_rule_free(struct policy_signal_rule *r);

/* Common misspellings of keys, for suggestions. */
extern const struct ydoc_alias policy_key_aliases[];

/* The value node's key position for a key in map (for error placement). */
const struct ydoc_node *policy_lp_key(const struct ydoc_node *map,
				      const char *key);

#endif
