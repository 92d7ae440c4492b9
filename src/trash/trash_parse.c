/*
 * Reader of the manifests trash_manifest.c writes: one JSON object whose
 * values are strings, integers and the "xattrs" array of {name, value}
 * objects. Unknown keys are skipped (any JSON value, bounded depth), so a
 * newer writer's manifests still load. Strict otherwise: duplicate keys,
 * missing required keys, out-of-range numbers and trailing bytes are
 * errors. Kept here, not in json-c, so the module has no parser dependency.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "trash/trash_int.h"

#define TP_KEY_MAX 32     /* bytes of a key we know */
#define TP_DEPTH_MAX 16   /* nesting of a skipped value */
#define TP_B64_MAX ((TRASH_XATTR_VALUE_MAX + 2) / 3 * 4 + 1)

struct tp {
	const char *s;
	size_t n, i;
};

static void tp_ws(struct tp *p)
{
	while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\n' ||
			       p->s[p->i] == '\t' || p->s[p->i] == '\r'))
		p->i++;
}

/* Skip blanks, then expect c. */
static int tp_lit(struct tp *p, char c)
{
	tp_ws(p);
	if (p->i >= p->n || p->s[p->i] != c)
		return -EINVAL;
	p->i++;
	return 0;
}

static int tp_peek(struct tp *p)
{
	tp_ws(p);
	return p->i < p->n ? (unsigned char)p->s[p->i] : -1;
}

static int tp_hex4(struct tp *p, unsigned *v)
{
	*v = 0;
	if (p->n - p->i < 4)
		return -EINVAL;
	for (int k = 0; k < 4; k++) {
		char c = p->s[p->i++];
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0') :
			     c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) :
			     c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16;

		if (d > 15)
			return -EINVAL;
		*v = *v << 4 | d;
	}
	return 0;
}

/* A \uXXXX escape (after the 'u'), a surrogate pair included; no NUL. */
static int tp_unicode(struct tp *p, unsigned *cp)
{
	unsigned lo;

	if (tp_hex4(p, cp) < 0 || *cp == 0 || (*cp >= 0xdc00 && *cp < 0xe000))
		return -EINVAL;
	if (*cp < 0xd800 || *cp >= 0xdc00)
		return 0;
	if (p->n - p->i < 2 || p->s[p->i] != '\\' || p->s[p->i + 1] != 'u')
		return -EINVAL;
	p->i += 2;
	if (tp_hex4(p, &lo) < 0 || lo < 0xdc00 || lo >= 0xe000)
		return -EINVAL;
	*cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
	return 0;
}

/* Append code point cp as UTF-8 to out[*o..cap-1). */
static int tp_put_cp(char *out, size_t cap, size_t *o, unsigned cp)
{
	unsigned char u[4];
	size_t k;

	if (cp < 0x80) {
		u[0] = (unsigned char)cp, k = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xc0 | cp >> 6), k = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xe0 | cp >> 12), k = 3;
	} else {
		u[0] = (unsigned char)(0xf0 | cp >> 18), k = 4;
	}
	for (size_t j = 1; j < k; j++)
		u[j] = (unsigned char)(0x80 | ((cp >> (6 * (k - 1 - j))) & 63));
	if (out == NULL)
		return 0;
	if (*o + k >= cap)
		return -E2BIG;
	memcpy(out + *o, u, k);
	*o += k;
	return 0;
}

/* One escape sequence (after the backslash). */
static int tp_escape(struct tp *p, char *out, size_t cap, size_t *o)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *hit;
	unsigned cp;

	if (p->i >= p->n)
		return -EINVAL;
	if (p->s[p->i] == 'u') {
		p->i++;
		return tp_unicode(p, &cp) < 0 ? -EINVAL :
		       tp_put_cp(out, cap, o, cp);
	}
	hit = memchr(from, p->s[p->i], sizeof(from) - 1);
	if (hit == NULL)
		return -EINVAL;
	p->i++;
	return tp_put_cp(out, cap, o, (unsigned char)to[hit - from]);
}

