/*
 * The manifest <token>.json: one JSON object written by trash_put through
 * the common JSON writer, read back by trash_parse.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/io.h"
#include "common/json.h"
#include "common/utf8.h"
#include "trash/trash_int.h"

void trash_time_format(int64_t ns, char out[TRASH_TIME_MAX])
{
	time_t s = (time_t)(ns / 1000000000LL);
	struct tm tm;
	char day[TRASH_TIME_MAX];

	if (gmtime_r(&s, &tm) == NULL ||
	    strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		snprintf(day, sizeof(day), "1970-01-01T00:00:00");
	snprintf(out, TRASH_TIME_MAX, "%s.%03dZ", day,
		 (int)((ns % 1000000000LL) / 1000000));
}

static bool trash_manifest_utf8(const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0, cl; i < n; i += cl)
		if ((cl = utf8_seq_len(s + i, n - i)) == 0)
			return false;
	return true;
}

/* "key":"string", s made valid UTF-8 first (it is read back exactly). */
static int trash_manifest_str(struct buf *b, const char *key, const char *v)
{
	char clean[TRASH_PATH_MAX];
	int rc = json_key(b, key, 0);

	trash_text_clean(v, clean, sizeof(clean));
	return rc ? rc : json_str(b, clean);
}

/* "key":"base64" */
static int trash_manifest_b64(struct buf *b, const char *key,
			      const unsigned char *p, size_t n)
{
	int rc = json_key(b, key, 0);

	if (rc == 0)
		rc = buf_putc(b, '"');
	if (rc == 0)
		rc = trash_b64_encode(b, p, n);
	return rc ? rc : buf_putc(b, '"');
}

/* [{"name","value"}...] or, without values, ["name"...]. */
static int trash_manifest_xattrs(struct buf *b, const struct trash_entry *e,
				 bool values)
{
	int rc = buf_puts(b, ",\"xattrs\":[");

	for (size_t i = 0; rc == 0 && i < e->n_xattrs; i++) {
		if (i)
			rc = buf_putc(b, ',');
		if (rc == 0 && !values) {
			rc = json_str(b, e->xattrs[i].name);
			continue;
		}
		if (rc == 0)
			rc = buf_putc(b, '{');
		if (rc == 0)
			rc = json_key(b, "name", 1);
		if (rc == 0)
			rc = json_str(b, e->xattrs[i].name);
		if (rc == 0)
			rc = trash_manifest_b64(b, "value", e->xattrs[i].value,
						e->xattrs[i].len);
		if (rc == 0)
			rc = buf_putc(b, '}');
	}
	return rc ? rc : buf_puts(b, "]}");
}

int trash_entry_json(struct buf *b, const struct trash_entry *e,
		     bool xattr_values)
{
	char when[TRASH_TIME_MAX];
	int rc;

	trash_time_format(e->time_ns, when);
	rc = buf_puts(b, "{\"version\":1");
	if (rc == 0)
		rc = trash_manifest_str(b, "token", e->token);
	if (rc == 0)
		rc = trash_manifest_str(b, "session", e->session);
	if (rc == 0)
		rc = trash_manifest_str(b, "path", e->path);
	if (rc == 0 && !trash_manifest_utf8(e->path))
		rc = trash_manifest_b64(b, "path_b64",
					(const unsigned char *)e->path,
					strlen(e->path));
	if (rc == 0)
		rc = trash_manifest_str(b, "type", trash_type_name(e->type));
	if (rc == 0)
		rc = buf_printf(b, ",\"size\":%llu", (unsigned long long)e->size);
	if (rc == 0 && e->type == TRASH_FILE)
		rc = trash_manifest_str(b, "sha256", e->sha256);
	if (rc == 0)
		rc = buf_printf(b, ",\"mode\":\"%04o\",\"uid\":%u,\"gid\":%u,"
				"\"mtime_ns\":%lld", (unsigned)e->mode,
				(unsigned)e->uid, (unsigned)e->gid,
				(long long)e->mtime_ns);
	if (rc == 0)
		rc = trash_manifest_str(b, "time", when);
	if (rc == 0)
		rc = buf_printf(b, ",\"time_ns\":%lld", (long long)e->time_ns);
	if (rc == 0)
		rc = trash_manifest_str(b, "command", e->command);
	if (rc == 0)
		rc = buf_printf(b, ",\"pid\":%lld", (long long)e->pid);
	return rc ? rc : trash_manifest_xattrs(b, e, xattr_values);
}

int trash_manifest_write(int sessfd, const struct trash_entry *e)
{
	char tmp[TRASH_NAME_MAX], name[TRASH_NAME_MAX];
	struct buf b;
	int fd = -1, rc;

	buf_init(&b, TRASH_MANIFEST_MAX);
	if ((rc = trash_entry_name(tmp, e->token, ".json.tmp")) < 0 ||
	    (rc = trash_entry_name(name, e->token, ".json")) < 0 ||
	    (rc = trash_entry_json(&b, e, true)) < 0 ||
	    (rc = buf_putc(&b, '\n')) < 0)
		goto out;
	fd = openat(sessfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	rc = io_write_all(fd, b.data, b.len);
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && renameat2(sessfd, tmp, sessfd, name,
				 RENAME_NOREPLACE) < 0)
		rc = -errno;
	if (rc < 0)
		unlinkat(sessfd, tmp, 0);
out:
	buf_release(&b);
	return rc;
}

int trash_manifest_load(int sessfd, const char *token, struct trash_entry *e)
{
	char name[TRASH_NAME_MAX];
	struct stat st;
	char *text = NULL;
	ssize_t n;
	int fd, rc;

	if ((rc = trash_entry_name(name, token, ".json")) < 0)
		return rc;
	fd = openat(sessfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		    O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > (off_t)TRASH_MANIFEST_MAX) {
		rc = -EINVAL;
		goto out;
	}
	text = malloc((size_t)st.st_size + 1);
	if (text == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	n = pread(fd, text, (size_t)st.st_size, 0);
	if (n != st.st_size) {
		rc = n < 0 ? -errno : -EIO;
		goto out;
	}
	rc = trash_manifest_parse(text, (size_t)n, e);
	if (rc == 0 && strcmp(e->token, token) != 0) {
		trash_entry_release(e);
		rc = -EINVAL;
	}
out:
	free(text);
	close(fd);
	return rc;
}
