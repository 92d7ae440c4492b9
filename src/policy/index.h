/*
 * A read-only map from byte-string keys to sorted lists of rule indices,
 * built once when a policy is compiled. Lookups allocate nothing.
 */
#ifndef AGENTSH_POLICY_INDEX_H
#define AGENTSH_POLICY_INDEX_H

#include <stddef.h>
#include <stdint.h>

struct policy_index;

struct policy_idx_list {
	const uint32_t *v;
	size_t n;
};

/* Builder: collect (key, rule) pairs, then freeze. */
struct policy_index_builder;
struct policy_index_builder *policy_index_builder_new(void);
int policy_index_builder_add(struct policy_index_builder *b, const void *key,
			     size_t keylen, uint32_t rule);
/* Freeze into an index (consumes the builder even on failure). */
int policy_index_build(struct policy_index_builder *b,
		       struct policy_index **out);
void policy_index_builder_free(struct policy_index_builder *b);
void policy_index_free(struct policy_index *ix);

/* The sorted rule list for key; an empty list when absent. */
struct policy_idx_list policy_index_get(const struct policy_index *ix,
					const void *key, size_t keylen);
size_t policy_index_keys(const struct policy_index *ix);

#endif
