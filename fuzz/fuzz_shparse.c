/* libFuzzer target: bytes → shell script analyser → invariants → free. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shparse/shparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every entry must be well formed, whatever the input of size bytes. */
static void fuzz_check(const struct shparse_result *r, size_t size)
{
	if (r->n > SHPARSE_MAX_COMMANDS ||
	    memchr(r->reason, '\0', sizeof(r->reason)) == NULL ||
	    r->complete != (r->reason[0] == '\0'))
		abort();
	for (size_t i = 0; i < r->n; i++) {
		const struct shparse_cmd *c = &r->cmds[i];

		if (c->argc == 0 || c->argc > SHPARSE_MAX_WORDS ||
		    c->argv[c->argc] != NULL || c->depth < 0 ||
		    c->depth > SHPARSE_MAX_DEPTH ||
		    c->name_dynamic != c->arg_dynamic[0] ||
		    c->offset != c->arg_offset[0])
			abort();
		for (size_t j = 0; j < c->argc; j++)
			if (c->argv[j] == NULL || c->arg_offset[j] >= size)
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct shparse_result *r = NULL;

	if (shparse_script((const char *)data, size, &r) == 0) {
		fuzz_check(r, size);
		shparse_result_free(r);
	}
	return 0;
}
