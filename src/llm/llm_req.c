/* Request bodies: walk the JSON with the dialect's policy and hand every
 * scannable string to the caller's scan hook. */
#include <errno.h>

#include "llm/llm_int.h"

static int llm_req_scan(void *arg, enum llm_act act, const char *jpath,
			const char *s, size_t n, struct buf *out)
{
	const struct llm_scan_hooks *h = arg;

	(void)act;
	if (h == NULL || h->scan == NULL)
		return 0;
	return h->scan(h->arg, jpath, s, n, out);
}

int llm_request_rewrite(enum llm_dialect d, const char *body, size_t len,
			const struct llm_scan_hooks *h, struct buf *out,
			bool *changed, struct diag *dg)
{
	struct llm_scan_hooks hc = { 0 };
	struct llm_walk_res r = { 0 };
	size_t start = out->len;
	int rc;

	*changed = false;
	if (len > LLM_BODY_MAX) {
		rc = -E2BIG;
		if (dg != NULL)
			diag_add(dg, DIAG_ERROR, NULL, 0, 0, "llm-body-size",
				 "request body of %zu bytes is over the limit "
				 "of %u", len, LLM_BODY_MAX);
		goto out;
	}
	if (h != NULL)
		hc = *h;
	rc = llm_walk(body, len, llm_policy_request_root(d), "", llm_req_scan,
		      &hc, out, &r);
	if (rc < 0 && r.err != NULL && dg != NULL)
		diag_add(dg, DIAG_ERROR, NULL, 0, 0,
			 rc == -E2BIG ? "llm-json-limit" : "llm-json",
			 "%s request body: %s at byte %zu",
			 llm_dialect_name(d), r.err, r.err_off);
	if (rc == 0)
		*changed = r.changed;
out:
	if (rc < 0) {
		out->len = start;
		if (out->data != NULL)
			out->data[start] = '\0';
	}
	return rc;
}
