/* DNS messages through ldns: the query path that parses untrusted bytes. */
#include "dns/dns.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "common/str.h"

/* The single question of pkt as text (lower-case, no final dot). */
static int dns_msg_question(const ldns_pkt *pkt, struct dns_query *q)
{
	ldns_rr *rr;
	char *name = NULL, *type = NULL;
	size_t n;
	int r = -EINVAL;

	if (ldns_pkt_qdcount(pkt) != 1 ||
	    ldns_rr_list_rr_count(ldns_pkt_question(pkt)) != 1)
		return -EOPNOTSUPP;
	rr = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);
	name = ldns_rdf2str(ldns_rr_owner(rr));
	type = ldns_rr_type2str(ldns_rr_get_type(rr));
	if (name == NULL || type == NULL)
		goto out;
	n = strlen(name);
	if (n > 1 && name[n - 1] == '.')
		name[--n] = '\0';
	if (n == 0 || n >= sizeof(q->name))
		goto out;
	for (size_t i = 0; i < n; i++)
		q->name[i] = (char)tolower((unsigned char)name[i]);
	q->name[n] = '\0';
	str_lcpy(q->type, type, sizeof(q->type));
	q->qtype = (uint16_t)ldns_rr_get_type(rr);
	q->qclass = (uint16_t)ldns_rr_get_class(rr);
	q->id = ldns_pkt_id(pkt);
	r = 0;
out:
	free(name);
	free(type);
	return r;
}

int dns_msg_parse(const uint8_t *wire, size_t len, struct dns_query *q)
{
	ldns_pkt *pkt = NULL;
	int r = -EINVAL;

	memset(q, 0, sizeof(*q));
	if (len < LDNS_HEADER_SIZE || len > DNS_MSG_MAX ||
	    ldns_wire2pkt(&pkt, wire, len) != LDNS_STATUS_OK)
		goto out;
	r = -EOPNOTSUPP;
	if (ldns_pkt_qr(pkt) || ldns_pkt_get_opcode(pkt) != LDNS_PACKET_QUERY ||
	    ldns_pkt_ancount(pkt) != 0 || ldns_pkt_nscount(pkt) != 0)
		goto out;
	r = dns_msg_question(pkt, q);
out:
	ldns_pkt_free(pkt);
	return r;
}

/* A new answer to pkt with rcode and pkt's question; NULL on failure. */
static ldns_pkt *dns_msg_reply(const ldns_pkt *pkt, unsigned rcode)
{
	ldns_pkt *a = ldns_pkt_new();
	ldns_rr_list *ql = ldns_pkt_question(pkt);

	if (a == NULL)
		return NULL;
	ldns_pkt_set_id(a, ldns_pkt_id(pkt));
	ldns_pkt_set_qr(a, true);
	ldns_pkt_set_opcode(a, ldns_pkt_get_opcode(pkt));
	ldns_pkt_set_rd(a, ldns_pkt_rd(pkt));
	ldns_pkt_set_ra(a, true);
	ldns_pkt_set_rcode(a, (uint8_t)rcode);
	for (size_t i = 0; ql && i < ldns_rr_list_rr_count(ql) && i < 1; i++)
		ldns_pkt_push_rr(a, LDNS_SECTION_QUESTION,
				 ldns_rr_clone(ldns_rr_list_rr(ql, i)));
	return a;
}

int dns_msg_error(const uint8_t *wire, size_t len, unsigned rcode,
		  uint8_t *out, size_t cap)
{
	ldns_pkt *pkt = NULL, *a = NULL;
	uint8_t *w = NULL;
	size_t n = 0;
	int r = -EINVAL;

	if (len < LDNS_HEADER_SIZE || len > DNS_MSG_MAX ||
	    ldns_wire2pkt(&pkt, wire, len) != LDNS_STATUS_OK)
		goto out;
	r = -ENOMEM;
	a = dns_msg_reply(pkt, rcode);
	if (a == NULL || ldns_pkt2wire(&w, a, &n) != LDNS_STATUS_OK)
		goto out;
	r = -EMSGSIZE;
	if (n > cap)
		goto out;
	memcpy(out, w, n);
	r = (int)n;
out:
	free(w);
	ldns_pkt_free(a);
	ldns_pkt_free(pkt);
	return r;
}

bool dns_msg_answers(const uint8_t *wire, size_t len, uint16_t id,
		     const struct dns_query *q)
{
	ldns_pkt *pkt = NULL;
	struct dns_query got;
	bool ok = false;

	if (len < LDNS_HEADER_SIZE || len > DNS_MSG_MAX ||
	    ldns_wire2pkt(&pkt, wire, len) != LDNS_STATUS_OK)
		goto out;
	memset(&got, 0, sizeof(got));
	ok = ldns_pkt_qr(pkt) && ldns_pkt_id(pkt) == id &&
	     dns_msg_question(pkt, &got) == 0 && got.qtype == q->qtype &&
	     got.qclass == q->qclass && strcmp(got.name, q->name) == 0;
out:
	ldns_pkt_free(pkt);
	return ok;
}

bool dns_name_plain(const char *name)
{
	if (strcmp(name, ".") == 0)
		return true;
	for (const char *c = name; *c; c++)
		if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c) &&
		    *c != '-' && *c != '_' && *c != '.')
			return false;
	return name[0] != '.';
}