/* A string into out (cap bytes with the NUL; NULL: skip it); *len its length. */
static int tp_string(struct tp *p, char *out, size_t cap, size_t *len)
{
	size_t o = 0, cl;
	int rc = tp_lit(p, '"');

	while (rc == 0) {
		unsigned char c;

		if (p->i >= p->n)
			return -EINVAL;
		c = (unsigned char)p->s[p->i++];
		if (c == '"')
			break;
		if (c < 0x20)
			return -EINVAL;
		if (c == '\\') {
			rc = tp_escape(p, out, cap, &o);
			continue;
		}
		/* JSON text is UTF-8: a raw byte sequence must be valid. */
		cl = utf8_seq_len(p->s + p->i - 1, p->n - p->i + 1);
		if (cl == 0)
			return -EINVAL;
		if (out != NULL && o + cl >= cap)
			return -E2BIG;
		if (out != NULL)
			memcpy(out + o, p->s + p->i - 1, cl);
		o += cl;
		p->i += cl - 1;
	}
	if (rc == 0 && out != NULL) {
		out[o] = '\0';
		if (len != NULL)
			*len = o;
	}
	return rc;
}

static int tp_int(struct tp *p, int64_t min, int64_t max, int64_t *v)
{
	bool neg = false;
	uint64_t u = 0, lim;
	size_t start;

	tp_ws(p);
	if (p->i < p->n && p->s[p->i] == '-')
		neg = true, p->i++;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	start = p->i;
	while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') {
		unsigned d = (unsigned)(p->s[p->i++] - '0');

		if (u > (lim - d) / 10)
			return -ERANGE;
		u = u * 10 + d;
	}
	/* JSON: digits required, no leading zeros. */
	if (p->i == start || (p->s[start] == '0' && p->i - start > 1))
		return -EINVAL;
	*v = neg ? (int64_t)(0 - u) : (int64_t)u;
	return *v < min || *v > max ? -ERANGE : 0;
}

static int tp_skip(struct tp *p, int depth);

/* The members or elements of a skipped object or array. */
static int tp_skip_seq(struct tp *p, int depth, char close, bool members)
{
	int rc = 0;

	p->i++;
	if (tp_peek(p) == close) {
		p->i++;
		return 0;
	}
	for (;;) {
		if (members && ((rc = tp_string(p, NULL, 0, NULL)) < 0 ||
				(rc = tp_lit(p, ':')) < 0))
			return rc;
		if ((rc = tp_skip(p, depth + 1)) < 0)
			return rc;
		if (tp_peek(p) != ',')
			return tp_lit(p, close);
		p->i++;
	}
}

/* Any JSON value, not kept. */
static int tp_skip(struct tp *p, int depth)
{
	static const char *const words[] = { "true", "false", "null" };
	int c = tp_peek(p);
	size_t start = p->i;

	if (depth > TP_DEPTH_MAX)
		return -EINVAL;
	if (c == '"')
		return tp_string(p, NULL, 0, NULL);
	if (c == '{' || c == '[')
		return tp_skip_seq(p, depth, c == '{' ? '}' : ']', c == '{');
	for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
		size_t l = strlen(words[w]);

		if (p->n - p->i >= l && memcmp(p->s + p->i, words[w], l) == 0) {
			p->i += l;
			return 0;
		}
	}
	while (p->i < p->n && strchr("0123456789+-.eE", p->s[p->i]) != NULL &&
	       p->s[p->i] != '\0')
		p->i++;
	return p->i > start ? 0 : -EINVAL;
}

enum {
	TP_VERSION, TP_TOKEN, TP_SESSION, TP_PATH, TP_PATH_B64, TP_TYPE,
	TP_SIZE, TP_SHA256, TP_MODE, TP_UID, TP_GID, TP_MTIME, TP_TIME,
	TP_TIME_NS, TP_COMMAND, TP_PID, TP_XATTRS, TP_NKEYS
};

static const char *const tp_keys[TP_NKEYS] = {
	"version", "token", "session", "path", "path_b64", "type", "size",
	"sha256", "mode", "uid", "gid", "mtime_ns", "time", "time_ns",
	"command", "pid", "xattrs",
};

#define TP_REQUIRED (1u << TP_VERSION | 1u << TP_TOKEN | 1u << TP_SESSION | \
		     1u << TP_PATH | 1u << TP_TYPE | 1u << TP_MODE |          \
		     1u << TP_UID | 1u << TP_GID | 1u << TP_MTIME |           \
		     1u << TP_TIME_NS)

