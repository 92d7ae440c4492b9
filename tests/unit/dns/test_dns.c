/* Unit tests: the DNS listener against a fake upstream on the same loop. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "common/str.h"
#include "dns/dns.h"
#include "fake_up.h"

#define T_EVENTS_MAX 16
#define T_WAIT_MS 3000 /* longest a test waits for an answer */

struct t_event {
	char name[DNS_NAME_MAX], type[16], transport[8];
	bool allow;
};

struct tctx {
	struct loop *l;
	struct fake_up up;
	struct dns *dns;
	struct dns_opts o;
	struct t_event ev[T_EVENTS_MAX];
	size_t nev;
	uint8_t ans[2 + DNS_MSG_MAX];
	ssize_t nans;
	bool tcp;
	struct loop_timer *guard;
};

/* Allow names under allowed.test, deny everything else. */
static void t_decide(void *arg, const struct dns_query *q,
		     struct dns_verdict *v)
{
	(void)arg;
	v->allow = str_has_suffix(q->name, ".allowed.test");
	v->rule = v->allow ? "allow-test" : "deny-rest";
	v->decision = v->allow ? "allow" : "deny";
}

static int t_event(void *arg, const struct dns_query *q,
		    const struct dns_verdict *v, const char *transport)
{
	struct tctx *t = arg;

	if (t->nev >= T_EVENTS_MAX)
		return -ENOSPC;
	str_lcpy(t->ev[t->nev].name, q->name, sizeof(t->ev[0].name));
	str_lcpy(t->ev[t->nev].type, q->type, sizeof(t->ev[0].type));
	str_lcpy(t->ev[t->nev].transport, transport,
		 sizeof(t->ev[0].transport));
	t->ev[t->nev++].allow = v->allow;
	return 0;
}

static const struct dns_ops t_ops = {t_decide, t_event};

static int t_start(struct tctx *t)
{
	assert_int_equal(dns_addr_parse("127.0.0.1:0", 53, &t->o.listen,
					&t->o.listen_len), 0);
	return dns_new(t->l, &t->o, &t_ops, t, &t->dns);
}

static int t_setup(void **state)
{
	struct tctx *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	t->l = loop_new();
	assert_non_null(t->l);
	assert_int_equal(fake_up_start(&t->up, t->l), 0);
	t->o.upstream = t->up.addr;
	t->o.upstream_len = t->up.addr_len;
	t->o.timeout_ms = 100;
	*state = t;
	return 0;
}

static int t_teardown(void **state)
{
	struct tctx *t = *state;

	dns_free(t->dns);
	fake_up_stop(&t->up);
	loop_free(t->l);
	free(t);
	return 0;
}

/* A wire query for name/type with id. */
static size_t t_query(const char *name, ldns_rr_type type, uint16_t id,
		      uint8_t *out, size_t cap)
{
	ldns_pkt *p = NULL;
	uint8_t *w = NULL;
	size_t n = 0;

	assert_int_equal(ldns_pkt_query_new_frm_str(&p, name, type,
						    LDNS_RR_CLASS_IN, LDNS_RD),
			 LDNS_STATUS_OK);
	ldns_pkt_set_id(p, id);
	assert_int_equal(ldns_pkt2wire(&w, p, &n), LDNS_STATUS_OK);
	assert_true(n <= cap);
	memcpy(out, w, n);
	free(w);
	ldns_pkt_free(p);
	return n;
}

static void t_on_answer(struct loop *l, int fd, uint32_t ev, void *arg)
{
	struct tctx *t = arg;

	t->nans = recv(fd, t->ans, t->tcp ? 2 : sizeof(t->ans),
		       t->tcp ? MSG_WAITALL : 0);
	if (t->tcp && t->nans >= 2) {
		size_t need = (size_t)t->ans[0] << 8 | t->ans[1];
		t->nans = recv(fd, t->ans + 2, need, MSG_WAITALL);
		memmove(t->ans, t->ans + 2, (size_t)(t->nans > 0 ? t->nans : 0));
	}
	loop_stop(l);
}

static void t_on_guard(struct loop *l, void *arg)
{
	struct tctx *t = arg;

	t->guard = NULL;
	loop_stop(l);
}

