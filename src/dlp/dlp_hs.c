/*
 * The Hyperscan pass: every rule in one block-mode database compiled with
 * HS_FLAG_PREFILTER (a superset of each regex, no start of match), so one
 * pass over the text says which rules may match and between which match
 * ends. A rule Hyperscan cannot compile is scanned by PCRE2 alone.
 */
#include <errno.h>
#include <hs.h>
#include <limits.h>
#include <stdlib.h>

#include "dlp/dlp_int.h"

#define DLP_HS_FLAGS HS_FLAG_PREFILTER

static size_t dlp_hs_width(const char *regex)
{
	hs_expr_info_t *info = NULL;
	hs_compile_error_t *err = NULL;
	size_t w = SIZE_MAX;

	if (hs_expression_info(regex, DLP_HS_FLAGS, &info, &err) !=
	    HS_SUCCESS) {
		hs_free_compile_error(err);
		return SIZE_MAX;
	}
	if (info->max_width != UINT_MAX)
		w = info->max_width;
	free(info);
	return w;
}

/* Compile the rules still marked in_hs; drop the one that fails, retry. */
static int dlp_hs_compile(struct dlp_engine *e, const char **regexes,
			  const char **expr, unsigned *flags, unsigned *ids)
{
	hs_compile_error_t *err = NULL;
	hs_database_t *db = NULL;

	for (;;) {
		unsigned n = 0;

		for (size_t i = 0; i < e->n; i++) {
			if (!e->rules[i].in_hs)
				continue;
			expr[n] = e->rules[i].hs_regex != NULL ?
				e->rules[i].hs_regex : regexes[i];
			flags[n] = DLP_HS_FLAGS;
			ids[n++] = (unsigned)i;
		}
		if (n == 0)
			return 0;
		if (hs_compile_multi(expr, flags, ids, n, HS_MODE_BLOCK, NULL,
				     &db, &err) == HS_SUCCESS)
			break;
		if (err->expression < 0 || (unsigned)err->expression >= n) {
			hs_free_compile_error(err);
			return 0; /* the portable path for every rule */
		}
		e->rules[ids[err->expression]].in_hs = false;
		hs_free_compile_error(err);
		err = NULL;
	}
	e->db = db;
	return 0;
}

int dlp_hs_build(struct dlp_engine *e, const char **regexes, struct diag *d)
{
	const char **expr = NULL;
	unsigned *flags = NULL, *ids = NULL;
	hs_scratch_t *scratch = NULL;
	int rc = 0;

	if (e->n == 0 || hs_valid_platform() != HS_SUCCESS)
		return 0;
	expr = calloc(e->n, sizeof(*expr));
	flags = calloc(e->n, sizeof(*flags));
	ids = calloc(e->n, sizeof(*ids));
	if (expr == NULL || flags == NULL || ids == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < e->n; i++) {
		e->rules[i].maxw = dlp_hs_width(regexes[i]);
		e->rules[i].in_hs = e->rules[i].maxw != SIZE_MAX;
		if (e->rules[i].back == 0 || e->rules[i].back > e->rules[i].maxw)
			e->rules[i].back = e->rules[i].maxw;
	}
	rc = dlp_hs_compile(e, regexes, expr, flags, ids);
	if (rc < 0 || e->db == NULL)
		goto out;
	e->ev = calloc(DLP_EVENTS_MAX, sizeof(*e->ev));
	e->ev_tmp = calloc(DLP_EVENTS_MAX, sizeof(*e->ev_tmp));
	if (e->ev == NULL || e->ev_tmp == NULL || hs_alloc_scratch(e->db, &scratch) != HS_SUCCESS) {
		rc = -ENOMEM;
		goto out;
	}
	e->scratch = scratch;
out:
	if (e->db == NULL)
		for (size_t i = 0; i < e->n; i++)
			e->rules[i].in_hs = false;
	free(expr);
	free(flags);
	free(ids);
	return rc;
}

void dlp_hs_free(struct dlp_engine *e)
{
	hs_free_scratch(e->scratch);
	hs_free_database(e->db);
	free(e->ev);
	free(e->ev_tmp);
	e->ev = NULL;
	e->ev_tmp = NULL;
	e->scratch = NULL;
	e->db = NULL;
}

/*
 * Keep the end of a match of rule id: it joins the rule's latest cluster
 * when a match containing it could overlap that cluster's window.
 */
static int dlp_hs_event(unsigned id, unsigned long long from,
			unsigned long long to, unsigned flags, void *ctx)
{
	struct dlp_engine *e = ctx;
	struct dlp_rule *r = &e->rules[id];
	size_t p = (size_t)to;

	if (!r->hit || p < r->first)
		r->first = p;
	if (!r->hit || p > r->last)
		r->last = p;
	r->hit = true;
	if (r->evi != SIZE_MAX) {
		struct dlp_ev *v = &e->ev[r->evi];

		if (p + r->back + 1 >= v->first && p <= v->pos + r->back + 1) {
			v->first = p < v->first ? p : v->first;
			v->pos = p > v->pos ? p : v->pos;
			return 0;
		}
	}
	if (e->nev < DLP_EVENTS_MAX) {
		r->evi = e->nev;
		e->ev[e->nev].rule = id;
		e->ev[e->nev].first = p;
		e->ev[e->nev++].pos = p;
	} else {
		e->ev_overflow = true;
	}
	return 0;
}

/* Mark the rules that may match, with their first and last match ends. */
int dlp_hs_scan(struct dlp_engine *e, const char *text, size_t len)
{
	for (size_t i = 0; i < e->n; i++) {
		e->rules[i].hit = false;
		e->rules[i].evi = SIZE_MAX;
	}
	e->nev = 0;
	e->ev_overflow = false;
	if (len > UINT_MAX)
		return -E2BIG;
	if (hs_scan(e->db, text, (unsigned)len, 0, e->scratch, dlp_hs_event,
		    e) != HS_SUCCESS)
		return -EIO;
	return 0;
}
