/* The DLP engine of a config: switches, custom patterns and rule files. */
#include "dlpcfg/dlpcfg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "dlp/dlp_rulefile.h"

/* The rule files of one config, parsed; freed with the engine built. */
struct dlpcfg_files {
	struct dlp_rulefile *rf[DLP_CUSTOM_MAX];
	size_t n;
};

/* Read path whole into b (at most DLP_RULEFILE_MAX bytes). */
static int dlpcfg_read(const char *path, struct buf *b)
{
	char chunk[16384];
	ssize_t got;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	while (rc == 0 && (got = read(fd, chunk, sizeof(chunk))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		rc = got < 0 ? -errno : buf_append(b, chunk, (size_t)got);
	}
	close(fd);
	return rc;
}

/* Parse every dlp.rule_files entry into f. */
static int dlpcfg_load(const struct config_dlp *c, struct dlpcfg_files *f,
		       struct diag *d)
{
	struct buf b;
	int rc = 0;

	for (size_t i = 0; rc == 0 && c->rule_files && c->rule_files[i]; i++) {
		const char *path = c->rule_files[i];

		if (f->n == DLP_CUSTOM_MAX) {
			diag_add(d, DIAG_ERROR, path, 0, 0, "dlp-rule-file",
				 "more than %d rule files", DLP_CUSTOM_MAX);
			return -E2BIG;
		}
		buf_init(&b, DLP_RULEFILE_MAX);
		rc = dlpcfg_read(path, &b);
		if (rc < 0)
			diag_add(d, DIAG_ERROR, path, 0, 0, "dlp-rule-file",
				 "cannot read the rule file: %s",
				 rc == -E2BIG ? "over the size limit"
					      : strerror(-rc));
		else
			rc = dlp_rulefile_parse(b.data ? b.data : "", b.len,
						path, &f->rf[f->n++], d);
		buf_release(&b);
	}
	return rc;
}

/* custom_patterns then every file's rules, as one array (owned by f). */
static int dlpcfg_custom(const struct config_dlp *c,
			 const struct dlpcfg_files *f, struct dlp_custom **out,
			 size_t *n, struct diag *d)
{
	size_t total = c->n_custom_patterns, k = 0;
	struct dlp_custom *cu;

	for (size_t i = 0; i < f->n; i++)
		total += dlp_rulefile_count(f->rf[i]);
	if (total > DLP_CUSTOM_MAX) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, "dlp-rule",
			 "%zu custom patterns and rule-file rules in all, at "
			 "most %d", total, DLP_CUSTOM_MAX);
		return -E2BIG;
	}
	if ((cu = calloc(total + 1, sizeof(*cu))) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_custom_patterns; i++, k++) {
		cu[k].name = c->custom_patterns[i].name;
		cu[k].display = c->custom_patterns[i].display;
		cu[k].regex = c->custom_patterns[i].regex;
	}
	for (size_t i = 0; i < f->n; i++) {
		size_t m = dlp_rulefile_count(f->rf[i]);

		memcpy(cu + k, dlp_rulefile_rules(f->rf[i]), m * sizeof(*cu));
		k += m;
	}
	*out = cu;
	*n = total;
	return 0;
}

int dlpcfg_engine(const struct config *cfg, struct dlp_engine **out,
		  struct diag *d)
{
	const struct config_dlp *c = &cfg->dlp;
	struct dlpcfg_files f = { .n = 0 };
	struct dlp_custom *cu = NULL;
	struct dlp_opts o;
	int rc;

	*out = NULL;
	dlp_opts_default(&o);
	o.email = c->patterns.email;
	o.phone = c->patterns.phone;
	o.credit_card = c->patterns.credit_card;
	o.ssn = c->patterns.ssn;
	o.api_keys = c->patterns.api_keys;
	if (c->mode == CONFIG_DLP_DISABLED) {
		o.email = o.phone = o.credit_card = o.ssn = o.api_keys = false;
	} else {
		if ((rc = dlpcfg_load(c, &f, d)) < 0 ||
		    (rc = dlpcfg_custom(c, &f, &cu, &o.n_custom, d)) < 0)
			goto out;
		o.custom = cu;
	}
	rc = dlp_engine_new(&o, out, d);
out:
	free(cu);
	for (size_t i = 0; i < f.n; i++)
		dlp_rulefile_free(f.rf[i]);
	return rc;
}
