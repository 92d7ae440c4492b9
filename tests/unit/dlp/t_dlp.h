/* Helpers shared by the DLP unit tests (they fail the running test). */
#ifndef AGENTSH_T_DLP_H
#define AGENTSH_T_DLP_H

#include <stdbool.h>
#include <stddef.h>

#include "dlp/dlp_tok.h"

/* The same, for engines that may fail: NULL and *rc < 0 then. */
struct dlp_engine *t_dlp_engine_rc(const struct dlp_custom *c, size_t n,
				   bool portable, int *rc);
/* An engine with every built-in family and the custom patterns c[0..n). */
struct dlp_engine *t_dlp_engine(const struct dlp_custom *c, size_t n,
				bool portable);
/* dlp_apply of the string in into a new string; *rc gets its result. */
char *t_dlp_apply_rc(struct dlp_engine *e, struct dlp_session *s,
		     const char *in, size_t n, int *rc);
/* The same, and the result must be 0. */
char *t_dlp_apply(struct dlp_engine *e, struct dlp_session *s,
		  const char *in, size_t n);

#endif
