/* Helpers shared by the DLP unit tests. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "t_dlp.h"

#define T_DLP_OUT_MAX (4u << 20)

struct dlp_engine *t_dlp_engine_rc(const struct dlp_custom *c, size_t n,
				   bool portable, int *rc)
{
	struct dlp_opts o;
	struct dlp_engine *e = NULL;
	struct diag d;

	diag_init(&d);
	dlp_opts_default(&o);
	o.custom = c;
	o.n_custom = n;
	o.portable = portable;
	*rc = dlp_engine_new(&o, &e, &d);
	diag_release(&d);
	return e;
}

struct dlp_engine *t_dlp_engine(const struct dlp_custom *c, size_t n,
				bool portable)
{
	int rc;
	struct dlp_engine *e = t_dlp_engine_rc(c, n, portable, &rc);

	assert_int_equal(rc, 0);
	assert_non_null(e);
	return e;
}

char *t_dlp_apply_rc(struct dlp_engine *e, struct dlp_session *s,
		     const char *in, size_t n, int *rc)
{
	struct buf b;

	buf_init(&b, T_DLP_OUT_MAX);
	*rc = dlp_apply(e, s, in, n, &b, NULL, NULL, NULL);
	if (b.data == NULL)
		assert_int_equal(buf_puts(&b, ""), 0);
	return buf_steal(&b);
}

char *t_dlp_apply(struct dlp_engine *e, struct dlp_session *s,
		  const char *in, size_t n)
{
	int rc;
	char *out = t_dlp_apply_rc(e, s, in, n, &rc);

	assert_int_equal(rc, 0);
	return out;
}
