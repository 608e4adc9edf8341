/*
 * jws.c - JWS compact serialisation (RFC 7515): sign and verify.
 *
 * Verification order (each step fails with its own reason, cheapest first,
 * and nothing the token says is trusted before the signature verified):
 *
 *   1. len > max_len                                   -> too_large
 *   2. exactly two dots, header and payload non-empty  -> else malformed
 *   3. header: strict base64url, JSON object (unique members, depth bound)
 *                                                      -> else malformed
 *   4. "crit"                                          -> crit_unsupported
 *   5. "jku", "jwk", "x5u", "x5c"                      -> untrusted_header
 *   6. "alg": a string; "none" in any casing           -> alg_none
 *      not one we implement                            -> unsupported_alg
 *      outside the caller's mask                       -> alg_not_allowed
 *   7. "kid" (a string of 1..255 bytes, else malformed): only that key
 *      (unknown_kid; its bound alg != header alg -> alg_mismatch);
 *      no "kid": only the keys bound to the header's alg (none ->
 *      no_matching_key), tried in set order until one verifies
 *   8. signature: strict base64url (malformed); empty or not exactly the
 *      length of the alg/key, ECDSA r or s outside [1, n-1], or a failed
 *      verification                                    -> bad_signature
 *   9. only then is the payload decoded (strict base64url -> malformed)
 *
 * The signed input is the original ASCII bytes header_b64 '.' payload_b64 of
 * the token itself; nothing is re-encoded or copied for it.
 *
 * OpenSSL: one EVP_MD_CTX per call and the key's already-loaded EVP_PKEY, as
 * a raw EVP_DigestVerify would use; no provider fetches of our own except
 * EVP_Q_mac's for HMAC.  Errors OpenSSL pushes while we work are popped
 * again (ERR_set_mark/ERR_pop_to_mark) so callers' queues are left as found.
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "pjwt_b64.h"
#include "pjwt_jws.h"
#include "pjwt_mem.h"
#include "pjwt_alg.h"
#include "pjwtp.h"

struct pjwt_jws {
	json_t *header;              /* decoded protected header (object) */
	unsigned char *payload;      /* decoded payload, NUL-terminated; wiped */
	size_t payload_len;
	const pjwt_key *key;         /* borrowed from the key set */
};

/* Largest digest we use (SHA-512) and largest ECDSA field (P-521). */
#define JWS_MAX_MD 64
#define JWS_MAX_EC_FIELD 66

/*
 * The group orders n of P-256, P-384 and P-521 (FIPS 186-4 D.1.2), big
 * endian, left-padded to the JWS field width.  Public constants: r and s of
 * a JWS ECDSA signature must lie in [1, n-1] (SEC 1 4.1.4 step 1), which we
 * check on the fixed-width bytes before OpenSSL sees them.
 */
static const unsigned char p256_order[32] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
	0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};
static const unsigned char p384_order[48] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xc7, 0x63, 0x4d, 0x81, 0xf4, 0x37, 0x2d, 0xdf,
	0x58, 0x1a, 0x0d, 0xb2, 0x48, 0xb0, 0xa7, 0x7a,
	0xec, 0xec, 0x19, 0x6a, 0xcc, 0xc5, 0x29, 0x73,
};
static const unsigned char p521_order[66] = {
	0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xfa, 0x51, 0x86, 0x87, 0x83, 0xbf, 0x2f,
	0x96, 0x6b, 0x7f, 0xcc, 0x01, 0x48, 0xf7, 0x09,
	0xa5, 0xd0, 0x3b, 0xb5, 0xc9, 0xb8, 0x89, 0x9c,
	0x47, 0xae, 0xbb, 0x6f, 0xb7, 0x1e, 0x91, 0x38,
	0x64, 0x09,
};

/* The curve order for an ES alg, at the JWS field width; NULL otherwise. */
static const unsigned char *
ecdsa_order(pjwt_alg alg, size_t *ret_len)
{
	switch (alg) {
	case PJWT_ALG_ES256:
		*ret_len = sizeof(p256_order);
		return p256_order;
	case PJWT_ALG_ES384:
		*ret_len = sizeof(p384_order);
		return p384_order;
	case PJWT_ALG_ES512:
		*ret_len = sizeof(p521_order);
		return p521_order;
	default:
		*ret_len = 0;
		return NULL;
	}
}

