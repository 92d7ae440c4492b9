/* The DLP engine of the DLP fuzz targets, built before the first input. */
#ifndef AGENTSH_FUZZ_DLP_ENGINE_H
#define AGENTSH_FUZZ_DLP_ENGINE_H

#include <stddef.h>

#include "dlp/dlp.h"

/* The process's engine: the default options with the n custom rules of cu,
 * built on the first call (abort on failure). */
struct dlp_engine *fuzz_dlp_engine(const struct dlp_custom *cu, size_t n);

/* The target's engine; each target defines it with fuzz_dlp_engine. */
struct dlp_engine *fuzz_engine(void);

#endif
