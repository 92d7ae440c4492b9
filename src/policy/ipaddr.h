/*
 * IP addresses and CIDR blocks for network rules. Every address lives in
 * the 128-bit IPv6 space, IPv4 as IPv4-mapped (::ffff:a.b.c.d), so that
 * one comparison serves both families and an IPv4-mapped IPv6 address
 * cannot slip past an IPv4 rule.
 */
#ifndef AGENTSH_POLICY_IPADDR_H
#define AGENTSH_POLICY_IPADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define POLICY_IP_MAX_TEXT 64                          /* bytes of an address */
#define POLICY_CIDR_MAX_TEXT (POLICY_IP_MAX_TEXT + 4)  /* plus "/128" */
#define POLICY_IP_FORMAT_MAX 46   /* INET6_ADDRSTRLEN, terminator included */
#define POLICY_CIDR_FORMAT_MAX 50 /* POLICY_IP_FORMAT_MAX plus "/128" */

/* IPv4 stored IPv4-mapped (::ffff:a.b.c.d) with v4 = true. */
struct policy_ip {
	uint8_t b[16];
	bool v4;
};

/*
 * Parse an IP literal. IPv4 in every spelling inet_aton accepts
 * ("127.0.0.1", "0177.0.0.1", "2130706433", "127.1", "0x7f.0.0.1"); IPv6
 * via inet_pton, optionally in brackets "[::1]"; a zone ("%eth0") is an
 * error. IPv4-mapped (::ffff:a.b.c.d) and the deprecated IPv4-compatible
 * form (::a.b.c.d, when a.b is not 0.0, so "::" and "::1" stay IPv6)
 * normalise to v4. Rejects trailing junk (even whitespace), empty text and
 * text longer than POLICY_IP_MAX_TEXT. Returns 0 or -EINVAL.
 */
int policy_ip_parse(const char *s, struct policy_ip *out);
/*
 * The IPv4 address embedded in a NAT64 (64:ff9b::/96; 64:ff9b:1::/48 laid
 * out as RFC 6052 /48 when bytes 8 and 11..15 are zero, as /96 otherwise),
 * 6to4 (2002::/16) or Teredo (2001::/32, the inverted client address)
 * address. Returns true if one exists; false for IPv4 addresses.
 */
bool policy_ip_embedded_v4(const struct policy_ip *ip, struct policy_ip *v4);
/* Canonical text ("127.0.0.1", "::1"); returns 0 or -E2BIG. */
int policy_ip_format(const struct policy_ip *ip, char *buf, size_t n);

/* bits in 128-bit space: an IPv4 /n is stored as 96 + n. */
struct policy_cidr {
	struct policy_ip base;
	uint8_t bits;
};

/*
 * Parse "10.0.0.0/8", "::1/128", "[::1]/128" or a bare address (a host
 * route). Host bits set after the prefix are masked off (like Go's
 * net.ParseCIDR) and reported via *host_bits_set if non-NULL. IPv4 uses
 * strict dotted-quad only (four decimal parts, no leading zeros); the
 * prefix length is decimal without leading zeros. An IPv6 CIDR of /96 or
 * longer over IPv4-mapped or -compatible space becomes an IPv4 CIDR.
 * Returns 0 or -EINVAL with a message in err (may be NULL).
 */
int policy_cidr_parse(const char *s, struct policy_cidr *out,
		      bool *host_bits_set, char *err, size_t errlen);
bool policy_cidr_contains(const struct policy_cidr *c,
			  const struct policy_ip *ip);
/* Every address in b is in a. */
bool policy_cidr_covers(const struct policy_cidr *a,
			const struct policy_cidr *b);
/* "10.0.0.0/8", "fe80::/10"; returns 0 or -E2BIG. */
int policy_cidr_format(const struct policy_cidr *c, char *buf, size_t n);

/*
 * A classification bitmask for "deny private ranges unless explicitly
 * allowed" logic. IPv4: 127/8 loopback; 10/8, 172.16/12, 192.168/16
 * private; 169.254/16 link-local; 100.64/10 CGNAT; 224/4 multicast;
 * 0.0.0.0 unspecified; 169.254.169.254 and 100.100.100.200 metadata (as
 * well as link-local or CGNAT). IPv6: ::1 loopback; :: unspecified;
 * fe80::/10 link-local; fc00::/7 ULA and private; ff00::/8 multicast;
 * fd00:ec2::254 metadata. Embedded IPv4 (NAT64, 6to4, Teredo) is not
 * looked at: classify policy_ip_embedded_v4's result too.
 */
enum {
	POLICY_IP_LOOPBACK = 1,
	POLICY_IP_PRIVATE = 2,
	POLICY_IP_LINKLOCAL = 4,
	POLICY_IP_METADATA = 8,
	POLICY_IP_CGNAT = 16,
	POLICY_IP_MULTICAST = 32,
	POLICY_IP_UNSPECIFIED = 64,
	POLICY_IP_ULA = 128
};
unsigned policy_ip_class(const struct policy_ip *ip);

#endif