/* Send one query to the listener and run the loop until answered. */
static ldns_pkt *t_ask(struct tctx *t, const char *name, bool tcp)
{
	socklen_t al;
	const struct sockaddr *a = dns_local(t->dns, &al);
	uint8_t q[2 + 512];
	size_t n = t_query(name, LDNS_RR_TYPE_A, 0x1234, q + 2, 512);
	int fd = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
	ldns_pkt *p = NULL;

	assert_true(fd >= 0);
	assert_int_equal(connect(fd, a, al), 0);
	q[0] = (uint8_t)(n >> 8);
	q[1] = (uint8_t)n;
	assert_int_equal(send(fd, tcp ? q : q + 2, tcp ? n + 2 : n, 0),
			 (ssize_t)(tcp ? n + 2 : n));
	t->tcp = tcp;
	t->nans = -1;
	assert_int_equal(loop_add_fd(t->l, fd, EPOLLIN, t_on_answer, t), 0);
	t->guard = loop_timer_add(t->l, T_WAIT_MS, t_on_guard, t);
	loop_run(t->l);
	loop_timer_cancel(t->l, t->guard);
	loop_del_fd(t->l, fd);
	close(fd);
	if (t->nans > 0)
		assert_int_equal(ldns_wire2pkt(&p, t->ans, (size_t)t->nans),
				 LDNS_STATUS_OK);
	if (p)
		assert_int_equal(ldns_pkt_id(p), 0x1234);
	return p;
}

static void test_msg_parse(void **state)
{
	uint8_t w[512], bad[12] = {0};
	struct dns_query q;
	size_t n = t_query("WWW.Allowed.TEST.", LDNS_RR_TYPE_AAAA, 7, w,
			   sizeof(w));

	(void)state;
	assert_int_equal(dns_msg_parse(w, n, &q), 0);
	assert_string_equal(q.name, "www.allowed.test");
	assert_string_equal(q.type, "AAAA");
	assert_int_equal(q.id, 7);
	assert_int_equal(dns_msg_parse(w, n - 1, &q), -EINVAL);
	assert_int_equal(dns_msg_parse(w, 5, &q), -EINVAL);
	/* No question at all, then a response: not queries we serve. */
	assert_int_equal(dns_msg_parse(bad, sizeof(bad), &q), -EOPNOTSUPP);
	w[2] |= 0x80;
	assert_int_equal(dns_msg_parse(w, n, &q), -EOPNOTSUPP);
}

static void test_msg_error(void **state)
{
	uint8_t w[512], out[512];
	size_t n = t_query("x.evil.example", LDNS_RR_TYPE_A, 99, w, sizeof(w));
	int m = dns_msg_error(w, n, DNS_RCODE_REFUSED, out, sizeof(out));
	ldns_pkt *p = NULL;
	struct dns_query q;

	(void)state;
	assert_true(m > 0);
	assert_int_equal(ldns_wire2pkt(&p, out, (size_t)m), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_REFUSED);
	assert_true(ldns_pkt_qr(p));
	assert_int_equal(ldns_pkt_id(p), 99);
	assert_int_equal(ldns_pkt_ancount(p), 0);
	ldns_pkt_free(p);
	assert_int_equal(dns_msg_parse(w, n, &q), 0);
	assert_true(dns_msg_answers(out, (size_t)m, 99, &q));
	assert_false(dns_msg_answers(out, (size_t)m, 98, &q));
	assert_false(dns_msg_answers(w, n, 99, &q)); /* a query, no answer */
	assert_int_equal(dns_msg_error(w, n, 5, out, 10), -EMSGSIZE);
}

static void test_addr(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char s[64], path[] = "/tmp/dns-test-resolv-XXXXXX";
	int fd = mkstemp(path);
	static const char conf[] = "# c\nsearch x\nnameserver fe80::1%eth0\n"
				   "nameserver 10.1.2.3\nnameserver 1.1.1.1\n";

	(void)state;
	assert_int_equal(dns_addr_parse("127.0.0.53:53", 0, &ss, &len), 0);
	dns_addr_str((struct sockaddr *)&ss, s, sizeof(s));
	assert_string_equal(s, "127.0.0.53:53");
	assert_int_equal(dns_addr_parse("[::1]:5353", 0, &ss, &len), 0);
	dns_addr_str((struct sockaddr *)&ss, s, sizeof(s));
	assert_string_equal(s, "[::1]:5353");
	assert_int_equal(dns_addr_parse("::1", 53, &ss, &len), 0);
	assert_int_equal(dns_addr_parse("10.0.0.1", 53, &ss, &len), 0);
	dns_addr_str((struct sockaddr *)&ss, s, sizeof(s));
	assert_string_equal(s, "10.0.0.1:53");
	assert_int_equal(dns_addr_parse("example.com:53", 53, &ss, &len),
			 -EINVAL);
	assert_int_equal(dns_addr_parse("1.2.3.4:70000", 53, &ss, &len),
			 -EINVAL);
	assert_int_equal(dns_addr_parse("[::1", 53, &ss, &len), -EINVAL);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, conf, sizeof(conf) - 1),
			 (ssize_t)sizeof(conf) - 1);
	close(fd);
	assert_int_equal(dns_resolv_conf(path, &ss, &len), 0);
	dns_addr_str((struct sockaddr *)&ss, s, sizeof(s));
	assert_string_equal(s, "10.1.2.3:53");
	unlink(path);
	assert_true(dns_resolv_conf(path, &ss, &len) < 0);
}

