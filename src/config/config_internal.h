/*
 * Private to src/config: the schema table that drives loading, defaults,
 * validation, dumping and freeing, and the load context.
 */
#ifndef AGENTSH_CONFIG_INTERNAL_H
#define AGENTSH_CONFIG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "ydoc/ydoc.h"

#define CONFIG_MAX_FIELDS 40   /* keys in one section */
#define CONFIG_ENV_MAX 16      /* overridden fields remembered */
#define CONFIG_VALUE_MAX 65536 /* bytes of one value after expansion */
#define CONFIG_MAX_ITEMS 10000 /* entries of one list or map */
#define CONFIG_KEY_MAX 255     /* bytes of a user-chosen map key */

enum config_kind {
	CONFIG_K_STR,     /* char * (NULL when unset) */
	CONFIG_K_BOOL,    /* bool */
	CONFIG_K_INT,     /* int64_t in [min, max] */
	CONFIG_K_DUR,     /* int64_t milliseconds */
	CONFIG_K_SIZE,    /* int64_t bytes */
	CONFIG_K_ENUM,    /* an enum (int-sized) */
	CONFIG_K_MODE,    /* int64_t octal permission bits */
	CONFIG_K_LIST,    /* char ** NULL-terminated (NULL when empty) */
	CONFIG_K_INTLIST, /* int64_t * plus size_t count at count_off */
	CONFIG_K_MAP,     /* struct config_strmap */
	CONFIG_K_SECTION, /* nested mapping; same base object */
	CONFIG_K_ITEMS,   /* list of structs: pointer + size_t count */
	CONFIG_K_NAMED,   /* mapping name -> struct; name is the first member */
	CONFIG_K_ALIAS,   /* legacy key that stands for alias_of */
};

#define CONFIG_F_SECRET 0x01u   /* printed as "(set)" */
#define CONFIG_F_RAW 0x02u      /* no ${VAR} expansion */
#define CONFIG_F_REQUIRED 0x04u /* must not be empty */
#define CONFIG_F_ADDR 0x08u     /* host:port */
#define CONFIG_F_URL 0x10u      /* http(s) URL; credentials hidden */
#define CONFIG_F_POLICY 0x20u   /* policy name: [A-Za-z0-9_-]+ */
#define CONFIG_F_HTTPPATH 0x40u /* URL path starting with '/' */
#define CONFIG_F_SECRETISH 0x80u /* MAP: hide values of secret-like keys */
#define CONFIG_F_HIDEPATH 0x100u /* URL: the path may hold a token too */

/* Table shorthands; T is the base struct the offsets are relative to. */
#define CONFIG_FS(T, k, m, d, f) { .key = (k), .kind = CONFIG_K_STR, \
	.off = offsetof(T, m), .def_s = (d), .flags = (f) }
#define CONFIG_FB(T, k, m, d) { .key = (k), .kind = CONFIG_K_BOOL, \
	.off = offsetof(T, m), .def_i = (d) }
#define CONFIG_FI(T, k, m, lo, hi, d) { .key = (k), .kind = CONFIG_K_INT, \
	.off = offsetof(T, m), .min = (lo), .max = (hi), .def_i = (d) }
#define CONFIG_FD(T, k, m, d) { .key = (k), .kind = CONFIG_K_DUR, \
	.off = offsetof(T, m), .def_i = (d) }
#define CONFIG_FZ(T, k, m, d) { .key = (k), .kind = CONFIG_K_SIZE, \
	.off = offsetof(T, m), .def_i = (d) }
#define CONFIG_FE(T, k, m, e, d) { .key = (k), .kind = CONFIG_K_ENUM, \
	.off = offsetof(T, m), .en = (e), .def_i = (d) }
#define CONFIG_FL(T, k, m, d) { .key = (k), .kind = CONFIG_K_LIST, \
	.off = offsetof(T, m), .def_l = (d) }
#define CONFIG_FM(T, k, m, d, f) { .key = (k), .kind = CONFIG_K_MAP, \
	.off = offsetof(T, m), .def_l = (d), .flags = (f) }
#define CONFIG_FSEC(k, s) { .key = (k), .kind = CONFIG_K_SECTION, \
	.sub = &(s) }
#define CONFIG_FEND { .key = NULL }
#define CONFIG_FALIAS(k, to) { .key = (k), .kind = CONFIG_K_ALIAS, \
	.alias_of = (to) }
#define CONFIG_SEC(ms) ((int64_t)(ms) * 1000)
#define CONFIG_MIN(m) ((int64_t)(m) * 60000)
#define CONFIG_HOUR(h) ((int64_t)(h) * 3600000)
#define CONFIG_DAY(d) ((int64_t)(d) * 86400000)
#define CONFIG_MB(n) ((int64_t)(n) * 1000000)

struct config_enum_val {
	const char *name;
	int val;
	bool hidden; /* accepted, never printed or suggested */
};

struct config_ctx;
struct config_section;

