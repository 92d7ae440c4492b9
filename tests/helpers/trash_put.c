/*
 * Test helper: soft-delete one object the way the supervisor does and
 * print the entry's token.
 *   trash_put ROOT SESSION ABSPATH [TIME_NS [COMMAND [PID]]]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/str.h"
#include "trash/trash.h"

int main(int argc, char **argv)
{
	char dir[TRASH_PATH_MAX], token[TRASH_TOKEN_SIZE];
	struct trash_info info = { .command = "rm", .pid = getpid() };
	const char *slash;
	int64_t v = 0;
	int fd, rc;

	if (argc < 4 || argc > 7 || argv[3][0] != '/') {
		fputs("usage: trash_put ROOT SESSION ABSPATH [TIME_NS "
		      "[COMMAND [PID]]]\n", stderr);
		return 2;
	}
	if (argc > 4 && str_to_i64(argv[4], 0, INT64_MAX, &info.time_ns) < 0)
		return 2;
	if (argc > 5)
		info.command = argv[5];
	if (argc > 6 && str_to_i64(argv[6], 0, INT32_MAX, &v) < 0)
		return 2;
	if (argc > 6)
		info.pid = (pid_t)v;
	slash = strrchr(argv[3], '/');
	str_lcpy(dir, argv[3], (size_t)(slash - argv[3]) + 1);
	fd = open(slash == argv[3] ? "/" : dir, O_PATH | O_DIRECTORY);
	if (fd < 0) {
		perror(dir);
		return 1;
	}
	rc = trash_put(argv[1], argv[2], fd, slash + 1, argv[3], &info, token,
		       sizeof(token));
	close(fd);
	if (rc < 0) {
		fprintf(stderr, "trash_put: %s: %s\n", argv[3], strerror(-rc));
		return 1;
	}
	printf("%s\n", token);
	return 0;
}
