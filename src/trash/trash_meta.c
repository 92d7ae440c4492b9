/* An object's metadata: read it, apply it, hash a file's contents. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/utf8.h"
#include "trash/trash_int.h"

#define TRASH_XATTR_LIST_MAX 65536 /* bytes of one listxattr answer */

void trash_entry_release(struct trash_entry *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->n_xattrs; i++) {
		free(e->xattrs[i].name);
		free(e->xattrs[i].value);
	}
	e->n_xattrs = 0;
}

bool trash_text_ok(const char *s, size_t n)
{
	for (size_t i = 0, cl; i < n; i += cl) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
		if ((cl = utf8_seq_len(s + i, n - i)) == 0)
			return false;
	}
	return true;
}

/* Add one attribute to e (copies); the total is bounded. */
static int trash_meta_xattr_add(struct trash_entry *e, const char *name,
				const unsigned char *v, size_t len,
				size_t *total)
{
	struct trash_xattr *x;

	if (e->n_xattrs >= TRASH_XATTRS_MAX ||
	    *total + len > TRASH_XATTR_TOTAL_MAX)
		return -E2BIG;
	x = &e->xattrs[e->n_xattrs];
	x->name = strdup(name);
	x->value = malloc(len ? len : 1);
	if (x->name == NULL || x->value == NULL) {
		free(x->name);
		free(x->value);
		return -ENOMEM;
	}
	memcpy(x->value, v, len);
	x->len = len;
	e->n_xattrs++;
	*total += len;
	return 0;
}

/*
 * Read every extended attribute of path (not following a last symlink).
 * Names that are not printable UTF-8 cannot go into the manifest: skipped.
 */
static int trash_meta_xattrs(const char *path, struct trash_entry *e)
{
	char *list = malloc(TRASH_XATTR_LIST_MAX);
	unsigned char *val = malloc(TRASH_XATTR_VALUE_MAX);
	ssize_t n, vn;
	size_t total = 0, nl;
	int rc = 0;

	if (list == NULL || val == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	n = llistxattr(path, list, TRASH_XATTR_LIST_MAX);
	if (n < 0) {
		rc = errno == ENOTSUP ? 0 : errno == ERANGE ? -E2BIG : -errno;
		goto out;
	}
	for (ssize_t i = 0; i < n && rc == 0; i += (ssize_t)nl + 1) {
		nl = strnlen(list + i, (size_t)(n - i));
		if (nl == 0 || nl >= TRASH_XATTR_NAME_MAX ||
		    !trash_text_ok(list + i, nl))
			continue;
		vn = lgetxattr(path, list + i, val, TRASH_XATTR_VALUE_MAX);
		if (vn < 0 && errno == ENODATA)
			continue;
		if (vn < 0) {
			rc = errno == ERANGE ? -E2BIG : -errno;
			break;
		}
		rc = trash_meta_xattr_add(e, list + i, val, (size_t)vn, &total);
	}
out:
	free(list);
	free(val);
	return rc;
}

void trash_text_clean(const char *in, char *out, size_t cap)
{
	size_t n = strlen(in), o = 0, cl;

	for (size_t i = 0; i < n && o + 1 < cap; i += cl) {
		cl = utf8_seq_len(in + i, n - i);
		if (cl == 0 || o + cl >= cap) {
			out[o++] = '?';
			cl = cl ? cl : 1;
			continue;
		}
		memcpy(out + o, in + i, cl);
		o += cl;
	}
	out[o] = '\0';
}

int trash_meta_read(int dirfd, const char *name, struct trash_entry *e)
{
	char path[TRASH_FDPATH_MAX];
	struct stat st;
	int rc;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (S_ISREG(st.st_mode))
		e->type = TRASH_FILE;
	else if (S_ISLNK(st.st_mode))
		e->type = TRASH_SYMLINK;
	else if (S_ISDIR(st.st_mode))
		e->type = TRASH_DIR;
	else
		return -EOPNOTSUPP;
	e->mode = st.st_mode & 07777;
	e->uid = st.st_uid;
	e->gid = st.st_gid;
	e->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000LL +
		      st.st_mtim.tv_nsec;
	e->size = (uint64_t)st.st_size;
	if (e->type == TRASH_DIR && (rc = trash_tree_size(dirfd, name,
							   &e->size)) < 0)
		return rc;
	if ((rc = trash_fdpath(path, dirfd, name)) < 0)
		return rc;
	return trash_meta_xattrs(path, e);
}

/* Owner and permission bits, changed only where they differ. */
static int trash_meta_owner(int dirfd, const char *name,
			    const struct trash_entry *e)
{
	struct stat st;
	bool chowned = false;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (st.st_uid != e->uid || st.st_gid != e->gid) {
		if (fchownat(dirfd, name, e->uid, e->gid,
			     AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
		chowned = true;
	}
	/* chown clears setuid and setgid, so the mode goes on afterwards. */
	if (!S_ISLNK(st.st_mode) &&
	    (chowned || (st.st_mode & 07777) != e->mode) &&
	    fchmodat(dirfd, name, e->mode, 0) < 0)
		return -errno;
	return 0;
}

int trash_meta_apply(int dirfd, const char *name, const struct trash_entry *e)
{
	char path[TRASH_FDPATH_MAX];
	struct timespec ts[2] = {
		{ .tv_nsec = UTIME_OMIT },
		{ .tv_sec = e->mtime_ns / 1000000000LL,
		  .tv_nsec = e->mtime_ns % 1000000000LL },
	};
	int rc;

	if ((rc = trash_meta_owner(dirfd, name, e)) < 0)
		return rc;
	if ((rc = trash_fdpath(path, dirfd, name)) < 0)
		return rc;
	/* A filesystem without (these) xattrs still gets the object back. */
	for (size_t i = 0; i < e->n_xattrs; i++)
		if (lsetxattr(path, e->xattrs[i].name, e->xattrs[i].value,
			      e->xattrs[i].len, 0) < 0 && errno != ENOTSUP)
			return -errno;
	if (ts[1].tv_nsec < 0) {
		ts[1].tv_sec--;
		ts[1].tv_nsec += 1000000000LL;
	}
	if (utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

/* Hash an open file to its end. */
static int trash_sha256_fd(int fd, uint64_t *size, unsigned char md[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *chunk = malloc(TRASH_COPY_CHUNK);
	ssize_t n = 0;
	int rc = -ENOMEM;

	*size = 0;
	if (ctx == NULL || chunk == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	while ((n = read(fd, chunk, TRASH_COPY_CHUNK)) > 0 ||
	       (n < 0 && errno == EINTR)) {
		if (n < 0)
			continue;
		*size += (uint64_t)n;
		if (EVP_DigestUpdate(ctx, chunk, (size_t)n) != 1)
			goto out;
	}
	if (n < 0) {
		rc = -errno;
		goto out;
	}
	rc = EVP_DigestFinal_ex(ctx, md, NULL) == 1 ? 0 : -EIO;
out:
	EVP_MD_CTX_free(ctx);
	free(chunk);
	return rc;
}

int trash_sha256(int dirfd, const char *name, uint64_t *size,
		 char hex[TRASH_SHA256_HEX + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[32];
	struct stat st;
	int fd, rc;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	rc = trash_sha256_fd(fd, size, md);
	close(fd);
	for (size_t i = 0; rc == 0 && i < sizeof(md); i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[TRASH_SHA256_HEX] = '\0';
	return rc;
}
