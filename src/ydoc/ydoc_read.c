/* Typed readers over a ydoc tree, each reporting errors at the node. */
#include "ydoc/ydoc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/str.h"

static const char *kind_name(const struct ydoc_node *n)
{
	if (n == NULL)
		return "nothing";
	switch (n->kind) {
	case YDOC_MAP:
		return "a mapping";
	case YDOC_SEQ:
		return "a list";
	default:
		return ydoc_is_null(n) ? "null" : "a scalar";
	}
}

bool ydoc_is_null(const struct ydoc_node *n)
{
	if (n == NULL || n->kind != YDOC_SCALAR || n->quoted)
		return false;
	return n->len == 0 || strcmp(n->str, "~") == 0 ||
	       strcasecmp(n->str, "null") == 0;
}

const struct ydoc_node *ydoc_map_get(const struct ydoc_node *map,
				     const char *key)
{
	if (map == NULL || map->kind != YDOC_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++) {
		if (strcmp(map->items[2 * i]->str, key) == 0)
			return map->items[2 * i + 1];
	}
	return NULL;
}

__attribute__((format(printf, 6, 0)))
static void ydoc_vreport(const struct ydoc *doc, const struct ydoc_node *node,
			 struct diag *d, enum diag_severity sev,
			 const char *code, const char *fmt, va_list ap)
{
	char msg[DIAG_MSG_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	diag_add(d, sev, ydoc_file(doc), node ? node->line : 0,
		 node ? node->col : 0, code, "%s", msg);
}

void ydoc_error(const struct ydoc *doc, const struct ydoc_node *node,
		struct diag *d, const char *code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ydoc_vreport(doc, node, d, DIAG_ERROR, code, fmt, ap);
	va_end(ap);
}

void ydoc_warn(const struct ydoc *doc, const struct ydoc_node *node,
	       struct diag *d, const char *code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ydoc_vreport(doc, node, d, DIAG_WARNING, code, fmt, ap);
	va_end(ap);
}

/* The known key closest to key, if it is close enough to be a typo. */
static const char *nearest_key(const char *key, const char *const *known,
			       const struct ydoc_alias *aliases)
{
	const char *best = NULL;
	int bestd = 3;
	size_t klen = strlen(key);

	for (size_t i = 0; aliases && aliases[i].wrong; i++) {
		if (strcmp(aliases[i].wrong, key) == 0)
			return aliases[i].right;
	}
	for (size_t i = 0; known[i]; i++) {
		int dist = str_edit_distance(key, known[i]);
		if (dist < bestd && (size_t)dist * 3 <= klen + 1) {
			best = known[i];
			bestd = dist;
		}
	}
	return best;
}

int ydoc_check_keys(const struct ydoc *doc, const struct ydoc_node *map,
		    const char *const *known, const struct ydoc_alias *aliases,
		    const char *where, enum diag_severity sev, struct diag *d)
{
	int unknown = 0;

	if (map == NULL || map->kind != YDOC_MAP)
		return 0;
	for (size_t i = 0; i < map->n; i++) {
		const struct ydoc_node *k = map->items[2 * i];
		const char *hint;
		size_t j;

		for (j = 0; known[j] && strcmp(known[j], k->str) != 0; j++)
			;
		if (known[j])
			continue;
		unknown++;
		hint = nearest_key(k->str, known, aliases);
		diag_add(d, sev, ydoc_file(doc), k->line, k->col, "unknown-key",
			 "unknown key '%s' in %s%s%s%s", k->str, where,
			 hint ? "; did you mean '" : "", hint ? hint : "",
			 hint ? "'?" : "");
	}
	return unknown;
}

int ydoc_want_map(const struct ydoc *doc, const struct ydoc_node *n,
		  const char *where, struct diag *d)
{
	if (n != NULL && n->kind == YDOC_MAP)
		return 0;
	ydoc_error(doc, n, d, "wrong-type", "%s must be a mapping, found %s",
		   where, kind_name(n));
	return -EINVAL;
}

int ydoc_want_seq(const struct ydoc *doc, const struct ydoc_node *n,
		  const char *where, struct diag *d)
{
	if (n != NULL && n->kind == YDOC_SEQ)
		return 0;
	ydoc_error(doc, n, d, "wrong-type", "%s must be a list, found %s",
		   where, kind_name(n));
	return -EINVAL;
}

static int want_scalar(const struct ydoc *doc, const struct ydoc_node *n,
		       const char *where, const char *what, struct diag *d)
{
	if (n != NULL && n->kind == YDOC_SCALAR && !ydoc_is_null(n))
		return 0;
	ydoc_error(doc, n, d, "wrong-type", "%s must be %s, found %s", where,
		   what, kind_name(n));
	return -EINVAL;
}

int ydoc_get_str(const struct ydoc *doc, const struct ydoc_node *n,
		 const char *where, char **out, struct diag *d)
{
	if (n != NULL && ydoc_is_null(n)) {
		*out = strdup("");
		return *out ? 0 : -ENOMEM;
	}
	if (want_scalar(doc, n, where, "a string", d) < 0)
		return -EINVAL;
	*out = strdup(n->str);
	return *out ? 0 : -ENOMEM;
}

int ydoc_get_bool(const struct ydoc *doc, const struct ydoc_node *n,
		  const char *where, bool *out, struct diag *d)
{
	static const char *const yes[] = {"true", "yes", "on", NULL};
	static const char *const no[] = {"false", "no", "off", NULL};

	if (want_scalar(doc, n, where, "true or false", d) < 0)
		return -EINVAL;
	for (size_t i = 0; yes[i]; i++) {
		if (!n->quoted && strcasecmp(n->str, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (!n->quoted && strcasecmp(n->str, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	ydoc_error(doc, n, d, "wrong-type", "%s must be true or false, not '%s'",
		   where, n->str);
	return -EINVAL;
}

int ydoc_get_i64(const struct ydoc *doc, const struct ydoc_node *n,
		 const char *where, int64_t min, int64_t max, int64_t *out,
		 struct diag *d)
{
	int r;

	if (want_scalar(doc, n, where, "a whole number", d) < 0)
		return -EINVAL;
	r = str_to_i64(n->str, min, max, out);
	if (r == -ERANGE) {
		ydoc_error(doc, n, d, "out-of-range",
			   "%s: %s is out of range (%lld to %lld)", where,
			   n->str, (long long)min, (long long)max);
		return -EINVAL;
	}
	if (r < 0) {
		ydoc_error(doc, n, d, "wrong-type",
			   "%s must be a whole number, not '%s'", where, n->str);
		return -EINVAL;
	}
	return 0;
}

int ydoc_get_duration(const struct ydoc *doc, const struct ydoc_node *n,
		      const char *where, int64_t *out_ms, struct diag *d)
{
	if (want_scalar(doc, n, where, "a duration", d) < 0)
		return -EINVAL;
	if (str_duration_ms(n->str, out_ms) == 0)
		return 0;
	ydoc_error(doc, n, d, "bad-duration",
		   "%s: invalid duration '%s' (use a number with a unit: "
		   "500ms, 30s, 5m, 1h, 7d, or combined like 1h30m)",
		   where, n->str);
	return -EINVAL;
}

int ydoc_get_size(const struct ydoc *doc, const struct ydoc_node *n,
		  const char *where, int64_t *out, struct diag *d)
{
	if (want_scalar(doc, n, where, "a size", d) < 0)
		return -EINVAL;
	if (str_size_bytes(n->str, out) == 0)
		return 0;
	ydoc_error(doc, n, d, "bad-size",
		   "%s: invalid size '%s' (use bytes or a unit: 512KB, 10MB, "
		   "5GB, 1GiB)", where, n->str);
	return -EINVAL;
}

void ydoc_strlist_free(char **list)
{
	if (list == NULL)
		return;
	for (size_t i = 0; list[i]; i++)
		free(list[i]);
	free(list);
}

int ydoc_get_strlist(const struct ydoc *doc, const struct ydoc_node *n,
		     const char *where, char ***out, size_t *count,
		     struct diag *d)
{
	char **v;
	char w[YDOC_WHERE_MAX];

	*out = NULL;
	*count = 0;
	if (n != NULL && ydoc_is_null(n))
		n = NULL;
	if (n != NULL && ydoc_want_seq(doc, n, where, d) < 0)
		return -EINVAL;
	v = calloc((n ? n->n : 0) + 1, sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	for (size_t i = 0; n && i < n->n; i++) {
		snprintf(w, sizeof(w), "%s[%zu]", where, i);
		if (want_scalar(doc, n->items[i], w, "a string", d) < 0 ||
		    (v[i] = strdup(n->items[i]->str)) == NULL) {
			ydoc_strlist_free(v);
			return -EINVAL;
		}
	}
	*out = v;
	*count = n ? n->n : 0;
	return 0;
}
