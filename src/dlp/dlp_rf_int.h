/* Internals of the rule-file reader: the TOML cursor and values. */
#ifndef AGENTSH_DLP_RF_INT_H
#define AGENTSH_DLP_RF_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/diag.h"

#define DLP_RF_LINE_MAX 16384     /* bytes of one line, without newline */
#define DLP_RF_STR_MAX (64u << 10) /* bytes of one decoded string */
#define DLP_RF_ARRAY_MAX 4096     /* elements of one array */
#define DLP_RF_DEPTH_MAX 8        /* nesting of arrays */
#define DLP_RF_KEY_MAX 256        /* bytes of one key part */
#define DLP_RF_KEY_PARTS_MAX 8    /* parts of a dotted table name */
#define DLP_RF_NUM_MAX 64         /* characters of one number */
#define DLP_RF_ERRORS_MAX 64      /* syntax errors before giving up */
#define DLP_RF_DEFS_MAX 1024      /* keys and tables remembered at once */
/* bytes of a table path plus a key, parts ending in NUL bytes */
#define DLP_RF_PATH_MAX (2 * DLP_RF_KEY_PARTS_MAX * (DLP_RF_KEY_MAX + 1))

enum dlp_rf_type { DLP_RF_STR, DLP_RF_INT, DLP_RF_FLOAT, DLP_RF_BOOL,
		   DLP_RF_ARRAY };

/* Where the reader is in the text; line and col are 1-based. */
struct dlp_rf_cur {
	const char *p;
	size_t len, pos;
	size_t lstart;   /* offset of the current line's first byte */
	int line;
	const char *fname;
	struct diag *d;
	size_t errors;
};

/* One parsed value: strings are decoded into s, other values only checked. */
struct dlp_rf_val {
	enum dlp_rf_type type;
	struct buf s;
	int line, col;
};

/* One key or one table name: parts[0..n). */
struct dlp_rf_key {
	struct buf parts[DLP_RF_KEY_PARTS_MAX];
	size_t n;
	int line, col;
};

/* A defined key ('K'), table ('T') or array of tables ('A'): its path
 * from the root, each part ending in a NUL byte. */
struct dlp_rf_def {
	char kind;
	char *path;
	size_t len;
};

/* What the document defines so far, for TOML's no-redefinition rules; the
 * contents of an array's previous element are forgotten at [[array]]. */
struct dlp_rf_defs {
	struct dlp_rf_def v[DLP_RF_DEFS_MAX];
	size_t n;
	struct buf cur; /* path of the current table */
	bool valid;     /* false after a bad header: its keys are not kept */
};

int dlp_rf_col(const struct dlp_rf_cur *c);
/* An error (counted in c->errors) or a warning at fname:line:col. */
void dlp_rf_err(struct dlp_rf_cur *c, int line, int col, const char *code,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void dlp_rf_warn(struct dlp_rf_cur *c, int line, int col, const char *code,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Check the whole text: line lengths, UTF-8, no NUL; 0, -EINVAL, -E2BIG. */
int dlp_rf_prescan(struct dlp_rf_cur *c);
void dlp_rf_ws(struct dlp_rf_cur *c);
/* Skip the rest of a line after an error (past its newline). */
void dlp_rf_skip_line(struct dlp_rf_cur *c);
/* Optional comment, then a newline or the end; else "garbage" error. */
int dlp_rf_eol(struct dlp_rf_cur *c);
/* Skip blank lines, comments and whitespace; false at the end. */
bool dlp_rf_skip_blank(struct dlp_rf_cur *c);
/* A key, possibly dotted (parts separated by '.'), and the blanks after. */
int dlp_rf_key(struct dlp_rf_cur *c, struct dlp_rf_key *k);
void dlp_rf_key_release(struct dlp_rf_key *k);
int dlp_rf_value(struct dlp_rf_cur *c, struct dlp_rf_val *v, int depth);

void dlp_rf_defs_init(struct dlp_rf_defs *s);
void dlp_rf_defs_release(struct dlp_rf_defs *s);
/* Enter table k ([[k]] when arr): an error when that redefines something,
 * 1 for a further element of an array, else 0. */
int dlp_rf_defs_table(struct dlp_rf_defs *s, struct dlp_rf_cur *c,
		      const struct dlp_rf_key *k, bool arr);
/* Define key k in the current table: an error when it is there already. */
int dlp_rf_defs_key(struct dlp_rf_defs *s, struct dlp_rf_cur *c,
		    const struct dlp_rf_key *k);

#endif
