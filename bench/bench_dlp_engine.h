/* The DLP engine the DLP benchmarks measure. */
#ifndef AGENTSH_BENCH_DLP_ENGINE_H
#define AGENTSH_BENCH_DLP_ENGINE_H

#include <stdbool.h>

#include "dlp/dlp.h"

/* The default engine (portable: without Hyperscan); on failure the
 * diagnostics go to stderr and the process exits with status. */
struct dlp_engine *bench_dlp_engine(bool portable, int status);

#endif
