/*
 * Event ids and the JSON rendering of one event, in the original's shape:
 * {id, timestamp, type, session_id, command_id?, pid?, policy?: {decision,
 * effective_decision, rule, message, approval?: {required, mode, id}},
 * path?, domain?, remote?, operation?, fields?} plus "truncated": true when
 * a field was cut to its limit.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "audit/audit_int.h"
#include "common/json.h"

/*
 * Every string field is cut to its limit and may grow six-fold when
 * escaped (\u00XX); with "fields" and the fixed keys it must still fit in
 * one event, so a well-formed event can never be refused for its size.
 */
#define AUDIT_FIXED_MAX 1024 /* keys, punctuation, id, time, pid */
_Static_assert(6 * (8 * AUDIT_NAME_MAX + AUDIT_RULE_MAX +
		    2 * AUDIT_HOST_MAX + AUDIT_MESSAGE_MAX +
		    AUDIT_PATHFIELD_MAX) + AUDIT_FIELDS_MAX +
	       AUDIT_FIXED_MAX < AUDIT_EVENT_MAX,
	       "audit field limits exceed AUDIT_EVENT_MAX");
_Static_assert(6 * AUDIT_FIELDS_KEEP + 64 < AUDIT_FIELDS_MAX,
	       "AUDIT_FIELDS_KEEP does not fit in AUDIT_FIELDS_MAX");

struct audit_rctx {
	struct buf *b;
	int first;      /* the next key opens its object */
	bool truncated;
};

/* splitmix64: a bijective mixer, so distinct inputs give distinct ids. */
static uint64_t audit_mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * UUIDv7 (RFC 9562): 48 bits of milliseconds, a 12-bit counter that keeps
 * ids of one store strictly increasing, and 62 bits derived from the
 * store's random seed so that stores in other processes differ.
 */