/*
 * What an OpenSSL failure means to us: an allocation failure is nomem (so
 * callers can tell resource exhaustion from a bad token), anything else is
 * `otherwise` (internal, or bad_signature for a failed verification, which
 * OpenSSL does not distinguish from other verify-time errors).
 */
static pjwt_err
ossl_err(pjwt_err otherwise)
{
	unsigned long e = ERR_peek_last_error();

	if (e != 0 && ERR_GET_REASON(e) == ERR_R_MALLOC_FAILURE)
		return PJWT_E_NOMEM;
	return otherwise;
}

/* ASCII case-insensitive equality of s (n bytes) with lower-case lit. */
static int
ascii_caseeq(const char *s, size_t n, const char *lit)
{
	size_t i;

	if (strlen(lit) != n)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c != (unsigned char)lit[i])
			return 0;
	}
	return 1;
}

/* Expected signature length for alg with key k; 0 if unknown. */
static size_t
sig_len_for(const pjwt_key *k)
{
	size_t fixed = pjwtp_alg_sig_len(k->alg);
	int n;

	if (fixed != 0)
		return fixed;
	/* RS and PS: as long as the modulus. */
	if (pjwtp_alg_kty(k->alg) == PJWTP_KTY_RSA && k->pkey != NULL) {
		n = EVP_PKEY_get_size(k->pkey);
		return n > 0 ? (size_t)n : 0;
	}
	return 0;
}

/*
 * HMAC of data with k's secret into out (JWS_MAX_MD bytes); *ret_len is the
 * digest length.  The caller wipes out.
 */
static pjwt_err
hmac_compute(const pjwt_key *k, const void *data, size_t len,
    unsigned char *out, size_t *ret_len)
{
	const EVP_MD *md = pjwtp_alg_md(k->alg);
	size_t outlen = 0;

	if (md == NULL || k->secret == NULL || k->secret_len == 0)
		return PJWT_E_BAD_KEY;
	if (k->mac_tmpl != NULL) {
		EVP_MAC_CTX *c = EVP_MAC_CTX_dup(k->mac_tmpl);
		int ok = c != NULL && EVP_MAC_update(c, data, len) == 1 &&
		    EVP_MAC_final(c, out, &outlen, JWS_MAX_MD) == 1;

		EVP_MAC_CTX_free(c);
		if (!ok)
			return ossl_err(PJWT_E_INTERNAL);
		goto check;
	}
	if (EVP_Q_mac(NULL, "HMAC", NULL, EVP_MD_get0_name(md), NULL,
	    k->secret, k->secret_len, data, len, out, JWS_MAX_MD,
	    &outlen) == NULL)
		return ossl_err(PJWT_E_INTERNAL);
 check:
	if (outlen != pjwtp_alg_md_len(k->alg)) {
		OPENSSL_cleanse(out, JWS_MAX_MD);
		return PJWT_E_INTERNAL;
	}
	*ret_len = outlen;
	return PJWT_OK;
}

/*
 * Convert a JWS ECDSA signature (R||S, each exactly field bytes) to DER.
 * r and s must be in [1, n-1]; else PJWT_E_BAD_SIGNATURE.  Comparing the
 * fixed-width big-endian bytes with memcmp orders them numerically.
 * *ret_der: free with OPENSSL_free.  i2d_ECDSA_SIG allocates and encodes in
 * one pass (sizing first would encode twice: ~9k instructions a verify).
 */
