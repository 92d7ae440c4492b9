/*
 * Names to addresses, the caller's decision, and the dial. Names are
 * resolved by one thread (getaddrinfo, after an optional hosts file)
 * that posts results back to the loop through an eventfd; the proxy then
 * dials the one address the decision picked, never looking the name up
 * again.
 */
#include "proxy/proxy_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/buf.h"

static size_t proxy_dial_add(struct proxy_addr *ips, size_t n, size_t max,
			     int family, const void *a)
{
	struct proxy_addr x = {.family = family};

	memcpy(x.a, a, family == AF_INET ? 4 : 16);
	for (size_t i = 0; i < n; i++)
		if (memcmp(&ips[i], &x, sizeof(x)) == 0)
			return n;
	if (n < max)
		ips[n++] = x;
	return n;
}

/* An address literal: IPv4 in every inet_aton spelling, or IPv6. */
static size_t proxy_dial_literal(const char *h, struct proxy_addr *ips)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (strspn(h, "0123456789abcdefABCDEFxX.") == strlen(h) &&
	    inet_aton(h, &a4) == 1)
		return proxy_dial_add(ips, 0, 1, AF_INET, &a4);
	if (inet_pton(AF_INET6, h, &a6) == 1)
		return proxy_dial_add(ips, 0, 1, AF_INET6, &a6);
	return 0;
}

static size_t proxy_hosts_line(char *line, const char *host,
			       struct proxy_addr *ips, size_t n, size_t max)
{
	char *save = NULL, *addr = strtok_r(line, " \t\r\n", &save), *name;
	struct proxy_addr one[1];

	if (addr == NULL || addr[0] == '#')
		return n;
	while ((name = strtok_r(NULL, " \t\r\n", &save)) != NULL) {
		if (name[0] == '#')
			break;
		if (strcasecmp(name, host) == 0 &&
		    proxy_dial_literal(addr, one) == 1)
			return proxy_dial_add(ips, n, max, one[0].family,
					      one[0].a);
	}
	return n;
}

int proxy_hosts_lookup(const char *file, const char *host,
		       struct proxy_addr *ips, size_t max)
{
	char line[PROXY_HOSTS_LINE_MAX];
	FILE *f = file ? fopen(file, "re") : NULL;
	size_t n = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		n = proxy_hosts_line(line, host, ips, n, max);
	fclose(f);
	return (int)n;
}

static void proxy_dial_lookup(const struct proxy *p, struct proxy_job *j)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai;
	int r;

	j->nips = (size_t)proxy_hosts_lookup(p->o.hosts_file, j->host,
					     j->ips, PROXY_MAX_IPS);
	if (j->nips > 0)
		return;
	r = getaddrinfo(j->host, NULL, &hints, &res);
	if (r != 0) {
		j->err = -ENOENT;
		return;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET)
			j->nips = proxy_dial_add(j->ips, j->nips, PROXY_MAX_IPS,
				AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr);
		else if (ai->ai_family == AF_INET6)
			j->nips = proxy_dial_add(j->ips, j->nips, PROXY_MAX_IPS,
				AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr);
	}
	freeaddrinfo(res);
}