struct tp_ctx {
	struct trash_entry *e;
	unsigned seen;
	char b64[(TRASH_PATH_MAX + 2) / 3 * 4 + 1]; /* path_b64 */
	size_t b64_len;
	char type[16], mode[16];
	char *vb;      /* an xattr value's base64, TP_B64_MAX bytes */
	size_t total;  /* xattr value bytes so far */
};

/* The members of one {"name": ..., "value": ...} object. */
static int tp_xattr_member(struct tp *p, struct tp_ctx *c,
			   struct trash_xattr *x, char *name)
{
	char key[TP_KEY_MAX];
	size_t len = 0;
	ssize_t n;
	int rc;

	if ((rc = tp_string(p, key, sizeof(key), NULL)) < 0 ||
	    (rc = tp_lit(p, ':')) < 0)
		return rc;
	if (strcmp(key, "name") == 0 && name[0] == '\0')
		return tp_string(p, name, TRASH_XATTR_NAME_MAX, NULL);
	if (strcmp(key, "value") != 0 || x->value != NULL)
		return strcmp(key, "name") == 0 || strcmp(key, "value") == 0 ?
		       -EINVAL : tp_skip(p, 1);
	if ((rc = tp_string(p, c->vb, TP_B64_MAX, &len)) < 0)
		return rc;
	x->value = malloc(len / 4 * 3 + 1);
	if (x->value == NULL)
		return -ENOMEM;
	n = trash_b64_decode(c->vb, len, x->value, len / 4 * 3 + 1);
	if (n < 0 || c->total + (size_t)n > TRASH_XATTR_TOTAL_MAX)
		return -EINVAL;
	x->len = (size_t)n;
	c->total += x->len;
	return 0;
}

/* One element of "xattrs"; it joins e only when complete. */
static int tp_xattr(struct tp *p, struct tp_ctx *c)
{
	struct trash_xattr x = { 0 };
	char name[TRASH_XATTR_NAME_MAX] = "";
	int rc = tp_lit(p, '{');

	if (rc == 0 && c->e->n_xattrs >= TRASH_XATTRS_MAX)
		rc = -E2BIG;
	while (rc == 0) {
		if ((rc = tp_xattr_member(p, c, &x, name)) < 0)
			break;
		if (tp_peek(p) != ',') {
			rc = tp_lit(p, '}');
			break;
		}
		p->i++;
	}
	if (rc == 0 && (name[0] == '\0' || x.value == NULL ||
			!trash_text_ok(name, strlen(name))))
		rc = -EINVAL;
	if (rc == 0 && (x.name = strdup(name)) == NULL)
		rc = -ENOMEM;
	if (rc < 0) {
		free(x.value);
		return rc;
	}
	c->e->xattrs[c->e->n_xattrs++] = x;
	return 0;
}

static int tp_xattrs(struct tp *p, struct tp_ctx *c)
{
	int rc = tp_lit(p, '[');

	if (rc == 0 && c->vb == NULL && (c->vb = malloc(TP_B64_MAX)) == NULL)
		return -ENOMEM;
	if (rc < 0 || tp_peek(p) == ']')
		return rc < 0 ? rc : tp_lit(p, ']');
	while ((rc = tp_xattr(p, c)) == 0 && tp_peek(p) == ',')
		p->i++;
	return rc < 0 ? rc : tp_lit(p, ']');
}

