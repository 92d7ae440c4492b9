/*
 * Validation of the final values (after environment overrides): per-field
 * checks driven by the schema flags, section hooks, and the cross-field
 * rules of the top level, such as refusing a non-loopback listener
 * without authentication.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/str.h"
#include "config/config_internal.h"

#define CONFIG_HOST_MAX 256
#define CONFIG_ALNUM \
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

/* A host part: empty, a DNS name, an IPv4 literal, or a bracketed IPv6. */
static bool config_host_ok(const char *host, bool bracketed)
{
	struct in6_addr a;
	size_t len = strlen(host);

	if (bracketed)
		return inet_pton(AF_INET6, host, &a) == 1;
	if (len > 253 || strspn(host, CONFIG_ALNUM ".-") != len)
		return false;
	if (len > 0 && strspn(host, "0123456789.") == len)
		return inet_pton(AF_INET, host, &a) == 1;
	return true;
}

int config_addr_split(const char *addr, char *host, size_t hostsz,
		      int *port)
{
	const char *h = addr, *hend, *colon;
	int64_t p;

	if (addr == NULL || hostsz == 0)
		return -EINVAL;
	if (addr[0] == '[') {
		h = addr + 1;
		hend = strchr(addr, ']');
		if (hend == NULL || hend[1] != ':')
			return -EINVAL;
		colon = hend + 1;
	} else {
		colon = strrchr(addr, ':');
		if (colon == NULL || memchr(addr, ':', (size_t)(colon - addr)))
			return -EINVAL;
		hend = colon;
	}
	if ((size_t)(hend - h) >= hostsz || colon[1] == '\0' ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    str_to_i64(colon + 1, 0, 65535, &p) < 0)
		return -EINVAL;
	memcpy(host, h, (size_t)(hend - h));
	host[hend - h] = '\0';
	if (!config_host_ok(host, addr[0] == '['))
		return -EINVAL;
	*port = (int)p;
	return 0;
}

bool config_addr_is_loopback(const char *addr)
{
	char host[CONFIG_HOST_MAX];
	struct in_addr a4;
	struct in6_addr a6;
	int port;

	if (config_addr_split(addr, host, sizeof(host), &port) < 0)
		return false;
	if (strcasecmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) != 1)
		return false;
	if (IN6_IS_ADDR_LOOPBACK(&a6))
		return true;
	return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
}

int config_url_check(const char *url)
{
	size_t skip, host;

	if (strncasecmp(url, "https://", 8) == 0)
		skip = 8;
	else if (strncasecmp(url, "http://", 7) == 0)
		skip = 7;
	else
		return -EINVAL;
	host = strcspn(url + skip, "/?#");
	if (host == 0)
		return -EINVAL;
	for (const char *p = url; *p; p++) {
		if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
			return -EINVAL;
	}
	return 0;
}

static bool config_policy_name_ok(const char *s)
{
	size_t len = strlen(s);

	return len > 0 && strspn(s, CONFIG_ALNUM "_-") == len;
}

const struct ydoc_node *config_path_node(const struct ydoc_node *n,
					 const char *path)
{
	char seg[64];

	while (n != NULL && *path != '\0') {
		size_t l = strcspn(path, ".");

		if (l >= sizeof(seg))
			return NULL;
		memcpy(seg, path, l);
		seg[l] = '\0';
		n = ydoc_map_get(n, seg);
		path += l + (path[l] == '.');
	}
	return n;
}

static void config_check_policy(struct config_ctx *c,
				const struct ydoc_node *n, const void *ptr,
				const char *s, const char *where)
{
	if (!config_policy_name_ok(s))
		config_report(c, n, ptr, DIAG_ERROR, "bad-policy-name",
			      "%s: invalid policy name '%s' (use letters, "
			      "digits, '_' and '-')", where, s);
}

