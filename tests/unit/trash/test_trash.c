/* The soft-delete trash against real files, in a fresh temporary tree. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "trash/trash.h"

#define T_PATH_MAX 512
#define T_TEXT "hello, trash\n"
/* SHA-256 of T_TEXT. */
#define T_TEXT_SHA \
	"16f2dee2a5fa0724cb329e663cb6ee066a7a89040012cd4720749c2f35dab85a"
#define T_MTIME_NS 1700000000123456789LL
#define T_UID 1234
#define T_GID 5678
#define T_DAY_NS (86400LL * 1000000000LL)

struct t_env {
	char top[T_PATH_MAX];   /* mkdtemp */
	char root[T_PATH_MAX];  /* top/trash */
	char work[T_PATH_MAX];  /* top/w: the "agent's" directory */
	int wfd;                /* O_PATH of work */
};

static struct t_env T;

static void t_path(char out[T_PATH_MAX], const char *name)
{
	snprintf(out, T_PATH_MAX, "%s/%s", T.work, name);
}

static int t_rm(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	return remove(p);
}

static int t_setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(T.top, sizeof(T.top), "%s/trash-test-XXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(T.top) == NULL)
		return -1;
	snprintf(T.root, sizeof(T.root), "%s/trash", T.top);
	snprintf(T.work, sizeof(T.work), "%s/w", T.top);
	if (mkdir(T.work, 0755) < 0)
		return -1;
	T.wfd = open(T.work, O_PATH | O_DIRECTORY);
	return T.wfd < 0 ? -1 : 0;
}

static int t_teardown(void **state)
{
	close(T.wfd);
	umount2(T.root, MNT_DETACH); /* the EXDEV test's tmpfs, if any */
	return nftw(T.top, t_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* A file in work with known content, mode, owner, mtime and xattr. */
static void t_make_file(const char *name, const char *text)
{
	struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT },
				  { T_MTIME_NS / 1000000000LL,
				    T_MTIME_NS % 1000000000LL } };
	char p[T_PATH_MAX];
	int fd;

	t_path(p, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchown(fd, T_UID, T_GID), 0);
	assert_int_equal(fchmod(fd, 04751), 0);
	assert_int_equal(fsetxattr(fd, "user.tag", "v\0x", 3, 0), 0);
	assert_int_equal(futimens(fd, ts), 0);
	close(fd);
}

/* The file at p is exactly what t_make_file made. */
static void t_check_file(const char *p, const char *text)
{
	char buf[256], x[8];
	struct stat st;
	ssize_t n;
	int fd = open(p, O_RDONLY);

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf));
	assert_int_equal(n, (ssize_t)strlen(text));
	assert_memory_equal(buf, text, (size_t)n);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 04751);
	assert_int_equal(st.st_uid, T_UID);
	assert_int_equal(st.st_gid, T_GID);
	assert_int_equal(st.st_mtim.tv_sec, T_MTIME_NS / 1000000000LL);
	assert_int_equal(st.st_mtim.tv_nsec, T_MTIME_NS % 1000000000LL);
	assert_int_equal(fgetxattr(fd, "user.tag", x, sizeof(x)), 3);
	assert_memory_equal(x, "v\0x", 3);
	close(fd);
}

static int64_t t_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int t_put(const char *session, const char *name, int64_t time_ns,
		 char token[TRASH_TOKEN_SIZE])
{
	struct trash_info info = { "rm -f x", 4242, time_ns };
	char p[T_PATH_MAX];

	t_path(p, name);
	return trash_put(T.root, session, T.wfd, name, p, &info, token,
			 TRASH_TOKEN_SIZE);
}

