/*
 * pjwtp.h - libpjwt internals shared between its own files (pjwtp_* names).
 * Never included outside common/ (tests may, to reach the internals).
 */
#ifndef PJWTP_H
#define PJWTP_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <openssl/evp.h>
#include "pjwt_err.h"
#include "pjwt_key.h"
#include "pjwt_alg.h"     /* the alg table (alg.c) */

#define PJWTP_KID_MAX 255

struct pjwt_key {
	pjwt_alg alg;                 /* the one alg this key is used with */
	char kid[PJWTP_KID_MAX + 1];
	EVP_PKEY *pkey;               /* asymmetric keys; NULL for oct */
	unsigned char *secret;        /* oct keys: wiped on free */
	size_t secret_len;
	int is_private;
	/*
	 * Verification contexts initialised once (pjwtp_key_prepare_verify)
	 * and copied per verification, never used directly, so a key can be
	 * shared by threads.  NULL: set up per call instead.
	 */
	EVP_MD_CTX *verify_tmpl;      /* asymmetric keys */
	EVP_MAC_CTX *mac_tmpl;        /* oct keys: HMAC keyed with secret */
};

struct pjwt_keyset {
	pjwt_key *keys[PJWT_KEYSET_MAX];
	size_t n;
};

/*
 * pjwtp_key_new: wrap pkey (ownership taken on success only) or copy an HMAC
 * secret into a new key bound to alg, checking that alg fits the key type
 * (PJWT_E_ALG_MISMATCH) and size (RSA >= 2048 bits, HMAC >= digest length:
 * PJWT_E_WEAK_KEY).  is_private: whether pkey holds a private key.  kid is
 * set to the RFC 7638 thumbprint.
 */
pjwt_err pjwtp_key_new(pjwt_alg alg, EVP_PKEY *pkey, const unsigned char *secret,
    size_t secret_len, int is_private, pjwt_key **ret_key);

/*
 * pjwtp_key_prepare_verify: fill k's verify_tmpl/mac_tmpl (key.c).  Best
 * effort: on any failure they stay NULL and verification sets up its
 * context per call.  Called by pjwtp_key_new; pjwt_key_free frees them.
 */
void pjwtp_key_prepare_verify(pjwt_key *k);

/* The default alg for a key type: Ed25519 -> EdDSA, EC curve -> ES*, RSA -> RS256. */
pjwt_alg pjwtp_default_alg(const EVP_PKEY *pkey);

/*
 * pjwtp_json_parse: parse a JSON text of exactly len bytes with
 * JSON_REJECT_DUPLICATES, after a pre-scan that refuses nesting deeper than
 * PJWT_MAX_JSON_DEPTH and embedded NUL bytes.  Errors: PJWT_E_MALFORMED,
 * PJWT_E_NOMEM.  The result is any JSON value; callers check its type.
 */
pjwt_err pjwtp_json_parse(const char *buf, size_t len, json_t **ret_json);

/* pjwtp_json_wipe_decref: for JSON holding secrets (private JWKs):
 * overwrite every string value's bytes in place, then json_decref. */
void pjwtp_json_wipe_decref(json_t *j);

/* pjwtp_key_kty: the JWK key type of k: oct for a secret, else the one
 * its alg is used with (alg.c). */
pjwtp_kty pjwtp_key_kty(const pjwt_key *k);

/*
 * JWK member writers (key.c, used by jwk.c too): set o[name] to a string
 * value; to base64url of len bytes at p; to pkey's integer parameter
 * big-endian in exactly pad bytes (pad 0: the fewest, Base64urlUInt); to
 * pkey's octet-string parameter, which must be exactly want bytes.
 * Intermediate buffers are wiped.  Errors: PJWT_E_NOMEM, PJWT_E_INTERNAL.
 */
pjwt_err pjwtp_jwk_set_str(json_t *o, const char *name, const char *value);
pjwt_err pjwtp_jwk_set_b64(json_t *o, const char *name,
    const unsigned char *p, size_t len);
pjwt_err pjwtp_jwk_set_bn(json_t *o, const char *name, const EVP_PKEY *pkey,
    const char *param, size_t pad);
pjwt_err pjwtp_jwk_set_oct(json_t *o, const char *name, const EVP_PKEY *pkey,
    const char *param, size_t want);

/* The RFC 7638 thumbprint input members of k, as a new json object (key.c,
 * with pjwt_key_thumbprint: a key's default kid is computed where the key
 * is made, so key.c calls nothing above it). */
pjwt_err pjwtp_key_public_jwk(const pjwt_key *k, json_t **ret_obj);

#endif /* PJWTP_H */
