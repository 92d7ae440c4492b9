/* A blocking raw-socket HTTP client for the server tests. */
#ifndef AGENTSH_TESTS_HTTP_CLIENT_H
#define AGENTSH_TESTS_HTTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HC_BUF_MAX (8 * 1024 * 1024) /* bytes one test connection buffers */

struct hc {
	int fd;
	char *buf;   /* received, not yet consumed */
	size_t len;
	int head;    /* the next response answers HEAD: no body */
};

struct hc_resp {
	int status;
	char *head;  /* status line and headers, NUL-terminated */
	char *body;  /* NUL-terminated */
	size_t body_len;
};

/* Connect (blocking, 2 s receive timeout); 0 or -errno. */
int hc_open_tcp(struct hc *c, const char *host, uint16_t port);
int hc_open_unix(struct hc *c, const char *path);
void hc_close(struct hc *c);
/* Send all bytes; 0 or -errno. */
int hc_send(struct hc *c, const void *p, size_t n);
int hc_sends(struct hc *c, const char *s);
/*
 * Read one response: headers, then Content-Length bytes, or everything
 * until EOF without one. Bytes past it stay for the next call. 0 or -errno
 * (-ECONNRESET/-EPIPE on EOF before a whole response).
 */
int hc_read_resp(struct hc *c, struct hc_resp *r);
void hc_resp_free(struct hc_resp *r);
/* Value of a response header (case-insensitive) copied into out; 0/-1. */
int hc_header(const struct hc_resp *r, const char *name, char *out,
	      size_t outsz);
/* Read until EOF; returns bytes read (in *out, caller frees) or -errno. */
ssize_t hc_read_all(struct hc *c, char **out);
/* 1 if the server closed the connection within ms, 0 if not. */
int hc_wait_closed(struct hc *c, int ms);
/* One request on a fresh connection: status, body in r. 0 or -errno. */
int hc_get(uint16_t port, const char *req, struct hc_resp *r);
int64_t hc_now_ms(void);

#endif
