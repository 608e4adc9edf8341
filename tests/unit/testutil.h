/*
 * testutil.h - shared helpers for the libpjwt unit tests (header-only).
 *
 * Tokens with arbitrary header and payload texts (duplicates, bad types,
 * nesting, ...) are signed here by an independent signer that talks to
 * OpenSSL directly (ECDSA converted from DER to R||S here, PSS parameters
 * set here), so the verification tests do not rely on pjwt_jws_sign.
 *
 * Include after <stdarg.h>, <stddef.h>, <setjmp.h>, <stdint.h>, <cmocka.h>.
 */
#ifndef PJWT_TESTUTIL_H
#define PJWT_TESTUTIL_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "pjwt_b64.h"
#include "pjwt_err.h"
#include "pjwt_jws.h"
#include "pjwt_jwt.h"
#include "pjwt_key.h"
#include "pjwt_mem.h"
#include "pjwtp.h"

/* The fixed clock: 2014-05-13.  Below 1.5e9 so "exp":1.5e9 is valid. */
#define TU_NOW INT64_C(1400000000)

/* Assert two pjwt_err equal, printing both names on failure. */
#define assert_pjwt(got, want) do { \
	pjwt_err tu_g_ = (got), tu_w_ = (want); \
	if (tu_g_ != tu_w_) \
		fail_msg("%s:%d: got %s (%d), want %s (%d)", __FILE__, \
		    __LINE__, pjwt_strerror(tu_g_), (int)tu_g_, \
		    pjwt_strerror(tu_w_), (int)tu_w_); \
} while (0)

static const pjwt_alg tu_all_algs[] = {
	PJWT_ALG_HS256, PJWT_ALG_HS384, PJWT_ALG_HS512,
	PJWT_ALG_RS256, PJWT_ALG_RS384, PJWT_ALG_RS512,
	PJWT_ALG_PS256, PJWT_ALG_PS384, PJWT_ALG_PS512,
	PJWT_ALG_ES256, PJWT_ALG_ES384, PJWT_ALG_ES512,
	PJWT_ALG_EDDSA,
};
#define TU_NALGS (sizeof(tu_all_algs) / sizeof(tu_all_algs[0]))

static inline int
tu_is_rsa(pjwt_alg a)
{
	return a >= PJWT_ALG_RS256 && a <= PJWT_ALG_PS512;
}

static inline int
tu_is_ec(pjwt_alg a)
{
	return a == PJWT_ALG_ES256 || a == PJWT_ALG_ES384 ||
	    a == PJWT_ALG_ES512;
}

static inline int
tu_is_hmac(pjwt_alg a)
{
	return a == PJWT_ALG_HS256 || a == PJWT_ALG_HS384 ||
	    a == PJWT_ALG_HS512;
}

/* A fresh private key for alg (RSA 2048 to keep the tests fast). */
static inline pjwt_key *
tu_key(pjwt_alg alg)
{
	pjwt_key *k = NULL;

	assert_pjwt(pjwt_key_generate(alg, tu_is_rsa(alg) ? 2048 : 0, &k),
	    PJWT_OK);
	assert_non_null(k);
	return k;
}

/*
 * Cached keys, one per alg, generated once per test binary (RSA key
 * generation dominates the run time otherwise).  Freed by tu_keys_free.
 */
static pjwt_key *tu_cache[PJWT_ALG_COUNT];

static inline const pjwt_key *
tu_ckey(pjwt_alg alg)
{
	if (tu_cache[alg] == NULL)
		tu_cache[alg] = tu_key(alg);
	return tu_cache[alg];
}

static inline void
tu_keys_free(void)
{
	size_t i;

	for (i = 0; i < PJWT_ALG_COUNT; i++)
		tu_cache[i] = pjwt_key_free(tu_cache[i]);
}

/*
 * A copy of k that the set can own: the private key re-read from its PEM
 * (or the HMAC secret), same alg and kid.
 */
