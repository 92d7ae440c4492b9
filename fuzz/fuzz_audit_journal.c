/*
 * libFuzzer target: the audit journal line parser, which reads back files
 * that a crash may have torn or an attacker may have edited. The input is
 * parsed as a journal line, searched with audit_json_get, checked and
 * minified as a "fields" object, and parsed as a timestamp. Then it is cut
 * at NUL bytes into the strings of an event that is rendered and parsed
 * back: the line must parse, stay on one line, fit AUDIT_EVENT_MAX, and
 * give back every valid UTF-8 string that was within its limit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit_int.h"
#include "common/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_STRINGS 8

static void fz_parse(const char *s, size_t n)
{
	static const char *const keys[] = {
		"id", "fields", "fields.a.b", "policy.approval.mode", "",
	};
	struct audit_row r;
	struct buf b, sc;
	int64_t ns;

	buf_init(&sc, AUDIT_SCRATCH_MAX);
	if (audit_jline_parse(s, n, &r, &sc) == 0 &&
	    (r.id == NULL || r.type == NULL || r.json != s))
		abort();
	buf_release(&sc);
	buf_init(&b, AUDIT_EVENT_MAX);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		buf_reset(&b);
		audit_json_get(s, n, keys[i], &b);
	}
	buf_reset(&b);
	/* What passes as "fields" must still pass once minified. */
	if (n <= AUDIT_FIELDS_MAX && audit_json_check_object(s, n) == 0) {
		if (audit_json_minify(&b, s, n) < 0 ||
		    audit_json_check_object(b.data, b.len) < 0 ||
		    memchr(b.data, '\n', b.len) != NULL)
			abort();
	}
	buf_release(&b);
	audit_time_parse(s, n, &ns);
}

static bool fz_clean(const char *s, size_t cap)
{
	size_t n = strlen(s), i = 0, l;

	if (n > cap)
		return false;
	while (i < n) {
		l = utf8_seq_len(s + i, n - i);
		if (l == 0)
			return false;
		i += l;
	}
	return true;
}

static void fz_same(const char *in, const char *out, size_t cap)
{
	if (fz_clean(in, cap) && (out == NULL || strcmp(in, out) != 0))
		abort();
}

/* Render an event made of the input's NUL-separated pieces, parse it. */
static void fz_roundtrip(char *s, size_t n)
{
	const char *p[FZ_STRINGS] = {0};
	struct audit_event ev = {0};
	struct audit_row r;
	struct buf b, sc;
	size_t k = 0;

	for (size_t i = 0; i < n && k < FZ_STRINGS; k++) {
		p[k] = s + i;
		i += strlen(s + i) + 1;
	}
	ev.type = p[0] && p[0][0] ? p[0] : "t";
	ev.session_id = p[1];
	ev.rule = p[2];
	ev.path = p[3];
	ev.domain = p[4];
	ev.fields_json = p[5];
	ev.message = p[6];
	ev.approval_mode = p[7];
	buf_init(&b, AUDIT_EVENT_MAX);
	buf_init(&sc, AUDIT_SCRATCH_MAX);
	if (audit_render(&b, &ev, "fz-id", 1) < 0 ||
	    memchr(b.data, '\n', b.len) != NULL ||
	    audit_jline_parse(b.data, b.len, &r, &sc) < 0)
		abort();
	fz_same(ev.type, r.type, AUDIT_NAME_MAX);
	if (ev.session_id)
		fz_same(ev.session_id, r.session_id, AUDIT_NAME_MAX);
	if (ev.rule)
		fz_same(ev.rule, r.rule, AUDIT_RULE_MAX);
	if (ev.path)
		fz_same(ev.path, r.path, AUDIT_PATHFIELD_MAX);
	if (ev.domain)
		fz_same(ev.domain, r.domain, AUDIT_HOST_MAX);
	buf_release(&b);
	buf_release(&sc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so that ASan sees any read past the end. */
	char *s = malloc(size + 1);

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	fz_parse(s, size);
	s[size] = '\0';
	fz_roundtrip(s, size);
	free(s);
	return 0;
}
