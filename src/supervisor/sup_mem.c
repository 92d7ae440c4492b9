/* Reading the target's memory and resolving its paths. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "supervisor/supervisor.h"
#include "supervisor/sup_int.h"

#define SUP_PAGE 4096u /* reads never cross this boundary */

static int sup_mem_procfs(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	char p[SUP_PROC_PATH_MAX];
	ssize_t r;
	int fd, ret = 0;

	snprintf(p, sizeof(p), "/proc/%d/mem", (int)pid);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = pread(fd, buf, len, (off_t)addr);
	if (r < 0)
		ret = -errno;
	else if ((size_t)r != len)
		ret = -EFAULT;
	close(fd);
	return ret;
}

int sup_mem_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = {buf, len};
	struct iovec remote = {(void *)(uintptr_t)addr, len};
	ssize_t r;

	if (len == 0)
		return 0;
	r = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	if (r >= 0 && (size_t)r == len)
		return 0;
	return sup_mem_procfs(pid, addr, buf, len);
}

int sup_mem_write(pid_t pid, uint64_t addr, const void *buf, size_t len)
{
	struct iovec local = {(void *)(uintptr_t)buf, len};
	struct iovec remote = {(void *)(uintptr_t)addr, len};
	char p[SUP_PROC_PATH_MAX];
	ssize_t r = process_vm_writev(pid, &local, 1, &remote, 1, 0);
	int fd;

	if (r >= 0 && (size_t)r == len)
		return 0;
	snprintf(p, sizeof(p), "/proc/%d/mem", (int)pid);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = pwrite(fd, buf, len, (off_t)addr);
	close(fd);
	return r == (ssize_t)len ? 0 : -EFAULT;
}

int sup_mem_str(pid_t pid, uint64_t addr, char *buf, size_t n)
{
	size_t got = 0, chunk;
	int ret;

	if (addr == 0)
		return -EFAULT;
	while (got < n) {
		/* Stop at page ends: the string may end before a hole. */
		chunk = SUP_PAGE - (size_t)((addr + got) % SUP_PAGE);
		if (chunk > n - got)
			chunk = n - got;
		ret = sup_mem_read(pid, addr + got, buf + got, chunk);
		if (ret < 0)
			return ret;
		if (memchr(buf + got, '\0', chunk))
			return 0;
		got += chunk;
	}
	buf[n - 1] = '\0';
	return -ENAMETOOLONG;
}

/* Append component c (length len) to out (length *o) and handle . and .. */
static int sup_push(char *out, size_t n, size_t *o, const char *c, size_t len)
{
	if (len == 0 || (len == 1 && c[0] == '.'))
		return 0;
	if (len == 2 && c[0] == '.' && c[1] == '.') {
		while (*o > 0 && out[*o - 1] != '/')
			(*o)--;
		if (*o > 0)
			(*o)--;
		return 0;
	}
	if (*o + 1 + len + 1 > n)
		return -ENAMETOOLONG;
	out[(*o)++] = '/';
	memcpy(out + *o, c, len);
	*o += len;
	return 0;
}

static int sup_push_all(char *out, size_t n, size_t *o, const char *s)
{
	const char *slash;
	size_t len;
	int ret;

	while (*s) {
		slash = strchr(s, '/');
		len = slash ? (size_t)(slash - s) : strlen(s);
		ret = sup_push(out, n, o, s, len);
		if (ret < 0)
			return ret;
		s += len;
		if (*s == '/')
			s++;
	}
	return 0;
}

int sup_path_join(const char *base, const char *path, char *out, size_t n)
{
	size_t o = 0;
	int ret;

	if (n < 2)
		return -ENAMETOOLONG;
	if (path[0] != '/') {
		if (!base || base[0] != '/')
			return -EINVAL;
		ret = sup_push_all(out, n, &o, base);
		if (ret < 0)
			return ret;
	}
	ret = sup_push_all(out, n, &o, path);
	if (ret < 0)
		return ret;
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return 0;
}

static int sup_resolve_raw(pid_t pid, int dirfd, const char *path, char *out,
			   size_t n);

/*
 * /proc/self and /proc/thread-self name whoever opens them, which is the
 * supervisor when it emulates: rewrite them to the target's own entry.
 */
