#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "policy/ipaddr.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct policy_ip ip_ok(const char *s)
{
	struct policy_ip ip;

	if (policy_ip_parse(s, &ip) != 0)
		fail_msg("cannot parse \"%s\"", s);
	return ip;
}

static struct policy_cidr cidr_ok(const char *s)
{
	struct policy_cidr c;
	char err[128] = "";

	if (policy_cidr_parse(s, &c, NULL, err, sizeof(err)) != 0)
		fail_msg("cannot parse CIDR \"%s\": %s", s, err);
	return c;
}

static const struct {
	const char *in;
	const char *text;
	bool v4;
} parse_ok[] = {
	{"127.0.0.1", "127.0.0.1", true},
	{"0177.0.0.1", "127.0.0.1", true},
	{"2130706433", "127.0.0.1", true},
	{"127.1", "127.0.0.1", true},
	{"0x7f.0.0.1", "127.0.0.1", true},
	{"0X7F.1", "127.0.0.1", true},
	{"0x7F000001", "127.0.0.1", true},
	{"0251.0376.0251.0376", "169.254.169.254", true},
	{"10.1.258", "10.1.1.2", true},
	{"10.65536", "10.1.0.0", true},
	{"0", "0.0.0.0", true},
	{"00", "0.0.0.0", true},
	{"4294967295", "255.255.255.255", true},
	{"0xffffffff", "255.255.255.255", true},
	{"037777777777", "255.255.255.255", true},
	{"255.255.255.255", "255.255.255.255", true},
	{"::1", "::1", false},
	{"[::1]", "::1", false},
	{"::", "::", false},
	{"::ffff:169.254.169.254", "169.254.169.254", true},
	{"::ffff:a9fe:a9fe", "169.254.169.254", true},
	{"[::ffff:127.0.0.1]", "127.0.0.1", true},
	{"0:0:0:0:0:FFFF:7f00:1", "127.0.0.1", true},
	/* IPv4-compatible (deprecated) normalises; "::" and "::1" do not. */
	{"::127.0.0.1", "127.0.0.1", true},
	{"::a9fe:a9fe", "169.254.169.254", true},
	{"::0.0.0.2", "::2", false},
	{"::1:2", "0.1.0.2", true},
	{"2001:DB8::1", "2001:db8::1", false},
	{"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1", false},
	{"fe80::1", "fe80::1", false},
	{"64:ff9b::169.254.169.254", "64:ff9b::a9fe:a9fe", false},
	/* Exactly POLICY_IP_MAX_TEXT (64) bytes. */
	{"0000000000000000000000000000000000000000000000000000000000000001",
	 "0.0.0.1", true},
};

static void test_parse_ok(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(parse_ok); i++) {
		struct policy_ip ip = ip_ok(parse_ok[i].in);
		char buf[POLICY_IP_FORMAT_MAX];

		assert_int_equal(policy_ip_format(&ip, buf, sizeof(buf)), 0);
		if (strcmp(buf, parse_ok[i].text) != 0 ||
		    ip.v4 != parse_ok[i].v4)
			fail_msg("\"%s\" -> \"%s\" v4=%d, want \"%s\" v4=%d",
				 parse_ok[i].in, buf, ip.v4, parse_ok[i].text,
				 parse_ok[i].v4);
	}
}

static void test_v4_is_mapped(void **state)
{
	struct policy_ip ip = ip_ok("1.2.3.4");
	static const uint8_t want[16] = {0, 0, 0, 0, 0, 0, 0, 0,
					 0, 0, 0xff, 0xff, 1, 2, 3, 4};

	(void)state;
	assert_memory_equal(ip.b, want, 16);
	assert_true(ip.v4);
}

