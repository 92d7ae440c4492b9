/* Helpers shared by the llm unit tests: fixtures, test hooks. */
#ifndef T_LLM_H
#define T_LLM_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "llm/llm.h"

/* The fixture tests/fixtures/llm/name (NUL-terminated, *n bytes). */
char *t_llm_fixture(const char *name, size_t *n);
/* With LLM_FIXTURES_REGEN=1 write got to name; else compare with it. */
void t_llm_golden(const char *name, const char *got, size_t n);
/* The restore hook of the response tests (a fixed token map). */
int t_llm_restore(void *arg, const char *tok, size_t n, enum llm_lane lane,
		  struct buf *out);

#endif