static void *proxy_dial_thread(void *arg)
{
	struct proxy *p = arg;
	struct proxy_job *j;
	uint64_t one = 1;

	pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		if ((j = p->todo) == NULL) {
			pthread_cond_wait(&p->cv, &p->mu);
			continue;
		}
		p->todo = j->next;
		pthread_mutex_unlock(&p->mu);
		proxy_dial_lookup(p, j);
		pthread_mutex_lock(&p->mu);
		j->next = p->done;
		p->done = j;
		if (write(p->efd, &one, sizeof(one)) < 0)
			(void)0; /* the counter is already non-zero */
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static void proxy_dial_decide(struct proxy_conn *c,
			      const struct proxy_addr *ips, size_t n);

static void proxy_dial_results(struct loop *l, int fd, uint32_t ev, void *arg)
{
	struct proxy *p = arg;
	struct proxy_job *j, *next;
	uint64_t cnt;

	if (read(fd, &cnt, sizeof(cnt)) < 0)
		(void)0; /* nothing there: another wakeup took it */
	pthread_mutex_lock(&p->mu);
	j = p->done;
	p->done = NULL;
	pthread_mutex_unlock(&p->mu);
	for (; j; j = next) {
		next = j->next;
		if (j->c) {
			j->c->job = NULL;
			proxy_dial_decide(j->c, j->ips, j->err ? 0 : j->nips);
		}
		free(j);
	}
}

int proxy_dial_start(struct proxy *p)
{
	p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->efd < 0)
		return -errno;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if (loop_add_fd(p->loop, p->efd, EPOLLIN, proxy_dial_results, p) < 0 ||
	    pthread_create(&p->thr, NULL, proxy_dial_thread, p) != 0) {
		loop_del_fd(p->loop, p->efd);
		close(p->efd);
		return -ENOMEM;
	}
	p->thr_started = true;
	return 0;
}

static void proxy_dial_free_list(struct proxy_job *j)
{
	while (j) {
		struct proxy_job *n = j->next;
		free(j);
		j = n;
	}
}

void proxy_dial_stop(struct proxy *p)
{
	if (!p->thr_started)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thr, NULL);
	proxy_dial_free_list(p->todo);
	proxy_dial_free_list(p->done);
	loop_del_fd(p->loop, p->efd);
	close(p->efd);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
}

void proxy_dial_resolve(struct proxy_conn *c)
{
	struct proxy *p = c->p;
	struct proxy_addr lit[1];
	struct proxy_job *j;

	if (proxy_dial_literal(c->uhost, lit) == 1) {
		proxy_dial_decide(c, lit, 1);
		return;
	}
	j = calloc(1, sizeof(*j));
	if (j == NULL) {
		proxy_conn_close(c);
		return;
	}
	j->c = c;
	memcpy(j->host, c->uhost, sizeof(j->host));
	c->job = j;
	pthread_mutex_lock(&p->mu);
	j->next = p->todo;
	p->todo = j;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	proxy_conn_arm(c);
}

static void proxy_dial_event(struct proxy_conn *c, const char *decision,
			     const struct proxy_verdict *v)
{
	struct proxy_event ev = {0};

	if (v && !v->allow) {
		ev.message = v->message;
		ev.approval = v->approval;
	}
	ev.type = "net_connect";
	ev.transparent = c->transparent;
	ev.host = c->uhost;
	ev.port = c->uport;
	ev.ip = c->uip;
	ev.rule = c->rule;
	ev.decision = decision;
	c->p->ops.event(c->p->arg, c->lsn->cookie, &ev);
}

/* Append src to the header line at *o, printable ASCII only, bounded. */
static void proxy_dial_hdr_put(char *h, size_t *o, const char *src)
{
	for (; *src && *o < PROXY_DENY_HDR_MAX - 1; src++)
		h[(*o)++] = *src >= 0x20 && *src < 0x7f ? *src : '?';
	h[*o] = '\0';
}

/* "X-Agentsh-Deny: rule=R; MESSAGE": clients that hide the body of a
 * refused CONNECT (git) still show its headers in their traces. */
static void proxy_dial_deny_hdr(const struct proxy_verdict *v,
				char h[PROXY_DENY_HDR_MAX])
{
	size_t o = 0;

	h[0] = '\0';
	proxy_dial_hdr_put(h, &o, "X-Agentsh-Deny: rule=");
	proxy_dial_hdr_put(h, &o, v->rule[0] ? v->rule : "default-deny");
	if (v->message[0]) {
		proxy_dial_hdr_put(h, &o, "; ");
		proxy_dial_hdr_put(h, &o, v->message);
	}
}