static const char *const parse_bad[] = {
	"", "1.2.3.4 ", " 1.2.3.4", "1.2.3.4x", "1.2.3.4.", "1..2",
	".1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.256", "1.2.65536",
	"1.16777216", "4294967296", "0x100000000", "99999999999999999999",
	"0x", "0x.1", "08.1.1.1", "09", "0xg", "-1", "+1", "1.2.3.-4",
	"0x100.1.1.1", "1.2.3.0x100", "1.2.3.4\n",
	"::1%eth0", "[::1%eth0]", "fe80::1%1", "[::1", "::1]", "[1.2.3.4]",
	"[]", "[", ":::", "1:2:3:4:5:6:7:8:9", "[[::1]]", "::g", "abc",
	"localhost", "1.2.3.4/8", "::1/128", "::ffff:010.1.1.1",
	"00000000000000000000000000000000000000000000000000000000000000001",
};

static void test_parse_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(parse_bad); i++) {
		struct policy_ip ip;

		if (policy_ip_parse(parse_bad[i], &ip) != -EINVAL)
			fail_msg("\"%s\" parsed", parse_bad[i]);
	}
	assert_int_equal(policy_ip_parse(NULL, NULL), -EINVAL);
}

static const struct {
	const char *in;
	const char *v4; /* NULL: none */
} embedded[] = {
	{"64:ff9b::a9fe:a9fe", "169.254.169.254"},
	{"64:ff9b::169.254.169.254", "169.254.169.254"},
	{"64:ff9b:1:a9fe:a9:fe00::", "169.254.169.254"},
	{"64:ff9b:1::a9fe:a9fe", "169.254.169.254"},
	{"64:ff9b:1:abcd:ef01:2345:a9fe:a9fe", "169.254.169.254"},
	{"2002:a9fe:a9fe::1", "169.254.169.254"},
	{"2002:7f00:1:1::5", "127.0.0.1"},
	{"2001:0:4136:e378:8000:63bf:3fff:fdd2", "192.0.2.45"},
	{"2001:db8::1", NULL},
	{"64:ff9b::1:a9fe:a9fe", NULL},
	{"::1", NULL},
	{"fe80::1", NULL},
	{"127.0.0.1", NULL},
	{"::ffff:169.254.169.254", NULL},
};

static void test_embedded_v4(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(embedded); i++) {
		struct policy_ip ip = ip_ok(embedded[i].in), v4;
		char buf[POLICY_IP_FORMAT_MAX];
		bool has = policy_ip_embedded_v4(&ip, &v4);

		if (has != (embedded[i].v4 != NULL))
			fail_msg("embedded_v4(\"%s\") = %d", embedded[i].in,
				 has);
		if (!has)
			continue;
		assert_true(v4.v4);
		assert_int_equal(policy_ip_format(&v4, buf, sizeof(buf)), 0);
		assert_string_equal(buf, embedded[i].v4);
	}
}

