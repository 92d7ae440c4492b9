/* agentsh shim install-shell | uninstall-shell | status. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cli/cli.h"

#define SHIM_MAX_BYTES (64u << 20) /* the shim binary we copy */

int cmd_shim(int argc, char **argv, char **envp);

static const char shim_help[] =
"NAME\n"
"    agentsh shim - put agentsh in front of /bin/sh and /bin/bash\n"
"\n"
"SYNOPSIS\n"
"    agentsh shim install-shell --root DIR --shim PATH [--bash]\n"
"                               --i-understand-this-modifies-the-host\n"
"    agentsh shim uninstall-shell --root DIR [--bash]\n"
"                               --i-understand-this-modifies-the-host\n"
"    agentsh shim status --root DIR [--shim PATH] [--json]\n"
"\n"
"DESCRIPTION\n"
"    install-shell renames DIR/bin/sh (and with --bash DIR/bin/bash) to\n"
"    sh.real (bash.real) and puts a copy of the shim PATH in its place,\n"
"    written to a temporary file, synced and renamed, so the shell is never\n"
"    missing. It is idempotent: an existing .real is kept, and a shell that\n"
"    already is the shim is left alone. Paths are resolved inside DIR (a\n"
"    symlink in DIR cannot point the change outside it).\n"
"\n"
"    uninstall-shell moves the .real files back. status says, for sh and\n"
"    bash, whether the shim is installed and whether the real shell exists.\n"
"\n"
"    Install the shim as the last step of an image build: every later shell\n"
"    goes through agentsh.\n"
"\n"
"EXIT STATUS\n"
"    0 success, 1 failure, 2 usage error.\n";

struct shim_opts {
	const char *root, *shim;
	bool bash, json, confirmed;
};

/* A directory fd for DIR/bin, resolved as if DIR were "/". */
static int shim_bindir(const char *root)
{
	struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
			       .resolve = RESOLVE_IN_ROOT};
	int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC), fd;

	if (rootfd < 0)
		return -errno;
	fd = (int)syscall(SYS_openat2, rootfd, "bin", &how, sizeof(how));
	if (fd < 0)
		fd = -errno;
	close(rootfd);
	return fd;
}

static int shim_read(const char *path, char **data, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	ssize_t n;
	int r = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size > SHIM_MAX_BYTES) {
		close(fd);
		return -EINVAL;
	}
	*data = malloc((size_t)st.st_size + 1);
	*len = 0;
	while (*data && *len < (size_t)st.st_size &&
	       (n = read(fd, *data + *len, (size_t)st.st_size - *len)) > 0)
		*len += (size_t)n;
	if (*data == NULL || *len != (size_t)st.st_size)
		r = -EIO;
	close(fd);
	return r;
}

/* Does dirfd/name hold exactly these bytes? */
static bool shim_same(int dirfd, const char *name, const char *data, size_t len)
{
	char buf[65536];
	size_t off = 0;
	ssize_t n;
	bool same = true;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0 || (size_t)st.st_size != len) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	while (same && (n = read(fd, buf, sizeof(buf))) > 0) {
		same = off + (size_t)n <= len && memcmp(buf, data + off, (size_t)n) == 0;
		off += (size_t)n;
	}
	close(fd);
	return same && off == len;
}

static int shim_write_atomic(int dirfd, const char *name, const char *data,
			     size_t len)
{
	const char *tmp = ".agentsh-shim.tmp";
	size_t off = 0;
	ssize_t n;
	int fd;

	unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	if (fd < 0)
		return -errno;
	while (off < len && (n = write(fd, data + off, len - off)) > 0)
		off += (size_t)n;
	if (off != len || fchmod(fd, 0755) < 0 || fsync(fd) < 0) {
		close(fd);
		unlinkat(dirfd, tmp, 0);
		return -EIO;
	}
	close(fd);
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		unlinkat(dirfd, tmp, 0);
		return -errno;
	}
	return 0;
}