/* An allowed name is forwarded, answered, and its event recorded. */
static void t_allowed(struct tctx *t, bool tcp)
{
	ldns_pkt *p;

	assert_int_equal(t_start(t), 0);
	p = t_ask(t, "www.allowed.test", tcp);
	assert_non_null(p);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);
	assert_int_equal(fake_up_count(&t->up, tcp ? "tcp:www.allowed.test." :
				       "udp:www.allowed.test."), 1);
	assert_int_equal(t->nev, 1);
	assert_true(t->ev[0].allow);
	assert_string_equal(t->ev[0].name, "www.allowed.test");
	assert_string_equal(t->ev[0].type, "A");
	assert_string_equal(t->ev[0].transport, tcp ? "tcp" : "udp");
}

/* A denied name is REFUSED and never reaches upstream. */
static void t_denied(struct tctx *t, bool tcp)
{
	ldns_pkt *p;

	assert_int_equal(t_start(t), 0);
	p = t_ask(t, "c2VjcmV0.evil.example", tcp);
	assert_non_null(p);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_REFUSED);
	assert_int_equal(ldns_pkt_ancount(p), 0);
	ldns_pkt_free(p);
	assert_int_equal(t->up.nlog, 0);
	assert_int_equal(t->nev, 1);
	assert_false(t->ev[0].allow);
	assert_string_equal(t->ev[0].name, "c2vjcmv0.evil.example");
}

/* An upstream that is the listener itself is refused. */
static void test_self_upstream(void **state)
{
	struct tctx *t = *state;
	struct dns *d = NULL;
	socklen_t al;

	assert_int_equal(t_start(t), 0);
	t->o.listen = t->o.upstream = *(const struct sockaddr_storage *)
		dns_local(t->dns, &al);
	t->o.listen_len = t->o.upstream_len = al;
	dns_free(t->dns);
	t->dns = NULL;
	assert_int_equal(dns_new(t->l, &t->o, &t_ops, t, &d), -ELOOP);
	assert_null(d);
}

/* A label holding a dot reads like a name under allowed.test: refused,
 * recorded, and not forwarded. */
static void test_escaped_dot(void **state)
{
	struct tctx *t = *state;
	ldns_pkt *p;

	assert_int_equal(t_start(t), 0);
	p = t_ask(t, "secret\\.allowed.test", false);
	assert_non_null(p);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_REFUSED);
	ldns_pkt_free(p);
	assert_int_equal(t->up.nlog, 0);
	assert_int_equal(t->nev, 1);
	assert_false(t->ev[0].allow);
	assert_false(dns_name_plain("a\\.b"));
	assert_false(dns_name_plain("a b.c"));
	assert_true(dns_name_plain("a-b_c.d0"));
	assert_true(dns_name_plain("."));
}

static void test_udp_allowed(void **state) { t_allowed(*state, false); }
static void test_tcp_allowed(void **state) { t_allowed(*state, true); }
static void test_udp_denied(void **state) { t_denied(*state, false); }
static void test_tcp_denied(void **state) { t_denied(*state, true); }

/* A lost datagram is sent again; the answer comes on the second try. */
static void test_udp_retry(void **state)
{
	struct tctx *t = *state;
	struct dns_stats st;
	ldns_pkt *p;

	t->up.drop_udp = 1;
	assert_int_equal(t_start(t), 0);
	p = t_ask(t, "a.allowed.test", false);
	assert_non_null(p);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	ldns_pkt_free(p);
	assert_int_equal(t->up.nlog, 2);
	dns_get_stats(t->dns, &st);
	assert_int_equal(st.answered, 1);
}

