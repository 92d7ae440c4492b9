/* Small I/O helpers. */
#ifndef AGENTSH_COMMON_IO_H
#define AGENTSH_COMMON_IO_H

#include <stddef.h>

/* Write all n bytes (retrying on EINTR and short writes); 0 or -EIO. */
int io_write_all(int fd, const void *p, size_t n);

#endif
