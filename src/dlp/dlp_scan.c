/*
 * Scanning: candidates per rule (PCRE2 over the whole text, or only over
 * the window Hyperscan pointed at), validators, one overlap resolution,
 * then findings in order; redaction rewrites in one left-to-right pass.
 *
 * Why the window gives the same answer as the whole text: every match of
 * a rule ends where Hyperscan (prefilter, a superset) reports an end, so
 * all matches start at or after first_end - max_width and start at or
 * before last_end; a match attempt starting there reads at most
 * max_width + DLP_WIDTH_SLACK bytes, all inside the window. A match
 * [s, e) contains a reported end p with s < p, so the starts tried for a
 * cluster stop one byte before its last end.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dlp/dlp_int.h"

#define DLP_CAND_INIT 64

static int dlp_cand_push(struct dlp_engine *e, size_t s, size_t end,
			 uint32_t ri)
{
	struct dlp_cand *v;
	size_t cap;

	if (e->ncand == e->capcand) {
		if (e->capcand >= DLP_CANDIDATES_MAX)
			return -E2BIG;
		cap = e->capcand ? e->capcand * 2 : DLP_CAND_INIT;
		v = realloc(e->cand, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		e->cand = v;
		v = realloc(e->cand_tmp, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		e->cand_tmp = v;
		e->capcand = cap;
	}
	e->cand[e->ncand].start = s;
	e->cand[e->ncand].end = end;
	e->cand[e->ncand].rule = ri;
	e->ncand++;
	return 0;
}

/* Validate one match and keep it; returns 0 or -errno. */
static int dlp_rule_take(struct dlp_engine *e, uint32_t ri, const char *text)
{
	struct dlp_rule *r = &e->rules[ri];
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->md);
	size_t s = ov[0], end = ov[1];

	if (r->group > 0 && pcre2_get_ovector_count(r->md) >
	    (uint32_t)r->group && ov[2 * r->group] != PCRE2_UNSET) {
		s = ov[2 * r->group];
		end = ov[2 * r->group + 1];
	}
	if (end <= s || !dlp_validate(r->valid, text + s, end - s) ||
	    !dlp_filter_keep(e, r, text, e->text_len, s, end))
		return 0;
	return dlp_cand_push(e, s, end, ri);
}

int dlp_rule_collect(struct dlp_engine *e, uint32_t ri, const char *text,
		     size_t from, size_t stop, size_t *next, size_t sublen)
{
	struct dlp_rule *r = &e->rules[ri];
	size_t off = from;
	int rc = 0;

	/* no match may start after stop: PCRE2 need not look further */
	pcre2_set_offset_limit(e->mctx, stop >= sublen ? PCRE2_UNSET : stop);
	while (off <= sublen && off <= stop) {
		PCRE2_SIZE *ov;
		int m = pcre2_match(r->re, (PCRE2_SPTR)text, sublen, off, 0,
				    r->md, e->mctx);

		if (m == PCRE2_ERROR_NOMATCH)
			break;
		if (m == PCRE2_ERROR_MATCHLIMIT ||
		    m == PCRE2_ERROR_DEPTHLIMIT ||
		    m == PCRE2_ERROR_JIT_STACKLIMIT)
			return -ERANGE;
		if (m < 0)
			return -EINVAL;
		ov = pcre2_get_ovector_pointer(r->md);
		if (ov[0] > stop)
			break;
		rc = dlp_rule_take(e, ri, text);
		if (rc < 0)
			return rc;
		off = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
		if (next != NULL)
			*next = off;
	}
	return rc;
}

static size_t dlp_sublen(const struct dlp_rule *r, size_t stop, size_t len)
{
	if (len - stop > r->maxw + DLP_WIDTH_SLACK)
		return stop + r->maxw + DLP_WIDTH_SLACK;
	return len;
}

/* The first offset where a match containing end p of rule r can start. */
static size_t dlp_lo(const struct dlp_rule *r, size_t p)
{
	return p > r->back ? p - r->back : 0;
}

/*
 * One window per cluster of Hyperscan events of rule ri (events from *k
 * on, sorted): a match containing event p starts in [p - back, p], so a
 * cluster [first, pos] needs starts in [first - back, pos].
 */
