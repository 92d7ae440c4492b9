/* Reading a stopped tracee's memory and making its paths absolute. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ptracer/pt_int.h"

#define PT_PAGE 4096u /* string reads stop at page ends */

#define PT_STR_IOV 2     /* a string window spans at most two pages */

/* /proc/<pid>/mem works where process_vm_readv is filtered (Docker); it
 * reads up to the first unmapped byte. Bytes read or -errno. */
static ssize_t pt_mem_proc(pid_t pid, uint64_t addr, void *buf, size_t len)
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
	return r < 0 ? -EFAULT : r;
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
	return pt_mem_proc(pid, addr, buf, len) == (ssize_t)len ? 0 : -EFAULT;
}

/*
 * Read from addr to the end of the following page (at most len bytes),
 * one iovec per page so that an unmapped second page only shortens the
 * read. Bytes read or -errno.
 */
static ssize_t pt_mem_window(pid_t pid, uint64_t addr, char *buf, size_t len)
{
	struct iovec there[PT_STR_IOV], here = {.iov_base = buf};
	size_t first = PT_PAGE - (size_t)(addr % PT_PAGE);
	unsigned long k = 1;
	ssize_t r;

	there[0].iov_base = (void *)(uintptr_t)addr;
	there[0].iov_len = first < len ? first : len;
	here.iov_len = there[0].iov_len;
	if (len > first) {
		there[1].iov_base = (void *)(uintptr_t)(addr + first);
		there[1].iov_len = len - first < PT_PAGE ? len - first : PT_PAGE;
		here.iov_len += there[1].iov_len;
		k = 2;
	}
	r = process_vm_readv(pid, &here, 1, there, k, 0);
	if (r > 0)
		return r;
	return pt_mem_proc(pid, addr, buf, here.iov_len);
}

ssize_t pt_mem_str(pid_t pid, uint64_t addr, char *buf, size_t n)
{
	size_t have = 0;
	ssize_t r;
	char *nul;

	if (addr == 0 || n == 0)
		return -EFAULT;
	while (have < n) {
		r = pt_mem_window(pid, addr + have, buf + have, n - have);
		if (r <= 0)
			return r < 0 ? r : -EFAULT;
		nul = memchr(buf + have, '\0', (size_t)r);
		if (nul)
			return nul - buf;
		have += (size_t)r;
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