static void config_check_str(struct config_ctx *c, const struct config_field *f,
			     const struct ydoc_node *n, char *const *p,
			     const char *where)
{
	const char *s = *p;
	char host[CONFIG_HOST_MAX];
	int port;

	if (s == NULL) {
		if (f->flags & CONFIG_F_REQUIRED)
			config_report(c, n, p, DIAG_ERROR, "empty",
				      "%s must not be empty", where);
		return;
	}
	if ((f->flags & CONFIG_F_ADDR) &&
	    config_addr_split(s, host, sizeof(host), &port) < 0)
		config_report(c, n, p, DIAG_ERROR, "bad-addr",
			      "%s: invalid address '%s' (expected host:port, "
			      "[ipv6]:port or :port)", where, s);
	if ((f->flags & CONFIG_F_URL) && config_url_check(s) < 0)
		config_report(c, n, p, DIAG_ERROR, "bad-url",
			      "%s: invalid URL '%s' (expected http:// or "
			      "https:// followed by a host)", where, s);
	if (f->flags & CONFIG_F_POLICY)
		config_check_policy(c, n, p, s, where);
	if ((f->flags & CONFIG_F_HTTPPATH) && s[0] != '/')
		config_report(c, n, p, DIAG_ERROR, "bad-path",
			      "%s must start with '/'", where);
}

static void config_check_list(struct config_ctx *c,
			      const struct config_field *f,
			      const struct ydoc_node *n, char **v,
			      const char *where)
{
	char w[YDOC_WHERE_MAX];

	for (size_t i = 0; v != NULL && v[i] != NULL; i++) {
		const struct ydoc_node *e = n;

		if (n != NULL && n->kind == YDOC_SEQ && i < n->n)
			e = n->items[i];
		config_where_idx(w, sizeof(w), where, i);
		if (f->flags & CONFIG_F_POLICY)
			config_check_policy(c, e, NULL, v[i], w);
	}
}

static void config_check_map(struct config_ctx *c,
			     const struct config_field *f,
			     const struct ydoc_node *n,
			     const struct config_strmap *m, const char *where)
{
	char w[YDOC_WHERE_MAX];

	for (size_t i = 0; i < m->n && (f->flags & CONFIG_F_URL); i++) {
		const struct ydoc_node *e = ydoc_map_get(n, m->keys[i]);

		config_where(w, sizeof(w), where, m->keys[i]);
		if (config_url_check(m->vals[i]) < 0)
			config_report(c, e ? e : n, NULL, DIAG_ERROR, "bad-url",
				      "%s: invalid URL '%s' (expected http:// "
				      "or https:// followed by a host)", w,
				      m->vals[i]);
	}
}

static int config_validate_items(struct config_ctx *c,
				 const struct config_field *f,
				 const struct ydoc_node *n, void *obj,
				 const char *where)
{
	size_t count = *(size_t *)config_at(obj, f->count_off);
	char w[YDOC_WHERE_MAX];
	char *items;
	int r = 0;

	memcpy(&items, config_at(obj, f->off), sizeof(items));
	for (size_t i = 0; r == 0 && i < count; i++) {
		void *it = items + i * f->item_size;
		const struct ydoc_node *e = NULL;

		if (f->kind == CONFIG_K_NAMED) {
			config_where(w, sizeof(w), where, *(char **)it);
			if (n != NULL && n->kind == YDOC_MAP && i < n->n)
				e = n->items[2 * i + 1];
		} else {
			config_where_idx(w, sizeof(w), where, i);
			if (n != NULL && n->kind == YDOC_SEQ && i < n->n)
				e = n->items[i];
		}
		r = config_validate_section(c, e, f->sub, it, w);
	}
	return r;
}

