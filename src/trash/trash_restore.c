/* trash_restore: check an entry, put it back, forget it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/str.h"
#include "trash/trash_int.h"

/* Open the directory of path for *at calls; *base points into path. */
static int trash_restore_parent(const char *path, const char **base)
{
	char dir[TRASH_PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd;

	if (strlen(path) >= sizeof(dir))
		return -ENAMETOOLONG;
	*base = slash ? slash + 1 : path;
	if (!trash_name_valid(*base))
		return -EINVAL;
	if (slash == NULL)
		str_lcpy(dir, ".", sizeof(dir));
	else if (slash == path)
		str_lcpy(dir, "/", sizeof(dir));
	else
		str_lcpy(dir, path, (size_t)(slash - path) + 1);
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* The data must still be what the manifest describes. */
static int trash_restore_verify(int sfd, const char *data,
				const struct trash_entry *e, struct stat *st)
{
	char hex[TRASH_SHA256_HEX + 1];
	uint64_t size = 0;
	enum trash_type t;
	int rc;

	if (fstatat(sfd, data, st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? -ENODATA : -errno;
	t = S_ISREG(st->st_mode) ? TRASH_FILE : S_ISLNK(st->st_mode) ?
	    TRASH_SYMLINK : S_ISDIR(st->st_mode) ? TRASH_DIR : (enum trash_type)-1;
	if (t != e->type)
		return -EBADMSG;
	if (t != TRASH_FILE)
		return 0;
	if ((rc = trash_sha256(sfd, data, &size, hex)) < 0)
		return rc;
	return strcmp(hex, e->sha256) == 0 && size == e->size ? 0 : -EBADMSG;
}

/*
 * Put sfd/data at pfd/base: metadata first, then one rename (or, across
 * filesystems, a copy to a temporary name and a rename), so a failure
 * leaves the destination as it was.
 */
static int trash_restore_move(int sfd, const char *data, const struct stat *st,
			      int pfd, const char *base,
			      const struct trash_entry *e, bool force)
{
	unsigned flags = force ? 0 : RENAME_NOREPLACE;
	char tmp[TRASH_NAME_MAX];
	int rc;

	if ((rc = trash_meta_apply(sfd, data, e)) < 0)
		return rc;
	if (renameat2(sfd, data, pfd, base, flags) == 0)
		return 0;
	if (errno != EXDEV)
		return -errno;
	if ((rc = trash_entry_name(tmp, ".agentsh-restore-", e->token)) < 0 ||
	    (rc = trash_copy(sfd, data, st, pfd, tmp, e)) < 0)
		return rc;
	if (renameat2(pfd, tmp, pfd, base, flags) < 0) {
		rc = -errno;
		trash_tree_remove(pfd, tmp);
		return rc;
	}
	trash_tree_remove(sfd, data);
	return 0;
}

/* Restore the loaded entry e of session directory sfd. */
static int trash_restore_entry(int sfd, const struct trash_entry *e,
			       const char *dest, bool force)
{
	char data[TRASH_NAME_MAX], json[TRASH_NAME_MAX];
	const char *base = NULL;
	struct stat st, old;
	int pfd, rc;

	if ((rc = trash_entry_name(data, e->token, ".data")) < 0 ||
	    (rc = trash_entry_name(json, e->token, ".json")) < 0)
		return rc;
	if ((pfd = trash_restore_parent(dest ? dest : e->path, &base)) < 0)
		return pfd;
	rc = trash_restore_verify(sfd, data, e, &st);
	if (rc == 0 && !force &&
	    fstatat(pfd, base, &old, AT_SYMLINK_NOFOLLOW) == 0)
		rc = -EEXIST;
	if (rc == 0)
		rc = trash_restore_move(sfd, data, &st, pfd, base, e, force);
	if (rc == 0 && unlinkat(sfd, json, 0) < 0)
		rc = -errno;
	close(pfd);
	return rc;
}

int trash_get(const char *root, const char *token, struct trash_entry *e)
{
	char session[TRASH_SESSION_MAX + 1];
	int rootfd, sfd, rc;

	memset(e, 0, sizeof(*e));
	if (!trash_token_valid(token))
		return -EINVAL;
	if ((rootfd = trash_root_open(root, false)) < 0)
		return rootfd;
	rc = trash_find(rootfd, token, session);
	if (rc == 0 && (rc = sfd = trash_session_open(rootfd, session,
						       false)) >= 0) {
		rc = trash_manifest_load(sfd, token, e);
		close(sfd);
	}
	close(rootfd);
	return rc < 0 ? rc : 0;
}

int trash_restore(const char *root, const char *token, const char *dest,
		  bool force)
{
	char session[TRASH_SESSION_MAX + 1];
	struct trash_entry *e = NULL;
	int rootfd = -1, sfd = -1, rc;

	if (!trash_token_valid(token) || (dest != NULL && dest[0] == '\0'))
		return -EINVAL;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return -ENOMEM;
	if ((rc = rootfd = trash_root_open(root, false)) < 0 ||
	    (rc = trash_find(rootfd, token, session)) < 0 ||
	    (rc = sfd = trash_session_open(rootfd, session, false)) < 0 ||
	    (rc = trash_manifest_load(sfd, token, e)) < 0)
		goto out;
	rc = trash_restore_entry(sfd, e, dest, force);
out:
	return trash_op_end(sfd, rootfd, e, rc);
}
