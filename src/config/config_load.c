/*
 * Table-driven loading: apply defaults, read each known key with its typed
 * reader (after ${VAR} expansion), warn about unknown keys, and release
 * everything a table describes.
 *
 * Internal functions return 0, -EINVAL after reporting a problem in the
 * diag (loading then continues with the next key, so that one run shows
 * every problem), or another negative errno that stops everything.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "config/config_internal.h"

_Static_assert(sizeof(enum config_dlp_mode) == sizeof(int) &&
		       sizeof(enum config_security_mode) == sizeof(int),
	       "CONFIG_K_ENUM stores enums through an int");

static bool config_fatal(int r)
{
	return r < 0 && r != -EINVAL;
}

void config_where(char *w, size_t n, const char *where, const char *key)
{
	snprintf(w, n, "%s%s%s", where, *where ? "." : "", key);
}

void config_where_idx(char *w, size_t n, const char *where, size_t i)
{
	int k = snprintf(w, n, "%s[%zu]", where, i);

	if (k < 0 && n > 0)
		w[0] = '\0';
}

int config_strmap_set(struct config_strmap *m, const char *k, const char *v)
{
	char *nk = NULL, *nv = strdup(v);
	char **p;

	if (nv == NULL)
		goto out;
	for (size_t i = 0; i < m->n; i++) {
		if (strcmp(m->keys[i], k) == 0) {
			free(m->vals[i]);
			m->vals[i] = nv;
			return 0;
		}
	}
	nk = strdup(k);
	if (nk == NULL)
		goto out;
	p = realloc(m->keys, (m->n + 1) * sizeof(*p));
	if (p == NULL)
		goto out;
	m->keys = p;
	p = realloc(m->vals, (m->n + 1) * sizeof(*p));
	if (p == NULL)
		goto out;
	m->vals = p;
	m->keys[m->n] = nk;
	m->vals[m->n++] = nv;
	return 0;
out:
	free(nk);
	free(nv);
	return -ENOMEM;
}

void config_strmap_release(struct config_strmap *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->keys[i]);
		free(m->vals[i]);
	}
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

static int config_list_dup(const char *const *src, char ***out)
{
	size_t n = 0;
	char **v;

	while (src[n] != NULL)
		n++;
	v = calloc(n + 1, sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		v[i] = strdup(src[i]);
		if (v[i] == NULL) {
			ydoc_strlist_free(v);
			return -ENOMEM;
		}
	}
	*out = v;
	return 0;
}

static int config_default_field(const struct config_field *f, void *obj)
{
	void *p = config_at(obj, f->off);
	int r = 0;

	switch (f->kind) {
	case CONFIG_K_STR:
		if (f->def_s != NULL)
			*(char **)p = strdup(f->def_s);
		if (f->def_s != NULL && *(char **)p == NULL)
			r = -ENOMEM;
		break;
	case CONFIG_K_BOOL:
		*(bool *)p = f->def_i != 0;
		break;
	case CONFIG_K_INT:
	case CONFIG_K_DUR:
	case CONFIG_K_SIZE:
	case CONFIG_K_MODE:
		*(int64_t *)p = f->def_i;
		break;
	case CONFIG_K_ENUM:
		*(int *)p = (int)f->def_i;
		break;
	case CONFIG_K_LIST:
		if (f->def_l != NULL)
			r = config_list_dup(f->def_l, (char ***)p);
		break;
	case CONFIG_K_MAP:
		for (size_t i = 0; f->def_l && f->def_l[i] && r == 0; i += 2)
			r = config_strmap_set(p, f->def_l[i], f->def_l[i + 1]);
		break;
	case CONFIG_K_SECTION:
		r = config_defaults(f->sub, obj);
		break;
	default:
		break;
	}
	return r;
}

int config_defaults(const struct config_section *sec, void *obj)
{
	for (const struct config_field *f = sec->fields; f->key; f++) {
		int r = config_default_field(f, obj);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Free the items of an ITEMS or NAMED field and empty it. */
