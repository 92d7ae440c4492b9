/* libFuzzer target: bytes → the DNS listener's query path (parse, the
 * REFUSED answer, matching an upstream answer) → invariants. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "dns/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A parsed name is lower-case text; a plain one has no final dot (except
 * root). */
static void fuzz_check_name(const struct dns_query *q)
{
	size_t n = strnlen(q->name, sizeof(q->name));

	if (n == 0 || n >= sizeof(q->name) ||
	    memchr(q->type, '\0', sizeof(q->type)) == NULL ||
	    (dns_name_plain(q->name) && n > 1 && q->name[n - 1] == '.'))
		abort();
	for (size_t i = 0; i < n; i++)
		if (isupper((unsigned char)q->name[i]))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[DNS_UDP_MAX];
	struct dns_query q, back;
	int n;

	if (dns_msg_parse(data, size, &q) == 0) {
		fuzz_check_name(&q);
		n = dns_msg_error(data, size, DNS_RCODE_REFUSED, out,
				  sizeof(out));
		/* A query we parsed always gets an answer to its question. */
		if (n <= 0 || !dns_msg_answers(out, (size_t)n, q.id, &q))
			abort();
		/* Our answer parses, and is not taken for a query. */
		if (dns_msg_parse(out, (size_t)n, &back) != -EOPNOTSUPP)
			abort();
	} else {
		memset(&q, 0, sizeof(q));
		str_lcpy(q.name, "www.allowed.test", sizeof(q.name));
		q.qtype = 1;
		q.qclass = 1;
	}
	/* The same bytes as an upstream answer to q. */
	(void)dns_msg_answers(data, size, size >= 2 ?
			      (uint16_t)(data[0] << 8 | data[1]) : 0, &q);
	return 0;
}
