/*
 * ${VAR} expansion inside one scalar value, from the supplied environment.
 *
 * Syntax: $NAME and ${NAME} (NAME is [A-Za-z_][A-Za-z0-9_]*),
 * ${NAME:-fallback} (fallback when NAME is unset or empty; the fallback is
 * literal text up to the first '}'), and $$ for a literal '$'. A '$' not
 * followed by one of these forms stays as it is. An unset NAME without a
 * fallback expands to "" with a warning, like Go's os.ExpandEnv.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "config/config_internal.h"

#define CONFIG_VARNAME_MAX 256

static bool config_name_start(char ch)
{
	return isalpha((unsigned char)ch) || ch == '_';
}

static bool config_name_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '_';
}

/* Append the value of name (or fallback) to b; warn if it is unset. */
static int config_subst(struct config_ctx *c, const struct ydoc_node *n,
			struct buf *b, const char *name, size_t nlen,
			const char *fb, size_t fblen)
{
	char var[CONFIG_VARNAME_MAX];
	const char *v;

	if (nlen >= sizeof(var)) {
		config_report(c, n, NULL, DIAG_ERROR, "bad-expansion",
			      "variable name in value is too long (limit %d)",
			      CONFIG_VARNAME_MAX - 1);
		return -EINVAL;
	}
	memcpy(var, name, nlen);
	var[nlen] = '\0';
	v = config_getenv(c->envp, var);
	if (v != NULL && *v != '\0')
		return buf_puts(b, v);
	if (fb != NULL)
		return buf_append(b, fb, fblen);
	if (v == NULL)
		config_report(c, n, NULL, DIAG_WARNING, "undefined-var",
			      "environment variable '%s' is not set; it "
			      "expands to an empty string", var);
	return 0;
}

/* Expand the ${...} form at p (p[0..1] == "${"); *used gets its length. */
static int config_brace(struct config_ctx *c, const struct ydoc_node *n,
			struct buf *b, const char *p, size_t len, size_t *used)
{
	const char *end = memchr(p, '}', len);
	size_t i = 2, nlen;

	if (end == NULL) {
		config_report(c, n, NULL, DIAG_ERROR, "bad-expansion",
			      "unterminated '${' in value (write '$$' for a "
			      "literal '$')");
		return -EINVAL;
	}
	*used = (size_t)(end - p) + 1;
	if (i < (size_t)(end - p) && config_name_start(p[i]))
		while (i < (size_t)(end - p) && config_name_char(p[i]))
			i++;
	nlen = i - 2;
	if (nlen > 0 && p + i == end)
		return config_subst(c, n, b, p + 2, nlen, NULL, 0);
	if (nlen > 0 && (size_t)(end - p) >= i + 2 && p[i] == ':' &&
	    p[i + 1] == '-')
		return config_subst(c, n, b, p + 2, nlen, p + i + 2,
				    (size_t)(end - (p + i + 2)));
	config_report(c, n, NULL, DIAG_ERROR, "bad-expansion",
		      "invalid variable reference '%.*s' (use ${NAME} or "
		      "${NAME:-fallback}; '$$' is a literal '$')",
		      (int)*used, p);
	return -EINVAL;
}

/* Expand the '$' form at p; *used gets the number of bytes consumed. */
static int config_dollar(struct config_ctx *c, const struct ydoc_node *n,
			 struct buf *b, const char *p, size_t len,
			 size_t *used)
{
	size_t i = 1;

	if (len >= 2 && p[1] == '$') {
		*used = 2;
		return buf_putc(b, '$');
	}
	if (len >= 2 && p[1] == '{')
		return config_brace(c, n, b, p, len, used);
	if (len < 2 || !config_name_start(p[1])) {
		*used = 1;
		return buf_putc(b, '$');
	}
	while (i < len && config_name_char(p[i]))
		i++;
	*used = i;
	return config_subst(c, n, b, p + 1, i - 1, NULL, 0);
}

int config_expand(struct config_ctx *c, const struct ydoc_node *n,
		  char **out)
{
	struct buf b;
	size_t i = 0;
	int r = 0;

	*out = NULL;
	if (n == NULL || n->kind != YDOC_SCALAR ||
	    memchr(n->str, '$', n->len) == NULL)
		return 0;
	buf_init(&b, CONFIG_VALUE_MAX);
	while (r == 0 && i < n->len) {
		const char *dollar = memchr(n->str + i, '$', n->len - i);
		size_t lit = dollar ? (size_t)(dollar - (n->str + i))
				    : n->len - i;
		size_t used = 0;

		r = buf_append(&b, n->str + i, lit);
		i += lit;
		if (r == 0 && i < n->len) {
			r = config_dollar(c, n, &b, n->str + i, n->len - i,
					  &used);
			i += used;
		}
	}
	if (r == -E2BIG)
		config_report(c, n, NULL, DIAG_ERROR, "bad-expansion",
			      "value is longer than %d bytes after expansion",
			      CONFIG_VALUE_MAX);
	if (r == 0)
		*out = buf_steal(&b);
	buf_release(&b);
	if (r == 0 && *out == NULL)
		r = -ENOMEM;
	return r == -E2BIG ? -EINVAL : r;
}
