/* The DLP engine the DLP benchmarks measure. */
#include "bench_dlp_engine.h"

#include <stdio.h>
#include <stdlib.h>

struct dlp_engine *bench_dlp_engine(bool portable, int status)
{
	struct dlp_engine *e = NULL;
	struct dlp_opts o;
	struct diag d;

	diag_init(&d);
	dlp_opts_default(&o);
	o.portable = portable;
	if (dlp_engine_new(&o, &e, &d) < 0) {
		diag_print(&d, stderr);
		exit(status);
	}
	diag_release(&d);
	return e;
}
