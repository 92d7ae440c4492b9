/* A fake upstream DNS server on the test's event loop (UDP and TCP). */
#ifndef AGENTSH_TEST_FAKE_UP_H
#define AGENTSH_TEST_FAKE_UP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/loop.h"

#define FAKE_LOG_MAX 64 /* queries remembered */

struct fake_up {
	struct loop *l;
	int ufd, tfd;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char log[FAKE_LOG_MAX][256]; /* names asked, "udp:" or "tcp:" first */
	size_t nlog;
	int drop_udp;      /* datagrams to ignore before answering */
	bool spoof_first;  /* answer with a wrong id first */
	bool tc_on_udp;    /* set TC on every UDP answer */
};

int fake_up_start(struct fake_up *f, struct loop *l);
void fake_up_stop(struct fake_up *f);
/* How many logged queries contain needle. */
size_t fake_up_count(const struct fake_up *f, const char *needle);

#endif
