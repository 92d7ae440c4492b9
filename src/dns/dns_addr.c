/* Addresses: "host:port" text, resolv.conf's first nameserver. */
#include "dns/dns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "common/str.h"

#define DNS_ADDR_TEXT_MAX 64  /* "[v6]:port" as text */
#define DNS_RESOLV_LINE_MAX 512 /* a resolv.conf line */

/* host is an IP literal; port already parsed. */
static int dns_addr_fill(const char *host, uint16_t port,
			 struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		return 0;
	}
	return -EINVAL;
}

int dns_addr_parse(const char *text, uint16_t default_port,
		   struct sockaddr_storage *ss, socklen_t *len)
{
	char host[DNS_ADDR_TEXT_MAX];
	const char *port = NULL;
	int64_t p = default_port;
	char *end;

	if (text == NULL || str_lcpy(host, text, sizeof(host)) >= sizeof(host))
		return -EINVAL;
	if (host[0] == '[') {
		end = strchr(host, ']');
		if (end == NULL || (end[1] != '\0' && end[1] != ':'))
			return -EINVAL;
		if (end[1] == ':')
			port = end + 2;
		*end = '\0';
		memmove(host, host + 1, strlen(host + 1) + 1);
	} else if (strchr(host, ':') == strrchr(host, ':') &&
		   (end = strchr(host, ':')) != NULL) {
		*end = '\0';
		port = end + 1;
	}
	if (port && str_to_i64(port, 0, 65535, &p) < 0)
		return -EINVAL;
	return dns_addr_fill(host, (uint16_t)p, ss, len);
}

int dns_resolv_conf(const char *path, struct sockaddr_storage *ss,
		    socklen_t *len)
{
	char line[DNS_RESOLV_LINE_MAX], host[DNS_ADDR_TEXT_MAX];
	FILE *f = fopen(path, "re");
	int r = -ENOENT;

	if (f == NULL)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " nameserver %63s", host) == 1 &&
		    dns_addr_fill(host, 53, ss, len) == 0) {
			r = 0;
			break;
		}
	}
	fclose(f);
	return r;
}

void dns_addr_str(const struct sockaddr *sa, char *out, size_t n)
{
	char h[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, h, sizeof(h));
		snprintf(out, n, "%s:%u", h, (unsigned)ntohs(s4->sin_port));
	} else {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, h, sizeof(h));
		snprintf(out, n, "[%s]:%u", h, (unsigned)ntohs(s6->sin6_port));
	}
}
