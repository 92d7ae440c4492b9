/* Routing on decoded path segments, and %-decoding of paths and queries. */
#include "api/http_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"

int http_pct_decode(const char *in, size_t n, char *out, bool plus_space,
		    size_t *out_len)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char ch = in[i];

		if (ch == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return -EINVAL;
			hi = str_hexval(in[i + 1]);
			lo = str_hexval(in[i + 2]);
			/* %00 would cut the C string short: refuse it. */
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return -EINVAL;
			ch = (char)(hi * 16 + lo);
			i += 2;
		} else if (ch == '+' && plus_space) {
			ch = ' ';
		} else if (ch == '\0') {
			return -EINVAL;
		}
		out[o++] = ch;
	}
	out[o] = '\0';
	*out_len = o;
	return 0;
}

void http_route_free(struct http_route_def *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nseg; i++)
		free(r->seg[i]);
	free(r);
}

static bool http_method_ok(const char *m)
{
	size_t n = strlen(m);

	if (n == 0 || n >= HTTP_METHOD_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = m[i];

		if (!((ch >= 'A' && ch <= 'Z') || ch == '-' || ch == '_'))
			return false;
	}
	return true;
}

/* A parameter "{name}" with name in [A-Za-z0-9_]+; literals avoid {}%?#. */
static int http_seg_kind(const char *s, size_t n)
{
	if (n >= 2 && s[0] == '{' && s[n - 1] == '}') {
		for (size_t i = 1; i + 1 < n; i++) {
			char ch = s[i];

			if (!((ch >= 'a' && ch <= 'z') ||
			      (ch >= 'A' && ch <= 'Z') ||
			      (ch >= '0' && ch <= '9') || ch == '_'))
				return -EINVAL;
		}
		return n > 2 ? 1 : -EINVAL;
	}
	if (memchr(s, '{', n) || memchr(s, '}', n) || memchr(s, '%', n) ||
	    memchr(s, '?', n) || memchr(s, '#', n))
		return -EINVAL;
	if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return -EINVAL;
	return 0;
}

static bool http_param_dup(const struct http_route_def *r, const char *name)
{
	for (size_t i = 0; i < r->nseg; i++) {
		if ((r->param_mask & (1u << i)) && strcmp(r->seg[i], name) == 0)
			return true;
	}
	return false;
}

/* Split a pattern into r's segments; parameters keep only their name. */
static int http_route_parse(struct http_route_def *r, const char *pattern)
{
	const char *s = pattern + 1;

	if (pattern[0] != '/')
		return -EINVAL;
	for (;;) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		int kind = http_seg_kind(s, n);

		if (kind < 0 || r->nseg == HTTP_ROUTE_SEGS_MAX)
			return -EINVAL;
		r->seg[r->nseg] = kind ? strndup(s + 1, n - 2) : strndup(s, n);
		if (r->seg[r->nseg] == NULL)
			return -ENOMEM;
		if (kind && http_param_dup(r, r->seg[r->nseg])) {
			free(r->seg[r->nseg]);
			return -EINVAL;
		}
		if (kind)
			r->param_mask |= 1u << r->nseg;
		r->nseg++;
		if (e == NULL)
			break;
		s = e + 1;
	}
	return 0;
}

/* Same method and same shape: literals equal, parameters anywhere alike. */
static bool http_route_same(const struct http_route_def *a,
			    const struct http_route_def *b)
{
	if (strcmp(a->method, b->method) != 0 || a->nseg != b->nseg ||
	    a->param_mask != b->param_mask)
		return false;
	for (size_t i = 0; i < a->nseg; i++) {
		if (!(a->param_mask & (1u << i)) &&
		    strcmp(a->seg[i], b->seg[i]) != 0)
			return false;
	}
	return true;
}

int http_route(struct http_server *srv, const char *method,
	       const char *pattern, http_handler fn, void *arg)
{
	struct http_route_def *r = NULL;
	int ret = -EINVAL;

	if (method == NULL || pattern == NULL || fn == NULL ||
	    !http_method_ok(method))
		goto out;
	ret = -ENOSPC;
	if (srv->nroutes == HTTP_ROUTES_MAX)
		goto out;
	ret = -ENOMEM;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		goto out;
	memcpy(r->method, method, strlen(method) + 1);
	r->fn = fn;
	r->arg = arg;
	ret = http_route_parse(r, pattern);
	if (ret < 0)
		goto out;
	for (size_t i = 0; i < srv->nroutes; i++) {
		if (http_route_same(srv->routes[i], r)) {
			ret = -EEXIST;
			goto out;
		}
	}
	srv->routes[srv->nroutes++] = r;
	r = NULL;
out:
	http_route_free(r);
	return ret;
}

