/*
 * landlock_rs_allow_except and landlock_rs_deny_exec: Landlock only grants,
 * so denying a few paths inside a hierarchy means granting everything else
 * there. Starting at the hierarchy, every entry of a directory on the way
 * to a denied path gets its own rule, except the denied paths and the
 * directories leading to them, which are walked in turn. Rules bind to
 * inodes, so an entry that is the same inode as a denied path (hard link,
 * bind mount) or as a directory on the way (bind mount) gets no rule
 * either. The exec deny list is the hierarchy "/" with execute.
 */
#include "landlock/landlock_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LANDLOCK_DENY_PATHS (2 * LANDLOCK_DENY_MAX) /* named + resolved */
#define LANDLOCK_DENY_INODES (LANDLOCK_DENY_PATHS * (LANDLOCK_DEPTH_MAX + 1))

struct landlock_ino {
	dev_t dev;
	ino_t ino;
};

/* The deny set: paths, and the inodes no rule may be put on. */
struct landlock_deny {
	struct landlock_rs *rs;
	uint64_t access;      /* the rights granted around the denied paths */
	char root[PATH_MAX];  /* the hierarchy, resolved */
	char *paths[LANDLOCK_DENY_PATHS]; /* absolute, canonical directory */
	size_t npaths;
	struct landlock_ino ino[LANDLOCK_DENY_INODES]; /* files and ancestors */
	size_t nino;
};

/* Whether sb is one of the inodes that get no rule. */
static bool landlock_deny_has_ino(const struct landlock_deny *d,
				  const struct stat *sb)
{
	for (size_t i = 0; i < d->nino; i++)
		if (d->ino[i].dev == sb->st_dev && d->ino[i].ino == sb->st_ino)
			return true;
	return false;
}

/* Remember the inode of path (when it exists) as one that gets no rule. */
static void landlock_deny_ino(struct landlock_deny *d, const char *path)
{
	struct stat sb;

	if (stat(path, &sb) < 0 || landlock_deny_has_ino(d, &sb))
		return;
	if (d->nino < LANDLOCK_DENY_INODES)
		d->ino[d->nino++] = (struct landlock_ino){sb.st_dev, sb.st_ino};
}

/* The number of components of an absolute path ("/" counts in). */
static size_t landlock_depth(const char *path)
{
	size_t depth = 0;

	for (const char *p = path; *p != '\0'; p++)
		depth += *p == '/';
	return depth;
}

/* Add one canonical path, its inode and its ancestors'; 0 or -errno. */
static int landlock_deny_add(struct landlock_deny *d, const char *path)
{
	char pre[PATH_MAX];

	for (size_t i = 0; i < d->npaths; i++)
		if (strcmp(d->paths[i], path) == 0)
			return 0;
	if (landlock_depth(path) > LANDLOCK_DEPTH_MAX ||
	    d->npaths >= LANDLOCK_DENY_PATHS)
		return -E2BIG;
	d->paths[d->npaths] = strdup(path);
	if (d->paths[d->npaths] == NULL)
		return -ENOMEM;
	d->npaths++;
	landlock_deny_ino(d, path);
	for (const char *p = strchr(path, '/'); p != NULL;
	     p = strchr(p + 1, '/')) {
		size_t len = p == path ? 1 : (size_t)(p - path);

		memcpy(pre, path, len);
		pre[len] = '\0';
		landlock_deny_ino(d, pre);
	}
	return 0;
}

/*
 * The name as given with its directory resolved (a symlink named here is
 * denied under its own name), into out; 0 or -errno.
 */