/* An answer with another id is ignored; the real one is relayed. */
static void test_udp_spoof(void **state)
{
	struct tctx *t = *state;
	struct dns_stats st;
	ldns_pkt *p;

	t->up.spoof_first = true;
	assert_int_equal(t_start(t), 0);
	p = t_ask(t, "b.allowed.test", false);
	assert_non_null(p);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);
	dns_get_stats(t->dns, &st);
	assert_int_equal(st.mismatched, 1);
	assert_int_equal(st.answered, 1);
}

/* A silent upstream: SERVFAIL after every try timed out. */
static void test_udp_timeout(void **state)
{
	struct tctx *t = *state;
	struct dns_stats st;
	ldns_pkt *p;

	t->up.drop_udp = 100;
	t->o.timeout_ms = 30;
	t->o.tries = 2;
	assert_int_equal(t_start(t), 0);
	p = t_ask(t, "c.allowed.test", false);
	assert_non_null(p);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_SERVFAIL);
	ldns_pkt_free(p);
	assert_int_equal(t->up.nlog, 2);
	dns_get_stats(t->dns, &st);
	assert_int_equal(st.servfail, 1);
}

/* Truncated UDP answers reach the client, which then asks over TCP. */
static void test_truncated(void **state)
{
	struct tctx *t = *state;
	ldns_pkt *p;

	t->up.tc_on_udp = true;
	assert_int_equal(t_start(t), 0);
	p = t_ask(t, "big.allowed.test", false);
	assert_non_null(p);
	assert_true(ldns_pkt_tc(p));
	ldns_pkt_free(p);
	p = t_ask(t, "big.allowed.test", true);
	assert_non_null(p);
	assert_false(ldns_pkt_tc(p));
	assert_int_equal(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);
}

/* Past max_inflight a query is answered SERVFAIL at once. */
static void test_inflight_limit(void **state)
{
	struct tctx *t = *state;
	struct dns_stats st;
	uint8_t q[512];
	size_t n = t_query("d.allowed.test", LDNS_RR_TYPE_A, 1, q, sizeof(q));
	socklen_t al;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	ldns_pkt *p;

	t->up.drop_udp = 100;
	t->o.max_inflight = 1;
	t->o.timeout_ms = 2000;
	assert_int_equal(t_start(t), 0);
	const struct sockaddr *la = dns_local(t->dns, &al);
	assert_int_equal(connect(fd, la, al), 0);
	assert_int_equal(send(fd, q, n, 0), (ssize_t)n);
	p = t_ask(t, "e.allowed.test", false);
	assert_non_null(p);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_SERVFAIL);
	ldns_pkt_free(p);
	dns_get_stats(t->dns, &st);
	assert_int_equal(st.dropped, 1);
	assert_int_equal(st.forwarded, 1);
	close(fd);
}

/* Garbage is counted and does not stop the listener. */
static void test_malformed(void **state)
{
	struct tctx *t = *state;
	struct dns_stats st;
	/* One question whose first label claims 63 bytes and has 3. */
	static const uint8_t junk[] = {0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0,
				       0, 0x3f, 'a', 'b', 'c'};
	socklen_t al;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	ldns_pkt *p;

	assert_int_equal(t_start(t), 0);
	const struct sockaddr *la = dns_local(t->dns, &al);
	assert_int_equal(connect(fd, la, al), 0);
	assert_int_equal(send(fd, junk, sizeof(junk), 0),
			 (ssize_t)sizeof(junk));
	p = t_ask(t, "f.allowed.test", false);
	assert_non_null(p);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	ldns_pkt_free(p);
	dns_get_stats(t->dns, &st);
	assert_int_equal(st.malformed, 1);
	assert_int_equal(t->nev, 1);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msg_parse),
		cmocka_unit_test(test_msg_error),
		cmocka_unit_test(test_addr),
#define T(f) cmocka_unit_test_setup_teardown(f, t_setup, t_teardown)
		T(test_udp_allowed),
		T(test_tcp_allowed),
		T(test_udp_denied),
		T(test_tcp_denied),
		T(test_escaped_dot),
		T(test_self_upstream),
		T(test_udp_retry),
		T(test_udp_spoof),
		T(test_udp_timeout),
		T(test_truncated),
		T(test_inflight_limit),
		T(test_malformed),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