struct config_field {
	const char *key;
	enum config_kind kind;
	unsigned flags;
	size_t off;       /* from the section's base object */
	size_t count_off; /* INTLIST, ITEMS, NAMED */
	size_t item_size; /* ITEMS, NAMED */
	int64_t min, max; /* INT, INTLIST */
	int64_t def_i;    /* BOOL, INT, DUR, SIZE, ENUM, MODE */
	const char *def_s;        /* STR */
	const char *const *def_l; /* LIST; MAP as key, value, ..., NULL */
	const struct config_enum_val *en;
	const struct config_section *sub; /* SECTION, ITEMS, NAMED */
	const char *alias_of;             /* ALIAS */
};

struct config_section {
	const struct config_field *fields; /* ends with key == NULL */
	const struct ydoc_alias *suggest;  /* misspellings, for hints */
	/* Semantic checks once the final values are known (after env). */
	int (*check)(struct config_ctx *c, const struct ydoc_node *map,
		     void *obj, const char *where);
	void (*release)(void *obj);
};

/* A field whose value came from an environment variable. */
struct config_origin {
	const void *ptr;
	const char *var;
};

struct config_ctx {
	const struct ydoc *doc; /* NULL when there is no file */
	struct diag *d;
	char **envp;
	struct config *cfg;
	struct config_origin env[CONFIG_ENV_MAX];
	size_t nenv;
};

/* config_schema*.c: read-only tables */
extern const struct config_section config_sec_root;
extern const struct config_section config_sec_sandbox;
extern const struct config_section config_sec_security;
extern const struct config_section config_sec_landlock;
extern const struct config_section config_sec_policies;
extern const struct config_section config_sec_mount_profile;
extern const struct config_section config_sec_approvals;
extern const struct config_section config_sec_metrics;
extern const struct config_section config_sec_health;
extern const struct config_section config_sec_development;
extern const struct config_section config_sec_proxy;
extern const struct config_section config_sec_dlp;
extern const struct config_section config_sec_llm_storage;
extern const struct config_section config_sec_platform;

/* config.c */
const char *config_getenv(char **envp, const char *name);
void *config_at(void *base, size_t off);
const void *config_cat(const void *base, size_t off);
void config_report(struct config_ctx *c, const struct ydoc_node *n,
		   const void *ptr, enum diag_severity sev, const char *code,
		   const char *fmt, ...) __attribute__((format(printf, 6, 7)));
int config_enum_parse(const struct config_enum_val *en, const char *s,
		      int *out);
const char *config_enum_str(const struct config_enum_val *en, int v);
int config_enum_expect(const struct config_enum_val *en, char *out,
		       size_t n);

/* config_expand.c */
int config_expand(struct config_ctx *c, const struct ydoc_node *n,
		  char **out);

/* config_load.c */
void config_where(char *w, size_t n, const char *where, const char *key);
void config_where_idx(char *w, size_t n, const char *where, size_t i);
int config_defaults(const struct config_section *sec, void *obj);
void config_release(const struct config_section *sec, void *obj);
int config_load_section(struct config_ctx *c, const struct ydoc_node *map,
			const struct config_section *sec, void *obj,
			const char *where);
const struct config_field *config_field_by_key(
	const struct config_section *sec, const char *key);
const struct ydoc_node *config_field_node(const struct config_section *sec,
					  const struct ydoc_node *map,
					  const char *key);
int config_strmap_set(struct config_strmap *m, const char *k,
		      const char *v);
void config_strmap_release(struct config_strmap *m);

/* config_env.c */
int config_apply_env(struct config_ctx *c);

/* config_validate.c */
int config_validate_section(struct config_ctx *c,
			    const struct ydoc_node *map,
			    const struct config_section *sec, void *obj,
			    const char *where);
int config_check_root(struct config_ctx *c, const struct ydoc_node *map,
		      void *obj, const char *where);
int config_url_check(const char *url);
const struct ydoc_node *config_path_node(const struct ydoc_node *n,
					 const char *path);

/* config_check.c: section hooks named in the schema */
int config_check_pattern(struct config_ctx *c, const struct ydoc_node *map,
			 void *obj, const char *where);
int config_check_dlp(struct config_ctx *c, const struct ydoc_node *map,
		     void *obj, const char *where);
int config_check_approvals(struct config_ctx *c,
			   const struct ydoc_node *map, void *obj,
			   const char *where);
int config_check_audit(struct config_ctx *c, const struct ydoc_node *map,
		       void *obj, const char *where);
int config_check_network(struct config_ctx *c, const struct ydoc_node *map,
			 void *obj, const char *where);
int config_check_mount(struct config_ctx *c, const struct ydoc_node *map,
		       void *obj, const char *where);
int config_check_platform(struct config_ctx *c,
			  const struct ydoc_node *map, void *obj,
			  const char *where);
int config_check_development(struct config_ctx *c,
			     const struct ydoc_node *map, void *obj,
			     const char *where);
void config_pattern_release(void *obj);

/* config_dump.c */
int config_fmt_duration(int64_t ms, char *out, size_t n);
int config_fmt_size(int64_t bytes, char *out, size_t n);

#endif