static void test_format_bounds(void **state)
{
	struct policy_ip ip = ip_ok("127.0.0.1");
	struct policy_cidr c = cidr_ok("10.0.0.0/8");
	char buf[POLICY_CIDR_FORMAT_MAX];

	(void)state;
	assert_int_equal(policy_ip_format(&ip, buf, 9), -E2BIG);
	assert_int_equal(policy_ip_format(&ip, buf, 10), 0);
	assert_string_equal(buf, "127.0.0.1");
	assert_int_equal(policy_ip_format(&ip, buf, 0), -E2BIG);
	assert_int_equal(policy_cidr_format(&c, buf, 10), -E2BIG);
	assert_string_equal(buf, "");
	assert_int_equal(policy_cidr_format(&c, buf, 11), 0);
	assert_string_equal(buf, "10.0.0.0/8");
	ip = ip_ok("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	assert_int_equal(policy_ip_format(&ip, buf, POLICY_IP_FORMAT_MAX), 0);
	c = cidr_ok("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
	assert_int_equal(policy_cidr_format(&c, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
}

static const struct {
	const char *in;
	const char *text;
	unsigned bits;
	bool host_bits;
} cidr_good[] = {
	{"10.0.0.0/8", "10.0.0.0/8", 104, false},
	{"10.1.2.3/8", "10.0.0.0/8", 104, true},
	{"169.254.169.254", "169.254.169.254/32", 128, false},
	{"0.0.0.0/0", "0.0.0.0/0", 96, false},
	{"1.2.3.4/0", "0.0.0.0/0", 96, true},
	{"172.31.255.255/12", "172.16.0.0/12", 108, true},
	{"1.2.3.4/31", "1.2.3.4/31", 127, false},
	{"1.2.3.5/31", "1.2.3.4/31", 127, true},
	{"::1/128", "::1/128", 128, false},
	{"::1", "::1/128", 128, false},
	{"[::1]/128", "::1/128", 128, false},
	{"[fe80::1]", "fe80::1/128", 128, false},
	{"fe80::1/10", "fe80::/10", 10, true},
	{"::/0", "::/0", 0, false},
	{"2001:db8::/32", "2001:db8::/32", 32, false},
	{"::ffff:10.0.0.0/104", "10.0.0.0/8", 104, false},
	{"::ffff:0:0/96", "0.0.0.0/0", 96, false},
	{"::ffff:10.1.0.0/64", "::/64", 64, true},
	{"::127.0.0.1/128", "127.0.0.1/32", 128, false},
	{"fd00:ec2::254/128", "fd00:ec2::254/128", 128, false},
};

static void test_cidr_parse_ok(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(cidr_good); i++) {
		struct policy_cidr c;
		char buf[POLICY_CIDR_FORMAT_MAX], err[128];
		bool host = !cidr_good[i].host_bits;

		assert_int_equal(policy_cidr_parse(cidr_good[i].in, &c, &host,
						   err, sizeof(err)), 0);
		assert_int_equal(policy_cidr_format(&c, buf, sizeof(buf)), 0);
		if (strcmp(buf, cidr_good[i].text) != 0 ||
		    c.bits != cidr_good[i].bits ||
		    host != cidr_good[i].host_bits)
			fail_msg("\"%s\" -> \"%s\" /%u host=%d",
				 cidr_good[i].in, buf, c.bits, host);
	}
}

static const struct {
	const char *in;
	const char *msg;
} cidr_bad[] = {
	{"", "empty CIDR"},
	{NULL, "empty CIDR"},
	{"10.0.0.0/33", "invalid prefix length (want 0..32)"},
	{"::/129", "invalid prefix length (want 0..128)"},
	{"10.0.0.0/", "invalid prefix length (want 0..32)"},
	{"10.0.0.0/08", "invalid prefix length (want 0..32)"},
	{"10.0.0.0/-1", "invalid prefix length (want 0..32)"},
	{"10.0.0.0/8/8", "invalid prefix length (want 0..32)"},
	{"10.0.0.0/8 ", "invalid prefix length (want 0..32)"},
	{"10.0.0.0/1000", "invalid prefix length (want 0..32)"},
	{"/8", "missing or overlong address"},
	{"010.0.0.0/8", "invalid IPv4 address (want a.b.c.d)"},
	{"10.0.0/8", "invalid IPv4 address (want a.b.c.d)"},
	{"0x0a.0.0.0/8", "invalid IPv4 address (want a.b.c.d)"},
	{"167772160/8", "invalid IPv4 address (want a.b.c.d)"},
	{"10.0.0.0.0/8", "invalid IPv4 address (want a.b.c.d)"},
	{"10.0.0.256/32", "invalid IPv4 address (want a.b.c.d)"},
	{"1000.0.0.0/8", "invalid IPv4 address (want a.b.c.d)"},
	{"1.2.3.4 /8", "invalid IPv4 address (want a.b.c.d)"},
	{" 1.2.3.4", "invalid IPv4 address (want a.b.c.d)"},
	{"fe80::1%eth0/64", "IPv6 zones are not allowed"},
	{"[::1]]/128", "invalid IPv6 address"},
	{"[1.2.3.4]/32", "invalid IPv6 address"},
	{"::1:/128", "invalid IPv6 address"},
	/* 64 bytes of address: fine until inet_pton; 66 bytes; 70 in all. */
	{"1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb:cccc:dddd/8",
	 "invalid IPv6 address"},
	{"1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb:cccc:dddd:e"
	 "/8", "missing or overlong address"},
	{"1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb:cccc:dddd:eee"
	 "/8", "CIDR longer than 68 bytes"},
};

static void test_cidr_parse_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(cidr_bad); i++) {
		struct policy_cidr c;
		char err[128] = "";
		bool host = true;

		assert_int_equal(policy_cidr_parse(cidr_bad[i].in, &c, &host,
						   err, sizeof(err)), -EINVAL);
		assert_string_equal(err, cidr_bad[i].msg);
		assert_false(host);
		assert_int_equal(policy_cidr_parse(cidr_bad[i].in, &c, NULL,
						   NULL, 0), -EINVAL);
	}
}

static const struct {
	const char *cidr;
	const char *ip;
	bool want;
} contains[] = {
	{"169.254.0.0/16", "::ffff:169.254.169.254", true},
	{"169.254.0.0/16", "0251.0376.0251.0376", true},
	{"169.254.0.0/16", "169.254.169.254", true},
	{"169.254.0.0/16", "169.255.0.1", false},
	{"169.254.169.254", "2852039166", true},
	{"::1/128", "[::1]", true},
	{"::1/128", "::1", true},
	{"::1/128", "127.0.0.1", false},
	{"127.0.0.0/8", "::1", false},
	{"127.0.0.0/8", "0x7f.1", true},
	{"0.0.0.0/0", "8.8.8.8", true},
	{"0.0.0.0/0", "::ffff:8.8.8.8", true},
	{"0.0.0.0/0", "::1", false},
	{"0.0.0.0/0", "2001:db8::1", false},
	/* ::/0 is all of IPv6, IPv4-mapped space included. */
	{"::/0", "8.8.8.8", true},
	{"::/0", "2001:db8::1", true},
	{"10.0.0.0/8", "10.255.255.255", true},
	{"10.0.0.0/8", "11.0.0.0", false},
	{"10.0.0.0/8", "9.255.255.255", false},
	{"fe80::/10", "fe80::1", true},
	{"fe80::/10", "febf::1", true},
	{"fe80::/10", "fec0::1", false},
	{"1.2.3.4/31", "1.2.3.5", true},
	{"1.2.3.4/31", "1.2.3.6", false},
	{"::ffff:0:0/96", "1.2.3.4", true},
	{"2001:db8::/32", "2001:db8:ffff::1", true},
	{"2001:db8::/32", "2001:db9::1", false},
};

static void test_contains(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(contains); i++) {
		struct policy_cidr c = cidr_ok(contains[i].cidr);
		struct policy_ip ip = ip_ok(contains[i].ip);

		if (policy_cidr_contains(&c, &ip) != contains[i].want)
			fail_msg("\"%s\" contains \"%s\" != %d",
				 contains[i].cidr, contains[i].ip,
				 contains[i].want);
	}
}

