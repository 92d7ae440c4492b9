/* Tokenization internals shared by dlp_tok.c, dlp_apply.c and the tests. */
#ifndef AGENTSH_DLP_TOK_INT_H
#define AGENTSH_DLP_TOK_INT_H

#include <stdint.h>

#include "dlp/dlp_tok.h"

#define DLP_KEY_LEN 32            /* bytes of the session's HMAC key */
#define DLP_TYPE_MAX 32           /* characters of a token's TYPE */
#define DLP_TAIL_BITS 50          /* HMAC bits in a token's tail */
#define DLP_TOKEN_VALUE_MAX 1024  /* longer PII values are redacted */
#define DLP_COLLISION_MAX 64      /* re-derivations before -ENOSPC */
#define DLP_MAP_INIT 64           /* first size of the slot array */
#define DLP_MARKER_PREFIX "[REDACTED:"

/* One map entry: the token and its value, in one allocation. */
struct dlp_tok_ent {
	uint64_t hash;            /* of the token text */
	size_t vlen;
	uint8_t toklen;
	char tok[DLP_TOKEN_MAX];
	char val[];               /* vlen bytes, not NUL-terminated */
};

struct dlp_session {
	struct dlp_session_opts o;
	uint8_t key[DLP_KEY_LEN];
	unsigned tail_bits;       /* DLP_TAIL_BITS; fewer only in tests */
	struct evp_mac_st *mac;   /* EVP_MAC "HMAC", fetched once */
	struct evp_mac_ctx_st *mctx;
	struct dlp_tok_ent **slot; /* open addressing, power-of-two size */
	size_t cap, n;
};

/*
 * A session with a given key and tail width (1..DLP_TAIL_BITS): tests use
 * it to force collisions. dlp_session_new calls it with a random key.
 */
int dlp_session_new_keyed(const struct dlp_session_opts *o,
			  const uint8_t key[DLP_KEY_LEN], unsigned tail_bits,
			  struct dlp_session **out);
/* Zero the key and every value in place (dlp_session_free's first step). */
void dlp_session_wipe(struct dlp_session *s);

/*
 * The token TYPE of a rule display: a-z upper-cased, other bytes outside
 * [A-Z0-9_] mapped to '_', 'X' prepended when it does not start with
 * [A-Z], cut to DLP_TYPE_MAX. Returns its length.
 */
size_t dlp_tok_type(const char *display, char out[DLP_TYPE_MAX + 1]);
/* Is c one of [A-Za-z0-9_] (a byte a whole-word token may not touch)? */
bool dlp_tok_wordc(unsigned char c);
/*
 * Is s[0..n) a token by the grammar (no word check)? *typelen gets the
 * length of its TYPE.
 */
bool dlp_tok_grammar(const char *s, size_t n, size_t *typelen);
/*
 * The token of value v under TYPE type in s, added to the map when new;
 * tok gets DLP_TOKEN_MAX bytes at most, *toklen its length. 0, -ENOSPC
 * (map full or too many collisions), -ENOMEM, -EIO (HMAC failed).
 */
int dlp_session_token(struct dlp_session *s, const char *type,
		      size_t typelen, const char *v, size_t n,
		      char tok[DLP_TOKEN_MAX], size_t *toklen);

#endif
