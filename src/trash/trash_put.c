/*
 * trash_put: move an object into <root>/<session>/<token>.data (rename, or
 * copy then unlink across filesystems) and write its manifest.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/str.h"
#include "trash/trash_int.h"

/* The entry's description, apart from what the object itself says. */
static int trash_put_entry(struct trash_entry *e, const char *session,
			   const char *orig_path, const struct trash_info *info)
{
	if (trash_token_new(e->token) < 0)
		return -EAGAIN;
	str_lcpy(e->session, session, sizeof(e->session));
	str_lcpy(e->path, orig_path, sizeof(e->path));
	/* Valid UTF-8, so that the manifest holds it exactly. */
	trash_text_clean(info && info->command ? info->command : "",
			 e->command, sizeof(e->command));
	e->pid = info ? info->pid : 0;
	e->time_ns = info && info->time_ns ? info->time_ns : trash_now_ns();
	return 0;
}

enum { TRASH_PUT_RENAMED = 1, TRASH_PUT_COPIED = 2 };

/*
 * Move pfd/name to sfd/data: a rename, or across filesystems a copy (the
 * original is unlinked later, once the manifest is written). Returns
 * TRASH_PUT_RENAMED or TRASH_PUT_COPIED, or -errno with nothing moved.
 */
static int trash_put_move(int pfd, const char *name, int sfd,
			  const char *data, struct stat *st,
			  struct trash_entry *e)
{
	int rc;

	if (fstatat(pfd, name, st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISREG(st->st_mode) && !S_ISLNK(st->st_mode) &&
	    !S_ISDIR(st->st_mode))
		return -EOPNOTSUPP;
	if (renameat2(pfd, name, sfd, data, RENAME_NOREPLACE) == 0)
		return TRASH_PUT_RENAMED;
	if (errno != EXDEV)
		return -errno;
	if ((rc = trash_meta_read(pfd, name, e)) < 0)
		return rc;
	rc = trash_copy(pfd, name, st, sfd, data, e);
	return rc < 0 ? rc : TRASH_PUT_COPIED;
}

/* Unlink the original after a copy, if it is still what was copied. */
static int trash_put_unlink(int pfd, const char *name, const struct stat *st)
{
	struct stat now;

	if (fstatat(pfd, name, &now, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (now.st_dev != st->st_dev || now.st_ino != st->st_ino)
		return -EAGAIN;
	return unlinkat(pfd, name, S_ISDIR(st->st_mode) ? AT_REMOVEDIR : 0) < 0 ?
	       -errno : 0;
}

/* Metadata (after a rename), hash and manifest of the moved object. */
static int trash_put_describe(int sfd, const char *data, int how,
			      struct trash_entry *e)
{
	int rc = 0;

	if (how == TRASH_PUT_RENAMED)
		rc = trash_meta_read(sfd, data, e);
	if (rc == 0 && e->type == TRASH_FILE)
		rc = trash_sha256(sfd, data, &e->size, e->sha256);
	return rc < 0 ? rc : trash_manifest_write(sfd, e);
}

/* Undo a move that cannot complete: the original goes back. */
static void trash_put_undo(int pfd, const char *name, int sfd,
			   const char *token, int how)
{
	char data[TRASH_NAME_MAX], json[TRASH_NAME_MAX];

	if (trash_entry_name(data, token, ".data") < 0 ||
	    trash_entry_name(json, token, ".json") < 0)
		return;

	if (how == TRASH_PUT_RENAMED)
		renameat2(sfd, data, pfd, name, RENAME_NOREPLACE);
	else
		trash_tree_remove(sfd, data);
	unlinkat(sfd, json, 0);
}

static bool trash_put_args_ok(const char *session, const char *name,
			      const char *orig_path, const char *token,
			      size_t token_len)
{
	return trash_session_valid(session) && trash_name_valid(name) &&
	       orig_path != NULL && orig_path[0] == '/' &&
	       strlen(orig_path) < TRASH_PATH_MAX && token != NULL &&
	       token_len >= TRASH_TOKEN_SIZE;
}

int trash_put(const char *root, const char *session, int parent_dirfd,
	      const char *name, const char *orig_path,
	      const struct trash_info *info, char *token, size_t token_len)
{
	struct trash_entry *e = NULL;
	char data[TRASH_NAME_MAX];
	int rootfd = -1, sfd = -1, how = 0, rc;
	struct stat st;

	if (!trash_put_args_ok(session, name, orig_path, token, token_len))
		return -EINVAL;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return -ENOMEM;
	if ((rc = rootfd = trash_root_open(root, true)) < 0 ||
	    (rc = sfd = trash_session_open(rootfd, session, true)) < 0 ||
	    (rc = trash_put_entry(e, session, orig_path, info)) < 0 ||
	    (rc = trash_entry_name(data, e->token, ".data")) < 0 ||
	    (rc = how = trash_put_move(parent_dirfd, name, sfd, data, &st,
				       e)) < 0)
		goto out;
	rc = trash_put_describe(sfd, data, how, e);
	if (rc == 0 && how == TRASH_PUT_COPIED)
		rc = trash_put_unlink(parent_dirfd, name, &st);
	if (rc < 0) {
		trash_put_undo(parent_dirfd, name, sfd, e->token, how);
		goto out;
	}
	str_lcpy(token, e->token, token_len);
out:
	return trash_op_end(sfd, rootfd, e, rc);
}
