/* Shared helpers for the audit tests: temporary directories and counts. */
#ifndef AGENTSH_TEST_AUDIT_HELPERS_H
#define AGENTSH_TEST_AUDIT_HELPERS_H

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"

#define TA_PATH_MAX 4096

struct ta_dir {
	char root[TA_PATH_MAX];
	char db[TA_PATH_MAX];
	char jdir[TA_PATH_MAX];
};

static inline void ta_dir_make(struct ta_dir *t)
{
	snprintf(t->root, sizeof(t->root), "/tmp/agentsh-audit-XXXXXX");
	if (mkdtemp(t->root) == NULL)
		abort();
	snprintf(t->db, sizeof(t->db), "%s/data/events.db", t->root);
	snprintf(t->jdir, sizeof(t->jdir), "%s/journal", t->root);
}

static inline int ta_rm_one(const char *p, const struct stat *st, int flag,
			    struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static inline void ta_dir_remove(struct ta_dir *t)
{
	nftw(t->root, ta_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static inline struct audit_opts ta_opts(const struct ta_dir *t)
{
	struct audit_opts o = {0};

	o.sqlite_path = t->db;
	o.journal_dir = t->jdir;
	o.flush_ms = 5;
	return o;
}

/* Number of journal segment files in dir. */
static inline int ta_segments(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += strncmp(de->d_name, "seg-", 4) == 0;
	closedir(d);
	return n;
}

static inline int ta_count_cb(void *arg, const struct audit_row *r)
{
	(void)r;
	(*(int *)arg)++;
	return 0;
}

/* Rows matching q (all rows when q is NULL). */
static inline int ta_count(const char *db, const struct audit_query *q)
{
	struct audit_query all = {0};
	int n = 0, r;

	r = audit_query_run(db, q ? q : &all, ta_count_cb, &n);
	return r < 0 ? r : n;
}

#endif
