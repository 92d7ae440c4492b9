/*
 * A small strict JSON scanner for event lines: it validates any value
 * (RFC 8259, UTF-8 checked, nesting bounded) and extracts the members the
 * SQL columns need. Journal files are read back after a crash and may be
 * torn or tampered with, so everything here treats its input as hostile.
 */
#include <errno.h>
#include <string.h>

#include "audit/audit_int.h"
#include "common/str.h"
#include "common/utf8.h"

#define AUDIT_JNUM_MAX 32 /* bytes of a number we convert (pid) */
#define AUDIT_JKEY_MAX 64 /* bytes of a member name we compare */

struct audit_jcur {
	const char *p, *end;
};

static void audit_jws(struct audit_jcur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' ||
				 *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int audit_jhex4(const char *p, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char ch = p[i];

		v <<= 4;
		if (ch >= '0' && ch <= '9')
			v |= (unsigned)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			v |= (unsigned)(ch - 'a' + 10);
		else if (ch >= 'A' && ch <= 'F')
			v |= (unsigned)(ch - 'A' + 10);
		else
			return -EINVAL;
	}
	*out = v;
	return 0;
}

/* Append code point cp as UTF-8; NUL and lone surrogates become U+FFFD. */
static int audit_jput_cp(struct buf *out, unsigned cp)
{
	char u[4];
	size_t n;

	if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd;
	n = utf8_encode(cp, u);
	return out ? buf_append(out, u, n) : 0;
}

/* A \uXXXX escape at c->p (after the backslash and 'u'), pairs joined. */
static int audit_jucode(struct audit_jcur *c, struct buf *out)
{
	unsigned cp, lo;

	if (c->end - c->p < 4 || audit_jhex4(c->p, &cp) < 0)
		return -EINVAL;
	c->p += 4;
	if (cp >= 0xd800 && cp <= 0xdbff && c->end - c->p >= 6 &&
	    c->p[0] == '\\' && c->p[1] == 'u' &&
	    audit_jhex4(c->p + 2, &lo) == 0 && lo >= 0xdc00 && lo <= 0xdfff) {
		c->p += 6;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	return audit_jput_cp(out, cp);
}

/* One escape sequence at c->p (the backslash). */
static int audit_jescape(struct audit_jcur *c, struct buf *out)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *hit;

	if (c->end - c->p < 2)
		return -EINVAL;
	c->p++;
	if (*c->p == 'u') {
		c->p++;
		return audit_jucode(c, out);
	}
	hit = *c->p ? memchr(from, *c->p, sizeof(from) - 1) : NULL;
	if (hit == NULL)
		return -EINVAL;
	c->p++;
	return out ? buf_putc(out, to[hit - from]) : 0;
}

/* A string at c->p (the opening quote); its value is appended to out. */
static int audit_jstr(struct audit_jcur *c, struct buf *out)
{
	int r = 0;

	c->p++;
	while (r == 0 && c->p < c->end) {
		const char *run = c->p;
		unsigned char ch;
		size_t cl;

		while (c->p < c->end && (unsigned char)*c->p >= 0x20 &&
		       (unsigned char)*c->p < 0x80 && *c->p != '"' &&
		       *c->p != '\\')
			c->p++;
		if (out != NULL && c->p > run)
			r = buf_append(out, run, (size_t)(c->p - run));
		if (r < 0 || c->p >= c->end)
			break;
		ch = (unsigned char)*c->p;
		if (ch == '"') {
			c->p++;
			return 0;
		} else if (ch == '\\') {
			r = audit_jescape(c, out);
		} else if (ch < 0x20) {
			return -EINVAL;
		} else if ((cl = utf8_seq_len(c->p,
					      (size_t)(c->end - c->p))) == 0) {
			return -EINVAL;
		} else {
			if (out != NULL)
				r = buf_append(out, c->p, cl);
			c->p += cl;
		}
	}
	return r < 0 ? r : -EINVAL;
}

static void audit_jdigits(struct audit_jcur *c)
{
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
		c->p++;
}

