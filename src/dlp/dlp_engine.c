/*
 * Engine construction: compile every enabled rule with PCRE2 (JIT, match
 * limits), build the Hyperscan database, then self-test the built-in
 * rules on their examples and negative examples.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "dlp/dlp_int.h"

#define DLP_JIT_STACK_MIN (32u << 10)
#define DLP_JIT_STACK_MAX (1u << 20)

void dlp_opts_default(struct dlp_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->email = o->phone = o->credit_card = o->ssn = o->api_keys = true;
}

static bool dlp_family_on(const struct dlp_opts *o, enum dlp_family f)
{
	switch (f) {
	case DLP_FAM_EMAIL:
		return o->email;
	case DLP_FAM_PHONE:
		return o->phone;
	case DLP_FAM_CARD:
		return o->credit_card;
	case DLP_FAM_SSN:
		return o->ssn;
	case DLP_FAM_KEY:
		return o->api_keys;
	case DLP_FAM_CUSTOM:
		return true;
	}
	return false;
}

static int dlp_rule_compile(struct dlp_rule *r, const char *regex,
			    struct diag *d)
{
	int err = 0;
	PCRE2_SIZE off = 0;
	PCRE2_UCHAR msg[256];

	/* offset limits: a window's search stops at its last start */
	r->re = pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED,
			      PCRE2_USE_OFFSET_LIMIT, &err, &off, NULL);
	if (r->re == NULL) {
		pcre2_get_error_message(err, msg, sizeof(msg));
		diag_add(d, DIAG_ERROR, NULL, 0, (int)off + 1, "dlp-regex",
			 "rule '%s': bad regex at offset %zu: %s", r->name,
			 (size_t)off, (const char *)msg);
		return -EINVAL;
	}
	(void)pcre2_jit_compile(r->re, PCRE2_JIT_COMPLETE);
	r->md = pcre2_match_data_create_from_pattern(r->re, NULL);
	if (r->md == NULL)
		return -ENOMEM;
	r->maxw = SIZE_MAX;
	return 0;
}

static int dlp_rule_add(struct dlp_engine *e, const char *name,
			const char *display, const char *regex, int group,
			int prio, enum dlp_valid v, enum dlp_family fam,
			struct diag *d)
{
	struct dlp_rule *r = &e->rules[e->n];

	if (name == NULL || name[0] == '\0' || regex == NULL ||
	    str_lcpy(r->name, name, sizeof(r->name)) >= sizeof(r->name) ||
	    str_lcpy(r->display, display != NULL && display[0] != '\0' ?
		     display : name, sizeof(r->display)) >=
	    sizeof(r->display)) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, "dlp-rule",
			 "rule '%s': name or display missing or too long",
			 name != NULL ? name : "");
		return -EINVAL;
	}
	r->group = group;
	r->prio = prio;
	r->valid = v;
	r->family = fam;
	e->n++;
	return dlp_rule_compile(r, regex, d);
}

/* The optional parts of a built-in rule: Hyperscan regex and filters. */
static void dlp_rule_extras(struct dlp_rule *r, const struct dlp_rule_def *def)
{
	r->hs_regex = def->hs_regex;
	r->context = def->context;
	r->ctx_window = def->ctx_window;
	r->entropy = def->entropy;
	r->back = def->hs_back;
	r->need = def->need;
}

/* Rule ri must find something in the example and nothing in the negative. */
static int dlp_selftest(struct dlp_engine *e, uint32_t ri,
			const struct dlp_rule_def *def, struct diag *d)
{
	int rc;
	size_t found;

	e->ncand = 0;
	dlp_filter_prepare(e, strlen(def->example));
	rc = dlp_rule_collect(e, ri, def->example, 0, SIZE_MAX, NULL,
			      e->text_len);
	found = e->ncand;
	if (rc == 0) {
		e->ncand = 0;
		dlp_filter_prepare(e, strlen(def->negative));
		rc = dlp_rule_collect(e, ri, def->negative, 0, SIZE_MAX, NULL,
				      e->text_len);
	}
	if (rc == 0 && (found == 0 || e->ncand != 0)) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, "dlp-selftest",
			 "rule '%s': %s", def->name, found == 0 ?
			 "its example does not match" :
			 "its negative example matches");
		rc = -EINVAL;
	}
	e->ncand = 0;
	return rc;
}

