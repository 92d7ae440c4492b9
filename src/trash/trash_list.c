/* Walking the trash: find, list and purge entries. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/str.h"
#include "trash/trash_int.h"

/* What a scan keeps of one entry: enough to sort, purge and reload it. */
struct trash_rec {
	char session[TRASH_SESSION_MAX + 1];
	char token[TRASH_TOKEN_SIZE];
	int64_t time_ns;
	uint64_t size;
};

struct trash_scan {
	struct trash_rec *recs;
	size_t n, cap, bad;
};

int trash_find(int rootfd, const char *token,
	       char session[TRASH_SESSION_MAX + 1])
{
	char rel[TRASH_SESSION_MAX + TRASH_NAME_MAX + 2];
	struct dirent *de;
	struct stat st;
	int fd, rc = -ENOENT;
	DIR *d;

	if ((fd = dup(rootfd)) < 0)
		return -errno;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -errno;
	}
	rewinddir(d);
	while (rc == -ENOENT && (de = readdir(d)) != NULL) {
		if (!trash_session_valid(de->d_name))
			continue;
		snprintf(rel, sizeof(rel), "%s/%s.json", de->d_name, token);
		if (fstatat(rootfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			str_lcpy(session, de->d_name, TRASH_SESSION_MAX + 1);
			rc = 0;
		}
	}
	closedir(d);
	return rc;
}

/* "<token>.json": the token, or NULL. */
static bool trash_scan_token(const char *name, char token[TRASH_TOKEN_SIZE])
{
	if (strlen(name) != TRASH_TOKEN_HEX + 5 ||
	    strcmp(name + TRASH_TOKEN_HEX, ".json") != 0)
		return false;
	memcpy(token, name, TRASH_TOKEN_HEX);
	token[TRASH_TOKEN_HEX] = '\0';
	return trash_token_valid(token);
}

static int trash_scan_add(struct trash_scan *s, const struct trash_entry *e)
{
	struct trash_rec *r;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;

		if (cap > TRASH_ENTRIES_MAX)
			return -E2BIG;
		if ((r = realloc(s->recs, cap * sizeof(*r))) == NULL)
			return -ENOMEM;
		s->recs = r;
		s->cap = cap;
	}
	r = &s->recs[s->n++];
	str_lcpy(r->session, e->session, sizeof(r->session));
	str_lcpy(r->token, e->token, sizeof(r->token));
	r->time_ns = e->time_ns;
	r->size = e->size;
	return 0;
}

/* Every manifest of one session directory. */
static int trash_scan_session(int rootfd, const char *session,
			      struct trash_scan *s, struct trash_entry *e)
{
	char token[TRASH_TOKEN_SIZE];
	struct dirent *de;
	int sfd, fd, rc = 0;
	DIR *d;