static pjwt_err
ecdsa_raw_to_der(pjwt_alg alg, const unsigned char *sig, size_t siglen,
    unsigned char **ret_der, size_t *ret_derlen)
{
	static const unsigned char zero[JWS_MAX_EC_FIELD];
	const unsigned char *order, *half[2];
	ECDSA_SIG *esig = NULL;
	BIGNUM *r = NULL, *s = NULL;
	unsigned char *der = NULL;
	size_t field, olen, i;
	pjwt_err ret = PJWT_E_INTERNAL;
	int n;

	field = pjwtp_alg_ec_field_len(alg);
	order = ecdsa_order(alg, &olen);
	if (order == NULL || field != olen || field > JWS_MAX_EC_FIELD)
		return PJWT_E_INTERNAL;
	if (siglen != 2 * field)
		return PJWT_E_BAD_SIGNATURE;
	half[0] = sig;
	half[1] = sig + field;
	for (i = 0; i < 2; i++) {
		if (memcmp(half[i], zero, field) == 0 ||
		    memcmp(half[i], order, field) >= 0)
			return PJWT_E_BAD_SIGNATURE;
	}
	if ((r = BN_bin2bn(half[0], (int)field, NULL)) == NULL ||
	    (s = BN_bin2bn(half[1], (int)field, NULL)) == NULL ||
	    (esig = ECDSA_SIG_new()) == NULL) {
		ret = ossl_err(PJWT_E_INTERNAL);
		goto out;
	}
	if (!ECDSA_SIG_set0(esig, r, s))
		goto out;
	r = s = NULL;   /* owned by esig now */
	if ((n = i2d_ECDSA_SIG(esig, &der)) <= 0 || der == NULL) {
		ret = ossl_err(PJWT_E_INTERNAL);
		goto out;
	}
	*ret_der = der;
	*ret_derlen = (size_t)n;
	ret = PJWT_OK;
 out:
	if (ret != PJWT_OK)
		OPENSSL_free(der);
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(esig);
	return ret;
}

/*
 * verify_one: does sig verify over data[0..len) with k?  PJWT_OK, or
 * PJWT_E_BAD_SIGNATURE (any length, range or verification failure),
 * PJWT_E_NOMEM, PJWT_E_INTERNAL, PJWT_E_BAD_KEY.
 */
static pjwt_err
verify_one(const pjwt_key *k, const char *data, size_t len,
    const unsigned char *sig, size_t siglen)
{
	unsigned char mac[JWS_MAX_MD], *der = NULL;
	const unsigned char *vsig = sig;
	const EVP_MD *md = NULL;
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	size_t maclen = 0, vlen = siglen;
	pjwt_err ret;
	int rc;

	if (siglen == 0 || siglen != sig_len_for(k))
		return PJWT_E_BAD_SIGNATURE;
	if (pjwtp_alg_kty(k->alg) == PJWTP_KTY_OCT) {
		if ((ret = hmac_compute(k, data, len, mac, &maclen)) != PJWT_OK)
			return ret;
		ret = (maclen == siglen && CRYPTO_memcmp(mac, sig, siglen) == 0) ?
		    PJWT_OK : PJWT_E_BAD_SIGNATURE;
		OPENSSL_cleanse(mac, sizeof(mac));
		return ret;
	}
	if (k->pkey == NULL)
		return PJWT_E_BAD_KEY;
	if (pjwtp_alg_kty(k->alg) == PJWTP_KTY_EC) {
		if ((ret = ecdsa_raw_to_der(k->alg, sig, siglen, &der,
		    &vlen)) != PJWT_OK)
			return ret;
		vsig = der;
	}
	/* EdDSA is one-shot over the message: no digest (NULL md). */
	if (k->alg != PJWT_ALG_EDDSA && (md = pjwtp_alg_md(k->alg)) == NULL) {
		ret = PJWT_E_INTERNAL;
		goto out;
	}
	if ((mctx = EVP_MD_CTX_new()) == NULL) {
		ret = PJWT_E_NOMEM;
		goto out;
	}
	if (k->verify_tmpl != NULL) {
		/* A copy of the context prepared when the key was loaded. */
		if (EVP_MD_CTX_copy_ex(mctx, k->verify_tmpl) != 1) {
			ret = ossl_err(PJWT_E_INTERNAL);
			goto out;
		}
	} else if (EVP_DigestVerifyInit(mctx, &pctx, md, NULL, k->pkey) != 1 ||
	    (pjwtp_alg_kty(k->alg) == PJWTP_KTY_RSA &&
	    !pjwtp_alg_set_rsa_padding(pctx, k->alg))) {
		ret = ossl_err(PJWT_E_INTERNAL);
		goto out;
	}
	rc = EVP_DigestVerify(mctx, vsig, vlen, (const unsigned char *)data,
	    len);
	ret = rc == 1 ? PJWT_OK : ossl_err(PJWT_E_BAD_SIGNATURE);
 out:
	EVP_MD_CTX_free(mctx);
	OPENSSL_free(der);
	return ret;
}

