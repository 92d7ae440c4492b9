/*
 * Request bodies: Content-Encoding removed with a cap (gzip, deflate,
 * zstd), then the dialect's text fields scanned and rewritten through the
 * DLP engine, with each finding counted per (rule, JSON path).
 */
#include "llmproxy/llmproxy_int.h"

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>
#include <zstd.h>

#include "common/str.h"
#include "dlp/dlp_tok.h"

#define LLMP_INFLATE_STEP 65536 /* output produced per decompression call */

/* gzip (wbits 15+16), zlib deflate (15) or raw deflate (-15). */
static int llmp_inflate(const char *in, size_t n, int wbits, struct buf *out)
{
	z_stream z = {0};
	char tmp[LLMP_INFLATE_STEP];
	int zr = Z_OK, r = 0;

	if (inflateInit2(&z, wbits) != Z_OK)
		return -ENOMEM;
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	while (zr != Z_STREAM_END && r == 0) {
		z.next_out = (Bytef *)tmp;
		z.avail_out = sizeof(tmp);
		zr = inflate(&z, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END)
			r = -EINVAL;
		else if (out->len + (sizeof(tmp) - z.avail_out) > LLM_BODY_MAX)
			r = -E2BIG;
		else
			r = buf_append(out, tmp, sizeof(tmp) - z.avail_out);
		if (r == 0 && zr == Z_OK && z.avail_in == 0 && z.avail_out != 0)
			r = -EINVAL; /* truncated */
	}
	if (r == 0 && z.avail_in != 0)
		r = -EINVAL; /* bytes after the end */
	inflateEnd(&z);
	return r;
}

static int llmp_unzstd(const char *in, size_t n, struct buf *out)
{
	ZSTD_DStream *zs = ZSTD_createDStream();
	ZSTD_inBuffer ib = {in, n, 0};
	char tmp[LLMP_INFLATE_STEP];
	size_t zr = 1;
	int r = 0;

	if (zs == NULL)
		return -ENOMEM;
	while (r == 0 && (ib.pos < ib.size || zr != 0)) {
		ZSTD_outBuffer ob = {tmp, sizeof(tmp), 0};
		size_t before = ib.pos;
		zr = ZSTD_decompressStream(zs, &ob, &ib);
		if (ZSTD_isError(zr))
			r = -EINVAL;
		else if (out->len + ob.pos > LLM_BODY_MAX)
			r = -E2BIG;
		else
			r = buf_append(out, tmp, ob.pos);
		if (r == 0 && zr != 0 && ib.pos == before && ob.pos == 0)
			r = -EINVAL; /* truncated frame */
	}
	ZSTD_freeDStream(zs);
	return r;
}

/*
 * Decode body with Content-Encoding enc (NULL or identity: copied) and
 * append it to out (initialised by the caller).
 * -EPROTONOSUPPORT for an encoding we do not know (or a list of them),
 * -EINVAL for a corrupt stream, -E2BIG past LLM_BODY_MAX.
 */
int llmp_body_decode(const char *enc, const char *in, size_t n,
		     struct buf *out)
{
	if (enc == NULL || enc[0] == '\0' || strcasecmp(enc, "identity") == 0)
		return n > LLM_BODY_MAX ? -E2BIG : buf_append(out, in, n);
	if (strcasecmp(enc, "gzip") == 0 || strcasecmp(enc, "x-gzip") == 0)
		return llmp_inflate(in, n, 15 + 16, out);
	if (strcasecmp(enc, "deflate") == 0) {
		/* RFC 9110 says zlib-wrapped; some clients send raw deflate. */
		if (llmp_inflate(in, n, 15, out) == 0)
			return 0;
		buf_reset(out);
		return llmp_inflate(in, n, -15, out);
	}
	if (strcasecmp(enc, "zstd") == 0)
		return llmp_unzstd(in, n, out);
	return -EPROTONOSUPPORT;
}

/* Count one applied finding under the string's JSON path. */
static int llmp_applied(const struct dlp_applied *a, void *arg)
{
	struct llmp_scan *sc = arg;
	size_t i;

	for (i = 0; i < sc->nred; i++)
		if (strcmp(sc->red[i].rule, a->rule) == 0 &&
		    strcmp(sc->paths[i], sc->jpath) == 0)
			break;
	if (i < sc->nred) {
		sc->red[i].count++;
		return 0;
	}
	if (sc->nred == LLMPROXY_REDACTIONS_MAX) {
		sc->more++;
		return 0;
	}
	str_lcpy(sc->paths[i], sc->jpath, sizeof(sc->paths[i]));
	sc->red[i].rule = a->rule;
	sc->red[i].display = a->display;
	sc->red[i].path = sc->paths[i];
	sc->red[i].count = 1;
	sc->nred++;
	return 0;
}

static int llmp_scan_hook(void *arg, const char *jpath, const char *s,
			  size_t n, struct buf *out)
{
	struct llmp_scan *sc = arg;
	struct llmproxy *p = sc->p;
	bool changed = false;
	int r;

	sc->jpath = jpath;
	pthread_mutex_lock(&p->eng->lock);
	while (!p->eng->ready)
		pthread_cond_wait(&p->eng->cv, &p->eng->lock);
	r = p->eng->engine == NULL ? -EIO : dlp_apply_lazy(p->eng->engine,
		p->ds, s, n, out, llmp_applied, sc, NULL, &changed);
	pthread_mutex_unlock(&p->eng->lock);
	if (r < 0)
		return r;
	return changed ? 1 : 0;
}

int llmp_body_rewrite(struct llmproxy *p, enum llm_dialect d, const char *b,
		      size_t n, struct buf *out, bool *changed,
		      struct llmp_scan *sc)
{
	struct llm_scan_hooks h = {llmp_scan_hook, sc};
	struct diag dg;
	int r;

	sc->p = p;
	diag_init(&dg);
	r = llm_request_rewrite(d, b, n, &h, out, changed, &dg);
	diag_release(&dg);
	return r;
}
