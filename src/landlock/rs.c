/*
 * landlock_rs: probe the ABI, create a ruleset handling what the ABI can
 * enforce, add path and port rules, restrict the calling process.
 */
#include "landlock/landlock_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* Rights of LANDLOCK_WRITE; masked later by what the ABI handles. */
#define LANDLOCK_FS_WRITE_ALL                                              \
	(LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |   \
	 LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |   \
	 LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |       \
	 LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |     \
	 LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM |     \
	 LANDLOCK_ACCESS_FS_REFER | LANDLOCK_ACCESS_FS_TRUNCATE |          \
	 LANDLOCK_ACCESS_FS_IOCTL_DEV)
#define LANDLOCK_FS_READ_ALL                                               \
	(LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)

int landlock_abi(void)
{
	long v = syscall(__NR_landlock_create_ruleset, NULL, 0,
			 LANDLOCK_CREATE_RULESET_VERSION);

	return v < 0 ? -errno : (int)v;
}

int landlock_errata(void)
{
	long v = syscall(__NR_landlock_create_ruleset, NULL, 0,
			 LANDLOCK_CREATE_RULESET_ERRATA);

	return v < 0 ? -errno : (int)v;
}

/* Every filesystem right ABI abi knows. */
static uint64_t landlock_fs_for_abi(int abi)
{
	uint64_t fs = abi >= 1 ? LANDLOCK_FS_ABI1 : 0;

	if (abi >= 2)
		fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		fs |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return fs;
}

/* Fill st's handled masks and have bits from want and abi. */
static void landlock_rs_masks(struct landlock_status *st, int abi)
{
	unsigned w = st->want;

	if (w & LANDLOCK_WANT_FS)
		st->fs = landlock_fs_for_abi(abi);
	if ((w & LANDLOCK_WANT_EXEC_DENY) && abi >= 1)
		st->fs |= LANDLOCK_ACCESS_FS_EXECUTE;
	if (abi >= 4 && (w & LANDLOCK_WANT_TCP_CONNECT))
		st->net |= LANDLOCK_ACCESS_NET_CONNECT_TCP;
	if (abi >= 4 && (w & LANDLOCK_WANT_TCP_BIND))
		st->net |= LANDLOCK_ACCESS_NET_BIND_TCP;
	if (abi >= 6 && (w & LANDLOCK_WANT_SCOPE_SIGNAL))
		st->scoped |= LANDLOCK_SCOPE_SIGNAL;
	if (abi >= 6 && (w & LANDLOCK_WANT_SCOPE_UNIX))
		st->scoped |= LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET;
	if (st->fs != 0)
		st->have |= w & (LANDLOCK_WANT_FS | LANDLOCK_WANT_EXEC_DENY);
	if (st->net & LANDLOCK_ACCESS_NET_CONNECT_TCP)
		st->have |= LANDLOCK_WANT_TCP_CONNECT;
	if (st->net & LANDLOCK_ACCESS_NET_BIND_TCP)
		st->have |= LANDLOCK_WANT_TCP_BIND;
	if (st->scoped & LANDLOCK_SCOPE_SIGNAL)
		st->have |= LANDLOCK_WANT_SCOPE_SIGNAL;
	if (st->scoped & LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET)
		st->have |= LANDLOCK_WANT_SCOPE_UNIX;
}

struct landlock_rs *landlock_rs_new_abi(unsigned want, int abi)
{
	struct landlock_rs *rs = calloc(1, sizeof(*rs));
	struct landlock_attr_rs attr;
	long fd;

	if (rs == NULL)
		return NULL;
	rs->fd = -1;
	rs->st.abi = abi;
	rs->st.want = want;
	landlock_rs_masks(&rs->st, abi);
	if (rs->st.fs == 0 && rs->st.net == 0 && rs->st.scoped == 0)
		return rs; /* nothing this ABI can enforce: inert */
	attr.handled_access_fs = rs->st.fs;
	attr.handled_access_net = rs->st.net;
	attr.scoped = rs->st.scoped;
	fd = syscall(__NR_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (fd < 0) {
		int e = errno;

		free(rs);
		errno = e;
		return NULL;
	}
	rs->fd = (int)fd;
	return rs;
}

struct landlock_rs *landlock_rs_new(unsigned want, int *abi_out)
{
	int abi = landlock_abi();

