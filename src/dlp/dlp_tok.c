/*
 * DLP sessions: a random HMAC key and a bounded map token -> value.
 *
 * A token's tail is the first 50 bits of HMAC-SHA256(key, TYPE || 0x00 ||
 * value), base32 (a-z2-7); when that token already maps to another value,
 * the tail is re-derived with a 4-byte big-endian counter appended to the
 * HMAC input (1, 2, ...). Entries are never removed, so the same value
 * always walks the same counters to the same token.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "dlp/dlp_tok_int.h"

#define DLP_FP_DOMAIN "agentsh-dlp-fingerprint" /* fingerprint HMAC prefix */
#define DLP_HMAC_LEN 32

static const char dlp_b32[] = "abcdefghijklmnopqrstuvwxyz234567";

bool dlp_tok_wordc(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

static bool dlp_tok_typec(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static bool dlp_tok_tailc(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7');
}

size_t dlp_tok_type(const char *display, char out[DLP_TYPE_MAX + 1])
{
	size_t n = 0;

	if (!(display[0] >= 'A' && display[0] <= 'Z') &&
	    !(display[0] >= 'a' && display[0] <= 'z'))
		out[n++] = 'X';
	for (size_t i = 0; display[i] != '\0' && n < DLP_TYPE_MAX; i++) {
		unsigned char c = (unsigned char)display[i];

		if (c >= 'a' && c <= 'z')
			c = (unsigned char)(c - 'a' + 'A');
		out[n++] = dlp_tok_typec(c) ? (char)c : '_';
	}
	out[n] = '\0';
	return n;
}

bool dlp_tok_grammar(const char *s, size_t n, size_t *typelen)
{
	size_t tl;

	if (n < 4 + 1 + 1 + DLP_TOKEN_TAIL ||
	    n > 4 + DLP_TYPE_MAX + 1 + DLP_TOKEN_TAIL ||
	    memcmp(s, "DLP_", 4) != 0 || s[n - DLP_TOKEN_TAIL - 1] != '_' ||
	    !(s[4] >= 'A' && s[4] <= 'Z'))
		return false;
	tl = n - 4 - 1 - DLP_TOKEN_TAIL;
	for (size_t i = 0; i < tl; i++)
		if (!dlp_tok_typec((unsigned char)s[4 + i]))
			return false;
	for (size_t i = n - DLP_TOKEN_TAIL; i < n; i++)
		if (!dlp_tok_tailc((unsigned char)s[i]))
			return false;
	if (typelen != NULL)
		*typelen = tl;
	return true;
}

/* FNV-1a of the token text (the tails are HMAC output, so well spread). */
static uint64_t dlp_tok_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h;
}

int dlp_session_new_keyed(const struct dlp_session_opts *o,
			  const uint8_t key[DLP_KEY_LEN], unsigned tail_bits,
			  struct dlp_session **out)
{
	struct dlp_session *s;
	int rc = -ENOMEM;

	*out = NULL;
	if (tail_bits == 0 || tail_bits > DLP_TAIL_BITS)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		goto out;
	if (o != NULL)
		s->o = *o;
	if (s->o.max_tokens == 0)
		s->o.max_tokens = DLP_SESSION_TOKENS_MAX;
	memcpy(s->key, key, DLP_KEY_LEN);
	s->tail_bits = tail_bits;
	s->mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
	s->mctx = s->mac != NULL ? EVP_MAC_CTX_new(s->mac) : NULL;
	if (s->mctx == NULL) {
		rc = -EIO;
		goto out;
	}
	*out = s;
	s = NULL;
	rc = 0;
out:
	dlp_session_free(s);
	return rc;
}

int dlp_session_new(const struct dlp_session_opts *o, struct dlp_session **out)
{
	uint8_t key[DLP_KEY_LEN];
	int rc;

	*out = NULL;
	if (RAND_bytes(key, sizeof(key)) != 1)
		return -EIO;
	rc = dlp_session_new_keyed(o, key, DLP_TAIL_BITS, out);
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

void dlp_session_wipe(struct dlp_session *s)
{
	OPENSSL_cleanse(s->key, sizeof(s->key));
	for (size_t i = 0; i < s->cap; i++)
		if (s->slot[i] != NULL)
			OPENSSL_cleanse(s->slot[i], sizeof(*s->slot[i]) +
					s->slot[i]->vlen);
}

void dlp_session_free(struct dlp_session *s)
{
	if (s == NULL)
		return;
	dlp_session_wipe(s);
	for (size_t i = 0; i < s->cap; i++)
		free(s->slot[i]);
	free(s->slot);
	EVP_MAC_CTX_free(s->mctx);
	EVP_MAC_free(s->mac);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

size_t dlp_session_tokens(const struct dlp_session *s)
{
	return s != NULL ? s->n : 0;
}

/* The slot holding tok, or the empty slot where it would go. */
static size_t dlp_map_find(const struct dlp_session *s, const char *tok,
			   size_t n, uint64_t h)
{
	size_t mask = s->cap - 1, i = (size_t)h & mask;

	while (s->slot[i] != NULL &&
	       !(s->slot[i]->hash == h && s->slot[i]->toklen == n &&
		 memcmp(s->slot[i]->tok, tok, n) == 0))
		i = (i + 1) & mask;
	return i;
}

static const struct dlp_tok_ent *dlp_map_get(const struct dlp_session *s,
					     const char *tok, size_t n)
{
	if (s->cap == 0 || n > DLP_TOKEN_MAX)
		return NULL;
	return s->slot[dlp_map_find(s, tok, n, dlp_tok_hash(tok, n))];
}

/* Double the slot array (load stays at most one half). */
static int dlp_map_grow(struct dlp_session *s)
{
	size_t cap = s->cap ? s->cap * 2 : DLP_MAP_INIT;
	struct dlp_tok_ent **old = s->slot, **v = calloc(cap, sizeof(*v));
	size_t ocap = s->cap;

	if (v == NULL)
		return -ENOMEM;
	s->slot = v;
	s->cap = cap;
	for (size_t i = 0; i < ocap; i++)
		if (old[i] != NULL)
			v[dlp_map_find(s, old[i]->tok, old[i]->toklen,
				       old[i]->hash)] = old[i];
	free(old);
	return 0;
}

static int dlp_map_put(struct dlp_session *s, const char *tok, size_t n,
		       const char *v, size_t vlen)
{
	struct dlp_tok_ent *ent;
	int rc;

	if (s->n >= s->o.max_tokens)
		return -ENOSPC;
	if ((s->n + 1) * 2 > s->cap) {
		rc = dlp_map_grow(s);
		if (rc < 0)
			return rc;
	}
	ent = malloc(sizeof(*ent) + vlen);
	if (ent == NULL)
		return -ENOMEM;
	ent->hash = dlp_tok_hash(tok, n);
	ent->toklen = (uint8_t)n;
	memcpy(ent->tok, tok, n);
	ent->vlen = vlen;
	memcpy(ent->val, v, vlen);
	s->slot[dlp_map_find(s, tok, n, ent->hash)] = ent;
	s->n++;
	return 0;
}

/* HMAC-SHA256 under the session key of the parts p[i][0..n[i]). */
static int dlp_session_hmac(struct dlp_session *s, const void *const *p,
			    const size_t *n, size_t parts,
			    uint8_t md[DLP_HMAC_LEN])
{
	OSSL_PARAM prm[2];
	size_t mdlen = 0;

	prm[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						  (char *)"SHA256", 0);
	prm[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(s->mctx, s->key, sizeof(s->key), prm) != 1)
		return -EIO;
	for (size_t i = 0; i < parts; i++)
		if (n[i] > 0 && EVP_MAC_update(s->mctx, p[i], n[i]) != 1)
			return -EIO;
	if (EVP_MAC_final(s->mctx, md, &mdlen, DLP_HMAC_LEN) != 1 ||
	    mdlen != DLP_HMAC_LEN)
		return -EIO;
	return 0;
}

/* Base32 of the first bits of md (the rest zero) into DLP_TOKEN_TAIL chars. */
static void dlp_tok_tail(const uint8_t *md, unsigned bits, char *out)
{
	for (unsigned i = 0; i < DLP_TOKEN_TAIL; i++) {
		unsigned v = 0;

		for (unsigned b = 0; b < 5; b++) {
			unsigned bit = i * 5 + b;
			unsigned x = bit < bits ?
				(md[bit / 8] >> (7 - bit % 8)) & 1u : 0;

			v = v << 1 | x;
		}
		out[i] = dlp_b32[v];
	}
}

/* Token number ctr of v under type: DLP_<type>_<tail> into tok. */
static int dlp_tok_derive(struct dlp_session *s, const char *type,
			  size_t typelen, const char *v, size_t n,
			  uint32_t ctr, char *tok)
{
	uint8_t md[DLP_HMAC_LEN], be[4] = {
		(uint8_t)(ctr >> 24), (uint8_t)(ctr >> 16),
		(uint8_t)(ctr >> 8), (uint8_t)ctr,
	};
	const void *p[4] = { type, "", v, be };
	size_t len[4] = { typelen, 1, n, ctr ? sizeof(be) : 0 };
	int rc = dlp_session_hmac(s, p, len, 4, md);

	if (rc < 0)
		return rc;
	memcpy(tok, "DLP_", 4);
	memcpy(tok + 4, type, typelen);
	tok[4 + typelen] = '_';
	dlp_tok_tail(md, s->tail_bits, tok + 4 + typelen + 1);
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

int dlp_session_token(struct dlp_session *s, const char *type,
		      size_t typelen, const char *v, size_t n,
		      char tok[DLP_TOKEN_MAX], size_t *toklen)
{
	size_t tl = 4 + typelen + 1 + DLP_TOKEN_TAIL;

	if (typelen == 0 || typelen > DLP_TYPE_MAX)
		return -EINVAL;
	*toklen = tl;
	for (uint32_t ctr = 0; ctr < DLP_COLLISION_MAX; ctr++) {
		const struct dlp_tok_ent *ent;
		int rc = dlp_tok_derive(s, type, typelen, v, n, ctr, tok);

		if (rc < 0)
			return rc;
		ent = dlp_map_get(s, tok, tl);
		if (ent == NULL)
			return dlp_map_put(s, tok, tl, v, n);
		if (ent->vlen == n && memcmp(ent->val, v, n) == 0)
			return 0;
	}
	return -ENOSPC;
}

int dlp_session_restore(struct dlp_session *s, const char *tok, size_t n,
			enum dlp_lane lane, struct buf *out)
{
	const struct dlp_tok_ent *ent = s != NULL ?
		dlp_map_get(s, tok, n) : NULL;

	if (ent == NULL)
		return -ENOENT;
	if (lane == DLP_LANE_TOOL_INPUT && !s->o.restore_tool_input)
		return -EPERM;
	if (lane != DLP_LANE_TEXT && lane != DLP_LANE_TOOL_INPUT)
		return -EPERM;
	return buf_append(out, ent->val, ent->vlen);
}

void dlp_session_fingerprint(struct dlp_session *s, const char *v, size_t n,
			     char out[17])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t md[DLP_HMAC_LEN];
	const void *p[2] = { DLP_FP_DOMAIN, v };
	size_t len[2] = { sizeof(DLP_FP_DOMAIN), n };

	memset(md, 0, sizeof(md));
	if (s == NULL || dlp_session_hmac(s, p, len, 2, md) < 0)
		memset(md, 0, sizeof(md));
	for (size_t i = 0; i < 8; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[16] = '\0';
	OPENSSL_cleanse(md, sizeof(md));
}
