/*
 * The policy walker: one pass over a JSON text that validates it, tracks
 * the path of each value and the kind the policy tables give it, hands
 * the strings of scannable places to a callback, and copies every byte
 * the callback did not change verbatim.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm/llm_int.h"

struct llm_seg {
	const char *key; /* raw key bytes, NULL for an array index */
	size_t klen, idx;
};

struct llm_walker {
	struct llm_json j;
	llm_str_fn fn;
	void *arg;
	struct buf *out;
	size_t copied;
	bool changed;
	const char *prefix;
	int nseg;
	struct llm_seg seg[LLM_JSON_DEPTH_MAX + 2];
	struct buf dec, rep, key;
};

static int llm_walk_value(struct llm_walker *w, enum llm_kind k);

/* Append p[0..n) to the path at *at, truncating at LLM_JSON_PATH_MAX. */
static void llm_walk_put(char *path, size_t *at, const char *p, size_t n)
{
	size_t room = LLM_JSON_PATH_MAX - 1 - *at;

	if (n > room)
		n = room;
	memcpy(path + *at, p, n);
	*at += n;
}

/* The path of the current value, e.g. "messages[0].content[1].text";
 * truncated at LLM_JSON_PATH_MAX (written by hand: this is hot). */
static void llm_walk_path(const struct llm_walker *w, char *p)
{
	char num[24];
	size_t at = 0, k;

	if (w->prefix != NULL)
		llm_walk_put(p, &at, w->prefix, strlen(w->prefix));
	for (int i = 0; i < w->nseg; i++) {
		const struct llm_seg *s = &w->seg[i];
		size_t v = s->idx;

		if (s->key != NULL) {
			if (at > 0)
				llm_walk_put(p, &at, ".", 1);
			llm_walk_put(p, &at, s->key, s->klen);
			continue;
		}
		k = sizeof(num);
		num[--k] = ']';
		do
			num[--k] = (char)('0' + v % 10);
		while ((v /= 10) != 0);
		num[--k] = '[';
		llm_walk_put(p, &at, num + k, sizeof(num) - k);
	}
	p[at] = '\0';
}

/* Replace the bytes [s, e) of the text by the string w->rep. */
static int llm_walk_splice(struct llm_walker *w, size_t s, size_t e)
{
	int rc;

	if ((rc = buf_append(w->out, w->j.p + w->copied, s - w->copied)) < 0 ||
	    (rc = llm_json_encode(w->out, w->rep.data ? w->rep.data : "",
				  w->rep.len)) < 0)
		return rc;
	w->copied = e;
	w->changed = true;
	return 0;
}

/* A string holding JSON (str[0..n), decoded): walk its strings as tool
 * input; a string that is not JSON is scanned as a whole. */
static int llm_walk_embed(struct llm_walker *w, const char *path,
			  const char *str, size_t n)
{
	struct llm_walk_res r;
	struct buf o;
	int rc;

	buf_init(&o, LLM_BODY_MAX);
	rc = llm_walk(str, n, LLM_K_ALL, path, w->fn, w->arg, &o, &r);
	if (rc == -EINVAL || rc == -E2BIG) {
		buf_release(&o);
		return w->fn(w->arg, LLM_ACT_TOOL, path, str, n, &w->rep);
	}
	if (rc == 0 && r.changed) {
		buf_release(&w->rep);
		w->rep = o;
		return 1;
	}
	buf_release(&o);
	return rc;
}

/* A scannable string: one without escapes is handed over in place, any
 * other decoded into w->dec while it is validated. */
static int llm_walk_string(struct llm_walker *w, enum llm_kind k)
{
	char path[LLM_JSON_PATH_MAX];
	size_t s = w->j.pos, e, n;
	enum llm_act act = llm_policy_str(k);
	const char *str;
	int rc;

	if ((rc = llm_json_take_string(&w->j, &w->dec)) < 0)
		return rc;
	e = w->j.pos;
	buf_reset(&w->rep);
	str = w->j.p + s + 1;
	n = e - s - 2;
	if (w->j.esc) {
		str = w->dec.data;
		n = w->dec.len;
	}
	llm_walk_path(w, path);
	if (act == LLM_ACT_EMBED)
		rc = llm_walk_embed(w, path, str, n);
	else
		rc = w->fn(w->arg, act, path, str, n, &w->rep);
	if (rc == 1)
		rc = llm_walk_splice(w, s, e);
	return rc;
}

/* The decoded "type" member of the object at the cursor, "" if none. */
static void llm_walk_type(struct llm_walker *w, char *type)
{
	struct llm_span v;
	struct buf b;

	type[0] = '\0';
	if (llm_json_member(w->j.p, w->j.n, w->j.pos, "type", &v) != 1 ||
	    w->j.p[v.s] != '"')
		return;
	buf_init(&b, LLM_TYPE_MAX - 1);
	if (llm_json_decode(w->j.p + v.s, v.e - v.s, &b) == 0 && b.len > 0)
		memcpy(type, b.data, b.len + 1);
	buf_release(&b);
}