static void config_release_items(const struct config_field *f, void *obj)
{
	size_t *count = config_at(obj, f->count_off);
	char *items;

	memcpy(&items, config_at(obj, f->off), sizeof(items));
	for (size_t i = 0; items != NULL && i < *count; i++) {
		void *it = items + i * f->item_size;

		config_release(f->sub, it);
		if (f->kind == CONFIG_K_NAMED)
			free(*(char **)it);
	}
	free(items);
	items = NULL;
	memcpy(config_at(obj, f->off), &items, sizeof(items));
	*count = 0;
}

void config_release(const struct config_section *sec, void *obj)
{
	if (sec->release != NULL)
		sec->release(obj);
	for (const struct config_field *f = sec->fields; f->key; f++) {
		void *p = config_at(obj, f->off);

		switch (f->kind) {
		case CONFIG_K_STR:
			free(*(char **)p);
			*(char **)p = NULL;
			break;
		case CONFIG_K_LIST:
			ydoc_strlist_free(*(char ***)p);
			*(char ***)p = NULL;
			break;
		case CONFIG_K_INTLIST:
			free(*(int64_t **)p);
			*(int64_t **)p = NULL;
			*(size_t *)config_at(obj, f->count_off) = 0;
			break;
		case CONFIG_K_MAP:
			config_strmap_release(p);
			break;
		case CONFIG_K_SECTION:
			config_release(f->sub, obj);
			break;
		case CONFIG_K_ITEMS:
		case CONFIG_K_NAMED:
			config_release_items(f, obj);
			break;
		default:
			break;
		}
	}
}

/* n with ${VAR} expanded: *tmp (value owned by *x) when it changed. */
static int config_expanded(struct config_ctx *c, const struct ydoc_node *n,
			   bool raw, struct ydoc_node *tmp, char **x,
			   const struct ydoc_node **out)
{
	int r = 0;

	*x = NULL;
	*out = n;
	if (!raw)
		r = config_expand(c, n, x);
	if (r == 0 && *x != NULL) {
		*tmp = *n;
		tmp->str = *x;
		tmp->len = strlen(*x);
		*out = tmp;
	}
	return r;
}

/* Read a scalar as a string, expanding ${VAR} unless raw. */
static int config_read_str(struct config_ctx *c, const struct ydoc_node *n,
			   bool raw, const char *where, char **out)
{
	struct ydoc_node tmp;
	const struct ydoc_node *v;
	char *x;
	int r;

	*out = NULL;
	r = config_expanded(c, n, raw, &tmp, &x, &v);
	if (r == 0)
		r = ydoc_get_str(c->doc, v, where, out, c->d);
	free(x);
	return r;
}

/* The enum name closest to s, if s looks like a typo of it. */
static const char *config_enum_hint(const struct config_enum_val *en,
				    const char *s)
{
	const char *best = NULL;
	int bestd = 3;

	for (size_t i = 0; en[i].name != NULL; i++) {
		int dist = str_edit_distance(s, en[i].name);

		if (!en[i].hidden && dist > 0 && dist < bestd) {
			best = en[i].name;
			bestd = dist;
		}
	}
	return best;
}

static int config_read_enum(struct config_ctx *c, const struct config_field *f,
			    const struct ydoc_node *v, int *p,
			    const char *where)
{
	char exp[512];
	const char *hint;

	if (v->kind == YDOC_SCALAR && !ydoc_is_null(v) &&
	    config_enum_parse(f->en, v->str, p) == 0)
		return 0;
	config_enum_expect(f->en, exp, sizeof(exp));
	if (v->kind != YDOC_SCALAR || ydoc_is_null(v)) {
		config_report(c, v, NULL, DIAG_ERROR, "wrong-type",
			      "%s must be one of: %s", where, exp);
		return -EINVAL;
	}
	hint = config_enum_hint(f->en, v->str);
	config_report(c, v, NULL, DIAG_ERROR, "bad-enum",
		      "%s: unknown value '%s' (expected one of: %s)%s%s%s",
		      where, v->str, exp, hint ? "; did you mean '" : "",
		      hint ? hint : "", hint ? "'?" : "");
	return -EINVAL;
}

