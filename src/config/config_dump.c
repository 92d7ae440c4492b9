/*
 * Render a config as YAML (a loadable config file) or JSON, driven by the
 * schema. Secrets print as "(set)"; URLs lose their credentials and query.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/json.h"
#include "common/utf8.h"
#include "config/config_internal.h"

#define CONFIG_SECRET_TEXT "(set)"

int config_fmt_duration(int64_t ms, char *out, size_t n)
{
	static const struct {
		const char *unit;
		int64_t ms;
	} units[] = {
		{"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000},
		{"ms", 1},
	};
	size_t len = 0;

	if (n == 0)
		return -EINVAL;
	out[0] = '\0';
	if (ms <= 0)
		return snprintf(out, n, "0") < (int)n ? 0 : -ENAMETOOLONG;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		int w;

		if (ms < units[i].ms)
			continue;
		w = snprintf(out + len, n - len, "%lld%s",
			     (long long)(ms / units[i].ms), units[i].unit);
		if (w < 0 || (size_t)w >= n - len)
			return -ENAMETOOLONG;
		len += (size_t)w;
		ms %= units[i].ms;
	}
	return 0;
}

int config_fmt_size(int64_t bytes, char *out, size_t n)
{
	static const struct {
		const char *unit;
		int64_t mult;
	} units[] = {
		{"TB", 1000000000000LL}, {"GB", 1000000000LL},
		{"MB", 1000000LL}, {"KB", 1000LL}, {"TiB", 1LL << 40},
		{"GiB", 1LL << 30}, {"MiB", 1LL << 20}, {"KiB", 1LL << 10},
	};
	int w = -1;

	for (size_t i = 0; bytes > 0 && w < 0 && i < sizeof(units) /
						  sizeof(units[0]); i++) {
		if (bytes % units[i].mult == 0)
			w = snprintf(out, n, "%lld%s",
				     (long long)(bytes / units[i].mult),
				     units[i].unit);
	}
	if (w < 0)
		w = snprintf(out, n, "%lld", (long long)bytes);
	return w >= 0 && (size_t)w < n ? 0 : -ENAMETOOLONG;
}

/* The code point of the valid UTF-8 sequence s of length n (1..4). */
static uint32_t config_utf8_cp(const char *s, size_t n)
{
	static const unsigned char lead[] = {0, 0x7f, 0x1f, 0x0f, 0x07};
	uint32_t cp = (unsigned char)s[0] & lead[n];

	for (size_t i = 1; i < n; i++)
		cp = (cp << 6) | ((unsigned char)s[i] & 0x3f);
	return cp;
}

/* Characters libyaml rejects or folds inside a double-quoted scalar. */
static bool config_yaml_escape_cp(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
	       cp == 0x2028 || cp == 0x2029 || cp == 0xfeff ||
	       cp == 0xfffe || cp == 0xffff;
}

/*
 * A double-quoted YAML scalar that reads back as exactly s; with dollar,
 * '$' is doubled so that ${VAR} expansion on load gives s again.
 */
static int config_yaml_str(struct buf *b, const char *s, size_t len,
			   bool dollar)
{
	int r = buf_putc(b, '"');
	size_t i = 0;

	while (r == 0 && i < len) {
		size_t cl = utf8_seq_len(s + i, len - i);
		uint32_t cp = cl ? config_utf8_cp(s + i, cl) : 0xfffd;

		if (s[i] == '"' || s[i] == '\\')
			r = buf_printf(b, "\\%c", s[i]);
		else if (s[i] == '$' && dollar)
			r = buf_puts(b, "$$");
		else if (cl == 0 || config_yaml_escape_cp(cp))
			r = buf_printf(b, "\\u%04x", (unsigned)cp);
		else
			r = buf_append(b, s + i, cl);
		i += cl ? cl : 1;
	}
	return r == 0 ? buf_putc(b, '"') : r;
}

static int config_put_text(struct buf *b, const char *s, size_t len,
			   bool yaml, bool dollar)
{
	return yaml ? config_yaml_str(b, s, len, dollar)
		    : json_strn(b, s, len);
}

/* A mapping key: never ${VAR}-expanded, so '$' stays single. */
static int config_put_key(struct buf *b, const char *k, bool yaml)
{
	return config_put_text(b, k, strlen(k), yaml, false);
}

/*
 * Append url with any user:password@ and ?query (and, with hide_path,
 * the path) replaced by "(set)".
 */