/* A JSON string's value when it holds no embedded NUL, else NULL. */
static const char *
json_cstr(const json_t *v, size_t *ret_len)
{
	const char *s;
	size_t n;

	if (!json_is_string(v))
		return NULL;
	s = json_string_value(v);
	n = json_string_length(v);
	if (s == NULL || memchr(s, '\0', n) != NULL)
		return NULL;
	if (ret_len != NULL)
		*ret_len = n;
	return s;
}

/*
 * Steps 4-6: refuse crit and key-carrying headers, and resolve alg.
 */
static pjwt_err
header_alg(const json_t *hdr, unsigned alg_mask, pjwt_alg *ret_alg)
{
	static const char *const untrusted[] = { "jku", "jwk", "x5u", "x5c" };
	const char *name;
	size_t i, n;
	pjwt_alg alg;

	if (json_object_get(hdr, "crit") != NULL)
		return PJWT_E_CRIT;
	for (i = 0; i < sizeof(untrusted) / sizeof(untrusted[0]); i++)
		if (json_object_get(hdr, untrusted[i]) != NULL)
			return PJWT_E_UNTRUSTED_HEADER;
	if ((name = json_cstr(json_object_get(hdr, "alg"), &n)) == NULL)
		return PJWT_E_MALFORMED;
	if (ascii_caseeq(name, n, "none"))
		return PJWT_E_ALG_NONE;
	if ((alg = pjwt_alg_from_name(name)) == PJWT_ALG_UNKNOWN)
		return PJWT_E_ALG_UNSUPPORTED;
	if (alg_mask != 0 && (alg_mask & PJWT_ALG_BIT(alg)) == 0)
		return PJWT_E_ALG_NOT_ALLOWED;
	*ret_alg = alg;
	return PJWT_OK;
}

/*
 * The three segments of a compact JWS, as offsets into the token: header
 * [0, d1), payload (d1, d2), signature (d2, len).
 */
static pjwt_err
split_token(const char *token, size_t len, size_t *ret_d1, size_t *ret_d2)
{
	const char *p1, *p2;
	size_t d1, d2;

	if ((p1 = memchr(token, '.', len)) == NULL)
		return PJWT_E_MALFORMED;
	d1 = (size_t)(p1 - token);
	if ((p2 = memchr(p1 + 1, '.', len - d1 - 1)) == NULL)
		return PJWT_E_MALFORMED;
	d2 = (size_t)(p2 - token);
	if (memchr(p2 + 1, '.', len - d2 - 1) != NULL)
		return PJWT_E_MALFORMED;
	if (d1 == 0 || d2 == d1 + 1)
		return PJWT_E_MALFORMED;
	*ret_d1 = d1;
	*ret_d2 = d2;
	return PJWT_OK;
}

static pjwt_err
decode_header(const char *b64, size_t len, json_t **ret_hdr)
{
	unsigned char *raw = NULL;
	size_t rawlen = 0;
	json_t *hdr = NULL;
	pjwt_err r;

	if ((r = pjwt_b64url_decode(b64, len, &raw, &rawlen)) != PJWT_OK)
		goto out;
	if ((r = pjwtp_json_parse((const char *)raw, rawlen, &hdr)) != PJWT_OK)
		goto out;
	if (!json_is_object(hdr)) {
		r = PJWT_E_MALFORMED;
		goto out;
	}
	*ret_hdr = hdr;
	hdr = NULL;
 out:
	if (raw != NULL)
		pjwt_secret_free(raw, rawlen + 1);
	pjwtp_json_wipe_decref(hdr);
	return r;
}