	if ((sfd = trash_session_open(rootfd, session, false)) < 0)
		return sfd == -ENOENT ? 0 : sfd;
	if ((fd = dup(sfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		rc = -errno;
		if (fd >= 0)
			close(fd);
		close(sfd);
		return rc;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (!trash_scan_token(de->d_name, token))
			continue;
		if (trash_manifest_load(sfd, token, e) < 0 ||
		    strcmp(e->session, session) != 0) {
			s->bad++;
		} else {
			rc = trash_scan_add(s, e);
		}
		trash_entry_release(e);
	}
	closedir(d);
	close(sfd);
	return rc;
}

static int trash_rec_cmp(const void *a, const void *b)
{
	const struct trash_rec *x = a, *y = b;

	if (x->time_ns != y->time_ns)
		return x->time_ns < y->time_ns ? -1 : 1;
	return strcmp(x->token, y->token);
}

/* Collect the entries of one session (or all), oldest first. */
static int trash_scan(int rootfd, const char *session, struct trash_scan *s)
{
	struct trash_entry *e = calloc(1, sizeof(*e));
	struct dirent *de;
	int fd, rc = 0;
	DIR *d = NULL;

	if (e == NULL)
		return -ENOMEM;
	if (session != NULL) {
		rc = trash_scan_session(rootfd, session, s, e);
		goto out;
	}
	if ((fd = dup(rootfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		rc = -errno;
		if (fd >= 0)
			close(fd);
		goto out;
	}
	rewinddir(d);
	while (rc == 0 && (de = readdir(d)) != NULL)
		if (trash_session_valid(de->d_name))
			rc = trash_scan_session(rootfd, de->d_name, s, e);
out:
	if (d != NULL)
		closedir(d);
	free(e);
	if (rc == 0 && s->n > 1)
		qsort(s->recs, s->n, sizeof(*s->recs), trash_rec_cmp);
	return rc;
}

/* Load the entry r describes into e. */
static int trash_rec_load(int rootfd, const struct trash_rec *r,
			  struct trash_entry *e)
{
	int sfd = trash_session_open(rootfd, r->session, false), rc;

	if (sfd < 0)
		return sfd;
	rc = trash_manifest_load(sfd, r->token, e);
	close(sfd);
	return rc;
}

int trash_list(const char *root, const char *session, trash_list_fn fn,
	       void *arg, size_t *bad)
{
	struct trash_scan s = { 0 };
	struct trash_entry *e = NULL;
	int rootfd, rc;
	size_t n = 0;

	if (session != NULL && !trash_session_valid(session))
		return -EINVAL;
	if ((rootfd = trash_root_open(root, false)) < 0)
		return rootfd;
	rc = trash_scan(rootfd, session, &s);
	if (rc == 0 && (e = calloc(1, sizeof(*e))) == NULL)
		rc = -ENOMEM;
	for (size_t i = 0; rc == 0 && i < s.n; i++) {
		/* Restored or purged since the scan: not an entry any more. */
		if (trash_rec_load(rootfd, &s.recs[i], e) < 0)
			continue;
		rc = fn(e, arg);
		trash_entry_release(e);
		n++;
	}
	if (bad != NULL)
		*bad = s.bad;
	free(e);
	free(s.recs);
	close(rootfd);
	return rc < 0 ? rc : (int)n;
}

/* Remove one entry: the manifest first, so it is gone at once. */
static int trash_rec_remove(int rootfd, const struct trash_rec *r)
{
	char data[TRASH_NAME_MAX], json[TRASH_NAME_MAX];
	int sfd, rc = 0;

	if ((rc = trash_entry_name(data, r->token, ".data")) < 0 ||
	    (rc = trash_entry_name(json, r->token, ".json")) < 0)
		return rc;
	if ((sfd = trash_session_open(rootfd, r->session, false)) < 0)
		return sfd;
	if (unlinkat(sfd, json, 0) < 0)
		rc = -errno;
	if (rc == 0 && (rc = trash_tree_remove(sfd, data)) == -ENOENT)
		rc = 0;
	close(sfd);
	return rc;
}

/* A leftover of an interrupted put: data without manifest, a temp file. */
static bool trash_orphan_name(int sfd, const char *name)
{
	char token[TRASH_TOKEN_SIZE], json[TRASH_NAME_MAX];
	size_t n = strlen(name);
	struct stat st;

	if (n < TRASH_TOKEN_HEX)
		return false;
	memcpy(token, name, TRASH_TOKEN_HEX);
	token[TRASH_TOKEN_HEX] = '\0';
	if (!trash_token_valid(token))
		return false;
	if (strcmp(name + TRASH_TOKEN_HEX, ".json.tmp") == 0)
		return true;
	return strcmp(name + TRASH_TOKEN_HEX, ".data") == 0 &&
	       trash_entry_name(json, token, ".json") == 0 &&
	       fstatat(sfd, json, &st, AT_SYMLINK_NOFOLLOW) < 0 &&
	       errno == ENOENT;
}

/* Remove the leftovers of one session directory last changed before cut. */
static int trash_orphans(int rootfd, const char *session, int64_t cut,
			 size_t *count)
{
	struct dirent *de;
	struct stat st;
	int sfd, fd;
	DIR *d;

	if ((sfd = trash_session_open(rootfd, session, false)) < 0)
		return sfd == -ENOENT ? 0 : sfd;
	if ((fd = dup(sfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		close(sfd);
		return -errno;
	}
	while ((de = readdir(d)) != NULL) {
		if (!trash_orphan_name(sfd, de->d_name) ||
		    fstatat(sfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    (int64_t)st.st_ctim.tv_sec * 1000000000LL +
		    st.st_ctim.tv_nsec >= cut)
			continue;
		if (trash_tree_remove(sfd, de->d_name) == 0)
			(*count)++;
	}
	closedir(d);
	close(sfd);
	return 0;
}

/* The orphans of every session in scope. */
static int trash_orphans_all(int rootfd, const char *session, int64_t cut,
			     size_t *count)
{
	struct dirent *de;
	int fd, rc = 0;
	DIR *d;

	if (session != NULL)
		return trash_orphans(rootfd, session, cut, count);
	if ((fd = dup(rootfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	rewinddir(d);
	while (rc == 0 && (de = readdir(d)) != NULL)
		if (trash_session_valid(de->d_name))
			rc = trash_orphans(rootfd, de->d_name, cut, count);
	closedir(d);
	return rc;
}

/* Apply the age limit, then the quota, to the sorted records. */
static int trash_purge_recs(int rootfd, const struct trash_scan *s,
			    int64_t cut, uint64_t quota,
			    struct trash_purge_stats *st)
{
	uint64_t total = 0;
	int rc = 0;

	for (size_t i = 0; i < s->n; i++)
		total += s->recs[i].size;
	for (size_t i = 0; rc == 0 && i < s->n; i++) {
		const struct trash_rec *r = &s->recs[i];

		if (r->time_ns >= cut && (quota == 0 || total <= quota)) {
			st->kept++;
			st->kept_bytes += r->size;
			continue;
		}
		rc = trash_rec_remove(rootfd, r);
		if (rc == -ENOENT)
			rc = 0; /* restored or purged meanwhile */
		st->removed++;
		st->removed_bytes += r->size;
		total -= r->size;
	}
	return rc;
}

int trash_purge(const char *root, const char *session, int64_t ttl_ms,
		uint64_t quota_bytes, int64_t now_ns,
		struct trash_purge_stats *st)
{
	struct trash_scan s = { 0 };
	int64_t cut = INT64_MIN;
	int rootfd, rc;

	memset(st, 0, sizeof(*st));
	if ((session != NULL && !trash_session_valid(session)) || ttl_ms < 0 ||
	    now_ns < 0)
		return -EINVAL;
	if (now_ns == 0)
		now_ns = trash_now_ns();
	/* Both are non-negative, so the difference cannot overflow. */
	if (ttl_ms > 0 && ttl_ms <= INT64_MAX / 1000000)
		cut = now_ns - ttl_ms * 1000000;
	if ((rootfd = trash_root_open(root, false)) < 0)
		return rootfd;
	rc = trash_scan(rootfd, session, &s);
	if (rc == 0)
		rc = trash_purge_recs(rootfd, &s, cut, quota_bytes, st);
	if (rc == 0)
		rc = trash_orphans_all(rootfd, session,
				       now_ns - TRASH_ORPHAN_AGE_NS,
				       &st->orphans);
	free(s.recs);
	close(rootfd);
	return rc;
}
