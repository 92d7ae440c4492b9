/* The shim's settings come from a root-owned file, never the environment:
 * a caller who could point the shim at another socket could answer
 * "allow" to everything. */
#include <stdio.h>
#include <string.h>

#include "common/proto.h"
#include "common/str.h"
#include "shim/shim.h"

static void conf_set(struct shim_conf *c, const char *k, const char *v)
{
	if (strcmp(k, "socket") == 0)
		str_lcpy(c->socket, v, sizeof(c->socket));
	else if (strcmp(k, "server") == 0)
		str_lcpy(c->server, v, sizeof(c->server));
	else if (strcmp(k, "config") == 0)
		str_lcpy(c->config, v, sizeof(c->config));
	else if (strcmp(k, "log") == 0)
		str_lcpy(c->log, v, sizeof(c->log));
	else if (strcmp(k, "autostart") == 0)
		c->autostart = strcmp(v, "false") != 0 && strcmp(v, "0") != 0;
}

void shim_conf_load(struct shim_conf *c)
{
	char line[PATH_MAX + 64];
	FILE *fp;

	str_lcpy(c->socket, AGENTSH_DEFAULT_SOCKET, sizeof(c->socket));
	str_lcpy(c->server, AGENTSH_DEFAULT_BIN, sizeof(c->server));
	str_lcpy(c->config, AGENTSH_DEFAULT_CONFIG, sizeof(c->config));
	str_lcpy(c->log, AGENTSH_DEFAULT_LOG, sizeof(c->log));
	c->autostart = true;
	fp = fopen(AGENTSH_SHIM_CONF, "re");
	if (fp == NULL)
		return;
	while (fgets(line, sizeof(line), fp)) {
		char *eq, *k = line, *v;
		line[strcspn(line, "\r\n")] = '\0';
		k += strspn(k, " \t");
		if (*k == '#' || (eq = strchr(k, '=')) == NULL)
			continue;
		*eq = '\0';
		v = eq + 1;
		v += strspn(v, " \t");
		k[strcspn(k, " \t")] = '\0';
		conf_set(c, k, v);
	}
	fclose(fp);
}
