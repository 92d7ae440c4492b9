/*
 * libFuzzer target: the input is a server config file. Load it from memory
 * (no file I/O), and when it loads, check that the YAML rendering is a
 * config that loads back to the same rendering; then free everything.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Render cfg as YAML into a fresh buffer; NULL on failure. */
static char *config_fuzz_yaml(const struct config *cfg, size_t *len)
{
	struct buf b;
	char *s;

	buf_init(&b, 64u << 20);
	if (config_dump_yaml(cfg, &b) < 0) {
		buf_release(&b);
		return NULL;
	}
	*len = b.len;
	s = buf_steal(&b);
	return s;
}

/* The YAML dump must load again and render identically. */
static void config_fuzz_roundtrip(const struct config *cfg, char **envp)
{
	struct config *again = NULL;
	struct buf json;
	size_t n1 = 0, n2 = 0;
	char *y1 = config_fuzz_yaml(cfg, &n1), *y2 = NULL;

	buf_init(&json, 64u << 20);
	if (config_dump_json(cfg, &json) < 0)
		abort();
	buf_release(&json);
	if (y1 == NULL)
		abort();
	if (config_load_buffer(y1, n1, "dump.yaml", envp, &again, NULL) < 0)
		abort();
	y2 = config_fuzz_yaml(again, &n2);
	if (y2 == NULL || n1 != n2 || memcmp(y1, y2, n1) != 0)
		abort();
	free(y1);
	free(y2);
	config_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *envp[] = {"HOME=/home/fuzz", "NAME=value", "EMPTY=",
			"DIR=/srv/agentsh", NULL};
	struct config *cfg = NULL;
	struct diag d;

	diag_init(&d);
	if (config_load_buffer((const char *)data, size, "fuzz.yaml", envp,
			       &cfg, &d) == 0)
		config_fuzz_roundtrip(cfg, envp);
	config_free(cfg);
	diag_release(&d);
	return 0;
}
