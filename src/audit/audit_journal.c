/*
 * Journal segments: "<dir>/seg-<16 hex digits>.jsonl", numbered upwards,
 * one event per line. The process that writes them holds an exclusive
 * flock on "<dir>/lock" so that two daemons never share a journal.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit_int.h"
#include "common/str.h"

#define AUDIT_SEG_FMT "seg-%016" PRIx64 ".jsonl"
#define AUDIT_SEG_NAME_LEN 26 /* "seg-" + 16 + ".jsonl" */
#define AUDIT_DIR_MODE 0700
#define AUDIT_FILE_MODE 0600

static int audit_mkdir1(const char *p)
{
	struct stat st;

	if (mkdir(p, AUDIT_DIR_MODE) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	if (stat(p, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int audit_jnl_mkdirs(const char *path, bool with_last)
{
	char p[AUDIT_PATH_MAX];
	size_t n = str_lcpy(p, path, sizeof(p));
	int r = 0;

	if (n >= sizeof(p))
		return -ENAMETOOLONG;
	for (size_t i = 1; i < n && r == 0; i++) {
		if (p[i] != '/')
			continue;
		p[i] = '\0';
		r = audit_mkdir1(p);
		p[i] = '/';
	}
	if (r == 0 && with_last)
		r = audit_mkdir1(p);
	return r;
}

int audit_jnl_lock(const char *dir, int *fd)
{
	char p[AUDIT_PATH_MAX];
	int r = 0;

	*fd = -1;
	if ((size_t)snprintf(p, sizeof(p), "%s/lock", dir) >= sizeof(p))
		return -ENAMETOOLONG;
	*fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		   AUDIT_FILE_MODE);
	if (*fd < 0)
		return -errno;
	if (flock(*fd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? -EBUSY : -errno;
		close(*fd);
		*fd = -1;
	}
	return r;
}

int audit_jnl_path(const char *dir, uint64_t seq, char out[AUDIT_PATH_MAX])
{
	int n = snprintf(out, AUDIT_PATH_MAX, "%s/" AUDIT_SEG_FMT, dir, seq);

	return n < 0 || n >= AUDIT_PATH_MAX ? -ENAMETOOLONG : 0;
}

/* The number of a segment file name, or 0 when name is not one. */
static uint64_t audit_jnl_seq(const char *name)
{
	uint64_t v = 0;

	if (strlen(name) != AUDIT_SEG_NAME_LEN ||
	    strncmp(name, "seg-", 4) != 0 ||
	    strcmp(name + 20, ".jsonl") != 0)
		return 0;
	for (int i = 4; i < 20; i++) {
		char ch = name[i];

		if (ch >= '0' && ch <= '9')
			v = v << 4 | (uint64_t)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			v = v << 4 | (uint64_t)(ch - 'a' + 10);
		else
			return 0;
	}
	return v;
}

static int audit_u64_cmp(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

int audit_jnl_list(const char *dir, uint64_t **seqs, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	uint64_t *v = NULL, *nv, seq;
	size_t cap = 0, cnt = 0;
	int r = 0;

	*seqs = NULL;
	*n = 0;
	if (d == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		if ((seq = audit_jnl_seq(de->d_name)) == 0)
			continue;
		if (cnt == AUDIT_REPLAY_MAX) {
			r = -E2BIG;
			goto out;
		}
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (nv == NULL) {
				r = -ENOMEM;
				goto out;
			}
			v = nv;
		}
		v[cnt++] = seq;
	}
	if (cnt > 1)
		qsort(v, cnt, sizeof(*v), audit_u64_cmp);
	*seqs = v;
	*n = cnt;
	v = NULL;
out:
	free(v);
	closedir(d);
	return r;
}

int audit_jnl_create(const char *dir, uint64_t seq, int *fd)
{
	char p[AUDIT_PATH_MAX];
	int r = audit_jnl_path(dir, seq, p);

	*fd = -1;
	if (r < 0)
		return r;
	*fd = open(p, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC,
		   AUDIT_FILE_MODE);
	return *fd < 0 ? -errno : 0;
}

/* Cursor rows read from SQLite at open. */
struct audit_jcursors {
	struct audit_seg *v;
	bool *done;
	size_t n, cap;
};

static int audit_jnl_cursor_cb(void *arg, uint64_t seq, uint64_t off,
			       bool done)
{
	struct audit_jcursors *c = arg;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct audit_seg *nv;
		bool *nd;

		if (cap > AUDIT_REPLAY_MAX)
			return -E2BIG;
		nv = realloc(c->v, cap * sizeof(*nv));
		if (nv != NULL)
			c->v = nv;
		nd = realloc(c->done, cap * sizeof(*nd));
		if (nd != NULL)
			c->done = nd;
		if (nv == NULL || nd == NULL)
			return -ENOMEM;
		c->cap = cap;
	}
	c->v[c->n].seq = seq;
	c->v[c->n].off = off;
	c->done[c->n++] = done;
	return 0;
}

/* The cursor row of seq (rows are sorted by seq), or -1. */
static long audit_jnl_find(const struct audit_jcursors *c, uint64_t seq)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->v[mid].seq == seq)
			return (long)mid;
		if (c->v[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/*
 * Decide what each segment file on disk needs: a file whose cursor says
 * "done" was loaded but not yet removed (remove it now); any other is
 * replayed from its cursor (or from 0). Rows without a file are dropped.
 */
static int audit_jnl_plan(struct audit *a, const uint64_t *files, size_t nf,
			  const struct audit_jcursors *c)
{
	char p[AUDIT_PATH_MAX];
	long k;
	int r = 0;

	a->replay = calloc(nf ? nf : 1, sizeof(*a->replay));
	if (a->replay == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < nf && r == 0; i++) {
		k = audit_jnl_find(c, files[i]);
		if (k >= 0 && c->done[k]) {
			r = audit_jnl_path(a->dir, files[i], p);
			if (r == 0 && unlink(p) < 0 && errno != ENOENT)
				r = -errno;
			continue;
		}
		a->replay[a->nreplay].seq = files[i];
		a->replay[a->nreplay++].off = k >= 0 ? c->v[k].off : 0;
	}
	for (size_t i = 0; i < c->n && r == 0; i++) {
		if (!bsearch(&c->v[i].seq, files, nf, sizeof(*files),
			     audit_u64_cmp) || c->done[i])
			r = audit_db_cursor_delete(a->db, c->v[i].seq);
	}
	return r;
}

int audit_jnl_prepare(struct audit *a)
{
	struct audit_jcursors c = {NULL, NULL, 0, 0};
	uint64_t *files = NULL, max = 0;
	size_t nf = 0;
	int r;

	r = audit_jnl_list(a->dir, &files, &nf);
	if (r == 0)
		r = audit_db_cursors(a->db, audit_jnl_cursor_cb, &c);
	if (r == 0)
		r = audit_jnl_plan(a, files, nf, &c);
	if (r < 0)
		goto out;
	if (nf > 0)
		max = files[nf - 1];
	if (c.n > 0 && c.v[c.n - 1].seq > max)
		max = c.v[c.n - 1].seq;
	a->first_wr_seq = max + 1;
out:
	free(files);
	free(c.v);
	free(c.done);
	return r;
}
