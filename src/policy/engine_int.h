/* Internal to the policy engine: the compiled form of a policy. */
#ifndef AGENTSH_POLICY_ENGINE_INT_H
#define AGENTSH_POLICY_ENGINE_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "policy/glob.h"
#include "policy/index.h"
#include "policy/policy.h"

enum cmd_entry_kind { CMD_LIT_BASE, CMD_LIT_PATH, CMD_GLOB_BASE, CMD_GLOB_PATH };

struct cmd_entry {
	enum cmd_entry_kind kind;
	char *lit;                /* lower-cased literal */
	struct policy_glob *glob; /* for the glob kinds */
};

struct cmd_rule_c {
	const struct policy_cmd_rule *src;
	struct cmd_entry *entries;
	size_t n;
	bool any_command; /* empty list or a match-all glob */
	pcre2_code **re;              /* NULL where the pattern is a legacy glob */
	struct policy_glob **arg_glob; /* the legacy globs, NULL elsewhere */
	size_t nre;
	struct policy_glob **env_allow, **env_deny;
};

/* A compiled glob list: each pattern after ${VAR} expansion. */
struct glob_list {
	struct policy_glob **g;
	char **text; /* expanded text, for lint and messages */
	size_t n;
};

struct file_rule_c {
	const struct policy_file_rule *src;
	struct glob_list paths;
	uint32_t ops;
};

struct net_rule_c {
	const struct policy_net_rule *src;
	struct glob_list domains;
	struct policy_cidr *cidrs;
	size_t ncidrs;
};

struct unix_rule_c {
	const struct policy_unix_rule *src;
	struct glob_list paths;
};

/* Candidate lists: per-key lists from an index plus rules no index holds. */
struct rule_index {
	struct policy_index *ix;
	uint32_t *generic;
	size_t ngeneric;
};

struct policy {
	const struct policy_src *src; /* borrowed: must outlive the policy */
	struct policy_src *owned;     /* set when the policy owns its source */
	bool approvals_enabled;
	struct cmd_rule_c *cmd;
	struct file_rule_c *file;
	struct net_rule_c *net;
	struct unix_rule_c *unx;
	/* dom_ix.generic also holds network rules with no domains or cidrs */
	struct rule_index cmd_ix, file_ix, dom_ix, cidr_ix;
	uint8_t cidr_lens[129]; /* prefix lengths present among CIDR rules */
	size_t n_cidr_lens;
	struct policy_glob **env_allow, **env_deny, **env_builtin;
	/* Reference mode for tests and benchmarks: scan every rule in order
	 * instead of the indexes (all = 0, 1, 2, ... for the longest list). */
	bool linear;
	uint32_t *all;
	size_t n_env_builtin;
};

struct policy_ctx {
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	char path[POLICY_PATH_MAX];
	char lower[POLICY_PATH_MAX];
	char host[POLICY_HOST_MAX + 2];
	char *args; /* POLICY_ARGS_MAX + 1 bytes */
	size_t args_len;
	bool args_ready;
};

/* Compile-time helpers shared by compile.c and compile_rules.c. */
struct policy_cc {
	const struct policy_src *src;
	const struct policy_compile_opts *opts;
	struct diag *d;
};

int policy_cc_globs(struct policy_cc *cc, const struct policy_strv *in,
		    const char *where, char sep, unsigned flags, bool expand,
		    struct glob_list *out);
void policy_glob_list_free(struct glob_list *gl);
int policy_cc_cmd(struct policy_cc *cc, struct policy *p);
int policy_cc_env(struct policy_cc *cc, const struct policy_strv *in,
		  struct policy_glob ***out);
void policy_glob_array_free(struct policy_glob **v);
void policy_cmd_c_free(struct cmd_rule_c *c);

/* The environment variables denied when env_policy has no allow list. */
extern const char *const policy_builtin_secret_env[];

#endif