static bool t_exists(const char *name)
{
	struct stat st;

	return fstatat(T.wfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void test_put_restore_file(void **state)
{
	char tok[TRASH_TOKEN_SIZE], p[T_PATH_MAX], data[T_PATH_MAX + 64];
	struct trash_entry e;
	struct stat st;

	t_make_file("a.txt", T_TEXT);
	assert_int_equal(t_put("s1", "a.txt", 0, tok), 0);
	assert_true(trash_token_valid(tok));
	assert_false(t_exists("a.txt"));
	snprintf(data, sizeof(data), "%s/s1/%s.data", T.root, tok);
	assert_int_equal(lstat(data, &st), 0);
	snprintf(data, sizeof(data), "%s/s1", T.root);
	assert_int_equal(lstat(data, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	snprintf(data, sizeof(data), "%s/s1/%s.json", T.root, tok);
	assert_int_equal(lstat(data, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	assert_int_equal(trash_get(T.root, tok, &e), 0);
	t_path(p, "a.txt");
	assert_string_equal(e.path, p);
	assert_string_equal(e.session, "s1");
	assert_int_equal(e.type, TRASH_FILE);
	assert_int_equal(e.size, strlen(T_TEXT));
	assert_string_equal(e.sha256, T_TEXT_SHA);
	assert_int_equal(e.mode, 04751);
	assert_int_equal(e.uid, T_UID);
	assert_int_equal(e.gid, T_GID);
	assert_int_equal(e.mtime_ns, T_MTIME_NS);
	assert_string_equal(e.command, "rm -f x");
	assert_int_equal(e.pid, 4242);
	assert_int_equal(e.n_xattrs, 1);
	assert_string_equal(e.xattrs[0].name, "user.tag");
	assert_int_equal(e.xattrs[0].len, 3);
	trash_entry_release(&e);

	assert_int_equal(trash_restore(T.root, tok, NULL, false), 0);
	t_check_file(p, T_TEXT);
	assert_int_equal(trash_get(T.root, tok, &e), -ENOENT);
	assert_int_equal(trash_restore(T.root, tok, NULL, false), -ENOENT);
	unlink(p);
}

static void test_refuse_overwrite_and_force(void **state)
{
	char tok[TRASH_TOKEN_SIZE], p[T_PATH_MAX], other[T_PATH_MAX];
	struct trash_entry e;

	t_make_file("b.txt", T_TEXT);
	assert_int_equal(t_put("s1", "b.txt", 0, tok), 0);
	t_path(p, "b.txt");
	close(open(p, O_WRONLY | O_CREAT, 0644));
	assert_int_equal(trash_restore(T.root, tok, NULL, false), -EEXIST);
	assert_int_equal(trash_get(T.root, tok, &e), 0); /* still there */
	trash_entry_release(&e);
	/* Elsewhere, then back over the newcomer with force. */
	t_path(other, "b-copy.txt");
	assert_int_equal(trash_restore(T.root, tok, other, false), 0);
	t_check_file(other, T_TEXT);
	assert_int_equal(t_put("s1", "b-copy.txt", 0, tok), 0);
	assert_int_equal(trash_restore(T.root, tok, p, true), 0);
	t_check_file(p, T_TEXT);
	assert_false(t_exists("b-copy.txt"));
	unlink(p);
}

static void test_tampered_refused(void **state)
{
	char tok[TRASH_TOKEN_SIZE], data[T_PATH_MAX + 64];
	struct trash_entry e;
	int fd;

	t_make_file("c.txt", T_TEXT);
	assert_int_equal(t_put("s2", "c.txt", 0, tok), 0);
	snprintf(data, sizeof(data), "%s/s2/%s.data", T.root, tok);
	fd = open(data, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "H", 1, 0), 1); /* same size */
	close(fd);
	assert_int_equal(trash_restore(T.root, tok, NULL, true), -EBADMSG);
	assert_false(t_exists("c.txt"));
	assert_int_equal(trash_get(T.root, tok, &e), 0);
	trash_entry_release(&e);
	/* A file replaced by a directory: the type is checked too. */
	assert_int_equal(unlink(data), 0);
	assert_int_equal(mkdir(data, 0700), 0);
	assert_int_equal(trash_restore(T.root, tok, NULL, false), -EBADMSG);
	assert_false(t_exists("c.txt"));
}

static void test_symlink_and_dir(void **state)
{
	char tok[TRASH_TOKEN_SIZE], tok2[TRASH_TOKEN_SIZE], buf[64];
	struct trash_entry e;
	struct stat st;
	ssize_t n;

	assert_int_equal(symlinkat("../target/x", T.wfd, "ln"), 0);
	assert_int_equal(t_put("s3", "ln", 0, tok), 0);
	assert_false(t_exists("ln"));
	assert_int_equal(trash_get(T.root, tok, &e), 0);
	assert_int_equal(e.type, TRASH_SYMLINK);
	assert_int_equal(e.size, strlen("../target/x"));
	assert_string_equal(e.sha256, "");
	trash_entry_release(&e);
	assert_int_equal(trash_restore(T.root, tok, NULL, false), 0);
	n = readlinkat(T.wfd, "ln", buf, sizeof(buf));
	assert_int_equal(n, strlen("../target/x"));
	assert_memory_equal(buf, "../target/x", (size_t)n);

	/* A non-empty directory moves whole on one filesystem. */
	assert_int_equal(mkdirat(T.wfd, "d", 0750), 0);
	assert_int_equal(mkdirat(T.wfd, "d/e", 0700), 0);
	t_make_file("d/e/f", T_TEXT);
	assert_int_equal(t_put("s3", "d", 0, tok2), 0);
	assert_false(t_exists("d"));
	assert_int_equal(trash_get(T.root, tok2, &e), 0);
	assert_int_equal(e.type, TRASH_DIR);
	assert_int_equal(e.size, strlen(T_TEXT));
	trash_entry_release(&e);
	assert_int_equal(trash_restore(T.root, tok2, NULL, false), 0);
	assert_int_equal(fstatat(T.wfd, "d", &st, 0), 0);
	assert_int_equal(st.st_mode & 0777, 0750);
	{
		char p[T_PATH_MAX];

		t_path(p, "d/e/f");
		t_check_file(p, T_TEXT);
	}
	/* Other types are not the trash's. */
	assert_int_equal(mkfifoat(T.wfd, "fifo", 0600), 0);
	assert_int_equal(t_put("s3", "fifo", 0, tok), -EOPNOTSUPP);
	assert_true(t_exists("fifo"));
}

static void test_bad_names(void **state)
{
	static const char *const bad[] = {
		"", ".", "..", "a/b", "a b", "s\n", "../s1", "é",
	};
	char tok[TRASH_TOKEN_SIZE], longs[TRASH_SESSION_MAX + 2], p[T_PATH_MAX];
	struct trash_info info = { 0 };
	size_t bad_n = 0;

	t_make_file("keep.txt", T_TEXT);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(t_put(bad[i], "keep.txt", 0, tok), -EINVAL);
	memset(longs, 'a', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	assert_int_equal(t_put(longs, "keep.txt", 0, tok), -EINVAL);
	longs[TRASH_SESSION_MAX] = '\0';
	assert_true(trash_session_valid(longs));
	assert_true(trash_session_valid("sess-1.a_B"));
	/* The object's name is one component; the original path absolute. */
	t_path(p, "keep.txt");
	assert_int_equal(trash_put(T.root, "s1", T.wfd, "..", p, &info, tok,
				   sizeof(tok)), -EINVAL);
	assert_int_equal(trash_put(T.root, "s1", T.wfd, "keep.txt", "rel",
				   &info, tok, sizeof(tok)), -EINVAL);
	assert_int_equal(trash_put(T.root, "s1", T.wfd, "keep.txt", p, &info,
				   tok, TRASH_TOKEN_HEX), -EINVAL);
	assert_true(t_exists("keep.txt"));
	assert_int_equal(trash_list(T.root, "..", NULL, NULL, &bad_n), -EINVAL);
	assert_int_equal(trash_restore(T.root, "../../etc/passwd", NULL,
				       false), -EINVAL);
	assert_false(trash_token_valid("0123456789ABCDEF0123456789abcdef"));
	unlink(p);
}

struct t_list {
	char tokens[8][TRASH_TOKEN_SIZE];
	size_t n;
};

static int t_list_one(const struct trash_entry *e, void *arg)
{
	struct t_list *l = arg;

	if (l->n < 8)
		memcpy(l->tokens[l->n], e->token, TRASH_TOKEN_SIZE);
	l->n++;
	return 0;
}

/* A fresh trash root, so list and purge see only this test's entries. */
static void t_fresh_root(void)
{
	char old[T_PATH_MAX + 8];

	snprintf(old, sizeof(old), "%s.%d", T.root, rand());
	rename(T.root, old);
}

static void test_list(void **state)
{
	char t[3][TRASH_TOKEN_SIZE], junk[T_PATH_MAX + 64];
	struct t_list l = { 0 };
	size_t bad = 0;
	int fd;

	t_fresh_root();
	t_make_file("l1", "1");
	t_make_file("l2", "22");
	t_make_file("l3", "333");
	assert_int_equal(t_put("s1", "l1", 3 * T_DAY_NS, t[0]), 0);
	assert_int_equal(t_put("s2", "l2", 1 * T_DAY_NS, t[1]), 0);
	assert_int_equal(t_put("s1", "l3", 2 * T_DAY_NS, t[2]), 0);
	/* An unreadable manifest is counted, not listed. */
	snprintf(junk, sizeof(junk), "%s/s1/%032d.json", T.root, 7);
	fd = open(junk, O_WRONLY | O_CREAT, 0600);
	assert_int_equal(write(fd, "{\"version\":1", 12), 12);
	close(fd);
	assert_int_equal(trash_list(T.root, NULL, t_list_one, &l, &bad), 3);
	assert_int_equal(bad, 1);
	assert_string_equal(l.tokens[0], t[1]); /* oldest first */
	assert_string_equal(l.tokens[1], t[2]);
	assert_string_equal(l.tokens[2], t[0]);
	memset(&l, 0, sizeof(l));
	assert_int_equal(trash_list(T.root, "s1", t_list_one, &l, NULL), 2);
	assert_string_equal(l.tokens[0], t[2]);
	assert_int_equal(trash_list(T.root, "nosuch", t_list_one, &l, NULL), 0);
	unlink(junk);
}

static void test_purge(void **state)
{
	char t[4][TRASH_TOKEN_SIZE], orphan[T_PATH_MAX + 64];
	struct trash_purge_stats st;
	struct trash_entry e;
	int64_t now = 100 * T_DAY_NS;
	char big[301];

	t_fresh_root();
	memset(big, 'x', sizeof(big) - 1);
	big[300] = '\0';
	t_make_file("p0", big + 200);  /* 100 bytes, 10 days old */
	t_make_file("p1", big + 100);  /* 200 bytes, 3 days */
	t_make_file("p2", big);        /* 300 bytes, 2 days */
	t_make_file("p3", big + 250);  /* 50 bytes, 1 day, other session */
	assert_int_equal(t_put("s1", "p0", now - 10 * T_DAY_NS, t[0]), 0);
	assert_int_equal(t_put("s1", "p1", now - 3 * T_DAY_NS, t[1]), 0);
	assert_int_equal(t_put("s1", "p2", now - 2 * T_DAY_NS, t[2]), 0);
	assert_int_equal(t_put("s2", "p3", now - 1 * T_DAY_NS, t[3]), 0);

	assert_int_equal(trash_purge(T.root, NULL, 7 * 86400000LL, 0, now,
				     &st), 0);
	assert_int_equal(st.removed, 1);
	assert_int_equal(st.removed_bytes, 100);
	assert_int_equal(st.kept, 3);
	assert_int_equal(trash_get(T.root, t[0], &e), -ENOENT);
	snprintf(orphan, sizeof(orphan), "%s/s1/%s.data", T.root, t[0]);
	assert_int_equal(access(orphan, F_OK), -1);

	/* Quota per scope: s1 holds 500 bytes; 350 allowed: p1 goes. */
	assert_int_equal(trash_purge(T.root, "s1", 0, 350, now, &st), 0);
	assert_int_equal(st.removed, 1);
	assert_int_equal(st.removed_bytes, 200);
	assert_int_equal(st.kept_bytes, 300);
	assert_int_equal(trash_get(T.root, t[1], &e), -ENOENT);
	assert_int_equal(trash_get(T.root, t[2], &e), 0);
	trash_entry_release(&e);
	assert_int_equal(trash_get(T.root, t[3], &e), 0); /* other session */
	trash_entry_release(&e);

	/* Leftovers of an interrupted put go once they are an hour old. */
	snprintf(orphan, sizeof(orphan), "%s/s2/%032d.data", T.root, 5);
	close(open(orphan, O_WRONLY | O_CREAT, 0600));
	assert_int_equal(trash_purge(T.root, NULL, 0, 1000, 0, &st), 0);
	assert_int_equal(st.orphans, 0);
	assert_int_equal(st.removed, 0);
	assert_int_equal(trash_purge(T.root, NULL, 0, 1000,
				     t_now_ns() + 2 * 3600 * 1000000000LL,
				     &st), 0);
	assert_int_equal(st.orphans, 1);
	assert_int_equal(access(orphan, F_OK), -1);
	assert_int_equal(st.kept, 2);
}

/*
 * Across filesystems: the trash root on a tmpfs of a private mount
 * namespace, so put and restore copy instead of renaming.
 */
static void test_exdev_copy(void **state)
{
	char tok[TRASH_TOKEN_SIZE], p[T_PATH_MAX], buf[64];
	struct trash_entry e;
	struct stat sr, sw;
	ssize_t n;

	t_fresh_root();
	if (unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		skip();
	assert_int_equal(mkdir(T.root, 0700), 0);
	assert_int_equal(mount("tmpfs", T.root, "tmpfs", 0, "mode=0700"), 0);
	assert_int_equal(stat(T.root, &sr), 0);
	assert_int_equal(stat(T.work, &sw), 0);
	assert_true(sr.st_dev != sw.st_dev);

	t_make_file("x.txt", T_TEXT);
	assert_int_equal(t_put("s1", "x.txt", 0, tok), 0);
	assert_false(t_exists("x.txt"));
	assert_int_equal(trash_get(T.root, tok, &e), 0);
	assert_string_equal(e.sha256, T_TEXT_SHA);
	assert_int_equal(e.mode, 04751);
	assert_int_equal(e.uid, T_UID);
	assert_int_equal(e.mtime_ns, T_MTIME_NS);
	assert_int_equal(e.n_xattrs, 1);
	trash_entry_release(&e);
	snprintf(p, sizeof(p), "%s/s1/%s.data", T.root, tok);
	t_check_file(p, T_TEXT); /* the copy carries the metadata */
	assert_int_equal(trash_restore(T.root, tok, NULL, false), 0);
	t_path(p, "x.txt");
	t_check_file(p, T_TEXT);
	unlink(p);

	assert_int_equal(symlinkat("/nowhere", T.wfd, "xl"), 0);
	assert_int_equal(t_put("s1", "xl", 0, tok), 0);
	assert_false(t_exists("xl"));
	assert_int_equal(trash_restore(T.root, tok, NULL, false), 0);
	n = readlinkat(T.wfd, "xl", buf, sizeof(buf));
	assert_int_equal(n, 8);
	assert_memory_equal(buf, "/nowhere", 8);

	assert_int_equal(mkdirat(T.wfd, "xd", 0710), 0);
	assert_int_equal(t_put("s1", "xd", 0, tok), 0);
	assert_false(t_exists("xd"));
	assert_int_equal(trash_restore(T.root, tok, NULL, false), 0);
	assert_true(t_exists("xd"));
	/* A non-empty directory is not copied; it stays. */
	t_make_file("xd/inner", T_TEXT);
	assert_int_equal(t_put("s1", "xd", 0, tok), -EXDEV);
	assert_true(t_exists("xd/inner"));
}

static void test_root_checked(void **state)
{
	char tok[TRASH_TOKEN_SIZE];

	t_fresh_root();
	assert_int_equal(mkdir(T.root, 0777), 0);
	assert_int_equal(chmod(T.root, 0777), 0);
	t_make_file("r.txt", T_TEXT);
	assert_int_equal(t_put("s1", "r.txt", 0, tok), -EPERM);
	assert_true(t_exists("r.txt"));
	assert_int_equal(trash_list(T.root, NULL, t_list_one, NULL, NULL),
			 -EPERM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_restore_file),
		cmocka_unit_test(test_refuse_overwrite_and_force),
		cmocka_unit_test(test_tampered_refused),
		cmocka_unit_test(test_symlink_and_dir),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_purge),
		cmocka_unit_test(test_root_checked),
		/* Last: it moves this process into its own mount namespace. */
		cmocka_unit_test(test_exdev_copy),
	};

	return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
