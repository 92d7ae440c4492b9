/* Internals of the trash module. */
#ifndef AGENTSH_TRASH_INT_H
#define AGENTSH_TRASH_INT_H

#include <sys/stat.h>

#include "common/buf.h"
#include "trash/trash.h"

#define TRASH_MANIFEST_MAX (1u << 20) /* bytes of one manifest */
#define TRASH_NAME_MAX 64             /* "<token>.json.tmp" and friends */
#define TRASH_FDPATH_MAX (TRASH_NAME_MAX + 32 + 256) /* /proc/self/fd/N/x */
#define TRASH_COPY_CHUNK 65536        /* bytes per read when copying */
#define TRASH_TREE_DEPTH_MAX 256      /* directory levels walked */
#define TRASH_ORPHAN_AGE_NS (3600LL * 1000000000LL) /* interrupted puts */
#define TRASH_ENTRIES_MAX (1u << 20)  /* entries one scan collects */

/* trash_dir.c: names, tokens, the trash directories. */
bool trash_name_valid(const char *name);
int trash_token_new(char out[TRASH_TOKEN_SIZE]);
int trash_root_open(const char *root, bool create);
int trash_session_open(int rootfd, const char *session, bool create);
int trash_entry_name(char out[TRASH_NAME_MAX], const char *token,
		     const char *suffix);
int trash_fdpath(char out[TRASH_FDPATH_MAX], int dirfd, const char *name);
int64_t trash_now_ns(void);
/* End an operation on one entry: close the session and root directories
 * (-1: not open), release and free e (may be NULL); rc if < 0, else 0. */
int trash_op_end(int sfd, int rootfd, struct trash_entry *e, int rc);

/* trash_meta.c: an object's metadata, read and applied. */
/* True when the n bytes of s are printable UTF-8 (no controls). */
bool trash_text_ok(const char *s, size_t n);
/* Copy in to out (cap bytes) with each invalid UTF-8 byte as '?'. */
void trash_text_clean(const char *in, char *out, size_t cap);
int trash_meta_read(int dirfd, const char *name, struct trash_entry *e);
int trash_meta_apply(int dirfd, const char *name, const struct trash_entry *e);
int trash_sha256(int dirfd, const char *name, uint64_t *size,
		 char hex[TRASH_SHA256_HEX + 1]);

/* trash_copy.c: copy one object (file, symlink, empty dir) to a new name. */
int trash_copy(int sdirfd, const char *sname, const struct stat *st,
	       int ddirfd, const char *dname, const struct trash_entry *meta);

/* trash_tree.c: directory trees; size returns 1 when it has entries. */
int trash_tree_remove(int dirfd, const char *name);
int trash_tree_size(int dirfd, const char *name, uint64_t *size);

/* trash_manifest.c, trash_parse.c, trash_b64.c. */
int trash_manifest_write(int sessfd, const struct trash_entry *e);
int trash_manifest_load(int sessfd, const char *token, struct trash_entry *e);
int trash_b64_encode(struct buf *b, const unsigned char *p, size_t n);
/* Decode n chars into out (room for cap bytes); length or -EINVAL. */
ssize_t trash_b64_decode(const char *s, size_t n, unsigned char *out,
			 size_t cap);

/* trash_list.c: find the session holding a token. */
int trash_find(int rootfd, const char *token, char session[TRASH_SESSION_MAX + 1]);

#endif
