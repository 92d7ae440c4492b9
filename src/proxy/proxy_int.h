/* The proxy's internals, shared by its files. */
#ifndef AGENTSH_PROXY_INT_H
#define AGENTSH_PROXY_INT_H

#include <pthread.h>
#include <sys/epoll.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "common/loop.h"
#include "proxy/proxy.h"
#include "proxy/proxy_req.h"

#define PROXY_BUF_MAX 32768     /* bytes buffered per direction */
#define PROXY_POOL_MAX 16       /* drained buffers kept for reuse */
#define PROXY_PEEK_MAX (5 + 16384) /* a ClientHello record at most */
#define PROXY_HEADER_TIMEOUT_MS 10000  /* a whole request head */
#define PROXY_IDLE_TIMEOUT_MS 120000   /* no bytes either way */
#define PROXY_CONNECT_TIMEOUT_MS 10000 /* resolve and dial */
#define PROXY_TICK_MS 1000      /* how often a connection's clock is read */
#define PROXY_ACCEPT_PAUSE_MS 100 /* out of descriptors: accept again after */
#define PROXY_HOSTS_LINE_MAX 512 /* a line of the hosts file */
#define PROXY_DENY_HDR_MAX 512  /* the X-Agentsh-Deny header line */
#define PROXY_SNIFF_MS 1000     /* transparent: silent client, decide on IP */

enum proxy_state {
	PS_HEAD,     /* reading a request head */
	PS_SNIFF,    /* transparent: waiting for the SNI or Host name */
	PS_RESOLVE,  /* waiting for the resolver */
	PS_DIAL,     /* connecting upstream */
	PS_BODY,     /* forwarding a request body */
	PS_PEEK,     /* CONNECT to 443: waiting for the ClientHello */
	PS_TUNNEL,   /* bytes both ways */
	PS_CLOSING,  /* flush what the client is owed, then close */
};

/* Drained buffers kept by the proxy: no malloc/free churn per chunk. */
struct proxy_pool {
	char *free[PROXY_POOL_MAX];
	size_t n;
};

/* Up to PROXY_BUF_MAX bytes, taken when first needed, given back when drained. */
struct proxy_bufq {
	size_t off, len;
	char *d;
	struct proxy_pool *pool;
};

struct proxy_lsn {
	struct proxy *p;
	int fd;
	void *cookie;
	bool transparent;          /* redirected connections (proxy_transp.c) */
	struct loop_timer *paused; /* out of descriptors: accepting later */
	struct proxy_lsn *next;
};

struct proxy_job;

struct proxy_conn {
	struct proxy *p;
	struct proxy_lsn *lsn;
	struct proxy_conn *prev, *next;
	int cfd, ufd;
	uint32_t cev, uev;       /* what each descriptor is watched for */
	enum proxy_state st;
	bool c_eof, u_eof, u_connected;
	bool served;               /* a whole request was answered */
	bool closed;               /* proxy_conn_close ran (freed later) */
	bool transparent;          /* accepted on a transparent listener */
	bool sniffed_http;         /* transparent: the client speaks HTTP */
	struct proxy_addr orig;    /* transparent: the original destination */
	struct proxy_req req;
	struct proxy_bufq cin;  /* raw from the client, not yet parsed */
	struct proxy_bufq c2u;  /* to the upstream */
	struct proxy_bufq u2c;  /* to the client */
	struct proxy_job *job;
	struct loop_timer *timer;
	int64_t last_ms, head_ms, dial_ms;
	char uhost[PROXY_HOST_MAX]; /* the upstream's name and port */
	uint16_t uport;
	char uip[64], rule[PROXY_RULE_MAX];
	uint64_t up, down;      /* bytes to and from the upstream */
};

struct proxy_job {
	struct proxy_conn *c;   /* NULL once the connection is gone */
	char host[PROXY_HOST_MAX];
	struct proxy_addr ips[PROXY_MAX_IPS];
	size_t nips;
	int err;
	struct proxy_job *next;
};

struct proxy {
	struct loop *loop;
	struct proxy_ops ops;
	void *arg;
	struct proxy_opts o;
	char *hosts_file;
	struct proxy_lsn *lsns;
	struct proxy_conn *conns;
	struct proxy_pool pool;
	/* The resolver thread and its queues. */
	pthread_t thr;
	bool thr_started, stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct proxy_job *todo, *done;
	int efd;
};

/* proxy.c */
void proxy_conn_close(struct proxy_conn *c);
void proxy_conn_arm(struct proxy_conn *c);
void proxy_conn_answer(struct proxy_conn *c, int status, const char *body);
/* The same with one extra header line hdr (no CRLF; NULL: none). */
void proxy_conn_answer_hdr(struct proxy_conn *c, int status, const char *hdr,
			   const char *body);
/* proxy_io.c */
void proxy_io_client(struct loop *l, int fd, uint32_t ev, void *arg);
void proxy_io_upstream(struct loop *l, int fd, uint32_t ev, void *arg);
void proxy_io_process(struct proxy_conn *c);
void proxy_io_upstream_close(struct proxy_conn *c);
int proxy_q_append(struct proxy_bufq *q, const void *p, size_t n);
int proxy_q_reserve(struct proxy_bufq *q);
void proxy_q_reset(struct proxy_bufq *q);
/* proxy_transp.c */
int proxy_transp_orig(struct proxy_conn *c);
int proxy_transp_sniff(struct proxy_conn *c);
void proxy_transp_decide(struct proxy_conn *c, const char *name);
size_t proxy_transp_ips(struct proxy_conn *c, const struct proxy_addr *ips,
			size_t n, const struct proxy_addr **out);
void proxy_conn_reset(struct proxy_conn *c);
/* proxy_dial.c */
int proxy_dial_start(struct proxy *p);
void proxy_dial_stop(struct proxy *p);
void proxy_dial_resolve(struct proxy_conn *c);
void proxy_dial_connected(struct proxy_conn *c);
int proxy_hosts_lookup(const char *file, const char *host,
		       struct proxy_addr *ips, size_t max);

#endif
