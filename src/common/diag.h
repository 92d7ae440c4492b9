/*
 * Diagnostics: errors and warnings that name the place in the input
 * (file:line:col) so that a user can fix a policy or config by reading them.
 */
#ifndef AGENTSH_COMMON_DIAG_H
#define AGENTSH_COMMON_DIAG_H

#include <stdio.h>
#include <stddef.h>

#include "common/buf.h"

#define DIAG_MAX_ENTRIES 256 /* further entries are counted, not kept */
#define DIAG_MSG_MAX 1024    /* one message, after formatting */

enum diag_severity { DIAG_ERROR, DIAG_WARNING };

struct diag_entry {
	enum diag_severity sev;
	char *file;   /* may be NULL */
	int line;     /* 1-based; 0 when unknown */
	int col;      /* 1-based; 0 when unknown */
	char *code;   /* short stable identifier, e.g. "unknown-key" */
	char *msg;
};

struct diag {
	struct diag_entry *v;
	size_t n, cap;
	size_t errors, warnings; /* totals, including dropped entries */
	size_t dropped;
	int warnings_as_errors;  /* --strict */
};

void diag_init(struct diag *d);
void diag_release(struct diag *d);
/* Record one diagnostic; with warnings_as_errors, warnings become errors. */
void diag_add(struct diag *d, enum diag_severity sev, const char *file,
	      int line, int col, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
/* Print "file:line:col: error: msg" lines. */
void diag_print(const struct diag *d, FILE *fp);
/* Append a JSON array of {severity,file,line,col,code,message}. */
int diag_json(const struct diag *d, struct buf *out);
int diag_has_errors(const struct diag *d);

#endif
