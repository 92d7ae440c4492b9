/* Names, tokens and the trash's own directories. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/str.h"
#include "trash/trash_int.h"

bool trash_session_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > TRASH_SESSION_MAX || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return false;
	}
	return true;
}

bool trash_token_valid(const char *t)
{
	if (t == NULL || strlen(t) != TRASH_TOKEN_HEX)
		return false;
	for (size_t i = 0; i < TRASH_TOKEN_HEX; i++)
		if (!((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'a' && t[i] <= 'f')))
			return false;
	return true;
}

/* A single path component: not empty, no '/', not "." or "..". */
bool trash_name_valid(const char *name)
{
	return name != NULL && name[0] != '\0' && strchr(name, '/') == NULL &&
	       strcmp(name, ".") != 0 && strcmp(name, "..") != 0 &&
	       strlen(name) < 256;
}

const char *trash_type_name(enum trash_type t)
{
	return t == TRASH_FILE ? "file" : t == TRASH_SYMLINK ? "symlink" : "dir";
}

int trash_token_new(char out[TRASH_TOKEN_SIZE])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[TRASH_TOKEN_HEX / 2];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return -EAGAIN;
	for (size_t i = 0; i < sizeof(b); i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[TRASH_TOKEN_HEX] = '\0';
	return 0;
}

int trash_entry_name(char out[TRASH_NAME_MAX], const char *token,
		     const char *suffix)
{
	int n = snprintf(out, TRASH_NAME_MAX, "%s%s", token, suffix);

	return n < 0 || n >= TRASH_NAME_MAX ? -ENAMETOOLONG : 0;
}

/* A path naming dirfd/name for the path-only calls (the *xattr family). */
int trash_fdpath(char out[TRASH_FDPATH_MAX], int dirfd, const char *name)
{
	int n = snprintf(out, TRASH_FDPATH_MAX, "/proc/self/fd/%d/%s", dirfd,
			 name);

	return n < 0 || n >= TRASH_FDPATH_MAX ? -ENAMETOOLONG : 0;
}

int64_t trash_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int trash_op_end(int sfd, int rootfd, struct trash_entry *e, int rc)
{
	if (sfd >= 0)
		close(sfd);
	if (rootfd >= 0)
		close(rootfd);
	trash_entry_release(e);
	free(e);
	return rc < 0 ? rc : 0;
}

/* mkdir -p with mode 0700 for the components that are missing. */
static int trash_mkdirs(const char *path)
{
	char p[TRASH_PATH_MAX];
	size_t n = str_lcpy(p, path, sizeof(p));

	if (n >= sizeof(p))
		return -ENAMETOOLONG;
	for (size_t i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return -errno;
		p[i] = i < n ? '/' : '\0';
	}
	return 0;
}

/* A trash directory must be ours and writable by nobody else: fd (just
 * opened; < 0: the open's errno) is returned when it is, else closed. */
static int trash_dir_check(int fd)
{
	struct stat st;
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		rc = -errno;
	else if (!S_ISDIR(st.st_mode))
		rc = -ENOTDIR;
	else if (st.st_uid != geteuid() || (st.st_mode & 022) != 0)
		rc = -EPERM;
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

int trash_root_open(const char *root, bool create)
{
	int fd, rc;

	if (root == NULL || root[0] == '\0')
		return -EINVAL;
	if (create && (rc = trash_mkdirs(root)) < 0)
		return rc;
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return trash_dir_check(fd);
}

int trash_session_open(int rootfd, const char *session, bool create)
{
	int fd;

	if (!trash_session_valid(session))
		return -EINVAL;
	if (create && mkdirat(rootfd, session, 0700) < 0 && errno != EEXIST)
		return -errno;
	fd = openat(rootfd, session,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return trash_dir_check(fd);
}
