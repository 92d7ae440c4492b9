/* A minimal HTTP/1.1 client over a Unix socket, for the shim and the CLI
 * talking to the local daemon (Connection: close; bounded responses). */
#ifndef AGENTSH_COMMON_UHTTP_H
#define AGENTSH_COMMON_UHTTP_H

#include <stddef.h>

#define UHTTP_RESPONSE_MAX (64u << 20) /* bytes of one response */
#define UHTTP_TIMEOUT_MS 3600000       /* no progress for this long: fail */

/* Connect to a Unix socket path; fd or -errno. */
int uhttp_connect(const char *path);
/* Send one request on fd and read the whole response (fd is consumed).
 * *body (malloc'd, NUL-terminated) and *status on success; 0 or -errno. */
int uhttp_request(int fd, const char *method, const char *path,
		  const char *body, size_t len, char **resp, size_t *resp_len,
		  int *status);
/* The same, passing the descriptor passfd along (SCM_RIGHTS). */
int uhttp_request_fd(int fd, const char *method, const char *path,
		     const char *body, size_t len, int passfd, char **resp,
		     size_t *resp_len, int *status);
/* Like uhttp_request, but hand each chunk of the body to fn as it arrives
 * (for Server-Sent Events); fn returning non-zero stops. */
int uhttp_stream(int fd, const char *method, const char *path,
		 const char *body, size_t len, int *status,
		 int (*fn)(void *arg, const char *data, size_t n), void *arg);

#endif
