/*
 * Copy one object to a new name in another directory, for moves across
 * filesystems: a regular file's bytes, a symlink's target, an empty
 * directory; then its mode, owner, xattrs and mtime. On failure nothing
 * is left at the new name.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/io.h"
#include "trash/trash_int.h"

/* Copy the bytes of file sfd into the new file ddirfd/dname. */
static int trash_copy_bytes(int sfd, int ddirfd, const char *dname)
{
	char *chunk = malloc(TRASH_COPY_CHUNK);
	int dfd, rc = 0;
	ssize_t n;

	if (chunk == NULL)
		return -ENOMEM;
	dfd = openat(ddirfd, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		     O_CLOEXEC, 0600);
	if (dfd < 0) {
		rc = -errno;
		goto out;
	}
	while (rc == 0 && ((n = read(sfd, chunk, TRASH_COPY_CHUNK)) != 0)) {
		if (n < 0)
			rc = errno == EINTR ? 0 : -errno;
		else
			rc = io_write_all(dfd, chunk, (size_t)n);
	}
	if (close(dfd) < 0 && rc == 0)
		rc = -errno;
out:
	free(chunk);
	return rc;
}

/* A regular file, checked to be the object st describes. */
static int trash_copy_file(int sdirfd, const char *sname,
			   const struct stat *st, int ddirfd, const char *dname)
{
	struct stat now;
	int sfd, rc;

	sfd = openat(sdirfd, sname, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		     O_CLOEXEC);
	if (sfd < 0)
		return -errno;
	if (fstat(sfd, &now) < 0)
		rc = -errno;
	else if (now.st_dev != st->st_dev || now.st_ino != st->st_ino)
		rc = -EAGAIN;
	else
		rc = trash_copy_bytes(sfd, ddirfd, dname);
	close(sfd);
	return rc;
}

static int trash_copy_symlink(int sdirfd, const char *sname, int ddirfd,
			      const char *dname)
{
	char *target = malloc(TRASH_PATH_MAX);
	ssize_t n;
	int rc = 0;

	if (target == NULL)
		return -ENOMEM;
	n = readlinkat(sdirfd, sname, target, TRASH_PATH_MAX);
	if (n < 0 || n >= TRASH_PATH_MAX) {
		rc = n < 0 ? -errno : -ENAMETOOLONG;
		goto out;
	}
	target[n] = '\0';
	if (symlinkat(target, ddirfd, dname) < 0)
		rc = -errno;
out:
	free(target);
	return rc;
}

/* Only an empty directory is copied; a tree across filesystems is not. */
static int trash_copy_dir(int sdirfd, const char *sname, int ddirfd,
			  const char *dname)
{
	uint64_t size = 0;
	int rc = trash_tree_size(sdirfd, sname, &size);

	if (rc < 0)
		return rc;
	if (rc > 0)
		return -EXDEV;
	return mkdirat(ddirfd, dname, 0700) < 0 ? -errno : 0;
}

int trash_copy(int sdirfd, const char *sname, const struct stat *st,
	       int ddirfd, const char *dname, const struct trash_entry *meta)
{
	int rc;

	if (S_ISREG(st->st_mode))
		rc = trash_copy_file(sdirfd, sname, st, ddirfd, dname);
	else if (S_ISLNK(st->st_mode))
		rc = trash_copy_symlink(sdirfd, sname, ddirfd, dname);
	else if (S_ISDIR(st->st_mode))
		rc = trash_copy_dir(sdirfd, sname, ddirfd, dname);
	else
		return -EOPNOTSUPP;
	if (rc < 0) {
		if (rc != -EEXIST)
			unlinkat(ddirfd, dname, S_ISDIR(st->st_mode) ?
				 AT_REMOVEDIR : 0);
		return rc;
	}
	rc = trash_meta_apply(ddirfd, dname, meta);
	if (rc < 0)
		unlinkat(ddirfd, dname, S_ISDIR(st->st_mode) ? AT_REMOVEDIR : 0);
	return rc;
}
