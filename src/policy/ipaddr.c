#include "policy/ipaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The IPv4-mapped prefix ::ffff:0:0/96. */
static const uint8_t ipaddr_mapped[12] = {0, 0, 0, 0, 0, 0,
					  0, 0, 0, 0, 0xff, 0xff};
static const uint8_t ipaddr_zero[12];

/* An IPv4 prefix, as a 128-bit address with bits counted from 96. */
#define IPADDR_V4(a, b, c, d) {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, \
			       a, b, c, d}

static const struct {
	uint8_t b[16];
	uint8_t bits;
	unsigned cls;
} ipaddr_classes[] = {
	{IPADDR_V4(127, 0, 0, 0), 96 + 8, POLICY_IP_LOOPBACK},
	{IPADDR_V4(10, 0, 0, 0), 96 + 8, POLICY_IP_PRIVATE},
	{IPADDR_V4(172, 16, 0, 0), 96 + 12, POLICY_IP_PRIVATE},
	{IPADDR_V4(192, 168, 0, 0), 96 + 16, POLICY_IP_PRIVATE},
	{IPADDR_V4(169, 254, 0, 0), 96 + 16, POLICY_IP_LINKLOCAL},
	{IPADDR_V4(169, 254, 169, 254), 128, POLICY_IP_METADATA},
	{IPADDR_V4(100, 64, 0, 0), 96 + 10, POLICY_IP_CGNAT},
	{IPADDR_V4(100, 100, 100, 200), 128, POLICY_IP_METADATA},
	{IPADDR_V4(224, 0, 0, 0), 96 + 4, POLICY_IP_MULTICAST},
	{IPADDR_V4(0, 0, 0, 0), 128, POLICY_IP_UNSPECIFIED},
	{{[15] = 1}, 128, POLICY_IP_LOOPBACK},
	{{0}, 128, POLICY_IP_UNSPECIFIED},
	{{0xfe, 0x80}, 10, POLICY_IP_LINKLOCAL},
	{{0xfc}, 7, POLICY_IP_ULA | POLICY_IP_PRIVATE},
	{{0xfd, 0, 0x0e, 0xc2, [14] = 0x02, [15] = 0x54}, 128,
	 POLICY_IP_METADATA},
	{{0xff}, 8, POLICY_IP_MULTICAST},
};

__attribute__((format(printf, 3, 4)))
static int ipaddr_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static void ipaddr_set4(struct policy_ip *ip, uint32_t a)
{
	memcpy(ip->b, ipaddr_mapped, sizeof(ipaddr_mapped));
	ip->b[12] = (uint8_t)(a >> 24);
	ip->b[13] = (uint8_t)(a >> 16);
	ip->b[14] = (uint8_t)(a >> 8);
	ip->b[15] = (uint8_t)a;
	ip->v4 = true;
}

static uint32_t ipaddr_be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

/*
 * Store an IPv6 address, normalising IPv4-mapped and IPv4-compatible forms
 * to v4. Compatible means ::/96 with a nonzero upper half of the last 32
 * bits, the rule glibc's inet_ntop uses to print "::a.b.c.d".
 */
static void ipaddr_set6(struct policy_ip *ip, const uint8_t *b)
{
	memcpy(ip->b, b, 16);
	ip->v4 = memcmp(b, ipaddr_mapped, 12) == 0;
	if (!ip->v4 && memcmp(b, ipaddr_zero, 12) == 0 && (b[12] | b[13]))
		ipaddr_set4(ip, ipaddr_be32(b + 12));
}

/* Parse n bytes of IPv6 text, maybe bracketed, into raw bytes. */
static int ipaddr_v6_bytes(const char *s, size_t n, uint8_t *b)
{
	char tmp[POLICY_IP_MAX_TEXT + 1];

	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n == 0 || n > POLICY_IP_MAX_TEXT || memchr(s, '%', n) != NULL ||
	    memchr(s, '[', n) != NULL || memchr(s, ']', n) != NULL)
		return -EINVAL;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return inet_pton(AF_INET6, tmp, b) == 1 ? 0 : -EINVAL;
}

static int ipaddr_digit(char c, unsigned base)
{
	int d = -1;

	if (c >= '0' && c <= '9')
		d = c - '0';
	else if (c >= 'a' && c <= 'f')
		d = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		d = c - 'A' + 10;
	return d < (int)base ? d : -1;
}

/* One part of an inet_aton address: 0x hex, leading 0 octal, else decimal. */
static int ipaddr_aton_num(const char **p, uint32_t *out)
{
	const char *s = *p;
	unsigned base = 10;
	uint64_t v = 0;
	int d;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		if (ipaddr_digit(*s, base) < 0)
			return -EINVAL;
	} else if (s[0] == '0') {
		base = 8;
	}
	while ((d = ipaddr_digit(*s, base)) >= 0) {
		v = v * base + (unsigned)d;
		if (v > UINT32_MAX)
			return -EINVAL;
		s++;
	}
	*p = s;
	*out = (uint32_t)v;
	return 0;
}

