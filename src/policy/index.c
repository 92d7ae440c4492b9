#include "policy/index.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct pair {
	char *key;
	size_t keylen;
	uint32_t rule;
};

struct policy_index_builder {
	struct pair *v;
	size_t n, cap;
};

struct slot {
	uint64_t hash;
	const char *key; /* NULL for an empty slot */
	size_t keylen;
	size_t off, n; /* into rules */
};

struct policy_index {
	struct slot *slots;
	size_t mask;
	size_t nkeys;
	uint32_t *rules;
	char *keys;
};

/* FNV-1a, 64-bit: keys are short and built by us, not by an attacker who
 * could choose collisions against a fixed table; lookups probe linearly. */
static uint64_t index_hash(const void *key, size_t n)
{
	const unsigned char *p = key;
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 1099511628211ull;
	}
	return h ^ (h >> 29);
}

struct policy_index_builder *policy_index_builder_new(void)
{
	return calloc(1, sizeof(struct policy_index_builder));
}

void policy_index_builder_free(struct policy_index_builder *b)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < b->n; i++)
		free(b->v[i].key);
	free(b->v);
	free(b);
}

int policy_index_builder_add(struct policy_index_builder *b, const void *key,
			     size_t keylen, uint32_t rule)
{
	struct pair *p;

	if (b->n == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 16;
		p = realloc(b->v, ncap * sizeof(*p));
		if (p == NULL)
			return -ENOMEM;
		b->v = p;
		b->cap = ncap;
	}
	p = &b->v[b->n];
	p->key = malloc(keylen + 1);
	if (p->key == NULL)
		return -ENOMEM;
	memcpy(p->key, key, keylen);
	p->key[keylen] = '\0';
	p->keylen = keylen;
	p->rule = rule;
	b->n++;
	return 0;
}

static int pair_cmp(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	size_t m = x->keylen < y->keylen ? x->keylen : y->keylen;
	int c = memcmp(x->key, y->key, m);

	if (c != 0)
		return c;
	if (x->keylen != y->keylen)
		return x->keylen < y->keylen ? -1 : 1;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

static void index_insert(struct policy_index *ix, const char *key,
			 size_t keylen, size_t off, size_t n)
{
	uint64_t h = index_hash(key, keylen);
	size_t i = h & ix->mask;

	while (ix->slots[i].key != NULL)
		i = (i + 1) & ix->mask;
	ix->slots[i] = (struct slot){h, key, keylen, off, n};
	ix->nkeys++;
}

/* Copy keys and rules into the index, one slot per distinct key. */
static int index_fill(struct policy_index *ix, struct pair *v, size_t n)
{
	size_t nr = 0, koff = 0, i = 0;

	while (i < n) {
		size_t j = i, start = nr;
		char *k = ix->keys + koff;

		memcpy(k, v[i].key, v[i].keylen + 1);
		koff += v[i].keylen + 1;
		for (; j < n && v[j].keylen == v[i].keylen &&
		       memcmp(v[j].key, v[i].key, v[i].keylen) == 0;
		     j++) {
			if (nr == start || ix->rules[nr - 1] != v[j].rule)
				ix->rules[nr++] = v[j].rule;
		}
		index_insert(ix, k, v[i].keylen, start, nr - start);
		i = j;
	}
	return 0;
}

int policy_index_build(struct policy_index_builder *b,
		       struct policy_index **out)
{
	struct policy_index *ix = calloc(1, sizeof(*ix));
	size_t cap = 16, keybytes = 0;
	int r = -ENOMEM;

	*out = NULL;
	if (ix == NULL)
		goto out;
	if (b->n > 0)
		qsort(b->v, b->n, sizeof(*b->v), pair_cmp);
	while (cap < b->n * 2)
		cap *= 2;
	for (size_t i = 0; i < b->n; i++)
		keybytes += b->v[i].keylen + 1;
	ix->slots = calloc(cap, sizeof(*ix->slots));
	ix->rules = calloc(b->n ? b->n : 1, sizeof(*ix->rules));
	ix->keys = malloc(keybytes ? keybytes : 1);
	if (ix->slots == NULL || ix->rules == NULL || ix->keys == NULL)
		goto out;
	ix->mask = cap - 1;
	r = index_fill(ix, b->v, b->n);
out:
	policy_index_builder_free(b);
	if (r < 0) {
		policy_index_free(ix);
		return r;
	}
	*out = ix;
	return 0;
}

void policy_index_free(struct policy_index *ix)
{
	if (ix == NULL)
		return;
	free(ix->slots);
	free(ix->rules);
	free(ix->keys);
	free(ix);
}

struct policy_idx_list policy_index_get(const struct policy_index *ix,
					const void *key, size_t keylen)
{
	struct policy_idx_list none = {NULL, 0};
	uint64_t h;
	size_t i;

	if (ix == NULL || ix->nkeys == 0)
		return none;
	h = index_hash(key, keylen);
	for (i = h & ix->mask; ix->slots[i].key != NULL; i = (i + 1) & ix->mask) {
		const struct slot *s = &ix->slots[i];
		if (s->hash == h && s->keylen == keylen &&
		    memcmp(s->key, key, keylen) == 0)
			return (struct policy_idx_list){ix->rules + s->off, s->n};
	}
	return none;
}

size_t policy_index_keys(const struct policy_index *ix)
{
	return ix ? ix->nkeys : 0;
}