void audit_id_make(struct audit *a, int64_t ts_ns, char id[AUDIT_ID_MAX])
{
	uint64_t now = (uint64_t)(ts_ns / 1000000) << 12, cur, next, rnd;
	unsigned char u[16];

	cur = atomic_load_explicit(&a->id_clock, memory_order_relaxed);
	do {
		next = now > cur ? now : cur + 1;
	} while (!atomic_compare_exchange_weak_explicit(&a->id_clock, &cur,
							next,
							memory_order_relaxed,
							memory_order_relaxed));
	rnd = audit_mix64(next ^ a->id_seed);
	for (int i = 0; i < 6; i++)
		u[i] = (unsigned char)(next >> (12 + 8 * (5 - i)));
	u[6] = (unsigned char)(0x70 | ((next >> 8) & 0x0f));
	u[7] = (unsigned char)(next & 0xff);
	u[8] = (unsigned char)(0x80 | ((rnd >> 56) & 0x3f));
	for (int i = 9; i < 16; i++)
		u[i] = (unsigned char)(rnd >> (8 * (15 - i)));
	snprintf(id, AUDIT_ID_MAX,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
}

/* Length of s cut to at most cap bytes, not inside a UTF-8 sequence. */
static size_t audit_cut(const char *s, size_t cap)
{
	size_t n = cap;

	for (int k = 0; k < 3 && n > 0 &&
			((unsigned char)s[n] & 0xc0) == 0x80; k++)
		n--;
	return n;
}

static int audit_rkey(struct audit_rctx *x, const char *key)
{
	int r = json_key(x->b, key, x->first);

	x->first = 0;
	return r;
}

/* "key":"s" when s is set, cut to cap bytes. */
static int audit_rstr(struct audit_rctx *x, const char *key, const char *s,
		      size_t cap)
{
	size_t n;
	int r;

	if (s == NULL)
		return 0;
	n = strnlen(s, cap + 1);
	if (n > cap) {
		n = audit_cut(s, cap);
		x->truncated = true;
	}
	r = audit_rkey(x, key);
	return r < 0 ? r : json_strn(x->b, s, n);
}

/* "approval": {"required", "mode", "id"} inside "policy". */
static int audit_rapproval(struct audit_rctx *x, const struct audit_event *e)
{
	int r;

	if (!e->approval_required && e->approval_mode == NULL &&
	    e->approval_id == NULL)
		return 0;
	r = audit_rkey(x, "approval");
	if (r == 0)
		r = buf_printf(x->b, "{\"required\":%s",
			       e->approval_required ? "true" : "false");
	x->first = 0;
	if (r == 0)
		r = audit_rstr(x, "mode", e->approval_mode, AUDIT_NAME_MAX);
	if (r == 0)
		r = audit_rstr(x, "id", e->approval_id, AUDIT_NAME_MAX);
	return r < 0 ? r : buf_putc(x->b, '}');
}

static int audit_rpolicy(struct audit_rctx *x, const struct audit_event *e)
{
	int r;

	if (e->decision == NULL && e->effective == NULL && e->rule == NULL &&
	    e->message == NULL && !e->approval_required &&
	    e->approval_mode == NULL && e->approval_id == NULL)
		return 0;
	r = audit_rkey(x, "policy");
	if (r == 0)
		r = buf_putc(x->b, '{');
	x->first = 1;
	if (r == 0)
		r = audit_rstr(x, "decision", e->decision, AUDIT_NAME_MAX);
	if (r == 0)
		r = audit_rstr(x, "effective_decision", e->effective,
			       AUDIT_NAME_MAX);
	if (r == 0)
		r = audit_rstr(x, "rule", e->rule, AUDIT_RULE_MAX);
	if (r == 0)
		r = audit_rstr(x, "message", e->message, AUDIT_MESSAGE_MAX);
	if (r == 0)
		r = audit_rapproval(x, e);
	x->first = 0;
	return r < 0 ? r : buf_putc(x->b, '}');
}

/*
 * "fields": the caller's object, minified so that it stays on one line;
 * an invalid or oversized one is replaced by {"error", "raw"} so that the
 * event is still recorded.
 */
static int audit_rfields(struct audit_rctx *x, const char *f)
{
	size_t n;
	const char *why = NULL;
	int r;

	if (f == NULL)
		return 0;
	n = strnlen(f, AUDIT_FIELDS_MAX + 1);
	if (n > AUDIT_FIELDS_MAX)
		why = "too large";
	else if (audit_json_check_object(f, n) < 0)
		why = "not a valid JSON object";
	r = audit_rkey(x, "fields");
	if (r == 0 && why == NULL)
		return audit_json_minify(x->b, f, n);
	if (n > AUDIT_FIELDS_KEEP) {
		n = audit_cut(f, AUDIT_FIELDS_KEEP);
		x->truncated = true;
	}
	if (r == 0)
		r = buf_printf(x->b, "{\"error\":\"%s\",\"raw\":", why);
	if (r == 0)
		r = json_strn(x->b, f, n);
	return r < 0 ? r : buf_putc(x->b, '}');
}

int audit_render(struct buf *b, const struct audit_event *e, const char *id,
		 int64_t ts_ns)
{
	struct audit_rctx x = {b, 1, false};
	char ts[AUDIT_TIME_MAX];
	int r;

	audit_time_format(ts_ns, ts);
	r = buf_putc(b, '{');
	if (r == 0)
		r = audit_rstr(&x, "id", id, AUDIT_NAME_MAX);
	if (r == 0)
		r = audit_rstr(&x, "timestamp", ts, AUDIT_NAME_MAX);
	if (r == 0)
		r = audit_rstr(&x, "type", e->type, AUDIT_NAME_MAX);
	if (r == 0)
		r = audit_rstr(&x, "session_id",
			       e->session_id ? e->session_id : "",
			       AUDIT_NAME_MAX);
	if (r == 0)
		r = audit_rstr(&x, "command_id", e->command_id,
			       AUDIT_NAME_MAX);
	if (r == 0 && e->pid != 0)
		r = buf_printf(b, ",\"pid\":%d", e->pid);
	if (r == 0)
		r = audit_rpolicy(&x, e);
	if (r == 0)
		r = audit_rstr(&x, "path", e->path, AUDIT_PATHFIELD_MAX);
	if (r == 0)
		r = audit_rstr(&x, "domain", e->domain, AUDIT_HOST_MAX);
	if (r == 0)
		r = audit_rstr(&x, "remote", e->remote, AUDIT_HOST_MAX);
	if (r == 0)
		r = audit_rstr(&x, "operation", e->operation, AUDIT_NAME_MAX);
	if (r == 0)
		r = audit_rfields(&x, e->fields_json);
	if (r == 0 && x.truncated)
		r = buf_puts(b, ",\"truncated\":true");
	return r < 0 ? r : buf_putc(b, '}');
}