static const struct {
	const char *a;
	const char *b;
	bool want;
} covers[] = {
	{"10.0.0.0/8", "10.1.0.0/16", true},
	{"10.1.0.0/16", "10.0.0.0/8", false},
	{"10.0.0.0/8", "10.0.0.0/8", true},
	{"10.0.0.0/8", "11.0.0.0/16", false},
	{"10.0.0.0/8", "10.9.9.9", true},
	{"0.0.0.0/0", "10.0.0.0/8", true},
	{"0.0.0.0/0", "::ffff:0:0/96", true},
	{"::/0", "10.0.0.0/8", true},
	{"10.0.0.0/8", "::/0", false},
	{"0.0.0.0/0", "::/0", false},
	{"fc00::/7", "fd00:ec2::254/128", true},
	{"fc00::/7", "fe80::/10", false},
	{"::1/128", "::1", true},
};

static void test_covers(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(covers); i++) {
		struct policy_cidr a = cidr_ok(covers[i].a);
		struct policy_cidr b = cidr_ok(covers[i].b);

		if (policy_cidr_covers(&a, &b) != covers[i].want)
			fail_msg("\"%s\" covers \"%s\" != %d", covers[i].a,
				 covers[i].b, covers[i].want);
	}
}

#define LO POLICY_IP_LOOPBACK
#define PRIV POLICY_IP_PRIVATE
#define LL POLICY_IP_LINKLOCAL
#define META POLICY_IP_METADATA
#define CGNAT POLICY_IP_CGNAT
#define MC POLICY_IP_MULTICAST
#define UNSPEC POLICY_IP_UNSPECIFIED
#define ULA POLICY_IP_ULA