pjwt_err
pjwt_jws_verify(const pjwt_keyset *ks, const char *token, size_t len,
    unsigned alg_mask, size_t max_len, pjwt_jws **ret_jws)
{
	const pjwt_key *key = NULL, *k;
	const json_t *kidv;
	const char *kid;
	unsigned char *sig = NULL, *payload = NULL;
	size_t d1 = 0, d2 = 0, siglen = 0, plen = 0, kidlen = 0, i;
	json_t *hdr = NULL;
	pjwt_jws *j = NULL;
	pjwt_alg alg = PJWT_ALG_UNKNOWN;
	pjwt_err r, rk;

	if (ks == NULL || token == NULL || ret_jws == NULL)
		return PJWT_E_INVALID_ARGUMENT;
	if (max_len == 0)
		max_len = PJWT_DEFAULT_MAX_TOKEN;
	if (len > max_len)
		return PJWT_E_TOO_LARGE;
	ERR_set_mark();
	if ((r = split_token(token, len, &d1, &d2)) != PJWT_OK ||
	    (r = decode_header(token, d1, &hdr)) != PJWT_OK ||
	    (r = header_alg(hdr, alg_mask, &alg)) != PJWT_OK)
		goto out;

	if ((kidv = json_object_get(hdr, "kid")) != NULL) {
		kid = json_cstr(kidv, &kidlen);
		if (kid == NULL || kidlen == 0 || kidlen > PJWTP_KID_MAX) {
			r = PJWT_E_MALFORMED;
			goto out;
		}
		if ((key = pjwt_keyset_find_kid(ks, kid)) == NULL) {
			r = PJWT_E_UNKNOWN_KID;
			goto out;
		}
		if (key->alg != alg) {
			r = PJWT_E_ALG_MISMATCH;
			goto out;
		}
	} else {
		for (i = 0; i < ks->n; i++)
			if (ks->keys[i] != NULL && ks->keys[i]->alg == alg)
				break;
		if (i == ks->n) {
			r = PJWT_E_NO_KEY;
			goto out;
		}
	}

	if ((r = pjwt_b64url_decode(token + d2 + 1, len - d2 - 1, &sig,
	    &siglen)) != PJWT_OK)
		goto out;
	if (siglen == 0) {
		r = PJWT_E_BAD_SIGNATURE;
		goto out;
	}
	if (key != NULL) {
		r = verify_one(key, token, d2, sig, siglen);
	} else {
		/*
		 * Without kid, try every key of this alg in set order.  A
		 * bad signature under one key is no reason to stop; any
		 * other failure is remembered and reported if none verifies.
		 */
		r = PJWT_E_BAD_SIGNATURE;
		for (i = 0; i < ks->n; i++) {
			k = ks->keys[i];
			if (k == NULL || k->alg != alg)
				continue;
			if ((rk = verify_one(k, token, d2, sig, siglen)) ==
			    PJWT_OK) {
				key = k;
				r = PJWT_OK;
				break;
			}
			if (rk != PJWT_E_BAD_SIGNATURE)
				r = rk;
		}
	}
	if (r != PJWT_OK)
		goto out;

	/* Signature good: now, and only now, decode the payload. */
	if ((r = pjwt_b64url_decode(token + d1 + 1, d2 - d1 - 1, &payload,
	    &plen)) != PJWT_OK)
		goto out;
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		r = PJWT_E_NOMEM;
		goto out;
	}
	j->header = hdr;
	j->payload = payload;
	j->payload_len = plen;
	j->key = key;
	hdr = NULL;
	payload = NULL;
	*ret_jws = j;
	r = PJWT_OK;
 out:
	ERR_pop_to_mark();
	if (sig != NULL)
		pjwt_secret_free(sig, siglen + 1);
	if (payload != NULL)
		pjwt_secret_free(payload, plen + 1);
	pjwtp_json_wipe_decref(hdr);
	return r;
}

const json_t *
pjwt_jws_header(const pjwt_jws *j)
{
	return j == NULL ? NULL : j->header;
}

const unsigned char *
pjwt_jws_payload(const pjwt_jws *j, size_t *ret_len)
{
	if (j == NULL)
		return NULL;
	if (ret_len != NULL)
		*ret_len = j->payload_len;
	return j->payload;
}

const pjwt_key *
pjwt_jws_key(const pjwt_jws *j)
{
	return j == NULL ? NULL : j->key;
}

pjwt_jws *
pjwt_jws_free(pjwt_jws *j)
{
	if (j == NULL)
		return NULL;
	if (j->payload != NULL)
		pjwt_secret_free(j->payload, j->payload_len + 1);
	pjwtp_json_wipe_decref(j->header);
	free(j);
	return NULL;
}

/*
 * sign_raw: the JWS signature bytes of data[0..len) with k, in JWS form
 * (ECDSA converted from DER to fixed-width R||S).  *ret_sig is a new buffer
 * of *ret_len bytes (not secret; wiped anyway for HMAC hygiene).
 */
