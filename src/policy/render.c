/* Message templates: {{.Path}} and friends, rendered (the original never
 * did). Unknown placeholders are kept verbatim. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "policy/policy.h"

static const char *render_value(const struct policy_verdict *v,
				const struct policy_render_args *a,
				const char *name, size_t n)
{
	static const struct {
		const char *name;
		size_t off;
	} fields[] = {
		{"Path", offsetof(struct policy_render_args, path)},
		{"Operation", offsetof(struct policy_render_args, operation)},
		{"Command", offsetof(struct policy_render_args, command)},
		{"Args", offsetof(struct policy_render_args, args)},
		{"Domain", offsetof(struct policy_render_args, domain)},
		{"Host", offsetof(struct policy_render_args, domain)},
		{"RemoteAddr", offsetof(struct policy_render_args, remote_addr)},
		{"Port", offsetof(struct policy_render_args, port)},
	};

	if (n == 4 && memcmp(name, "Rule", 4) == 0)
		return v->rule ? v->rule : "";
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strlen(fields[i].name) == n &&
		    memcmp(fields[i].name, name, n) == 0) {
			const char *s = a ? *(const char *const *)(const void *)
						((const char *)a + fields[i].off) :
					    NULL;
			return s ? s : "";
		}
	}
	return NULL;
}

static int put(char *buf, size_t n, size_t *o, const char *s, size_t l)
{
	if (*o + l >= n) {
		l = n - 1 - *o;
		memcpy(buf + *o, s, l);
		*o += l;
		return -E2BIG;
	}
	memcpy(buf + *o, s, l);
	*o += l;
	return 0;
}

static int render_template(const struct policy_verdict *v,
			   const struct policy_render_args *a, const char *t,
			   char *buf, size_t n)
{
	size_t o = 0;
	int r = 0;

	while (*t && r == 0) {
		const char *open = strstr(t, "{{"), *close, *name, *val;
		size_t nl;

		if (open == NULL)
			break;
		r = put(buf, n, &o, t, (size_t)(open - t));
		close = strstr(open, "}}");
		if (r < 0 || close == NULL) {
			t = open;
			break;
		}
		name = open + 2;
		while (*name == ' ')
			name++;
		if (*name == '.')
			name++;
		nl = (size_t)(close - name);
		while (nl > 0 && name[nl - 1] == ' ')
			nl--;
		val = render_value(v, a, name, nl);
		if (val != NULL)
			r = put(buf, n, &o, val, strlen(val));
		else
			r = put(buf, n, &o, open, (size_t)(close + 2 - open));
		t = close + 2;
	}
	if (r == 0)
		r = put(buf, n, &o, t, strlen(t));
	buf[o] = '\0';
	return r;
}

int policy_render_message(const struct policy_verdict *v,
			  const struct policy_render_args *a, char *buf,
			  size_t n)
{
	if (n == 0)
		return -EINVAL;
	if (v->message && *v->message)
		return render_template(v, a, v->message, buf, n);
	if (v->approval_required)
		snprintf(buf, n, "approval required by rule %s, but no approver "
			 "is configured", v->rule);
	else if (v->reason)
		snprintf(buf, n, "%s", v->reason);
	else if (v->description && *v->description)
		snprintf(buf, n, "%s", v->description);
	else
		snprintf(buf, n, "%s by rule %s", policy_decision_name(v->decision),
			 v->rule);
	return 0;
}

const char *policy_kind_name(enum policy_kind k)
{
	static const char *const names[] = {
		"file", "network", "command", "unix_socket", "signal", "env",
	};

	return (size_t)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}