static int dlp_rule_windows(struct dlp_engine *e, uint32_t ri,
			    const char *text, size_t len, size_t *k)
{
	const struct dlp_rule *r = &e->rules[ri];
	size_t off = 0, i = *k;
	int rc = 0;

	while (rc == 0 && i < e->nev && e->ev[i].rule == ri) {
		size_t ws = dlp_lo(r, e->ev[i].first), we = e->ev[i].pos;

		while (++i < e->nev && e->ev[i].rule == ri &&
		       dlp_lo(r, e->ev[i].first) <= we + 1) {
			if (dlp_lo(r, e->ev[i].first) < ws)
				ws = dlp_lo(r, e->ev[i].first);
			if (e->ev[i].pos > we)
				we = e->ev[i].pos;
		}
		if (we == 0 || off >= we)
			continue;
		rc = dlp_rule_collect(e, ri, text, ws > off ? ws : off, we - 1,
				      &off, dlp_sublen(r, we, len));
	}
	while (i < e->nev && e->ev[i].rule == ri)
		i++;
	*k = i;
	return rc;
}

/* Run rule ri over the part of the text it can match in. */
static int dlp_rule_run(struct dlp_engine *e, uint32_t ri, const char *text,
			size_t len, size_t *k)
{
	struct dlp_rule *r = &e->rules[ri];

	if (e->db == NULL || !r->in_hs) {
		if (r->need != NULL && !dlp_has(text, len, r->need,
						strlen(r->need)))
			return 0;
		return dlp_rule_collect(e, ri, text, 0, SIZE_MAX, NULL, len);
	}
	if (!r->hit)
		return 0;
	if (!e->ev_overflow)
		return dlp_rule_windows(e, ri, text, len, k);
	return dlp_rule_collect(e, ri, text, dlp_lo(r, r->first), r->last, NULL,
				dlp_sublen(r, r->last, len));
}