static pjwt_err
sign_raw(const pjwt_key *k, const char *data, size_t len,
    unsigned char **ret_sig, size_t *ret_len)
{
	unsigned char *sig = NULL, *der = NULL;
	const unsigned char *dp;
	const BIGNUM *r = NULL, *s = NULL;
	const EVP_MD *md = NULL;
	ECDSA_SIG *esig = NULL;
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	size_t want, siglen = 0, derlen = 0, field;
	pjwt_err ret = PJWT_E_INTERNAL;

	if ((want = sig_len_for(k)) == 0)
		return PJWT_E_BAD_KEY;
	if ((sig = malloc(want)) == NULL)
		return PJWT_E_NOMEM;
	if (pjwtp_alg_kty(k->alg) == PJWTP_KTY_OCT) {
		unsigned char mac[JWS_MAX_MD];

		if ((ret = hmac_compute(k, data, len, mac, &siglen)) == PJWT_OK)
			memcpy(sig, mac, siglen);
		OPENSSL_cleanse(mac, sizeof(mac));
		goto out;
	}
	if (k->pkey == NULL) {
		ret = PJWT_E_BAD_KEY;
		goto out;
	}
	if (k->alg != PJWT_ALG_EDDSA && (md = pjwtp_alg_md(k->alg)) == NULL)
		goto out;
	if ((mctx = EVP_MD_CTX_new()) == NULL) {
		ret = PJWT_E_NOMEM;
		goto out;
	}
	if (EVP_DigestSignInit(mctx, &pctx, md, NULL, k->pkey) != 1 ||
	    (pjwtp_alg_kty(k->alg) == PJWTP_KTY_RSA &&
	    !pjwtp_alg_set_rsa_padding(pctx, k->alg))) {
		ret = ossl_err(PJWT_E_INTERNAL);
		goto out;
	}
	if (pjwtp_alg_kty(k->alg) != PJWTP_KTY_EC) {
		siglen = want;
		if (EVP_DigestSign(mctx, sig, &siglen,
		    (const unsigned char *)data, len) != 1 || siglen != want) {
			ret = ossl_err(PJWT_E_INTERNAL);
			goto out;
		}
		ret = PJWT_OK;
		goto out;
	}
	/* ECDSA: OpenSSL signs DER; JWS wants R||S, each left-padded. */
	if (EVP_DigestSign(mctx, NULL, &derlen, (const unsigned char *)data,
	    len) != 1 || derlen == 0) {
		ret = ossl_err(PJWT_E_INTERNAL);
		goto out;
	}
	if ((der = malloc(derlen)) == NULL) {
		ret = PJWT_E_NOMEM;
		goto out;
	}
	if (EVP_DigestSign(mctx, der, &derlen, (const unsigned char *)data,
	    len) != 1 || derlen > LONG_MAX) {
		ret = ossl_err(PJWT_E_INTERNAL);
		goto out;
	}
	dp = der;
	if ((esig = d2i_ECDSA_SIG(NULL, &dp, (long)derlen)) == NULL) {
		ret = ossl_err(PJWT_E_INTERNAL);
		goto out;
	}
	ECDSA_SIG_get0(esig, &r, &s);
	field = want / 2;
	if (BN_bn2binpad(r, sig, (int)field) != (int)field ||
	    BN_bn2binpad(s, sig + field, (int)field) != (int)field)
		goto out;
	siglen = want;
	ret = PJWT_OK;
 out:
	ECDSA_SIG_free(esig);
	free(der);
	EVP_MD_CTX_free(mctx);
	if (ret != PJWT_OK) {
		pjwt_secret_free(sig, want);
		return ret;
	}
	*ret_sig = sig;
	*ret_len = siglen;
	return PJWT_OK;
}