static int landlock_deny_named(const char *path, char *out)
{
	char dir[PATH_MAX], real[PATH_MAX];
	size_t len = strlen(path);
	const char *base;

	while (len > 1 && path[len - 1] == '/')
		len--;
	if (len >= PATH_MAX)
		return -ENAMETOOLONG;
	memcpy(dir, path, len);
	dir[len] = '\0';
	base = strrchr(dir, '/') + 1;
	if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return realpath(dir, out) != NULL ? 0 : -errno;
	dir[base - dir - 1] = '\0';
	if (realpath(dir[0] != '\0' ? dir : "/", real) == NULL)
		return -errno;
	if (snprintf(out, PATH_MAX, "%s/%s", strcmp(real, "/") == 0 ? "" :
		     real, base) >= PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

/* Add path both as named and as resolved; 0 or -errno. */
static int landlock_deny_path(struct landlock_deny *d, const char *path)
{
	char named[PATH_MAX], real[PATH_MAX];
	int r;

	if (path[0] != '/')
		return -EINVAL;
	if (landlock_depth(path) > LANDLOCK_DEPTH_MAX)
		return -E2BIG;
	r = landlock_deny_named(path, named);
	if (r < 0)
		return r;
	r = landlock_deny_add(d, named);
	if (r < 0)
		return r;
	if (realpath(path, real) == NULL)
		return -errno; /* missing: its directory is split all the same */
	return landlock_deny_add(d, real);
}

/* How name relates to the deny suffixes: 1 denied, 2 on the way, 0 not. */
static int landlock_deny_match(const char *name, const char *const *sfx,
			       size_t ns, const char **sub, size_t *nsub)
{
	size_t len = strlen(name);
	int how = 0;

	*nsub = 0;
	for (size_t i = 0; i < ns; i++) {
		if (strncmp(sfx[i], name, len) != 0)
			continue;
		if (sfx[i][len] == '\0')
			return 1;
		if (sfx[i][len] == '/') {
			sub[(*nsub)++] = sfx[i] + len + 1;
			how = 2;
		}
	}
	return how;
}

/* Grant execute beneath dir/name unless its inode is denied; 0 or -errno. */
static int landlock_deny_grant(struct landlock_deny *d, int dfd,
			       const char *name)
{
	struct stat sb;
	int fd, r = 0;

	fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0; /* vanished or unreachable: no rule */
	/* A symlink needs no rule: checks apply to its target. */
	if (fstat(fd, &sb) < 0 || S_ISLNK(sb.st_mode) ||
	    landlock_deny_has_ino(d, &sb))
		goto out;
	r = landlock_rs_add_fd(d->rs, fd, S_ISDIR(sb.st_mode), d->access);
	if (r == -EBADFD)
		r = 0; /* an internal filesystem Landlock cannot name */
out:
	close(fd);
	return r;
}

/* Walk directory fd (owned) with the suffixes denied below it. */
static int landlock_deny_walk(struct landlock_deny *d, int fd,
			      const char *const *sfx, size_t ns, int depth)
{
	const char *sub[LANDLOCK_DENY_PATHS];
	struct dirent *e;
	size_t nsub;
	int r = 0, cfd;
	DIR *dir = fdopendir(fd);

	if (dir == NULL) {
		close(fd);
		return -errno;
	}
	while (r == 0 && (e = readdir(dir)) != NULL) {
		const char *nm = e->d_name;

		if (strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0)
			continue;
		switch (landlock_deny_match(nm, sfx, ns, sub, &nsub)) {
		case 0: /* a symlink needs no rule, so it is not opened */
			if (e->d_type != DT_LNK)
				r = landlock_deny_grant(d, dirfd(dir), nm);
			break;
		case 2:
			if (depth >= LANDLOCK_DEPTH_MAX)
				break;
			cfd = openat(dirfd(dir), nm, O_RDONLY | O_DIRECTORY |
				     O_NOFOLLOW | O_CLOEXEC);
			if (cfd >= 0) /* else vanished: no rule, fail closed */
				r = landlock_deny_walk(d, cfd, sub, nsub,
						       depth + 1);
			break;
		default:
			break;
		}
	}
	closedir(dir);
	return r;
}

/* How path relates to the hierarchy root: 1 it is root or above it, 2 it
 * lies beneath it, 0 apart. */
static int landlock_rel(const char *path, const char *root)
{
	size_t pl = strlen(path), rl = strlen(root);

	if (strcmp(root, "/") == 0)
		return strcmp(path, "/") == 0 ? 1 : 2;
	if (pl <= rl)
		return strncmp(root, path, pl) == 0 &&
		       (pl == rl || root[pl] == '/' || pl == 1) ? 1 : 0;
	return strncmp(path, root, rl) == 0 && path[rl] == '/' ? 2 : 0;
}

/* Grant beneath the root except the denied paths; 0 or -errno. */
static int landlock_deny_root(struct landlock_deny *d)
{
	const char *sfx[LANDLOCK_DENY_PATHS];
	size_t ns = 0, rl = strlen(d->root);
	int fd;

	for (size_t i = 0; i < d->npaths; i++) {
		switch (landlock_rel(d->paths[i], d->root)) {
		case 1:
			return 0; /* the hierarchy itself is denied */
		case 2:
			sfx[ns++] = d->paths[i] + (rl == 1 ? 1 : rl + 1);
			break;
		default:
			break;
		}
	}
	if (ns == 0) /* nothing denied inside: one rule */
		return landlock_rs_add_path(d->rs, d->root, d->access);
	fd = open(d->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return landlock_deny_walk(d, fd, sfx, ns, 0);
}

/* Whether a landlock_deny_path error skips that path rather than fail. */
static bool landlock_deny_skippable(int err)
{
	return err != -E2BIG && err != -ENOMEM;
}

/*
 * Grant access beneath root (resolved) except the paths denied; the number
 * of denied paths skipped, or -errno.
 */
static int landlock_except(struct landlock_rs *rs, const char *root,
			   uint64_t access, const char *const *paths, size_t n,
			   landlock_skip_fn skip, void *arg)
{
	struct landlock_deny *d = calloc(1, sizeof(*d));
	int r = 0, skipped = 0;

	if (d == NULL)
		return -ENOMEM;
	d->rs = rs;
	d->access = access;
	if (realpath(root, d->root) == NULL) {
		r = -errno;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		r = landlock_deny_path(d, paths[i]);
		if (r < 0 && !landlock_deny_skippable(r))
			goto out;
		if (r < 0) {
			skipped++;
			if (skip != NULL)
				skip(arg, paths[i], r);
		}
	}
	r = landlock_deny_root(d);
	if (r == 0)
		r = skipped;
out:
	for (size_t i = 0; i < d->npaths; i++)
		free(d->paths[i]);
	free(d);
	return r;
}

int landlock_rs_deny_exec(struct landlock_rs *rs, const char *const *paths,
			  size_t n, landlock_skip_fn skip, void *arg)
{
	int r = 0;

	if (rs->exec_done || !(rs->st.want & LANDLOCK_WANT_EXEC_DENY)) {
		r = rs->exec_done ? -EALREADY : -EINVAL;
		goto out;
	}
	if (n > LANDLOCK_DENY_MAX) {
		r = -E2BIG;
		goto out;
	}
	/* From here on apply must not add its own "/" rule: fail closed. */
	rs->exec_done = true;
	if (!(rs->st.fs & LANDLOCK_ACCESS_FS_EXECUTE) || rs->fd < 0)
		goto out; /* inert: nothing to split */
	r = landlock_except(rs, "/", LANDLOCK_ACCESS_FS_EXECUTE, paths, n,
			    skip, arg);
out:
	return r;
}

int landlock_rs_allow_except(struct landlock_rs *rs, const char *root,
			     unsigned access, const char *const *denied,
			     size_t n, landlock_skip_fn skip, void *arg)
{
	uint64_t fs = 0;
	int r = landlock_rs_fs_access(rs, access, &fs);

	if (r < 0 || fs == 0 || rs->fd < 0)
		goto out;
	if (n > LANDLOCK_DENY_MAX || root[0] != '/') {
		r = n > LANDLOCK_DENY_MAX ? -E2BIG : -EINVAL;
		goto out;
	}
	r = landlock_except(rs, root, fs, denied, n, skip, arg);
	if (r < 0 && landlock_skippable(r)) {
		if (skip != NULL)
			skip(arg, root, r);
		r = 1;
	}
out:
	return r;
}