static int config_url_redact(struct buf *t, const char *url, bool hide_path)
{
	const char *sep = strstr(url, "://");
	const char *auth = sep ? sep + 3 : url;
	const char *end = auth + strcspn(auth, "/?#");
	const char *host = auth, *q;
	int r;

	for (const char *p = auth; sep != NULL && p < end; p++)
		if (*p == '@')
			host = p + 1;
	r = buf_append(t, url, (size_t)(auth - url));
	if (r == 0 && host != auth)
		r = buf_puts(t, CONFIG_SECRET_TEXT "@");
	if (r == 0)
		r = buf_append(t, host, (size_t)(end - host));
	if (r == 0 && hide_path && end[0] == '/' && end[1] != '\0')
		return buf_puts(t, "/" CONFIG_SECRET_TEXT);
	q = strchr(end, '?');
	if (r != 0 || q == NULL)
		return r != 0 ? r : buf_puts(t, end);
	r = buf_append(t, end, (size_t)(q - end) + 1);
	if (r == 0)
		r = buf_puts(t, CONFIG_SECRET_TEXT);
	if (r == 0 && strchr(q, '#') != NULL)
		r = buf_puts(t, strchr(q, '#'));
	return r;
}

static int config_put_str(struct buf *b, const char *s, unsigned flags,
			  bool yaml)
{
	struct buf t;
	int r;

	bool dollar = !(flags & CONFIG_F_RAW);

	if (s == NULL)
		return buf_puts(b, "null");
	if (flags & CONFIG_F_SECRET)
		return json_str(b, CONFIG_SECRET_TEXT);
	if (!(flags & CONFIG_F_URL))
		return config_put_text(b, s, strlen(s), yaml, dollar);
	buf_init(&t, CONFIG_VALUE_MAX * 2);
	r = config_url_redact(&t, s, (flags & CONFIG_F_HIDEPATH) != 0);
	if (r == 0)
		r = config_put_text(b, t.data ? t.data : "", t.len, yaml,
				    dollar);
	buf_release(&t);
	return r;
}

static int config_put_list(struct buf *b, char *const *v, unsigned flags,
			   bool yaml)
{
	int r = buf_putc(b, '[');

	for (size_t i = 0; r == 0 && v != NULL && v[i] != NULL; i++) {
		if (i > 0)
			r = buf_puts(b, yaml ? ", " : ",");
		if (r == 0)
			r = config_put_str(b, v[i], flags, yaml);
	}
	return r == 0 ? buf_putc(b, ']') : r;
}

static int config_put_ints(struct buf *b, const int64_t *v, size_t n,
			   bool yaml)
{
	int r = buf_putc(b, '[');

	for (size_t i = 0; r == 0 && i < n; i++)
		r = buf_printf(b, "%s%lld", i ? (yaml ? ", " : ",") : "",
			       (long long)v[i]);
	return r == 0 ? buf_putc(b, ']') : r;
}

/* Does this variable name look like it holds a credential? */
static bool config_secret_name(const char *k)
{
	static const char *const words[] = {
		"KEY", "TOKEN", "SECRET", "PASS", "AUTH", "CRED", "COOKIE",
		"PRIVATE", NULL,
	};

	for (size_t i = 0; words[i] != NULL; i++)
		if (strcasestr(k, words[i]) != NULL)
			return true;
	return false;
}

static int config_put_map(struct buf *b, const struct config_strmap *m,
			  unsigned flags, bool yaml)
{
	int r = buf_putc(b, '{');

	for (size_t i = 0; r == 0 && i < m->n; i++) {
		unsigned vf = flags;

		if ((flags & CONFIG_F_SECRETISH) &&
		    config_secret_name(m->keys[i]))
			vf |= CONFIG_F_SECRET;
		if (i > 0)
			r = buf_puts(b, yaml ? ", " : ",");
		if (r == 0)
			r = config_put_key(b, m->keys[i], yaml);
		if (r == 0)
			r = buf_puts(b, yaml ? ": " : ":");
		if (r == 0)
			r = config_put_str(b, m->vals[i], vf, yaml);
	}
	return r == 0 ? buf_putc(b, '}') : r;
}

/* One value that fits on the key's line (everything but sections). */
static int config_put_value(struct buf *b, const struct config_field *f,
			    const void *obj, bool yaml)
{
	const void *p = config_cat(obj, f->off);
	const size_t *count = config_cat(obj, f->count_off);
	char tmp[64];

	switch (f->kind) {
	case CONFIG_K_STR:
		return config_put_str(b, *(char *const *)p, f->flags, yaml);
	case CONFIG_K_BOOL:
		return buf_puts(b, *(const bool *)p ? "true" : "false");
	case CONFIG_K_INT:
		return buf_printf(b, "%lld", (long long)*(const int64_t *)p);
	case CONFIG_K_DUR:
		config_fmt_duration(*(const int64_t *)p, tmp, sizeof(tmp));
		return json_str(b, tmp);
	case CONFIG_K_SIZE:
		config_fmt_size(*(const int64_t *)p, tmp, sizeof(tmp));
		return json_str(b, tmp);
	case CONFIG_K_ENUM:
		return json_str(b, config_enum_str(f->en, *(const int *)p));
	case CONFIG_K_MODE:
		return buf_printf(b, "\"%04llo\"",
				  (unsigned long long)*(const int64_t *)p);
	case CONFIG_K_LIST:
		return config_put_list(b, *(char **const *)p, f->flags, yaml);
	case CONFIG_K_INTLIST:
		return config_put_ints(b, *(int64_t *const *)p, *count, yaml);
	case CONFIG_K_MAP:
		return config_put_map(b, p, f->flags, yaml);
	default:
		return -EINVAL;
	}
}

