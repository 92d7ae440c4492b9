/*
 * cgroupfs access: control files read and written whole, cgroup.procs
 * walked, and the mounts and our own cgroup found from /proc/self.
 */
#include "limits/limits_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/str.h"

void limits_why_set(struct limits_why *w, int err, const char *fmt, ...)
{
	va_list ap;

	w->err = err;
	va_start(ap, fmt);
	vsnprintf(w->text, sizeof(w->text), fmt, ap);
	va_end(ap);
}

const char *limits_err_phrase(int err)
{
	switch (-err) {
	case 0:
		return "ok";
	case ENOENT:
		return "not present (ENOENT)";
	case EACCES:
	case EPERM:
		return "permission denied (EACCES/EPERM)";
	case EROFS:
		return "read-only mount (EROFS)";
	case EBUSY:
		return "busy (EBUSY)";
	case EINVAL:
		return "value refused (EINVAL)";
	case EOPNOTSUPP:
		return "not supported (EOPNOTSUPP)";
	case ENOSPC:
		return "too many groups (ENOSPC)";
	default:
		return "failed";
	}
}

int limits_write(int dirfd, const char *file, const char *val)
{
	size_t len = strlen(val);
	ssize_t w;
	int fd, r = 0;

	fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	w = write(fd, val, len);
	if (w < 0)
		r = -errno;
	else if ((size_t)w != len)
		r = -EIO;
	close(fd);
out:
	return r;
}