static inline pjwt_key *
tu_key_dup(const pjwt_key *k)
{
	pjwt_key *d = NULL;
	char *pem = NULL;

	if (k->pkey == NULL) {
		assert_pjwt(pjwtp_key_new(k->alg, NULL, k->secret,
		    k->secret_len, 1, &d), PJWT_OK);
	} else {
		assert_pjwt(pjwt_key_to_pem(k, 1, &pem), PJWT_OK);
		assert_pjwt(pjwt_key_from_pem(pem, strlen(pem), k->alg, &d),
		    PJWT_OK);
		pjwt_str_free(pem);
	}
	assert_pjwt(pjwt_key_set_kid(d, pjwt_key_kid(k)), PJWT_OK);
	return d;
}

/* The public half of an asymmetric key, as a new key (same alg, kid). */
static inline pjwt_key *
tu_key_public(const pjwt_key *k)
{
	pjwt_key *d = NULL;
	char *pem = NULL;

	assert_non_null(k->pkey);
	assert_pjwt(pjwt_key_to_pem(k, 0, &pem), PJWT_OK);
	assert_pjwt(pjwt_key_from_pem(pem, strlen(pem), k->alg, &d), PJWT_OK);
	free(pem);
	assert_pjwt(pjwt_key_set_kid(d, pjwt_key_kid(k)), PJWT_OK);
	assert_int_equal(pjwt_key_is_private(d), 0);
	return d;
}

/* A key set holding copies of the given keys (NULL-terminated list). */
static inline pjwt_keyset *
tu_keyset(const pjwt_key *first, ...)
{
	pjwt_keyset *ks = pjwt_keyset_new();
	const pjwt_key *k;
	va_list ap;

	assert_non_null(ks);
	va_start(ap, first);
	for (k = first; k != NULL; k = va_arg(ap, const pjwt_key *))
		assert_pjwt(pjwt_keyset_add(ks, tu_key_dup(k)), PJWT_OK);
	va_end(ap);
	return ks;
}

static inline char *
tu_b64(const void *p, size_t n)
{
	char *s = NULL;

	assert_pjwt(pjwt_b64url_encode(p, n, &s, NULL), PJWT_OK);
	return s;
}

static inline char *
tu_b64s(const char *s)
{
	return tu_b64(s, strlen(s));
}

/* Decode a base64url string (must be canonical) into a new string. */
static inline char *
tu_unb64(const char *s, size_t n)
{
	unsigned char *out = NULL;
	size_t len = 0;

	assert_pjwt(pjwt_b64url_decode(s, n, &out, &len), PJWT_OK);
	return (char *)out;
}

static inline char *
tu_strcat3(const char *a, const char *sep, const char *b)
{
	size_t la = strlen(a), ls = strlen(sep), lb = strlen(b);
	char *s = malloc(la + ls + lb + 1);

	assert_non_null(s);
	memcpy(s, a, la);
	memcpy(s + la, sep, ls);
	memcpy(s + la + ls, b, lb + 1);
	return s;
}

/*
 * Independent JWS signer: the JWS signature of data[0..len) with k
 * (HMAC, RSA PKCS#1 v1.5 or PSS with salt = digest length, ECDSA as R||S,
 * Ed25519).  *ret_len is the length; free with free().
 */