static int audit_jnumber(struct audit_jcur *c)
{
	const char *d;

	if (c->p < c->end && *c->p == '-')
		c->p++;
	if (c->p >= c->end || *c->p < '0' || *c->p > '9')
		return -EINVAL;
	if (*c->p == '0')
		c->p++;
	else
		audit_jdigits(c);
	if (c->p < c->end && *c->p == '.') {
		d = ++c->p;
		audit_jdigits(c);
		if (c->p == d)
			return -EINVAL;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		d = c->p;
		audit_jdigits(c);
		if (c->p == d)
			return -EINVAL;
	}
	return 0;
}

static int audit_jword(struct audit_jcur *c, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n) != 0)
		return -EINVAL;
	c->p += n;
	return 0;
}

static int audit_jvalue(struct audit_jcur *c, int depth);

/* Skip an object or array at c->p; members are validated recursively. */
static int audit_jcontainer(struct audit_jcur *c, int depth)
{
	char close = *c->p == '{' ? '}' : ']';
	bool obj = close == '}', first = true;
	int r;

	if (depth >= AUDIT_JSON_DEPTH)
		return -EINVAL;
	c->p++;
	for (;;) {
		audit_jws(c);
		if (c->p >= c->end)
			return -EINVAL;
		if (*c->p == close && first) {
			c->p++;
			return 0;
		}
		if (obj) {
			if (*c->p != '"' || (r = audit_jstr(c, NULL)) < 0)
				return -EINVAL;
			audit_jws(c);
			if (c->p >= c->end || *c->p++ != ':')
				return -EINVAL;
		}
		if ((r = audit_jvalue(c, depth + 1)) < 0)
			return r;
		audit_jws(c);
		if (c->p >= c->end)
			return -EINVAL;
		if (*c->p == close) {
			c->p++;
			return 0;
		}
		if (*c->p++ != ',')
			return -EINVAL;
		first = false;
	}
}

/* Validate and skip any value (leading whitespace allowed). */
static int audit_jvalue(struct audit_jcur *c, int depth)
{
	audit_jws(c);
	if (c->p >= c->end)
		return -EINVAL;
	switch (*c->p) {
	case '"':
		return audit_jstr(c, NULL);
	case '{':
	case '[':
		return audit_jcontainer(c, depth);
	case 't':
		return audit_jword(c, "true");
	case 'f':
		return audit_jword(c, "false");
	case 'n':
		return audit_jword(c, "null");
	default:
		return audit_jnumber(c);
	}
}

int audit_json_check_object(const char *s, size_t n)
{
	struct audit_jcur c = {s, s + n};
	int r;

	audit_jws(&c);
	if (c.p >= c.end || *c.p != '{')
		return -EINVAL;
	r = audit_jvalue(&c, 0);
	if (r < 0)
		return r;
	audit_jws(&c);
	return c.p == c.end ? 0 : -EINVAL;
}

int audit_json_minify(struct buf *b, const char *s, size_t n)
{
	size_t i = 0, run = 0;
	bool in_str = false;
	int r = 0;

	for (; i < n && r == 0; i++) {
		char ch = s[i];

		if (in_str) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_str = false;
		} else if (ch == '"') {
			in_str = true;
		} else if (ch == ' ' || ch == '\t' || ch == '\n' ||
			   ch == '\r') {
			r = buf_append(b, s + run, i - run);
			run = i + 1;
		}
	}
	if (r == 0 && n > run)
		r = buf_append(b, s + run, n - run);
	return r;
}

/* Where each column's string sits in the scratch buffer (0: absent). */
struct audit_jcols {
	size_t id, type, sid, cid, dec, eff, rule, path, dom, rem, op, ts;
	int64_t pid;
};

/* Read a string member into scratch, NUL-terminated; *at is 1 + offset. */
static int audit_jcol(struct audit_jcur *c, struct buf *scratch, size_t *at)
{
	size_t start = scratch->len;
	int r;

	if (c->p >= c->end || *c->p != '"')
		return audit_jvalue(c, 1); /* not a string: leave absent */
	r = audit_jstr(c, scratch);
	if (r == 0)
		r = buf_putc(scratch, '\0');
	if (r == 0)
		*at = start + 1;
	return r;
}

