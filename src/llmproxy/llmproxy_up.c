/*
 * Upstream connections: provider URLs, dialing with a deadline, TLS with
 * the certificate chain and the host name (or IP SAN) verified. Plain
 * http:// is only accepted for loopback hosts (local test upstreams).
 */
#include "llmproxy/llmproxy_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "common/str.h"

static bool llmp_loopback(const char *host)
{
	struct in_addr a4;

	if (strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0)
		return true;
	return inet_pton(AF_INET, host, &a4) == 1 &&
	       (ntohl(a4.s_addr) >> 24) == 127;
}

/* host[:port] or [v6][:port] of an authority into u. */
static int llmp_up_authority(const char *a, size_t n, struct llmp_upstream *u)
{
	const char *colon = NULL, *h = a;
	size_t hl = n;

	if (n > 0 && a[0] == '[') {
		const char *rb = memchr(a, ']', n);
		if (rb == NULL)
			return -EINVAL;
		h = a + 1;
		hl = (size_t)(rb - h);
		if (rb + 1 < a + n)
			colon = *(rb + 1) == ':' ? rb + 1 : NULL;
		if (rb + 1 < a + n && colon == NULL)
			return -EINVAL;
	} else if ((colon = memchr(a, ':', n)) != NULL) {
		hl = (size_t)(colon - a);
	}
	if (hl == 0 || hl >= sizeof(u->host))
		return -EINVAL;
	memcpy(u->host, h, hl);
	u->host[hl] = '\0';
	if (colon) {
		size_t pl = (size_t)(a + n - colon - 1);
		int64_t port;
		char ps[8];
		if (pl == 0 || pl >= sizeof(ps))
			return -EINVAL;
		memcpy(ps, colon + 1, pl);
		ps[pl] = '\0';
		if (str_to_i64(ps, 1, 65535, &port) < 0)
			return -EINVAL;
		str_lcpy(u->port, ps, sizeof(u->port));
	}
	return 0;
}

int llmp_up_parse(const char *url, struct llmp_upstream *u)
{
	const char *a, *slash;
	size_t pl;
	int r;

	memset(u, 0, sizeof(*u));
	if (url == NULL || strlen(url) >= LLMPROXY_URL_MAX)
		return -EINVAL;
	if (strncmp(url, "https://", 8) == 0)
		u->tls = true, a = url + 8;
	else if (strncmp(url, "http://", 7) == 0)
		a = url + 7;
	else
		return -EINVAL;
	slash = strchr(a, '/');
	r = llmp_up_authority(a, slash ? (size_t)(slash - a) : strlen(a), u);
	if (r < 0)
		return r;
	if (u->port[0] == '\0')
		str_lcpy(u->port, u->tls ? "443" : "80", sizeof(u->port));
	pl = slash ? strcspn(slash, "?#") : 0;
	while (pl > 0 && slash[pl - 1] == '/')
		pl--;
	if (pl >= sizeof(u->prefix))
		return -EINVAL;
	if (pl)
		memcpy(u->prefix, slash, pl);
	u->prefix[pl] = '\0';
	return !u->tls && !llmp_loopback(u->host) ? -EPERM : 0;
}

struct llmproxy_tls {
	pthread_mutex_t mu;
	SSL_CTX *ctx;     /* NULL until loaded */
	char *ca_file;
	int err;          /* a failed load stays failed */
};

int llmproxy_tls_new(const char *ca_file, struct llmproxy_tls **out)
{
	struct llmproxy_tls *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -ENOMEM;
	if (ca_file && ca_file[0] && (t->ca_file = strdup(ca_file)) == NULL) {
		free(t);
		return -ENOMEM;
	}
	pthread_mutex_init(&t->mu, NULL);
	*out = t;
	return 0;
}

void llmproxy_tls_free(struct llmproxy_tls *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->ctx);
	free(t->ca_file);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

static int llmp_tls_load(struct llmproxy_tls *t)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	int r = -EIO;

	if (ctx == NULL)
		goto out;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	/* A close-delimited body may end without close_notify. */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	/* The system store, or SSL_CERT_FILE / SSL_CERT_DIR when set. */
	if (SSL_CTX_set_default_verify_paths(ctx) != 1)
		goto out;
	if (t->ca_file && SSL_CTX_load_verify_locations(ctx, t->ca_file,
							 NULL) != 1)
		goto out;
	t->ctx = ctx;
	ctx = NULL;
	r = 0;
out:
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return r;
}

/* The shared context, loaded on first use; NULL when it cannot be. */
static SSL_CTX *llmp_tls_ctx(struct llmproxy_tls *t)
{
	SSL_CTX *c;

	pthread_mutex_lock(&t->mu);
	if (t->ctx == NULL && t->err == 0)
		t->err = llmp_tls_load(t);
	c = t->ctx;
	pthread_mutex_unlock(&t->mu);
	return c;
}

/* Connect fd to ai within ms; 0 or -errno. */
static int llmp_dial_one(const struct addrinfo *ai, int64_t ms)
{
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			0), one = 1, err = 0;
	socklen_t el = sizeof(err);
	struct pollfd pf;

	if (fd < 0)
		return -errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS)
		goto fail;
	pf.fd = fd;
	pf.events = POLLOUT;
	if (poll(&pf, 1, (int)ms) != 1) {
		errno = ETIMEDOUT;
		goto fail;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
		errno = err ? err : errno;
		goto fail;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
fail:
	err = -errno;
	close(fd);
	return err;
}

