/* landlock_status_format: what a ruleset enforces, in one line of words. */
#include "landlock/landlock_int.h"

#include <stdio.h>

#define LANDLOCK_FS_BITS 16 /* LANDLOCK_ACCESS_FS_* bits named below */

static const char *const landlock_fs_names[LANDLOCK_FS_BITS] = {
	"execute", "write_file", "read_file", "read_dir", "remove_dir",
	"remove_file", "make_char", "make_dir", "make_reg", "make_sock",
	"make_fifo", "make_block", "make_sym", "refer", "truncate",
	"ioctl_dev",
};
static const char *const landlock_net_names[] = {"bind_tcp", "connect_tcp"};
static const char *const landlock_scope_names[] = {"abstract_unix_socket",
						   "signal"};

/* Bounded appender: off keeps counting past n so the caller learns the need. */
struct landlock_out {
	char *buf;
	size_t n, off;
};

static void landlock_out_str(struct landlock_out *o, const char *s)
{
	int k = snprintf(o->buf + (o->off < o->n ? o->off : o->n),
			 o->off < o->n ? o->n - o->off : 0, "%s", s);

	if (k > 0)
		o->off += (size_t)k;
}

/* " key=a,b,c" for the set bits of mask, or " key=none". */
static void landlock_out_mask(struct landlock_out *o, const char *key,
			      uint64_t mask, const char *const *names,
			      unsigned count)
{
	bool first = true;

	landlock_out_str(o, " ");
	landlock_out_str(o, key);
	landlock_out_str(o, "=");
	for (unsigned i = 0; i < count; i++) {
		if (!(mask & (1ULL << i)))
			continue;
		landlock_out_str(o, first ? "" : ",");
		landlock_out_str(o, names[i]);
		first = false;
	}
	if (first)
		landlock_out_str(o, "none");
}

size_t landlock_status_format(const struct landlock_status *st, char *buf,
			      size_t n)
{
	struct landlock_out o = {buf, n, 0};
	char head[64];

	if (n > 0)
		buf[0] = '\0';
	if (st->abi < 1) {
		snprintf(head, sizeof(head), "unavailable (%d)", st->abi);
		landlock_out_str(&o, head);
		return o.off;
	}
	snprintf(head, sizeof(head), "abi %d:", st->abi);
	landlock_out_str(&o, head);
	landlock_out_mask(&o, "fs", st->fs, landlock_fs_names,
			  LANDLOCK_FS_BITS);
	landlock_out_mask(&o, "net", st->net, landlock_net_names, 2);
	landlock_out_mask(&o, "scope", st->scoped, landlock_scope_names, 2);
	return o.off;
}
