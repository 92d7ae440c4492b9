/* TOML definitions in a rule file: no key or table is defined twice, and
 * no name is both a key, a table and an array of tables. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dlp/dlp_rf_int.h"

void dlp_rf_defs_init(struct dlp_rf_defs *s)
{
	s->n = 0;
	buf_init(&s->cur, DLP_RF_PATH_MAX);
	s->valid = true;
}

void dlp_rf_defs_release(struct dlp_rf_defs *s)
{
	while (s->n > 0)
		free(s->v[--s->n].path);
	buf_release(&s->cur);
}

static struct dlp_rf_def *dlp_rf_defs_find(struct dlp_rf_defs *s,
					   const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i].len == n && memcmp(s->v[i].path, p, n) == 0)
			return &s->v[i];
	return NULL;
}

/* Append the parts of k to b, each ending in a NUL byte. */
static int dlp_rf_defs_path(struct buf *b, const struct dlp_rf_key *k)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < k->n && rc == 0; i++)
		rc = buf_append(b, k->parts[i].data, k->parts[i].len + 1);
	return rc;
}

static int dlp_rf_defs_add(struct dlp_rf_defs *s, struct dlp_rf_cur *c,
			   const struct dlp_rf_key *k, char kind,
			   const struct buf *p)
{
	char *copy;

	if (s->n == DLP_RF_DEFS_MAX) {
		dlp_rf_err(c, k->line, k->col, "toml-limit",
			   "more than %d keys and tables", DLP_RF_DEFS_MAX);
		return -E2BIG;
	}
	copy = malloc(p->len);
	if (copy == NULL)
		return -ENOMEM;
	memcpy(copy, p->data, p->len);
	s->v[s->n].kind = kind;
	s->v[s->n].path = copy;
	s->v[s->n].len = p->len;
	s->n++;
	return 0;
}

/* Forget what is inside the array p's previous element. */
static void dlp_rf_defs_forget(struct dlp_rf_defs *s, const struct buf *p)
{
	size_t i = 0;

	while (i < s->n) {
		if (s->v[i].len > p->len &&
		    memcmp(s->v[i].path, p->data, p->len) == 0) {
			free(s->v[i].path);
			s->v[i] = s->v[--s->n];
		} else {
			i++;
		}
	}
}

/* Why the table p (named k; [[k]] when arr) cannot be entered, or NULL. */
static const char *dlp_rf_defs_clash(struct dlp_rf_defs *s,
				     const struct dlp_rf_key *k,
				     const struct buf *p, bool arr)
{
	const struct dlp_rf_def *e;
	size_t i, n = 0;

	for (i = 0; i + 1 < k->n; i++) {
		n += k->parts[i].len + 1;
		e = dlp_rf_defs_find(s, p->data, n);
		if (e != NULL && e->kind == 'K')
			return "a part of the table name is already a key";
	}
	e = dlp_rf_defs_find(s, p->data, p->len);
	if (e != NULL && e->kind == 'K')
		return "the table name is already a key";
	if (e != NULL && e->kind == 'T')
		return arr ? "the name is already a table" :
			     "table defined twice";
	if (e != NULL && !arr)
		return "the name is already an array of tables";
	for (i = 0; e == NULL && arr && i < s->n; i++)
		if (s->v[i].len > p->len &&
		    memcmp(s->v[i].path, p->data, p->len) == 0)
			return "the name is already a table";
	return NULL;
}

int dlp_rf_defs_table(struct dlp_rf_defs *s, struct dlp_rf_cur *c,
		      const struct dlp_rf_key *k, bool arr)
{
	const char *why;
	int rc;

	s->valid = false;
	buf_reset(&s->cur);
	rc = dlp_rf_defs_path(&s->cur, k);
	if (rc < 0)
		return rc;
	why = dlp_rf_defs_clash(s, k, &s->cur, arr);
	if (why != NULL) {
		dlp_rf_err(c, k->line, k->col, "toml-dup-table", "%s", why);
		return -EINVAL;
	}
	/* [[k]] again: a new element of the array */
	if (dlp_rf_defs_find(s, s->cur.data, s->cur.len) != NULL) {
		dlp_rf_defs_forget(s, &s->cur);
		rc = 1;
	} else if ((rc = dlp_rf_defs_add(s, c, k, arr ? 'A' : 'T',
					 &s->cur)) < 0) {
		return rc;
	}
	s->valid = true;
	return rc;
}

int dlp_rf_defs_key(struct dlp_rf_defs *s, struct dlp_rf_cur *c,
		    const struct dlp_rf_key *k)
{
	const struct dlp_rf_def *e;
	size_t len = s->cur.len;
	int rc;

	if (!s->valid)
		return 0;
	rc = dlp_rf_defs_path(&s->cur, k);
	e = rc == 0 ? dlp_rf_defs_find(s, s->cur.data, s->cur.len) : NULL;
	if (e != NULL) {
		dlp_rf_err(c, k->line, k->col, "toml-dup-key",
			   e->kind == 'K' ? "key '%s' defined twice" :
			   "key '%s' is already a table", k->parts[0].data);
		rc = -EINVAL;
	}
	if (rc == 0)
		rc = dlp_rf_defs_add(s, c, k, 'K', &s->cur);
	s->cur.len = len;
	if (s->cur.data != NULL)
		s->cur.data[len] = '\0';
	return rc;
}
