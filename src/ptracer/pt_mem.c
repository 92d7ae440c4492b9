/* Reading a stopped tracee's memory and making its paths absolute. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ptracer/pt_int.h"

#define PT_PAGE 4096u /* string reads stop at page ends */

/* /proc/<pid>/mem works where process_vm_readv is filtered (Docker). */
static int pt_mem_proc(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	char name[PT_PROC_PATH_MAX];
	ssize_t r;
	int fd;

	snprintf(name, sizeof(name), "/proc/%d/mem", (int)pid);
	fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = pread(fd, buf, len, (off_t)addr);
	close(fd);
	if (r < 0)
		return -EFAULT;
	return (size_t)r == len ? 0 : -EFAULT;
}

int pt_mem_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec here = {.iov_base = buf, .iov_len = len};
	struct iovec there = {.iov_base = (void *)(uintptr_t)addr,
			      .iov_len = len};

	if (len == 0)
		return 0;
	if (process_vm_readv(pid, &here, 1, &there, 1, 0) == (ssize_t)len)
		return 0;
	return pt_mem_proc(pid, addr, buf, len);
}

ssize_t pt_mem_str(pid_t pid, uint64_t addr, char *buf, size_t n)
{
	size_t have = 0, step;
	char *nul;
	int ret;

	if (addr == 0 || n == 0)
		return -EFAULT;
	for (; have < n; have += step) {
		step = PT_PAGE - (size_t)((addr + have) % PT_PAGE);
		if (step > n - have)
			step = n - have;
		ret = pt_mem_read(pid, addr + have, buf + have, step);
		if (ret < 0)
			return ret;
		nul = memchr(buf + have, '\0', step);
		if (nul)
			return nul - buf;
	}
	buf[n - 1] = '\0';
	return -E2BIG;
}

int pt_proc_link(pid_t pid, const char *what, char *out, size_t n)
{
	char name[PT_PROC_PATH_MAX];
	ssize_t r;

	snprintf(name, sizeof(name), "/proc/%d/%s", (int)pid, what);
	r = readlink(name, out, n - 1);
	if (r < 0)
		return -errno;
	if ((size_t)r >= n - 1)
		return -ENAMETOOLONG;
	out[r] = '\0';
	return 0;
}

/* Collapse "//", "." and ".." of the absolute path in into out. */
static int pt_path_squash(const char *in, char *out, size_t n)
{
	size_t o = 0, len;
	const char *c;

	while (*in) {
		in += strspn(in, "/");
		c = in;
		len = strcspn(in, "/");
		in += len;
		if (len == 0 || (len == 1 && c[0] == '.'))
			continue;
		if (len == 2 && c[0] == '.' && c[1] == '.') {
			while (o > 0 && out[--o] != '/')
				;
			continue;
		}
		if (o + len + 2 > n)
			return -ENAMETOOLONG;
		out[o++] = '/';
		memcpy(out + o, c, len);
		o += len;
	}
	if (o == 0 && n >= 2)
		out[o++] = '/';
	if (o >= n)
		return -ENAMETOOLONG;
	out[o] = '\0';
	return 0;
}

int pt_path_norm(const char *base, const char *rel, char *out, size_t n)
{
	char joined[2 * PTRACER_PATH_MAX];
	int len;

	if (rel[0] == '/')
		len = snprintf(joined, sizeof(joined), "%s", rel);
	else if (base && base[0] == '/')
		len = snprintf(joined, sizeof(joined), "%s/%s", base, rel);
	else
		return -EINVAL;
	if (len < 0 || (size_t)len >= sizeof(joined))
		return -ENAMETOOLONG;
	return pt_path_squash(joined, out, n);
}