static int llmp_dial(const struct llmp_upstream *u, int64_t ms)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	int fd = -EHOSTUNREACH;

	if (getaddrinfo(u->host, u->port, &hints, &res) != 0)
		return -EHOSTUNREACH;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		fd = llmp_dial_one(ai, ms);
		if (fd >= 0)
			break;
	}
	freeaddrinfo(res);
	return fd;
}

/* Verify the peer as host: a DNS name, or an IP address in the SAN. */
static int llmp_tls(struct llmp_conn *c, const struct llmp_upstream *u)
{
	unsigned char ip[16];
	bool is_ip = inet_pton(AF_INET, u->host, ip) == 1 ||
		     inet_pton(AF_INET6, u->host, ip) == 1;

	SSL_CTX *ctx = llmp_tls_ctx(c->p->tls);

	c->ussl = ctx ? SSL_new(ctx) : NULL;
	if (c->ussl == NULL || SSL_set_fd(c->ussl, c->ufd) != 1)
		return -EIO;
	if (is_ip) {
		X509_VERIFY_PARAM *vp = SSL_get0_param(c->ussl);
		if (X509_VERIFY_PARAM_set1_ip_asc(vp, u->host) != 1)
			return -EIO;
	} else {
		char sni[LLMP_HOST_MAX]; /* the macro takes a non-const name */
		str_lcpy(sni, u->host, sizeof(sni));
		if (SSL_set_tlsext_host_name(c->ussl, sni) != 1 ||
		    SSL_set1_host(c->ussl, u->host) != 1)
			return -EIO;
	}
	if (SSL_connect(c->ussl) != 1) {
		ERR_clear_error();
		return SSL_get_verify_result(c->ussl) != X509_V_OK ?
			       -EKEYREJECTED : -ECONNRESET;
	}
	return 0;
}

static void llmp_timeouts(int fd, int64_t ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* A new connection to u, with TLS when u asks for it. */
static int llmp_up_dial(struct llmp_conn *c, const struct llmp_upstream *u)
{
	int fd = llmp_dial(u, c->p->connect_ms), r = 0;

	if (fd < 0)
		return fd;
	pthread_mutex_lock(&c->p->mu);
	c->ufd = fd;
	pthread_mutex_unlock(&c->p->mu);
	if (u->tls) {
		llmp_timeouts(fd, c->p->connect_ms);
		r = llmp_tls(c, u);
	}
	if (r == 0)
		llmp_timeouts(fd, c->p->upstream_ms);
	return r;
}

int llmp_up_open(struct llmp_conn *c, const struct llmp_upstream *u,
		 bool fresh)
{
	int fd;
	SSL *ssl = NULL;

	c->uup = u;
	c->ukeep = false;
	c->ureused = !fresh && llmp_pool_take(c->p, u, &fd, &ssl) == 0;
	if (!c->ureused)
		return llmp_up_dial(c, u);
	pthread_mutex_lock(&c->p->mu);
	c->ufd = fd;
	pthread_mutex_unlock(&c->p->mu);
	c->ussl = ssl;
	return 0;
}

void llmp_up_close(struct llmp_conn *c)
{
	c->ukeep = c->ureused = false;
	if (c->ussl) {
		SSL_free(c->ussl);
		c->ussl = NULL;
	}
	if (c->ufd >= 0) {
		pthread_mutex_lock(&c->p->mu);
		close(c->ufd);
		c->ufd = -1;
		pthread_mutex_unlock(&c->p->mu);
	}
}

void llmp_up_release(struct llmp_conn *c)
{
	if (c->ukeep && c->ufd >= 0)
		llmp_pool_put(c);
	llmp_up_close(c);
}

bool llmp_up_stale(ssize_t r)
{
	return r == 0 || r == -EPIPE || r == -ECONNRESET;
}

bool llmp_up_answered(struct llmp_conn *c)
{
	char b;

	return c->ufd >= 0 &&
	       recv(c->ufd, &b, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

/* A failed TLS read or write as 0 (a clean end) or -errno: the socket's
 * error when there was one, so that a reset shows as such. */
static int llmp_ssl_fail(SSL *s)
{
	int err = errno, e = SSL_get_error(s, 0);

	ERR_clear_error();
	if (e == SSL_ERROR_ZERO_RETURN)
		return 0;
	if (e == SSL_ERROR_SYSCALL && (err == EPIPE || err == ECONNRESET))
		return -err;
	return -EIO;
}

int llmp_up_write(struct llmp_conn *c, const void *p, size_t n)
{
	const char *s = p;

	if (c->ussl == NULL)
		return llmp_write_all(c->ufd, p, n);
	while (n > 0) {
		size_t w = 0;
		errno = 0;
		if (SSL_write_ex(c->ussl, s, n, &w) != 1) {
			int r = llmp_ssl_fail(c->ussl);
			return r < 0 ? r : -EPIPE;
		}
		s += w;
		n -= w;
	}
	return 0;
}

/* Bytes read, 0 at the end, or -errno. */
ssize_t llmp_up_read(struct llmp_conn *c, void *p, size_t n)
{
	size_t got = 0;
	ssize_t r;

	if (c->ussl == NULL) {
		do
			r = read(c->ufd, p, n);
		while (r < 0 && errno == EINTR);
		return r < 0 ? -errno : r;
	}
	errno = 0;
	if (SSL_read_ex(c->ussl, p, n, &got) == 1)
		return (ssize_t)got;
	return llmp_ssl_fail(c->ussl);
}

int llmp_write_all(int fd, const void *p, size_t n)
{
	const char *s = p;

	while (n > 0) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}