static int dlp_add_builtins(struct dlp_engine *e, const struct dlp_opts *o,
			    const char **regexes, struct diag *d)
{
	size_t nd;
	const struct dlp_rule_def *defs = dlp_rule_defs(&nd);
	int rc;

	for (size_t i = 0; i < nd; i++) {
		if (!dlp_family_on(o, defs[i].family))
			continue;
		regexes[e->n] = defs[i].regex;
		rc = dlp_rule_add(e, defs[i].name, defs[i].display,
				  defs[i].regex, defs[i].group, defs[i].prio,
				  defs[i].valid, defs[i].family, d);
		if (e->n > 0)
			dlp_rule_extras(&e->rules[e->n - 1], &defs[i]);
		if (rc == 0)
			rc = dlp_selftest(e, (uint32_t)(e->n - 1), &defs[i], d);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int dlp_add_custom(struct dlp_engine *e, const struct dlp_opts *o,
			  const char **regexes, struct diag *d)
{
	int rc;

	if (o->n_custom > DLP_CUSTOM_MAX) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, "dlp-rule",
			 "too many custom patterns (%zu, at most %d)",
			 o->n_custom, DLP_CUSTOM_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < o->n_custom; i++) {
		const struct dlp_custom *c = &o->custom[i];

		regexes[e->n] = c->regex;
		rc = dlp_rule_add(e, c->name, c->display, c->regex, 0, 2,
				  DLP_V_NONE, DLP_FAM_CUSTOM, d);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int dlp_engine_init(struct dlp_engine *e, const struct dlp_opts *o,
			   const char **regexes, struct diag *d)
{
	pcre2_jit_stack *js;
	int rc;

	e->mctx = pcre2_match_context_create(NULL);
	if (e->mctx == NULL)
		return -ENOMEM;
	pcre2_set_match_limit(e->mctx, DLP_MATCH_LIMIT);
	pcre2_set_depth_limit(e->mctx, DLP_DEPTH_LIMIT);
	js = pcre2_jit_stack_create(DLP_JIT_STACK_MIN, DLP_JIT_STACK_MAX,
				    NULL);
	if (js == NULL)
		return -ENOMEM;
	e->jit_stack = js;
	pcre2_jit_stack_assign(e->mctx, NULL, js);
	rc = dlp_add_builtins(e, o, regexes, d);
	if (rc == 0)
		rc = dlp_add_custom(e, o, regexes, d);
	if (rc == 0 && !o->portable)
		rc = dlp_hs_build(e, regexes, d);
	return rc;
}

int dlp_engine_new(const struct dlp_opts *o, struct dlp_engine **out,
		   struct diag *d)
{
	struct dlp_engine *e = NULL;
	const char **regexes = NULL;
	size_t nd, max;
	int rc = -ENOMEM;

	*out = NULL;
	(void)dlp_rule_defs(&nd);
	max = nd + (o->n_custom <= DLP_CUSTOM_MAX ? o->n_custom : 0);
	e = calloc(1, sizeof(*e));
	regexes = calloc(max + 1, sizeof(*regexes));
	if (e == NULL || regexes == NULL)
		goto out;
	e->rules = calloc(max + 1, sizeof(*e->rules));
	if (e->rules == NULL)
		goto out;
	rc = dlp_engine_init(e, o, regexes, d);
	if (rc < 0)
		goto out;
	*out = e;
	e = NULL;
out:
	free(regexes);
	dlp_engine_free(e);
	return rc;
}

void dlp_engine_free(struct dlp_engine *e)
{
	if (e == NULL)
		return;
	dlp_hs_free(e);
	for (size_t i = 0; i < e->n; i++) {
		pcre2_match_data_free(e->rules[i].md);
		pcre2_code_free(e->rules[i].re);
	}
	pcre2_jit_stack_free(e->jit_stack);
	pcre2_match_context_free(e->mctx);
	free(e->rules);
	free(e->cand);
	free(e->cand_tmp);
	free(e);
}

bool dlp_engine_hyperscan(const struct dlp_engine *e)
{
	return e->db != NULL;
}

size_t dlp_engine_rules(const struct dlp_engine *e)
{
	return e->n;
}
