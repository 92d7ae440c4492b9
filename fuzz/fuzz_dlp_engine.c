/* The DLP engine of the DLP fuzz targets, built before the first input. */
#include "fuzz_dlp_engine.h"

#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);

struct dlp_engine *fuzz_dlp_engine(const struct dlp_custom *cu, size_t n)
{
	static struct dlp_engine *e; /* built once per process */
	struct dlp_opts o;
	struct diag d;

	if (e != NULL)
		return e;
	diag_init(&d);
	dlp_opts_default(&o);
	o.custom = cu;
	o.n_custom = n;
	if (dlp_engine_new(&o, &e, &d) < 0)
		abort();
	diag_release(&d);
	return e;
}

/* The engine (a Hyperscan compile: seconds under ASan) is built before
 * the first input, outside libFuzzer's per-input timeout. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_engine();
	return 0;
}