	if (abi_out != NULL)
		*abi_out = abi;
	return landlock_rs_new_abi(want, abi);
}

void landlock_rs_free(struct landlock_rs *rs)
{
	if (rs == NULL)
		return;
	if (rs->fd >= 0)
		close(rs->fd);
	free(rs);
}

void landlock_rs_status(const struct landlock_rs *rs,
			struct landlock_status *out)
{
	*out = rs->st;
}

int landlock_rs_add_fd(struct landlock_rs *rs, int fd, bool is_dir,
		       uint64_t access)
{
	struct landlock_path_beneath_attr pb;

	access &= rs->st.fs;
	if (!is_dir)
		access &= LANDLOCK_FS_FILE;
	if (access == 0 || rs->fd < 0)
		return 0;
	if (rs->st.rules >= LANDLOCK_RULES_MAX)
		return -E2BIG;
	pb.allowed_access = access;
	pb.parent_fd = fd;
	if (syscall(__NR_landlock_add_rule, rs->fd, LANDLOCK_RULE_PATH_BENEATH,
		    &pb, 0) < 0)
		return -errno;
	rs->st.rules++;
	return 0;
}

int landlock_rs_add_path(struct landlock_rs *rs, const char *path,
				uint64_t access)
{
	struct stat sb;
	int fd, r;

	if (path[0] != '/')
		return -EINVAL;
	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = fstat(fd, &sb) < 0 ? -errno :
		landlock_rs_add_fd(rs, fd, S_ISDIR(sb.st_mode), access);
	close(fd);
	return r;
}

bool landlock_skippable(int err)
{
	return err == -ENOENT || err == -ENOTDIR || err == -EACCES ||
	       err == -ELOOP || err == -ENAMETOOLONG || err == -EINVAL ||
	       err == -EBADFD || err == -EPERM;
}

int landlock_rs_fs_access(const struct landlock_rs *rs, unsigned access,
			  uint64_t *fs)
{
	*fs = 0;
	if (access & ~(LANDLOCK_READ | LANDLOCK_WRITE | LANDLOCK_EXEC))
		return -EINVAL;
	if (access & LANDLOCK_READ)
		*fs |= LANDLOCK_FS_READ_ALL;
	if (access & LANDLOCK_WRITE)
		*fs |= LANDLOCK_FS_WRITE_ALL;
	/* With a deny list, execute comes from the deny list alone. */
	if ((access & LANDLOCK_EXEC) &&
	    !(rs->st.want & LANDLOCK_WANT_EXEC_DENY))
		*fs |= LANDLOCK_ACCESS_FS_EXECUTE;
	*fs &= rs->st.fs;
	return 0;
}

int landlock_rs_allow_paths(struct landlock_rs *rs, const char *const *paths,
			    size_t n, unsigned access, landlock_skip_fn skip,
			    void *arg)
{
	uint64_t fs = 0;
	int r = landlock_rs_fs_access(rs, access, &fs), skipped = 0;

	if (r < 0)
		goto out;
	for (size_t i = 0; i < n && rs->fd >= 0; i++) {
		r = landlock_rs_add_path(rs, paths[i], fs);
		if (r < 0 && !landlock_skippable(r))
			goto out;
		if (r < 0) {
			skipped++;
			if (skip != NULL)
				skip(arg, paths[i], r);
		}
	}
	r = skipped;
out:
	return r;
}

int landlock_rs_allow_tcp(struct landlock_rs *rs, unsigned access,
			  const uint16_t *ports, size_t n)
{
	struct landlock_attr_port pa = {0};
	int r = 0;

	if (access & ~(LANDLOCK_TCP_CONNECT | LANDLOCK_TCP_BIND)) {
		r = -EINVAL;
		goto out;
	}
	if (access & LANDLOCK_TCP_CONNECT)
		pa.allowed_access |= LANDLOCK_ACCESS_NET_CONNECT_TCP;
	if (access & LANDLOCK_TCP_BIND)
		pa.allowed_access |= LANDLOCK_ACCESS_NET_BIND_TCP;
	pa.allowed_access &= rs->st.net;
	if (pa.allowed_access == 0 || rs->fd < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (rs->st.rules >= LANDLOCK_RULES_MAX) {
			r = -E2BIG;
			goto out;
		}
		pa.port = ports[i];
		if (syscall(__NR_landlock_add_rule, rs->fd,
			    LANDLOCK_RULE_NET_PORT, &pa, 0) < 0) {
			r = -errno;
			goto out;
		}
		rs->st.rules++;
	}
out:
	return r;
}

int landlock_rs_apply(struct landlock_rs *rs)
{
	int r = 0;

	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1 &&
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		r = -errno;
		goto out;
	}
	if (rs->fd < 0)
		goto out;
	/* A deny list never given denies nothing: execute everywhere. */
	if ((rs->st.want & LANDLOCK_WANT_EXEC_DENY) && !rs->exec_done) {
		r = landlock_rs_add_path(rs, "/", LANDLOCK_ACCESS_FS_EXECUTE);
		if (r < 0)
			goto out;
		rs->exec_done = true;
	}
	if (syscall(__NR_landlock_restrict_self, rs->fd, 0) < 0) {
		r = -errno;
		goto out;
	}
	rs->st.applied = true;
out:
	return r;
}