/* "pid": an integer; anything else is validated and ignored. */
static int audit_jpid(struct audit_jcur *c, int64_t *pid)
{
	const char *start = c->p;
	char tok[AUDIT_JNUM_MAX];
	size_t n;
	int r;

	r = audit_jvalue(c, 1);
	n = (size_t)(c->p - start);
	if (r < 0 || n >= sizeof(tok))
		return r;
	memcpy(tok, start, n);
	tok[n] = '\0';
	if (str_to_i64(tok, INT32_MIN, INT32_MAX, pid) < 0)
		*pid = 0;
	return 0;
}

/*
 * Read a member name and its colon. The name, cut to AUDIT_JKEY_MAX - 1
 * bytes, goes to key; *len is its full length, so a cut name never
 * compares equal. scratch (used while unescaping) is left as it was.
 */
static int audit_jkey(struct audit_jcur *c, struct buf *scratch,
		      char key[AUDIT_JKEY_MAX], size_t *len)
{
	size_t start = scratch->len;
	int r;

	audit_jws(c);
	if (c->p >= c->end || *c->p != '"')
		return -EINVAL;
	r = audit_jstr(c, scratch);
	if (r < 0)
		return r;
	*len = scratch->len - start;
	key[0] = '\0';
	if (*len > 0) { /* else scratch->data may still be NULL */
		size_t n = *len < AUDIT_JKEY_MAX ? *len : AUDIT_JKEY_MAX - 1;

		memcpy(key, scratch->data + start, n);
		key[n] = '\0';
		scratch->len = start;
		scratch->data[start] = '\0';
	}
	audit_jws(c);
	if (c->p >= c->end || *c->p++ != ':')
		return -EINVAL;
	audit_jws(c);
	return 0;
}

/* The "policy" object: decision, effective_decision, rule. */
static int audit_jpolicy(struct audit_jcur *c, struct buf *scratch,
			 struct audit_jcols *k)
{
	char key[AUDIT_JKEY_MAX];
	size_t klen;
	int r;

	if (c->p >= c->end || *c->p != '{')
		return audit_jvalue(c, 1);
	c->p++;
	audit_jws(c);
	if (c->p < c->end && *c->p == '}') {
		c->p++;
		return 0;
	}
	for (;;) {
		if ((r = audit_jkey(c, scratch, key, &klen)) < 0)
			return r;
		if (klen >= AUDIT_JKEY_MAX)
			r = audit_jvalue(c, 2);
		else if (strcmp(key, "decision") == 0)
			r = audit_jcol(c, scratch, &k->dec);
		else if (strcmp(key, "effective_decision") == 0)
			r = audit_jcol(c, scratch, &k->eff);
		else if (strcmp(key, "rule") == 0)
			r = audit_jcol(c, scratch, &k->rule);
		else
			r = audit_jvalue(c, 2);
		audit_jws(c);
		if (r < 0 || c->p >= c->end)
			return -EINVAL;
		if (*c->p == '}') {
			c->p++;
			return 0;
		}
		if (*c->p++ != ',')
			return -EINVAL;
	}
}

/* Dispatch one top-level member to its column. */
static int audit_jmember(struct audit_jcur *c, const char *key,
			 struct buf *scratch, struct audit_jcols *k)
{
	static const struct {
		const char *name;
		size_t off;
	} cols[] = {
		{"id", offsetof(struct audit_jcols, id)},
		{"timestamp", offsetof(struct audit_jcols, ts)},
		{"type", offsetof(struct audit_jcols, type)},
		{"session_id", offsetof(struct audit_jcols, sid)},
		{"command_id", offsetof(struct audit_jcols, cid)},
		{"path", offsetof(struct audit_jcols, path)},
		{"domain", offsetof(struct audit_jcols, dom)},
		{"remote", offsetof(struct audit_jcols, rem)},
		{"operation", offsetof(struct audit_jcols, op)},
	};

	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
		if (strcmp(key, cols[i].name) == 0)
			return audit_jcol(c, scratch,
					  (size_t *)((char *)k + cols[i].off));
	}
	if (strcmp(key, "pid") == 0)
		return audit_jpid(c, &k->pid);
	if (strcmp(key, "policy") == 0)
		return audit_jpolicy(c, scratch, k);
	return audit_jvalue(c, 1);
}

/* Walk the top-level object, filling k. */
static int audit_jtop(struct audit_jcur *c, struct buf *scratch,
		      struct audit_jcols *k)
{
	char key[AUDIT_JKEY_MAX];
	size_t klen;
	int r;

