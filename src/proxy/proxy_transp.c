/*
 * Transparent connections: accepted on a listener that nftables redirects
 * a network namespace's TCP to. The original destination comes from
 * conntrack (SO_ORIGINAL_DST), the name from the first bytes the client
 * sends (TLS server name, or the HTTP Host header); then the same decision
 * as a CONNECT, on the name when it resolves to the original destination,
 * else on the address alone, and the proxy dials that destination only.
 */
#include "proxy/proxy_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter_ipv4.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#ifndef IP6T_SO_ORIGINAL_DST
#define IP6T_SO_ORIGINAL_DST 80 /* linux/netfilter_ipv6/ip6_tables.h */
#endif

/* A host name as a policy can match it: letters, digits, '-', '_', '.'. */
static bool proxy_sniff_hostname_ok(const char *h, size_t n)
{
	if (n == 0 || n >= PROXY_HOST_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = h[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
		      ch == '.'))
			return false;
	}
	return true;
}

/* The Host header's name (no port, no brackets) of a complete head. */
static int proxy_sniff_host(const char *p, size_t n, char *out, size_t outlen)
{
	const char *line = memchr(p, '\n', n), *end = p + n;

	while (line && ++line < end) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		size_t len = eol ? (size_t)(eol - line) : (size_t)(end - line);
		if (len <= 2)
			break; /* the blank line: end of the head */
		if (len > 5 && strncasecmp(line, "host:", 5) == 0) {
			const char *h = line + 5, *e = line + len;
			while (h < e && (*h == ' ' || *h == '\t'))
				h++;
			while (e > h && (e[-1] == '\r' || e[-1] == ' ' ||
					 e[-1] == '\t'))
				e--;
			const char *colon = memchr(h, ':', (size_t)(e - h));
			if (colon)
				e = colon;
			if (!proxy_sniff_hostname_ok(h, (size_t)(e - h)) ||
			    (size_t)(e - h) >= outlen)
				return -ENOENT;
			memcpy(out, h, (size_t)(e - h));
			out[e - h] = '\0';
			return 1;
		}
		line = eol;
	}
	return -ENOENT;
}

/* Does p start like an HTTP/1 request line ("METHOD SP")? */
static bool proxy_sniff_http(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && i < PROXY_METHOD_MAX && p[i] >= 'A' && p[i] <= 'Z')
		i++;
	return i > 0 && (i == n || (i < n && p[i] == ' '));
}

int proxy_sniff_name(const uint8_t *p, size_t n, bool eof, char *out,
		     size_t outlen, bool *http)
{
	const char *s = (const char *)p;
	const char *head_end;
	int r;

	*http = false;
	if (n == 0)
		return eof ? -ENOENT : 0;
	if (p[0] == 0x16) {
		r = proxy_tls_sni(p, n, out, outlen);
		if (r == 0)
			return eof || n >= PROXY_PEEK_MAX ? -ENOENT : 0;
		if (r == 1 && !proxy_sniff_hostname_ok(out, strlen(out)))
			return -ENOENT;
		return r == 1 ? 1 : -ENOENT;
	}
	if (!proxy_sniff_http(s, n))
		return -ENOENT;
	*http = true;
	head_end = memmem(s, n < PROXY_HEAD_MAX ? n : PROXY_HEAD_MAX,
			  "\r\n\r\n", 4);
	if (head_end == NULL)
		return eof || n >= PROXY_HEAD_MAX ? -ENOENT : 0;
	return proxy_sniff_host(s, (size_t)(head_end - s) + 4, out, outlen);
}

/* Where the client meant to go; -EINVAL when nothing was redirected (a
 * client dialing the listener itself). */
int proxy_transp_orig(struct proxy_conn *c)
{
	struct sockaddr_storage o = {0}, l = {0};
	socklen_t ol = sizeof(o), ll = sizeof(l);

	/* Not redirected: the destination is the listener itself. */
	struct sockaddr_in *o4 = (struct sockaddr_in *)&o;
	struct sockaddr_in6 *o6 = (struct sockaddr_in6 *)&o;

	if (getsockname(c->cfd, (struct sockaddr *)&l, &ll) < 0)
		return -errno;
	if (l.ss_family == AF_INET &&
	    getsockopt(c->cfd, SOL_IP, SO_ORIGINAL_DST, &o, &ol) < 0)
		return -errno;
	if (l.ss_family == AF_INET6 &&
	    getsockopt(c->cfd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, &o, &ol) < 0)
		return -errno;
	if (o.ss_family != l.ss_family)
		return -EINVAL;
	if (o.ss_family == AF_INET &&
	    o4->sin_port == ((struct sockaddr_in *)&l)->sin_port &&
	    o4->sin_addr.s_addr == ((struct sockaddr_in *)&l)->sin_addr.s_addr)
		return -EINVAL;
	if (o.ss_family == AF_INET6 &&
	    o6->sin6_port == ((struct sockaddr_in6 *)&l)->sin6_port &&
	    memcmp(&o6->sin6_addr, &((struct sockaddr_in6 *)&l)->sin6_addr,
		   16) == 0)
		return -EINVAL;
	c->orig.family = o.ss_family;
	if (o.ss_family == AF_INET) {
		memcpy(c->orig.a, &o4->sin_addr, 4);
		c->uport = ntohs(o4->sin_port);
	} else {
		memcpy(c->orig.a, &o6->sin6_addr, 16);
		c->uport = ntohs(o6->sin6_port);
	}
	return c->uport == 0 ? -EINVAL : 0;
}

/* The name is known (or will not be): resolve and decide. */
void proxy_transp_decide(struct proxy_conn *c, const char *name)
{
	if (name && name[0]) {
		memcpy(c->uhost, name, strnlen(name, PROXY_HOST_MAX - 1));
		c->uhost[strnlen(name, PROXY_HOST_MAX - 1)] = '\0';
	} else {
		inet_ntop(c->orig.family, c->orig.a, c->uhost, sizeof(c->uhost));
	}
	c->dial_ms = loop_now_ms(c->p->loop);
	c->st = PS_RESOLVE;
	proxy_dial_resolve(c);
}

/* PS_SNIFF: wait for the name; 1 when the state moved on, 0 to wait. */
int proxy_transp_sniff(struct proxy_conn *c)
{
	char name[PROXY_HOST_MAX];
	const uint8_t *d = (const uint8_t *)(c->cin.d ? c->cin.d + c->cin.off :
					     "");
	bool http;
	int r = proxy_sniff_name(d, c->cin.len, c->c_eof, name, sizeof(name),
				 &http);

	if (r == 0)
		return 0;
	c->sniffed_http = http;
	proxy_transp_decide(c, r == 1 ? name : NULL);
	return c->closed ? -1 : 1;
}

/* The decision is made on the original destination only: the name
 * counts when it resolved to that address, else the address alone. */
size_t proxy_transp_ips(struct proxy_conn *c, const struct proxy_addr *ips,
			size_t n, const struct proxy_addr **out)
{
	bool match = false;

	for (size_t i = 0; i < n && !match; i++)
		match = ips[i].family == c->orig.family &&
			memcmp(ips[i].a, c->orig.a,
			       c->orig.family == AF_INET ? 4 : 16) == 0;
	if (!match)
		inet_ntop(c->orig.family, c->orig.a, c->uhost, sizeof(c->uhost));
	*out = &c->orig;
	return 1;
}

/* Refuse without an answer the client could misread: a reset. */
void proxy_conn_reset(struct proxy_conn *c)
{
	struct linger lg = {1, 0};

	setsockopt(c->cfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	proxy_conn_close(c);
}
