/* libFuzzer target: bytes → dlp_redact with the default engine → checks. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dlp/dlp.h"
#include "fuzz_dlp_engine.h"

#define FUZZ_OUT_MAX (1u << 24)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct dlp_engine *fuzz_engine(void)
{
	return fuzz_dlp_engine(NULL, 0);
}

struct fuzz_scan {
	size_t size, last;
};

/* Findings are ordered, non-overlapping and inside the input. */
static int fuzz_check(const struct dlp_finding *f, void *arg)
{
	struct fuzz_scan *s = arg;

	if (f->start >= f->end || f->end > s->size || f->start < s->last ||
	    f->rule == NULL || f->display == NULL)
		abort();
	s->last = f->end;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dlp_engine *e = fuzz_engine();
	struct fuzz_scan s = { .size = size };
	struct dlp_stats st = { 0 };
	struct buf b;
	int rc;

	buf_init(&b, FUZZ_OUT_MAX);
	rc = dlp_redact(e, (const char *)data, size, &b, &st);
	if (rc == 0 && (st.bytes_in != size || st.bytes_out != b.len))
		abort();
	if (dlp_scan(e, (const char *)data, size, fuzz_check, &s) != rc &&
	    rc != -E2BIG)
		abort();
	buf_release(&b);
	return 0;
}