/* The key string at the cursor: validated, decoded into w->key. */
static int llm_walk_key(struct llm_walker *w, struct llm_seg *sg)
{
	size_t s = w->j.pos;
	int rc;

	if (w->j.pos >= w->j.n || w->j.p[w->j.pos] != '"')
		return llm_json_fail(&w->j, -EINVAL, "expected key");
	if ((rc = llm_json_skip_string(&w->j)) < 0)
		return rc;
	sg->key = w->j.p + s + 1;
	sg->klen = w->j.pos - s - 2;
	buf_reset(&w->key);
	if (llm_json_decode(w->j.p + s, w->j.pos - s, &w->key) < 0)
		buf_reset(&w->key); /* too long: matches no rule */
	llm_json_ws(&w->j);
	if (w->j.pos >= w->j.n || w->j.p[w->j.pos] != ':')
		return llm_json_fail(&w->j, -EINVAL, "expected ':'");
	w->j.pos++;
	return 0;
}

/* After a member or element: 1 at the close (stepped over), 0 after a
 * comma, <0 on anything else. */
static int llm_walk_sep(struct llm_walker *w, char close)
{
	llm_json_ws(&w->j);
	if (w->j.pos < w->j.n && w->j.p[w->j.pos] == ',') {
		w->j.pos++;
		llm_json_ws(&w->j);
		return 0;
	}
	if (w->j.pos < w->j.n && w->j.p[w->j.pos] == close) {
		w->j.pos++;
		w->j.depth--;
		return 1;
	}
	return llm_json_fail(&w->j, -EINVAL, "expected ',' or close");
}

/* Step into a container: depth bound, then 1 if it is empty. */
static int llm_walk_open(struct llm_walker *w, char close)
{
	if (++w->j.depth > LLM_JSON_DEPTH_MAX || w->nseg > LLM_JSON_DEPTH_MAX)
		return llm_json_fail(&w->j, -E2BIG, "nesting too deep");
	w->j.pos++;
	llm_json_ws(&w->j);
	if (w->j.pos < w->j.n && w->j.p[w->j.pos] == close) {
		w->j.pos++;
		w->j.depth--;
		return 1;
	}
	return 0;
}

static int llm_walk_object(struct llm_walker *w, enum llm_kind k)
{
	char type[LLM_TYPE_MAX];
	struct llm_seg *sg;
	enum llm_kind child;
	int rc;

	type[0] = '\0';
	if (llm_policy_typed(k))
		llm_walk_type(w, type);
	if ((rc = llm_walk_open(w, '}')) != 0)
		return rc < 0 ? rc : 0;
	do {
		sg = &w->seg[w->nseg];
		if ((rc = llm_walk_key(w, sg)) < 0)
			return rc;
		child = llm_policy_member(k, type, w->key.data ? w->key.data : "",
					  w->key.len);
		w->nseg++;
		rc = llm_walk_value(w, child);
		w->nseg--;
		if (rc < 0)
			return rc;
	} while ((rc = llm_walk_sep(w, '}')) == 0);
	return rc < 0 ? rc : 0;
}

static int llm_walk_array(struct llm_walker *w, enum llm_kind k)
{
	enum llm_kind elem = llm_policy_elem(k);
	size_t idx = 0;
	int rc;

	if ((rc = llm_walk_open(w, ']')) != 0)
		return rc < 0 ? rc : 0;
	do {
		w->seg[w->nseg] = (struct llm_seg){ .key = NULL, .idx = idx++ };
		w->nseg++;
		rc = llm_walk_value(w, elem);
		w->nseg--;
		if (rc < 0)
			return rc;
	} while ((rc = llm_walk_sep(w, ']')) == 0);
	return rc < 0 ? rc : 0;
}

static int llm_walk_value(struct llm_walker *w, enum llm_kind k)
{
	char c;

	llm_json_ws(&w->j);
	if (w->j.pos >= w->j.n)
		return llm_json_fail(&w->j, -EINVAL, "expected a value");
	c = w->j.p[w->j.pos];
	if (k == LLM_K_SKIP)
		return llm_json_skip_value(&w->j);
	if (c == '{')
		return llm_walk_object(w, k);
	if (c == '[')
		return llm_walk_array(w, k);
	if (c == '"' && llm_policy_str(k) != LLM_ACT_NONE)
		return llm_walk_string(w, k);
	return llm_json_skip_value(&w->j);
}

int llm_walk(const char *p, size_t n, enum llm_kind k, const char *prefix,
	     llm_str_fn fn, void *arg, struct buf *out,
	     struct llm_walk_res *r)
{
	struct llm_walker *w = calloc(1, sizeof(*w));
	int rc;

	memset(r, 0, sizeof(*r));
	if (w == NULL)
		return -ENOMEM;
	llm_json_init(&w->j, p, n);
	w->fn = fn;
	w->arg = arg;
	w->out = out;
	w->prefix = prefix;
	buf_init(&w->dec, LLM_BODY_MAX);
	buf_init(&w->rep, LLM_BODY_MAX);
	buf_init(&w->key, LLM_KEY_MAX);
	/* the output is about the input's size: one allocation up front */
	if ((rc = buf_reserve(out, n)) < 0 ||
	    (rc = llm_walk_value(w, k)) < 0 || (rc = llm_json_end(&w->j)) < 0)
		goto out;
	rc = buf_append(out, p + w->copied, n - w->copied);
	r->changed = w->changed;
out:
	r->err = w->j.err;
	r->err_off = w->j.err_off;
	buf_release(&w->dec);
	buf_release(&w->rep);
	buf_release(&w->key);
	free(w);
	return rc;
}