static const struct {
	const char *ip;
	unsigned cls;
} classes[] = {
	{"127.0.0.1", LO}, {"127.255.255.254", LO}, {"0x7f.1", LO},
	{"2130706433", LO}, {"::ffff:127.0.0.1", LO}, {"::1", LO},
	{"10.0.0.1", PRIV}, {"172.16.0.1", PRIV}, {"172.31.255.255", PRIV},
	{"172.32.0.1", 0}, {"172.15.255.255", 0}, {"192.168.1.1", PRIV},
	{"192.169.0.1", 0}, {"169.254.1.1", LL},
	{"169.254.169.254", LL | META}, {"::ffff:169.254.169.254", LL | META},
	{"0251.0376.0251.0376", LL | META}, {"100.64.0.1", CGNAT},
	{"100.127.255.255", CGNAT}, {"100.128.0.1", 0}, {"100.63.0.1", 0},
	{"100.100.100.200", CGNAT | META}, {"224.0.0.1", MC},
	{"239.255.255.255", MC}, {"240.0.0.1", 0}, {"0.0.0.0", UNSPEC},
	{"0", UNSPEC}, {"::ffff:0:0", UNSPEC}, {"8.8.8.8", 0},
	{"::", UNSPEC}, {"fe80::1", LL}, {"febf:ffff::1", LL},
	{"fec0::1", 0}, {"fc00::1", ULA | PRIV}, {"fd12:3456::1", ULA | PRIV},
	{"fd00:ec2::254", ULA | PRIV | META}, {"fd00:ec2::253", ULA | PRIV},
	{"ff02::1", MC}, {"2001:4860:4860::8888", 0},
	{"64:ff9b::a9fe:a9fe", 0},
};

static void test_class(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(classes); i++) {
		struct policy_ip ip = ip_ok(classes[i].ip);
		unsigned got = policy_ip_class(&ip);

		if (got != classes[i].cls)
			fail_msg("class(\"%s\") = %#x, want %#x", classes[i].ip,
				 got, classes[i].cls);
	}
}

static uint32_t rng_state = 2463534242u;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* format then parse gives the same address; a CIDR contains its base. */
static void test_round_trip(void **state)
{
	(void)state;
	for (int i = 0; i < 20000; i++) {
		struct policy_ip ip = {.v4 = false}, back;
		struct policy_cidr c;
		char buf[POLICY_CIDR_FORMAT_MAX];

		for (int k = 0; k < 16; k++)
			ip.b[k] = (uint8_t)(rnd() >> 8);
		/* Favour zero runs and IPv4 so that "::" forms appear. */
		for (int k = 0; k < 16; k++)
			if (rnd() % 3 == 0)
				ip.b[k] = 0;
		if (i % 2 == 0) {
			memset(ip.b, 0, 10);
			ip.b[10] = ip.b[11] = 0xff;
		}
		assert_int_equal(policy_ip_format(&ip, buf, sizeof(buf)), 0);
		assert_int_equal(policy_ip_parse(buf, &ip), 0);
		assert_int_equal(policy_ip_format(&ip, buf, sizeof(buf)), 0);
		assert_int_equal(policy_ip_parse(buf, &back), 0);
		assert_memory_equal(ip.b, back.b, 16);
		assert_int_equal(ip.v4, back.v4);
		snprintf(buf + strlen(buf), 6, "/%u",
			 ip.v4 ? rnd() % 33 : rnd() % 129);
		c = cidr_ok(buf);
		assert_true(policy_cidr_contains(&c, &ip));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_v4_is_mapped),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_embedded_v4),
		cmocka_unit_test(test_format_bounds),
		cmocka_unit_test(test_cidr_parse_ok),
		cmocka_unit_test(test_cidr_parse_bad),
		cmocka_unit_test(test_contains),
		cmocka_unit_test(test_covers),
		cmocka_unit_test(test_class),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
