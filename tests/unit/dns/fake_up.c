/* A fake upstream DNS server: answers A 127.0.0.7 to every question. */
#include "fake_up.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <ldns/ldns.h>

/* An answer to the query in q (NULL when it does not parse). */
static ldns_pkt *fake_answer(struct fake_up *f, const uint8_t *q, size_t n,
			     const char *transport)
{
	ldns_pkt *p = NULL;
	ldns_rr *rr = NULL;
	char *name;

	if (ldns_wire2pkt(&p, q, n) != LDNS_STATUS_OK)
		return NULL;
	name = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(
		ldns_pkt_question(p), 0)));
	if (f->nlog < FAKE_LOG_MAX)
		snprintf(f->log[f->nlog++], sizeof(f->log[0]), "%s:%s",
			 transport, name ? name : "?");
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_ra(p, true);
	if (name && ldns_rr_new_frm_str(&rr, "x 60 IN A 127.0.0.7", 60, NULL,
					NULL) == LDNS_STATUS_OK) {
		ldns_rdf_deep_free(ldns_rr_owner(rr));
		ldns_rr_set_owner(rr, ldns_rdf_clone(ldns_rr_owner(
			ldns_rr_list_rr(ldns_pkt_question(p), 0))));
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
	}
	free(name);
	return p;
}

static void fake_on_udp(struct loop *l, int fd, uint32_t ev, void *arg)
{
	struct fake_up *f = arg;
	uint8_t buf[4096], *w = NULL;
	struct sockaddr_storage peer;
	socklen_t pl = sizeof(peer);
	ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer,
			     &pl);
	ldns_pkt *p;
	size_t wn;

	if (n <= 0)
		return;
	p = fake_answer(f, buf, (size_t)n, "udp");
	if (p == NULL || f->drop_udp-- > 0)
		goto out;
	ldns_pkt_set_tc(p, f->tc_on_udp);
	if (f->spoof_first) {
		f->spoof_first = false;
		ldns_pkt_set_id(p, (uint16_t)(ldns_pkt_id(p) + 1));
		if (ldns_pkt2wire(&w, p, &wn) == LDNS_STATUS_OK)
			sendto(fd, w, wn, 0, (struct sockaddr *)&peer, pl);
		free(w);
		w = NULL;
		ldns_pkt_set_id(p, (uint16_t)(ldns_pkt_id(p) - 1));
	}
	if (ldns_pkt2wire(&w, p, &wn) == LDNS_STATUS_OK)
		sendto(fd, w, wn, 0, (struct sockaddr *)&peer, pl);
out:
	free(w);
	ldns_pkt_free(p);
}

/* One TCP exchange once the query is there, blocking: the test's
 * messages are tiny. */
static void fake_on_tcp_conn(struct loop *l, int c, uint32_t ev, void *arg)
{
	struct fake_up *f = arg;
	uint8_t buf[2 + 4096], *w = NULL, len[2];
	size_t need, wn;
	ldns_pkt *p = NULL;

	loop_del_fd(l, c);
	if (recv(c, buf, 2, MSG_WAITALL) != 2)
		goto out;
	need = (size_t)buf[0] << 8 | buf[1];
	if (need > 4096 || recv(c, buf + 2, need, MSG_WAITALL) != (ssize_t)need)
		goto out;
	p = fake_answer(f, buf + 2, need, "tcp");
	if (p && ldns_pkt2wire(&w, p, &wn) == LDNS_STATUS_OK) {
		len[0] = (uint8_t)(wn >> 8);
		len[1] = (uint8_t)wn;
		send(c, len, 2, 0);
		send(c, w, wn, 0);
	}
out:
	free(w);
	ldns_pkt_free(p);
	close(c);
}

static void fake_on_tcp(struct loop *l, int fd, uint32_t ev, void *arg)
{
	int c = accept(fd, NULL, NULL);

	if (c >= 0 && loop_add_fd(l, c, EPOLLIN, fake_on_tcp_conn, arg) < 0)
		close(c);
}

/* UDP and TCP on one port: the ephemeral UDP port may be taken for TCP. */
static int fake_bind(struct fake_up *f)
{
	struct sockaddr_in a;
	socklen_t al;
	int one = 1;

	for (int i = 0; i < 32; i++) {
		memset(&a, 0, sizeof(a));
		a.sin_family = AF_INET;
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		al = sizeof(a);
		f->ufd = socket(AF_INET, SOCK_DGRAM, 0);
		f->tfd = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(f->tfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(f->ufd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
		    getsockname(f->ufd, (struct sockaddr *)&a, &al) == 0 &&
		    bind(f->tfd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
		    listen(f->tfd, 8) == 0) {
			memcpy(&f->addr, &a, sizeof(a));
			f->addr_len = sizeof(a);
			return 0;
		}
		close(f->ufd);
		close(f->tfd);
	}
	return -EADDRINUSE;
}

int fake_up_start(struct fake_up *f, struct loop *l)
{
	memset(f, 0, sizeof(*f));
	f->l = l;
	if (fake_bind(f) < 0)
		return -EADDRINUSE;
	if (loop_add_fd(l, f->ufd, EPOLLIN, fake_on_udp, f) < 0 ||
	    loop_add_fd(l, f->tfd, EPOLLIN, fake_on_tcp, f) < 0)
		return -EIO;
	return 0;
}

void fake_up_stop(struct fake_up *f)
{
	loop_del_fd(f->l, f->ufd);
	loop_del_fd(f->l, f->tfd);
	close(f->ufd);
	close(f->tfd);
}

size_t fake_up_count(const struct fake_up *f, const char *needle)
{
	size_t n = 0;

	for (size_t i = 0; i < f->nlog; i++)
		n += strstr(f->log[i], needle) != NULL;
	return n;
}