/* 1 when s is a non-empty string of bytes 0x20..0x7e. */
static int
printable_ascii(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* The compact protected header {"alg","kid"[,"typ"]}, in that order. */
static pjwt_err
make_header(const pjwt_key *k, const char *typ, char **ret_json)
{
	const char *algname = pjwt_alg_name(k->alg);
	json_t *h = NULL;
	char *s = NULL;
	pjwt_err r = PJWT_E_NOMEM;

	if (algname == NULL)
		return PJWT_E_BAD_KEY;
	if ((h = json_object()) == NULL)
		goto out;
	if (json_object_set_new(h, "alg", json_string(algname)) != 0 ||
	    json_object_set_new(h, "kid", json_string(k->kid)) != 0)
		goto out;
	if (typ != NULL &&
	    json_object_set_new(h, "typ", json_string(typ)) != 0)
		goto out;
	if ((s = json_dumps(h, JSON_COMPACT)) == NULL)
		goto out;
	*ret_json = s;
	r = PJWT_OK;
 out:
	json_decref(h);
	return r;
}

pjwt_err
pjwt_jws_sign(const pjwt_key *k, const char *typ, const void *payload,
    size_t len, char **ret_token)
{
	char *hjson = NULL, *h64 = NULL, *p64 = NULL, *s64 = NULL, *tok = NULL;
	unsigned char *sig = NULL;
	size_t h64len = 0, p64len = 0, s64len = 0, siglen = 0, want, s64max;
	size_t tlen;
	pjwt_err r;

	/*
	 * An empty payload would make a token pjwt_jws_verify refuses (empty
	 * segment); typ is a media type: printable ASCII, not empty.  Both
	 * are caller errors.
	 */
	if (k == NULL || payload == NULL || len == 0 || ret_token == NULL ||
	    (typ != NULL && !printable_ascii(typ)) || !k->is_private)
		return PJWT_E_INVALID_ARGUMENT;
	if ((want = sig_len_for(k)) == 0)
		return PJWT_E_BAD_KEY;
	s64max = pjwt_b64url_encoded_len(want);
	ERR_set_mark();
	if ((r = make_header(k, typ, &hjson)) != PJWT_OK ||
	    (r = pjwt_b64url_encode(hjson, strlen(hjson), &h64,
	    &h64len)) != PJWT_OK ||
	    (r = pjwt_b64url_encode(payload, len, &p64, &p64len)) != PJWT_OK)
		goto out;
	if (p64len > SIZE_MAX - h64len - s64max - 3) {
		r = PJWT_E_TOO_LARGE;
		goto out;
	}
	/* Signing input h64 '.' p64, built in place in the final buffer. */
	tlen = h64len + 1 + p64len;
	if ((tok = malloc(tlen + 1 + s64max + 1)) == NULL) {
		r = PJWT_E_NOMEM;
		goto out;
	}
	memcpy(tok, h64, h64len);
	tok[h64len] = '.';
	memcpy(tok + h64len + 1, p64, p64len);
	tok[tlen] = '\0';
	if ((r = sign_raw(k, tok, tlen, &sig, &siglen)) != PJWT_OK ||
	    (r = pjwt_b64url_encode(sig, siglen, &s64, &s64len)) != PJWT_OK)
		goto out;
	if (s64len != s64max) {
		r = PJWT_E_INTERNAL;
		goto out;
	}
	tok[tlen] = '.';
	memcpy(tok + tlen + 1, s64, s64len + 1);
	*ret_token = tok;
	tok = NULL;
	r = PJWT_OK;
 out:
	ERR_pop_to_mark();
	pjwt_str_free(hjson);
	pjwt_str_free(h64);
	pjwt_str_free(p64);
	free(s64);
	if (sig != NULL)
		pjwt_secret_free(sig, siglen);
	pjwt_str_free(tok);
	return r;
}

static int
b64url_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int
pjwt_jws_is_compact(const char *s, size_t len, size_t max_len)
{
	size_t i, dots = 0, seglen = 0;

	if (max_len == 0)
		max_len = PJWT_DEFAULT_MAX_TOKEN;
	/*
	 * A header is a JSON object: '{' then '"' or blank encodes as "ey";
	 * '{' then '\t', '\n' or '\r' (legal JSON, e.g. RFC 7515 A.1 style
	 * headers) as "ew".
	 */
	if (s == NULL || len < 2 || len > max_len || s[0] != 'e' ||
	    (s[1] != 'y' && s[1] != 'w'))
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (seglen == 0 || ++dots > 2)
				return 0;
			seglen = 0;
		} else if (b64url_char(c)) {
			seglen++;
		} else {
			return 0;
		}
	}
	return dots == 2 && seglen > 0;
}