static void proxy_dial_deny(struct proxy_conn *c, const struct proxy_verdict *v)
{
	char hdr[PROXY_DENY_HDR_MAX];
	struct buf b;

	buf_init(&b, PROXY_MSG_MAX + PROXY_RULE_MAX + PROXY_HOST_MAX + 128);
	buf_printf(&b, "blocked by agentsh: connection to %s:%u denied by "
		   "rule %s%s%s\n", c->uhost, (unsigned)c->uport,
		   v->rule[0] ? v->rule : "default-deny", v->message[0] ?
		   ": " : "", v->message);
	proxy_dial_event(c, "deny", v);
	proxy_dial_deny_hdr(v, hdr);
	proxy_conn_answer_hdr(c, 403, hdr, b.data ? b.data : "");
	buf_release(&b);
}

static int proxy_dial_connect(struct proxy_conn *c, const struct proxy_addr *a)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	int one = 1;

	if (a->family == AF_INET) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(c->uport);
		memcpy(&s4->sin_addr, a->a, 4);
		sl = sizeof(*s4);
	} else {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(c->uport);
		memcpy(&s6->sin6_addr, a->a, 16);
		sl = sizeof(*s6);
	}
	c->ufd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->ufd < 0)
		return -errno;
	setsockopt(c->ufd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((connect(c->ufd, (struct sockaddr *)&ss, sl) < 0 &&
	     errno != EINPROGRESS) ||
	    loop_add_fd(c->p->loop, c->ufd, c->uev = EPOLLOUT, proxy_io_upstream,
			c) < 0) {
		close(c->ufd);
		c->ufd = -1;
		return -EIO;
	}
	return 0;
}

static void proxy_dial_decide(struct proxy_conn *c,
			      const struct proxy_addr *ips, size_t n)
{
	struct proxy_verdict v = {0};
	const struct proxy_ops *o = &c->p->ops;

	if (c->transparent)
		n = proxy_transp_ips(c, ips, n, &ips);
	if (n == 0) {
		proxy_conn_answer(c, 502,
				  "agentsh: could not resolve the host\n");
		return;
	}
	if (o->decide(c->p->arg, c->lsn->cookie, c->uhost, c->uport, ips, n,
		      &v) < 0 || v.dial < 0 || (size_t)v.dial >= n)
		v.allow = false;
	memcpy(c->rule, v.rule, sizeof(c->rule));
	c->rule[sizeof(c->rule) - 1] = '\0';
	v.message[sizeof(v.message) - 1] = '\0';
	inet_ntop(ips[v.allow ? v.dial : 0].family, ips[v.allow ? v.dial : 0].a,
		  c->uip, sizeof(c->uip));
	if (!v.allow) {
		proxy_dial_deny(c, &v);
		return;
	}
	proxy_dial_event(c, "allow", &v);
	if (proxy_dial_connect(c, &ips[v.dial]) < 0) {
		proxy_conn_answer(c, 502,
				  "agentsh: could not connect upstream\n");
		return;
	}
	c->st = PS_DIAL;
	proxy_conn_arm(c);
}

void proxy_dial_connected(struct proxy_conn *c)
{
	static const char est[] = "HTTP/1.1 200 Connection established\r\n\r\n";
	struct buf b;

	if (c->transparent) {
		c->st = PS_TUNNEL; /* what the client sent so far goes on */
		return;
	}
	if (c->req.connect) {
		proxy_q_append(&c->u2c, est, sizeof(est) - 1);
		c->st = PS_PEEK;
		return;
	}
	buf_init(&b, PROXY_BUF_MAX);
	if (proxy_req_head(&c->req, &b) < 0 ||
	    proxy_q_append(&c->c2u, b.data, b.len) < 0) {
		buf_release(&b);
		proxy_conn_answer(c, 431, "agentsh: request head too large\n");
		return;
	}
	buf_release(&b);
	c->st = PS_BODY;
}