static int sup_proc_self(pid_t pid, char *out, size_t n)
{
	static const char *const names[] = {"/proc/self", "/proc/thread-self"};
	char tmp[SUP_PATH_MAX];
	size_t l;

	for (size_t i = 0; i < 2; i++) {
		l = strlen(names[i]);
		if (strncmp(out, names[i], l) != 0 ||
		    (out[l] != '/' && out[l] != '\0'))
			continue;
		if ((size_t)snprintf(tmp, sizeof(tmp), "/proc/%d%s", (int)pid,
				     out + l) >= sizeof(tmp) ||
		    strlen(tmp) >= n)
			return -ENAMETOOLONG;
		memcpy(out, tmp, strlen(tmp) + 1);
	}
	return 0;
}

/* Replace the first plen bytes of out by rep. */
static int sup_splice(char *out, size_t n, size_t plen, const char *rep)
{
	char tmp[SUP_PATH_MAX];

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s%s", rep, out + plen) >=
	    sizeof(tmp) || strlen(tmp) >= n)
		return -ENAMETOOLONG;
	memcpy(out, tmp, strlen(tmp) + 1);
	return 0;
}

/*
 * The standard links into /proc/self/fd (/dev/stdin, /dev/fd/N), and the
 * caller's own /proc/<pid>/root and /proc/<pid>/cwd, which the kernel
 * would follow as magic links: rewritten to what they name for it.
 */
static int sup_proc_links(pid_t pid, char *out, size_t n)
{
	static const char *const std[] = {"/dev/stdin", "/dev/stdout",
					  "/dev/stderr"};
	char pre[SUP_PROC_PATH_MAX], rep[SUP_PATH_MAX];
	size_t l;

	for (int i = 0; i < 3; i++)
		if (strcmp(out, std[i]) == 0) {
			snprintf(rep, sizeof(rep), "/proc/%d/fd/%d", (int)pid, i);
			return sup_splice(out, n, strlen(out), rep);
		}
	snprintf(rep, sizeof(rep), "/proc/%d/fd", (int)pid);
	if (strncmp(out, "/dev/fd", 7) == 0 && (out[7] == '/' || !out[7]))
		return sup_splice(out, n, 7, rep);
	l = (size_t)snprintf(pre, sizeof(pre), "/proc/%d/root", (int)pid);
	if (strncmp(out, pre, l) == 0 && (out[l] == '/' || !out[l]))
		return sup_splice(out, n, l, out[l] ? "" : "/");
	l = (size_t)snprintf(pre, sizeof(pre), "/proc/%d/cwd", (int)pid);
	if (strncmp(out, pre, l) == 0 && (out[l] == '/' || !out[l])) {
		ssize_t r = readlink(pre, rep, sizeof(rep) - 1);
		if (r <= 0 || rep[0] != '/' || (size_t)r == sizeof(rep) - 1)
			return -ENOENT;
		rep[r] = '\0';
		return sup_splice(out, n, l, rep);
	}
	return 0;
}

int sup_resolve(pid_t pid, int dirfd, const char *path, char *out, size_t n)
{
	int ret = sup_resolve_raw(pid, dirfd, path, out, n);

	if (ret == 0)
		ret = sup_proc_self(pid, out, n);
	if (ret == 0)
		ret = sup_proc_links(pid, out, n);
	return ret;
}

static int sup_resolve_raw(pid_t pid, int dirfd, const char *path, char *out,
			   size_t n)
{
	char link[SUP_PROC_PATH_MAX], base[SUP_PATH_MAX];
	ssize_t r;

	if (path[0] == '/')
		return sup_path_join(NULL, path, out, n);
	if (dirfd == AT_FDCWD)
		snprintf(link, sizeof(link), "/proc/%d/cwd", (int)pid);
	else if (dirfd >= 0)
		snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)pid, dirfd);
	else
		return -EBADF;
	r = readlink(link, base, sizeof(base) - 1);
	if (r < 0)
		return -errno;
	base[r] = '\0';
	/* "(deleted)", sockets, pipes, anon inodes: nothing to resolve. */
	if (base[0] != '/' || (size_t)r == sizeof(base) - 1)
		return -ENOENT;
	return sup_path_join(base, path, out, n);
}