/* The value of known key k. */
static int tp_value(struct tp *p, struct tp_ctx *c, int k)
{
	struct trash_entry *e = c->e;
	int64_t v = 0;
	int rc;

	switch (k) {
	case TP_TOKEN:
		return tp_string(p, e->token, sizeof(e->token), NULL);
	case TP_SESSION:
		return tp_string(p, e->session, sizeof(e->session), NULL);
	case TP_PATH:
		return tp_string(p, e->path, sizeof(e->path), NULL);
	case TP_PATH_B64:
		return tp_string(p, c->b64, sizeof(c->b64), &c->b64_len);
	case TP_TYPE:
		return tp_string(p, c->type, sizeof(c->type), NULL);
	case TP_SHA256:
		return tp_string(p, e->sha256, sizeof(e->sha256), NULL);
	case TP_MODE:
		return tp_string(p, c->mode, sizeof(c->mode), NULL);
	case TP_TIME:
		return tp_string(p, NULL, 0, NULL);
	case TP_COMMAND:
		return tp_string(p, e->command, sizeof(e->command), NULL);
	case TP_XATTRS:
		return tp_xattrs(p, c);
	case TP_VERSION:
		return tp_int(p, 1, 1, &v);
	case TP_UID:
	case TP_GID:
		rc = tp_int(p, 0, (int64_t)UINT32_MAX - 1, &v);
		if (k == TP_UID)
			e->uid = (uid_t)v;
		else
			e->gid = (gid_t)v;
		return rc;
	case TP_SIZE:
		rc = tp_int(p, 0, INT64_MAX, &v);
		e->size = (uint64_t)v;
		return rc;
	default:
		rc = tp_int(p, k == TP_PID ? 0 : INT64_MIN, INT64_MAX, &v);
		*(k == TP_MTIME ? &e->mtime_ns : k == TP_TIME_NS ? &e->time_ns :
		  &e->pid) = v;
		return rc;
	}
}

/* "key": value */
static int tp_member(struct tp *p, struct tp_ctx *c)
{
	char key[TP_KEY_MAX];
	int rc, k;

	if ((rc = tp_string(p, key, sizeof(key), NULL)) < 0 ||
	    (rc = tp_lit(p, ':')) < 0)
		return rc;
	for (k = 0; k < TP_NKEYS; k++)
		if (strcmp(key, tp_keys[k]) == 0)
			break;
	if (k == TP_NKEYS)
		return tp_skip(p, 1);
	if (c->seen & (1u << k))
		return -EINVAL;
	c->seen |= 1u << k;
	return tp_value(p, c, k);
}

/* Type, mode, hash and path, checked once everything is read. */
static int tp_finish(struct tp_ctx *c)
{
	struct trash_entry *e = c->e;
	char *end = NULL;
	unsigned long mode;
	ssize_t n;

	if ((c->seen & TP_REQUIRED) != TP_REQUIRED ||
	    !trash_token_valid(e->token) || !trash_session_valid(e->session))
		return -EINVAL;
	if (strcmp(c->type, "file") == 0)
		e->type = TRASH_FILE;
	else if (strcmp(c->type, "symlink") == 0)
		e->type = TRASH_SYMLINK;
	else if (strcmp(c->type, "dir") == 0)
		e->type = TRASH_DIR;
	else
		return -EINVAL;
	mode = strtoul(c->mode, &end, 8);
	if (c->mode[0] < '0' || c->mode[0] > '7' || *end != '\0' ||
	    mode > 07777)
		return -EINVAL;
	e->mode = (mode_t)mode;
	if (e->type == TRASH_FILE && (strlen(e->sha256) != TRASH_SHA256_HEX ||
	    strspn(e->sha256, "0123456789abcdef") != TRASH_SHA256_HEX))
		return -EINVAL;
	if (c->seen & (1u << TP_PATH_B64)) {
		n = trash_b64_decode(c->b64, c->b64_len,
				     (unsigned char *)e->path, TRASH_PATH_MAX - 1);
		if (n < 0 || memchr(e->path, '\0', (size_t)n) != NULL)
			return -EINVAL;
		e->path[n] = '\0';
	}
	return e->path[0] == '/' ? 0 : -EINVAL;
}

int trash_manifest_parse(const char *text, size_t n, struct trash_entry *e)
{
	struct tp p = { .s = text, .n = n };
	struct tp_ctx *c = calloc(1, sizeof(*c));
	int rc;

	memset(e, 0, sizeof(*e));
	if (c == NULL)
		return -ENOMEM;
	c->e = e;
	rc = tp_lit(&p, '{');
	if (rc == 0 && tp_peek(&p) == '}')
		rc = -EINVAL;
	while (rc == 0) {
		if ((rc = tp_member(&p, c)) < 0)
			break;
		if (tp_peek(&p) != ',') {
			rc = tp_lit(&p, '}');
			break;
		}
		p.i++;
	}
	if (rc == 0)
		rc = tp_finish(c);
	if (rc == 0 && (tp_ws(&p), p.i != p.n))
		rc = -EINVAL;
	if (rc < 0)
		trash_entry_release(e);
	free(c->vb);
	free(c);
	return rc < 0 ? -EINVAL : 0;
}
