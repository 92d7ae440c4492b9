/*
 * Soft-delete trash: instead of deleting a file, symlink or directory, the
 * seccomp supervisor moves it here, where the agent cannot reach it, and
 * an operator can list, restore or purge it later.
 *
 * Layout (docs/TRASH.md): <root>/<session>/<token>.data is the object
 * itself (same inode when renamed, a copy with the same mode, owner, times
 * and xattrs when the trash is on another filesystem) and
 * <root>/<session>/<token>.json its manifest. The trash's own directories
 * are created 0700 and manifests 0600, owned by the caller (root).
 *
 * Every function returns 0 (or a count) or a negative errno; none prints,
 * none keeps state between calls. Callers run as root (or the owner of the
 * trash); every function refuses a trash directory owned by someone else.
 */
#ifndef AGENTSH_TRASH_H
#define AGENTSH_TRASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TRASH_ROOT_DEFAULT "/var/lib/agentsh/trash"
#define TRASH_TOKEN_HEX 32       /* 128 random bits as lower-case hex */
#define TRASH_TOKEN_SIZE 33      /* with the NUL */
#define TRASH_SESSION_MAX 128    /* bytes of a session id */
#define TRASH_PATH_MAX 4096      /* an original or destination path */
#define TRASH_COMMAND_MAX 1024   /* the recorded command line */
#define TRASH_XATTRS_MAX 64      /* extended attributes of one object */
#define TRASH_XATTR_NAME_MAX 256 /* bytes of one attribute name */
#define TRASH_XATTR_VALUE_MAX 65536  /* bytes of one attribute value */
#define TRASH_XATTR_TOTAL_MAX 262144 /* bytes of all values of one object */
#define TRASH_SHA256_HEX 64      /* a SHA-256 in hex */
#define TRASH_TIME_MAX 40        /* "2026-01-17T10:00:00.123Z" and NUL */

/* What the supervisor knows about the deletion it intercepted. */
struct trash_info {
	const char *command; /* argv[0] or the command line; cut to a bound */
	pid_t pid;           /* the process that asked */
	int64_t time_ns;     /* when, CLOCK_REALTIME; 0: now */
};

enum trash_type { TRASH_FILE, TRASH_SYMLINK, TRASH_DIR };

struct trash_xattr {
	char *name;
	unsigned char *value;
	size_t len;
};

/* One trash entry, as its manifest describes it. */
struct trash_entry {
	char token[TRASH_TOKEN_SIZE];
	char session[TRASH_SESSION_MAX + 1];
	char path[TRASH_PATH_MAX];  /* the original path, exact bytes */
	enum trash_type type;
	uint64_t size;              /* bytes; a directory: its files' sum */
	char sha256[TRASH_SHA256_HEX + 1]; /* regular files; else "" */
	mode_t mode;                /* permission bits, with setuid & co. */
	uid_t uid;
	gid_t gid;
	int64_t mtime_ns;
	int64_t time_ns;            /* when it was deleted */
	char command[TRASH_COMMAND_MAX + 1];
	int64_t pid;
	size_t n_xattrs;
	struct trash_xattr xattrs[TRASH_XATTRS_MAX];
};

/*
 * Move the object `name` of the directory parent_dirfd (an O_PATH or
 * ordinary directory fd) into <root>/<session>/ and describe it in a
 * manifest; orig_path is its canonical path as the agent sees it. Regular
 * files, symlinks and directories are accepted (other types: -EOPNOTSUPP).
 * Within one filesystem the object is renamed (a non-empty directory too);
 * across filesystems a file, symlink or empty directory is copied with its
 * mode, owner, times and xattrs and then the original is unlinked (a
 * non-empty directory: -EXDEV). On any failure the original stays where it
 * was. On success the entry's token (TRASH_TOKEN_HEX hex digits) is
 * written to token (token_len >= TRASH_TOKEN_SIZE).
 */
int trash_put(const char *root, const char *session, int parent_dirfd,
	      const char *name, const char *orig_path,
	      const struct trash_info *info, char *token, size_t token_len);

/* Called once per entry; non-zero stops the walk (a negative one is returned). */
typedef int (*trash_list_fn)(const struct trash_entry *e, void *arg);

/*
 * Call fn for every entry of one session (or all when session is NULL),
 * oldest deletion first. A manifest that cannot be read is skipped and
 * counted in *bad (may be NULL). Returns the number of entries or -errno.
 */
int trash_list(const char *root, const char *session, trash_list_fn fn,
	       void *arg, size_t *bad);

/*
 * Put entry `token` back at dest (NULL: its original path). The object's
 * SHA-256 (files) and type are checked first: a mismatch is -EBADMSG and
 * nothing changes. An existing destination is -EEXIST unless force (then a
 * file, symlink or empty directory there is replaced). Mode, owner, mtime
 * and xattrs are those of the manifest. The entry is removed on success.
 * An unknown token is -ENOENT.
 */
int trash_restore(const char *root, const char *token, const char *dest,
		  bool force);

struct trash_purge_stats {
	size_t removed, kept;           /* entries */
	uint64_t removed_bytes, kept_bytes;
	size_t orphans;                 /* leftovers of interrupted puts */
};

/*
 * Remove entries of one session (NULL: all) deleted more than ttl_ms ago
 * (0: no age limit), then the oldest until the remaining entries of that
 * scope total at most quota_bytes (0: no quota). Leftovers of interrupted
 * puts older than an hour are removed too. now_ns 0 means the clock.
 */
int trash_purge(const char *root, const char *session, int64_t ttl_ms,
		uint64_t quota_bytes, int64_t now_ns,
		struct trash_purge_stats *st);

/* Load entry `token` into e (release it with trash_entry_release). */
int trash_get(const char *root, const char *token, struct trash_entry *e);

/* Validators, for callers that want to report a bad argument early. */
bool trash_session_valid(const char *session);
bool trash_token_valid(const char *token);
/* "file", "symlink", "dir". */
const char *trash_type_name(enum trash_type t);

/*
 * Parse manifest text (n bytes) into e; e's xattrs are allocated and
 * released by trash_entry_release. 0 or -EINVAL. For the fuzzer and tests.
 */
int trash_manifest_parse(const char *text, size_t n, struct trash_entry *e);
/*
 * Append e as one JSON object, the manifest's form: xattr values in base64
 * when xattr_values, else only their names. Needs the common buf.
 */
struct buf;
int trash_entry_json(struct buf *b, const struct trash_entry *e,
		     bool xattr_values);
/* RFC 3339 in UTC with milliseconds. */
void trash_time_format(int64_t ns, char out[TRASH_TIME_MAX]);
/* Free what a parse or a put allocated inside e; e stays valid and empty. */
void trash_entry_release(struct trash_entry *e);

#endif