static bool http_route_path_match(const struct http_route_def *r,
				  const struct http_req *req)
{
	if (r->nseg != req->nseg)
		return false;
	for (size_t i = 0; i < r->nseg; i++) {
		if (r->param_mask & (1u << i)) {
			if (req->seg[i][0] == '\0')
				return false;
		} else if (strcmp(r->seg[i], req->seg[i]) != 0) {
			return false;
		}
	}
	return true;
}

/* Higher for a literal at an earlier segment: the most specific route. */
static uint32_t http_route_score(const struct http_route_def *r)
{
	uint32_t score = 0;

	for (size_t i = 0; i < r->nseg; i++) {
		if (!(r->param_mask & (1u << i)))
			score |= 1u << (31 - i);
	}
	return score;
}

/* Add a method to the comma-separated Allow list unless present. */
static void http_allow_add(struct buf *allow, const char *m)
{
	size_t ml = strlen(m);
	const char *p = allow->data;

	while (p != NULL && *p != '\0') {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (n == ml && memcmp(p, m, n) == 0)
			return;
		p = e ? e + 2 : NULL;
	}
	if (allow->len > 0)
		buf_puts(allow, ", ");
	buf_puts(allow, m);
}

static void http_route_bind(struct http_req *req,
			    const struct http_route_def *r)
{
	req->nparam = 0;
	for (size_t i = 0; i < r->nseg; i++) {
		if (r->param_mask & (1u << i)) {
			req->param[req->nparam].name = r->seg[i];
			req->param[req->nparam].value = req->seg[i];
			req->nparam++;
		}
	}
}

int http_route_match(struct http_server *srv, struct http_req *req,
		     const struct http_route_def **out, struct buf *allow)
{
	const struct http_route_def *best = NULL;
	uint32_t best_score = 0;
	bool best_exact = false, any = false;
	bool head = strcmp(req->method, "HEAD") == 0;

	for (size_t i = 0; i < srv->nroutes; i++) {
		const struct http_route_def *r = srv->routes[i];
		bool exact;
		uint32_t score;

		if (!http_route_path_match(r, req))
			continue;
		any = true;
		http_allow_add(allow, r->method);
		if (strcmp(r->method, "GET") == 0)
			http_allow_add(allow, "HEAD");
		exact = strcmp(r->method, req->method) == 0;
		if (!exact && !(head && strcmp(r->method, "GET") == 0))
			continue;
		score = http_route_score(r);
		if (best == NULL || score > best_score ||
		    (score == best_score && exact && !best_exact)) {
			best = r;
			best_score = score;
			best_exact = exact;
		}
	}
	if (best == NULL)
		return any ? -EPERM : -ENOENT;
	req->head = head;
	http_route_bind(req, best);
	*out = best;
	return 0;
}

/* Split the raw query into decoded pairs; malformed pairs are skipped. */
static void http_query_parse(struct http_req *req)
{
	const char *s = req->query_raw;
	size_t len = strlen(s), npairs = 1;
	char *o;

	req->q_parsed = true;
	for (size_t i = 0; i < len; i++)
		npairs += s[i] == '&';
	req->qbuf = malloc(2 * (len + 1));
	req->q = calloc(npairs, sizeof(*req->q));
	if (req->qbuf == NULL || req->q == NULL)
		return;
	o = req->qbuf;
	while (*s != '\0') {
		const char *e = strchr(s, '&');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		const char *eq = memchr(s, '=', n);
		size_t nl = eq ? (size_t)(eq - s) : n, dn, dv = 0;
		char *name = o, *val;
		int r = nl > 0 ? http_pct_decode(s, nl, name, true, &dn) : -1;

		val = name + (r == 0 ? dn + 1 : 0);
		val[0] = '\0';
		if (r == 0 && eq != NULL)
			r = http_pct_decode(eq + 1, n - nl - 1, val, true, &dv);
		if (r == 0) {
			req->q[req->nq].name = name;
			req->q[req->nq++].value = val;
			o = val + dv + 1;
		}
		if (e == NULL)
			break;
		s = e + 1;
	}
}

const char *http_req_query(struct http_req *req, const char *name)
{
	if (!req->q_parsed)
		http_query_parse(req);
	for (size_t i = 0; i < req->nq; i++) {
		if (strcmp(req->q[i].name, name) == 0)
			return req->q[i].value;
	}
	return NULL;
}
