#include "common/diag.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"

void diag_init(struct diag *d)
{
	memset(d, 0, sizeof(*d));
}

void diag_release(struct diag *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].code);
		free(d->v[i].msg);
	}
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
}

static int diag_grow(struct diag *d)
{
	size_t ncap;
	struct diag_entry *nv;

	if (d->n < d->cap)
		return 0;
	ncap = d->cap ? d->cap * 2 : 8;
	nv = realloc(d->v, ncap * sizeof(*nv));
	if (nv == NULL)
		return -ENOMEM;
	d->v = nv;
	d->cap = ncap;
	return 0;
}

void diag_add(struct diag *d, enum diag_severity sev, const char *file,
	      int line, int col, const char *code, const char *fmt, ...)
{
	char msg[DIAG_MSG_MAX];
	struct diag_entry *e;
	va_list ap;

	if (d == NULL)
		return;
	if (sev == DIAG_WARNING && d->warnings_as_errors)
		sev = DIAG_ERROR;
	if (sev == DIAG_ERROR)
		d->errors++;
	else
		d->warnings++;
	if (d->n >= DIAG_MAX_ENTRIES || diag_grow(d) < 0) {
		d->dropped++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e = &d->v[d->n];
	e->sev = sev;
	e->file = file ? strdup(file) : NULL;
	e->line = line;
	e->col = col;
	e->code = strdup(code ? code : "error");
	e->msg = strdup(msg);
	if (e->msg == NULL || e->code == NULL || (file && e->file == NULL)) {
		free(e->file);
		free(e->code);
		free(e->msg);
		d->dropped++;
		return;
	}
	d->n++;
}

void diag_print(const struct diag *d, FILE *fp)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct diag_entry *e = &d->v[i];
		const char *sev = e->sev == DIAG_ERROR ? "error" : "warning";

		if (e->file && e->line > 0)
			fprintf(fp, "%s:%d:%d: %s: %s [%s]\n", e->file, e->line,
				e->col, sev, e->msg, e->code);
		else if (e->file)
			fprintf(fp, "%s: %s: %s [%s]\n", e->file, sev, e->msg,
				e->code);
		else
			fprintf(fp, "%s: %s [%s]\n", sev, e->msg, e->code);
	}
	if (d->dropped)
		fprintf(fp, "(%zu more diagnostics not shown)\n", d->dropped);
}

int diag_json(const struct diag *d, struct buf *out)
{
	int r = buf_putc(out, '[');

	for (size_t i = 0; r == 0 && i < d->n; i++) {
		const struct diag_entry *e = &d->v[i];

		r = buf_printf(out, "%s{\"severity\":\"%s\",\"file\":",
			       i ? "," : "",
			       e->sev == DIAG_ERROR ? "error" : "warning");
		if (r == 0)
			r = e->file ? json_str(out, e->file) : buf_puts(out, "null");
		if (r == 0)
			r = buf_printf(out, ",\"line\":%d,\"col\":%d,\"code\":",
				       e->line, e->col);
		if (r == 0)
			r = json_str(out, e->code);
		if (r == 0)
			r = buf_puts(out, ",\"message\":");
		if (r == 0)
			r = json_str(out, e->msg);
		if (r == 0)
			r = buf_putc(out, '}');
	}
	if (r == 0)
		r = buf_putc(out, ']');
	return r;
}

int diag_has_errors(const struct diag *d)
{
	return d->errors > 0;
}
