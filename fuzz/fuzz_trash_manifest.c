/* libFuzzer target: bytes → trash manifest reader → invariants → free. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "trash/trash.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A manifest that parses is well formed and survives a round trip. */
static void fuzz_check(const struct trash_entry *e)
{
	struct trash_entry again;
	struct buf b;

	if (!trash_token_valid(e->token) || !trash_session_valid(e->session) ||
	    e->path[0] != '/' || e->mode > 07777 ||
	    e->n_xattrs > TRASH_XATTRS_MAX)
		abort();
	buf_init(&b, 1u << 22);
	if (trash_entry_json(&b, e, true) != 0 ||
	    trash_manifest_parse(b.data, b.len, &again) != 0 ||
	    strcmp(again.path, e->path) != 0 || again.size != e->size ||
	    again.n_xattrs != e->n_xattrs)
		abort();
	for (size_t i = 0; i < e->n_xattrs; i++)
		if (again.xattrs[i].len != e->xattrs[i].len ||
		    memcmp(again.xattrs[i].value, e->xattrs[i].value,
			   e->xattrs[i].len) != 0)
			abort();
	trash_entry_release(&again);
	buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trash_entry *e = malloc(sizeof(*e));

	if (e == NULL)
		return 0;
	if (trash_manifest_parse((const char *)data, size, e) == 0) {
		fuzz_check(e);
		trash_entry_release(e);
	}
	free(e);
	return 0;
}
