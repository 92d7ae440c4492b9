/*
 * Small lookups in a JSON text: a member of an object, a dotted path,
 * the elements of an array, integers and string comparisons. Values are
 * validated as they are stepped over.
 */
#include <errno.h>
#include <string.h>

#include "llm/llm_int.h"

/* Whether the key string at k (quotes included) equals key. */
static bool llm_jget_key_is(const char *p, struct llm_span k, const char *key)
{
	size_t l = strlen(key);

	if (memchr(p + k.s, '\\', k.e - k.s) == NULL)
		return k.e - k.s == l + 2 && memcmp(p + k.s + 1, key, l) == 0;
	return llm_json_str_is(p, k, key);
}

int llm_json_member(const char *p, size_t n, size_t obj, const char *key,
		    struct llm_span *v)
{
	struct llm_json j;
	struct llm_span k;

	llm_json_init(&j, p, n);
	j.pos = obj;
	if (obj >= n || p[obj] != '{')
		return 0;
	j.pos++;
	for (;;) {
		llm_json_ws(&j);
		if (j.pos >= n || p[j.pos] != '"')
			return 0;
		k.s = j.pos;
		if (llm_json_skip_string(&j) < 0)
			return -EINVAL;
		k.e = j.pos;
		llm_json_ws(&j);
		if (j.pos >= n || p[j.pos] != ':')
			return -EINVAL;
		j.pos++;
		llm_json_ws(&j);
		v->s = j.pos;
		if (llm_json_skip_value(&j) < 0)
			return -EINVAL;
		v->e = j.pos;
		if (llm_jget_key_is(p, k, key))
			return 1;
		llm_json_ws(&j);
		if (j.pos >= n || p[j.pos] != ',')
			return 0;
		j.pos++;
	}
}

int llm_json_get(const char *p, size_t n, struct llm_span v, const char *path,
		 struct llm_span *out)
{
	char key[LLM_KEY_MAX];
	const char *dot;
	size_t l;
	int rc;

	while (*path != '\0') {
		dot = strchr(path, '.');
		l = dot != NULL ? (size_t)(dot - path) : strlen(path);
		if (l >= sizeof(key))
			return 0;
		memcpy(key, path, l);
		key[l] = '\0';
		if ((rc = llm_json_member(p, v.e, v.s, key, &v)) <= 0)
			return rc;
		path += l + (dot != NULL);
	}
	(void)n;
	*out = v;
	return 1;
}

int llm_json_next(const char *p, size_t n, struct llm_span v, size_t *it,
		  struct llm_span *el)
{
	struct llm_json j;

	if (v.s >= n || p[v.s] != '[')
		return 0;
	llm_json_init(&j, p, v.e);
	j.pos = *it == 0 ? v.s + 1 : *it;
	llm_json_ws(&j);
	if (*it != 0) {
		if (j.pos >= v.e || p[j.pos] != ',')
			return 0;
		j.pos++;
		llm_json_ws(&j);
	}
	if (j.pos >= v.e || p[j.pos] == ']')
		return 0;
	el->s = j.pos;
	if (llm_json_skip_value(&j) < 0)
		return -EINVAL;
	el->e = j.pos;
	*it = j.pos;
	return 1;
}

bool llm_json_u64(const char *p, struct llm_span v, uint64_t *out)
{
	uint64_t x = 0;

	if (v.s >= v.e || p[v.s] < '0' || p[v.s] > '9')
		return false;
	for (size_t i = v.s; i < v.e; i++) {
		unsigned d;

		if (p[i] < '0' || p[i] > '9')
			return false;
		d = (unsigned)(p[i] - '0');
		if (x > (UINT64_MAX - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*out = x;
	return true;
}

bool llm_json_str_is(const char *p, struct llm_span v, const char *lit)
{
	struct buf b;
	size_t l = strlen(lit);
	bool eq;

	if (v.e - v.s < 2 || p[v.s] != '"')
		return false;
	if (memchr(p + v.s, '\\', v.e - v.s) == NULL)
		return v.e - v.s == l + 2 && memcmp(p + v.s + 1, lit, l) == 0;
	buf_init(&b, LLM_TYPE_MAX);
	if (llm_json_decode(p + v.s, v.e - v.s, &b) < 0) {
		buf_release(&b);
		return false;
	}
	eq = b.len == l && (l == 0 || memcmp(b.data, lit, l) == 0);
	buf_release(&b);
	return eq;
}