/* inet_aton: a.b.c.d, a.b.c (c 16 bits), a.b (b 24 bits) or a (32 bits). */
static int ipaddr_parse_aton(const char *s, struct policy_ip *out)
{
	static const uint32_t last_max[4] = {0xffffffff, 0xffffff, 0xffff,
					     0xff};
	uint32_t part[4], v = 0;
	size_t n = 0;

	for (;;) {
		if (ipaddr_aton_num(&s, &part[n++]) < 0)
			return -EINVAL;
		if (*s == '\0')
			break;
		if (*s != '.' || n == 4)
			return -EINVAL;
		s++;
	}
	for (size_t i = 0; i + 1 < n; i++) {
		if (part[i] > 0xff)
			return -EINVAL;
		v |= part[i] << (24 - 8 * i);
	}
	if (part[n - 1] > last_max[n - 1])
		return -EINVAL;
	ipaddr_set4(out, v | part[n - 1]);
	return 0;
}

int policy_ip_parse(const char *s, struct policy_ip *out)
{
	uint8_t b[16];
	size_t n;

	if (s == NULL)
		return -EINVAL;
	n = strnlen(s, POLICY_IP_MAX_TEXT + 1);
	if (n == 0 || n > POLICY_IP_MAX_TEXT)
		return -EINVAL;
	if (s[0] != '[' && memchr(s, ':', n) == NULL)
		return ipaddr_parse_aton(s, out);
	if (ipaddr_v6_bytes(s, n, b) < 0)
		return -EINVAL;
	ipaddr_set6(out, b);
	return 0;
}

bool policy_ip_embedded_v4(const struct policy_ip *ip, struct policy_ip *v4)
{
	static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b};
	static const uint8_t nat64_local[6] = {0, 0x64, 0xff, 0x9b, 0, 1};
	const uint8_t *b = ip->b;
	uint32_t a;

	if (ip->v4)
		return false;
	if (memcmp(b, nat64, sizeof(nat64)) == 0) {
		a = ipaddr_be32(b + 12);
	} else if (memcmp(b, nat64_local, sizeof(nat64_local)) == 0) {
		/* RFC 6052 /48: octets 6-7 and 9-10, octet 8 ("u") zero. */
		if (b[8] == 0 && memcmp(b + 11, ipaddr_zero, 5) == 0)
			a = (uint32_t)b[6] << 24 | (uint32_t)b[7] << 16 |
			    (uint32_t)b[9] << 8 | b[10];
		else
			a = ipaddr_be32(b + 12);
	} else if (b[0] == 0x20 && b[1] == 0x02) {
		a = ipaddr_be32(b + 2);
	} else if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0) {
		a = ~ipaddr_be32(b + 12);
	} else {
		return false;
	}
	ipaddr_set4(v4, a);
	return true;
}

int policy_ip_format(const struct policy_ip *ip, char *buf, size_t n)
{
	char tmp[POLICY_IP_FORMAT_MAX];

	if (ip->v4)
		inet_ntop(AF_INET, ip->b + 12, tmp, sizeof(tmp));
	else
		inet_ntop(AF_INET6, ip->b, tmp, sizeof(tmp));
	if (strlen(tmp) >= n)
		return -E2BIG;
	memcpy(buf, tmp, strlen(tmp) + 1);
	return 0;
}

/* Do a and b agree on their first bits bits? */
static bool ipaddr_prefix_eq(const uint8_t *a, const uint8_t *b,
			     unsigned bits)
{
	size_t full = bits / 8;
	uint8_t m = (uint8_t)(0xff00u >> (bits % 8));

	if (memcmp(a, b, full) != 0)
		return false;
	return full == 16 || ((a[full] ^ b[full]) & m) == 0;
}

/* Strict IPv4 dotted quad: four decimal parts, no leading zeros. */
static int ipaddr_parse_quad(const char *s, struct policy_ip *out)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++) {
		const char *start;
		unsigned part = 0;

		if (i > 0 && *s++ != '.')
			return -EINVAL;
		for (start = s; *s >= '0' && *s <= '9' && s - start < 4; s++)
			part = part * 10 + (unsigned)(*s - '0');
		if (s == start || part > 255 ||
		    (s - start > 1 && *start == '0'))
			return -EINVAL;
		v = v << 8 | part;
	}
	if (*s != '\0')
		return -EINVAL;
	ipaddr_set4(out, v);
	return 0;
}