static int dlp_ev_cmp(const void *a, const void *b)
{
	const struct dlp_ev *x = a, *y = b;

	if (x->rule != y->rule)
		return x->rule < y->rule ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/*
 * Group the events by rule (a counting sort), keeping each rule's
 * clusters in the order they were made: by ascending end, as Hyperscan
 * reports ends in order. qsort only if that order does not hold.
 */
static void dlp_ev_sort(struct dlp_engine *e)
{
	struct dlp_ev *t;
	size_t off = 0;

	for (size_t i = 0; i < e->n; i++)
		e->rules[i].evn = 0;
	for (size_t i = 0; i < e->nev; i++)
		e->rules[e->ev[i].rule].evn++;
	for (size_t i = 0; i < e->n; i++) {
		size_t c = e->rules[i].evn;

		e->rules[i].evn = off;
		off += c;
	}
	for (size_t i = 0; i < e->nev; i++)
		e->ev_tmp[e->rules[e->ev[i].rule].evn++] = e->ev[i];
	t = e->ev;
	e->ev = e->ev_tmp;
	e->ev_tmp = t;
	for (size_t i = 1; i < e->nev; i++)
		if (e->ev[i].rule == e->ev[i - 1].rule &&
		    e->ev[i].pos <= e->ev[i - 1].pos) {
			qsort(e->ev, e->nev, sizeof(*e->ev), dlp_ev_cmp);
			break;
		}
}

/* Start ascending, then the longer first, then the earlier rule. */
static bool dlp_cand_before(const struct dlp_cand *x, const struct dlp_cand *y)
{
	if (x->start != y->start)
		return x->start < y->start;
	if (x->end != y->end)
		return x->end > y->end;
	return x->rule < y->rule;
}

/* The end of the sorted run of a[0..n) that starts at i. */
static size_t dlp_cand_run(const struct dlp_cand *a, size_t i, size_t n)
{
	while (++i < n && !dlp_cand_before(&a[i], &a[i - 1]))
		;
	return i;
}

/* Merge the sorted a[0..n) and b[0..m) into out. */
static void dlp_cand_merge(const struct dlp_cand *a, size_t n,
			   const struct dlp_cand *b, size_t m,
			   struct dlp_cand *out)
{
	size_t i = 0, j = 0, k = 0;

	while (i < n && j < m)
		out[k++] = dlp_cand_before(&b[j], &a[i]) ? b[j++] : a[i++];
	while (i < n)
		out[k++] = a[i++];
	while (j < m)
		out[k++] = b[j++];
}

/*
 * Sort the candidates: each rule adds a sorted run, so merging
 * neighbouring runs until one is left takes a few linear passes.
 */
static void dlp_cand_sort(struct dlp_engine *e)
{
	struct dlp_cand *src = e->cand, *dst = e->cand_tmp, *t;
	size_t n = e->ncand, runs = 2;

	if (dlp_cand_run(src, 0, n) == n)
		return;
	while (runs > 1) {
		size_t i = 0;

		for (runs = 0; i < n; runs++) {
			size_t j = dlp_cand_run(src, i, n);
			size_t k = j < n ? dlp_cand_run(src, j, n) : j;

			dlp_cand_merge(src + i, j - i, src + j, k - j, dst + i);
			i = k;
		}
		t = src;
		src = dst;
		dst = t;
	}
	e->cand_tmp = dst;
	e->cand = src;
}

/* Higher priority, then the longer span, then the earlier rule. */
static bool dlp_better(const struct dlp_engine *e, const struct dlp_cand *a,
		       const struct dlp_cand *b)
{
	int pa = e->rules[a->rule].prio, pb = e->rules[b->rule].prio;

	if (pa != pb)
		return pa > pb;
	if (a->end - a->start != b->end - b->start)
		return a->end - a->start > b->end - b->start;
	return a->rule < b->rule;
}

static int dlp_emit(const struct dlp_engine *e, const struct dlp_cand *best,
		    size_t s, size_t end, dlp_finding_cb cb, void *arg)
{
	struct dlp_finding f = {
		.rule = e->rules[best->rule].name,
		.display = e->rules[best->rule].display,
		.start = s,
		.end = end,
		.secret = e->rules[best->rule].family == DLP_FAM_KEY,
	};

	return cb(&f, arg);
}

/* Merge overlapping candidates; each cluster is one finding. */
static int dlp_resolve(struct dlp_engine *e, dlp_finding_cb cb, void *arg)
{
	const struct dlp_cand *best;
	size_t s, end;
	int rc;

	if (e->ncand == 0)
		return 0;
	dlp_cand_sort(e);
	best = &e->cand[0];
	s = best->start;
	end = best->end;
	for (size_t i = 1; i < e->ncand; i++) {
		const struct dlp_cand *c = &e->cand[i];

		if (c->start < end) {
			if (c->end > end)
				end = c->end;
			if (dlp_better(e, c, best))
				best = c;
			continue;
		}
		rc = dlp_emit(e, best, s, end, cb, arg);
		if (rc != 0)
			return rc;
		best = c;
		s = c->start;
		end = c->end;
	}
	return dlp_emit(e, best, s, end, cb, arg);
}

int dlp_scan(struct dlp_engine *e, const char *text, size_t len,
	     dlp_finding_cb cb, void *arg)
{
	size_t k = 0;
	int rc = 0;

	e->ncand = 0;
	if (len > DLP_TEXT_MAX)
		return -E2BIG;
	if (text == NULL)
		text = "";
	dlp_filter_prepare(e, len);
	if (e->db != NULL)
		rc = dlp_hs_scan(e, text, len);
	if (e->db != NULL && !e->ev_overflow)
		dlp_ev_sort(e);
	for (uint32_t i = 0; rc == 0 && i < e->n; i++)
		rc = dlp_rule_run(e, i, text, len, &k);
	if (rc == 0)
		rc = dlp_resolve(e, cb, arg);
	e->ncand = 0;
	return rc;
}

struct dlp_redact_ctx {
	const char *text;
	struct buf *out;
	size_t pos, n;
};

static int dlp_redact_one(const struct dlp_finding *f, void *arg)
{
	struct dlp_redact_ctx *c = arg;
	int rc;

	rc = buf_append(c->out, c->text + c->pos, f->start - c->pos);
	if (rc == 0)
		rc = buf_printf(c->out, "[REDACTED:%s]", f->display);
	c->pos = f->end;
	c->n++;
	return rc;
}

int dlp_redact(struct dlp_engine *e, const char *text, size_t len,
	       struct buf *out, struct dlp_stats *st)
{
	struct dlp_redact_ctx c = { .text = text ? text : "", .out = out };
	size_t before = out->len;
	int rc;

	rc = dlp_scan(e, text, len, dlp_redact_one, &c);
	if (rc == 0)
		rc = buf_append(out, c.text + c.pos, len - c.pos);
	if (rc == 0 && st != NULL) {
		st->findings += c.n;
		st->bytes_in += len;
		st->bytes_out += out->len - before;
	}
	return rc;
}