	audit_jws(c);
	if (c->p >= c->end || *c->p++ != '{')
		return -EINVAL;
	for (;;) {
		if ((r = audit_jkey(c, scratch, key, &klen)) < 0)
			return r;
		r = klen < AUDIT_JKEY_MAX ? audit_jmember(c, key, scratch, k) :
					    audit_jvalue(c, 1);
		if (r < 0)
			return r;
		audit_jws(c);
		if (c->p >= c->end)
			return -EINVAL;
		if (*c->p == '}')
			break;
		if (*c->p++ != ',')
			return -EINVAL;
	}
	c->p++;
	audit_jws(c);
	return c->p == c->end ? 0 : -EINVAL;
}

static const char *audit_jat(const struct buf *scratch, size_t at)
{
	return at ? scratch->data + at - 1 : NULL;
}

int audit_jline_parse(const char *s, size_t n, struct audit_row *r,
		      struct buf *scratch)
{
	struct audit_jcur c = {s, s + n};
	struct audit_jcols k;
	const char *ts;
	int rc;

	memset(&k, 0, sizeof(k));
	memset(r, 0, sizeof(*r));
	buf_reset(scratch);
	rc = audit_jtop(&c, scratch, &k);
	if (rc < 0)
		return -EINVAL;
	r->id = audit_jat(scratch, k.id);
	r->type = audit_jat(scratch, k.type);
	ts = audit_jat(scratch, k.ts);
	if (r->id == NULL || r->id[0] == '\0' || r->type == NULL ||
	    r->type[0] == '\0' || ts == NULL ||
	    audit_time_parse(ts, strlen(ts), &r->ts_ns) < 0)
		return -EINVAL;
	r->session_id = audit_jat(scratch, k.sid);
	r->command_id = audit_jat(scratch, k.cid);
	r->pid = k.pid;
	r->decision = audit_jat(scratch, k.dec);
	r->effective = audit_jat(scratch, k.eff);
	r->rule = audit_jat(scratch, k.rule);
	r->path = audit_jat(scratch, k.path);
	r->domain = audit_jat(scratch, k.dom);
	r->remote = audit_jat(scratch, k.rem);
	r->operation = audit_jat(scratch, k.op);
	r->json = s;
	r->json_len = n;
	return 0;
}

/* With c at an object, move to the value of member name[0..n), if any. */
static int audit_jfind(struct audit_jcur *c, const char *name, size_t n)
{
	char key[AUDIT_JKEY_MAX];
	struct buf scratch;
	size_t klen;
	int r;

	buf_init(&scratch, AUDIT_EVENT_MAX);
	c->p++;
	audit_jws(c);
	r = c->p < c->end && *c->p == '}' ? 0 : 1;
	while (r == 1) {
		buf_reset(&scratch);
		if (audit_jkey(c, &scratch, key, &klen) < 0) {
			r = -EINVAL;
			break;
		}
		if (klen == n && n < AUDIT_JKEY_MAX &&
		    memcmp(key, name, n) == 0)
			break; /* r == 1 */
		if (audit_jvalue(c, 1) < 0) {
			r = -EINVAL;
			break;
		}
		audit_jws(c);
		r = -EINVAL;
		if (c->p >= c->end)
			break;
		if (*c->p == '}')
			r = 0;
		else if (*c->p++ == ',')
			r = 1;
	}
	buf_release(&scratch);
	return r;
}

int audit_json_get(const char *json, size_t len, const char *dotted,
		   struct buf *out)
{
	struct audit_jcur c = {json, json + len};
	const char *comp = dotted, *start;
	int r;

	for (;;) {
		size_t clen = strcspn(comp, ".");

		audit_jws(&c);
		if (c.p >= c.end)
			return -EINVAL;
		if (*c.p != '{')
			return 0;
		if ((r = audit_jfind(&c, comp, clen)) <= 0)
			return r;
		if (comp[clen] == '\0')
			break;
		comp += clen + 1;
	}
	if (c.p < c.end && *c.p == '"')
		return audit_jstr(&c, out) < 0 ? -EINVAL : 1;
	start = c.p;
	if (audit_jvalue(&c, 1) < 0)
		return -EINVAL;
	r = buf_append(out, start, (size_t)(c.p - start));
	return r < 0 ? r : 2;
}