/* Permission bits, always octal like chmod: "0660", "660", "0o660". */
static int config_read_mode(struct config_ctx *c, const struct ydoc_node *v,
			    int64_t *p, const char *where)
{
	const char *s = v->kind == YDOC_SCALAR ? v->str : "";
	int64_t m = 0;
	size_t i = 0;

	if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
		s += 2;
	while (s[i] >= '0' && s[i] <= '7' && m <= 07777)
		m = m * 8 + (s[i++] - '0');
	if (i > 0 && s[i] == '\0' && m <= 07777) {
		*p = m;
		return 0;
	}
	config_report(c, v, NULL, DIAG_ERROR, "bad-mode",
		      "%s must be octal permission bits such as 0660 or 0600",
		      where);
	return -EINVAL;
}

static int config_set_scalar(struct config_ctx *c, const struct config_field *f,
			     const struct ydoc_node *v, void *p,
			     const char *where)
{
	char *s = NULL;
	int r;

	switch (f->kind) {
	case CONFIG_K_STR:
		r = ydoc_get_str(c->doc, v, where, &s, c->d);
		if (r == 0) {
			free(*(char **)p);
			*(char **)p = *s ? s : NULL;
			if (*s == '\0')
				free(s);
		}
		return r;
	case CONFIG_K_BOOL:
		return ydoc_get_bool(c->doc, v, where, p, c->d);
	case CONFIG_K_INT:
		return ydoc_get_i64(c->doc, v, where, f->min, f->max, p, c->d);
	case CONFIG_K_DUR:
		return ydoc_get_duration(c->doc, v, where, p, c->d);
	case CONFIG_K_SIZE:
		return ydoc_get_size(c->doc, v, where, p, c->d);
	case CONFIG_K_ENUM:
		return config_read_enum(c, f, v, p, where);
	case CONFIG_K_MODE:
		return config_read_mode(c, v, p, where);
	default:
		return -EINVAL;
	}
}

static int config_load_scalar(struct config_ctx *c,
			      const struct config_field *f,
			      const struct ydoc_node *n, void *p,
			      const char *where)
{
	struct ydoc_node tmp;
	const struct ydoc_node *v;
	char *x;
	int r;

	r = config_expanded(c, n, (f->flags & CONFIG_F_RAW) != 0, &tmp, &x,
			    &v);
	if (r == 0)
		r = config_set_scalar(c, f, v, p, where);
	free(x);
	return r;
}

/* Refuse absurdly long lists and maps (n is a SEQ or MAP) and keys. */
static int config_check_count(struct config_ctx *c, const struct ydoc_node *n,
			      const char *where)
{
	if (n->n > CONFIG_MAX_ITEMS) {
		config_report(c, n, NULL, DIAG_ERROR, "too-many",
			      "%s has more than %d entries", where,
			      CONFIG_MAX_ITEMS);
		return -EINVAL;
	}
	for (size_t i = 0; n->kind == YDOC_MAP && i < n->n; i++) {
		if (n->items[2 * i]->len <= CONFIG_KEY_MAX)
			continue;
		config_report(c, n->items[2 * i], NULL, DIAG_ERROR,
			      "key-too-long", "%s: key is longer than %d bytes",
			      where, CONFIG_KEY_MAX);
		return -EINVAL;
	}
	return 0;
}

