/* dlp.mode from YAML: each of redact, tokenize and disabled, redact by
 * default, anything else an error naming the accepted values. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/diag.h"
#include "config/config.h"

static char *t_no_env[] = {NULL};

static void test_dlp_modes(void **state)
{
	static const struct {
		const char *yaml;
		enum config_dlp_mode mode;
	} t[] = {
		{ "dlp:\n  mode: redact\n", CONFIG_DLP_REDACT },
		{ "dlp:\n  mode: tokenize\n", CONFIG_DLP_TOKENIZE },
		{ "dlp:\n  mode: disabled\n", CONFIG_DLP_DISABLED },
		{ "dlp:\n  patterns: {email: true}\n", CONFIG_DLP_REDACT },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct config *cfg = NULL;
		struct diag d;

		diag_init(&d);
		assert_int_equal(config_load_buffer(t[i].yaml,
						    strlen(t[i].yaml), "t.yaml",
						    t_no_env, &cfg, &d), 0);
		assert_int_equal(d.errors, 0);
		assert_int_equal(cfg->dlp.mode, t[i].mode);
		config_free(cfg);
		diag_release(&d);
	}
}

static void test_dlp_mode_bad(void **state)
{
	static const char yaml[] = "dlp:\n  mode: tokenise\n";
	struct config *cfg = NULL;
	struct diag d;

	diag_init(&d);
	assert_int_equal(config_load_buffer(yaml, strlen(yaml), "t.yaml",
					    t_no_env, &cfg, &d), -EINVAL);
	assert_null(cfg);
	assert_int_equal(d.errors, 1);
	diag_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dlp_modes),
		cmocka_unit_test(test_dlp_mode_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
