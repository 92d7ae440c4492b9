/* Directory trees in the trash: their size, and their removal. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trash/trash_int.h"

/*
 * Walk the directory dirfd/name: add its files' sizes to *size and count
 * its direct entries in *n; with rm, remove everything below it.
 */
static int trash_tree_walk(int dirfd, const char *name, int depth, bool rm,
			   uint64_t *size, size_t *n)
{
	struct dirent *de;
	struct stat st;
	size_t sub = 0;
	DIR *d;
	int fd, rc = 0;

	if (depth > TRASH_TREE_DEPTH_MAX)
		return -ELOOP;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return -errno;
	}
	while (rc == 0 && (errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		(*n)++;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = -errno;
			break;
		}
		if (S_ISREG(st.st_mode))
			*size += (uint64_t)st.st_size;
		if (S_ISDIR(st.st_mode))
			rc = trash_tree_walk(fd, de->d_name, depth + 1, rm, size,
					     &sub);
		if (rc == 0 && rm && unlinkat(fd, de->d_name, S_ISDIR(st.st_mode) ?
					      AT_REMOVEDIR : 0) < 0)
			rc = -errno;
	}
	if (rc == 0 && errno != 0)
		rc = -errno;
	closedir(d);
	return rc;
}

int trash_tree_size(int dirfd, const char *name, uint64_t *size)
{
	size_t n = 0;
	int rc;

	*size = 0;
	rc = trash_tree_walk(dirfd, name, 0, false, size, &n);
	return rc < 0 ? rc : n > 0;
}

int trash_tree_remove(int dirfd, const char *name)
{
	uint64_t size = 0;
	struct stat st;
	size_t n = 0;
	int rc;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dirfd, name, 0) < 0 ? -errno : 0;
	rc = trash_tree_walk(dirfd, name, 0, true, &size, &n);
	if (rc == 0 && unlinkat(dirfd, name, AT_REMOVEDIR) < 0)
		rc = -errno;
	return rc;
}