static int config_load_list(struct config_ctx *c, const struct config_field *f,
			    const struct ydoc_node *n, char ***p,
			    const char *where)
{
	char w[YDOC_WHERE_MAX];
	char **v;
	int r = 0;

	if (ydoc_is_null(n)) {
		ydoc_strlist_free(*p);
		*p = NULL;
		return 0;
	}
	if (ydoc_want_seq(c->doc, n, where, c->d) < 0 ||
	    config_check_count(c, n, where) < 0)
		return -EINVAL;
	v = calloc(n->n + 1, sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	for (size_t i = 0; r == 0 && i < n->n; i++) {
		config_where_idx(w, sizeof(w), where, i);
		r = config_read_str(c, n->items[i],
				    (f->flags & CONFIG_F_RAW) != 0, w, &v[i]);
	}
	if (r < 0) {
		ydoc_strlist_free(v);
		return r;
	}
	ydoc_strlist_free(*p);
	*p = v;
	return 0;
}

static int config_load_intlist(struct config_ctx *c,
			       const struct config_field *f,
			       const struct ydoc_node *n, void *obj,
			       const char *where)
{
	int64_t **p = config_at(obj, f->off), *v;
	char w[YDOC_WHERE_MAX];
	int r = 0;

	if (!ydoc_is_null(n) && (ydoc_want_seq(c->doc, n, where, c->d) < 0 ||
				 config_check_count(c, n, where) < 0))
		return -EINVAL;
	v = calloc(ydoc_is_null(n) ? 1 : n->n + 1, sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	for (size_t i = 0; r == 0 && !ydoc_is_null(n) && i < n->n; i++) {
		struct ydoc_node tmp;
		const struct ydoc_node *e;
		char *x;

		config_where_idx(w, sizeof(w), where, i);
		r = config_expanded(c, n->items[i], false, &tmp, &x, &e);
		if (r == 0)
			r = ydoc_get_i64(c->doc, e, w, f->min, f->max, &v[i],
					 c->d);
		free(x);
	}
	if (r < 0) {
		free(v);
		return r;
	}
	free(*p);
	*p = v;
	*(size_t *)config_at(obj, f->count_off) = ydoc_is_null(n) ? 0 : n->n;
	return 0;
}

/* Entries of a string map replace defaults of the same name. */
static int config_load_map(struct config_ctx *c, const struct config_field *f,
			   const struct ydoc_node *n, struct config_strmap *m,
			   const char *where)
{
	char w[YDOC_WHERE_MAX];
	int r = 0;

	if (ydoc_is_null(n))
		return 0;
	if (ydoc_want_map(c->doc, n, where, c->d) < 0 ||
	    config_check_count(c, n, where) < 0)
		return -EINVAL;
	for (size_t i = 0; i < n->n && !config_fatal(r); i++) {
		const char *k = n->items[2 * i]->str;
		char *s = NULL;

		config_where(w, sizeof(w), where, k);
		r = config_read_str(c, n->items[2 * i + 1],
				    (f->flags & CONFIG_F_RAW) != 0, w, &s);
		if (r == 0)
			r = config_strmap_set(m, k, s);
		free(s);
	}
	return config_fatal(r) ? r : 0;
}

/* Load a list of structs (ITEMS) or a map of named structs (NAMED). */
static int config_load_items(struct config_ctx *c,
			     const struct config_field *f,
			     const struct ydoc_node *n, void *obj,
			     const char *where)
{
	bool named = f->kind == CONFIG_K_NAMED;
	char w[YDOC_WHERE_MAX];
	char *items;
	int r = 0;

	if (ydoc_is_null(n))
		return 0;
	if ((named ? ydoc_want_map(c->doc, n, where, c->d)
		   : ydoc_want_seq(c->doc, n, where, c->d)) < 0 ||
	    config_check_count(c, n, where) < 0)
		return -EINVAL;
	config_release_items(f, obj);
	items = calloc(n->n ? n->n : 1, f->item_size);
	if (items == NULL)
		return -ENOMEM;
	memcpy(config_at(obj, f->off), &items, sizeof(items));
	*(size_t *)config_at(obj, f->count_off) = n->n;
	for (size_t i = 0; i < n->n && !config_fatal(r); i++) {
		void *it = items + i * f->item_size;
		const struct ydoc_node *v = named ? n->items[2 * i + 1]
						  : n->items[i];

		if (named) {
			*(char **)it = strdup(n->items[2 * i]->str);
			if (*(char **)it == NULL)
				return -ENOMEM;
			config_where(w, sizeof(w), where, *(char **)it);
		} else {
			config_where_idx(w, sizeof(w), where, i);
		}
		r = config_defaults(f->sub, it);
		if (r == 0)
			r = config_load_section(c, v, f->sub, it, w);
	}
	return config_fatal(r) ? r : 0;
}

static int config_load_field(struct config_ctx *c,
			     const struct config_field *f,
			     const struct ydoc_node *n, void *obj,
			     const char *where)
{
	switch (f->kind) {
	case CONFIG_K_LIST:
		return config_load_list(c, f, n, config_at(obj, f->off), where);
	case CONFIG_K_INTLIST:
		return config_load_intlist(c, f, n, obj, where);
	case CONFIG_K_MAP:
		return config_load_map(c, f, n, config_at(obj, f->off), where);
	case CONFIG_K_SECTION:
		return config_load_section(c, n, f->sub, obj, where);
	case CONFIG_K_ITEMS:
	case CONFIG_K_NAMED:
		return config_load_items(c, f, n, obj, where);
	case CONFIG_K_ALIAS:
		return 0;
	default:
		return config_load_scalar(c, f, n, config_at(obj, f->off),
					  where);
	}
}

const struct config_field *config_field_by_key(
	const struct config_section *sec, const char *key)
{
	for (const struct config_field *f = sec->fields; f->key; f++) {
		if (strcmp(f->key, key) == 0)
			return f;
	}
	return NULL;
}

static const struct ydoc_node *config_key_node(const struct ydoc_node *map,
					       const char *key)
{
	for (size_t i = 0; map != NULL && i < map->n; i++) {
		if (strcmp(map->items[2 * i]->str, key) == 0)
			return map->items[2 * i];
	}
	return NULL;
}

const struct ydoc_node *config_field_node(const struct config_section *sec,
					  const struct ydoc_node *map,
					  const char *key)
{
	const struct ydoc_node *n;

	if (map == NULL || map->kind != YDOC_MAP)
		return NULL;
	n = ydoc_map_get(map, key);
	for (const struct config_field *f = sec->fields; !n && f->key; f++) {
		if (f->kind == CONFIG_K_ALIAS && strcmp(f->alias_of, key) == 0)
			n = ydoc_map_get(map, f->key);
	}
	return n;
}

/* A legacy key: use its value for the real key unless that is set too. */
static int config_load_alias(struct config_ctx *c,
			     const struct config_section *sec,
			     const struct ydoc_node *map,
			     const struct config_field *f, void *obj,
			     const char *where)
{
	const struct config_field *t = config_field_by_key(sec, f->alias_of);
	const struct ydoc_node *k = config_key_node(map, f->key);
	const char *in = *where ? where : "the top level";
	char w[YDOC_WHERE_MAX], tw[YDOC_WHERE_MAX];

	config_where(w, sizeof(w), where, f->key);
	config_where(tw, sizeof(tw), where, f->alias_of);
	if (ydoc_map_get(map, f->alias_of) != NULL) {
		config_report(c, k, NULL, DIAG_WARNING, "legacy-key",
			      "'%s' in %s is ignored: it is a legacy name for "
			      "'%s', which is also set", f->key, in,
			      f->alias_of);
		return 0;
	}
	config_report(c, k, NULL, DIAG_WARNING, "legacy-key",
		      "'%s' in %s is a legacy name for '%s'; its value is "
		      "used as %s (rename the key)", f->key, in, f->alias_of,
		      tw);
	return config_load_field(c, t, ydoc_map_get(map, f->key), obj, w);
}

int config_load_section(struct config_ctx *c, const struct ydoc_node *map,
			const struct config_section *sec, void *obj,
			const char *where)
{
	const char *known[CONFIG_MAX_FIELDS + 1];
	const char *in = *where ? where : "the top level";
	char w[YDOC_WHERE_MAX];
	size_t k = 0;
	int r = 0;

	if (map == NULL || ydoc_is_null(map))
		return 0;
	if (ydoc_want_map(c->doc, map, *where ? where : "the config", c->d))
		return -EINVAL;
	for (const struct config_field *f = sec->fields; f->key; f++)
		if (k < CONFIG_MAX_FIELDS)
			known[k++] = f->key;
	known[k] = NULL;
	ydoc_check_keys(c->doc, map, known, sec->suggest, in, DIAG_WARNING,
			c->d);
	for (const struct config_field *f = sec->fields; f->key; f++) {
		const struct ydoc_node *n = ydoc_map_get(map, f->key);

		if (n == NULL)
			continue;
		config_where(w, sizeof(w), where, f->key);
		if (f->kind == CONFIG_K_ALIAS)
			r = config_load_alias(c, sec, map, f, obj, where);
		else
			r = config_load_field(c, f, n, obj, w);
		if (config_fatal(r))
			return r;
	}
	return 0;
}
