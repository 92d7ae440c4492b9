/*
 * The server name of a TLS ClientHello, read by hand: bounded, no
 * allocation, every length checked against what is left. Only a hello
 * carried in one record is understood (a refusal otherwise).
 */
#include "proxy/proxy.h"

#include <errno.h>
#include <string.h>

#define PROXY_TLS_RECORD_MAX 16384 /* TLSPlaintext.length limit (RFC 8446) */

struct proxy_tls_rd {
	const uint8_t *p;
	size_t n;
	int bad;
};

static size_t proxy_tls_get(struct proxy_tls_rd *r, size_t bytes)
{
	size_t v = 0;

	if (r->bad || r->n < bytes) {
		r->bad = 1;
		return 0;
	}
	for (size_t i = 0; i < bytes; i++)
		v = v << 8 | r->p[i];
	r->p += bytes;
	r->n -= bytes;
	return v;
}

static void proxy_tls_skip(struct proxy_tls_rd *r, size_t bytes)
{
	if (r->bad || r->n < bytes) {
		r->bad = 1;
		return;
	}
	r->p += bytes;
	r->n -= bytes;
}

/* A reader over the next len-prefixed block (prefix of lb bytes). */
static struct proxy_tls_rd proxy_tls_sub(struct proxy_tls_rd *r, size_t lb)
{
	struct proxy_tls_rd s = {0};
	size_t l = proxy_tls_get(r, lb);

	if (r->bad || r->n < l) {
		r->bad = s.bad = 1;
		return s;
	}
	s.p = r->p;
	s.n = l;
	proxy_tls_skip(r, l);
	return s;
}

static int proxy_tls_name(struct proxy_tls_rd ext, char *out, size_t outlen)
{
	struct proxy_tls_rd list = proxy_tls_sub(&ext, 2);

	while (!list.bad && list.n > 0) {
		size_t type = proxy_tls_get(&list, 1);
		struct proxy_tls_rd name = proxy_tls_sub(&list, 2);
		if (list.bad)
			break;
		if (type != 0)
			continue;
		if (name.n == 0 || name.n >= outlen ||
		    memchr(name.p, '\0', name.n) != NULL)
			return -EINVAL;
		memcpy(out, name.p, name.n);
		out[name.n] = '\0';
		return 1;
	}
	return -EINVAL;
}

static int proxy_tls_hello(struct proxy_tls_rd h, char *out, size_t outlen)
{
	struct proxy_tls_rd exts;

	proxy_tls_skip(&h, 2 + 32);            /* legacy_version, random */
	(void)proxy_tls_sub(&h, 1);            /* legacy_session_id */
	(void)proxy_tls_sub(&h, 2);            /* cipher_suites */
	(void)proxy_tls_sub(&h, 1);            /* compression methods */
	if (h.bad)
		return -EINVAL;
	if (h.n == 0)
		return -ENOENT;                /* no extensions at all */
	exts = proxy_tls_sub(&h, 2);
	while (!exts.bad && exts.n > 0) {
		size_t type = proxy_tls_get(&exts, 2);
		struct proxy_tls_rd ext = proxy_tls_sub(&exts, 2);
		if (!exts.bad && type == 0)
			return proxy_tls_name(ext, out, outlen);
	}
	return exts.bad ? -EINVAL : -ENOENT;
}

int proxy_tls_sni(const uint8_t *p, size_t n, char *out, size_t outlen)
{
	struct proxy_tls_rd r = {p, n, 0}, hs;
	size_t len;

	if (n >= 1 && p[0] != 0x16)
		return -EINVAL;
	if (n < 5)
		return 0;
	proxy_tls_skip(&r, 3);
	len = proxy_tls_get(&r, 2);
	if (len < 4 || len > PROXY_TLS_RECORD_MAX)
		return -EINVAL;
	if (r.n < len)
		return 0;
	r.n = len;
	if (proxy_tls_get(&r, 1) != 1)         /* client_hello */
		return -EINVAL;
	hs.n = proxy_tls_get(&r, 3);
	if (r.bad || hs.n > r.n)
		return -EINVAL;                /* spans records: refused */
	hs.p = r.p;
	hs.bad = 0;
	return proxy_tls_hello(hs, out, outlen);
}