static int config_yaml_indent(struct buf *b, int depth, bool dash)
{
	int r = 0;

	for (int i = 0; r == 0 && i < depth - (dash ? 1 : 0); i++)
		r = buf_puts(b, "  ");
	return r == 0 && dash ? buf_puts(b, "- ") : r;
}

static int config_yaml_section(struct buf *b, const struct config_section *sec,
			       const void *obj, int depth, bool dash);

static int config_yaml_items(struct buf *b, const struct config_field *f,
			     const void *obj, int depth)
{
	size_t count = *(const size_t *)config_cat(obj, f->count_off);
	bool named = f->kind == CONFIG_K_NAMED;
	const char *items;
	int r;

	memcpy(&items, config_cat(obj, f->off), sizeof(items));
	if (count == 0)
		return buf_puts(b, named ? " {}\n" : " []\n");
	r = buf_putc(b, '\n');
	for (size_t i = 0; r == 0 && i < count; i++) {
		const void *it = items + i * f->item_size;

		if (!named) {
			r = config_yaml_section(b, f->sub, it, depth + 2,
						true);
			continue;
		}
		r = config_yaml_indent(b, depth + 1, false);
		if (r == 0)
			r = config_put_key(b, *(char *const *)it, true);
		if (r == 0)
			r = buf_puts(b, ":\n");
		if (r == 0)
			r = config_yaml_section(b, f->sub, it, depth + 2,
						false);
	}
	return r;
}

static int config_yaml_section(struct buf *b, const struct config_section *sec,
			       const void *obj, int depth, bool dash)
{
	bool first = true;
	int r = 0;

	for (const struct config_field *f = sec->fields; f->key && !r; f++) {
		if (f->kind == CONFIG_K_ALIAS)
			continue;
		r = config_yaml_indent(b, depth, dash && first);
		first = false;
		if (r == 0)
			r = buf_printf(b, "%s:", f->key);
		if (r != 0)
			break;
		if (f->kind == CONFIG_K_SECTION) {
			r = buf_putc(b, '\n');
			if (r == 0)
				r = config_yaml_section(b, f->sub, obj,
							depth + 1, false);
		} else if (f->kind == CONFIG_K_ITEMS ||
			   f->kind == CONFIG_K_NAMED) {
			r = config_yaml_items(b, f, obj, depth);
		} else {
			r = buf_putc(b, ' ');
			if (r == 0)
				r = config_put_value(b, f, obj, true);
			if (r == 0)
				r = buf_putc(b, '\n');
		}
	}
	return r;
}

static int config_json_section(struct buf *b, const struct config_section *sec,
			       const void *obj);

static int config_json_items(struct buf *b, const struct config_field *f,
			     const void *obj)
{
	size_t count = *(const size_t *)config_cat(obj, f->count_off);
	bool named = f->kind == CONFIG_K_NAMED;
	const char *items;
	int r = buf_putc(b, named ? '{' : '[');

	memcpy(&items, config_cat(obj, f->off), sizeof(items));
	for (size_t i = 0; r == 0 && i < count; i++) {
		const void *it = items + i * f->item_size;

		if (i > 0)
			r = buf_putc(b, ',');
		if (r == 0 && named)
			r = json_key(b, *(char *const *)it, 1);
		if (r == 0)
			r = config_json_section(b, f->sub, it);
	}
	return r == 0 ? buf_putc(b, named ? '}' : ']') : r;
}

static int config_json_section(struct buf *b, const struct config_section *sec,
			       const void *obj)
{
	int first = 1;
	int r = buf_putc(b, '{');

	for (const struct config_field *f = sec->fields; f->key && !r; f++) {
		if (f->kind == CONFIG_K_ALIAS)
			continue;
		r = json_key(b, f->key, first);
		first = 0;
		if (r != 0)
			break;
		if (f->kind == CONFIG_K_SECTION)
			r = config_json_section(b, f->sub, obj);
		else if (f->kind == CONFIG_K_ITEMS || f->kind == CONFIG_K_NAMED)
			r = config_json_items(b, f, obj);
		else
			r = config_put_value(b, f, obj, false);
	}
	return r == 0 ? buf_putc(b, '}') : r;
}

int config_dump_yaml(const struct config *cfg, struct buf *out)
{
	return config_yaml_section(out, &config_sec_root, cfg, 0, false);
}

int config_dump_json(const struct config *cfg, struct buf *out)
{
	return config_json_section(out, &config_sec_root, cfg);
}