static bool shim_exists(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static int shim_install_one(int dirfd, const char *name, const char *data,
			    size_t len)
{
	char real[64];
	int r;

	snprintf(real, sizeof(real), "%s.real", name);
	if (shim_same(dirfd, name, data, len)) {
		printf("%s: already the shim\n", name);
		return 0;
	}
	if (!shim_exists(dirfd, real)) {
		if (!shim_exists(dirfd, name)) {
			printf("%s: not present, skipped\n", name);
			return 0;
		}
		if (renameat(dirfd, name, dirfd, real) < 0)
			return -errno;
	}
	r = shim_write_atomic(dirfd, name, data, len);
	if (r < 0)
		return r;
	printf("%s: shim installed (real shell at bin/%s)\n", name, real);
	return 0;
}

static int shim_uninstall_one(int dirfd, const char *name)
{
	char real[64];

	snprintf(real, sizeof(real), "%s.real", name);
	if (!shim_exists(dirfd, real)) {
		printf("%s: no %s, nothing to restore\n", name, real);
		return 0;
	}
	if (renameat(dirfd, real, dirfd, name) < 0)
		return -errno;
	printf("%s: real shell restored\n", name);
	return 0;
}

static int shim_status(int dirfd, const struct shim_opts *o)
{
	static const char *const names[] = {"sh", "bash"};
	char *data = NULL;
	size_t len = 0;

	if (o->shim && shim_read(o->shim, &data, &len) < 0) {
		free(data);
		data = NULL;
	}
	if (o->json)
		printf("{\"shells\":[");
	for (size_t i = 0; i < 2; i++) {
		char real[64];
		bool has_real, is_shim;
		snprintf(real, sizeof(real), "%s.real", names[i]);
		has_real = shim_exists(dirfd, real);
		is_shim = data ? shim_same(dirfd, names[i], data, len) : has_real;
		if (o->json)
			printf("%s{\"name\":\"%s\",\"installed\":%s,\"real\":%s}",
			       i ? "," : "", names[i], is_shim ? "true" : "false",
			       has_real ? "true" : "false");
		else
			printf("%s: %s; %s\n", names[i],
			       is_shim ? "shim installed" : "not shimmed",
			       has_real ? "real shell present" : "no .real");
	}
	if (o->json)
		printf("]}\n");
	free(data);
	return 0;
}

static int shim_parse(int argc, char **argv, struct shim_opts *o)
{
	static const struct option lopts[] = {
		{"root", required_argument, NULL, 'r'},
		{"shim", required_argument, NULL, 's'},
		{"bash", no_argument, NULL, 'b'},
		{"json", no_argument, NULL, 'j'},
		{"i-understand-this-modifies-the-host", no_argument, NULL, 'y'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (c) {
		case 'r': o->root = optarg; break;
		case 's': o->shim = optarg; break;
		case 'b': o->bash = true; break;
		case 'j': o->json = true; break;
		case 'y': o->confirmed = true; break;
		case 'h': return 1;
		default: return -1;
		}
	}
	if (o->root == NULL)
		o->root = "/";
	return 0;
}

static int shim_run(const char *sub, struct shim_opts *o, int dirfd)
{
	char *data = NULL;
	size_t len = 0;
	int r = 0;

	if (strcmp(sub, "status") == 0)
		return shim_status(dirfd, o);
	if (!o->confirmed) {
		fprintf(stderr, "agentsh: %s changes %s/bin; add "
			"--i-understand-this-modifies-the-host\n", sub, o->root);
		return -EPERM;
	}
	if (strcmp(sub, "uninstall-shell") == 0) {
		r = shim_uninstall_one(dirfd, "sh");
		if (r == 0 && o->bash)
			r = shim_uninstall_one(dirfd, "bash");
		return r;
	}
	if (o->shim == NULL || (r = shim_read(o->shim, &data, &len)) < 0) {
		fprintf(stderr, "agentsh: install-shell needs --shim PATH to a "
			"readable shim binary\n");
		free(data);
		return r < 0 ? r : -EINVAL;
	}
	r = shim_install_one(dirfd, "sh", data, len);
	if (r == 0 && o->bash)
		r = shim_install_one(dirfd, "bash", data, len);
	free(data);
	return r;
}

int cmd_shim(int argc, char **argv, char **envp)
{
	struct shim_opts o = {0};
	const char *sub = argc > 1 ? argv[1] : NULL;
	int dirfd, r;

	(void)envp;
	if (sub == NULL || strcmp(sub, "--help") == 0 ||
	    (strcmp(sub, "install-shell") && strcmp(sub, "uninstall-shell") &&
	     strcmp(sub, "status"))) {
		cli_print_help(shim_help);
		return sub && strcmp(sub, "--help") == 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	}
	r = shim_parse(argc - 1, argv + 1, &o);
	if (r != 0) {
		cli_print_help(shim_help);
		return r > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	}
	dirfd = shim_bindir(o.root);
	if (dirfd < 0) {
		fprintf(stderr, "agentsh: %s/bin: %s\n", o.root, strerror(-dirfd));
		return CLI_EXIT_FAIL;
	}
	r = shim_run(sub, &o, dirfd);
	close(dirfd);
	if (r < 0 && r != -EPERM && r != -EINVAL)
		fprintf(stderr, "agentsh: %s: %s\n", sub, strerror(-r));
	return r < 0 ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