int config_validate_section(struct config_ctx *c,
			    const struct ydoc_node *map,
			    const struct config_section *sec, void *obj,
			    const char *where)
{
	char w[YDOC_WHERE_MAX];
	int r = 0;

	for (const struct config_field *f = sec->fields; f->key && !r; f++) {
		const struct ydoc_node *n = config_field_node(sec, map, f->key);
		void *p = config_at(obj, f->off);

		config_where(w, sizeof(w), where, f->key);
		if (f->kind == CONFIG_K_STR)
			config_check_str(c, f, n ? n : map, p, w);
		else if (f->kind == CONFIG_K_LIST)
			config_check_list(c, f, n, *(char ***)p, w);
		else if (f->kind == CONFIG_K_MAP)
			config_check_map(c, f, n, p, w);
		else if (f->kind == CONFIG_K_SECTION)
			r = config_validate_section(c, n, f->sub, obj, w);
		else if (f->kind == CONFIG_K_ITEMS || f->kind == CONFIG_K_NAMED)
			r = config_validate_items(c, f, n, obj, w);
	}
	if (r == 0 && sec->check != NULL)
		r = sec->check(c, map && map->kind == YDOC_MAP ? map : NULL,
			       obj, where);
	return r;
}

/* The daemon must not serve an unauthenticated API beyond this host. */
static void config_check_listen(struct config_ctx *c,
				const struct ydoc_node *root, const char *path,
				char *const *addr)
{
	const struct config *cfg = c->cfg;
	char host[CONFIG_HOST_MAX];
	int port;

	if (!config_auth_disabled(cfg) || *addr == NULL ||
	    config_addr_split(*addr, host, sizeof(host), &port) < 0 ||
	    config_addr_is_loopback(*addr))
		return;
	config_report(c, config_path_node(root, path), addr, DIAG_ERROR,
		      "insecure-listen",
		      "refusing non-loopback listen address without "
		      "authentication: %s is '%s' but %s (set auth.type to "
		      "api_key, oidc or hybrid, or listen on 127.0.0.1)",
		      path, *addr,
		      cfg->auth.type == CONFIG_AUTH_NONE
			      ? "auth.type is none"
			      : "development.disable_auth is true");
}

static void config_check_auth(struct config_ctx *c,
			      const struct ydoc_node *root)
{
	const struct config *cfg = c->cfg;
	const struct ydoc_node *t = config_path_node(root, "auth.type");
	const char *name = cfg->auth.type == CONFIG_AUTH_HYBRID ? "hybrid"
			   : cfg->auth.type == CONFIG_AUTH_OIDC ? "oidc"
								: "api_key";

	if ((cfg->auth.type == CONFIG_AUTH_API_KEY ||
	     cfg->auth.type == CONFIG_AUTH_HYBRID) &&
	    cfg->auth.api_key.keys_file == NULL)
		config_report(c, t, NULL, DIAG_ERROR, "missing-key",
			      "auth.type %s needs auth.api_key.keys_file",
			      name);
	if ((cfg->auth.type == CONFIG_AUTH_OIDC ||
	     cfg->auth.type == CONFIG_AUTH_HYBRID) &&
	    cfg->auth.oidc.issuer == NULL)
		config_report(c, t, NULL, DIAG_ERROR, "missing-key",
			      "auth.type %s needs auth.oidc.issuer", name);
	if (cfg->server.tls.enabled && (cfg->server.tls.cert_file == NULL ||
					cfg->server.tls.key_file == NULL))
		config_report(c, config_path_node(root, "server.tls.enabled"),
			      NULL, DIAG_ERROR, "missing-key",
			      "server.tls.enabled needs server.tls.cert_file "
			      "and server.tls.key_file");
}

int config_check_root(struct config_ctx *c, const struct ydoc_node *map,
		      void *obj, const char *where)
{
	struct config *cfg = obj;
	const char *lo = config_security_mode_name(cfg->security.minimum_mode);
	const char *mode = config_security_mode_name(cfg->security.mode);

	config_check_listen(c, map, "server.http.addr", &cfg->server.http.addr);
	if (cfg->server.grpc.enabled)
		config_check_listen(c, map, "server.grpc.addr",
				    &cfg->server.grpc.addr);
	config_check_auth(c, map);
	if (cfg->security.mode != CONFIG_SECMODE_AUTO &&
	    cfg->security.mode < cfg->security.minimum_mode)
		config_report(c, config_path_node(map, "security.mode"), NULL,
			      DIAG_ERROR, "weak-mode",
			      "security.mode '%s' is weaker than "
			      "security.minimum_mode '%s'",
			      mode, lo);
	return 0;
}
