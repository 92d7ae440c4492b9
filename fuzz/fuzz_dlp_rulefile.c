/*
 * libFuzzer target: bytes -> dlp_rulefile_parse. It must never crash or
 * leak; on success every rule has a non-empty name, display and regex, and
 * on failure there is an error diagnostic and no rule file.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "dlp/dlp_rulefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct dlp_custom *c;
	struct dlp_rulefile *rf = NULL;
	struct diag d;
	size_t i;
	int rc;

	diag_init(&d);
	rc = dlp_rulefile_parse((const char *)data, size, "fuzz.toml", &rf, &d);
	if (rc != 0 && rc != -EINVAL && rc != -E2BIG && rc != -ENOMEM)
		abort();
	if (rc != 0 && (rf != NULL || (rc != -ENOMEM && d.errors == 0)))
		abort();
	if (rc == 0 && (rf == NULL || d.errors != 0 ||
			dlp_rulefile_count(rf) > DLP_CUSTOM_MAX))
		abort();
	c = dlp_rulefile_rules(rf);
	for (i = 0; i < dlp_rulefile_count(rf); i++)
		if (c[i].name == NULL || c[i].name[0] == '\0' ||
		    c[i].display == NULL || c[i].display[0] == '\0' ||
		    c[i].regex == NULL || c[i].regex[0] == '\0')
			abort();
	dlp_rulefile_free(rf);
	diag_release(&d);
	return 0;
}