/* A prefix length: decimal, no leading zeros, at most max. */
static int ipaddr_parse_bits(const char *s, unsigned max, unsigned *out)
{
	unsigned v = 0;
	size_t n = 0;

	while (s[n] >= '0' && s[n] <= '9' && n < 4)
		v = v * 10 + (unsigned)(s[n++] - '0');
	if (n == 0 || s[n] != '\0' || (n > 1 && s[0] == '0') || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Mask off host bits; an IPv6 /96 or longer over IPv4 space becomes v4. */
static bool ipaddr_mask(struct policy_cidr *c)
{
	uint8_t raw[16];
	bool lost = false;

	if (c->bits >= 96 && !c->base.v4) {
		memcpy(raw, c->base.b, sizeof(raw));
		ipaddr_set6(&c->base, raw);
	}
	for (unsigned i = 0; i < 16; i++) {
		unsigned keep = c->bits > 8 * i ? c->bits - 8 * i : 0;
		uint8_t m = keep >= 8 ? 0xff : (uint8_t)(0xff00u >> keep);

		lost |= (c->base.b[i] & ~m) != 0;
		c->base.b[i] &= m;
	}
	c->base.v4 = c->bits >= 96 &&
		     memcmp(c->base.b, ipaddr_mapped, 12) == 0;
	return lost;
}

int policy_cidr_parse(const char *s, struct policy_cidr *out,
		      bool *host_bits_set, char *err, size_t errlen)
{
	char addr[POLICY_IP_MAX_TEXT + 1];
	const char *slash;
	size_t n, alen;
	unsigned max, bits;
	bool v4, lost;

	if (host_bits_set != NULL)
		*host_bits_set = false;
	n = s != NULL ? strnlen(s, POLICY_CIDR_MAX_TEXT + 1) : 0;
	if (n == 0)
		return ipaddr_err(err, errlen, "empty CIDR");
	if (n > POLICY_CIDR_MAX_TEXT)
		return ipaddr_err(err, errlen, "CIDR longer than %d bytes",
				  POLICY_CIDR_MAX_TEXT);
	slash = memchr(s, '/', n);
	alen = slash != NULL ? (size_t)(slash - s) : n;
	if (alen == 0 || alen > POLICY_IP_MAX_TEXT)
		return ipaddr_err(err, errlen, "missing or overlong address");
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	v4 = addr[0] != '[' && strchr(addr, ':') == NULL;
	memset(out, 0, sizeof(*out));
	if (!v4 && strchr(addr, '%') != NULL)
		return ipaddr_err(err, errlen, "IPv6 zones are not allowed");
	if (v4 ? ipaddr_parse_quad(addr, &out->base) < 0 :
		 ipaddr_v6_bytes(addr, alen, out->base.b) < 0)
		return ipaddr_err(err, errlen, v4 ?
			"invalid IPv4 address (want a.b.c.d)" :
			"invalid IPv6 address");
	max = v4 ? 32 : 128;
	bits = max;
	if (slash != NULL && ipaddr_parse_bits(slash + 1, max, &bits) < 0)
		return ipaddr_err(err, errlen,
				  "invalid prefix length (want 0..%u)", max);
	out->bits = (uint8_t)(v4 ? 96 + bits : bits);
	lost = ipaddr_mask(out);
	if (host_bits_set != NULL)
		*host_bits_set = lost;
	return 0;
}

bool policy_cidr_contains(const struct policy_cidr *c,
			  const struct policy_ip *ip)
{
	return ipaddr_prefix_eq(c->base.b, ip->b, c->bits);
}

bool policy_cidr_covers(const struct policy_cidr *a,
			const struct policy_cidr *b)
{
	return a->bits <= b->bits &&
	       ipaddr_prefix_eq(a->base.b, b->base.b, a->bits);
}

int policy_cidr_format(const struct policy_cidr *c, char *buf, size_t n)
{
	char tmp[POLICY_IP_FORMAT_MAX];
	unsigned bits = c->base.v4 ? c->bits - 96u : c->bits;
	int w;

	policy_ip_format(&c->base, tmp, sizeof(tmp));
	w = snprintf(buf, n, "%s/%u", tmp, bits);
	if (w < 0 || (size_t)w >= n) {
		if (n > 0)
			buf[0] = '\0';
		return -E2BIG;
	}
	return 0;
}

unsigned policy_ip_class(const struct policy_ip *ip)
{
	unsigned cls = 0;

	for (size_t i = 0; i < sizeof(ipaddr_classes) /
				       sizeof(ipaddr_classes[0]); i++)
		if (ipaddr_prefix_eq(ipaddr_classes[i].b, ip->b,
				     ipaddr_classes[i].bits))
			cls |= ipaddr_classes[i].cls;
	return cls;
}
