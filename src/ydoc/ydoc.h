/*
 * A parsed YAML document as an immutable tree whose every node remembers
 * where it came from (line and column), plus typed readers that report a
 * clear, positioned error for wrong types and unknown keys.
 */
#ifndef AGENTSH_YDOC_H
#define AGENTSH_YDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/diag.h"

#define YDOC_MAX_INPUT (16u << 20) /* bytes of YAML accepted */
#define YDOC_MAX_DEPTH 64          /* nesting of collections */
#define YDOC_MAX_NODES 1000000     /* nodes, alias expansions included */
#define YDOC_WHERE_MAX 256         /* length of a "where" path for messages */

enum ydoc_kind { YDOC_SCALAR, YDOC_SEQ, YDOC_MAP };

struct ydoc_node {
	enum ydoc_kind kind;
	int line, col;   /* 1-based position of the node's first character */
	const char *str; /* scalar text, NUL-terminated (NULL otherwise) */
	size_t len;      /* scalar length in bytes */
	bool quoted;     /* scalar was written quoted or as a block */
	size_t n;        /* sequence items, or mapping pairs */
	struct ydoc_node **items; /* seq: n values; map: 2n (key, value) */
	size_t subtree;  /* nodes in this subtree (for the alias budget) */
};

struct ydoc;

/* A known misspelling and the key the user meant (e.g. env_rules). */
struct ydoc_alias {
	const char *wrong;
	const char *right;
};

/* Parse one YAML document; errors go to d with file:line:col. 0 or -errno. */
int ydoc_parse(const char *data, size_t len, const char *file,
	       struct ydoc **out, struct diag *d);
/* Read a whole file (bounded by YDOC_MAX_INPUT) and parse it. */
int ydoc_parse_file(const char *path, struct ydoc **out, struct diag *d);
void ydoc_free(struct ydoc *doc);
const struct ydoc_node *ydoc_root(const struct ydoc *doc);
const char *ydoc_file(const struct ydoc *doc);

/* A plain null: "~", "null", or nothing at all. */
bool ydoc_is_null(const struct ydoc_node *n);
/* Value for key in a mapping, or NULL. */
const struct ydoc_node *ydoc_map_get(const struct ydoc_node *map,
				     const char *key);

/* Report an error at node (code is a short stable id). */
void ydoc_error(const struct ydoc *doc, const struct ydoc_node *node,
		struct diag *d, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void ydoc_warn(const struct ydoc *doc, const struct ydoc_node *node,
	       struct diag *d, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/*
 * Report every key of map not in known (NULL-terminated) as sev, naming
 * where and suggesting the nearest known key or an alias. Returns the
 * number of unknown keys.
 */
int ydoc_check_keys(const struct ydoc *doc, const struct ydoc_node *map,
		    const char *const *known, const struct ydoc_alias *aliases,
		    const char *where, enum diag_severity sev, struct diag *d);

/* Typed readers: 0 on success, -EINVAL after reporting an error. */
int ydoc_want_map(const struct ydoc *doc, const struct ydoc_node *n,
		  const char *where, struct diag *d);
int ydoc_want_seq(const struct ydoc *doc, const struct ydoc_node *n,
		  const char *where, struct diag *d);
int ydoc_get_str(const struct ydoc *doc, const struct ydoc_node *n,
		 const char *where, char **out, struct diag *d);
int ydoc_get_bool(const struct ydoc *doc, const struct ydoc_node *n,
		  const char *where, bool *out, struct diag *d);
int ydoc_get_i64(const struct ydoc *doc, const struct ydoc_node *n,
		 const char *where, int64_t min, int64_t max, int64_t *out,
		 struct diag *d);
/* Duration with units ms s m h d ("7d", "1h30m"); out in milliseconds. */
int ydoc_get_duration(const struct ydoc *doc, const struct ydoc_node *n,
		      const char *where, int64_t *out_ms, struct diag *d);
/* Size such as "10MB" or a plain number of bytes. */
int ydoc_get_size(const struct ydoc *doc, const struct ydoc_node *n,
		  const char *where, int64_t *out, struct diag *d);
/* List of scalars (null is an empty list); *out is NULL-terminated. */
int ydoc_get_strlist(const struct ydoc *doc, const struct ydoc_node *n,
		     const char *where, char ***out, size_t *count,
		     struct diag *d);
void ydoc_strlist_free(char **list);

#endif