static inline unsigned char *
tu_sign_raw(const pjwt_key *k, const char *data, size_t len, size_t *ret_len)
{
	const EVP_MD *md = pjwtp_alg_md(k->alg);
	unsigned char *sig, *der;
	const unsigned char *dp;
	EVP_MD_CTX *mctx;
	EVP_PKEY_CTX *pctx = NULL;
	size_t siglen = 0, derlen = 0, field;
	ECDSA_SIG *es;
	const BIGNUM *r, *s;

	if (tu_is_hmac(k->alg)) {
		sig = malloc(EVP_MAX_MD_SIZE);
		assert_non_null(sig);
		assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL,
		    EVP_MD_get0_name(md), NULL, k->secret, k->secret_len,
		    (const unsigned char *)data, len, sig, EVP_MAX_MD_SIZE,
		    &siglen));
		*ret_len = siglen;
		return sig;
	}
	mctx = EVP_MD_CTX_new();
	assert_non_null(mctx);
	assert_int_equal(EVP_DigestSignInit(mctx, &pctx,
	    k->alg == PJWT_ALG_EDDSA ? NULL : md, NULL, k->pkey), 1);
	if (k->alg >= PJWT_ALG_PS256 && k->alg <= PJWT_ALG_PS512) {
		assert_true(EVP_PKEY_CTX_set_rsa_padding(pctx,
		    RSA_PKCS1_PSS_PADDING) > 0);
		assert_true(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx,
		    EVP_MD_get_size(md)) > 0);
		assert_true(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) > 0);
	}
	assert_int_equal(EVP_DigestSign(mctx, NULL, &derlen,
	    (const unsigned char *)data, len), 1);
	der = malloc(derlen);
	assert_non_null(der);
	assert_int_equal(EVP_DigestSign(mctx, der, &derlen,
	    (const unsigned char *)data, len), 1);
	EVP_MD_CTX_free(mctx);
	if (!tu_is_ec(k->alg)) {
		*ret_len = derlen;
		return der;
	}
	field = pjwtp_alg_ec_field_len(k->alg);
	dp = der;
	es = d2i_ECDSA_SIG(NULL, &dp, (long)derlen);
	assert_non_null(es);
	ECDSA_SIG_get0(es, &r, &s);
	sig = malloc(2 * field);
	assert_non_null(sig);
	assert_int_equal(BN_bn2binpad(r, sig, (int)field), (int)field);
	assert_int_equal(BN_bn2binpad(s, sig + field, (int)field), (int)field);
	ECDSA_SIG_free(es);
	free(der);
	*ret_len = 2 * field;
	return sig;
}

/* h64 "." p64 "." b64(sig), the segments taken as they are. */
static inline char *
tu_token_segs(const pjwt_key *k, const char *h64, const char *p64)
{
	char *input = tu_strcat3(h64, ".", p64), *s64, *tok;
	unsigned char *sig;
	size_t siglen;

	sig = tu_sign_raw(k, input, strlen(input), &siglen);
	s64 = tu_b64(sig, siglen);
	tok = tu_strcat3(input, ".", s64);
	free(sig);
	free(s64);
	free(input);
	return tok;
}

/* A token with the given header and payload JSON texts, signed by k. */
static inline char *
tu_token(const pjwt_key *k, const char *hdr, const char *payload)
{
	char *h64 = tu_b64s(hdr), *p64 = tu_b64s(payload), *tok;

	tok = tu_token_segs(k, h64, p64);
	free(h64);
	free(p64);
	return tok;
}

/* printf-style string (for JSON texts). */
static inline char *
tu_fmt(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static inline char *
tu_fmt(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	assert_true(n >= 0);
	s = malloc((size_t)n + 1);
	assert_non_null(s);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

/* The token with its signature segment replaced by b64(sig[0..n)). */
static inline char *
tu_with_sig(const char *tok, const unsigned char *sig, size_t n)
{
	const char *d2 = strrchr(tok, '.');
	char *s64 = tu_b64(sig, n), *out;
	size_t hl;

	assert_non_null(d2);
	hl = (size_t)(d2 - tok) + 1;
	out = malloc(hl + strlen(s64) + 1);
	assert_non_null(out);
	memcpy(out, tok, hl);
	memcpy(out + hl, s64, strlen(s64) + 1);
	free(s64);
	return out;
}

/* The decoded signature of tok (new buffer, *ret_len bytes). */
static inline unsigned char *
tu_sig_of(const char *tok, size_t *ret_len)
{
	const char *d2 = strrchr(tok, '.');
	unsigned char *out = NULL;

	assert_non_null(d2);
	assert_pjwt(pjwt_b64url_decode(d2 + 1, strlen(d2 + 1), &out, ret_len),
	    PJWT_OK);
	return out;
}

/* JSON nested n levels deep: n-1 arrays inside an object member. */
static inline char *
tu_nested(int n, const char *prefix)
{
	size_t plen = strlen(prefix), i, o = 0;
	char *s = malloc(plen + 2 * (size_t)n + 16);

	assert_non_null(s);
	s[o++] = '{';
	memcpy(s + o, prefix, plen);
	o += plen;
	memcpy(s + o, "\"x\":", 4);
	o += 4;
	for (i = 1; i < (size_t)n; i++)
		s[o++] = '[';
	s[o++] = '1';
	for (i = 1; i < (size_t)n; i++)
		s[o++] = ']';
	s[o++] = '}';
	s[o] = '\0';
	return s;
}

#endif /* PJWT_TESTUTIL_H */