int limits_read(int dirfd, const char *file, char *buf, size_t n)
{
	size_t len = 0;
	ssize_t got = 0;
	int fd, r;

	fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	while (len + 1 < n) {
		got = read(fd, buf + len, n - 1 - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	r = got < 0 ? -errno : (int)len;
	buf[len] = '\0';
	close(fd);
out:
	return r;
}

int limits_read_i64(int dirfd, const char *file, int64_t *out)
{
	char v[LIMITS_VALUE_MAX];
	int r = limits_read(dirfd, file, v, sizeof(v));

	if (r < 0)
		goto out;
	v[strcspn(v, "\n")] = '\0';
	if (strcmp(v, "max") == 0) {
		*out = INT64_MAX;
		r = 0;
		goto out;
	}
	r = str_to_i64(v, INT64_MIN, INT64_MAX, out);
out:
	return r;
}

int limits_read_key(int dirfd, const char *file, const char *key,
		    int64_t *out)
{
	char v[LIMITS_VALUE_MAX];
	size_t klen = strlen(key);
	char *line, *save = NULL, *end;
	int r = limits_read(dirfd, file, v, sizeof(v));

	if (r < 0)
		goto out;
	r = -ENOENT;
	for (line = strtok_r(v, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, key, klen) != 0 || line[klen] != ' ')
			continue;
		end = line + klen + 1;
		r = str_to_i64(end, INT64_MIN, INT64_MAX, out);
		break;
	}
out:
	return r;
}

/* Parse the pids in buf[0..len), calling fn; returns the count or < 0. */
static int limits_procs_chunk(char *buf, size_t len, size_t *used,
			      int (*fn)(pid_t pid, void *arg), void *arg)
{
	size_t start = 0;
	int64_t pid;
	int n = 0, r = 0;

	for (size_t i = 0; r == 0 && i < len; i++) {
		if (buf[i] != '\n')
			continue;
		buf[i] = '\0';
		if (str_to_i64(buf + start, 1, INT32_MAX, &pid) == 0) {
			n++;
			r = fn != NULL ? fn((pid_t)pid, arg) : 0;
		}
		start = i + 1;
	}
	*used = start;
	return r < 0 ? r : n;
}

int limits_procs_each(int dirfd, int (*fn)(pid_t pid, void *arg), void *arg)
{
	char buf[LIMITS_VALUE_MAX];
	size_t have = 0, used;
	ssize_t got = 0;
	int fd, r = 0, n = 0;

	fd = openat(dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	for (;;) {
		got = read(fd, buf + have, sizeof(buf) - 1 - have);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		have += (size_t)got;
		r = limits_procs_chunk(buf, have, &used, fn, arg);
		if (r < 0)
			break;
		n += r;
		memmove(buf, buf + used, have - used);
		have -= used;
	}
	r = got < 0 ? -errno : r < 0 ? r : n;
	close(fd);
out:
	return r;
}

int limits_join(char *out, size_t n, const char *a, const char *b)
{
	int w;

	/* Avoid "//" when a is the root directory. */
	if (strcmp(a, "/") == 0)
		a = "";
	w = snprintf(out, n, "%s/%s", a, b);
	return w < 0 || (size_t)w >= n ? -ENAMETOOLONG : 0;
}

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void limits_unescape(char *s)
{
	char *d = s;

	while (*s != '\0') {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
				      (s[3] - '0'));
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
}

/* True when word is one of the comma-separated items of list. */
static bool limits_in_list(const char *list, const char *word)
{
	size_t wl = strlen(word);
	const char *p = list;

	while (p != NULL && *p != '\0') {
		const char *c = strchr(p, ',');
		size_t len = c != NULL ? (size_t)(c - p) : strlen(p);

		if (len == wl && strncmp(p, word, wl) == 0)
			return true;
		p = c != NULL ? c + 1 : NULL;
	}
	return false;
}

/* Split a mountinfo line into fields; returns the index after "-" or -1. */
static int limits_split(char *line, char **f, int *nf)
{
	char *save = NULL, *t;
	int sep = -1;

	*nf = 0;
	for (t = strtok_r(line, " \n", &save); t != NULL && *nf <
	     LIMITS_MAX_FIELDS; t = strtok_r(NULL, " \n", &save)) {
		if (sep < 0 && *nf >= 6 && strcmp(t, "-") == 0)
			sep = *nf + 1;
		f[(*nf)++] = t;
	}
	return sep >= 0 && sep + 2 < *nf ? sep : -1;
}

/* Does this mountinfo line describe the mount we want? Fill m if so. */
static bool limits_mount_line(char *line, const char *ctrl,
			      struct limits_mount *m)
{
	char *f[LIMITS_MAX_FIELDS];
	int nf, sep = limits_split(line, f, &nf);

	if (sep < 0)
		return false;
	if (ctrl == NULL ? strcmp(f[sep], "cgroup2") != 0 :
	    strcmp(f[sep], "cgroup") != 0 || !limits_in_list(f[sep + 2], ctrl))
		return false;
	limits_unescape(f[3]);
	limits_unescape(f[4]);
	if (str_lcpy(m->root, f[3], sizeof(m->root)) >= sizeof(m->root) ||
	    str_lcpy(m->dir, f[4], sizeof(m->dir)) >= sizeof(m->dir))
		return false;
	m->ro = limits_in_list(f[5], "ro");
	return true;
}

int limits_find_mount(const char *ctrl, struct limits_mount *m)
{
	FILE *fp = fopen("/proc/self/mountinfo", "re");
	char line[LIMITS_LINE_MAX];
	int r = -ENOENT;

	if (fp == NULL) {
		r = -errno;
		goto out;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (limits_mount_line(line, ctrl, m)) {
			r = 0;
			break;
		}
	}
	fclose(fp);
out:
	return r;
}

/* Our cgroup path in the hierarchy of ctrl (NULL: v2) from /proc/self. */
static int limits_own_path(const char *ctrl, char *path, size_t n)
{
	FILE *fp = fopen("/proc/self/cgroup", "re");
	char line[LIMITS_LINE_MAX];
	char *c1, *c2;
	int r = -ENOENT;

	if (fp == NULL) {
		r = -errno;
		goto out;
	}
	while (r == -ENOENT && fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		c1 = strchr(line, ':');
		c2 = c1 != NULL ? strchr(c1 + 1, ':') : NULL;
		if (c2 == NULL)
			continue;
		*c1 = *c2 = '\0';
		/* v2 is "0::PATH"; v1 is "ID:ctrl,ctrl:PATH". */
		if (ctrl == NULL ? strcmp(line, "0") != 0 || c1[1] != '\0' :
		    !limits_in_list(c1 + 1, ctrl))
			continue;
		r = str_lcpy(path, c2 + 1, n) < n ? 0 : -ENAMETOOLONG;
	}
	fclose(fp);
out:
	return r;
}

int limits_own_base(const char *ctrl, char *base, size_t n)
{
	struct limits_mount m;
	char path[LIMITS_PATH_MAX];
	const char *rel;
	size_t rl;
	int r = limits_find_mount(ctrl, &m);

	if (r < 0)
		goto out;
	r = limits_own_path(ctrl, path, sizeof(path));
	if (r < 0)
		goto out;
	rl = strcmp(m.root, "/") == 0 ? 0 : strlen(m.root);
	/* Our cgroup must lie inside what the mount shows. */
	if (strstr(path, "/..") != NULL || strncmp(path, m.root, rl) != 0 ||
	    (path[rl] != '/' && path[rl] != '\0')) {
		r = -ENOENT;
		goto out;
	}
	rel = path + rl;
	while (*rel == '/')
		rel++;
	r = *rel == '\0' ? (str_lcpy(base, m.dir, n) < n ? 0 : -ENAMETOOLONG)
			 : limits_join(base, n, m.dir, rel);
out:
	return r;
}
